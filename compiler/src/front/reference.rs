//! Runs a model with tract: the golden reference.
//!
//! Golden outputs come from tract's *decluttered* graph made runnable without the optimize step:
//! tract 0.23.9's optimized plan miscomputes a depthwise Conv whose kernel comes from an Unsqueeze
//! of a constant (see `golden/tract_dwconv_unsqueeze`). The optimized plan is still available, for
//! benchmarks and for the test that shows the harness notices that bug.

use super::{analysis, guard, load_typed, InputShapes};
use crate::error::{Error, Result};
use std::path::Path;
use tract_onnx::prelude::*;

/// Which tract plan to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// `into_decluttered().into_runnable()`: exact, the golden truth.
    Decluttered,
    /// `into_optimized().into_runnable()`: fast, used for speed comparisons.
    Optimized,
}

/// A runnable tract model with its input shapes.
pub struct Reference {
    plan: Arc<TypedSimplePlan>,
    /// Input shapes in graph order.
    pub input_shapes: Vec<Vec<usize>>,
    /// Input names in graph order.
    pub input_names: Vec<String>,
}

impl Reference {
    /// Loads `path` and prepares the chosen plan.
    pub fn load(path: &Path, shapes: &InputShapes, which: Plan) -> Result<Reference> {
        guard(path, || {
            let typed = load_typed(path, shapes)?;
            let err = |e: TractError| analysis(path, e);
            let mut input_shapes = vec![];
            let mut input_names = vec![];
            for o in typed.input_outlets().map_err(err)? {
                input_names.push(typed.node(o.node).name.clone());
                let fact = typed.outlet_fact(*o).map_err(err)?;
                input_shapes.push(fact.shape.as_concrete().map(|s| s.to_vec()).unwrap_or_default());
            }
            let model = match which {
                Plan::Decluttered => typed.into_decluttered().map_err(err)?,
                Plan::Optimized => typed.into_optimized().map_err(err)?,
            };
            let plan = model.into_runnable().map_err(err)?;
            Ok(Reference { plan, input_shapes, input_names })
        })
    }

    /// Runs on f32 inputs (row-major, graph order); returns f32 outputs (booleans as 1.0 / 0.0).
    pub fn run(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>> {
        let err = |e: TractError| Error::InvalidInput(format!("tract failed to run the model: {e:#}"));
        let mut tv = TVec::new();
        for (data, shape) in inputs.iter().zip(&self.input_shapes) {
            let t = Tensor::from_shape(shape, data).map_err(err)?;
            tv.push(t.into_tvalue());
        }
        let out = self.plan.run(tv).map_err(err)?;
        out.iter()
            .map(|t| {
                let t = t.cast_to::<f32>().map_err(err)?;
                Ok(t.to_plain_array_view::<f32>().map_err(err)?.iter().copied().collect())
            })
            .collect()
    }

    /// Runs the plan `reps` times on inputs converted once (for timing tract fairly: no
    /// per-run conversion cost is counted).
    pub fn run_repeatedly(&self, inputs: &[Vec<f32>], reps: u32) -> Result<()> {
        let err = |e: TractError| Error::InvalidInput(format!("tract failed to run the model: {e:#}"));
        let mut tv = TVec::new();
        for (data, shape) in inputs.iter().zip(&self.input_shapes) {
            tv.push(Tensor::from_shape(shape, data).map_err(err)?.into_tvalue());
        }
        for _ in 0..reps {
            self.plan.run(tv.clone()).map_err(err)?;
        }
        Ok(())
    }
}
