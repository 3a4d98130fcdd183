//! The op table: tract op type → lowering function. The only place that inspects tract op types.

mod axis;
mod conv;
mod einsum;
mod elementwise;
mod reduce;

use super::lower::{Fail, Lowered, Lowerer};
use tract_core::ops as t;
use tract_onnx::prelude::*;

/// Lowers one tract node; `Err(Fail::Unsupported)` names what is missing.
pub(crate) fn lower_node(l: &mut Lowerer, node: &TypedNode) -> Lowered {
    if let Some(op) = node.op_as::<t::cnn::Conv>() {
        conv::conv(l, node, op)
    } else if let Some(op) = node.op_as::<t::cnn::MaxPool>() {
        conv::max_pool(l, node, op)
    } else if let Some(op) = node.op_as::<t::cnn::SumPool>() {
        conv::sum_pool(l, node, op)
    } else if let Some(op) = node.op_as::<t::einsum::EinSum>() {
        einsum::einsum(l, node, op)
    } else if let Some(op) = node.op_as::<t::binary::TypedBinOp>() {
        elementwise::binary(l, node, op)
    } else if let Some(op) = node.op_as::<t::element_wise::ElementWiseOp>() {
        elementwise::unary(l, node, op)
    } else if node.op_is::<t::logic::Iff>() {
        elementwise::select(l, node)
    } else if let Some(op) = node.op_as::<t::cast::Cast>() {
        elementwise::cast(l, node, op)
    } else if node.op_is::<t::array::MultiBroadcastTo>() {
        elementwise::broadcast_to(l, node)
    } else if let Some(op) = node.op_as::<t::change_axes::AxisOp>() {
        axis::axis_op(l, node, op)
    } else if node.op_is::<t::identity::Identity>() {
        axis::identity(l, node)
    } else if let Some(op) = node.op_as::<t::array::Slice>() {
        axis::slice(l, node, op)
    } else if let Some(op) = node.op_as::<t::Downsample>() {
        axis::downsample(l, node, op)
    } else if let Some(op) = node.op_as::<t::array::TypedConcat>() {
        axis::concat(l, node, op)
    } else if let Some(op) = node.op_as::<t::array::Gather>() {
        axis::gather(l, node, op)
    } else if let Some(op) = node.op_as::<t::array::Pad>() {
        axis::pad(l, node, op)
    } else if let Some(op) = node.op_as::<t::nn::Reduce>() {
        reduce::reduce(l, node, op)
    } else if let Some(op) = node.op_as::<t::nn::Softmax>() {
        reduce::softmax(l, node, op)
    } else if let Some(op) = node.op_as::<t::nn::RmsNorm>() {
        reduce::rms_norm(l, node, op)
    } else {
        Err(Fail::Unsupported(format!(
            "ecgc has no lowering for tract's '{}' op; see README.md \"Supported ops\" for what compiles",
            node.op.name()
        )))
    }
}

/// A constant scalar operand read as f32.
pub(crate) fn scalar(t: &Tensor) -> Option<f32> {
    if t.len() != 1 {
        return None;
    }
    t.cast_to_scalar::<f32>().ok()
}
