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

/// The statements computing `out` from operands `i0, i1, …` (shapes `inputs`) over `out_shape`
/// (with a sum epilogue, over the operands' broadcast shape, summed into `out_shape`).
pub fn emit(f: &Fused, inputs: &[Vec<usize>], out_shape: &[usize]) -> TokenStream {
    let over = match f.sum_from {
        Some(_) => {
            let shapes: Vec<&[usize]> = inputs.iter().map(|s| s.as_slice()).collect();
            crate::ir::shape::broadcast(&shapes).unwrap_or_else(|_| out_shape.to_vec())
        }
        None => out_shape.to_vec(),
    };
    let mut sets: Vec<Vec<isize>> = inputs.iter().map(|s| broadcast(s, &over)).collect();
    let mut out_set = row_major(out_shape);
    if let Some(a) = f.sum_from {
        let a = a.min(out_set.len());
        out_set[a..].fill(0);
    }
    sets.push(out_set);
    let (mut dims, mut sets) = collapse(&over, &sets);
    if dims.is_empty() {
        // One element: a level of extent 1 where every operand is "broadcast".
        dims.push(1);
        for s in sets.iter_mut() {
            s.push(0);
        }
    }
    let out_strides = sets.pop().unwrap_or_default();
    // The summed levels are the trailing ones where the output does not move.
    let summed = out_strides.iter().rev().take_while(|&&s| s == 0).count();
    let red = (f.sum_from.is_some() && summed > 0).then(|| dims.len() - summed);
    let cur: Vec<Ident> = (0..inputs.len()).map(|k| format_ident!("i{}", k)).collect();
    let out = format_ident!("out");
    let nest = Nest { f, dims: &dims, sets: &sets, out_strides: &out_strides, red };
    if red == Some(0) {
        // Everything is summed into the one output element.
        let body = nest.sum(0, &cur);
        return quote! {
            for o in #out.iter_mut() {
                #body
            }
        };
    }
    nest.level(0, &out, &cur)
}

/// The loop nest of one node: `dims` levels, each operand's and the output's stride per level,
/// and the first summed level, if any.
struct Nest<'a> {
    f: &'a Fused,
    dims: &'a [usize],
    sets: &'a [Vec<isize>],
    out_strides: &'a [isize],
    red: Option<usize>,
}

impl Nest<'_> {
    /// Level `j` of the output's loops: `out` is the current output slice, `cur` the operands'.
    fn level(&self, j: usize, out: &Ident, cur: &[Ident]) -> TokenStream {
        let inner = j + 1 == self.dims.len();
        let last_out = self.red == Some(j + 1);
        let o = format_ident!("o{}", j);
        let (mut iter, mut pat) = if inner || last_out {
            (quote!(#out.iter_mut()), quote!(o))
        } else {
            let os = Literal::usize_unsuffixed(self.out_strides[j] as usize);
            (quote!(#out.chunks_exact_mut(#os)), quote!(#o))
        };
        let (zips, pats, next, scalars) = self.operands(j, cur, inner);
        for (z, p) in zips.into_iter().zip(pats) {
            iter = quote!(#iter.zip(#z));
            pat = quote!((#pat, #p));
        }
        let body = if inner {
            let body = expression(self.f, &next);
            quote! { #body *o = r; }
        } else if last_out {
            self.sum(j + 1, &next)
        } else {
            self.level(j + 1, &o, &next)
        };
        wrap_scalars(quote! { for #pat in #iter { #body } }, scalars)
    }

    /// `*o = Σ` over levels `j..`: an accumulator and the summed loops.
    fn sum(&self, j: usize, cur: &[Ident]) -> TokenStream {
        let zero = f32_lit(0.0);
        let body = self.summed(j, cur);
        quote! {
            let mut acc: f32 = #zero;
            #body
            *o = acc;
        }
    }

    /// Summed level `j` (no output slice): adds each innermost result to `acc`.
    fn summed(&self, j: usize, cur: &[Ident]) -> TokenStream {
        let inner = j + 1 == self.dims.len();
        let (zips, pats, next, scalars) = self.operands(j, cur, inner);
        let mut parts = zips.into_iter().zip(pats);
        let (mut iter, mut pat) = match parts.next() {
            Some((z, p)) => (z, p),
            None => {
                let n = Literal::usize_unsuffixed(self.dims[j]);
                (quote!(0..#n), quote!(_))
            }
        };
        for (z, p) in parts {
            iter = quote!(#iter.zip(#z));
            pat = quote!((#pat, #p));
        }
        let body = if inner {
            let body = expression(self.f, &next);
            quote! { #body acc += r; }
        } else {
            self.summed(j + 1, &next)
        };
        wrap_scalars(quote! { for #pat in #iter { #body } }, scalars)
    }

    /// For level `j`: each moving operand's iterator and pattern, the names the next level (or
    /// the expression, when `inner`) reads, and the broadcast scalars to bind around the loop.
    #[allow(clippy::type_complexity)]
    fn operands(
        &self,
        j: usize,
        cur: &[Ident],
        inner: bool,
    ) -> (Vec<TokenStream>, Vec<TokenStream>, Vec<Ident>, Vec<(Ident, Ident)>) {
        let (mut zips, mut pats, mut next, mut scalars) = (vec![], vec![], vec![], vec![]);
        for (k, x) in cur.iter().enumerate() {
            let moving = self.sets[k][j] != 0;
            if inner {
                let v = format_ident!("v{}", k);
                if moving {
                    zips.push(quote!(#x.iter()));
                    pats.push(quote!(&#v));
                } else {
                    scalars.push((x.clone(), v.clone()));
                }
                next.push(v);
            } else if moving {
                let y = format_ident!("x{}_{}", k, j);
                let s = Literal::usize_unsuffixed(self.sets[k][j] as usize);
                zips.push(quote!(#x.chunks_exact(#s)));
                pats.push(quote!(#y));
                next.push(y);
            } else {
                next.push(x.clone());
            }
        }
        (zips, pats, next, scalars)
    }
}

/// Binds each broadcast operand's single element around `code` (`if let &[v] = x`, which holds
/// by construction).
fn wrap_scalars(mut code: TokenStream, scalars: Vec<(Ident, Ident)>) -> TokenStream {
    for (x, v) in scalars.into_iter().rev() {
        code = quote! {
            if let &[#v] = #x {
                #code
            }
        };
    }
    code
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
