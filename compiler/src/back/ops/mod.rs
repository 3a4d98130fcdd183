//! Per-op code generation, one file per op family (as `front/ops/`), so an op's lowering,
//! kernel and emitted code are found by the same name: `conv` (1-D const-generic path and the
//! strided conv2d), `dense`, `fused` (element-wise loops), `einsum`, `elementwise` (unfused
//! element-wise ops), `reduce` (reductions, softmax, RMS norm), `axis` (data movement), `pool`.
//!
//! Inside the emitted block, operands are bound to `i0, i1, …` (`&[f32]`) and the result to
//! `out` (`&mut [f32]`) by the caller (`lib_rs`). Every parameter is derived from the IR's shapes
//! and op fields; nothing here chooses anything the IR did not already fix.

mod axis;
pub mod conv;
pub mod dense;
mod einsum;
mod elementwise;
pub mod fused;
mod pool;
pub mod quant;
mod reduce;
pub mod ssm;

pub use elementwise::{binary_tokens, unary_tokens};

use super::packed::Packed;
use super::tuning::Tuning;
use crate::ir::{Graph, Node, Op, UnaryOp};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

/// One loop nest for a group of fused nodes (`back/groups.rs`).
pub use fused::emit_group as fused_group;

/// What one node contributes to the generated crate.
pub struct Emitted {
    /// Items at module level (parameter constants).
    pub items: TokenStream,
    /// Statements inside `run`, using `i0..` and `out`.
    pub body: TokenStream,
}

/// What an emitter knows about its node.
pub(super) struct Ctx<'a> {
    g: &'a Graph,
    node: &'a Node,
    /// The node's parameter-constant name.
    p: &'a Ident,
    /// The output shape.
    out: Vec<usize>,
}

impl Ctx<'_> {
    /// Shape of operand `k`.
    fn shape(&self, k: usize) -> Vec<usize> {
        self.g.value(self.node.inputs[k]).shape.clone()
    }
}

fn us(v: usize) -> Literal {
    Literal::usize_unsuffixed(v)
}

fn us_list(v: &[usize]) -> TokenStream {
    let v = v.iter().map(|&x| us(x));
    quote!(&[#(#v),*])
}

/// An `isize` const generic argument (a negative one in braces: `{ -3 }`).
fn is(v: isize) -> TokenStream {
    let a = Literal::usize_unsuffixed(v.unsigned_abs());
    if v < 0 {
        quote!({ -#a })
    } else {
        quote!(#a)
    }
}

fn is_list(v: &[isize]) -> TokenStream {
    let v = v.iter().map(|&x| {
        let a = Literal::usize_unsuffixed(x.unsigned_abs());
        if x < 0 {
            quote!(-#a)
        } else {
            quote!(#a)
        }
    });
    quote!(&[#(#v),*])
}

/// A bit-exact f32 expression.
pub fn f32_lit(x: f32) -> TokenStream {
    let bits = Literal::u32_unsuffixed(x.to_bits());
    quote!(f32::from_bits(#bits))
}

/// Generates one node. `p` is the unique parameter-constant name for this node; `packed` names
/// the packed weight statics of specialised kernels (`back/packed.rs`); `tuning` says which
/// opt-level the code is tuned for (`back/tuning.rs`).
pub fn emit(g: &Graph, node: &Node, p: &Ident, packed: &Packed, tuning: Tuning) -> Result<Emitted, String> {
    let c = Ctx { g, node, p, out: g.value(node.output).shape.clone() };
    let (items, body) = match &node.op {
        Op::Conv(conv) => conv::emit(g, node, conv, p, packed, tuning)?,
        Op::Dense(d) => (TokenStream::new(), dense::emit(d, node.inputs[1], packed, tuning)?),
        Op::Quantize(_) => (TokenStream::new(), quant::quantize(&c)?),
        Op::Dequantize => (TokenStream::new(), quant::dequantize(&c)?),
        Op::QConv(q) => quant::qconv(&c, q, packed)?,
        Op::QDense(d) => quant::qdense(&c, d, packed)?,
        Op::Fused(f) => {
            let shapes: Vec<Vec<usize>> = (0..node.inputs.len()).map(|k| c.shape(k)).collect();
            (TokenStream::new(), fused::emit(f, &shapes, &c.out))
        }
        Op::EinSum(e) => einsum::einsum(&c, e),
        Op::Binary(b) => elementwise::binary(&c, *b),
        Op::Unary(UnaryOp::Identity) | Op::Reshape => (TokenStream::new(), elementwise::copy_body()),
        Op::Unary(u) => elementwise::unary(*u),
        Op::Select => elementwise::select(&c),
        Op::Reduce(r) => reduce::reduce(&c, r),
        Op::Softmax(s) => reduce::softmax(&c, s),
        Op::RmsNorm(r) => reduce::rms_norm(&c, r),
        Op::Transpose(t) => axis::transpose(&c, t),
        Op::Slice(s) => axis::slice(&c, s),
        Op::BroadcastTo => axis::broadcast_to(&c),
        Op::Pad(pad) => axis::pad(&c, pad),
        Op::Concat(cc) => axis::concat(&c, cc),
        Op::Gather(gt) => axis::gather(&c, gt),
        Op::Pool(pl) => pool::pool(&c, pl)?,
    };
    Ok(Emitted { items, body })
}

/// A 1-D or 2-D spatial vector as the kernels' (h, w): 1-D vectors put `absent` in h.
pub(super) fn spatial(v: &[usize], absent: usize) -> (usize, usize) {
    match v {
        [w] => (absent, *w),
        [h, w, ..] => (*h, *w),
        [] => (absent, absent),
    }
}
