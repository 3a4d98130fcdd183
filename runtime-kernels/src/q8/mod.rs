//! int8 kernels with TFLite int8 / CMSIS-NN semantics: per-channel symmetric int8 weights,
//! per-tensor asymmetric int8 activations, int32 bias, fixed-point requantization
//! ([`requant::requantize`]).
//!
//! # The folded-bias contract
//!
//! TFLite computes `Σ_k (x[k] + input_offset) · w[k] + bias` (`input_offset` = −input zero point).
//! The compiler passes `bias' = bias + input_offset · Σ_k w[k]` ([`fold_bias`]) in
//! [`Channel::bias`], so the kernels only sum `x · w`. Convolution padding must add nothing in
//! the real domain, that is `(x + input_offset) · w = 0`: the kernels fill padding with the
//! input zero point (`pad = −input_offset`, an int8 value), which makes the folded sum exact at
//! the edges too.
//!
//! # Weight layout
//!
//! Every weight row (a dense output's `K` weights, a convolution's `K` taps per input channel) is
//! stored as `[[i8; 4]; KQ]` with `KQ = ceil(K / 4)` and zeros after the last weight
//! ([`pack_row`]): four consecutive weights are one 32-bit word, which the DSP path loads once and
//! splits with `SXTB16` into (`w0`, `w2`) and (`w1`, `w3`) lanes, matching the same split of four
//! activations, so `SMLAD` needs no reordering (module [`dsp`]). The portable path reads the same
//! layout; `K` is passed as well, so it skips the zero tail.
//!
//! [`dense16`] is the 16x8 variant (int16 activations and outputs, int64 bias), for state that int8
//! would collapse.
//!
//! # Two paths, one result
//!
//! Each kernel has a portable form (`*_portable`, plain safe Rust) and a DSP form (`*_dsp`,
//! `SXTB16`/`SMLAD` through `core::arch::asm!` on Arm, the same arithmetic in plain Rust
//! elsewhere so host tests exercise its data flow). Integer sums are exact (wrapping at 32 bits,
//! as `SMLAD` does), so both give the same bits; tests prove it on the host and, for the real
//! instructions, on the emulated Cortex-M7 (`examples/firmware/q8-bench`, run by
//! `runtime-kernels/tests/q8_dsp_qemu.rs`; `docs/BENCH-INT8.md` has the instruction counts).
//! The unsuffixed kernel picks the DSP form where `cfg(target_feature = "dsp")` holds. On stable
//! Rust (1.95) that cfg is never set — `dsp` is an unstable Arm target feature, hidden from `cfg`
//! even on `thumbv7em`, whose cores all have it — so code generated for a Cortex-M4/M7 calls the
//! `*_dsp` form by name. On an Arm core without the DSP extension (`thumbv6m`, `thumbv7m`) the
//! DSP forms must not be called: they are generic, so they are only assembled where used.

pub mod cols;
pub mod conv1d;
pub mod dense;
pub mod dense16;
pub mod depthwise;
pub mod dsp;
pub mod requant;

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

/// Requantization of one output channel: the folded bias ([module docs](self)) and the
/// fixed-point multiplier and shift of `input_scale · weight_scale[c] / output_scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    /// `bias + input_offset · Σ w` (the accumulator's start value).
    pub bias: i32,
    /// Q31 multiplier in `[2^30, 2^31)` (0 for a zero scale).
    pub mult: i32,
    /// Power of two, `−31 ..= 31` ([`requant::requantize`]).
    pub shift: i32,
}

/// Output quantization of a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    /// The output zero point.
    pub offset: i32,
    /// Smallest output (−128, or the zero point for a fused ReLU).
    pub min: i32,
    /// Largest output (127, or less for a fused clip). `−128 ≤ min ≤ max ≤ 127`.
    pub max: i32,
}

/// `clamp(requantize(acc) + offset, min, max)`: one output value from its accumulator.
#[inline(always)]
pub fn finish(acc: i32, ch: &Channel, q: &Output) -> i8 {
    let v = requant::requantize(acc, ch.mult, ch.shift).saturating_add(q.offset);
    v.max(q.min).min(q.max) as i8
}

/// [`finish`] with the per-channel work done once ([`requant::Prepared`]).
#[inline(always)]
pub(crate) fn prepare(ch: &Channel, q: &Output) -> requant::Prepared {
    requant::Prepared::new(ch.mult, ch.shift, q.offset, q.min, q.max)
}

/// Packs one row of `K` weights as `KQ = ceil(K / 4)` words with a zero tail (the layout the
/// int8 kernels stream). Weights past `4·KQ` are dropped; a `KQ` below `ceil(K / 4)` does not
/// compile.
pub const fn pack_row<const K: usize, const KQ: usize>(w: &[i8; K]) -> [[i8; 4]; KQ] {
    const {
        assert!(KQ == K.div_ceil(4), "pack_row: KQ must be ceil(K / 4)");
    }
    let mut out = [[0i8; 4]; KQ];
    let mut k = 0;
    while k < K {
        out[k / 4][k % 4] = w[k];
        k += 1;
    }
    out
}

/// The folded bias of one output channel: `bias + input_offset · Σ w` over all its weights
/// (every input channel and tap), with `input_offset` the negated input zero point. Wrapping
/// 32-bit arithmetic, as the accumulator's.
pub const fn fold_bias(bias: i32, input_offset: i32, w: &[i8]) -> i32 {
    let mut s = 0i32;
    let mut i = 0;
    while i < w.len() {
        s = s.wrapping_add(w[i] as i32);
        i += 1;
    }
    bias.wrapping_add(input_offset.wrapping_mul(s))
}

/// Four int8 values as one little-endian word (a single `LDR`, unaligned allowed on the M7).
#[inline(always)]
pub(crate) fn word(b: &[i8; 4]) -> u32 {
    u32::from_le_bytes([b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8])
}

/// `x[start .. start + W]` of one input row, with `pad` outside the row: a reference when the
/// window lies inside, else a copy in `buf`.
#[inline(always)]
pub(crate) fn window<'a, const L: usize, const W: usize>(
    x: &'a [i8; L],
    start: isize,
    pad: i8,
    buf: &'a mut [i8; W],
) -> &'a [i8; W] {
    if start >= 0 {
        if let Some(w) = x.get(start as usize..).and_then(|r| r.first_chunk::<W>()) {
            return w;
        }
    }
    fill_window(x, start, pad, buf);
    buf
}

/// Writes `x[start .. start + W]` into `buf`, with `pad` outside the row.
#[inline(always)]
pub(crate) fn fill_window<const L: usize, const W: usize>(x: &[i8; L], start: isize, pad: i8, buf: &mut [i8; W]) {
    if W > 32 {
        // pad | x[start + lo .. start + hi] | pad: bulk fills and one copy
        let lo = (-start).clamp(0, W as isize) as usize;
        let hi = (L as isize - start).max(lo as isize).min(W as isize) as usize;
        let from = (start + lo as isize).max(0) as usize;
        if let (Some(dst), Some(src)) = (buf.get_mut(lo..hi), x.get(from..)) {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
        if let Some(head) = buf.get_mut(..lo) {
            head.fill(pad);
        }
        if let Some(tail) = buf.get_mut(hi..) {
            tail.fill(pad);
        }
        return;
    }
    // short windows word by word (an unaligned load and a store where the word lies inside the
    // row), byte by byte only at the row's ends: cheaper than `memset` plus `memcpy` calls
    let byte = |at: isize| if at >= 0 { x.get(at as usize).copied().unwrap_or(pad) } else { pad };
    let (words, rest) = buf.as_chunks_mut::<4>();
    let mut at = start;
    for d in words.iter_mut() {
        *d = match x.get(at.max(0) as usize..).and_then(|r| r.first_chunk::<4>()) {
            Some(s) if at >= 0 => *s,
            _ => [byte(at), byte(at + 1), byte(at + 2), byte(at + 3)],
        };
        at += 4;
    }
    for v in rest.iter_mut() {
        *v = byte(at);
        at += 1;
    }
}

/// `x[start .. start + dst.len()]` of one row into `dst`, with `pad` outside the row.
#[inline(always)]
pub(crate) fn fill_slice<const L: usize>(x: &[i8; L], start: isize, pad: i8, dst: &mut [i8]) {
    let n = dst.len();
    let lo = (-start).max(0).min(n as isize) as usize;
    let hi = (L as isize - start).max(lo as isize).min(n as isize) as usize;
    let from = (start + lo as isize).max(0) as usize;
    if let (Some(d), Some(src)) = (dst.get_mut(lo..hi), x.get(from..)) {
        for (d, s) in d.iter_mut().zip(src) {
            *d = *s;
        }
    }
    if let Some(head) = dst.get_mut(..lo) {
        head.fill(pad);
    }
    if let Some(tail) = dst.get_mut(hi..) {
        tail.fill(pad);
    }
}
