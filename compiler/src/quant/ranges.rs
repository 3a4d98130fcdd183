//! Value ranges for calibration: the IR interpreter runs the graph on every calibration sample
//! and records each value's smallest and largest element (min/max calibration, TFLite's
//! default). A progress bar shows on a terminal while it runs.

use super::Calibration;
use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::reference::Interpreter;

/// The smallest and largest value seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Smallest element.
    pub min: f32,
    /// Largest element.
    pub max: f32,
}

/// Runs every calibration sample through `g`; per value, its range (`None` for constants and
/// values no sample reached).
pub fn collect(g: &Graph, cal: &Calibration) -> Result<Vec<Option<Range>>> {
    let interp = Interpreter::new(g).map_err(|e| Error::Internal(format!("calibration cannot run the graph: {e}")))?;
    let bar = indicatif::ProgressBar::new(cal.samples.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("calibrating {bar:30} {pos}/{len} samples")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut ranges: Vec<Option<Range>> = vec![None; g.values.len()];
    for sample in &cal.samples {
        let inputs: Vec<&[f32]> = sample.iter().map(Vec::as_slice).collect();
        interp
            .run_observed(&inputs, |id, t| {
                let data = t.as_f32();
                let (lo, hi) = data.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
                if lo <= hi {
                    let r = ranges[id.index()].get_or_insert(Range { min: lo, max: hi });
                    r.min = r.min.min(lo);
                    r.max = r.max.max(hi);
                }
            })
            .map_err(|e| Error::Internal(format!("calibration run failed: {e}")))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(ranges)
}
