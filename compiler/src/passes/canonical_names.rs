//! Canonical names: node and constant names that depend only on the graph, not on the order in
//! which tract happened to create its nodes.
//!
//! tract makes a node name unique by appending `.1`, `.2`, … in creation order, and parts of its
//! loader and declutter iterate hash maps, so two runs on one file can swap two suffixes — or keep
//! `X.2` in one run and `X.1` in the next when declutter removes the other node — and the
//! generated constant and parameter names change with them (three compilations of the CLTC export
//! gave three different `lib.rs`). So such suffixes (`.<n>`, n ≥ 1 without a leading zero, the
//! only ones tract appends) are stripped and names numbered again in graph order: nodes in
//! execution order, a constant when its first reader is reached; the first name of a stem is the
//! bare stem, the next ones `.1`, `.2`, …. Other names (`dense_w.0`, `k.0..8`) are kept as they
//! are. Graph inputs and outputs keep their model names (they are the generated crate's API).
//! This runs before every pass, unconditionally (determinism is not optional).

use crate::ir::{Graph, ValueId, ValueKind};
use std::collections::{BTreeMap, BTreeSet};

/// `name` without the trailing `.<n>` groups tract may have appended (`a.1.2` → `a`).
fn stem(name: &str) -> &str {
    let mut s = name;
    while let Some((head, tail)) = s.rsplit_once('.') {
        let numeral = !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) && !tail.starts_with('0');
        // `a..8` is a range in tract's names (`split-over-1.0..8`), not a suffix.
        if head.is_empty() || head.ends_with('.') || !numeral {
            break;
        }
        s = head;
    }
    s
}

/// Renames nodes, their output values and constants; see the module docs.
pub fn canonicalize(g: &mut Graph) {
    let io: BTreeSet<ValueId> = g.inputs.iter().chain(&g.outputs).copied().collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut fresh = |raw: &str| -> String {
        let base = stem(raw).to_string();
        loop {
            let k = counts.entry(base.clone()).or_insert(0);
            let name = if *k == 0 { base.clone() } else { format!("{base}.{k}") };
            *k += 1;
            if taken.insert(name.clone()) {
                return name;
            }
        }
    };
    let mut named: Vec<bool> = (0..g.values.len()).map(|i| io.contains(&ValueId(i as u32))).collect();
    for n in 0..g.nodes.len() {
        for i in 0..g.nodes[n].inputs.len() {
            let v = g.nodes[n].inputs[i];
            if !named[v.index()] && matches!(g.value(v).kind, ValueKind::Const(_)) {
                named[v.index()] = true;
                g.values[v.index()].name = fresh(&g.value(v).name);
            }
        }
        let out = g.nodes[n].output;
        let name = fresh(&g.nodes[n].name);
        g.nodes[n].name = name.clone();
        if !named[out.index()] {
            named[out.index()] = true;
            g.values[out.index()].name = name;
        }
    }
    for (value, done) in g.values.iter_mut().zip(&named) {
        if !done && matches!(value.kind, ValueKind::Const(_)) {
            value.name = fresh(&value.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{DType, Op, UnaryOp, Value};

    #[test]
    fn stems() {
        assert_eq!(stem("a.1"), "a");
        assert_eq!(stem("a.1.22"), "a");
        assert_eq!(stem("a.b"), "a.b");
        assert_eq!(stem("Div_6-recip.2"), "Div_6-recip");
        assert_eq!(stem("7"), "7");
        assert_eq!(stem(".1"), ".1");
        assert_eq!(stem("a."), "a.");
        assert_eq!(stem("split-over-1.0..8"), "split-over-1.0..8");
        assert_eq!(stem("split-over-1.0..8.2"), "split-over-1.0..8");
        assert_eq!(stem("dense_w.0"), "dense_w.0");
        assert_eq!(stem("a.01"), "a.01");
    }

    /// Two graphs that differ only in which node got tract's `.1` and which `.2` get equal names.
    #[test]
    fn suffix_order_does_not_matter() {
        let build = |first: &str, second: &str| {
            let mut g = Graph::default();
            let x = g.add_value(Value::new("x", vec![2], DType::F32, ValueKind::Input(0)));
            g.inputs.push(x);
            let c = g.add_const("w.3", vec![2], vec![1.0, 2.0]);
            let a = g.add_node(first, Op::Binary(crate::ir::BinaryOp::Mul), vec![x, c], vec![2], DType::F32);
            let b = g.add_node(second, Op::Unary(UnaryOp::Neg), vec![a], vec![2], DType::F32);
            let y = g.add_node("y", Op::Unary(UnaryOp::Neg), vec![b], vec![2], DType::F32);
            g.outputs.push(y);
            canonicalize(&mut g);
            g
        };
        let (a, b) = (build("n.1", "n.2"), build("n.2", "n.1"));
        assert_eq!(a, b);
        let names: Vec<&str> = a.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["n", "n.1", "y"]);
        assert_eq!(a.values[1].name, "w");
        assert_eq!(a.value(a.outputs[0]).name, "y", "outputs keep their model names");
    }
}
