//! Data movement: Transpose, Slice, Concat, Gather, Pad, BroadcastTo (Reshape is a copy, in
//! `mod.rs`). Each is "for each output index, which input element (or fill value)": the output
//! is walked in row-major order and the input offset computed from the op's IR doc.

use super::index::{broadcast_strides, count, offset, strides, MultiIndex};
use crate::ir::{Concat, Gather, Pad, Slice, Transpose};

/// Output axis `i` is input axis `perm[i]`.
pub(super) fn transpose(t: &Transpose, x: &[f32], shape: &[usize]) -> Vec<f32> {
    let s = strides(shape);
    let out_shape: Vec<usize> = t.perm.iter().map(|&p| shape[p]).collect();
    let read: Vec<usize> = t.perm.iter().map(|&p| s[p]).collect();
    let mut out = Vec::with_capacity(x.len());
    let mut it = MultiIndex::new(&out_shape);
    while let Some(idx) = it.next_index() {
        out.push(x[offset(idx, &read)]);
    }
    out
}

/// Output index `j` on axis `d` reads input index `start[d] + j·step[d]`.
pub(super) fn slice(sl: &Slice, x: &[f32], shape: &[usize], out_shape: &[usize]) -> Vec<f32> {
    let s = strides(shape);
    let mut out = Vec::with_capacity(count(out_shape));
    let mut it = MultiIndex::new(out_shape);
    while let Some(idx) = it.next_index() {
        let at: isize =
            (0..idx.len()).map(|d| (sl.start[d] as isize + idx[d] as isize * sl.step[d]) * s[d] as isize).sum();
        out.push(x[at as usize]);
    }
    out
}

/// The operands one after the other along `axis`.
pub(super) fn concat(c: &Concat, xs: &[&[f32]], shapes: &[&[usize]]) -> Vec<f32> {
    let outer = count(&shapes[0][..c.axis]);
    let inner = count(&shapes[0][c.axis + 1..]);
    let mut out = Vec::with_capacity(xs.iter().map(|x| x.len()).sum());
    for o in 0..outer {
        for (x, s) in xs.iter().zip(shapes) {
            let block = s[c.axis] * inner;
            out.extend_from_slice(&x[o * block..(o + 1) * block]);
        }
    }
    out
}

/// Output index `t` on `axis` reads input index `indices[t]` there.
pub(super) fn gather(g: &Gather, x: &[f32], shape: &[usize]) -> Vec<f32> {
    let outer = count(&shape[..g.axis]);
    let len = shape[g.axis];
    let inner = count(&shape[g.axis + 1..]);
    let mut out = Vec::with_capacity(outer * g.indices.len() * inner);
    for o in 0..outer {
        for &ix in &g.indices {
            let at = (o * len + ix) * inner;
            out.extend_from_slice(&x[at..at + inner]);
        }
    }
    out
}

/// Output index `i` reads input index `i − before` where that lies inside the input, else the
/// fill value.
pub(super) fn pad(p: &Pad, x: &[f32], shape: &[usize], out_shape: &[usize]) -> Vec<f32> {
    let s = strides(shape);
    let mut out = Vec::with_capacity(count(out_shape));
    let mut it = MultiIndex::new(out_shape);
    while let Some(idx) = it.next_index() {
        let mut at = Some(0usize);
        for d in 0..idx.len() {
            at = match (at, idx[d].checked_sub(p.before[d])) {
                (Some(a), Some(i)) if i < shape[d] => Some(a + i * s[d]),
                _ => None,
            };
        }
        out.push(at.map_or(p.value, |a| x[a]));
    }
    out
}

/// Numpy broadcast of `x` to `out_shape`.
pub(super) fn broadcast_to(x: &[f32], shape: &[usize], out_shape: &[usize]) -> Vec<f32> {
    let read = broadcast_strides(shape, out_shape);
    let mut out = Vec::with_capacity(count(out_shape));
    let mut it = MultiIndex::new(out_shape);
    while let Some(idx) = it.next_index() {
        out.push(x[offset(idx, &read)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x [2, 3, 4] with x[a, b, c] = 100a + 10b + c, so every element names its own index.
    fn x() -> Vec<f32> {
        (0..24).map(|i| (100 * (i / 12) + 10 * (i / 4 % 3) + i % 4) as f32).collect()
    }
    fn v(a: usize, b: usize, c: usize) -> f32 {
        (100 * a + 10 * b + c) as f32
    }

    #[test]
    fn transpose_moves_axes() {
        let out = transpose(&Transpose { perm: vec![2, 0, 1] }, &x(), &[2, 3, 4]);
        let mut k = 0;
        for c in 0..4 {
            for a in 0..2 {
                for b in 0..3 {
                    assert_eq!(out[k], v(a, b, c));
                    k += 1;
                }
            }
        }
    }

    #[test]
    fn slice_with_steps_and_reversal() {
        // axis 0: [1], axis 1: start 2 step −2 → [2, 0], axis 2: start 1 step 2 → [1, 3]
        let s = Slice { start: vec![1, 2, 1], step: vec![1, -2, 2] };
        let out = slice(&s, &x(), &[2, 3, 4], &[1, 2, 2]);
        assert_eq!(out, vec![v(1, 2, 1), v(1, 2, 3), v(1, 0, 1), v(1, 0, 3)]);
    }

    #[test]
    fn concat_gather_pad_broadcast() {
        // concat [1, 2] and [1, 1] on axis 1, and on axis 0 with a [1, 2]
        assert_eq!(concat(&Concat { axis: 1 }, &[&[1.0, 2.0], &[3.0]], &[&[1, 2], &[1, 1]]), vec![1.0, 2.0, 3.0]);
        assert_eq!(
            concat(&Concat { axis: 0 }, &[&[1.0, 2.0], &[3.0, 4.0]], &[&[1, 2], &[1, 2]]),
            vec![1.0, 2.0, 3.0, 4.0]
        );
        let out = concat(&Concat { axis: 1 }, &[&[1.0, 2.0, 3.0, 4.0], &[9.0, 8.0]], &[&[2, 2], &[2, 1]]);
        assert_eq!(out, vec![1.0, 2.0, 9.0, 3.0, 4.0, 8.0]);
        // gather indices [2, 0, 2] on axis 1
        let out = gather(&Gather { axis: 1, indices: vec![2, 0, 2] }, &x(), &[2, 3, 4]);
        let want: Vec<f32> =
            (0..2).flat_map(|a| [2, 0, 2].into_iter().flat_map(move |b| (0..4).map(move |c| v(a, b, c)))).collect();
        assert_eq!(out, want);
        // pad [2, 2] by (1, 0) before and (0, 2) after with 7
        let p = Pad { before: vec![1, 0], after: vec![0, 2], value: 7.0 };
        assert_eq!(
            pad(&p, &[1.0, 2.0, 3.0, 4.0], &[2, 2], &[3, 4]),
            vec![7.0, 7.0, 7.0, 7.0, 1.0, 2.0, 7.0, 7.0, 3.0, 4.0, 7.0, 7.0]
        );
        // broadcast [2, 1] to [3, 2, 2]
        assert_eq!(broadcast_to(&[1.0, 2.0], &[2, 1], &[3, 2, 2]), [1.0, 1.0, 2.0, 2.0].repeat(3));
    }
}
