//! The measured half of the report: flash and RAM of the linked measurement firmware, split the
//! way a firmware engineer budgets them, and the emulated instruction count.

use crate::measure::Measurement;
use serde::Serialize;

/// Measured flash, RAM and instructions (see [`crate::measure`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measured {
    /// Rust target triple.
    pub triple: String,
    /// Addresses and sizes the ELF was linked with.
    pub layout: String,
    /// `opt-level` (always fat LTO, one codegen unit, panic=abort).
    pub opt_level: String,
    /// Flash in total: code + read-only data + `.data` image.
    pub flash_bytes: u64,
    /// `.text` and vector table.
    pub code_bytes: u64,
    /// Kernel-crate functions not inlined into the model.
    pub kernel_code_bytes: u64,
    /// The model crate's functions (with the kernels inlined into them).
    pub model_code_bytes: u64,
    /// The model's weight statics.
    pub weight_bytes: u64,
    /// Flash that is neither model code, kernel code nor weights: core/compiler-builtins code,
    /// promoted constants, the firmware's start-up code, padding.
    pub flash_other_bytes: u64,
    /// RAM in total: `.data` + `.bss` + stack (when measured).
    pub ram_bytes: u64,
    /// The activation arena (the `Model` static minus its state).
    pub arena_bytes: u64,
    /// Persistent state inside the `Model` static.
    pub state_bytes: u64,
    /// Input and output buffers the caller holds.
    pub io_bytes: u64,
    /// Stack high-water mark, when the firmware ran.
    pub stack_bytes: Option<u64>,
    /// Why the stack was not measured.
    pub stack_note: Option<String>,
    /// Other `.data` + `.bss`.
    pub ram_other_bytes: u64,
    /// Instructions per inference on QEMU's Cortex-M7, when it ran.
    pub instructions: Option<u64>,
    /// Instructions per multiply-accumulate.
    pub instructions_per_mac: Option<f64>,
    /// Hash of the outputs' bits on the emulated run (fixed pseudo-random inputs): equal values
    /// across targets and opt-levels mean bit-identical results.
    pub output_checksum: Option<u32>,
    /// Largest weight statics `(name, bytes)`.
    pub largest_weights: Vec<(String, u64)>,
    /// Largest functions `(name, bytes)`.
    pub largest_functions: Vec<(String, u64)>,
    /// Seconds in cargo (build) and QEMU (run).
    pub build_seconds: f64,
    /// Seconds in QEMU.
    pub run_seconds: f64,
}

impl Measured {
    /// The report's view of a measurement; `state_bytes` is the model's state size (the rest of
    /// the `Model` static is arena), `macs` its multiply-accumulates.
    pub fn new(m: &Measurement, state_bytes: u64, macs: u64) -> Measured {
        let s = &m.sizes;
        let instructions = m.run.as_ref().map(|r| r.instructions);
        let named_ram = s.model_ram + s.io_ram;
        Measured {
            triple: m.triple.clone(),
            layout: m.layout.clone(),
            opt_level: m.opt_level.clone(),
            flash_bytes: s.flash,
            code_bytes: s.code,
            kernel_code_bytes: s.kernel_code,
            model_code_bytes: s.model_code,
            weight_bytes: s.weights,
            flash_other_bytes: s.flash_other,
            ram_bytes: m.ram_bytes(),
            arena_bytes: s.model_ram.saturating_sub(state_bytes),
            state_bytes: state_bytes.min(s.model_ram),
            io_bytes: s.io_ram,
            stack_bytes: m.stack_bytes,
            stack_note: m.not_run.as_ref().map(|w| format!("stack not measured: {w}")),
            ram_other_bytes: (s.data + s.bss).saturating_sub(named_ram),
            instructions,
            instructions_per_mac: instructions.filter(|_| macs > 0).map(|i| i as f64 / macs as f64),
            output_checksum: m.run.as_ref().map(|r| r.checksum),
            largest_weights: s.weight_symbols.iter().take(5).cloned().collect(),
            largest_functions: s.code_symbols.iter().take(8).cloned().collect(),
            build_seconds: m.build_seconds,
            run_seconds: m.run_seconds,
        }
    }
}
