//! Rejects constants holding NaN or infinity, naming the node that reads them: such a model is
//! broken (a diverged training run, a bad export) and would silently produce garbage on device.

use super::{Context, Pass};
use crate::error::{Error, Result};
use crate::ir::Graph;

/// See the module docs.
pub struct CheckFinite;

impl Pass for CheckFinite {
    fn name(&self) -> &'static str {
        "check-finite"
    }

    fn run(&self, g: &mut Graph, _cx: &Context) -> Result<()> {
        for n in &g.nodes {
            for &i in &n.inputs {
                let v = g.value(i);
                if let Some(bad) = v.const_data().and_then(|d| d.iter().find(|x| !x.is_finite())) {
                    let what = if bad.is_nan() { "NaN" } else { "infinity" };
                    return Err(Error::NonFiniteWeights { node: n.name.clone(), tensor: v.name.clone(), what });
                }
            }
        }
        Ok(())
    }
}
