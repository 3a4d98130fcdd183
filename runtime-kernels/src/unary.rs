//! Elementwise one-input operations.

use crate::math;

/// An elementwise operation `f32 -> f32`. Booleans are produced as `1.0`/`0.0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `|x|`
    Abs,
    /// `sqrt(x)` (correctly rounded; NaN for `x < 0`)
    Sqrt,
    /// `1 / sqrt(x)`
    Rsqrt,
    /// `1 / x`
    Recip,
    /// `e^x`
    Exp,
    /// `ln(x)`
    Ln,
    /// `1 / (1 + e^-x)`, stable for large `|x|`
    Sigmoid,
    /// `tanh(x)`
    Tanh,
    /// `erf(x)`
    Erf,
    /// `0.5 x (1 + erf(x / sqrt 2))`
    GeluExact,
    /// `0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x^p)))`, `p = 3` (ONNX `Gelu(approximate="tanh")`),
    /// or `p = 2` when `square` (the pattern tract calls `fast_impl`)
    GeluTanh {
        /// `x²` instead of `x³` inside the tanh
        square: bool,
    },
    /// `ln(1 + e^x)`, stable (`x` for `x > 20`)
    Softplus,
    /// `x * x`
    Square,
    /// `max(x, 0)` with `f32::max` semantics (NaN gives 0)
    Relu,
    /// `x` if `x >= 0`, else `alpha * x`
    LeakyRelu(f32),
    /// `clamp(alpha * x + beta, 0, 1)`
    HardSigmoid {
        /// slope
        alpha: f32,
        /// offset
        beta: f32,
    },
    /// `min(max(x, min), max)` with `f32::max`/`f32::min` semantics
    Clip {
        /// lower bound
        min: f32,
        /// upper bound
        max: f32,
    },
    /// round toward -inf
    Floor,
    /// round toward +inf
    Ceil,
    /// round to nearest, halfway cases away from zero
    Round,
    /// round to nearest, halfway cases to even
    RoundHalfToEven,
    /// `-1`, `0` or `1` (`Sign(±0) = 0`, NaN stays NaN)
    Sign,
    /// logical not: `1.0` if `x == 0`, else `0.0`
    Not,
    /// `x^p` with `powf` semantics (`p == 2` is `x * x`, `p == 1` is `x`)
    PowConst(f32),
    /// `sin(x)`
    Sin,
    /// `cos(x)`
    Cos,
    /// `x * sigmoid(x)`
    Silu,
    /// `1.0` if `x` is NaN, else `0.0`
    IsNan,
    /// `1.0` if `x` is ±inf, else `0.0`
    IsInf,
}

/// Where results go: a separate output, or back into the input.
trait Sink {
    fn apply<F: Fn(f32) -> f32>(self, f: F);
}

struct Separate<'a>(&'a [f32], &'a mut [f32]);
struct InPlace<'a>(&'a mut [f32]);

impl Sink for Separate<'_> {
    #[inline(always)]
    fn apply<F: Fn(f32) -> f32>(self, f: F) {
        for (o, &x) in self.1.iter_mut().zip(self.0) {
            *o = f(x);
        }
    }
}

impl Sink for InPlace<'_> {
    #[inline(always)]
    fn apply<F: Fn(f32) -> f32>(self, f: F) {
        for v in self.0.iter_mut() {
            *v = f(*v);
        }
    }
}

#[inline(always)]
fn b(c: bool) -> f32 {
    if c {
        1.0
    } else {
        0.0
    }
}

impl UnaryOp {
    /// `op(x)` for one element: the single statement of each op's math, used by the slice
    /// kernels below and by generated fused loops (which call it on a constant op, so it inlines
    /// to the one function).
    #[inline(always)]
    pub fn eval(self, x: f32) -> f32 {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Abs => math::fabsf(x),
            UnaryOp::Sqrt => math::sqrtf(x),
            UnaryOp::Rsqrt => 1.0 / math::sqrtf(x),
            UnaryOp::Recip => 1.0 / x,
            UnaryOp::Exp => math::expf(x),
            UnaryOp::Ln => math::logf(x),
            UnaryOp::Sigmoid => math::sigmoidf(x),
            UnaryOp::Tanh => math::tanhf(x),
            UnaryOp::Erf => math::erff(x),
            UnaryOp::GeluExact => math::gelu_exact(x),
            UnaryOp::GeluTanh { square } => gelu_tanh(x, square),
            UnaryOp::Softplus => math::softplusf(x),
            UnaryOp::Square => x * x,
            UnaryOp::Relu => math::fmaxf(x, 0.0),
            UnaryOp::LeakyRelu(alpha) => {
                if x < 0.0 {
                    alpha * x
                } else {
                    x
                }
            }
            UnaryOp::HardSigmoid { alpha, beta } => math::fminf(math::fmaxf(alpha * x + beta, 0.0), 1.0),
            UnaryOp::Clip { min, max } => math::fminf(math::fmaxf(x, min), max),
            UnaryOp::Floor => math::floorf(x),
            UnaryOp::Ceil => math::ceilf(x),
            UnaryOp::Round => math::roundf(x),
            UnaryOp::RoundHalfToEven => math::rintf(x),
            UnaryOp::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else if x == 0.0 {
                    0.0
                } else {
                    x // NaN
                }
            }
            UnaryOp::Not => b(x == 0.0),
            UnaryOp::PowConst(p) => {
                if p == 2.0 {
                    x * x
                } else if p == 1.0 {
                    x
                } else {
                    math::powf(x, p)
                }
            }
            UnaryOp::Sin => math::sinf(x),
            UnaryOp::Cos => math::cosf(x),
            UnaryOp::Silu => x * math::sigmoidf(x),
            UnaryOp::IsNan => b(x.is_nan()),
            UnaryOp::IsInf => b(x.is_infinite()),
        }
    }
}

/// One loop per operation: the `match` is outside the element loop (each arm's `eval` is on an
/// op whose variant is known there, so it folds to that op's math).
fn dispatch<S: Sink>(op: UnaryOp, s: S) {
    use UnaryOp::*;
    macro_rules! per_variant {
        ($($v:pat),* $(,)?) => {
            match op {
                $(k @ $v => s.apply(move |x| k.eval(x)),)*
            }
        };
    }
    per_variant!(
        Neg,
        Abs,
        Sqrt,
        Rsqrt,
        Recip,
        Exp,
        Ln,
        Sigmoid,
        Tanh,
        Erf,
        GeluExact,
        GeluTanh { .. },
        Softplus,
        Square,
        Relu,
        LeakyRelu(_),
        HardSigmoid { .. },
        Clip { .. },
        Floor,
        Ceil,
        Round,
        RoundHalfToEven,
        Sign,
        Not,
        PowConst(_),
        Sin,
        Cos,
        Silu,
        IsNan,
        IsInf,
    )
}

/// `out[i] = op(x[i])`.
///
/// `0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x^p)))` with `p` = 2 or 3.
fn gelu_tanh(x: f32, square: bool) -> f32 {
    const SQRT_2_OVER_PI: f32 = 0.797_884_6;
    let p = if square { x * x } else { x * x * x };
    0.5 * x * (1.0 + math::tanhf(SQRT_2_OVER_PI * (x + 0.044_715 * p)))
}

/// Precondition: `x.len() == out.len()` (otherwise only the common prefix is written).
pub fn unary(op: UnaryOp, x: &[f32], out: &mut [f32]) {
    debug_assert_eq!(x.len(), out.len());
    dispatch(op, Separate(x, out));
}

/// `xs[i] = op(xs[i])`.
pub fn unary_in_place(op: UnaryOp, xs: &mut [f32]) {
    dispatch(op, InPlace(xs));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};
    use std::vec::Vec;

    fn all_ops() -> Vec<UnaryOp> {
        use UnaryOp::*;
        std::vec![
            Neg,
            Abs,
            Sqrt,
            Rsqrt,
            Recip,
            Exp,
            Ln,
            Sigmoid,
            Tanh,
            Erf,
            GeluExact,
            GeluTanh { square: false },
            GeluTanh { square: true },
            Softplus,
            Square,
            Relu,
            LeakyRelu(0.1),
            HardSigmoid { alpha: 0.2, beta: 0.5 },
            Clip { min: -1.0, max: 2.0 },
            Floor,
            Ceil,
            Round,
            RoundHalfToEven,
            Sign,
            Not,
            PowConst(2.0),
            PowConst(1.0),
            PowConst(3.0),
            PowConst(0.5),
            PowConst(-1.5),
            Sin,
            Cos,
            Silu,
            IsNan,
            IsInf,
        ]
    }

    /// Naive reference using std's f32 functions where they exist.
    fn reference(op: UnaryOp, x: f32) -> f32 {
        use UnaryOp::*;
        let sig = |x: f32| 1.0 / (1.0 + (-x).exp());
        match op {
            Neg => -x,
            Abs => x.abs(),
            Sqrt => x.sqrt(),
            Rsqrt => 1.0 / x.sqrt(),
            Recip => 1.0 / x,
            Exp => x.exp(),
            Ln => x.ln(),
            Sigmoid => sig(x),
            Tanh => x.tanh(),
            Erf => math::erff(x),
            GeluExact => 0.5 * x * (1.0 + math::erff(x / core::f32::consts::SQRT_2)),
            GeluTanh { square } => {
                let p = if square { x * x } else { x * x * x };
                0.5 * x * (1.0 + ((2.0 / core::f32::consts::PI).sqrt() * (x + 0.044715 * p)).tanh())
            }
            Softplus => {
                if x > 20.0 {
                    x
                } else {
                    x.exp().ln_1p()
                }
            }
            Square => x * x,
            Relu => x.max(0.0),
            LeakyRelu(a) => {
                if x >= 0.0 {
                    x
                } else {
                    a * x
                }
            }
            HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
            Clip { min, max } => x.clamp(min, max),
            Floor => x.floor(),
            Ceil => x.ceil(),
            Round => x.round(),
            RoundHalfToEven => x.round_ties_even(),
            Sign => {
                if x == 0.0 {
                    0.0
                } else {
                    x.signum()
                }
            }
            Not => (x == 0.0) as u8 as f32,
            PowConst(p) => x.powf(p),
            Sin => x.sin(),
            Cos => x.cos(),
            Silu => x * sig(x),
            IsNan => x.is_nan() as u8 as f32,
            IsInf => x.is_infinite() as u8 as f32,
        }
    }

    #[test]
    fn all_ops_match_reference() {
        let mut rng = Rng::new(21);
        let mut xs = rng.vec(2000, -12.0, 12.0);
        xs.extend_from_slice(&[0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 1e-20, 30.0, -30.0, 1e6]);
        xs.extend_from_slice(&[f32::INFINITY, f32::NEG_INFINITY]);
        for op in all_ops() {
            let want: Vec<f32> = xs.iter().map(|&x| reference(op, x)).collect();
            let mut got = std::vec![0.0; xs.len()];
            unary(op, &xs, &mut got);
            let mut inplace = xs.clone();
            unary_in_place(op, &mut inplace);
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                inplace.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{op:?}: in-place differs"
            );
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                let x = xs[i];
                let ok = if w.is_nan() || g.is_nan() {
                    w.is_nan() && g.is_nan()
                } else if w.is_infinite() || g.is_infinite() {
                    g == w
                } else {
                    (g - w).abs() <= 1e-6 * w.abs().max(1.0)
                };
                // gelu(-inf): the naive formula gives NaN, the kernel the limit -0
                let ok = ok || (op == UnaryOp::GeluExact && x == f32::NEG_INFINITY && g == 0.0);
                assert!(ok, "{op:?}({x}) = {g}, want {w}");
            }
        }
    }

    #[test]
    fn nan_behaviour() {
        let nan = [f32::NAN];
        let mut o = [0.0];
        for (op, want_nan) in [
            (UnaryOp::Relu, false),
            (UnaryOp::Sign, true),
            (UnaryOp::Not, false),
            (UnaryOp::IsNan, false),
            (UnaryOp::Sigmoid, true),
            (UnaryOp::Exp, true),
        ] {
            unary(op, &nan, &mut o);
            assert_eq!(o[0].is_nan(), want_nan, "{op:?}");
        }
        unary(UnaryOp::IsNan, &nan, &mut o);
        assert_eq!(o[0], 1.0);
        unary(UnaryOp::Not, &nan, &mut o);
        assert_eq!(o[0], 0.0);
    }

    #[test]
    fn sign_and_not_edges() {
        let x = [-0.0, 0.0, -3.0, 5.0];
        let mut o = [9.0; 4];
        unary(UnaryOp::Sign, &x, &mut o);
        assert_eq!(o, [0.0, 0.0, -1.0, 1.0]);
        unary(UnaryOp::Not, &x, &mut o);
        assert_eq!(o, [1.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn stable_sigmoid_softplus_extremes() {
        let x = [-1000.0, -200.0, 100.0, 1000.0];
        let mut o = [0.0; 4];
        unary(UnaryOp::Sigmoid, &x, &mut o);
        assert_eq!(o, [0.0, 0.0, 1.0, 1.0]);
        unary(UnaryOp::Softplus, &x, &mut o);
        assert_eq!(o, [0.0, 0.0, 100.0, 1000.0]);
        unary(UnaryOp::Silu, &x, &mut o);
        assert_close(&o, &[-0.0, -0.0, 100.0, 1000.0], 0.0);
    }
}
