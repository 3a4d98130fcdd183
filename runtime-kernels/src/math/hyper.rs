//! `tanhf` (FreeBSD msun via musl / the `libm` crate) and the activation helpers built on
//! `expf`/`log1pf`: `sigmoidf`, `softplusf`.

use super::exp::{expf, expm1f};
use super::log::log1pf;

/// Hyperbolic tangent.
pub fn tanhf(x: f32) -> f32 {
    let bits = x.to_bits();
    let sign = (bits >> 31) != 0;
    let w = bits & 0x7fff_ffff;
    let ax = f32::from_bits(w);

    let t = if w > 0x3f0c_9f54 {
        // |x| > log(3)/2 ~= 0.5493 or NaN
        if w > 0x4120_0000 {
            // |x| > 10 (NaN propagates through 0/NaN)
            1.0 + 0.0 / ax
        } else {
            let t = expm1f(2.0 * ax);
            1.0 - 2.0 / (t + 2.0)
        }
    } else if w > 0x3e82_c578 {
        // |x| > log(5/3)/2 ~= 0.2554
        let t = expm1f(2.0 * ax);
        t / (t + 2.0)
    } else if w >= 0x0080_0000 {
        // |x| >= 2^-126
        let t = expm1f(-2.0 * ax);
        -t / (t + 2.0)
    } else {
        ax // subnormal
    };
    if sign {
        -t
    } else {
        t
    }
}

/// Logistic sigmoid `1 / (1 + e^-x)`, computed without overflow for large `|x|`
/// (`e^-|x|` is formed, never `e^|x|`).
#[inline]
pub fn sigmoidf(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + expf(-x))
    } else {
        // also reached by NaN, which propagates through expf
        let e = expf(x);
        e / (1.0 + e)
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
