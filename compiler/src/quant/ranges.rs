//! Value ranges for calibration: the IR interpreter runs the graph on every calibration sample
//! and records each value's smallest and largest element (min/max calibration, TFLite's
//! default). For the percentile and MSE methods ([`CalibrationMethod`]) a second pass over the
//! samples fills a histogram per value within those bounds ([`super::histogram`]), from which
//! the clipping range is chosen. A progress bar covers both passes on a terminal.

use super::histogram::Histogram;
use super::{Calibration, CalibrationMethod};
use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::reference::{Interpreter, Tensor};

/// The real interval a value's int8 grid covers ([`super::params::affine`] widens it to 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Lower bound (min/max: the smallest element).
    pub min: f32,
    /// Upper bound (min/max: the largest element).
    pub max: f32,
}

/// Runs every calibration sample through `g` (twice for the histogram methods); per value, its
/// range by `method` (`None` for constants and values no sample reached).
pub fn collect(g: &Graph, cal: &Calibration, method: CalibrationMethod) -> Result<Vec<Option<Range>>> {
    let interp = Interpreter::new(g).map_err(|e| Error::Internal(format!("calibration cannot run the graph: {e}")))?;
    let passes = if method.needs_histogram() { 2 } else { 1 };
    let bar = indicatif::ProgressBar::new((passes * cal.samples.len()) as u64).with_style(
        indicatif::ProgressStyle::with_template("calibrating ({msg}) {bar:30} {pos}/{len} sample runs")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(if passes == 2 { format!("{method}, pass 1 of 2: min/max") } else { "min/max".into() });
    let mut ranges: Vec<Option<Range>> = vec![None; g.values.len()];
    run_all(&interp, cal, &bar, |id, t| {
        let data = t.as_f32();
        let (lo, hi) = data.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        if lo <= hi {
            let r = ranges[id].get_or_insert(Range { min: lo, max: hi });
            r.min = r.min.min(lo);
            r.max = r.max.max(hi);
        }
    })?;
    if method.needs_histogram() {
        bar.set_message(format!("{method}, pass 2 of 2: histograms"));
        // Only finite ranges: a value that overflowed keeps its min/max (the f32 passes' business).
        let mut hists: Vec<Option<Histogram>> = ranges
            .iter()
            .map(|r| r.filter(|r| r.min.is_finite() && r.max.is_finite()).map(|r| Histogram::new(r.min, r.max)))
            .collect();
        run_all(&interp, cal, &bar, |id, t| {
            if let Some(h) = &mut hists[id] {
                h.add(t.as_f32());
            }
        })?;
        for (r, h) in ranges.iter_mut().zip(&hists) {
            if let (Some(r), Some(h)) = (r.as_mut(), h) {
                *r = match method {
                    CalibrationMethod::Percentile(p) => h.percentile(p),
                    CalibrationMethod::Mse => h.mse(),
                    CalibrationMethod::MinMax => *r,
                };
            }
        }
    }
    bar.finish_and_clear();
    Ok(ranges)
}

/// One pass: every sample through the interpreter, `observe(value index, tensor)` for every
/// value computed, one tick of `bar` per sample.
fn run_all(
    interp: &Interpreter,
    cal: &Calibration,
    bar: &indicatif::ProgressBar,
    mut observe: impl FnMut(usize, &Tensor),
) -> Result<()> {
    for sample in &cal.samples {
        let inputs: Vec<&[f32]> = sample.iter().map(Vec::as_slice).collect();
        interp
            .run_observed(&inputs, |id, t| observe(id.index(), t))
            .map_err(|e| Error::Internal(format!("calibration run failed: {e}")))?;
        bar.inc(1);
    }
    Ok(())
}
