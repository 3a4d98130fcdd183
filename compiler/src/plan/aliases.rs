//! Values that need no buffer of their own: aliases (reshapes, type-only casts and contiguous
//! slices share their operand's buffer) and graph outputs written straight into the caller's
//! buffer.

use crate::ir::{Graph, Op, UnaryOp, ValueKind};

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
    // a next state is the crate's own (state region or arena), never a caller's buffer
    for (k, o) in g.outputs.iter().enumerate().filter(|(k, _)| !g.is_state_output(*k)) {
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
/// The operand is a computed value, or a graph input the caller passes (its readers read the
/// caller's slice; a 200 KiB STFT input reshaped for a convolution is not copied).
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
            let x = n.inputs[0].index();
            if aliasable(g, crate::ir::ValueId(root[x] as u32), n.output) {
                root[n.output.index()] = root[x];
                delta[n.output.index()] = delta[x] + offset;
                elided[i] = true;
            }
        }
    }
    (root, elided, delta)
}

/// True when `out`, computed without moving data from a value whose buffer is `x`'s, may
/// share that buffer: `x` is computed, or a graph input other than state (whose buffer is the crate's state region)
/// and `out` is not a graph output (which needs a buffer of its own, the caller's).
fn aliasable(g: &Graph, x: crate::ir::ValueId, out: crate::ir::ValueId) -> bool {
    match g.value(x).kind {
        ValueKind::Computed => true,
        ValueKind::Input(_) => g.state_of_input(x).is_none() && !g.outputs.contains(&out),
        ValueKind::Const(_) => false,
    }
}

/// The element offset of a slice that reads one contiguous run of its operand, if it does: unit
/// steps, one index on every axis before some axis `a`, whole axes after it.
pub(super) fn contiguous_slice(x: &[usize], out: &[usize], s: &crate::ir::Slice) -> Option<usize> {
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
