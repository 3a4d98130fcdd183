//! The raw int8 API of an int8 build (`Model::run_i8`, PRODUCT.md "The generated crate"): the
//! caller passes int8 inputs already quantized with the published parameters and receives int8
//! outputs, so neither side holds a float copy (CCfC's input is 50 KiB as int8, 200 KiB as f32).
//!
//! An input is *raw* when the only node reading it (directly or through a reshape the plan makes a
//! view of the caller's buffer) is the `Quantize` at the float boundary (its own loop nest, its
//! result in the arena); an output is raw when it is the result of a
//! `Dequantize` of an arena value that no node reads, written straight into the caller's buffer;
//! and the input boundaries' loop nests come first, the output boundaries' last. `run_i8` is `run`'s code with those
//! boundary nodes replaced, at the same position, by a copy: the caller's int8 input into the
//! quantized value's arena range, and the int8 value out into the caller's buffer. The other
//! inputs and outputs keep their f32 type. A model with no raw input or output, a streaming
//! model and a Scan model get no `run_i8`.
//!
//! Each entry point is its own copy of the model's code; firmware that calls only one links only
//! that one (an uncalled method is not linked).

use super::{groups, ops::f32_lit};
use crate::ir::{DType, Graph, Op, ValueId};
use crate::plan::Plan;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// One raw boundary: the `Quantize` (input) or `Dequantize` (output) node it replaces, the
/// int8 value on the model's side, and its parameters.
#[derive(Clone, Debug)]
pub struct Boundary {
    /// Index of the boundary node.
    pub node: usize,
    /// The int8 value (the `Quantize` result, the `Dequantize` operand).
    pub q: ValueId,
    /// Its scale and zero point.
    pub scale: f32,
    pub zero_point: i32,
}

/// The raw boundaries of every graph input and output (`None`: stays f32).
#[derive(Clone, Debug, Default)]
pub struct Raw {
    pub inputs: Vec<Option<Boundary>>,
    pub outputs: Vec<Option<Boundary>>,
}

impl Raw {
    /// The node a raw boundary replaces, if node `i` is one: (true for an input, its index).
    pub fn replaced(&self, i: usize) -> Option<(bool, usize)> {
        let find = |l: &[Option<Boundary>]| l.iter().position(|b| b.as_ref().is_some_and(|b| b.node == i));
        find(&self.inputs).map(|k| (true, k)).or_else(|| find(&self.outputs).map(|k| (false, k)))
    }
}

/// The raw boundaries of `g` under `plan`, or `None` when the model gets no raw API.
pub fn boundaries(g: &Graph, plan: &Plan) -> Option<Raw> {
    if !g.state.is_empty() || g.window.is_some() {
        return None;
    }
    // the loop nests `back::lib_rs` emits, in order
    let nests = groups::groups(g, plan);
    let mut alone = vec![false; g.nodes.len()];
    for nest in &nests {
        if let [i] = nest[..] {
            alone[i] = true;
        }
    }
    let readers = |v: ValueId| -> Vec<usize> {
        g.nodes.iter().enumerate().filter(|(_, n)| n.inputs.contains(&v)).map(|(i, _)| i).collect()
    };
    let params = |q: ValueId| g.value(q).quant.as_ref().filter(|p| p.scale.len() == 1).map(|p| p.at(0));
    let in_arena = |q: ValueId| g.value(q).dtype == DType::I8 && plan.range(g, q).is_some();
    // An input's readers through the views the plan makes of it (reshapes: `plan::aliases`).
    let (root, elided, delta) = crate::plan::aliases(g);
    let view_readers = |x: ValueId| -> Vec<usize> {
        let whole =
            |v: ValueId| root[v.index()] == x.index() && delta[v.index()] == 0 && g.value(v).len() == g.value(x).len();
        let viewed = |v: ValueId| root[v.index()] == x.index();
        let mut out = vec![];
        for (i, n) in g.nodes.iter().enumerate() {
            if elided[i] || !n.inputs.iter().any(|&v| viewed(v)) {
                continue;
            }
            // a reader of part of the input, or of it beside other operands, is not a boundary
            if n.inputs.len() != 1 || !whole(n.inputs[0]) || g.outputs.iter().any(|&o| viewed(o)) {
                return vec![usize::MAX, usize::MAX];
            }
            out.push(i);
        }
        out
    };
    let inputs: Vec<Option<Boundary>> = g
        .inputs
        .iter()
        .map(|&x| {
            let [i] = view_readers(x)[..] else { return None };
            let n = &g.nodes[i];
            let ok = matches!(n.op, Op::Quantize(DType::I8)) && alone[i] && in_arena(n.output);
            let (scale, zero_point) = params(n.output)?;
            ok.then_some(Boundary { node: i, q: n.output, scale, zero_point })
        })
        .collect();
    let outputs: Vec<Option<Boundary>> = g
        .outputs
        .iter()
        .enumerate()
        .map(|(k, &o)| {
            let i = g.nodes.iter().position(|n| n.output == o)?;
            let n = &g.nodes[i];
            let once = g.outputs.iter().filter(|&&x| x == o).count() == 1;
            // written straight into the caller's buffer by its node (no copy after the nests)
            let direct = plan.external[o.index()] == Some(k);
            let ok = matches!(n.op, Op::Dequantize)
                && alone[i]
                && in_arena(n.inputs[0])
                && readers(o).is_empty()
                && once
                && direct;
            let (scale, zero_point) = params(n.inputs[0])?;
            ok.then_some(Boundary { node: i, q: n.inputs[0], scale, zero_point })
        })
        .collect();
    // `run` and `run_i8` do their own boundary around one shared body: the input boundaries'
    // nests must come first and the output boundaries' last
    let is_node = |l: &[Option<Boundary>], i: usize| l.iter().flatten().any(|b| b.node == i);
    let kinds: Vec<Option<bool>> = nests
        .iter()
        .map(|nest| match nest[..] {
            [i] if is_node(&inputs, i) => Some(true),
            [i] if is_node(&outputs, i) => Some(false),
            _ => None,
        })
        .collect();
    let first_core = kinds.iter().position(Option::is_none).unwrap_or(kinds.len());
    let last_core = kinds.iter().rposition(Option::is_none).map_or(0, |p| p + 1);
    let ordered = kinds[..first_core].iter().all(|k| *k != Some(false))
        && kinds[last_core..].iter().all(|k| *k != Some(true))
        && kinds[first_core..last_core].iter().all(Option::is_none);
    let any = inputs.iter().chain(&outputs).any(Option::is_some);
    (any && ordered).then_some(Raw { inputs, outputs })
}

/// `<NAME>_SCALE` and `<NAME>_ZERO_POINT` of a raw input or output.
pub fn consts(upper: &str, kind: &str, name: &str, b: &Boundary) -> TokenStream {
    let (s, z) = (format_ident!("{}_SCALE", upper), format_ident!("{}_ZERO_POINT", upper));
    let (sv, zv) = (f32_lit(b.scale), Literal::i32_unsuffixed(b.zero_point));
    let doc_s =
        format!(" Scale of {kind} `{name}` in [`Model::run_i8`]: real = `{upper}_SCALE` · (q − `{upper}_ZERO_POINT`).");
    let doc_z = format!(" Zero point of {kind} `{name}` in [`Model::run_i8`].");
    quote! {
        #[doc = #doc_s]
        pub const #s: f32 = #sv;
        #[doc = #doc_z]
        pub const #z: i32 = #zv;
    }
}
