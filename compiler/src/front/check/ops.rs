//! Op attributes and constant operands, where tract would panic, allocate without bound, or say
//! something about its own internals: Slice steps, Transpose perms, ConstantOfShape sizes, Gather
//! indices, axes, conv/pool geometry, Reshape targets, MatMul/Gemm shapes, Split sizes. Shapes are
//! known here only for graph inputs, initializers and `Constant`s.

use super::tensors::{check_tensor, int_values};
use super::{attr, declared_dims, elements, int, ints, node_label, size_problem};
use std::collections::HashMap;
use tract_onnx::pb;

/// What is statically known about a tensor here: its shape (graph inputs, initializers) and its
/// integer values (int initializers and Constants).
#[derive(Default)]
pub(super) struct Known<'a> {
    shapes: HashMap<&'a str, Vec<i64>>,
    values: HashMap<&'a str, Vec<i64>>,
}

pub(super) fn known(g: &pb::GraphProto) -> Known<'_> {
    let mut k = Known::default();
    for i in &g.input {
        if let Some(d) = declared_dims(i).and_then(|d| d.into_iter().collect::<Option<Vec<i64>>>()) {
            k.shapes.insert(&i.name, d);
        }
    }
    for t in &g.initializer {
        k.shapes.insert(&t.name, t.dims.clone());
        if let Some(v) = int_values(t) {
            k.values.insert(&t.name, v);
        }
    }
    for n in g.node.iter().filter(|n| n.op_type == "Constant") {
        if let (Some(t), Some(o)) = (attr(n, "value").and_then(|a| a.t.as_ref()), n.output.first()) {
            k.shapes.insert(o, t.dims.clone());
            if let Some(v) = int_values(t) {
                k.values.insert(o, v);
            }
        }
    }
    k
}

/// Normalises an axis attribute against a rank (`axis` may be negative); `None` when outside.
pub(super) fn axis_in(axis: i64, rank: usize, inclusive_end: bool) -> Option<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    let end = if inclusive_end { r } else { r - 1 };
    (0..=end).contains(&a).then_some(a as usize)
}

/// The attributes and constant operands of ops tract cannot cope with when they are wrong.
pub(super) fn check_ops(g: &pb::GraphProto, bad: &mut Vec<String>) {
    let k = known(g);
    let shape_of = |n: &pb::NodeProto, i: usize| n.input.get(i).and_then(|name| k.shapes.get(name.as_str()));
    let value_of = |n: &pb::NodeProto, i: usize| n.input.get(i).and_then(|name| k.values.get(name.as_str()));
    for (idx, n) in g.node.iter().enumerate() {
        let label = node_label(idx, n);
        let mut say = |m: String| bad.push(format!("{label}: {m}"));
        if let Some(t) = attr(n, "value").and_then(|a| a.t.as_ref()).filter(|_| n.op_type == "Constant") {
            let mut inner = vec![];
            check_tensor("its value", t, &mut inner);
            for m in inner {
                say(m);
            }
        }
        match n.op_type.as_str() {
            "Slice" => {
                if let Some(steps) = value_of(n, 4) {
                    if let Some(p) = steps.iter().position(|&s| s == 0) {
                        say(format!(
                            "step 0 (position {p} of its steps '{}'); a slice step cannot be zero",
                            n.input[4]
                        ));
                    }
                }
            }
            "Transpose" => {
                if let Some(perm) = ints(n, "perm") {
                    let mut sorted = perm.clone();
                    sorted.sort_unstable();
                    let rank = shape_of(n, 0).map(|s| s.len());
                    if sorted != (0..perm.len() as i64).collect::<Vec<_>>() {
                        say(format!(
                            "perm {perm:?} is not a permutation of the axes 0..{} (each axis exactly once)",
                            perm.len()
                        ));
                    } else if let Some(r) = rank.filter(|&r| r != perm.len()) {
                        say(format!("perm {perm:?} has {} entries, but its input has rank {r}", perm.len()));
                    }
                }
            }
            "ConstantOfShape" => {
                if let Some(dims) = value_of(n, 0) {
                    if let Some(d) = dims.iter().find(|&&d| d < 0) {
                        say(format!("shape {dims:?} has the negative dimension {d}"));
                    } else if let Some(p) = size_problem("its output", dims, 4) {
                        say(p);
                    }
                }
            }
            "Gather" => {
                let axis = int(n, "axis").unwrap_or(0);
                if let Some(shape) = shape_of(n, 0) {
                    match axis_in(axis, shape.len(), false) {
                        None => say(format!("axis {axis} is out of range for its rank-{} input", shape.len())),
                        Some(a) => {
                            let size = shape[a];
                            if let Some(bad_index) =
                                value_of(n, 1).and_then(|ix| ix.iter().copied().find(|&i| i < -size || i >= size))
                            {
                                say(format!(
                                    "index {bad_index} is out of range for axis {a} of size {size} (indices must lie \
                                     in {}..={})",
                                    -size,
                                    size - 1
                                ));
                            }
                        }
                    }
                }
            }
            "MatMul" | "Gemm" => {
                if let (Some(a), Some(b)) = (shape_of(n, 0), shape_of(n, 1)) {
                    let gemm = n.op_type == "Gemm";
                    let (ta, tb) = (gemm && int(n, "transA") == Some(1), gemm && int(n, "transB") == Some(1));
                    if a.len() >= 2 && b.len() >= 2 {
                        let k_a = if ta { a[a.len() - 2] } else { a[a.len() - 1] };
                        let k_b = if tb { b[b.len() - 1] } else { b[b.len() - 2] };
                        if k_a != k_b {
                            say(format!(
                                "operand shapes {a:?} and {b:?}{} do not multiply: {k_a} columns against {k_b} rows",
                                if ta || tb {
                                    format!(" (transA={}, transB={})", ta as u8, tb as u8)
                                } else {
                                    String::new()
                                }
                            ));
                        }
                    }
                }
            }
            "Reshape" => {
                if let (Some(x), Some(to)) = (shape_of(n, 0), value_of(n, 1)) {
                    let allowzero = int(n, "allowzero").unwrap_or(0) != 0;
                    let wildcards = to.iter().filter(|&&d| d == -1).count();
                    if let Some(d) = to.iter().find(|&&d| d < -1) {
                        say(format!("target shape {to:?} has the negative dimension {d} (only -1 is allowed)"));
                    } else if wildcards > 1 {
                        say(format!("target shape {to:?} has {wildcards} dimensions of -1 (at most one is allowed)"));
                    } else if let Some(n_in) = elements(x) {
                        let dims: Vec<i64> = to
                            .iter()
                            .enumerate()
                            .map(|(a, &d)| if d == 0 && !allowzero { x.get(a).copied().unwrap_or(0) } else { d })
                            .collect();
                        let known: Option<u64> =
                            elements(&dims.iter().copied().filter(|&d| d != -1).collect::<Vec<_>>());
                        let fits = match known {
                            None => false,
                            Some(0) => n_in == 0,
                            Some(k) if wildcards == 1 => n_in.is_multiple_of(k),
                            Some(k) => k == n_in,
                        };
                        if !fits {
                            say(format!("cannot reshape its input of shape {x:?} ({n_in} elements) to {to:?}"));
                        }
                    }
                }
            }
            "Conv" | "ConvTranspose" | "MaxPool" | "AveragePool" | "LpPool" => check_window(n, &k, &mut say),
            "Flatten" => {
                if let (Some(a), Some(s)) = (int(n, "axis"), shape_of(n, 0)) {
                    if axis_in(a, s.len(), true).is_none() {
                        say(format!(
                            "axis {a} is out of range for its rank-{} input (allowed: {}..={})",
                            s.len(),
                            -(s.len() as i64),
                            s.len()
                        ));
                    }
                }
            }
            "Softmax" | "LogSoftmax" | "Hardmax" | "Concat" | "ArgMax" | "ArgMin" | "CumSum" => {
                if let (Some(a), Some(s)) = (int(n, "axis"), shape_of(n, 0)) {
                    if axis_in(a, s.len(), false).is_none() {
                        say(format!("axis {a} is out of range for its rank-{} input", s.len()));
                    }
                }
            }
            op if op.starts_with("Reduce") => {
                let axes = ints(n, "axes").or_else(|| value_of(n, 1).cloned());
                if let (Some(axes), Some(s)) = (axes, shape_of(n, 0)) {
                    if let Some(a) = axes.iter().find(|&&a| axis_in(a, s.len(), false).is_none()) {
                        say(format!("axis {a} is out of range for its rank-{} input", s.len()));
                    }
                }
            }
            "Split" => {
                let sizes = value_of(n, 1).cloned().or_else(|| ints(n, "split"));
                let axis = int(n, "axis").unwrap_or(0);
                if let (Some(sizes), Some(s)) = (sizes, shape_of(n, 0)) {
                    if let Some(a) = axis_in(axis, s.len(), false) {
                        let total: i64 = sizes.iter().sum();
                        if sizes.iter().any(|&v| v < 0) || total != s[a] {
                            say(format!("split sizes {sizes:?} do not add up to the size {} of axis {a}", s[a]));
                        }
                    } else {
                        say(format!("axis {axis} is out of range for its rank-{} input", s.len()));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Conv and pooling geometry: positive strides, dilations, kernels and groups, pads ≥ 0, and a
/// kernel that fits its (padded) input where the input's shape is known.
pub(super) fn check_window(n: &pb::NodeProto, k: &Known<'_>, say: &mut impl FnMut(String)) {
    for name in ["strides", "dilations", "kernel_shape"] {
        if let Some(v) = ints(n, name).filter(|v| v.iter().any(|&x| x <= 0)) {
            say(format!("{name} {v:?} must be positive"));
            return;
        }
    }
    if let Some(p) = ints(n, "pads").filter(|v| v.iter().any(|&x| x < 0)) {
        say(format!("pads {p:?} must not be negative"));
        return;
    }
    if let Some(g) = int(n, "group").filter(|&g| g <= 0) {
        say(format!("group {g} must be positive"));
        return;
    }
    if n.op_type == "ConvTranspose" {
        return;
    }
    let x = n.input.first().and_then(|i| k.shapes.get(i.as_str()));
    let kernel = if n.op_type == "Conv" {
        n.input.get(1).and_then(|w| k.shapes.get(w.as_str())).map(|w| w.get(2..).unwrap_or_default().to_vec())
    } else {
        ints(n, "kernel_shape")
    };
    let (Some(x), Some(kernel)) = (x, kernel) else { return };
    if n.op_type == "Conv" {
        let w = n.input.get(1).and_then(|w| k.shapes.get(w.as_str())).cloned().unwrap_or_default();
        let group = int(n, "group").unwrap_or(1);
        if let (Some(&c), Some(&wc)) = (x.get(1), w.get(1)) {
            if c != wc.saturating_mul(group) {
                say(format!(
                    "its input has {c} channels (shape {x:?}), but its weights {w:?} with group {group} expect {}",
                    wc.saturating_mul(group)
                ));
                return;
            }
        }
    }
    if x.len() < 2 || kernel.len() != x.len() - 2 {
        say(format!("a {}-d kernel {kernel:?} on an input of shape {x:?}", kernel.len()));
        return;
    }
    let auto_pad = attr(n, "auto_pad").map(|a| String::from_utf8_lossy(&a.s).to_string()).unwrap_or_default();
    if auto_pad.starts_with("SAME") {
        return;
    }
    let pads = ints(n, "pads").unwrap_or_default();
    let dil = ints(n, "dilations").unwrap_or_default();
    let sp = kernel.len();
    for a in 0..sp {
        let pad = pads.get(a).copied().unwrap_or(0) + pads.get(a + sp).copied().unwrap_or(0);
        let span = (kernel[a] - 1).saturating_mul(dil.get(a).copied().unwrap_or(1)).saturating_add(1);
        let len = x[2 + a].saturating_add(pad);
        if span > len {
            say(format!(
                "its kernel spans {span} samples on spatial axis {a}, longer than the input's {} (+{pad} padding); \
                 the output would be empty",
                x[2 + a]
            ));
        }
    }
}
