//! tract `Reduce`, `Softmax`, `RmsNorm` → IR reductions and axis-wise normalisations.

use super::super::lower::{Fail, Lowered, Lowerer};
use super::scalar;
use crate::ir::{DType, Op, Reduce, ReduceOp, RmsNorm, Softmax};
use tract_core::ops::nn::{
    Reduce as TractReduce, Reducer, RmsNorm as TractRmsNorm, Softmax as TractSoftmax, SoftmaxKind,
};
use tract_onnx::prelude::*;

pub(crate) fn reduce(l: &mut Lowerer, node: &TypedNode, op: &TractReduce) -> Lowered {
    let rop = match op.reducer {
        Reducer::Sum => ReduceOp::Sum,
        Reducer::Max => ReduceOp::Max,
        Reducer::Min => ReduceOp::Min,
        Reducer::Prod => ReduceOp::Prod,
        Reducer::MeanOfSquares => ReduceOp::MeanOfSquares,
        ref r => return Err(Fail::Unsupported(format!("reduction {r:?}"))),
    };
    let mut axes = op.axes.to_vec();
    axes.sort();
    axes.dedup();
    let x = l.operand(node, 0)?;
    let shape = l.out_shape(node);
    Ok(l.emit(node, Op::Reduce(Reduce { op: rop, axes }), vec![x], shape, DType::F32))
}

pub(crate) fn softmax(l: &mut Lowerer, node: &TypedNode, op: &TractSoftmax) -> Lowered {
    if op.axes.len() != 1 || op.quant_output_dt.is_some() {
        return Err(Fail::Unsupported("softmax over several axes or quantized".into()));
    }
    let x = l.operand(node, 0)?;
    let shape = l.out_shape(node);
    let s = Softmax { axis: op.axes[0], log: op.kind == SoftmaxKind::LogSoftmax };
    Ok(l.emit(node, Op::Softmax(s), vec![x], shape, DType::F32))
}

pub(crate) fn rms_norm(l: &mut Lowerer, node: &TypedNode, op: &TractRmsNorm) -> Lowered {
    let Some(eps) = scalar(&op.eps) else { return Err(Fail::Unsupported("non-scalar epsilon".into())) };
    let x = l.operand(node, 0)?;
    let shape = l.out_shape(node);
    Ok(l.emit(node, Op::RmsNorm(RmsNorm { axis: op.axis, eps }), vec![x], shape, DType::F32))
}
