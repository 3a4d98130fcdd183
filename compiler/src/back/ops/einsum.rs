//! EinSum through the general contraction kernel (what `dense` does not take).

use super::{is_list, us_list, Ctx};
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
