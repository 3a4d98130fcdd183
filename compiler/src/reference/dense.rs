//! `Op::Dense`: `out[r, j] = Σ_k x[r, k] · w[k, j]` over the rows `r` of `x [..., K]` with
//! `w [K, N]` (row-major, as the IR holds it; the back end's packing is its own business). The
//! sum runs from 0.0 in order of `k`.

use super::index::count;
use crate::ir::Dense;

/// See the module docs; `out_shape` is `x`'s shape with the last axis `N`.
pub(super) fn dense(d: &Dense, x: &[f32], w: &[f32], out_shape: &[usize]) -> Vec<f32> {
    let rows = count(out_shape.get(..out_shape.len().saturating_sub(1)).unwrap_or(&[]));
    let mut out = vec![0.0f32; rows * d.n];
    for r in 0..rows {
        for j in 0..d.n {
            let mut acc = 0.0f32;
            for k in 0..d.k {
                acc += x[r * d.k + k] * w[k * d.n + j];
            }
            out[r * d.n + j] = acc;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_times_matrix_by_hand() {
        // x [2, 1, 3] rows (1, 2, 3), (4, 5, 6); w [3, 2] = [[1, 0], [0, 1], [1, -1]]
        let w = [1.0, 0.0, 0.0, 1.0, 1.0, -1.0];
        let out = dense(&Dense { k: 3, n: 2 }, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &w, &[2, 1, 2]);
        assert_eq!(out, vec![1.0 + 3.0, 2.0 - 3.0, 4.0 + 6.0, 5.0 - 6.0]);
        // a vector input [K] gives [N]
        assert_eq!(dense(&Dense { k: 3, n: 2 }, &[1.0, 1.0, 1.0], &w, &[2]), vec![2.0, 0.0]);
    }
}
