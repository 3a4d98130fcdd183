//! `logf` and `log1pf`, ported from FreeBSD msun via musl and the `libm` crate.
//
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
// Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and
// distribute this software is freely granted, provided that this notice is preserved.
// Conversion to float by Ian Lance Taylor, Cygnus Support. Rust port: the `libm` crate (MIT).

const LN2_HI: f32 = 6.9313812256e-01; // 0x3f317180
const LN2_LO: f32 = 9.0580006145e-06; // 0x3717f7d1
                                      // |(log(1+s)-log(1-s))/s - Lg(s)| < 2**-34.24 (~[-4.95e-11, 4.97e-11]).
const LG1: f32 = 0.66666662693; // 0xaaaaaa.0p-24
const LG2: f32 = 0.40000972152; // 0xccce13.0p-25
const LG3: f32 = 0.28498786688; // 0x91e9ee.0p-25
const LG4: f32 = 0.24279078841; // 0xf89e26.0p-26

/// Natural logarithm. `logf(0) = -inf`, `logf(x < 0) = NaN`.
pub fn logf(mut x: f32) -> f32 {
    let x1p25 = f32::from_bits(0x4c00_0000);
    let mut ix = x.to_bits();
    let mut k = 0i32;

    if ix < 0x0080_0000 || (ix >> 31) != 0 {
        // x < 2^-126
        if ix << 1 == 0 {
            return f32::NEG_INFINITY; // log(+-0)
        }
        if (ix >> 31) != 0 {
            return f32::NAN; // log(negative)
        }
        // subnormal: scale up
        k -= 25;
        x *= x1p25;
        ix = x.to_bits();
    } else if ix >= 0x7f80_0000 {
        return x; // inf or NaN
    } else if ix == 0x3f80_0000 {
        return 0.0;
    }

    // reduce x into [sqrt(2)/2, sqrt(2)]
    ix += 0x3f80_0000 - 0x3f35_04f3;
    k += ((ix >> 23) as i32) - 0x7f;
    ix = (ix & 0x007f_ffff) + 0x3f35_04f3;
    x = f32::from_bits(ix);

    let f = x - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * LG4);
    let t2 = z * (LG1 + w * LG3);
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let dk = k as f32;
    s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI
}

/// `ln(1 + x)`, accurate near zero. `log1pf(-1) = -inf`, `log1pf(x < -1) = NaN`.
pub fn log1pf(x: f32) -> f32 {
    let ix = x.to_bits();
    let mut f = 0.0f32;
    let mut c = 0.0f32;
    let mut k = 1i32;

    if ix < 0x3ed4_13d0 || (ix >> 31) != 0 {
        // 1+x < sqrt(2)+
        if ix >= 0xbf80_0000 {
            // x <= -1.0 (or negative NaN)
            if x == -1.0 {
                return f32::NEG_INFINITY;
            }
            return f32::NAN;
        }
        if ix << 1 < 0x3380_0000 << 1 {
            return x; // |x| < 2^-24
        }
        if ix <= 0xbe95_f619 {
            // sqrt(2)/2- <= 1+x < sqrt(2)+
            k = 0;
            c = 0.0;
            f = x;
        }
    } else if ix >= 0x7f80_0000 {
        return x;
    }
    if k > 0 {
        let ui = (1.0 + x).to_bits();
        let mut iu = ui;
        iu += 0x3f80_0000 - 0x3f35_04f3;
        k = (iu >> 23) as i32 - 0x7f;
        // correction term ~ log(1+x)-log(u), avoid underflow in c/u
        if k < 25 {
            let u = f32::from_bits(ui);
            c = if k >= 2 { 1.0 - (u - x) } else { x - (u - 1.0) };
            c /= u;
        } else {
            c = 0.0;
        }
        // reduce u into [sqrt(2)/2, sqrt(2)]
        iu = (iu & 0x007f_ffff) + 0x3f35_04f3;
        f = f32::from_bits(iu) - 1.0;
    }
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * LG4);
    let t2 = z * (LG1 + w * LG3);
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let dk = k as f32;
    s * (hfsq + r) + (dk * LN2_LO + c) - hfsq + f + dk * LN2_HI
}
