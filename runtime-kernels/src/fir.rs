//! Depthwise 1-D convolution of any length (a FIR filter per channel): S4D's convolution form,
//! long causal filters, with the geometry as const generics.
//!
//! `out[c][o] = bias[c] + Σ_k w[c][k] · x[c][o·S + k·D − P]` over the taps whose input lies
//! inside `x` (zero padding elsewhere).
//!
//! Outputs run in tiles of 8, taps in groups of 16: a group is 16 taps × 8 outputs with 8 scalar
//! accumulators, reading one input window of `WB = 7S + 15D + 1` elements (a fixed-size array,
//! so no bounds checks) — for `S = D = 1`, 23 input and 16 weight loads per 128
//! multiply-accumulates. Groups wholly in the padding are skipped (a causal S4D kernel as long
//! as the sequence has padding for half its taps); a group partly in it reads its window with
//! zeros there. The last outputs of a row (fewer than 8) are summed one by one. Every output is summed from `bias` over its taps in ascending `k` (filters longer than
//! 64 taps: each block of 64 summed from zero, then added), exactly as
//! [`conv2d`](crate::conv::conv2d) does, so the two agree bit for bit.

/// `out = x * w` per channel as in the module docs, for every channel row of `x` (`L` floats)
/// and `out` (`OL` floats), the channels' filters `w` (`K` taps each, the ONNX layout
/// `[C, 1, K]`) reused cyclically over batch items, and `bias` (empty, or one per filter).
///
/// `WB` must be `7·S + 15·D + 1` and `W1` `7·S + 1` (the compiler computes them; other values do
/// not compile). Preconditions: `x.len() / L == out.len() / OL`; outside them the kernel writes
/// less, never panics.
pub fn depthwise<
    const K: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const WB: usize,
    const W1: usize,
>(
    x: &[f32],
    w: &[[[f32; K]; 1]],
    bias: &[f32],
    out: &mut [f32],
) {
    const {
        assert!(K >= 1 && S >= 1 && D >= 1 && WB == 7 * S + (G - 1) * D + 1 && W1 == 7 * S + 1, "fir: bad window");
    }
    let (rows, _) = x.as_chunks::<L>();
    let (out_rows, _) = out.as_chunks_mut::<OL>();
    if w.is_empty() {
        return;
    }
    for (c, (xr, or)) in rows.iter().zip(out_rows.iter_mut()).enumerate() {
        let f = c % w.len();
        let Some([wc]) = w.get(f) else { continue };
        let b = bias.get(f).copied().unwrap_or(0.0);
        row::<K, S, D, P, L, OL, WB, W1>(xr, wc, b, or);
    }
}

/// First valid tap of output `o`: the smallest `k` with `o·S + k·D >= P`.
#[inline(always)]
const fn lo<const S: usize, const D: usize, const P: usize>(o: usize) -> usize {
    if o * S >= P {
        0
    } else {
        (P - o * S).div_ceil(D)
    }
}

/// One past the last valid tap of output `o`: taps with `o·S + k·D − P < L`, at most `K`.
#[inline(always)]
const fn hi<const K: usize, const S: usize, const D: usize, const P: usize, const L: usize>(o: usize) -> usize {
    let end = L + P; // o·S + k·D < L + P
    if o * S >= end {
        0
    } else {
        let n = (end - o * S).div_ceil(D);
        if n < K {
            n
        } else {
            K
        }
    }
}

/// Adds the valid taps of output `o` within `ks` to `acc`, one by one in ascending `k` (an
/// index outside `x` adds nothing).
#[inline(always)]
fn out_taps<const K: usize, const S: usize, const D: usize, const P: usize, const L: usize>(
    x: &[f32; L],
    w: &[f32; K],
    o: usize,
    ks: &core::ops::Range<usize>,
    acc: &mut f32,
) {
    let (from, to) = (lo::<S, D, P>(o).max(ks.start), hi::<K, S, D, P, L>(o).min(ks.end));
    for k in from..to {
        if let (Some(&wv), Some(&xv)) = (w.get(k), x.get((o * S + k * D).wrapping_sub(P))) {
            *acc += wv * xv;
        }
    }
}

/// `x[base + i]` for `i < N`, reading zeros where `base + i` (as a signed index) falls outside
/// `x`: the window of a tile whose taps reach into the padding. Inside `x` it is a reference,
/// not a copy.
#[inline(always)]
fn window<'a, const L: usize, const N: usize>(x: &'a [f32; L], base: isize, buf: &'a mut [f32; N]) -> &'a [f32; N] {
    if base >= 0 {
        if let Some(w) = x.get(base as usize..).and_then(|r| r.first_chunk::<N>()) {
            return w;
        }
    }
    for (i, v) in buf.iter_mut().enumerate() {
        let at = base + i as isize;
        *v = if at >= 0 { x.get(at as usize).copied().unwrap_or(0.0) } else { 0.0 };
    }
    buf
}

/// Adds taps `ks` of outputs `o0 .. o0 + 8` to `acc`, each output's in ascending `k`: groups of
/// 16 taps × 8 outputs, then single taps × 8 outputs. A group whose window reaches into the
/// padding reads zeros there (adding `w · 0`, which leaves a finite sum unchanged: weights are
/// finite, the compiler checks); a group with no valid tap for any of the 8 outputs is skipped.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile_taps<
    const K: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const WB: usize,
    const W1: usize,
>(
    x: &[f32; L],
    w: &[f32; K],
    o0: usize,
    ks: &core::ops::Range<usize>,
    acc: &mut [f32; 8],
) {
    // taps some output of the tile has: [first, last)
    let (first, last) = (lo::<S, D, P>(o0 + 7).max(ks.start), hi::<K, S, D, P, L>(o0).min(ks.end));
    let [mut s0, mut s1, mut s2, mut s3, mut s4, mut s5, mut s6, mut s7] = *acc;
    let mut k = ks.start;
    let mut buf = [0.0f32; WB];
    while k + G <= ks.end {
        if k + G > first && k < last {
            let base = (o0 * S + k * D) as isize - P as isize;
            if let Some(wb) = w.get(k..).and_then(|r| r.first_chunk::<G>()) {
                let win = window::<L, WB>(x, base, &mut buf);
                // the 16 taps written out, so every index is a constant below WB
                macro_rules! tap {
                    ($($t:literal),*) => {$(
                        let (wv, i) = (wb[$t], $t * D);
                        s0 += wv * win[i];
                        s1 += wv * win[i + S];
                        s2 += wv * win[i + 2 * S];
                        s3 += wv * win[i + 3 * S];
                        s4 += wv * win[i + 4 * S];
                        s5 += wv * win[i + 5 * S];
                        s6 += wv * win[i + 6 * S];
                        s7 += wv * win[i + 7 * S];
                    )*};
                }
                tap!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            }
        }
        k += G;
    }
    let mut buf1 = [0.0f32; W1];
    while k < ks.end {
        if k >= first && k < last {
            let base = (o0 * S + k * D) as isize - P as isize;
            if let Some(&wv) = w.get(k) {
                let win = window::<L, W1>(x, base, &mut buf1);
                s0 += wv * win[0];
                s1 += wv * win[S];
                s2 += wv * win[2 * S];
                s3 += wv * win[3 * S];
                s4 += wv * win[4 * S];
                s5 += wv * win[5 * S];
                s6 += wv * win[6 * S];
                s7 += wv * win[7 * S];
            }
        }
        k += 1;
    }
    *acc = [s0, s1, s2, s3, s4, s5, s6, s7];
}

/// Taps per group (a group is `G` taps × 8 outputs).
const G: usize = 16;

/// Taps per block of a long filter: each block is summed from zero and then added, as
/// [`conv2d`](crate::conv::conv2d) does for rows longer than this (bounding rounding-error
/// growth).
const BLOCK: usize = 64;

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn row<
    const K: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const WB: usize,
    const W1: usize,
>(
    x: &[f32; L],
    w: &[f32; K],
    bias: f32,
    out: &mut [f32; OL],
) {
    let (tiles, rest) = out.as_chunks_mut::<8>();
    for (t, ot) in tiles.iter_mut().enumerate() {
        let o0 = 8 * t;
        let mut acc = [bias; 8];
        if K <= BLOCK {
            tile_taps::<K, S, D, P, L, WB, W1>(x, w, o0, &(0..K), &mut acc);
        } else {
            for kb in (0..K).step_by(BLOCK) {
                let mut part = [0.0f32; 8];
                tile_taps::<K, S, D, P, L, WB, W1>(x, w, o0, &(kb..(kb + BLOCK).min(K)), &mut part);
                for (a, p) in acc.iter_mut().zip(part) {
                    *a += p;
                }
            }
        }
        *ot = acc;
    }
    let done = OL - rest.len();
    for (j, s) in rest.iter_mut().enumerate() {
        let o = done + j;
        let mut acc = bias;
        if K <= BLOCK {
            out_taps::<K, S, D, P, L>(x, w, o, &(0..K), &mut acc);
        } else {
            for kb in (0..K).step_by(BLOCK) {
                let mut part = 0.0f32;
                out_taps::<K, S, D, P, L>(x, w, o, &(kb..(kb + BLOCK).min(K)), &mut part);
                acc += part;
            }
        }
        *s = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv::{conv2d, ConvParams};
    use crate::testutil::Rng;
    use std::vec::Vec;

    fn check<
        const K: usize,
        const S: usize,
        const D: usize,
        const P: usize,
        const L: usize,
        const OL: usize,
        const WB: usize,
        const W1: usize,
    >(
        channels: usize,
        batch: usize,
        with_bias: bool,
    ) {
        let mut rng = Rng::new((K * 1000 + S * 100 + D * 10 + P + L) as u64);
        let x: Vec<f32> = (0..batch * channels * L).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let wflat: Vec<f32> = (0..channels * K).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let bias: Vec<f32> =
            if with_bias { (0..channels).map(|_| rng.uniform(-1.0, 1.0)).collect() } else { Vec::new() };
        let w: Vec<[[f32; K]; 1]> = (0..channels).map(|c| [core::array::from_fn(|k| wflat[c * K + k])]).collect();
        let mut got = std::vec![f32::NAN; batch * channels * OL];
        depthwise::<K, S, D, P, L, OL, WB, W1>(&x, &w, &bias, &mut got);
        let p = ConvParams {
            batch,
            c_in: channels,
            c_out: channels,
            groups: channels,
            in_h: 1,
            in_w: L,
            out_h: 1,
            out_w: OL,
            k_h: 1,
            k_w: K,
            stride_h: 1,
            stride_w: S,
            dil_h: 1,
            dil_w: D,
            pad_top: 0,
            pad_left: P,
        };
        let mut want = std::vec![f32::NAN; got.len()];
        conv2d(&p, &x, &wflat, if with_bias { Some(&bias) } else { None }, &mut want);
        for (i, (g, r)) in got.iter().zip(&want).enumerate() {
            // f64 reference, to show both are right, not only equal
            let (n, o) = (i / OL, i % OL);
            let c = n % channels;
            let mut e = if with_bias { bias[c] as f64 } else { 0.0 };
            for k in 0..K {
                let at = (o * S + k * D) as isize - P as isize;
                if at >= 0 && (at as usize) < L {
                    e += wflat[c * K + k] as f64 * x[n * L + at as usize] as f64;
                }
            }
            assert!((*g as f64 - e).abs() <= 1e-5 * (1.0 + e.abs()), "K={K} S={S} D={D} P={P} out {i}: {g} vs {e}");
            assert_eq!(g.to_bits(), r.to_bits(), "K={K} S={S} D={D} P={P} L={L} out {i}: {g} vs conv2d {r}");
        }
    }

    #[test]
    fn matches_conv2d_bit_for_bit_and_the_f64_reference() {
        // causal FIR, 64 taps (the benchmark's), 16 channels
        check::<64, 1, 1, 63, 256, 256, 23, 8>(16, 1, false);
        // S4D convolution form: kernel as long as the sequence, causal
        check::<100, 1, 1, 99, 100, 100, 23, 8>(3, 2, true);
        check::<200, 1, 1, 100, 150, 150, 23, 8>(2, 1, false);
        check::<70, 2, 2, 30, 200, 90, 45, 15>(2, 2, true);
        // short kernels, odd lengths, no padding, both-sided padding
        check::<1, 1, 1, 0, 9, 9, 23, 8>(2, 1, true);
        check::<5, 1, 1, 2, 13, 13, 23, 8>(2, 1, false);
        check::<7, 1, 1, 0, 30, 24, 23, 8>(1, 1, true);
        check::<17, 1, 1, 8, 40, 40, 23, 8>(2, 1, true);
        // stride and dilation
        check::<9, 2, 1, 4, 50, 25, 30, 15>(2, 1, true);
        check::<11, 1, 3, 15, 47, 47, 53, 8>(2, 1, false);
        check::<12, 3, 2, 5, 61, 20, 52, 22>(2, 1, true);
        // fewer outputs than a tile, trailing padding windows
        check::<4, 1, 1, 3, 5, 7, 23, 8>(1, 1, true);
    }
}
