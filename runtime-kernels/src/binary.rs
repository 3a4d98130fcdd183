//! Elementwise two-input operations with broadcasting.

use crate::math;
use crate::nd::{at, Rows};

/// An elementwise operation `(f32, f32) -> f32`. Comparisons and logic produce `1.0`/`0.0`; logic
/// treats any value `!= 0.0` (NaN included) as true.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b` (IEEE division)
    Div,
    /// `f32::max(a, b)`: a NaN operand is ignored
    Max,
    /// `f32::min(a, b)`: a NaN operand is ignored
    Min,
    /// `powf(a, b)`
    Pow,
    /// C `fmodf(a, b)`: the result has the sign of `a`
    Rem,
    /// `a < b`
    Less,
    /// `a <= b`
    LessEqual,
    /// `a > b`
    Greater,
    /// `a >= b`
    GreaterEqual,
    /// `a == b`
    Equal,
    /// `a != b`
    NotEqual,
    /// `a != 0 && b != 0`
    And,
    /// `a != 0 || b != 0`
    Or,
    /// `(a != 0) != (b != 0)`
    Xor,
}

/// How the two inputs map onto the output's index space.
///
/// The output is contiguous row-major over `shape`; element `i` (a multi-index) of input `a` is
/// `a[a_offset + Σ_d i_d * a_strides[d]]` (stride 0 broadcasts, negative strides are allowed),
/// likewise for `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broadcast2<'a> {
    /// Output shape.
    pub shape: &'a [usize],
    /// Index of `a`'s element at the all-zero multi-index.
    pub a_offset: usize,
    /// `a`'s stride per axis, in elements (`shape.len()` entries).
    pub a_strides: &'a [isize],
    /// Index of `b`'s element at the all-zero multi-index.
    pub b_offset: usize,
    /// `b`'s stride per axis, in elements (`shape.len()` entries).
    pub b_strides: &'a [isize],
}

#[inline(always)]
fn truth(x: f32) -> bool {
    x != 0.0
}

#[inline(always)]
fn b2f(c: bool) -> f32 {
    if c {
        1.0
    } else {
        0.0
    }
}

/// `out[i] = op(a[..], b[..])` over `p.shape`.
///
/// Preconditions: both stride slices have `p.shape.len()` entries; `out.len()` is the product of
/// `p.shape`; every index that `p` describes lies inside `a` and `b`.
///
/// Axes contiguous for all three tensors are merged first, so a fully contiguous pair runs as one
/// zipped loop; rows where `b` (or `a`) has stride 0 — scalar and per-channel operands — run with
/// the broadcast value hoisted out of the loop.
pub fn binary(op: BinaryOp, p: &Broadcast2, a: &[f32], b: &[f32], out: &mut [f32]) {
    debug_assert_eq!(p.a_strides.len(), p.shape.len());
    debug_assert_eq!(p.b_strides.len(), p.shape.len());
    debug_assert_eq!(out.len(), p.shape.iter().product::<usize>());
    use BinaryOp::*;
    macro_rules! per_variant {
        ($($v:ident),* $(,)?) => {
            match op {
                $($v => run(p, a, b, out, |x, y| $v.eval(x, y)),)*
            }
        };
    }
    per_variant!(
        Add,
        Sub,
        Mul,
        Div,
        Max,
        Min,
        Pow,
        Rem,
        Less,
        LessEqual,
        Greater,
        GreaterEqual,
        Equal,
        NotEqual,
        And,
        Or,
        Xor
    )
}

impl BinaryOp {
    /// `op(x, y)` for one element pair: the single statement of each op's math, used by
    /// [`binary`] and by generated fused loops (on a constant op, so it inlines to the one
    /// function).
    #[inline(always)]
    pub fn eval(self, x: f32, y: f32) -> f32 {
        match self {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            BinaryOp::Div => x / y,
            BinaryOp::Max => math::fmaxf(x, y),
            BinaryOp::Min => math::fminf(x, y),
            BinaryOp::Pow => math::powf(x, y),
            BinaryOp::Rem => math::fmodf(x, y),
            BinaryOp::Less => b2f(x < y),
            BinaryOp::LessEqual => b2f(x <= y),
            BinaryOp::Greater => b2f(x > y),
            BinaryOp::GreaterEqual => b2f(x >= y),
            BinaryOp::Equal => b2f(x == y),
            BinaryOp::NotEqual => b2f(x != y),
            BinaryOp::And => b2f(truth(x) && truth(y)),
            BinaryOp::Or => b2f(truth(x) || truth(y)),
            BinaryOp::Xor => b2f(truth(x) != truth(y)),
        }
    }
}

#[inline(always)]
fn run<F: Fn(f32, f32) -> f32>(p: &Broadcast2, a: &[f32], b: &[f32], out: &mut [f32], f: F) {
    let rows =
        Rows::new(p.shape, [None, Some(p.a_strides), Some(p.b_strides)], [0, p.a_offset as isize, p.b_offset as isize]);
    let n = rows.n;
    let [_, sa, sb] = rows.inner;
    for [oo, ao, bo] in rows {
        let o = oo as usize;
        let row = &mut out[o..o + n];
        match (sa, sb) {
            (1, 1) => {
                let (ai, bi) = (ao as usize, bo as usize);
                for ((r, &x), &y) in row.iter_mut().zip(&a[ai..ai + n]).zip(&b[bi..bi + n]) {
                    *r = f(x, y);
                }
            }
            (1, 0) => {
                let ai = ao as usize;
                let y = b[bo as usize];
                for (r, &x) in row.iter_mut().zip(&a[ai..ai + n]) {
                    *r = f(x, y);
                }
            }
            (0, 1) => {
                let x = a[ao as usize];
                let bi = bo as usize;
                for (r, &y) in row.iter_mut().zip(&b[bi..bi + n]) {
                    *r = f(x, y);
                }
            }
            _ => {
                for (i, r) in row.iter_mut().enumerate() {
                    *r = f(a[at(ao, i, sa)], b[at(bo, i, sb)]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{indices, offset, rand_shape, rand_view, row_major, Rng};
    use std::vec::Vec;

    const OPS: [BinaryOp; 17] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::Pow,
        BinaryOp::Rem,
        BinaryOp::Less,
        BinaryOp::LessEqual,
        BinaryOp::Greater,
        BinaryOp::GreaterEqual,
        BinaryOp::Equal,
        BinaryOp::NotEqual,
        BinaryOp::And,
        BinaryOp::Or,
        BinaryOp::Xor,
    ];

    fn scalar(op: BinaryOp, x: f32, y: f32) -> f32 {
        use BinaryOp::*;
        let t = |v: f32| v != 0.0;
        match op {
            Add => x + y,
            Sub => x - y,
            Mul => x * y,
            Div => x / y,
            Max => x.max(y),
            Min => x.min(y),
            Pow => x.powf(y),
            Rem => x % y,
            Less => (x < y) as u8 as f32,
            LessEqual => (x <= y) as u8 as f32,
            Greater => (x > y) as u8 as f32,
            GreaterEqual => (x >= y) as u8 as f32,
            Equal => (x == y) as u8 as f32,
            NotEqual => (x != y) as u8 as f32,
            And => (t(x) && t(y)) as u8 as f32,
            Or => (t(x) || t(y)) as u8 as f32,
            Xor => (t(x) != t(y)) as u8 as f32,
        }
    }

    fn naive(op: BinaryOp, p: &Broadcast2, a: &[f32], b: &[f32]) -> Vec<f32> {
        indices(p.shape)
            .iter()
            .map(|i| scalar(op, a[offset(p.a_offset, i, p.a_strides)], b[offset(p.b_offset, i, p.b_strides)]))
            .collect()
    }

    fn check(op: BinaryOp, p: &Broadcast2, a: &[f32], b: &[f32]) {
        let want = naive(op, p, a, b);
        let mut got = std::vec![f32::NAN; want.len()];
        binary(op, p, a, b, &mut got);
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            let ok = (g.is_nan() && w.is_nan()) || g == w || (op == BinaryOp::Pow && (g - w).abs() <= 1e-6 * w.abs());
            assert!(ok, "{op:?} {:?} at {k}: got {g}, want {w}", p.shape);
        }
    }

    fn data(rng: &mut Rng, n: usize) -> Vec<f32> {
        // small integers and halves so comparisons and logic hit equal / zero cases
        (0..n).map(|_| (rng.below(9) as f32 - 4.0) * if rng.bool() { 0.5 } else { 1.0 }).collect()
    }

    #[test]
    fn contiguous_scalar_and_channel_broadcast() {
        let mut rng = Rng::new(1);
        let shape = [2usize, 3, 4, 5];
        let rm = row_major(&shape);
        let a = data(&mut rng, 120);
        let b = data(&mut rng, 120);
        let c = data(&mut rng, 3);
        for op in OPS {
            // both contiguous
            check(op, &Broadcast2 { shape: &shape, a_offset: 0, a_strides: &rm, b_offset: 0, b_strides: &rm }, &a, &b);
            // b scalar, a scalar
            let z = [0isize; 4];
            check(op, &Broadcast2 { shape: &shape, a_offset: 0, a_strides: &rm, b_offset: 7, b_strides: &z }, &a, &b);
            check(op, &Broadcast2 { shape: &shape, a_offset: 3, a_strides: &z, b_offset: 0, b_strides: &rm }, &a, &b);
            // per-channel [1,3,1,1]
            let cs = [0isize, 1, 0, 0];
            check(op, &Broadcast2 { shape: &shape, a_offset: 0, a_strides: &rm, b_offset: 0, b_strides: &cs }, &a, &c);
            check(op, &Broadcast2 { shape: &shape, a_offset: 0, a_strides: &cs, b_offset: 0, b_strides: &rm }, &c, &b);
        }
    }

    #[test]
    fn negative_strides_and_rank0() {
        let a: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let b: Vec<f32> = (0..12).map(|v| 100.0 * v as f32).collect();
        // a reversed along both axes of [3,4], b transposed from [4,3]
        let p = Broadcast2 { shape: &[3, 4], a_offset: 11, a_strides: &[-4, -1], b_offset: 0, b_strides: &[1, 3] };
        let mut out = [0.0; 12];
        binary(BinaryOp::Add, &p, &a, &b, &mut out);
        assert_eq!(out[0], 11.0);
        assert_eq!(out[1], 10.0 + 300.0);
        check(BinaryOp::Sub, &p, &a, &b);
        // rank 0
        let p0 = Broadcast2 { shape: &[], a_offset: 2, a_strides: &[], b_offset: 3, b_strides: &[] };
        let mut o = [0.0];
        binary(BinaryOp::Mul, &p0, &a, &b, &mut o);
        assert_eq!(o[0], 600.0);
        // empty
        let pe = Broadcast2 { shape: &[3, 0], a_offset: 0, a_strides: &[0, 1], b_offset: 0, b_strides: &[0, 1] };
        binary(BinaryOp::Add, &pe, &a, &b, &mut []);
    }

    #[test]
    fn semantics() {
        let p = Broadcast2 { shape: &[6], a_offset: 0, a_strides: &[1], b_offset: 0, b_strides: &[1] };
        let a = [5.5, -5.5, f32::NAN, 1.0, 0.0, -0.0];
        let b = [2.0, 2.0, 1.0, f32::NAN, 0.0, 3.0];
        let mut o = [0.0; 6];
        binary(BinaryOp::Rem, &p, &a, &b, &mut o);
        assert_eq!(o[..2], [1.5, -1.5]);
        binary(BinaryOp::Max, &p, &a, &b, &mut o);
        assert_eq!(o[2..4], [1.0, 1.0]);
        binary(BinaryOp::And, &p, &a, &b, &mut o);
        assert_eq!(o, [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        binary(BinaryOp::Equal, &p, &a, &b, &mut o);
        assert_eq!(o, [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn property_random_views() {
        let mut rng = Rng::new(2);
        for iter in 0..300 {
            let rank = rng.below(6);
            let shape = rand_shape(&mut rng, rank, 4);
            let (ao, asd, alen) = rand_view(&mut rng, &shape);
            let (bo, bsd, blen) = rand_view(&mut rng, &shape);
            let a = data(&mut rng, alen);
            let b = data(&mut rng, blen);
            let op = OPS[iter % OPS.len()];
            check(
                op,
                &Broadcast2 { shape: &shape, a_offset: ao, a_strides: &asd, b_offset: bo, b_strides: &bsd },
                &a,
                &b,
            );
        }
    }

    #[test]
    fn high_rank_falls_back() {
        // 10 non-mergeable axes (alternating broadcast) exceed MAX_RANK
        let mut rng = Rng::new(3);
        let shape = [2usize; 10];
        let rm = row_major(&shape);
        let bs: Vec<isize> = rm.iter().enumerate().map(|(d, &s)| if d % 2 == 0 { 0 } else { s }).collect();
        let a = data(&mut rng, 1024);
        let b = data(&mut rng, 1024);
        check(
            BinaryOp::Add,
            &Broadcast2 { shape: &shape, a_offset: 0, a_strides: &rm, b_offset: 0, b_strides: &bs },
            &a,
            &b,
        );
    }
}
