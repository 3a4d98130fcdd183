//! Pre-quantized ONNX models in operator form (onnxruntime's `QuantFormat.QOperator`: ONNX's
//! `QLinearConv`/`QLinearMatMul`, and `com.microsoft`'s `QGemm`, `QLinearAdd`, `QLinearMul`,
//! `QLinearSoftmax`, `QLinearSigmoid`, `QLinearLeakyRelu`, `QLinearAveragePool`,
//! `QLinearGlobalAveragePool`, `QLinearConcat`) rewritten into QDQ form, which [`super::qdq`]
//! then imports.
//!
//! Each quantized operator means "dequantize the inputs, run the float operator, quantize the
//! result" with its own parameters; written out that way, every tensor between two operators
//! becomes a `QuantizeLinear → DequantizeLinear` pair and every integer weight or bias a
//! `DequantizeLinear` of a constant, so the int8 build keeps the model's parameters exactly as
//! for a QDQ model. The bias of `QLinearConv`/`QGemm` is int32 at scale `x_scale · w_scale`
//! (the operators' definition); that product becomes the bias's `DequantizeLinear` scale.
//!
//! Plain ops that read a quantized tensor directly (`MaxPool`, `Reshape`, `Flatten`,
//! `Transpose`, `Squeeze`, `Unsqueeze`, `Identity`, `Slice`) keep its parameters, as
//! onnxruntime's quantizer makes them: each is wrapped in a dequantize/quantize with the
//! parameters of the tensor it reads. Anything else that reads a quantized tensor is left
//! alone, and the front end reports it as usual.
//!
//! Compile path only, before the op check (tract knows no `com.microsoft` op): the reference
//! (tract) and `ecgc validate` see the user's model as it is.

use crate::error::{Error, Result};
use std::collections::HashMap;
use tract_onnx::pb::{self, attribute_proto::AttributeType, tensor_proto::DataType};

/// Plain ops that carry their first input's quantization parameters to their output.
const PASS_THROUGH: [&str; 8] =
    ["MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Slice"];

/// Unary quantized operators `[X, x_scale, x_zp, y_scale, y_zp]` and the float op each stands for.
const UNARY: [(&str, &str); 5] = [
    ("QLinearSoftmax", "Softmax"),
    ("QLinearSigmoid", "Sigmoid"),
    ("QLinearLeakyRelu", "LeakyRelu"),
    ("QLinearAveragePool", "AveragePool"),
    ("QLinearGlobalAveragePool", "GlobalAveragePool"),
];

/// Attributes of the quantized operators that their float ops do not have.
const DROP_ATTRS: [&str; 3] = ["channels_last", "opset", "domain"];

struct Rewriter<'a> {
    inits: HashMap<String, &'a pb::TensorProto>,
    nodes: Vec<pb::NodeProto>,
    new_inits: Vec<pb::TensorProto>,
    /// Quantized tensor → (scale, zero point) tensor names.
    params: HashMap<String, (String, String)>,
}

impl Rewriter<'_> {
    fn push(&mut self, op: &str, name: String, input: Vec<String>, output: String, attribute: Vec<pb::AttributeProto>) {
        self.nodes.push(pb::NodeProto {
            name,
            op_type: op.into(),
            input,
            output: vec![output],
            attribute,
            ..Default::default()
        });
    }

    /// `DequantizeLinear(x, s, z)` (along `axis` when given) into a fresh tensor; its name.
    fn dq(&mut self, at: &str, what: &str, x: &str, s: &str, z: &str, axis: Option<i64>) -> String {
        let out = format!("{at}::{what}");
        let attrs = axis.map(|a| vec![int_attr("axis", a)]).unwrap_or_default();
        self.push("DequantizeLinear", out.clone(), vec![x.into(), s.into(), z.into()], out.clone(), attrs);
        out
    }

    /// `QuantizeLinear(y, s, z)` into `out`, which then has those parameters.
    fn q(&mut self, at: &str, y: String, s: &str, z: &str, out: &str) {
        self.push("QuantizeLinear", format!("{at}::quantize"), vec![y, s.into(), z.into()], out.into(), vec![]);
        self.params.insert(out.into(), (s.into(), z.into()));
    }

    /// The f32 values of a scale initializer.
    fn floats(&self, n: &pb::NodeProto, name: &str) -> Result<Vec<f32>> {
        let t = self.inits.get(name).ok_or_else(|| bad(n, &format!("scale '{name}' is not a constant initializer")))?;
        let t = tract_onnx::tensor::load_tensor(&tract_onnx::data_resolver::FopenDataResolver, t, None)
            .map_err(|e| bad(n, &format!("scale '{name}': {e}")))?;
        let v = t.cast_to::<f32>().map_err(|e| bad(n, &format!("scale '{name}': {e}")))?;
        let v = v.try_as_plain_ram().map_err(|e| bad(n, &e.to_string()))?;
        Ok(v.as_slice::<f32>().map_err(|e| bad(n, &e.to_string()))?.to_vec())
    }

    /// An int32 bias `b` at scale `x_scale · w_scale` (per output channel when `w_scale` is).
    fn bias(&mut self, n: &pb::NodeProto, b: &str, xs: &str, ws: &str) -> Result<String> {
        let x = self.floats(n, xs)?;
        let w = self.floats(n, ws)?;
        let (Some(&x), false) = (x.first(), w.is_empty()) else { return Err(bad(n, "empty scale")) };
        let scale: Vec<f32> = w.iter().map(|&w| x * w).collect();
        let name = format!("{}::bias_scale", n.name);
        let dims = if scale.len() == 1 { vec![] } else { vec![scale.len() as i64] };
        self.new_inits.push(pb::TensorProto {
            name: name.clone(),
            dims,
            data_type: DataType::Float as i32,
            float_data: scale,
            ..Default::default()
        });
        Ok(self.dq(&n.name, "bias", b, &name, "", Some(0)))
    }

    fn expand(&mut self, n: &pb::NodeProto) -> Result<bool> {
        let input = |k: usize| n.input.get(k).cloned().unwrap_or_default();
        let out = n.output.first().cloned().unwrap_or_default();
        let attrs: Vec<pb::AttributeProto> =
            n.attribute.iter().filter(|a| !DROP_ATTRS.contains(&a.name.as_str())).cloned().collect();
        let at = n.name.clone();
        match n.op_type.as_str() {
            "QuantizeLinear" => {
                self.params.insert(out, (input(1), input(2)));
                return Ok(false);
            }
            "QLinearConv" => {
                need(n, 8)?;
                let x = self.dq(&at, "x", &input(0), &input(1), &input(2), None);
                let w = self.dq(&at, "w", &input(3), &input(4), &input(5), Some(0));
                let mut ins = vec![x, w];
                if !input(8).is_empty() {
                    ins.push(self.bias(n, &input(8), &input(1), &input(4))?);
                }
                let y = format!("{at}::y");
                self.push("Conv", at.clone(), ins, y.clone(), attrs);
                self.q(&at, y, &input(6), &input(7), &out);
            }
            "QLinearMatMul" => {
                need(n, 8)?;
                let a = self.dq(&at, "a", &input(0), &input(1), &input(2), None);
                // b's scale, when per column, runs along its last axis (rank 2 in every export)
                let b = self.dq(&at, "b", &input(3), &input(4), &input(5), Some(-1));
                let y = format!("{at}::y");
                self.push("MatMul", at.clone(), vec![a, b], y.clone(), vec![]);
                self.q(&at, y, &input(6), &input(7), &out);
            }
            "QGemm" => {
                need(n, 6)?;
                let trans_b = n.attribute.iter().any(|a| a.name == "transB" && a.i != 0);
                let a = self.dq(&at, "a", &input(0), &input(1), &input(2), None);
                let b = self.dq(&at, "b", &input(3), &input(4), &input(5), Some(if trans_b { 0 } else { 1 }));
                let mut ins = vec![a, b];
                if !input(6).is_empty() {
                    ins.push(self.bias(n, &input(6), &input(1), &input(4))?);
                }
                if input(7).is_empty() {
                    // no output scale: QGemm returns floats
                    self.push("Gemm", at, ins, out, attrs);
                } else {
                    let y = format!("{at}::y");
                    self.push("Gemm", at.clone(), ins, y.clone(), attrs);
                    self.q(&at, y, &input(7), &input(8), &out);
                }
            }
            "QLinearAdd" | "QLinearMul" => {
                need(n, 7)?;
                let a = self.dq(&at, "a", &input(0), &input(1), &input(2), None);
                let b = self.dq(&at, "b", &input(3), &input(4), &input(5), None);
                let y = format!("{at}::y");
                self.push(
                    if n.op_type == "QLinearAdd" { "Add" } else { "Mul" },
                    at.clone(),
                    vec![a, b],
                    y.clone(),
                    vec![],
                );
                self.q(&at, y, &input(6), &input(7), &out);
            }
            "QLinearConcat" => {
                // [y_scale, y_zp, (x, x_scale, x_zp)...]
                let mut ins = vec![];
                for (k, c) in n.input[2.min(n.input.len())..].chunks(3).enumerate() {
                    let [x, s, z] = c else { return Err(bad(n, "inputs are not (x, scale, zero point) triples")) };
                    ins.push(self.dq(&at, &format!("x{k}"), x, s, z, None));
                }
                let y = format!("{at}::y");
                self.push("Concat", at.clone(), ins, y.clone(), attrs);
                self.q(&at, y, &input(0), &input(1), &out);
            }
            op => {
                if let Some((_, float_op)) = UNARY.iter().find(|(q, _)| *q == op) {
                    need(n, 4)?;
                    if n.attribute.iter().any(|a| a.name == "channels_last" && a.i != 0) {
                        return Err(bad(n, "channels_last = 1 is not supported"));
                    }
                    let x = self.dq(&at, "x", &input(0), &input(1), &input(2), None);
                    let y = format!("{at}::y");
                    self.push(float_op, at.clone(), vec![x], y.clone(), attrs);
                    self.q(&at, y, &input(3), &input(4), &out);
                } else if PASS_THROUGH.contains(&op) && n.output.len() == 1 && self.params.contains_key(&input(0)) {
                    let (s, z) = self.params[&input(0)].clone();
                    let x = self.dq(&at, "x", &input(0), &s, &z, None);
                    let mut ins = n.input.clone();
                    ins[0] = x;
                    let y = format!("{at}::y");
                    self.push(op, at.clone(), ins, y.clone(), n.attribute.clone());
                    self.q(&at, y, &s, &z, &out);
                } else {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

fn int_attr(name: &str, i: i64) -> pb::AttributeProto {
    pb::AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

fn bad(n: &pb::NodeProto, why: &str) -> Error {
    Error::InvalidInput(format!(
        "node '{}' ({}): {why}; ecgc imports quantized operators by writing them as QDQ (dequantize, float \
         op, quantize): quantize the model in QDQ format (onnxruntime: quant_format=QuantFormat.QDQ) if this \
         one cannot be",
        n.name, n.op_type
    ))
}

fn need(n: &pb::NodeProto, k: usize) -> Result<()> {
    if n.input.len() > k {
        Ok(())
    } else {
        Err(bad(n, &format!("{} inputs, expected at least {}", n.input.len(), k + 1)))
    }
}

/// Rewrites every quantized operator of `proto` into QDQ form (module docs); how many.
pub(super) fn rewrite(proto: &mut pb::ModelProto) -> Result<usize> {
    let Some(g) = proto.graph.as_mut() else { return Ok(0) };
    let quantized = |n: &pb::NodeProto| n.op_type.starts_with("QLinear") || n.op_type == "QGemm";
    if !g.node.iter().any(quantized) {
        return Ok(0);
    }
    for (k, n) in g.node.iter_mut().enumerate() {
        if n.name.is_empty() {
            n.name = format!("{}_{k}", n.op_type);
        }
    }
    let old = std::mem::take(&mut g.node);
    let mut r = Rewriter {
        inits: g.initializer.iter().map(|t| (t.name.clone(), t)).collect(),
        nodes: vec![],
        new_inits: vec![],
        params: HashMap::new(),
    };
    let mut expanded = 0;
    for n in &old {
        if r.expand(n)? {
            expanded += 1;
        } else {
            r.nodes.push(n.clone());
        }
    }
    let (nodes, new_inits) = (r.nodes, r.new_inits);
    g.node = nodes;
    g.initializer.extend(new_inits);
    Ok(expanded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(op: &str, name: &str, input: &[&str], output: &str) -> pb::NodeProto {
        pb::NodeProto {
            name: name.into(),
            op_type: op.into(),
            input: input.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            ..Default::default()
        }
    }

    fn scale(name: &str, v: Vec<f32>) -> pb::TensorProto {
        let dims = if v.len() == 1 { vec![] } else { vec![v.len() as i64] };
        pb::TensorProto {
            name: name.into(),
            dims,
            data_type: DataType::Float as i32,
            float_data: v,
            ..Default::default()
        }
    }

    #[test]
    fn operators_become_dequantize_float_op_quantize_and_int8_pools_keep_their_parameters() {
        let graph = pb::GraphProto {
            node: vec![
                node("QuantizeLinear", "q", &["x", "xs", "xz"], "xq"),
                node("QLinearConv", "conv", &["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], "yq"),
                node("MaxPool", "pool", &["yq"], "pq"),
            ],
            initializer: vec![scale("xs", vec![0.5]), scale("ws", vec![0.25, 0.125])],
            ..Default::default()
        };
        let mut m = pb::ModelProto { graph: Some(graph), ..Default::default() };
        assert_eq!(rewrite(&mut m).expect("rewrite"), 2);
        let g = m.graph.unwrap();
        let ops: Vec<(&str, &str)> = g.node.iter().map(|n| (n.op_type.as_str(), n.output[0].as_str())).collect();
        assert_eq!(
            ops,
            [
                ("QuantizeLinear", "xq"),
                ("DequantizeLinear", "conv::x"),
                ("DequantizeLinear", "conv::w"),
                ("DequantizeLinear", "conv::bias"),
                ("Conv", "conv::y"),
                ("QuantizeLinear", "yq"),
                ("DequantizeLinear", "pool::x"),
                ("MaxPool", "pool::y"),
                ("QuantizeLinear", "pq"),
            ]
        );
        // the pool re-quantizes with the conv output's parameters
        assert_eq!(g.node[8].input[1..], ["ys".to_string(), "yz".to_string()]);
        // the bias's scale is x_scale · w_scale per channel
        let bias_scale = g.initializer.iter().find(|t| t.name == "conv::bias_scale").expect("bias scale");
        assert_eq!(bias_scale.float_data, vec![0.125, 0.0625]);
        assert_eq!(g.node[2].attribute[0].i, 0, "weights per output channel: axis 0");
    }
}
