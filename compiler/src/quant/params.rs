//! The arithmetic of TFLite's int8 scheme, done once at compile time: choosing scales and zero
//! points, quantizing weights and biases, and turning real-valued rescale factors into the
//! fixed-point multiplier and shift that integer kernels apply.
//!
//! Conventions (TFLite's int8 specification, CMSIS-NN's kernels):
//! - `real = scale · (q − zero_point)`.
//! - Activations: per-tensor, asymmetric, int8 in [−128, 127]; the real range always contains 0,
//!   so 0 is exactly representable (zero padding and ReLU stay exact).
//! - Weights: per output channel, symmetric (zero point 0), int8 in [−127, 127].
//! - int16 values (state, the 16x8 scheme): per-tensor symmetric, zero point 0, [−32767, 32767].
//! - Biases: int32 with scale `input_scale · weight_scale[c]` and zero point 0.
//! - Rounding of reals to integers: half away from zero (`f64::round`, C's `std::round`, as
//!   TFLite's quantizer).

use crate::ir::{DType, Quant};

/// TFLite's `QuantizeMultiplier`: `real ≈ multiplier · 2^(shift − 31)` with `multiplier` in
/// [2^30, 2^31) (a Q31 fraction in [0.5, 1)) and `shift` the power of two. Zero maps to `(0, 0)`;
/// a factor too small for 31 bits of shift (below 2^−32) maps to `(0, 0)` as well (the
/// product is then 0 after rounding for every int32 accumulator). `real` must be finite and ≥ 0.
pub fn quantize_multiplier(real: f64) -> (i32, i32) {
    if real <= 0.0 || !real.is_finite() {
        return (0, 0);
    }
    let (mut fraction, mut shift) = frexp(real);
    fraction = (fraction * (1u64 << 31) as f64).round();
    if fraction == (1u64 << 31) as f64 {
        fraction /= 2.0;
        shift += 1;
    }
    if shift < -31 {
        return (0, 0);
    }
    (fraction as i32, shift)
}

/// `x = fraction · 2^exp` with `fraction` in [0.5, 1) (C's `frexp`) for finite positive `x`.
fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // subnormal: scale up first
        let (f, e) = frexp(x * (1u64 << 54) as f64);
        return (f, e - 54);
    }
    let fraction = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (fraction, exp - 1022)
}

/// Per-tensor asymmetric parameters for a real range, TFLite's `ChooseQuantizationParams`: the
/// range is widened to contain 0, `scale = (max − min) / (qmax − qmin)`, and the zero point is the
/// integer nearest to `qmin − min / scale`, clamped to [qmin, qmax]. An empty range (all zeros)
/// gets scale 1.
pub fn affine(min: f32, max: f32, t: DType) -> Quant {
    let (qmin, qmax) = t.int_range().unwrap_or((-128, 127));
    let (lo, hi) = (min.min(0.0) as f64, max.max(0.0) as f64);
    if hi - lo <= 0.0 {
        return Quant::per_tensor(1.0, 0);
    }
    let scale = (hi - lo) / (qmax - qmin) as f64;
    let zero_point = (qmin as f64 - lo / scale).round().clamp(qmin as f64, qmax as f64) as i32;
    Quant::per_tensor(scale as f32, zero_point)
}

/// Per-tensor symmetric parameters (zero point 0) covering `[−a, a]`, `a = max(|min|, |max|)`,
/// with the type's range made symmetric (int8: ±127, int16: ±32767).
pub fn symmetric(min: f32, max: f32, t: DType) -> Quant {
    let (_, qmax) = t.int_range().unwrap_or((-128, 127));
    let a = min.abs().max(max.abs()) as f64;
    Quant::per_tensor(if a > 0.0 { (a / qmax as f64) as f32 } else { 1.0 }, 0)
}

/// Quantizes one real to type `t` with `(scale, zero_point)`: round half away from zero, then
/// saturate.
pub fn quantize(x: f32, scale: f32, zero_point: i32, t: DType) -> i64 {
    let (qmin, qmax) = t.int_range().unwrap_or((-128, 127));
    let q = (x as f64 / scale as f64).round() as i64 + zero_point as i64;
    q.clamp(qmin, qmax)
}

/// The output channel of element `i` of a row-major weight of `shape` whose channels run along
/// `axis`.
pub fn channel_of(shape: &[usize], axis: usize) -> impl Fn(usize) -> usize {
    let channels = shape.get(axis).copied().unwrap_or(1).max(1);
    let inner: usize = shape.get(axis + 1..).map_or(1, |s| s.iter().product::<usize>()).max(1);
    move |i| (i / inner) % channels
}

/// Per-channel symmetric int8 weights of a row-major weight of `shape`, channels along `axis`
/// (0 for a conv's `[O, C, K]`, 1 for a Dense's `[K, N]`), in the weight's own layout. Each
/// channel's scale is `max |w| / 127` (1 for an all-zero channel); values round into [−127, 127].
pub fn weights_per_channel(w: &[f32], shape: &[usize], axis: usize) -> (Vec<i8>, Quant) {
    let channel = channel_of(shape, axis);
    let mut max = vec![0.0f32; shape.get(axis).copied().unwrap_or(1)];
    for (i, &x) in w.iter().enumerate() {
        if let Some(m) = max.get_mut(channel(i)) {
            *m = m.max(x.abs());
        }
    }
    let scales: Vec<f32> = max.iter().map(|&m| symmetric(0.0, m, DType::I8).scale[0]).collect();
    let q = w
        .iter()
        .enumerate()
        .map(|(i, &x)| quantize(x, scales.get(channel(i)).copied().unwrap_or(1.0), 0, DType::I8).max(-127) as i8)
        .collect();
    (q, Quant::per_axis(scales, axis))
}

/// A pre-quantized model's own int8 weights, recovered from their dequantized floats: for each
/// output channel the first of `candidates` (the model's weight scales, `ir::Prequantized`)
/// under which every weight of the channel is `q · scale` exactly in f32 with `q` in
/// [−128, 127]. `None` when some channel has no such scale (then the weights were not
/// dequantized from any of them, and the caller quantizes them itself).
pub fn recovered_weights(w: &[f32], shape: &[usize], axis: usize, candidates: &[f32]) -> Option<(Vec<i8>, Quant)> {
    let channel = channel_of(shape, axis);
    let channels = shape.get(axis).copied().unwrap_or(1);
    let mut members: Vec<Vec<f32>> = vec![vec![]; channels];
    for (i, &x) in w.iter().enumerate() {
        members.get_mut(channel(i))?.push(x);
    }
    let exact = |xs: &[f32], s: f32| {
        xs.iter().all(|&x| {
            let q = (x / s).round();
            (-128.0..=127.0).contains(&q) && q * s == x
        })
    };
    let scales: Vec<f32> = members
        .iter()
        .map(|xs| candidates.iter().copied().find(|&s| s > 0.0 && exact(xs, s)))
        .collect::<Option<_>>()?;
    let q = w.iter().enumerate().map(|(i, &x)| (x / scales[channel(i)]).round() as i8).collect();
    Some((q, Quant::per_axis(scales, axis)))
}

/// An int32 bias: `round(b[c] / (input_scale · weight_scale[c]))`, saturated to int32.
pub fn bias(b: &[f32], input_scale: f32, weight: &Quant) -> Vec<i32> {
    b.iter()
        .enumerate()
        .map(|(c, &x)| {
            let s = input_scale as f64 * weight.at(c).0 as f64;
            (x as f64 / s).round().clamp(i32::MIN as f64, i32::MAX as f64) as i32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prequantized_models_weights_come_back_exactly() {
        // [2, 3] weights, channels along axis 0, dequantized with scales 0.1 and 0.03
        let q: [i8; 6] = [127, -5, 0, -128, 33, 1];
        let s = [0.1f32, 0.03];
        let w: Vec<f32> = q.iter().enumerate().map(|(i, &v)| v as f32 * s[i / 3]).collect();
        let (back, quant) = recovered_weights(&w, &[2, 3], 0, &[0.5, 0.03, 0.1]).expect("recovered");
        assert_eq!(back, q);
        assert_eq!(quant.scale, vec![0.1, 0.03]);
        // weights not on any candidate's grid
        assert!(recovered_weights(&[0.123, 0.5], &[2, 1], 0, &[0.1, 0.03]).is_none());
    }

    #[test]
    fn multipliers_match_tflite() {
        // 0.5 = 2^30 · 2^(0 − 31); 0.75 = 1.5 · 2^30 · 2^(0 − 31); 2.0 = 2^30 · 2^(2 − 31)
        assert_eq!(quantize_multiplier(0.5), (1 << 30, 0));
        assert_eq!(quantize_multiplier(0.75), (3 << 29, 0));
        assert_eq!(quantize_multiplier(2.0), (1 << 30, 2));
        assert_eq!(quantize_multiplier(0.0), (0, 0));
        // a fraction that rounds up to 1.0 moves to the next power of two
        assert_eq!(quantize_multiplier(1.0 - 1e-12), (1 << 30, 1));
        assert_eq!(quantize_multiplier(1e-12), (0, 0), "below 2^-32: no shift reaches it");
        for real in [1e-3, 0.0123, 0.33, 0.9999, 1.7, 1234.5, 3.0e-9] {
            let (m, s) = quantize_multiplier(real);
            assert!((1 << 30..=i32::MAX).contains(&m), "{real}: {m}");
            let back = m as f64 * 2f64.powi(s - 31);
            assert!((back - real).abs() <= real * 2f64.powi(-30), "{real} vs {back}");
        }
    }

    #[test]
    fn affine_ranges_contain_zero_exactly() {
        let q = affine(-1.0, 3.0, DType::I8);
        let (s, z) = q.at(0);
        assert!((s - 4.0 / 255.0).abs() < 1e-7);
        assert_eq!(z, -128 + 64, "−1 maps to −128, so 0 maps to −128 + 1 / scale ≈ −64");
        assert_eq!(quantize(0.0, s, z, DType::I8), z as i64, "zero is exact");
        // a positive-only range is widened to 0
        assert_eq!(affine(2.0, 5.1, DType::I8).at(0).1, -128);
        assert_eq!(affine(0.0, 0.0, DType::I8), Quant::per_tensor(1.0, 0));
        assert_eq!(quantize(1e9, s, z, DType::I8), 127, "saturates");
    }

    #[test]
    fn weights_round_per_channel_into_symmetric_range() {
        let w = [1.0, -0.5, 0.25, /* channel 1 */ 0.0, 0.0, 0.0, /* channel 2 */ -2.0, 1.0, 0.003];
        let (q, quant) = weights_per_channel(&w, &[3, 3], 0);
        assert_eq!(quant.scale, vec![1.0 / 127.0, 1.0, 2.0 / 127.0]);
        assert_eq!(q, vec![127, -64, 32, 0, 0, 0, -127, 64, 0]);
        // the same weights with channels along axis 1 (the transpose): same scales, same values
        let t: Vec<f32> = (0..9).map(|i| w[(i % 3) * 3 + i / 3]).collect();
        let (qt, quant_t) = weights_per_channel(&t, &[3, 3], 1);
        assert_eq!(quant_t.scale, quant.scale);
        assert_eq!(qt, (0..9).map(|i| q[(i % 3) * 3 + i / 3]).collect::<Vec<i8>>());
        let b = bias(&[0.5, 1.0, -1.0], 0.1, &quant);
        assert_eq!(b, vec![635, 10, -635]);
    }
}
