//! The table `ecgc compile` prints, and the breakdown of an over-budget model (exit 3).

use super::{NodeCost, Report};

pub(super) fn kib(b: u64) -> String {
    format!("{:.1} KiB", b as f64 / 1024.0)
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

impl Report {
    /// Bytes that must fit in flash: measured (code + data) when measured, else the weights.
    pub fn flash_bytes(&self) -> u64 {
        match &self.measured {
            Some(m) => m.flash_bytes,
            None => self.weight_bytes as u64,
        }
    }

    /// Bytes that must fit in RAM: measured (`.data` + `.bss` + stack) when measured, else arena
    /// + state + the caller's input/output buffers.
    pub fn ram_bytes(&self) -> u64 {
        match &self.measured {
            Some(m) => m.ram_bytes,
            None => self.estimated_ram_bytes(),
        }
    }

    /// Arena + state + input/output buffers, from the plan.
    pub fn estimated_ram_bytes(&self) -> u64 {
        (self.arena_bytes + self.state_bytes + self.io_bytes) as u64
    }

    /// True when the model fits both budgets.
    pub fn fits(&self) -> bool {
        self.flash_bytes() <= self.flash_budget && self.ram_bytes() <= self.ram_budget
    }

    /// The short table `ecgc compile` prints.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s += &format!("model      {} → target {} ({})\n", self.model, self.target, self.precision);
        match &self.measured {
            Some(m) => {
                s += &format!(
                    "flash      {:>12}  measured: code {} (kernels {}, model {}), weights {}, other {} \
                     ({:.1}% of {} budget; estimated weights {})\n",
                    kib(m.flash_bytes),
                    kib(m.code_bytes),
                    kib(m.kernel_code_bytes),
                    kib(m.model_code_bytes),
                    kib(m.weight_bytes),
                    kib(m.flash_other_bytes),
                    pct(m.flash_bytes, self.flash_budget),
                    kib(self.flash_budget),
                    kib(self.weight_bytes as u64)
                );
                let stack = match m.stack_bytes {
                    Some(b) => format!("stack {}", kib(b)),
                    None => "stack not measured".into(),
                };
                s += &format!(
                    "RAM        {:>12}  measured: arena {} + state {} + I/O {} + {stack} + other {} \
                     ({:.1}% of {} budget; estimated {}, arena lower bound {})\n",
                    kib(m.ram_bytes),
                    kib(m.arena_bytes),
                    kib(m.state_bytes),
                    kib(m.io_bytes),
                    kib(m.ram_other_bytes),
                    pct(m.ram_bytes, self.ram_budget),
                    kib(self.ram_budget),
                    kib(self.estimated_ram_bytes()),
                    kib(self.arena_lower_bound_bytes as u64)
                );
            }
            None => {
                let why = self.not_measured.as_deref().unwrap_or("no measurement");
                s += &format!(
                    "flash      {:>12}  weights ({:.1}% of {} budget); estimated, not measured: {why}\n",
                    kib(self.flash_bytes()),
                    pct(self.flash_bytes(), self.flash_budget),
                    kib(self.flash_budget)
                );
                s += &format!(
                    "RAM        {:>12}  arena {} + state {} + I/O {} ({:.1}% of {} budget; lower bound {}); \
                     estimated, stack not included\n",
                    kib(self.ram_bytes()),
                    kib(self.arena_bytes as u64),
                    kib(self.state_bytes as u64),
                    kib(self.io_bytes as u64),
                    pct(self.ram_bytes(), self.ram_budget),
                    kib(self.ram_budget),
                    kib(self.arena_lower_bound_bytes as u64)
                );
            }
        }
        if let Some(raw) = self.raw_io_bytes {
            s += &format!(
                "run_i8     {:>12}  I/O with the raw int8 API (Model::run_i8: int8 in/out at the float boundary) \
                 instead of {} with run\n",
                kib(raw as u64),
                kib(self.io_bytes as u64)
            );
        }
        s += &format!("MACs       {:>12}  per inference\n", self.macs);
        if let Some(m) = &self.measured {
            match (m.instructions, m.instructions_per_mac) {
                (Some(i), per_mac) => {
                    s += &format!(
                        "measured   {:>12}  instructions per inference ({} code on QEMU's Cortex-M7, mps2-an500){}\n",
                        i,
                        m.triple,
                        per_mac.map(|p| format!(", {p:.2} per MAC")).unwrap_or_default()
                    );
                }
                (None, _) => {
                    s += &format!(
                        "measured   {:>12}  {}\n",
                        "-",
                        m.stack_note.as_deref().unwrap_or("not run").replace("stack not measured: ", "")
                    );
                }
            }
            s += &format!("build      {:>12}  opt-level {}, fat LTO, linked at {}\n", m.triple, m.opt_level, m.layout);
        }
        // The full basis (with the calibration's commit and date) is in the JSON report and the
        // model card; the table says which model made the number.
        let basis = match self.estimated_instructions {
            Some(_) => format!(
                "per-kernel cost model for opt-level {}, calibrated on QEMU instruction counts ([cost] of the \
                 target file)",
                self.opt_level
            ),
            None => self.estimate_basis.clone(),
        };
        s += &format!(
            "estimate   {:>12}  cycles ≈ {:.1} µs, {:.2} µJ: {basis}\n",
            self.estimated_cycles, self.estimated_latency_us, self.estimated_energy_uj
        );
        let measured = self.measured.as_ref().and_then(|m| m.instructions);
        if let (Some(e), Some(m)) = (self.estimated_instructions, measured) {
            s += &format!(
                "           {:>12}  estimated instructions, {:.2} × the measured count\n",
                e,
                e as f64 / m.max(1) as f64
            );
        }
        if let Some(top) = self.hot_nodes(3) {
            s += &format!("time       {:>12}  {top}\n", "");
        }
        s
    }

    /// The `n` nodes with the most estimated cycles and their shares, as one line (`None` when
    /// nothing is estimated).
    pub fn hot_nodes(&self, n: usize) -> Option<String> {
        let total: u64 = self.nodes.iter().map(|x| x.estimated_cycles).sum();
        if total == 0 {
            return None;
        }
        let mut v: Vec<&NodeCost> = self.nodes.iter().collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.estimated_cycles));
        let parts: Vec<String> = v
            .iter()
            .take(n)
            .map(|x| format!("{} {:.0}%", x.node, 100.0 * x.estimated_cycles as f64 / total as f64))
            .collect();
        Some(format!("most estimated cycles: {}", parts.join(", ")))
    }

    /// Where the bytes go, for over-budget messages: every flash and RAM component, then the
    /// largest weights and activations. `force` lists both even when one fits (the linker
    /// rejected the program before anything could be measured).
    pub fn breakdown(&self, force: bool) -> String {
        let mut s = String::new();
        let flash_over = self.flash_bytes() > self.flash_budget;
        let ram_over = self.ram_bytes() > self.ram_budget;
        if flash_over || force {
            s += &format!("flash: {} needed, {} budget\n", kib(self.flash_bytes()), kib(self.flash_budget));
            if let Some(m) = &self.measured {
                s += &format!("  {:>12}  kernel code\n", kib(m.kernel_code_bytes));
                s += &format!("  {:>12}  model code\n", kib(m.model_code_bytes));
                s += &format!("  {:>12}  weights\n", kib(m.weight_bytes));
                s += &format!("  {:>12}  other (core, start-up code, constants, padding)\n", kib(m.flash_other_bytes));
                s += "largest weights (measured):\n";
                for (n, b) in &m.largest_weights {
                    s += &format!("  {:>12}  {n}\n", kib(*b));
                }
            } else {
                s += "largest weights:\n";
                let mut v: Vec<&NodeCost> = self.nodes.iter().filter(|n| n.weight_bytes > 0).collect();
                v.sort_by_key(|n| std::cmp::Reverse(n.weight_bytes));
                for n in v.iter().take(5) {
                    s += &format!("  {:>12}  {} ({})\n", kib(n.weight_bytes as u64), n.node, n.op);
                }
            }
        }
        if ram_over || force {
            s += &format!("RAM: {} needed, {} budget\n", kib(self.ram_bytes()), kib(self.ram_budget));
            let (arena, state, io, stack, other) = match &self.measured {
                Some(m) => (
                    m.arena_bytes,
                    m.state_bytes,
                    m.io_bytes,
                    m.stack_bytes.map(kib).unwrap_or_else(|| "not measured".into()),
                    m.ram_other_bytes,
                ),
                None => {
                    (self.arena_bytes as u64, self.state_bytes as u64, self.io_bytes as u64, "not measured".into(), 0)
                }
            };
            s += &format!("  {:>12}  arena\n", kib(arena));
            s += &format!("  {:>12}  state\n", kib(state));
            s += &format!("  {:>12}  input and output buffers (held by the caller)\n", kib(io));
            s += &format!("  {stack:>12}  stack\n");
            s += &format!("  {:>12}  other\n", kib(other));
            s += "largest activations:\n";
            let mut v: Vec<&NodeCost> = self.nodes.iter().collect();
            v.sort_by_key(|n| std::cmp::Reverse(n.output_shape.iter().product::<usize>()));
            for n in v.iter().take(5) {
                let b = n.output_shape.iter().product::<usize>() as u64 * 4;
                s += &format!("  {:>12}  {} {:?} ({})\n", kib(b), n.node, n.output_shape, n.op);
            }
        }
        s
    }
}
