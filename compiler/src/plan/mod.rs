//! Static memory planning: every computed value gets an offset in one f32 arena.
//!
//! Interface (TensorFlow Lite Micro's): buffers as (size, first use, last use) → offsets and the
//! arena size. Algorithm: greedy by size — buffers are placed largest first, each at the lowest
//! offset where it overlaps no already placed buffer that is alive at the same time (first use to
//! last use, inclusive, in node order). A node's output is alive at the node, as are its inputs,
//! so an output never aliases an operand. `lower_bound` is the most bytes alive at any one node:
//! no plan can be smaller, so `arena_len − lower_bound` is how far from optimal a plan is.
//!
//! A graph output computed by a node lives in the caller's output buffer, not in the arena (the
//! node writes it there directly, and later readers read it there), unless two outputs share one
//! buffer. So outputs cost no arena space and no final copy.
//!
//! Reshapes (and type-only casts) move no data, and neither does a slice that is one contiguous
//! run of its operand: their result is an *alias* of their operand, sharing its buffer (a slice
//! at an offset inside it), whose lifetime then runs to the alias's last use. Such nodes are elided:
//! the back end emits no code for them.

use crate::ir::{Graph, Op, UnaryOp, ValueKind};

/// One buffer to place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buffer {
    /// Elements (f32).
    pub size: usize,
    /// Index of the node that writes it.
    pub first: usize,
    /// Index of the last node that reads it (or the end of the graph for outputs).
    pub last: usize,
}

/// Where every computed value lives.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Offset (in f32 elements) of each value in the arena; `None` for inputs and constants.
    pub offsets: Vec<Option<usize>>,
    /// Arena length in f32 elements.
    pub arena_len: usize,
    /// The most elements alive at once: a lower bound on any arena.
    pub lower_bound: usize,
    /// Per node: true when its result aliases its operand and no code is needed.
    pub elided: Vec<bool>,
    /// Per value: the graph output (index into `outputs`) whose caller buffer holds it.
    pub external: Vec<Option<usize>>,
}

/// Per value, the graph output whose caller buffer holds it: a computed output's buffer (and
/// its aliases), unless another output shares that buffer.
pub fn external(g: &Graph) -> Vec<Option<usize>> {
    let (root, _, delta) = aliases(g);
    // A buffer read through a partial alias stays in the arena (the caller's buffer is whole).
    let mut partial = vec![false; g.values.len()];
    for v in 0..g.values.len() {
        if root[v] != v && (delta[v] != 0 || g.values[v].len() != g.values[root[v]].len()) {
            partial[root[v]] = true;
        }
    }
    let mut by_root: Vec<Vec<usize>> = vec![vec![]; g.values.len()];
    for (k, o) in g.outputs.iter().enumerate() {
        by_root[root[o.index()]].push(k);
    }
    (0..g.values.len())
        .map(|v| match by_root[root[v]].as_slice() {
            [k] if g.values[root[v]].kind == ValueKind::Computed && !partial[root[v]] => Some(*k),
            _ => None,
        })
        .collect()
}

/// Per value, the value whose buffer it uses (itself unless it is an alias) and where in that
/// buffer it starts; per node, whether it is an elided alias.
///
/// Aliases: reshapes and type-only casts (the whole buffer), and slices whose elements are one
/// contiguous run of their operand (a range of it: a Dense layer's share of a merged layer).
pub fn aliases(g: &Graph) -> (Vec<usize>, Vec<bool>, Vec<usize>) {
    let mut root: Vec<usize> = (0..g.values.len()).collect();
    let mut delta = vec![0usize; g.values.len()];
    let mut elided = vec![false; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        let offset = match &n.op {
            Op::Reshape | Op::Unary(UnaryOp::Identity) => Some(0),
            Op::Slice(s) => contiguous_slice(&g.value(n.inputs[0]).shape, &g.value(n.output).shape, s),
            _ => None,
        };
        if let Some(offset) = offset {
            if g.value(n.inputs[0]).kind == ValueKind::Computed {
                let x = n.inputs[0].index();
                root[n.output.index()] = root[x];
                delta[n.output.index()] = delta[x] + offset;
                elided[i] = true;
            }
        }
    }
    (root, elided, delta)
}

/// The element offset of a slice that reads one contiguous run of its operand, if it does: unit
/// steps, one index on every axis before some axis `a`, whole axes after it.
fn contiguous_slice(x: &[usize], out: &[usize], s: &crate::ir::Slice) -> Option<usize> {
    if s.step.iter().any(|&st| st != 1) || x.len() != out.len() || s.start.len() != x.len() {
        return None;
    }
    let a = out.iter().position(|&d| d != 1).unwrap_or(out.len().saturating_sub(1));
    let whole_after = (a + 1..x.len()).all(|d| s.start[d] == 0 && out[d] == x[d]);
    if !whole_after {
        return None;
    }
    let mut stride = 1usize;
    let mut offset = 0usize;
    for d in (0..x.len()).rev() {
        offset += s.start[d] * stride;
        stride *= x[d];
    }
    Some(offset)
}

/// The buffers of a graph, indexed like its values (`None` for inputs, constants and aliases).
pub fn buffers(g: &Graph) -> Vec<Option<Buffer>> {
    let (root, elided, _) = aliases(g);
    let ext = external(g);
    let end = g.nodes.len();
    let mut bufs: Vec<Option<Buffer>> = vec![None; g.values.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        if !elided[i] && ext[n.output.index()].is_none() {
            let size = g.value(n.output).len();
            bufs[n.output.index()] = Some(Buffer { size, first: i, last: i });
        }
        for v in n.inputs.iter().chain(std::iter::once(&n.output)) {
            if let Some(b) = &mut bufs[root[v.index()]] {
                b.last = b.last.max(i);
            }
        }
    }
    for o in &g.outputs {
        if let Some(b) = &mut bufs[root[o.index()]] {
            b.last = end;
        }
    }
    bufs
}

/// Places buffers; returns offsets and the arena size. Sizes add with saturation: the front end
/// bounds every tensor (2 GiB), so a saturated arena only ever reads as "over budget".
pub fn place(bufs: &[Option<Buffer>]) -> (Vec<Option<usize>>, usize) {
    let mut order: Vec<usize> = (0..bufs.len()).filter(|&i| bufs[i].is_some()).collect();
    // Largest first; ties by first use then index, so plans are deterministic.
    order.sort_by_key(|&i| {
        let b = bufs[i].unwrap_or(Buffer { size: 0, first: 0, last: 0 });
        (std::cmp::Reverse(b.size), b.first, i)
    });
    let mut offsets = vec![None; bufs.len()];
    let mut placed: Vec<(usize, usize, Buffer)> = vec![];
    let mut arena = 0;
    for i in order {
        let Some(b) = bufs[i] else { continue };
        let mut live: Vec<(usize, usize)> = placed
            .iter()
            .filter(|(_, _, p)| p.first <= b.last && b.first <= p.last)
            .map(|(o, s, _)| (*o, *s))
            .collect();
        live.sort();
        let mut offset = 0usize;
        for (o, s) in live {
            if offset.saturating_add(b.size) <= o {
                break;
            }
            offset = offset.max(o.saturating_add(s));
        }
        offsets[i] = Some(offset);
        placed.push((offset, b.size, b));
        arena = arena.max(offset.saturating_add(b.size));
    }
    (offsets, arena)
}

/// The most elements alive at any node.
pub fn lower_bound(bufs: &[Option<Buffer>], steps: usize) -> usize {
    (0..=steps)
        .map(|t| {
            bufs.iter().flatten().filter(|b| b.first <= t && t <= b.last).fold(0usize, |a, b| a.saturating_add(b.size))
        })
        .max()
        .unwrap_or(0)
}

/// Plans a graph.
pub fn plan(g: &Graph) -> Plan {
    let bufs = buffers(g);
    let (mut offsets, arena_len) = place(&bufs);
    let (root, elided, delta) = aliases(g);
    for v in 0..offsets.len() {
        if root[v] != v {
            offsets[v] = offsets[root[v]].map(|o| o + delta[v]);
        }
    }
    debug_assert!(g.values.iter().zip(&offsets).all(|(v, o)| o.is_none() || v.kind == ValueKind::Computed));
    Plan { offsets, arena_len, lower_bound: lower_bound(&bufs, g.nodes.len()), elided, external: external(g) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks no two buffers alive at once overlap in memory.
    fn check(bufs: &[Option<Buffer>], offsets: &[Option<usize>], arena: usize) {
        for (i, a) in bufs.iter().enumerate() {
            let Some(a) = a else { continue };
            let oa = offsets[i].expect("placed");
            assert!(oa + a.size <= arena);
            for (j, b) in bufs.iter().enumerate().skip(i + 1) {
                let Some(b) = b else { continue };
                let ob = offsets[j].expect("placed");
                let time = a.first <= b.last && b.first <= a.last;
                let space = oa < ob + b.size && ob < oa + a.size;
                assert!(!(time && space && a.size > 0 && b.size > 0), "buffers {i} and {j} overlap");
            }
        }
    }

    #[test]
    fn random_plans_never_overlap_and_respect_the_lower_bound() {
        let mut seed = 0x2545_f491_u64;
        let mut rnd = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for _ in 0..200 {
            let n = 1 + rnd(30);
            let bufs: Vec<Option<Buffer>> = (0..n)
                .map(|i| {
                    if rnd(5) == 0 {
                        return None;
                    }
                    let first = i;
                    Some(Buffer { size: 1 + rnd(100), first, last: first + rnd(6) })
                })
                .collect();
            let (offsets, arena) = place(&bufs);
            check(&bufs, &offsets, arena);
            assert!(arena >= lower_bound(&bufs, n + 6));
        }
    }

    #[test]
    fn outputs_live_in_the_callers_buffers_and_contiguous_slices_are_views() {
        use crate::ir::{DType, Slice, Value};
        let mut g = Graph::default();
        let x =
            g.add_value(Value::new("x", vec![1, 8], DType::F32, ValueKind::Input(0)));
        g.inputs.push(x);
        let a = g.add_node("a", Op::Unary(UnaryOp::Neg), vec![x], vec![1, 8], DType::F32);
        let slice = |start: usize| Op::Slice(Slice { start: vec![0, start], step: vec![1, 1] });
        let lo = g.add_node("lo", slice(0), vec![a], vec![1, 4], DType::F32);
        let hi = g.add_node("hi", slice(4), vec![a], vec![1, 4], DType::F32);
        let y = g.add_node("y", Op::Binary(crate::ir::BinaryOp::Add), vec![lo, hi], vec![1, 4], DType::F32);
        g.outputs.push(y);
        g.outputs.push(hi); // an output read through a partial view stays in the arena
        let p = plan(&g);
        assert_eq!(p.elided, vec![false, true, true, false]);
        assert_eq!(p.external[y.index()], Some(0));
        assert_eq!(p.offsets[y.index()], None, "y is written into the caller's buffer");
        assert_eq!(p.external[hi.index()], None);
        let base = p.offsets[a.index()].expect("a in the arena");
        assert_eq!((p.offsets[lo.index()], p.offsets[hi.index()]), (Some(base), Some(base + 4)));
        assert_eq!(p.arena_len, 8);
        // a strided slice is a copy, not a view
        let s = Slice { start: vec![0, 0], step: vec![1, 2] };
        assert_eq!(contiguous_slice(&[1, 8], &[1, 4], &s), None);
        let s = Slice { start: vec![1, 0], step: vec![1, 1] };
        assert_eq!(contiguous_slice(&[2, 8], &[1, 8], &s), Some(8));
        assert_eq!(contiguous_slice(&[2, 8], &[2, 4], &Slice { start: vec![0, 0], step: vec![1, 1] }), None);
    }

    #[test]
    fn a_chain_reuses_memory() {
        // a -> b -> c -> d, each read only by the next: two buffers suffice.
        let bufs: Vec<Option<Buffer>> = (0..4).map(|i| Some(Buffer { size: 10, first: i, last: i + 1 })).collect();
        let (offsets, arena) = place(&bufs);
        check(&bufs, &offsets, arena);
        assert_eq!(arena, 20);
    }
}
