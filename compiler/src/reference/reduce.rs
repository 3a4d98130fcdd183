//! Reductions along axes: `Op::Reduce` (the reduced axes stay with extent 1), `Op::Softmax`
//! (and log-softmax) and `Op::RmsNorm` along one axis.
//!
//! Reduce visits the input in row-major order and folds each element into its output: the
//! elements of one output are therefore combined in row-major order of the reduced indices.
//! Sum/Mean/MeanOfSquares start at 0.0, Prod at 1.0, Max at −∞ and Min at +∞ (`f32::max`/`min`,
//! which skip NaN); Mean and MeanOfSquares divide by the number of reduced elements.
//! Softmax is `e^(x−m) / Σ e^(x−m)` with `m` the line's maximum, log-softmax `(x−m) − ln Σ e^(x−m)`,
//! RMS norm `x / sqrt(Σx²/n + eps)`.

use super::index::{count, offset, strides, MultiIndex};
use crate::ir::{Reduce, ReduceOp, RmsNorm, Softmax};

/// See the module docs.
pub(super) fn reduce(r: &Reduce, x: &[f32], shape: &[usize]) -> Vec<f32> {
    let mut out_shape = shape.to_vec();
    for &a in &r.axes {
        out_shape[a] = 1;
    }
    let n = (count(shape) / count(&out_shape).max(1)) as f32;
    // Reading an output index from an input index: reduced axes contribute nothing.
    let mut to_out = strides(&out_shape);
    for &a in &r.axes {
        to_out[a] = 0;
    }
    let init = match r.op {
        ReduceOp::Sum | ReduceOp::Mean | ReduceOp::MeanOfSquares => 0.0,
        ReduceOp::Prod => 1.0,
        ReduceOp::Max => f32::NEG_INFINITY,
        ReduceOp::Min => f32::INFINITY,
    };
    let mut out = vec![init; count(&out_shape)];
    let mut it = MultiIndex::new(shape);
    let mut i = 0;
    while let Some(idx) = it.next_index() {
        let (acc, v) = (&mut out[offset(idx, &to_out)], x[i]);
        *acc = match r.op {
            ReduceOp::Sum | ReduceOp::Mean => *acc + v,
            ReduceOp::MeanOfSquares => *acc + v * v,
            ReduceOp::Prod => *acc * v,
            ReduceOp::Max => acc.max(v),
            ReduceOp::Min => acc.min(v),
        };
        i += 1;
    }
    if matches!(r.op, ReduceOp::Mean | ReduceOp::MeanOfSquares) {
        for o in &mut out {
            *o /= n;
        }
    }
    out
}

/// Calls `line` with the offsets of every line along `axis` (each line's elements in order).
fn for_each_line(shape: &[usize], axis: usize, mut line: impl FnMut(&[usize])) {
    let outer = count(&shape[..axis]);
    let len = shape[axis];
    let inner = count(&shape[axis + 1..]);
    let mut offs = vec![0usize; len];
    for o in 0..outer {
        for i in 0..inner {
            for (t, off) in offs.iter_mut().enumerate() {
                *off = (o * len + t) * inner + i;
            }
            line(&offs);
        }
    }
}

/// See the module docs.
pub(super) fn softmax(s: &Softmax, x: &[f32], shape: &[usize]) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    for_each_line(shape, s.axis, |offs| {
        let m = offs.iter().fold(f32::NEG_INFINITY, |m, &i| m.max(x[i]));
        let sum: f32 = offs.iter().fold(0.0, |acc, &i| acc + (x[i] - m).exp());
        for &i in offs {
            out[i] = if s.log { (x[i] - m) - sum.ln() } else { (x[i] - m).exp() / sum };
        }
    });
    out
}

/// See the module docs.
pub(super) fn rms_norm(r: &RmsNorm, x: &[f32], shape: &[usize]) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    let n = shape[r.axis] as f32;
    for_each_line(shape, r.axis, |offs| {
        let sq: f32 = offs.iter().fold(0.0, |acc, &i| acc + x[i] * x[i]);
        let d = (sq / n + r.eps).sqrt();
        for &i in offs {
            out[i] = x[i] / d;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x [2, 3, 2] = 0..12 scaled; every op over axis sets by direct f64 formulas.
    #[test]
    fn reductions_over_axis_sets_match_direct_sums() {
        let x: Vec<f32> = (0..12).map(|i| (i as f32 - 5.0) * 0.5).collect();
        let at = |a: usize, b: usize, c: usize| x[a * 6 + b * 2 + c] as f64;
        // axes [1]: out [2, 1, 2]
        let vals = |a: usize, c: usize| (0..3).map(move |b| at(a, b, c));
        for (op, f) in [
            (ReduceOp::Sum, &(|v: Vec<f64>| v.iter().sum::<f64>()) as &dyn Fn(Vec<f64>) -> f64),
            (ReduceOp::Mean, &|v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64),
            (ReduceOp::Max, &|v: Vec<f64>| v.iter().cloned().fold(f64::MIN, f64::max)),
            (ReduceOp::Min, &|v: Vec<f64>| v.iter().cloned().fold(f64::MAX, f64::min)),
            (ReduceOp::Prod, &|v: Vec<f64>| v.iter().product::<f64>()),
            (ReduceOp::MeanOfSquares, &|v: Vec<f64>| v.iter().map(|t| t * t).sum::<f64>() / v.len() as f64),
        ] {
            let got = reduce(&Reduce { op, axes: vec![1] }, &x, &[2, 3, 2]);
            for a in 0..2 {
                for c in 0..2 {
                    let want = f(vals(a, c).collect());
                    assert!((got[a * 2 + c] as f64 - want).abs() < 1e-6, "{op:?} [{a},0,{c}]");
                }
            }
        }
        // axes [0, 2]: out [1, 3, 1]
        let got = reduce(&Reduce { op: ReduceOp::Sum, axes: vec![0, 2] }, &x, &[2, 3, 2]);
        for (b, g) in got.iter().enumerate() {
            let want: f64 = (0..2).flat_map(|a| (0..2).map(move |c| (a, c))).map(|(a, c)| at(a, b, c)).sum();
            assert_eq!(*g as f64, want);
        }
    }

    #[test]
    fn softmax_log_softmax_and_rms_norm_along_a_middle_axis() {
        let x: Vec<f32> = (0..12).map(|i| ((i * 5 % 7) as f32 - 3.0) * 0.7).collect();
        let shape = [2, 3, 2];
        let sm = softmax(&Softmax { axis: 1, log: false }, &x, &shape);
        let lsm = softmax(&Softmax { axis: 1, log: true }, &x, &shape);
        let rn = rms_norm(&RmsNorm { axis: 1, eps: 0.1 }, &x, &shape);
        for a in 0..2 {
            for c in 0..2 {
                let line: Vec<f64> = (0..3).map(|b| x[a * 6 + b * 2 + c] as f64).collect();
                let z: f64 = line.iter().map(|v| v.exp()).sum();
                let ms: f64 = line.iter().map(|v| v * v).sum::<f64>() / 3.0;
                for (b, v) in line.iter().enumerate() {
                    let i = a * 6 + b * 2 + c;
                    assert!((sm[i] as f64 - v.exp() / z).abs() < 1e-6);
                    assert!((lsm[i] as f64 - (v - z.ln())).abs() < 1e-6);
                    assert!((rn[i] as f64 - v / (ms + 0.1).sqrt()).abs() < 1e-6);
                }
            }
        }
        // large inputs do not overflow (the maximum is subtracted)
        let big = softmax(&Softmax { axis: 0, log: false }, &[1000.0, 1000.0], &[2]);
        assert_eq!(big, vec![0.5, 0.5]);
    }
}
