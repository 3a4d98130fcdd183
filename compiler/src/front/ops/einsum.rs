//! tract `EinSum` (what MatMul, Gemm and Linear become after declutter) → IR `EinSum`.

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
        let size = a.map(|p| shapes[0][p]).or(b.map(|p| shapes[1][p])).or(out.map(|p| out_shape[p])).unwrap_or(1);
        // An axis of size 1 missing from both operands only shapes the output.
        axes.push(EinAxis { size, a, b, out });
    }
    let a = l.operand(node, 0)?;
    let b = l.operand(node, 1)?;
    Ok(l.emit(node, Op::EinSum(EinSum { axes }), vec![a, b], out_shape, DType::F32))
}
