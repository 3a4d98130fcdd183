//! Recurrent state in the plan: where each state pair lives and when its next value is written
//! back.
//!
//! Each pair `k` of `Graph::state` owns one pool of the State region (`Region::State(k)`): the
//! state input's buffer, zero-initialised and kept between steps. The next value gets there in
//! one of two ways, decided here from the graph alone:
//! - **in place**: the node computing the next value writes straight over the old state. Safe
//!   when that node is an element-wise fused node over the state's own shape (it reads element
//!   `i` of the old state only while computing element `i`, and the back end reads every operand
//!   element of an iteration before writing any result) and every node after it that reads the
//!   old state runs in the same loop nest (a group, `back/groups.rs`), reading element `i` in
//!   iteration `i` too. The graph alone says which nodes *may* share the nest; whether they do
//!   depends on the plan, so [`super::plan`] proposes and the back end's
//!   `groups::settled_plan` re-plans without in-place writes it could not honour. An S4D
//!   layer's real and imaginary parts (each read by the other's update) are this case: no copy,
//!   no second buffer.
//! - **copy**: otherwise the next value is computed in the arena like any value and copied into
//!   the state as soon as both it is complete and the old state's last reader has run (`at`),
//!   so its arena buffer is free again for the rest of the step. This is the double buffer the
//!   step needs only where a node reads the old state after the new one is written.
//!
//! A pair whose next value is the state itself (state that never changes) needs neither.

use super::aliases;
use crate::ir::{Graph, Op, ValueKind};

/// How pair `pair`'s next value reaches its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Writeback {
    /// Index into `Graph::state`.
    pub pair: usize,
    /// The copy runs before node `at` (`at == nodes.len()`: at the end of the step); for an
    /// in-place pair, the node that writes it is `at - 1`.
    pub at: usize,
    /// The producer writes over the state itself; no copy.
    pub in_place: bool,
}

/// The write-back of every pair whose state changes, in pair order; pairs in `no_in_place` are
/// copied even where the graph alone would allow writing in place.
pub fn writebacks(g: &Graph, no_in_place: &[usize]) -> Vec<Writeback> {
    let (root, elided, _) = aliases(g);
    let fused = |i: usize| matches!(g.nodes.get(i).map(|n| &n.op), Some(Op::Fused(_)));
    let element_wise = |i: usize| matches!(g.nodes.get(i).map(|n| &n.op), Some(Op::Fused(f)) if f.sum_from.is_none());
    let mut out = vec![];
    for (k, p) in g.state.iter().enumerate() {
        let (Some(&s), Some(&n)) = (g.inputs.get(p.input), g.outputs.get(p.output)) else { continue };
        if root[n.index()] == s.index() {
            continue;
        }
        let readers: Vec<usize> = (0..g.nodes.len()).filter(|&i| g.nodes[i].inputs.contains(&s)).collect();
        let producer = g.nodes.iter().position(|node| node.output.index() == root[n.index()]);
        let mut at = producer.iter().chain(readers.last()).map(|&i| i + 1).max().unwrap_or(0);
        // The back end may run consecutive fused nodes as one loop nest (`back/groups.rs`); a
        // copy cannot run inside one, so it waits for the end of the run.
        while at > 0 && fused(at - 1) && fused(at) {
            at += 1;
        }
        let also_output =
            g.outputs.iter().enumerate().any(|(j, &o)| j != p.output && root[o.index()] == root[n.index()]);
        let in_place = match producer {
            Some(i) if !elided[i] && root[n.index()] == n.index() && !also_output && !no_in_place.contains(&k) => {
                let shape = &g.value(s).shape;
                // later readers must be element-wise nodes of the state's shape right after the
                // producer, which the back end runs in the producer's loop nest (it checks)
                let later_ok = readers
                    .iter()
                    .filter(|&&r| r > i)
                    .all(|&r| (i..=r).all(element_wise) && g.value(g.nodes[r].output).shape == *shape);
                element_wise(i) && g.value(n).shape == *shape && later_ok && g.value(n).kind == ValueKind::Computed
            }
            _ => false,
        };
        out.push(Writeback { pair: k, at, in_place });
    }
    out
}
