//! 16x8 fully connected layer (TFLite's int16-activation scheme, as for LSTM and S4D state):
//! symmetric int16 activations (zero point 0), per-channel symmetric int8 weights, int64 bias and
//! accumulation, and TFLite's 64-bit requantization ([`requantize64`]):
//! `out[r][j] = clamp(requantize64(bias[j] + Σ_k x[r][k] · w[j][k], mult[j], shift[j]), min, max)`.
//!
//! Weights use the int8 dense layout ([`pack_row`](super::pack_row)), so the compiler packs both
//! kinds alike. The DSP form widens each row of activations once into the lane pairs `SMLAD`
//! takes — (`x0`, `x2`) and (`x1`, `x3`) per group of 4, by halfword packing — and runs the
//! int8 kernel's inner loop ([`rows4`]); its 32-bit sums are exact while
//! `K · 2^15 · 2^7 < 2^31`, that is `K ≤ 511` (a compile-time condition: larger `K` take the
//! portable 64-bit loop). The bias is added in 64 bits afterwards, as TFLite adds it.
//!
//! Preconditions (the compiler's): `w.len() == ch.len() == N`, `x.len() / K == out.len() / N`;
//! outside them the kernels write less, never panic.

use super::dsp::{rows4, smlad, sxtb16, sxtb16_ror8};
use super::word;

/// Requantization of one output channel of a 16x8 layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel16 {
    /// The int64 bias (the activations' zero point is 0, so nothing is folded).
    pub bias: i64,
    /// Q31 multiplier in `[2^30, 2^31)` (0 for a zero scale).
    pub mult: i32,
    /// Power of two, `−31 ..= 7` ([`requantize64`]).
    pub shift: i32,
}

/// Output bounds of a 16x8 layer (zero point 0): `−32768 ≤ min ≤ max ≤ 32767`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output16 {
    /// Smallest output.
    pub min: i32,
    /// Largest output.
    pub max: i32,
}

/// TFLite's `MultiplyByQuantizedMultiplier(int64_t x, int32_t m, int shift)` (CMSIS-NN's
/// `arm_nn_requantize_s64`): the multiplier reduced to 16 bits with rounding
/// (`(m + 2^15) >> 16`, or `0x7FFF` from `0x7FFF0000` up), then one rounding shift:
/// `(x · m16 + 2^(14 − shift)) >> (15 − shift)`, ties towards +∞. `shift` is clamped to
/// `−31 ..= 7` and `x · m16` wraps at 64 bits (TFLite asserts `|x| < 2^47`, where neither
/// happens); the result is truncated to 32 bits, as the C cast does.
#[inline(always)]
pub fn requantize64(x: i64, mult: i32, shift: i32) -> i32 {
    let m16 = if mult < 0x7FFF_0000 { (mult.wrapping_add(1 << 15)) >> 16 } else { 0x7FFF };
    let total = (15 - shift.clamp(-31, 7)) as u32; // 8 ..= 46
    (x.wrapping_mul(m16 as i64).wrapping_add(1i64 << (total - 1)) >> total) as i32
}

#[inline(always)]
fn finish(acc: i64, c: &Channel16, q: &Output16) -> i16 {
    requantize64(acc, c.mult, c.shift).max(q.min).min(q.max) as i16
}

/// Bytes of stack the DSP form's arrays take (the widened input row), for the memory report;
/// the portable form takes none.
pub const fn dense_s16_stack_bytes(kq: usize) -> usize {
    8 * kq
}

/// The portable form (module docs).
pub fn dense_s16_portable<const K: usize, const KQ: usize, const N: usize>(
    x: &[i16],
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel16],
    q: &Output16,
    out: &mut [i16],
) {
    const { assert!(KQ == K.div_ceil(4), "dense_s16: KQ must be ceil(K / 4)") };
    let (rows, _) = x.as_chunks::<K>();
    let (out_rows, _) = out.as_chunks_mut::<N>();
    for (xr, or) in rows.iter().zip(out_rows.iter_mut()) {
        for ((o, wj), c) in or.iter_mut().zip(w).zip(ch) {
            let mut acc = c.bias;
            for (&xv, &wv) in xr.iter().zip(wj.as_flattened()) {
                acc = acc.wrapping_add(i64::from(xv) * i64::from(wv));
            }
            *o = finish(acc, c, q);
        }
    }
}

/// The DSP form (module docs; `SMLAD` on Arm, for `K ≤ 511`).
pub fn dense_s16_dsp<const K: usize, const KQ: usize, const N: usize>(
    x: &[i16],
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel16],
    q: &Output16,
    out: &mut [i16],
) {
    const { assert!(KQ == K.div_ceil(4), "dense_s16: KQ must be ceil(K / 4)") };
    if K > 511 {
        return dense_s16_portable::<K, KQ, N>(x, w, ch, q, out);
    }
    let (rows, _) = x.as_chunks::<K>();
    let (out_rows, _) = out.as_chunks_mut::<N>();
    let (w4, _) = w.as_chunks::<4>();
    let (c4, _) = ch.as_chunks::<4>();
    for (xr, or) in rows.iter().zip(out_rows.iter_mut()) {
        // (x0, x2) and (x1, x3) per group of 4, zeros past K
        let mut xw = [[0u32; 2]; KQ];
        let (full, rest) = xr.as_chunks::<4>();
        let pair = |[a, b, c, d]: [i16; 4]| {
            let h = |v: i16| v as u16 as u32;
            [h(a) | (h(c) << 16), h(b) | (h(d) << 16)]
        };
        for (d, g) in xw.iter_mut().zip(full) {
            *d = pair(*g);
        }
        if !rest.is_empty() {
            let mut t = [0i16; 4];
            for (d, &s) in t.iter_mut().zip(rest) {
                *d = s;
            }
            if let Some(d) = xw.last_mut() {
                *d = pair(t);
            }
        }
        let (o4, _) = or.as_chunks_mut::<4>();
        for ((o, wt), cs) in o4.iter_mut().zip(w4).zip(c4) {
            let a = rows4::<KQ>(&xw, wt, [0; 4]);
            for ((o, &a), c) in o.iter_mut().zip(&a).zip(cs) {
                *o = finish(c.bias.wrapping_add(i64::from(a)), c, q);
            }
        }
        let done = 4 * w4.len();
        for ((o, wj), c) in or.iter_mut().zip(w).zip(ch).skip(done) {
            let mut a = 0i32;
            for ([xa, xb], g) in xw.iter().zip(wj) {
                let v = word(g);
                a = smlad(sxtb16_ror8(v), *xb, smlad(sxtb16(v), *xa, a));
            }
            *o = finish(c.bias.wrapping_add(i64::from(a)), c, q);
        }
    }
}

/// The DSP form where `cfg(target_feature = "dsp")` holds, else the portable one ([module
/// docs](super)).
#[inline(always)]
pub fn dense_s16<const K: usize, const KQ: usize, const N: usize>(
    x: &[i16],
    w: &[[[i8; 4]; KQ]],
    ch: &[Channel16],
    q: &Output16,
    out: &mut [i16],
) {
    #[cfg(target_feature = "dsp")]
    dense_s16_dsp::<K, KQ, N>(x, w, ch, q, out);
    #[cfg(not(target_feature = "dsp"))]
    dense_s16_portable::<K, KQ, N>(x, w, ch, q, out);
}
