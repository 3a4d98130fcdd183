//! Strided copies (transpose, slice, concatenation pieces, padding interiors) and fills.

use crate::nd::{at, Rows};

/// A strided view on each side of a copy.
///
/// Element `i` (a multi-index over `shape`) moves from `src[src_offset + Σ_d i_d * src_strides[d]]`
/// to `dst[dst_offset + Σ_d i_d * dst_strides[d]]`. Negative source strides express reversed
/// slices; a zero source stride broadcasts (Expand).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyParams<'a> {
    /// Shape of the copied block.
    pub shape: &'a [usize],
    /// Source index of the block's first element.
    pub src_offset: usize,
    /// Source strides (`shape.len()` entries).
    pub src_strides: &'a [isize],
    /// Destination index of the block's first element.
    pub dst_offset: usize,
    /// Destination strides (`shape.len()` entries).
    pub dst_strides: &'a [isize],
}

/// Copies the block described by `p` from `src` into `dst`.
///
/// Preconditions: stride slices have `p.shape.len()` entries; all indices `p` describes lie
/// inside `src` and `dst`; distinct source elements do not map to the same destination element
/// (otherwise the last write wins). Rows that are contiguous on both sides become `memcpy`s.
pub fn strided_copy(p: &CopyParams, src: &[f32], dst: &mut [f32]) {
    debug_assert_eq!(p.src_strides.len(), p.shape.len());
    debug_assert_eq!(p.dst_strides.len(), p.shape.len());
    let rows =
        Rows::new(p.shape, [Some(p.dst_strides), Some(p.src_strides)], [p.dst_offset as isize, p.src_offset as isize]);
    let n = rows.n;
    let [sd, ss] = rows.inner;
    // Every access is checked (`get`, iterators): an index outside `src` or `dst` (which the
    // preconditions exclude) is skipped, never a panic.
    for [d0, s0] in rows {
        let (d, s) = (d0 as usize, s0 as usize);
        match (sd, ss) {
            (1, 1) => {
                if let (Some(o), Some(x)) = (dst.get_mut(d..d.saturating_add(n)), src.get(s..s.saturating_add(n))) {
                    for (o, &x) in o.iter_mut().zip(x) {
                        *o = x;
                    }
                }
            }
            (1, 0) => {
                if let (Some(o), Some(&x)) = (dst.get_mut(d..d.saturating_add(n)), src.get(s)) {
                    o.fill(x);
                }
            }
            (1, _) => {
                for (i, o) in dst.iter_mut().skip(d).take(n).enumerate() {
                    if let Some(&x) = src.get(at(s0, i, ss)) {
                        *o = x;
                    }
                }
            }
            _ => {
                for i in 0..n {
                    if let (Some(o), Some(&x)) = (dst.get_mut(at(d0, i, sd)), src.get(at(s0, i, ss))) {
                        *o = x;
                    }
                }
            }
        }
    }
}

/// Sets every element of `dst` to `value`.
pub fn fill(dst: &mut [f32], value: f32) {
    dst.fill(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{indices, offset, rand_shape, rand_view, row_major, Rng};

    #[test]
    fn transpose_slice_reverse_pad() {
        // transpose [2,3] -> [3,2]
        let src = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let mut dst = [0.0; 6];
        let p = CopyParams { shape: &[3, 2], src_offset: 0, src_strides: &[1, 3], dst_offset: 0, dst_strides: &[2, 1] };
        strided_copy(&p, &src, &mut dst);
        assert_eq!(dst, [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        // reversed slice src[4:0:-2] of a 1-D tensor
        let mut d2 = [0.0; 2];
        let p = CopyParams { shape: &[2], src_offset: 4, src_strides: &[-2], dst_offset: 0, dst_strides: &[1] };
        strided_copy(&p, &src, &mut d2);
        assert_eq!(d2, [4.0, 2.0]);
        // pad interior: [2,3] into the middle of a [4,5] zero tensor
        let mut padded = [0.0; 20];
        fill(&mut padded, 0.0);
        let p = CopyParams { shape: &[2, 3], src_offset: 0, src_strides: &[3, 1], dst_offset: 6, dst_strides: &[5, 1] };
        strided_copy(&p, &src, &mut padded);
        assert_eq!(padded[5..10], [0.0, 0.0, 1.0, 2.0, 0.0]);
        assert_eq!(padded[10..15], [0.0, 3.0, 4.0, 5.0, 0.0]);
        // concat piece: second input [2,1] into column 3 of a [2,4] output
        let mut cat = [9.0; 8];
        let p = CopyParams { shape: &[2, 1], src_offset: 0, src_strides: &[1, 1], dst_offset: 3, dst_strides: &[4, 1] };
        strided_copy(&p, &[7.0, 8.0], &mut cat);
        assert_eq!(cat, [9.0, 9.0, 9.0, 7.0, 9.0, 9.0, 9.0, 8.0]);
    }

    #[test]
    fn property_random_views() {
        let mut rng = Rng::new(9);
        for _ in 0..400 {
            let rank = rng.below(6);
            let shape = rand_shape(&mut rng, rank, 4);
            let (so, ss, slen) = rand_view(&mut rng, &shape);
            let src = rng.vec(slen, -1.0, 1.0);
            // destination: a permuted (possibly reversed) layout without broadcast
            let n: usize = shape.iter().product();
            let mut perm: std::vec::Vec<usize> = (0..rank).collect();
            for i in (1..rank).rev() {
                let j = rng.below(i + 1);
                perm.swap(i, j);
            }
            let pshape: std::vec::Vec<usize> = perm.iter().map(|&d| shape[d]).collect();
            let prm = row_major(&pshape);
            let mut ds = std::vec![0isize; rank];
            for (k, &d) in perm.iter().enumerate() {
                ds[d] = prm[k];
            }
            let mut doff = 0isize;
            if rank > 0 && rng.bool() {
                doff += ds[0] * (shape[0] as isize - 1);
                ds[0] = -ds[0];
            }
            let p = CopyParams {
                shape: &shape,
                src_offset: so,
                src_strides: &ss,
                dst_offset: doff as usize,
                dst_strides: &ds,
            };
            let mut dst = std::vec![f32::NAN; n];
            strided_copy(&p, &src, &mut dst);
            let mut want = std::vec![f32::NAN; n];
            for i in indices(&shape) {
                want[offset(doff as usize, &i, &ds)] = src[offset(so, &i, &ss)];
            }
            assert_eq!(dst, want);
        }
    }
}
