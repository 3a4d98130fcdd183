//! The `ecgc` command line (PRODUCT.md "Command line"). Exit codes: 0 ok, 1 internal error,
//! 2 invalid input or unsupported model, 3 over budget.

mod commands;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// ecgc: compile ONNX ECG models to no_std Rust crates for microcontrollers.
#[derive(Parser, Debug)]
#[command(name = "ecgc", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Compile a model into a crate.
    Compile(Box<CompileArgs>),
    /// Show the graph as ecgc sees it: ops, shapes, parameters, MACs, what is unsupported.
    Inspect(ModelArgs),
    /// Compile, build the crate for the host, run it and compare with tract.
    Validate(ValidateArgs),
    /// List the known targets and their budgets.
    Targets,
}

/// Model file and shape overrides.
#[derive(Args, Debug, Clone)]
struct ModelArgs {
    /// The ONNX model.
    model: PathBuf,
    /// Fix an input's shape: NAME=D0,D1,... (repeatable).
    #[arg(long = "input-shape", value_name = "NAME=DIMS")]
    input_shape: Vec<String>,
    /// Print the IR after a pass (`lower` for the lowered graph; repeatable).
    #[arg(long = "print-after", value_name = "PASS")]
    print_after: Vec<String>,
    /// Skip a pass (repeatable).
    #[arg(long = "disable-pass", value_name = "PASS")]
    disable_pass: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum PrecisionArg {
    F32,
    Int8,
}

#[derive(Args, Debug)]
struct CompileArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Target name (see `ecgc targets`) or a target .toml file.
    #[arg(long)]
    target: String,
    /// Output directory (default: ./<crate-name>/).
    #[arg(short = 'o', long = "out")]
    out: Option<PathBuf>,
    /// Numeric precision.
    #[arg(long, value_enum, default_value = "f32")]
    precision: PrecisionArg,
    /// Calibration inputs for int8 (.npz or .npy).
    #[arg(long)]
    calibration: Option<PathBuf>,
    /// How int8 activation ranges are chosen: minmax (default), percentile[:P] (the central P%
    /// of the values, default 99.99) or mse (least expected squared quantization error).
    #[arg(long = "calibration-method", value_name = "METHOD", value_parser = clap::builder::ValueParser::new(parse_calibration_method))]
    calibration_method: Option<crate::quant::CalibrationMethod>,
    /// int8: keep the layers whose node names match this glob pattern (`*`, `?`, `[...]`) in f32
    /// (repeatable); the report lists the layers and their names.
    #[arg(long = "keep-f32", value_name = "PATTERN")]
    keep_f32: Vec<String>,
    /// int8: keep a layer in f32 when making it alone integer changes the model's outputs on the
    /// calibration set by more than this relative RMS error (e.g. 0.01).
    #[arg(long = "int8-max-error", value_name = "E", allow_negative_numbers = true)]
    int8_max_error: Option<f64>,
    /// Pair a state input with its next-state output: IN=OUT (repeatable). Makes the model a
    /// streaming one: the crate keeps the state and the API is `step`/`reset`/`run`.
    #[arg(long = "state", value_name = "IN=OUT")]
    state: Vec<String>,
    /// Compile a step graph as a streaming model, finding the state by name (output `IN_next`
    /// for input `IN`) and by shape where unambiguous; the crate keeps the state.
    #[arg(long)]
    stream: bool,
    /// Crate name (default: from the model file name).
    #[arg(long, value_parser = clap::value_parser!(std::ffi::OsString))]
    name: Option<std::ffi::OsString>,
    /// Flash budget (64K, 1M, 320KiB, bytes); default: the target's.
    #[arg(long = "max-flash")]
    max_flash: Option<String>,
    /// RAM budget; default: the target's.
    #[arg(long = "max-ram")]
    max_ram: Option<String>,
    /// Write the JSON report here, and the memory-plan picture beside it (`out.json` → `out.svg`).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Write the memory-plan picture (SVG: values as boxes, time × arena offset) here.
    #[arg(long = "plan-svg", value_name = "FILE")]
    plan_svg: Option<PathBuf>,
    /// Do not build a firmware to measure flash, RAM and instructions: report the estimate only.
    #[arg(long = "no-measure")]
    no_measure: bool,
    /// Where measurement builds are cached (default: $ECGC_MEASURE_DIR, else ~/.cache/ecgc/measure).
    #[arg(long = "measure-dir", value_name = "DIR")]
    measure_dir: Option<PathBuf>,
    /// opt-level of the measurement build (0, 1, 2, 3, s, z; always fat LTO).
    #[arg(long = "opt-level", default_value = "3")]
    opt_level: String,
    /// Measure sizes only: do not run the firmware on QEMU.
    #[arg(long = "no-run")]
    no_run: bool,
    /// Use the kernel crate at this path instead of vendoring a copy.
    #[arg(long = "kernels-path", conflicts_with = "kernels_version")]
    kernels_path: Option<PathBuf>,
    /// Depend on this registry version of ecgc-kernels instead of vendoring a copy.
    #[arg(long = "kernels-version")]
    kernels_version: Option<String>,
    /// Replace the output directory even when it is a non-empty directory that is not an ecgc
    /// crate (never the model, a file or the working directory).
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct ValidateArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Input data: NAME=FILE.npy (float32, the input's shape); missing inputs are seeded random.
    #[arg(long = "input", value_name = "NAME=FILE")]
    input: Vec<String>,
    /// Seed for random inputs in [-1, 1).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Pass when max |ours − tract| ≤ tolerance · max(1, |tract|).
    #[arg(long, default_value_t = 1e-5)]
    tolerance: f32,
    /// Keep the generated crate and harness here (default: a temporary directory).
    #[arg(long = "work-dir")]
    work_dir: Option<PathBuf>,
}

fn parse_calibration_method(s: &str) -> Result<crate::quant::CalibrationMethod, String> {
    s.parse()
}

/// Parses arguments, runs, prints errors; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    // args_os: a path that is not UTF-8 is an ordinary path, never a panic.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let result = match cli.command {
        Cmd::Compile(a) => commands::compile(*a, &argv),
        Cmd::Inspect(a) => commands::inspect(a),
        Cmd::Validate(a) => commands::validate(a),
        Cmd::Targets => commands::targets(),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
