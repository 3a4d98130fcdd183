//! What a compiled model costs, against the target's budget: estimated from the IR and the plan
//! (weights, arena, state, the caller's input/output buffers, MACs, cycles, energy) and, when the
//! target's toolchain is installed, measured from a linked firmware ([`measured`], built by
//! [`crate::measure`]). Budgets are enforced on the measured numbers when there are some.
//!
//! - [`cost`]: the per-kernel cost model behind the cycle estimate (calibrated per target and
//!   opt-level on measured instruction counts).
//! - [`table`]: the table `ecgc compile` prints and the over-budget breakdown.
//! - [`svg`]: the picture of the memory plan.

pub mod cost;
pub mod measured;
pub mod precision;
pub mod svg;
mod table;

pub use measured::Measured;

use crate::ir::{Graph, Op, ValueKind};
use crate::plan::Plan;
use crate::target::Target;
use serde::Serialize;
use std::collections::BTreeMap;

/// One node's share.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NodeCost {
    /// Node name.
    pub node: String,
    /// Op summary.
    pub op: String,
    /// Bytes of constants this node reads first.
    pub weight_bytes: usize,
    /// Multiply-accumulates.
    pub macs: u64,
    /// Output shape.
    pub output_shape: Vec<usize>,
    /// The node's work as the cost model counts it (term → units, see [`cost::TERMS`]).
    pub cost_terms: cost::Terms,
    /// Estimated cycles of this node (see [`Report::estimate_basis`]).
    pub estimated_cycles: u64,
}

/// The whole report (also written as JSON with `--report`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    /// Model file name.
    pub model: String,
    /// Target name.
    pub target: String,
    /// `f32`, or `int8` with how many weight layers are integer (`precision::summary`).
    pub precision: String,
    /// The precision of every weight layer, and why.
    pub layers: Vec<precision::LayerPrecision>,
    /// Bytes of constants (flash).
    pub weight_bytes: usize,
    /// Bytes of the activation arena (RAM).
    pub arena_bytes: usize,
    /// Most bytes alive at once: no plan can beat it.
    pub arena_lower_bound_bytes: usize,
    /// Bytes of persistent state (RAM).
    pub state_bytes: usize,
    /// Bytes of the input and output buffers the caller holds (RAM): f32 × their elements.
    pub io_bytes: usize,
    /// With the raw int8 API (`Model::run_i8`, int8 builds whose boundary allows it): the
    /// caller's buffers when the raw inputs and outputs are int8 (1 byte each) and the rest f32.
    pub raw_io_bytes: Option<usize>,
    /// Multiply-accumulates per inference.
    pub macs: u64,
    /// The opt-level the estimate is for (the measurement build's, default "3").
    pub opt_level: String,
    /// Estimated instructions per inference from the target's calibrated cost model (`None`
    /// when the target has no cost table for this opt-level).
    pub estimated_instructions: Option<u64>,
    /// Estimated cycles per inference: the estimated instructions × the table's cycles per
    /// instruction, or, uncalibrated, MACs × the target's cycles per MAC.
    pub estimated_cycles: u64,
    /// What the estimate is and where its coefficients come from.
    pub estimate_basis: String,
    /// The whole model's work as the cost model counts it (the sum of the nodes').
    pub cost_terms: cost::Terms,
    /// Estimated latency in microseconds.
    pub estimated_latency_us: f64,
    /// Estimated energy in microjoules.
    pub estimated_energy_uj: f64,
    /// Flash budget.
    pub flash_budget: u64,
    /// RAM budget.
    pub ram_budget: u64,
    /// Nodes per op family.
    pub op_histogram: BTreeMap<String, usize>,
    /// Per-node costs, in execution order.
    pub nodes: Vec<NodeCost>,
    /// Flash, RAM and instructions measured from a linked firmware.
    pub measured: Option<Measured>,
    /// Why there is no measurement ("estimated, not measured: …").
    pub not_measured: Option<String>,
}

/// MACs of one node.
pub fn node_macs(g: &Graph, n: &crate::ir::Node) -> u64 {
    let out = g.value(n.output).len() as u64;
    match &n.op {
        Op::Conv(_) | Op::QConv(_) => {
            let w = &g.value(n.inputs[1]).shape;
            out * w[1..].iter().product::<usize>() as u64
        }
        Op::EinSum(e) => out * e.axes.iter().filter(|a| a.out.is_none()).map(|a| a.size as u64).product::<u64>(),
        Op::Dense(d) => out * d.k as u64,
        Op::QDense(d) => out * d.k as u64,
        _ => 0,
    }
}

/// Builds the report, with the estimate for opt-level 3.
pub fn report(model: &str, g: &Graph, plan: &Plan, target: &Target, flash_budget: u64, ram_budget: u64) -> Report {
    report_at(model, g, plan, target, "3", flash_budget, ram_budget)
}

/// Builds the report, with the estimate for cargo `opt_level`.
pub fn report_at(
    model: &str,
    g: &Graph,
    plan: &Plan,
    target: &Target,
    opt_level: &str,
    flash_budget: u64,
    ram_budget: u64,
) -> Report {
    let cost_model = cost::model(target, opt_level);
    let tuning = crate::back::tuning::Tuning::new(opt_level, target);
    let mut seen = vec![false; g.values.len()];
    let mut nodes = vec![];
    let mut hist = BTreeMap::new();
    let groups = crate::back::groups::groups(g, plan);
    let in_group = crate::back::groups::later_members(&groups, g.nodes.len());
    let mut kernel_groups = cost::kernel_group_terms(g, plan, &groups, tuning);
    for (i, n) in g.nodes.iter().enumerate() {
        let mut wb = 0;
        for &i in &n.inputs {
            if matches!(g.value(i).kind, ValueKind::Const(_)) && !seen[i.index()] {
                seen[i.index()] = true;
                wb = g.value(i).bytes().saturating_add(wb);
            }
        }
        *hist.entry(n.op.family().to_string()).or_insert(0) += 1;
        let (macs, cost_terms) = (
            node_macs(g, n),
            kernel_groups[i].take().unwrap_or_else(|| cost::node_terms(g, plan, i, in_group[i], tuning)),
        );
        nodes.push(NodeCost {
            node: n.name.clone(),
            op: n.op.summary(),
            weight_bytes: wb,
            macs,
            output_shape: g.value(n.output).shape.clone(),
            estimated_cycles: cost_model.cycles(&cost_terms, macs).round() as u64,
            cost_terms,
        });
    }
    let const_outputs: usize = g
        .outputs
        .iter()
        .filter(|o| !seen[o.index()] && g.value(**o).const_data().is_some())
        .map(|o| g.value(*o).bytes())
        .sum();
    // Sizes saturate: the front end bounds every tensor, so a saturated sum only reads as over budget.
    let weight_bytes = nodes.iter().fold(const_outputs, |a, n| a.saturating_add(n.weight_bytes));
    // A Scan model runs its step graph once per step of its window.
    let steps = g.window.as_ref().map_or(1, |w| w.steps as u64);
    let macs: u64 = nodes.iter().map(|n| n.macs).sum::<u64>().saturating_mul(steps);
    let mut cost_terms = cost::Terms::new();
    for n in &nodes {
        for (t, k) in &n.cost_terms {
            *cost_terms.entry(t.clone()).or_insert(0) += k.saturating_mul(steps);
        }
    }
    let cycles = cost_model.cycles(&cost_terms, macs).round() as u64;
    let estimated_instructions = cost_model.instructions(&cost_terms).map(|i| i.round() as u64);
    let estimate_basis = match (cost_model.coefficients, estimated_instructions) {
        (Some(_), None) => format!(
            "uncalibrated: MACs × {} cycles per MAC (the cost table has no coefficient for some of this \
             model's work)",
            target.cycles_per_mac_f32
        ),
        _ => cost_model.basis,
    };
    let layers = precision::layers(g);
    Report {
        model: model.to_string(),
        target: target.name.clone(),
        precision: precision::summary(&layers),
        layers,
        weight_bytes,
        arena_bytes: plan.arena_bytes(),
        arena_lower_bound_bytes: plan.arena_lower_bound(),
        state_bytes: plan.state_bytes(),
        // the caller's buffers: a streaming model's state is the crate's own (state_bytes)
        io_bytes: g
            .model_inputs()
            .iter()
            .map(|(_, s)| s.iter().product::<usize>())
            .chain(g.model_output_lens())
            .fold(0usize, |a, n| a.saturating_add(n.saturating_mul(4))),
        raw_io_bytes: crate::back::raw::boundaries(g, plan).map(|r| {
            let io = g.inputs.iter().zip(&r.inputs).chain(g.outputs.iter().zip(&r.outputs));
            io.map(|(&v, b)| g.value(v).len().saturating_mul(if b.is_some() { 1 } else { 4 }))
                .fold(0usize, usize::saturating_add)
        }),
        macs,
        opt_level: opt_level.to_string(),
        estimated_instructions,
        estimated_cycles: cycles,
        estimate_basis,
        cost_terms,
        estimated_latency_us: cycles as f64 / target.clock_hz as f64 * 1e6,
        estimated_energy_uj: cycles as f64 * target.energy_pj_per_cycle * 1e-6,
        flash_budget,
        ram_budget,
        op_histogram: hist,
        nodes,
        measured: None,
        not_measured: Some("not measured yet".into()),
    }
}

impl Report {
    /// Model-card lines for the generated crate's rustdoc.
    pub fn card(&self, source: &str, sha256: &str, command: &str, g: &Graph) -> Vec<String> {
        let mut v = vec![
            format!(
                " `{}`: {} compiled by ecgc {} for `{}`.",
                source,
                self.precision,
                env!("CARGO_PKG_VERSION"),
                self.target
            ),
            String::new(),
            "# Model card".into(),
            String::new(),
            format!("- Source: `{source}`, sha256 `{sha256}`"),
            format!("- Command: `{command}`"),
            match self.precision.as_str() {
                "f32" => "- Precision: f32 (weights and activations)".to_string(),
                p => format!("- Precision: {p}"),
            },
        ];
        if self.layers.iter().any(|l| l.precision != "f32") {
            for l in &self.layers {
                v.push(format!("  - `{}` ({}): {}, {}", l.node, l.op, l.precision, l.why));
            }
        }
        for (k, i) in g.inputs.iter().enumerate().filter(|(k, _)| !g.is_state_input(*k)) {
            v.push(format!("- Input {k}: `{}` {:?}", g.value(*i).name, g.value(*i).shape));
        }
        for (k, o) in g.outputs.iter().enumerate().filter(|(k, _)| !g.is_state_output(*k)) {
            v.push(format!("- Output {k}: `{}` {:?}", g.value(*o).name, g.value(*o).shape));
        }
        if !g.state.is_empty() {
            let pairs: Vec<String> = g
                .state
                .iter()
                .map(|p| {
                    let (i, o) = (g.value(g.inputs[p.input]), g.value(g.outputs[p.output]));
                    format!("`{}` {:?} ← `{}`", i.name, i.shape, o.name)
                })
                .collect();
            v.push(format!("- Streaming: `step` per time step; state kept inside the model: {}", pairs.join(", ")));
        }
        v.push(format!(
            "- Weights: {} bytes; arena: {} bytes; state: {} bytes",
            self.weight_bytes, self.arena_bytes, self.state_bytes
        ));
        v.push(format!("- MACs per inference: {}", self.macs));
        v.push(format!("- Estimated cycles per inference: {} ({})", self.estimated_cycles, self.estimate_basis));
        let ops: Vec<String> = self.op_histogram.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        v.push(format!("- Ops: {}", ops.join(", ")));
        v.push(String::new());
        v.push("# Nodes".into());
        v.push(String::new());
        v.push("| node | op | output | weights (B) | MACs | est. cycles |".into());
        v.push("|---|---|---|---|---|---|".into());
        for n in &self.nodes {
            v.push(format!(
                "| `{}` | {} | {:?} | {} | {} | {} |",
                n.node.replace('|', "/"),
                n.op.replace('|', "/"),
                n.output_shape,
                n.weight_bytes,
                n.macs,
                n.estimated_cycles
            ));
        }
        v
    }
}
