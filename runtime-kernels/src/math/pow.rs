//! `powf`, ported from FreeBSD msun `e_powf.c` via musl and the `libm` crate.
//
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
// Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and
// distribute this software is freely granted, provided that this notice is preserved.
// Conversion to float by Ian Lance Taylor, Cygnus Support. Rust port: the `libm` crate (MIT).

use super::exp::scalbnf;
use super::sqrt::sqrtf;

const BP: [f32; 2] = [1.0, 1.5];
const DP_H: [f32; 2] = [0.0, 5.84960938e-01]; // 0x3f15c000
const DP_L: [f32; 2] = [0.0, 1.56322085e-06]; // 0x35d1cfdc
const TWO24: f32 = 16777216.0; // 0x4b800000
const HUGE: f32 = 1.0e30;
const TINY: f32 = 1.0e-30;
const L1: f32 = 6.0000002384e-01; // 0x3f19999a
const L2: f32 = 4.2857143283e-01; // 0x3edb6db7
const L3: f32 = 3.3333334327e-01; // 0x3eaaaaab
const L4: f32 = 2.7272811532e-01; // 0x3e8ba305
const L5: f32 = 2.3066075146e-01; // 0x3e6c3255
const L6: f32 = 2.0697501302e-01; // 0x3e53f142
const P1: f32 = 1.6666667163e-01; // 0x3e2aaaab
const P2: f32 = -2.7777778450e-03; // 0xbb360b61
const P3: f32 = 6.6137559770e-05; // 0x388ab355
const P4: f32 = -1.6533901999e-06; // 0xb5ddea0e
const P5: f32 = 4.1381369442e-08; // 0x3331bb4c
const LG2: f32 = 6.9314718246e-01; // 0x3f317218
const LG2_H: f32 = 6.93145752e-01; // 0x3f317200
const LG2_L: f32 = 1.42860654e-06; // 0x35bfbe8c
const OVT: f32 = 4.2995665694e-08; // -(128-log2(ovfl+.5ulp))
const CP: f32 = 9.6179670095e-01; // 0x3f76384f =2/(3ln2)
const CP_H: f32 = 9.6191406250e-01; // 0x3f764000 =12b cp
const CP_L: f32 = -1.1736857402e-04; // 0xb8f623c6 =tail of cp_h
const IVLN2: f32 = 1.4426950216e+00;
const IVLN2_H: f32 = 1.4426879883e+00;
const IVLN2_L: f32 = 7.0526075433e-06;

/// Keeps the 12 (or 9 for `mask = 0xffff_8000`) leading significand bits.
#[inline(always)]
fn trunc_bits(x: f32, mask: u32) -> f32 {
    f32::from_bits(x.to_bits() & mask)
}

/// `x^y` with C99 / IEEE 754 special cases (`pow(x, ±0) = 1`, `pow(1, y) = 1`, negative `x`
/// with non-integer `y` gives NaN, ...).
#[allow(clippy::many_single_char_names)]
pub fn powf(x: f32, y: f32) -> f32 {
    let hx = x.to_bits() as i32;
    let hy = y.to_bits() as i32;
    let mut ix = hx & 0x7fff_ffff;
    let iy = hy & 0x7fff_ffff;

    if iy == 0 {
        return 1.0; // x**0 = 1, even if x is NaN
    }
    if hx == 0x3f80_0000 {
        return 1.0; // 1**y = 1, even if y is NaN
    }
    if ix > 0x7f80_0000 || iy > 0x7f80_0000 {
        return x + y; // NaN
    }

    // yisint = 0: y not an integer, 1: odd integer, 2: even integer (only computed for x < 0)
    let mut yisint = 0;
    if hx < 0 {
        if iy >= 0x4b80_0000 {
            yisint = 2;
        } else if iy >= 0x3f80_0000 {
            let k = (iy >> 23) - 0x7f;
            let j = iy >> (23 - k);
            if (j << (23 - k)) == iy {
                yisint = 2 - (j & 1);
            }
        }
    }

    if iy == 0x7f80_0000 {
        // y is +-inf
        return if ix == 0x3f80_0000 {
            1.0 // (-1)**+-inf
        } else if ix > 0x3f80_0000 {
            if hy >= 0 {
                y
            } else {
                0.0
            }
        } else if hy >= 0 {
            0.0
        } else {
            -y
        };
    }
    if iy == 0x3f80_0000 {
        return if hy >= 0 { x } else { 1.0 / x }; // y is +-1
    }
    if hy == 0x4000_0000 {
        return x * x; // y is 2
    }
    if hy == 0x3f00_0000 && hx >= 0 {
        return sqrtf(x); // y is 0.5 and x >= +0
    }

    let mut ax = x.abs();
    if ix == 0x7f80_0000 || ix == 0 || ix == 0x3f80_0000 {
        // x is +-0, +-inf, +-1
        let mut z = ax;
        if hy < 0 {
            z = 1.0 / z;
        }
        if hx < 0 {
            if ((ix - 0x3f80_0000) | yisint) == 0 {
                z = f32::NAN; // (-1)**non-int
            } else if yisint == 1 {
                z = -z;
            }
        }
        return z;
    }

    let mut sn = 1.0f32;
    if hx < 0 {
        if yisint == 0 {
            return f32::NAN; // (x<0)**(non-int)
        }
        if yisint == 1 {
            sn = -1.0;
        }
    }

    let t1: f32;
    let t2: f32;
    if iy > 0x4d00_0000 {
        // |y| > 2**27: over/underflow if x is not close to one
        if ix < 0x3f7f_fff8 {
            return if hy < 0 { sn * HUGE * HUGE } else { sn * TINY * TINY };
        }
        if ix > 0x3f80_0007 {
            return if hy > 0 { sn * HUGE * HUGE } else { sn * TINY * TINY };
        }
        // |1-x| <= 2**-20: log(x) by x-x^2/2+x^3/3-x^4/4
        let t = ax - 1.0;
        let w = (t * t) * (0.5 - t * (0.333333333333 - t * 0.25));
        let u = IVLN2_H * t;
        let v = t * IVLN2_L - w * IVLN2;
        let tt = trunc_bits(u + v, 0xffff_f000);
        t1 = tt;
        t2 = v - (tt - u);
    } else {
        let mut n = 0i32;
        if ix < 0x0080_0000 {
            // subnormal x
            ax *= TWO24;
            n -= 24;
            ix = ax.to_bits() as i32;
        }
        n += (ix >> 23) - 0x7f;
        let j = ix & 0x007f_ffff;
        ix = j | 0x3f80_0000; // normalize
        let k: usize;
        if j <= 0x1cc471 {
            k = 0; // |x| < sqrt(3/2)
        } else if j < 0x5db3d7 {
            k = 1; // |x| < sqrt(3)
        } else {
            k = 0;
            n += 1;
            ix -= 0x0080_0000;
        }
        ax = f32::from_bits(ix as u32);

        // s = s_h+s_l = (x-1)/(x+1) or (x-1.5)/(x+1.5)
        let u = ax - BP[k];
        let v = 1.0 / (ax + BP[k]);
        let s = u * v;
        let s_h = trunc_bits(s, 0xffff_f000);
        // t_h = ax+bp[k] High
        let is = ((ix as u32 >> 1) & 0xffff_f000) | 0x2000_0000;
        let t_h = f32::from_bits(is + 0x0040_0000 + ((k as u32) << 21));
        let t_l = ax - (t_h - BP[k]);
        let s_l = v * ((u - s_h * t_h) - s_h * t_l);
        // log(ax)
        let mut s2 = s * s;
        let mut r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
        r += s_l * (s_h + s);
        s2 = s_h * s_h;
        let t_h = trunc_bits(3.0 + s2 + r, 0xffff_f000);
        let t_l = r - ((t_h - 3.0) - s2);
        // u+v = s*(1+...)
        let u = s_h * t_h;
        let v = s_l * t_h + t_l * s;
        // 2/(3log2)*(s+...)
        let p_h = trunc_bits(u + v, 0xffff_f000);
        let p_l = v - (p_h - u);
        let z_h = CP_H * p_h;
        let z_l = CP_L * p_h + p_l * CP + DP_L[k];
        // log2(ax) = (s+..)*2/(3*log2) = n + dp_h + z_h + z_l
        let t = n as f32;
        let tt = trunc_bits(((z_h + z_l) + DP_H[k]) + t, 0xffff_f000);
        t1 = tt;
        t2 = z_l - (((tt - t) - DP_H[k]) - z_h);
    }

    // split y into y1+y2 and compute (y1+y2)*(t1+t2)
    let y1 = trunc_bits(y, 0xffff_f000);
    let p_l = (y - y1) * t1 + y * t2;
    let mut p_h = y1 * t1;
    let z = p_l + p_h;
    let j = z.to_bits() as i32;
    if j > 0x4300_0000 {
        return sn * HUGE * HUGE; // z > 128: overflow
    } else if j == 0x4300_0000 {
        if p_l + OVT > z - p_h {
            return sn * HUGE * HUGE;
        }
    } else if (j & 0x7fff_ffff) > 0x4316_0000 {
        return sn * TINY * TINY; // z < -150: underflow
    } else if j as u32 == 0xc316_0000 && p_l <= z - p_h {
        return sn * TINY * TINY;
    }

    // 2**(p_h+p_l)
    let i = j & 0x7fff_ffff;
    let mut k = (i >> 23) - 0x7f;
    let mut n = 0i32;
    if i > 0x3f00_0000 {
        // |z| > 0.5: n = [z+0.5]
        n = j + (0x0080_0000 >> (k + 1));
        k = ((n & 0x7fff_ffff) >> 23) - 0x7f;
        let t = f32::from_bits(n as u32 & !(0x007f_ffff >> k));
        n = ((n & 0x007f_ffff) | 0x0080_0000) >> (23 - k);
        if j < 0 {
            n = -n;
        }
        p_h -= t;
    }
    let t = trunc_bits(p_l + p_h, 0xffff_8000);
    let u = t * LG2_H;
    let v = (p_l - (t - p_h)) * LG2 + t * LG2_L;
    let mut z = u + v;
    let w = v - (z - u);
    let t = z * z;
    let t1 = z - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let r = (z * t1) / (t1 - 2.0) - (w + z * w);
    z = 1.0 - (r - z);
    let mut jj = z.to_bits() as i32;
    jj = jj.wrapping_add(n << 23);
    if (jj >> 23) <= 0 {
        z = scalbnf(z, n); // subnormal output
    } else {
        z = f32::from_bits(jj as u32);
    }
    sn * z
}
