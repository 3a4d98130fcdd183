//! int8 depthwise 1-D convolution (one filter per channel): the S4D / ConvLSTM shape, short or
//! long kernels (K = 7, K = 64), with the same geometry parameters, window `W`, padding rule and
//! folded bias as [`conv1d`](super::conv1d) (`C = 1` per channel).
//!
//! `out[c][p] = clamp(requantize(bias'[f] + Σ_{k<K} w[f][k] · x̂[c][p·S + k·D − P]) + offset, min,
//! max)` with `f = c mod w.len()` (filters reused cyclically over batch items), `x̂` the input with
//! `pad` (the input zero point) outside it.
//!
//! The DSP form runs 4 positions per tile with the convolution's inner loops (one row): for
//! stride 1, per group of 4 taps 2 activation loads widened into the positions' shared lane
//! pairs, one weight word widened into 2, and 8 `SMLAD` — 17 instructions per 16 MACs unrolled,
//! 19 in a loop. Edge tiles of long filters add the taps that read only padding as `pad · Σw`
//! and run the rest on a shorter window. Dilations above 1 take the portable loop.
//!
//! Preconditions (the compiler's): `x.len() / L == out.len() / OL`, `w.len() == ch.len() ≥ 1`.
//! Outside them the kernels compute less, never panic.

use super::conv1d::{check, row_dsp, start, store, tile_portable};
use super::{prepare, Channel, Output};

/// Bytes of stack the kernels' arrays take (one window of `w` bytes), for the memory report.
pub const fn depthwise_s8_stack_bytes(w: usize) -> usize {
    w
}

/// The portable form (module docs).
#[allow(clippy::too_many_arguments)]
pub fn depthwise_s8_portable<
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
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel],
    q: &Output,
    pad: i8,
    out: &mut [i8],
) {
    const { check::<K, KQ, S, D, W>() };
    let (rows, _) = x.as_chunks::<L>();
    let (out_rows, _) = out.as_chunks_mut::<OL>();
    let mut buf = [pad; W];
    for (xr, (row, (f, c))) in rows.iter().zip(out_rows.iter_mut().zip(w.iter().zip(ch).cycle())) {
        let f = core::array::from_ref(f);
        let pc = prepare(c, q);
        for o in (0..OL).step_by(4) {
            let acc = tile_portable::<1, K, KQ, S, D, L, W>(
                core::slice::from_ref(xr),
                f,
                c.bias,
                start::<S, P>(o),
                pad,
                &mut buf,
            );
            store(row, o, pc.apply_each(acc));
        }
    }
}

/// The DSP form (module docs; `SMLAD` on Arm). Dilations above 1 take the portable loop.
#[allow(clippy::too_many_arguments)]
pub fn depthwise_s8_dsp<
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
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel],
    q: &Output,
    pad: i8,
    out: &mut [i8],
) {
    const { check::<K, KQ, S, D, W>() };
    if D != 1 {
        return depthwise_s8_portable::<K, KQ, S, D, P, L, OL, W>(x, w, ch, q, pad, out);
    }
    let (rows, _) = x.as_chunks::<L>();
    let (out_rows, _) = out.as_chunks_mut::<OL>();
    let mut buf = [pad; W];
    for (xr, (row, (f, c))) in rows.iter().zip(out_rows.iter_mut().zip(w.iter().zip(ch).cycle())) {
        let f = core::array::from_ref(f);
        let xr = core::slice::from_ref(xr);
        row_dsp::<1, KQ, S, P, L, OL, W, true>(xr, f, c, q, pad, &mut buf, row);
    }
}

/// The DSP form where `cfg(target_feature = "dsp")` holds, else the portable one ([module
/// docs](super)).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn depthwise_s8<
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
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel],
    q: &Output,
    pad: i8,
    out: &mut [i8],
) {
    #[cfg(target_feature = "dsp")]
    depthwise_s8_dsp::<K, KQ, S, D, P, L, OL, W>(x, w, ch, q, pad, out);
    #[cfg(not(target_feature = "dsp"))]
    depthwise_s8_portable::<K, KQ, S, D, P, L, OL, W>(x, w, ch, q, pad, out);
}
