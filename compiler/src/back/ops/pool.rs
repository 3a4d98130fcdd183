//! Pooling: 1-D pools (one input row, one window row, one output row — the ECG case) through
//! `pool1d`, specialised at compile time on its geometry (const generics: literal loop bounds, no
//! parameter struct); anything else through the strided `pool2d` kernel.

use super::{spatial, us, Ctx};
use crate::ir::{self, PoolKind};
use proc_macro2::TokenStream;
use quote::quote;

/// Max / sum / average pooling (int8: 1-D max pooling only, which the `quantize` pass alone
/// makes).
pub(super) fn pool(c: &Ctx, pl: &ir::Pool) -> Result<(TokenStream, TokenStream), String> {
    let int8 = c.g.value(c.node.inputs[0]).dtype == ir::DType::I8;
    let p = c.p;
    let x = c.shape(0);
    let ((ih, iw), (oh, ow)) = (spatial(&x[2..], 1), spatial(&c.out[2..], 1));
    let ((kh, kw), (sh, sw)) = (spatial(&pl.kernel, 1), spatial(&pl.stride, 1));
    let ((dh, dw), (pt, pl_)) = (spatial(&pl.dilation, 1), spatial(&pl.pad_before, 0));
    let kind = match pl.kind {
        PoolKind::Max => quote!(k::pool::PoolKind::Max),
        PoolKind::Sum => quote!(k::pool::PoolKind::Sum),
        PoolKind::Avg { count_include_pad } => {
            quote!(k::pool::PoolKind::Avg { count_include_pad: #count_include_pad })
        }
    };
    if ih == 1 && oh == 1 && kh == 1 && pt == 0 && [iw, ow, kw, sw, dw].iter().all(|&v| v >= 1) {
        let [iw, ow, kw, sw, dw, pl_] = [iw, ow, kw, sw, dw, pl_].map(us);
        if int8 && pl.kind == PoolKind::Max {
            return Ok((TokenStream::new(), quote!(k::pool::max_pool1d_i8::<#iw, #ow, #kw, #sw, #dw, #pl_>(i0, out);)));
        }
        return Ok((TokenStream::new(), quote!(k::pool::pool1d::<#iw, #ow, #kw, #sw, #dw, #pl_>(#kind, i0, out);)));
    }
    if int8 {
        return Err(format!("node '{}': int8 pooling is 1-D max pooling only", c.node.name));
    }
    let f = [x[0] * x[1], ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl_].map(us);
    let [ch, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl_] = f;
    Ok((
        quote! {
            const #p: k::pool::PoolParams = k::pool::PoolParams {
                channels: #ch, in_h: #ih, in_w: #iw, out_h: #oh, out_w: #ow, k_h: #kh, k_w: #kw,
                stride_h: #sh, stride_w: #sw, dil_h: #dh, dil_w: #dw, pad_top: #pt, pad_left: #pl_,
            };
        },
        quote!(k::pool::pool2d(#kind, &#p, i0, out);),
    ))
}
