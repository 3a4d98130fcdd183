//! Reductions and the ops that normalise along one axis (softmax, RMS norm). A reduction with one
//! output and one reduced axis after merging (every zoo model's) calls `reduce1`, specialised on
//! its sizes and strides at compile time; others the strided `reduce`.

use super::{f32_lit, is_list, us, us_list, Ctx};
use crate::back::strides::{collapse, row_major};
use crate::ir::{self, ReduceOp};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// Reduction over axes.
pub(super) fn reduce(c: &Ctx, r: &ir::Reduce) -> (TokenStream, TokenStream) {
    let p = c.p;
    let x = c.shape(0);
    let xs = row_major(&x);
    let kept: Vec<usize> = (0..x.len()).filter(|a| !r.axes.contains(a)).collect();
    let (os, ost) = collapse(&kept.iter().map(|&a| x[a]).collect::<Vec<_>>(), &[kept.iter().map(|&a| xs[a]).collect()]);
    let (rs, rst) =
        collapse(&r.axes.iter().map(|&a| x[a]).collect::<Vec<_>>(), &[r.axes.iter().map(|&a| xs[a]).collect()]);
    let op = match r.op {
        ReduceOp::Sum => quote!(Sum),
        ReduceOp::Mean => quote!(Mean),
        ReduceOp::Max => quote!(Max),
        ReduceOp::Min => quote!(Min),
        ReduceOp::Prod => quote!(Prod),
        ReduceOp::MeanOfSquares => quote!(MeanOfSquares),
    };
    // One output axis and one reduced axis (after merging; the common case): the kernel
    // specialised on them (const generics), no parameter struct.
    let one = |shape: &[usize], strides: &[isize]| match (shape, strides) {
        ([], []) => Some((1, 0)),
        ([n], [s]) if *n >= 1 && *s >= 0 => Some((*n, *s as usize)),
        _ => None,
    };
    if let (Some((o, so)), Some((r, sr))) = (one(&os, &ost[0]), one(&rs, &rst[0])) {
        let [o, so, r, sr] = [o, so, r, sr].map(us);
        return (
            TokenStream::new(),
            quote!(k::reduce::reduce1::<#o, #so, #r, #sr>(k::reduce::ReduceOp::#op, i0, out);),
        );
    }
    let (os, ost, rs, rst) = (us_list(&os), is_list(&ost[0]), us_list(&rs), is_list(&rst[0]));
    (
        quote! {
            const #p: k::reduce::ReduceParams<'static> = k::reduce::ReduceParams {
                out_shape: #os, out_strides: #ost, red_shape: #rs, red_strides: #rst,
            };
        },
        quote!(k::reduce::reduce(k::reduce::ReduceOp::#op, &#p, i0, out);),
    )
}

/// Softmax or log-softmax along one axis.
pub(super) fn softmax(c: &Ctx, s: &ir::Softmax) -> (TokenStream, TokenStream) {
    let p = c.p;
    let items = axis_params(p, &c.shape(0), s.axis);
    let f = if s.log { quote!(log_softmax) } else { quote!(softmax) };
    (items, quote!(k::axis::#f(&#p, i0, out);))
}

/// RMS normalisation along one axis.
pub(super) fn rms_norm(c: &Ctx, r: &ir::RmsNorm) -> (TokenStream, TokenStream) {
    let p = c.p;
    let items = axis_params(p, &c.shape(0), r.axis);
    let eps = f32_lit(r.eps);
    (items, quote!(k::axis::rms_norm(&#p, #eps, i0, out);))
}

fn axis_params(p: &Ident, x: &[usize], axis: usize) -> TokenStream {
    let outer: usize = x[..axis].iter().product();
    let inner: usize = x[axis + 1..].iter().product();
    let (o, n, i) = (us(outer), us(x[axis]), us(inner));
    quote!(const #p: k::axis::AxisParams = k::axis::AxisParams { outer: #o, len: #n, inner: #i };)
}
