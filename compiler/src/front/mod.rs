//! The front end: ONNX → tract → ecgc IR. The only module that knows tract.
//!
//! Steps: decode the protobuf, name unsupported constructs (`prescan`), rewrite the proto so that
//! symbolic exports load like static ones (`prepare`: `--input-shape`, a leading batch symbol
//! defaulting to 1, symbols substituted everywhere, spec defaults tract misses, half-precision
//! models widened to float32 by `widen`), type the model
//! (`into_typed`), require every input dimension to be concrete, declutter, then lower each
//! decluttered node through the op table in [`lower`]. Every unsupported node is collected and
//! reported together. What the front end decided for the user (a defaulted batch) comes back as
//! notices.
//!
//! [`reference`] also lives here: it runs tract itself, for golden outputs and `ecgc validate`.

mod check;
pub mod lower;
mod ops;
mod prepare;
mod prescan;
pub mod qdq;
mod qop;
pub mod reference;
mod rnn;
mod scan;
mod widen;

use crate::error::{Error, Result};
use crate::ir::Graph;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use tract_onnx::prelude::*;

/// Shape overrides for model inputs: `(input name, dims)`.
pub type InputShapes = [(String, Vec<usize>)];

/// Loads `path` and returns tract's decluttered typed model with concrete input shapes.
pub fn load_decluttered(path: &Path, shapes: &InputShapes) -> Result<TypedModel> {
    load_decluttered_noted(path, shapes).map(|(m, _)| m)
}

/// [`load_decluttered`], with the notices for the user (e.g. a symbolic batch set to 1).
pub fn load_decluttered_noted(path: &Path, shapes: &InputShapes) -> Result<(TypedModel, Vec<String>)> {
    guard(path, || {
        let (typed, notes) = load_typed_noted(path, shapes)?;
        Ok((typed.into_decluttered().map_err(|e| analysis(path, e))?, notes))
    })
}

/// Loads `path` and returns tract's typed model (not decluttered) with concrete input shapes.
pub fn load_typed(path: &Path, shapes: &InputShapes) -> Result<TypedModel> {
    load_typed_noted(path, shapes).map(|(m, _)| m)
}

/// [`load_typed`], with the notices for the user.
pub fn load_typed_noted(path: &Path, shapes: &InputShapes) -> Result<(TypedModel, Vec<String>)> {
    load_typed_as(path, shapes, false).map(|(m, notes, _)| (m, notes))
}

/// Loads `path` into tract's typed model. `compile_path`: LSTM/GRU nodes are first rewritten
/// into their cells' plain ops ([`rnn`]) and QDQ pairs into ecgc's own op ([`qdq`]) — on the
/// compile path only; the reference runs tract on the user's model as it is.
fn load_typed_as(
    path: &Path,
    shapes: &InputShapes,
    compile_path: bool,
) -> Result<(TypedModel, Vec<String>, Option<qdq::Prequantized>)> {
    guard(path, || {
        let bytes = std::fs::read(path).map_err(Error::io(format!("reading '{}'", path.display())))?;
        let mut onnx = tract_onnx::onnx();
        let mut proto = onnx.proto_model_for_read(&mut &bytes[..]).map_err(|e| invalid(path, e))?;
        check::check(&mut proto, path, shapes)?;
        // quantized operators (some of them com.microsoft's, which tract does not know) become
        // QDQ before the op check; `qdq` below imports them
        let operators = if compile_path { qop::rewrite(&mut proto)? } else { 0 };
        prescan::check(&proto, |op| onnx.op_register.0.contains_key(op))?;
        let mut notes = prepare::prepare(&mut proto, shapes)?;
        let mut prequantized = None;
        if compile_path {
            notes.extend(rnn::rewrite(&mut proto, &onnx)?);
            prequantized = qdq::rewrite(&mut proto)?;
            if let Some(p) = &prequantized {
                qdq::register(&mut onnx);
                notes.push(qdq::notice(p, operators));
            }
        }
        check::check_input_sizes(&proto)?;
        let typed = match onnx.model_for_proto_model(&proto).and_then(|m| m.into_typed()) {
            Ok(t) => t,
            // The exporter's type and shape annotations (value_info, output types) are hints that
            // tract checks against its own inference: when they disagree, tract's inference wins.
            Err(first) => onnx
                .with_ignore_value_info(true)
                .with_ignore_output_types(true)
                .model_for_proto_model(&proto)
                .and_then(|m| m.into_typed())
                .map_err(|_| analysis(path, first))?,
        };
        let names: Vec<String> = typed
            .input_outlets()
            .map_err(|e| analysis(path, e))?
            .iter()
            .map(|o| typed.node(o.node).name.clone())
            .collect();
        for (i, outlet) in typed.input_outlets().map_err(|e| analysis(path, e))?.iter().enumerate() {
            let fact = typed.outlet_fact(*outlet).map_err(|e| analysis(path, e))?;
            if fact.shape.as_concrete().is_none() {
                return Err(Error::DynamicShape {
                    input: names[i].clone(),
                    shape: format!("{:?}", fact.shape),
                    unknown: "(the model gives this input no shape)".into(),
                });
            }
        }
        Ok((typed, notes, prequantized))
    })
}

/// Why tract is known to compute this model wrongly (an LSTM/GRU form tract 0.23.9 gets wrong, a
/// pre-quantized model),
/// if it is; `None` also when the file does not decode (loading reports that).
pub fn tract_runs_wrong(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let proto = tract_onnx::onnx().proto_model_for_read(&mut &bytes[..]).ok()?;
    let g = proto.graph.as_ref()?;
    rnn::tract_runs_wrong(g).or_else(|| qdq::tract_runs_wrong(g))
}

/// Loads and lowers a model into the IR.
pub fn import(path: &Path, shapes: &InputShapes) -> Result<Graph> {
    import_noted(path, shapes).map(|(g, _)| g)
}

/// [`import`], with the notices for the user (e.g. a symbolic batch set to 1).
pub fn import_noted(path: &Path, shapes: &InputShapes) -> Result<(Graph, Vec<String>)> {
    // A model that is one Scan is lowered from the typed model, its body decluttered on its own:
    // decluttering the whole model pulls the body's per-step work out of the loop over the whole
    // window (and crashes on some bodies), which is not the step graph a streaming crate runs.
    let (typed, notes, prequantized) = load_typed_as(path, shapes, true)?;
    let mut g = match guard(path, || Ok(scan::whole_model(&typed, true)))? {
        Some(g) => g?,
        None => {
            let model = guard(path, || typed.into_decluttered().map_err(|e| analysis(path, e)))?;
            guard(path, || lower::lower(&model))?
        }
    };
    g.prequantized = prequantized;
    Ok((g, notes))
}

fn invalid(path: &Path, e: impl std::fmt::Display) -> Error {
    // tract errors chain causes with newlines; keep them all but on one line each.
    Error::InvalidModel { path: path.to_path_buf(), reason: format!("{e:#}") }
}

/// tract failed on a model it decoded: its message, without the internal dumps some of its
/// errors carry (a node's whole Debug form), kept to a readable length.
fn analysis(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::ModelAnalysis { path: path.to_path_buf(), reason: shorten(&format!("{e:#}")) }
}

fn shorten(reason: &str) -> String {
    const MAX: usize = 400;
    let line = reason.lines().next().unwrap_or_default();
    // Debug dumps start with a struct literal: cut at the first '{' or '[' that opens one.
    let cut = line.find(" { ").unwrap_or(line.len());
    let mut s: String = line[..cut].chars().take(MAX).collect();
    if s.len() < line.len() {
        s.push_str(" …");
    }
    s
}

thread_local! {
    /// True while this thread runs inside [`guard`]: its panics are reported as errors, not printed.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic inside tract on a malformed model into an ordinary error. The panic
/// hook stays silent for this thread meanwhile, so the user sees ecgc's message only, not
/// `thread 'main' panicked at ...` and the backtrace hint. The hook is wrapped once (not swapped
/// per call), so panics of other threads, e.g. parallel tests, still print.
fn guard<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    static WRAP: std::sync::Once = std::sync::Once::new();
    WRAP.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info)
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    match result {
        Ok(r) => r,
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(analysis(path, format!("tract stopped on an internal check: {}", msg.unwrap_or_default())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_the_guard_is_an_error_and_the_hook_is_back_after() {
        let e = guard(Path::new("m.onnx"), || -> Result<()> { panic!("boom") }).unwrap_err();
        assert!(e.to_string().contains("tract stopped on an internal check: boom"), "{e}");
        assert_eq!(e.exit_code(), 2);
        assert!(!QUIET.with(|q| q.get()));
    }
}
