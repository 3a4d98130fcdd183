//! Weights read as typed, packed statics instead of flat `[f32; N]` arrays.
//!
//! A specialised kernel takes its constant operand as fixed-size arrays (`[[[f32; T]; K]; n]`),
//! so the generated crate stores that operand in exactly that type, in the order the kernel
//! streams it, decoded at compile time by `ecgc_kernels::weights::tiles_from_le`. This module
//! says which operands those are and what their forms are; `lib_rs` emits the statics (once per
//! constant and form) and the op emitters name them through [`Packed`].

use super::ops::{conv, dense};
use crate::ir::{Graph, Node, Op, ValueId, ValueKind};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;
use std::collections::BTreeMap;

/// The packed statics, by (constant, form key).
pub type Packed = BTreeMap<(ValueId, usize), Ident>;

/// One packed form of a constant: a key (distinct per form of one constant), the static's type
/// (`[[[f32; a]; b]; c]`) and its data in that order.
pub struct Form {
    /// Distinguishes the forms of one constant (a Dense tile width; 0 for a conv's kernel).
    pub key: usize,
    /// `[[[f32; inner]; middle]; outer]` dimensions.
    pub dims: [usize; 3],
    /// The elements in the static's order.
    pub data: Vec<f32>,
}

impl Form {
    /// The static's type.
    pub fn ty(&self) -> TokenStream {
        let [a, b, c] = self.dims.map(Literal::usize_unsuffixed);
        quote!([[[f32; #a]; #b]; #c])
    }
}

/// Whether operand `k` of `node` is read from packed statics (and so is not bound as a slice).
pub fn reads_packed(g: &Graph, node: &Node, k: usize) -> bool {
    let constant = node.inputs.get(k).is_some_and(|&v| matches!(g.value(v).kind, ValueKind::Const(_)));
    constant
        && k == 1
        && match &node.op {
            Op::Dense(_) => true,
            Op::Conv(_) => conv::conv1d_geometry(g, node).is_some(),
            _ => false,
        }
}

/// The forms in which `node` reads its packed operand `k`.
pub fn forms(g: &Graph, node: &Node, k: usize) -> Vec<Form> {
    let Some(&v) = node.inputs.get(k) else { return vec![] };
    let Some(data) = g.value(v).const_data() else { return vec![] };
    match &node.op {
        Op::Dense(d) => dense::tiles(d.n)
            .into_iter()
            .map(|run| Form { key: run.0, dims: [run.0, d.k, run.2], data: dense::pack(data, d.k, d.n, run) })
            .collect(),
        Op::Conv(_) => match conv::conv1d_geometry(g, node) {
            // The ONNX layout [C_out, C_in/groups, K] as is.
            Some(c) => vec![Form { key: 0, dims: [c.k, c.cig, c.c_out], data: data.to_vec() }],
            None => vec![],
        },
        _ => vec![],
    }
}
