//! Emission of `Op::Conv`: 1-D convolutions (and 2-D ones that are 1-D over `C·H` rows, see
//! [`conv1d_geometry`]) with a constant kernel of at most 64 taps become
//! `ecgc_kernels::conv1d::conv1d::<CIG, K, S, D, P, L, OL, W, HOIST>` calls (geometry as const generics,
//! weights a typed static in the ONNX layout), one per (batch item, group); kernels of 65–512
//! taps with no dilation, one group and no tile reading padding one
//! `ecgc_kernels::conv1d_long::conv1d_long` call per batch item (weights packed in tiles of 4
//! channels); depthwise ones (one channel per group, a FIR filter per channel) of any length one
//! `ecgc_kernels::fir::depthwise` call; everything else (2-D, computed or longer grouped kernels)
//! the strided `conv2d` kernel with a parameter constant.

use super::spatial;
use crate::back::packed::Packed;
use crate::back::tuning::Tuning;
use crate::ir::{Conv, Graph, Node, ValueKind};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

/// Kernels up to this many taps take `ecgc_kernels::conv1d::conv1d` with any padding (it
/// unrolls the whole tap loop).
const MAX_SHORT_TAPS: usize = 64;
/// Longer kernels (up to this many taps; no dilation, one group) take
/// `ecgc_kernels::conv1d_long` when no tile of 4 positions reaches into the padding: the
/// 387-tap rows of CCfC's front end (after `passes::conv_rows`). `conv2d` sums still longer
/// rows in blocks of 64.
const MAX_TAPS: usize = 512;

/// The geometry of a convolution the `conv1d` kernel computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1d {
    /// Groups.
    pub groups: usize,
    /// Input channels per group.
    pub cig: usize,
    /// Output channels (all groups).
    pub c_out: usize,
    /// Taps.
    pub k: usize,
    /// Stride.
    pub s: usize,
    /// Dilation.
    pub d: usize,
    /// Leading zero padding.
    pub p: usize,
    /// Input length.
    pub l: usize,
    /// Output length.
    pub ol: usize,
}

impl Conv1d {
    /// One input and one output channel per group: a FIR filter per channel, any length
    /// (`ecgc_kernels::fir::depthwise`).
    pub fn depthwise(&self) -> bool {
        self.cig == 1 && self.c_out == self.groups
    }

    /// More taps than `conv1d` unrolls, not depthwise (those are FIR filters of any length):
    /// the `conv1d_long` kernel, weights packed in tiles of 4 channels (the cost model's
    /// `conv1d_mac_long`).
    pub fn long(&self) -> bool {
        self.k > MAX_SHORT_TAPS && !self.depthwise()
    }

    /// The input window of a tile of 4 output positions, `3S + (K−1)D + 1` elements.
    pub fn window(&self) -> usize {
        3 * self.s + self.k.saturating_sub(1) * self.d + 1
    }

    /// True when every tile's window lies inside the input (no padding is read).
    pub fn no_edge_tiles(&self) -> bool {
        let last_tile = self.ol.saturating_sub(1) / 4 * 4;
        self.p == 0 && self.k >= 1 && last_tile * self.s + self.window() <= self.l
    }
}

/// `Some` when `node` is a 1-D convolution with a constant kernel of 1 to 64 taps (depthwise:
/// any length; 65–512 under [`Conv1d::long`]'s conditions) — or a 2-D one
/// whose kernel spans the whole input height with one output row and no vertical padding (a
/// ConvLSTM2D front end over a spectrogram): that is a 1-D convolution over `C·H` input rows, in
/// the same memory layouts (`x [C, H, W]` = `[C·H, W]`, `w [O, C, KH, KW]` = `[O, C·KH, KW]`).
pub fn conv1d_geometry(g: &Graph, node: &Node) -> Option<Conv1d> {
    let crate::ir::Op::Conv(c) = &node.op else { return None };
    let (x, w) = (&g.value(node.inputs[0]).shape, &g.value(*node.inputs.get(1)?).shape);
    let out = &g.value(node.output).shape;
    if !matches!(g.value(node.inputs[1]).kind, ValueKind::Const(_)) || x.len() != w.len() || x.len() != out.len() {
        return None;
    }
    // The width is the last axis; a 2-D conv qualifies when its height is folded into the rows.
    let one_d = match x.len() {
        3 => true,
        4 => out[2] == 1 && c.pad_before[0] == 0 && w[2] == x[2] && c.dilation[0] == 1,
        _ => false,
    };
    if !one_d {
        return None;
    }
    let (last, a) = (x.len() - 1, x.len() - 3);
    let geo = Conv1d {
        groups: c.groups,
        cig: w[1..last].iter().product(),
        c_out: w[0],
        k: w[last],
        s: c.stride[a],
        d: c.dilation[a],
        p: c.pad_before[a],
        l: x[last],
        ol: out[last],
    };
    let long_ok = geo.k <= MAX_TAPS && geo.d == 1 && geo.groups == 1 && geo.no_edge_tiles();
    let taps_ok = geo.k <= MAX_SHORT_TAPS || geo.depthwise() || long_ok;
    let ok = geo.k >= 1 && taps_ok && geo.s >= 1 && geo.d >= 1 && geo.groups >= 1 && geo.cig >= 1;
    ok.then_some(geo)
}

/// Parameter items and statements for a convolution node (operands `i0`, `i1`, optional `i2`).
pub fn emit(
    g: &Graph,
    node: &Node,
    c: &Conv,
    p: &Ident,
    packed: &Packed,
    tuning: Tuning,
) -> Result<(TokenStream, TokenStream), String> {
    let us = Literal::usize_unsuffixed;
    if let Some(geo) = conv1d_geometry(g, node) {
        let w = packed.get(&(node.inputs[1], 0)).ok_or("no packed convolution kernel")?;
        if geo.depthwise() {
            let (wb, w1) = (7 * geo.s + 15 * geo.d + 1, 7 * geo.s + 1);
            let [k, s, d, pad, l, ol, wb, w1] = [geo.k, geo.s, geo.d, geo.p, geo.l, geo.ol, wb, w1].map(us);
            let bias = if node.inputs.len() == 3 { quote!(i2) } else { quote!(&[]) };
            let body = quote! {
                k::fir::depthwise::<#k, #s, #d, #pad, #l, #ol, #wb, #w1>(i0, &#w, #bias, out);
            };
            return Ok((TokenStream::new(), body));
        }
        if geo.long() {
            // one group, no padding (conv1d_geometry's condition); one call per batch item
            let window = 3 * geo.s + geo.k;
            let (xb, ob) = (us(geo.cig * geo.l), us(geo.c_out * geo.ol));
            let [cig, k, ck, s, l, ol, win] = [geo.cig, geo.k, geo.cig * geo.k, geo.s, geo.l, geo.ol, window].map(us);
            let bias = if node.inputs.len() == 3 { quote!(i2) } else { quote!(&[]) };
            let body = quote! {
                for (xb, ob) in i0.as_chunks::<#xb>().0.iter().zip(out.as_chunks_mut::<#ob>().0.iter_mut()) {
                    k::conv1d_long::conv1d_long::<#cig, #k, #ck, #s, #l, #ol, #win>(xb, &#w, #bias, ob);
                }
            };
            return Ok((TokenStream::new(), body));
        }
        let cog = geo.c_out / geo.groups;
        let (xg, og, cogl) = (us(geo.cig * geo.l), us(cog * geo.ol), us(cog));
        let window = geo.window();
        let [cig, k, s, d, pad, l, ol, win] = [geo.cig, geo.k, geo.s, geo.d, geo.p, geo.l, geo.ol, window].map(us);
        let hoist = tuning.conv1d_gather_edges_once();
        let call = quote!(k::conv1d::conv1d::<#cig, #k, #s, #d, #pad, #l, #ol, #win, #hoist>);
        let body = if node.inputs.len() == 3 {
            quote! {
                let per_group = #w.as_chunks::<#cogl>().0.iter().zip(i2.as_chunks::<#cogl>().0.iter()).cycle();
                for ((xg, og), (wg, bg)) in i0.as_chunks::<#xg>().0.iter().zip(out.as_chunks_mut::<#og>().0.iter_mut()).zip(per_group) {
                    #call(xg, wg, bg, og);
                }
            }
        } else {
            quote! {
                for ((xg, og), wg) in i0.as_chunks::<#xg>().0.iter().zip(out.as_chunks_mut::<#og>().0.iter_mut()).zip(#w.as_chunks::<#cogl>().0.iter().cycle()) {
                    #call(xg, wg, &[], og);
                }
            }
        };
        return Ok((TokenStream::new(), body));
    }
    let (x, w, out_shape) =
        (&g.value(node.inputs[0]).shape, &g.value(node.inputs[1]).shape, &g.value(node.output).shape);
    let ((in_h, in_w), (out_h, out_w)) = (spatial(&x[2..], 1), spatial(&out_shape[2..], 1));
    let ((k_h, k_w), (sh, sw)) = (spatial(&w[2..], 1), spatial(&c.stride, 1));
    let ((dh, dw), (pt, pl)) = (spatial(&c.dilation, 1), spatial(&c.pad_before, 0));
    let f = [x[0], x[1], w[0], c.groups, in_h, in_w, out_h, out_w, k_h, k_w, sh, sw, dh, dw, pt, pl].map(us);
    let [batch, c_in, c_out, groups, in_h, in_w, out_h, out_w, k_h, k_w, sh, sw, dh, dw, pt, pl] = f;
    let bias = if node.inputs.len() == 3 { quote!(Some(i2)) } else { quote!(None) };
    Ok((
        quote! {
            const #p: k::conv::ConvParams = k::conv::ConvParams {
                batch: #batch, c_in: #c_in, c_out: #c_out, groups: #groups,
                in_h: #in_h, in_w: #in_w, out_h: #out_h, out_w: #out_w, k_h: #k_h, k_w: #k_w,
                stride_h: #sh, stride_w: #sw, dil_h: #dh, dil_w: #dw, pad_top: #pt, pad_left: #pl,
            };
        },
        quote!(k::conv::conv2d(&#p, i0, i1, #bias, out);),
    ))
}
