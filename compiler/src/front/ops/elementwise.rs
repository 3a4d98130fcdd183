//! tract element-wise ops (binary, unary, Iff, Cast, MultiBroadcastTo) → IR element-wise ops.

use super::super::lower::{Fail, Lowered, Lowerer};
use crate::ir::{BinaryOp, DType, Op, Quant, UnaryOp, ValueId};
use tract_core::ops::binary::TypedBinOp;
use tract_core::ops::cast::Cast;
use tract_core::ops::element_wise::ElementWiseOp;
use tract_core::ops::{logic, math, nn};
use tract_onnx::prelude::*;

pub(crate) fn binary(l: &mut Lowerer, node: &TypedNode, op: &TypedBinOp) -> Lowered {
    let m = &op.0;
    let (bop, swap) = if m.is::<math::Add>() {
        (BinaryOp::Add, false)
    } else if m.is::<math::Sub>() {
        (BinaryOp::Sub, false)
    } else if m.is::<math::SubF>() {
        (BinaryOp::Sub, true)
    } else if m.is::<math::Mul>() {
        (BinaryOp::Mul, false)
    } else if m.is::<math::Div>() {
        (BinaryOp::Div, false)
    } else if m.is::<math::Rem>() {
        (BinaryOp::Rem, false)
    } else if m.is::<math::Max>() {
        (BinaryOp::Max, false)
    } else if m.is::<math::Min>() {
        (BinaryOp::Min, false)
    } else if m.is::<math::Pow>() {
        (BinaryOp::Pow, false)
    } else if m.is::<logic::CompLT>() {
        (BinaryOp::Less, false)
    } else if m.is::<logic::CompLTE>() {
        (BinaryOp::LessEqual, false)
    } else if m.is::<logic::CompGT>() {
        (BinaryOp::Greater, false)
    } else if m.is::<logic::CompGTE>() {
        (BinaryOp::GreaterEqual, false)
    } else if m.is::<logic::CompEq>() {
        (BinaryOp::Equal, false)
    } else if m.is::<logic::CompNE>() {
        (BinaryOp::NotEqual, false)
    } else if m.is::<logic::And>() {
        (BinaryOp::And, false)
    } else if m.is::<logic::Or>() {
        (BinaryOp::Or, false)
    } else if m.is::<logic::Xor>() {
        (BinaryOp::Xor, false)
    } else {
        return Err(Fail::Unsupported(format!("element-wise binary op '{}'", m.name())));
    };
    let a = l.operand(node, 0)?;
    let b = l.operand(node, 1)?;
    let inputs = if swap { vec![b, a] } else { vec![a, b] };
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    Ok(l.emit(node, Op::Binary(bop), inputs, shape, dtype))
}

/// tract's element-wise mini-op names → IR unary ops (parameterised ones are read by downcast).
fn unary_op(op: &ElementWiseOp) -> Option<UnaryOp> {
    let m = &op.0;
    if let Some(lr) = m.downcast_ref::<nn::LeakyRelu>() {
        return Some(UnaryOp::LeakyRelu(lr.alpha));
    }
    if let Some(g) = m.downcast_ref::<nn::GeluApproximate>() {
        return Some(UnaryOp::GeluTanh { square: g.fast_impl });
    }
    if let Some(p) = m.downcast_ref::<math::PowConst>() {
        return Some(UnaryOp::PowConst(p.exponent));
    }
    Some(match m.name().as_str() {
        "Neg" => UnaryOp::Neg,
        "Abs" => UnaryOp::Abs,
        "Sqrt" => UnaryOp::Sqrt,
        "Rsqrt" => UnaryOp::Rsqrt,
        "Recip" => UnaryOp::Recip,
        "Exp" => UnaryOp::Exp,
        "Ln" => UnaryOp::Ln,
        "Sigmoid" => UnaryOp::Sigmoid,
        "Tanh" => UnaryOp::Tanh,
        "Erf" => UnaryOp::Erf,
        "GeluExact" => UnaryOp::GeluExact,
        "Square" => UnaryOp::Square,
        "Floor" => UnaryOp::Floor,
        "Ceil" => UnaryOp::Ceil,
        "Round" => UnaryOp::Round,
        "RoundHalfToEven" => UnaryOp::RoundHalfToEven,
        "Sign" => UnaryOp::Sign,
        "Not" => UnaryOp::Not,
        "Sin" => UnaryOp::Sin,
        "Cos" => UnaryOp::Cos,
        "Silu" => UnaryOp::Silu,
        "IsNan" => UnaryOp::IsNan,
        _ => return None,
    })
}

pub(crate) fn unary(l: &mut Lowerer, node: &TypedNode, op: &ElementWiseOp) -> Lowered {
    if op.1.is_some() && op.1 != Some(DatumType::F32) && op.1 != Some(DatumType::Bool) {
        return Err(Fail::Unsupported(format!("element-wise op producing {:?}", op.1)));
    }
    if op.0.name() == "HardSwish" {
        return hard_swish(l, node);
    }
    if let Some(fq) = op.0.downcast_ref::<crate::front::qdq::FakeQuant>() {
        return fake_quant(l, node, fq);
    }
    let Some(u) = unary_op(op) else {
        return Err(Fail::Unsupported(format!("element-wise op '{}'", op.0.name())));
    };
    let x = l.operand(node, 0)?;
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    Ok(l.emit(node, Op::Unary(u), vec![x], shape, dtype))
}

/// A QDQ model's quantize-dequantize pair (`front::qdq`): `Quantize` to int8 with the pair's
/// parameters, then `Dequantize` (the node's name), so the graph carries them exactly.
fn fake_quant(l: &mut Lowerer, node: &TypedNode, fq: &crate::front::qdq::FakeQuant) -> Lowered {
    let x = l.operand(node, 0)?;
    let shape = l.out_shape(node);
    let q = l.g.add_node(format!("{}.quantize", node.name), Op::Quantize(DType::I8), vec![x], shape.clone(), DType::I8);
    l.g.values[q.index()].quant = Some(Quant::per_tensor(fq.scale, fq.zero_point));
    Ok(l.emit(node, Op::Dequantize, vec![q], shape, DType::F32))
}

/// ONNX HardSwish as tract computes it: `x · clamp(x + 3, 0, 6) · (1/6)`, in existing IR ops.
fn hard_swish(l: &mut Lowerer, node: &TypedNode) -> Lowered {
    let x = l.operand(node, 0)?;
    let shape = l.out_shape(node);
    let mut k = |suffix: &str, v: f32| l.g.add_const(format!("{}.{suffix}", node.name), vec![], vec![v]);
    let (three, zero, six, sixth) = (k("three", 3.0), k("zero", 0.0), k("six", 6.0), k("sixth", 1.0 / 6.0));
    let mut step = |suffix: &str, op: BinaryOp, a: ValueId, b: ValueId| {
        l.g.add_node(format!("{}.{suffix}", node.name), Op::Binary(op), vec![a, b], shape.clone(), DType::F32)
    };
    let t = step("plus3", BinaryOp::Add, x, three);
    let t = step("relu", BinaryOp::Max, t, zero);
    let t = step("relu6", BinaryOp::Min, t, six);
    let t = step("times_x", BinaryOp::Mul, x, t);
    Ok(l.emit(node, Op::Binary(BinaryOp::Mul), vec![t, sixth], shape, DType::F32))
}

pub(crate) fn select(l: &mut Lowerer, node: &TypedNode) -> Lowered {
    let c = l.operand(node, 0)?;
    let a = l.operand(node, 1)?;
    let b = l.operand(node, 2)?;
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    Ok(l.emit(node, Op::Select, vec![c, a, b], shape, dtype))
}

pub(crate) fn cast(l: &mut Lowerer, node: &TypedNode, op: &Cast) -> Lowered {
    if !matches!(op.to, DatumType::F32 | DatumType::Bool) {
        return Err(Fail::Unsupported(format!("cast to {:?} at run time", op.to)));
    }
    let x = l.operand(node, 0)?;
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    let op = if op.to == DatumType::Bool {
        // bool(x) = (x != 0)
        let zero = l.g.add_const(format!("{}.zero", node.name), vec![], vec![0.0]);
        return Ok(l.emit(node, Op::Binary(BinaryOp::NotEqual), vec![x, zero], shape, dtype));
    } else {
        Op::Unary(UnaryOp::Identity)
    };
    Ok(l.emit(node, op, vec![x], shape, dtype))
}

pub(crate) fn broadcast_to(l: &mut Lowerer, node: &TypedNode) -> Lowered {
    let x = l.operand(node, 0)?;
    let (shape, dtype) = (l.out_shape(node), l.out_dtype(node));
    Ok(l.emit(node, Op::BroadcastTo, vec![x], shape, dtype))
}
