//! Reductions over arbitrary (strided) axes.

use crate::math::{fmaxf, fminf};
use crate::nd::{at, sum, sum_sq, Rows};

/// The reduction applied over the reduced axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    /// `Σ x` (0 for an empty reduction)
    Sum,
    /// `Σ x / count` (NaN for an empty reduction)
    Mean,
    /// `f32::max` fold from `-inf` (NaNs are ignored)
    Max,
    /// `f32::min` fold from `+inf` (NaNs are ignored)
    Min,
    /// `Π x` (1 for an empty reduction)
    Prod,
    /// `Σ x² / count`
    MeanOfSquares,
}

/// Index spaces of a reduction. Offsets into `x` are `out_strides · o + red_strides · r` for an
/// output multi-index `o` over `out_shape` and a reduced multi-index `r` over `red_shape`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReduceParams<'a> {
    /// Output shape (the output is contiguous row-major over it).
    pub out_shape: &'a [usize],
    /// Strides in `x` of the output axes (`out_shape.len()` entries).
    pub out_strides: &'a [isize],
    /// Shape of the reduced index space.
    pub red_shape: &'a [usize],
    /// Strides in `x` of the reduced axes (`red_shape.len()` entries).
    pub red_strides: &'a [isize],
}

/// `out[o] = op over r of x[out_strides·o + red_strides·r]`.
///
/// Preconditions: stride slices match their shapes' ranks; `out.len()` is the product of
/// `out_shape`; every index lies inside `x`.
///
/// The reduced elements of each output are combined in row-major order of `red_shape`, except
/// that contiguous runs of a `Sum`/`Mean`/`MeanOfSquares` are summed with 8 interleaved partial
/// sums. When the output's innermost axis is contiguous in `x` and the reduced one is not
/// (e.g. reducing the channels of NCHW), whole output rows are accumulated at once.
pub fn reduce(op: ReduceOp, p: &ReduceParams, x: &[f32], out: &mut [f32]) {
    debug_assert_eq!(p.out_strides.len(), p.out_shape.len());
    debug_assert_eq!(p.red_strides.len(), p.red_shape.len());
    debug_assert_eq!(out.len(), p.out_shape.iter().product::<usize>());
    let count = p.red_shape.iter().product::<usize>() as f32;
    let fold_max = |acc: f32, s: &[f32]| s.iter().fold(acc, |a, &v| fmaxf(a, v));
    let fold_min = |acc: f32, s: &[f32]| s.iter().fold(acc, |a, &v| fminf(a, v));
    match op {
        ReduceOp::Sum => run(p, x, out, 0.0, |a, v| a + v, |a, s| a + sum(s), |a| a),
        ReduceOp::Mean => run(p, x, out, 0.0, |a, v| a + v, |a, s| a + sum(s), |a| a / count),
        ReduceOp::Max => run(p, x, out, f32::NEG_INFINITY, fmaxf, fold_max, |a| a),
        ReduceOp::Min => run(p, x, out, f32::INFINITY, fminf, fold_min, |a| a),
        ReduceOp::Prod => run(p, x, out, 1.0, |a, v| a * v, |a, s| s.iter().fold(a, |a, &v| a * v), |a| a),
        ReduceOp::MeanOfSquares => run(p, x, out, 0.0, |a, v| a + v * v, |a, s| a + sum_sq(s), |a| a / count),
    }
}

/// A reduction specialised at compile time on its geometry (one output axis, one reduced axis,
/// after the compiler merged axes): `out[o] = op over r < R of x[o * OS + r * RS]` for `o < O`.
/// Same order of combination as [`reduce`] (bit-identical): a contiguous run (`RS == 1`) of a
/// `Sum`/`Mean`/`MeanOfSquares` in 8 interleaved partial sums, anything else in order of `r`. The
/// compiler emits it for every reduction of that shape, so the loops have literal bounds and
/// strides; no panicking path (checked `get`, which folds away on those constants).
#[inline(always)]
pub fn reduce1<const O: usize, const OS: usize, const R: usize, const RS: usize>(
    op: ReduceOp,
    x: &[f32],
    out: &mut [f32],
) {
    let count = R as f32;
    let fold_max = |acc: f32, s: &[f32]| s.iter().fold(acc, |a, &v| fmaxf(a, v));
    let fold_min = |acc: f32, s: &[f32]| s.iter().fold(acc, |a, &v| fminf(a, v));
    match op {
        ReduceOp::Sum => run1::<O, OS, R, RS>(x, out, 0.0, |a, v| a + v, |a, s| a + sum(s), |a| a),
        ReduceOp::Mean => run1::<O, OS, R, RS>(x, out, 0.0, |a, v| a + v, |a, s| a + sum(s), |a| a / count),
        ReduceOp::Max => run1::<O, OS, R, RS>(x, out, f32::NEG_INFINITY, fmaxf, fold_max, |a| a),
        ReduceOp::Min => run1::<O, OS, R, RS>(x, out, f32::INFINITY, fminf, fold_min, |a| a),
        ReduceOp::Prod => {
            run1::<O, OS, R, RS>(x, out, 1.0, |a, v| a * v, |a, s| s.iter().fold(a, |a, &v| a * v), |a| a)
        }
        ReduceOp::MeanOfSquares => {
            run1::<O, OS, R, RS>(x, out, 0.0, |a, v| a + v * v, |a, s| a + sum_sq(s), |a| a / count)
        }
    }
}

#[inline(always)]
fn run1<const O: usize, const OS: usize, const R: usize, const RS: usize>(
    x: &[f32],
    out: &mut [f32],
    init: f32,
    comb: impl Fn(f32, f32) -> f32,
    comb_slice: impl Fn(f32, &[f32]) -> f32,
    finish: impl Fn(f32) -> f32,
) {
    for (o, dst) in out.iter_mut().take(O).enumerate() {
        let base = o * OS;
        let acc = if RS == 1 {
            comb_slice(init, x.get(base..base + R).unwrap_or(&[]))
        } else {
            let mut acc = init;
            for r in 0..R {
                acc = comb(acc, x.get(base + r * RS).copied().unwrap_or(init));
            }
            acc
        };
        *dst = finish(acc);
    }
}

#[inline(always)]
fn run(
    p: &ReduceParams,
    x: &[f32],
    out: &mut [f32],
    init: f32,
    comb: impl Fn(f32, f32) -> f32,
    comb_slice: impl Fn(f32, &[f32]) -> f32,
    finish: impl Fn(f32) -> f32,
) {
    let outs = Rows::new(p.out_shape, [None, Some(p.out_strides)], [0, 0]);
    let red = Rows::new(p.red_shape, [Some(p.red_strides)], [0]);
    let (n, [_, sx]) = (outs.n, outs.inner);
    let (nr, [sr]) = (red.n, red.inner);
    // Every access is checked (`get`, iterators): an index outside `x` or `out` (which the
    // preconditions exclude) is skipped, never a panic. With the compiler's constant parameters
    // the checks fold away.
    if sx == 1 && sr != 1 && n > 1 {
        // Row-at-a-time: out_row[j] = comb(out_row[j], x[base + r + j]) for each reduced r.
        for [oo, xo] in outs {
            let Some(row) = out.get_mut(oo as usize..(oo as usize).saturating_add(n)) else { continue };
            row.fill(init);
            for [ro] in red {
                for t in 0..nr {
                    let s = at(xo + ro, t, sr);
                    let Some(xs) = x.get(s..s.saturating_add(n)) else { continue };
                    for (a, &v) in row.iter_mut().zip(xs) {
                        *a = comb(*a, v);
                    }
                }
            }
            for a in row.iter_mut() {
                *a = finish(*a);
            }
        }
    } else {
        for [oo, xo] in outs {
            let dsts = out.iter_mut().skip(oo as usize).take(n);
            for (j, dst) in dsts.enumerate() {
                let base = xo + j as isize * sx;
                let mut acc = init;
                for [ro] in red {
                    let s = base + ro;
                    if sr == 1 {
                        let s = s as usize;
                        acc = comb_slice(acc, x.get(s..s.saturating_add(nr)).unwrap_or(&[]));
                    } else {
                        for t in 0..nr {
                            acc = comb(acc, x.get(at(s, t, sr)).copied().unwrap_or(init));
                        }
                    }
                }
                *dst = finish(acc);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, indices, offset, rand_shape, row_major, Rng};
    use std::vec::Vec;

    const OPS: [ReduceOp; 6] =
        [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod, ReduceOp::MeanOfSquares];

    fn naive(op: ReduceOp, p: &ReduceParams, x: &[f32]) -> Vec<f32> {
        let rs = indices(p.red_shape);
        indices(p.out_shape)
            .iter()
            .map(|o| {
                let vals: Vec<f64> =
                    rs.iter().map(|r| x[offset(offset(0, o, p.out_strides), r, p.red_strides)] as f64).collect();
                let n = vals.len() as f64;
                (match op {
                    ReduceOp::Sum => vals.iter().sum(),
                    ReduceOp::Mean => vals.iter().sum::<f64>() / n,
                    ReduceOp::Max => vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                    ReduceOp::Min => vals.iter().cloned().fold(f64::INFINITY, f64::min),
                    ReduceOp::Prod => vals.iter().product(),
                    ReduceOp::MeanOfSquares => vals.iter().map(|v| v * v).sum::<f64>() / n,
                }) as f32
            })
            .collect()
    }

    /// `reduce1::<O, OS, R, RS>` against the naive reference and, bit for bit, [`reduce`].
    fn check_1<const O: usize, const OS: usize, const R: usize, const RS: usize>(seed: u64) {
        let mut rng = Rng::new(seed);
        let len = if O * R == 0 { 0 } else { (O - 1) * OS + (R - 1) * RS + 1 };
        let x: Vec<f32> = (0..len).map(|_| rng.uniform(0.5, 1.5)).collect();
        let p =
            ReduceParams { out_shape: &[O], out_strides: &[OS as isize], red_shape: &[R], red_strides: &[RS as isize] };
        for op in OPS {
            let mut got = std::vec![f32::NAN; O];
            reduce1::<O, OS, R, RS>(op, &x, &mut got);
            assert_close(&got, &naive(op, &p, &x), 1e-5);
            let mut general = std::vec![f32::NAN; O];
            reduce(op, &p, &x, &mut general);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&general), "{op:?} O={O} OS={OS} R={R} RS={RS}");
        }
    }

    #[test]
    fn reduce1_matches_naive_and_reduce_on_edge_and_odd_geometries() {
        check_1::<16, 30, 30, 1>(1); // ecg-cnn's mean over time: contiguous runs
        check_1::<128, 1, 500, 128>(2); // s4d: over time, channels innermost (strided)
        check_1::<1, 0, 128, 1>(3); // everything into a scalar
        check_1::<1, 0, 1, 0>(4); // one element
        check_1::<7, 1, 1, 7>(5); // reduced axis of length 1
        check_1::<3, 1, 1031, 3>(6); // long strided sum, odd length
        check_1::<5, 600, 600, 1>(7); // long contiguous runs (more than one 8-lane block)
        check_1::<6, 1, 20, 6>(8);
    }

    /// A tensor of `shape`, with a random subset of axes reduced (keepdims-free), strides from a
    /// random permutation of the storage order.
    #[test]
    fn property_random_axes() {
        let mut rng = Rng::new(41);
        for iter in 0..400 {
            let rank = 1 + rng.below(5);
            let shape = rand_shape(&mut rng, rank, 5);
            let mut perm: Vec<usize> = (0..rank).collect();
            for i in (1..rank).rev() {
                let j = rng.below(i + 1);
                perm.swap(i, j);
            }
            let pshape: Vec<usize> = perm.iter().map(|&d| shape[d]).collect();
            let prm = row_major(&pshape);
            let mut st = std::vec![0isize; rank];
            for (k, &d) in perm.iter().enumerate() {
                st[d] = prm[k];
            }
            let (mut os, mut ost, mut rsh, mut rst) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for d in 0..rank {
                if rng.below(2) == 0 {
                    rsh.push(shape[d]);
                    rst.push(st[d]);
                } else {
                    os.push(shape[d]);
                    ost.push(st[d]);
                }
            }
            let x = rng.vec(shape.iter().product(), 0.5, 1.5);
            let p = ReduceParams { out_shape: &os, out_strides: &ost, red_shape: &rsh, red_strides: &rst };
            let op = OPS[iter % OPS.len()];
            let mut out = std::vec![0.0; os.iter().product()];
            reduce(op, &p, &x, &mut out);
            assert_close(&out, &naive(op, &p, &x), 2e-5);
        }
    }

    #[test]
    fn nchw_channel_and_spatial_reductions() {
        let mut rng = Rng::new(42);
        let x = rng.vec(2 * 3 * 4 * 5, -2.0, 2.0);
        // ReduceMean over C (row-at-a-time path)
        let p = ReduceParams { out_shape: &[2, 20], out_strides: &[60, 1], red_shape: &[3], red_strides: &[20] };
        let mut out = std::vec![0.0; 40];
        reduce(ReduceOp::Mean, &p, &x, &mut out);
        assert_close(&out, &naive(ReduceOp::Mean, &p, &x), 1e-6);
        // GlobalAveragePool (contiguous reduction path)
        let p = ReduceParams { out_shape: &[6], out_strides: &[20], red_shape: &[20], red_strides: &[1] };
        let mut out = std::vec![0.0; 6];
        for op in OPS {
            reduce(op, &p, &x, &mut out);
            assert_close(&out, &naive(op, &p, &x), 1e-5);
        }
    }

    #[test]
    fn empty_and_full_reductions() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let mut o = [0.0; 2];
        let p = ReduceParams { out_shape: &[2], out_strides: &[2], red_shape: &[0], red_strides: &[1] };
        reduce(ReduceOp::Sum, &p, &x, &mut o);
        assert_eq!(o, [0.0, 0.0]);
        reduce(ReduceOp::Prod, &p, &x, &mut o);
        assert_eq!(o, [1.0, 1.0]);
        reduce(ReduceOp::Max, &p, &x, &mut o);
        assert_eq!(o, [f32::NEG_INFINITY; 2]);
        let mut one = [0.0];
        let p = ReduceParams { out_shape: &[], out_strides: &[], red_shape: &[2, 2], red_strides: &[1, 2] };
        reduce(ReduceOp::Prod, &p, &x, &mut one);
        assert_eq!(one, [24.0]);
        reduce(ReduceOp::Max, &p, &[1.0, f32::NAN, 3.0, 2.0], &mut one);
        assert_eq!(one, [3.0]);
    }
}
