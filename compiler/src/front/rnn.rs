//! ONNX `LSTM` and `GRU` (PyTorch `nn.LSTM`/`nn.GRU` exports) rewritten into the cell's plain
//! ONNX ops, one cell per time step, before tract types the model.
//!
//! Why: tract types a recurrent op as a `Scan` with its own fused epilogue ops (`LstmEpilogue`,
//! `GruEpilogue`, or a whole-sequence `GruSeq`), wrapped in layout ops around the loop; ecgc
//! compiles a `Scan` only when it is the whole model. Written out as `Gemm`, `Sigmoid`, `Tanh`,
//! `Mul`, `Add` on `Gather`ed time steps, the cell is an ordinary graph that every later pass
//! already compiles, fuses and quantizes. The usual streaming export is one step (`T = 1`:
//! `nn.LSTM` called on `x_t.unsqueeze(1)` with `(h, c)` in and out): that rewrite is exactly the
//! cell, and `--stream` keeps `h` (and `c`) in the crate. A window (`T > 1`) is unrolled, one cell
//! per step (the notice says so), up to [`MAX_STEPS`].
//!
//! This runs on the import path only: the golden reference and `ecgc validate` run tract on the
//! user's unmodified model, so the rewrite is checked against tract's own LSTM/GRU.
//!
//! Covered (ONNX spec, opset 7–22): directions forward, reverse and bidirectional; `layout` 0 and
//! 1; optional bias, initial states and (LSTM) peepholes; GRU `linear_before_reset` 0 and 1;
//! activations Sigmoid, Tanh and Relu. Refused, naming the node: `sequence_lens`, `clip`,
//! `input_forget`, other activations, more than [`MAX_STEPS`] steps.
//!
//! Every op written here has had the same signature since opset 5 (`Gather`, `Gemm` with a bias,
//! `Concat`, `Reshape` with a shape input, element-wise ops), so the rewrite does not depend on the
//! model's opset.

use crate::error::{Error, Result, Unsupported};
use tract_onnx::pb::{self, attribute_proto::AttributeType, tensor_proto::DataType};
use tract_onnx::prelude::*;

/// The longest window unrolled; longer ones are refused with the streaming export to use instead.
pub const MAX_STEPS: usize = 1024;

/// The dimensions of one recurrent node, from tract's shape inference on the unmodified model.
struct Dims {
    steps: usize,
    batch: usize,
}

/// Rewrites every top-level `LSTM`/`GRU` node of `proto`; returns the notices for the user.
pub(super) fn rewrite(proto: &mut pb::ModelProto, onnx: &tract_onnx::Onnx) -> Result<Vec<String>> {
    let Some(graph) = proto.graph.as_mut() else { return Ok(vec![]) };
    let mut any = false;
    for (k, node) in graph.node.iter_mut().enumerate() {
        if is_rnn(node) {
            any = true;
            if node.name.is_empty() {
                node.name = format!("{}_{k}", node.op_type);
            }
        }
    }
    if !any {
        return Ok(vec![]);
    }
    let Some(dims) = infer_dims(proto, onnx)? else {
        // tract cannot read the model at all: the normal load reports why
        return Ok(vec![]);
    };
    let Some(graph) = proto.graph.as_mut() else { return Ok(vec![]) };
    let mut out = Graph { nodes: vec![], inits: vec![], fresh: 0 };
    let mut notes = vec![];
    let mut refused = vec![];
    for node in std::mem::take(&mut graph.node) {
        if !is_rnn(&node) {
            out.nodes.push(node);
            continue;
        }
        let Some(d) = dims.get(&node.name) else {
            return Err(Error::Internal(format!("no shape inferred for {} '{}'", node.op_type, node.name)));
        };
        let lens = input(&node, 4).and_then(|name| int_constant(graph, name));
        match Cell::read(&node, d, lens) {
            Ok(cell) => {
                if d.steps > 1 {
                    notes.push(format!(
                        "{} '{}' runs {} time steps: unrolled into {} copies of its cell (to stream sample by \
                         sample, export one step with its state as inputs and outputs and compile with --stream)",
                        node.op_type, node.name, d.steps, d.steps
                    ));
                }
                cell.write(&node, d, &mut out);
            }
            Err(reason) => refused.push(Unsupported { node: node.name.clone(), op: node.op_type.clone(), reason }),
        }
    }
    if !refused.is_empty() {
        return Err(Error::Unsupported(refused));
    }
    graph.node = out.nodes;
    graph.initializer.extend(out.inits);
    Ok(notes)
}

/// Why tract 0.23.9 computes a recurrent node of `graph` wrongly, if it does: it runs a
/// direction-`reverse` LSTM/GRU forward (its scan direction comes from the direction's index,
/// which is 0 when reverse is the only one) and ignores the `activations` attribute. ecgc follows
/// the ONNX spec (the golden case `rnn_reverse_activations` checks it against onnxruntime).
pub(super) fn tract_runs_wrong(graph: &pb::GraphProto) -> Option<String> {
    graph.node.iter().filter(|n| is_rnn(n)).find_map(|n| {
        let reverse = attr(n, "direction").is_some_and(|a| a.s == b"reverse");
        let defaults: &[&[u8]] =
            if n.op_type == "LSTM" { &[b"Sigmoid", b"Tanh", b"Tanh"] } else { &[b"Sigmoid", b"Tanh"] };
        let custom = attr(n, "activations").is_some_and(|a| {
            a.strings.chunks(defaults.len()).any(|c| c.iter().zip(defaults).any(|(x, y)| !x.eq_ignore_ascii_case(y)))
        });
        let what = match (reverse, custom) {
            (true, true) => "direction reverse and its activations attribute",
            (true, false) => "direction reverse",
            (false, true) => "its activations attribute",
            (false, false) => return None,
        };
        Some(format!("tract 0.23.9 runs {} '{}' wrongly ({what})", n.op_type, n.name))
    })
}

/// The values of an int32/int64 initializer.
fn int_constant(graph: &pb::GraphProto, name: &str) -> Option<Vec<i64>> {
    let t = graph.initializer.iter().find(|t| t.name == name)?;
    match DataType::try_from(t.data_type).ok()? {
        DataType::Int32 if !t.raw_data.is_empty() => {
            Some(t.raw_data.chunks_exact(4).map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect())
        }
        DataType::Int32 => Some(t.int32_data.iter().map(|&v| i64::from(v)).collect()),
        DataType::Int64 if !t.raw_data.is_empty() => {
            Some(t.raw_data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default())).collect())
        }
        DataType::Int64 => Some(t.int64_data.clone()),
        _ => None,
    }
}

fn is_rnn(node: &pb::NodeProto) -> bool {
    (node.domain.is_empty() || node.domain == "ai.onnx") && matches!(node.op_type.as_str(), "LSTM" | "GRU")
}

/// `X`'s shape for every recurrent node, by tract's inference on the model as it stands; `None`
/// when tract cannot read the model.
fn infer_dims(
    proto: &pb::ModelProto,
    onnx: &tract_onnx::Onnx,
) -> Result<Option<std::collections::HashMap<String, Dims>>> {
    let refuse = |node: &str, op: &str, reason: String| {
        Error::Unsupported(vec![Unsupported { node: node.into(), op: op.into(), reason }])
    };
    let Ok(mut model) = onnx.model_for_proto_model(proto) else { return Ok(None) };
    // obstinate: a failure elsewhere in the graph is reported later, by the normal load
    let _ = model.analyse(true);
    let mut dims = std::collections::HashMap::new();
    for node in proto.graph.iter().flat_map(|g| g.node.iter()).filter(|n| is_rnn(n)) {
        let layout = attr_i(node, "layout").unwrap_or(0);
        let shape = model
            .node_by_name(&node.name)
            .ok()
            .and_then(|n| n.inputs.first().copied())
            .and_then(|x| model.outlet_fact(x).ok())
            .and_then(|f| f.shape.as_concrete_finite().ok().flatten())
            .map(|s| s.to_vec());
        let Some(shape) = shape.filter(|s| s.len() == 3) else {
            return Err(refuse(
                &node.name,
                &node.op_type,
                "the shape of its input X ([steps, batch, features]) could not be inferred: give the model's \
                 inputs static shapes (--input-shape NAME=D0,D1,...)"
                    .into(),
            ));
        };
        let (steps, batch) = if layout == 1 { (shape[1], shape[0]) } else { (shape[0], shape[1]) };
        dims.insert(node.name.clone(), Dims { steps, batch });
    }
    Ok(Some(dims))
}

fn attr<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_i(node: &pb::NodeProto, name: &str) -> Option<i64> {
    attr(node, name).map(|a| a.i)
}

/// Which recurrent cell, and its options.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Lstm,
    /// `linear_before_reset`
    Gru(bool),
}

/// An activation the rewrite writes as one ONNX op.
#[derive(Clone, Copy)]
enum Act {
    Sigmoid,
    Tanh,
    Relu,
}

impl Act {
    fn parse(name: &[u8]) -> std::result::Result<Act, String> {
        let name = String::from_utf8_lossy(name);
        match name.to_ascii_lowercase().as_str() {
            "sigmoid" => Ok(Act::Sigmoid),
            "tanh" => Ok(Act::Tanh),
            "relu" => Ok(Act::Relu),
            _ => Err(format!(
                "activation '{name}' is not supported: ecgc compiles LSTM/GRU cells with Sigmoid, Tanh and Relu \
                 activations (PyTorch's nn.LSTM/nn.GRU use Sigmoid and Tanh)"
            )),
        }
    }

    fn op(self) -> &'static str {
        match self {
            Act::Sigmoid => "Sigmoid",
            Act::Tanh => "Tanh",
            Act::Relu => "Relu",
        }
    }
}

/// One recurrent node, read and checked.
struct Cell {
    kind: Kind,
    hidden: usize,
    /// directions run: `false` forward, `true` reverse
    directions: Vec<bool>,
    layout1: bool,
    /// per direction: f, g (and h for LSTM)
    acts: Vec<[Act; 3]>,
}

/// An input slot of the node when it is given (non-empty name).
fn input(node: &pb::NodeProto, k: usize) -> Option<&str> {
    node.input.get(k).map(String::as_str).filter(|s| !s.is_empty())
}

fn output(node: &pb::NodeProto, k: usize) -> Option<&str> {
    node.output.get(k).map(String::as_str).filter(|s| !s.is_empty())
}

impl Cell {
    /// `lens`: the constant `sequence_lens`, when the node has one.
    fn read(node: &pb::NodeProto, d: &Dims, lens: Option<Vec<i64>>) -> std::result::Result<Cell, String> {
        let kind = if node.op_type == "LSTM" {
            Kind::Lstm
        } else {
            Kind::Gru(attr_i(node, "linear_before_reset").unwrap_or(0) != 0)
        };
        let hidden = attr_i(node, "hidden_size").filter(|&h| h > 0).ok_or("it has no hidden_size attribute")? as usize;
        let directions = match attr(node, "direction").map(|a| a.s.as_slice()).unwrap_or(b"forward") {
            b"forward" => vec![false],
            b"reverse" => vec![true],
            b"bidirectional" => vec![false, true],
            other => return Err(format!("direction '{}' is not an ONNX direction", String::from_utf8_lossy(other))),
        };
        if input(node, 4).is_some() && !lens.is_some_and(|l| l.iter().all(|&n| n == d.steps as i64)) {
            return Err("sequence_lens with lengths other than the whole window (sequences of different lengths, \
                        pack_padded_sequence) is not supported: export with every sequence the full length"
                .into());
        }
        if attr(node, "clip").is_some() {
            return Err("the clip attribute is not supported: export the cell without a clip threshold".into());
        }
        if attr_i(node, "input_forget").unwrap_or(0) != 0 {
            return Err("input_forget = 1 (coupled input and forget gates) is not supported".into());
        }
        let per_dir = if kind == Kind::Lstm { 3 } else { 2 };
        let acts = match attr(node, "activations") {
            None => vec![[Act::Sigmoid, Act::Tanh, Act::Tanh]; directions.len()],
            Some(a) => {
                if a.strings.len() != per_dir * directions.len() {
                    return Err(format!(
                        "activations lists {} functions; {} {} direction(s) need {}",
                        a.strings.len(),
                        node.op_type,
                        directions.len(),
                        per_dir * directions.len()
                    ));
                }
                let parsed: Vec<Act> =
                    a.strings.iter().map(|s| Act::parse(s)).collect::<std::result::Result<_, _>>()?;
                parsed.chunks(per_dir).map(|c| [c[0], c[1], *c.get(2).unwrap_or(&c[1])]).collect()
            }
        };
        if d.steps == 0 || d.batch == 0 {
            return Err("its input X has an empty time or batch axis".into());
        }
        if d.steps > MAX_STEPS {
            return Err(format!(
                "it runs {} time steps, more than the {MAX_STEPS} ecgc unrolls: export one step with its state as \
                 inputs and outputs (nn.{} on x_t.unsqueeze(1) with the state passed in and returned) and compile it \
                 with --stream",
                d.steps, node.op_type
            ));
        }
        Ok(Cell { kind, hidden, directions, layout1: attr_i(node, "layout").unwrap_or(0) == 1, acts })
    }

    fn gates(&self) -> usize {
        if self.kind == Kind::Lstm {
            4
        } else {
            3
        }
    }

    /// Writes the unrolled cell for `node` into `g`.
    fn write(&self, node: &pb::NodeProto, d: &Dims, g: &mut Graph) {
        let p = &node.name;
        let (h, b) = (self.hidden, d.batch);
        let gates = self.gates();
        let x = input(node, 0).unwrap_or_default().to_string();
        let mut y_steps: Vec<Vec<String>> = vec![vec![]; d.steps]; // per step, per direction
        let mut finals_h = vec![];
        let mut finals_c = vec![];
        for (di, &reverse) in self.directions.iter().enumerate() {
            let dp = format!("{p}/d{di}");
            let idx = g.int(&dp, &[], &[di as i64]);
            let w = g.node(&dp, "Gather", &[input(node, 1).unwrap_or_default(), &idx], &[("axis", 0)]);
            let r = g.node(&dp, "Gather", &[input(node, 2).unwrap_or_default(), &idx], &[("axis", 0)]);
            // biases: [W-side; R-side], each gates·h
            let (bw, br) = match input(node, 3) {
                Some(bias) => {
                    let bd = g.node(&dp, "Gather", &[bias, &idx], &[("axis", 0)]);
                    let shape = g.int(&dp, &[2], &[2, (gates * h) as i64]);
                    let b2 = g.node(&dp, "Reshape", &[&bd, &shape], &[]);
                    let i0 = g.int(&dp, &[], &[0]);
                    let i1 = g.int(&dp, &[], &[1]);
                    (
                        g.node(&dp, "Gather", &[&b2, &i0], &[("axis", 0)]),
                        g.node(&dp, "Gather", &[&b2, &i1], &[("axis", 0)]),
                    )
                }
                None => (g.zeros(&dp, &[gates * h]), g.zeros(&dp, &[gates * h])),
            };
            let state_axis = if self.layout1 { 1 } else { 0 };
            let initial = |g: &mut Graph, slot: usize| match input(node, slot) {
                Some(s) => g.node(&dp, "Gather", &[s, &idx], &[("axis", state_axis)]),
                None => g.zeros(&dp, &[b, h]),
            };
            let mut hs = initial(g, 5);
            let mut cs = if self.kind == Kind::Lstm { initial(g, 6) } else { String::new() };
            let peep = match (self.kind, input(node, 7)) {
                (Kind::Lstm, Some(pp)) => {
                    let pd = g.node(&dp, "Gather", &[pp, &idx], &[("axis", 0)]);
                    let shape = g.int(&dp, &[2], &[3, h as i64]);
                    let p3 = g.node(&dp, "Reshape", &[&pd, &shape], &[]);
                    Some([0, 1, 2].map(|k| g.pick(&dp, &p3, k, 0)))
                }
                _ => None,
            };
            let prep = Prepared::new(self.kind, g, &dp, &w, &r, &bw, &br, h);
            let order: Vec<usize> = if reverse { (0..d.steps).rev().collect() } else { (0..d.steps).collect() };
            for t in order {
                let sp = format!("{dp}/t{t}");
                let ti = g.int(&sp, &[], &[t as i64]);
                let xt = g.node(&sp, "Gather", &[&x, &ti], &[("axis", if self.layout1 { 1 } else { 0 })]);
                let acts = self.acts[di];
                match self.kind {
                    Kind::Lstm => {
                        let (hn, cn) = lstm_step(g, &sp, &prep, &xt, &hs, &cs, peep.as_ref(), acts, b, h);
                        hs = hn;
                        cs = cn;
                    }
                    Kind::Gru(lbr) => hs = gru_step(g, &sp, &prep, lbr, &xt, &hs, acts, b, h),
                }
                y_steps[t].push(hs.clone());
            }
            finals_h.push(hs);
            finals_c.push(cs);
        }
        let dirs = self.directions.len() as i64;
        let (b, h) = (b as i64, h as i64);
        // Y: [T, D, B, H] (layout 1: [B, T, D, H])
        if let Some(y) = output(node, 0) {
            let (piece, dir_axis, step_axis) =
                if self.layout1 { (vec![b, 1, 1, h], 2, 1) } else { (vec![1, 1, b, h], 1, 0) };
            let steps: Vec<String> = y_steps
                .iter()
                .enumerate()
                .map(|(t, per_dir)| {
                    let sp = format!("{p}/y{t}");
                    let parts: Vec<String> = per_dir.iter().map(|hs| g.reshape(&sp, hs, &piece)).collect();
                    g.concat(&sp, &parts, dir_axis, None)
                })
                .collect();
            g.concat(&format!("{p}/y"), &steps, step_axis, Some(y));
        }
        // Y_h, Y_c: [D, B, H] (layout 1: [B, D, H])
        let (piece, axis) = if self.layout1 { (vec![b, 1, h], 1) } else { (vec![1, b, h], 0) };
        for (slot, finals) in [(1, &finals_h), (2, &finals_c)] {
            if let Some(name) = output(node, slot) {
                let sp = format!("{p}/out{slot}");
                let parts: Vec<String> = finals.iter().map(|s| g.reshape(&sp, s, &piece)).collect();
                debug_assert!(parts.len() as i64 == dirs);
                g.concat(&sp, &parts, axis, Some(name));
            }
        }
    }
}

/// A direction's weights in the form the step uses.
struct Prepared {
    /// LSTM: `[W | R]` (4h × (in + h)) with the summed bias; GRU: `W` with its bias
    wx: String,
    bx: String,
    /// GRU: the recurrent weights and biases per gate (z, r, h)
    rk: Vec<(String, String)>,
}

impl Prepared {
    #[allow(clippy::too_many_arguments)]
    fn new(kind: Kind, g: &mut Graph, dp: &str, w: &str, r: &str, bw: &str, br: &str, h: usize) -> Prepared {
        match kind {
            Kind::Lstm => {
                let wr = g.node(dp, "Concat", &[w, r], &[("axis", 1)]);
                let bias = g.node(dp, "Add", &[bw, br], &[]);
                Prepared { wx: wr, bx: bias, rk: vec![] }
            }
            Kind::Gru(_) => {
                let s3 = g.int(dp, &[3], &[3, h as i64, h as i64]);
                let r3 = g.node(dp, "Reshape", &[r, &s3], &[]);
                let b3s = g.int(dp, &[2], &[3, h as i64]);
                let b3 = g.node(dp, "Reshape", &[br, &b3s], &[]);
                let rk = (0..3).map(|k| (g.pick(dp, &r3, k, 0), g.pick(dp, &b3, k, 0))).collect();
                Prepared { wx: w.into(), bx: bw.into(), rk }
            }
        }
    }
}

/// One LSTM step: returns `(H_t, C_t)`, each `[B, h]`. Gate order i, o, f, c.
#[allow(clippy::too_many_arguments)]
fn lstm_step(
    g: &mut Graph,
    sp: &str,
    prep: &Prepared,
    xt: &str,
    hs: &str,
    cs: &str,
    peep: Option<&[String; 3]>,
    [f, gact, hact]: [Act; 3],
    b: usize,
    h: usize,
) -> (String, String) {
    let xh = g.node(sp, "Concat", &[xt, hs], &[("axis", 1)]);
    let pre = g.node(sp, "Gemm", &[&xh, &prep.wx, &prep.bx], &[("transB", 1)]);
    let shape = g.int(sp, &[3], &[b as i64, 4, h as i64]);
    let pre3 = g.node(sp, "Reshape", &[&pre, &shape], &[]);
    let [mut i0, mut o0, mut f0, c0] = [0, 1, 2, 3].map(|k| g.pick(sp, &pre3, k, 1));
    if let Some([pi, _, pf]) = peep {
        let pic = g.node(sp, "Mul", &[pi, cs], &[]);
        i0 = g.node(sp, "Add", &[&i0, &pic], &[]);
        let pfc = g.node(sp, "Mul", &[pf, cs], &[]);
        f0 = g.node(sp, "Add", &[&f0, &pfc], &[]);
    }
    let it = g.node(sp, f.op(), &[&i0], &[]);
    let ft = g.node(sp, f.op(), &[&f0], &[]);
    let ct = g.node(sp, gact.op(), &[&c0], &[]);
    let fc = g.node(sp, "Mul", &[&ft, cs], &[]);
    let ic = g.node(sp, "Mul", &[&it, &ct], &[]);
    let c_new = g.node(sp, "Add", &[&fc, &ic], &[]);
    if let Some([_, po, _]) = peep {
        let poc = g.node(sp, "Mul", &[po, &c_new], &[]);
        o0 = g.node(sp, "Add", &[&o0, &poc], &[]);
    }
    let ot = g.node(sp, f.op(), &[&o0], &[]);
    let hc = g.node(sp, hact.op(), &[&c_new], &[]);
    let h_new = g.node(sp, "Mul", &[&ot, &hc], &[]);
    (h_new, c_new)
}

/// One GRU step: returns `H_t`, `[B, h]`. Gate order z, r, h.
#[allow(clippy::too_many_arguments)]
fn gru_step(
    g: &mut Graph,
    sp: &str,
    prep: &Prepared,
    linear_before_reset: bool,
    xt: &str,
    hs: &str,
    [f, gact, _]: [Act; 3],
    b: usize,
    h: usize,
) -> String {
    let px = g.node(sp, "Gemm", &[xt, &prep.wx, &prep.bx], &[("transB", 1)]);
    let shape = g.int(sp, &[3], &[b as i64, 3, h as i64]);
    let px3 = g.node(sp, "Reshape", &[&px, &shape], &[]);
    let [xz, xr, xn] = [0, 1, 2].map(|k| g.pick(sp, &px3, k, 1));
    let rec = |g: &mut Graph, k: usize, v: &str| {
        let (rw, rb) = &prep.rk[k];
        g.node(sp, "Gemm", &[v, rw, rb], &[("transB", 1)])
    };
    let hz = rec(g, 0, hs);
    let hr = rec(g, 1, hs);
    let z0 = g.node(sp, "Add", &[&xz, &hz], &[]);
    let r0 = g.node(sp, "Add", &[&xr, &hr], &[]);
    let z = g.node(sp, f.op(), &[&z0], &[]);
    let r = g.node(sp, f.op(), &[&r0], &[]);
    let hn = if linear_before_reset {
        let hh = rec(g, 2, hs);
        g.node(sp, "Mul", &[&r, &hh], &[])
    } else {
        let rh = g.node(sp, "Mul", &[&r, hs], &[]);
        rec(g, 2, &rh)
    };
    let n0 = g.node(sp, "Add", &[&xn, &hn], &[]);
    let n = g.node(sp, gact.op(), &[&n0], &[]);
    // H_t = (1 − z)·n + z·H_{t−1} = n + z·(H_{t−1} − n)
    let diff = g.node(sp, "Sub", &[hs, &n], &[]);
    let zd = g.node(sp, "Mul", &[&z, &diff], &[]);
    g.node(sp, "Add", &[&n, &zd], &[])
}

/// The nodes and initializers being written, with fresh value names.
struct Graph {
    nodes: Vec<pb::NodeProto>,
    inits: Vec<pb::TensorProto>,
    fresh: usize,
}

impl Graph {
    fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}/v{}", self.fresh)
    }

    /// Adds a node with int attributes; returns its output's name.
    fn node(&mut self, prefix: &str, op: &str, inputs: &[&str], attrs: &[(&str, i64)]) -> String {
        let out = self.name(prefix);
        self.node_named(op, inputs, attrs, &out);
        out
    }

    fn node_named(&mut self, op: &str, inputs: &[&str], attrs: &[(&str, i64)], out: &str) {
        self.nodes.push(pb::NodeProto {
            name: format!("{out}.{op}"),
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.to_string()],
            attribute: attrs
                .iter()
                .map(|(n, i)| pb::AttributeProto {
                    name: n.to_string(),
                    r#type: AttributeType::Int as i32,
                    i: *i,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        });
    }

    /// `x[..., k, ...]` along `axis`, the axis removed.
    fn pick(&mut self, prefix: &str, x: &str, k: usize, axis: i64) -> String {
        let i = self.int(prefix, &[], &[k as i64]);
        self.node(prefix, "Gather", &[x, &i], &[("axis", axis)])
    }

    fn reshape(&mut self, prefix: &str, x: &str, dims: &[i64]) -> String {
        let s = self.int(prefix, &[dims.len()], dims);
        self.node(prefix, "Reshape", &[x, &s], &[])
    }

    /// Concatenation along `axis`; one part is passed through (or renamed to `out` by an
    /// `Identity`).
    fn concat(&mut self, prefix: &str, parts: &[String], axis: i64, out: Option<&str>) -> String {
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        match (parts, out) {
            ([one], None) => one.clone(),
            ([one], Some(o)) => {
                self.node_named("Identity", &[one], &[], o);
                o.to_string()
            }
            (_, None) => self.node(prefix, "Concat", &refs, &[("axis", axis)]),
            (_, Some(o)) => {
                self.node_named("Concat", &refs, &[("axis", axis)], o);
                o.to_string()
            }
        }
    }

    /// An int64 initializer.
    fn int(&mut self, prefix: &str, dims: &[usize], data: &[i64]) -> String {
        let name = self.name(prefix);
        self.inits.push(pb::TensorProto {
            name: name.clone(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Int64 as i32,
            int64_data: data.to_vec(),
            ..Default::default()
        });
        name
    }

    /// A float32 initializer of zeros.
    fn zeros(&mut self, prefix: &str, dims: &[usize]) -> String {
        let name = self.name(prefix);
        self.inits.push(pb::TensorProto {
            name: name.clone(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float as i32,
            float_data: vec![0.0; dims.iter().product()],
            ..Default::default()
        });
        name
    }
}
