//! The DSP form of the int8 1-D convolution for strides or dilations above 1: a per-tile
//! "im2col" shared by all output channels, then a weight-stationary `SMLAD` loop.
//!
//! With a stride or dilation above 1 the 4 positions of a tile no longer share activation words
//! (the trick of [`taps4`](super::dsp::taps4)), and a dilated tap group is not one word of the
//! input. So each tile first gathers, per input channel `c` and group `g` of 4 taps, the taps
//! `x̂[c][o·S + j·S + (4g + i)·D − P]` (`i < 4`) of each of its 4 positions `j` into the two lane
//! pairs `SMLAD` takes (`(t0, t2)`, `(t1, t3)`; taps past `K` are 0), once: [`Cols`], `32·C·KQ`
//! bytes of stack. Then, per output channel, [`cols4`](super::dsp::cols4) loads each weight word
//! once, widens it (two `SXTB16`) and runs it against the 4 positions' 8 pairs (two `LDM`, eight
//! `SMLAD`): 13 instructions per 16 MACs. The gather (a word load and two `SXTB16` per position
//! and group for dilation 1; byte loads and `PKHBT`, shared between positions where LLVM sees it,
//! for larger dilations) is paid once per tile for all output channels.
//!
//! Short kernels waste the zero tail of their last group; with `K mod 4 = 1` (k = 1, 5, 9, …)
//! that group's odd lanes are all zero, so it holds only the 4 positions' even pairs and runs on
//! them alone (7 instructions per 4 MACs).
//!
//! The requantization constants are prepared per tile and output channel (hoisting them into a
//! stack array measured slower: LLVM no longer folds constant channel data).

use super::conv1d::{start, store, Filter};
use super::dsp::{cols4, sxtb16, sxtb16_ror8};
use super::{prepare, window, word, Channel, Output};

/// One tile's gathered activations, used as a flat run of words: per input channel its
/// [`span`] words (the groups' lane pairs, position by position), the channels back to back
/// (with `K mod 4 = 1` the last `4·C` words stay unused).
pub type Cols<const KQ: usize, const C: usize> = [[[[u32; 2]; 4]; KQ]; C];

/// Two int8 values as the low and high signed 16-bit lanes of a word.
#[inline(always)]
fn lanes(lo: i8, hi: i8) -> u32 {
    (lo as i16 as u16 as u32) | ((hi as i16 as u16 as u32) << 16)
}

/// Words of [`Cols`] one input channel takes: 8 per group of 4 taps, 4 for a last group with a
/// single tap (`K mod 4 = 1`); the channels follow each other without gaps.
pub(crate) const fn span<const K: usize, const KQ: usize>() -> usize {
    if K % 4 == 1 {
        8 * KQ - 4
    } else {
        8 * KQ
    }
}

/// Gathers one input channel's window (`win[0]` = the tile's first input index) into its
/// [`span`] words of [`Cols`]: per full group `[ea0, eb0, ea1, eb1, ea2, eb2, ea3, eb3]`, and
/// for a last group with one tap the even pairs `[ea0, ea1, ea2, ea3]`.
#[inline(always)]
fn gather<const K: usize, const KQ: usize, const S: usize, const D: usize, const W: usize>(
    win: &[i8; W],
    dst: &mut [u32],
) {
    let (groups, tail) = dst.as_chunks_mut::<8>();
    for (g, grp) in groups.iter_mut().enumerate().take(KQ) {
        let (pairs, _) = grp.as_chunks_mut::<2>();
        for (j, pair) in pairs.iter_mut().enumerate() {
            let at = j * S + 4 * g * D;
            if D == 1 {
                // the group is one word of the window (taps past K meet zero weights)
                if let Some(b) = win.get(at..).and_then(|r| r.first_chunk::<4>()) {
                    let v = word(b);
                    *pair = [sxtb16(v), sxtb16_ror8(v)];
                }
            } else {
                let t = |i: usize| if 4 * g + i < K { win.get(at + i * D).copied().unwrap_or(0) } else { 0 };
                *pair = [lanes(t(0), t(2)), lanes(t(1), t(3))];
            }
        }
    }
    if K % 4 == 1 {
        // the last group holds one tap: the 4 positions' even pairs `(t0, 0)`
        let g = KQ - 1;
        for (j, e) in tail.iter_mut().enumerate() {
            *e = lanes(win.get(j * S + 4 * g * D).copied().unwrap_or(0), 0);
        }
    }
}

/// The DSP form for `S > 1` or `D > 1` (module docs). Missing input rows (fewer than `C`) add
/// nothing and output channels past the shortest of `w`, `ch`, `out_rows` are not written, as in
/// the portable form.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn conv1d_cols<
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
    rows: &[[i8; L]],
    w: &[Filter<KQ, C>],
    ch: &[Channel],
    q: &Output,
    pad: i8,
    out_rows: &mut [[i8; OL]],
) {
    if core::mem::size_of::<Cols<KQ, C>>() > COLS_MAX_BYTES {
        return conv1d_cols_blocked::<C, K, KQ, S, D, P, L, OL, W>(rows, w, ch, q, pad, out_rows);
    }
    let mut buf = [pad; W];
    let mut cols: Cols<KQ, C> = [[[[0; 2]; 4]; KQ]; C];
    for t in 0..OL.div_ceil(4) {
        let o = 4 * t;
        let flat = cols.as_flattened_mut().as_flattened_mut().as_flattened_mut();
        let (chans, _) = flat.split_at_mut_checked(C * span::<K, KQ>()).unwrap_or((&mut [], &mut []));
        for (dst, xr) in chans.chunks_exact_mut(span::<K, KQ>()).zip(rows) {
            gather::<K, KQ, S, D, W>(window::<L, W>(xr, start::<S, P>(o), pad, &mut buf), dst);
        }
        for ((f, c), row) in w.iter().zip(ch).zip(out_rows.iter_mut()) {
            let acc = cols4::<K, KQ, C>(&cols, f, [c.bias; 4]);
            store(row, o, prepare(c, q).apply4(acc));
        }
    }
}

/// Largest gathered tile ([`Cols`], on the stack) [`conv1d_cols`] builds for all input channels
/// at once. CCfC's front end (12 rows of 387 taps) would need 37 KiB.
const COLS_MAX_BYTES: usize = 4096;

/// Output channels whose sums [`conv1d_cols_blocked`] carries across input channels.
const OC_BLOCK: usize = 16;

/// [`conv1d_cols`] for tiles too big to gather whole: per tile and block of [`OC_BLOCK`] output
/// channels, each input channel is gathered alone (`32·KQ` bytes) and run against the block's
/// filters, the sums carried in registers' worth of stack (`16·OC_BLOCK` bytes). The gather is
/// repeated once per block instead of once per tile; the sums are the same integers (wrapping
/// 32-bit addition does not depend on the order).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn conv1d_cols_blocked<
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
    rows: &[[i8; L]],
    w: &[Filter<KQ, C>],
    ch: &[Channel],
    q: &Output,
    pad: i8,
    out_rows: &mut [[i8; OL]],
) {
    let mut buf = [pad; W];
    let mut cols: Cols<KQ, 1> = [[[[0; 2]; 4]; KQ]; 1];
    for t in 0..OL.div_ceil(4) {
        let o = 4 * t;
        for ((wb, chb), ob) in w.chunks(OC_BLOCK).zip(ch.chunks(OC_BLOCK)).zip(out_rows.chunks_mut(OC_BLOCK)) {
            let mut acc = [[0i32; 4]; OC_BLOCK];
            for (a, c) in acc.iter_mut().zip(chb) {
                *a = [c.bias; 4];
            }
            for (ic, xr) in rows.iter().enumerate().take(C) {
                let flat = cols.as_flattened_mut().as_flattened_mut().as_flattened_mut();
                if let Some(dst) = flat.get_mut(..span::<K, KQ>()) {
                    gather::<K, KQ, S, D, W>(window::<L, W>(xr, start::<S, P>(o), pad, &mut buf), dst);
                }
                for (a, f) in acc.iter_mut().zip(wb) {
                    if let Some(fc) = f.get(ic) {
                        *a = cols4::<K, KQ, 1>(&cols, core::array::from_ref(fc), *a);
                    }
                }
            }
            for ((a, c), row) in acc.iter().zip(chb).zip(ob.iter_mut()) {
                store(row, o, prepare(c, q).apply4(*a));
            }
        }
    }
}
