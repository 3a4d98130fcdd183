//! Element-wise ops through the strided, rank-generic kernels (`binary`, `unary`, `select`),
//! used when the `fuse-elementwise` pass is disabled; the kernels' op enums for every emitter.

use super::{f32_lit, is_list, us_list, Ctx};
use crate::back::strides::{broadcast, collapse};
use crate::ir::{BinaryOp, UnaryOp};
use proc_macro2::TokenStream;
use quote::quote;

/// The kernel's `UnaryOp` for an IR unary op: an exhaustive match, so every IR variant names its
/// kernel variant explicitly (a rename on either side is a compile error here, not in a user's
/// generated crate).
pub fn unary_tokens(u: UnaryOp) -> TokenStream {
    use UnaryOp as U;
    let v = match u {
        U::Neg => quote!(Neg),
        U::Abs => quote!(Abs),
        U::Sqrt => quote!(Sqrt),
        U::Rsqrt => quote!(Rsqrt),
        U::Recip => quote!(Recip),
        U::Exp => quote!(Exp),
        U::Ln => quote!(Ln),
        U::Sigmoid => quote!(Sigmoid),
        U::Tanh => quote!(Tanh),
        U::Erf => quote!(Erf),
        U::GeluExact => quote!(GeluExact),
        U::GeluTanh { square } => quote!(GeluTanh { square: #square }),
        U::Softplus => quote!(Softplus),
        U::Square => quote!(Square),
        U::Relu => quote!(Relu),
        U::LeakyRelu(a) => {
            let a = f32_lit(a);
            quote!(LeakyRelu(#a))
        }
        U::HardSigmoid { alpha, beta } => {
            let (a, b) = (f32_lit(alpha), f32_lit(beta));
            quote!(HardSigmoid { alpha: #a, beta: #b })
        }
        U::Clip { min, max } => {
            let (a, b) = (f32_lit(min), f32_lit(max));
            quote!(Clip { min: #a, max: #b })
        }
        U::Floor => quote!(Floor),
        U::Ceil => quote!(Ceil),
        U::Round => quote!(Round),
        U::RoundHalfToEven => quote!(RoundHalfToEven),
        U::Sign => quote!(Sign),
        U::Not => quote!(Not),
        U::PowConst(p) => {
            let p = f32_lit(p);
            quote!(PowConst(#p))
        }
        U::Sin => quote!(Sin),
        U::Cos => quote!(Cos),
        U::Silu => quote!(Silu),
        U::IsNan => quote!(IsNan),
        U::IsInf => quote!(IsInf),
        // A type change only: emitted as a copy by `emit`, never as a kernel call.
        U::Identity => return quote!(),
    };
    quote!(k::unary::UnaryOp::#v)
}

/// The kernel's `BinaryOp` for an IR binary op (exhaustive, as for [`unary_tokens`]).
pub fn binary_tokens(b: BinaryOp) -> TokenStream {
    use BinaryOp as B;
    let v = match b {
        B::Add => quote!(Add),
        B::Sub => quote!(Sub),
        B::Mul => quote!(Mul),
        B::Div => quote!(Div),
        B::Max => quote!(Max),
        B::Min => quote!(Min),
        B::Pow => quote!(Pow),
        B::Rem => quote!(Rem),
        B::Less => quote!(Less),
        B::LessEqual => quote!(LessEqual),
        B::Greater => quote!(Greater),
        B::GreaterEqual => quote!(GreaterEqual),
        B::Equal => quote!(Equal),
        B::NotEqual => quote!(NotEqual),
        B::And => quote!(And),
        B::Or => quote!(Or),
        B::Xor => quote!(Xor),
    };
    quote!(k::binary::BinaryOp::#v)
}

/// A contiguous element-by-element copy `out ← i0` (no panicking path).
pub(super) fn copy_body() -> TokenStream {
    quote! {
        for (o, x) in out.iter_mut().zip(i0.iter()) {
            *o = *x;
        }
    }
}

/// Numpy-broadcast binary op.
pub(super) fn binary(c: &Ctx, b: BinaryOp) -> (TokenStream, TokenStream) {
    let p = c.p;
    let sets = [broadcast(&c.shape(0), &c.out), broadcast(&c.shape(1), &c.out)];
    let (s, sets) = collapse(&c.out, &sets);
    let (s, a, bb, op) = (us_list(&s), is_list(&sets[0]), is_list(&sets[1]), binary_tokens(b));
    (
        quote! {
            const #p: k::binary::Broadcast2<'static> = k::binary::Broadcast2 {
                shape: #s, a_offset: 0, a_strides: #a, b_offset: 0, b_strides: #bb,
            };
        },
        quote!(k::binary::binary(#op, &#p, i0, i1, out);),
    )
}

/// Unary op over a contiguous tensor.
pub(super) fn unary(u: UnaryOp) -> (TokenStream, TokenStream) {
    let op = unary_tokens(u);
    (TokenStream::new(), quote!(k::unary::unary(#op, i0, out);))
}

/// `cond ? a : b` with broadcasting.
pub(super) fn select(c: &Ctx) -> (TokenStream, TokenStream) {
    let p = c.p;
    let sets: Vec<Vec<isize>> = (0..3).map(|k| broadcast(&c.shape(k), &c.out)).collect();
    let (s, sets) = collapse(&c.out, &sets);
    let (s, c, a, b) = (us_list(&s), is_list(&sets[0]), is_list(&sets[1]), is_list(&sets[2]));
    (
        quote! {
            const #p: k::select::Broadcast3<'static> = k::select::Broadcast3 {
                shape: #s, c_strides: #c, a_strides: #a, b_strides: #b,
            };
        },
        quote!(k::select::select(&#p, i0, i1, i2, out);),
    )
}
