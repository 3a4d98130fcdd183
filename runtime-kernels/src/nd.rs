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
        // Merge from the innermost axis outwards into `dims` (innermost first).
        let mut dims_shape = [1usize; MAX_RANK + 1];
        let mut dims_strides = [[0isize; K]; MAX_RANK + 1];
        let mut count = 0usize;
        let mut contiguous: isize = 1;
        for d in (0..shape.len()).rev() {
            let size = shape[d];
            if size != 1 {
                let mut st = [0isize; K];
                for (k, s) in st.iter_mut().enumerate() {
                    *s = stride_of(strides[k], d, contiguous);
                }
                let merge = count > 0 && {
                    let ps = dims_shape[count - 1] as isize;
                    let pst = &dims_strides[count - 1];
                    st.iter().zip(pst).all(|(&s, &p)| s == p * ps)
                };
                if merge {
                    dims_shape[count - 1] *= size;
                } else if count == MAX_RANK + 1 {
                    rows.slow = Some(Slow { shape, strides, base, row: 0 });
                    let n = shape.last().copied().unwrap_or(1);
                    rows.n = n;
                    let last = shape.len().saturating_sub(1);
                    for (k, s) in rows.inner.iter_mut().enumerate() {
                        *s = stride_of(strides[k], last, 1);
                    }
                    rows.remaining = numel / n;
                    return rows;
                } else {
                    dims_shape[count] = size;
                    dims_strides[count] = st;
                    count += 1;
                }
            }
            contiguous *= size as isize;
        }
        if count > 0 {
            rows.n = dims_shape[0];
            rows.inner = dims_strides[0];
            rows.outer = count - 1;
            for j in 0..rows.outer {
                // outer axis j (outermost first) is dims[count - 1 - j]
                rows.shape[j] = dims_shape[count - 1 - j];
                rows.strides[j] = dims_strides[count - 1 - j];
            }
        }
        rows.remaining = numel / rows.n;
        rows
    }

    /// The innermost outer axis (size, strides), if there is one and the odometer is in use.
    pub(crate) fn last_outer(&self) -> Option<(usize, [isize; K])> {
        if self.slow.is_some() || self.outer == 0 {
            return None;
        }
        Some((self.shape[self.outer - 1], self.strides[self.outer - 1]))
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
        if self.slow.is_some() || self.outer == 0 {
            return None;
        }
        self.outer -= 1;
        let size = self.shape[self.outer];
        let strides = self.strides[self.outer];
        self.shape[self.outer] = 1;
        self.remaining /= size;
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
            let rank = slow.shape.len();
            let mut off = slow.base;
            let mut r = slow.row;
            slow.row += 1;
            let mut contiguous = slow.shape.last().copied().unwrap_or(1) as isize;
            for d in (0..rank.saturating_sub(1)).rev() {
                let size = slow.shape[d];
                let i = (r % size) as isize;
                r /= size;
                for (k, o) in off.iter_mut().enumerate() {
                    *o += i * stride_of(slow.strides[k], d, contiguous);
                }
                contiguous *= size as isize;
            }
            return Some(off);
        }
        let cur = self.off;
        if self.remaining > 0 {
            let mut d = self.outer;
            while d > 0 {
                d -= 1;
                self.idx[d] += 1;
                let st = &self.strides[d];
                for (o, s) in self.off.iter_mut().zip(st) {
                    *o += s;
                }
                if self.idx[d] < self.shape[d] {
                    break;
                }
                let size = self.shape[d] as isize;
                for (o, s) in self.off.iter_mut().zip(st) {
                    *o -= s * size;
                }
                self.idx[d] = 0;
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
    let mut total = 0.0f32;
    for (x, y) in a[..n].chunks(4 * BLOCK).zip(b[..n].chunks(4 * BLOCK)) {
        total += dot_block(x, y);
    }
    total
}

#[inline(always)]
fn dot_block(a: &[f32], b: &[f32]) -> f32 {
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ta, tb) = (ca.remainder(), cb.remainder());
    let mut acc = [0.0f32; 4];
    for (x, y) in ca.zip(cb) {
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
pub(crate) fn dot4(a: &[f32], b: [&[f32]; 4]) -> [f32; 4] {
    let mut total = [0.0f32; 4];
    let mut start = 0;
    for x in a.chunks(4 * BLOCK) {
        let end = start + x.len();
        let part = dot4_block(x, [&b[0][start..end], &b[1][start..end], &b[2][start..end], &b[3][start..end]]);
        for (t, p) in total.iter_mut().zip(part) {
            *t += p;
        }
        start = end;
    }
    total
}

#[inline(always)]
fn dot4_block(a: &[f32], b: [&[f32]; 4]) -> [f32; 4] {
    let n = a.len();
    let (b0, b1, b2, b3) = (&b[0][..n], &b[1][..n], &b[2][..n], &b[3][..n]);
    let mut acc = [[0.0f32; 4]; 4];
    let it = a
        .chunks_exact(4)
        .zip(b0.chunks_exact(4))
        .zip(b1.chunks_exact(4))
        .zip(b2.chunks_exact(4))
        .zip(b3.chunks_exact(4));
    for ((((x, y0), y1), y2), y3) in it {
        for l in 0..4 {
            let xl = x[l];
            acc[0][l] += xl * y0[l];
            acc[1][l] += xl * y1[l];
            acc[2][l] += xl * y2[l];
            acc[3][l] += xl * y3[l];
        }
    }
    let mut r = [0.0f32; 4];
    let tail = n - n % 4;
    for (q, (rq, aq)) in r.iter_mut().zip(&acc).enumerate() {
        let mut v = (aq[0] + aq[2]) + (aq[1] + aq[3]);
        for (&x, &y) in a[tail..].iter().zip(&b[q][tail..n]) {
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
    let cx = x.chunks_exact(8);
    let tx = cx.remainder();
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
