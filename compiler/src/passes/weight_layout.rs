//! Lays out constant EinSum operands for the contraction kernel's fast path.
//!
//! The kernel runs an `i, k, j` (axpy) loop when the output's innermost axis walks operand `b`
//! with stride 1 — for a Linear layer, weights stored `[In, Out]` rather than PyTorch's
//! `[Out, In]`. When `b` is a constant and that axis is not already its last, this pass permutes
//! the constant at compile time (a new constant; the original may have other readers) and
//! renumbers the einsum's `b` positions. The result is the same numbers in a different order.

use super::{Context, Pass};
use crate::error::Result;
use crate::ir::{Graph, Op};

/// See the module docs.
pub struct WeightLayout;

impl Pass for WeightLayout {
    fn name(&self) -> &'static str {
        "weight-layout"
    }

    fn run(&self, g: &mut Graph, _cx: &Context) -> Result<()> {
        for n in 0..g.nodes.len() {
            let Op::EinSum(e) = &g.nodes[n].op else { continue };
            let b = g.nodes[n].inputs[1];
            let Some(data) = g.value(b).const_data() else { continue };
            let out_rank = e.axes.iter().filter(|a| a.out.is_some()).count();
            let Some(inner) = e.axes.iter().find(|a| out_rank > 0 && a.out == Some(out_rank - 1)) else { continue };
            let shape = g.value(b).shape.clone();
            let Some(p) = inner.b else { continue };
            if p + 1 == shape.len() || inner.size == 1 {
                continue;
            }
            // New axis order of b: every axis but p, then p.
            let order: Vec<usize> = (0..shape.len()).filter(|&d| d != p).chain([p]).collect();
            let new_shape: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
            let data = permute(data, &shape, &order);
            let name = format!("{}.k_major", g.value(b).name);
            let nb = g.add_const(name, new_shape, data);
            let Op::EinSum(e) = &mut g.nodes[n].op else { continue };
            for ax in &mut e.axes {
                if let Some(old) = ax.b {
                    ax.b = order.iter().position(|&d| d == old);
                }
            }
            g.nodes[n].inputs[1] = nb;
        }
        Ok(())
    }
}

/// Row-major strides (in elements) of `shape`.
pub(super) fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// Row-major transpose: output axis `i` is input axis `order[i]` (a permutation of every axis).
pub(super) fn permute(data: &[f32], shape: &[usize], order: &[usize]) -> Vec<f32> {
    let rank = shape.len();
    let in_strides = contiguous_strides(shape);
    let out_shape: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
    let mut idx = vec![0usize; rank];
    let mut out = Vec::with_capacity(data.len());
    for _ in 0..data.len() {
        out.push(data[(0..rank).map(|i| idx[i] * in_strides[order[i]]).sum::<usize>()]);
        for d in (0..rank).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_transposes() {
        // [[0, 1, 2], [3, 4, 5]] → [[0, 3], [1, 4], [2, 5]]
        assert_eq!(permute(&[0., 1., 2., 3., 4., 5.], &[2, 3], &[1, 0]), vec![0., 3., 1., 4., 2., 5.]);
        let x: Vec<f32> = (0..24).map(|v| v as f32).collect();
        assert_eq!(permute(&x, &[2, 3, 4], &[0, 1, 2]), x);
        assert_eq!(permute(&x, &[2, 3, 4], &[0, 2, 1])[..4], [0., 4., 8., 1.]);
    }
}
