//! Emission of the integer ops (`quantize` pass): the float boundary (`Quantize`,
//! `Dequantize`: one tensor's scale and zero point as literals) and the int8 layers
//! (`QConv`, `QDense`: weights packed here for `ecgc_kernels::q8`, one `Channel` per output with
//! its folded bias, multiplier and shift, written as literal statics).

use super::{f32_lit, us, Ctx};
use crate::back::packed::{Form, Packed};
use crate::ir::{Graph, Node, Op, QConv, QDense, Quant, Requant, TensorData, ValueId};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// Scale and zero point of a per-tensor quantized value.
fn per_tensor(c: &Ctx, v: ValueId) -> Result<(TokenStream, Literal), String> {
    match &c.g.value(v).quant {
        Some(Quant { scale, zero_point, axis: None }) if scale.len() == 1 => {
            Ok((f32_lit(scale[0]), Literal::i32_unsuffixed(zero_point[0])))
        }
        _ => Err(format!("node '{}': %{} has no per-tensor quantization parameters", c.node.name, v.0)),
    }
}

/// `Quantize`: f32 operand to the int8 result.
pub(super) fn quantize(c: &Ctx) -> Result<TokenStream, String> {
    let (scale, zp) = per_tensor(c, c.node.output)?;
    Ok(quote!(k::quantize::quantize_i8(i0, #scale, #zp, out);))
}

/// `Dequantize`: int8 operand to the f32 result.
pub(super) fn dequantize(c: &Ctx) -> Result<TokenStream, String> {
    let (scale, zp) = per_tensor(c, c.node.inputs[0])?;
    Ok(quote!(k::quantize::dequantize_i8(i0, #scale, #zp, out);))
}

/// `ceil(k / 4)`: weight words per row.
fn words(k: usize) -> usize {
    k.div_ceil(4)
}

/// The rows of an integer layer's weights, one per (output, input channel) for a conv
/// (`[O, C, K]`: rows of `K` taps) or per output for a dense layer (`[K, N]`: column `j`), each
/// packed as `ceil(len / 4)` words with a zero tail (`ecgc_kernels::q8::pack_row`'s layout).
pub fn packed_weights(g: &Graph, node: &Node) -> Option<Form> {
    let w = g.value(*node.inputs.get(1)?);
    let TensorData::I8(data) = w.const_tensor()? else { return None };
    let rows: Vec<Vec<i8>> = match (&node.op, w.shape.as_slice()) {
        (Op::QConv(_), &[o, c, k]) => (0..o * c).map(|r| data[r * k..(r + 1) * k].to_vec()).collect(),
        (Op::QDense(_), &[k, n]) => (0..n).map(|j| (0..k).map(|i| data[i * n + j]).collect()).collect(),
        _ => return None,
    };
    let len = rows.first().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(rows.len() * words(len) * 4);
    for r in &rows {
        out.extend_from_slice(r);
        out.resize(out.len() + words(len) * 4 - len, 0);
    }
    let count = out.len() / 4;
    Some(Form { key: 0, dims: [4, count, 1], data: out.into() })
}

/// The channel table and output stage of a layer, as one static `(channels, output)`.
fn channel_table(c: &Ctx, r: &Requant, channels: usize) -> Result<TokenStream, String> {
    let p = c.p;
    let bias =
        c.g.value(c.node.inputs[2])
            .const_tensor()
            .and_then(|d| d.ints())
            .filter(|b| b.len() == channels)
            .ok_or_else(|| format!("node '{}': the bias is not {channels} integers", c.node.name))?;
    let table = bias.iter().enumerate().map(|(ch, &b)| {
        let (m, s) = r.at(ch);
        let (b, m, s) = (Literal::i64_unsuffixed(b), Literal::i32_unsuffixed(m), Literal::i32_unsuffixed(s));
        quote!(k::q8::Channel { bias: #b, mult: #m, shift: #s })
    });
    let n = Literal::usize_unsuffixed(channels);
    let (zp, lo, hi) = [r.zero_point, r.act_min, r.act_max].map(Literal::i32_unsuffixed).into();
    Ok(quote! {
        static #p: ([k::q8::Channel; #n], k::q8::Output) =
            ([#(#table),*], k::q8::Output { offset: #zp, min: #lo, max: #hi });
    })
}

/// `QConv`: one `conv1d_s8` call per batch item.
pub(super) fn qconv(c: &Ctx, q: &QConv, packed: &Packed) -> Result<(TokenStream, TokenStream), String> {
    let (x, w) = (c.shape(0), c.shape(1));
    let (&[_, ci, l], &[o, _, kt]) = (x.as_slice(), w.as_slice()) else {
        return Err(format!("node '{}': QConv is 1-D", c.node.name));
    };
    let depthwise = q.conv.groups == ci && q.conv.groups == o && w[1] == 1;
    if q.conv.groups != 1 && !depthwise {
        return Err(format!("node '{}': QConv with groups {} has no kernel", c.node.name, q.conv.groups));
    }
    let (s, d, pad) = (q.conv.stride[0], q.conv.dilation[0], q.conv.pad_before[0]);
    let ol = c.out[2];
    let kq = words(kt);
    let win = 3 * s + (4 * kq - 1) * d + 2;
    let wname = packed.get(&(c.node.inputs[1], 0)).ok_or("QConv weights are not packed")?;
    let items = channel_table(c, &q.requant, o)?;
    let p = c.p;
    let [ci_, kt_, kq_, s_, d_, pad_, l_, ol_, win_] = [ci, kt, kq, s, d, pad, l, ol, win].map(us);
    let (xlen, olen) = (us(ci * l), us(o * ol));
    let pad_value = Literal::i32_unsuffixed(q.pad_value);
    if depthwise {
        // every channel row of every batch item in one call; filters cycle over batch items
        let f = if q.dsp { quote!(depthwise_s8_dsp) } else { quote!(depthwise_s8_portable) };
        let body = quote! {
            let (w, _) = #wname.as_chunks::<#kq_>();
            k::q8::depthwise::#f::<#kt_, #kq_, #s_, #d_, #pad_, #l_, #ol_, #win_>(i0, w, &#p.0, &#p.1, #pad_value, out);
        };
        return Ok((items, body));
    }
    let f = if q.dsp { quote!(conv1d_s8_dsp) } else { quote!(conv1d_s8_portable) };
    let body = quote! {
        let (w, _) = #wname.as_chunks::<#kq_>();
        let (w, _) = w.as_chunks::<#ci_>();
        // batch items by `as_chunks` (no `chunks_exact` zero-size assertion, which survives at "s")
        for (x, y) in i0.as_chunks::<#xlen>().0.iter().zip(out.as_chunks_mut::<#olen>().0.iter_mut()) {
            k::q8::conv1d::#f::<#ci_, #kt_, #kq_, #s_, #d_, #pad_, #l_, #ol_, #win_>(x, w, &#p.0, &#p.1, #pad_value, y);
        }
    };
    Ok((items, body))
}

/// `QDense`: one `dense_s8` call over every row.
pub(super) fn qdense(c: &Ctx, d: &QDense, packed: &Packed) -> Result<(TokenStream, TokenStream), String> {
    let wname = packed.get(&(c.node.inputs[1], 0)).ok_or("QDense weights are not packed")?;
    let items = channel_table(c, &d.requant, d.n)?;
    let p = c.p;
    let f = if d.dsp { quote!(dense_s8_dsp) } else { quote!(dense_s8_portable) };
    let [k_, kq_, n_] = [d.k, words(d.k), d.n].map(us);
    let body = quote! {
        let (w, _) = #wname.as_chunks::<#kq_>();
        k::q8::dense::#f::<#k_, #kq_, #n_>(i0, w, &#p.0, &#p.1, out);
    };
    Ok((items, body))
}
