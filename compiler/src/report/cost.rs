//! The per-kernel cost model behind the report's cycle estimate.
//!
//! Each node's work is counted as a few named *terms* that follow how the back end emits it
//! (`back/ops/*`, `runtime-kernels`): Dense MACs per tile width (`dense16/8/4/1`, or their Arm FPU
//! forms `dense*_vfp` on a core with one, see
//! [`tiles`]), convolution MACs on the const-generic 4×4-tile `conv1d` path (as
//! [`conv1d_geometry`] decides) or on the generic `conv2d` path, per-element steps of fused
//! element-wise loops by kind (arithmetic is a few instructions, `tanh`/`sigmoid`/`erf` tens),
//! S4D steps emitted as one `ssm` kernel call per group ([`kernel_group_terms`]),
//! reduced / normalised / pooled elements, copied elements (slices that are plan aliases copy
//! nothing), and a fixed overhead per emitted node. [`TERMS`] lists them with their units.
//!
//! The estimate is `Σ coefficient × count` with the coefficients (instructions per unit, per
//! cargo opt-level) read from the target file's `[cost]` table, written by
//! `scripts/calibrate-cost.py` from measured QEMU instruction counts (docs/BENCH.md, "Cost
//! model"). A target or opt-level without a table falls back to MACs × `cycles_per_mac_f32`,
//! and the report says the estimate is uncalibrated.
//!
//! Adding a kernel or an element-wise step kind: give it a term here (one match arm, one
//! [`TERMS`] entry), add the term with a first guess to every `[cost.opt-level.*]` table, and
//! re-run the calibration. Element-wise kinds nobody measured yet cost [`ELEM_MATH`], the
//! dearest class.

use crate::back::ops::conv::conv1d_geometry;
use crate::back::ops::dense::tiles;
use crate::back::strides::{broadcast, collapse, row_major};
use crate::back::tuning::Tuning;
use crate::ir::{BinaryOp, FusedStep, Graph, Node, Op, UnaryOp};
use crate::plan::Plan;
use crate::target::{CostTable, Target};
use std::collections::BTreeMap;

/// Work counts of one node (or a whole model): term name → units.
pub type Terms = BTreeMap<String, u64>;

/// Element-wise kinds without a term of their own (logarithms, powers, trigonometry, rounding,
/// square roots in software): the dearest class.
pub const ELEM_MATH: &str = "elem_math";

/// Every cost term and its unit. The target file's tables give instructions per unit.
pub const TERMS: &[(&str, &str)] = &[
    ("node", "emitted node (call, loop set-up; elided aliases cost nothing)"),
    ("dense_mac_16", "Dense multiply-accumulate in 16-column tiles (dense16)"),
    ("dense_mac_8", "Dense multiply-accumulate in 8-column tiles (dense8)"),
    ("dense_mac_4", "Dense multiply-accumulate in 4-column tiles (dense4)"),
    ("dense_mac_1", "Dense multiply-accumulate in single columns (dense1)"),
    ("dense_tile", "Dense tile (row × tile: accumulators set and stored)"),
    ("dense_vfp_mac_16", "Dense multiply-accumulate in 16-column Arm FPU tiles (dense16_vfp: vldm + vmla)"),
    ("dense_vfp_mac_8", "Dense multiply-accumulate in 8-column Arm FPU tiles (dense8_vfp)"),
    ("dense_vfp_mac_4", "Dense multiply-accumulate in 4-column Arm FPU tiles (dense4_vfp)"),
    ("dense_vfp_mac_1", "Dense multiply-accumulate in single columns on the Arm FPU (dense1_vfp)"),
    ("dense_vfp_tile", "Arm FPU Dense tile (row × tile: accumulators set and stored)"),
    ("ssm_mode", "S4D step mode (one complex state update and its output term; ssm::step_vfp)"),
    ("ssm_packed_mode", "S4D step mode, constant coefficients interleaved (ssm_packed::step_vfp)"),
    ("ssm_channel", "S4D step channel (input broadcast, output sum stored)"),
    ("conv1d_mac_4x4", "conv1d multiply-accumulate in 4-channel × 4-position tiles (padding taps included)"),
    ("conv1d_mac_1x4", "conv1d multiply-accumulate in 1-channel × 4-position tiles (padding taps included)"),
    ("conv1d_mac_long", "conv1d_long multiply-accumulate (kernels over 64 taps, 4-channel × 4-position tiles, a partial channel tile counted whole)"),
    ("conv1d_tile", "conv1d tile × input channel"),
    ("conv1d_edge_elem", "conv1d input element copied into a zero-padded edge window"),
    ("fir_group", "depthwise FIR group of 16 taps × 8 outputs (128 multiply-accumulates; groups wholly in the padding are skipped)"),
    ("fir_padded_group", "depthwise FIR group whose input window reaches into the padding (window copied with zeros)"),
    ("fir_single", "depthwise FIR tap × 8 outputs outside a whole group of 16 taps"),
    ("fir_tap", "depthwise FIR tap of one of a row's last outputs (fewer than 8), one by one"),
    ("conv2d_mac", "generic conv2d multiply-accumulate"),
    ("conv2d_out", "generic conv2d output element"),
    ("contract_mac", "EinSum (general contraction kernel) multiply-accumulate"),
    ("contract_out", "EinSum output element"),
    ("fused_elem", "element of a fused element-wise loop (loads, store, loop)"),
    ("fused_member_elem", "element of a fused node run inside the loop of the one before it (its own loads and store)"),
    ("strided_elem", "element of an unfused element-wise kernel (strided, rank-generic)"),
    ("elem_arith", "element-wise arithmetic, comparison or select, per element and step"),
    ("elem_sigmoid", "sigmoid (or SiLU), per element"),
    ("elem_tanh", "tanh (or tanh-approximated GELU), per element"),
    ("elem_erf", "erf (or exact GELU), per element"),
    ("elem_exp", "exp (or softplus; softmax's exponentials), per element"),
    (ELEM_MATH, "any other element-wise function (log, pow, sqrt, sin, rounding…), per element"),
    ("reduce_elem", "input element of a reduction"),
    ("norm_elem", "element of a softmax or RMS norm (exponentials counted as elem_exp)"),
    ("pool_tap", "pooling output element × window tap"),
    ("q8_conv_mac", "int8 conv1d multiply-accumulate (QConv, groups 1: SMLAD column kernel on a DSP target)"),
    ("q8_depthwise_mac", "int8 depthwise conv1d multiply-accumulate (QConv, one filter per channel)"),
    ("q8_dense_mac", "int8 Dense multiply-accumulate (QDense)"),
    ("q8_out", "int8 layer output element (bias, fixed-point requantization, clamp, store)"),
    ("quantize_elem", "element quantized to or dequantized from int8 at a float boundary"),
    ("copy_elem", "element copied in one contiguous run (slice, concat part, pad, transpose of a unit axis)"),
    ("copy_strided_elem", "element copied by the strided copy or gather kernel"),
];

/// The term of one element-wise unary op, per element.
fn unary_term(u: UnaryOp) -> &'static str {
    use UnaryOp as U;
    match u {
        U::Neg
        | U::Abs
        | U::Recip
        | U::Square
        | U::Relu
        | U::LeakyRelu(_)
        | U::HardSigmoid { .. }
        | U::Clip { .. }
        | U::Sign
        | U::Not
        | U::IsNan
        | U::IsInf
        | U::Identity => "elem_arith",
        U::PowConst(p) if p == 1.0 || p == 2.0 => "elem_arith",
        U::Sigmoid | U::Silu => "elem_sigmoid",
        U::Tanh | U::GeluTanh { .. } => "elem_tanh",
        U::Erf | U::GeluExact => "elem_erf",
        U::Exp | U::Softplus => "elem_exp",
        U::Sqrt
        | U::Rsqrt
        | U::Ln
        | U::PowConst(_)
        | U::Floor
        | U::Ceil
        | U::Round
        | U::RoundHalfToEven
        | U::Sin
        | U::Cos => ELEM_MATH,
    }
}

/// The term of one element-wise binary op, per element.
fn binary_term(b: BinaryOp) -> &'static str {
    match b {
        BinaryOp::Pow | BinaryOp::Rem => ELEM_MATH,
        _ => "elem_arith",
    }
}

/// The term of one fused step, per element: one arm per step kind.
fn step_term(s: &FusedStep) -> &'static str {
    match *s {
        FusedStep::Unary(u, _) => unary_term(u),
        FusedStep::Binary(b, ..) => binary_term(b),
        FusedStep::Select(..) => "elem_arith",
    }
}

fn add(t: &mut Terms, name: &str, n: usize) {
    if n > 0 {
        *t.entry(name.to_string()).or_insert(0) += n as u64;
    }
}

/// A copy of `shape` elements from strides `src` to `dst`: contiguous (a zip loop) or strided
/// (the copy kernel), as `back/ops/axis.rs` decides.
fn copy(t: &mut Terms, shape: &[usize], src: &[isize], dst: &[isize]) {
    let (s, sets) = collapse(shape, &[src.to_vec(), dst.to_vec()]);
    let n = shape.iter().product();
    if s.len() <= 1 && sets.iter().all(|v| v.iter().all(|&x| x == 1)) {
        add(t, "copy_elem", n);
    } else {
        add(t, "copy_strided_elem", n);
    }
}

/// The work of one channel row of `ecgc_kernels::fir::depthwise`, by walking its loops: tiles of
/// 8 outputs, blocks of 64 taps (one block when the filter is shorter), groups of 16 taps run
/// when some output of the tile has a valid tap in them, single taps likewise, the last outputs
/// tap by tap.
fn fir_row(geo: &crate::back::ops::conv::Conv1d) -> [(&'static str, usize); 4] {
    let (k, s, d, p, l) = (geo.k, geo.s, geo.d, geo.p, geo.l);
    let lo = |o: usize| if o * s >= p { 0 } else { (p - o * s).div_ceil(d) };
    let hi = |o: usize| if o * s >= l + p { 0 } else { (l + p - o * s).div_ceil(d).min(k) };
    let wb = 7 * s + 15 * d + 1;
    let padded = |o0: usize, k0: usize, n: usize| {
        let base = (o0 * s + k0 * d) as isize - p as isize;
        base < 0 || base as usize + n > l
    };
    let (mut groups, mut padded_groups, mut singles, mut taps) = (0, 0, 0, 0);
    let block = if k <= 64 { k } else { 64 };
    for o0 in (0..geo.ol / 8).map(|t| 8 * t) {
        let (first_o, last_o) = (lo(o0 + 7), hi(o0));
        for kb in (0..k).step_by(block.max(1)) {
            let end = (kb + block).min(k);
            let (first, last) = (first_o.max(kb), last_o.min(end));
            let mut kk = kb;
            while kk + 16 <= end {
                if kk + 16 > first && kk < last {
                    groups += 1;
                    padded_groups += usize::from(padded(o0, kk, wb));
                }
                kk += 16;
            }
            while kk < end {
                if kk >= first && kk < last {
                    singles += 1;
                }
                kk += 1;
            }
        }
    }
    for o in (geo.ol / 8) * 8..geo.ol {
        taps += hi(o).saturating_sub(lo(o));
    }
    [("fir_group", groups), ("fir_padded_group", padded_groups), ("fir_single", singles), ("fir_tap", taps)]
}

/// The work of node `i` of `g` as emitted under `plan` (empty for elided aliases);
/// `in_group` when it runs inside the loop nest of the fused node before it
/// (`back/groups.rs`), sharing that loop and the operands it already loaded.
pub fn node_terms(g: &Graph, plan: &Plan, i: usize, in_group: bool, tuning: Tuning) -> Terms {
    let mut t = Terms::new();
    let n: &Node = &g.nodes[i];
    if plan.elided.get(i).copied().unwrap_or(false) {
        return t;
    }
    add(&mut t, "node", 1);
    let out = &g.value(n.output).shape;
    let len = g.value(n.output).len();
    let shape = |k: usize| g.value(n.inputs[k]).shape.clone();
    match &n.op {
        Op::QConv(q) => {
            let depthwise = q.conv.groups > 1 && g.value(n.inputs[1]).shape.get(1) == Some(&1);
            let term = if depthwise { "q8_depthwise_mac" } else { "q8_conv_mac" };
            add(&mut t, term, super::node_macs(g, n) as usize);
            add(&mut t, "q8_out", len);
        }
        Op::QDense(_) => {
            add(&mut t, "q8_dense_mac", super::node_macs(g, n) as usize);
            add(&mut t, "q8_out", len);
        }
        Op::Quantize(_) | Op::Dequantize => add(&mut t, "quantize_elem", len),
        Op::Dense(d) => {
            let rows = len / d.n.max(1);
            let (mac, tile) =
                if tuning.arm_fpu { ("dense_vfp_mac", "dense_vfp_tile") } else { ("dense_mac", "dense_tile") };
            for (w, _, count) in tiles(d.k, d.n) {
                add(&mut t, &format!("{mac}_{w}"), rows * count * w * d.k);
                add(&mut t, tile, rows * count);
            }
        }
        Op::Conv(_) => match conv1d_geometry(g, n) {
            Some(geo) if geo.depthwise() => {
                let rows = len / geo.ol.max(1);
                for (term, count) in fir_row(&geo) {
                    add(&mut t, term, rows * count);
                }
            }
            Some(geo) => {
                let calls = len / (geo.c_out * geo.ol).max(1) * geo.groups;
                let cog = geo.c_out / geo.groups.max(1);
                let (wide, narrow) = (cog / 4, cog % 4);
                let positions = geo.ol.div_ceil(4);
                let per_tile = 4 * geo.cig * geo.k;
                if geo.long() {
                    // tiles of 4 channels, the last padded with zero weights
                    add(&mut t, "conv1d_mac_long", calls * 4 * cog.div_ceil(4) * positions * per_tile);
                } else {
                    add(&mut t, "conv1d_mac_4x4", calls * wide * positions * 4 * per_tile);
                    add(&mut t, "conv1d_mac_1x4", calls * narrow * positions * per_tile);
                }
                add(&mut t, "conv1d_tile", calls * (wide + narrow) * positions * geo.cig);
                let window = geo.window();
                let edges = (0..geo.ol)
                    .step_by(4)
                    .filter(|&o| !(o * geo.s >= geo.p && o * geo.s - geo.p + window <= geo.l))
                    .count();
                // gathered per channel tile, or once per edge position (`Tuning`)
                let gathers =
                    if tuning.conv1d_gather_edges_once() && geo.cig * window <= 512 { 1 } else { wide + narrow };
                add(&mut t, "conv1d_edge_elem", calls * gathers * edges * geo.cig * window);
            }
            None => {
                add(&mut t, "conv2d_mac", super::node_macs(g, n) as usize);
                add(&mut t, "conv2d_out", len);
            }
        },
        Op::EinSum(_) => {
            add(&mut t, "contract_mac", super::node_macs(g, n) as usize);
            add(&mut t, "contract_out", len);
        }
        Op::Fused(f) => {
            // A loop runs over the largest of its operands and results (a reduction epilogue
            // reads more elements than it writes).
            let elems = n.inputs.iter().map(|&v| g.value(v).len()).fold(len, usize::max);
            add(&mut t, if in_group { "fused_member_elem" } else { "fused_elem" }, elems);
            for s in &f.steps {
                add(&mut t, step_term(s), elems);
            }
        }
        Op::Binary(b) => {
            add(&mut t, "strided_elem", len);
            add(&mut t, binary_term(*b), len);
        }
        Op::Unary(UnaryOp::Identity) | Op::Reshape => add(&mut t, "copy_elem", len),
        Op::Unary(u) => {
            add(&mut t, "strided_elem", len);
            add(&mut t, unary_term(*u), len);
        }
        Op::Select => {
            add(&mut t, "strided_elem", len);
            add(&mut t, "elem_arith", len);
        }
        Op::Reduce(_) => add(&mut t, "reduce_elem", g.value(n.inputs[0]).len()),
        Op::Softmax(_) => {
            add(&mut t, "norm_elem", len);
            add(&mut t, "elem_exp", len);
        }
        Op::RmsNorm(_) => add(&mut t, "norm_elem", len),
        Op::Pool(p) => add(&mut t, "pool_tap", len * p.kernel.iter().product::<usize>()),
        Op::Transpose(tr) => {
            let xs = row_major(&shape(0));
            let src: Vec<isize> = tr.perm.iter().map(|&a| xs[a]).collect();
            copy(&mut t, out, &src, &row_major(out));
        }
        Op::Slice(s) => {
            let xs = row_major(&shape(0));
            let src: Vec<isize> = s.step.iter().zip(&xs).map(|(&a, &b)| a * b).collect();
            copy(&mut t, out, &src, &row_major(out));
        }
        Op::BroadcastTo => copy(&mut t, out, &broadcast(&shape(0), out), &row_major(out)),
        Op::Pad(_) => {
            add(&mut t, "copy_elem", len);
            let x = shape(0);
            copy(&mut t, &x, &row_major(&x), &row_major(out));
        }
        Op::Concat(_) => {
            for k in 0..n.inputs.len() {
                let x = shape(k);
                copy(&mut t, &x, &row_major(&x), &row_major(out));
            }
        }
        Op::Gather(_) => add(&mut t, "copy_strided_elem", len),
    }
    t
}

/// Per node: its terms when it is part of a group (of `groups`, `back/groups.rs`) the back end
/// emits as one kernel call (an S4D step, `back/ops/ssm.rs`): the whole call on the group's first
/// node, nothing on the others. `None` for nodes [`node_terms`] counts.
pub fn kernel_group_terms(g: &Graph, plan: &Plan, groups: &[Vec<usize>], tuning: Tuning) -> Vec<Option<Terms>> {
    let mut out = vec![None; g.nodes.len()];
    for group in groups {
        let Some(s) = crate::back::ops::ssm::group_step(g, plan, group, tuning) else { continue };
        for (k, &i) in group.iter().enumerate() {
            let mut t = Terms::new();
            if k == 0 {
                add(&mut t, "node", 1);
                let mode = if s.packed.is_some() { "ssm_packed_mode" } else { "ssm_mode" };
                add(&mut t, mode, s.channels * s.modes);
                add(&mut t, "ssm_channel", s.channels);
            }
            out[i] = Some(t);
        }
    }
    out
}

/// What the estimate is, for reports: calibrated instructions, or MACs × cycles per MAC.
#[derive(Clone, Debug, PartialEq)]
pub struct Model<'a> {
    /// Coefficients of the opt-level (instructions per unit), when the target has them.
    pub coefficients: Option<&'a BTreeMap<String, f64>>,
    /// Cycles per instruction (calibrated) or per MAC (uncalibrated).
    pub cycles_per_unit: f64,
    /// Cycles per MAC: the estimate when the work has terms the table does not cover.
    pub cycles_per_mac: f64,
    /// One sentence saying what the estimate is.
    pub basis: String,
}

/// The cost model of `target` at cargo `opt_level`.
pub fn model<'a>(target: &'a Target, opt_level: &str) -> Model<'a> {
    let table = target.cost.as_ref();
    match table.and_then(|c| c.opt_level.get(opt_level).map(|k| (c, k))) {
        Some((c, k)) => Model {
            coefficients: Some(k),
            cycles_per_unit: c.cycles_per_instruction,
            cycles_per_mac: target.cycles_per_mac_f32,
            basis: format!(
                "instructions on the {} at opt-level {opt_level} from the per-kernel cost model ({}); \
                 cycles = instructions × {:?}",
                target.cpu, c.calibrated, c.cycles_per_instruction
            ),
        },
        None => Model {
            coefficients: None,
            cycles_per_unit: target.cycles_per_mac_f32,
            cycles_per_mac: target.cycles_per_mac_f32,
            basis: format!(
                "uncalibrated: MACs × {} cycles per MAC (target '{}' has no cost table for opt-level {opt_level})",
                target.cycles_per_mac_f32, target.name
            ),
        },
    }
}

impl Model<'_> {
    /// Estimated instructions of work `terms` (`None` when uncalibrated).
    pub fn instructions(&self, terms: &Terms) -> Option<f64> {
        let k = self.coefficients?;
        if terms.keys().any(|name| !TERMS.iter().any(|(t, _)| t == name)) {
            return None; // work the table has no coefficient for
        }
        Some(terms.iter().map(|(name, &n)| k.get(name).copied().unwrap_or(0.0) * n as f64).sum())
    }

    /// Estimated cycles of work `terms` with `macs` multiply-accumulates.
    pub fn cycles(&self, terms: &Terms, macs: u64) -> f64 {
        match self.instructions(terms) {
            Some(i) => i * self.cycles_per_unit,
            None => macs as f64 * self.cycles_per_mac,
        }
    }
}

/// Checks a target file's `[cost]` table: every opt-level names every term of [`TERMS`] (and
/// nothing else) with a finite, non-negative coefficient.
pub fn check_table(c: &CostTable) -> Result<(), String> {
    if !(c.cycles_per_instruction.is_finite() && c.cycles_per_instruction > 0.0) {
        return Err("[cost] cycles_per_instruction must be a positive number".into());
    }
    for (level, k) in &c.opt_level {
        for name in k.keys() {
            if !TERMS.iter().any(|(t, _)| t == name) {
                return Err(format!(
                    "[cost.opt-level.{level}]: unknown cost term '{name}' (known: {})",
                    TERMS.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        for (name, _) in TERMS {
            match k.get(*name) {
                None => {
                    return Err(format!(
                        "[cost.opt-level.{level}] has no coefficient for cost term '{name}': add it \
                         (instructions per unit) and re-run scripts/calibrate-cost.py"
                    ))
                }
                Some(v) if !(v.is_finite() && *v >= 0.0) => {
                    return Err(format!("[cost.opt-level.{level}] {name} = {v}: must be a non-negative number"))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(terms: &[(&str, f64)]) -> CostTable {
        let k: BTreeMap<String, f64> = terms.iter().map(|(n, v)| (n.to_string(), *v)).collect();
        CostTable { calibrated: "test".into(), cycles_per_instruction: 1.0, opt_level: [("3".to_string(), k)].into() }
    }

    #[test]
    fn a_table_names_every_term_and_nothing_else() {
        let all: Vec<(&str, f64)> = TERMS.iter().map(|(n, _)| (*n, 1.0)).collect();
        assert_eq!(check_table(&table(&all)), Ok(()));
        let missing = check_table(&table(&all[1..])).unwrap_err();
        assert!(missing.contains("no coefficient for cost term 'node'"), "{missing}");
        let mut extra = all.clone();
        extra.push(("dense_mac_32", 1.0));
        assert!(check_table(&table(&extra)).unwrap_err().contains("unknown cost term 'dense_mac_32'"));
        let mut negative = all.clone();
        negative[0].1 = -1.0;
        assert!(check_table(&table(&negative)).is_err());
    }

    #[test]
    fn element_kinds_map_to_their_classes() {
        assert_eq!(unary_term(UnaryOp::Sigmoid), "elem_sigmoid");
        assert_eq!(unary_term(UnaryOp::GeluExact), "elem_erf");
        assert_eq!(unary_term(UnaryOp::PowConst(2.0)), "elem_arith");
        assert_eq!(unary_term(UnaryOp::PowConst(0.5)), ELEM_MATH);
        assert_eq!(binary_term(BinaryOp::Pow), ELEM_MATH);
        assert_eq!(binary_term(BinaryOp::Mul), "elem_arith");
    }

    /// The whole model's terms of a bench model, as `ecgc compile` reports them.
    fn terms_of(model: &str) -> Terms {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/models/bench").join(model);
        let c = crate::Compiler::new(path).target("stm32f746").measure(false).build().expect("compiles");
        c.report.cost_terms
    }

    #[test]
    fn dense_work_is_split_by_tile_width() {
        // 20 columns × 75 rows: one 16-column tile and one 4-column tile, one row.
        // The F746 has an FPU: the Arm FPU tiles (`dense*_vfp`) count.
        let t = terms_of("matvec_20x75.onnx");
        assert_eq!((t["dense_vfp_mac_16"], t["dense_vfp_mac_4"], t["dense_vfp_tile"]), (16 * 75, 4 * 75, 2));
        assert!(!t.contains_key("dense_vfp_mac_8") && !t.contains_key("dense_vfp_mac_1"));
        assert!(!t.keys().any(|k| k.starts_with("dense_mac") || k == "dense_tile"), "{t:?}");
    }

    #[test]
    fn an_s4d_step_is_one_kernel_call() {
        // H = 128 channels, N = 64 (32 complex modes per channel, examples/models/bench/make.py):
        // the step group is one ssm_packed call, its three nodes one `node`.
        let t = terms_of("s4d_layer_step.onnx");
        // its coefficients are constants: read interleaved (`ssm_packed`)
        assert_eq!((t["ssm_channel"], t["ssm_packed_mode"]), (128, 128 * 32), "{t:?}");
        assert!(!t.contains_key("ssm_mode"), "{t:?}");
        assert!(!t.contains_key("fused_member_elem"), "{t:?}");
    }

    #[test]
    fn depthwise_conv_runs_on_the_fir_path() {
        // 16 channels, 64 taps (one block, 4 groups of 16), 256 outputs (32 tiles) each, causal
        // padding 63: tile j (outputs 8j..) has taps valid for some output from 56 - 8j on, so it
        // runs min(4, j/2 + 1) groups; the first group of tiles 0..=7 starts before the input.
        let t = terms_of("fir64_depthwise.onnx");
        assert_eq!(t.get("conv1d_mac_1x4"), None);
        let per_row: usize = (0..32).map(|j: usize| (j / 2 + 1).min(4)).sum();
        assert_eq!(t["fir_group"], 16 * per_row as u64);
        assert_eq!(t["fir_padded_group"], 16 * 8);
        assert_eq!(t.get("fir_single").copied().unwrap_or(0), 0);
        assert_eq!(t.get("fir_tap").copied().unwrap_or(0), 0);
    }

    #[test]
    fn uncalibrated_targets_fall_back_to_cycles_per_mac() {
        let t = Target::load("nrf52840").unwrap();
        let m = model(&t, "3");
        assert!(m.coefficients.is_none() && m.basis.starts_with("uncalibrated"), "{}", m.basis);
        assert_eq!(m.cycles(&Terms::new(), 100), 100.0 * t.cycles_per_mac_f32);
        let f746 = Target::load("stm32f746").unwrap();
        assert!(model(&f746, "3").coefficients.is_some() && model(&f746, "s").coefficients.is_some());
        assert!(model(&f746, "z").coefficients.is_none());
    }
}
