//! The closed set of operations. Each struct documents its operands and semantics.
//! Exhaustive `match`es over [`Op`] mark every place a new op must be handled.

/// An operation of the IR.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Convolution; operands `x [N, C, (H,) W]`, `w [O, C/groups, (kh,) kw]`, optional `bias [O]`.
    Conv(Conv),
    /// Two-operand Einstein summation; operands `a`, `b`.
    EinSum(EinSum),
    /// Element-wise binary op with numpy broadcasting; operands `a`, `b`.
    Binary(BinaryOp),
    /// Element-wise unary op; operand `x`.
    Unary(UnaryOp),
    /// `cond != 0 ? a : b` with broadcasting; operands `cond`, `a`, `b`.
    Select,
    /// Reduction over axes, which stay in the output with size 1; operand `x`.
    Reduce(Reduce),
    /// Softmax or log-softmax along one axis; operand `x`.
    Softmax(Softmax),
    /// `x / sqrt(mean(x², axis) + eps)`; operand `x`.
    RmsNorm(RmsNorm),
    /// Same elements in the same order, new shape; operand `x`.
    Reshape,
    /// Axis permutation: output axis `i` is input axis `perm[i]`; operand `x`.
    Transpose(Transpose),
    /// Strided slice: output index `j` on axis `d` reads input index `start[d] + j·step[d]`; operand `x`.
    Slice(Slice),
    /// Concatenation of every operand along `axis`.
    Concat(Concat),
    /// Selection of constant indices along `axis`; operand `x`.
    Gather(Gather),
    /// Constant padding; operand `x`.
    Pad(Pad),
    /// Numpy broadcast of `x` to the output shape.
    BroadcastTo,
    /// Max / sum / average pooling over the spatial axes of `x [N, C, (H,) W]`.
    Pool(Pool),
    /// `out[r, j] = Σ_k x[r, k] · w[k, j]` over the rows `r` of `x [..., K]` with a constant
    /// `w [K, N]` (made by the `dense` pass from a Linear-shaped EinSum); output `[..., N]`. The
    /// back end packs `w` in the order its kernel streams it.
    Dense(Dense),
    /// A chain of element-wise ops evaluated in one pass (made by the `fuse-elementwise` pass);
    /// every operand broadcasts to the output shape.
    Fused(Fused),
    /// Real to integer: `q = clamp(round(x / scale) + zero_point)` (round half away from zero,
    /// saturated to the integer type it names) with the output's per-tensor
    /// [`Quant`](super::Quant); operand `x` (f32).
    Quantize(super::DType),
    /// Integer to real: `x = scale · (q − zero_point)` with the operand's per-tensor
    /// [`Quant`](super::Quant), computed in f32 as `scale * (q - zero_point) as f32`; operand `q`.
    Dequantize,
    /// Integer convolution (TFLite int8): operands `x [N, C, W]` (int8), `w [O, C/groups, K]`
    /// (int8 constant) and `bias [O]` (int32 constant, zero-point term folded in). For each output
    /// `acc = bias[o] + Σ x·w` over the window (positions outside `x` read `pad_value`, the input's
    /// zero point), then `out = clamp(requantize(acc, o) + zero_point_out)`: see [`Requant`].
    QConv(QConv),
    /// Integer dense layer (TFLite int8): operands `x [..., K]` (int8), `w [K, N]` (int8
    /// constant), `bias [N]` (int32 constant, zero-point term folded in);
    /// `acc = bias[j] + Σ_k x[r, k] · w[k, j]`, then requantized as [`Requant`] with channel `j`.
    QDense(QDense),
}

/// Geometry and output stage of a [`Op::QConv`].
#[derive(Clone, Debug, PartialEq)]
pub struct QConv {
    /// Geometry (one spatial axis).
    pub conv: Conv,
    /// The value padded positions read: the input's zero point (a real 0).
    pub pad_value: i32,
    /// The output stage.
    pub requant: Requant,
    /// Use the kernel's Arm DSP form (`SMLAD`; the target has the DSP extension).
    pub dsp: bool,
}

/// Geometry and output stage of a [`Op::QDense`].
#[derive(Clone, Debug, PartialEq)]
pub struct QDense {
    /// Summed length.
    pub k: usize,
    /// Output columns.
    pub n: usize,
    /// The output stage.
    pub requant: Requant,
    /// Use the kernel's Arm DSP form (`SMLAD`; the target has the DSP extension).
    pub dsp: bool,
}

/// The output stage of an integer op (TFLite's): an int32 accumulator of output channel `c`
/// becomes `clamp(mul(acc, multiplier[c], shift[c]) + zero_point, act_min, act_max)`, where
/// `mul(a, m, s)` is TFLite's reference `MultiplyByQuantizedMultiplier` (not the
/// single-rounding variant): with `l = max(s, 0)` and `r = max(−s, 0)`,
/// `SaturatingRoundingDoublingHighMul(a · 2^l, m)` (`2·a·2^l·m / 2^32` rounded to nearest, ties
/// towards +∞; `i32::MIN · i32::MIN` saturates), then gemmlowp's `RoundingDivideByPOT` by `r`
/// (ties away from zero). `a · 2^l` wraps in 32 bits, as the C code does on Arm; the zero-point
/// addition saturates.
#[derive(Clone, Debug, PartialEq)]
pub struct Requant {
    /// Q31 multipliers, one per output channel (or one for all).
    pub multiplier: Vec<i32>,
    /// Power-of-two exponents, as many as `multiplier`.
    pub shift: Vec<i32>,
    /// The output's zero point.
    pub zero_point: i32,
    /// Smallest output (the type's minimum, or the zero point for a fused ReLU).
    pub act_min: i32,
    /// Largest output.
    pub act_max: i32,
}

impl Requant {
    /// Multiplier and shift of channel `c`.
    pub fn at(&self, c: usize) -> (i32, i32) {
        let k = if self.multiplier.len() == 1 { 0 } else { c };
        (self.multiplier.get(k).copied().unwrap_or(0), self.shift.get(k).copied().unwrap_or(0))
    }
}

/// Geometry of a [`Op::Dense`] product.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Summed length (`x`'s last axis, `w`'s rows).
    pub k: usize,
    /// Output columns (`w`'s columns, the output's last axis).
    pub n: usize,
}

/// A fused element-wise expression. For each output element, `steps` are evaluated in order;
/// the last step is the result. A step reads operands of the node (broadcast, numpy rules) or
/// earlier steps, so intermediate results never touch memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Fused {
    /// The expression in evaluation order (never empty).
    pub steps: Vec<FusedStep>,
    /// A reduction epilogue: `Some(a)` sums the expression (evaluated over the operands'
    /// broadcast shape) over every axis from `a` on, in row-major order from `0.0`, and the
    /// output keeps those axes with extent 1 (a `ReduceSum` with `keepdims` over trailing axes,
    /// fused so the summed tensor never touches memory).
    pub sum_from: Option<usize>,
}

/// An argument of a fused step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FusedArg {
    /// The node's operand `k`.
    Input(usize),
    /// The result of an earlier step.
    Step(usize),
}

/// One element-wise operation of a [`Fused`] expression, with the semantics of the op it replaced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FusedStep {
    /// As [`Op::Unary`].
    Unary(UnaryOp, FusedArg),
    /// As [`Op::Binary`].
    Binary(BinaryOp, FusedArg, FusedArg),
    /// As [`Op::Select`]: `cond != 0 ? a : b`.
    Select(FusedArg, FusedArg, FusedArg),
}

impl FusedStep {
    /// The step's arguments.
    pub fn args(&self) -> Vec<FusedArg> {
        match *self {
            FusedStep::Unary(_, a) => vec![a],
            FusedStep::Binary(_, a, b) => vec![a, b],
            FusedStep::Select(c, a, b) => vec![c, a, b],
        }
    }
}

/// Convolution geometry; spatial vectors have one entry per spatial axis (1 or 2).
#[derive(Clone, Debug, PartialEq)]
pub struct Conv {
    /// Step between output positions, per spatial axis.
    pub stride: Vec<usize>,
    /// Spacing of kernel taps, per spatial axis.
    pub dilation: Vec<usize>,
    /// Zero padding before each spatial axis (padding after is implied by the output size).
    pub pad_before: Vec<usize>,
    /// Channel groups (`C` and `O` are both multiples of it).
    pub groups: usize,
}

/// One index letter of an einsum: its size and where it appears (at most once per tensor).
/// An axis absent from `out` is summed over.
#[derive(Clone, Debug, PartialEq)]
pub struct EinAxis {
    /// Extent.
    pub size: usize,
    /// Position in operand `a`.
    pub a: Option<usize>,
    /// Position in operand `b`.
    pub b: Option<usize>,
    /// Position in the output.
    pub out: Option<usize>,
}

/// `out[o] = Σ_{summed axes} a[..] · b[..]`.
#[derive(Clone, Debug, PartialEq)]
pub struct EinSum {
    /// Every index letter.
    pub axes: Vec<EinAxis>,
}

/// Element-wise binary operations. Comparisons and logic produce booleans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// a + b
    Add,
    /// a − b
    Sub,
    /// a · b
    Mul,
    /// a / b
    Div,
    /// max(a, b)
    Max,
    /// min(a, b)
    Min,
    /// a^b
    Pow,
    /// fmod(a, b)
    Rem,
    /// a < b
    Less,
    /// a ≤ b
    LessEqual,
    /// a > b
    Greater,
    /// a ≥ b
    GreaterEqual,
    /// a = b
    Equal,
    /// a ≠ b
    NotEqual,
    /// a ∧ b
    And,
    /// a ∨ b
    Or,
    /// a ⊕ b
    Xor,
}

impl BinaryOp {
    /// True when the result is boolean.
    pub fn is_predicate(self) -> bool {
        use BinaryOp::*;
        matches!(self, Less | LessEqual | Greater | GreaterEqual | Equal | NotEqual | And | Or | Xor)
    }
}

/// Element-wise unary operations (f32 → f32 unless noted).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    /// −x
    Neg,
    /// |x|
    Abs,
    /// √x
    Sqrt,
    /// 1/√x
    Rsqrt,
    /// 1/x
    Recip,
    /// eˣ
    Exp,
    /// ln x
    Ln,
    /// 1/(1+e⁻ˣ)
    Sigmoid,
    /// tanh x
    Tanh,
    /// erf x
    Erf,
    /// x·(1+erf(x/√2))/2
    GeluExact,
    /// x·(1+tanh(√(2/π)·(x + 0.044715·xᵖ)))/2 with p = 3, or p = 2 when `square` (tract's
    /// GeluApproximate, whose `fast_impl` pattern is a model that literally used x²)
    GeluTanh {
        /// use x² instead of x³
        square: bool,
    },
    /// ln(1+eˣ)
    Softplus,
    /// x²
    Square,
    /// max(x, 0)
    Relu,
    /// x if x ≥ 0 else αx
    LeakyRelu(f32),
    /// clamp(αx+β, 0, 1)
    HardSigmoid {
        /// slope
        alpha: f32,
        /// offset
        beta: f32,
    },
    /// clamp(x, min, max)
    Clip {
        /// lower bound
        min: f32,
        /// upper bound
        max: f32,
    },
    /// ⌊x⌋
    Floor,
    /// ⌈x⌉
    Ceil,
    /// round half away from zero
    Round,
    /// round half to even
    RoundHalfToEven,
    /// sign(x) ∈ {−1, 0, 1}
    Sign,
    /// logical not (bool)
    Not,
    /// x^p for a constant p
    PowConst(f32),
    /// sin x
    Sin,
    /// cos x
    Cos,
    /// x·σ(x)
    Silu,
    /// x is NaN (bool)
    IsNan,
    /// x is ±∞ (bool)
    IsInf,
    /// x (a type change such as bool → f32, which is free in ecgc's storage)
    Identity,
}

impl UnaryOp {
    /// True when the result is boolean.
    pub fn is_predicate(self) -> bool {
        matches!(self, UnaryOp::Not | UnaryOp::IsNan | UnaryOp::IsInf)
    }
}

/// Reduction kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Σ
    Sum,
    /// Σ / n
    Mean,
    /// max
    Max,
    /// min
    Min,
    /// Π
    Prod,
    /// Σx² / n
    MeanOfSquares,
}

/// Reduction.
#[derive(Clone, Debug, PartialEq)]
pub struct Reduce {
    /// What to compute.
    pub op: ReduceOp,
    /// Reduced axes (sorted, distinct).
    pub axes: Vec<usize>,
}

/// Softmax along one axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Softmax {
    /// The normalised axis.
    pub axis: usize,
    /// log-softmax instead of softmax.
    pub log: bool,
}

/// RMS normalisation along one axis.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsNorm {
    /// The normalised axis.
    pub axis: usize,
    /// Added to the mean of squares.
    pub eps: f32,
}

/// Axis permutation.
#[derive(Clone, Debug, PartialEq)]
pub struct Transpose {
    /// Output axis `i` is input axis `perm[i]`.
    pub perm: Vec<usize>,
}

/// Strided slice over every axis (the output shape gives the counts).
#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    /// First input index per axis.
    pub start: Vec<usize>,
    /// Step per axis (negative walks backwards).
    pub step: Vec<isize>,
}

/// Concatenation.
#[derive(Clone, Debug, PartialEq)]
pub struct Concat {
    /// The joined axis.
    pub axis: usize,
}

/// Gather of constant indices.
#[derive(Clone, Debug, PartialEq)]
pub struct Gather {
    /// The indexed axis.
    pub axis: usize,
    /// Indices into that axis (already made non-negative); output axis length is `indices.len()`.
    pub indices: Vec<usize>,
}

/// Constant padding.
#[derive(Clone, Debug, PartialEq)]
pub struct Pad {
    /// Elements added before, per axis.
    pub before: Vec<usize>,
    /// Elements added after, per axis.
    pub after: Vec<usize>,
    /// Fill value.
    pub value: f32,
}

/// Pooling kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoolKind {
    /// max over the window (padding ignored)
    Max,
    /// sum over the window (padding counts as 0)
    Sum,
    /// mean over the window, padding counted or not
    Avg {
        /// divide by the full window size even where it overlaps padding
        count_include_pad: bool,
    },
}

/// Pooling geometry, per spatial axis (1 or 2).
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    /// What to compute.
    pub kind: PoolKind,
    /// Window size.
    pub kernel: Vec<usize>,
    /// Step.
    pub stride: Vec<usize>,
    /// Tap spacing.
    pub dilation: Vec<usize>,
    /// Padding before (after is implied by the output size).
    pub pad_before: Vec<usize>,
}

impl Op {
    /// A short text for listings and model cards.
    pub fn summary(&self) -> String {
        match self {
            Op::Conv(c) => format!(
                "Conv(groups={}, stride={:?}, dilation={:?}, pad={:?})",
                c.groups, c.stride, c.dilation, c.pad_before
            ),
            Op::EinSum(e) => format!("EinSum({})", einsum_expr(e)),
            Op::Binary(b) => format!("{b:?}"),
            Op::Unary(u) => format!("{u:?}"),
            Op::Select => "Select".into(),
            Op::Reduce(r) => format!("Reduce{:?}(axes={:?})", r.op, r.axes),
            Op::Softmax(s) => format!("{}(axis={})", if s.log { "LogSoftmax" } else { "Softmax" }, s.axis),
            Op::RmsNorm(r) => format!("RmsNorm(axis={}, eps={})", r.axis, r.eps),
            Op::Reshape => "Reshape".into(),
            Op::Transpose(t) => format!("Transpose({:?})", t.perm),
            Op::Slice(s) => format!("Slice(start={:?}, step={:?})", s.start, s.step),
            Op::Concat(c) => format!("Concat(axis={})", c.axis),
            Op::Gather(g) => format!("Gather(axis={}, {} indices)", g.axis, g.indices.len()),
            Op::Pad(p) => format!("Pad(before={:?}, after={:?}, value={})", p.before, p.after, p.value),
            Op::BroadcastTo => "BroadcastTo".into(),
            Op::Pool(p) => {
                format!("{:?}Pool(kernel={:?}, stride={:?}, pad={:?})", p.kind, p.kernel, p.stride, p.pad_before)
            }
            Op::Fused(f) => format!("Fused({})", fused_expr(f)),
            Op::Dense(d) => format!("Dense(k={}, n={})", d.k, d.n),
            Op::Quantize(t) => format!("Quantize({t})"),
            Op::Dequantize => "Dequantize".into(),
            Op::QConv(q) => format!(
                "QConv(groups={}, stride={:?}, dilation={:?}, pad={:?}, pad_value={}, zp={}, clamp=[{}, {}])",
                q.conv.groups,
                q.conv.stride,
                q.conv.dilation,
                q.conv.pad_before,
                q.pad_value,
                q.requant.zero_point,
                q.requant.act_min,
                q.requant.act_max
            ),
            Op::QDense(d) => format!(
                "QDense(k={}, n={}, zp={}, clamp=[{}, {}])",
                d.k, d.n, d.requant.zero_point, d.requant.act_min, d.requant.act_max
            ),
        }
    }

    /// The op's family name (a histogram key for reports).
    pub fn family(&self) -> &'static str {
        match self {
            Op::Conv(_) => "Conv",
            Op::EinSum(_) => "EinSum",
            Op::Binary(_) => "Binary",
            Op::Unary(_) => "Unary",
            Op::Select => "Select",
            Op::Reduce(_) => "Reduce",
            Op::Softmax(_) => "Softmax",
            Op::RmsNorm(_) => "RmsNorm",
            Op::Reshape => "Reshape",
            Op::Transpose(_) => "Transpose",
            Op::Slice(_) => "Slice",
            Op::Concat(_) => "Concat",
            Op::Gather(_) => "Gather",
            Op::Pad(_) => "Pad",
            Op::BroadcastTo => "BroadcastTo",
            Op::Pool(_) => "Pool",
            Op::Fused(_) => "Fused",
            Op::Dense(_) => "Dense",
            Op::Quantize(_) => "Quantize",
            Op::Dequantize => "Dequantize",
            Op::QConv(_) => "QConv",
            Op::QDense(_) => "QDense",
        }
    }
}

/// `ab,bc->ac`-style text of an einsum.
pub fn einsum_expr(e: &EinSum) -> String {
    let letters: Vec<char> = ('a'..='z').collect();
    let side = |pos: &dyn Fn(&EinAxis) -> Option<usize>| {
        let mut v: Vec<(usize, char)> =
            e.axes.iter().enumerate().filter_map(|(i, ax)| pos(ax).map(|p| (p, letters[i % 26]))).collect();
        v.sort();
        v.into_iter().map(|(_, c)| c).collect::<String>()
    };
    format!("{},{}->{}", side(&|a| a.a), side(&|a| a.b), side(&|a| a.out))
}

/// `Tanh(Add(x0, x1))`-style text of a fused expression.
pub fn fused_expr(f: &Fused) -> String {
    fn arg(f: &Fused, a: FusedArg) -> String {
        match a {
            FusedArg::Input(k) => format!("x{k}"),
            FusedArg::Step(s) => match f.steps.get(s) {
                Some(step) => text(f, step),
                None => "?".into(),
            },
        }
    }
    fn text(f: &Fused, step: &FusedStep) -> String {
        let args: Vec<String> = step.args().into_iter().map(|a| arg(f, a)).collect();
        let name = match step {
            FusedStep::Unary(u, _) => format!("{u:?}"),
            FusedStep::Binary(b, ..) => format!("{b:?}"),
            FusedStep::Select(..) => "Select".into(),
        };
        format!("{name}({})", args.join(", "))
    }
    let e = f.steps.last().map(|s| text(f, s)).unwrap_or_default();
    match f.sum_from {
        Some(a) => format!("Sum[{a}..]({e})"),
        None => e,
    }
}
