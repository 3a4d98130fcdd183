//! Linear layers become `Op::Dense`: an EinSum `x[..., K] · W[K, N] → [..., N]` with a constant
//! `W` (after [`weight_layout`](super::weight_layout) stored `[K, N]`).
//!
//! Why: the general contraction kernel re-derives its loop structure from stride lists at run
//! time and walks the weights one column block at a time. A Dense node has its geometry as
//! constants the kernel is specialised on (`K`, `N` and the tile width are const generics) and
//! its weights packed at compile time in the order the kernel streams them, so every gate of a
//! CfC cell and every mixing layer of an S4D block is a register-tiled matrix-vector product.
//!
//! Only the plain form is taken: `x`'s last axis is the single summed axis, `W`'s columns are the
//! output's last axis, and `x`'s other axes map to the output's leading axes in order. Anything
//! else stays an EinSum.

use super::Pass;
use crate::error::Result;
use crate::ir::{Dense, EinSum, Graph, Op, ValueKind};

/// See the module docs.
pub struct DenseLayers;

impl Pass for DenseLayers {
    fn name(&self) -> &'static str {
        "dense"
    }

    fn run(&self, g: &mut Graph) -> Result<()> {
        for n in 0..g.nodes.len() {
            let Op::EinSum(e) = &g.nodes[n].op else { continue };
            let (x, w) = (g.nodes[n].inputs[0], g.nodes[n].inputs[1]);
            if !matches!(g.value(w).kind, ValueKind::Const(_)) || matches!(g.value(x).kind, ValueKind::Const(_)) {
                continue;
            }
            if let Some(d) = linear(e, g.value(x).shape.len(), &g.value(w).shape) {
                g.nodes[n].op = Op::Dense(d);
            }
        }
        Ok(())
    }
}

/// The Dense geometry if `e` is `x[a0.., K] · w[K, N] → [a0.., N]`.
fn linear(e: &EinSum, x_rank: usize, w: &[usize]) -> Option<Dense> {
    let [k, n] = *w else { return None };
    if x_rank == 0 || k == 0 || n == 0 {
        return None;
    }
    let out_rank = e.axes.iter().filter(|a| a.out.is_some()).count();
    if out_rank != x_rank {
        return None;
    }
    for ax in &e.axes {
        let ok = match (ax.a, ax.b, ax.out) {
            // the summed axis: x's last, w's rows
            (Some(p), Some(0), None) => p + 1 == x_rank && ax.size == k,
            // the columns: w's, the output's last
            (None, Some(1), Some(o)) => o + 1 == out_rank && ax.size == n,
            // a row axis of x, kept in place
            (Some(p), None, Some(o)) => p == o && p + 1 < x_rank,
            _ => false,
        };
        if !ok {
            return None;
        }
    }
    let has = |f: &dyn Fn(&crate::ir::EinAxis) -> bool| e.axes.iter().filter(|a| f(a)).count() == 1;
    (has(&|a| a.out.is_none()) && has(&|a| a.b == Some(1))).then_some(Dense { k, n })
}
