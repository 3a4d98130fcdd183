//! Per-op code generation: each IR node becomes a `const` parameter item and a kernel call.
//!
//! Inside the emitted block, operands are bound to `i0, i1, …` (`&[f32]`) and the result to
//! `out` (`&mut [f32]`) by the caller (`lib_rs`). Every parameter is derived from the IR's shapes
//! and op fields; nothing here chooses anything the IR did not already fix.

use super::packed::Packed;
use super::strides::{broadcast, collapse, row_major};
use crate::ir::{self, BinaryOp, Graph, Node, Op, PoolKind, ReduceOp, UnaryOp};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

/// What one node contributes to the generated crate.
pub struct Emitted {
    /// Items at module level (parameter constants).
    pub items: TokenStream,
    /// Statements inside `run`, using `i0..` and `out`.
    pub body: TokenStream,
}

fn us(v: usize) -> Literal {
    Literal::usize_unsuffixed(v)
}

fn us_list(v: &[usize]) -> TokenStream {
    let v = v.iter().map(|&x| us(x));
    quote!(&[#(#v),*])
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

/// The kernel's `UnaryOp` for an IR unary op: an exhaustive match, so every IR variant names its
/// kernel variant explicitly (a rename on either side is a compile error here, not in a user's
/// generated crate).
pub(super) fn unary_tokens(u: UnaryOp) -> TokenStream {
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
pub(super) fn binary_tokens(b: BinaryOp) -> TokenStream {
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
fn copy_body() -> TokenStream {
    quote! {
        for (o, x) in out.iter_mut().zip(i0.iter()) {
            *o = *x;
        }
    }
}

/// Emits a strided copy from operand `src` into `out`.
fn strided_copy(
    p: &Ident,
    shape: &[usize],
    src_off: usize,
    src: &[isize],
    dst_off: usize,
    dst: &[isize],
    src_name: &Ident,
) -> (TokenStream, TokenStream) {
    let (shape, sets) = collapse(shape, &[src.to_vec(), dst.to_vec()]);
    let (s, ss, ds) = (us_list(&shape), is_list(&sets[0]), is_list(&sets[1]));
    let (so, doff) = (us(src_off), us(dst_off));
    let items = quote! {
        const #p: k::copy::CopyParams<'static> = k::copy::CopyParams {
            shape: #s, src_offset: #so, src_strides: #ss, dst_offset: #doff, dst_strides: #ds,
        };
    };
    (items, quote!(k::copy::strided_copy(&#p, #src_name, out);))
}

/// Generates one node. `p` is the unique parameter-constant name for this node; `packed` names
/// the packed weight statics of Dense layers by (weight, tile width).
pub fn emit(g: &Graph, node: &Node, p: &Ident, packed: &Packed) -> Result<Emitted, String> {
    let shape_of = |k: usize| g.value(node.inputs[k]).shape.clone();
    let out_shape = g.value(node.output).shape.clone();
    let i0 = format_ident!("i0");
    let none = TokenStream::new();
    let (items, body) = match &node.op {
        Op::Conv(c) => super::conv::emit(g, node, c, p, packed)?,
        Op::EinSum(e) => {
            let (sa, sb) = (row_major(&shape_of(0)), row_major(&shape_of(1)));
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
        Op::Binary(b) => {
            let sets = [broadcast(&shape_of(0), &out_shape), broadcast(&shape_of(1), &out_shape)];
            let (s, sets) = collapse(&out_shape, &sets);
            let (s, a, bb, op) = (us_list(&s), is_list(&sets[0]), is_list(&sets[1]), binary_tokens(*b));
            (
                quote! {
                    const #p: k::binary::Broadcast2<'static> = k::binary::Broadcast2 {
                        shape: #s, a_offset: 0, a_strides: #a, b_offset: 0, b_strides: #bb,
                    };
                },
                quote!(k::binary::binary(#op, &#p, i0, i1, out);),
            )
        }
        Op::Unary(UnaryOp::Identity) | Op::Reshape => (none, copy_body()),
        Op::Unary(u) => {
            let op = unary_tokens(*u);
            (none, quote!(k::unary::unary(#op, i0, out);))
        }
        Op::Select => {
            let sets: Vec<Vec<isize>> = (0..3).map(|k| broadcast(&shape_of(k), &out_shape)).collect();
            let (s, sets) = collapse(&out_shape, &sets);
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
        Op::Reduce(r) => {
            let x = shape_of(0);
            let xs = row_major(&x);
            let kept: Vec<usize> = (0..x.len()).filter(|a| !r.axes.contains(a)).collect();
            let (os, ost) =
                collapse(&kept.iter().map(|&a| x[a]).collect::<Vec<_>>(), &[kept.iter().map(|&a| xs[a]).collect()]);
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
        Op::Softmax(s) => {
            let items = axis_params(p, &shape_of(0), s.axis);
            let f = if s.log { quote!(log_softmax) } else { quote!(softmax) };
            (items, quote!(k::axis::#f(&#p, i0, out);))
        }
        Op::RmsNorm(r) => {
            let items = axis_params(p, &shape_of(0), r.axis);
            let eps = f32_lit(r.eps);
            (items, quote!(k::axis::rms_norm(&#p, #eps, i0, out);))
        }
        Op::Transpose(t) => {
            let xs = row_major(&shape_of(0));
            let src: Vec<isize> = t.perm.iter().map(|&a| xs[a]).collect();
            strided_copy(p, &out_shape, 0, &src, 0, &row_major(&out_shape), &i0)
        }
        Op::Slice(s) => {
            let xs = row_major(&shape_of(0));
            let off: isize = s.start.iter().zip(&xs).map(|(&a, &b)| a as isize * b).sum();
            let src: Vec<isize> = s.step.iter().zip(&xs).map(|(&a, &b)| a * b).collect();
            strided_copy(p, &out_shape, off as usize, &src, 0, &row_major(&out_shape), &i0)
        }
        Op::BroadcastTo => {
            let src = broadcast(&shape_of(0), &out_shape);
            strided_copy(p, &out_shape, 0, &src, 0, &row_major(&out_shape), &i0)
        }
        Op::Pad(pad) => {
            let os = row_major(&out_shape);
            let off: usize = pad.before.iter().zip(&os).map(|(&a, &b)| a * b as usize).sum();
            let x = shape_of(0);
            let (items, copy) = strided_copy(p, &x, 0, &row_major(&x), off, &os, &i0);
            let v = f32_lit(pad.value);
            (items, quote! { k::copy::fill(out, #v); #copy })
        }
        Op::Concat(c) => {
            let os = row_major(&out_shape);
            let mut items = TokenStream::new();
            let mut body = TokenStream::new();
            let mut at = 0usize;
            for k in 0..node.inputs.len() {
                let x = shape_of(k);
                let pk = format_ident!("{}_{}", p, k);
                let src = format_ident!("i{}", k);
                let (it, bd) = strided_copy(&pk, &x, 0, &row_major(&x), at * os[c.axis] as usize, &os, &src);
                items.extend(it);
                body.extend(bd);
                at += x[c.axis];
            }
            (items, body)
        }
        Op::Gather(gt) => {
            let x = shape_of(0);
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
        Op::Dense(d) => (none, super::dense::emit(d, node.inputs[1], packed)?),
        Op::Fused(f) => {
            let shapes: Vec<Vec<usize>> = (0..node.inputs.len()).map(shape_of).collect();
            (none, super::fused::emit(f, &shapes, &out_shape))
        }
        Op::Pool(pl) => {
            let x = shape_of(0);
            let ((ih, iw), (oh, ow)) = (spatial(&x[2..], 1), spatial(&out_shape[2..], 1));
            let ((kh, kw), (sh, sw)) = (spatial(&pl.kernel, 1), spatial(&pl.stride, 1));
            let ((dh, dw), (pt, pl_)) = (spatial(&pl.dilation, 1), spatial(&pl.pad_before, 0));
            let f = [x[0] * x[1], ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl_].map(us);
            let [ch, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl_] = f;
            let kind = match pl.kind {
                PoolKind::Max => quote!(k::pool::PoolKind::Max),
                PoolKind::Sum => quote!(k::pool::PoolKind::Sum),
                PoolKind::Avg { count_include_pad } => {
                    quote!(k::pool::PoolKind::Avg { count_include_pad: #count_include_pad })
                }
            };
            (
                quote! {
                    const #p: k::pool::PoolParams = k::pool::PoolParams {
                        channels: #ch, in_h: #ih, in_w: #iw, out_h: #oh, out_w: #ow, k_h: #kh, k_w: #kw,
                        stride_h: #sh, stride_w: #sw, dil_h: #dh, dil_w: #dw, pad_top: #pt, pad_left: #pl_,
                    };
                },
                quote!(k::pool::pool2d(#kind, &#p, i0, out);),
            )
        }
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

fn axis_params(p: &Ident, x: &[usize], axis: usize) -> TokenStream {
    let outer: usize = x[..axis].iter().product();
    let inner: usize = x[axis + 1..].iter().product();
    let (o, n, i) = (us(outer), us(x[axis]), us(inner));
    quote!(const #p: k::axis::AxisParams = k::axis::AxisParams { outer: #o, len: #n, inner: #i };)
}
