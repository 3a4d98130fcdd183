//! Sum epilogues: a `ReduceSum` over trailing axes whose operand is a fused element-wise
//! expression read by nothing else becomes that expression with a sum at the end
//! (`Fused::sum_from`), evaluated and accumulated in one loop nest.
//!
//! Why: an S4D layer's output is `Σ_n Re(C_n · x_n)` over the state: the element-wise products
//! (a [128, 32] tensor per layer and step) were written to the arena by one loop and read back by
//! a generic reduction kernel, which paid a second pass, its run-time geometry and a copy's worth
//! of memory traffic. Fused, the products stay in registers and the summed tensor is never
//! allocated.
//!
//! Only trailing axes (a suffix of the shape, more than one element in all) are taken, so that
//! each output element is one contiguous run of the innermost loops; `Mean`, `Max` and the
//! others stay reductions. The sum is in row-major order from `0.0`, a valid order for ONNX
//! `ReduceSum` (the reduction kernel's interleaved partial sums are another).

use super::{Context, Pass};
use crate::error::Result;
use crate::ir::{Fused, Graph, Op, Reduce, ReduceOp};

/// See the module docs.
pub struct FuseSum;

impl Pass for FuseSum {
    fn name(&self) -> &'static str {
        "fuse-sum"
    }

    fn run(&self, g: &mut Graph, _cx: &Context) -> Result<()> {
        let (uses, producer) = super::readers_and_producers(g);
        let mut absorbed = vec![false; g.nodes.len()];
        for r in 0..g.nodes.len() {
            let Op::Reduce(Reduce { op: ReduceOp::Sum, axes }) = &g.nodes[r].op else { continue };
            let Some(&x) = g.nodes[r].inputs.first() else { continue };
            let Some(p) = producer[x.index()] else { continue };
            let Op::Fused(Fused { steps, sum_from: None }) = &g.nodes[p].op else { continue };
            let shape = &g.value(x).shape;
            let Some(&from) = axes.first() else { continue };
            let trailing = axes.iter().copied().eq(from..shape.len());
            if uses[x.index()] != 1 || !trailing || shape[from..].iter().product::<usize>() < 2 {
                continue;
            }
            let fused = Fused { steps: steps.clone(), sum_from: Some(from) };
            let inputs = g.nodes[p].inputs.clone();
            absorbed[p] = true;
            let n = &mut g.nodes[r];
            n.op = Op::Fused(fused);
            n.inputs = inputs;
        }
        let mut i = 0;
        g.nodes.retain(|_| {
            i += 1;
            !absorbed[i - 1]
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{verify::verify, BinaryOp, DType, Value, ValueKind};
    use crate::passes::fuse_elementwise::FuseElementwise;

    fn input(g: &mut Graph, name: &str, shape: Vec<usize>, k: usize) -> crate::ir::ValueId {
        let v = g.add_value(Value::new(name, shape, DType::F32, ValueKind::Input(k)));
        g.inputs.push(v);
        v
    }

    #[test]
    fn a_trailing_sum_of_a_private_expression_is_fused_and_others_are_not() {
        let mut g = Graph::default();
        let a = input(&mut g, "a", vec![2, 3, 4], 0);
        let b = input(&mut g, "b", vec![3, 4], 1);
        let sum = |axes: Vec<usize>| Op::Reduce(Reduce { op: ReduceOp::Sum, axes });
        let m = g.add_node("m", Op::Binary(BinaryOp::Mul), vec![a, b], vec![2, 3, 4], DType::F32);
        let s = g.add_node("s", sum(vec![1, 2]), vec![m], vec![2, 1, 1], DType::F32);
        // read twice: stays
        let t = g.add_node("t", Op::Binary(BinaryOp::Add), vec![a, b], vec![2, 3, 4], DType::F32);
        let u = g.add_node("u", sum(vec![2]), vec![t], vec![2, 3, 1], DType::F32);
        // not trailing: stays
        let v = g.add_node("v", Op::Binary(BinaryOp::Sub), vec![a, b], vec![2, 3, 4], DType::F32);
        let w = g.add_node("w", sum(vec![1]), vec![v], vec![2, 1, 4], DType::F32);
        g.outputs.extend([s, u, t, w]);
        FuseElementwise.run(&mut g, &Context::f32(&crate::target::Target::load("host").expect("host"))).expect("runs");
        FuseSum.run(&mut g, &Context::f32(&crate::target::Target::load("host").expect("host"))).expect("runs");
        verify(&g).expect("verifies");
        let ops: Vec<String> = g.nodes.iter().map(|n| format!("{}={}", n.name, n.op.summary())).collect();
        assert_eq!(
            ops,
            vec![
                "s=Fused(Sum[1..](Mul(x0, x1)))",
                "t=Fused(Add(x0, x1))",
                "u=ReduceSum(axes=[2])",
                "v=Fused(Sub(x0, x1))",
                "w=ReduceSum(axes=[1])",
            ]
        );
        assert_eq!(g.nodes[0].inputs, vec![a, b]);
    }
}
