//! `Where`: elementwise choice between two inputs by a boolean condition.

use crate::nd::{at, Rows};

/// How the condition and the two inputs map onto the output's index space (all offsets are 0).
///
/// The output is contiguous row-major over `shape`; element `i` of `cond` is
/// `cond[Σ_d i_d * c_strides[d]]`, likewise for `a` and `b` (stride 0 broadcasts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broadcast3<'a> {
    /// Output shape.
    pub shape: &'a [usize],
    /// Condition strides (`shape.len()` entries).
    pub c_strides: &'a [isize],
    /// `a` strides (`shape.len()` entries).
    pub a_strides: &'a [isize],
    /// `b` strides (`shape.len()` entries).
    pub b_strides: &'a [isize],
}

/// `out[i] = if cond[..] != 0 { a[..] } else { b[..] }` (NaN counts as true).
///
/// Preconditions: the stride slices have `p.shape.len()` entries; `out.len()` is the product of
/// `p.shape`; every index `p` describes lies inside `cond`, `a` and `b`.
pub fn select(p: &Broadcast3, cond: &[f32], a: &[f32], b: &[f32], out: &mut [f32]) {
    debug_assert_eq!(p.c_strides.len(), p.shape.len());
    debug_assert_eq!(p.a_strides.len(), p.shape.len());
    debug_assert_eq!(p.b_strides.len(), p.shape.len());
    debug_assert_eq!(out.len(), p.shape.iter().product::<usize>());
    let rows = Rows::new(p.shape, [None, Some(p.c_strides), Some(p.a_strides), Some(p.b_strides)], [0; 4]);
    let n = rows.n;
    let [_, sc, sa, sb] = rows.inner;
    for [oo, co, ao, bo] in rows {
        let o = oo as usize;
        let row = &mut out[o..o + n];
        if (sc, sa, sb) == (1, 1, 1) {
            let (ci, ai, bi) = (co as usize, ao as usize, bo as usize);
            let it = row.iter_mut().zip(&cond[ci..ci + n]).zip(&a[ai..ai + n]).zip(&b[bi..bi + n]);
            for (((r, &c), &x), &y) in it {
                *r = if c != 0.0 { x } else { y };
            }
        } else {
            for (i, r) in row.iter_mut().enumerate() {
                *r = if cond[at(co, i, sc)] != 0.0 { a[at(ao, i, sa)] } else { b[at(bo, i, sb)] };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{indices, offset, rand_shape, row_major, Rng};
    use std::vec::Vec;

    fn naive(p: &Broadcast3, c: &[f32], a: &[f32], b: &[f32]) -> Vec<f32> {
        indices(p.shape)
            .iter()
            .map(|i| {
                if c[offset(0, i, p.c_strides)] != 0.0 {
                    a[offset(0, i, p.a_strides)]
                } else {
                    b[offset(0, i, p.b_strides)]
                }
            })
            .collect()
    }

    /// Broadcast strides: each axis either row-major over the kept axes or 0.
    fn bcast(rng: &mut Rng, shape: &[usize]) -> (Vec<isize>, usize) {
        let eff: Vec<usize> = shape.iter().map(|&s| if rng.below(3) == 0 { 1 } else { s }).collect();
        let rm = row_major(&eff);
        let st = rm.iter().zip(&eff).map(|(&s, &e)| if e == 1 { 0 } else { s }).collect();
        (st, eff.iter().product())
    }

    #[test]
    fn property_random_broadcasts() {
        let mut rng = Rng::new(5);
        for _ in 0..300 {
            let rank = rng.below(5);
            let shape = rand_shape(&mut rng, rank, 4);
            let (cs, cl) = bcast(&mut rng, &shape);
            let (as_, al) = bcast(&mut rng, &shape);
            let (bs, bl) = bcast(&mut rng, &shape);
            let c: Vec<f32> = (0..cl).map(|_| if rng.bool() { 1.0 } else { 0.0 }).collect();
            let a = rng.vec(al, -1.0, 1.0);
            let b = rng.vec(bl, 5.0, 6.0);
            let p = Broadcast3 { shape: &shape, c_strides: &cs, a_strides: &as_, b_strides: &bs };
            let mut out = std::vec![0.0; shape.iter().product()];
            select(&p, &c, &a, &b, &mut out);
            assert_eq!(out, naive(&p, &c, &a, &b));
        }
    }

    #[test]
    fn contiguous_and_nan_condition() {
        let c = [1.0, 0.0, f32::NAN, -0.0];
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [10.0, 20.0, 30.0, 40.0];
        let mut out = [0.0; 4];
        let p = Broadcast3 { shape: &[4], c_strides: &[1], a_strides: &[1], b_strides: &[1] };
        select(&p, &c, &a, &b, &mut out);
        assert_eq!(out, [1.0, 20.0, 3.0, 40.0]);
    }
}
