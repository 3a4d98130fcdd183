//! `expf`, `expm1f` and `scalbnf`, ported from FreeBSD msun via musl and the `libm` crate.
//
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
// Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and
// distribute this software is freely granted, provided that this notice is preserved.
// Conversion to float by Ian Lance Taylor, Cygnus Support. Rust port: the `libm` crate (MIT).

const LN2_HI_E: f32 = 6.9314575195e-01; // 0x3f317200
const LN2_LO_E: f32 = 1.4286067653e-06; // 0x35bfbe8e
const INV_LN2: f32 = 1.4426950216e+00; // 0x3fb8aa3b
const P1: f32 = 1.6666625440e-1; // 0xaaaa8f.0p-26
const P2: f32 = -2.7667332906e-3; // -0xb55215.0p-32

/// `x * 2^n`, computed exactly unless the result over- or underflows.
#[inline]
pub fn scalbnf(mut x: f32, mut n: i32) -> f32 {
    let x1p127 = f32::from_bits(0x7f00_0000);
    let x1p_126 = f32::from_bits(0x0080_0000);
    let x1p24 = f32::from_bits(0x4b80_0000);
    if n > 127 {
        x *= x1p127;
        n -= 127;
        if n > 127 {
            x *= x1p127;
            n -= 127;
            if n > 127 {
                n = 127;
            }
        }
    } else if n < -126 {
        x *= x1p_126 * x1p24;
        n += 126 - 24;
        if n < -126 {
            x *= x1p_126 * x1p24;
            n += 126 - 24;
            if n < -126 {
                n = -126;
            }
        }
    }
    // `n` is in -126..=127 here, so the biased exponent is in 1..=254.
    x * f32::from_bits(((0x7f + n) as u32) << 23)
}

/// `e^x`.
pub fn expf(mut x: f32) -> f32 {
    let x1p127 = f32::from_bits(0x7f00_0000);
    let mut hx = x.to_bits();
    let sign = (hx >> 31) as i32;
    let signb = sign != 0;
    hx &= 0x7fff_ffff;

    if hx >= 0x42ae_ac50 {
        // |x| >= 87.33655 or NaN
        if hx > 0x7f80_0000 {
            return x; // NaN
        }
        if hx >= 0x42b1_7218 && !signb {
            return x * x1p127; // x >= 88.722839: overflow
        }
        if signb && hx >= 0x42cf_f1b5 {
            return 0.0; // x <= -103.972084: underflow
        }
    }

    let k: i32;
    let hi: f32;
    let lo: f32;
    if hx > 0x3eb1_7218 {
        // |x| > 0.5 ln2
        if hx > 0x3f85_1592 {
            // |x| > 1.5 ln2
            let half = if signb { -0.5 } else { 0.5 };
            k = (INV_LN2 * x + half) as i32;
        } else {
            k = 1 - sign - sign;
        }
        let kf = k as f32;
        hi = x - kf * LN2_HI_E; // exact
        lo = kf * LN2_LO_E;
        x = hi - lo;
    } else if hx > 0x3900_0000 {
        // |x| > 2^-14
        k = 0;
        hi = x;
        lo = 0.0;
    } else {
        return 1.0 + x;
    }

    let xx = x * x;
    let c = x - xx * (P1 + xx * P2);
    let y = 1.0 + (x * c / (2.0 - c) - lo + hi);
    if k == 0 {
        y
    } else {
        scalbnf(y, k)
    }
}

const LN2_HI: f32 = 6.9313812256e-01; // 0x3f317180
const LN2_LO: f32 = 9.0580006145e-06; // 0x3717f7d1
const Q1: f32 = -3.3333212137e-2; // -0x888868.0p-28
const Q2: f32 = 1.5807170421e-3; // 0xcf3010.0p-33

/// `e^x - 1`, accurate near zero.
pub fn expm1f(mut x: f32) -> f32 {
    let x1p127 = f32::from_bits(0x7f00_0000);
    let mut hx = x.to_bits();
    let sign = (hx >> 31) != 0;
    hx &= 0x7fff_ffff;

    if hx >= 0x4195_b844 {
        // |x| >= 27 ln2
        if hx > 0x7f80_0000 {
            return x; // NaN
        }
        if sign {
            return -1.0;
        }
        if hx > 0x42b1_7217 {
            return x * x1p127; // overflow
        }
    }

    let k: i32;
    let mut c = 0.0f32;
    if hx > 0x3eb1_7218 {
        // |x| > 0.5 ln2
        let hi: f32;
        let lo: f32;
        if hx < 0x3f85_1592 {
            // and |x| < 1.5 ln2
            if sign {
                hi = x + LN2_HI;
                lo = -LN2_LO;
                k = -1;
            } else {
                hi = x - LN2_HI;
                lo = LN2_LO;
                k = 1;
            }
        } else {
            k = (INV_LN2 * x + if sign { -0.5 } else { 0.5 }) as i32;
            let t = k as f32;
            hi = x - t * LN2_HI; // exact
            lo = t * LN2_LO;
        }
        x = hi - lo;
        c = (hi - x) - lo;
    } else if hx < 0x3300_0000 {
        return x; // |x| < 2^-25
    } else {
        k = 0;
    }

    let hfx = 0.5 * x;
    let hxs = x * hfx;
    let r1 = 1.0 + hxs * (Q1 + hxs * Q2);
    let t = 3.0 - r1 * hfx;
    let mut e = hxs * ((r1 - t) / (6.0 - x * t));
    if k == 0 {
        return x - (x * e - hxs);
    }
    e = x * (e - c) - c;
    e -= hxs;
    if k == -1 {
        return 0.5 * (x - e) - 0.5;
    }
    if k == 1 {
        if x < -0.25 {
            return -2.0 * (e - (x + 0.5));
        }
        return 1.0 + 2.0 * (x - e);
    }
    let twopk = f32::from_bits(((0x7f + k) as u32) << 23); // 2^k, k in 2..=128 but 128 unused
    if !(0..=56).contains(&k) {
        let mut y = x - e + 1.0;
        if k == 128 {
            y = y * 2.0 * x1p127;
        } else {
            y *= twopk;
        }
        return y - 1.0;
    }
    let uf = f32::from_bits(((0x7f - k) as u32) << 23); // 2^-k
    if k < 23 {
        (x - e + (1.0 - uf)) * twopk
    } else {
        (x - (e + uf) + 1.0) * twopk
    }
}

/// `e^x` for `x <= 0` (and NaN), branch-free, for the activations ([`super::sigmoidf`],
/// [`super::tanhf`]), which only ever need `e^-|y|`, a value in `(0, 1]` that cannot overflow.
///
/// Cody–Waite reduction `x = k ln2 + r`, `|r| <= ln2 / 2`, with `k` rounded by the
/// `1.5 · 2^23` shifter (read back from the sum's bits, so no float-to-int conversion), then
/// `e^r = 1 + r + r² Q(r)` with a degree-4 `Q` fitted (weighted least squares on Chebyshev
/// nodes, relative error) for this interval, and `2^k` applied as two normal factors so that
/// subnormal results (down to `x = -104`, below which `e^x` rounds to 0) are right too.
/// Max error 1 ulp over all `x <= 0` (`math::tests::exhaustive`); it has none of [`expf`]'s
/// range branches and no division.
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = 1.442_695;
    const SHIFTER: f32 = 12_582_912.0; // 1.5 · 2^23: x·log2(e) + SHIFTER rounds to an integer
    const Q0: f32 = 0.499_999_88;
    const Q1: f32 = 0.166_665_18;
    const Q2: f32 = 0.041_669_533;
    const Q3: f32 = 0.008_368_916;
    const Q4: f32 = 0.001_375_140_7;
    // NaN stays NaN (the comparison is false) and propagates through `p`.
    let x = if x < -104.0 { -104.0 } else { x };
    let z = x * LOG2E + SHIFTER;
    let kf = z - SHIFTER;
    // k = kf as an integer, in -150..=0: the shifter keeps it in the low mantissa bits of z.
    let k = (z.to_bits() as i32).wrapping_sub(0x4b40_0000);
    let r = x - kf * LN2_HI_E - kf * LN2_LO_E; // kf · LN2_HI_E is exact (|k| < 2^8)
    let q = Q0 + r * (Q1 + r * (Q2 + r * (Q3 + r * Q4)));
    let p = 1.0 + (r + r * r * q);
    let k1 = k >> 1;
    let k2 = k.wrapping_sub(k1);
    let two_k1 = f32::from_bits((k1.wrapping_add(127) as u32).wrapping_shl(23));
    let two_k2 = f32::from_bits((k2.wrapping_add(127) as u32).wrapping_shl(23));
    p * two_k1 * two_k2
}
