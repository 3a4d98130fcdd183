//! Normalisations along one axis: softmax, log-softmax, RMS norm.

use crate::math::{expf, fmaxf, logf, sqrtf};
use crate::nd::{sum, sum_sq};

/// `x` viewed as `[outer, len, inner]`; the operation runs along `len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisParams {
    /// Product of the axes before the normalised one.
    pub outer: usize,
    /// Length of the normalised axis.
    pub len: usize,
    /// Product of the axes after the normalised one.
    pub inner: usize,
}

/// Runs `f(x_line, out_line)` for every line along the axis. Contiguous lines (`inner == 1`) go
/// through `contig`, strided ones through `strided` with the line's start and stride.
#[inline(always)]
fn for_lines(
    p: &AxisParams,
    x: &[f32],
    out: &mut [f32],
    contig: impl Fn(&[f32], &mut [f32]),
    strided: impl Fn(&[f32], &mut [f32], usize),
) {
    debug_assert_eq!(x.len(), p.outer * p.len * p.inner);
    debug_assert_eq!(out.len(), x.len());
    if p.len == 0 || p.inner == 0 {
        return;
    }
    // Lines by index with checked views: no panicking path (a zip of two `chunks_exact`
    // iterators would call an out-of-line `Zip::new` at opt-level "s", whose `len / chunk_size`
    // keeps one).
    let block = p.len * p.inner;
    for b in 0..p.outer {
        let xb = x.get(b * block..(b + 1) * block).unwrap_or(&[]);
        let Some(ob) = out.get_mut(b * block..(b + 1) * block) else { break };
        if p.inner == 1 {
            contig(xb, ob);
        } else {
            for j in 0..p.inner {
                if let (Some(xl), Some(ol)) = (xb.get(j..), ob.get_mut(j..)) {
                    strided(xl, ol, p.inner.max(1));
                }
            }
        }
    }
}

#[inline(always)]
fn max_of<'a>(it: impl Iterator<Item = &'a f32>) -> f32 {
    it.fold(f32::NEG_INFINITY, |m, &v| fmaxf(m, v))
}

/// Softmax along the axis: `out = e^(x - max) / Σ e^(x - max)`.
///
/// Preconditions: `x.len() == out.len() == outer * len * inner`. Lines of all `-inf` give NaN
/// (as ONNX); a NaN in a line makes the whole line NaN.
pub fn softmax(p: &AxisParams, x: &[f32], out: &mut [f32]) {
    for_lines(
        p,
        x,
        out,
        |xr, or| {
            let m = max_of(xr.iter());
            for (o, &v) in or.iter_mut().zip(xr) {
                *o = expf(v - m);
            }
            let inv = 1.0 / sum(or);
            for o in or.iter_mut() {
                *o *= inv;
            }
        },
        |xs, os, st| {
            let n = p.len;
            let m = max_of(xs.iter().step_by(st).take(n));
            let mut s = 0.0f32;
            for (o, &v) in os.iter_mut().step_by(st).take(n).zip(xs.iter().step_by(st)) {
                *o = expf(v - m);
                s += *o;
            }
            let inv = 1.0 / s;
            for o in os.iter_mut().step_by(st).take(n) {
                *o *= inv;
            }
        },
    );
}

/// Log-softmax along the axis: `out = (x - max) - ln Σ e^(x - max)`.
///
/// Preconditions: as [`softmax`].
pub fn log_softmax(p: &AxisParams, x: &[f32], out: &mut [f32]) {
    for_lines(
        p,
        x,
        out,
        |xr, or| {
            let m = max_of(xr.iter());
            for (o, &v) in or.iter_mut().zip(xr) {
                *o = v - m;
            }
            let mut s = 0.0f32;
            for &o in or.iter() {
                s += expf(o);
            }
            let ls = logf(s);
            for o in or.iter_mut() {
                *o -= ls;
            }
        },
        |xs, os, st| {
            let n = p.len;
            let m = max_of(xs.iter().step_by(st).take(n));
            let mut s = 0.0f32;
            for &v in xs.iter().step_by(st).take(n) {
                s += expf(v - m);
            }
            let ls = logf(s);
            for (o, &v) in os.iter_mut().step_by(st).take(n).zip(xs.iter().step_by(st)) {
                *o = (v - m) - ls;
            }
        },
    );
}

/// RMS normalisation along the axis: `out = x / sqrt(mean(x²) + eps)` (computed as `x` times the
/// reciprocal). Any scale/bias is applied by separate kernels.
///
/// Preconditions: as [`softmax`].
pub fn rms_norm(p: &AxisParams, eps: f32, x: &[f32], out: &mut [f32]) {
    let inv_len = 1.0 / p.len as f32;
    for_lines(
        p,
        x,
        out,
        |xr, or| {
            let scale = 1.0 / sqrtf(sum_sq(xr) * inv_len + eps);
            for (o, &v) in or.iter_mut().zip(xr) {
                *o = v * scale;
            }
        },
        |xs, os, st| {
            let n = p.len;
            let mut s = 0.0f32;
            for &v in xs.iter().step_by(st).take(n) {
                s += v * v;
            }
            let scale = 1.0 / sqrtf(s * inv_len + eps);
            for (o, &v) in os.iter_mut().step_by(st).take(n).zip(xs.iter().step_by(st)) {
                *o = v * scale;
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};
    use std::vec::Vec;

    /// Naive reference along the axis with std math.
    fn naive(p: &AxisParams, x: &[f32], f: impl Fn(&[f32]) -> Vec<f32>) -> Vec<f32> {
        let mut out = std::vec![0.0; x.len()];
        for o in 0..p.outer {
            for i in 0..p.inner {
                let line: Vec<f32> = (0..p.len).map(|l| x[(o * p.len + l) * p.inner + i]).collect();
                for (l, v) in f(&line).into_iter().enumerate() {
                    out[(o * p.len + l) * p.inner + i] = v;
                }
            }
        }
        out
    }

    fn ref_softmax(l: &[f32]) -> Vec<f32> {
        let m = l.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = l.iter().map(|v| (v - m).exp()).collect();
        let s: f32 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    }

    fn ref_log_softmax(l: &[f32]) -> Vec<f32> {
        let m = l.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let s: f32 = l.iter().map(|v| (v - m).exp()).sum();
        l.iter().map(|v| v - m - s.ln()).collect()
    }

    fn ref_rms(l: &[f32], eps: f32) -> Vec<f32> {
        let ms: f32 = l.iter().map(|v| v * v).sum::<f32>() / l.len() as f32;
        l.iter().map(|v| v / (ms + eps).sqrt()).collect()
    }

    #[test]
    fn property_against_naive() {
        let mut rng = Rng::new(31);
        for _ in 0..200 {
            let p = AxisParams { outer: 1 + rng.below(3), len: 1 + rng.below(40), inner: 1 + rng.below(3) };
            let x = rng.vec(p.outer * p.len * p.inner, -30.0, 30.0);
            let mut out = std::vec![0.0; x.len()];
            softmax(&p, &x, &mut out);
            assert_close(&out, &naive(&p, &x, ref_softmax), 1e-6);
            log_softmax(&p, &x, &mut out);
            assert_close(&out, &naive(&p, &x, ref_log_softmax), 2e-6);
            rms_norm(&p, 1e-5, &x, &mut out);
            assert_close(&out, &naive(&p, &x, |l| ref_rms(l, 1e-5)), 2e-6);
        }
    }

    #[test]
    fn softmax_is_stable_for_large_inputs() {
        let p = AxisParams { outer: 1, len: 3, inner: 1 };
        let x = [1000.0, 1000.0, -1000.0];
        let mut out = [0.0; 3];
        softmax(&p, &x, &mut out);
        assert_eq!(out, [0.5, 0.5, 0.0]);
        log_softmax(&p, &x, &mut out);
        assert_close(
            &out,
            &[-core::f32::consts::LN_2, -core::f32::consts::LN_2, -2000.0 - core::f32::consts::LN_2],
            1e-6,
        );
    }

    #[test]
    fn degenerate_shapes() {
        let mut out: [f32; 0] = [];
        softmax(&AxisParams { outer: 3, len: 0, inner: 2 }, &[], &mut out);
        let p = AxisParams { outer: 2, len: 1, inner: 2 };
        let mut o = [0.0; 4];
        softmax(&p, &[5.0, -1.0, 3.0, 7.0], &mut o);
        assert_eq!(o, [1.0; 4]);
    }
}
