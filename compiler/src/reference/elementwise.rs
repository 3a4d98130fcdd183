//! Element-wise ops: Binary, Unary, Select and Fused, all through one scalar evaluator.
//!
//! Why one evaluator: a Fused node must mean exactly the ops it replaced, so the interpreter
//! evaluates an unfused Binary/Unary/Select as a one-step fused expression. The scalar functions
//! ([`unary_scalar`], [`binary_scalar`]) are the single statement of each op's math here: std's
//! f32 functions (libm's f64 `erf`, rounded), booleans as 1.0 / 0.0, truth as `x != 0`.

use super::index::{broadcast_strides, count, offset, MultiIndex};
use crate::ir::shape::broadcast;
use crate::ir::{BinaryOp, Fused, FusedArg, FusedStep, UnaryOp};

const SQRT_2_OVER_PI: f32 = 0.797_884_6;

fn boolean(c: bool) -> f32 {
    if c {
        1.0
    } else {
        0.0
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn erf(x: f32) -> f32 {
    libm::erf(x as f64) as f32
}

/// One element of a unary op, as `ir::UnaryOp` documents it.
pub(super) fn unary_scalar(op: UnaryOp, x: f32) -> f32 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Abs => x.abs(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Rsqrt => 1.0 / x.sqrt(),
        UnaryOp::Recip => 1.0 / x,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Ln => x.ln(),
        UnaryOp::Sigmoid => sigmoid(x),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Erf => erf(x),
        UnaryOp::GeluExact => 0.5 * x * (1.0 + erf(x / std::f32::consts::SQRT_2)),
        UnaryOp::GeluTanh { square } => {
            let p = if square { x * x } else { x * x * x };
            0.5 * x * (1.0 + (SQRT_2_OVER_PI * (x + 0.044_715 * p)).tanh())
        }
        // ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|), which neither overflows nor cancels.
        UnaryOp::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        UnaryOp::Square => x * x,
        UnaryOp::Relu => x.max(0.0),
        UnaryOp::LeakyRelu(alpha) => {
            if x < 0.0 {
                alpha * x
            } else {
                x
            }
        }
        UnaryOp::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
        UnaryOp::Clip { min, max } => x.max(min).min(max),
        UnaryOp::Floor => x.floor(),
        UnaryOp::Ceil => x.ceil(),
        UnaryOp::Round => x.round(),
        UnaryOp::RoundHalfToEven => x.round_ties_even(),
        UnaryOp::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else if x == 0.0 {
                0.0
            } else {
                x // NaN stays NaN
            }
        }
        UnaryOp::Not => boolean(x == 0.0),
        UnaryOp::PowConst(p) => x.powf(p),
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Silu => x * sigmoid(x),
        UnaryOp::IsNan => boolean(x.is_nan()),
        UnaryOp::IsInf => boolean(x.is_infinite()),
        UnaryOp::Identity => x,
    }
}

/// One element of a binary op, as `ir::BinaryOp` documents it.
pub(super) fn binary_scalar(op: BinaryOp, a: f32, b: f32) -> f32 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Max => a.max(b),
        BinaryOp::Min => a.min(b),
        BinaryOp::Pow => a.powf(b),
        BinaryOp::Rem => a % b, // Rust's `%` on floats is C's fmod (truncated quotient)
        BinaryOp::Less => boolean(a < b),
        BinaryOp::LessEqual => boolean(a <= b),
        BinaryOp::Greater => boolean(a > b),
        BinaryOp::GreaterEqual => boolean(a >= b),
        BinaryOp::Equal => boolean(a == b),
        BinaryOp::NotEqual => boolean(a != b),
        BinaryOp::And => boolean(a != 0.0 && b != 0.0),
        BinaryOp::Or => boolean(a != 0.0 || b != 0.0),
        BinaryOp::Xor => boolean((a != 0.0) != (b != 0.0)),
    }
}

/// `cond != 0 ? a : b`.
fn select_scalar(cond: f32, a: f32, b: f32) -> f32 {
    if cond != 0.0 {
        a
    } else {
        b
    }
}

/// Evaluates the steps on one element's operand values; `vals` holds the steps' results.
fn eval_steps(steps: &[FusedStep], args: &[f32], vals: &mut [f32]) -> f32 {
    for (i, step) in steps.iter().enumerate() {
        let get = |vals: &[f32], a: FusedArg| match a {
            FusedArg::Input(k) => args[k],
            FusedArg::Step(s) => vals[s],
        };
        vals[i] = match *step {
            FusedStep::Unary(u, x) => unary_scalar(u, get(vals, x)),
            FusedStep::Binary(b, x, y) => binary_scalar(b, get(vals, x), get(vals, y)),
            FusedStep::Select(c, x, y) => select_scalar(get(vals, c), get(vals, x), get(vals, y)),
        };
    }
    vals[steps.len() - 1]
}

/// A fused expression over operands broadcast to their common shape; with `sum_from = Some(a)`
/// the results are summed over axes `a..` in row-major order from 0.0 (the output keeps those
/// axes with extent 1, so output element `i` is the sum of the `i`-th run of `Π shape[a..]`
/// consecutive results).
pub(super) fn fused(f: &Fused, ins: &[&[f32]], shapes: &[&[usize]]) -> Result<Vec<f32>, String> {
    if f.steps.is_empty() {
        return Err("Fused has no steps".into());
    }
    let shape = broadcast(shapes)?;
    let strides: Vec<Vec<usize>> = shapes.iter().map(|s| broadcast_strides(s, &shape)).collect();
    let total = count(&shape);
    let run = match f.sum_from {
        Some(a) => count(shape.get(a..).unwrap_or(&[])),
        None => 1,
    };
    let mut out = vec![0.0f32; total.checked_div(run).unwrap_or(0)];
    let mut args = vec![0.0f32; ins.len()];
    let mut vals = vec![0.0f32; f.steps.len()];
    let mut it = MultiIndex::new(&shape);
    let mut linear = 0usize;
    while let Some(idx) = it.next_index() {
        for (k, (x, s)) in ins.iter().zip(&strides).enumerate() {
            args[k] = x[offset(idx, s)];
        }
        let v = eval_steps(&f.steps, &args, &mut vals);
        match f.sum_from {
            Some(_) => out[linear / run] += v,
            None => out[linear] = v,
        }
        linear += 1;
    }
    Ok(out)
}

/// An unfused binary op: the one-step expression `op(x0, x1)`.
pub(super) fn binary(op: BinaryOp, ins: &[&[f32]], shapes: &[&[usize]]) -> Result<Vec<f32>, String> {
    let step = FusedStep::Binary(op, FusedArg::Input(0), FusedArg::Input(1));
    fused(&Fused { steps: vec![step], sum_from: None }, ins, shapes)
}

/// An unfused select: the one-step expression `select(x0, x1, x2)`.
pub(super) fn select(ins: &[&[f32]], shapes: &[&[usize]]) -> Result<Vec<f32>, String> {
    let step = FusedStep::Select(FusedArg::Input(0), FusedArg::Input(1), FusedArg::Input(2));
    fused(&Fused { steps: vec![step], sum_from: None }, ins, shapes)
}

/// An unfused unary op (no broadcasting to do: one operand).
pub(super) fn unary(op: UnaryOp, x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| unary_scalar(op, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f64, tol: f64) -> bool {
        (a as f64 - b).abs() <= tol * b.abs().max(1.0) || (a.is_nan() && b.is_nan())
    }

    /// f64 statements of each unary op, written from the IR docs (not from the code above).
    fn unary_f64(op: UnaryOp, x: f64) -> f64 {
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        match op {
            UnaryOp::Neg => -x,
            UnaryOp::Abs => x.abs(),
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Rsqrt => 1.0 / x.sqrt(),
            UnaryOp::Recip => 1.0 / x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Ln => x.ln(),
            UnaryOp::Sigmoid => sig(x),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Erf => libm::erf(x),
            UnaryOp::GeluExact => x * (1.0 + libm::erf(x / 2f64.sqrt())) / 2.0,
            UnaryOp::GeluTanh { square } => {
                let p = if square { x.powi(2) } else { x.powi(3) };
                x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * p)).tanh()) / 2.0
            }
            UnaryOp::Softplus => (1.0 + x.exp()).ln(),
            UnaryOp::Square => x * x,
            UnaryOp::Relu => x.max(0.0),
            UnaryOp::LeakyRelu(a) => {
                if x >= 0.0 {
                    x
                } else {
                    a as f64 * x
                }
            }
            UnaryOp::HardSigmoid { alpha, beta } => (alpha as f64 * x + beta as f64).clamp(0.0, 1.0),
            UnaryOp::Clip { min, max } => x.clamp(min as f64, max as f64),
            UnaryOp::Floor => x.floor(),
            UnaryOp::Ceil => x.ceil(),
            UnaryOp::Round => x.round(),
            UnaryOp::RoundHalfToEven => {
                let r = x.round();
                if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
                    r - x.signum()
                } else {
                    r
                }
            }
            UnaryOp::Sign => {
                if x == 0.0 {
                    0.0
                } else {
                    x.signum()
                }
            }
            UnaryOp::Not => (x == 0.0) as u8 as f64,
            UnaryOp::PowConst(p) => x.powf(p as f64),
            UnaryOp::Sin => x.sin(),
            UnaryOp::Cos => x.cos(),
            UnaryOp::Silu => x * sig(x),
            UnaryOp::IsNan => x.is_nan() as u8 as f64,
            UnaryOp::IsInf => x.is_infinite() as u8 as f64,
            UnaryOp::Identity => x,
        }
    }

    #[test]
    fn every_unary_op_matches_an_f64_statement() {
        use UnaryOp::*;
        let ops = [
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
            Clip { min: -0.5, max: 1.5 },
            Floor,
            Ceil,
            Round,
            RoundHalfToEven,
            Sign,
            Not,
            PowConst(1.5),
            Sin,
            Cos,
            Silu,
            IsNan,
            IsInf,
            Identity,
        ];
        let xs = [-30.0f32, -4.5, -2.5, -1.0, -0.5, -0.25, 0.0, 0.3, 0.5, 1.5, 2.5, 3.7, 25.0, 90.0];
        for op in ops {
            for &x in &xs {
                let got = unary_scalar(op, x);
                let want = unary_f64(op, x as f64);
                if want.is_infinite() || (x as f64 > 88.0 && matches!(op, Exp | Softplus)) {
                    continue; // overflow: compared below
                }
                assert!(close(got, want, 2e-6), "{op:?}({x}) = {got}, want {want}");
            }
        }
        assert_eq!(unary_scalar(Softplus, 200.0), 200.0); // no overflow to inf
        assert_eq!(unary_scalar(Sign, 0.0), 0.0);
        assert!(unary_scalar(Sign, f32::NAN).is_nan());
        assert_eq!(unary_scalar(IsNan, f32::NAN), 1.0);
        assert_eq!(unary_scalar(IsInf, f32::NEG_INFINITY), 1.0);
        assert_eq!(unary_scalar(RoundHalfToEven, 2.5), 2.0);
        assert_eq!(unary_scalar(Round, -2.5), -3.0);
    }

    #[test]
    fn binary_ops_and_predicates() {
        use BinaryOp::*;
        let pairs = [(3.0f32, 2.0f32), (-7.5, 2.0), (0.0, 1.0), (2.0, 2.0), (1.0, 0.0)];
        for (a, b) in pairs {
            let (x, y) = (a as f64, b as f64);
            let want = [
                (Add, x + y),
                (Sub, x - y),
                (Mul, x * y),
                (Max, x.max(y)),
                (Min, x.min(y)),
                (Less, (x < y) as u8 as f64),
                (LessEqual, (x <= y) as u8 as f64),
                (Greater, (x > y) as u8 as f64),
                (GreaterEqual, (x >= y) as u8 as f64),
                (Equal, (x == y) as u8 as f64),
                (NotEqual, (x != y) as u8 as f64),
                (And, (x != 0.0 && y != 0.0) as u8 as f64),
                (Or, (x != 0.0 || y != 0.0) as u8 as f64),
                (Xor, ((x != 0.0) ^ (y != 0.0)) as u8 as f64),
            ];
            for (op, w) in want {
                assert!(close(binary_scalar(op, a, b), w, 1e-7), "{op:?}({a}, {b})");
            }
            if b != 0.0 {
                assert!(close(binary_scalar(Div, a, b), x / y, 1e-7));
                // fmod: a − trunc(a/b)·b, sign of a
                assert!(close(binary_scalar(Rem, a, b), x - (x / y).trunc() * y, 1e-7), "Rem({a}, {b})");
            }
            if a > 0.0 {
                assert!(close(binary_scalar(Pow, a, b), x.powf(y), 1e-6));
            }
        }
        assert_eq!(binary_scalar(Rem, -7.5, 2.0), -1.5);
    }

    #[test]
    fn binary_broadcasts_numpy_style() {
        // [2, 3] − [3]  and  [2, 1] · [1, 3]
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [10.0f32, 20.0, 30.0];
        let got = binary(BinaryOp::Sub, &[&a, &b], &[&[2, 3], &[3]]).unwrap();
        let want: Vec<f32> = (0..6).map(|i| a[i] - b[i % 3]).collect();
        assert_eq!(got, want);
        let got = binary(BinaryOp::Mul, &[&[2.0, 3.0], &[1.0, 10.0, 100.0]], &[&[2, 1], &[1, 3]]).unwrap();
        assert_eq!(got, vec![2.0, 20.0, 200.0, 3.0, 30.0, 300.0]);
        assert!(binary(BinaryOp::Add, &[&[0.0; 2], &[0.0; 3]], &[&[2], &[3]]).is_err());
    }

    #[test]
    fn select_broadcasts_its_condition() {
        let got = select(&[&[1.0, 0.0], &[1.0, 2.0, 3.0, 4.0], &[-1.0]], &[&[2, 1], &[2, 2], &[]]).unwrap();
        assert_eq!(got, vec![1.0, 2.0, -1.0, -1.0]);
    }

    #[test]
    fn fused_chain_equals_the_ops_one_by_one_and_sum_from_sums_rows_in_order() {
        // tanh(x0 · x1) + x0 over x0 [2, 3], x1 [3]
        let steps = vec![
            FusedStep::Binary(BinaryOp::Mul, FusedArg::Input(0), FusedArg::Input(1)),
            FusedStep::Unary(UnaryOp::Tanh, FusedArg::Step(0)),
            FusedStep::Binary(BinaryOp::Add, FusedArg::Step(1), FusedArg::Input(0)),
        ];
        let x0 = [0.1f32, -0.2, 0.3, 0.4, 0.5, -0.6];
        let x1 = [2.0f32, 3.0, -1.0];
        let f = Fused { steps: steps.clone(), sum_from: None };
        let got = fused(&f, &[&x0, &x1], &[&[2, 3], &[3]]).unwrap();
        let want: Vec<f64> = (0..6).map(|i| (x0[i] as f64 * x1[i % 3] as f64).tanh() + x0[i] as f64).collect();
        for (g, w) in got.iter().zip(&want) {
            assert!(close(*g, *w, 1e-6));
        }
        let f = Fused { steps, sum_from: Some(1) };
        let sums = fused(&f, &[&x0, &x1], &[&[2, 3], &[3]]).unwrap();
        assert_eq!(sums.len(), 2);
        for r in 0..2 {
            let w: f64 = want[3 * r..3 * r + 3].iter().sum();
            assert!(close(sums[r], w, 1e-6), "row {r}: {} vs {w}", sums[r]);
        }
        // Summing every axis of a [2, 3] expression gives one element.
        let all = fused(&Fused { steps: f.steps.clone(), sum_from: Some(0) }, &[&x0, &x1], &[&[2, 3], &[3]]).unwrap();
        assert!(close(all[0], want.iter().sum(), 1e-6));
    }
}
