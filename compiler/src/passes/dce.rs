//! Dead-code elimination: drops nodes whose result no graph output depends on.

use super::{Context, Pass};
use crate::error::Result;
use crate::ir::Graph;

/// See the module docs.
pub struct DeadCode;

impl Pass for DeadCode {
    fn name(&self) -> &'static str {
        "dce"
    }

    fn run(&self, g: &mut Graph, _cx: &Context) -> Result<()> {
        let mut live = vec![false; g.values.len()];
        for o in &g.outputs {
            live[o.index()] = true;
        }
        let mut keep = vec![false; g.nodes.len()];
        for (i, n) in g.nodes.iter().enumerate().rev() {
            if live[n.output.index()] {
                keep[i] = true;
                for v in &n.inputs {
                    live[v.index()] = true;
                }
            }
        }
        let mut k = keep.iter();
        g.nodes.retain(|_| *k.next().unwrap_or(&true));
        Ok(())
    }
}
