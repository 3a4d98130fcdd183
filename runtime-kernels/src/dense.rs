//! Dense (Linear) layers: `out[r][j] = Σ_k x[r][k] · w[k][j]` with the geometry as const generics.
//!
//! The compiler knows `K` (summed length), `N` (output columns) and the tile width `T`, so they
//! are type parameters: every loop bound is a constant, rows and tiles are fixed-size arrays
//! (`as_chunks`), and the loops are iterator zips, so there is no bounds check and no panicking
//! path. The weights are packed at compile time tile by tile (`[[[f32; T]; K]; tiles]`: for
//! each tile of `T` columns, `K` rows of `T` weights), the order in which the kernel streams
//! them, so the inner loop reads one contiguous run and keeps `T` sums in registers.
//!
//! A layer of `N` columns is several calls: tiles of 16 columns ([`dense16`]), then at most one
//! of 8 ([`dense8`]), at most one of 4 ([`dense4`]), then single columns ([`dense1`]), each
//! starting at its first column `col` (the compiler keeps 8 as the widest for layers summing
//! fewer than 16 rows, where the wider kernel costs more code than it saves). Every output is
//! summed over `k` in order, starting from `0.0`.
//!
//! Why 16 columns: in a matrix-vector product every weight is used once, so each
//! multiply-accumulate costs one `vmla` and one weight load; what a tile amortises is the load
//! of `x[k]` (one per `T` MACs) and the loop (five instructions per 4 rows of `T`). On the
//! Cortex-M7 the inner loop is 2 + 1/T + 5/(4·T) instructions per MAC: 2.28 at `T = 8`, 2.14 at
//! 16. 16 sums, 4 inputs and the weights in flight fit the 32 single-precision registers (24
//! sums spill).
//!
//! Below 2 per MAC would need weights loaded several at a time (`vldm`), which LLVM's ARM
//! load/store optimiser forms only from loads into consecutive registers. Its allocation order
//! for single-precision registers is even registers first (`s0, s2, …, s30, s1, s3, …`), so the
//! loads of a row of weights land in every other register (seen at opt-level 3 and "s" for
//! `T` = 8, 12, 16 and 20) and are never merged; a `f64` load split with `to_bits` is narrowed
//! back to two `f32` loads. So one load per weight is the floor of this kernel in safe Rust;
//! [`crate::dense_vfp`] has the same kernels with `vldm` in `asm!` (same bits, 1.1–1.2 instructions
//! per MAC), which the compiler calls on cores with a single-precision FPU.

/// One tile function per width: `o[c] = Σ_k xr[k] · wt[k][c]`, in `k` order from `0.0`. Written
/// with one scalar accumulator per column so that the sums stay in registers at every
/// opt-level (at "s", LLVM keeps a `[f32; T]` accumulator array in memory and does not unroll
/// loops over it).
macro_rules! dense_tile {
    ($name:ident, $t:literal, [$($acc:ident),*], [$($w:ident),*]) => {
        /// One tile of the portable kernel (module docs); the `dense_vfp` forms fall back to it
        /// off Arm.
        #[inline(always)]
        pub(crate) fn $name<const K: usize>(xr: &[f32; K], wt: &[[f32; $t]; K], o: &mut [f32; $t]) {
            $(let mut $acc = 0.0f32;)*
            // four rows of weights per iteration: at opt-level "s" LLVM does not unroll
            // this loop itself, and one row per iteration pays the loop's overhead per
            // `T` multiply-accumulates
            let (xp, xrest) = xr.as_chunks::<4>();
            let (wp, wrest) = wt.as_chunks::<4>();
            for (&[xa, xb, xc, xd], [wa, wb, wc, wd]) in xp.iter().zip(wp) {
                let [$($w),*] = *wa;
                $($acc += xa * $w;)*
                let [$($w),*] = *wb;
                $($acc += xb * $w;)*
                let [$($w),*] = *wc;
                $($acc += xc * $w;)*
                let [$($w),*] = *wd;
                $($acc += xd * $w;)*
            }
            for (&xv, wk) in xrest.iter().zip(wrest) {
                let [$($w),*] = *wk;
                $($acc += xv * $w;)*
            }
            *o = [$($acc),*];
        }
    };
}

/// A layer kernel over rows and tiles, calling `$tile` per tile (shared with `dense_vfp`).
macro_rules! dense_rows {
    ($(#[$doc:meta])* $name:ident, $t:literal, $tile:ident) => {
        $(#[$doc])*
        ///
        /// `out[r][col + t·T + c] = Σ_k x[r][k] · w[t][k][c]` for every row `r` of `x` (`K` floats
        /// each) and `out` (`N` floats each), and every tile `t` of `w`.
        ///
        /// Preconditions (the compiler's, by construction): `x.len() / K == out.len() / N`, and
        /// `col + T · w.len() <= N`. Outside them the kernel writes less, never panics.
        pub fn $name<const K: usize, const N: usize>(x: &[f32], w: &[[[f32; $t]; K]], col: usize, out: &mut [f32]) {
            let (rows, _) = x.as_chunks::<K>();
            let (out_rows, _) = out.as_chunks_mut::<N>();
            for (xr, or) in rows.iter().zip(out_rows.iter_mut()) {
                let Some(dst) = or.get_mut(col..) else { continue };
                let (tiles, _) = dst.as_chunks_mut::<$t>();
                for (o, wt) in tiles.iter_mut().zip(w) {
                    $tile::<K>(xr, wt, o);
                }
            }
        }
    };
}
pub(crate) use dense_rows;

dense_tile!(
    tile16,
    16,
    [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15],
    [w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15]
);
dense_tile!(tile8, 8, [a0, a1, a2, a3, a4, a5, a6, a7], [w0, w1, w2, w3, w4, w5, w6, w7]);
dense_tile!(tile4, 4, [a0, a1, a2, a3], [w0, w1, w2, w3]);
dense_tile!(tile1, 1, [a0], [w0]);

dense_rows!(
    /// Tiles of 16 columns (16 sums in registers).
    dense16, 16, tile16
);
dense_rows!(
    /// Tiles of 8 columns (8 sums in registers).
    dense8, 8, tile8
);
dense_rows!(
    /// Tiles of 4 columns.
    dense4, 4, tile4
);
dense_rows!(
    /// Single columns (a dot product each).
    dense1, 1, tile1
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;
    use std::vec::Vec;

    /// Packs `w [K, N]` columns `col .. col + T·nt` into tiles.
    fn pack<const K: usize, const T: usize>(w: &[f32], n: usize, col: usize, nt: usize) -> Vec<[[f32; T]; K]> {
        (0..nt).map(|t| core::array::from_fn(|k| core::array::from_fn(|c| w[k * n + col + t * T + c]))).collect()
    }

    fn check<const K: usize, const N: usize>(rows: usize) {
        let mut rng = Rng::new((K * 131 + N * 7 + rows) as u64);
        let x: Vec<f32> = (0..rows * K).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let w: Vec<f32> = (0..K * N).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let mut out = std::vec![f32::NAN; rows * N];
        let (n16, n8, n4) = (N / 16, (N % 16) / 8, (N % 8) / 4);
        let (c8, c4, c1) = (16 * n16, 16 * n16 + 8 * n8, 16 * n16 + 8 * n8 + 4 * n4);
        dense16::<K, N>(&x, &pack::<K, 16>(&w, N, 0, n16), 0, &mut out);
        dense8::<K, N>(&x, &pack::<K, 8>(&w, N, c8, n8), c8, &mut out);
        dense4::<K, N>(&x, &pack::<K, 4>(&w, N, c4, n4), c4, &mut out);
        dense1::<K, N>(&x, &pack::<K, 1>(&w, N, c1, N - c1), c1, &mut out);
        for r in 0..rows {
            for j in 0..N {
                let want: f64 = (0..K).map(|k| x[r * K + k] as f64 * w[k * N + j] as f64).sum();
                let got = out[r * N + j] as f64;
                assert!((got - want).abs() <= 1e-5 * (1.0 + want.abs()), "K={K} N={N} r={r} j={j}: {got} vs {want}");
                // in-order f32 sum, bit for bit
                let mut s = 0.0f32;
                for k in 0..K {
                    s += x[r * K + k] * w[k * N + j];
                }
                assert_eq!(got as f32, s);
            }
        }
    }

    #[test]
    fn every_tile_mix_matches_the_reference() {
        check::<1, 1>(1);
        check::<3, 5>(2);
        check::<12, 11>(1);
        check::<75, 20>(1);
        check::<7, 8>(3);
        check::<128, 256>(1);
        check::<17, 13>(4);
        check::<64, 12>(2);
        // 16-column tiles alone, with an 8, a 4 and single columns after them, odd K, batch rows
        check::<5, 16>(3);
        check::<9, 31>(2);
        check::<2, 48>(5);
        check::<33, 29>(3);
        check::<40, 80>(2);
    }

    #[test]
    fn out_of_range_columns_write_nothing() {
        let x = [1.0f32; 4];
        let w = [[[1.0f32; 4]; 4]; 1];
        let mut out = [0.0f32; 4];
        dense4::<4, 4>(&x, &w, 9, &mut out);
        assert_eq!(out, [0.0; 4]);
        let w16 = [[[1.0f32; 16]; 4]; 1];
        let mut out16 = [0.0f32; 20];
        dense16::<4, 20>(&x, &w16, 8, &mut out16);
        assert_eq!(out16, [0.0; 20]);
    }
}
