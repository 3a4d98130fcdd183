//! Stride arithmetic for kernel parameters: row-major strides, broadcast strides, and collapsing
//! of axes that every operand walks contiguously (fewer axes → tighter kernel loops).

/// Row-major strides of a shape.
pub fn row_major(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for d in (0..shape.len()).rev() {
        s[d] = acc;
        acc *= shape[d] as isize;
    }
    s
}

/// Strides to read `shape` broadcast (numpy rules) to `out`: 0 on broadcast axes.
pub fn broadcast(shape: &[usize], out: &[usize]) -> Vec<isize> {
    let own = row_major(shape);
    let lead = out.len() - shape.len();
    (0..out.len()).map(|d| if d < lead || shape[d - lead] == 1 { 0 } else { own[d - lead] }).collect()
}

/// Drops size-1 axes and merges neighbours `d, d+1` when every stride set has
/// `s[d] == s[d+1] · shape[d+1]`. The walk over elements is unchanged.
pub fn collapse(shape: &[usize], sets: &[Vec<isize>]) -> (Vec<usize>, Vec<Vec<isize>>) {
    let keep: Vec<usize> = (0..shape.len()).filter(|&d| shape[d] != 1).collect();
    let mut out_shape: Vec<usize> = vec![];
    let mut out_sets: Vec<Vec<isize>> = vec![vec![]; sets.len()];
    for d in keep {
        let mergeable = !out_shape.is_empty()
            && sets.iter().zip(&out_sets).all(|(s, o)| o.last().copied() == Some(s[d] * shape[d] as isize));
        if mergeable {
            *out_shape.last_mut().expect("non-empty") *= shape[d];
            for (s, o) in sets.iter().zip(out_sets.iter_mut()) {
                *o.last_mut().expect("non-empty") = s[d];
            }
        } else {
            out_shape.push(shape[d]);
            for (s, o) in sets.iter().zip(out_sets.iter_mut()) {
                o.push(s[d]);
            }
        }
    }
    (out_shape, out_sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_merges_contiguous_axes_and_keeps_broadcast_ones() {
        let shape = [2, 3, 4];
        let a = row_major(&shape);
        let b = broadcast(&[3, 1], &shape);
        let (s, sets) = collapse(&shape, &[a.clone(), a.clone()]);
        assert_eq!((s, sets), (vec![24], vec![vec![1], vec![1]]));
        let (s, sets) = collapse(&shape, &[a, b]);
        assert_eq!(s, vec![2, 3, 4]);
        assert_eq!(sets[1], vec![0, 1, 0]);
    }
}
