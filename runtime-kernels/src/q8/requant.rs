//! Requantization: TFLite's `MultiplyByQuantizedMultiplier` (the reference kernels' default, not
//! the `TFLITE_SINGLE_ROUNDING` variant), which CMSIS-NN's `arm_nn_requantize` also computes
//! when built without `CMSIS_NN_USE_SINGLE_ROUNDING`.
//!
//! `requantize(acc, m, shift)` approximates `acc · m · 2^(shift − 31)` in two rounding steps:
//!
//! 1. `a = acc · 2^max(shift, 0)` (two's-complement wrapping, as the C code compiles on Arm);
//! 2. `h = SaturatingRoundingDoublingHighMul(a, m)`: the high 32 bits of `2·a·m`, rounded to
//!    nearest with ties towards +∞ (gemmlowp's nudge `±2^30` then truncating division by `2^31`,
//!    equal to CMSIS-NN's `(a·m + 2^30) >> 31`); the one overflowing case,
//!    `a == m == i32::MIN`, saturates to `i32::MAX` (CMSIS-NN's `_no_sat` variant wraps there,
//!    but a valid multiplier is positive, so the two never differ in practice);
//! 3. `RoundingDivideByPOT(h, max(−shift, 0))`: arithmetic shift right, rounded to nearest with
//!    ties away from zero.
//!
//! Shifts are clamped to `−31 ..= 31` (a quantized multiplier's shift is always in that range),
//! so no input panics.

/// `acc · multiplier · 2^(shift − 31)` rounded as TFLite's reference kernels round it (module
/// docs). `multiplier` is a Q31 fixed-point number in `[2^30, 2^31)` for a real scale in
/// `[0.5, 1)`, `shift` the power of two that brings the scale into that range.
#[inline(always)]
pub fn requantize(acc: i32, multiplier: i32, shift: i32) -> i32 {
    let left = shift.clamp(0, 31) as u32;
    let right = (-shift).clamp(0, 31) as u32;
    rounding_divide_by_pot(doubling_high_mul(acc.wrapping_shl(left), multiplier), right)
}

/// gemmlowp's `SaturatingRoundingDoublingHighMul`: `round(a · b / 2^31)`, ties towards +∞,
/// saturating the single overflow `i32::MIN · i32::MIN`.
#[inline(always)]
pub fn doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    // |a·b| ≤ 2^62 − 2^31 here, so adding the nudge cannot overflow; floor((p + 2^30) / 2^31)
    // equals gemmlowp's truncating division of p ± nudge (ties towards +∞ on both sides).
    ((a as i64 * b as i64 + (1 << 30)) >> 31) as i32
}

/// gemmlowp's `RoundingDivideByPOT`: `x / 2^exponent` rounded to nearest, ties away from zero
/// (`exponent` in `0 ..= 31`).
#[inline(always)]
pub fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    let e = exponent.min(31);
    let mask = ((1i64 << e) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> e) + i32::from(remainder > threshold)
}

/// One output channel's requantization with everything that does not depend on the accumulator
/// worked out once per channel (the kernels build it before their loop over positions): the
/// same result as [`requantize`] followed by the offset and clamp, in about half the
/// instructions.
#[derive(Clone, Copy, Debug)]
pub struct Prepared {
    left: u32,
    right: u32,
    mult: i32,
    /// `2^(right − 1)`, or 0 for `right == 0`
    round: u32,
    /// 1 if `right > 0` (ties of negative values move away from zero), else 0
    neg: u32,
    offset: i32,
    min: i32,
    max: i32,
}

impl Prepared {
    /// From a channel's multiplier and shift and the layer's output quantization.
    #[inline(always)]
    pub fn new(mult: i32, shift: i32, offset: i32, min: i32, max: i32) -> Prepared {
        let left = shift.clamp(0, 31) as u32;
        let right = (-shift).clamp(0, 31) as u32;
        let round = if right > 0 { 1u32 << (right - 1) } else { 0 };
        Prepared { left, right, mult, round, neg: u32::from(right > 0), offset, min, max }
    }

    /// `clamp(requantize(acc, mult, shift) + offset, min, max)` as `i8`.
    #[inline(always)]
    pub fn apply(&self, acc: i32) -> i8 {
        self.unclamped(acc).max(self.min).min(self.max) as i8
    }

    /// [`apply`](Self::apply) for 4 accumulators at once, the clamp done on the 4 packed bytes
    /// (`SSAT`, then `SSUB8`/`SEL` against the packed bounds on Arm: equal, since
    /// `−128 ≤ min ≤ max ≤ 127`).
    #[inline(always)]
    pub fn apply4(&self, acc: [i32; 4]) -> [i8; 4] {
        let v = if self.mult != i32::MIN {
            [self.unsaturated(acc[0]), self.unsaturated(acc[1]), self.unsaturated(acc[2]), self.unsaturated(acc[3])]
        } else {
            [self.unclamped(acc[0]), self.unclamped(acc[1]), self.unclamped(acc[2]), self.unclamped(acc[3])]
        };
        super::dsp::clamp4(v, self.min, self.max)
    }

    /// [`apply`](Self::apply) of 4 accumulators, one by one (the portable kernels' form).
    #[inline(always)]
    pub fn apply_each(&self, acc: [i32; 4]) -> [i8; 4] {
        [self.apply(acc[0]), self.apply(acc[1]), self.apply(acc[2]), self.apply(acc[3])]
    }

    /// `requantize(acc) + offset`, saturating, before the clamp.
    #[inline(always)]
    pub fn unclamped(&self, acc: i32) -> i32 {
        if self.mult == i32::MIN && acc.wrapping_shl(self.left) == i32::MIN {
            return self.divide(i32::MAX).saturating_add(self.offset);
        }
        self.unsaturated(acc)
    }

    /// [`unclamped`](Self::unclamped) where the doubling high multiply cannot saturate (any
    /// accumulator unless `mult == i32::MIN`).
    #[inline(always)]
    fn unsaturated(&self, acc: i32) -> i32 {
        let a = acc.wrapping_shl(self.left);
        let h = ((a as i64 * self.mult as i64 + (1 << 30)) >> 31) as i32;
        self.divide(h).saturating_add(self.offset)
    }

    /// RoundingDivideByPOT: ties away from zero is floor((h + 2^(r−1) − [h < 0]) / 2^r) for
    /// r ≥ 1; the sum is formed in 32 unsigned bits (it cannot wrap for h ≥ 0, where the shift
    /// is logical; for h < 0 it stays negative and the shift is arithmetic).
    #[inline(always)]
    fn divide(&self, h: i32) -> i32 {
        let t = (h as u32).wrapping_add(self.round).wrapping_sub((h as u32 >> 31) & self.neg);
        if h < 0 {
            (t as i32) >> self.right
        } else {
            (t >> self.right) as i32
        }
    }
}
