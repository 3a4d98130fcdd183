//! Which layers an int8 build makes integer, when the user has a say: `--keep-f32 PATTERN` keeps
//! the layers whose node names match in f32; `--int8-max-error E` keeps those whose int8 version
//! alone changes the model's outputs on the calibration set by more than `E`.
//!
//! The error of one layer is measured by the IR interpreter (f32 and exact integer semantics, the
//! same as the generated code): the graph with only that layer integer, against the f32 graph,
//! on the first [`SAMPLES`] calibration samples, as the relative RMS difference over every output
//! element of every sample, `sqrt(Σ (q − f)² / Σ f²)`. Layers are judged one at a time (a greedy,
//! per-layer sensitivity analysis, as TFLite's and onnxruntime's debuggers report it); the error of
//! all the chosen integer layers together is measured too and reported, since it is not the sum.

use super::Calibration;
use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::reference::Interpreter;
use serde::Serialize;

/// How many calibration samples the sensitivity runs use (all of them when there are fewer).
pub const SAMPLES: usize = 64;

/// One candidate layer's precision and why.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Decision {
    /// Node name.
    pub node: String,
    /// Made integer.
    pub int8: bool,
    /// Why, for the report.
    pub why: String,
    /// Its measured error alone (relative RMS), when `--int8-max-error` measured it.
    pub error: Option<f64>,
}

/// What the `quantize` pass decided: per candidate layer, and the error of the final mix.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Choices {
    /// Every weight layer with an int8 kernel, in node order.
    pub layers: Vec<Decision>,
    /// With `--int8-max-error`: the relative RMS error of the build's integer layers together.
    pub combined_error: Option<f64>,
    /// Calibration samples the errors were measured on.
    pub samples: usize,
}

/// The model's outputs on the first [`SAMPLES`] calibration samples, per sample.
pub fn outputs(g: &Graph, cal: &Calibration) -> Result<Vec<Vec<Vec<f32>>>> {
    let interp = Interpreter::new(g).map_err(|e| Error::Internal(format!("sensitivity run: {e}")))?;
    cal.samples
        .iter()
        .take(SAMPLES)
        .map(|sample| {
            let inputs: Vec<&[f32]> = sample.iter().map(Vec::as_slice).collect();
            interp.run(&inputs).map_err(|e| Error::Internal(format!("sensitivity run failed: {e}")))
        })
        .collect()
}

/// `sqrt(Σ (ours − reference)² / Σ reference²)` over every element (0 when both are all zero).
pub fn relative_rms(ours: &[Vec<Vec<f32>>], reference: &[Vec<Vec<f32>>]) -> f64 {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for (a, b) in ours.iter().flatten().zip(reference.iter().flatten()) {
        for (&x, &y) in a.iter().zip(b) {
            diff += (f64::from(x) - f64::from(y)).powi(2);
            norm += f64::from(y).powi(2);
        }
    }
    if diff == 0.0 {
        0.0
    } else if norm == 0.0 {
        f64::INFINITY
    } else {
        (diff / norm).sqrt()
    }
}

/// Compiled `--keep-f32` patterns, each checked to be a valid glob.
pub fn patterns(raw: &[String]) -> Result<Vec<(String, glob::Pattern)>> {
    raw.iter()
        .map(|p| {
            glob::Pattern::new(p)
                .map(|g| (p.clone(), g))
                .map_err(|e| Error::InvalidInput(format!("--keep-f32 '{p}' is not a valid pattern: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_rms_is_scaled_by_the_reference() {
        let r = vec![vec![vec![3.0, 4.0]]];
        assert_eq!(relative_rms(&r, &r), 0.0);
        let q = vec![vec![vec![3.0, 4.5]]];
        assert!((relative_rms(&q, &r) - 0.1).abs() < 1e-12);
        assert_eq!(relative_rms(&q, &[vec![vec![0.0, 0.0]]]), f64::INFINITY);
    }

    #[test]
    fn a_bad_glob_is_a_user_error() {
        assert!(patterns(&["conv[".into()]).is_err());
        assert!(patterns(&["/conv*".into()]).is_ok_and(|p| p[0].1.matches("/conv1/Conv")));
    }
}
