//! How a flat constant is written in generated code, in its own type: inline literals for
//! small ones, `include_bytes!` of little-endian data decoded by a `const fn` of the kernel
//! crate (`f32s_from_le`, `i8s_from_le`, ...) for the rest. Bits are kept exactly.

use super::ops::f32_lit;
use crate::ir::{DType, TensorData};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

/// The Rust element type of `t`'s storage.
pub fn elem_ty(t: DType) -> TokenStream {
    let id = format_ident!("{}", t.rust_name());
    quote!(#id)
}

/// The elements as literals, for a constant written inline.
pub fn literals(data: &TensorData) -> Vec<TokenStream> {
    let int = |x: i64| {
        let l = Literal::i64_unsuffixed(x);
        quote!(#l)
    };
    match data {
        TensorData::F32(d) => d.iter().map(|&x| f32_lit(x)).collect(),
        other => other.ints().unwrap_or_default().into_iter().map(int).collect(),
    }
}

/// The kernel crate's `const fn` that decodes little-endian bytes into elements of `t`.
pub fn decoder(t: DType) -> Ident {
    format_ident!("{}s_from_le", t.rust_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_constants_are_written_exactly() {
        let d = TensorData::from(vec![-128i8, 0, 127]);
        let lits: Vec<String> = literals(&d).iter().map(|t| t.to_string()).collect();
        assert_eq!(lits, ["- 128", "0", "127"]);
        assert_eq!(decoder(DType::I16).to_string(), "i16s_from_le");
        assert_eq!(elem_ty(DType::Bool).to_string(), "f32");
    }
}
