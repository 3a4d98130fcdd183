//! EinSum (what `dense` does not take): a matrix product, matrix-vector product or outer product
//! (after merging axes) calls `gemm`, specialised at compile time on its sizes and strides (const
//! generics, no parameter struct); anything else the general contraction kernel.

use super::{is_list, us, us_list, Ctx};
use crate::back::strides::{collapse, row_major};
use crate::ir;
use proc_macro2::TokenStream;
use quote::quote;

/// Two-operand contraction.
pub(super) fn einsum(c: &Ctx, e: &ir::EinSum) -> (TokenStream, TokenStream) {
    let p = c.p;
    let (sa, sb) = (row_major(&c.shape(0)), row_major(&c.shape(1)));
    let stride = |pos: Option<usize>, s: &[isize]| pos.map(|q| s[q]).unwrap_or(0);
    let mut out_axes: Vec<&ir::EinAxis> = e.axes.iter().filter(|a| a.out.is_some()).collect();
    out_axes.sort_by_key(|a| a.out);
    let mut sum_axes: Vec<&ir::EinAxis> = e.axes.iter().filter(|a| a.out.is_none() && a.size > 1).collect();
    // Innermost summed axis: the one `a` walks contiguously, if any.
    sum_axes.sort_by_key(|a| std::cmp::Reverse(stride(a.a, &sa).unsigned_abs()));
    let os: Vec<usize> = out_axes.iter().map(|a| a.size).collect();
    let aos: Vec<isize> = out_axes.iter().map(|a| stride(a.a, &sa)).collect();
    let bos: Vec<isize> = out_axes.iter().map(|a| stride(a.b, &sb)).collect();
    let (os, outs) = collapse(&os, &[aos, bos, row_major(&os)]);
    let ss: Vec<usize> = sum_axes.iter().map(|a| a.size).collect();
    let ass: Vec<isize> = sum_axes.iter().map(|a| stride(a.a, &sa)).collect();
    let bss: Vec<isize> = sum_axes.iter().map(|a| stride(a.b, &sb)).collect();
    let (ss, sums) = collapse(&ss, &[ass, bss]);
    if let Some(call) = gemm(&os, &outs[0], &outs[1], &ss, &sums[0], &sums[1]) {
        return (TokenStream::new(), call);
    }
    let (os, ao, bo) = (us_list(&os), is_list(&outs[0]), is_list(&outs[1]));
    let (ss, asum, bsum) = (us_list(&ss), is_list(&sums[0]), is_list(&sums[1]));
    (
        quote! {
            const #p: k::contract::ContractParams<'static> = k::contract::ContractParams {
                out_shape: #os, a_out_strides: #ao, b_out_strides: #bo,
                sum_shape: #ss, a_sum_strides: #asum, b_sum_strides: #bsum,
            };
        },
        quote!(k::contract::contract(&#p, i0, i1, out);),
    )
}

/// `k::contract::gemm::<M, N, K, AI, AK, BK>` for a contraction that is `out[i][j] = Σ_k a[i AI +
/// k AK] * b[k BK + j]` with `N > 1` — exactly the cases the general kernel runs as a GEMM, so the
/// results are bit-identical — with the operands swapped if that is what fits (`x * y == y * x`).
fn gemm(os: &[usize], ao: &[isize], bo: &[isize], ss: &[usize], asum: &[isize], bsum: &[isize]) -> Option<TokenStream> {
    let fits = |ao: &[isize], bo: &[isize], asum: &[isize], bsum: &[isize]| -> Option<[usize; 6]> {
        let (m, n, ai) = match (os, ao, bo) {
            ([n], [0], [1]) => (1, *n, 0),
            ([m, n], [ai, 0], [0, 1]) if *ai >= 0 => (*m, *n, *ai as usize),
            _ => return None,
        };
        let (k, ak, bk) = match (ss, asum, bsum) {
            ([], [], []) => (1, 0, 0),
            ([k], [ak], [bk]) if *ak >= 0 && *bk >= 0 => (*k, *ak as usize, *bk as usize),
            _ => return None,
        };
        (m >= 1 && n > 1 && k >= 1).then_some([m, n, k, ai, ak, bk])
    };
    let (g, swap) = match fits(ao, bo, asum, bsum) {
        Some(g) => (g, false),
        None => (fits(bo, ao, bsum, asum)?, true),
    };
    let [m, n, k, ai, ak, bk] = g.map(us);
    let (x, y) = if swap { (quote!(i1), quote!(i0)) } else { (quote!(i0), quote!(i1)) };
    Some(quote!(k::contract::gemm::<#m, #n, #k, #ai, #ak, #bk>(#x, #y, out);))
}
