//! int8 fully connected layer:
//! `out[r][j] = clamp(requantize(bias'[j] + Σ_k x[r][k] · w[j][k]) + offset, min, max)` with the
//! folded bias `bias'` ([module docs](super)), per-channel
//! multipliers and the geometry as const generics (`K` inputs, `KQ = ceil(K / 4)` weight words
//! per output, `N` outputs).
//!
//! `w` holds one packed row per output ([`pack_row`](super::pack_row)), `ch` one
//! [`Channel`] per output, `x` and `out` any number of rows of `K` and `N` values.
//! Preconditions (the compiler's): `w.len() == ch.len() == N`, `x.len() / K == out.len() / N`;
//! outside them the kernels write less, never panic.
//!
//! The DSP form widens each input row once into `SMLAD` lane pairs (a `[[u32; 2]; KQ]` on the
//! stack, 8·KQ bytes), then runs 4 outputs at a time ([`rows4`]): per group of 4 inputs one
//! `LDRD` of the pairs, and per output one weight load, two `SXTB16`, two `SMLAD` — 23
//! instructions per 16 MACs. With int8 weights and one input row that is close to the floor:
//! every weight is used once and must be widened to 16-bit lanes (one instruction per pair)
//! before its `SMLAD` (one per pair), so at least 1 instruction per MAC plus the loads.

use super::dsp::{clamp4, rows4, smlad, sxtb16, sxtb16_ror8, widen};
use super::{finish, prepare, word, Channel, Output};

/// The row's activations as words: the full groups of 4, and the last partial group padded with
/// zeros (its weights are zero past `K`).
#[inline(always)]
fn groups<const K: usize>(xr: &[i8; K]) -> (&[[i8; 4]], Option<u32>) {
    let (full, rest) = xr.as_chunks::<4>();
    let tail = (!rest.is_empty()).then(|| {
        let mut t = [0i8; 4];
        for (d, &s) in t.iter_mut().zip(rest) {
            *d = s;
        }
        word(&t)
    });
    (full, tail)
}

/// Bytes of stack the DSP form's arrays take (the widened input row), for the memory report;
/// the portable form takes none.
pub const fn dense_s8_stack_bytes(kq: usize) -> usize {
    8 * kq
}

/// The portable form (module docs).
pub fn dense_s8_portable<const K: usize, const KQ: usize, const N: usize>(
    x: &[i8],
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel],
    q: &Output,
    out: &mut [i8],
) {
    const { assert!(KQ == K.div_ceil(4), "dense_s8: KQ must be ceil(K / 4)") };
    let (rows, _) = x.as_chunks::<K>();
    let (out_rows, _) = out.as_chunks_mut::<N>();
    for (xr, or) in rows.iter().zip(out_rows.iter_mut()) {
        for ((o, wj), c) in or.iter_mut().zip(w).zip(ch) {
            let mut acc = c.bias;
            for (&xv, &wv) in xr.iter().zip(wj.as_flattened()) {
                acc = acc.wrapping_add(i32::from(xv) * i32::from(wv));
            }
            *o = finish(acc, c, q);
        }
    }
}

/// The DSP form (module docs; `SMLAD` on Arm).
pub fn dense_s8_dsp<const K: usize, const KQ: usize, const N: usize>(
    x: &[i8],
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel],
    q: &Output,
    out: &mut [i8],
) {
    const { assert!(KQ == K.div_ceil(4), "dense_s8: KQ must be ceil(K / 4)") };
    let (rows, _) = x.as_chunks::<K>();
    let (out_rows, _) = out.as_chunks_mut::<N>();
    let (w4, _) = w.as_chunks::<4>();
    let (c4, _) = ch.as_chunks::<4>();
    for (xr, or) in rows.iter().zip(out_rows.iter_mut()) {
        // the row's activations widened once for all outputs (the partial last group with zeros)
        let mut xw = [[0u32; 2]; KQ];
        let (full, tail) = groups(xr);
        for (d, g) in xw.iter_mut().zip(full) {
            *d = widen(g);
        }
        if let (Some(t), Some(d)) = (tail, xw.last_mut()) {
            *d = [sxtb16(t), sxtb16_ror8(t)];
        }
        let (o4, _) = or.as_chunks_mut::<4>();
        for ((o, wt), cs) in o4.iter_mut().zip(w4).zip(c4) {
            let a = rows4::<KQ>(&xw, wt, [cs[0].bias, cs[1].bias, cs[2].bias, cs[3].bias]);
            let p = |i: usize, v: i32| prepare(&cs[i], q).unclamped(v);
            *o = clamp4([p(0, a[0]), p(1, a[1]), p(2, a[2]), p(3, a[3])], q.min, q.max);
        }
        // the last N % 4 outputs one at a time
        let done = 4 * w4.len();
        for ((o, wj), c) in or.iter_mut().zip(w).zip(ch).skip(done) {
            let mut acc = c.bias;
            for ([xa, xb], g) in xw.iter().zip(wj) {
                let v = word(g);
                acc = smlad(sxtb16_ror8(v), *xb, smlad(sxtb16(v), *xa, acc));
            }
            *o = prepare(c, q).apply(acc);
        }
    }
}

/// The DSP form where `cfg(target_feature = "dsp")` holds, else the portable one ([module
/// docs](super)).
#[inline(always)]
pub fn dense_s8<const K: usize, const KQ: usize, const N: usize>(
    x: &[i8],
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel],
    q: &Output,
    out: &mut [i8],
) {
    #[cfg(target_feature = "dsp")]
    dense_s8_dsp::<K, KQ, N>(x, w, ch, q, out);
    #[cfg(not(target_feature = "dsp"))]
    dense_s8_portable::<K, KQ, N>(x, w, ch, q, out);
}
