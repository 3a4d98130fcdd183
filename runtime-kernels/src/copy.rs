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

/// A copy specialised at compile time on its geometry: `R` rows of `C` elements, row `r` element
/// `c` from `src[SO + r SR + c SC]` to `dst[DO + r DR + c]` (destination rows contiguous: a
/// transpose, slice, broadcast or concatenation piece after the compiler merged axes). Literal
/// bounds and strides; no panicking path (checked views and loads, which fold away on the
/// constants; with non-negative strides one view of `src` is taken up front).
#[inline(always)]
pub fn copy2<
    const R: usize,
    const C: usize,
    const SO: usize,
    const SR: isize,
    const SC: isize,
    const DO: usize,
    const DR: usize,
>(
    src: &[f32],
    dst: &mut [f32],
) {
    let src = if SR >= 0 && SC >= 0 && R * C > 0 {
        let n = SO + (R - 1) * SR as usize + (C - 1) * SC as usize + 1;
        match src.get(..n) {
            Some(s) => s,
            None => return,
        }
    } else {
        src
    };
    for r in 0..R {
        let d = DO + r * DR;
        let Some(row) = dst.get_mut(d..d + C) else { continue };
        let s = SO as isize + r as isize * SR;
        if SC == 1 {
            if let Some(x) = src.get(s as usize..s as usize + C) {
                for (o, &v) in row.iter_mut().zip(x) {
                    *o = v;
                }
            }
        } else {
            for (c, o) in row.iter_mut().enumerate() {
                if let Some(&v) = src.get((s + c as isize * SC) as usize) {
                    *o = v;
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

    /// `copy2` against the element-by-element definition and, bit for bit, [`strided_copy`].
    fn check_copy2<
        const R: usize,
        const C: usize,
        const SO: usize,
        const SR: isize,
        const SC: isize,
        const DO: usize,
        const DR: usize,
    >(
        src_len: usize,
        dst_len: usize,
    ) {
        let src: std::vec::Vec<f32> = (0..src_len).map(|i| i as f32 + 0.5).collect();
        let mut got = std::vec![-1.0f32; dst_len];
        copy2::<R, C, SO, SR, SC, DO, DR>(&src, &mut got);
        let mut want = std::vec![-1.0f32; dst_len];
        for r in 0..R {
            for c in 0..C {
                want[DO + r * DR + c] = src[(SO as isize + r as isize * SR + c as isize * SC) as usize];
            }
        }
        assert_eq!(got, want, "R={R} C={C} SO={SO} SR={SR} SC={SC} DO={DO} DR={DR}");
        let p = CopyParams {
            shape: &[R, C],
            src_offset: SO,
            src_strides: &[SR, SC],
            dst_offset: DO,
            dst_strides: &[DR as isize, 1],
        };
        let mut general = std::vec![-1.0f32; dst_len];
        strided_copy(&p, &src, &mut general);
        assert_eq!(got, general);
    }

    #[test]
    fn copy2_matches_definition_and_strided_copy() {
        check_copy2::<129, 396, 0, 1, 129, 0, 396>(129 * 396, 129 * 396); // ccfc's transpose
        check_copy2::<16, 16, 32, 48, 1, 0, 16>(16 * 48, 256); // a slice of columns
        check_copy2::<3, 5, 4, 5, 1, 2, 12>(20, 36); // concat piece into wider rows at an offset
        check_copy2::<1, 7, 6, 0, -1, 0, 7>(7, 7); // reversed
        check_copy2::<4, 3, 0, 1, 0, 0, 3>(4, 12); // broadcast along columns
        check_copy2::<1, 1, 0, 0, 1, 0, 1>(1, 1); // one element
        check_copy2::<5, 2, 9, -2, 1, 0, 2>(11, 10); // rows walked backwards
    }

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
