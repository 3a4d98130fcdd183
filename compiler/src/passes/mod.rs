//! IR-to-IR passes and the pipeline that runs them.
//!
//! The whole order of work is [`pipeline`]; each pass is one file. After every pass the verifier
//! runs (in debug builds and whenever `--print-after` is used): a failure there is a compiler bug.
//! Before any pass, names are made canonical ([`canonical_names`]), so output bytes never depend
//! on the order tract created its nodes in.

pub mod canonical_names;
mod check_finite;
mod conv_rows;
mod dce;
mod dedup_consts;
mod dense;
mod dense_flatten;
mod fuse_elementwise;
mod fuse_sum;
mod quantize;
mod weight_layout;

use crate::error::{Error, Result};
use crate::ir::{verify::verify, Graph};
use crate::quant::{Calibration, CalibrationMethod};
use crate::target::Target;
use crate::Precision;

/// What every pass may consult besides the graph: the target it compiles for, the precision
/// asked for and, for int8, the calibration inputs and how ranges are chosen from them.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The target (its features and budgets).
    pub target: &'a Target,
    /// The precision of the generated code.
    pub precision: Precision,
    /// Calibration inputs (int8 only).
    pub calibration: Option<&'a Calibration>,
    /// How activation ranges are chosen from the calibration inputs (int8 only).
    pub calibration_method: CalibrationMethod,
    /// Which layers an int8 build keeps in f32, and the record of why (int8 only).
    pub choice: LayerChoice<'a>,
}

/// The user's say in which layers an int8 build makes integer (`--keep-f32`,
/// `--int8-max-error`), and where the `quantize` pass records each decision with its reason.
#[derive(Clone, Copy, Debug, Default)]
pub struct LayerChoice<'a> {
    /// Glob patterns (`*`, `?`, `[...]`) over node names: matching layers stay f32.
    pub keep_f32: &'a [String],
    /// Keep a layer f32 when making it alone integer changes the model's outputs on the
    /// calibration set by more than this (relative RMS, `quant::sensitivity`).
    pub max_error: Option<f64>,
    /// Filled by the `quantize` pass: per candidate layer, its node name, whether it became
    /// integer, and why (for the report and the compile output).
    pub decisions: Option<&'a std::cell::RefCell<crate::quant::sensitivity::Choices>>,
}

impl<'a> Context<'a> {
    /// An f32 compilation for `target`.
    pub fn f32(target: &'a Target) -> Context<'a> {
        Context {
            target,
            precision: Precision::F32,
            calibration: None,
            calibration_method: CalibrationMethod::MinMax,
            choice: LayerChoice::default(),
        }
    }
}

/// One IR-to-IR transformation.
pub trait Pass {
    /// Stable name for `--disable-pass` / `--print-after`.
    fn name(&self) -> &'static str;
    /// Rewrites the graph, or reports a user error.
    fn run(&self, g: &mut Graph, cx: &Context) -> Result<()>;
}

/// The passes, in order.
pub fn pipeline() -> Vec<Box<dyn Pass>> {
    vec![
        Box::new(check_finite::CheckFinite),
        // Before dead-code elimination, which drops the transposes it bypasses.
        Box::new(conv_rows::ConvRows),
        Box::new(dce::DeadCode),
        Box::new(weight_layout::WeightLayout),
        Box::new(dense::DenseLayers),
        // After every pass that rewrites constants.
        Box::new(dedup_consts::DedupConsts),
        // int8 builds: integer layers where there are integer kernels (before fusion, which
        // would hide the ReLUs and biases it absorbs).
        Box::new(quantize::Quantize),
        // Last: later passes would have to understand fused expressions (fuse-sum builds on them).
        Box::new(fuse_elementwise::FuseElementwise),
        Box::new(fuse_sum::FuseSum),
    ]
}

/// What the fusion passes ask of every value: how many node operands read it (a graph output
/// counts as two more readers, so it is never absorbed into a consumer), and which node, if any,
/// computes it.
fn readers_and_producers(g: &Graph) -> (Vec<usize>, Vec<Option<usize>>) {
    let mut uses = vec![0usize; g.values.len()];
    for n in &g.nodes {
        for v in &n.inputs {
            uses[v.index()] += 1;
        }
    }
    for o in &g.outputs {
        uses[o.index()] += 2;
    }
    let mut producer: Vec<Option<usize>> = vec![None; g.values.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        producer[n.output.index()] = Some(i);
    }
    (uses, producer)
}

/// Names of every pass, for the CLI's help.
pub fn names() -> Vec<&'static str> {
    pipeline().iter().map(|p| p.name()).collect()
}

/// Options for running the pipeline.
#[derive(Clone, Debug, Default)]
pub struct PassOptions {
    /// Passes to skip.
    pub disabled: Vec<String>,
    /// Print the IR to stderr after these passes (`"lower"` prints the lowered graph).
    pub print_after: Vec<String>,
}

/// Runs the pipeline.
pub fn run(g: &mut Graph, opts: &PassOptions, cx: &Context) -> Result<()> {
    if let Some(unknown) =
        opts.disabled.iter().chain(&opts.print_after).find(|n| *n != "lower" && !names().contains(&n.as_str()))
    {
        return Err(Error::InvalidInput(format!(
            "unknown pass '{unknown}'; passes are: lower, {}",
            names().join(", ")
        )));
    }
    canonical_names::canonicalize(g);
    if opts.print_after.iter().any(|n| n == "lower") {
        eprintln!("// IR after lower\n{g}");
    }
    for pass in pipeline() {
        if opts.disabled.iter().any(|n| n == pass.name()) {
            continue;
        }
        pass.run(g, cx)?;
        let print = opts.print_after.iter().any(|n| n == pass.name());
        if cfg!(debug_assertions) || print {
            verify(g).map_err(|e| Error::Internal(format!("IR verifier after pass '{}': {e}", pass.name())))?;
        }
        if print {
            eprintln!("// IR after {}\n{g}", pass.name());
        }
    }
    Ok(())
}
