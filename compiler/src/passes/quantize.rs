//! `quantize` (int8 builds only): float layers become integer layers where ecgc has integer
//! kernels, with TFLite's int8 semantics; everything else stays f32 (a mixed scheme, said in
//! the report).
//!
//! What becomes integer:
//! - a 1-D convolution with constant weights, groups 1 or depthwise (one filter per channel)
//!   → [`Op::QConv`];
//! - a [`Op::Dense`] → [`Op::QDense`], absorbing a following constant bias `Add`;
//! - either one absorbs a following ReLU (`Max(y, 0)`, the only reader of `y`) into its clamp;
//! - a max pool whose input is already integer stays integer (same parameters in and out).
//!
//! Parameters come from calibration ([`crate::quant::ranges`]: min/max, percentile or MSE clipping,
//! `--calibration-method`): activations per-tensor
//! asymmetric int8 ([`params::affine`]), weights per output channel symmetric int8, biases int32
//! at `input_scale · weight_scale[c]` with the input zero point's term `−z_x · Σ w` folded in, and
//! one fixed-point multiplier per channel for `input_scale · weight_scale[c] / output_scale`.
//! Every constant is folded here, so generated code only does integer work. On a target with
//! the Arm DSP extension the layers use the kernels' `SMLAD` form (bit-identical to the portable
//! one).
//!
//! At the boundaries: a `Quantize` node before an integer layer whose input is f32, a
//! `Dequantize` node after one whose result a float node (or the caller) reads; the dequantized
//! value keeps the original value's id, so float readers are untouched.

use super::{Context, Pass};
use crate::error::{Error, Result};
use crate::ir::{
    BinaryOp, DType, Graph, Node, Op, PoolKind, QConv, QDense, Quant, Requant, TensorData, Value, ValueId, ValueKind,
};
use crate::quant::params::{self, quantize_multiplier};
use crate::quant::ranges::{self, Range};
use crate::quant::sensitivity;
use crate::Precision;

/// See the module docs.
pub struct Quantize;

impl Pass for Quantize {
    fn name(&self) -> &'static str {
        "quantize"
    }

    fn run(&self, g: &mut Graph, cx: &Context) -> Result<()> {
        if cx.precision != Precision::Int8 {
            return Ok(());
        }
        if g.prequantized.is_some() {
            sink_dequantize_below_reshape(g);
        }
        let ranges = match (cx.calibration, &g.prequantized) {
            (Some(cal), _) => ranges::collect(g, cal, cx.calibration_method)?,
            // a pre-quantized model brings its own parameters: layers without them stay f32
            (None, Some(_)) => vec![None; g.values.len()],
            (None, None) => {
                return Err(Error::InvalidInput(
                    "--precision int8 needs --calibration FILE (.npz or .npy): representative inputs to measure \
                     value ranges on"
                        .into(),
                ))
            }
        };
        let dsp = cx.target.features.iter().any(|f| f == "dsp");
        // the f32 graph's outputs, once: what each layer alone and the final mix are measured against
        let reference = match (cx.choice.max_error, cx.calibration) {
            (Some(_), Some(cal)) => Some(sensitivity::outputs(g, cal)?),
            (Some(_), None) => {
                return Err(Error::InvalidInput(
                    "--int8-max-error measures each layer on calibration inputs: give --calibration FILE too".into(),
                ))
            }
            (None, _) => None,
        };
        let (choices, allowed) = choose(g, &ranges, cx.calibration, &cx.choice, reference.as_deref(), dsp)?;
        let chosen = layers(g, &ranges, &|i| allowed[i]);
        rewrite(g, &chosen, dsp);
        if g.prequantized.is_some() {
            // the model's own Dequantize nodes that integer layers now bypass
            super::dce::DeadCode.run(g, cx)?;
        }
        if let Some(d) = cx.choice.decisions {
            let mut choices = choices;
            if let (Some(reference), Some(cal)) = (reference, cx.calibration) {
                choices.combined_error = Some(sensitivity::relative_rms(&sensitivity::outputs(g, cal)?, &reference));
            }
            *d.borrow_mut() = choices;
        }
        Ok(())
    }
}

/// Which candidate layers stay f32: those `--keep-f32` names, then (with `--int8-max-error`)
/// those whose int8 version alone moves the outputs too far from `reference`, the f32 graph's
/// (`quant::sensitivity`). Returns the decisions and, per node, whether it may become integer.
fn choose(
    g: &Graph,
    ranges: &[Option<Range>],
    cal: Option<&crate::quant::Calibration>,
    choice: &super::LayerChoice,
    reference: Option<&[Vec<Vec<f32>>]>,
    dsp: bool,
) -> Result<(sensitivity::Choices, Vec<bool>)> {
    let candidates: Vec<usize> = layers(g, ranges, &|_| true)
        .iter()
        .filter(|l| !matches!(g.nodes[l.node].op, Op::Pool(_)))
        .map(|l| l.node)
        .collect();
    let patterns = sensitivity::patterns(choice.keep_f32)?;
    for (raw, p) in &patterns {
        if !candidates.iter().any(|&i| p.matches(&g.nodes[i].name)) {
            let names: Vec<String> = candidates.iter().map(|&i| format!("'{}'", g.nodes[i].name)).collect();
            return Err(Error::InvalidInput(format!(
                "--keep-f32 '{raw}' matches no layer that int8 would make integer; those layers are: {}",
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            )));
        }
    }
    let samples = cal.map_or(0, |c| c.samples.len().min(sensitivity::SAMPLES));
    let mut out = sensitivity::Choices { samples, ..Default::default() };
    let mut allowed = vec![true; g.nodes.len()];
    for &i in &candidates {
        let node = g.nodes[i].name.clone();
        if let Some((raw, _)) = patterns.iter().find(|(_, p)| p.matches(&node)) {
            allowed[i] = false;
            out.layers.push(sensitivity::Decision {
                node,
                int8: false,
                why: format!("kept f32 by --keep-f32 '{raw}'"),
                error: None,
            });
            continue;
        }
        let (Some(max), Some(reference), Some(cal)) = (choice.max_error, reference, cal) else {
            out.layers.push(sensitivity::Decision { node, int8: true, why: String::new(), error: None });
            continue;
        };
        let mut trial = g.clone();
        let alone = layers(&trial, ranges, &|j| j == i);
        rewrite(&mut trial, &alone, dsp);
        let err = sensitivity::relative_rms(&sensitivity::outputs(&trial, cal)?, reference);
        let n = out.samples;
        let (int8, why) = if err <= max {
            (true, format!("int8 alone changes the outputs by {err:.2e} (relative RMS, {n} calibration samples) ≤ --int8-max-error {max}"))
        } else {
            (false, format!("kept f32: int8 alone changes the outputs by {err:.2e} (relative RMS, {n} calibration samples) > --int8-max-error {max}"))
        };
        allowed[i] = int8;
        out.layers.push(sensitivity::Decision { node, int8, why, error: Some(err) });
    }
    Ok((out, allowed))
}

/// What one integer layer replaces.
#[derive(Clone, Debug)]
struct Layer {
    /// The node computing the layer (Conv, Dense or a max Pool).
    node: usize,
    /// A constant bias added after a Dense: (the Add node, the constant).
    bias_add: Option<(usize, ValueId)>,
    /// A ReLU after the layer (the Max node).
    relu: Option<usize>,
    /// The f32 value whose integer version the layer computes (the last absorbed node's output).
    result: ValueId,
    /// Parameters of the input (used when it must be quantized here) and of `result`: a
    /// pre-quantized model's own, else from the calibrated ranges.
    input_quant: Quant,
    result_quant: Quant,
    /// A pre-quantized model's `Quantize` node that is `result`'s only reader, and its int8
    /// value: the layer writes that value directly and the node goes.
    pinned: Option<(usize, ValueId)>,
}

/// Readers of every value (node indices).
fn readers(g: &Graph) -> Vec<Vec<usize>> {
    let mut r = vec![vec![]; g.values.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        for v in &n.inputs {
            r[v.index()].push(i);
        }
    }
    r
}

/// True when `v` is a constant whose every element is `x`.
fn const_all(g: &Graph, v: ValueId, x: f32) -> bool {
    g.value(v).const_data().is_some_and(|d| !d.is_empty() && d.iter().all(|&e| e == x))
}

/// The single node reading `v` (not a graph output), if there is exactly one.
fn only_reader(g: &Graph, rd: &[Vec<usize>], v: ValueId) -> Option<usize> {
    match rd[v.index()].as_slice() {
        [r] if !g.outputs.contains(&v) => Some(*r),
        _ => None,
    }
}

/// `Max(v, 0)` or `Max(0, v)` reading `v`: the other operand.
fn is_relu(g: &Graph, n: &Node, v: ValueId) -> bool {
    matches!(n.op, Op::Binary(BinaryOp::Max))
        && n.inputs.len() == 2
        && g.value(n.output).shape == g.value(v).shape
        && n.inputs.contains(&v)
        && n.inputs.iter().any(|&i| i != v && const_all(g, i, 0.0))
}

/// A constant bias of `n` columns added to `v` (`Add(v, b)` or `Add(b, v)`, `b` of `n` elements
/// along the last axis): the constant.
fn bias_of(g: &Graph, n: &Node, v: ValueId, cols: usize) -> Option<ValueId> {
    if !matches!(n.op, Op::Binary(BinaryOp::Add)) || g.value(n.output).shape != g.value(v).shape {
        return None;
    }
    let b = *n.inputs.iter().find(|&&i| i != v)?;
    let shape = &g.value(b).shape;
    let last_only = shape.last() == Some(&cols) && shape.iter().rev().skip(1).all(|&d| d == 1);
    (n.inputs.contains(&v) && g.value(b).const_data().is_some() && last_only).then_some(b)
}

/// Which nodes become integer layers, in node order; `allow(node index)` may veto a weight layer
/// (a max pool follows its input's precision).
fn layers(g: &Graph, ranges: &[Option<Range>], allow: &dyn Fn(usize) -> bool) -> Vec<Layer> {
    let rd = readers(g);
    let source = int_sources(g);
    let mut int_avail: Vec<bool> = source.iter().map(Option::is_some).collect();
    let mut absorbed = vec![false; g.nodes.len()];
    let mut out = vec![];
    for (i, n) in g.nodes.iter().enumerate() {
        if absorbed[i] {
            continue;
        }
        let weights_const = |k: usize| n.inputs.get(k).is_some_and(|&w| g.value(w).const_data().is_some());
        let kind_ok = match &n.op {
            Op::Conv(c) => {
                let w = &g.value(n.inputs[1]).shape;
                let c_in = g.value(n.inputs[0]).shape.get(1).copied().unwrap_or(0);
                // groups 1, or depthwise: one filter per channel (the S4D / ConvLSTM shape)
                (c.groups == 1 || (c.groups == c_in && w.first() == Some(&c_in) && w.get(1) == Some(&1)))
                    && c.stride.len() == 1
                    && weights_const(1)
                    && (n.inputs.len() == 2 || weights_const(2))
                    && g.value(n.inputs[0]).shape.len() == 3
            }
            Op::Dense(_) => weights_const(1),
            Op::Pool(p) => p.kind == PoolKind::Max && p.kernel.len() == 1 && int_avail[n.inputs[0].index()],
            _ => false,
        };
        if !kind_ok || (!matches!(n.op, Op::Pool(_)) && !allow(i)) {
            continue;
        }
        // every kind above has its input first
        let x = n.inputs[0];
        let input_quant = match (source[x.index()], ranges[x.index()]) {
            (Some(q), _) => g.value(q).quant.clone(),
            (None, Some(r)) => Some(act_quant(r)),
            (None, None) => None,
        };
        let Some(input_quant) = input_quant else { continue };
        let mut layer = Layer {
            node: i,
            bias_add: None,
            relu: None,
            result: n.output,
            input_quant: input_quant.clone(),
            result_quant: input_quant.clone(),
            pinned: None,
        };
        if let Op::Dense(d) = &n.op {
            if let Some(r) = only_reader(g, &rd, layer.result) {
                if let Some(b) = bias_of(g, &g.nodes[r], layer.result, d.n) {
                    layer.bias_add = Some((r, b));
                    layer.result = g.nodes[r].output;
                }
            }
        }
        if !matches!(n.op, Op::Pool(_)) {
            if let Some(r) = only_reader(g, &rd, layer.result) {
                if is_relu(g, &g.nodes[r], layer.result) {
                    layer.relu = Some(r);
                    layer.result = g.nodes[r].output;
                }
            }
        }
        let pinned = only_reader(g, &rd, layer.result).and_then(|r| {
            let node = &g.nodes[r];
            let quant = g.value(node.output).quant.clone()?;
            let same_as_input = !matches!(n.op, Op::Pool(_)) || quant == input_quant;
            (matches!(node.op, Op::Quantize(DType::I8)) && same_as_input).then_some((r, node.output, quant))
        });
        match (pinned, ranges[layer.result.index()]) {
            (Some((r, q, quant)), _) => {
                layer.pinned = Some((r, q));
                layer.result_quant = quant;
            }
            (None, _) if matches!(n.op, Op::Pool(_)) => {}
            (None, Some(range)) => layer.result_quant = act_quant(range),
            (None, None) => continue,
        }
        for a in [layer.bias_add.map(|b| b.0), layer.relu, layer.pinned.map(|p| p.0)].into_iter().flatten() {
            absorbed[a] = true;
        }
        int_avail[layer.result.index()] = true;
        out.push(layer);
    }
    out
}

/// For each f32 value a pre-quantized model dequantizes (`Dequantize(q)`), the int8 value `q`:
/// an integer layer reading it reads `q` instead.
fn int_sources(g: &Graph) -> Vec<Option<ValueId>> {
    let mut source = vec![None; g.values.len()];
    for n in &g.nodes {
        if matches!(n.op, Op::Dequantize) && g.value(n.inputs[0]).dtype == DType::I8 {
            source[n.output.index()] = Some(n.inputs[0]);
        }
    }
    source
}

/// `Reshape(Dequantize(q))` → `Dequantize(Reshape(q))` (same numbers): a pre-quantized model's
/// flatten before a Linear layer then leaves the layer an int8 input.
fn sink_dequantize_below_reshape(g: &mut Graph) {
    let source = int_sources(g);
    let mut k = 0;
    while k < g.nodes.len() {
        let n = &g.nodes[k];
        let source_of = |v: &ValueId| source[v.index()];
        let Some(q) = n.inputs.first().and_then(source_of).filter(|_| matches!(n.op, Op::Reshape)) else {
            k += 1;
            continue;
        };
        let (name, out) = (n.name.clone(), n.output);
        let like = g.value(out).clone();
        let rq = g.add_value(Value {
            name: format!("{}.q", like.name),
            shape: like.shape.clone(),
            dtype: DType::I8,
            kind: ValueKind::Computed,
            quant: g.value(q).quant.clone(),
        });
        let mut inputs = g.nodes[k].inputs.clone();
        inputs[0] = q;
        g.nodes[k] = Node { name: format!("{name}.q"), op: Op::Reshape, inputs, output: rq };
        g.nodes.insert(k + 1, Node { name, op: Op::Dequantize, inputs: vec![rq], output: out });
        k += 2;
    }
}

/// Activation parameters from a calibrated range.
fn act_quant(r: Range) -> Quant {
    params::affine(r.min, r.max, DType::I8)
}

/// Rewrites the graph (module docs): `layers` become integer.
fn rewrite(g: &mut Graph, layers: &[Layer], dsp: bool) {
    if layers.is_empty() {
        return;
    }
    let rd = readers(g);
    let mut layer_at: Vec<Option<usize>> = vec![None; g.nodes.len()];
    let mut skip = vec![false; g.nodes.len()];
    for (k, l) in layers.iter().enumerate() {
        layer_at[l.node] = Some(k);
        for a in [l.bias_add.map(|b| b.0), l.relu, l.pinned.map(|p| p.0)].into_iter().flatten() {
            skip[a] = true;
        }
    }
    // A result needs a float copy when the caller or a node that stays float reads it.
    let int_reader = |n: usize, v: ValueId| layer_at[n].is_some() && g.nodes[n].inputs.first() == Some(&v);
    let needs_float: Vec<bool> = layers
        .iter()
        .map(|l| {
            let float_reader = |&n: &usize| !int_reader(n, l.result) && l.pinned.map(|p| p.0) != Some(n);
            g.outputs.contains(&l.result) || rd[l.result.index()].iter().any(float_reader)
        })
        .collect();

    let mut int_of = int_sources(g);
    let old_nodes = std::mem::take(&mut g.nodes);
    for (i, node) in old_nodes.iter().enumerate() {
        if skip[i] {
            continue;
        }
        let Some(k) = layer_at[i] else {
            g.nodes.push(node.clone());
            continue;
        };
        let l = &layers[k];
        let x = node.inputs[0];
        let qx = match int_of[x.index()] {
            Some(q) => q,
            None => {
                let q = add_value(g, &format!("{}.q", g.value(x).name), x, l.input_quant.clone());
                g.nodes.push(Node {
                    name: format!("{}.quantize", g.value(x).name),
                    op: Op::Quantize(DType::I8),
                    inputs: vec![x],
                    output: q,
                });
                int_of[x.index()] = Some(q);
                q
            }
        };
        let x_quant = g.value(qx).quant.clone().unwrap_or_else(|| Quant::per_tensor(1.0, 0));
        let out_quant = match node.op {
            Op::Pool(_) => x_quant.clone(),
            _ => l.result_quant.clone(),
        };
        let result_name = g.value(l.result).name.clone();
        let q_out = match l.pinned {
            Some((_, q)) => q,
            None => add_value(g, &format!("{result_name}.q"), l.result, out_quant.clone()),
        };
        let (op, inputs) = match &node.op {
            Op::Pool(_) => (node.op.clone(), vec![qx]),
            Op::Conv(c) => {
                let (w, bias) = (node.inputs[1], node.inputs.get(2).copied());
                let (wq, bq, requant) =
                    integer_layer(g, &node.name, w, bias, 0, &x_quant, &out_quant, l.relu.is_some());
                let pad_value = x_quant.zero_point[0];
                (Op::QConv(QConv { conv: c.clone(), pad_value, requant, dsp }), vec![qx, wq, bq])
            }
            Op::Dense(d) => {
                let bias = l.bias_add.map(|b| b.1);
                let (wq, bq, requant) =
                    integer_layer(g, &node.name, node.inputs[1], bias, 1, &x_quant, &out_quant, l.relu.is_some());
                (Op::QDense(QDense { k: d.k, n: d.n, requant, dsp }), vec![qx, wq, bq])
            }
            _ => {
                // `layers` selects only the three kinds above
                g.nodes.push(node.clone());
                continue;
            }
        };
        g.nodes.push(Node { name: node.name.clone(), op, inputs, output: q_out });
        int_of[l.result.index()] = Some(q_out);
        if needs_float[k] {
            g.nodes.push(Node {
                name: format!("{result_name}.dequantize"),
                op: Op::Dequantize,
                inputs: vec![q_out],
                output: l.result,
            });
        }
    }
}

/// A new computed int8 value shaped like `like`.
fn add_value(g: &mut Graph, name: &str, like: ValueId, quant: Quant) -> ValueId {
    let shape = g.value(like).shape.clone();
    g.add_value(Value { name: name.into(), shape, dtype: DType::I8, kind: ValueKind::Computed, quant: Some(quant) })
}

/// Integer weights (per output channel, symmetric), the folded int32 bias and the output stage
/// of a layer whose output channel is axis `axis` of `w` (0 for a conv's `[O, C, K]`, 1 for a
/// Dense's `[K, N]`).
#[allow(clippy::too_many_arguments)]
fn integer_layer(
    g: &mut Graph,
    node: &str,
    w: ValueId,
    bias: Option<ValueId>,
    axis: usize,
    x: &Quant,
    y: &Quant,
    relu: bool,
) -> (ValueId, ValueId, Requant) {
    let shape = g.value(w).shape.clone();
    let data = g.value(w).const_data().unwrap_or(&[]).to_vec();
    let channels = shape.get(axis).copied().unwrap_or(1);
    // a pre-quantized model's own integers where its scales reproduce the weights exactly
    let recovered =
        g.prequantized.as_ref().and_then(|p| params::recovered_weights(&data, &shape, axis, &p.weight_scales));
    if let (Some(p), Some(_)) = (g.prequantized.as_mut(), &recovered) {
        p.own_weights.push(node.to_string());
    }
    let (q, wq) = recovered.unwrap_or_else(|| params::weights_per_channel(&data, &shape, axis));
    let channel = params::channel_of(&shape, axis);
    let mut sums = vec![0i64; channels];
    for (i, &v) in q.iter().enumerate() {
        if let Some(s) = sums.get_mut(channel(i)) {
            *s += v as i64;
        }
    }
    let (sx, zx) = x.at(0);
    let (sy, zy) = y.at(0);
    let b: Vec<f32> = match bias.and_then(|b| g.value(b).const_data()) {
        Some(d) => d.to_vec(),
        None => vec![0.0; channels],
    };
    let real_bias = params::bias(&b, sx, &wq);
    let folded: Vec<i32> = (0..channels)
        .map(|c| (real_bias[c] as i64 - zx as i64 * sums[c]).clamp(i32::MIN as i64, i32::MAX as i64) as i32)
        .collect();
    let (multiplier, shift): (Vec<i32>, Vec<i32>) =
        (0..channels).map(|c| quantize_multiplier(sx as f64 * wq.at(c).0 as f64 / sy as f64)).unzip();
    let w_name = format!("{}.q", g.value(w).name);
    let wv = g.add_typed_const(w_name, shape, TensorData::from(q), Some(wq));
    let b_name = format!("{}.bias_q", g.value(w).name);
    let bv = g.add_typed_const(b_name, vec![channels], TensorData::from(folded), None);
    let act_min = if relu { zy.max(-128) } else { -128 };
    (wv, bv, Requant { multiplier, shift, zero_point: zy, act_min, act_max: 127 })
}
