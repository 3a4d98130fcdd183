//! The front end: ONNX → tract → ecgc IR. The only module that knows tract.
//!
//! Steps: load the protobuf with tract-onnx, apply `--input-shape` overrides, type the model
//! (`into_typed`), require every input dimension to be concrete, declutter, then lower each
//! decluttered node through the op table in [`lower`]. Every unsupported node is collected and
//! reported together.
//!
//! [`reference`] also lives here: it runs tract itself, for golden outputs and `ecgc validate`.

pub mod lower;
mod ops;
pub mod reference;

use crate::error::{Error, Result};
use crate::ir::Graph;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

/// Shape overrides for model inputs: `(input name, dims)`.
pub type InputShapes = [(String, Vec<usize>)];

/// Loads `path` and returns tract's decluttered typed model with concrete input shapes.
pub fn load_decluttered(path: &Path, shapes: &InputShapes) -> Result<TypedModel> {
    guard(path, || {
        let typed = load_typed(path, shapes)?;
        typed.into_decluttered().map_err(|e| invalid(path, e))
    })
}

/// Loads `path` and returns tract's typed model (not decluttered) with concrete input shapes.
pub fn load_typed(path: &Path, shapes: &InputShapes) -> Result<TypedModel> {
    guard(path, || {
        let bytes = std::fs::read(path).map_err(Error::io(format!("reading '{}'", path.display())))?;
        let mut model = tract_onnx::onnx().model_for_read(&mut &bytes[..]).map_err(|e| invalid(path, e))?;
        apply_input_shapes(&mut model, shapes)?;
        let names: Vec<String> = model
            .input_outlets()
            .map_err(|e| invalid(path, e))?
            .iter()
            .map(|o| model.node(o.node).name.clone())
            .collect();
        let inference_facts: Vec<String> =
            (0..names.len()).map(|i| model.input_fact(i).map(|f| format!("{f:?}")).unwrap_or_default()).collect();
        let typed = match model.into_typed() {
            Ok(t) => t,
            Err(e) => {
                // An input without a full shape is the usual cause: say so precisely.
                if let Some(i) = inference_facts.iter().position(|f| f.contains('?') || f.contains("..")) {
                    return Err(Error::DynamicShape { input: names[i].clone(), shape: inference_facts[i].clone() });
                }
                return Err(invalid(path, e));
            }
        };
        for (i, outlet) in typed.input_outlets().map_err(|e| invalid(path, e))?.iter().enumerate() {
            let fact = typed.outlet_fact(*outlet).map_err(|e| invalid(path, e))?;
            if fact.shape.as_concrete().is_none() {
                return Err(Error::DynamicShape { input: names[i].clone(), shape: format!("{:?}", fact.shape) });
            }
        }
        Ok(typed)
    })
}

/// Loads and lowers a model into the IR.
pub fn import(path: &Path, shapes: &InputShapes) -> Result<Graph> {
    let model = load_decluttered(path, shapes)?;
    guard(path, || lower::lower(&model))
}

fn apply_input_shapes(model: &mut InferenceModel, shapes: &InputShapes) -> Result<()> {
    let outlets = model.input_outlets().map_err(|e| Error::InvalidInput(e.to_string()))?.to_vec();
    let names: Vec<String> = outlets.iter().map(|o| model.node(o.node).name.clone()).collect();
    for (name, dims) in shapes {
        let Some(i) = names.iter().position(|n| n == name) else {
            return Err(Error::InvalidInput(format!(
                "--input-shape names input '{name}', but the model's inputs are: {}",
                names.join(", ")
            )));
        };
        let dt = model.input_fact(i).ok().and_then(|f| f.datum_type.concretize()).unwrap_or(f32::datum_type());
        model
            .set_input_fact(i, InferenceFact::dt_shape(dt, dims.iter().map(|&d| d as i64).collect::<Vec<_>>()))
            .map_err(|e| Error::InvalidInput(format!("input '{name}': {e}")))?;
    }
    Ok(())
}

fn invalid(path: &Path, e: impl std::fmt::Display) -> Error {
    // tract errors chain causes with newlines; keep them all but on one line each.
    Error::InvalidModel { path: path.to_path_buf(), reason: format!("{e:#}") }
}

/// Runs `f`, turning a panic inside tract on a malformed model into an ordinary error.
fn guard<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(invalid(path, format!("tract panicked while reading the model: {}", msg.unwrap_or_default())))
        }
    }
}
