//! `sinf` and `cosf` in pure single precision.
//!
//! musl's and FreeBSD's `sinf` evaluate in double precision, which the Cortex-M7's FPU cannot do
//! in hardware, so this follows a different, f32-only recipe:
//!
//! * `|x| <= pi/4`: minimax polynomials (Cephes `sinf`/`cosf` coefficients, Stephen L. Moshier,
//!   MIT-compatible "free to use" licence; the `cos` tail is summed as in FreeBSD `k_cosf`).
//! * `pi/4 < |x| < 2`: `r = (x - C1) - C2` with `C1 + C2 = pi/2` (the first step is exact).
//! * `|x| >= 2`: Payne-Hanek reduction in 32/64-bit integer arithmetic, ported from ARM's
//!   optimized-routines `sincosf` (`reduce_large`, MIT OR Apache-2.0 WITH LLVM-exception), which
//!   multiplies the 24-bit significand by a 96-bit window of `2/pi`; the fixed-point remainder is
//!   then converted to `f32` with 48 bits kept and multiplied by a two-part `pi/2`.

/// Bytes of the binary expansion of `2/pi` (0.A2F9836E...), enough for every `f32` exponent.
const TWO_OVER_PI: [u8; 24] = [
    0xa2, 0xf9, 0x83, 0x6e, 0x4e, 0x44, 0x15, 0x29, 0xfc, 0x27, 0x57, 0xd1, 0xf5, 0x34, 0xdd, 0xc0, 0xdb, 0x62, 0x95,
    0x99, 0x3c, 0x43, 0x90, 0x41,
];

/// `INV_PIO4[k]` holds bits `8(k-3) .. 8(k-3)+32` of `2/pi` (leading zeros for `k < 3`), the
/// table layout of optimized-routines' `__inv_pio4`.
const INV_PIO4: [u32; 24] = {
    let mut t = [0u32; 24];
    let mut k = 0;
    while k < 24 {
        let mut v = 0u32;
        let mut b = 0;
        while b < 4 {
            // byte index k - 3 + b, zero if negative
            let idx = k + b;
            let byte = if idx >= 3 { TWO_OVER_PI[idx - 3] } else { 0 };
            v = (v << 8) | byte as u32;
            b += 1;
        }
        t[k] = v;
        k += 1;
    }
    t
};

const S1: f32 = -1.6666654611e-1;
const S2: f32 = 8.3321608736e-3;
const S3: f32 = -1.9515295891e-4;
const C1: f32 = 4.166664568298827e-2;
const C2: f32 = -1.388731625493765e-3;
const C3: f32 = 2.443315711809948e-5;

/// `pi/2` split: `PIO2_HI` is the nearest `f32`, `PIO2_LO` the next 24 bits.
const PIO2_HI: f32 = f32::from_bits(0x3fc9_0fdb); // 1.57079637
const PIO2_LO: f32 = f32::from_bits(0xb33b_bd2e); // -4.37113883e-8

/// `sin(r)` for `|r| <= pi/4`.
#[inline(always)]
fn sin_poly(r: f32) -> f32 {
    let z = r * r;
    r + r * z * (S1 + z * (S2 + z * S3))
}

/// `cos(r)` for `|r| <= pi/4`.
#[inline(always)]
fn cos_poly(r: f32) -> f32 {
    let z = r * r;
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    let tail = z * z * (C1 + z * (C2 + z * C3));
    w + (((1.0 - w) - hz) + tail)
}

/// Reduces finite `|x| = ax` (bits `ix`, sign cleared) to `r` in `[-pi/4, pi/4]` and the quadrant
/// `q` (mod 4) with `ax = q * pi/2 + r`.
#[inline]
fn reduce(ax: f32, ix: u32) -> (f32, u32) {
    if ix <= 0x3f49_0fdb {
        // |x| <= pi/4
        return (ax, 0);
    }
    if ix < 0x4000_0000 {
        // pi/4 < |x| < 2: one quadrant; ax - PIO2_HI is exact (Sterbenz)
        return ((ax - PIO2_HI) - PIO2_LO, 1);
    }
    // Payne-Hanek: ax * 2/pi as a 2.62 fixed-point number modulo 4.
    let base = ((ix >> 26) & 15) as usize;
    let shift = (ix >> 23) & 7;
    let m = ((ix & 0x00ff_ffff) | 0x0080_0000) << shift;
    let res0 = u64::from(m.wrapping_mul(INV_PIO4[base]));
    let res1 = u64::from(m) * u64::from(INV_PIO4[base + 4]);
    let res2 = u64::from(m) * u64::from(INV_PIO4[base + 8]);
    let mut res = (res2 >> 32) | (res0 << 32);
    res = res.wrapping_add(res1);
    let n = res.wrapping_add(1 << 61) >> 62;
    res = res.wrapping_sub(n << 62);
    let frac = res as i64; // in [-2^61, 2^61), units of 2^-62 quarter turns
    let neg = frac < 0;
    let a = frac.unsigned_abs();
    if a == 0 {
        return (0.0, n as u32);
    }
    let lz = a.leading_zeros(); // >= 2
    let norm = a << lz;
    let hi = (norm >> 40) as u32; // 24 bits, exact in f32
    let lo = ((norm >> 16) & 0x00ff_ffff) as u32;
    // a * 2^-62 = hi * 2^(-22-lz) + lo * 2^(-46-lz); lz <= 63 keeps both scales normal
    let s_hi = f32::from_bits((127 - 22 - lz) << 23);
    let s_lo = f32::from_bits((127 - 46 - lz) << 23);
    let h = hi as f32 * s_hi;
    let l = lo as f32 * s_lo;
    let r = h * PIO2_HI + (h * PIO2_LO + l * PIO2_HI);
    (if neg { -r } else { r }, n as u32)
}

/// Sine (radians). Accurate for all finite inputs; `sinf(+-inf) = NaN`.
pub fn sinf(x: f32) -> f32 {
    let bits = x.to_bits();
    let ix = bits & 0x7fff_ffff;
    if ix >= 0x7f80_0000 {
        return f32::NAN; // sin/cos of inf or NaN
    }
    let (r, q) = reduce(f32::from_bits(ix), ix);
    let s = match q & 3 {
        0 => sin_poly(r),
        1 => cos_poly(r),
        2 => -sin_poly(r),
        _ => -cos_poly(r),
    };
    if bits >> 31 != 0 {
        -s
    } else {
        s
    }
}

/// Cosine (radians). Accurate for all finite inputs; `cosf(+-inf) = NaN`.
pub fn cosf(x: f32) -> f32 {
    let ix = x.to_bits() & 0x7fff_ffff;
    if ix >= 0x7f80_0000 {
        return f32::NAN; // sin/cos of inf or NaN
    }
    let (r, q) = reduce(f32::from_bits(ix), ix);
    match q & 3 {
        0 => cos_poly(r),
        1 => -sin_poly(r),
        2 => -cos_poly(r),
        _ => sin_poly(r),
    }
}
