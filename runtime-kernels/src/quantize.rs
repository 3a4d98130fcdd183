//! The float boundary of an int8 model: real inputs to int8 and int8 results back to reals, with
//! one tensor's scale and zero point (TFLite's `QUANTIZE` / `DEQUANTIZE`).
//!
//! `quantize`: `q = clamp(round(x / scale) + zero_point, −128, 127)`, the division in f32 and the
//! rounding half away from zero (C's `roundf`), written without `f32::round` (not in `core`): a
//! float whose magnitude is at least 2^23 is already an integer, and below that the difference
//! between a float and its truncation is exact. NaN quantizes to the zero point (`as` maps NaN
//! to 0). `dequantize`: `x = scale · (q − zero_point) as f32`.

/// `roundf`: to the nearest integer, halves away from zero, saturated to `i32`.
#[inline(always)]
pub fn round_half_away(v: f32) -> i32 {
    let t = v as i32; // truncation towards zero, saturating; NaN → 0
    if v.is_nan() || v.abs() >= 8_388_608.0 {
        return t; // NaN (0), or already an integer (saturated beyond i32)
    }
    let frac = v - t as f32;
    if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    }
}

/// Quantizes `x` into `out` (module docs); `out.len()` elements at most.
#[inline(always)]
pub fn quantize_i8(x: &[f32], scale: f32, zero_point: i32, out: &mut [i8]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = round_half_away(v / scale).saturating_add(zero_point).clamp(-128, 127) as i8;
    }
}

/// Dequantizes `q` into `out` (module docs).
#[inline(always)]
pub fn dequantize_i8(q: &[i8], scale: f32, zero_point: i32, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(q) {
        *o = scale * (i32::from(v) - zero_point) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_c_roundf() {
        for (v, r) in [(0.5, 1), (-0.5, -1), (1.5, 2), (2.5, 3), (-2.5, -3), (0.49999997, 0), (-0.49999997, 0)] {
            assert_eq!(round_half_away(v), r, "{v}");
        }
        assert_eq!(round_half_away(8_388_609.0), 8_388_609);
        assert_eq!(round_half_away(f32::NAN), 0);
        assert_eq!(round_half_away(3.0e9), i32::MAX);
        assert_eq!(round_half_away(-3.0e9), i32::MIN);
        // every float with a fraction, against std's round (half away from zero)
        let mut bits = 0x3f00_0000u32; // 0.5
        while bits < 0x4b00_0000 {
            let v = f32::from_bits(bits);
            assert_eq!(round_half_away(v), v.round() as i32, "{v}");
            assert_eq!(round_half_away(-v), (-v).round() as i32, "{v}");
            bits += 997;
        }
    }

    #[test]
    fn quantize_saturates_and_dequantize_inverts_on_the_grid() {
        let mut q = [0i8; 5];
        quantize_i8(&[0.0, 0.1, -0.1, 100.0, -100.0], 0.1, 3, &mut q);
        assert_eq!(q, [3, 4, 2, 127, -128]);
        let mut x = [0.0f32; 5];
        dequantize_i8(&q, 0.1, 3, &mut x);
        assert_eq!(x[..3], [0.0, 0.1, -0.1]);
    }
}
