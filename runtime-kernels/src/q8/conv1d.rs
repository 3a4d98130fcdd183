//! int8 1-D convolution (NCW, one group of one batch item per call), with the geometry as const
//! generics: `C` input channels of `L` values, `K` taps packed as `KQ = ceil(K / 4)` words per
//! input channel ([`pack_row`](super::pack_row)), stride `S`, dilation `D`, padding `P` before
//! the input, `OL` outputs per channel, and `W = 3·S + (4·KQ − 1)·D + 2`, the input window of 4
//! outputs (the compiler computes it; another value does not compile).
//!
//! `out[o][p] = clamp(requantize(bias'[o] + Σ_c Σ_{k<K} w[o][c][k] · x̂[c][p·S + k·D − P]) + offset,
//! min, max)` where `x̂` is `x` inside the input and `pad` (the input zero point) outside, so with
//! the folded bias ([module docs](super)) padding contributes zero in the real domain, as in
//! TFLite.
//!
//! Outputs run in tiles of 4 positions. A tile reads one window of `W` values per input channel
//! (a fixed-size array: a reference inside the input, a copy with `pad` at the edges).
//!
//! The DSP form, stride and dilation 1 ([`taps4`]): per input channel and group of 4 taps it
//! loads 2 activation words (the third is the next group's first) and widens them into the lane
//! pairs of the 4 positions — position `j + 1`'s even lanes are position `j`'s odd lanes — then
//! one weight word, two `SXTB16` and eight `SMLAD`: 17 instructions per 16 MACs, one `asm` block
//! per tile over all input channels. Interior tiles read the input in place; edge tiles copy each
//! input row's window once per tile into a `[[i8; W]; C]` on the stack, shared by all output
//! channels. Larger strides run 2 output channels × 4 positions with the same instructions
//! through `core::arch::asm!` wrappers (4 activation words per group); dilations above 1 take the
//! portable loop.
//!
//! Preconditions (the compiler's): `x.len() == C·L`, `w.len() == ch.len() == out.len() / OL`.
//! Outside them the kernels compute less, never panic.

use super::dsp::{pad_sum, smlad, sxtb16, sxtb16_ror8, taps4, taps4_n};
use super::requant::Prepared;
use super::{fill_slice, fill_window, prepare, window, word, Channel, Output};

/// One output channel's packed weights.
pub type Filter<const KQ: usize, const C: usize> = [[[i8; 4]; KQ]; C];

/// Rejects a geometry whose window `W` is not `3·S + (4·KQ − 1)·D + 2` at compile time.
pub(crate) const fn check<const K: usize, const KQ: usize, const S: usize, const D: usize, const W: usize>() {
    assert!(K >= 1 && S >= 1 && D >= 1, "int8 conv: K, S, D must be at least 1");
    assert!(KQ == K.div_ceil(4), "int8 conv: KQ must be ceil(K / 4)");
    assert!(W == 3 * S + (4 * KQ - 1) * D + 2, "int8 conv: W must be 3S + (4KQ - 1)D + 2");
}

/// Writes the tile's 4 positions from `o` (fewer at the end of the row).
#[inline(always)]
pub(crate) fn store<const OL: usize>(row: &mut [i8; OL], o: usize, v: [i8; 4]) {
    if let Some(dst) = row.get_mut(o..o + 4) {
        dst.copy_from_slice(&v);
    } else if let Some(dst) = row.get_mut(o..) {
        for (d, s) in dst.iter_mut().zip(v) {
            *d = s;
        }
    }
}

/// Sums of one output channel × 4 positions over all input channels, tap by tap.
#[inline(always)]
pub(crate) fn tile_portable<
    const C: usize,
    const K: usize,
    const KQ: usize,
    const S: usize,
    const D: usize,
    const L: usize,
    const W: usize,
>(
    rows: &[[i8; L]],
    f: &Filter<KQ, C>,
    bias: i32,
    start: isize,
    pad: i8,
    buf: &mut [i8; W],
) -> [i32; 4] {
    let mut acc = [bias; 4];
    for (xr, wc) in rows.iter().zip(f) {
        let win = window::<L, W>(xr, start, pad, buf);
        for (k, &wv) in wc.as_flattened().iter().take(K).enumerate() {
            for (j, a) in acc.iter_mut().enumerate() {
                if let Some(&xv) = win.get(j * S + k * D) {
                    *a = a.wrapping_add(i32::from(wv) * i32::from(xv));
                }
            }
        }
    }
    acc
}

/// Calls `f(g, e)` for each group `g < KQ` of 4 taps (dilation 1), where `e[2j]` and `e[2j + 1]`
/// are position `j`'s activations for taps (`4g`, `4g + 2`) and (`4g + 1`, `4g + 3`) as 16-bit
/// lane pairs.
#[inline(always)]
fn for_groups<const KQ: usize, const S: usize, const W: usize>(win: &[i8; W], mut f: impl FnMut(usize, &[u32; 8])) {
    let at = |o: usize| win.get(o..).unwrap_or(&[]).as_chunks::<4>().0;
    if S == 1 {
        for (g, ((a, b), c)) in at(0).iter().zip(at(2)).zip(at(4)).enumerate().take(KQ) {
            let (a, b) = (word(a), word(b));
            let (e0, e1, e2, e3, e4) = (sxtb16(a), sxtb16_ror8(a), sxtb16(b), sxtb16_ror8(b), sxtb16(word(c)));
            f(g, &[e0, e1, e1, e2, e2, e3, e3, e4]);
        }
    } else {
        for (g, (((a, b), c), d)) in at(0).iter().zip(at(S)).zip(at(2 * S)).zip(at(3 * S)).enumerate().take(KQ) {
            let (a, b, c, d) = (word(a), word(b), word(c), word(d));
            f(
                g,
                &[
                    sxtb16(a),
                    sxtb16_ror8(a),
                    sxtb16(b),
                    sxtb16_ror8(b),
                    sxtb16(c),
                    sxtb16_ror8(c),
                    sxtb16(d),
                    sxtb16_ror8(d),
                ],
            );
        }
    }
}

/// Sums of `T` output channels × 4 positions over all input channels (dilation 1), by `SMLAD`.
#[inline(always)]
pub(crate) fn tile_dsp<
    const T: usize,
    const C: usize,
    const KQ: usize,
    const S: usize,
    const L: usize,
    const W: usize,
>(
    rows: &[[i8; L]],
    f: [&Filter<KQ, C>; T],
    bias: [i32; T],
    start: isize,
    pad: i8,
    buf: &mut [i8; W],
) -> [[i32; 4]; T] {
    let mut acc = [[0i32; 4]; T];
    for (a, &b) in acc.iter_mut().zip(&bias) {
        *a = [b; 4];
    }
    for (c, xr) in rows.iter().enumerate().take(C) {
        let win = window::<L, W>(xr, start, pad, buf);
        for_groups::<KQ, S, W>(win, |g, e| {
            for (a, ft) in acc.iter_mut().zip(f) {
                if let Some(wg) = ft.get(c).and_then(|r| r.get(g)) {
                    let wv = word(wg);
                    let (wa, wb) = (sxtb16(wv), sxtb16_ror8(wv));
                    a[0] = smlad(wb, e[1], smlad(wa, e[0], a[0]));
                    a[1] = smlad(wb, e[3], smlad(wa, e[2], a[1]));
                    a[2] = smlad(wb, e[5], smlad(wa, e[4], a[2]));
                    a[3] = smlad(wb, e[7], smlad(wa, e[6], a[3]));
                }
            }
        });
    }
    acc
}

/// One output row for stride and dilation 1 ([`taps4`]): tiles whose window lies inside every
/// input row read the rows in place (one `asm` loop over all channels and taps); with `EDGES`,
/// the few edge tiles copy each row's window with `pad`, out of line so the hot loop stays small
/// (without, the caller does them).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_s1<
    const C: usize,
    const KQ: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
    const EDGES: bool,
>(
    rows: &[[i8; L]],
    f: &Filter<KQ, C>,
    ch: &Channel,
    q: &Output,
    pad: i8,
    buf: &mut [i8; W],
    out: &mut [i8; OL],
) {
    let pc = prepare(ch, q);
    // interior tiles t: 4t ≥ P, 4t − P + W ≤ L, 4t + 4 ≤ OL
    let (lo, hi) = interior::<P, L, OL, W>();
    let (tiles, _) = out.as_chunks_mut::<4>();
    for (t, dst) in tiles.iter_mut().enumerate().take(hi).skip(lo) {
        let acc = taps4::<KQ, C, L>(rows, 4 * t - P, f, [ch.bias; 4]);
        *dst = pc.apply4(acc);
    }
    for o in (0..OL).step_by(4) {
        if EDGES && (o / 4 < lo || o / 4 >= hi.max(lo)) {
            edge_s1::<C, KQ, P, L, OL, W>(rows, f, ch.bias, &pc, o, pad, buf, out);
        }
    }
}

/// The interior tiles `lo .. hi` of a stride-1 row: `4t ≥ P`, `4t − P + W ≤ L`, `4t + 4 ≤ OL`.
#[inline(always)]
pub(crate) const fn interior<const P: usize, const L: usize, const OL: usize, const W: usize>() -> (usize, usize) {
    let lo = P.div_ceil(4);
    let hi = if L + P < W {
        0
    } else if (L + P - W) / 4 + 1 < OL / 4 {
        (L + P - W) / 4 + 1
    } else {
        OL / 4
    };
    (lo, hi)
}

/// An edge tile of [`row_s1`]: each row's window copied with `pad`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn edge_s1<const C: usize, const KQ: usize, const P: usize, const L: usize, const OL: usize, const W: usize>(
    rows: &[[i8; L]],
    f: &Filter<KQ, C>,
    bias: i32,
    pc: &Prepared,
    o: usize,
    pad: i8,
    buf: &mut [i8; W],
    out: &mut [i8; OL],
) {
    let at = start::<1, P>(o);
    let mut acc = [bias; 4];
    if W <= 32 {
        for (xr, fc) in rows.iter().zip(f) {
            let win = window::<L, W>(xr, at, pad, buf);
            acc = taps4::<KQ, 1, W>(core::array::from_ref(win), 0, core::array::from_ref(fc), acc);
        }
        store(out, o, pc.apply4(acc));
        return;
    }
    // long filters: groups of taps that read only padding for all 4 positions (bytes ≤ 4g + 6
    // of the window before the row starts) add `pad · Σ w`; the rest run on a shorter window
    let lo = (-at).max(0) as usize;
    let g0 = if lo > 6 { ((lo - 3) / 4).min(KQ) } else { 0 };
    for (xr, fc) in rows.iter().zip(f) {
        let Some((skip, rest)) = fc.split_at_checked(g0) else { continue };
        let s = pad_sum(skip, pad);
        let Some(win) = buf.get_mut(..4 * rest.len() + 4) else { continue };
        fill_slice::<L>(xr, at + 4 * g0 as isize, pad, win);
        let r = taps4_n(win, rest, [s; 4]);
        for (a, v) in acc.iter_mut().zip(r) {
            *a = a.wrapping_add(v);
        }
    }
    store(out, o, pc.apply4(acc));
}

/// First input index of the tile at output `o` (negative in the padding).
#[inline(always)]
pub(crate) const fn start<const S: usize, const P: usize>(o: usize) -> isize {
    (o * S) as isize - P as isize
}

/// Bytes of stack the kernels' arrays take, for the memory report: the portable form one window
/// of `w` bytes; the DSP form one window plus, for stride 1, the edge tiles' `c` windows.
pub const fn conv1d_s8_stack_bytes(c: usize, w: usize, dsp: bool) -> usize {
    if dsp {
        w + c * w
    } else {
        w
    }
}

/// The portable form (module docs).
#[allow(clippy::too_many_arguments)]
pub fn conv1d_s8_portable<
    const C: usize,
    const K: usize,
    const KQ: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
>(
    x: &[i8],
    w: &[Filter<KQ, C>],
    ch: &[Channel],
    q: &Output,
    pad: i8,
    out: &mut [i8],
) {
    const { check::<K, KQ, S, D, W>() };
    let (rows, _) = x.as_chunks::<L>();
    let (out_rows, _) = out.as_chunks_mut::<OL>();
    let mut buf = [pad; W];
    for ((f, c), row) in w.iter().zip(ch).zip(out_rows.iter_mut()) {
        let pc = prepare(c, q);
        for o in (0..OL).step_by(4) {
            let acc = tile_portable::<C, K, KQ, S, D, L, W>(rows, f, c.bias, start::<S, P>(o), pad, &mut buf);
            store(row, o, pc.apply_each(acc));
        }
    }
}

/// The DSP form (module docs; `SMLAD` on Arm).
#[allow(clippy::too_many_arguments)]
pub fn conv1d_s8_dsp<
    const C: usize,
    const K: usize,
    const KQ: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
>(
    x: &[i8],
    w: &[Filter<KQ, C>],
    ch: &[Channel],
    q: &Output,
    pad: i8,
    out: &mut [i8],
) {
    const { check::<K, KQ, S, D, W>() };
    if D != 1 {
        return conv1d_s8_portable::<C, K, KQ, S, D, P, L, OL, W>(x, w, ch, q, pad, out);
    }
    let (rows, _) = x.as_chunks::<L>();
    let (out_rows, _) = out.as_chunks_mut::<OL>();
    let mut buf = [pad; W];
    if S == 1 {
        for ((f, c), row) in w.iter().zip(ch).zip(out_rows.iter_mut()) {
            row_s1::<C, KQ, P, L, OL, W, false>(rows, f, c, q, pad, &mut buf, row);
        }
        // edge tiles: each input row's window copied once per tile (C·W bytes of stack) and
        // shared by all output channels
        let (lo, hi) = interior::<P, L, OL, W>();
        for o in (0..OL).step_by(4) {
            if o / 4 >= lo && o / 4 < hi.max(lo) {
                continue;
            }
            let mut wins = [[pad; W]; C];
            for (win, xr) in wins.iter_mut().zip(rows) {
                fill_window::<L, W>(xr, start::<1, P>(o), pad, win);
            }
            for ((f, c), row) in w.iter().zip(ch).zip(out_rows.iter_mut()) {
                let acc = taps4::<KQ, C, W>(&wins, 0, f, [c.bias; 4]);
                store(row, o, prepare(c, q).apply4(acc));
            }
        }
        return;
    }
    let (w2, _) = w.as_chunks::<2>();
    let (c2, _) = ch.as_chunks::<2>();
    let (o2, _) = out_rows.as_chunks_mut::<2>();
    for (([f0, f1], [c0, c1]), [r0, r1]) in w2.iter().zip(c2).zip(o2.iter_mut()) {
        let (p0, p1) = (prepare(c0, q), prepare(c1, q));
        for o in (0..OL).step_by(4) {
            let [a0, a1] =
                tile_dsp::<2, C, KQ, S, L, W>(rows, [f0, f1], [c0.bias, c1.bias], start::<S, P>(o), pad, &mut buf);
            store(r0, o, p0.apply4(a0));
            store(r1, o, p1.apply4(a1));
        }
    }
    // an odd last channel
    let done = 2 * w2.len();
    for ((f, c), row) in w.iter().zip(ch).zip(out_rows.iter_mut()).skip(done) {
        let pc = prepare(c, q);
        for o in (0..OL).step_by(4) {
            let [acc] = tile_dsp::<1, C, KQ, S, L, W>(rows, [f], [c.bias], start::<S, P>(o), pad, &mut buf);
            store(row, o, pc.apply4(acc));
        }
    }
}

/// The DSP form where `cfg(target_feature = "dsp")` holds, else the portable one ([module
/// docs](super)).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn conv1d_s8<
    const C: usize,
    const K: usize,
    const KQ: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
>(
    x: &[i8],
    w: &[Filter<KQ, C>],
    ch: &[Channel],
    q: &Output,
    pad: i8,
    out: &mut [i8],
) {
    #[cfg(target_feature = "dsp")]
    conv1d_s8_dsp::<C, K, KQ, S, D, P, L, OL, W>(x, w, ch, q, pad, out);
    #[cfg(not(target_feature = "dsp"))]
    conv1d_s8_portable::<C, K, KQ, S, D, P, L, OL, W>(x, w, ch, q, pad, out);
}
