//! Static memory planning: every computed value gets a place — a pool and a byte offset in it.
//!
//! What needs a buffer ([`aliases`]): reshapes, type-only casts and slices that are one
//! contiguous run of their operand move no data; their result is an *alias* sharing its
//! operand's buffer (at an offset inside it), whose lifetime then runs to the alias's last use,
//! and the node is elided (no code). A graph output computed by a node lives in the caller's
//! output buffer, not in the arena (the node writes it there, later readers read it there), unless
//! two outputs share one buffer: outputs cost no arena space and no final copy.
//!
//! Where it goes ([`place`]): buffers as (bytes, alignment, first use, last use, pool) →
//! byte offsets, greedy by size within each pool (TFLite Micro's interface and algorithm). A
//! node's output is alive at the node, as are its inputs, so an output never aliases an operand.
//! Pools are per region (activation arena, persistent state) and per storage type, since safe
//! Rust keeps `f32` and `i8` data in different arrays; each pool reports its lower bound (most
//! bytes alive at once), so `bytes − lower_bound` is how far from optimal a plan is.
//!
//! A streaming step graph's state inputs live in the State region, one pool per state pair, and
//! their next values are written back in place or copied ([`state`]).

pub mod aliases;
pub mod place;
pub mod state;

pub use aliases::{aliases, external};
pub use place::{Buffer, Pool, PoolKey, Region};
pub use state::{writebacks, Writeback};

use crate::ir::{DType, Graph, ValueId, ValueKind};

/// Where every computed value lives.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Per value: its byte offset in its pool ([`Plan::pool_of`]); `None` for inputs, constants
    /// and values held in the caller's output buffers.
    pub byte_offsets: Vec<Option<usize>>,
    /// Per value: its pool (for every computed value, placed or not).
    pub pool_of: Vec<Option<PoolKey>>,
    /// Every non-empty pool, sorted by key.
    pub pools: Vec<Pool>,
    /// Per node: true when its result aliases its operand and no code is needed.
    pub elided: Vec<bool>,
    /// Per value: the graph output (index into `outputs`) whose caller buffer holds it.
    pub external: Vec<Option<usize>>,
    /// How each changing state pair's next value reaches its state ([`state`]).
    pub writebacks: Vec<Writeback>,
}

impl Plan {
    /// The pool `key`, if it holds anything.
    pub fn pool(&self, key: PoolKey) -> Option<&Pool> {
        self.pools.iter().find(|p| p.key == key)
    }

    /// Elements of the f32 activation arena (the `Model`'s `arena` array).
    pub fn arena_len(&self) -> usize {
        self.pool(PoolKey { region: Region::Arena, dtype: DType::F32 }).map_or(0, |p| p.bytes / 4)
    }

    /// Bytes of every activation pool.
    pub fn arena_bytes(&self) -> usize {
        self.region_sum(Region::Arena, |p| p.bytes)
    }

    /// The activation pools' lower bounds, added.
    pub fn arena_lower_bound(&self) -> usize {
        self.region_sum(Region::Arena, |p| p.lower_bound)
    }

    /// Bytes of persistent state.
    pub fn state_bytes(&self) -> usize {
        self.pools
            .iter()
            .filter(|p| matches!(p.key.region, Region::State(_)))
            .fold(0usize, |a, p| a.saturating_add(p.bytes))
    }

    fn region_sum(&self, r: Region, f: impl Fn(&Pool) -> usize) -> usize {
        self.pools.iter().filter(|p| p.key.region == r).fold(0usize, |a, p| a.saturating_add(f(p)))
    }

    /// The write-back of the pair whose next value is `v`, if `v` is written in place.
    pub fn in_place(&self, g: &Graph, v: ValueId) -> Option<usize> {
        self.writebacks.iter().find(|w| w.in_place && g.outputs.get(g.state[w.pair].output) == Some(&v)).map(|w| w.pair)
    }

    /// The element offset of `v` in its pool (its byte offset / element size), what generated
    /// code indexes with.
    pub fn offset(&self, g: &Graph, v: ValueId) -> Option<usize> {
        self.byte_offsets[v.index()].map(|o| o / g.value(v).dtype.size())
    }

    /// The element range of `v` in its pool, if it has one.
    pub fn range(&self, g: &Graph, v: ValueId) -> Option<(usize, usize)> {
        self.offset(g, v).map(|o| (o, o + g.value(v).len()))
    }
}

/// Alignment of a buffer of type `t`: its element size, and 4 bytes for 8- and 16-bit types so
/// kernels may read whole words.
pub fn alignment(t: DType) -> usize {
    t.size().max(4)
}

/// The buffers of a graph, indexed like its values (`None` for inputs, constants, aliases,
/// outputs held by the caller and next states written in place).
pub fn buffers(g: &Graph, writebacks: &[Writeback]) -> Vec<Option<Buffer>> {
    let (root, elided, _) = aliases(g);
    let ext = external(g);
    let end = g.nodes.len();
    let mut bufs: Vec<Option<Buffer>> = vec![None; g.values.len()];
    for (k, p) in g.state.iter().enumerate() {
        let Some(&s) = g.inputs.get(p.input) else { continue };
        let v = g.value(s);
        let pool = PoolKey { region: Region::State(k), dtype: v.dtype.storage() };
        bufs[s.index()] = Some(Buffer { bytes: v.bytes(), align: alignment(v.dtype), first: 0, last: end, pool });
    }
    let in_place: Vec<usize> =
        writebacks.iter().filter(|w| w.in_place).map(|w| g.outputs[g.state[w.pair].output].index()).collect();
    for (i, n) in g.nodes.iter().enumerate() {
        if !elided[i] && ext[n.output.index()].is_none() && !in_place.contains(&n.output.index()) {
            let v = g.value(n.output);
            let pool = PoolKey { region: Region::Arena, dtype: v.dtype.storage() };
            bufs[n.output.index()] =
                Some(Buffer { bytes: v.bytes(), align: alignment(v.dtype), first: i, last: i, pool });
        }
        for v in n.inputs.iter().chain(std::iter::once(&n.output)) {
            if let Some(b) = &mut bufs[root[v.index()]] {
                b.last = b.last.max(i);
            }
        }
    }
    for (k, o) in g.outputs.iter().enumerate() {
        if let (Some(b), false) = (&mut bufs[root[o.index()]], g.is_state_output(k)) {
            b.last = end;
        }
    }
    // a copied next state lives until its write-back
    for w in writebacks.iter().filter(|w| !w.in_place) {
        let n = g.outputs[g.state[w.pair].output];
        if let Some(b) = &mut bufs[root[n.index()]] {
            b.last = b.last.max(w.at);
        }
    }
    bufs
}

/// Plans a graph, writing every state in place that the graph alone allows (see [`state`]).
pub fn plan(g: &Graph) -> Plan {
    plan_with(g, &[])
}

/// Plans a graph; the state pairs in `no_in_place` have their next value copied.
pub fn plan_with(g: &Graph, no_in_place: &[usize]) -> Plan {
    let writebacks = writebacks(g, no_in_place);
    let bufs = buffers(g, &writebacks);
    let (mut byte_offsets, pools) = place::place(&bufs, g.nodes.len());
    let (root, elided, delta) = aliases(g);
    let mut pool_of: Vec<Option<PoolKey>> = bufs.iter().map(|b| b.map(|b| b.pool)).collect();
    // an in-place next state is its state's buffer
    for w in writebacks.iter().filter(|w| w.in_place) {
        let (s, n) = (g.inputs[g.state[w.pair].input].index(), g.outputs[g.state[w.pair].output].index());
        byte_offsets[n] = byte_offsets[s];
        pool_of[n] = pool_of[s];
    }
    for v in 0..byte_offsets.len() {
        if root[v] != v {
            let size = g.values[v].dtype.size();
            byte_offsets[v] = byte_offsets[root[v]].map(|o| o + delta[v] * size);
            pool_of[v] = pool_of[root[v]];
        }
    }
    debug_assert!(g.values.iter().enumerate().all(|(i, v)| byte_offsets[i].is_none()
        || v.kind == ValueKind::Computed
        || g.state_of_input(ValueId(i as u32)).is_some()));
    Plan { byte_offsets, pool_of, pools, elided, external: external(g), writebacks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Op, UnaryOp};

    #[test]
    fn outputs_live_in_the_callers_buffers_and_contiguous_slices_are_views() {
        use crate::ir::{DType, Slice, Value};
        use aliases::contiguous_slice;
        let mut g = Graph::default();
        let x = g.add_value(Value::new("x", vec![1, 8], DType::F32, ValueKind::Input(0)));
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
        assert_eq!(p.offset(&g, y), None, "y is written into the caller's buffer");
        assert_eq!(p.external[hi.index()], None);
        let base = p.offset(&g, a).expect("a in the arena");
        assert_eq!((p.offset(&g, lo), p.offset(&g, hi)), (Some(base), Some(base + 4)));
        assert_eq!(p.arena_len(), 8);
        assert_eq!(p.arena_bytes(), 32);
        // a strided slice is a copy, not a view
        let s = Slice { start: vec![0, 0], step: vec![1, 2] };
        assert_eq!(contiguous_slice(&[1, 8], &[1, 4], &s), None);
        let s = Slice { start: vec![1, 0], step: vec![1, 1] };
        assert_eq!(contiguous_slice(&[2, 8], &[1, 8], &s), Some(8));
        assert_eq!(contiguous_slice(&[2, 8], &[2, 4], &Slice { start: vec![0, 0], step: vec![1, 1] }), None);
    }

    #[test]
    fn reshapes_and_slices_of_inputs_are_views_of_the_callers_buffer() {
        use crate::ir::{DType, Slice, StatePair, Value};
        let mut g = Graph::default();
        let x = g.add_value(Value::new("x", vec![2, 6], DType::F32, ValueKind::Input(0)));
        let s = g.add_value(Value::new("s", vec![4], DType::F32, ValueKind::Input(1)));
        g.inputs.extend([x, s]);
        let r = g.add_node("r", Op::Reshape, vec![x], vec![12], DType::F32);
        let hi = g.add_node("hi", Op::Slice(Slice { start: vec![6], step: vec![1] }), vec![r], vec![6], DType::F32);
        let y = g.add_node("y", Op::Unary(UnaryOp::Neg), vec![hi], vec![6], DType::F32);
        let out = g.add_node("out", Op::Reshape, vec![r], vec![3, 4], DType::F32); // a graph output
        let sr = g.add_node("sr", Op::Reshape, vec![s], vec![2, 2], DType::F32); // a state input
        let sn = g.add_node("sn", Op::Unary(UnaryOp::Neg), vec![sr], vec![2, 2], DType::F32);
        let s_next = g.add_node("s_next", Op::Reshape, vec![sn], vec![4], DType::F32);
        g.outputs.extend([y, out, s_next]);
        g.state.push(StatePair { input: 1, output: 2 });
        let (root, elided, delta) = aliases(&g);
        assert_eq!(elided, vec![true, true, false, false, false, false, true]);
        assert_eq!((root[hi.index()], delta[hi.index()]), (x.index(), 6), "a view of the caller's x");
        assert_eq!(root[out.index()], out.index(), "an output needs its own (caller's) buffer");
        assert_eq!(root[sr.index()], sr.index(), "state lives in the crate's state region: copied");
        let p = plan(&g);
        assert_eq!((p.offset(&g, r), p.offset(&g, hi)), (None, None), "no arena bytes for views of x");
    }
}
