//! A whole-window interface around a step graph: what an ONNX `Scan` model is.
//!
//! A `Scan` runs its body once per time step over a window, carrying state between steps. ecgc
//! compiles the body as a streaming step graph (its state pairs in `Graph::state`) and records
//! here how the model's own inputs and outputs map onto the step's, so the generated crate has
//! both the model's whole-window `run` (a loop over `step`, never unrolled) and `step`/`reset`
//! for sample-by-sample use.

/// The model's interface around the step graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Steps per window.
    pub steps: usize,
    /// The model's inputs, in order.
    pub inputs: Vec<WindowInput>,
    /// The model's outputs, in order.
    pub outputs: Vec<WindowOutput>,
}

/// One model output.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowOutput {
    /// The model's name for it.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Where it comes from.
    pub role: OutRole,
}

/// One model input.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowInput {
    /// The model's name for it.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// What the loop does with it.
    pub role: InRole,
}

/// What the loop does with a model input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InRole {
    /// The initial value of state pair `k` (copied into the state before the first step).
    Initial(usize),
    /// Sliced along `axis` into one piece per step, fed to step input `input` (an index into
    /// `Graph::inputs`), last piece first when `reverse`.
    Scanned {
        /// Step graph input.
        input: usize,
        /// The sliced axis (every axis before it has extent 1, so a piece is contiguous).
        axis: usize,
        /// Backwards in time.
        reverse: bool,
    },
    /// Fed whole to step input `input` at every step.
    Full(usize),
}

/// Where a model output comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutRole {
    /// The value of state pair `k` after the last step.
    Final(usize),
    /// Step output `output` (an index into `Graph::outputs`) of every step, stacked along `axis`.
    Scanned {
        /// Step graph output.
        output: usize,
        /// The stacking axis (every axis before it has extent 1).
        axis: usize,
        /// Backwards in time.
        reverse: bool,
    },
}
