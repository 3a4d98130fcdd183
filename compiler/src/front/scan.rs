//! ONNX `Scan`: a loop over time with state, compiled as a step graph plus a window.
//!
//! A model that is one `Scan` (constants aside: every model input feeds it, every model output
//! comes from it) lowers to its *body* as a streaming step graph — the body's state inputs and
//! outputs paired in `Graph::state` — and an [`ir::Window`] saying how the model's inputs and
//! outputs map onto a step's: initial states, inputs sliced along the scan axis one piece per
//! step (or fed whole every step), outputs stacked along their axis, final states. The back end
//! emits `step`/`reset` for the body and the model's own `run` as a loop over `step`: the loop
//! is never unrolled, its state is the crate's, and work that does not depend on the step stays
//! constant-folded out of the body.
//!
//! Not yet: a `Scan` inside a larger graph, scan axes with a non-1 extent before them (a piece
//! would not be contiguous), chunks other than one step, stacked states and last values of
//! per-step outputs. Each is refused naming the node.

use super::lower::lower;
use crate::error::{Error, Result, Unsupported};
use crate::ir::{self, Graph, InRole, OutRole, StatePair, Window, WindowInput, WindowOutput};
use tract_core::ops::konst::Const;
use tract_core::ops::scan::{InputMapping, Scan};
use tract_core::ops::source::TypedSource;
use tract_onnx::prelude::*;

/// The step graph and window of a model that is one `Scan`; `None` when the model has no
/// `Scan`; an error for a `Scan` ecgc cannot compile yet. `declutter_body`: the model is tract's
/// typed model as loaded (not decluttered), so the body is decluttered here, on its own.
pub(super) fn whole_model(model: &TypedModel, declutter_body: bool) -> Option<Result<Graph>> {
    let scans: Vec<&TypedNode> = model.nodes().iter().filter(|n| n.op_is::<Scan>()).collect();
    let first = scans.first()?;
    let computing: Vec<&TypedNode> = model
        .nodes()
        .iter()
        .filter(|n| !n.op_is::<TypedSource>() && !n.op_is::<Const>())
        .filter(|n| !n.outputs.iter().all(|o| o.fact.konst.is_some()))
        .collect();
    if scans.len() != 1 || computing.len() != 1 {
        let others: Vec<String> =
            computing.iter().filter(|n| n.id != first.id).map(|n| format!("'{}' ({})", n.name, n.op.name())).collect();
        return Some(Err(refuse(
            first,
            &format!(
                "a Scan inside a larger graph (here with {}) is not compiled yet: ecgc compiles a model that is one \
                 Scan over its inputs (export the loop as its own model, or its body as a step graph and compile it \
                 with --stream)",
                others.join(", ")
            ),
        )));
    }
    Some(lower_scan(model, first, declutter_body))
}

fn refuse(node: &TypedNode, reason: &str) -> Error {
    Error::Unsupported(vec![Unsupported { node: node.name.clone(), op: "Scan".into(), reason: reason.into() }])
}

fn lower_scan(model: &TypedModel, node: &TypedNode, declutter_body: bool) -> Result<Graph> {
    let Some(scan) = node.op_as::<Scan>() else { return Err(Error::Internal("not a Scan".into())) };
    let internal = |e: TractError| Error::Internal(format!("Scan '{}': {e}", node.name));
    let body = if declutter_body {
        scan.body
            .clone()
            .into_decluttered()
            .map_err(|e| refuse(node, &format!("tract could not declutter the loop body: {e}")))?
    } else {
        scan.body.clone()
    };
    let mut g = lower(&body)?;
    // state pairs: the k-th state input with the k-th state output
    let state_in: Vec<usize> = (0..scan.input_mapping.len()).filter(|&i| scan.input_mapping[i].is_state()).collect();
    let state_out: Vec<usize> = (0..scan.output_mapping.len()).filter(|&o| scan.output_mapping[o].state).collect();
    if state_in.len() != state_out.len() {
        return Err(refuse(node, "its state inputs and outputs do not pair up"));
    }
    g.state = state_in.iter().zip(&state_out).map(|(&input, &output)| StatePair { input, output }).collect();
    let pair_of_input = |i: usize| state_in.iter().position(|&s| s == i);
    let pair_of_output = |o: usize| state_out.iter().position(|&s| s == o);

    let outer = |outlet: OutletId| -> Result<Vec<usize>> {
        let fact = model.outlet_fact(outlet).map_err(internal)?;
        fact.shape.as_concrete().map(|s| s.to_vec()).ok_or_else(|| refuse(node, "a dynamic shape around the loop"))
    };
    let contiguous = |shape: &[usize], axis: usize| shape.iter().take(axis).all(|&d| d == 1);
    let mut steps: Option<usize> = None;
    let model_inputs = model.input_outlets().map_err(internal)?.to_vec();
    let mut inputs = vec![];
    for (k, outlet) in model_inputs.iter().enumerate() {
        let slots: Vec<usize> = (0..node.inputs.len()).filter(|&j| node.inputs[j] == *outlet).collect();
        let [j] = slots[..] else {
            return Err(refuse(node, &format!("model input {k} must feed exactly one of the Scan's inputs")));
        };
        let shape = outer(*outlet)?;
        let role = match &scan.input_mapping[j] {
            InputMapping::State => InRole::Initial(pair_of_input(j).unwrap_or_default()),
            InputMapping::Full => InRole::Full(j),
            InputMapping::Scan(info) => {
                if info.chunk.unsigned_abs() != 1 || !contiguous(&shape, info.axis) {
                    return Err(refuse(
                        node,
                        &format!(
                            "scan input {j} is sliced {} step(s) at a time along axis {} of {shape:?}; ecgc slices one \
                             step at a time along an axis with only extent-1 axes before it",
                            info.chunk, info.axis
                        ),
                    ));
                }
                steps = Some(shape.get(info.axis).copied().unwrap_or(0));
                InRole::Scanned { input: j, axis: info.axis, reverse: info.chunk < 0 }
            }
        };
        inputs.push(WindowInput { name: model.node(outlet.node).name.clone(), shape, role });
    }
    if node.inputs.iter().any(|i| !model_inputs.contains(i)) {
        return Err(refuse(node, "every input of the Scan must be a model input"));
    }
    let Some(steps) = steps else { return Err(refuse(node, "it has no scanned input")) };
    let mut outputs = vec![];
    for (k, outlet) in model.output_outlets().map_err(internal)?.iter().enumerate() {
        if outlet.node != node.id {
            return Err(refuse(node, &format!("model output {k} does not come from the Scan")));
        }
        let slot = outlet.slot;
        let shape = outer(*outlet)?;
        let found = scan.output_mapping.iter().enumerate().find_map(|(o, m)| match m.scan {
            Some((s, info)) if s == slot => Some((o, Some(info))),
            _ => (m.last_value_slot == Some(slot)).then_some((o, None)),
        });
        let role = match found {
            Some((o, Some(info))) => {
                if pair_of_output(o).is_some() {
                    return Err(refuse(node, "stacking a state over the steps is not compiled yet"));
                }
                if info.chunk.unsigned_abs() != 1 || !contiguous(&shape, info.axis) {
                    return Err(refuse(
                        node,
                        &format!("scan output {o} is not stacked one step at a time along a contiguous axis"),
                    ));
                }
                OutRole::Scanned { output: o, axis: info.axis, reverse: info.chunk < 0 }
            }
            Some((o, None)) => match pair_of_output(o) {
                Some(p) => OutRole::Final(p),
                None => return Err(refuse(node, "the last value of a per-step output is not compiled yet")),
            },
            None => return Err(Error::Internal(format!("Scan '{}': output slot {slot} has no mapping", node.name))),
        };
        let name = model.outlet_label(*outlet).map(String::from).unwrap_or_else(|| format!("output_{k}"));
        outputs.push(WindowOutput { name, shape, role });
    }
    g.window = Some(Window { steps, inputs, outputs });
    ir::verify::verify(&g).map_err(|e| Error::Internal(format!("IR verifier after lowering a Scan: {e}")))?;
    Ok(g)
}
