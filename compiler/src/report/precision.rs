//! Which precision each weight layer got, and why: the report's answer to "what did int8 do to
//! my model". An int8 build quantizes the layers ecgc has integer kernels for and keeps the
//! rest in f32 (the `quantize` pass); this names both kinds.

use crate::ir::{Graph, Op};
use serde::Serialize;

/// One weight layer's precision.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LayerPrecision {
    /// Node name.
    pub node: String,
    /// Op family.
    pub op: String,
    /// `int8` or `f32`.
    pub precision: String,
    /// Why.
    pub why: String,
}

/// Every node that multiplies by weights: convolutions, Dense layers, EinSums with a constant.
pub fn layers(g: &Graph) -> Vec<LayerPrecision> {
    let int8 = g.nodes.iter().any(|n| matches!(n.op, Op::QConv(_) | Op::QDense(_)));
    let has_const = |n: &crate::ir::Node| n.inputs.iter().any(|&v| g.value(v).is_const());
    g.nodes
        .iter()
        .filter_map(|n| {
            let (precision, why) = match &n.op {
                Op::QConv(_) | Op::QDense(_) => match &g.prequantized {
                    Some(p) if p.own_weights.contains(&n.name) => (
                        "int8",
                        "pre-quantized: the model's own int8 weights and scales, activation parameters from its \
                         QDQ pairs, int32 bias",
                    ),
                    Some(_) => (
                        "int8",
                        "pre-quantized model, but these weights lie on none of its scales' grids: ecgc quantized \
                         them (per channel, max |w| / 127); activation parameters from its QDQ pairs",
                    ),
                    None => ("int8", "per-channel int8 weights, calibrated per-tensor int8 activations, int32 bias"),
                },
                Op::Conv(_) | Op::Dense(_) | Op::EinSum(_) if !int8 => ("f32", "the build's precision"),
                Op::Conv(c) if c.stride.len() != 1 => ("f32", "no int8 kernel for 2-D convolutions yet"),
                Op::Conv(c) if c.groups != 1 => {
                    ("f32", "no int8 kernel for grouped convolutions yet (groups 1 and depthwise have one)")
                }
                Op::Conv(_) => ("f32", "weights or input not quantizable (not constant, or not calibrated)"),
                Op::Dense(_) => ("f32", "input not calibrated"),
                Op::EinSum(_) if has_const(n) => ("f32", "no int8 kernel for this contraction (not a Linear layer)"),
                _ => return None,
            };
            Some(LayerPrecision {
                node: n.name.clone(),
                op: n.op.family().into(),
                precision: precision.into(),
                why: why.into(),
            })
        })
        .collect()
}

/// Replaces the generic reason of every layer the user's choice decided (`--keep-f32`,
/// `--int8-max-error`: the `quantize` pass's [`Choices`](crate::quant::sensitivity::Choices))
/// with that decision's reason.
pub fn explain_choices(layers: &mut [LayerPrecision], choices: &crate::quant::sensitivity::Choices) {
    for l in layers {
        if let Some(d) = choices.layers.iter().find(|d| d.node == l.node && !d.why.is_empty()) {
            l.why = d.why.clone();
        }
    }
}

/// `f32`, or `int8: k of n weight layers, the rest f32`.
pub fn summary(layers: &[LayerPrecision]) -> String {
    let k = layers.iter().filter(|l| l.precision == "int8").count();
    if k == 0 {
        "f32".into()
    } else if k == layers.len() {
        format!("int8: all {k} weight layers")
    } else {
        format!("int8: {k} of {} weight layers, the rest f32", layers.len())
    }
}
