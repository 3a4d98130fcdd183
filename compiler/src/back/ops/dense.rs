//! Emission of `Op::Dense`: the weight tiles (packed here, at compile time, in the order the
//! kernel streams them) and one `ecgc_kernels::dense::dense<T>::<K, N>` call per tile width
//! (`ecgc_kernels::dense_vfp::dense<T>_vfp` on an Arm core with an FPU: `back/tuning.rs`).
//!
//! A layer of `N` columns is split into tiles of 16 columns (8 when it sums fewer than
//! [`WIDE_MIN_K`] rows), then at most one tile of 8, at most one of 4, then single columns
//! ([`tiles`]); each width is its own static
//! (`[[[f32; T]; K]; count]`) so the kernel's loops are all fixed-size. (Why 16: the kernel
//! module's docs, `ecgc_kernels::dense`.)

use crate::back::packed::Packed;
use crate::back::tuning::Tuning;
use crate::ir::{Dense, ValueId};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// One run of equal-width tiles: `(width T, first column, number of tiles)`.
pub type Tiles = (usize, usize, usize);

/// Summed length from which a layer gets tiles of 16 columns. Below it a 16-column kernel costs
/// more code than it saves instructions (its loop runs a few times; the 16 sums are set and
/// stored per tile either way), so tiles stay at 8 columns as the widest.
pub const WIDE_MIN_K: usize = 16;

/// The tile runs covering the `n` columns of a layer summing `k` rows: tiles of 16 columns
/// (when `k >= WIDE_MIN_K`), then 8, then 4 (each of these at most once after a wider run),
/// then single columns. Runs with no tile are left out.
pub fn tiles(k: usize, n: usize) -> Vec<Tiles> {
    let widths: &[usize] = if k >= WIDE_MIN_K { &[16, 8, 4] } else { &[8, 4] };
    let mut runs = Vec::new();
    let mut col = 0;
    for &t in widths {
        let count = (n - col) / t;
        runs.push((t, col, count));
        col += t * count;
    }
    runs.push((1, col, n - col));
    runs.retain(|r| r.2 > 0);
    runs
}

/// Columns `col .. col + t·count` of the row-major `w [k, n]`, as `count` tiles of `k` rows of
/// `t` floats (the kernel's order).
pub fn pack(w: &[f32], k: usize, n: usize, (t, col, count): Tiles) -> Vec<f32> {
    let mut out = Vec::with_capacity(t * k * count);
    for tile in 0..count {
        for row in 0..k {
            let at = row * n + col + tile * t;
            out.extend_from_slice(&w[at..at + t]);
        }
    }
    out
}

/// The kernel calls computing `out` from `i0`, reading the packed statics of weight `w`: the
/// `dense<T>_vfp` forms (same bits, `vldm` loads) on an Arm core with an FPU.
pub fn emit(d: &Dense, w: ValueId, packed: &Packed, tuning: Tuning) -> Result<TokenStream, String> {
    let (k, n) = (Literal::usize_unsuffixed(d.k), Literal::usize_unsuffixed(d.n));
    let mut body = TokenStream::new();
    for (t, col, _) in tiles(d.k, d.n) {
        let name = packed.get(&(w, t)).ok_or_else(|| format!("no packed weights of width {t}"))?;
        let col = Literal::usize_unsuffixed(col);
        body.extend(if tuning.arm_fpu {
            let f = format_ident!("dense{}_vfp", t);
            quote!(k::dense_vfp::#f::<#k, #n>(i0, &#name, #col, out);)
        } else {
            let f = format_ident!("dense{}", t);
            quote!(k::dense::#f::<#k, #n>(i0, &#name, #col, out);)
        });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_every_column_once() {
        for (k, n) in (1..70).flat_map(|n| [(WIDE_MIN_K - 1, n), (WIDE_MIN_K, n)]) {
            let t = tiles(k, n);
            let covered: usize = t.iter().map(|&(w, _, c)| w * c).sum();
            assert_eq!(covered, n);
            let mut col = 0;
            for &(w, c0, c) in &t {
                assert_eq!(c0, col);
                col += w * c;
            }
        }
        assert_eq!(tiles(75, 20), vec![(16, 0, 1), (4, 16, 1)]);
        assert_eq!(tiles(9, 20), vec![(8, 0, 2), (4, 16, 1)]);
        assert_eq!(tiles(75, 11), vec![(8, 0, 1), (1, 8, 3)]);
        assert_eq!(tiles(128, 256), vec![(16, 0, 16)]);
        assert_eq!(tiles(16, 31), vec![(16, 0, 1), (8, 16, 1), (4, 24, 1), (1, 28, 3)]);
        assert_eq!(tiles(15, 31), vec![(8, 0, 3), (4, 24, 1), (1, 28, 3)]);
    }

    #[test]
    fn pack_orders_tiles_then_rows_then_columns() {
        // w [2, 3] = [[0, 1, 2], [3, 4, 5]]
        let w = [0., 1., 2., 3., 4., 5.];
        assert_eq!(pack(&w, 2, 3, (1, 0, 3)), vec![0., 3., 1., 4., 2., 5.]);
        assert_eq!(pack(&w, 2, 3, (2, 1, 1)), vec![1., 2., 4., 5.]);
    }
}
