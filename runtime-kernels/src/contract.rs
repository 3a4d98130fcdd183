//! Two-operand tensor contraction (a general einsum): MatMul, batched MatMul, Gemm, Linear on
//! 3-D inputs, outer products, and anything else of the form `Σ a * b`.

use crate::nd::{at, dot, dot4, Rows, BLOCK};

/// Index spaces of a contraction.
///
/// For an output multi-index `o` over `out_shape` and a summed multi-index `s` over `sum_shape`,
/// `a` is read at `a_out_strides · o + a_sum_strides · s` and `b` at
/// `b_out_strides · o + b_sum_strides · s` (offsets 0; strides may be 0 or negative).
///
/// Row-major `MatMul` `[M,K] x [K,N]`: `out_shape = [M, N]`, `a_out_strides = [K, 0]`,
/// `b_out_strides = [0, 1]`, `sum_shape = [K]`, `a_sum_strides = [1]`, `b_sum_strides = [N]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContractParams<'a> {
    /// Output shape (the output is contiguous row-major over it); up to 6 axes in practice.
    pub out_shape: &'a [usize],
    /// Strides in `a` of the output axes.
    pub a_out_strides: &'a [isize],
    /// Strides in `b` of the output axes.
    pub b_out_strides: &'a [isize],
    /// Shape of the summed index space (empty: outer product); up to 4 axes in practice.
    pub sum_shape: &'a [usize],
    /// Strides in `a` of the summed axes.
    pub a_sum_strides: &'a [isize],
    /// Strides in `b` of the summed axes.
    pub b_sum_strides: &'a [isize],
}

/// `out[o] = Σ_s a[A·o + A'·s] * b[B·o + B'·s]`.
///
/// Preconditions: stride slices match their shapes' ranks; `out.len()` is the product of
/// `out_shape`; every index lies inside `a` and `b`.
///
/// Loop orders, chosen from the strides alone (after merging contiguous axes; the operands are
/// swapped first if only `a` moves along the innermost output axis, since `x * y == y * x`):
///
/// * innermost output axis has `b`-stride 1 and `a`-stride 0 (MatMul, Gemm without `transB`):
///   "axpy" order — a register-blocked 4×4 tile kernel when the summed axes merge into one
///   (each output is `((0 + a0 b0) + a1 b1) + ...` over blocks of 64 terms, block sums added in
///   order), else row updates `out_row += a * b_row` in `sum_shape` order.
/// * otherwise dot-product order: each output is a dot product over the summed index space,
///   with contiguous runs summed in 4 interleaved lanes (four outputs sharing `a` at once,
///   bit-identical to one at a time).
pub fn contract(p: &ContractParams, a: &[f32], b: &[f32], out: &mut [f32]) {
    debug_assert_eq!(p.a_out_strides.len(), p.out_shape.len());
    debug_assert_eq!(p.b_out_strides.len(), p.out_shape.len());
    debug_assert_eq!(p.a_sum_strides.len(), p.sum_shape.len());
    debug_assert_eq!(p.b_sum_strides.len(), p.sum_shape.len());
    debug_assert_eq!(out.len(), p.out_shape.iter().product::<usize>());
    let probe = Rows::new(p.out_shape, [None, Some(p.a_out_strides), Some(p.b_out_strides)], [0; 3]);
    let [_, aj, bj] = probe.inner;
    if bj == 0 && aj != 0 {
        let q = ContractParams {
            out_shape: p.out_shape,
            a_out_strides: p.b_out_strides,
            b_out_strides: p.a_out_strides,
            sum_shape: p.sum_shape,
            a_sum_strides: p.b_sum_strides,
            b_sum_strides: p.a_sum_strides,
        };
        contract_oriented(&q, b, a, out);
    } else {
        contract_oriented(p, a, b, out);
    }
}

/// [`contract`] once the operands are oriented (`a` does not move along the output's innermost
/// axis unless `b` does too).
fn contract_oriented<'b>(p: &ContractParams, a: &'b [f32], b: &'b [f32], out: &mut [f32]) {
    let mut outs = Rows::new(p.out_shape, [None, Some(p.a_out_strides), Some(p.b_out_strides)], [0; 3]);
    let sums = Rows::new(p.sum_shape, [Some(p.a_sum_strides), Some(p.b_sum_strides)], [0; 2]);
    let n = outs.n;
    let [_, aj, bj] = outs.inner;
    if sums.n == 0 {
        out.fill(0.0); // empty sum
        return;
    }
    let (kk, [ak, bk]) = (sums.n, sums.inner);
    let single_sum = sums.outer_rank() == 0;

    // Every access is checked (`get`, iterators): an index outside an operand (which the
    // preconditions exclude) reads as 0 or is skipped, never a panic. With the compiler's
    // constant parameters the checks fold away.
    let get = |x: &[f32], i: isize| x.get(i as usize).copied().unwrap_or(0.0);
    if aj == 0 && bj == 1 && n > 1 {
        if single_sum {
            // GEMM: peel the row axis if b does not move along it
            let (m, ai) = match outs.last_outer() {
                Some((m, [_, ai, 0])) => {
                    outs.peel_outer();
                    (m, ai)
                }
                _ => (1, 0),
            };
            let g = Gemm { m, n, k: kk, a_i: ai, a_k: ak, b_k: bk };
            for [oo, ao, bo] in outs {
                let o = oo as usize;
                if let Some(out) = out.get_mut(o..o.saturating_add(m * n)) {
                    g.run(a, ao, b, bo, out);
                }
            }
        } else {
            for [oo, ao, bo] in outs {
                let o = oo as usize;
                let Some(row) = out.get_mut(o..o.saturating_add(n)) else { continue };
                row.fill(0.0);
                for [sa, sb] in sums {
                    for t in 0..kk {
                        let av = get(a, at(ao + sa, t, ak) as isize);
                        let s = at(bo + sb, t, bk);
                        let Some(bs) = b.get(s..s.saturating_add(n)) else { continue };
                        for (r, &bv) in row.iter_mut().zip(bs) {
                            *r += av * bv;
                        }
                    }
                }
            }
        }
        return;
    }

    let contiguous_sum = single_sum && ak == 1 && bk == 1;
    let run = |x: &'b [f32], s: isize| x.get(s as usize..(s as usize).saturating_add(kk)).unwrap_or(&[]);
    for [oo, ao, bo] in outs {
        let o = oo as usize;
        let Some(mut row) = out.get_mut(o..o.saturating_add(n)) else { continue };
        let mut j = 0;
        if contiguous_sum && aj == 0 {
            // four outputs share the same run of `a`
            let av = run(a, ao);
            let (quads, rest) = row.as_chunks_mut::<4>();
            for quad in quads {
                let bs = |q: usize| run(b, bo + (j + q) as isize * bj);
                *quad = dot4(av, [bs(0), bs(1), bs(2), bs(3)]);
                j += 4;
            }
            row = rest;
        }
        for r in row.iter_mut() {
            let (a0, b0) = (ao + j as isize * aj, bo + j as isize * bj);
            *r = if contiguous_sum {
                dot(run(a, a0), run(b, b0))
            } else {
                let mut acc = 0.0f32;
                for [sa, sb] in sums {
                    if ak == 1 && bk == 1 {
                        acc += dot(run(a, a0 + sa), run(b, b0 + sb));
                    } else {
                        for t in 0..kk {
                            acc += get(a, at(a0 + sa, t, ak) as isize) * get(b, at(b0 + sb, t, bk) as isize);
                        }
                    }
                }
                acc
            };
            j += 1;
        }
    }
}

/// `out[i][j] = Σ_k a[i AI + k AK] * b[k BK + j]` for an `M × N` row-major `out`, specialised at
/// compile time: the compiler emits it for every contraction that is a (batch-free) matrix
/// product, matrix-vector product or outer product after merging axes (`K = 1`, `AK = BK = 0`
/// for an outer product), so loop bounds and strides are literals. 4×4 register tiles (edges in
/// 1-row / 1-column tiles), every output summed over `k` in order from `0.0` within blocks of
/// [`BLOCK`], block sums added in order — the order of [`contract`]'s GEMM path, bit-identical.
/// No panicking path: one checked view per operand (`get`), hoisted out of the loops, then checked
/// loads that fold away on the constants.
#[inline(always)]
pub fn gemm<const M: usize, const N: usize, const K: usize, const AI: usize, const AK: usize, const BK: usize>(
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
) {
    let a_len = if M * K == 0 { 0 } else { (M - 1) * AI + (K - 1) * AK + 1 };
    let b_len = if K * N == 0 { 0 } else { (K - 1) * BK + N };
    let (Some(a), Some(b)) = (a.get(..a_len), b.get(..b_len)) else { return };
    let (rows, _) = out.as_chunks_mut::<N>();
    let Some(rows) = rows.get_mut(..M) else { return };
    let (blocks, rest) = rows.as_chunks_mut::<4>();
    let done = blocks.len() * 4;
    for (q, block) in blocks.iter_mut().enumerate() {
        gemm_rows::<4, N, K, AI, AK, BK>(a, b, 4 * q, block);
    }
    for (r, row) in rest.iter_mut().enumerate() {
        gemm_rows::<1, N, K, AI, AK, BK>(a, b, done + r, core::array::from_mut(row));
    }
}

/// Rows `i..i + MR` of [`gemm`]: 4-column tiles, then 1-column ones.
#[inline(always)]
fn gemm_rows<const MR: usize, const N: usize, const K: usize, const AI: usize, const AK: usize, const BK: usize>(
    a: &[f32],
    b: &[f32],
    i: usize,
    rows: &mut [[f32; N]; MR],
) {
    let quads = N / 4;
    for q in 0..quads {
        let t = gemm_tile::<MR, 4, K, AI, AK, BK>(a, b, i, 4 * q);
        for (row, tr) in rows.iter_mut().zip(&t) {
            for (o, &v) in row.iter_mut().skip(4 * q).zip(tr) {
                *o = v;
            }
        }
    }
    for j in 4 * quads..N {
        let t = gemm_tile::<MR, 1, K, AI, AK, BK>(a, b, i, j);
        for (row, tr) in rows.iter_mut().zip(&t) {
            if let Some(o) = row.get_mut(j) {
                *o = tr[0];
            }
        }
    }
}

/// One `MR × NR` tile of [`gemm`] at row `i`, column `j`.
#[inline(always)]
fn gemm_tile<const MR: usize, const NR: usize, const K: usize, const AI: usize, const AK: usize, const BK: usize>(
    a: &[f32],
    b: &[f32],
    i: usize,
    j: usize,
) -> [[f32; NR]; MR] {
    let mut acc = [[0.0f32; NR]; MR];
    let mut k0 = 0;
    while k0 < K {
        let kb = if K - k0 < BLOCK { K - k0 } else { BLOCK };
        let mut part = [[0.0f32; NR]; MR];
        for k in k0..k0 + kb {
            let s = k * BK + j;
            let bv: [f32; NR] = match b.get(s..s + NR) {
                Some(v) => core::array::from_fn(|c| v.get(c).copied().unwrap_or(0.0)),
                None => [0.0; NR],
            };
            for (r, pr) in part.iter_mut().enumerate() {
                let av = a.get((i + r) * AI + k * AK).copied().unwrap_or(0.0);
                for (p, &x) in pr.iter_mut().zip(&bv) {
                    *p += av * x;
                }
            }
        }
        for (accr, pr) in acc.iter_mut().zip(&part) {
            for (s, &x) in accr.iter_mut().zip(pr) {
                *s += x;
            }
        }
        k0 += kb;
    }
    acc
}

/// `out[i][j] = Σ_k a[a0 + i a_i + k a_k] * b[b0 + k b_k + j]` for an `m × n` row-major `out`.
#[derive(Clone, Copy)]
pub(crate) struct Gemm {
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) a_i: isize,
    pub(crate) a_k: isize,
    pub(crate) b_k: isize,
}

impl Gemm {
    /// Runs the product in 4×4 register tiles (edges in 1-row / 1-column tiles); every output is
    /// summed over `k` in order from `0.0` within blocks of [`BLOCK`], block sums added in order.
    pub(crate) fn run(&self, a: &[f32], a0: isize, b: &[f32], b0: isize, out: &mut [f32]) {
        let mut i = 0;
        while i + 4 <= self.m {
            self.rows::<4>(a, a0, b, b0, out, i);
            i += 4;
        }
        while i < self.m {
            self.rows::<1>(a, a0, b, b0, out, i);
            i += 1;
        }
    }

    #[inline(always)]
    fn rows<const MR: usize>(&self, a: &[f32], a0: isize, b: &[f32], b0: isize, out: &mut [f32], i: usize) {
        let mut j = 0;
        while j + 4 <= self.n {
            self.tile::<MR, 4>(a, a0, b, b0, out, i, j);
            j += 4;
        }
        while j < self.n {
            self.tile::<MR, 1>(a, a0, b, b0, out, i, j);
            j += 1;
        }
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn tile<const MR: usize, const NR: usize>(
        &self,
        a: &[f32],
        a0: isize,
        b: &[f32],
        b0: isize,
        out: &mut [f32],
        i: usize,
        j: usize,
    ) {
        let mut acc = [[0.0f32; NR]; MR];
        let mut ap = [0isize; MR];
        for (r, p) in ap.iter_mut().enumerate() {
            *p = a0 + (i + r) as isize * self.a_i;
        }
        let mut bp = b0 + j as isize;
        let mut k = 0;
        while k < self.k {
            let kb = (self.k - k).min(BLOCK);
            let mut part = [[0.0f32; NR]; MR];
            for _ in 0..kb {
                // Checked loads: out of range (excluded by the preconditions) reads 0.
                let bs = bp as usize;
                let bv = b.get(bs..bs.saturating_add(NR)).unwrap_or(&[]);
                for (pr, p) in part.iter_mut().zip(ap.iter_mut()) {
                    let av = a.get(*p as usize).copied().unwrap_or(0.0);
                    for (s, &x) in pr.iter_mut().zip(bv) {
                        *s += av * x;
                    }
                    *p += self.a_k;
                }
                bp += self.b_k;
            }
            for (accr, pr) in acc.iter_mut().zip(&part) {
                for (s, &x) in accr.iter_mut().zip(pr) {
                    *s += x;
                }
            }
            k += kb;
        }
        for (r, accr) in acc.iter().enumerate() {
            let o = (i + r) * self.n + j;
            for (d, &x) in out.iter_mut().skip(o).zip(accr) {
                *d = x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, indices, offset, rand_shape, row_major, Rng};
    use std::vec::Vec;

    fn naive(p: &ContractParams, a: &[f32], b: &[f32]) -> Vec<f32> {
        let ss = indices(p.sum_shape);
        indices(p.out_shape)
            .iter()
            .map(|o| {
                let ao = offset(0, o, p.a_out_strides) as isize;
                let bo = offset(0, o, p.b_out_strides) as isize;
                ss.iter()
                    .map(|s| {
                        let x = a[(ao + offset(0, s, p.a_sum_strides) as isize) as usize] as f64;
                        let y = b[(bo + offset(0, s, p.b_sum_strides) as isize) as usize] as f64;
                        x * y
                    })
                    .sum::<f64>() as f32
            })
            .collect()
    }

    fn check(p: &ContractParams, a: &[f32], b: &[f32]) {
        let mut out = std::vec![f32::NAN; p.out_shape.iter().product()];
        contract(p, a, b, &mut out);
        assert_close(&out, &naive(p, a, b), 1e-5);
    }

    fn matmul(m: usize, k: usize, n: usize, ta: bool, tb: bool, rng: &mut Rng) {
        let a = rng.vec(m * k, -1.0, 1.0);
        let b = rng.vec(k * n, -1.0, 1.0);
        let (ai, ak) = if ta { (1, m as isize) } else { (k as isize, 1) };
        let (bk, bj) = if tb { (1, k as isize) } else { (n as isize, 1) };
        let p = ContractParams {
            out_shape: &[m, n],
            a_out_strides: &[ai, 0],
            b_out_strides: &[0, bj],
            sum_shape: &[k],
            a_sum_strides: &[ak],
            b_sum_strides: &[bk],
        };
        check(&p, &a, &b);
    }

    /// `gemm::<M, N, K, AI, AK, BK>` against the naive reference and, bit for bit, [`contract`].
    fn check_gemm<const M: usize, const N: usize, const K: usize, const AI: usize, const AK: usize, const BK: usize>(
        seed: u64,
    ) {
        let mut rng = Rng::new(seed);
        let a = rng.vec((M - 1) * AI + (K - 1) * AK + 1, -1.0, 1.0);
        let b = rng.vec((K - 1) * BK + N, -1.0, 1.0);
        let p = ContractParams {
            out_shape: &[M, N],
            a_out_strides: &[AI as isize, 0],
            b_out_strides: &[0, 1],
            sum_shape: &[K],
            a_sum_strides: &[AK as isize],
            b_sum_strides: &[BK as isize],
        };
        let mut got = std::vec![f32::NAN; M * N];
        gemm::<M, N, K, AI, AK, BK>(&a, &b, &mut got);
        assert_close(&got, &naive(&p, &a, &b), 1e-5);
        let mut general = std::vec![f32::NAN; M * N];
        contract(&p, &a, &b, &mut general);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&general), "M={M} N={N} K={K} AI={AI} AK={AK} BK={BK}");
    }

    #[test]
    fn gemm_matches_naive_and_contract_on_edge_and_odd_sizes() {
        check_gemm::<1, 6, 5, 0, 1, 6>(1); // matrix-vector, N not a multiple of 4
        check_gemm::<1, 11, 1, 0, 0, 0>(2); // broadcast product (K = 1, no summed axis)
        check_gemm::<1, 1, 1, 0, 0, 0>(3); // one element
        check_gemm::<1, 2, 16, 0, 1, 2>(4); // ecg-cnn's head
        check_gemm::<4, 4, 4, 4, 1, 4>(5); // one full tile
        check_gemm::<5, 7, 3, 3, 1, 7>(6); // edge row and edge columns
        check_gemm::<9, 6, 17, 17, 1, 6>(7);
        check_gemm::<2, 13, 33, 1, 2, 13>(8); // transposed `a` (AI = 1, AK = M)
        check_gemm::<8, 8, 1, 1, 0, 0>(9); // outer product
        check_gemm::<3, 5, 150, 150, 1, 5>(10); // K over two summation blocks
        check_gemm::<13, 128, 12, 12, 1, 128>(11); // s4d's mixing shape, fewer rows
    }

    #[test]
    fn matmul_all_transpositions_and_edge_sizes() {
        let mut rng = Rng::new(51);
        for &(m, k, n) in &[(1, 1, 1), (1, 7, 1), (4, 4, 4), (5, 3, 7), (9, 17, 6), (2, 33, 13), (1, 16, 9), (8, 1, 8)]
        {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                matmul(m, k, n, ta, tb, &mut rng);
            }
        }
    }

    #[test]
    fn batched_broadcast_linear_outer_product() {
        let mut rng = Rng::new(52);
        // batched [B,M,K] x [B,K,N]
        let (bt, m, k, n) = (3, 5, 4, 6);
        let a = rng.vec(bt * m * k, -1.0, 1.0);
        let b = rng.vec(bt * k * n, -1.0, 1.0);
        let p = ContractParams {
            out_shape: &[bt, m, n],
            a_out_strides: &[(m * k) as isize, k as isize, 0],
            b_out_strides: &[(k * n) as isize, 0, 1],
            sum_shape: &[k],
            a_sum_strides: &[1],
            b_sum_strides: &[n as isize],
        };
        check(&p, &a, &b);
        // weights broadcast over the batch (b batch stride 0)
        let p2 = ContractParams { b_out_strides: &[0, 0, 1], ..p };
        check(&p2, &a, &b);
        // Linear on 3-D input: x [B,T,In] · W[Out,In]^T + nothing
        let (t, i, o) = (2, 9, 5);
        let x = rng.vec(bt * t * i, -1.0, 1.0);
        let w = rng.vec(o * i, -1.0, 1.0);
        let p3 = ContractParams {
            out_shape: &[bt, t, o],
            a_out_strides: &[(t * i) as isize, i as isize, 0],
            b_out_strides: &[0, 0, i as isize],
            sum_shape: &[i],
            a_sum_strides: &[1],
            b_sum_strides: &[1],
        };
        check(&p3, &x, &w);
        // outer product (empty sum) and empty sum axis
        let u = rng.vec(4, -1.0, 1.0);
        let v = rng.vec(3, -1.0, 1.0);
        let p4 = ContractParams {
            out_shape: &[4, 3],
            a_out_strides: &[1, 0],
            b_out_strides: &[0, 1],
            sum_shape: &[],
            a_sum_strides: &[],
            b_sum_strides: &[],
        };
        check(&p4, &u, &v);
        let p5 = ContractParams { sum_shape: &[0], a_sum_strides: &[1], b_sum_strides: &[1], ..p4 };
        let mut out = [1.0; 12];
        contract(&p5, &u, &v, &mut out);
        assert_eq!(out, [0.0; 12]);
        // matrix-vector where a moves along j (operands get swapped)
        let mv = ContractParams {
            out_shape: &[4],
            a_out_strides: &[3],
            b_out_strides: &[0],
            sum_shape: &[3],
            a_sum_strides: &[1],
            b_sum_strides: &[1],
        };
        let am = rng.vec(12, -1.0, 1.0);
        check(&mv, &am, &v);
    }

    #[test]
    fn property_random_einsums() {
        let mut rng = Rng::new(53);
        for _ in 0..300 {
            // random axis roles: each axis is (out, in a?, in b?) or summed
            let n_out = rng.below(5);
            let n_sum = rng.below(4);
            let out_shape = rand_shape(&mut rng, n_out, 5);
            let sum_shape = rand_shape(&mut rng, n_sum, 6);
            let a_has: Vec<bool> = (0..n_out).map(|_| rng.below(3) != 0).collect();
            let b_has: Vec<bool> = (0..n_out).map(|_| rng.below(3) != 0).collect();
            // storage: a = [kept out axes..., sum axes...] permuted; same for b
            let layout = |rng: &mut Rng, has: &[bool]| -> (Vec<isize>, Vec<isize>, usize) {
                let mut dims: Vec<(bool, usize, usize)> = Vec::new(); // (is_sum, axis, size)
                for (d, &h) in has.iter().enumerate() {
                    if h {
                        dims.push((false, d, out_shape[d]));
                    }
                }
                for (d, &s) in sum_shape.iter().enumerate() {
                    dims.push((true, d, s));
                }
                for i in (1..dims.len()).rev() {
                    let j = rng.below(i + 1);
                    dims.swap(i, j);
                }
                let sizes: Vec<usize> = dims.iter().map(|d| d.2).collect();
                let rm = row_major(&sizes);
                let mut os = std::vec![0isize; n_out];
                let mut ss = std::vec![0isize; n_sum];
                for (k, &(is_sum, d, _)) in dims.iter().enumerate() {
                    if is_sum {
                        ss[d] = rm[k];
                    } else {
                        os[d] = rm[k];
                    }
                }
                (os, ss, sizes.iter().product())
            };
            let (aos, ass, alen) = layout(&mut rng, &a_has);
            let (bos, bss, blen) = layout(&mut rng, &b_has);
            let a = rng.vec(alen, -1.0, 1.0);
            let b = rng.vec(blen, -1.0, 1.0);
            let p = ContractParams {
                out_shape: &out_shape,
                a_out_strides: &aos,
                b_out_strides: &bos,
                sum_shape: &sum_shape,
                a_sum_strides: &ass,
                b_sum_strides: &bss,
            };
            check(&p, &a, &b);
        }
    }

    #[test]
    fn axpy_order_is_sequential_sum_bit_for_bit() {
        // documented order: ((0 + a0 b0) + a1 b1) + ... (k < BLOCK here)
        let mut rng = Rng::new(54);
        let (m, k, n) = (7, 13, 9);
        let a = rng.vec(m * k, -1.0, 1.0);
        let b = rng.vec(k * n, -1.0, 1.0);
        let mut want = std::vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f32;
                for t in 0..k {
                    s += a[i * k + t] * b[t * n + j];
                }
                want[i * n + j] = s;
            }
        }
        let p = ContractParams {
            out_shape: &[m, n],
            a_out_strides: &[k as isize, 0],
            b_out_strides: &[0, 1],
            sum_shape: &[k],
            a_sum_strides: &[1],
            b_sum_strides: &[n as isize],
        };
        let mut got = std::vec![0.0f32; m * n];
        contract(&p, &a, &b, &mut got);
        assert_eq!(got, want);
        // a unit sum axis is dropped: same tiled path, same bits
        let p3 = ContractParams {
            out_shape: &[m, n],
            a_out_strides: &[k as isize, 0],
            b_out_strides: &[0, 1],
            sum_shape: &[k, 1],
            a_sum_strides: &[1, 0],
            b_sum_strides: &[n as isize, 0],
        };
        contract(&p3, &a, &b, &mut got);
        assert_eq!(got, want);
    }

    #[test]
    fn multi_axis_sum_row_path() {
        // sum over two non-mergeable axes with b contiguous along j: row-update path
        let mut rng = Rng::new(55);
        let (m, k0, k1, n) = (3, 4, 5, 6);
        let a = rng.vec(m * k0 * k1, -1.0, 1.0);
        let b = rng.vec(k1 * k0 * n, -1.0, 1.0); // b stored [k1, k0, n]
        let p = ContractParams {
            out_shape: &[m, n],
            a_out_strides: &[(k0 * k1) as isize, 0],
            b_out_strides: &[0, 1],
            sum_shape: &[k0, k1],
            a_sum_strides: &[k1 as isize, 1],
            b_sum_strides: &[n as isize, (k0 * n) as isize],
        };
        check(&p, &a, &b);
    }
}
