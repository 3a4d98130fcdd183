//! `tanhf` and `sigmoidf` (written here on a branch-free `e^x` for `x <= 0`), and `softplusf`
//! (on the ported `expf`/`log1pf`).

use super::exp::{exp_nonpositive, expf};
use super::log::log1pf;
use super::round::fabsf;

/// Hyperbolic tangent: `|x| < 0.55` by an odd polynomial `x + x³ P(x²)` (degree 4 in `x²`,
/// fitted for relative error on that interval), above by `(1 - e) / (1 + e)` with
/// `e = e^(-2|x|)` from [`exp_nonpositive`] (no cancellation there: `e <= 1/3`); the sign is
/// copied back. Max 3 ulp over all inputs (`math::tests::exhaustive`, at 0.8411), as the msun
/// `tanhf` it replaces (by `expm1f`), in about a third of its instructions on the Cortex-M7.
#[inline]
pub fn tanhf(x: f32) -> f32 {
    let a = fabsf(x);
    let t = if a < 0.55 {
        tanh_poly(a)
    } else {
        // also reached by NaN, which propagates
        let e = exp_nonpositive(-2.0 * a);
        (1.0 - e) / (1.0 + e)
    };
    f32::from_bits(t.to_bits() | (x.to_bits() & 0x8000_0000))
}

/// `tanh(a)` for `|a| < 0.55` ([`tanhf`]'s odd polynomial; odd in `a`, so either sign).
#[inline(always)]
fn tanh_poly(a: f32) -> f32 {
    const P0: f32 = -0.333_333_16;
    const P1: f32 = 0.133_325_65;
    const P2: f32 = -0.053_850_297;
    const P3: f32 = 0.021_064_136;
    const P4: f32 = -0.006_264_368;
    let s = a * a;
    a + a * s * (P0 + s * (P1 + s * (P2 + s * (P3 + s * P4))))
}

/// Logistic sigmoid `1 / (1 + e^-x)`. For `|x| < 1.1`, `1/2 + tanh(x/2) / 2` with [`tanhf`]'s
/// odd polynomial (its range `|x/2| < 0.55`; no `exp`, no division: about a third of the
/// instructions); above, with `e = e^-|x|` (never overflows), `q = 1 / (1 + e)` for `x >= 0`
/// and `e · q` below. Max 3 ulp over all inputs (`math::tests::exhaustive`).
#[inline]
pub fn sigmoidf(x: f32) -> f32 {
    if x < 1.1 && x > -1.1 {
        let h = 0.5 * x;
        return 0.5 + 0.5 * tanh_poly(h);
    }
    let e = exp_nonpositive(-fabsf(x));
    let q = 1.0 / (1.0 + e);
    if x >= 0.0 {
        q
    } else {
        // also reached by NaN, which propagates through e
        e * q
    }
}

/// `ln(1 + e^x)`, computed as `max(x, 0) + log1p(e^-|x|)` so it never overflows and keeps full
/// relative accuracy for very negative `x`. Returns `x` once `x > 20` (the correction is below
/// half an ulp of `x` there).
#[inline]
pub fn softplusf(x: f32) -> f32 {
    if x > 20.0 {
        x
    } else if x > 0.0 {
        x + log1pf(expf(-x))
    } else {
        // x <= 0 or NaN
        log1pf(expf(x))
    }
}
