//! tract `EinSum` (what MatMul, Gemm and Linear become after declutter) → IR `EinSum`.
//!
//! tract's EinSum broadcasts an axis of size 1 in one operand against the other's (MatMul's batch
//! axes: `[1,7,19] @ [2,19,7]`); the IR's does not, so such an operand is broadcast first.

use super::super::lower::{Fail, Lowered, Lowerer};
use crate::ir::{DType, EinAxis, EinSum, Op};
use tract_core::ops::einsum::EinSum as TractEinSum;
use tract_onnx::prelude::*;

pub(crate) fn einsum(l: &mut Lowerer, node: &TypedNode, op: &TractEinSum) -> Lowered {
    if op.q_params.is_some() {
        return Err(Fail::Unsupported("quantized EinSum; export a float model (int8 is chosen by ecgc)".into()));
    }
    if node.inputs.len() != 2 {
        return Err(Fail::Unsupported(format!("EinSum with {} operands; ecgc handles two", node.inputs.len())));
    }
    let shapes = [l.in_shape(node, 0), l.in_shape(node, 1)];
    let out_shape = l.out_shape(node);
    let mut axes = vec![];
    // Each operand's shape with its broadcast axes widened to the axis size.
    let mut wide = shapes.clone();
    for ax in op.axes.iter_all_axes() {
        let one = |v: &[usize]| -> std::result::Result<Option<usize>, Fail> {
            match v.len() {
                0 => Ok(None),
                1 => Ok(Some(v[0])),
                _ => {
                    Err(Fail::Unsupported(format!("EinSum axis '{}' repeats within one tensor (a diagonal)", ax.repr)))
                }
            }
        };
        let a = one(&ax.inputs[0])?;
        let b = one(&ax.inputs[1])?;
        let out = one(&ax.outputs[0])?;
        // The largest extent: an operand's 1 broadcasts. An axis of size 1 missing from both
        // operands only shapes the output.
        let size = [a.map(|p| shapes[0][p]), b.map(|p| shapes[1][p]), out.map(|p| out_shape[p])]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(1);
        for (t, p) in [(0, a), (1, b)] {
            if let Some(p) = p {
                if wide[t][p] == 1 {
                    wide[t][p] = size;
                }
            }
        }
        axes.push(EinAxis { size, a, b, out });
    }
    let mut ins = [l.operand(node, 0)?, l.operand(node, 1)?];
    for t in 0..2 {
        if wide[t] != shapes[t] {
            let name = format!("{}.broadcast_{}", node.name, ["a", "b"][t]);
            ins[t] = l.g.add_node(name, Op::BroadcastTo, vec![ins[t]], wide[t].clone(), DType::F32);
        }
    }
    let [a, b] = ins;
    Ok(l.emit(node, Op::EinSum(EinSum { axes }), vec![a, b], out_shape, DType::F32))
}
