//! Integer semantics of the int8 ops (`ir/op.rs`: `Quantize`, `Dequantize`, `QConv`, `QDense`,
//! max pooling of int8 values): the oracle that generated int8 code must equal bit for bit.
//!
//! Written from TFLite's reference kernels and gemmlowp's fixed-point helpers, directly in
//! wide integers, independently of `ecgc_kernels::q8` (whose kernels are tested against this).
//! Values are `i64`s holding the type's integers.

use crate::ir::{Conv, DType, Pool, QConv, QDense, Quant, Requant};

/// gemmlowp's `SaturatingRoundingDoublingHighMul`: `(a·b + nudge) / 2^31` with the nudge
/// `2^30` for a non-negative product and `1 − 2^30` otherwise, truncating division; the one
/// overflow, `i32::MIN · i32::MIN`, saturates.
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge = if ab >= 0 { 1i64 << 30 } else { 1 - (1i64 << 30) };
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// gemmlowp's `RoundingDivideByPOT`: `x / 2^e` to nearest, ties away from zero.
pub fn rounding_divide_by_pot(x: i32, e: i32) -> i32 {
    let e = e.clamp(0, 31);
    let mask = (1i64 << e) - 1;
    let remainder = x as i64 & mask;
    let threshold = (mask >> 1) + i64::from(x < 0);
    ((x as i64 >> e) + i64::from(remainder > threshold)) as i32
}

/// TFLite's `MultiplyByQuantizedMultiplier` (the reference, two-rounding form).
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = shift.clamp(0, 31);
    let right = (-shift).clamp(0, 31);
    let scaled = x.wrapping_mul(1i32.wrapping_shl(left as u32));
    rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right)
}

/// The output stage of channel `c`.
fn finish(acc: i64, r: &Requant, c: usize) -> i64 {
    let (m, s) = r.at(c);
    let v = multiply_by_quantized_multiplier(acc as i32, m, s) as i64 + r.zero_point as i64;
    v.clamp(r.act_min as i64, r.act_max as i64)
}

/// `Quantize`: `clamp(round(x / scale) + zero_point)`, the division in f32, rounding half away
/// from zero.
pub fn quantize(x: &[f32], q: &Quant, t: DType) -> Vec<i64> {
    let (scale, zp) = q.at(0);
    let (lo, hi) = t.int_range().unwrap_or((-128, 127));
    x.iter()
        .map(|&v| {
            let r = (v / scale).round();
            // `as` saturates (NaN → 0) like the kernel's conversion
            ((r as i32) as i64 + zp as i64).clamp(lo, hi)
        })
        .collect()
}

/// `Dequantize`: `scale · (q − zero_point)` in f32.
pub fn dequantize(q: &[i64], quant: &Quant) -> Vec<f32> {
    let (scale, zp) = quant.at(0);
    q.iter().map(|&v| scale * (v - zp as i64) as f32).collect()
}

/// `QConv` on `x [N, C, W]`, `w [O, C/g, K]`, `bias [O]`.
pub fn qconv(q: &QConv, x: &[i64], xs: &[usize], w: &[i64], ws: &[usize], bias: &[i64], out: &[usize]) -> Vec<i64> {
    let Conv { stride, dilation, pad_before, groups } = &q.conv;
    let (n, c, l) = (xs[0], xs[1], xs[2]);
    let (o_ch, cg, k) = (ws[0], ws[1], ws[2]);
    let ol = out[2];
    let og = o_ch / groups.max(&1);
    let mut y = vec![0i64; n * o_ch * ol];
    for b in 0..n {
        for o in 0..o_ch {
            let g = o / og.max(1);
            for p in 0..ol {
                let mut acc = bias[o];
                for ci in 0..cg {
                    for t in 0..k {
                        let pos = (p * stride[0] + t * dilation[0]) as isize - pad_before[0] as isize;
                        let xv = if pos >= 0 && (pos as usize) < l {
                            x[(b * c + g * cg + ci) * l + pos as usize]
                        } else {
                            q.pad_value as i64
                        };
                        acc += xv * w[(o * cg + ci) * k + t];
                    }
                }
                // the accumulator is an int32 in TFLite: it wraps there
                y[(b * o_ch + o) * ol + p] = finish(acc as i32 as i64, &q.requant, o);
            }
        }
    }
    y
}

/// `QDense` on `x [..., K]`, `w [K, N]`, `bias [N]`.
pub fn qdense(d: &QDense, x: &[i64], w: &[i64], bias: &[i64]) -> Vec<i64> {
    let rows = x.len() / d.k.max(1);
    let mut y = vec![0i64; rows * d.n];
    for r in 0..rows {
        for j in 0..d.n {
            let mut acc = bias[j];
            for k in 0..d.k {
                acc += x[r * d.k + k] * w[k * d.n + j];
            }
            y[r * d.n + j] = finish(acc as i32 as i64, &d.requant, j);
        }
    }
    y
}

/// Max pooling of integers over the window's cells inside `x [N, C, W]`; a window wholly in
/// padding gives `min` (the type's smallest value).
pub fn max_pool(p: &Pool, x: &[i64], xs: &[usize], out: &[usize], min: i64) -> Vec<i64> {
    let (planes, l, ol) = (xs[0] * xs[1], xs[2], out[2]);
    let mut y = vec![min; planes * ol];
    for pl in 0..planes {
        for o in 0..ol {
            for t in 0..p.kernel[0] {
                let pos = (o * p.stride[0] + t * p.dilation[0]) as isize - p.pad_before[0] as isize;
                if pos >= 0 && (pos as usize) < l {
                    let v = x[pl * l + pos as usize];
                    let cell = &mut y[pl * ol + o];
                    *cell = (*cell).max(v);
                }
            }
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_helpers_match_gemmlowp_by_hand() {
        // 2^30 · 2^30 · 2 / 2^32 = 2^29
        assert_eq!(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        // a negative product: −3·2^28 exactly (the nudge does not reach the next integer)
        assert_eq!(saturating_rounding_doubling_high_mul(-3 << 29, 1 << 30), -(3 << 28));
        assert_eq!(rounding_divide_by_pot(5, 1), 3); // 2.5 → 3
        assert_eq!(rounding_divide_by_pot(-5, 1), -3); // −2.5 → −3
        assert_eq!(rounding_divide_by_pot(-4, 1), -2);
        assert_eq!(rounding_divide_by_pot(7, 0), 7);
        // 100 · 0.5 = 50; 100 · 0.75 · 2^-2 = 18.75 → 19
        assert_eq!(multiply_by_quantized_multiplier(100, 1 << 30, 0), 50);
        assert_eq!(multiply_by_quantized_multiplier(100, 3 << 29, -2), 19);
        assert_eq!(multiply_by_quantized_multiplier(-100, 3 << 29, -2), -19);
        // 3 · 0.5 · 2^2 = 6
        assert_eq!(multiply_by_quantized_multiplier(3, 1 << 30, 2), 6);
    }

    #[test]
    fn quantize_and_dequantize_round_trip_on_the_grid() {
        let q = Quant::per_tensor(0.5, -3);
        let x = [0.0, 0.25, -0.25, 0.74, 1000.0, -1000.0];
        let qs = quantize(&x, &q, DType::I8);
        assert_eq!(qs, vec![-3, -2, -4, -2, 127, -128]);
        assert_eq!(dequantize(&qs[..3], &q), vec![0.0, 0.5, -0.5]);
    }

    #[test]
    fn qdense_sums_requantizes_and_clamps() {
        let r = Requant { multiplier: vec![1 << 30], shift: vec![0], zero_point: 10, act_min: 10, act_max: 127 };
        let d = QDense { k: 2, n: 2, requant: r, dsp: false };
        // columns: (1, 2) and (-1, -2); bias 4 and 0; x = (3, 5)
        let y = qdense(&d, &[3, 5], &[1, -1, 2, -2], &[4, 0]);
        // col 0: (4 + 3 + 10) / 2 = 8.5 → 9, + 10 = 19; col 1: −13 / 2 = −6.5 → −6 (ties to +inf), + 10 = 4 → clamp 10
        assert_eq!(y, vec![19, 10]);
    }
}
