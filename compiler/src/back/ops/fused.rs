//! Emission of `Op::Fused`: one loop nest per node, written out with the node's geometry as
//! literals, the expression as straight-line code, and no kernel call.
//!
//! The output and every operand are walked with iterators only (`chunks_exact`, `iter`, `zip`),
//! so the generated loop has no index arithmetic, no bounds checks and no panicking path.
//! After axis collapsing, level `j` of the nest walks axis `j`: the output and every operand that
//! moves along that axis split their current slice into `chunks_exact(stride)`; an operand that
//! is broadcast along it keeps its slice. At the innermost level a moving operand yields one
//! element per iteration, and a broadcast one is a single element bound once outside the loop
//! (`if let &[v] = x`, which holds by construction).
//!
//! Element semantics are the kernels' own: `+ - * /` are written out (as the kernels do), every
//! other op calls `UnaryOp::eval` / `BinaryOp::eval` on a constant op, which inlines to the one
//! function (so a model links only the ops it uses).

use super::{binary_tokens, f32_lit, unary_tokens};
use crate::back::strides::{broadcast, collapse, row_major};
use crate::ir::{BinaryOp, Fused, FusedArg, FusedStep};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

/// The statements computing `out` from operands `i0, i1, …` (shapes `inputs`) over `out_shape`.
pub fn emit(f: &Fused, inputs: &[Vec<usize>], out_shape: &[usize]) -> TokenStream {
    let mut sets: Vec<Vec<isize>> = inputs.iter().map(|s| broadcast(s, out_shape)).collect();
    sets.push(row_major(out_shape));
    let (mut dims, mut sets) = collapse(out_shape, &sets);
    if dims.is_empty() {
        // One element: a level of extent 1 where every operand is "broadcast".
        dims.push(1);
        for s in sets.iter_mut() {
            s.push(0);
        }
    }
    let out_strides = sets.pop().unwrap_or_default();
    let cur: Vec<Ident> = (0..inputs.len()).map(|k| format_ident!("i{}", k)).collect();
    level(f, &dims, &sets, &out_strides, 0, &format_ident!("out"), &cur)
}

fn level(
    f: &Fused,
    dims: &[usize],
    sets: &[Vec<isize>],
    out_strides: &[isize],
    j: usize,
    out: &Ident,
    cur: &[Ident],
) -> TokenStream {
    let inner = j + 1 == dims.len();
    if inner {
        let o = format_ident!("o");
        let mut iter = quote!(#out.iter_mut());
        let mut pat = quote!(#o);
        let mut scalars = vec![];
        let mut vals = vec![];
        for (k, x) in cur.iter().enumerate() {
            let v = format_ident!("v{}", k);
            if sets[k][j] == 0 {
                scalars.push((x.clone(), v.clone()));
            } else {
                iter = quote!(#iter.zip(#x.iter()));
                pat = quote!((#pat, &#v));
            }
            vals.push(v);
        }
        let body = expression(f, &vals);
        let mut code = quote! {
            for #pat in #iter {
                #body
                *#o = r;
            }
        };
        for (x, v) in scalars.into_iter().rev() {
            code = quote! {
                if let &[#v] = #x {
                    #code
                }
            };
        }
        return code;
    }
    let o = format_ident!("o{}", j);
    let os = Literal::usize_unsuffixed(out_strides[j] as usize);
    let mut iter = quote!(#out.chunks_exact_mut(#os));
    let mut pat = quote!(#o);
    let mut next = vec![];
    for (k, x) in cur.iter().enumerate() {
        if sets[k][j] == 0 {
            next.push(x.clone());
        } else {
            let y = format_ident!("x{}_{}", k, j);
            let s = Literal::usize_unsuffixed(sets[k][j] as usize);
            iter = quote!(#iter.zip(#x.chunks_exact(#s)));
            pat = quote!((#pat, #y));
            next.push(y);
        }
    }
    let body = level(f, dims, sets, out_strides, j + 1, &o, &next);
    quote! {
        for #pat in #iter {
            #body
        }
    }
}

/// `let t0 = …; …; let r = t_last;` over the element values `vals`.
fn expression(f: &Fused, vals: &[Ident]) -> TokenStream {
    let t = |s: usize| format_ident!("t{}", s);
    let arg = |a: FusedArg| match a {
        FusedArg::Input(k) => {
            let v = &vals[k];
            quote!(#v)
        }
        FusedArg::Step(s) => {
            let v = t(s);
            quote!(#v)
        }
    };
    let mut code = TokenStream::new();
    for (s, step) in f.steps.iter().enumerate() {
        let e = match *step {
            FusedStep::Unary(u, a) => {
                let (op, a) = (unary_tokens(u), arg(a));
                quote!(#op.eval(#a))
            }
            FusedStep::Binary(b, x, y) => {
                let (x, y) = (arg(x), arg(y));
                match b {
                    BinaryOp::Add => quote!(#x + #y),
                    BinaryOp::Sub => quote!(#x - #y),
                    BinaryOp::Mul => quote!(#x * #y),
                    BinaryOp::Div => quote!(#x / #y),
                    _ => {
                        let op = binary_tokens(b);
                        quote!(#op.eval(#x, #y))
                    }
                }
            }
            FusedStep::Select(c, x, y) => {
                let (c, x, y, zero) = (arg(c), arg(x), arg(y), f32_lit(0.0));
                quote!(if #c != #zero { #x } else { #y })
            }
        };
        let name = t(s);
        code.extend(quote!(let #name: f32 = #e;));
    }
    let last = t(f.steps.len() - 1);
    code.extend(quote!(let r = #last;));
    code
}
