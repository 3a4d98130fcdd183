//! Assembles the generated Rust source: model card, size constants, weights, parameter
//! constants, the `Model` type and its `run` method.
//!
//! Two forms share one body: a crate root (`src/lib.rs`, with `#![no_std]` and the card as crate
//! docs) and a module (`model.rs` for `include!` from a firmware's `build.rs`, no inner
//! attributes). Names: every identifier the generator writes itself is reserved in a [`Namer`]
//! before any model name is turned into an identifier, so no model name can shadow or duplicate
//! one. Size: identical parameter constants are emitted once, and a long graph's `run` is split
//! into `#[inline(never)]` functions of at most [`NODES_PER_PART`] nodes (LLVM's optimisation
//! time grows faster than linearly with a function's size).

use super::consts;
use super::names::Namer;
use super::ops;
use super::packed;
use crate::ir::{DType, Graph, Op, TensorData, ValueId, ValueKind};
use crate::plan::{Plan, PoolKey, Region};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};

/// Constants up to this many elements are written inline; larger ones go to `weights/*.bin`.
const INLINE_MAX: usize = 16;

/// Directory of the weight files next to a module-form `model.rs`.
pub const MODULE_WEIGHTS_DIR: &str = "model_weights";

/// Most nodes in one generated function: beyond it `run` calls parts of this size.
pub const NODES_PER_PART: usize = 64;

/// Module-level names the generated source writes itself.
const RESERVED_ITEMS: &[&str] = &[
    "k",
    "ecgc_kernels",
    "Model",
    "ARENA_LEN",
    "ARENA_BYTES",
    "STATE_BYTES",
    "STATE_LEN",
    "WEIGHT_BYTES",
    "MACS",
    "INPUT_SHAPE",
    "INPUT_LEN",
    "OUTPUT_SHAPE",
    "OUTPUT_LEN",
    "f32",
    "usize",
];

/// Local names of `run`, of its parts, and of the harness and README examples around it
/// (`i0, i1, …` are reserved separately, as many as the widest node needs).
const RESERVED_LOCALS: &[&str] = &[
    "self", "arena", "out", "o", "x", "k", "model", "data", "bytes", "reps", "start", "take", "main", "inputs",
    "outputs", "at_in", "at_out", "guard", "f32", "usize", "steps", "t", "s", "v",
];

/// Which file the source is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `src/lib.rs` of a generated crate.
    CrateRoot,
    /// `model.rs`, included into a module of the firmware with `include!`.
    Module,
}

/// Facts for the model card and size constants, computed by `report`.
pub struct CardFacts {
    /// Rustdoc lines of the crate root.
    pub card: Vec<String>,
    /// Bytes of constant data.
    pub weight_bytes: usize,
    /// Multiply-accumulates per inference.
    pub macs: u64,
    /// The opt-level the code is tuned for.
    pub tuning: super::tuning::Tuning,
}

/// The generated source and the weight files it includes.
pub struct LibRs {
    /// Formatted Rust source.
    pub source: String,
    /// `weights/<name>.bin` → little-endian f32 bytes.
    pub weights: BTreeMap<String, Vec<u8>>,
    /// `(parameter name, SCREAMING name)` of each input, in order.
    pub inputs: Vec<(String, String)>,
    /// `(parameter name, SCREAMING name)` of each output, in order.
    pub outputs: Vec<(String, String)>,
    /// A streaming model (`step`/`reset`, state kept inside); the lists above leave the state out.
    pub streaming: bool,
    /// `Model::run_i8` exists: per input and output above, whether it is int8 there.
    pub raw_api: Option<(Vec<bool>, Vec<bool>)>,
}

struct Io {
    param: Ident,
    upper: String,
    value: ValueId,
}

/// A model name as shown inside a doc comment: control characters escaped, backticks replaced.
pub fn shown(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '`' => "'".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The namespaces of one generated file, with every generated name reserved.
fn namers(g: &Graph, plan: &Plan) -> (Namer, Namer) {
    let mut items = Namer::default();
    let mut locals = Namer::default();
    RESERVED_ITEMS.iter().for_each(|r| items.reserve(r));
    RESERVED_LOCALS.iter().for_each(|r| locals.reserve(r));
    for p in plan.pools.iter().filter(|p| p.key != F32_ARENA) {
        items.reserve(&pool_len_ident(p.key).to_string());
        locals.reserve(&pool_ident(p.key).to_string());
    }
    let widest = g.nodes.iter().map(|n| n.inputs.len()).max().unwrap_or(0);
    for k in 0..widest.max(3) {
        locals.reserve(&format!("i{k}"));
    }
    // a Scan model's `run` (`window_run`)
    for k in 0..g.inputs.len().max(g.outputs.len()) {
        for p in ["in_t", "out_t", "in_zero", "out_unused"] {
            locals.reserve(&format!("{p}{k}"));
        }
    }
    (items, locals)
}

fn io_list(g: &Graph, ids: &[ValueId], items: &mut Namer, locals: &mut Namer) -> Vec<Io> {
    ids.iter()
        .map(|&v| {
            let name = &g.value(v).name;
            let param = format_ident!("{}", locals.snake(name));
            let upper = items.upper_with(name, &["", "_SHAPE", "_LEN", "_SCALE", "_ZERO_POINT"]);
            Io { param, upper, value: v }
        })
        .collect()
}

fn io_consts(g: &Graph, list: &[&Io], kind: &str) -> TokenStream {
    let mut out = TokenStream::new();
    for (k, x) in list.iter().enumerate() {
        let val = g.value(x.value);
        let (shape_id, len_id) = (format_ident!("{}_SHAPE", x.upper), format_ident!("{}_LEN", x.upper));
        let rank = Literal::usize_unsuffixed(val.shape.len());
        let dims = val.shape.iter().map(|&d| Literal::usize_unsuffixed(d));
        let len = Literal::usize_unsuffixed(val.len());
        let doc_shape = format!(" Shape of {kind} {k}, `{}` (row-major).", shown(&val.name));
        let doc_len = format!(" Element count of {kind} {k}, `{}`.", shown(&val.name));
        out.extend(quote! {
            #[doc = #doc_shape]
            pub const #shape_id: [usize; #rank] = [#(#dims),*];
            #[doc = #doc_len]
            pub const #len_id: usize = #len;
        });
        if list.len() == 1 {
            let up = kind.to_uppercase();
            let (s2, l2) = (format_ident!("{}_SHAPE", up), format_ident!("{}_LEN", up));
            out.extend(quote! {
                #[doc = #doc_shape]
                pub const #s2: [usize; #rank] = #shape_id;
                #[doc = #doc_len]
                pub const #l2: usize = #len_id;
            });
        }
    }
    out
}

/// The f32 activation pool: the `Model`'s `arena` field.
const F32_ARENA: PoolKey = PoolKey { region: Region::Arena, dtype: DType::F32 };

/// The `Model` field (and local) holding pool `key`: `arena` for f32, `arena_i8` and so on;
/// `state_<k>` for state pair `k`.
fn pool_ident(key: PoolKey) -> Ident {
    match key.region {
        _ if key == F32_ARENA => format_ident!("arena"),
        Region::Arena => format_ident!("arena_{}", key.dtype.rust_name()),
        Region::State(k) if key.dtype == DType::F32 => format_ident!("state_{}", k),
        Region::State(k) => format_ident!("state_{}_{}", k, key.dtype.rust_name()),
    }
}

/// The element-count constant of a pool other than the f32 arena: `ARENA_I8_LEN`, `STATE_0_LEN`.
fn pool_len_ident(key: PoolKey) -> Ident {
    match key.region {
        Region::State(k) if key.dtype == DType::F32 => format_ident!("STATE_{}_LEN", k),
        Region::State(k) => format_ident!("STATE_{}_{}_LEN", k, key.dtype.rust_name().to_uppercase()),
        Region::Arena => format_ident!("ARENA_{}_LEN", key.dtype.rust_name().to_uppercase()),
    }
}

/// A block's views of the arena pools: the written range split off its pool (when `out` is
/// given), every operand range viewed from its own pool.
fn bind_views(out: Option<(PoolKey, &Ident, TokenStream)>, arena: &BTreeMap<PoolKey, PoolViews>) -> TokenStream {
    let mut t = TokenStream::new();
    if let Some((key, name, r)) = &out {
        let a = pool_ident(*key);
        let (names, ranges) = arena.get(key).map(|v| (&v.names[..], &v.ranges[..])).unwrap_or((&[], &[]));
        t.extend(quote!(let (#name, [#(#names),*]) = k::arena::split(#a, #r, [#(#ranges),*]);));
    }
    for (key, v) in arena {
        if out.as_ref().is_some_and(|o| o.0 == *key) {
            continue;
        }
        let (a, ty) = (pool_ident(*key), consts::elem_ty(key.dtype));
        let (names, ranges) = (&v.names, &v.ranges);
        t.extend(quote!(#(let #names: &[#ty] = k::arena::view(#a, #ranges);)*));
    }
    t
}

/// One emitted node: its block inside `run` (or a part) and the graph inputs it reads.
struct Block {
    tokens: TokenStream,
    reads: BTreeSet<usize>,
    /// Graph outputs whose caller buffer the block writes or reads.
    outs: BTreeSet<usize>,
    /// The arena pools the block touches.
    pools: BTreeSet<PoolKey>,
}

/// Operands of a block in one arena pool.
#[derive(Default)]
struct PoolViews {
    names: Vec<Ident>,
    ranges: Vec<TokenStream>,
}

/// A block's operand bindings, as [`generate`]'s `bind_operand` collects them.
#[derive(Default)]
struct Bindings {
    /// Operands in the arena pools, with their ranges (split around the output or viewed).
    arena: BTreeMap<PoolKey, PoolViews>,
    /// `let` statements of the other operands.
    others: TokenStream,
    /// Graph inputs read.
    reads: BTreeSet<usize>,
    /// Graph outputs whose caller buffer is read.
    outs: BTreeSet<usize>,
}

/// Generates the source in the given form.
pub fn generate(g: &Graph, plan: &Plan, facts: &CardFacts, form: Form) -> Result<LibRs, String> {
    let (mut items, mut locals) = namers(g, plan);
    // Every graph input and output has a name; the API (and its constants) leaves state out.
    let inputs = io_list(g, &g.inputs, &mut items, &mut locals);
    let outputs = io_list(g, &g.outputs, &mut items, &mut locals);
    let streaming = !g.state.is_empty();
    let api_in: Vec<&Io> = inputs.iter().enumerate().filter(|(k, _)| !g.is_state_input(*k)).map(|(_, x)| x).collect();
    let api_out: Vec<&Io> =
        outputs.iter().enumerate().filter(|(k, _)| !g.is_state_output(*k)).map(|(_, x)| x).collect();
    let mut consts_io = TokenStream::new();
    // A Scan model's own inputs and outputs (its `run`), beside its step's.
    let window_io = g.window.as_ref().map(|w| {
        let ins: Vec<Outer> = w.inputs.iter().map(|x| Outer::new(&x.name, &x.shape, &mut items, &mut locals)).collect();
        let outs: Vec<Outer> =
            w.outputs.iter().map(|x| Outer::new(&x.name, &x.shape, &mut items, &mut locals)).collect();
        (ins, outs)
    });
    if let Some((ins, outs)) = &window_io {
        consts_io.extend(outer_consts(ins, "input"));
        consts_io.extend(outer_consts(outs, "output"));
        consts_io.extend(io_consts(g, &api_in, "step_input"));
        consts_io.extend(io_consts(g, &api_out, "step_output"));
    } else {
        consts_io.extend(io_consts(g, &api_in, "input"));
        consts_io.extend(io_consts(g, &api_out, "output"));
    }
    if let Some(&k) = super::groups::unsafe_in_place(g, plan).first() {
        return Err(format!(
            "state '{}' is planned in place but read after it is overwritten (plan with groups::settled_plan)",
            g.value(g.inputs[g.state[k].input]).name
        ));
    }
    // A next state that is another state unchanged would need both old values at once.
    for (k, p) in g.state.iter().enumerate() {
        if let Some(other) = g.state_of_input(g.outputs[p.output]).filter(|&j| j != k) {
            return Err(format!(
                "the next value of state '{}' is state '{}' unchanged; exchanging states between steps is not \
                 supported: compile without --stream and keep the state in the caller",
                g.value(g.inputs[p.input]).name,
                g.value(g.inputs[g.state[other].input]).name
            ));
        }
    }

    // Constants: a static per constant value that some node reads or that is an output.
    let mut weights = BTreeMap::new();
    let mut statics = TokenStream::new();
    let used = g.used_values();
    let mut const_names: BTreeMap<ValueId, Ident> = BTreeMap::new();
    // Weights that specialised kernels read are stored packed (`back/packed.rs`); the plain
    // array only when something else reads the constant too.
    let mut flat = vec![false; g.values.len()];
    let mut forms: BTreeMap<(ValueId, usize), packed::Form> = BTreeMap::new();
    // Fused groups; an S4D step among them is one kernel call, its constant coefficients read
    // from one interleaved static (`back/ops/ssm.rs`), by the group's first node.
    let groups = super::groups::groups(g, plan);
    let steps: BTreeMap<usize, ops::ssm::Step> = groups
        .iter()
        .filter(|gr| gr.len() > 1)
        .filter_map(|gr| Some((gr[0], ops::ssm::group_step(g, plan, gr, facts.tuning)?)))
        .collect();
    let mut in_step = vec![None; g.nodes.len()];
    for gr in &groups {
        if let Some(coef) = gr.first().and_then(|i| steps.get(i)).and_then(|s| s.packed) {
            gr.iter().for_each(|&i| in_step[i] = Some(coef));
        }
    }
    for (i, n) in g.nodes.iter().enumerate() {
        for (k, &v) in n.inputs.iter().enumerate() {
            if in_step[i].is_some_and(|coef| coef.contains(&v)) {
                continue;
            }
            if packed::reads_packed(g, n, k) {
                for f in packed::forms(g, n, k) {
                    forms.entry((v, f.key)).or_insert(f);
                }
            } else {
                flat[v.index()] = true;
            }
        }
    }
    g.outputs.iter().for_each(|o| flat[o.index()] = true);
    let mut packed = packed::Packed::new();
    for (&(v, key), pf) in &forms {
        // A conv kernel keeps the constant's own name; Dense tiles say their width.
        let base = &g.value(v).name;
        let name = if key == 0 { items.upper(&format!("w_{base}")) } else { items.upper(&format!("w_{base}_t{key}")) };
        let id = format_ident!("{}", name);
        let dir = if form == Form::Module { MODULE_WEIGHTS_DIR } else { "weights" };
        let file = format!("{dir}/{}.bin", name.to_lowercase());
        let bytes: Vec<u8> = pf.data.le_bytes();
        weights.insert(file.clone(), bytes);
        let (ty, decode) = (pf.ty(), pf.decoder());
        let doc = format!(" Constant `{}` packed for its kernel.", shown(&g.value(v).name));
        statics.extend(quote! {
            #[doc = #doc]
            static #id: #ty = #decode(include_bytes!(#file));
        });
        packed.insert((v, key), id);
    }
    let mut step_coefs: BTreeMap<[ValueId; 4], Ident> = BTreeMap::new();
    for s in steps.values() {
        let Some(coef) = s.packed else { continue };
        if step_coefs.contains_key(&coef) {
            continue;
        }
        let tables: Vec<&[f32]> = coef.iter().filter_map(|&v| g.value(v).const_data()).collect();
        let [ar, ai, cr, ci] = <[&[f32]; 4]>::try_from(tables).map_err(|_| "S4D coefficients without data")?;
        let base = &g.value(coef[0]).name;
        let name = items.upper(&format!("w_{base}_ssm"));
        let id = format_ident!("{}", name);
        let dir = if form == Form::Module { MODULE_WEIGHTS_DIR } else { "weights" };
        let file = format!("{dir}/{}.bin", name.to_lowercase());
        let data = ops::ssm::pack([ar, ai, cr, ci], s.channels, s.modes);
        weights.insert(file.clone(), TensorData::from(data).le_bytes());
        let [m, c] = [s.modes, s.channels].map(Literal::usize_unsuffixed);
        let doc = format!(
            " Constants `{}`, `{}`, `{}`, `{}` (an S4D step's `ar`, `ai`, `cr`, `ci`), interleaved for `ssm_packed`.",
            shown(&g.value(coef[0]).name),
            shown(&g.value(coef[1]).name),
            shown(&g.value(coef[2]).name),
            shown(&g.value(coef[3]).name)
        );
        statics.extend(quote! {
            #[doc = #doc]
            static #id: [[[f32; 4]; #m]; #c] = k::weights::tiles_from_le(include_bytes!(#file));
        });
        step_coefs.insert(coef, id);
    }
    for (i, v) in g.values.iter().enumerate() {
        let ValueKind::Const(data) = &v.kind else { continue };
        if !used[i] || !flat[i] {
            continue;
        }
        if let Some(bad) = data.f32s().and_then(|d| d.iter().find(|x| !x.is_finite())) {
            return Err(format!("constant '{}' holds {bad}", v.name));
        }
        let name = items.upper(&format!("w_{}", v.name));
        let id = format_ident!("{}", name);
        let n = Literal::usize_unsuffixed(data.len());
        let ty = consts::elem_ty(v.dtype);
        let doc = format!(" Constant `{}`, shape {:?}.", shown(&v.name), v.shape);
        if data.len() <= INLINE_MAX {
            let elems = consts::literals(data);
            statics.extend(quote!(#[doc = #doc] static #id: [#ty; #n] = [#(#elems),*];));
        } else {
            let dir = if form == Form::Module { MODULE_WEIGHTS_DIR } else { "weights" };
            let file = format!("{dir}/{}.bin", name.to_lowercase());
            weights.insert(file.clone(), data.le_bytes());
            let decode = consts::decoder(v.dtype);
            statics.extend(quote! {
                #[doc = #doc]
                static #id: [#ty; #n] = k::weights::#decode(include_bytes!(#file));
            });
        }
        const_names.insert(ValueId(i as u32), id);
    }

    // Long graphs run in parts, which take the inputs they read as slices.
    let split = (0..g.nodes.len()).filter(|&i| !plan.elided[i]).count() > NODES_PER_PART;
    // A graph input, or an alias of one the plan elided (a reshape or a contiguous slice of the
    // caller's buffer): the input's position and, for a part of it, the element range.
    let (alias_root, _, alias_delta) = crate::plan::aliases(g);
    let input_part = |v: ValueId| -> Option<(usize, Option<(usize, usize)>)> {
        let r = ValueId(alias_root[v.index()] as u32);
        let k = inputs.iter().position(|x| x.value == r)?;
        let (a, len) = (alias_delta[v.index()], g.value(v).len());
        Some((k, (a != 0 || len != g.value(r).len()).then_some((a, a + len))))
    };
    let input_index = |v: ValueId| input_part(v).map(|(k, _)| k);
    let operand = |v: ValueId, in_part: bool| -> Option<TokenStream> {
        if let Some(c) = const_names.get(&v) {
            return Some(quote!(&#c[..]));
        }
        input_part(v).map(|(k, part)| {
            let p = &inputs[k].param;
            match part {
                Some((a, b)) => {
                    let (a, b) = (Literal::usize_unsuffixed(a), Literal::usize_unsuffixed(b));
                    quote!(&#p[#a..#b])
                }
                None if in_part => quote!(#p),
                None => quote!(&#p[..]),
            }
        })
    };
    let range = |v: ValueId| -> Option<TokenStream> {
        plan.range(g, v).map(|(a, b)| {
            let (a, b) = (Literal::usize_unsuffixed(a), Literal::usize_unsuffixed(b));
            quote!((#a, #b))
        })
    };

    // How a block binds operand `name` (value `v`): an arena range (split or viewed with the
    // others), the caller's buffer of a graph output, a graph input or a constant.
    let bind_operand = |b: &mut Bindings, name: Ident, v: ValueId| -> bool {
        if let (Some(r), Some(key)) = (range(v), plan.pool_of[v.index()]) {
            let views = b.arena.entry(key).or_default();
            views.names.push(name);
            views.ranges.push(r);
        } else if let Some(o) = plan.external[v.index()] {
            let p = &outputs[o].param;
            b.others.extend(quote!(let #name: &[f32] = &#p[..];));
            b.outs.insert(o);
        } else if let Some(src) = operand(v, split) {
            let ty = consts::elem_ty(g.value(v).dtype);
            b.others.extend(quote!(let #name: &[#ty] = #src;));
            b.reads.extend(input_index(v));
        } else {
            return false;
        }
        true
    };

    // Nodes: parameter constants (identical ones shared) and one block each.
    let mut params = TokenStream::new();
    let mut shared_params: BTreeMap<String, Ident> = BTreeMap::new();
    let placeholder = format_ident!("ECGC_PARAM_PLACEHOLDER");
    let mut blocks = vec![];
    // int8 builds: `run_i8`'s replacements of the boundary nodes (`back/raw.rs`), by block index
    let raw = super::raw::boundaries(g, plan);
    let mut raw_blocks: BTreeMap<usize, Block> = BTreeMap::new();
    for group in groups.iter().cloned() {
        let in_place_node = group.iter().any(|&i| plan.in_place(g, g.nodes[i].output).is_some());
        if group.len() > 1 || in_place_node {
            // Fused nodes run as one loop nest (`back/groups.rs`): operands `i<j>`, outputs
            // `out<m>` (the caller's buffers, states updated in place, and at most one arena
            // range). An operand that is a state updated in place is read through its output.
            let (members, operands) = super::groups::members(g, &group);
            let in_place = super::groups::in_place_pairs(g, plan, &group, &operands);
            let step = group.first().and_then(|i| steps.get(i));
            let coef_static = step.and_then(|s| step_coefs.get(&s.packed?));
            let mut b = Bindings::default();
            for (k, &v) in operands.iter().enumerate() {
                if in_place.iter().any(|&(o, _)| o == k)
                    || (coef_static.is_some() && step.is_some_and(|s| s.coef.contains(&k)))
                {
                    continue;
                }
                if !bind_operand(&mut b, format_ident!("i{}", k), v) {
                    return Err(format!("node '{}' reads a value with no storage", g.nodes[group[0]].name));
                }
            }
            let Bindings { arena, others, reads, mut outs } = b;
            let out_names: Vec<Ident> = (0..group.len()).map(|m| format_ident!("out{}", m)).collect();
            let mut bind = TokenStream::new();
            let mut arena_out = None;
            let mut in_place_pools: Vec<PoolKey> = vec![];
            for (m, &i) in group.iter().enumerate() {
                let (v, name) = (g.nodes[i].output, &out_names[m]);
                if let Some(o) = plan.external[v.index()] {
                    let p = &outputs[o].param;
                    outs.insert(o);
                    bind.extend(quote!(let #name: &mut [f32] = &mut #p[..];));
                } else if let (Some(_), Some(key)) = (plan.in_place(g, v), plan.pool_of[v.index()]) {
                    // the whole pool is this state
                    let a = pool_ident(key);
                    bind.extend(quote!(let #name: &mut [f32] = &mut #a[..];));
                    in_place_pools.push(key);
                } else {
                    let r = range(v).ok_or_else(|| format!("node '{}' has no arena slot", g.nodes[i].name))?;
                    arena_out = Some((plan.pool_of[v.index()].unwrap_or(F32_ARENA), name, r));
                }
            }
            let mut pools: BTreeSet<PoolKey> = arena.keys().copied().collect();
            pools.extend(arena_out.as_ref().map(|o| o.0));
            pools.extend(in_place_pools.iter().copied());
            if in_place_pools.iter().any(|k| arena.contains_key(k)) {
                return Err(format!(
                    "node '{}' reads a state it updates in place other than element-wise",
                    g.nodes[group[0]].name
                ));
            }
            bind.extend(bind_views(arena_out, &arena));
            let shapes: Vec<Vec<usize>> = operands.iter().map(|&v| g.value(v).shape.clone()).collect();
            // an S4D step is one kernel call on a core with an FPU; any other group, a loop nest
            let nest = step
                .and_then(|s| ops::ssm::emit(s, &out_names, coef_static))
                .unwrap_or_else(|| ops::fused_group(&members, &shapes, &out_names, &in_place));
            blocks.push(Block {
                tokens: quote! {
                    {
                        #bind
                        #others
                        #nest
                    }
                },
                reads,
                outs,
                pools,
            });
            continue;
        }
        let Some(&i) = group.first() else { continue };
        let node = &g.nodes[i];
        let draft = ops::emit(g, node, &placeholder, &packed, facts.tuning)?;
        let p = if draft.items.is_empty() {
            placeholder.clone()
        } else if let Some(p) = shared_params.get(&draft.items.to_string()) {
            p.clone()
        } else {
            let suffixes: Vec<String> = match node.op {
                Op::Concat(_) => {
                    std::iter::once(String::new()).chain((0..node.inputs.len()).map(|k| format!("_{k}"))).collect()
                }
                _ => vec![String::new()],
            };
            let suffixes: Vec<&str> = suffixes.iter().map(String::as_str).collect();
            let p = format_ident!("{}", items.upper_with(&format!("p_{}", node.name), &suffixes));
            shared_params.insert(draft.items.to_string(), p.clone());
            let doc = format!(" Node `{}`: {}.", shown(&node.name), node.op.summary());
            params.extend(quote!(#[doc = #doc]));
            params.extend(ops::emit(g, node, &p, &packed, facts.tuning)?.items);
            p
        };
        let emitted = ops::emit(g, node, &p, &packed, facts.tuning)?;
        let mut b = Bindings::default();
        for (k, &v) in node.inputs.iter().enumerate() {
            if !packed::reads_packed(g, node, k) && !bind_operand(&mut b, format_ident!("i{}", k), v) {
                return Err(format!("node '{}' reads a value with no storage", node.name));
            }
        }
        let Bindings { arena, others, reads, mut outs } = b;
        let external_out = plan.external[node.output.index()];
        let mut pools: BTreeSet<PoolKey> = arena.keys().copied().collect();
        let out_name = format_ident!("out");
        let bind = if let Some(o) = external_out {
            // The result is a graph output: written straight into the caller's buffer.
            let p = &outputs[o].param;
            outs.insert(o);
            let views = bind_views(None, &arena);
            quote! {
                let out: &mut [f32] = &mut #p[..];
                #views
            }
        } else {
            let out = range(node.output).ok_or_else(|| format!("node '{}' has no arena slot", node.name))?;
            let key = plan.pool_of[node.output.index()].unwrap_or(F32_ARENA);
            pools.insert(key);
            bind_views(Some((key, &out_name, out)), &arena)
        };
        let node_body = emitted.body;
        if let Some((is_input, k)) = raw.as_ref().and_then(|r| r.replaced(i)) {
            let mut rb = Bindings::default();
            let tokens = if is_input {
                let q = node.output;
                let (r, key) = range(q).zip(plan.pool_of[q.index()]).ok_or("raw input without an arena slot")?;
                let views = bind_views(Some((key, &out_name, r)), &BTreeMap::new());
                let p = &inputs[k].param;
                rb.reads.insert(k);
                rb.arena.entry(key).or_default();
                quote! {
                    {
                        #views
                        for (o, x) in out.iter_mut().zip(#p.iter()) {
                            *o = *x;
                        }
                    }
                }
            } else {
                if !bind_operand(&mut rb, format_ident!("i0"), node.inputs[0]) {
                    return Err(format!("raw output '{}' has no storage", g.value(node.output).name));
                }
                let views = bind_views(None, &rb.arena);
                let p = &outputs[k].param;
                rb.outs.insert(k);
                quote! {
                    {
                        #views
                        for (o, x) in #p.iter_mut().zip(i0.iter()) {
                            *o = *x;
                        }
                    }
                }
            };
            let pools = rb.arena.keys().copied().collect();
            raw_blocks.insert(blocks.len(), Block { tokens, reads: rb.reads, outs: rb.outs, pools });
        }
        blocks.push(Block {
            tokens: quote! {
                {
                    #bind
                    #others
                    #node_body
                }
            },
            reads,
            outs,
            pools,
        });
    }

    // State write-backs that copy: each after the last block that starts before its node.
    let starts: Vec<usize> = groups.iter().filter_map(|gr| gr.first().copied()).collect();
    let mut copies: Vec<(usize, Block)> = vec![];
    for w in plan.writebacks.iter().filter(|w| !w.in_place) {
        let p = g.state[w.pair];
        let (s, n) = (g.inputs[p.input], g.outputs[p.output]);
        let Some(key) = plan.pool_of[s.index()] else {
            return Err(format!("state '{}' has no storage", g.value(s).name));
        };
        let mut b = Bindings::default();
        if !bind_operand(&mut b, format_ident!("i0"), n) {
            return Err(format!("next state '{}' has no storage", g.value(n).name));
        }
        let Bindings { arena, others, reads, outs } = b;
        let (dst, views) = (pool_ident(key), bind_views(None, &arena));
        let mut pools: BTreeSet<PoolKey> = arena.keys().copied().collect();
        pools.insert(key);
        let at = starts.iter().filter(|&&f| f < w.at).count();
        copies.push((
            at,
            Block {
                tokens: quote! {
                    {
                        let out: &mut [f32] = &mut #dst[..];
                        #views
                        #others
                        for (o, x) in out.iter_mut().zip(i0.iter()) {
                            *o = *x;
                        }
                    }
                },
                reads,
                outs,
                pools,
            },
        ));
    }
    copies.sort_by_key(|c| c.0);
    for (at, block) in copies.into_iter().rev() {
        blocks.insert(at.min(blocks.len()), block);
    }

    // A part's name must not be shadowed by a parameter of `run`.
    if split {
        inputs.iter().chain(&outputs).for_each(|x| items.reserve(&x.param.to_string()));
    }
    // `run`: the blocks inline, or calls to parts of at most NODES_PER_PART blocks. With a raw
    // int8 API (`back/raw.rs`) the boundary blocks stay outside: `run` and `run_i8` each do their
    // own boundary around one shared `infer`, whose parameters leave the raw inputs and outputs out.
    let excluded_in = |k: usize| raw.as_ref().is_some_and(|r| r.inputs[k].is_some());
    let excluded_out = |k: usize| raw.as_ref().is_some_and(|r| r.outputs[k].is_some());
    let core: Vec<&Block> = blocks
        .iter()
        .enumerate()
        .filter(|(j, _)| raw.is_none() || !raw_blocks.contains_key(j))
        .map(|(_, b)| b)
        .collect();
    let mut body = TokenStream::new();
    let mut parts = TokenStream::new();
    if !split {
        body.extend(core.iter().map(|b| b.tokens.clone()));
    } else {
        // A part's name must not be shadowed by a parameter of `run`.
        inputs.iter().chain(&outputs).for_each(|x| items.reserve(&x.param.to_string()));
        for (n, chunk) in core.chunks(NODES_PER_PART).enumerate() {
            let f = format_ident!("{}", items.snake(&format!("run_part_{n}")));
            let reads: BTreeSet<usize> = chunk.iter().flat_map(|b| b.reads.iter().copied()).collect();
            let args: Vec<&Ident> = reads.iter().map(|&k| &inputs[k].param).collect();
            let outs: BTreeSet<usize> = chunk.iter().flat_map(|b| b.outs.iter().copied()).collect();
            let out_args: Vec<&Ident> = outs.iter().map(|&k| &outputs[k].param).collect();
            let used: BTreeSet<PoolKey> = chunk.iter().flat_map(|b| b.pools.iter().copied()).collect();
            let (mut arena_param, mut arena_arg) = (TokenStream::new(), TokenStream::new());
            for key in used {
                let (a, ty) = (pool_ident(key), consts::elem_ty(key.dtype));
                arena_param.extend(quote!(#a: &mut [#ty],));
                arena_arg.extend(quote!(#a,));
            }
            let code = chunk.iter().map(|b| &b.tokens);
            let doc = format!(
                " Nodes {} to {} of [`Model::{}`].",
                n * NODES_PER_PART,
                n * NODES_PER_PART + chunk.len() - 1,
                if streaming { "step" } else { "run" }
            );
            parts.extend(quote! {
                #[doc = #doc]
                #[inline(never)]
                fn #f(#arena_param #(#args: &[f32],)* #(#out_args: &mut [f32]),*) {
                    #(#code)*
                }
            });
            body.extend(quote!(#f(#arena_arg #(&#args[..],)* #(&mut #out_args[..]),*);));
        }
    }
    // An input no node reads (the model ignores it) is still a parameter of `run`.
    let read: BTreeSet<usize> = core.iter().flat_map(|b| b.reads.iter().copied()).collect();
    for (k, x) in inputs.iter().enumerate().filter(|(k, _)| !g.is_state_input(*k) && !excluded_in(*k)) {
        let p = &x.param;
        if !read.contains(&k) && !outputs.iter().any(|o| o.value == x.value) {
            body.extend(quote!(let _ = #p;));
        }
    }
    let mut copies_from_arena = false;
    for (k, o) in outputs.iter().enumerate() {
        if plan.external[o.value.index()] == Some(k) || g.is_state_output(k) {
            continue; // written in place by its node; or a next state (written back above)
        }
        let param = &o.param;
        let src = match range(o.value) {
            Some(r) => {
                copies_from_arena = true;
                quote!(k::arena::view(arena, #r))
            }
            None => operand(o.value, false).ok_or_else(|| "output with no storage".to_string())?,
        };
        body.extend(quote! {
            for (o, x) in #param.iter_mut().zip(#src.iter()) {
                *o = *x;
            }
        });
    }
    // `let` bindings of the Model's pools that `blocks` use (mutable) or not (read, unused).
    let pool_bindings = |blocks: &[&Block], copies_from_arena: bool| -> TokenStream {
        let used: BTreeSet<PoolKey> = blocks.iter().flat_map(|b| b.pools.iter().copied()).collect();
        let mut t = if !used.contains(&F32_ARENA) && !copies_from_arena {
            quote!(let arena = &self.arena[..]; let _ = arena;)
        } else {
            quote!(let arena = &mut self.arena[..];)
        };
        for key in plan.pools.iter().map(|p| p.key).filter(|&k| k != F32_ARENA) {
            let a = pool_ident(key);
            t.extend(if used.contains(&key) {
                quote!(let #a = &mut self.#a[..];)
            } else {
                quote!(let #a = &self.#a[..]; let _ = #a;)
            });
        }
        t
    };
    let arena_binding = pool_bindings(&core, copies_from_arena);
    let param_list = |ty: &dyn Fn(bool, usize) -> Option<TokenStream>| -> (Vec<TokenStream>, Vec<TokenStream>) {
        let ins = inputs
            .iter()
            .enumerate()
            .filter(|(k, _)| !g.is_state_input(*k))
            .filter_map(|(k, x)| {
                let (p, len, t) = (&x.param, format_ident!("{}_LEN", x.upper), ty(true, k)?);
                Some(quote!(#p: &[#t; #len]))
            })
            .collect();
        let outs = outputs
            .iter()
            .enumerate()
            .filter(|(k, _)| !g.is_state_output(*k))
            .filter_map(|(k, x)| {
                let (p, len, t) = (&x.param, format_ident!("{}_LEN", x.upper), ty(false, k)?);
                Some(quote!(#p: &mut [#t; #len]))
            })
            .collect();
        (ins, outs)
    };
    let (in_params, out_params) = param_list(&|_, _| Some(quote!(f32)));
    let mut run = quote! {
        #arena_binding
        #body
    };
    let mut infer = TokenStream::new();
    let mut raw_api = TokenStream::new();
    if let Some(r) = &raw {
        // `infer`: the model between the boundaries; `run` and `run_i8` wrap it
        let (core_in, core_out) =
            param_list(&|is_in, k| (!(if is_in { excluded_in(k) } else { excluded_out(k) })).then(|| quote!(f32)));
        let core_args: Vec<&Ident> = inputs
            .iter()
            .enumerate()
            .filter(|(k, _)| !excluded_in(*k))
            .map(|(_, x)| &x.param)
            .chain(outputs.iter().enumerate().filter(|(k, _)| !excluded_out(*k)).map(|(_, x)| &x.param))
            .collect();
        infer = quote! {
            /// The model between its float boundaries, shared by [`Model::run`] and [`Model::run_i8`].
            #[inline(never)]
            fn infer(&mut self, #(#core_in,)* #(#core_out),*) {
                #run
            }
        };
        let wrap = |swap: bool| -> TokenStream {
            let mut pre = TokenStream::new();
            let mut post = TokenStream::new();
            for (j, b) in blocks.iter().enumerate() {
                let Some(rb) = raw_blocks.get(&j) else { continue };
                let block = if swap { rb } else { b };
                let (binding, tokens) = (pool_bindings(&[block], false), &block.tokens);
                let t = quote!({ #binding #tokens });
                if rb.reads.is_empty() {
                    post.extend(t)
                } else {
                    pre.extend(t)
                }
            }
            quote! {
                #pre
                self.infer(#(#core_args),*);
                #post
            }
        };
        run = wrap(false);
        let raw_body = wrap(true);
        let (ins, outs) = param_list(&|is_in, k| {
            let b = if is_in { &r.inputs[k] } else { &r.outputs[k] };
            Some(if b.is_some() { quote!(i8) } else { quote!(f32) })
        });
        let which = |l: &[Option<super::raw::Boundary>], io: &[Io]| -> String {
            let names: Vec<String> =
                l.iter().zip(io).filter(|(b, _)| b.is_some()).map(|(_, x)| format!("`{}`", x.param)).collect();
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        };
        let doc = format!(
            " Runs one whole-window inference on int8 data: the int8 inputs ({}) are quantized with their \
             `*_SCALE` and `*_ZERO_POINT` (q = clamp(round(x / scale) + zero_point, −128, 127), as [`Model::run`] \
             does), the int8 outputs ({}) are the model's integers before dequantizing (real = scale · (q − \
             zero_point)); the others are f32 as in [`Model::run`]. Same results as `run` on the quantized \
             inputs, bit for bit.",
            which(&r.inputs, &inputs),
            which(&r.outputs, &outputs)
        );
        raw_api = quote! {
            #[doc = #doc]
            pub fn run_i8(&mut self, #(#ins,)* #(#outs),*) {
                #raw_body
            }
        };
        for (list, io, kind) in [(&r.inputs, &inputs, "input"), (&r.outputs, &outputs, "output")] {
            for (b, x) in list.iter().zip(io.iter()) {
                if let Some(b) = b {
                    consts_io.extend(super::raw::consts(&x.upper, kind, &shown(&g.value(x.value).name), b));
                }
            }
        }
    }
    let arena_len = Literal::usize_unsuffixed(plan.arena_len());
    let int_pool_list: Vec<&crate::plan::Pool> = plan.pools.iter().filter(|p| p.key != F32_ARENA).collect();
    let int_pools: Vec<PoolKey> = int_pool_list.iter().map(|p| p.key).collect();
    let pool_fields: Vec<Ident> = int_pools.iter().map(|&k| pool_ident(k)).collect();
    let pool_lens: Vec<Ident> = int_pools.iter().map(|&k| pool_len_ident(k)).collect();
    let pool_tys: Vec<TokenStream> = int_pools.iter().map(|&k| consts::elem_ty(k.dtype)).collect();
    let pool_sizes: Vec<Literal> =
        int_pool_list.iter().map(|p| Literal::usize_unsuffixed(p.bytes / p.key.dtype.size())).collect();
    let pool_docs: Vec<String> = int_pools
        .iter()
        .map(|k| match k.region {
            Region::State(j) => {
                let p = g.state[j];
                format!(
                    " {} elements of state {j}: input `{}`, updated from output `{}` at every step.",
                    k.dtype,
                    shown(&g.value(g.inputs[p.input]).name),
                    shown(&g.value(g.outputs[p.output]).name)
                )
            }
            Region::Arena => format!(" {} elements of the activation arena's {} pool.", k.dtype, k.dtype),
        })
        .collect();
    let zeros: Vec<TokenStream> =
        int_pools.iter().map(|k| if k.dtype.storage() == DType::F32 { quote!(0.0) } else { quote!(0) }).collect();
    let bytes_of = |region: fn(&Region) -> bool| -> Vec<TokenStream> {
        int_pools
            .iter()
            .zip(&pool_lens)
            .filter(|(k, _)| region(&k.region))
            .map(|(k, l)| {
                let size = Literal::usize_unsuffixed(k.dtype.size());
                quote!(+ #l * #size)
            })
            .collect()
    };
    let pool_bytes = bytes_of(|r| *r == Region::Arena);
    let state_bytes = bytes_of(|r| matches!(r, Region::State(_)));
    let state_fields: Vec<&Ident> =
        int_pools.iter().zip(&pool_fields).filter(|(k, _)| k.region != Region::Arena).map(|(_, f)| f).collect();
    let state_lens: Vec<&Ident> =
        int_pools.iter().zip(&pool_lens).filter(|(k, _)| k.region != Region::Arena).map(|(_, l)| l).collect();
    let state_doc = if streaming {
        " Bytes of persistent state (inside [`Model`], kept between steps; [`Model::reset`] zeroes it)."
    } else {
        " Bytes of persistent state (none: this model is stateless)."
    };
    let weight_bytes = Literal::usize_unsuffixed(facts.weight_bytes);
    let macs = Literal::u64_unsuffixed(facts.macs);
    let api = if let (Some(w), Some((ins, outs))) = (&g.window, &window_io) {
        let mut api = streaming_api(&state_fields, &state_lens, &in_params, &out_params, run);
        api.extend(window_run(g, w, ins, outs, &api_in, &api_out, &state_fields));
        api
    } else if streaming {
        let mut api = streaming_api(&state_fields, &state_lens, &in_params, &out_params, run);
        api.extend(slices_run(&api_in, &api_out));
        api
    } else {
        quote! {
            /// Runs one whole-window inference.
            pub fn run(&mut self, #(#in_params,)* #(#out_params),*) {
                #run
            }

            #raw_api
            #infer
        }
    };
    let model = quote! {
        use ecgc_kernels as k;

        #consts_io
        /// f32 elements of the activation arena.
        pub const ARENA_LEN: usize = #arena_len;
        #(#[doc = #pool_docs] pub const #pool_lens: usize = #pool_sizes;)*
        /// Bytes of the activation arena (inside [`Model`]).
        pub const ARENA_BYTES: usize = ARENA_LEN * 4 #(#pool_bytes)*;
        #[doc = #state_doc]
        pub const STATE_BYTES: usize = 0 #(#state_bytes)*;
        /// Bytes of constant weights (in flash).
        pub const WEIGHT_BYTES: usize = #weight_bytes;
        /// Multiply-accumulates per inference.
        pub const MACS: u64 = #macs;

        #statics
        #params

        /// The model: owns its arena, so it can live in a `static` or on the stack. No heap.
        pub struct Model {
            arena: [f32; ARENA_LEN],
            #(#pool_fields: [#pool_tys; #pool_lens],)*
        }

        impl Default for Model {
            fn default() -> Self {
                Self::new()
            }
        }

        impl Model {
            /// A model with a zeroed arena.
            pub const fn new() -> Self {
                Self { arena: [0.0; ARENA_LEN], #(#pool_fields: [#zeros; #pool_lens]),* }
            }

            #api
        }

        #parts
    };
    let file = match form {
        Form::CrateRoot => {
            let card = facts.card.iter().map(|l| {
                let l = if l.is_empty() { String::new() } else { format!(" {}", l.trim_start()) };
                quote!(#![doc = #l])
            });
            quote! {
                #(#card)*
                #![no_std]
                #![forbid(unsafe_code)]
                #![deny(missing_docs)]
                #![allow(clippy::excessive_precision, clippy::unreadable_literal, clippy::too_many_arguments)]
                #model
            }
        }
        Form::Module => model,
    };
    let parsed: syn::File = syn::parse2(file).map_err(|e| format!("generated code does not parse: {e}"))?;
    let header = match form {
        Form::CrateRoot => String::new(),
        Form::Module => {
            let mut h = String::from(
                "// Include into a module of your crate (ecgc-kernels must be a dependency):\n//     #[allow(clippy::excessive_precision, clippy::unreadable_literal)]\n//     mod model {\n//         include!(concat!(env!(\"OUT_DIR\"), \"/model.rs\"));\n//     }\n//\n",
            );
            for l in &facts.card {
                // A model name holding a newline must not end the comment.
                let l: String = l.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
                h.push_str(&format!("// {l}\n").replace("// \n", "//\n"));
            }
            h
        }
    };
    let source = format!(
        "// @generated by ecgc {}. Do not edit: regenerate instead.\n{header}{}",
        env!("CARGO_PKG_VERSION"),
        prettyplease::unparse(&parsed)
    );
    let names = |l: &[&Io]| l.iter().map(|x| (x.param.to_string(), x.upper.clone())).collect();
    if let Some((ins, outs)) = window_io {
        // harnesses and firmware call the model's own `run`
        let outer = |l: &[Outer]| l.iter().map(|x| (x.param.to_string(), x.upper.clone())).collect();
        return Ok(LibRs {
            source,
            weights,
            inputs: outer(&ins),
            outputs: outer(&outs),
            streaming: false,
            raw_api: None,
        });
    }
    let raw_api = raw.map(|r| {
        let flags = |l: &[Option<super::raw::Boundary>]| l.iter().map(Option::is_some).collect();
        (flags(&r.inputs), flags(&r.outputs))
    });
    Ok(LibRs { source, weights, inputs: names(&api_in), outputs: names(&api_out), streaming, raw_api })
}

/// A Scan model's own input or output: its parameter name and constants.
struct Outer {
    param: Ident,
    upper: String,
    shape: Vec<usize>,
}

impl Outer {
    fn new(name: &str, shape: &[usize], items: &mut Namer, locals: &mut Namer) -> Outer {
        let param = format_ident!("{}", locals.snake(name));
        let upper = items.upper_with(name, &["", "_SHAPE", "_LEN"]);
        Outer { param, upper, shape: shape.to_vec() }
    }
}

fn outer_consts(list: &[Outer], kind: &str) -> TokenStream {
    let mut out = TokenStream::new();
    for (k, x) in list.iter().enumerate() {
        let (shape_id, len_id) = (format_ident!("{}_SHAPE", x.upper), format_ident!("{}_LEN", x.upper));
        let rank = Literal::usize_unsuffixed(x.shape.len());
        let dims = x.shape.iter().map(|&d| Literal::usize_unsuffixed(d));
        let len = Literal::usize_unsuffixed(x.shape.iter().product());
        let doc_shape = format!(" Shape of the model's {kind} {k} (the whole window, row-major).");
        let doc_len = format!(" Element count of the model's {kind} {k}.");
        out.extend(quote! {
            #[doc = #doc_shape]
            pub const #shape_id: [usize; #rank] = [#(#dims),*];
            #[doc = #doc_len]
            pub const #len_id: usize = #len;
        });
    }
    out
}

/// The model's own `run` for a Scan model: initial states in, `step` over the window (scanned
/// inputs sliced one step at a time, whole inputs every step, per-step outputs stacked), final
/// states out.
fn window_run(
    g: &Graph,
    w: &crate::ir::Window,
    ins: &[Outer],
    outs: &[Outer],
    api_in: &[&Io],
    api_out: &[&Io],
    state_fields: &[&Ident],
) -> TokenStream {
    use crate::ir::{InRole, OutRole};
    let mut before = TokenStream::new();
    let mut after = TokenStream::new();
    let mut zips: Vec<(TokenStream, Ident)> = vec![];
    let mut step_args: Vec<TokenStream> = vec![];
    let mut scratch = TokenStream::new();
    // state pools are sorted by pair (`Region::State(k)`), one per pair
    let state_field = |pair: usize| -> Option<&Ident> { state_fields.get(pair).copied() };
    for (x, io) in w.inputs.iter().zip(ins) {
        let p = &io.param;
        if let InRole::Initial(pair) = x.role {
            if let Some(f) = state_field(pair) {
                before.extend(quote!(for (s, v) in self.#f.iter_mut().zip(#p.iter()) { *s = *v; }));
            }
        }
    }
    for (k, io) in api_in.iter().enumerate() {
        let j = g.inputs.iter().position(|&v| v == io.value).unwrap_or(usize::MAX);
        let len = format_ident!("{}_LEN", io.upper);
        let role = w.inputs.iter().zip(ins).find(|(x, _)| match x.role {
            InRole::Scanned { input, .. } | InRole::Full(input) => input == j,
            InRole::Initial(_) => false,
        });
        match role {
            Some((x, o)) => {
                let p = &o.param;
                match x.role {
                    InRole::Scanned { reverse, .. } => {
                        let v = format_ident!("in_t{}", k);
                        let it = if reverse {
                            quote!(#p.as_chunks::<#len>().0.iter().rev())
                        } else {
                            quote!(#p.as_chunks::<#len>().0.iter())
                        };
                        zips.push((it, v.clone()));
                        step_args.push(quote!(#v));
                    }
                    _ => step_args.push(quote!(#p)),
                }
            }
            None => {
                // a step input the model does not feed: zeros
                let v = format_ident!("in_zero{}", k);
                scratch.extend(quote!(let #v = [0.0f32; #len];));
                step_args.push(quote!(&#v));
            }
        }
    }
    for (k, io) in api_out.iter().enumerate() {
        let o_idx = g.outputs.iter().position(|&v| v == io.value).unwrap_or(usize::MAX);
        let len = format_ident!("{}_LEN", io.upper);
        let role = w
            .outputs
            .iter()
            .zip(outs)
            .find(|(x, _)| matches!(x.role, OutRole::Scanned { output, .. } if output == o_idx));
        match role {
            Some((x, o)) => {
                let p = &o.param;
                let v = format_ident!("out_t{}", k);
                let it = match x.role {
                    OutRole::Scanned { reverse: true, .. } => quote!(#p.as_chunks_mut::<#len>().0.iter_mut().rev()),
                    _ => quote!(#p.as_chunks_mut::<#len>().0.iter_mut()),
                };
                zips.push((it, v.clone()));
                step_args.push(quote!(#v));
            }
            None => {
                let v = format_ident!("out_unused{}", k);
                scratch.extend(quote!(let mut #v = [0.0f32; #len];));
                step_args.push(quote!(&mut #v));
            }
        }
    }
    for (x, io) in w.outputs.iter().zip(outs) {
        let p = &io.param;
        if let OutRole::Final(pair) = x.role {
            if let Some(f) = state_field(pair) {
                after.extend(quote!(for (o, s) in #p.iter_mut().zip(self.#f.iter()) { *o = *s; }));
            }
        }
    }
    let steps = Literal::usize_unsuffixed(w.steps);
    let (mut iter, mut pat) = (quote!((0..#steps)), quote!(_));
    for (z, v) in zips {
        iter = quote!(#iter.zip(#z));
        pat = quote!((#pat, #v));
    }
    let in_params = ins.iter().map(|x| {
        let (p, len) = (&x.param, format_ident!("{}_LEN", x.upper));
        quote!(#p: &[f32; #len])
    });
    let out_params = outs.iter().map(|x| {
        let (p, len) = (&x.param, format_ident!("{}_LEN", x.upper));
        quote!(#p: &mut [f32; #len])
    });
    let doc = format!(
        " Runs the model's whole window: the initial states in, [`Model::step`] {} times (a loop, not unrolled), the \
         final states out. Starts from the initial states given, whatever the model held before.",
        w.steps
    );
    quote! {
        #[doc = #doc]
        pub fn run(&mut self, #(#in_params,)* #(#out_params),*) {
            #before
            #scratch
            for #pat in #iter {
                self.step(#(#step_args),*);
            }
            #after
        }
    }
}

/// `step` (one time step: `run`'s body), `reset` (zero the state) and the state accessors of a
/// streaming model (its `run` is [`slices_run`], or a Scan model's [`window_run`]).
fn streaming_api(
    state_fields: &[&Ident],
    state_lens: &[&Ident],
    in_params: &[TokenStream],
    out_params: &[TokenStream],
    step_body: TokenStream,
) -> TokenStream {
    quote! {
        /// One time step: reads this step's inputs and the state, writes this step's outputs and
        /// the next state (kept inside the model for the next call).
        pub fn step(&mut self, #(#in_params,)* #(#out_params),*) {
            #step_body
        }

        /// Zeroes the state: the next [`Model::step`] starts a new sequence.
        pub fn reset(&mut self) {
            #(for x in self.#state_fields.iter_mut() { *x = 0.0; })*
        }

        #(
            #[doc = " The current value of this state (see its length constant for which input it is)."]
            pub fn #state_fields(&self) -> &[f32; #state_lens] {
                &self.#state_fields
            }
        )*
    }
}

/// A streaming model's `run`: [`Model::step`] over slices of per-step arrays.
fn slices_run(api_in: &[&Io], api_out: &[&Io]) -> TokenStream {
    let ins: Vec<&Ident> = api_in.iter().map(|x| &x.param).collect();
    let outs: Vec<&Ident> = api_out.iter().map(|x| &x.param).collect();
    // `run` takes each input and output as a slice of per-step arrays and zips them.
    let win_in = api_in.iter().map(|x| {
        let (p, len) = (&x.param, format_ident!("{}_LEN", x.upper));
        quote!(#p: &[[f32; #len]])
    });
    let win_out = api_out.iter().map(|x| {
        let (p, len) = (&x.param, format_ident!("{}_LEN", x.upper));
        quote!(#p: &mut [[f32; #len]])
    });
    let mut iter = TokenStream::new();
    let mut pat = TokenStream::new();
    for (k, p) in ins.iter().chain(&outs).enumerate() {
        let it = if k < ins.len() { quote!(#p.iter()) } else { quote!(#p.iter_mut()) };
        if k == 0 {
            iter = it;
            pat = quote!(#p);
        } else {
            iter = quote!(#iter.zip(#it));
            pat = quote!((#pat, #p));
        }
    }
    quote! {
        /// Runs [`Model::step`] over a window: step `t` reads element `t` of every input slice
        /// and writes element `t` of every output slice, continuing from the current state.
        /// Runs as many steps as the shortest slice has; returns that number.
        pub fn run(&mut self, #(#win_in,)* #(#win_out),*) -> usize {
            let mut steps = 0usize;
            for #pat in #iter {
                self.step(#(#ins,)* #(#outs),*);
                steps += 1;
            }
            steps
        }
    }
}
