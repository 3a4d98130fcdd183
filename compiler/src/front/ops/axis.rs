//! tract data-movement ops (AxisOp, Identity, Slice, Downsample, Concat, Gather, Pad) → IR.

use super::super::lower::{Fail, Lowered, Lowerer};
use super::scalar;
use crate::ir::{Concat, Gather, Op, Pad, Slice, Transpose};
use tract_core::ops::array::{Gather as TractGather, Pad as TractPad, PadMode, Slice as TractSlice, TypedConcat};
use tract_core::ops::change_axes::AxisOp;
use tract_core::ops::Downsample;
use tract_onnx::prelude::*;

pub(crate) fn axis_op(l: &mut Lowerer, node: &TypedNode, op: &AxisOp) -> Lowered {
    let x = l.operand(node, 0)?;
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    let rank = l.in_shape(node, 0).len();
    let op = match op {
        AxisOp::Move(from, to) => {
            let mut perm: Vec<usize> = (0..rank).filter(|a| a != from).collect();
            perm.insert(*to, *from);
            Op::Transpose(Transpose { perm })
        }
        AxisOp::Add(_) | AxisOp::Rm(_) | AxisOp::Reshape(..) => Op::Reshape,
    };
    Ok(l.emit(node, op, vec![x], shape, dtype))
}

pub(crate) fn identity(l: &mut Lowerer, node: &TypedNode) -> Lowered {
    let x = l.operand(node, 0)?;
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    Ok(l.emit(node, Op::Reshape, vec![x], shape, dtype))
}

fn axis_slice(l: &mut Lowerer, node: &TypedNode, axis: usize, start: usize, step: isize) -> Lowered {
    let x = l.operand(node, 0)?;
    let rank = l.in_shape(node, 0).len();
    let mut s = Slice { start: vec![0; rank], step: vec![1; rank] };
    s.start[axis] = start;
    s.step[axis] = step;
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    Ok(l.emit(node, Op::Slice(s), vec![x], shape, dtype))
}

pub(crate) fn slice(l: &mut Lowerer, node: &TypedNode, op: &TractSlice) -> Lowered {
    let start = op.start.to_i64().map_err(|_| format!("slice start {} is not a number", op.start))? as usize;
    axis_slice(l, node, op.axis, start, 1)
}

pub(crate) fn downsample(l: &mut Lowerer, node: &TypedNode, op: &Downsample) -> Lowered {
    // Downsample keeps indices modulo, modulo+stride, … of the axis; a negative stride walks
    // the same range [modulo, len) from its end (ndarray's slicing rule).
    let len = l.in_shape(node, 0)[op.axis];
    let start = if op.stride > 0 { op.modulo } else { len.saturating_sub(1) };
    if l.out_shape(node)[op.axis] == 0 || op.stride == 0 {
        return Err(Fail::Unsupported("empty or zero-stride downsample".into()));
    }
    axis_slice(l, node, op.axis, start, op.stride)
}

pub(crate) fn concat(l: &mut Lowerer, node: &TypedNode, op: &TypedConcat) -> Lowered {
    let mut inputs = vec![];
    for i in 0..node.inputs.len() {
        inputs.push(l.operand(node, i)?);
    }
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    Ok(l.emit(node, Op::Concat(Concat { axis: op.axis }), inputs, shape, dtype))
}

pub(crate) fn gather(l: &mut Lowerer, node: &TypedNode, op: &TractGather) -> Lowered {
    let Some(idx) = l.konst(node, 1) else {
        return Err(Fail::Unsupported("gather with run-time indices; ecgc needs constant indices".into()));
    };
    let len = l.in_shape(node, 0)[op.axis] as i64;
    let raw = idx.cast_to::<i64>().map_err(|e| format!("gather indices: {e}"))?;
    let mut indices = vec![];
    for &i in raw.to_plain_array_view::<i64>().map_err(|e| format!("gather indices: {e}"))?.iter() {
        let j = if i < 0 { i + len } else { i };
        if !(0..len).contains(&j) {
            return Err(Fail::Invalid(format!("index {i} is out of range for axis {} of size {len}", op.axis)));
        }
        indices.push(j as usize);
    }
    let x = l.operand(node, 0)?;
    let out_shape = l.out_shape(node);
    let g = l.emit_inferred(node, "", Op::Gather(Gather { axis: op.axis, indices }), vec![x])?;
    if l.g.value(g).shape == out_shape {
        return Ok(g);
    }
    // Index tensors of rank ≠ 1 change the rank: reshape to what tract says.
    l.g.values[g.index()].name = format!("{}.flat", node.name);
    let dtype = l.g.value(g).dtype;
    Ok(l.emit(node, Op::Reshape, vec![g], out_shape, dtype))
}

pub(crate) fn pad(l: &mut Lowerer, node: &TypedNode, op: &TractPad) -> Lowered {
    let value = match &op.mode {
        PadMode::Constant(t) => scalar(t).ok_or_else(|| Fail::Unsupported("non-scalar pad value".into()))?,
        m => return Err(Fail::Unsupported(format!("pad mode {m:?}; ecgc supports constant padding"))),
    };
    let x = l.operand(node, 0)?;
    let p = Pad { before: op.pads.iter().map(|p| p.0).collect(), after: op.pads.iter().map(|p| p.1).collect(), value };
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    Ok(l.emit(node, Op::Pad(p), vec![x], shape, dtype))
}
