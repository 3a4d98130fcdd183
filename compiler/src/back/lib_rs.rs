//! Assembles the generated crate's `src/lib.rs`: model card, size constants, weights, parameter
//! constants, the `Model` type and its `run` method.

use super::names::Namer;
use super::ops::{self, f32_lit};
use crate::ir::{Graph, ValueId, ValueKind};
use crate::plan::Plan;
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeMap;

/// Constants up to this many elements are written inline; larger ones go to `src/weights/*.bin`.
const INLINE_MAX: usize = 16;

/// Facts for the model card and size constants, computed by `report`.
pub struct CardFacts {
    /// Rustdoc lines of the crate root.
    pub card: Vec<String>,
    /// Bytes of constant data.
    pub weight_bytes: usize,
    /// Multiply-accumulates per inference.
    pub macs: u64,
}

/// The text of `src/lib.rs` and the weight files it includes.
pub struct LibRs {
    /// Formatted Rust source.
    pub source: String,
    /// `weights/<name>.bin` → little-endian f32 bytes.
    pub weights: BTreeMap<String, Vec<u8>>,
    /// `(parameter name, SCREAMING name)` of each input, in order.
    pub inputs: Vec<(String, String)>,
    /// `(parameter name, SCREAMING name)` of each output, in order.
    pub outputs: Vec<(String, String)>,
}

struct Io {
    param: Ident,
    upper: String,
    value: ValueId,
}

/// Generates `lib.rs`.
pub fn generate(g: &Graph, plan: &Plan, facts: &CardFacts) -> Result<LibRs, String> {
    let mut items = Namer::default();
    let mut locals = Namer::default();
    let mut weights = BTreeMap::new();
    let mut statics = TokenStream::new();
    let mut io_consts = TokenStream::new();

    let mut io = |ids: &[ValueId], kind: &str, items: &mut Namer, io_consts: &mut TokenStream| -> Vec<Io> {
        let list: Vec<Io> = ids
            .iter()
            .map(|&v| {
                let val = g.value(v);
                let param = format_ident!("{}", locals.snake(&val.name));
                let upper = items.upper(&val.name);
                Io { param, upper, value: v }
            })
            .collect();
        for (k, x) in list.iter().enumerate() {
            let val = g.value(x.value);
            let (shape_id, len_id) = (format_ident!("{}_SHAPE", x.upper), format_ident!("{}_LEN", x.upper));
            let rank = Literal::usize_unsuffixed(val.shape.len());
            let dims = val.shape.iter().map(|&d| Literal::usize_unsuffixed(d));
            let len = Literal::usize_unsuffixed(val.len());
            let doc_shape = format!(" Shape of {kind} {k}, `{}` (row-major).", val.name);
            let doc_len = format!(" Element count of {kind} {k}, `{}`.", val.name);
            io_consts.extend(quote! {
                #[doc = #doc_shape]
                pub const #shape_id: [usize; #rank] = [#(#dims),*];
                #[doc = #doc_len]
                pub const #len_id: usize = #len;
            });
            if list.len() == 1 {
                let up = kind.to_uppercase();
                let (s2, l2) = (format_ident!("{}_SHAPE", up), format_ident!("{}_LEN", up));
                io_consts.extend(quote! {
                    #[doc = #doc_shape]
                    pub const #s2: [usize; #rank] = #shape_id;
                    #[doc = #doc_len]
                    pub const #l2: usize = #len_id;
                });
            }
        }
        list
    };
    let inputs = io(&g.inputs, "input", &mut items, &mut io_consts);
    let outputs = io(&g.outputs, "output", &mut items, &mut io_consts);

    // Constants: a static per constant value that some node reads or that is an output.
    let used = g.used_values();
    let mut const_names: BTreeMap<ValueId, Ident> = BTreeMap::new();
    for (i, v) in g.values.iter().enumerate() {
        let ValueKind::Const(data) = &v.kind else { continue };
        if !used[i] {
            continue;
        }
        if let Some(bad) = data.iter().find(|x| !x.is_finite()) {
            return Err(format!("constant '{}' holds {bad}", v.name));
        }
        let name = items.upper(&format!("w_{}", v.name));
        let id = format_ident!("{}", name);
        let n = Literal::usize_unsuffixed(data.len());
        let doc = format!(" Constant `{}`, shape {:?}.", v.name, v.shape);
        if data.len() <= INLINE_MAX {
            let elems = data.iter().map(|&x| f32_lit(x));
            statics.extend(quote!(#[doc = #doc] static #id: [f32; #n] = [#(#elems),*];));
        } else {
            let file = format!("weights/{}.bin", name.to_lowercase());
            let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
            weights.insert(file.clone(), bytes);
            statics.extend(quote! {
                #[doc = #doc]
                static #id: [f32; #n] = k::weights::f32s_from_le(include_bytes!(#file));
            });
        }
        const_names.insert(ValueId(i as u32), id);
    }

    let operand = |v: ValueId| -> Option<TokenStream> {
        if let Some(c) = const_names.get(&v) {
            return Some(quote!(&#c[..]));
        }
        inputs.iter().find(|x| x.value == v).map(|x| {
            let p = &x.param;
            quote!(&#p[..])
        })
    };
    let range = |v: ValueId| -> Option<TokenStream> {
        plan.offsets[v.index()].map(|o| {
            let (a, b) = (Literal::usize_unsuffixed(o), Literal::usize_unsuffixed(o + g.value(v).len()));
            quote!((#a, #b))
        })
    };

    let mut params = TokenStream::new();
    let mut body = TokenStream::new();
    for (i, node) in g.nodes.iter().enumerate() {
        if plan.elided[i] {
            continue;
        }
        let p = format_ident!("{}", items.upper(&format!("p_{}", node.name)));
        let emitted = ops::emit(g, node, &p);
        let doc = format!(" Node `{}`: {}.", node.name, node.op.summary());
        if !emitted.items.is_empty() {
            params.extend(quote!(#[doc = #doc]));
        }
        params.extend(emitted.items);
        let mut arena_names = vec![];
        let mut arena_ranges = vec![];
        let mut others = TokenStream::new();
        for (k, &v) in node.inputs.iter().enumerate() {
            let name = format_ident!("i{}", k);
            if let Some(r) = range(v) {
                arena_names.push(name);
                arena_ranges.push(r);
            } else if let Some(src) = operand(v) {
                others.extend(quote!(let #name: &[f32] = #src;));
            } else {
                return Err(format!("node '{}' reads a value with no storage", node.name));
            }
        }
        let out = range(node.output).ok_or_else(|| format!("node '{}' has no arena slot", node.name))?;
        let node_body = emitted.body;
        body.extend(quote! {
            {
                let (out, [#(#arena_names),*]) = k::arena::split(arena, #out, [#(#arena_ranges),*]);
                #others
                #node_body
            }
        });
    }
    for o in &outputs {
        let param = &o.param;
        let src = match range(o.value) {
            Some(r) => quote!(k::arena::view(arena, #r)),
            None => operand(o.value).ok_or_else(|| "output with no storage".to_string())?,
        };
        body.extend(quote! {
            for (o, x) in #param.iter_mut().zip(#src.iter()) {
                *o = *x;
            }
        });
    }

    let in_params = inputs.iter().map(|x| {
        let (p, len) = (&x.param, format_ident!("{}_LEN", x.upper));
        quote!(#p: &[f32; #len])
    });
    let out_params = outputs.iter().map(|x| {
        let (p, len) = (&x.param, format_ident!("{}_LEN", x.upper));
        quote!(#p: &mut [f32; #len])
    });
    let card = facts.card.iter().map(|l| {
        let l = if l.is_empty() { String::new() } else { format!(" {}", l.trim_start()) };
        quote!(#![doc = #l])
    });
    let arena_len = Literal::usize_unsuffixed(plan.arena_len);
    let weight_bytes = Literal::usize_unsuffixed(facts.weight_bytes);
    let macs = Literal::u64_unsuffixed(facts.macs);
    let arena_binding = if g.nodes.is_empty() {
        quote!(let arena = &self.arena[..]; let _ = arena;)
    } else {
        quote!(let arena = &mut self.arena[..];)
    };
    let file = quote! {
        #(#card)*
        #![no_std]
        #![forbid(unsafe_code)]
        #![deny(missing_docs)]
        #![allow(clippy::excessive_precision, clippy::unreadable_literal, clippy::too_many_arguments)]

        use ecgc_kernels as k;

        #io_consts
        /// f32 elements of the activation arena.
        pub const ARENA_LEN: usize = #arena_len;
        /// Bytes of the activation arena (inside [`Model`]).
        pub const ARENA_BYTES: usize = ARENA_LEN * 4;
        /// Bytes of persistent state (none: this model is stateless).
        pub const STATE_BYTES: usize = 0;
        /// Bytes of constant weights (in flash).
        pub const WEIGHT_BYTES: usize = #weight_bytes;
        /// Multiply-accumulates per inference.
        pub const MACS: u64 = #macs;

        #statics
        #params

        /// The model: owns its arena, so it can live in a `static` or on the stack. No heap.
        pub struct Model {
            arena: [f32; ARENA_LEN],
        }

        impl Default for Model {
            fn default() -> Self {
                Self::new()
            }
        }

        impl Model {
            /// A model with a zeroed arena.
            pub const fn new() -> Self {
                Self { arena: [0.0; ARENA_LEN] }
            }

            /// Runs one whole-window inference.
            pub fn run(&mut self, #(#in_params,)* #(#out_params),*) {
                #arena_binding
                #body
            }
        }
    };
    let parsed: syn::File = syn::parse2(file).map_err(|e| format!("generated code does not parse: {e}"))?;
    let source = format!(
        "// @generated by ecgc {}. Do not edit: regenerate instead.\n{}",
        env!("CARGO_PKG_VERSION"),
        prettyplease::unparse(&parsed)
    );
    let names = |l: &[Io]| l.iter().map(|x| (x.param.to_string(), x.upper.clone())).collect();
    Ok(LibRs { source, weights, inputs: names(&inputs), outputs: names(&outputs) })
}
