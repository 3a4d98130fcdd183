//! Emission of the integer ops (`quantize` pass): the float boundary (`Quantize`,
//! `Dequantize`: one tensor's scale and zero point as literals) and the int8 layers
//! (`QConv`, `QDense`: weights packed here for `ecgc_kernels::q8`, one `Channel` per output with
//! its folded bias, multiplier and shift, written as literal statics).

use super::{f32_lit, Ctx};
use crate::ir::{Quant, ValueId};
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
