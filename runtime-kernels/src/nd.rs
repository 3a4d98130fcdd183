//! Shared machinery for strided kernels: a row iterator over an n-d index space with several
//! operands, and unrolled reductions.
//!
//! [`Rows`] drops unit axes and merges axes that are contiguous for every operand
//! (`stride[d] == stride[d+1] * shape[d+1]`), so a fully contiguous tensor becomes one row, a
//! per-channel broadcast becomes `[N*C, H*W]`, and so on. Kernels then run a tight loop along each
//! row, specialised on the row strides (1, 0 or other).

/// Axes handled by the odometer after merging; more fall back to index arithmetic per row.
pub(crate) const MAX_RANK: usize = 8;

/// Stride of axis `d` of operand `k`: explicit, or row-major contiguous (`None`).
#[inline]
fn stride_of(s: Option<&[isize]>, d: usize, contiguous: isize) -> isize {
    match s {
        Some(s) => s.get(d).copied().unwrap_or(0),
        None => contiguous,
    }
}

/// Iterator over the rows of an n-d index space shared by `K` operands.
///
/// Yields the element offset of each row's first element for every operand; rows have
/// [`Rows::n`] elements spaced [`Rows::inner`] apart.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a, const K: usize> {
    outer: usize,
    shape: [usize; MAX_RANK],
    strides: [[isize; K]; MAX_RANK],
    idx: [usize; MAX_RANK],
    off: [isize; K],
    /// Elements per row.
    pub n: usize,
    /// Per-operand stride along a row.
    pub inner: [isize; K],
    remaining: usize,
    /// Rank too high for the odometer: decompose row numbers by division instead.
    slow: Option<Slow<'a, K>>,
}

#[derive(Clone, Copy)]
struct Slow<'a, const K: usize> {
    shape: &'a [usize],
    strides: [Option<&'a [isize]>; K],
    base: [isize; K],
    row: usize,
}

impl<'a, const K: usize> Rows<'a, K> {
    /// Rows of `shape` for `K` operands with the given strides (`None` = row-major contiguous)
    /// and base offsets.
    pub(crate) fn new(shape: &'a [usize], strides: [Option<&'a [isize]>; K], base: [isize; K]) -> Self {
        for s in strides.iter().flatten() {
            debug_assert_eq!(s.len(), shape.len(), "stride rank must match shape rank");
        }
        let mut rows = Rows {
            outer: 0,
            shape: [1; MAX_RANK],
            strides: [[0; K]; MAX_RANK],
            idx: [0; MAX_RANK],
            off: base,
            n: 1,
            inner: [0; K],
            remaining: 0,
            slow: None,
        };
        let numel: usize = shape.iter().product();
        if numel == 0 {
            rows.n = 0;
            return rows;
        }
        // Merge from the innermost axis outwards into `dims` (innermost first). Every access is
        // checked (`get`), so no panicking path exists whatever the parameters.
        let mut dims_shape = [1usize; MAX_RANK + 1];
        let mut dims_strides = [[0isize; K]; MAX_RANK + 1];
        let mut count = 0usize;
        let mut contiguous: isize = 1;
        for (d, &size) in shape.iter().enumerate().rev() {
            if size != 1 {
                let mut st = [0isize; K];
                for (s, stride) in st.iter_mut().zip(&strides) {
                    *s = stride_of(*stride, d, contiguous);
                }
                let prev = count.checked_sub(1).and_then(|c| Some((dims_shape.get_mut(c)?, dims_strides.get(c)?)));
                match prev {
                    Some((ps, pst)) if st.iter().zip(pst).all(|(&s, &p)| s == p * *ps as isize) => *ps *= size,
                    _ => {
                        if let (Some(ds), Some(dst)) = (dims_shape.get_mut(count), dims_strides.get_mut(count)) {
                            *ds = size;
                            *dst = st;
                            count += 1;
                        } else {
                            rows.slow = Some(Slow { shape, strides, base, row: 0 });
                            let n = shape.last().copied().unwrap_or(1);
                            rows.n = n;
                            let last = shape.len().saturating_sub(1);
                            for (s, stride) in rows.inner.iter_mut().zip(&strides) {
                                *s = stride_of(*stride, last, 1);
                            }
                            rows.remaining = numel.checked_div(n).unwrap_or(0);
                            return rows;
                        }
                    }
                }
            }
            contiguous *= size as isize;
        }
        if count > 0 {
            rows.n = dims_shape[0];
            rows.inner = dims_strides[0];
            rows.outer = count - 1;
            // outer axis j (outermost first) is dims[count - 1 - j]
            let outer_dims = dims_shape.iter().zip(&dims_strides).skip(1).take(rows.outer).rev();
            for ((s, st), (&ds, dst)) in rows.shape.iter_mut().zip(rows.strides.iter_mut()).zip(outer_dims) {
                *s = ds;
                *st = *dst;
            }
        }
        rows.remaining = numel.checked_div(rows.n).unwrap_or(0);
        rows
    }

    /// The innermost outer axis (size, strides), if there is one and the odometer is in use.
    pub(crate) fn last_outer(&self) -> Option<(usize, [isize; K])> {
        if self.slow.is_some() {
            return None;
        }
        let d = self.outer.checked_sub(1)?;
        Some((*self.shape.get(d)?, *self.strides.get(d)?))
    }

    /// Number of outer axes (0: a single row, or empty).
    pub(crate) fn outer_rank(&self) -> usize {
        if self.slow.is_some() {
            usize::MAX
        } else {
            self.outer
        }
    }

    /// Removes the innermost outer axis and returns its size and strides, so the caller can
    /// treat `(that axis, row)` as a matrix. Only before iteration starts; `None` if there is no
    /// such axis (or the index space was too deep for the odometer).
    pub(crate) fn peel_outer(&mut self) -> Option<(usize, [isize; K])> {
        let (size, strides) = self.last_outer()?;
        self.outer -= 1;
        if let Some(s) = self.shape.get_mut(self.outer) {
            *s = 1;
        }
        self.remaining = self.remaining.checked_div(size).unwrap_or(0);
        Some((size, strides))
    }
}

impl<const K: usize> Iterator for Rows<'_, K> {
    type Item = [isize; K];

    #[inline]
    fn next(&mut self) -> Option<[isize; K]> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if let Some(slow) = self.slow.as_mut() {
            let mut off = slow.base;
            let mut r = slow.row;
            slow.row += 1;
            let mut contiguous = slow.shape.last().copied().unwrap_or(1) as isize;
            for (d, &size) in slow.shape.iter().enumerate().rev().skip(1) {
                let i = r.checked_rem(size).unwrap_or(0) as isize;
                r = r.checked_div(size).unwrap_or(0);
                for (o, s) in off.iter_mut().zip(&slow.strides) {
                    *o += i * stride_of(*s, d, contiguous);
                }
                contiguous *= size as isize;
            }
            return Some(off);
        }
        let cur = self.off;
        if self.remaining > 0 {
            // odometer over the outer axes, innermost first
            let axes = self.idx.iter_mut().zip(&self.shape).zip(&self.strides).take(self.outer).rev();
            for ((idx, &size), st) in axes {
                *idx += 1;
                for (o, s) in self.off.iter_mut().zip(st) {
                    *o += s;
                }
                if *idx < size {
                    break;
                }
                for (o, s) in self.off.iter_mut().zip(st) {
                    *o -= s * size as isize;
                }
                *idx = 0;
            }
        }
        Some(cur)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Element index `base + i * stride`; callers guarantee it is in range.
#[inline(always)]
pub(crate) fn at(base: isize, i: usize, stride: isize) -> usize {
    (base + i as isize * stride) as usize
}

/// Long sums are split into blocks of this many terms (per lane), each block summed from zero and
/// then added to the running total: this "blocked summation" keeps the rounding error growing
/// with `BLOCK + n / BLOCK` instead of `n`, at the cost of one extra add per block.
pub(crate) const BLOCK: usize = 64;

/// `Σ a[i] * b[i]` over `min(a.len(), b.len())` elements: blocks of `4 * BLOCK` elements, each
/// with 4 interleaved partial sums (lane `i % 4`) combined as `(l0 + l2) + (l1 + l3)`, then the
/// block's remaining elements in order; the block results are added in order starting from 0.
/// [`dot4`] computes bit-identical results.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (a.get(..n).unwrap_or(&[]), b.get(..n).unwrap_or(&[]));
    let mut total = 0.0f32;
    for (x, y) in a.chunks(4 * BLOCK).zip(b.chunks(4 * BLOCK)) {
        total += dot_block(x, y);
    }
    total
}

#[inline(always)]
fn dot_block(a: &[f32], b: &[f32]) -> f32 {
    let (ca, ta) = a.as_chunks::<4>();
    let (cb, tb) = b.as_chunks::<4>();
    let mut acc = [0.0f32; 4];
    for (x, y) in ca.iter().zip(cb) {
        for ((s, &x), &y) in acc.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    let mut r = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (&x, &y) in ta.iter().zip(tb) {
        r += x * y;
    }
    r
}

/// `[dot(a, b[0]), .., dot(a, b[3])]`, sharing the loads of `a` (each `b[q]` must hold at least
/// `a.len()` elements).
#[inline]
pub(crate) fn dot4<'b>(a: &[f32], b: [&'b [f32]; 4]) -> [f32; 4] {
    let mut total = [0.0f32; 4];
    let mut start = 0;
    for x in a.chunks(4 * BLOCK) {
        let end = start + x.len();
        let g = |bq: &'b [f32]| bq.get(start..end).unwrap_or(&[]);
        let part = dot4_block(x, [g(b[0]), g(b[1]), g(b[2]), g(b[3])]);
        for (t, p) in total.iter_mut().zip(part) {
            *t += p;
        }
        start = end;
    }
    total
}

#[inline(always)]
fn dot4_block(a: &[f32], b: [&[f32]; 4]) -> [f32; 4] {
    // Every `b[q]` holds `a.len()` elements (callers guarantee it); a shorter one contributes
    // only its own length, never a panic.
    let (ca, ta) = a.as_chunks::<4>();
    let (b0, b1, b2, b3) =
        (b[0].as_chunks::<4>().0, b[1].as_chunks::<4>().0, b[2].as_chunks::<4>().0, b[3].as_chunks::<4>().0);
    let mut acc = [[0.0f32; 4]; 4];
    let it = ca.iter().zip(b0).zip(b1).zip(b2).zip(b3);
    for ((((x, y0), y1), y2), y3) in it {
        for l in 0..4 {
            let xl = x[l];
            acc[0][l] += xl * y0[l];
            acc[1][l] += xl * y1[l];
            acc[2][l] += xl * y2[l];
            acc[3][l] += xl * y3[l];
        }
    }
    let tail = a.len() - ta.len();
    let mut r = [0.0f32; 4];
    for ((rq, aq), bq) in r.iter_mut().zip(&acc).zip(b) {
        let mut v = (aq[0] + aq[2]) + (aq[1] + aq[3]);
        for (&x, &y) in ta.iter().zip(bq.iter().skip(tail)) {
            v += x * y;
        }
        *rq = v;
    }
    r
}

/// `Σ x[i]`: blocks of `8 * BLOCK` elements, each with 8 interleaved partial sums combined
/// pairwise then its tail in order; block results added in order from 0.
#[inline]
pub(crate) fn sum(x: &[f32]) -> f32 {
    let mut total = 0.0f32;
    for c in x.chunks(8 * BLOCK) {
        total += sum_block(c);
    }
    total
}

#[inline(always)]
fn sum_block(x: &[f32]) -> f32 {
    let (cx, tx) = x.as_chunks::<8>();
    let mut acc = [0.0f32; 8];
    for c in cx {
        for (s, &v) in acc.iter_mut().zip(c) {
            *s += v;
        }
    }
    let mut r = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in tx {
        r += v;
    }
    r
}

/// `Σ x[i]^2`, as [`dot`]`(x, x)`.
#[inline]
pub(crate) fn sum_sq(x: &[f32]) -> f32 {
    dot(x, x)
}
