//! Test-only oracle: TFLite's int8 formulas written out naively (i64 sums, gemmlowp's rounding
//! code transcribed literally, padding taps skipped in the real domain), independent of the
//! kernels' folded-bias, packed-weight form; and TFLite's `QuantizeMultiplier` to make realistic
//! multipliers from real scales.

use std::vec::Vec;

/// gemmlowp / TFLite `MultiplyByQuantizedMultiplier`, transcribed (division, not shifts).
pub fn requantize(x: i32, m: i32, shift: i32) -> i32 {
    let left = shift.clamp(0, 31);
    let right = (-shift).clamp(0, 31);
    let a = (x as i64 * (1i64 << left)) as i32; // C's int32 product, two's complement
    let h = if a == i32::MIN && m == i32::MIN {
        i32::MAX
    } else {
        let ab = a as i64 * m as i64;
        let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
        ((ab + nudge) / (1i64 << 31)) as i32
    };
    let mask = (1i64 << right) - 1;
    let remainder = h as i64 & mask;
    let threshold = (mask >> 1) + i64::from(h < 0);
    ((h as i64 >> right) + i64::from(remainder > threshold)) as i32
}

/// TFLite's `QuantizeMultiplier`: `real ≈ m · 2^(shift − 31)` with `m` in `[2^30, 2^31)`.
pub fn quantize_multiplier(real: f64) -> (i32, i32) {
    if real == 0.0 {
        return (0, 0);
    }
    let mut exp = real.log2().floor() as i32 + 1;
    let frac = real / 2f64.powi(exp); // [0.5, 1)
    let mut q = (frac * (1u64 << 31) as f64).round() as i64;
    if q == 1 << 31 {
        q /= 2;
        exp += 1;
    }
    if exp < -31 {
        return (0, 0);
    }
    (q as i32, exp.min(30))
}

/// Per-tensor output quantization and per-channel requantization of a reference layer.
pub struct Quant {
    pub input_offset: i32,
    pub output_offset: i32,
    pub min: i32,
    pub max: i32,
    pub bias: Vec<i32>,
    pub mult: Vec<i32>,
    pub shift: Vec<i32>,
}

impl Quant {
    fn out(&self, acc: i64, c: usize) -> i8 {
        let v = requantize(acc as i32, self.mult[c], self.shift[c]) as i64 + self.output_offset as i64;
        v.clamp(self.min as i64, self.max as i64) as i8
    }
}

/// TFLite fully connected: `x [rows, k]`, `w [n, k]`.
pub fn dense(x: &[i8], w: &[i8], k: usize, n: usize, q: &Quant) -> Vec<i8> {
    let rows = x.len() / k;
    let mut out = Vec::new();
    for r in 0..rows {
        for j in 0..n {
            let mut acc = q.bias[j] as i64;
            for i in 0..k {
                acc += (x[r * k + i] as i64 + q.input_offset as i64) * w[j * k + i] as i64;
            }
            out.push(q.out(acc, j));
        }
    }
    out
}

/// Geometry of a reference 1-D convolution.
pub struct Conv {
    pub c: usize,
    pub o: usize,
    pub k: usize,
    pub s: usize,
    pub d: usize,
    pub p: usize,
    pub l: usize,
    pub ol: usize,
    /// depthwise: output channel `o` reads input channel `o` only (`c == o`)
    pub depthwise: bool,
}

/// TFLite conv / depthwise conv in 1-D: `x [c, l]`, `w [o, c_per_group, k]`; taps in the
/// padding are skipped (they are zero in the real domain).
pub fn conv(x: &[i8], w: &[i8], g: &Conv, q: &Quant) -> Vec<i8> {
    let cg = if g.depthwise { 1 } else { g.c };
    let mut out = Vec::new();
    for o in 0..g.o {
        for p in 0..g.ol {
            let mut acc = q.bias[o] as i64;
            for ci in 0..cg {
                let xc = if g.depthwise { o } else { ci };
                for kk in 0..g.k {
                    let at = (p * g.s + kk * g.d) as i64 - g.p as i64;
                    if at >= 0 && (at as usize) < g.l {
                        let xv = x[xc * g.l + at as usize] as i64 + q.input_offset as i64;
                        acc += xv * w[(o * cg + ci) * g.k + kk] as i64;
                    }
                }
            }
            out.push(q.out(acc, o));
        }
    }
    out
}

/// TFLite's 64-bit `MultiplyByQuantizedMultiplier`, transcribed.
pub fn requantize64(x: i64, m: i32, shift: i32) -> i32 {
    let reduced: i64 = if m < 0x7FFF0000 { ((m as i64) + (1 << 15)) >> 16 } else { 0x7FFF };
    let total_shift = 15 - shift as i64;
    let round = 1i64 << (total_shift - 1);
    let result = (x * reduced + round) >> total_shift;
    result as i32
}

/// TFLite 16x8 fully connected: `x [rows, k]` int16, `w [n, k]` int8, int64 bias and sums.
#[allow(clippy::too_many_arguments)]
pub fn dense16(
    x: &[i16],
    w: &[i8],
    k: usize,
    n: usize,
    bias: &[i64],
    mult: &[i32],
    shift: &[i32],
    min: i32,
    max: i32,
) -> Vec<i16> {
    let rows = x.len() / k;
    let mut out = Vec::new();
    for r in 0..rows {
        for j in 0..n {
            let mut acc: i64 = 0;
            for i in 0..k {
                acc += w[j * k + i] as i64 * x[r * k + i] as i64;
            }
            acc += bias[j];
            let v = requantize64(acc, mult[j], shift[j]).max(min).min(max);
            out.push(v as i16);
        }
    }
    out
}
