//! Element-wise fusion: every chain of Unary / Binary / Select nodes becomes one `Op::Fused` node,
//! evaluated in a single loop with its intermediates in registers.
//!
//! Why: a CfC gate (`sigmoid(a + b·t)`, `h·(1 − g) + g·h'`) or an S4D state update is a dozen
//! element-wise nodes; as separate kernels each one reads and writes the whole tensor and pays
//! a call, and the arena holds every intermediate. Fused, the code is one loop whose operation
//! sequence the back end emits as straight-line code (each op chosen at compile time, so no
//! run-time dispatch and no code for ops the model does not use).
//!
//! A producer joins its consumer's group when its result has exactly that one consumer, is not
//! a graph output, and has the consumer's output shape (so broadcasting only ever happens on the
//! group's operands, which keeps the emitted loop nest simple). Lone element-wise nodes become
//! one-step groups too, for the same compile-time specialisation. Casts (`Unary(Identity)`) are
//! left alone: they are type changes the planner aliases.

use super::{Context, Pass};
use crate::error::{Error, Result};
use crate::ir::{Fused, FusedArg, FusedStep, Graph, Op, UnaryOp, ValueId};

/// See the module docs.
pub struct FuseElementwise;

impl Pass for FuseElementwise {
    fn name(&self) -> &'static str {
        "fuse-elementwise"
    }

    fn run(&self, g: &mut Graph, _cx: &Context) -> Result<()> {
        let (uses, producer) = super::readers_and_producers(g);
        let mut absorbed = vec![false; g.nodes.len()];
        let mut fused: Vec<Option<(Fused, Vec<ValueId>)>> = vec![None; g.nodes.len()];
        for root in (0..g.nodes.len()).rev() {
            if absorbed[root] || !is_elementwise(&g.nodes[root].op) {
                continue;
            }
            let mut group =
                Group { g, uses: &uses, producer: &producer, absorbed: &mut absorbed, steps: vec![], inputs: vec![] };
            let shape = g.value(g.nodes[root].output).shape.clone();
            group.absorb(root, &shape)?;
            let (steps, inputs) = (group.steps, group.inputs);
            fused[root] = Some((Fused { steps, sum_from: None }, inputs));
        }
        let mut nodes = vec![];
        for (i, mut n) in std::mem::take(&mut g.nodes).into_iter().enumerate() {
            if absorbed[i] {
                continue;
            }
            if let Some((f, inputs)) = fused[i].take() {
                n.op = Op::Fused(f);
                n.inputs = inputs;
            }
            nodes.push(n);
        }
        g.nodes = nodes;
        Ok(())
    }
}

fn is_elementwise(op: &Op) -> bool {
    matches!(op, Op::Binary(_) | Op::Select) || matches!(op, Op::Unary(u) if *u != UnaryOp::Identity)
}

/// A group under construction: steps in evaluation order, operands in first-use order.
struct Group<'a> {
    g: &'a Graph,
    uses: &'a [usize],
    producer: &'a [Option<usize>],
    absorbed: &'a mut [bool],
    steps: Vec<FusedStep>,
    inputs: Vec<ValueId>,
}

impl Group<'_> {
    /// Adds node `n` (and, first, every producer it can absorb); returns its step.
    fn absorb(&mut self, n: usize, shape: &[usize]) -> Result<FusedArg> {
        let node = &self.g.nodes[n];
        let mut args = vec![];
        for v in node.inputs.clone() {
            args.push(self.arg(v, shape)?);
        }
        let step = match (&node.op, args.as_slice()) {
            (Op::Unary(u), [a]) => FusedStep::Unary(*u, *a),
            (Op::Binary(b), [x, y]) => FusedStep::Binary(*b, *x, *y),
            (Op::Select, [c, x, y]) => FusedStep::Select(*c, *x, *y),
            _ => return Err(Error::Internal(format!("element-wise node '{}' has the wrong operand count", node.name))),
        };
        self.steps.push(step);
        Ok(FusedArg::Step(self.steps.len() - 1))
    }

    fn arg(&mut self, v: ValueId, shape: &[usize]) -> Result<FusedArg> {
        if let Some(p) = self.producer[v.index()] {
            let joins = !self.absorbed[p]
                && self.uses[v.index()] == 1
                && is_elementwise(&self.g.nodes[p].op)
                && self.g.value(v).shape == shape;
            if joins {
                self.absorbed[p] = true;
                return self.absorb(p, shape);
            }
        }
        let k = match self.inputs.iter().position(|&x| x == v) {
            Some(k) => k,
            None => {
                self.inputs.push(v);
                self.inputs.len() - 1
            }
        };
        Ok(FusedArg::Input(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{verify::verify, BinaryOp, DType, Value, ValueKind};

    fn input(g: &mut Graph, name: &str, shape: Vec<usize>, k: usize) -> ValueId {
        let v = g.add_value(Value::new(name, shape, DType::F32, ValueKind::Input(k)));
        g.inputs.push(v);
        v
    }

    #[test]
    fn a_chain_becomes_one_node_and_shared_or_broadcast_values_stay_apart() {
        let mut g = Graph::default();
        let x = input(&mut g, "x", vec![2, 3], 0);
        let b = input(&mut g, "b", vec![3], 1);
        let add =
            |g: &mut Graph, n: &str, a, c| g.add_node(n, Op::Binary(BinaryOp::Add), vec![a, c], vec![2, 3], DType::F32);
        let s = add(&mut g, "s", x, b); // one reader, same shape: absorbed
        let t = g.add_node("t", Op::Unary(UnaryOp::Tanh), vec![s], vec![2, 3], DType::F32);
        let shared = g.add_node("shared", Op::Unary(UnaryOp::Neg), vec![x], vec![2, 3], DType::F32); // two readers
        let u = add(&mut g, "u", t, shared);
        let y = add(&mut g, "y", u, shared);
        let small = g.add_node("small", Op::Unary(UnaryOp::Exp), vec![b], vec![3], DType::F32); // other shape
        let z = add(&mut g, "z", y, small);
        g.outputs.push(z);
        g.outputs.push(y); // a graph output is never absorbed
        FuseElementwise.run(&mut g, &Context::f32(&crate::target::Target::load("host").expect("host"))).expect("runs");
        verify(&g).expect("verifies");
        let ops: Vec<String> = g.nodes.iter().map(|n| format!("{}={}", n.name, n.op.summary())).collect();
        assert_eq!(
            ops,
            vec![
                "shared=Fused(Neg(x0))",
                "y=Fused(Add(Add(Tanh(Add(x0, x1)), x2), x2))",
                "small=Fused(Exp(x0))",
                "z=Fused(Add(x0, x1))",
            ]
        );
        assert_eq!(g.nodes[1].inputs, vec![x, b, shared]);
    }

    #[test]
    fn casts_are_left_alone() {
        let mut g = Graph::default();
        let x = input(&mut g, "x", vec![4], 0);
        let c = g.add_node("c", Op::Unary(UnaryOp::Identity), vec![x], vec![4], DType::F32);
        g.outputs.push(c);
        FuseElementwise.run(&mut g, &Context::f32(&crate::target::Target::load("host").expect("host"))).expect("runs");
        assert_eq!(g.nodes[0].op, Op::Unary(UnaryOp::Identity));
    }
}
