//! The ONNX rules, checked on the protobuf before tract sees it.
//!
//! tract assumes a valid model: on an invalid one it panics (Slice step 0, an output no node
//! produces, a permutation that repeats an axis), allocates gigabytes (a huge `ConstantOfShape`,
//! `Transpose perm=[0,0]`), or answers with a message about its own internals. Here each rule is
//! checked on the proto, every violation is collected, and the user gets one message listing them,
//! each naming the node or tensor and what is wrong. Checked: the opset import, the graph's
//! single-assignment structure, initializer data against its dims, declared dimensions, sizes
//! (checked arithmetic, bounded by [`MAX_TENSOR_BYTES`]), and the attributes and constant operands
//! of the ops tract cannot cope with.
//!
//! One file per concern: [`graph`] (opset, structure), [`tensors`] (stored data), [`ops`]
//! (attributes, constant operands), [`external`] (external data files).
//!
//! Shapes are only known here for graph inputs (after `--input-shape`) and initializers; errors
//! that need inferred shapes are caught after typing (`lower`) and named there.

use super::InputShapes;
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::path::Path;
use tract_onnx::pb;

mod external;
mod graph;
mod ops;
mod tensors;

use external::load_external;
use graph::{check_arity, check_opset, check_structure};
use ops::check_ops;
use tensors::check_tensor;

/// The default-domain opsets ecgc accepts (what tract 0.23.9 reads).
pub const OPSETS: std::ops::RangeInclusive<i64> = 7..=22;

/// No target has 2 GiB of memory: a tensor larger than this is a mistake in the model.
pub const MAX_TENSOR_BYTES: u64 = 1 << 31;

/// Elements of a shape, or `None` when the product overflows.
pub fn elements(dims: &[i64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(u64::try_from(d).ok()?))
}

/// The size rule for one tensor: `None` when it fits.
pub fn size_problem(what: &str, dims: &[i64], elem: u64) -> Option<String> {
    let shape = dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×");
    match elements(dims).and_then(|n| n.checked_mul(elem)) {
        None => Some(format!(
            "{what} has shape [{shape}]: more than 2^64 bytes; no target has that much memory (ecgc's limit is {} \
             bytes per tensor)",
            MAX_TENSOR_BYTES
        )),
        Some(b) if b > MAX_TENSOR_BYTES => Some(format!(
            "{what} has shape [{shape}] and needs {b} bytes; no target has that much memory (ecgc's limit is {} \
             bytes per tensor)",
            MAX_TENSOR_BYTES
        )),
        Some(_) => None,
    }
}

fn node_label(k: usize, n: &pb::NodeProto) -> String {
    if n.name.is_empty() {
        format!("node #{k} ({})", n.op_type)
    } else {
        format!("node '{}' ({})", n.name, n.op_type)
    }
}

fn attr<'a>(n: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

fn ints(n: &pb::NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name).map(|a| a.ints.clone())
}

fn int(n: &pb::NodeProto, name: &str) -> Option<i64> {
    attr(n, name).map(|a| a.i)
}

/// Declared dims of a value, as written (`None` entries are symbols or unknown).
fn declared_dims(v: &pb::ValueInfoProto) -> Option<Vec<Option<i64>>> {
    use pb::tensor_shape_proto::dimension::Value as Dim;
    let pb::type_proto::Value::TensorType(t) = v.r#type.as_ref()?.value.as_ref()?;
    let shape = t.shape.as_ref()?;
    Some(
        shape
            .dim
            .iter()
            .map(|d| match d.value {
                Some(Dim::DimValue(v)) => Some(v),
                _ => None,
            })
            .collect(),
    )
}

/// Input dimensions as written: negative or zero dims are errors (not "unknown"), unless
/// `--input-shape` replaces them (`given`).
fn check_input_dims(g: &pb::GraphProto, given: &InputShapes, bad: &mut Vec<String>) {
    let inits: HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    let given: HashSet<&str> = given.iter().map(|(n, _)| n.as_str()).collect();
    for i in g.input.iter().filter(|i| !inits.contains(i.name.as_str()) && !given.contains(i.name.as_str())) {
        let Some(dims) = declared_dims(i) else { continue };
        for (axis, d) in dims.iter().enumerate() {
            match d {
                Some(d) if *d < 0 => bad.push(format!(
                    "input '{}' has the negative dimension {d} on axis {axis}; dimensions are positive (fix the \
                     export, or give the shape with --input-shape {}=<d0,d1,...>)",
                    i.name, i.name
                )),
                Some(0) => bad.push(format!(
                    "input '{}' has a zero-length dimension on axis {axis}: an input with no elements cannot be \
                     computed on (give the shape with --input-shape {}=<d0,d1,...>)",
                    i.name, i.name
                )),
                _ => {}
            }
        }
    }
}

/// Sizes of the inputs once their shapes are fixed (after `--input-shape` and batch defaults).
pub(super) fn check_input_sizes(proto: &pb::ModelProto) -> Result<()> {
    let Some(g) = proto.graph.as_ref() else { return Ok(()) };
    let inits: HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    let mut bad = vec![];
    for i in g.input.iter().filter(|i| !inits.contains(i.name.as_str())) {
        let Some(dims) = declared_dims(i) else { continue };
        let Some(dims) = dims.into_iter().collect::<Option<Vec<i64>>>() else { continue };
        if let Some(p) = size_problem(&format!("input '{}'", i.name), &dims, 4) {
            bad.push(p);
        }
    }
    finish(bad)
}

fn finish(bad: Vec<String>) -> Result<()> {
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Error::BadModel(bad))
    }
}

/// Checks the model against the ONNX rules and loads external data; run before anything else.
pub(super) fn check(proto: &mut pb::ModelProto, model: &Path, given: &InputShapes) -> Result<()> {
    let mut bad = vec![];
    if proto.graph.is_none() {
        return finish(vec!["the file holds no graph (an empty file, or not an ONNX model)".into()]);
    }
    check_opset(proto, &mut bad);
    let Some(g) = proto.graph.as_mut() else { return finish(bad) };
    if g.node.is_empty() && g.input.is_empty() && g.output.is_empty() {
        bad.push("the graph is empty: no inputs, nodes or outputs".into());
        return finish(bad);
    }
    load_external(g, model, &mut bad);
    check_structure(g, &mut bad);
    for t in &g.initializer {
        check_tensor(&format!("initializer '{}'", t.name), t, &mut bad);
    }
    check_input_dims(g, given, &mut bad);
    check_arity(g, &mut bad);
    if bad.is_empty() {
        check_ops(g, &mut bad);
    }
    finish(bad)
}

#[cfg(test)]
mod tests {
    use super::ops::axis_in;
    use super::*;

    #[test]
    fn element_counts_are_checked() {
        assert_eq!(elements(&[1 << 32, 1 << 32]), None);
        assert_eq!(elements(&[2, -1]), None);
        assert_eq!(elements(&[]), Some(1));
        assert!(size_problem("x", &[1 << 30], 4).unwrap().contains("needs 4294967296 bytes"));
        assert!(size_problem("x", &[1 << 32, 1 << 32], 4).unwrap().contains("more than 2^64"));
        assert!(size_problem("x", &[1, 1024], 4).is_none());
    }

    #[test]
    fn axes_may_be_negative() {
        assert_eq!(axis_in(-1, 2, false), Some(1));
        assert_eq!(axis_in(-3, 2, false), None);
        assert_eq!(axis_in(2, 2, true), Some(2));
        assert_eq!(axis_in(2, 2, false), None);
    }
}
