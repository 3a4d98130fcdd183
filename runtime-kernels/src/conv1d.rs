//! 1-D convolution with its whole geometry as const generics (the compile-don't-interpret style).
//!
//! One call computes one group of one batch item: `x` is the group's input (`CIG` rows of `L`),
//! `w` its output channels' weights (`[[f32; K]; CIG]` each: the ONNX layout, unchanged), `out`
//! their output rows (`OL` each). Output position `o` reads input `o·S + k·D − P` for tap `k`
//! (outside the input: zero padding, skipped).
//!
//! Output positions run in tiles of 4 output channels × 4 positions with 16 scalar accumulators
//! (remaining channels in tiles of 1 × 4). A tile reads one input window of `W` elements per
//! input channel, a fixed-size array (`first_chunk`), so tap indices are provably in range (no
//! bounds checks) and the accumulators stay in registers at opt-level "s" as well as 3. At the
//! edges the window is copied with zeros where the padding is, so edges run the same tile code.
//! Each output is `((bias + t0) + t1) + ...` over taps in `(input channel, k)` order, padding
//! taps adding `w · 0` — equal to [`conv2d`](crate::conv::conv2d) (which skips them) for kernels
//! of at most 64 taps, the only ones the compiler sends here (longer ones without padding go to
//! [`conv1d_long`](crate::conv1d_long)); the whole tap loop is unrolled.

macro_rules! tile {
    ($name:ident, $win_name:ident, $acc_name:ident, $n:literal, [$($c:tt),*]) => {
        /// Adds input channel `ic`'s taps over its window `win` to the tile's sums.
        #[inline(always)]
        fn $acc_name<const CIG: usize, const K: usize, const S: usize, const D: usize, const W: usize>(
            acc: &mut [[f32; 4]; $n],
            w: &[[[f32; K]; CIG]; $n],
            ic: usize,
            win: &[f32; W],
        ) {
            for k in 0..K {
                let b = k * D;
                let (x0, x1, x2, x3) = (win[b], win[b + S], win[b + 2 * S], win[b + 3 * S]);
                $(
                    let wv = w[$c][ic][k];
                    acc[$c][0] += wv * x0;
                    acc[$c][1] += wv * x1;
                    acc[$c][2] += wv * x2;
                    acc[$c][3] += wv * x3;
                )*
            }
        }

        /// One tile of output channels × 4 output positions whose input window (`W` elements per
        /// input channel) starts at `start`; an `EDGE` tile's window (negative `start`, or running
        /// past the input) is copied with zeros for the padding. Returns the sums per channel.
        #[inline(always)]
        fn $name<
            const CIG: usize,
            const K: usize,
            const S: usize,
            const D: usize,
            const L: usize,
            const W: usize,
            const EDGE: bool,
        >(
            x: &[[f32; L]],
            w: &[[[f32; K]; CIG]; $n],
            bias: [f32; $n],
            start: isize,
        ) -> [[f32; 4]; $n] {
            let mut acc = [$([bias[$c]; 4]),*];
            for ic in 0..CIG {
                let Some(xr) = x.get(ic) else { continue };
                let padded: [f32; W];
                let win: &[f32; W] = if EDGE {
                    padded = edge_window::<L, W>(xr, start);
                    &padded
                } else {
                    match xr.get(start as usize..).and_then(|r| r.first_chunk::<W>()) {
                        Some(win) => win,
                        None => continue,
                    }
                };
                $acc_name::<CIG, K, S, D, W>(&mut acc, w, ic, win);
            }
            acc
        }

        /// The same tile over edge windows gathered once for every channel tile (`windows[ic]`,
        /// zeros where the padding is): the same sums in the same order as `EDGE`.
        #[inline(always)]
        fn $win_name<const CIG: usize, const K: usize, const S: usize, const D: usize, const W: usize>(
            windows: &[[f32; W]; CIG],
            w: &[[[f32; K]; CIG]; $n],
            bias: [f32; $n],
        ) -> [[f32; 4]; $n] {
            let mut acc = [$([bias[$c]; 4]),*];
            for (ic, win) in windows.iter().enumerate() {
                $acc_name::<CIG, K, S, D, W>(&mut acc, w, ic, win);
            }
            acc
        }
    };
}

tile!(tile4, tile4_windows, taps4, 4, [0, 1, 2, 3]);
tile!(tile1, tile1_windows, taps1, 1, [0]);

/// With `HOIST`, edge windows of up to this many elements (`CIG · W`) are gathered once per edge
/// position for every channel tile, instead of once per channel tile: a stack array of at most
/// 2 KiB.
const HOIST_MAX: usize = 512;

/// `out[c][o] = bias[c] + Σ_ic Σ_k w[c][ic][k] · x[ic][o·S + k·D − P]` for the `w.len()` output
/// channels of one group; `W = 3·S + (K − 1)·D + 1` is the input window of 4 positions (the
/// compiler computes it; another value does not compile).
///
/// Preconditions (the compiler's): `x.len() == CIG · L`, `out.len() == w.len() · OL`, `bias` is
/// empty (no bias) or has `w.len()` entries, `K ≥ 1`, `S ≥ 1`, `D ≥ 1`. Outside them the kernel
/// computes less, never panics.
pub fn conv1d<
    const CIG: usize,
    const K: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
    const HOIST: bool,
>(
    x: &[f32],
    w: &[[[f32; K]; CIG]],
    bias: &[f32],
    out: &mut [f32],
) {
    const {
        assert!(K >= 1 && S >= 1 && D >= 1 && W == 3 * S + (K - 1) * D + 1, "conv1d: W must be 3S + (K-1)D + 1");
    }
    let (rows, _) = x.as_chunks::<L>();
    let (out_rows, _) = out.as_chunks_mut::<OL>();
    let b = |c: usize| bias.get(c).copied().unwrap_or(0.0);
    let start = |o: usize| (o * S) as isize - P as isize;
    let inside = |o: usize| o * S >= P && o * S - P + W <= L;
    // HOIST: small edge windows are gathered once per edge position, for every channel tile
    // (below). Measured on the M7: 9% fewer instructions at opt-level "s" on ecg-cnn's biggest
    // convolution, 3% more at opt-level 3, where the per-tile gather is folded into the tile's
    // loads; the compiler sets it for builds tuned for size.
    let hoist = HOIST && CIG * W <= HOIST_MAX;
    // 4 channels at a time
    let (w4, _) = w.as_chunks::<4>();
    let done = 4 * w4.len();
    {
        let (o4, _) = out_rows.as_chunks_mut::<4>();
        for (t, (wt, ot)) in w4.iter().zip(o4.iter_mut()).enumerate() {
            let bias4 = [b(4 * t), b(4 * t + 1), b(4 * t + 2), b(4 * t + 3)];
            for o in (0..OL).step_by(4) {
                let acc = if inside(o) {
                    tile4::<CIG, K, S, D, L, W, false>(rows, wt, bias4, start(o))
                } else if hoist {
                    continue;
                } else {
                    tile4::<CIG, K, S, D, L, W, true>(rows, wt, bias4, start(o))
                };
                for (row, a) in ot.iter_mut().zip(acc) {
                    store(row, o, &a);
                }
            }
        }
    }
    // the remaining channels one at a time
    for (c, (wc, row)) in w.iter().zip(out_rows.iter_mut()).enumerate().skip(done) {
        let bv = b(c);
        for o in (0..OL).step_by(4) {
            let wc = core::array::from_ref(wc);
            let [acc] = if inside(o) {
                tile1::<CIG, K, S, D, L, W, false>(rows, wc, [bv], start(o))
            } else if hoist {
                continue;
            } else {
                tile1::<CIG, K, S, D, L, W, true>(rows, wc, [bv], start(o))
            };
            store(row, o, &acc);
        }
    }
    if !hoist {
        return;
    }
    for o in (0..OL).step_by(4).filter(|&o| !inside(o)) {
        let windows: [[f32; W]; CIG] = core::array::from_fn(|ic| match rows.get(ic) {
            Some(xr) => edge_window::<L, W>(xr, start(o)),
            None => [0.0; W],
        });
        let (o4, _) = out_rows.as_chunks_mut::<4>();
        for (t, (wt, ot)) in w4.iter().zip(o4.iter_mut()).enumerate() {
            let bias4 = [b(4 * t), b(4 * t + 1), b(4 * t + 2), b(4 * t + 3)];
            let acc = tile4_windows::<CIG, K, S, D, W>(&windows, wt, bias4);
            for (row, a) in ot.iter_mut().zip(acc) {
                store(row, o, &a);
            }
        }
        for (c, (wc, row)) in w.iter().zip(out_rows.iter_mut()).enumerate().skip(done) {
            let [acc] = tile1_windows::<CIG, K, S, D, W>(&windows, core::array::from_ref(wc), [b(c)]);
            store(row, o, &acc);
        }
    }
}

/// The input window `x[start .. start + W]` with zeros outside the input. Short windows are
/// gathered element by element (a `memset`/`memcpy` call would cost more than the copy); long
/// ones (a long FIR's) are zeroed and copied in bulk.
#[inline(always)]
fn edge_window<const L: usize, const W: usize>(xr: &[f32; L], start: isize) -> [f32; W] {
    if W <= 32 {
        core::array::from_fn(|j| {
            let at = start + j as isize;
            if at >= 0 {
                xr.get(at as usize).copied().unwrap_or(0.0)
            } else {
                0.0
            }
        })
    } else {
        let mut padded = [0.0f32; W];
        // the part of the window inside the input: padded[lo..hi] = x[start+lo..start+hi]
        let lo = (-start).clamp(0, W as isize) as usize;
        let hi = (L as isize - start).clamp(lo as isize, W as isize) as usize;
        let from = (start + lo as isize) as usize;
        if let (Some(dst), Some(src)) = (padded.get_mut(lo..hi), xr.get(from..from + (hi - lo))) {
            dst.copy_from_slice(src);
        }
        padded
    }
}

/// Writes the tile's 4 positions from `o` (fewer at the end of the row); `conv1d_long` too.
#[inline(always)]
pub(crate) fn store<const OL: usize>(row: &mut [f32; OL], o: usize, a: &[f32; 4]) {
    if let Some(dst) = row.get_mut(o..o + 4) {
        dst.copy_from_slice(a);
    } else if let Some(dst) = row.get_mut(o..) {
        for (d, &v) in dst.iter_mut().zip(a) {
            *d = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv::{conv2d, ConvParams};
    use crate::testutil::Rng;
    use std::vec::Vec;

    fn check<
        const CIG: usize,
        const K: usize,
        const S: usize,
        const D: usize,
        const P: usize,
        const L: usize,
        const OL: usize,
        const W: usize,
    >(
        cog: usize,
        bias: bool,
    ) {
        let mut rng = Rng::new((CIG * 7 + K * 13 + S * 17 + D * 19 + P * 23 + L + cog) as u64);
        let x: Vec<f32> = (0..CIG * L).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let w: Vec<[[f32; K]; CIG]> =
            (0..cog).map(|_| core::array::from_fn(|_| core::array::from_fn(|_| rng.uniform(-1.0, 1.0)))).collect();
        let b: Vec<f32> = if bias { (0..cog).map(|_| rng.uniform(-1.0, 1.0)).collect() } else { Vec::new() };
        let mut got = std::vec![f32::NAN; cog * OL];
        conv1d::<CIG, K, S, D, P, L, OL, W, false>(&x, &w, &b, &mut got);
        let mut hoisted = std::vec![f32::NAN; cog * OL];
        conv1d::<CIG, K, S, D, P, L, OL, W, true>(&x, &w, &b, &mut hoisted);
        assert_eq!(got, hoisted, "HOIST changes nothing but speed");
        let p = ConvParams {
            batch: 1,
            c_in: CIG,
            c_out: cog,
            groups: 1,
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
        let flat: Vec<f32> = w.iter().flatten().flatten().copied().collect();
        let mut want = std::vec![0.0f32; cog * OL];
        conv2d(&p, &x, &flat, bias.then_some(&b[..]), &mut want);
        // same arithmetic in the same order: bit for bit
        assert_eq!(got, want, "CIG={CIG} K={K} S={S} D={D} P={P} L={L} OL={OL} cog={cog}");
    }

    #[test]
    fn matches_conv2d_bit_for_bit() {
        // W = 3S + (K-1)D + 1
        check::<1, 1, 1, 1, 0, 1, 1, 4>(1, false);
        check::<8, 5, 2, 2, 4, 120, 60, 15>(16, true); // ecg-cnn's biggest layer
        check::<1, 64, 1, 1, 63, 256, 256, 67>(5, false); // causal FIR
        check::<3, 3, 1, 1, 1, 10, 10, 6>(7, true);
        check::<2, 4, 3, 1, 0, 17, 5, 13>(4, true);
        check::<2, 3, 1, 3, 5, 9, 13, 10>(6, false); // wider padding than input
        check::<4, 7, 2, 1, 3, 5, 3, 13>(9, true); // kernel longer than input
        check::<1, 2, 1, 1, 0, 3, 2, 5>(3, true);
        check::<5, 3, 1, 2, 2, 11, 11, 8>(5, true); // 4 + 1 channels, partial last tile
        check::<100, 3, 1, 1, 1, 12, 12, 6>(5, true); // CIG·W > HOIST_MAX: edge windows per tile
    }
}
