//! tract `Conv`, `MaxPool`, `SumPool` → IR `Conv` / `Pool` in N, C, spatial layout.
//!
//! Other data formats (NHWC, CHW, HWC) are brought to NCHW with explicit Reshape/Transpose nodes,
//! and kernels are re-laid out to O, I/groups, spatial at compile time, so the back end only ever
//! sees one layout.

use super::super::lower::{tensor_f32, Fail, Lowered, Lowerer};
use super::scalar;
use crate::ir::{Conv, DType, Op, Pool, PoolKind, Transpose, ValueId};
use tract_core::ops::cnn::{Conv as TractConv, MaxPool, PoolSpec, SumPool};
use tract_core::ops::nn::DataFormat;
use tract_onnx::prelude::*;

/// Spatial geometry resolved from a tract `PoolSpec` for a given input.
struct Geometry {
    stride: Vec<usize>,
    dilation: Vec<usize>,
    pad_before: Vec<usize>,
}

fn geometry(spec: &PoolSpec, spatial_in: &[usize]) -> Geometry {
    let padding = spec.computed_padding(spatial_in);
    Geometry {
        stride: spec.strides().to_vec(),
        dilation: spec.dilations().to_vec(),
        pad_before: padding.iter().map(|p| p.pad_before).collect(),
    }
}

/// Layout adapter: brings `x` to N, C, spatial and says how to bring results back.
struct Layout {
    format: DataFormat,
    spatial: usize,
}

impl Layout {
    fn new(spec: &PoolSpec) -> std::result::Result<Layout, Fail> {
        let spatial = spec.rank();
        if !(1..=2).contains(&spatial) {
            return Err(Fail::Unsupported(format!("{spatial}-D spatial geometry; ecgc handles 1-D and 2-D")));
        }
        Ok(Layout { format: spec.data_format, spatial })
    }

    fn has_batch(&self) -> bool {
        matches!(self.format, DataFormat::NCHW | DataFormat::NHWC)
    }

    fn channels_last(&self) -> bool {
        matches!(self.format, DataFormat::NHWC | DataFormat::HWC)
    }

    /// `[N, C, spatial..]` of a shape in this layout.
    fn canonical_shape(&self, s: &[usize]) -> Vec<usize> {
        let s: Vec<usize> = if self.has_batch() { s.to_vec() } else { [&[1], s].concat() };
        if self.channels_last() {
            let mut v = vec![s[0], s[self.spatial + 1]];
            v.extend_from_slice(&s[1..=self.spatial]);
            v
        } else {
            s
        }
    }

    fn canonicalize(&self, l: &mut Lowerer, node: &TypedNode, x: ValueId) -> Lowered {
        let mut x = x;
        if !self.has_batch() {
            let mut s = l.g.value(x).shape.clone();
            s.insert(0, 1);
            x = l.g.add_node(format!("{}.add_batch", node.name), Op::Reshape, vec![x], s, DType::F32);
        }
        if self.channels_last() {
            let mut perm = vec![0, self.spatial + 1];
            perm.extend(1..=self.spatial);
            x = l.emit_inferred(node, ".to_nchw", Op::Transpose(Transpose { perm }), vec![x])?;
        }
        Ok(x)
    }

    fn restore_layout(&self, l: &mut Lowerer, node: &TypedNode, y: ValueId, out_shape: Vec<usize>) -> Lowered {
        let mut y = y;
        if self.channels_last() {
            let mut perm = vec![0];
            perm.extend(2..self.spatial + 2);
            perm.push(1);
            y = l.emit_inferred(node, ".to_nhwc", Op::Transpose(Transpose { perm }), vec![y])?;
        }
        if !self.has_batch() {
            y = l.g.add_node(format!("{}.rm_batch", node.name), Op::Reshape, vec![y], out_shape, DType::F32);
        }
        Ok(y)
    }
}

/// The last node of a layout round trip carries the tract node's name.
fn rename_last(l: &mut Lowerer, node: &TypedNode, v: ValueId) {
    l.g.values[v.index()].name = node.name.clone();
    if let Some(n) = l.g.nodes.last_mut() {
        n.name = node.name.clone();
    }
}

pub(crate) fn conv(l: &mut Lowerer, node: &TypedNode, op: &TractConv) -> Lowered {
    if op.q_params.is_some() {
        return Err(Fail::Unsupported("quantized convolution; export a float model (int8 is chosen by ecgc)".into()));
    }
    let layout = Layout::new(&op.pool_spec)?;
    let Some(kernel) = l.konst(node, 1) else {
        return Err(Fail::Unsupported("convolution kernel computed at run time; ecgc needs constant kernels".into()));
    };
    let group = op.group;
    let mut k = kernel.into_tensor();
    for axis_op in op.kernel_fmt.kernel_as_group_o_i_h_w_ops(k.shape(), group) {
        axis_op.change_tensor(&mut k, false).map_err(|e| format!("kernel layout: {e}"))?;
    }
    // [g, O/g, I/g, spatial..] → [O, I/g, spatial..]
    let ks = k.shape().to_vec();
    let mut w_shape = vec![ks[0] * ks[1]];
    w_shape.extend_from_slice(&ks[2..]);
    let w_data = tensor_f32(&k).map_err(|e| format!("kernel: {e}"))?;
    let c_out = w_shape[0];
    let bias = match l.konst(node, 2) {
        Some(b) if b.len() == 1 && scalar(&b) == Some(0.0) => None,
        Some(b) if b.len() == 1 || b.len() == c_out => {
            let v = tensor_f32(&b).map_err(|e| format!("bias: {e}"))?;
            Some(if v.len() == 1 { vec![v[0]; c_out] } else { v })
        }
        Some(_) => return Err(Fail::Unsupported("bias does not have one value per output channel".into())),
        None => return Err(Fail::Unsupported("bias computed at run time; ecgc needs a constant bias".into())),
    };
    let x = l.operand(node, 0)?;
    let x_shape = layout.canonical_shape(&l.in_shape(node, 0));
    let y_shape = layout.canonical_shape(&l.out_shape(node));
    let geo = geometry(&op.pool_spec, &x_shape[2..]);
    let x = layout.canonicalize(l, node, x)?;
    let w = l.g.add_const(format!("{}.weight", node.name), w_shape, w_data);
    let mut inputs = vec![x, w];
    if let Some(b) = bias {
        inputs.push(l.g.add_const(format!("{}.bias", node.name), vec![c_out], b));
    }
    let conv = Conv { stride: geo.stride, dilation: geo.dilation, pad_before: geo.pad_before, groups: group };
    let y = l.emit(node, Op::Conv(conv), inputs, y_shape, DType::F32);
    let out = layout.restore_layout(l, node, y, l.out_shape(node))?;
    if out != y {
        rename_last(l, node, out);
    }
    Ok(out)
}

fn pool(l: &mut Lowerer, node: &TypedNode, spec: &PoolSpec, kind: PoolKind) -> Lowered {
    let layout = Layout::new(spec)?;
    let x = l.operand(node, 0)?;
    let x_shape = layout.canonical_shape(&l.in_shape(node, 0));
    let y_shape = layout.canonical_shape(&l.out_shape(node));
    let geo = geometry(spec, &x_shape[2..]);
    let x = layout.canonicalize(l, node, x)?;
    let p = Pool {
        kind,
        kernel: spec.kernel_shape.to_vec(),
        stride: geo.stride,
        dilation: geo.dilation,
        pad_before: geo.pad_before,
    };
    let y = l.emit(node, Op::Pool(p), vec![x], y_shape, DType::F32);
    let out = layout.restore_layout(l, node, y, l.out_shape(node))?;
    if out != y {
        rename_last(l, node, out);
    }
    Ok(out)
}

pub(crate) fn max_pool(l: &mut Lowerer, node: &TypedNode, op: &MaxPool) -> Lowered {
    if op.with_index_outputs.is_some() {
        return Err(Fail::Unsupported("MaxPool with index outputs".into()));
    }
    pool(l, node, &op.pool_spec, PoolKind::Max)
}

pub(crate) fn sum_pool(l: &mut Lowerer, node: &TypedNode, op: &SumPool) -> Lowered {
    let kind = if op.normalize { PoolKind::Avg { count_include_pad: op.count_include_pad } } else { PoolKind::Sum };
    pool(l, node, &op.pool_spec, kind)
}
