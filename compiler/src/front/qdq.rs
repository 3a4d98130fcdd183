//! Pre-quantized ONNX models in QDQ form (`QuantizeLinear`/`DequantizeLinear`, as onnxruntime's
//! `quantize_static(..., quant_format=QuantFormat.QDQ)` writes them), rewritten before tract
//! types the model, on the compile path only.
//!
//! Why not let tract read them: tract const-folds every `DequantizeLinear` of a constant (the
//! model's int8 weights become floats and their scales are gone), and its declutter turns a
//! `DequantizeLinear → op → QuantizeLinear` chain into an int8 lookup table or quantized op of
//! its own. Both lose the parameters the model was quantized with, which the int8 build must
//! keep. So:
//!
//! - an activation pair `QuantizeLinear(x, s, z) → DequantizeLinear(·, s, z)` (same per-tensor
//!   parameters, the quantized tensor read by nothing else) becomes one node of ecgc's own op
//!   [`QDQ_OP`], which tract carries through declutter untouched as the element-wise [`FakeQuant`]
//!   and the lowering turns into IR `Quantize` → `Dequantize` with exactly those parameters.
//!   uint8 parameters become int8 ones with the zero point minus 128 (the same real numbers and
//!   the same saturation);
//! - a `DequantizeLinear` of a constant (weights, int32 biases) becomes the float constant it
//!   stands for, computed as the spec does (`(q − z) · s` in f32, per axis); the scales of the
//!   int8/uint8 ones are kept ([`Prequantized::weight_scales`]) so that the `quantize` pass can
//!   recover the model's own integer weights exactly (each output channel's scale is one of
//!   these, verified against every weight of the channel), whatever layout the weights end up
//!   in after tract's and ecgc's passes.
//!
//! At f32 the pairs run as float rounding (quantize, then dequantize), which is the QDQ model's
//! own float semantics; at int8 the `quantize` pass makes the layers between pairs integer with
//! the pairs' parameters and needs no calibration. Left alone (tract then types them, and a
//! quantized tensor at run time is refused as usual): pairs whose parameters differ or are per
//! axis, a quantized tensor read by anything but its `DequantizeLinear`, block quantization.
//! The one rounding difference from the spec: ecgc's `Quantize` rounds halves away from zero
//! (TFLite), ONNX to even; they differ only on exact ties, by one step.

use crate::error::{Error, Result};
pub use crate::ir::quant::Prequantized;
use std::collections::HashMap;
use tract_onnx::pb::{self, attribute_proto::AttributeType, tensor_proto::DataType};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::element_wise::{ElementWiseMiniOp, ElementWiseOp};
use tract_onnx::tract_hir::ops::element_wise::ElementWiseIntoHir;

/// The op type of ecgc's fused quantize-dequantize node in the rewritten protobuf.
pub const QDQ_OP: &str = "EcgcQuantizeDequantize";

/// ecgc's quantize-then-dequantize as a tract element-wise op: int8 parameters (a uint8 pair's
/// zero point is shifted by −128), round half away from zero, saturate to [−128, 127].
#[derive(Clone, Debug)]
pub struct FakeQuant {
    /// The pair's scale.
    pub scale: f32,
    /// The pair's zero point, in int8.
    pub zero_point: i32,
}

impl PartialEq for FakeQuant {
    fn eq(&self, other: &Self) -> bool {
        self.scale.to_bits() == other.scale.to_bits() && self.zero_point == other.zero_point
    }
}

impl Eq for FakeQuant {}

impl ElementWiseMiniOp for FakeQuant {
    fn name(&self) -> String {
        "EcgcFakeQuant".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("scale: {} zero_point: {}", self.scale, self.zero_point)])
    }

    fn eval_in_place(&self, t: &mut Tensor, _out_dt: Option<DatumType>) -> TractResult<()> {
        let mut plain = t.try_as_plain_ram_mut()?;
        for v in plain.as_slice_mut::<f32>()? {
            let q = (*v / self.scale).round() as i32; // `as` saturates, NaN → 0
            *v = self.scale * (q.saturating_add(self.zero_point).clamp(-128, 127) - self.zero_point) as f32;
        }
        Ok(())
    }
}

/// Why tract is no reference for a pre-quantized model (QDQ pairs or quantized operators): its
/// declutter rewrites `DequantizeLinear → … → QuantizeLinear` chains into int8 lookup tables and
/// quantized ops of its own that do not compute the pairs' ONNX semantics. Measured on
/// onnxruntime's quantized ECG CNN (`examples/models/qdq/ecg_cnn_qdq.onnx`, first held-out beat):
/// tract 0.23.9's softmax output is off by 0.99 from onnxruntime's, which ecgc matches exactly at f32.
pub(super) fn tract_runs_wrong(g: &pb::GraphProto) -> Option<String> {
    let quantized =
        |n: &pb::NodeProto| n.op_type == "DequantizeLinear" || n.op_type.starts_with("QLinear") || n.op_type == "QGemm";
    let n = g.node.iter().find(|n| quantized(n))?;
    Some(format!(
        "tract 0.23.9 does not compute pre-quantized (QDQ) models by the ONNX semantics of their quantize-dequantize \
         pairs ('{}' is one of this model's)",
        n.name
    ))
}

/// The line the compile output (and the model card) gets for a pre-quantized model.
/// `operators`: how many quantized operators (`QLinearConv`, ...) `front::qop` wrote as QDQ.
pub(super) fn notice(p: &Prequantized, operators: usize) -> String {
    let form = match operators {
        0 => "QDQ".to_string(),
        n => format!("{n} quantized operator(s) written as QDQ"),
    };
    format!(
        "pre-quantized model ({form}): {} quantize-dequantize pair(s) and {} quantized constant(s) read with the \
         model's own scales and zero points; --precision int8 makes the layers between them integer without \
         --calibration, at f32 each pair runs as float rounding",
        p.pairs, p.constants
    )
}

/// Lets `onnx` read [`QDQ_OP`] nodes.
pub(super) fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert(QDQ_OP, |_, node| {
        let attr = |k: &str| node.attribute.iter().find(|a| a.name == k);
        let scale = attr("scale").map(|a| a.f).unwrap_or(1.0);
        let zero_point = attr("zero_point").map(|a| a.i as i32).unwrap_or(0);
        Ok((ElementWiseOp(Box::new(FakeQuant { scale, zero_point }), None).into_hir(), vec![]))
    });
}

/// A constant tensor of the graph: (element type, dims, values as f64).
struct Konst {
    dt: i32,
    dims: Vec<usize>,
    values: Vec<f64>,
}

/// Reads initializer `name`, if there is one and ecgc can read its type.
fn konst(inits: &HashMap<String, &pb::TensorProto>, name: &str) -> Option<Konst> {
    let t = *inits.get(name)?;
    let tensor = tract_onnx::tensor::load_tensor(&tract_onnx::data_resolver::FopenDataResolver, t, None).ok()?;
    let values = tensor.cast_to::<f64>().ok()?.try_as_plain_ram().ok()?.as_slice::<f64>().ok()?.to_vec();
    Some(Konst { dt: t.data_type, dims: t.dims.iter().map(|&d| d.max(0) as usize).collect(), values })
}

fn is_int8(dt: i32) -> bool {
    dt == DataType::Int8 as i32 || dt == DataType::Uint8 as i32
}

/// Per-tensor int8 parameters of a Quantize/DequantizeLinear node (`[x, scale, zero_point?]`),
/// uint8 ones shifted to int8; `None` when they are per axis, not constant or another type.
fn per_tensor(inits: &HashMap<String, &pb::TensorProto>, n: &pb::NodeProto) -> Option<(f32, i32)> {
    let scale = konst(inits, n.input.get(1)?)?;
    if scale.values.len() != 1 || n.attribute.iter().any(|a| a.name == "block_size" && a.i != 0) {
        return None;
    }
    let output_dtype = n.attribute.iter().find(|a| a.name == "output_dtype").map(|a| a.i as i32).filter(|&d| d != 0);
    let (dt, zp) = match n.input.get(2).filter(|s| !s.is_empty()) {
        Some(z) => {
            let z = konst(inits, z)?;
            (z.dt, *z.values.first()?)
        }
        None => (output_dtype.unwrap_or(DataType::Uint8 as i32), 0.0),
    };
    let zp = if dt == DataType::Uint8 as i32 {
        zp as i32 - 128
    } else if dt == DataType::Int8 as i32 {
        zp as i32
    } else {
        return None;
    };
    let s = scale.values[0] as f32;
    (s.is_finite() && s > 0.0).then_some((s, zp))
}

/// `DequantizeLinear` of constant `x`: the float tensor, `(q − z) · s` in f32 along `axis`.
fn dequantized(
    inits: &HashMap<String, &pb::TensorProto>,
    n: &pb::NodeProto,
) -> Option<std::result::Result<(Konst, Vec<f32>), String>> {
    let x = konst(inits, n.input.first()?)?;
    let scale = konst(inits, n.input.get(1)?)?;
    let zp = match n.input.get(2).filter(|s| !s.is_empty()) {
        Some(z) => Some(konst(inits, z)?),
        None => None,
    };
    if n.attribute.iter().any(|a| a.name == "block_size" && a.i != 0) {
        return Some(Err("block quantization (block_size) is not supported".into()));
    }
    let rank = x.dims.len() as i64;
    let axis = n.attribute.iter().find(|a| a.name == "axis").map(|a| a.i).unwrap_or(1);
    let axis = if axis < 0 { axis + rank } else { axis };
    let per = scale.values.len();
    let extent = usize::try_from(axis).ok().and_then(|a| x.dims.get(a).copied());
    if per != 1 && extent != Some(per) {
        return Some(Err(format!("{per} scales do not match axis {axis} of a {:?} constant", x.dims)));
    }
    if zp.as_ref().is_some_and(|z| z.values.len() != per) {
        return Some(Err("scale and zero point differ in length".into()));
    }
    let inner: usize = if per == 1 { 1 } else { x.dims[axis as usize + 1..].iter().product() };
    let channel = |i: usize| if per == 1 { 0 } else { (i / inner) % per };
    let data = x
        .values
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let c = channel(i);
            let z = zp.as_ref().map_or(0.0, |z| z.values[c]);
            (q - z) as f32 * scale.values[c] as f32
        })
        .collect();
    Some(Ok((scale, data)))
}

/// Rewrites the QDQ constructs of `proto` (module docs); `None` when it has none.
pub(super) fn rewrite(proto: &mut pb::ModelProto) -> Result<Option<Prequantized>> {
    let Some(g) = proto.graph.as_mut() else { return Ok(None) };
    if !g.node.iter().any(|n| n.op_type == "DequantizeLinear") {
        return Ok(None);
    }
    let inits: HashMap<String, &pb::TensorProto> = g.initializer.iter().map(|t| (t.name.clone(), t)).collect();
    let producer: HashMap<&str, usize> =
        g.node.iter().enumerate().flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i))).collect();
    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        for x in &n.input {
            readers.entry(x.as_str()).or_default().push(i);
        }
    }
    let graph_outputs: Vec<&str> = g.output.iter().map(|o| o.name.as_str()).collect();

    let mut found = Prequantized::default();
    let mut replace: HashMap<usize, pb::NodeProto> = HashMap::new();
    let mut drop = vec![false; g.node.len()];
    let mut new_inits = vec![];
    for (i, n) in g.node.iter().enumerate() {
        if n.op_type != "DequantizeLinear" || n.output.len() != 1 {
            continue;
        }
        let x = n.input.first().map(String::as_str).unwrap_or_default();
        if inits.contains_key(x) {
            match dequantized(&inits, n) {
                Some(Ok((scale, data))) => {
                    let x_dt = inits[x].data_type;
                    if is_int8(x_dt) {
                        found.weight_scales.extend(scale.values.iter().map(|&s| s as f32));
                    }
                    let dims = inits[x].dims.clone();
                    new_inits.push(pb::TensorProto {
                        name: n.output[0].clone(),
                        dims,
                        data_type: DataType::Float as i32,
                        float_data: data,
                        ..Default::default()
                    });
                    found.constants += 1;
                    drop[i] = true;
                }
                Some(Err(why)) => {
                    return Err(Error::InvalidInput(format!(
                        "node '{}' (DequantizeLinear of constant '{x}'): {why}; re-quantize the model \
                         per tensor or per channel",
                        n.name
                    )))
                }
                None => {} // a type ecgc cannot read: tract reports it
            }
            continue;
        }
        let Some(&qi) = producer.get(x) else { continue };
        let q = &g.node[qi];
        let pair = q.op_type == "QuantizeLinear"
            && !graph_outputs.contains(&x)
            && readers.get(x).is_some_and(|r| r.iter().all(|&k| g.node[k].op_type == "DequantizeLinear"));
        if pair {
            for node in [q, n] {
                if let Some(bad) = konst(&inits, node.input.get(1).map(String::as_str).unwrap_or_default())
                    .and_then(|k| k.values.into_iter().find(|&v| !(v.is_finite() && v > 0.0)))
                {
                    return Err(Error::InvalidInput(format!(
                        "node '{}' ({}): scale {bad} is not a finite positive number; re-export the quantized model",
                        node.name, node.op_type
                    )));
                }
            }
        }
        let params = pair.then(|| per_tensor(&inits, q).zip(per_tensor(&inits, n))).flatten();
        let Some(((s, z), (s2, z2))) = params else { continue };
        if s.to_bits() != s2.to_bits() || z != z2 {
            continue;
        }
        let attr_f = |name: &str, f: f32| pb::AttributeProto {
            name: name.into(),
            r#type: AttributeType::Float as i32,
            f,
            ..Default::default()
        };
        let attr_i = |name: &str, i: i64| pb::AttributeProto {
            name: name.into(),
            r#type: AttributeType::Int as i32,
            i,
            ..Default::default()
        };
        let name = if n.name.is_empty() { format!("{}.qdq", n.output[0]) } else { n.name.clone() };
        replace.insert(
            i,
            pb::NodeProto {
                name,
                op_type: QDQ_OP.into(),
                input: vec![q.input[0].clone()],
                output: n.output.clone(),
                attribute: vec![attr_f("scale", s), attr_i("zero_point", z as i64)],
                ..Default::default()
            },
        );
        found.pairs += 1;
    }
    // A QuantizeLinear goes when every reader of its result was rewritten.
    for (i, n) in g.node.iter().enumerate() {
        if n.op_type == "QuantizeLinear" {
            let out = n.output.first().map(String::as_str).unwrap_or_default();
            if readers.get(out).is_some_and(|r| r.iter().all(|k| replace.contains_key(k))) {
                drop[i] = true;
            }
        }
    }
    if found.pairs == 0 && found.constants == 0 {
        return Ok(None);
    }
    let old = std::mem::take(&mut g.node);
    g.node =
        old.into_iter().enumerate().filter(|(i, _)| !drop[*i]).map(|(i, n)| replace.remove(&i).unwrap_or(n)).collect();
    g.initializer.extend(new_inits);
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init(name: &str, dt: DataType, dims: Vec<i64>, ints: Vec<i32>, floats: Vec<f32>) -> pb::TensorProto {
        pb::TensorProto {
            name: name.into(),
            dims,
            data_type: dt as i32,
            int32_data: ints,
            float_data: floats,
            ..Default::default()
        }
    }

    fn node(op: &str, name: &str, input: &[&str], output: &str) -> pb::NodeProto {
        pb::NodeProto {
            name: name.into(),
            op_type: op.into(),
            input: input.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            ..Default::default()
        }
    }

    fn model() -> pb::ModelProto {
        let graph = pb::GraphProto {
            node: vec![
                node("QuantizeLinear", "q", &["x", "s", "z"], "xq"),
                node("DequantizeLinear", "dq", &["xq", "s", "z"], "xd"),
                node("DequantizeLinear", "wdq", &["w", "ws", ""], "wd"),
                node("MatMul", "mm", &["xd", "wd"], "y"),
            ],
            initializer: vec![
                init("s", DataType::Float, vec![], vec![], vec![0.5]),
                init("z", DataType::Uint8, vec![], vec![130], vec![]),
                init("w", DataType::Int8, vec![2, 2], vec![1, -2, 3, 127], vec![]),
                init("ws", DataType::Float, vec![2], vec![], vec![0.25, 0.125]),
            ],
            output: vec![pb::ValueInfoProto { name: "y".into(), ..Default::default() }],
            ..Default::default()
        };
        pb::ModelProto { graph: Some(graph), ..Default::default() }
    }

    #[test]
    fn pairs_fuse_and_constants_dequantize_along_their_axis() {
        let mut m = model();
        let found = rewrite(&mut m).expect("rewrite").expect("QDQ found");
        assert_eq!(
            found,
            Prequantized { pairs: 1, constants: 1, weight_scales: vec![0.25, 0.125], ..Default::default() }
        );
        let g = m.graph.unwrap();
        let ops: Vec<&str> = g.node.iter().map(|n| n.op_type.as_str()).collect();
        assert_eq!(ops, [QDQ_OP, "MatMul"]);
        let fq = &g.node[0];
        assert_eq!(fq.input, ["x"]);
        assert_eq!(fq.output, ["xd"]);
        assert_eq!(fq.attribute[0].f, 0.5);
        assert_eq!(fq.attribute[1].i, 2); // uint8 zero point 130 → int8 2
        let w = g.initializer.iter().find(|t| t.name == "wd").expect("dequantized weights");
        // axis 1 (the default): scales run along the columns
        assert_eq!(w.float_data, vec![0.25, -0.25, 0.75, 15.875]);
    }

    #[test]
    fn a_quantized_tensor_read_elsewhere_is_left_to_tract() {
        let mut m = model();
        let g = m.graph.as_mut().unwrap();
        g.node.push(node("Identity", "raw", &["xq"], "xq2"));
        let found = rewrite(&mut m).expect("rewrite").expect("constants found");
        assert_eq!(found.pairs, 0);
        let ops: Vec<String> = m.graph.unwrap().node.iter().map(|n| n.op_type.clone()).collect();
        assert_eq!(ops, ["QuantizeLinear", "DequantizeLinear", "MatMul", "Identity"]);
    }

    #[test]
    fn fake_quant_rounds_and_saturates_on_the_int8_grid() {
        let op = FakeQuant { scale: 0.5, zero_point: -3 };
        let mut t = tensor1(&[0.0f32, 0.3, -0.3, 1000.0, -1000.0]);
        op.eval_in_place(&mut t, None).unwrap();
        let v = t.to_plain_array_view::<f32>().unwrap().iter().copied().collect::<Vec<_>>();
        assert_eq!(v, vec![0.0, 0.5, -0.5, 65.0, -62.5]);
    }
}
