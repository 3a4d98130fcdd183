//! Data movement: transpose, slice, broadcast, pad, concat, gather — strided copies whose
//! strides the compiler computes. One or two axes with contiguous destination rows (every zoo
//! model's) become `copy2`, specialised on the geometry at compile time; others `strided_copy`.

use super::{f32_lit, is, is_list, us, us_list, Ctx};
use crate::back::strides::{broadcast, collapse, row_major};
use crate::ir;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// Emits a strided copy from operand `src` into `out`: one contiguous run is a zip loop over two
/// sub-slices with literal bounds (no kernel call, no parameter constant); one or two axes with
/// contiguous destination rows `copy2` with the geometry as const generics; anything else the
/// strided `copy` kernel.
pub(super) fn strided_copy(
    p: &Ident,
    shape: &[usize],
    src_off: usize,
    src: &[isize],
    dst_off: usize,
    dst: &[isize],
    src_name: &Ident,
) -> (TokenStream, TokenStream) {
    let (shape, sets) = collapse(shape, &[src.to_vec(), dst.to_vec()]);
    if shape.len() <= 1 && sets.iter().all(|s| s.iter().all(|&x| x == 1)) {
        let n = shape.first().copied().unwrap_or(1);
        let (a, b, c, d) = (us(src_off), us(src_off + n), us(dst_off), us(dst_off + n));
        let body = quote! {
            if let (Some(src), Some(dst)) = (#src_name.get(#a..#b), out.get_mut(#c..#d)) {
                for (o, x) in dst.iter_mut().zip(src) {
                    *o = *x;
                }
            }
        };
        return (TokenStream::new(), body);
    }
    // One or two axes with contiguous destination rows (transposes, slices, concatenation pieces,
    // broadcasts after merging): `copy2`, specialised on the geometry (const generics).
    let rows = match (shape.as_slice(), sets[0].as_slice(), sets[1].as_slice()) {
        ([c], [sc], [1]) => Some((1, *c, 0, *sc, 0)),
        ([r, c], [sr, sc], [dr, 1]) if *dr >= 0 => Some((*r, *c, *sr, *sc, *dr as usize)),
        _ => None,
    };
    if let Some((r, c, sr, sc, dr)) = rows {
        let (r, c, so, sr, sc, d0, dr) = (us(r), us(c), us(src_off), is(sr), is(sc), us(dst_off), us(dr));
        return (TokenStream::new(), quote!(k::copy::copy2::<#r, #c, #so, #sr, #sc, #d0, #dr>(#src_name, out);));
    }
    let (s, ss, ds) = (us_list(&shape), is_list(&sets[0]), is_list(&sets[1]));
    let (so, doff) = (us(src_off), us(dst_off));
    let items = quote! {
        const #p: k::copy::CopyParams<'static> = k::copy::CopyParams {
            shape: #s, src_offset: #so, src_strides: #ss, dst_offset: #doff, dst_strides: #ds,
        };
    };
    (items, quote!(k::copy::strided_copy(&#p, #src_name, out);))
}

/// Axis permutation.
pub(super) fn transpose(c: &Ctx, t: &ir::Transpose) -> (TokenStream, TokenStream) {
    let p = c.p;
    let xs = row_major(&c.shape(0));
    let src: Vec<isize> = t.perm.iter().map(|&a| xs[a]).collect();
    strided_copy(p, &c.out, 0, &src, 0, &row_major(&c.out), &format_ident!("i0"))
}

/// Strided slice.
pub(super) fn slice(c: &Ctx, s: &ir::Slice) -> (TokenStream, TokenStream) {
    let p = c.p;
    let xs = row_major(&c.shape(0));
    let off: isize = s.start.iter().zip(&xs).map(|(&a, &b)| a as isize * b).sum();
    let src: Vec<isize> = s.step.iter().zip(&xs).map(|(&a, &b)| a * b).collect();
    strided_copy(p, &c.out, off as usize, &src, 0, &row_major(&c.out), &format_ident!("i0"))
}

/// Numpy broadcast.
pub(super) fn broadcast_to(c: &Ctx) -> (TokenStream, TokenStream) {
    let p = c.p;
    let src = broadcast(&c.shape(0), &c.out);
    strided_copy(p, &c.out, 0, &src, 0, &row_major(&c.out), &format_ident!("i0"))
}

/// Constant padding.
pub(super) fn pad(c: &Ctx, pad: &ir::Pad) -> (TokenStream, TokenStream) {
    let p = c.p;
    let os = row_major(&c.out);
    let off: usize = pad.before.iter().zip(&os).map(|(&a, &b)| a * b as usize).sum();
    let x = c.shape(0);
    let (items, copy) = strided_copy(p, &x, 0, &row_major(&x), off, &os, &format_ident!("i0"));
    let v = f32_lit(pad.value);
    (items, quote! { k::copy::fill(out, #v); #copy })
}

/// Concatenation along an axis.
pub(super) fn concat(c: &Ctx, cc: &ir::Concat) -> (TokenStream, TokenStream) {
    let p = c.p;
    let os = row_major(&c.out);
    let mut items = TokenStream::new();
    let mut body = TokenStream::new();
    let mut at = 0usize;
    for k in 0..c.node.inputs.len() {
        let x = c.shape(k);
        let pk = format_ident!("{}_{}", p, k);
        let src = format_ident!("i{}", k);
        let (it, bd) = strided_copy(&pk, &x, 0, &row_major(&x), at * os[cc.axis] as usize, &os, &src);
        items.extend(it);
        body.extend(bd);
        at += x[cc.axis];
    }
    (items, body)
}

/// Gather of constant indices.
pub(super) fn gather(c: &Ctx, gt: &ir::Gather) -> (TokenStream, TokenStream) {
    let p = c.p;
    let x = c.shape(0);
    let outer: usize = x[..gt.axis].iter().product();
    let inner: usize = x[gt.axis + 1..].iter().product();
    let (o, a, i, idx) = (us(outer), us(x[gt.axis]), us(inner), us_list(&gt.indices));
    (
        quote! {
            const #p: k::gather::GatherParams<'static> = k::gather::GatherParams {
                outer: #o, axis_len: #a, inner: #i, indices: #idx,
            };
        },
        quote!(k::gather::gather(&#p, i0, out);),
    )
}
