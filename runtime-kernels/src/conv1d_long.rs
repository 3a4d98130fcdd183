//! 1-D convolution with a long kernel (more taps than [`conv1d`](crate::conv1d) unrolls) and no
//! padding: CCfC/CLTC's front end after the compiler's `conv-rows` pass, 12 rows of 387 taps at
//! stride 258.
//!
//! `out[c][o] = bias[c] + Σ_ic Σ_k w[c][ic][k] · x[ic][o·S + k]`, summed in `(ic, k)` order
//! from the bias, exactly as [`conv1d`](crate::conv1d::conv1d) sums (bit for bit the same).
//!
//! Tiles of 4 output channels × 4 positions keep 16 sums in registers. The weights are packed
//! at compile time as `[tile][ic][k][4 channels]`, so one pointer walks a tile's weights (the
//! ONNX layout needs four) and the four positions' inputs take four more: five pointers,
//! which stay in registers at opt-level "s" too (eight did not: 2.8 instructions per MAC). The
//! taps run in loops of [`TAP_RUN`], which LLVM unrolls by two at opt-level 3, with immediate
//! load offsets (VLDR has no register offset). Channels past the last multiple of 4 are a tile padded with
//! zero weights, whose sums are not stored.

use crate::conv1d::store;

/// Taps per inner loop. Measured on the M7, CCfC in f32, instructions per inference at
/// opt-level 3 / "s": runs of 8: 6.56 M / 7.43 M, of 16: 6.45 M / 7.33 M, of 32: 6.40 M /
/// 7.28 M (with the ONNX layout's four weight pointers, one loop over all 387 taps took 2.34
/// instructions per MAC at opt-level 3, and 2.8 at "s" where the eight pointers spilled).
const TAP_RUN: usize = 16;

/// See the module docs. `CK = CIG·K`, `W = 3·S + K` (the input window of 4 positions); other
/// values do not compile. `w` holds `ceil(C_out / 4)` tiles of packed weights.
///
/// Preconditions (the compiler's): `x.len() == CIG · L`, `out.len() == C_out · OL`, `bias` is
/// empty (no bias) or has `C_out` entries, every window inside the input
/// (`(OL − 1) / 4 · 4 · S + W ≤ L`). Outside them the kernel computes less, never panics.
pub fn conv1d_long<
    const CIG: usize,
    const K: usize,
    const CK: usize,
    const S: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
>(
    x: &[f32],
    w: &[[[f32; 4]; CK]],
    bias: &[f32],
    out: &mut [f32],
) {
    const {
        assert!(K >= 1 && S >= 1 && CK == CIG * K && W == 3 * S + K, "conv1d_long: CK = CIG·K, W = 3S + K");
    }
    let (rows, _) = x.as_chunks::<L>();
    let (out_rows, _) = out.as_chunks_mut::<OL>();
    let b = |c: usize| bias.get(c).copied().unwrap_or(0.0);
    let mut tiles = out_rows.chunks_mut(4);
    for (t, wt) in w.iter().enumerate() {
        let Some(ot) = tiles.next() else { return };
        let (per_channel, _) = wt.as_chunks::<K>();
        for o in (0..OL).step_by(4) {
            let mut acc = [[b(4 * t); 4], [b(4 * t + 1); 4], [b(4 * t + 2); 4], [b(4 * t + 3); 4]];
            for (xr, wk) in rows.iter().zip(per_channel) {
                let Some(win) = xr.get(o * S..).and_then(|r| r.first_chunk::<W>()) else { continue };
                for r in 0..K / TAP_RUN {
                    for k in r * TAP_RUN..(r + 1) * TAP_RUN {
                        tap::<K, S, W>(&mut acc, wk, win, k);
                    }
                }
                for k in K / TAP_RUN * TAP_RUN..K {
                    tap::<K, S, W>(&mut acc, wk, win, k);
                }
            }
            for (row, a) in ot.iter_mut().zip(&acc) {
                store(row, o, a);
            }
        }
    }
}

/// Adds tap `k` (4 channels' weights) over the 4 positions' inputs to the sums.
#[inline(always)]
fn tap<const K: usize, const S: usize, const W: usize>(
    acc: &mut [[f32; 4]; 4],
    wk: &[[f32; 4]; K],
    win: &[f32; W],
    k: usize,
) {
    // written out: at opt-level "s" loops over the 4 × 4 sums stay loops, with the sums in memory
    let [w0, w1, w2, w3] = wk[k];
    let (x0, x1, x2, x3) = (win[k], win[k + S], win[k + 2 * S], win[k + 3 * S]);
    let [a0, a1, a2, a3] = acc;
    a0[0] += w0 * x0;
    a0[1] += w0 * x1;
    a0[2] += w0 * x2;
    a0[3] += w0 * x3;
    a1[0] += w1 * x0;
    a1[1] += w1 * x1;
    a1[2] += w1 * x2;
    a1[3] += w1 * x3;
    a2[0] += w2 * x0;
    a2[1] += w2 * x1;
    a2[2] += w2 * x2;
    a2[3] += w2 * x3;
    a3[0] += w3 * x0;
    a3[1] += w3 * x1;
    a3[2] += w3 * x2;
    a3[3] += w3 * x3;
}

/// Packs `w` (`[C_out][CIG][K]`, the ONNX layout) into [`conv1d_long`]'s tiles, zero weights
/// past the last channel (the compiler's `back/packed.rs` does the same).
#[cfg(test)]
fn pack<const CK: usize>(w: &[f32], c_out: usize) -> std::vec::Vec<[[f32; 4]; CK]> {
    let at = |c: usize, i: usize| if c < c_out { w[c * CK + i] } else { 0.0 };
    (0..c_out.div_ceil(4)).map(|t| core::array::from_fn(|i| core::array::from_fn(|c| at(4 * t + c, i)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;
    use std::vec::Vec;

    /// Against [`conv1d`](crate::conv1d::conv1d)'s order written as a plain f32 loop (bit for
    /// bit), and within `n · 2⁻²⁴ · Σ|w x|` of the f64 sum (the sequential-sum rounding bound).
    fn check<
        const CIG: usize,
        const K: usize,
        const CK: usize,
        const S: usize,
        const L: usize,
        const OL: usize,
        const W: usize,
    >(
        cog: usize,
        bias: bool,
    ) {
        let mut rng = Rng::new((CIG * 7 + K * 13 + S * 17 + L + cog) as u64);
        let x: Vec<f32> = (0..CIG * L).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let w: Vec<f32> = (0..cog * CK).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let b: Vec<f32> = if bias { (0..cog).map(|_| rng.uniform(-1.0, 1.0)).collect() } else { Vec::new() };
        let mut got = std::vec![f32::NAN; cog * OL];
        conv1d_long::<CIG, K, CK, S, L, OL, W>(&x, &pack::<CK>(&w, cog), &b, &mut got);
        for c in 0..cog {
            let b0 = b.get(c).copied().unwrap_or(0.0);
            for o in 0..OL {
                let (mut same_order, mut exact, mut magnitude) = (b0, b0 as f64, b0.abs() as f64);
                for ic in 0..CIG {
                    for k in 0..K {
                        let (wv, xv) = (w[(c * CIG + ic) * K + k], x[ic * L + o * S + k]);
                        same_order += wv * xv;
                        exact += wv as f64 * xv as f64;
                        magnitude += (wv as f64 * xv as f64).abs();
                    }
                }
                let v = got[c * OL + o];
                assert_eq!(v.to_bits(), same_order.to_bits(), "K={K} c={c} o={o}");
                let bound = (CK + 1) as f64 * f32::EPSILON as f64 / 2.0 * magnitude;
                assert!((v as f64 - exact).abs() <= bound, "K={K} c={c} o={o}: {v} vs {exact}");
            }
        }
    }

    #[test]
    fn long_kernels_sum_in_conv1d_order() {
        // W = 3S + K; every tile's window inside the input (the compiler's condition)
        check::<12, 387, 4644, 258, 4257, 16, 1161>(6, true); // CCfC's front end: a full and a padded tile
        check::<2, 65, 130, 1, 72, 8, 68>(5, false); // one tap past conv1d's unrolled kernels
        check::<3, 100, 300, 7, 191, 11, 121>(4, true); // a remainder of 4 taps, a partial last tile
        check::<1, 80, 80, 80, 400, 2, 320>(1, true); // one channel, windows that do not overlap
    }
}
