//! The IR verifier: checks the invariants stated in `ir/mod.rs` docs. A failure here is always a
//! compiler bug (the front end or a pass built a bad graph), never a user error.

use super::*;

/// Checks ids, execution order, single definition, and every node's shapes against [`shape::infer`].
pub fn verify(g: &Graph) -> Result<(), String> {
    let n_values = g.values.len();
    let mut defined = vec![false; n_values];
    for (k, &i) in g.inputs.iter().enumerate() {
        check_id(i, n_values)?;
        if g.value(i).kind != ValueKind::Input(k) {
            return Err(format!("graph input {k} (%{}) is not marked as input {k}", i.0));
        }
        defined[i.index()] = true;
    }
    for (i, v) in g.values.iter().enumerate() {
        if let ValueKind::Const(d) = &v.kind {
            if d.len() != v.len() {
                return Err(format!("constant %{i} has {} elements for shape {:?}", d.len(), v.shape));
            }
            if d.dtype() != v.dtype.storage() {
                return Err(format!("constant %{i} of type {} holds {} data", v.dtype, d.dtype()));
            }
            defined[i] = true;
        }
        match (&v.quant, v.dtype.is_int()) {
            (Some(q), true) => q.check(&v.shape).map_err(|e| format!("value %{i}: quantization {e}"))?,
            (Some(_), false) => return Err(format!("value %{i} of type {} has quantization parameters", v.dtype)),
            (None, _) => {}
        }
    }
    for node in &g.nodes {
        for &i in &node.inputs {
            check_id(i, n_values)?;
            if !defined[i.index()] {
                return Err(format!("node '{}' reads %{} before it is computed", node.name, i.0));
            }
        }
        check_id(node.output, n_values)?;
        let out = g.value(node.output);
        if out.kind != ValueKind::Computed || defined[node.output.index()] {
            return Err(format!("node '{}' output %{} is defined twice or is not computed", node.name, node.output.0));
        }
        defined[node.output.index()] = true;
        check_quant(g, node)?;
        let ins: Vec<(&[usize], DType)> =
            node.inputs.iter().map(|&i| (g.value(i).shape.as_slice(), g.value(i).dtype)).collect();
        let (shape, dtype) =
            shape::infer(&node.op, &ins, &out.shape).map_err(|e| format!("node '{}': {e}", node.name))?;
        if shape != out.shape {
            return Err(format!("node '{}' declares shape {:?}, op gives {:?}", node.name, out.shape, shape));
        }
        if dtype != out.dtype && node.op != Op::Unary(UnaryOp::Identity) {
            return Err(format!("node '{}' declares {:?}, op gives {:?}", node.name, out.dtype, dtype));
        }
    }
    for &o in &g.outputs {
        check_id(o, n_values)?;
        if !defined[o.index()] {
            return Err(format!("graph output %{} is never computed", o.0));
        }
    }
    check_state(g)
}

/// A state pair joins an input and an output of one shape and type, each in at most one pair.
fn check_state(g: &Graph) -> Result<(), String> {
    for (k, p) in g.state.iter().enumerate() {
        let (Some(&i), Some(&o)) = (g.inputs.get(p.input), g.outputs.get(p.output)) else {
            return Err(format!("state pair {k} names input {} / output {} that do not exist", p.input, p.output));
        };
        let (vi, vo) = (g.value(i), g.value(o));
        if vi.shape != vo.shape || vi.dtype != vo.dtype {
            return Err(format!(
                "state pair {k}: input '{}' {:?} {} and output '{}' {:?} {} differ",
                vi.name, vi.shape, vi.dtype, vo.name, vo.shape, vo.dtype
            ));
        }
        if g.state[..k].iter().any(|q| q.input == p.input || q.output == p.output) {
            return Err(format!("state pair {k} reuses an input or output of an earlier pair"));
        }
    }
    Ok(())
}

fn check_id(i: ValueId, n: usize) -> Result<(), String> {
    if i.index() < n {
        Ok(())
    } else {
        Err(format!("value id %{} out of range ({n} values)", i.0))
    }
}

/// Integer ops need the quantization parameters their semantics read: per-tensor ones on a
/// Quantize result, a Dequantize operand, and a QConv/QDense input and output.
fn check_quant(g: &Graph, node: &Node) -> Result<(), String> {
    let per_tensor = |v: ValueId| g.value(v).quant.as_ref().is_some_and(|q| q.scale.len() == 1);
    let need: Vec<ValueId> = match &node.op {
        Op::Quantize(_) => vec![node.output],
        Op::Dequantize => vec![node.inputs[0]],
        Op::QConv(_) | Op::QDense(_) => vec![node.inputs[0], node.output],
        _ => vec![],
    };
    match need.iter().find(|&&v| !per_tensor(v)) {
        Some(v) => Err(format!("node '{}' needs per-tensor quantization parameters on %{}", node.name, v.0)),
        None => Ok(()),
    }
}
