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
//! Shapes are only known here for graph inputs (after `--input-shape`) and initializers; errors
//! that need inferred shapes are caught after typing (`lower`) and named there.

use super::InputShapes;
use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use tract_onnx::pb::{self, tensor_proto::DataType};

/// The default-domain opsets ecgc accepts (what tract 0.23.9 reads).
pub const OPSETS: std::ops::RangeInclusive<i64> = 7..=22;

/// No target has 2 GiB of memory: a tensor larger than this is a mistake in the model.
pub const MAX_TENSOR_BYTES: u64 = 1 << 31;

/// Bytes per element of an ONNX data type; `None` for undefined, unknown or string types.
fn elem_bytes(dt: i32) -> Option<u64> {
    Some(match DataType::try_from(dt).ok()? {
        DataType::Float | DataType::Int32 | DataType::Uint32 => 4,
        DataType::Uint8 | DataType::Int8 | DataType::Bool => 1,
        DataType::Uint16 | DataType::Int16 | DataType::Float16 | DataType::Bfloat16 => 2,
        DataType::Int64 | DataType::Uint64 | DataType::Double | DataType::Complex64 => 8,
        DataType::Complex128 => 16,
        _ => return None,
    })
}

fn type_name(dt: i32) -> String {
    DataType::try_from(dt).map(|d| d.as_str_name().to_lowercase()).unwrap_or_else(|_| format!("unknown type {dt}"))
}

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

/// The integer values of a stored tensor (int64 or int32), if it holds them inline.
fn int_values(t: &pb::TensorProto) -> Option<Vec<i64>> {
    match DataType::try_from(t.data_type).ok()? {
        DataType::Int64 if !t.raw_data.is_empty() => {
            Some(t.raw_data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect())
        }
        DataType::Int64 => Some(t.int64_data.clone()),
        DataType::Int32 if !t.raw_data.is_empty() => Some(
            t.raw_data.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap_or([0; 4])) as i64).collect(),
        ),
        DataType::Int32 => Some(t.int32_data.iter().map(|&v| v as i64).collect()),
        _ => None,
    }
}

/// How many elements a stored tensor actually holds, or what is wrong with its data.
fn stored_elements(t: &pb::TensorProto) -> std::result::Result<u64, String> {
    let dt = DataType::try_from(t.data_type).map_err(|_| format!("has the unknown data type {}", t.data_type))?;
    if dt == DataType::Undefined {
        return Err("has no data type".into());
    }
    if !t.raw_data.is_empty() {
        let Some(size) = elem_bytes(t.data_type) else {
            return Err(format!("stores {} values as raw bytes, which ONNX does not allow", type_name(t.data_type)));
        };
        let len = t.raw_data.len() as u64;
        if !len.is_multiple_of(size) {
            return Err(format!("holds {len} raw bytes, not a whole number of {size}-byte {} values", dt_name(dt)));
        }
        return Ok(len / size);
    }
    Ok(match dt {
        DataType::Float | DataType::Complex64 => t.float_data.len(),
        DataType::Double | DataType::Complex128 => t.double_data.len(),
        DataType::Int64 => t.int64_data.len(),
        DataType::Uint32 | DataType::Uint64 => t.uint64_data.len(),
        DataType::String => t.string_data.len(),
        _ => t.int32_data.len(),
    } as u64)
}

fn dt_name(dt: DataType) -> String {
    dt.as_str_name().to_lowercase()
}

fn is_external(t: &pb::TensorProto) -> bool {
    t.data_location == Some(pb::tensor_proto::DataLocation::External as i32)
}

/// Checks one stored tensor (initializer or Constant value): data type, dims, size, data count.
fn check_tensor(what: &str, t: &pb::TensorProto, bad: &mut Vec<String>) {
    if t.data_type == DataType::String as i32 {
        bad.push(format!("{what} holds strings; ecgc compiles models that compute on numbers"));
        return;
    }
    if let Some(d) = t.dims.iter().find(|&&d| d < 0) {
        bad.push(format!("{what} has the negative dimension {d} (dims {:?})", t.dims));
        return;
    }
    let elem = elem_bytes(t.data_type).unwrap_or(1);
    if let Some(p) = size_problem(what, &t.dims, elem) {
        bad.push(p);
        return;
    }
    if is_external(t) {
        return; // checked when loaded
    }
    let want = elements(&t.dims).unwrap_or(0);
    match stored_elements(t) {
        Err(e) => bad.push(format!("{what} {e}")),
        Ok(0) if want > 0 => {
            bad.push(format!("{what} has dims {:?} ({want} values) but holds no data", t.dims));
        }
        Ok(got) if got != want => bad.push(format!(
            "{what} has dims {:?}, which need {want} {} values, but holds {got}",
            t.dims,
            type_name(t.data_type)
        )),
        Ok(_) => {}
    }
}

/// The opset rules: one default-domain import, of a version ecgc reads.
fn check_opset(proto: &pb::ModelProto, bad: &mut Vec<String>) {
    let default: Vec<i64> =
        proto.opset_import.iter().filter(|o| o.domain.is_empty() || o.domain == "ai.onnx").map(|o| o.version).collect();
    let range = format!("{}–{}", OPSETS.start(), OPSETS.end());
    match default.as_slice() {
        [] => bad.push(format!(
            "the model imports no opset for the standard ONNX domain (opset_import is {}); ecgc reads opsets {range} \
             (set it when exporting: torch.onnx.export(..., opset_version=17))",
            if proto.opset_import.is_empty() { "empty".to_string() } else { "only for other domains".to_string() }
        )),
        [v] if !OPSETS.contains(v) => bad.push(format!(
            "the model uses ONNX opset {v}; ecgc reads opsets {range} (re-export with torch.onnx.export(..., \
             opset_version=17), or convert with onnx.version_converter)"
        )),
        [_] => {}
        many => bad.push(format!(
            "the model imports the standard ONNX domain {} times ({many:?}); once is the rule",
            many.len()
        )),
    }
}

/// The graph's structure: outputs exist, every tensor has one writer, every read tensor is defined.
fn check_structure(g: &pb::GraphProto, bad: &mut Vec<String>) {
    if g.output.is_empty() {
        bad.push("the graph has no outputs: nothing to compute (list the results in graph.output)".into());
    }
    // name -> who defines it
    let mut defined: HashMap<&str, String> = HashMap::new();
    for i in &g.input {
        if i.name.is_empty() {
            bad.push("a graph input has an empty name".into());
        } else if defined.insert(&i.name, format!("input '{}'", i.name)).is_some() {
            bad.push(format!("the graph lists input '{}' twice", i.name));
        }
    }
    let inputs: HashSet<&str> = g.input.iter().map(|i| i.name.as_str()).collect();
    let mut inits: HashSet<&str> = HashSet::new();
    for t in &g.initializer {
        if t.name.is_empty() {
            bad.push("an initializer has an empty name".into());
        } else if !inits.insert(&t.name) {
            bad.push(format!("initializer '{}' is stored twice", t.name));
        } else if !inputs.contains(t.name.as_str()) {
            defined.insert(&t.name, format!("initializer '{}'", t.name));
        }
    }
    for (k, n) in g.node.iter().enumerate() {
        let label = node_label(k, n);
        if n.op_type.is_empty() {
            bad.push(format!("{label} has no op type"));
        }
        if n.output.iter().all(|o| o.is_empty()) {
            bad.push(format!("{label} has no outputs"));
        }
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            if let Some(prev) = defined.insert(o, label.clone()) {
                bad.push(format!(
                    "tensor '{o}' is written by both {prev} and {label}; ONNX tensors have one writer (rename one)"
                ));
            }
        }
    }
    for (k, n) in g.node.iter().enumerate() {
        for i in n.input.iter().filter(|i| !i.is_empty()) {
            if !defined.contains_key(i.as_str()) {
                bad.push(format!(
                    "{} reads tensor '{i}', which no node, input or initializer defines",
                    node_label(k, n)
                ));
            }
        }
    }
    for o in &g.output {
        if !defined.contains_key(o.name.as_str()) {
            bad.push(format!("graph output '{}' is not computed by any node, nor an input or initializer", o.name));
        }
    }
    check_acyclic(g, bad);
}

/// Nodes that can never run because they depend on each other (ONNX graphs are acyclic).
fn check_acyclic(g: &pb::GraphProto, bad: &mut Vec<String>) {
    let writer: HashMap<&str, usize> =
        g.node.iter().enumerate().flat_map(|(k, n)| n.output.iter().map(move |o| (o.as_str(), k))).collect();
    let mut done = vec![false; g.node.len()];
    loop {
        let mut progress = false;
        for (k, n) in g.node.iter().enumerate() {
            if !done[k] && n.input.iter().all(|i| writer.get(i.as_str()).is_none_or(|&w| done[w])) {
                done[k] = true;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    let stuck: Vec<String> =
        g.node.iter().enumerate().filter(|(k, _)| !done[*k]).map(|(k, n)| node_label(k, n)).collect();
    match stuck.as_slice() {
        [] => {}
        [one] => bad.push(format!("{one} reads its own result (ONNX graphs are acyclic)")),
        many => bad
            .push(format!("the graph has a cycle: {} depend on each other (ONNX graphs are acyclic)", many.join(", "))),
    }
}

/// Operand counts (min, max) of common ops, from the ONNX operator specs.
fn arity(op: &str) -> Option<(usize, usize)> {
    Some(match op {
        "Relu" | "Neg" | "Abs" | "Exp" | "Log" | "Sqrt" | "Sigmoid" | "Tanh" | "Erf" | "Floor" | "Ceil" | "Sin"
        | "Cos" | "Reciprocal" | "Softmax" | "LogSoftmax" | "Transpose" | "Flatten" | "Identity" | "Not"
        | "LeakyRelu" | "Elu" | "Selu" | "HardSigmoid" | "Softplus" | "Softsign" | "Gelu" | "Sign" | "Round"
        | "IsNaN" | "Shape" | "MaxPool" | "AveragePool" | "GlobalAveragePool" | "GlobalMaxPool" => (1, 1),
        "Add" | "Sub" | "Mul" | "Div" | "Pow" | "MatMul" | "Equal" | "Less" | "Greater" | "LessOrEqual"
        | "GreaterOrEqual" | "And" | "Or" | "Xor" | "Gather" | "Reshape" | "Expand" | "PRelu" | "Mod" => (2, 2),
        "Gemm" | "Conv" | "ConvTranspose" | "LayerNormalization" => (2, 3),
        "Where" => (3, 3),
        "Slice" => (1, 5), // opset < 10: one operand, the rest attributes
        "BatchNormalization" => (5, 5),
        "Clip" => (1, 3),
        "Concat" | "Sum" | "Max" | "Min" | "Mean" => (1, usize::MAX),
        _ => return None,
    })
}

/// Each node of a common op has as many operands as its spec allows.
fn check_arity(g: &pb::GraphProto, bad: &mut Vec<String>) {
    for (k, n) in g.node.iter().enumerate() {
        let Some((lo, hi)) = arity(&n.op_type) else { continue };
        // trailing empty names are omitted optional operands
        let given = n.input.iter().rposition(|i| !i.is_empty()).map_or(0, |p| p + 1);
        if given < lo || given > hi {
            let want = if lo == hi {
                lo.to_string()
            } else if hi == usize::MAX {
                format!("at least {lo}")
            } else {
                format!("{lo} to {hi}")
            };
            bad.push(format!("{} has {given} operand(s); {} takes {want}", node_label(k, n), n.op_type));
        }
    }
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

/// What is statically known about a tensor here: its shape (graph inputs, initializers) and its
/// integer values (int initializers and Constants).
#[derive(Default)]
struct Known<'a> {
    shapes: HashMap<&'a str, Vec<i64>>,
    values: HashMap<&'a str, Vec<i64>>,
}

fn known(g: &pb::GraphProto) -> Known<'_> {
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
fn axis_in(axis: i64, rank: usize, inclusive_end: bool) -> Option<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    let end = if inclusive_end { r } else { r - 1 };
    (0..=end).contains(&a).then_some(a as usize)
}

/// The attributes and constant operands of ops tract cannot cope with when they are wrong.
fn check_ops(g: &pb::GraphProto, bad: &mut Vec<String>) {
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
fn check_window(n: &pb::NodeProto, k: &Known<'_>, say: &mut impl FnMut(String)) {
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

/// Loads tensors stored in external files (relative to the model's folder) into the proto, so
/// tract reads them inline; names a missing or short file.
fn load_external(g: &mut pb::GraphProto, model: &Path, bad: &mut Vec<String>) {
    let dir = model.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() { std::path::PathBuf::from(".") } else { dir };
    let mut tensors: Vec<&mut pb::TensorProto> = g.initializer.iter_mut().collect();
    for n in &mut g.node {
        for a in &mut n.attribute {
            if let Some(t) = a.t.as_mut() {
                tensors.push(t);
            }
        }
    }
    for t in tensors.into_iter().filter(|t| is_external(t)) {
        let get = |key: &str| t.external_data.iter().find(|e| e.key == key).map(|e| e.value.clone());
        let what = format!("tensor '{}'", t.name);
        let Some(location) = get("location") else {
            bad.push(format!("{what} is stored externally but names no file (no 'location' entry)"));
            continue;
        };
        let rel = Path::new(&location);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            bad.push(format!(
                "{what} is stored in '{location}', outside the model's folder; ecgc reads external data only from \
                 files beside the model (save with onnx.save(..., save_as_external_data=True, location=\"weights.bin\"))"
            ));
            continue;
        }
        let parse = |key: &str| -> std::result::Result<Option<u64>, String> {
            get(key)
                .map(|v| v.parse::<u64>().map_err(|_| format!("{what}: external data {key} '{v}' is not a number")))
                .transpose()
        };
        let (offset, length) = match (parse("offset"), parse("length")) {
            (Ok(o), Ok(l)) => (o.unwrap_or(0), l),
            (Err(e), _) | (_, Err(e)) => {
                bad.push(e);
                continue;
            }
        };
        let path = dir.join(rel);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                bad.push(format!(
                    "{what} is stored in the external file '{}', which cannot be read: {e} (keep the data file \
                     beside the model)",
                    path.display()
                ));
                continue;
            }
        };
        let need = elements(&t.dims).and_then(|n| n.checked_mul(elem_bytes(t.data_type).unwrap_or(1))).unwrap_or(0);
        let end = offset.checked_add(length.unwrap_or(need));
        let Some(end) = end.filter(|&e| e <= bytes.len() as u64) else {
            bad.push(format!(
                "{what} needs bytes {offset}..{} of '{}', but the file holds {} bytes",
                end.map(|e| e.to_string()).unwrap_or("2^64".into()),
                path.display(),
                bytes.len()
            ));
            continue;
        };
        t.raw_data = bytes[offset as usize..end as usize].to_vec();
        t.external_data.clear();
        t.data_location = Some(pb::tensor_proto::DataLocation::Default as i32);
    }
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
