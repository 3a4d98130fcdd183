//! `Gather` along one axis.

/// `x` viewed as `[outer, axis_len, inner]`; `indices` pick positions along the middle axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatherParams<'a> {
    /// Product of the axes before the gathered one.
    pub outer: usize,
    /// Length of the gathered axis in `x`.
    pub axis_len: usize,
    /// Product of the axes after the gathered one.
    pub inner: usize,
    /// Positions to take, each `< axis_len` (negative ONNX indices are normalised by the
    /// compiler).
    pub indices: &'a [usize],
}

/// `out[o, j, i] = x[o, indices[j], i]`.
///
/// Preconditions: `x.len() == outer * axis_len * inner`,
/// `out.len() == outer * indices.len() * inner`, every index `< axis_len`.
pub fn gather(p: &GatherParams, x: &[f32], out: &mut [f32]) {
    debug_assert_eq!(x.len(), p.outer * p.axis_len * p.inner);
    debug_assert_eq!(out.len(), p.outer * p.indices.len() * p.inner);
    debug_assert!(p.indices.iter().all(|&i| i < p.axis_len));
    let inner = p.inner;
    if inner == 0 || p.indices.is_empty() {
        return;
    }
    let out_block = p.indices.len() * inner;
    let x_block = p.axis_len * inner;
    // `x.get(..)`: an index past `axis_len` (which the compiler rejects) leaves its block
    // untouched rather than panicking.
    for (o, dst) in out.chunks_exact_mut(out_block.max(1)).take(p.outer).enumerate() {
        let base = o * x_block;
        for (&j, d) in p.indices.iter().zip(dst.chunks_exact_mut(inner.max(1))) {
            let s = base + j * inner;
            if let Some(x) = x.get(s..s.saturating_add(inner)) {
                for (d, &x) in d.iter_mut().zip(x) {
                    *d = x;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;

    #[test]
    fn embedding_lookup_and_repeats() {
        // [1, 4, 2] table, indices with repeats
        let x = [0.0, 1.0, 10.0, 11.0, 20.0, 21.0, 30.0, 31.0];
        let p = GatherParams { outer: 1, axis_len: 4, inner: 2, indices: &[3, 0, 3] };
        let mut out = [0.0; 6];
        gather(&p, &x, &mut out);
        assert_eq!(out, [30.0, 31.0, 0.0, 1.0, 30.0, 31.0]);
    }

    #[test]
    fn property_against_naive() {
        let mut rng = Rng::new(4);
        for _ in 0..200 {
            let (outer, axis_len, inner) = (1 + rng.below(4), 1 + rng.below(5), rng.below(4));
            let idx: std::vec::Vec<usize> = (0..rng.below(6)).map(|_| rng.below(axis_len)).collect();
            let x = rng.vec(outer * axis_len * inner, -1.0, 1.0);
            let p = GatherParams { outer, axis_len, inner, indices: &idx };
            let mut out = std::vec![0.0; outer * idx.len() * inner];
            gather(&p, &x, &mut out);
            for o in 0..outer {
                for (j, &k) in idx.iter().enumerate() {
                    for i in 0..inner {
                        assert_eq!(out[(o * idx.len() + j) * inner + i], x[(o * axis_len + k) * inner + i]);
                    }
                }
            }
        }
    }
}
