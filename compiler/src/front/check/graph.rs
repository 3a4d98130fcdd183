//! The graph's rules: one standard opset import of a version ecgc reads, outputs that exist, one
//! writer per tensor, operands that are defined, no cycles, and operand counts of common ops.

use super::{node_label, OPSETS};
use std::collections::{HashMap, HashSet};
use tract_onnx::pb;

/// The opset rules: one default-domain import, of a version ecgc reads.
pub(super) fn check_opset(proto: &pb::ModelProto, bad: &mut Vec<String>) {
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
pub(super) fn check_structure(g: &pb::GraphProto, bad: &mut Vec<String>) {
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
pub(super) fn check_acyclic(g: &pb::GraphProto, bad: &mut Vec<String>) {
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
pub(super) fn arity(op: &str) -> Option<(usize, usize)> {
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
pub(super) fn check_arity(g: &pb::GraphProto, bad: &mut Vec<String>) {
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
