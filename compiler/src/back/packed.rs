//! Weights read as typed, packed statics instead of flat `[f32; N]` arrays.
//!
//! A specialised kernel takes its constant operand as fixed-size arrays (`[[[f32; T]; K]; n]`),
//! so the generated crate stores that operand in exactly that type, in the order the kernel
//! streams it, decoded at compile time by `ecgc_kernels::weights::tiles_from_le`. This module
//! says which operands those are and what their forms are; `lib_rs` emits the statics (once per
//! constant and form) and the op emitters name them through [`Packed`].

use super::ops::{conv, dense, quant};
use crate::ir::{Graph, Node, Op, TensorData, ValueId, ValueKind};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;
use std::collections::BTreeMap;

/// The packed statics, by (constant, form key).
pub type Packed = BTreeMap<(ValueId, usize), Ident>;

/// One packed form of a constant: a key (distinct per form of one constant), the static's type
/// and its data in that order.
pub struct Form {
    /// Distinguishes the forms of one constant (a Dense tile width; 0 for a conv's kernel).
    pub key: usize,
    /// `[[[f32; inner]; middle]; outer]` dimensions of f32 data; for int8 data, words of 4
    /// (`[[i8; 4]; middle]`, `inner` 4 and `outer` 1).
    pub dims: [usize; 3],
    /// The elements in the static's order.
    pub data: TensorData,
}

impl Form {
    /// The static's type.
    pub fn ty(&self) -> TokenStream {
        let [a, b, c] = self.dims.map(Literal::usize_unsuffixed);
        match self.data {
            TensorData::I8(_) => quote!([[i8; #a]; #b]),
            _ => quote!([[[f32; #a]; #b]; #c]),
        }
    }

    /// The kernel crate's `const fn` that decodes the little-endian bytes into [`Form::ty`].
    pub fn decoder(&self) -> TokenStream {
        match self.data {
            TensorData::I8(_) => quote!(k::weights::i8_words_from_le),
            _ => quote!(k::weights::tiles_from_le),
        }
    }
}

/// Whether operand `k` of `node` is read from packed statics (and so is not bound as a slice).
pub fn reads_packed(g: &Graph, node: &Node, k: usize) -> bool {
    let constant = node.inputs.get(k).is_some_and(|&v| matches!(g.value(v).kind, ValueKind::Const(_)));
    constant
        && match &node.op {
            Op::Dense(_) => k == 1,
            Op::Conv(_) => k == 1 && conv::conv1d_geometry(g, node).is_some(),
            // weights packed in words; the bias is folded into the emitted channel table
            Op::QConv(_) | Op::QDense(_) => k == 1 || k == 2,
            _ => false,
        }
}

/// The forms in which `node` reads its packed operand `k`.
pub fn forms(g: &Graph, node: &Node, k: usize) -> Vec<Form> {
    let Some(&v) = node.inputs.get(k) else { return vec![] };
    if let (Op::QConv(_) | Op::QDense(_), 1) = (&node.op, k) {
        return quant::packed_weights(g, node).into_iter().collect();
    }
    let Some(data) = g.value(v).const_data() else { return vec![] };
    match &node.op {
        Op::Dense(d) => dense::tiles(d.k, d.n)
            .into_iter()
            .map(|run| Form { key: run.0, dims: [run.0, d.k, run.2], data: dense::pack(data, d.k, d.n, run).into() })
            .collect(),
        Op::Conv(_) => match conv::conv1d_geometry(g, node) {
            // tiles of 4 channels, [tile][C_in · K][4] (zero weights past the last channel)
            Some(c) if c.long() => {
                let (ck, tiles) = (c.cig * c.k, c.c_out.div_ceil(4));
                let at = |o: usize, i: usize| if o < c.c_out { data[o * ck + i] } else { 0.0 };
                let packed: Vec<f32> = (0..tiles)
                    .flat_map(|t| (0..ck).flat_map(move |i| (0..4).map(move |j| (t, i, j))))
                    .map(|(t, i, j)| at(4 * t + j, i))
                    .collect();
                vec![Form { key: 0, dims: [4, ck, tiles], data: packed.into() }]
            }
            // The ONNX layout [C_out, C_in/groups, K] as is.
            Some(c) => vec![Form { key: 0, dims: [c.k, c.cig, c.c_out], data: data.to_vec().into() }],
            None => vec![],
        },
        _ => vec![],
    }
}
