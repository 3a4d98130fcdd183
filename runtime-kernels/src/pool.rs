//! 2-D pooling (max, sum, average), NCHW.

use crate::math::fmaxf;

/// Pooling flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    /// Maximum over the window's cells inside the input (`f32::max`: NaNs are ignored); `-inf`
    /// only if the window lies entirely in padding.
    Max,
    /// Sum over the window's cells inside the input (padding counts as 0).
    Sum,
    /// Average.
    Avg {
        /// Divide by `k_h * k_w` (padding counts as 0) instead of by the number of cells inside
        /// the input.
        count_include_pad: bool,
    },
}

/// Geometry of a pooling; input row `ih = oh * stride_h + kh * dil_h - pad_top` (same for
/// columns). Bottom/right padding is implied by `out_h`/`out_w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolParams {
    /// Number of planes: batch × channels.
    pub channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
    /// Window height.
    pub k_h: usize,
    /// Window width.
    pub k_w: usize,
    /// Vertical stride (>= 1).
    pub stride_h: usize,
    /// Horizontal stride (>= 1).
    pub stride_w: usize,
    /// Vertical dilation (>= 1).
    pub dil_h: usize,
    /// Horizontal dilation (>= 1).
    pub dil_w: usize,
    /// Padding rows above the input.
    pub pad_top: usize,
    /// Padding columns left of the input.
    pub pad_left: usize,
}

/// Range of window taps `k` (`0..k_len`) whose input position `o*s + k*d - pad` is in
/// `0..in_len`.
#[inline]
pub(crate) fn taps(o: usize, s: usize, d: usize, pad: usize, k_len: usize, in_len: usize) -> (usize, usize) {
    let d = d.max(1); // `d >= 1` by contract; no division by zero either way
    let start = o * s; // position of tap 0, plus pad
                       // first k with start + k*d >= pad
    let lo = if start >= pad { 0 } else { (pad - start).div_ceil(d) };
    // last k with start + k*d < pad + in_len
    let hi = if start < pad + in_len { ((pad + in_len - 1 - start) / d + 1).min(k_len) } else { 0 };
    (lo.min(hi), hi)
}

/// Pools every plane of `x` (`[channels, in_h, in_w]`) into `out` (`[channels, out_h, out_w]`).
///
/// Preconditions: strides and dilations `>= 1`; `x.len() == channels*in_h*in_w`,
/// `out.len() == channels*out_h*out_w`. Window cells are visited row by row in order.
pub fn pool2d(kind: PoolKind, p: &PoolParams, x: &[f32], out: &mut [f32]) {
    debug_assert!(p.stride_h >= 1 && p.stride_w >= 1 && p.dil_h >= 1 && p.dil_w >= 1);
    debug_assert_eq!(x.len(), p.channels * p.in_h * p.in_w);
    debug_assert_eq!(out.len(), p.channels * p.out_h * p.out_w);
    match kind {
        PoolKind::Max => run(p, x, out, f32::NEG_INFINITY, fmaxf, |acc, _| acc),
        PoolKind::Sum => run(p, x, out, 0.0, |a, v| a + v, |acc, _| acc),
        PoolKind::Avg { count_include_pad: false } => run(p, x, out, 0.0, |a, v| a + v, |acc, n| acc / n as f32),
        PoolKind::Avg { count_include_pad: true } => {
            let inv = (p.k_h * p.k_w) as f32;
            run(p, x, out, 0.0, |a, v| a + v, move |acc, _| acc / inv)
        }
    }
}

/// 1-D pooling specialised at compile time on its geometry: `x` is `[channels, W]`, `out` is
/// `[channels, OW]`; output `ow` pools the input positions `ow * S + k * D - PAD` (`k < K`) that
/// lie in `0..W`, in order of `k`, as [`pool2d`] does for a one-row input, window and output
/// (bit-identical). The compiler emits it for every 1-D pooling with constant arguments, so the
/// loops have literal bounds and the only check left is the padding test itself. No panicking
/// path: planes are fixed-size arrays (`as_chunks`), taps are `get`.
#[inline(always)]
pub fn pool1d<const W: usize, const OW: usize, const K: usize, const S: usize, const D: usize, const PAD: usize>(
    kind: PoolKind,
    x: &[f32],
    out: &mut [f32],
) {
    match kind {
        PoolKind::Max => run1d::<f32, W, OW, K, S, D, PAD>(x, out, f32::NEG_INFINITY, fmaxf, |acc, _| acc),
        PoolKind::Sum => run1d::<f32, W, OW, K, S, D, PAD>(x, out, 0.0, |a, v| a + v, |acc, _| acc),
        PoolKind::Avg { count_include_pad: false } => {
            run1d::<f32, W, OW, K, S, D, PAD>(x, out, 0.0, |a, v| a + v, |acc, n| acc / n as f32)
        }
        PoolKind::Avg { count_include_pad: true } => {
            run1d::<f32, W, OW, K, S, D, PAD>(x, out, 0.0, |a, v| a + v, |acc, _| acc / K as f32)
        }
    }
}

/// Max pooling of int8 values (quantized with the same parameters in and out, so the maximum of
/// the integers is the integer of the maximum), as [`pool1d`]'s `Max`: the window's cells inside
/// the input, `i8::MIN` for a window wholly in padding.
#[inline(always)]
pub fn max_pool1d_i8<
    const W: usize,
    const OW: usize,
    const K: usize,
    const S: usize,
    const D: usize,
    const PAD: usize,
>(
    x: &[i8],
    out: &mut [i8],
) {
    run1d::<i8, W, OW, K, S, D, PAD>(x, out, i8::MIN, |a, v| if v > a { v } else { a }, |acc, _| acc)
}

#[inline(always)]
fn run1d<T: Copy, const W: usize, const OW: usize, const K: usize, const S: usize, const D: usize, const PAD: usize>(
    x: &[T],
    out: &mut [T],
    init: T,
    comb: impl Fn(T, T) -> T,
    finish: impl Fn(T, usize) -> T,
) {
    let (xs, _) = x.as_chunks::<W>();
    let (os, _) = out.as_chunks_mut::<OW>();
    for (xr, or) in xs.iter().zip(os.iter_mut()) {
        for (ow, o) in or.iter_mut().enumerate() {
            let (mut acc, mut n) = (init, 0);
            for k in 0..K {
                // left padding wraps to a huge position, which `get` rejects like right padding
                if let Some(&v) = xr.get((ow * S + k * D).wrapping_sub(PAD)) {
                    acc = comb(acc, v);
                    n += 1;
                }
            }
            *o = finish(acc, n);
        }
    }
}

#[inline(always)]
fn run(
    p: &PoolParams,
    x: &[f32],
    out: &mut [f32],
    init: f32,
    comb: impl Fn(f32, f32) -> f32,
    finish: impl Fn(f32, usize) -> f32,
) {
    let (in_plane, out_plane) = (p.in_h * p.in_w, p.out_h * p.out_w);
    if in_plane == 0 || out_plane == 0 {
        // windows see only padding
        for o in out.iter_mut() {
            *o = finish(init, 0);
        }
        return;
    }
    let (sh, sw, dh, dw) = (p.stride_h.max(1), p.stride_w.max(1), p.dil_h.max(1), p.dil_w.max(1));
    // Planes by index with checked views (a zip of two `chunks_exact` iterators would call an
    // out-of-line `Zip::new` at opt-level "s", whose `len / chunk_size` keeps a panic path).
    for c in 0..p.channels {
        let xp = x.get(c * in_plane..(c + 1) * in_plane).unwrap_or(&[]);
        let Some(op) = out.get_mut(c * out_plane..(c + 1) * out_plane) else { break };
        for (oh, orow) in op.chunks_exact_mut(p.out_w.max(1)).enumerate() {
            let (kh0, kh1) = taps(oh, sh, dh, p.pad_top, p.k_h, p.in_h);
            for (ow, o) in orow.iter_mut().enumerate() {
                let (kw0, kw1) = taps(ow, sw, dw, p.pad_left, p.k_w, p.in_w);
                let mut acc = init;
                for kh in kh0..kh1 {
                    // `taps` keeps every position inside the plane; `get` makes that a skip, not
                    // a panic, should it ever not hold.
                    let ih = (oh * sh + kh * dh).wrapping_sub(p.pad_top);
                    let xr = xp.get(ih.wrapping_mul(p.in_w)..).unwrap_or(&[]);
                    let xr = xr.get(..p.in_w).unwrap_or(&[]);
                    let iw0 = (ow * sw + kw0 * dw).wrapping_sub(p.pad_left);
                    if dw == 1 {
                        for &v in xr.get(iw0..iw0.saturating_add(kw1 - kw0)).unwrap_or(&[]) {
                            acc = comb(acc, v);
                        }
                    } else {
                        for &v in xr.iter().skip(iw0).step_by(dw).take(kw1 - kw0) {
                            acc = comb(acc, v);
                        }
                    }
                }
                *o = finish(acc, (kh1 - kh0) * (kw1 - kw0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};
    use std::vec::Vec;

    #[test]
    fn int8_max_pooling_is_the_float_max_of_the_integers() {
        let mut r = Rng::new(7);
        let x: Vec<i8> = (0..2 * 13).map(|_| r.next_u32() as u8 as i8).collect();
        let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let (mut q, mut f) = ([0i8; 2 * 7], [0.0f32; 2 * 7]);
        // width 13, 7 outputs of 3 taps, stride 2, dilation 1, padding 1 before (and after)
        max_pool1d_i8::<13, 7, 3, 2, 1, 1>(&x, &mut q);
        pool1d::<13, 7, 3, 2, 1, 1>(PoolKind::Max, &xf, &mut f);
        let qf: Vec<f32> = q.iter().map(|&v| v as f32).collect();
        assert_eq!(qf, f.to_vec());
        // a window wholly in padding: the type's minimum
        let mut p = [0i8; 3];
        max_pool1d_i8::<1, 3, 1, 1, 1, 1>(&[5], &mut p);
        assert_eq!(p, [i8::MIN, 5, i8::MIN]);
    }

    fn naive(kind: PoolKind, p: &PoolParams, x: &[f32]) -> Vec<f32> {
        let mut out = Vec::new();
        for c in 0..p.channels {
            for oh in 0..p.out_h {
                for ow in 0..p.out_w {
                    let mut vals = Vec::new();
                    for kh in 0..p.k_h {
                        for kw in 0..p.k_w {
                            let ih = (oh * p.stride_h + kh * p.dil_h) as isize - p.pad_top as isize;
                            let iw = (ow * p.stride_w + kw * p.dil_w) as isize - p.pad_left as isize;
                            if ih >= 0 && iw >= 0 && (ih as usize) < p.in_h && (iw as usize) < p.in_w {
                                vals.push(x[(c * p.in_h + ih as usize) * p.in_w + iw as usize]);
                            }
                        }
                    }
                    let s: f32 = vals.iter().sum();
                    out.push(match kind {
                        PoolKind::Max => vals.iter().cloned().fold(f32::NEG_INFINITY, f32::max),
                        PoolKind::Sum => s,
                        PoolKind::Avg { count_include_pad: false } => s / vals.len() as f32,
                        PoolKind::Avg { count_include_pad: true } => s / (p.k_h * p.k_w) as f32,
                    });
                }
            }
        }
        out
    }

    const KINDS: [PoolKind; 4] = [
        PoolKind::Max,
        PoolKind::Sum,
        PoolKind::Avg { count_include_pad: false },
        PoolKind::Avg { count_include_pad: true },
    ];

    /// `pool1d::<W, OW, K, S, D, PAD>` against the naive reference (3 planes, every kind).
    fn check_1d<const W: usize, const OW: usize, const K: usize, const S: usize, const D: usize, const PAD: usize>(
        seed: u64,
    ) {
        let mut rng = Rng::new(seed);
        let p = PoolParams {
            channels: 3,
            in_h: 1,
            in_w: W,
            out_h: 1,
            out_w: OW,
            k_h: 1,
            k_w: K,
            stride_h: 1,
            stride_w: S,
            dil_h: 1,
            dil_w: D,
            pad_top: 0,
            pad_left: PAD,
        };
        let x: Vec<f32> = (0..3 * W).map(|_| rng.uniform(-2.0, 2.0)).collect();
        for kind in KINDS {
            let mut out = std::vec![0.0; 3 * OW];
            pool1d::<W, OW, K, S, D, PAD>(kind, &x, &mut out);
            let want = naive(kind, &p, &x);
            assert_eq!(out.len(), want.len());
            for (i, (&a, &b)) in out.iter().zip(&want).enumerate() {
                assert!(
                    a.to_bits() == b.to_bits() || (a - b).abs() <= 1e-6,
                    "{kind:?} {W} {OW} {K} {S} {D} {PAD} at {i}: {a} vs {b}"
                );
            }
            // bit-identical to the general kernel
            let mut general = std::vec![0.0; 3 * OW];
            pool2d(kind, &p, &x, &mut general);
            assert_eq!(
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                general.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn pool1d_matches_naive_on_edge_and_odd_geometries() {
        // OW = (W + PAD + right pad - D (K - 1) - 1) / S + 1
        check_1d::<60, 30, 2, 2, 1, 0>(1); // ecg-cnn's MaxPool
        check_1d::<1, 1, 1, 1, 1, 0>(2); // one element
        check_1d::<5, 1, 5, 1, 1, 0>(3); // window = input
        check_1d::<7, 7, 3, 1, 1, 1>(4); // "same" padding both sides
        check_1d::<8, 4, 3, 2, 2, 1>(5); // dilation, stride, left and right padding
        check_1d::<9, 4, 3, 2, 1, 0>(6); // odd length, stride 2, a tail left out
        check_1d::<4, 5, 4, 1, 1, 2>(7); // windows partly or mostly in padding
        check_1d::<3, 3, 3, 1, 1, 2>(8); // the first output sees one real cell
        check_1d::<13, 3, 4, 3, 3, 0>(9); // wide dilation
    }

    #[test]
    fn property_random_pools() {
        let mut rng = Rng::new(71);
        let mut done = 0;
        while done < 300 {
            let (k_h, k_w) = (1 + rng.below(4), 1 + rng.below(4));
            let (stride_h, stride_w) = (1 + rng.below(3), 1 + rng.below(3));
            let (dil_h, dil_w) = (1 + rng.below(2), 1 + rng.below(2));
            let (in_h, in_w) = (1 + rng.below(8), 1 + rng.below(8));
            let (pad_top, pad_left) = (rng.below(k_h), rng.below(k_w));
            let (pb, pr) = (rng.below(k_h), rng.below(k_w));
            let eh = in_h + pad_top + pb;
            let ew = in_w + pad_left + pr;
            let (sh, sw) = (dil_h * (k_h - 1) + 1, dil_w * (k_w - 1) + 1);
            if eh < sh || ew < sw {
                continue;
            }
            let p = PoolParams {
                channels: 1 + rng.below(3),
                in_h,
                in_w,
                out_h: (eh - sh) / stride_h + 1,
                out_w: (ew - sw) / stride_w + 1,
                k_h,
                k_w,
                stride_h,
                stride_w,
                dil_h,
                dil_w,
                pad_top,
                pad_left,
            };
            let x = rng.vec(p.channels * in_h * in_w, -5.0, 5.0);
            for kind in KINDS {
                let mut out = std::vec![f32::NAN; p.channels * p.out_h * p.out_w];
                pool2d(kind, &p, &x, &mut out);
                assert_close(&out, &naive(kind, &p, &x), 1e-6);
            }
            done += 1;
        }
    }

    #[test]
    fn global_average_and_max_with_padding() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let p = PoolParams {
            channels: 1,
            in_h: 2,
            in_w: 2,
            out_h: 1,
            out_w: 1,
            k_h: 2,
            k_w: 2,
            stride_h: 1,
            stride_w: 1,
            dil_h: 1,
            dil_w: 1,
            pad_top: 0,
            pad_left: 0,
        };
        let mut o = [0.0];
        pool2d(PoolKind::Avg { count_include_pad: false }, &p, &x, &mut o);
        assert_eq!(o, [2.5]);
        // 3x3 window, pad 1 all round, 2x2 output
        let p = PoolParams { out_h: 2, out_w: 2, k_h: 3, k_w: 3, pad_top: 1, pad_left: 1, ..p };
        let mut o = [0.0; 4];
        pool2d(PoolKind::Max, &p, &[-1.0, -2.0, -3.0, -4.0], &mut o);
        assert_eq!(o, [-1.0; 4]);
        pool2d(PoolKind::Avg { count_include_pad: true }, &p, &x, &mut o);
        assert_eq!(o, [10.0 / 9.0; 4]);
        pool2d(PoolKind::Avg { count_include_pad: false }, &p, &x, &mut o);
        assert_eq!(o, [2.5; 4]);
    }
}
