//! Linear layers become `Op::Dense`: an EinSum `x[..., K] · W[K, N] → [..., N]` with a constant
//! `W` (after [`weight_layout`](super::weight_layout) stored `[K, N]`).
//!
//! Why: the general contraction kernel re-derives its loop structure from stride lists at run
//! time and walks the weights one column block at a time. A Dense node has its geometry as
//! constants the kernel is specialised on (`K`, `N` and the tile width are const generics) and
//! its weights packed at compile time in the order the kernel streams them, so every gate of a
//! CfC cell and every mixing layer of an S4D block is a register-tiled matrix-vector product.
//!
//! Dense layers that read the same input (a CfC cell's four gates over `[x, h]`, tract's halves
//! of a split Gemm) are then merged into one wider layer whose columns are the layers' columns
//! side by side, each original result becoming a slice of it: the input is read once per tile
//! of 16 columns instead of once per layer, and narrow layers stop leaving single columns (which
//! cost a load of the input per multiply-accumulate).
//!
//! The plain form: `x`'s last axis is the single summed axis, `W`'s columns are the output's
//! last axis, and `x`'s other axes map to the output's leading axes in order. A contraction
//! over several trailing axes of `x` (a flatten folded into a Linear layer) is first made that
//! form ([`dense_flatten`](super::dense_flatten)). Anything else stays an EinSum.

use super::{Context, Pass};
use crate::error::Result;
use crate::ir::{DType, Dense, EinSum, Graph, Node, Op, Slice, Value, ValueId, ValueKind};
use std::collections::BTreeMap;

/// See the module docs.
pub struct DenseLayers;

impl Pass for DenseLayers {
    fn name(&self) -> &'static str {
        "dense"
    }

    fn run(&self, g: &mut Graph, _cx: &Context) -> Result<()> {
        let mut flattened: Vec<(usize, Vec<Node>)> = vec![];
        for n in 0..g.nodes.len() {
            let Op::EinSum(e) = &g.nodes[n].op else { continue };
            let (x, w) = (g.nodes[n].inputs[0], g.nodes[n].inputs[1]);
            if !matches!(g.value(w).kind, ValueKind::Const(_)) || matches!(g.value(x).kind, ValueKind::Const(_)) {
                continue;
            }
            if let Some(d) = linear(e, g.value(x).shape.len(), &g.value(w).shape) {
                g.nodes[n].op = Op::Dense(d);
            } else if let Some(nodes) = super::dense_flatten::flatten(g, n) {
                flattened.push((n, nodes));
            }
        }
        for (n, nodes) in flattened.into_iter().rev() {
            g.nodes.splice(n..=n, nodes);
        }
        merge_siblings(g);
        Ok(())
    }
}

/// Merges the Dense layers that read the same input into one (see the module docs).
fn merge_siblings(g: &mut Graph) {
    let mut by_input: BTreeMap<ValueId, Vec<usize>> = BTreeMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if matches!(n.op, Op::Dense(_)) {
            by_input.entry(n.inputs[0]).or_default().push(i);
        }
    }
    let mut replace: BTreeMap<usize, Vec<Node>> = BTreeMap::new();
    for (x, members) in by_input {
        if members.len() < 2 {
            continue;
        }
        let dense = |i: usize| match &g.nodes[i].op {
            Op::Dense(d) => Some(d.clone()),
            _ => None,
        };
        let ds: Vec<Dense> = members.iter().filter_map(|&i| dense(i)).collect();
        let k = ds[0].k;
        let total: usize = ds.iter().map(|d| d.n).sum();
        let weights: Vec<&[f32]> = members.iter().filter_map(|&i| g.value(g.nodes[i].inputs[1]).const_data()).collect();
        if weights.len() != members.len() {
            continue; // the dense pass only makes Dense nodes with constant weights
        }
        let mut data = Vec::with_capacity(k * total);
        for row in 0..k {
            for (wd, d) in weights.iter().zip(&ds) {
                data.extend_from_slice(&wd[row * d.n..(row + 1) * d.n]);
            }
        }
        let first = &g.nodes[members[0]];
        let name = format!("{}.merged", first.name);
        let w = g.add_const(format!("{name}.w"), vec![k, total], data);
        let mut shape = g.value(x).shape.clone();
        if let Some(last) = shape.last_mut() {
            *last = total;
        }
        let merged = g.add_value(Value::new(name.clone(), shape, DType::F32, ValueKind::Computed));
        let mut nodes = vec![Node { name, op: Op::Dense(Dense { k, n: total }), inputs: vec![x, w], output: merged }];
        let mut at = 0;
        for (&i, d) in members.iter().zip(&ds) {
            let n = &g.nodes[i];
            let rank = g.value(n.output).shape.len();
            let mut start = vec![0; rank];
            start[rank - 1] = at;
            let op = Op::Slice(Slice { start, step: vec![1; rank] });
            let slice = Node { name: n.name.clone(), op, inputs: vec![merged], output: n.output };
            if i == members[0] {
                nodes.push(slice);
            } else {
                replace.insert(i, vec![slice]);
            }
            at += d.n;
        }
        replace.insert(members[0], nodes);
    }
    if replace.is_empty() {
        return;
    }
    let old = std::mem::take(&mut g.nodes);
    for (i, n) in old.into_iter().enumerate() {
        match replace.remove(&i) {
            Some(new) => g.nodes.extend(new),
            None => g.nodes.push(n),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{verify::verify, EinAxis};

    fn linear_einsum(k: usize, n: usize) -> Op {
        // x[r, k] · w[k, n] → [r, n]
        let axes = vec![
            EinAxis { size: 1, a: Some(0), b: None, out: Some(0) },
            EinAxis { size: k, a: Some(1), b: Some(0), out: None },
            EinAxis { size: n, a: None, b: Some(1), out: Some(1) },
        ];
        Op::EinSum(EinSum { axes })
    }

    #[test]
    fn linear_layers_on_one_input_become_one_dense_layer_and_slices() {
        let mut g = Graph::default();
        let x = g.add_value(Value::new("x", vec![1, 3], DType::F32, ValueKind::Input(0)));
        g.inputs.push(x);
        let w1 = g.add_const("w1", vec![3, 2], vec![1., 2., 3., 4., 5., 6.]);
        let w2 = g.add_const("w2", vec![3, 1], vec![7., 8., 9.]);
        let y1 = g.add_node("y1", linear_einsum(3, 2), vec![x, w1], vec![1, 2], DType::F32);
        let y2 = g.add_node("y2", linear_einsum(3, 1), vec![x, w2], vec![1, 1], DType::F32);
        g.outputs.extend([y1, y2]);
        DenseLayers.run(&mut g, &Context::f32(&crate::target::Target::load("host").expect("host"))).expect("runs");
        verify(&g).expect("verifies");
        let ops: Vec<String> = g.nodes.iter().map(|n| format!("{}={}", n.name, n.op.summary())).collect();
        assert_eq!(
            ops,
            vec![
                "y1.merged=Dense(k=3, n=3)",
                "y1=Slice(start=[0, 0], step=[1, 1])",
                "y2=Slice(start=[0, 2], step=[1, 1])"
            ]
        );
        let w = g.value(g.nodes[0].inputs[1]).const_data().expect("constant");
        // rows of w1 and w2 side by side
        assert_eq!(w, &vec![1., 2., 7., 3., 4., 8., 5., 6., 9.]);
        assert_eq!(g.nodes[1].output, y1);
        assert_eq!(g.nodes[2].output, y2);
    }

    #[test]
    fn other_contractions_stay_einsums() {
        // x[k] · w[k, n] with the summed axis not x's last: a transposed operand
        let axes = vec![
            EinAxis { size: 3, a: Some(0), b: Some(0), out: None },
            EinAxis { size: 2, a: Some(1), b: None, out: Some(0) },
            EinAxis { size: 4, a: None, b: Some(1), out: Some(1) },
        ];
        assert_eq!(linear(&EinSum { axes }, 2, &[3, 4]), None);
    }
}
