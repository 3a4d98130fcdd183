//! Stores identical constants once.
//!
//! A weight shared by several nodes reaches the IR as several constants when each use reshapes
//! it, when tract folds a copy per reader, or when [`weight_layout`](super::weight_layout)
//! permutes it per reader (two `Gemm(transB=1)` sharing W give two identical `[In, Out]` arrays).
//! This pass, run after every layout pass, makes every reader of a bit-identical constant (same
//! dtype, shape and f32 bits) read the first one, so the generated crate and the report's weight
//! bytes hold it once. Constants that are graph outputs are left as they are. Equal values with
//! different shapes stay separate (the IR types a value by its shape).

use super::{Context, Pass};
use crate::error::Result;
use crate::ir::{DType, Graph, Quant, ValueId, ValueKind};
use std::collections::HashMap;

/// See the module docs.
pub struct DedupConsts;

impl Pass for DedupConsts {
    fn name(&self) -> &'static str {
        "dedup-consts"
    }

    fn run(&self, g: &mut Graph, _cx: &Context) -> Result<()> {
        let mut first: HashMap<ConstKey, ValueId> = HashMap::new();
        let mut replace: Vec<Option<ValueId>> = vec![None; g.values.len()];
        let used = g.used_values();
        for (i, v) in g.values.iter().enumerate() {
            let ValueKind::Const(data) = &v.kind else { continue };
            if !used[i] || g.outputs.contains(&ValueId(i as u32)) {
                continue;
            }
            let key = (v.dtype, v.shape.clone(), v.quant.as_ref().map(quant_key), data.le_bytes());
            match first.get(&key) {
                Some(&keep) => replace[i] = Some(keep),
                None => {
                    first.insert(key, ValueId(i as u32));
                }
            }
        }
        for n in &mut g.nodes {
            for v in &mut n.inputs {
                if let Some(keep) = replace[v.index()] {
                    *v = keep;
                }
            }
        }
        Ok(())
    }
}

/// Quantization parameters, compared bit for bit.
type QuantKey = (Vec<u32>, Vec<i32>, Option<usize>);

/// What makes two constants the same: type, shape, quantization, bytes.
type ConstKey = (DType, Vec<usize>, Option<QuantKey>, Vec<u8>);

fn quant_key(q: &Quant) -> QuantKey {
    (q.scale.iter().map(|s| s.to_bits()).collect(), q.zero_point.clone(), q.axis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BinaryOp, Op, Value};

    #[test]
    fn identical_constants_become_one() {
        let mut g = Graph::default();
        let x = g.add_value(Value::new("x", vec![2], DType::F32, ValueKind::Input(0)));
        g.inputs.push(x);
        let a = g.add_const("a", vec![2], vec![1.0, -0.0]);
        let b = g.add_const("b", vec![2], vec![1.0, -0.0]);
        let c = g.add_const("c", vec![2], vec![1.0, 0.0]); // +0 and −0 differ in bits: kept apart
        let d = g.add_const("d", vec![1, 2], vec![1.0, -0.0]); // another shape: kept apart
        let mul = Op::Binary(BinaryOp::Mul);
        let y1 = g.add_node("m1", mul.clone(), vec![x, a], vec![2], DType::F32);
        let y2 = g.add_node("m2", mul.clone(), vec![y1, b], vec![2], DType::F32);
        let y3 = g.add_node("m3", mul.clone(), vec![y2, c], vec![2], DType::F32);
        let y4 = g.add_node("m4", mul, vec![y3, d], vec![1, 2], DType::F32);
        g.outputs.push(y4);
        DedupConsts.run(&mut g, &Context::f32(&crate::target::Target::load("host").expect("host"))).expect("runs");
        let reads: Vec<ValueId> = g.nodes.iter().map(|n| n.inputs[1]).collect();
        assert_eq!(reads, vec![a, a, c, d]);
    }
}
