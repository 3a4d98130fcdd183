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
        Ok(self.g.add_value(Value { name: name.into(), shape, dtype, kind: ValueKind::Const(data.into()) }))
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
    let mut l = Lowerer { model, g: Graph::default(), map: HashMap::new() };
    let mut unsupported = vec![];
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
        let v = l.g.add_value(Value {
            name: node.name.clone(),
            shape: concrete(Some(&fact.shape)),
            dtype: DType::F32,
            kind: ValueKind::Input(k),
        });
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
        let result = if node.op.name() == "Scan" {
            Err(Fail::Unsupported(
                "ONNX Scan (a loop over time) is not compiled yet: compile its body as a step graph with explicit \
                 state and run the loop in firmware"
                    .into(),
            ))
        } else if node.outputs.len() != 1 {
            Err(Fail::Unsupported(format!("{} outputs; ecgc lowers single-output ops", node.outputs.len())))
        } else if !matches!(node.outputs[0].fact.datum_type, DatumType::F32 | DatumType::Bool) {
            Err(Fail::Unsupported(format!(
                "computes {:?} tensors at run time; ecgc supports f32 (and bool) tensors",
                node.outputs[0].fact.datum_type
            )))
        } else {
            ops::lower_node(&mut l, node)
        };
        match result {
            Ok(v) => {
                l.map.insert(OutletId::new(id, 0), v);
            }
            Err(Fail::Skipped) => {}
            Err(Fail::Unsupported(reason)) => {
                unsupported.push(Unsupported { node: node.name.clone(), op: node.op.name().to_string(), reason })
            }
        }
    }
    if !unsupported.is_empty() {
        return Err(Error::Unsupported(unsupported));
    }
    for outlet in model.output_outlets().map_err(|e| Error::Internal(e.to_string()))? {
        let v = match l.map.get(outlet) {
            Some(v) => *v,
            None => {
                let fact = model.outlet_fact(*outlet).map_err(|e| Error::Internal(e.to_string()))?;
                let Some(t) = fact.konst.clone() else {
                    return Err(Error::Internal(format!("output {outlet:?} was not lowered")));
                };
                let name = model.node(outlet.node).name.clone();
                match l.add_tensor_const(&name, &t) {
                    Ok(v) => v,
                    Err(_) => return Err(Error::Internal(format!("output '{name}' is a constant ecgc cannot read"))),
                }
            }
        };
        l.g.outputs.push(v);
    }
    let mut g = l.g;
    name_outputs(model, &mut g);
    ir::verify::verify(&g).map_err(|e| Error::Internal(format!("IR verifier after lowering: {e}")))?;
    Ok(g)
}

/// Graph outputs carry the model's output names (tract names the node, ONNX names the tensor).
fn name_outputs(model: &TypedModel, g: &mut Graph) {
    let labels: Vec<Option<String>> = model
        .output_outlets()
        .map(|o| o.iter().map(|o| model.outlet_label(*o).map(|s| s.to_string())).collect())
        .unwrap_or_default();
    for (k, label) in labels.into_iter().enumerate() {
        if let (Some(label), Some(&v)) = (label, g.outputs.get(k)) {
            if !g.inputs.contains(&v) {
                g.values[v.index()].name = label;
            }
        }
    }
}
