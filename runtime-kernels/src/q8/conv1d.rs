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
//! The DSP form, stride and dilation 1 ([`taps4`](super::dsp::taps4)): per input channel and
//! group of 4 taps it loads 2 activation words (the third is the next group's first) and widens
//! them into the lane pairs of the 4 positions — position `j + 1`'s even lanes are position `j`'s
//! odd lanes — then one weight word, two `SXTB16` and eight `SMLAD`: 17 instructions per 16 MACs,
//! one `asm` block per tile over all input channels. Interior tiles read the input in place; edge
//! tiles copy each input row's window once per tile into a `[[i8; W]; C]` on the stack, shared by
//! all output channels. Strides or dilations above 1 take [`cols`](super::cols): each tile's taps
//! gathered once per input channel into `SMLAD` lane pairs (a per-tile im2col shared by all
//! output channels), then per output channel 13 instructions per 16 MACs
//! ([`cols4`](super::dsp::cols4)).
//!
//! Preconditions (the compiler's): `x.len() == C·L`, `w.len() == ch.len() == out.len() / OL`.
//! Outside them the kernels compute less, never panic.

use super::cols::conv1d_cols;
use super::dsp::{pad_sum, taps4_any, taps4_n};
use super::requant::Prepared;
use super::{fill_slice, fill_window, prepare, window, Channel, Output};

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

/// One output row for dilation 1 ([`taps4_any`]): tiles whose window lies inside every input
/// row read the rows in place (one `asm` block over all channels and taps); with `EDGES`, the
/// few edge tiles copy each row's window with `pad`, out of line so the hot loop stays small
/// (without, the caller does them).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_dsp<
    const C: usize,
    const KQ: usize,
    const S: usize,
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
    let (lo, hi) = interior::<S, P, L, OL, W>();
    let (tiles, _) = out.as_chunks_mut::<4>();
    for (t, dst) in tiles.iter_mut().enumerate().take(hi).skip(lo) {
        let acc = taps4_any::<KQ, C, L, S>(rows, 4 * t * S - P, f, [ch.bias; 4]);
        *dst = pc.apply4(acc);
    }
    if EDGES {
        for t in (0..lo).chain(hi.max(lo)..OL.div_ceil(4)) {
            edge_dsp::<C, KQ, S, P, L, OL, W>(rows, f, ch.bias, &pc, 4 * t, pad, buf, out);
        }
    }
}

/// The interior tiles `lo .. hi` of a row: `4t·S ≥ P`, `4t·S − P + W ≤ L`, `4t + 4 ≤ OL`.
#[inline(always)]
pub(crate) const fn interior<const S: usize, const P: usize, const L: usize, const OL: usize, const W: usize>(
) -> (usize, usize) {
    let lo = P.div_ceil(4 * S);
    let hi = if L + P < W {
        0
    } else if (L + P - W) / (4 * S) + 1 < OL / 4 {
        (L + P - W) / (4 * S) + 1
    } else {
        OL / 4
    };
    (lo, hi)
}

/// An edge tile of [`row_dsp`]: each row's window copied with `pad`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn edge_dsp<
    const C: usize,
    const KQ: usize,
    const S: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
>(
    rows: &[[i8; L]],
    f: &Filter<KQ, C>,
    bias: i32,
    pc: &Prepared,
    o: usize,
    pad: i8,
    buf: &mut [i8; W],
    out: &mut [i8; OL],
) {
    let at = start::<S, P>(o);
    let mut acc = [bias; 4];
    if W <= 32 || S > 1 {
        for (xr, fc) in rows.iter().zip(f) {
            let win = window::<L, W>(xr, at, pad, buf);
            acc = taps4_any::<KQ, 1, W, S>(core::array::from_ref(win), 0, core::array::from_ref(fc), acc);
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
/// of `w` bytes; the DSP form one window plus, for stride 1, the edge tiles' `c` windows, or,
/// for a stride or dilation above 1, the gathered tile ([`Cols`](super::cols::Cols), `32·c·KQ`
/// bytes, bounded here by `8·c·w` since `w ≥ 4·KQ`).
pub const fn conv1d_s8_stack_bytes(c: usize, w: usize, dsp: bool) -> usize {
    if dsp {
        w + 8 * c * w
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
    let (rows, _) = x.as_chunks::<L>();
    let (out_rows, _) = out.as_chunks_mut::<OL>();
    if S != 1 || D != 1 {
        return conv1d_cols::<C, K, KQ, S, D, P, L, OL, W>(rows, w, ch, q, pad, out_rows);
    }
    let mut buf = [pad; W];
    for ((f, c), row) in w.iter().zip(ch).zip(out_rows.iter_mut()) {
        row_dsp::<C, KQ, S, P, L, OL, W, false>(rows, f, c, q, pad, &mut buf, row);
    }
    // edge tiles: each input row's window copied once per tile (C·W bytes of stack) and shared
    // by all output channels
    let (lo, hi) = interior::<S, P, L, OL, W>();
    for t in (0..lo).chain(hi.max(lo)..OL.div_ceil(4)) {
        let o = 4 * t;
        let mut wins = [[pad; W]; C];
        for (win, xr) in wins.iter_mut().zip(rows) {
            fill_window::<L, W>(xr, start::<S, P>(o), pad, win);
        }
        for ((f, c), row) in w.iter().zip(ch).zip(out_rows.iter_mut()) {
            let acc = taps4_any::<KQ, C, W, S>(&wins, 0, f, [c.bias; 4]);
            store(row, o, prepare(c, q).apply4(acc));
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
