//! Emission of `Op::Dense`: the weight tiles (packed here, at compile time, in the order the
//! kernel streams them) and one `ecgc_kernels::dense::dense<T>::<K, N>` call per tile width.
//!
//! A layer of `N` columns is split into tiles of 16 columns, then at most one tile of 8, at most
//! one of 4, then single columns ([`tiles`]); each width is its own static
//! (`[[[f32; T]; K]; count]`) so the kernel's loops are all fixed-size. (Why 16: the kernel
//! module's docs, `ecgc_kernels::dense`.)

use crate::back::packed::Packed;
use crate::ir::{Dense, ValueId};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// One run of equal-width tiles: `(width T, first column, number of tiles)`.
pub type Tiles = (usize, usize, usize);

/// The tile runs covering `n` columns (runs with no tile are left out).
pub fn tiles(n: usize) -> Vec<Tiles> {
    let (n16, n8, n4) = (n / 16, (n % 16) / 8, (n % 8) / 4);
    let (c8, c4) = (16 * n16, 16 * n16 + 8 * n8);
    let c1 = c4 + 4 * n4;
    [(16, 0, n16), (8, c8, n8), (4, c4, n4), (1, c1, n - c1)].into_iter().filter(|t| t.2 > 0).collect()
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

/// The kernel calls computing `out` from `i0`, reading the packed statics of weight `w`.
pub fn emit(d: &Dense, w: ValueId, packed: &Packed) -> Result<TokenStream, String> {
    let (k, n) = (Literal::usize_unsuffixed(d.k), Literal::usize_unsuffixed(d.n));
    let mut body = TokenStream::new();
    for (t, col, _) in tiles(d.n) {
        let name = packed.get(&(w, t)).ok_or_else(|| format!("no packed weights of width {t}"))?;
        let (f, col) = (format_ident!("dense{}", t), Literal::usize_unsuffixed(col));
        body.extend(quote!(k::dense::#f::<#k, #n>(i0, &#name, #col, out);));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_every_column_once() {
        for n in 1..70 {
            let t = tiles(n);
            let covered: usize = t.iter().map(|&(w, _, c)| w * c).sum();
            assert_eq!(covered, n);
            let mut col = 0;
            for &(w, c0, c) in &t {
                assert_eq!(c0, col);
                col += w * c;
            }
        }
        assert_eq!(tiles(20), vec![(16, 0, 1), (4, 16, 1)]);
        assert_eq!(tiles(11), vec![(8, 0, 1), (1, 8, 3)]);
        assert_eq!(tiles(256), vec![(16, 0, 16)]);
        assert_eq!(tiles(31), vec![(16, 0, 1), (8, 16, 1), (4, 24, 1), (1, 28, 3)]);
    }

    #[test]
    fn pack_orders_tiles_then_rows_then_columns() {
        // w [2, 3] = [[0, 1, 2], [3, 4, 5]]
        let w = [0., 1., 2., 3., 4., 5.];
        assert_eq!(pack(&w, 2, 3, (1, 0, 3)), vec![0., 3., 1., 4., 2., 5.]);
        assert_eq!(pack(&w, 2, 3, (2, 1, 1)), vec![1., 2., 4., 5.]);
    }
}
