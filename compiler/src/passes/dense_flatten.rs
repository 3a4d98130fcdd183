//! A contraction over several trailing axes of `x` with a constant `w` is a Linear layer over
//! their flattened length: `x[r.., k1, k2] · w[.., k2, .., k1, .., n] → [r.., n]` becomes
//! `reshape(x)[r.., k1·k2] · W[k1·k2, n]` with `W` permuted at compile time into `x`'s order.
//!
//! This is PyTorch's `Linear` after a `flatten` that tract folded into the contraction (the
//! CCfC/CLTC head: `[1, 1, 1, 16, 16]` against `[75, 16, 16]`, the weights' 16 × 16 in the
//! other order). As a [`Dense`] layer it gets the register-tiled kernel and, in int8 builds,
//! integer weights (CCfC's 75 KiB become 19 KiB).
//!
//! Taken: `x`'s leading axes are kept in order as the output's, its trailing axes are summed
//! against `w`, `w` has exactly one axis of its own (after the kept ones in the output), and
//! axes that only one operand or only the output has are of extent 1. The reshapes of `x` and
//! of the result are plan aliases (no copy).

use super::weight_layout::permute;
use crate::ir::{DType, Dense, EinSum, Graph, Node, Op, Value, ValueKind};

/// The nodes replacing node `i` (a reshape of `x`, then the Dense layer computing the node's
/// own output value), if its contraction has the form above (the dense pass asks only when
/// the plain form did not match).
pub fn flatten(g: &mut Graph, i: usize) -> Option<Vec<Node>> {
    let n = &g.nodes[i];
    let Op::EinSum(e) = &n.op else { return None };
    let (x, w, y, name) = (n.inputs[0], n.inputs[1], n.output, n.name.clone());
    let (xs, ws) = (g.value(x).shape.clone(), g.value(w).shape.clone());
    let data = g.value(w).const_data()?.to_vec();
    if g.value(x).is_const() {
        return None;
    }
    let (rows, k_axes_w, n_axis_w, cols) = form(e, xs.len())?;
    let k: usize = xs[rows..].iter().product();
    if k == 0 || cols == 0 {
        return None;
    }
    // W[k][c] in x's order of the summed axes: w's axes permuted (its unit-only axes, which
    // `form` allows alone, just before the column)
    let units = (0..ws.len()).filter(|a| !k_axes_w.contains(a) && *a != n_axis_w);
    let order: Vec<usize> = k_axes_w.iter().copied().chain(units).chain([n_axis_w]).collect();
    let permuted = permute(&data, &ws, &order);
    let wk = g.add_const(format!("{}.flat", g.value(w).name), vec![k, cols], permuted);
    let x_shape: Vec<usize> = xs[..rows].iter().copied().chain([k]).collect();
    let y_shape: Vec<usize> = xs[..rows].iter().copied().chain([cols]).collect();
    let xk = g.add_value(Value::new(format!("{name}.flat_input"), x_shape, DType::F32, ValueKind::Computed));
    let mut nodes = vec![Node { name: format!("{name}.flat_input"), op: Op::Reshape, inputs: vec![x], output: xk }];
    if y_shape == g.value(y).shape {
        nodes.push(Node { name, op: Op::Dense(Dense { k, n: cols }), inputs: vec![xk, wk], output: y });
    } else {
        // unit axes of the output's own: the same elements in the same order
        let yd = g.add_value(Value::new(format!("{name}.flat"), y_shape, DType::F32, ValueKind::Computed));
        nodes.push(Node { name: name.clone(), op: Op::Dense(Dense { k, n: cols }), inputs: vec![xk, wk], output: yd });
        nodes.push(Node { name: format!("{name}.unflat"), op: Op::Reshape, inputs: vec![yd], output: y });
    }
    Some(nodes)
}

/// `(row axes, w's positions of the summed axes in x's order, w's position of the output
/// column axis, its extent)` when `e` has the form of the module docs.
fn form(e: &EinSum, x_rank: usize) -> Option<(usize, Vec<usize>, usize, usize)> {
    let rows = e.axes.iter().filter(|a| a.a.is_some() && a.b.is_none() && a.out.is_some()).count();
    let mut k_axes: Vec<(usize, usize)> = vec![]; // (x position, w position)
    let mut column = None;
    // the output's axes of extent > 1 by position: x's rows in x's order, then w's column
    let mut placed: Vec<(usize, usize)> = vec![]; // (output position, rank: row p or rows for the column)
    for ax in &e.axes {
        match (ax.a, ax.b, ax.out) {
            // a row axis: one of x's leading axes, kept
            (Some(p), None, Some(o)) if p < rows => placed.push((o, p)),
            // summed against w: one of x's trailing axes
            (Some(p), Some(q), None) if p >= rows => k_axes.push((p, q)),
            // summed over one operand alone, or the output's alone: only a unit axis
            (Some(p), None, None) if p >= rows && ax.size == 1 => {}
            (None, Some(_), None) | (None, None, Some(_)) if ax.size == 1 => {}
            // w's own axis: the output's column
            (None, Some(q), Some(o)) if column.is_none() => {
                column = Some((q, ax.size));
                placed.push((o, rows));
            }
            _ => return None,
        }
    }
    let (n_axis, n) = column?;
    placed.sort_unstable();
    let sizes: Vec<usize> =
        placed.iter().map(|&(o, _)| e.axes.iter().find(|a| a.out == Some(o)).map_or(1, |a| a.size)).collect();
    let order: Vec<usize> = placed.iter().zip(&sizes).filter(|(_, &s)| s != 1).map(|(&(_, r), _)| r).collect();
    if order.windows(2).any(|w| w[0] > w[1]) {
        return None; // a reshape could not put the result in the output's order
    }
    k_axes.sort_unstable();
    let x_axes = e.axes.iter().filter(|a| a.a.is_some()).count();
    (x_axes == x_rank).then_some((rows, k_axes.into_iter().map(|(_, q)| q).collect(), n_axis, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::EinAxis;

    #[test]
    fn a_flattened_head_becomes_a_dense_layer() {
        // x[b, e, f] · w[a, f, e] → [a] (CCfC's head: b = 1)
        let mut g = Graph::default();
        let x = g.add_value(Value::new("x", vec![1, 2, 3], DType::F32, ValueKind::Input(0)));
        g.inputs.push(x);
        let data: Vec<f32> = (0..4 * 3 * 2).map(|v| v as f32).collect();
        let w = g.add_const("w", vec![4, 3, 2], data);
        let axes = vec![
            EinAxis { size: 1, a: Some(0), b: None, out: None },
            EinAxis { size: 2, a: Some(1), b: Some(2), out: None },
            EinAxis { size: 3, a: Some(2), b: Some(1), out: None },
            EinAxis { size: 4, a: None, b: Some(0), out: Some(0) },
        ];
        let y = g.add_node("y", Op::EinSum(EinSum { axes }), vec![x, w], vec![4], DType::F32);
        g.outputs.push(y);
        let nodes = flatten(&mut g, 0).expect("the form");
        assert_eq!(nodes[1].op, Op::Dense(Dense { k: 6, n: 4 }));
        assert_eq!(nodes[1].output, y);
        let wk = g.value(nodes[1].inputs[1]).const_data().expect("constant");
        // W[e·3 + f][a] = w[a][f][e] = 6a + 2f + e
        for e in 0..2 {
            for f in 0..3 {
                for a in 0..4 {
                    assert_eq!(wk[(e * 3 + f) * 4 + a], (6 * a + 2 * f + e) as f32);
                }
            }
        }
    }
}
