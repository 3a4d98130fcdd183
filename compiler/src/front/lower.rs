//! Lowering of tract's decluttered typed graph into the IR: the context every op lowering uses,
//! and the one table that maps tract op types to lowering functions.

use super::ops;
use crate::error::{Error, Result, Unsupported};
use crate::ir::{self, DType, Graph, Op, Value, ValueId, ValueKind};
use std::collections::HashMap;
use tract_core::ops::konst::Const;
use tract_core::ops::source::TypedSource;
use tract_onnx::prelude::*;

/// Why a node produced no IR value.
pub(crate) enum Fail {
    /// The node cannot be compiled; reported to the user.
    Unsupported(String),
    /// An operand came from a node that failed already; not reported again.
    Skipped,
    /// The node breaks the op's rules (operand shapes that do not fit, an axis out of range):
    /// the model is invalid; reported to the user.
    Invalid(String),
}

/// Checks the IR nodes lowered from one tract node (from index `first`) against the op rules.
/// tract types some invalid models without complaint (an Add of [1, 8] and [1, 3], a Softmax on
/// axis 5 of a rank-2 tensor); such a node is the model's fault, not ecgc's.
fn check_new_nodes(g: &Graph, first: usize) -> std::result::Result<(), Fail> {
    for n in &g.nodes[first..] {
        let ins: Vec<(&[usize], DType)> =
            n.inputs.iter().map(|&i| (g.value(i).shape.as_slice(), g.value(i).dtype)).collect();
        let out = g.value(n.output);
        let bytes = ir::shape::elements(&out.shape).and_then(|e| e.checked_mul(4));
        if bytes.is_none_or(|b| b as u64 > super::check::MAX_TENSOR_BYTES) {
            return Err(Fail::Invalid(format!(
                "computes a tensor of shape {:?}, which needs {} bytes; no target has that much memory (ecgc's \
                 limit is {} bytes per tensor)",
                out.shape,
                bytes.map(|b| b.to_string()).unwrap_or("more than 2^64".into()),
                super::check::MAX_TENSOR_BYTES
            )));
        }
        let shape = ir::shape::infer(&n.op, &ins, &out.shape)
            .map_err(|e| Fail::Invalid(e.replace("18446744073709551615", "-1")))?
            .0;
        if shape != out.shape {
            return Err(Fail::Invalid(format!(
                "its operands {:?} give shape {shape:?}, but tract typed the result as {:?}",
                ins.iter().map(|i| i.0).collect::<Vec<_>>(),
                out.shape
            )));
        }
    }
    Ok(())
}

impl From<String> for Fail {
    fn from(s: String) -> Fail {
        Fail::Unsupported(s)
    }
}

/// What an op lowering returns.
pub(crate) type Lowered = std::result::Result<ValueId, Fail>;

/// Builds the IR while walking tract's graph.
pub(crate) struct Lowerer<'m> {
    pub model: &'m TypedModel,
    pub g: Graph,
    map: HashMap<OutletId, ValueId>,
}

impl<'m> Lowerer<'m> {
    /// The IR value for input `i` of `node`; constants are materialised on first use.
    pub fn operand(&mut self, node: &TypedNode, i: usize) -> std::result::Result<ValueId, Fail> {
        let outlet = node.inputs[i];
        if let Some(v) = self.map.get(&outlet) {
            return Ok(*v);
        }
        let Some(t) = self.konst(node, i) else { return Err(Fail::Skipped) };
        let name = self.model.node(outlet.node).name.clone();
        let v = self.add_tensor_const(&name, &t)?;
        self.map.insert(outlet, v);
        Ok(v)
    }

    /// Adds a tract tensor as an f32 constant.
    pub fn add_tensor_const(&mut self, name: &str, t: &Tensor) -> std::result::Result<ValueId, Fail> {
        let dtype = if t.datum_type() == bool::datum_type() { DType::Bool } else { DType::F32 };
        let data = tensor_f32(t).map_err(|e| format!("constant '{name}' cannot be read as f32: {e}"))?;
        let shape = t.shape().to_vec();
        Ok(self.g.add_value(Value::new(name, shape, dtype, ValueKind::Const(data.into()))))
    }

    /// The constant value of input `i`, if tract knows it.
    pub fn konst(&self, node: &TypedNode, i: usize) -> Option<Arc<Tensor>> {
        self.model.outlet_fact(node.inputs[i]).ok().and_then(|f| f.konst.clone())
    }

    /// Static shape of input `i`.
    pub fn in_shape(&self, node: &TypedNode, i: usize) -> Vec<usize> {
        concrete(self.model.outlet_fact(node.inputs[i]).map(|f| &f.shape).ok())
    }

    /// Static shape of the node's first output.
    pub fn out_shape(&self, node: &TypedNode) -> Vec<usize> {
        concrete(node.outputs.first().map(|o| &o.fact.shape))
    }

    /// Element type of the node's first output.
    pub fn out_dtype(&self, node: &TypedNode) -> DType {
        dtype_of(node.outputs[0].fact.datum_type)
    }

    /// Appends an IR node named after the tract node.
    pub fn emit(&mut self, node: &TypedNode, op: Op, inputs: Vec<ValueId>, shape: Vec<usize>, dtype: DType) -> ValueId {
        self.g.add_node(node.name.clone(), op, inputs, shape, dtype)
    }

    /// Appends an IR node whose shape and type come from [`ir::shape::infer`].
    pub fn emit_inferred(&mut self, node: &TypedNode, suffix: &str, op: Op, inputs: Vec<ValueId>) -> Lowered {
        let ins: Vec<(Vec<usize>, DType)> =
            inputs.iter().map(|&i| (self.g.value(i).shape.clone(), self.g.value(i).dtype)).collect();
        let refs: Vec<(&[usize], DType)> = ins.iter().map(|(s, d)| (s.as_slice(), *d)).collect();
        let (shape, dtype) = ir::shape::infer(&op, &refs, &[]).map_err(|e| format!("internal shape error: {e}"))?;
        Ok(self.g.add_node(format!("{}{suffix}", node.name), op, inputs, shape, dtype))
    }
}

/// Every element of `t` as f32 (booleans as 1.0 / 0.0).
pub(crate) fn tensor_f32(t: &Tensor) -> TractResult<Vec<f32>> {
    let c = t.cast_to::<f32>()?;
    Ok(c.to_plain_array_view::<f32>()?.iter().copied().collect())
}

fn concrete(shape: Option<&ShapeFact>) -> Vec<usize> {
    shape.and_then(|s| s.as_concrete().map(|c| c.to_vec())).unwrap_or_default()
}

fn dtype_of(dt: DatumType) -> DType {
    if dt == bool::datum_type() {
        DType::Bool
    } else {
        DType::F32
    }
}

/// Lowers the whole decluttered model, collecting every unsupported node.
pub fn lower(model: &TypedModel) -> Result<Graph> {
    if let Some(g) = super::scan::whole_model(model, false) {
        return g;
    }
    let mut l = Lowerer { model, g: Graph::default(), map: HashMap::new() };
    let mut unsupported = vec![];
    let mut invalid = vec![];
    let order = model.eval_order().map_err(|e| Error::Internal(format!("tract eval order: {e}")))?;
    let inputs = model.input_outlets().map_err(|e| Error::Internal(e.to_string()))?.to_vec();
    for (k, outlet) in inputs.iter().enumerate() {
        let node = model.node(outlet.node);
        let fact = &node.outputs[0].fact;
        if fact.datum_type != f32::datum_type() {
            unsupported.push(Unsupported {
                node: node.name.clone(),
                op: "Source".into(),
                reason: format!(
                    "input of type {:?}; ecgc takes f32 inputs (cast in the exported model)",
                    fact.datum_type
                ),
            });
        }
        let v =
            l.g.add_value(Value::new(node.name.clone(), concrete(Some(&fact.shape)), DType::F32, ValueKind::Input(k)));
        l.g.inputs.push(v);
        l.map.insert(*outlet, v);
    }
    for &id in &order {
        let node = model.node(id);
        if node.op_is::<TypedSource>() || node.op_is::<Const>() {
            continue;
        }
        // Anything tract already knows the value of is a constant, materialised where used.
        if node.outputs.iter().all(|o| o.fact.konst.is_some()) {
            continue;
        }
        let first_new = l.g.nodes.len();
        let result = if node.op.name() == "Scan" {
            Err(Fail::Unsupported(
                "ONNX Scan (a loop over time) is not compiled yet: compile its body as a step graph with explicit \
                 state and run the loop in firmware"
                    .into(),
            ))
        } else if node.outputs.len() != 1 {
            Err(Fail::Unsupported(format!("{} outputs; ecgc lowers single-output ops", node.outputs.len())))
        } else if node.op.name().starts_with("QuantizeLinear") || node.op.name().starts_with("DequantizeLinear") {
            Err(Fail::Unsupported(
                "a quantized tensor used other than as a QuantizeLinear → DequantizeLinear pair with the same \
                 per-tensor parameters (e.g. a model input or output that is int8): ecgc imports such pairs and \
                 quantized constants, and its int8 crates quantize at their own float boundary; end the model with \
                 DequantizeLinear and start it with QuantizeLinear"
                    .into(),
            ))
        } else if !matches!(node.outputs[0].fact.datum_type, DatumType::F32 | DatumType::Bool) {
            Err(Fail::Unsupported(format!(
                "computes {:?} tensors at run time; ecgc supports f32 (and bool) tensors",
                node.outputs[0].fact.datum_type
            )))
        } else {
            ops::lower_node(&mut l, node)
        };
        let result = result.and_then(|v| check_new_nodes(&l.g, first_new).map(|_| v));
        match result {
            Ok(v) => {
                l.map.insert(OutletId::new(id, 0), v);
            }
            Err(Fail::Invalid(reason)) => invalid.push(format!("node '{}' ({}): {reason}", node.name, node.op.name())),
            Err(Fail::Skipped) => {}
            Err(Fail::Unsupported(reason)) => {
                unsupported.push(Unsupported { node: node.name.clone(), op: node.op.name().to_string(), reason })
            }
        }
    }
    if !invalid.is_empty() {
        return Err(Error::BadModel(invalid));
    }
    if !unsupported.is_empty() {
        return Err(Error::Unsupported(unsupported));
    }
    for outlet in model.output_outlets().map_err(|e| Error::Internal(e.to_string()))? {
        let label = output_label(model, *outlet);
        let v = match l.map.get(outlet) {
            Some(v) => *v,
            None => {
                let fact = model.outlet_fact(*outlet).map_err(|e| Error::Internal(e.to_string()))?;
                let Some(t) = fact.konst.clone() else {
                    return Err(Error::Internal(format!("output {outlet:?} was not lowered")));
                };
                let dt = t.datum_type();
                if dt != f32::datum_type() && dt != bool::datum_type() {
                    invalid.push(format!(
                        "graph output '{label}' is a constant of type {dt:?}; ecgc's outputs are f32 (or bool) \
                         tensors (cast it to float in the model, or drop the output)"
                    ));
                    continue;
                }
                let name = model.node(outlet.node).name.clone();
                match l.add_tensor_const(&name, &t) {
                    Ok(v) => v,
                    Err(_) => return Err(Error::Internal(format!("output '{name}' is a constant ecgc cannot read"))),
                }
            }
        };
        // An output no node computes (an input passed through, a constant, a folded value) gets
        // a copy node, so that every output owns a buffer the generated code writes.
        let v = if l.g.value(v).kind == ValueKind::Computed {
            v
        } else {
            let (shape, dtype) = (l.g.value(v).shape.clone(), l.g.value(v).dtype);
            l.g.add_node(label.clone(), Op::Unary(ir::UnaryOp::Identity), vec![v], shape, dtype)
        };
        l.g.outputs.push(v);
    }
    if !invalid.is_empty() {
        return Err(Error::BadModel(invalid));
    }
    let mut g = l.g;
    name_outputs(model, &mut g);
    ir::verify::verify(&g).map_err(|e| Error::Internal(format!("IR verifier after lowering: {e}")))?;
    Ok(g)
}

/// The model's name for an output tensor (tract names the node, ONNX names the tensor), without
/// the suffix `prepare` gives an input passed straight through.
fn output_label(model: &TypedModel, o: OutletId) -> String {
    let label = model.outlet_label(o).map(|s| s.to_string()).unwrap_or_else(|| model.node(o.node).name.clone());
    label.strip_suffix(super::prepare::PASSTHROUGH_SUFFIX).map(String::from).unwrap_or(label)
}

/// Graph outputs carry the model's output names.
fn name_outputs(model: &TypedModel, g: &mut Graph) {
    let outlets = model.output_outlets().map(|o| o.to_vec()).unwrap_or_default();
    for (k, o) in outlets.into_iter().enumerate() {
        if let Some(&v) = g.outputs.get(k) {
            if !g.inputs.contains(&v) {
                g.values[v.index()].name = output_label(model, o);
            }
        }
    }
}
