//! Emission of `Op::Fused`: one loop nest per node, written out with the node's geometry as
//! literals, the expression as straight-line code, and no kernel call.
//!
//! The output and every operand are walked with iterators only (`as_chunks`, `iter`, `zip`), so
//! the generated loop has no index arithmetic, no bounds checks and no panicking path (not even
//! `chunks_exact`'s zero-size assertion, which survives at opt-level "s" when it is not inlined).
//! After axis collapsing, level `j` of the nest walks axis `j`: the output and every operand that
//! moves along that axis split their current slice into `as_chunks::<stride>()`; an operand that
//! is broadcast along it keeps its slice. At the innermost level a moving operand yields one
//! element per iteration, and a broadcast one is a single element bound once outside the loop
//! (`if let &[v] = &x[..]`, which holds by construction; `x` may be a slice or, below an
//! `as_chunks` level, an array).
//!
//! Element semantics are the kernels' own: `+ - * /` are written out (as the kernels do), every
//! other op calls `UnaryOp::eval` / `BinaryOp::eval` on a constant op, which inlines to the one
//! function (so a model links only the ops it uses).
//!
//! Several fused nodes over the same index space can run as one nest (a *group*, chosen by
//! [`crate::back::groups`]): each writes its own output, and a later member reads an earlier
//! one's result from a register instead of memory — an S4D state update writes the next real and
//! imaginary states and sums `Re(C·x)` over them in one pass over the shared operands.

use super::{binary_tokens, f32_lit, unary_tokens};
use crate::back::strides::{broadcast, collapse, row_major};
use crate::ir::{BinaryOp, Fused, FusedArg, FusedStep};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

/// Where a member's operand `k` comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The group's operand `j` (bound as `i<j>`).
    Operand(usize),
    /// The result of member `m` (which has no sum epilogue and comes earlier).
    Member(usize),
}

/// One node of a group: its expression, where each of its operands comes from, and its output
/// shape (bound as `out<m>`; `out` for a group of one).
pub struct Member<'a> {
    /// The expression.
    pub f: &'a Fused,
    /// Per operand of the node.
    pub args: Vec<Source>,
    /// The node's output shape.
    pub out_shape: Vec<usize>,
}

/// The statements computing `out` from operands `i0, i1, …` (shapes `inputs`) over `out_shape`
/// (with a sum epilogue, over the operands' broadcast shape, summed into `out_shape`).
pub fn emit(f: &Fused, inputs: &[Vec<usize>], out_shape: &[usize]) -> TokenStream {
    let member = Member { f, args: (0..inputs.len()).map(Source::Operand).collect(), out_shape: out_shape.to_vec() };
    emit_group(&[member], inputs, &[format_ident!("out")], &[])
}

/// The shape a member's loop runs over: its output shape, or with a sum epilogue the broadcast
/// shape of its operands (`shape_of(source)` gives each).
pub fn iteration_shape(m: &Member, shape_of: &dyn Fn(Source) -> Vec<usize>) -> Vec<usize> {
    match m.f.sum_from {
        Some(_) => {
            let shapes: Vec<Vec<usize>> = m.args.iter().map(|&a| shape_of(a)).collect();
            let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
            crate::ir::shape::broadcast(&refs).unwrap_or_else(|_| m.out_shape.clone())
        }
        None => m.out_shape.clone(),
    }
}

/// One loop nest computing every member of a group (all over the same iteration shape; only
/// the last may have a sum epilogue), from the group's operands `i0, …` (shapes `operands`), into
/// `outs` (one per member).
///
/// `in_place` lists `(operand k, member m)` pairs where member `m`'s output is written over
/// operand `k` (a recurrent state updated in place, `plan/state.rs`): operand `k` is then not
/// bound at all; each iteration reads its element from output `m`'s element before any member
/// writes (`let v<k> = *o<m>;` first in the innermost body), so every member sees the old value.
/// Both must have the same shape (the plan's rule).
pub fn emit_group(
    members: &[Member],
    operands: &[Vec<usize>],
    outs: &[Ident],
    in_place: &[(usize, usize)],
) -> TokenStream {
    let shape_of = |a: Source| match a {
        Source::Operand(j) => operands.get(j).cloned().unwrap_or_default(),
        Source::Member(m) => members.get(m).map(|x| x.out_shape.clone()).unwrap_or_default(),
    };
    let over = members.last().map(|m| iteration_shape(m, &shape_of)).unwrap_or_default();
    let mut sets: Vec<Vec<isize>> = operands.iter().map(|s| broadcast(s, &over)).collect();
    for m in members {
        let mut out_set = row_major(&m.out_shape);
        if let Some(a) = m.f.sum_from {
            let a = a.min(out_set.len());
            out_set[a..].fill(0);
        }
        sets.push(out_set);
    }
    let (mut dims, mut sets) = collapse(&over, &sets);
    if dims.is_empty() {
        // One element: a level of extent 1 where every operand is "broadcast".
        dims.push(1);
        for s in sets.iter_mut() {
            s.push(0);
        }
    }
    let out_sets = sets.split_off(operands.len());
    // The level at which each output yields single elements: its last moving level (`None`: it
    // is one element, summed over everything).
    let last: Vec<Option<usize>> = out_sets.iter().map(|s| s.iter().rposition(|&x| x != 0)).collect();
    debug_assert!(in_place.iter().all(|&(k, m)| sets.get(k) == out_sets.get(m)), "in-place operand and output differ");
    let nest = Nest { members, dims: &dims, sets: &sets, out_sets: &out_sets, last: &last, in_place };
    let cur: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("i{}", k)).collect();
    let mut code = nest.level(0, outs, &cur);
    // outputs summed over every level: bound (and their sums kept) around the whole nest
    for (m, out) in outs.iter().enumerate() {
        if last[m].is_none() {
            code = with_sum(m, out, code);
        }
    }
    code
}

/// `for o<m> in out.iter_mut() { let mut acc<m> = 0; code; *o<m> = acc<m>; }` — the output is
/// the one element of `out`.
fn with_sum(m: usize, out: &Ident, code: TokenStream) -> TokenStream {
    let (o, acc, zero) = (format_ident!("o{}", m), format_ident!("acc{}", m), f32_lit(0.0));
    quote! {
        for #o in #out.iter_mut() {
            let mut #acc: f32 = #zero;
            #code
            *#o = #acc;
        }
    }
}

/// The loop nest of one group: `dims` levels, each operand's and each output's stride per
/// level, and each output's last moving level.
struct Nest<'a> {
    members: &'a [Member<'a>],
    dims: &'a [usize],
    sets: &'a [Vec<isize>],
    out_sets: &'a [Vec<isize>],
    last: &'a [Option<usize>],
    in_place: &'a [(usize, usize)],
}

impl Nest<'_> {
    /// Level `j`: `outs` are the outputs' current slices (an output that yielded its element at
    /// an outer level keeps that name, unused here), `cur` the operands'.
    fn level(&self, j: usize, outs: &[Ident], cur: &[Ident]) -> TokenStream {
        let inner = j + 1 == self.dims.len();
        let mut parts: Vec<(TokenStream, TokenStream)> = vec![];
        let mut next_outs = outs.to_vec();
        for (m, out) in outs.iter().enumerate() {
            let stride = self.out_sets[m][j];
            if stride == 0 {
                continue;
            }
            if self.last[m] == Some(j) {
                let o = format_ident!("o{}", m);
                parts.push((quote!(#out.iter_mut()), quote!(#o)));
                next_outs[m] = o;
            } else {
                let o = format_ident!("o{}_{}", m, j);
                let s = Literal::usize_unsuffixed(stride as usize);
                parts.push((quote!(#out.as_chunks_mut::<#s>().0.iter_mut()), quote!(#o)));
                next_outs[m] = o;
            }
        }
        let mut next = vec![];
        let mut scalars = vec![];
        for (k, x) in cur.iter().enumerate() {
            let moving = self.sets[k][j] != 0;
            if self.in_place.iter().any(|&(o, _)| o == k) {
                // read through its output (below), never bound itself
                next.push(if inner { format_ident!("v{}", k) } else { x.clone() });
            } else if inner {
                let v = format_ident!("v{}", k);
                if moving {
                    parts.push((quote!(#x.iter()), quote!(&#v)));
                } else {
                    scalars.push((x.clone(), v.clone()));
                }
                next.push(v);
            } else if moving {
                let y = format_ident!("x{}_{}", k, j);
                let s = Literal::usize_unsuffixed(self.sets[k][j] as usize);
                parts.push((quote!(#x.as_chunks::<#s>().0.iter()), quote!(#y)));
                next.push(y);
            } else {
                next.push(x.clone());
            }
        }
        let mut body = if inner { self.expressions(&next) } else { self.level(j + 1, &next_outs, &next) };
        if inner {
            let reads = self.in_place.iter().map(|&(k, m)| {
                let (v, o) = (format_ident!("v{}", k), format_ident!("o{}", m));
                quote!(let #v: f32 = *#o;)
            });
            body = quote!(#(#reads)* #body);
        }
        // sums whose output element this level yields: accumulated around the inner levels
        for m in (0..outs.len()).rev() {
            if self.last[m] == Some(j) && !inner {
                let (o, acc, zero) = (format_ident!("o{}", m), format_ident!("acc{}", m), f32_lit(0.0));
                body = quote! {
                    let mut #acc: f32 = #zero;
                    #body
                    *#o = #acc;
                };
            }
        }
        let mut parts = parts.into_iter();
        let (mut iter, mut pat) = match parts.next() {
            Some(p) => p,
            None => {
                let n = Literal::usize_unsuffixed(self.dims[j]);
                (quote!(0..#n), quote!(_))
            }
        };
        for (z, p) in parts {
            iter = quote!(#iter.zip(#z));
            pat = quote!((#pat, #p));
        }
        wrap_scalars(quote! { for #pat in #iter { #body } }, scalars)
    }

    /// The innermost body: every member's expression in order; a plain member stores its
    /// result, a summing one adds it to its accumulator.
    fn expressions(&self, vals: &[Ident]) -> TokenStream {
        let mut code = TokenStream::new();
        for (m, member) in self.members.iter().enumerate() {
            let args: Vec<TokenStream> = member
                .args
                .iter()
                .map(|a| match *a {
                    Source::Operand(j) => {
                        let v = &vals[j];
                        quote!(#v)
                    }
                    Source::Member(p) => {
                        let r = format_ident!("r{}", p);
                        quote!(#r)
                    }
                })
                .collect();
            code.extend(expression(member.f, m, &args));
            let r = format_ident!("r{}", m);
            let stmt = if self.last[m] == Some(self.dims.len() - 1) {
                let o = format_ident!("o{}", m);
                quote!(*#o = #r;)
            } else {
                let acc = format_ident!("acc{}", m);
                quote!(#acc += #r;)
            };
            code.extend(stmt);
        }
        code
    }
}

/// Binds each broadcast operand's single element around `code` (`if let &[v] = &x[..]`, which holds
/// by construction).
fn wrap_scalars(mut code: TokenStream, scalars: Vec<(Ident, Ident)>) -> TokenStream {
    for (x, v) in scalars.into_iter().rev() {
        code = quote! {
            if let &[#v] = &#x[..] {
                #code
            }
        };
    }
    code
}

/// `let t<m>_0 = …; …; let r<m> = t<m>_last;` for member `m`, its operands' element values
/// being `args`.
fn expression(f: &Fused, m: usize, args: &[TokenStream]) -> TokenStream {
    let t = |s: usize| format_ident!("t{}_{}", m, s);
    let arg = |a: FusedArg| match a {
        FusedArg::Input(k) => args.get(k).cloned().unwrap_or_default(),
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
    let (last, r) = (t(f.steps.len() - 1), format_ident!("r{}", m));
    code.extend(quote!(let #r = #last;));
    code
}
