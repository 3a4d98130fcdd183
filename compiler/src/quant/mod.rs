//! Quantization: what int8 compilation needs beyond the IR's types.
//!
//! [`calibration`] reads the user's calibration inputs (`.npz` with one array per graph input, or
//! `.npy` for a single-input model), checked against the graph's inputs, for the passes that
//! collect value ranges (they receive it through [`crate::passes::Context`]); [`ranges`] runs
//! the samples and chooses each value's range by the [`method`] asked for (min/max, percentile or
//! MSE, the latter two from [`histogram`]s); [`sensitivity`] measures what making one layer
//! integer does to the outputs (`--int8-max-error`) and matches `--keep-f32` patterns; [`params`] is the compile-time arithmetic of TFLite's
//! int8 scheme (scales, zero points, weight and bias quantization, fixed-point multipliers).

pub mod calibration;
pub mod histogram;
pub mod method;
pub mod params;
pub mod ranges;
pub mod sensitivity;

pub use calibration::Calibration;
pub use method::CalibrationMethod;
