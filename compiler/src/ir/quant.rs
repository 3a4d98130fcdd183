//! Quantization parameters of a value: how its integers map to real numbers.
//!
//! TFLite's affine scheme: `real = scale · (q − zero_point)`. Activations are per-tensor
//! (one scale and zero point); weights may be per-axis (one scale per output channel, zero
//! points all 0: symmetric). A value of an integer [`DType`](super::DType) that stands for real
//! numbers carries a [`Quant`]; a float value carries none.

/// Affine quantization parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Quant {
    /// Scales: one (per-tensor) or one per index of `axis`.
    pub scale: Vec<f32>,
    /// Zero points, as many as `scale`.
    pub zero_point: Vec<i32>,
    /// The axis the parameters run along; `None` for per-tensor.
    pub axis: Option<usize>,
}

impl Quant {
    /// Per-tensor parameters.
    pub fn per_tensor(scale: f32, zero_point: i32) -> Quant {
        Quant { scale: vec![scale], zero_point: vec![zero_point], axis: None }
    }

    /// Symmetric per-axis parameters (zero points 0), as TFLite quantizes weights.
    pub fn per_axis(scale: Vec<f32>, axis: usize) -> Quant {
        let zero_point = vec![0; scale.len()];
        Quant { scale, zero_point, axis: Some(axis) }
    }

    /// The parameters that apply at index `i` of the quantized axis (the only ones when
    /// per-tensor).
    pub fn at(&self, i: usize) -> (f32, i32) {
        let k = if self.scale.len() == 1 { 0 } else { i };
        (self.scale.get(k).copied().unwrap_or(1.0), self.zero_point.get(k).copied().unwrap_or(0))
    }

    /// Checks the parameters against a value's shape: matching lengths, an axis inside the
    /// shape whose extent is the number of scales, finite positive scales.
    pub fn check(&self, shape: &[usize]) -> Result<(), String> {
        if self.scale.is_empty() || self.scale.len() != self.zero_point.len() {
            return Err(format!("{} scales but {} zero points", self.scale.len(), self.zero_point.len()));
        }
        if let Some(bad) = self.scale.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(format!("scale {bad} is not a finite positive number"));
        }
        match self.axis {
            None if self.scale.len() == 1 => Ok(()),
            None => Err(format!("{} scales without an axis", self.scale.len())),
            Some(a) if shape.get(a) == Some(&self.scale.len()) => Ok(()),
            Some(a) => Err(format!("{} scales along axis {a} of shape {shape:?}", self.scale.len())),
        }
    }
}

/// What a pre-quantized (QDQ) model brought with it, kept on the graph by the front end
/// (`front::qdq`) for the `quantize` pass and the report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prequantized {
    /// Activation quantize-dequantize pairs, each now a `Quantize` → `Dequantize` in the graph.
    pub pairs: usize,
    /// Constants dequantized at compile time (weights and biases).
    pub constants: usize,
    /// Every scale of every dequantized int8/uint8 constant (the weights), in the model's order:
    /// the candidates from which the `quantize` pass recovers each output channel's scale.
    pub weight_scales: Vec<f32>,
    /// Integer layers (node names) whose int8 weights are the model's own, recovered exactly by
    /// the `quantize` pass; a layer missing here had weights on no scale's grid and was
    /// quantized by ecgc.
    pub own_weights: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_axis_parameters_follow_the_axis() {
        let q = Quant::per_axis(vec![0.5, 0.25], 0);
        assert_eq!(q.at(1), (0.25, 0));
        assert!(q.check(&[2, 3]).is_ok());
        assert!(q.check(&[3, 2]).is_err());
        let t = Quant::per_tensor(0.1, -3);
        assert_eq!(t.at(7), (0.1, -3));
        assert!(t.check(&[4]).is_ok());
        assert!(Quant::per_tensor(0.0, 0).check(&[1]).is_err());
        assert!(Quant::per_tensor(f32::NAN, 0).check(&[1]).is_err());
    }
}
