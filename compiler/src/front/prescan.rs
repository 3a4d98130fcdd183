//! Names the constructs ecgc cannot compile before tract sees the model: control flow (`Loop`,
//! `If`), ops from custom or non-standard domains, model-local functions, and ops tract has no
//! reader for. Without this pass such models fail deep inside tract's type inference with an
//! internal dump; here every offending node is listed at once, with what to do.

use crate::error::{Error, Result, Unsupported};
use tract_onnx::pb;

/// Domains whose ops are standard ONNX operators.
fn standard(domain: &str) -> bool {
    domain.is_empty() || domain == "ai.onnx"
}

/// Checks the top-level graph of `proto`; `known` says whether tract can read an op type.
pub(super) fn check(proto: &pb::ModelProto, known: impl Fn(&str) -> bool) -> Result<()> {
    let Some(graph) = proto.graph.as_ref() else { return Ok(()) };
    let functions: Vec<(String, String)> = proto
        .functions
        .iter()
        .map(|f| (f.domain.clone().unwrap_or_default(), f.name.clone().unwrap_or_default()))
        .collect();
    let mut bad = vec![];
    for (k, node) in graph.node.iter().enumerate() {
        let name = if node.name.is_empty() { format!("#{k} ({})", node.op_type) } else { node.name.clone() };
        let reason = if functions.iter().any(|(d, n)| *d == node.domain && *n == node.op_type) {
            Some(format!(
                "calls the model-local function '{}' (domain '{}'), which ecgc does not inline; inline it first \
                 (python: onnx.save(onnx.inliner.inline_local_functions(onnx.load(path)), path)) or export with \
                 torch.onnx.export(..., dynamo=True, optimize=True)",
                node.op_type, node.domain
            ))
        } else if !standard(&node.domain) {
            Some(format!(
                "op '{}' of the non-standard domain '{}' is not supported: ecgc compiles standard ONNX (ai.onnx) \
                 ops only; export it as standard ops (for a custom torch op, register an ONNX decomposition made \
                 of standard ops)",
                node.op_type, node.domain
            ))
        } else {
            match node.op_type.as_str() {
                "Loop" => Some(
                    "ONNX Loop (a loop scripted with torch.jit.script or torch.while_loop) is not supported: export \
                     the loop body as a step graph with explicit state (state in, state out) and run the loop in \
                     firmware, or trace the loop with a fixed length so that it unrolls"
                        .to_string(),
                ),
                "If" => Some(
                    "ONNX If (control flow that depends on data, e.g. torch.cond or a scripted `if`) is not \
                     supported: export each branch as its own model, or trace with the branch fixed; choose \
                     values element-wise with torch.where instead"
                        .to_string(),
                ),
                op if !known(op) => Some(format!(
                    "'{op}' is not an ONNX op that ecgc's reader (tract 0.23.9) knows; see README.md \"Supported \
                     ops\" for what compiles"
                )),
                _ => None,
            }
        };
        if let Some(reason) = reason {
            let op =
                if standard(&node.domain) { node.op_type.clone() } else { format!("{}:{}", node.domain, node.op_type) };
            bad.push(Unsupported { node: name, op, reason });
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Error::Unsupported(bad))
    }
}
