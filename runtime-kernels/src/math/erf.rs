//! `erff` and `erfcf` (FreeBSD msun via musl and the `libm` crate), and `gelu_exact`.
//
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
// Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and
// distribute this software is freely granted, provided that this notice is preserved.
// Conversion to float by Ian Lance Taylor, Cygnus Support. Rust port: the `libm` crate (MIT).

use super::exp::exp_nonpositive;
use super::exp::expf;

const ERX: f32 = 8.4506291151e-01; // 0x3f58560b
                                   // Coefficients for approximation to erf on [0,0.84375]
const EFX8: f32 = 1.0270333290e+00; // 0x3f8375d4
const PP0: f32 = 1.2837916613e-01; // 0x3e0375d4
const PP1: f32 = -3.2504209876e-01; // 0xbea66beb
const PP2: f32 = -2.8481749818e-02; // 0xbce9528f
const PP3: f32 = -5.7702702470e-03; // 0xbbbd1489
const PP4: f32 = -2.3763017452e-05; // 0xb7c756b1
const QQ1: f32 = 3.9791721106e-01; // 0x3ecbbbce
const QQ2: f32 = 6.5022252500e-02; // 0x3d852a63
const QQ3: f32 = 5.0813062117e-03; // 0x3ba68116
const QQ4: f32 = 1.3249473704e-04; // 0x390aee49
const QQ5: f32 = -3.9602282413e-06; // 0xb684e21a
                                    // Coefficients for approximation to erf in [0.84375,1.25]
const PA0: f32 = -2.3621185683e-03; // 0xbb1acdc6
const PA1: f32 = 4.1485610604e-01; // 0x3ed46805
const PA2: f32 = -3.7220788002e-01; // 0xbebe9208
const PA3: f32 = 3.1834661961e-01; // 0x3ea2fe54
const PA4: f32 = -1.1089469492e-01; // 0xbde31cc2
const PA5: f32 = 3.5478305072e-02; // 0x3d1151b3
const PA6: f32 = -2.1663755178e-03; // 0xbb0df9c0
const QA1: f32 = 1.0642088205e-01; // 0x3dd9f331
const QA2: f32 = 5.4039794207e-01; // 0x3f0a5785
const QA3: f32 = 7.1828655899e-02; // 0x3d931ae7
const QA4: f32 = 1.2617121637e-01; // 0x3e013307
const QA5: f32 = 1.3637083583e-02; // 0x3c5f6e13
const QA6: f32 = 1.1984500103e-02; // 0x3c445aa3
                                   // Coefficients for approximation to erfc in [1.25,1/0.35]
const RA0: f32 = -9.8649440333e-03; // 0xbc21a093
const RA1: f32 = -6.9385856390e-01; // 0xbf31a0b7
const RA2: f32 = -1.0558626175e+01; // 0xc128f022
const RA3: f32 = -6.2375331879e+01; // 0xc2798057
const RA4: f32 = -1.6239666748e+02; // 0xc322658c
const RA5: f32 = -1.8460508728e+02; // 0xc3389ae7
const RA6: f32 = -8.1287437439e+01; // 0xc2a2932b
const RA7: f32 = -9.8143291473e+00; // 0xc11d077e
const SA1: f32 = 1.9651271820e+01; // 0x419d35ce
const SA2: f32 = 1.3765776062e+02; // 0x4309a863
const SA3: f32 = 4.3456588745e+02; // 0x43d9486f
const SA4: f32 = 6.4538726807e+02; // 0x442158c9
const SA5: f32 = 4.2900814819e+02; // 0x43d6810b
const SA6: f32 = 1.0863500214e+02; // 0x42d9451f
const SA7: f32 = 6.5702495575e+00; // 0x40d23f7c
const SA8: f32 = -6.0424413532e-02; // 0xbd777f97
                                    // Coefficients for approximation to erfc in [1/.35,28]
const RB0: f32 = -9.8649431020e-03; // 0xbc21a092
const RB1: f32 = -7.9928326607e-01; // 0xbf4c9dd4
const RB2: f32 = -1.7757955551e+01; // 0xc18e104b
const RB3: f32 = -1.6063638306e+02; // 0xc320a2ea
const RB4: f32 = -6.3756646729e+02; // 0xc41f6441
const RB5: f32 = -1.0250950928e+03; // 0xc480230b
const RB6: f32 = -4.8351919556e+02; // 0xc3f1c275
const SB1: f32 = 3.0338060379e+01; // 0x41f2b459
const SB2: f32 = 3.2579251099e+02; // 0x43a2e571
const SB3: f32 = 1.5367296143e+03; // 0x44c01759
const SB4: f32 = 3.1998581543e+03; // 0x4547fdbb
const SB5: f32 = 2.5530502930e+03; // 0x451f90ce
const SB6: f32 = 4.7452853394e+02; // 0x43ed43a7
const SB7: f32 = -2.2440952301e+01; // 0xc1b38712

/// erfc(|x|) for 0.84375 <= |x| < 1.25, as `1 - erx - p/q`.
fn erfc1(x: f32) -> f32 {
    let s = x.abs() - 1.0;
    let p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
    let q = 1.0 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
    1.0 - ERX - p / q
}

/// erfc(|x|) for 0.84375 <= |x| < 28; `ix` is the bit pattern of `|x|`.
fn erfc2(ix: u32, x: f32) -> f32 {
    if ix < 0x3fa0_0000 {
        return erfc1(x); // |x| < 1.25
    }
    erfc_tail(x.abs(), 0.0)
}

/// erfc(x + dx) for 1.25 <= x < 28 and |dx| <= ulp(x): the FreeBSD tail approximation with the
/// first-order shift `-2 x dx` folded into the exponent, so an argument known to more than `f32`
/// precision keeps its accuracy (erfc's relative condition number is about `2x^2`).
fn erfc_tail(x: f32, dx: f32) -> f32 {
    let s = 1.0 / (x * x);
    let (r, big_s);
    if x.to_bits() < 0x4036_db6d {
        // |x| < 1/0.35
        r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
        big_s = 1.0 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
    } else {
        r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
        big_s = 1.0 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
    }
    let z = f32::from_bits(x.to_bits() & 0xffff_e000);
    expf(-z * z - 0.5625) * expf((z - x) * (z + x) + (r / big_s - 2.0 * x * dx)) / x
}

/// Error function.
pub fn erff(x: f32) -> f32 {
    let bits = x.to_bits();
    let sign = (bits >> 31) != 0;
    let ix = bits & 0x7fff_ffff;
    if ix >= 0x7f80_0000 {
        // erf(nan) = nan, erf(+-inf) = +-1
        return if sign { -1.0 } else { 1.0 } + 1.0 / x;
    }
    if ix < 0x3f58_0000 {
        // |x| < 0.84375
        if ix < 0x3180_0000 {
            // |x| < 2^-28
            return 0.125 * (8.0 * x + EFX8 * x);
        }
        let z = x * x;
        let r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
        let s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
        return x + x * (r / s);
    }
    let y = if ix < 0x40c0_0000 {
        // |x| < 6
        1.0 - erfc2(ix, x)
    } else {
        1.0 - f32::from_bits(0x0380_0000) // 1 - 2^-120 rounds to 1
    };
    if sign {
        -y
    } else {
        y
    }
}

/// Complementary error function `1 - erf(x)`, accurate for large positive `x`.
pub fn erfcf(x: f32) -> f32 {
    let bits = x.to_bits();
    let sign = (bits >> 31) != 0;
    let ix = bits & 0x7fff_ffff;
    if ix >= 0x7f80_0000 {
        // erfc(nan) = nan, erfc(+inf) = 0, erfc(-inf) = 2
        return if sign { 2.0 } else { 0.0 } + 1.0 / x;
    }
    if ix < 0x3f58_0000 {
        // |x| < 0.84375
        if ix < 0x2380_0000 {
            return 1.0 - x; // |x| < 2^-56
        }
        let z = x * x;
        let r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
        let s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
        let y = r / s;
        if sign || ix < 0x3e80_0000 {
            return 1.0 - (x + x * y); // x < 1/4
        }
        return 0.5 - (x - 0.5 + x * y);
    }
    if ix < 0x41e0_0000 {
        // |x| < 28
        return if sign { 2.0 - erfc2(ix, x) } else { erfc2(ix, x) };
    }
    if sign {
        2.0
    } else {
        0.0 // 2^-240 underflows
    }
}

/// `1/sqrt(2)` as a sum of two `f32`s, and its 12-bit head for exact splitting.
const RSQRT2: f32 = core::f32::consts::FRAC_1_SQRT_2;
const RSQRT2_LO: f32 = 1.2101617e-8; // 1/sqrt(2) - RSQRT2
const RSQRT2_HEAD: f32 = f32::from_bits(0x3f35_0000);
const RSQRT2_TAIL: f32 = f32::from_bits(0x3f35_04f3) - RSQRT2_HEAD;

/// `x / sqrt(2)` as `t + dt` with `|dt| <= ulp(t)`: Dekker's exact product for the rounding error
/// of `x * RSQRT2`, plus the constant's own tail.
#[inline]
fn div_sqrt2(x: f32) -> (f32, f32) {
    let t = x * RSQRT2;
    // Veltkamp split of x into 12 + 12 bits (|x| <= 28 here, no overflow)
    let c = 4097.0 * x;
    let xh = c - (c - x);
    let xl = x - xh;
    let err = ((xh * RSQRT2_HEAD - t) + xh * RSQRT2_TAIL + xl * RSQRT2_HEAD) + xl * RSQRT2_TAIL;
    (t, err + x * RSQRT2_LO)
}

/// Exact GELU, `0.5 * x * (1 + erf(x / sqrt(2))) = x · Φ(x)`, in three ranges chosen for
/// instructions on the Cortex-M7 (a trained layer's inputs are mostly in the first):
///
/// - `|x| < 1`: `x · (0.5 + x · S(x²))`, `S` the Taylor series of `(Φ(x) − 1/2) / x`
///   (`Σ (−1)ⁿ x²ⁿ / (2ⁿ n! (2n + 1) √(2π))`, n ≤ 8; the first omitted term is below 2.3e-9 at
///   `|x| = 1`); no division, no branch inside, about 15 instructions.
/// - `x ≥ 1`: `x · (1 − erfc(z) / 2)`, `z = x / √2`, with `erfc(z) = t · e^(P(t) − z²)`,
///   `t = 1 / (1 + z/2)` (Numerical Recipes' `erfcc`, Chebyshev fit, fractional error below 1.2e-7
///   for all `z ≥ 0`) on the branch-free [`exp_nonpositive`]; here `erfc(z) ≤ 0.32`, so its
///   relative error reaches `Φ` at most halved.
/// - `x ≤ −1`: `0.5 · x · erfc(−x / √2)` by msun's `erfcf` (no cancellation in `1 + erf`), and in
///   the tail the argument `x / √2` carried to double-`f32` precision so the result keeps full
///   relative accuracy. `gelu_exact(x) = −0` for `x < −20` (including `−inf`), where the true
///   value underflows.
///
/// Max error (`math::tests`, 200 000 uniform samples per range): 3 ulp on `|x| < 1`, 2 on
/// `x ≥ 1`, 5 below −1 (at `x ≈ −13.1`, where the result nears the subnormals; 4 on `[−6, −1]`).
#[inline]
pub fn gelu_exact(x: f32) -> f32 {
    if x < 1.0 && x > -1.0 {
        gelu_series(x)
    } else if x >= 1.0 {
        // also reached by +inf (t = 0, so Φ = 1); NaN takes the last branch
        let z = x * RSQRT2;
        let t = 1.0 / (1.0 + 0.5 * z);
        let p = ERFCC[0]
            + t * (ERFCC[1]
                + t * (ERFCC[2]
                    + t * (ERFCC[3]
                        + t * (ERFCC[4]
                            + t * (ERFCC[5] + t * (ERFCC[6] + t * (ERFCC[7] + t * (ERFCC[8] + t * ERFCC[9]))))))));
        // P(t) − z² = ln(erfc(z) / t) ≤ 0 for z ≥ 0 (up to the fit's error, which
        // `exp_nonpositive` also takes: it is e^x for small positive x too)
        x * (1.0 - 0.5 * (t * exp_nonpositive(p - z * z)))
    } else if x < -20.0 {
        -0.0
    } else if x <= -1.25 * core::f32::consts::SQRT_2 {
        let (t, dt) = div_sqrt2(-x);
        0.5 * x * erfc_tail(t, dt)
    } else {
        // −1.77 < x ≤ −1, or NaN
        0.5 * x * erfcf(-x * RSQRT2)
    }
}

/// Numerical Recipes' `erfcc` exponent polynomial (Press et al., *Numerical Recipes*, §6.2):
/// `erfc(z) ≈ t · exp(−z² + Σ ERFCC[k] tᵏ)`, `t = 1 / (1 + z/2)`.
const ERFCC: [f32; 10] = [
    -1.265_512_2,
    1.000_023_7,
    0.374_091_96,
    0.096_784_18,
    -0.186_288_06,
    0.278_868_07,
    -1.135_203_98,
    1.488_515_87,
    -0.822_152_23,
    0.170_872_77,
];

/// GELU for `|x| < 1`: `x · (1/2 + x · S(x²))` with the series of [`gelu_exact`] (coefficients
/// `(−1)ⁿ / (2ⁿ n! (2n + 1) √(2π))`).
#[inline(always)]
fn gelu_series(x: f32) -> f32 {
    const S: [f32; 9] = [
        0.398_942_28,
        -0.066_490_38,
        0.009_973_557,
        -0.001_187_328_2,
        0.000_115_434_69,
        -9.444_656e-6,
        6.659_693_5e-7,
        -4.122_667_4e-8,
        2.273_529_8e-9,
    ];
    let s = x * x;
    let p = S[0] + s * (S[1] + s * (S[2] + s * (S[3] + s * (S[4] + s * (S[5] + s * (S[6] + s * (S[7] + s * S[8])))))));
    x * (0.5 + x * p)
}
