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
        if !(1..=3).contains(&spatial) {
            return Err(Fail::Unsupported(format!(
                "{spatial}-D spatial geometry (kernel {:?}, {:?}); ecgc handles 1-D and 2-D (and 3-D with a trivial axis)",
                spec.kernel_shape, spec.data_format
            )));
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
    let kernel: Vec<usize> = w_shape[2..].to_vec();
    let t = drop_trivial_axes(l, node, x, &x_shape, &y_shape, &kernel, geo)?;
    for a in t.dropped.iter().rev() {
        w_shape.remove(2 + a);
    }
    let w = l.g.add_const(format!("{}.weight", node.name), w_shape, w_data);
    let mut inputs = vec![t.x, w];
    if let Some(b) = bias {
        inputs.push(l.g.add_const(format!("{}.bias", node.name), vec![c_out], b));
    }
    let geo = t.geo;
    let conv = Conv { stride: geo.stride, dilation: geo.dilation, pad_before: geo.pad_before, groups: group };
    let y = l.emit(node, Op::Conv(conv), inputs, t.y_shape, DType::F32);
    finish(l, node, &layout, y, y_shape)
}

/// A conv or pool with its trivial spatial axes removed.
struct Trimmed {
    x: ValueId,
    y_shape: Vec<usize>,
    geo: Geometry,
    dropped: Vec<usize>,
}

/// Drops spatial axes that do nothing (extent 1 in and out, kernel 1, stride 1, dilation 1, no
/// padding: what tract's declutter leaves when it pushes reshapes through a convolution), so
/// that at most two spatial axes remain.
fn drop_trivial_axes(
    l: &mut Lowerer,
    node: &TypedNode,
    x: ValueId,
    x_shape: &[usize],
    y_shape: &[usize],
    kernel: &[usize],
    geo: Geometry,
) -> std::result::Result<Trimmed, Fail> {
    let sp = kernel.len();
    let trivial = |a: usize| {
        x_shape[2 + a] == 1 && y_shape[2 + a] == 1 && kernel[a] == 1 && geo.stride[a] == 1 && geo.pad_before[a] == 0
    };
    let dropped: Vec<usize> = if sp > 2 { (0..sp).filter(|&a| trivial(a)).take(sp - 2).collect() } else { vec![] };
    if sp - dropped.len() > 2 {
        return Err(Fail::Unsupported(format!(
            "3-D convolution or pooling (kernel {kernel:?}); ecgc handles 1-D and 2-D"
        )));
    }
    let keep = |v: &[usize], off: usize| -> Vec<usize> {
        v.iter().enumerate().filter(|(i, _)| *i < off || !dropped.contains(&(i - off))).map(|(_, d)| *d).collect()
    };
    let geo = Geometry {
        stride: keep(&geo.stride, 0),
        dilation: keep(&geo.dilation, 0),
        pad_before: keep(&geo.pad_before, 0),
    };
    let mut x = x;
    if !dropped.is_empty() {
        x = l.g.add_node(format!("{}.drop_axes", node.name), Op::Reshape, vec![x], keep(x_shape, 2), DType::F32);
    }
    Ok(Trimmed { x, y_shape: keep(y_shape, 2), geo, dropped })
}

/// Brings a conv/pool result back to the tract node's shape and layout.
fn finish(l: &mut Lowerer, node: &TypedNode, layout: &Layout, y: ValueId, canonical: Vec<usize>) -> Lowered {
    let mut y = y;
    if l.g.value(y).shape != canonical {
        y = l.g.add_node(format!("{}.restore_axes", node.name), Op::Reshape, vec![y], canonical, DType::F32);
    }
    let out = layout.restore_layout(l, node, y, l.out_shape(node))?;
    if out != y || l.g.nodes.last().is_some_and(|n| n.name != node.name) {
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
    let t = drop_trivial_axes(l, node, x, &x_shape, &y_shape, &spec.kernel_shape, geo)?;
    let kernel: Vec<usize> =
        spec.kernel_shape.iter().enumerate().filter(|(a, _)| !t.dropped.contains(a)).map(|(_, k)| *k).collect();
    let p = Pool { kind, kernel, stride: t.geo.stride, dilation: t.geo.dilation, pad_before: t.geo.pad_before };
    let y = l.emit(node, Op::Pool(p), vec![t.x], t.y_shape, DType::F32);
    finish(l, node, &layout, y, y_shape)
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
