//! Which consecutive fused nodes the back end runs as one loop nest (a *group*, emitted by
//! [`crate::back::ops::fused::emit_group`]).
//!
//! Why: an S4D layer's state update is three fused nodes over the same `[H, N]` index space —
//! the next real state, the next imaginary state (both graph outputs) and `Σ Re(C·x')` (a sum
//! epilogue reading both) — that read the same coefficients and states. As separate loops they
//! load the shared operands three times and the two new states back from memory; as one nest
//! every operand is loaded once and the sum reads the new states from registers.
//!
//! This is a scheduling decision on the planned graph, not an IR change: every node still has
//! its own output value and storage. Nodes join the group before them when:
//! - they are `Op::Fused` and consecutive in execution order (no other emitted or elided node
//!   between), over the same iteration shape;
//! - only the group's last member has a sum epilogue (a sum's result is complete only after the
//!   nest, so nothing in the group may read it);
//! - an operand produced inside the group is read directly (never through an alias), so it is
//!   the producer's element at the same index;
//! - at most one member writes the arena (the others write the caller's output buffers, or a
//!   recurrent state in place, each in its own pool), and that range overlaps no arena operand
//!   of the group: inside one nest, all members' operands are read while all outputs are
//!   written, which the plan (one node at a time) did not promise.

use crate::back::ops::fused::{iteration_shape, Member, Source};
use crate::ir::{Graph, Op, ValueId};
use crate::plan::{aliases, Plan, PoolKey};

/// The emitted nodes in execution order, grouped: each inner list is one loop nest (most are a
/// single node). Elided nodes (plan aliases) appear in no group.
pub fn groups(g: &Graph, plan: &Plan) -> Vec<Vec<usize>> {
    let (root, _, _) = aliases(g);
    let mut out: Vec<Vec<usize>> = vec![];
    let mut prev_emitted: Option<usize> = None;
    for (i, _) in g.nodes.iter().enumerate() {
        if plan.elided[i] {
            prev_emitted = None; // an alias between two nodes breaks a group
            continue;
        }
        let joins = match (out.last(), prev_emitted) {
            (Some(group), Some(_)) => can_join(g, plan, &root, group, i),
            _ => false,
        };
        match out.last_mut() {
            Some(group) if joins => group.push(i),
            _ => out.push(vec![i]),
        }
        prev_emitted = Some(i);
    }
    out
}

/// The plan the back end can honour: [`crate::plan::plan`] proposes writing a state in place
/// when the nodes after its producer that read the old state may share the producer's loop nest;
/// pairs whose readers did not join that nest are re-planned as copies, until none is left.
pub fn settled_plan(g: &Graph) -> Plan {
    let mut no_in_place: Vec<usize> = vec![];
    loop {
        let plan = crate::plan::plan_with(g, &no_in_place);
        let broken = unsafe_in_place(g, &plan);
        if broken.is_empty() {
            return plan;
        }
        no_in_place.extend(broken);
    }
}

/// State pairs written in place although a node that reads the old state runs after the node
/// that overwrites it, outside its loop nest.
pub fn unsafe_in_place(g: &Graph, plan: &Plan) -> Vec<usize> {
    let groups = groups(g, plan);
    let group_of = |i: usize| groups.iter().position(|gr| gr.contains(&i));
    plan.writebacks
        .iter()
        .filter(|w| w.in_place)
        .filter(|w| {
            let (s, n) = (g.inputs[g.state[w.pair].input], g.outputs[g.state[w.pair].output]);
            let Some(p) = g.nodes.iter().position(|node| node.output == n) else { return true };
            (p + 1..g.nodes.len()).any(|r| g.nodes[r].inputs.contains(&s) && group_of(r) != group_of(p))
        })
        .map(|w| w.pair)
        .collect()
}

/// Per node of a graph of `nodes` nodes grouped as `groups` ([`groups`]): whether it runs inside
/// the loop nest of the node before it (a group member other than the first).
pub fn later_members(groups: &[Vec<usize>], nodes: usize) -> Vec<bool> {
    let mut later = vec![false; nodes];
    for group in groups {
        for &i in group.iter().skip(1) {
            later[i] = true;
        }
    }
    later
}

/// The members of `group` (node indices) as the emitter sees them, with the group's operands
/// (values read from outside the group, in first-use order).
pub fn members<'a>(g: &'a Graph, group: &[usize]) -> (Vec<Member<'a>>, Vec<ValueId>) {
    let mut operands: Vec<ValueId> = vec![];
    let mut members = vec![];
    for &i in group {
        let n = &g.nodes[i];
        let Op::Fused(f) = &n.op else { continue };
        let mut args = vec![];
        for &v in &n.inputs {
            let produced = group.iter().position(|&p| g.nodes[p].output == v);
            args.push(match produced {
                Some(m) => Source::Member(m),
                None => match operands.iter().position(|&x| x == v) {
                    Some(j) => Source::Operand(j),
                    None => {
                        operands.push(v);
                        Source::Operand(operands.len() - 1)
                    }
                },
            });
        }
        members.push(Member { f, args, out_shape: g.value(n.output).shape.clone() });
    }
    (members, operands)
}

/// The `(operand k, member m)` pairs of `group` (operands as [`members`] numbers them) where
/// member `m`'s output is a recurrent state written over its own input, operand `k`, in place.
pub fn in_place_pairs(g: &Graph, plan: &Plan, group: &[usize], operands: &[ValueId]) -> Vec<(usize, usize)> {
    group
        .iter()
        .enumerate()
        .filter_map(|(m, &i)| {
            let pair = plan.in_place(g, g.nodes[i].output)?;
            let s = g.inputs[g.state[pair].input];
            operands.iter().position(|&v| v == s).map(|k| (k, m))
        })
        .collect()
}

fn can_join(g: &Graph, plan: &Plan, root: &[usize], group: &[usize], i: usize) -> bool {
    let all_fused = group.iter().chain([&i]).all(|&n| matches!(g.nodes[n].op, Op::Fused(_)));
    let Some(&last) = group.last() else { return false };
    let no_inner_sum = matches!(&g.nodes[last].op, Op::Fused(f) if f.sum_from.is_none());
    if !all_fused || !no_inner_sum || last + 1 != i {
        return false;
    }
    let candidate: Vec<usize> = group.iter().copied().chain([i]).collect();
    let (members, operands) = members(g, &candidate);
    if members.len() != candidate.len() {
        return false;
    }
    // the same iteration shape for every member
    let shape_of = |a: Source| match a {
        Source::Operand(j) => g.value(operands[j]).shape.clone(),
        Source::Member(m) => members[m].out_shape.clone(),
    };
    let over = iteration_shape(&members[0], &shape_of);
    if members.iter().any(|m| iteration_shape(m, &shape_of) != over) {
        return false;
    }
    // results read inside the group are read whole, never through an alias
    let outputs: Vec<usize> = candidate.iter().map(|&n| g.nodes[n].output.index()).collect();
    if operands.iter().any(|v| root[v.index()] != v.index() && outputs.contains(&root[v.index()])) {
        return false;
    }
    // at most one output in the arena, overlapping no arena operand
    let range = |v: usize| plan.range(g, ValueId(v as u32)).map(|(a, b)| (plan.pool_of[v], a, b));
    // (a next state written in place over its own state is bound from its own pool, not split)
    let in_place = |v: usize| plan.in_place(g, ValueId(v as u32)).is_some();
    let arena_outs: Vec<(Option<PoolKey>, usize, usize)> =
        outputs.iter().filter(|&&v| plan.external[v].is_none() && !in_place(v)).filter_map(|&v| range(v)).collect();
    let in_arena_or_external = outputs.iter().all(|&v| plan.external[v].is_some() || range(v).is_some());
    if arena_outs.len() > 1 || !in_arena_or_external {
        return false;
    }
    arena_outs
        .iter()
        .all(|&(p, a, b)| operands.iter().filter_map(|v| range(v.index())).all(|(q, c, d)| p != q || b <= c || d <= a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BinaryOp, DType, Value, ValueKind};
    use crate::passes::pipeline;

    fn input(g: &mut Graph, name: &str, shape: Vec<usize>, k: usize) -> ValueId {
        let v = g.add_value(Value::new(name, shape, DType::F32, ValueKind::Input(k)));
        g.inputs.push(v);
        v
    }

    /// The S4D shape: two outputs from shared operands, and a sum over both.
    #[test]
    fn an_s4d_update_is_one_group_and_a_later_reader_of_the_sum_is_not() {
        let mut g = Graph::default();
        let (xr, xi) = (input(&mut g, "xr", vec![4, 3], 0), input(&mut g, "xi", vec![4, 3], 1));
        let (a, b) = (input(&mut g, "a", vec![4, 3], 2), input(&mut g, "b", vec![4, 3], 3));
        let bin = |g: &mut Graph, n: &str, op, x, y, shape: Vec<usize>| {
            g.add_node(n, Op::Binary(op), vec![x, y], shape, DType::F32)
        };
        let p = bin(&mut g, "p", BinaryOp::Mul, a, xr, vec![4, 3]);
        let q = bin(&mut g, "q", BinaryOp::Mul, b, xi, vec![4, 3]);
        let xr_next = bin(&mut g, "xr_next", BinaryOp::Sub, p, q, vec![4, 3]);
        let xi_next = bin(&mut g, "xi_next", BinaryOp::Add, xr, xi, vec![4, 3]);
        let c = bin(&mut g, "c", BinaryOp::Mul, xr_next, xi_next, vec![4, 3]);
        let s = g.add_node(
            "s",
            Op::Reduce(crate::ir::Reduce { op: crate::ir::ReduceOp::Sum, axes: vec![1] }),
            vec![c],
            vec![4, 1],
            DType::F32,
        );
        let t = bin(&mut g, "t", BinaryOp::Add, s, s, vec![4, 1]);
        g.outputs.extend([t, xr_next, xi_next]);
        let host = crate::target::Target::load("host").expect("host");
        for pass in pipeline() {
            pass.run(&mut g, &crate::passes::Context::f32(&host)).expect("pass");
        }
        let plan = crate::plan::plan(&g);
        let names: Vec<Vec<&str>> =
            groups(&g, &plan).iter().map(|gr| gr.iter().map(|&i| g.nodes[i].name.as_str()).collect()).collect();
        assert_eq!(names, vec![vec!["xr_next", "xi_next", "s"], vec!["t"]]);
    }
}
