//! Rounding, `fabsf` and `fmodf`: exact bit manipulations in the style of musl (MIT).

/// Absolute value (clears the sign bit; NaN stays NaN).
#[inline(always)]
pub fn fabsf(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

/// `f32::max` semantics (a NaN operand is ignored; NaN only if both are NaN) without the
/// `fmaxf` library call that `f32::max` becomes on FPv4/FPv5 targets lacking `VMAXNM`
/// (thumbv7em-none-eabihf): a compare and a select.
#[inline(always)]
pub fn fmaxf(a: f32, b: f32) -> f32 {
    if b > a || a.is_nan() {
        b
    } else {
        a
    }
}

/// `f32::min` semantics (a NaN operand is ignored), as a compare and a select; see [`fmaxf`].
#[inline(always)]
pub fn fminf(a: f32, b: f32) -> f32 {
    if b < a || a.is_nan() {
        b
    } else {
        a
    }
}

/// Rounds toward zero.
#[inline]
pub fn truncf(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 0x7f;
    if e >= 23 {
        return x; // integral, inf or NaN
    }
    if e < 0 {
        return f32::from_bits(bits & 0x8000_0000); // |x| < 1: +-0
    }
    let mask = 0x007f_ffff >> e;
    f32::from_bits(bits & !mask)
}

/// Rounds toward negative infinity.
#[inline]
pub fn floorf(x: f32) -> f32 {
    let mut bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 0x7f;
    if e >= 23 {
        return x;
    }
    if e < 0 {
        // |x| < 1
        return if bits >> 31 == 0 {
            f32::from_bits(0) // +0 for x in [+0, 1)
        } else if bits << 1 != 0 {
            -1.0
        } else {
            x // -0
        };
    }
    let mask = 0x007f_ffff >> e;
    if bits & mask == 0 {
        return x;
    }
    if bits >> 31 != 0 {
        bits += mask;
    }
    f32::from_bits(bits & !mask)
}

/// Rounds toward positive infinity.
#[inline]
pub fn ceilf(x: f32) -> f32 {
    let mut bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 0x7f;
    if e >= 23 {
        return x;
    }
    if e < 0 {
        // |x| < 1
        return if bits >> 31 != 0 {
            f32::from_bits(0x8000_0000) // -0 for x in (-1, -0]
        } else if bits != 0 {
            1.0
        } else {
            x // +0
        };
    }
    let mask = 0x007f_ffff >> e;
    if bits & mask == 0 {
        return x;
    }
    if bits >> 31 == 0 {
        bits += mask;
    }
    f32::from_bits(bits & !mask)
}

/// Rounds to the nearest integer, halfway cases away from zero (C `roundf`).
#[inline]
pub fn roundf(x: f32) -> f32 {
    let t = truncf(x);
    // exact: for |x| < 2^23 the fraction is representable; otherwise x == t
    let frac = x - t;
    if fabsf(frac) >= 0.5 {
        t + f32::from_bits((x.to_bits() & 0x8000_0000) | 0x3f80_0000)
    } else {
        t
    }
}

/// Rounds to the nearest integer, halfway cases to even (C `rintf` in the default rounding
/// mode, IEEE `roundTiesToEven`).
#[inline]
pub fn rintf(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = (bits >> 23) & 0xff;
    if e >= 0x7f + 23 {
        return x; // integral, inf or NaN
    }
    let toint = f32::from_bits(0x4b00_0000); // 2^23
    let neg = bits >> 31 != 0;
    let y = if neg { (x - toint) + toint } else { (x + toint) - toint };
    if y == 0.0 {
        f32::from_bits(bits & 0x8000_0000)
    } else {
        y
    }
}

/// Floating-point remainder `x - trunc(x / y) * y`, computed exactly; the result has the sign of
/// `x` (C `fmodf`). `fmodf(x, 0)`, `fmodf(inf, y)` and NaN inputs give NaN.
pub fn fmodf(x: f32, y: f32) -> f32 {
    let sx = x.to_bits() & 0x8000_0000;
    let ux = x.to_bits() & 0x7fff_ffff;
    let uy = y.to_bits() & 0x7fff_ffff;
    if ux >= 0x7f80_0000 || uy > 0x7f80_0000 || uy == 0 {
        return f32::NAN;
    }
    if ux < uy {
        return x; // includes y = inf
    }
    if ux == uy {
        return f32::from_bits(sx);
    }
    // |v| = m * 2^(e - 150) with m < 2^24
    let split = |u: u32| -> (u32, u32) {
        let e = u >> 23;
        if e == 0 {
            (u, 1)
        } else {
            ((u & 0x007f_ffff) | 0x0080_0000, e)
        }
    };
    let (mx, ex) = split(ux);
    let (my, ey) = split(uy);
    // r = (mx * 2^(ex - ey)) mod my, eight bits at a time (r < 2^24, so r << 8 fits in u32)
    let mut r = mx % my;
    let mut d = ex - ey;
    while d > 0 && r != 0 {
        let step = if d < 8 { d } else { 8 };
        r = (r << step) % my;
        d -= step;
    }
    if r == 0 {
        return f32::from_bits(sx);
    }
    // result = r * 2^(ey - 150), exact; normalise r to have bit 23 set, or stay subnormal
    let lz = r.leading_zeros() - 8;
    let shift = if lz < ey - 1 { lz } else { ey - 1 };
    let m = r << shift;
    let e = ey - shift;
    let bits = if m & 0x0080_0000 != 0 {
        (e << 23) | (m & 0x007f_ffff)
    } else {
        m // subnormal (e == 1)
    };
    f32::from_bits(sx | bits)
}
