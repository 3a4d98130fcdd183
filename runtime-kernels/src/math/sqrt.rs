//! Correctly rounded `sqrtf` using only integer arithmetic, ported from the `libm` crate's generic
//! square root (MIT; itself a port of musl's `sqrt.c` by Szabolcs Nagy), specialised to `f32`.
//!
//! A table gives a 16-bit estimate of `1/sqrt(m)`, three Goldschmidt iterations in 32-bit fixed
//! point refine `s ~ sqrt(m)` and `r ~ 1/sqrt(m)`, and an exact integer check picks the correctly
//! rounded neighbour. (Cortex-M7's `VSQRT.F32` would need `asm!`, i.e. `unsafe`, which this
//! crate forbids.)

/// A U0.16 representation of `1/sqrt(x)`, indexed by one exponent bit and six significand bits.
#[rustfmt::skip]
static RSQRT_TAB: [u16; 128] = [
    0xb451, 0xb2f0, 0xb196, 0xb044, 0xaef9, 0xadb6, 0xac79, 0xab43,
    0xaa14, 0xa8eb, 0xa7c8, 0xa6aa, 0xa592, 0xa480, 0xa373, 0xa26b,
    0xa168, 0xa06a, 0x9f70, 0x9e7b, 0x9d8a, 0x9c9d, 0x9bb5, 0x9ad1,
    0x99f0, 0x9913, 0x983a, 0x9765, 0x9693, 0x95c4, 0x94f8, 0x9430,
    0x936b, 0x92a9, 0x91ea, 0x912e, 0x9075, 0x8fbe, 0x8f0a, 0x8e59,
    0x8daa, 0x8cfe, 0x8c54, 0x8bac, 0x8b07, 0x8a64, 0x89c4, 0x8925,
    0x8889, 0x87ee, 0x8756, 0x86c0, 0x862b, 0x8599, 0x8508, 0x8479,
    0x83ec, 0x8361, 0x82d8, 0x8250, 0x81c9, 0x8145, 0x80c2, 0x8040,
    0xff02, 0xfd0e, 0xfb25, 0xf947, 0xf773, 0xf5aa, 0xf3ea, 0xf234,
    0xf087, 0xeee3, 0xed47, 0xebb3, 0xea27, 0xe8a3, 0xe727, 0xe5b2,
    0xe443, 0xe2dc, 0xe17a, 0xe020, 0xdecb, 0xdd7d, 0xdc34, 0xdaf1,
    0xd9b3, 0xd87b, 0xd748, 0xd61a, 0xd4f1, 0xd3cd, 0xd2ad, 0xd192,
    0xd07b, 0xcf69, 0xce5b, 0xcd51, 0xcc4a, 0xcb48, 0xca4a, 0xc94f,
    0xc858, 0xc764, 0xc674, 0xc587, 0xc49d, 0xc3b7, 0xc2d4, 0xc1f4,
    0xc116, 0xc03c, 0xbf65, 0xbe90, 0xbdbe, 0xbcef, 0xbc23, 0xbb59,
    0xba91, 0xb9cc, 0xb90a, 0xb84a, 0xb78c, 0xb6d0, 0xb617, 0xb560,
];

/// High half of the 64-bit product.
#[inline(always)]
fn mulh(a: u32, b: u32) -> u32 {
    ((u64::from(a) * u64::from(b)) >> 32) as u32
}

/// Square root, correctly rounded (round to nearest even). `sqrtf(-0) = -0`, negative inputs
/// give NaN.
pub fn sqrtf(x: f32) -> f32 {
    let mut ix = x.to_bits();
    if ix.wrapping_sub(0x0080_0000) >= 0x7f80_0000 - 0x0080_0000 {
        // zero, subnormal, inf, NaN or negative
        if ix << 1 == 0 || ix == 0x7f80_0000 {
            return x; // +-0, +inf
        }
        if ix > 0x7f80_0000 {
            return f32::NAN; // NaN or negative
        }
        // subnormal: scale by 2^23 and fix up the exponent
        ix = (x * f32::from_bits(0x4b00_0000)).to_bits();
        ix = ix.wrapping_sub(23 << 23);
    }

    // x = 4^e * m with m in [1, 4) as U2.30 fixed point; ey is the result's exponent field.
    let even = ix & 0x0080_0000 != 0;
    let mut ey = ix >> 1;
    ey += 0x3f80_0000 >> 1;
    ey &= 0x7f80_0000;
    let m_u2 = if even { (ix << 7) & 0x7fff_ffff } else { (ix << 8) | 0x8000_0000 };

    let i = ((ix >> 17) & 0x7f) as usize;
    let mut r = u32::from(RSQRT_TAB[i]) << 16;
    let mut s = m_u2;
    let three: u32 = 0xc000_0000;
    let mut u = r;
    // Goldschmidt: s ~ sqrt(m), r ~ 1/sqrt(m)
    for it in 0..3 {
        s = mulh(s, u);
        if it == 1 {
            s <<= 1;
        }
        let d = mulh(s, r);
        u = three.wrapping_sub(d);
        r = mulh(r, u) << 1;
    }

    let mut m = s >> 6;
    // choose between m and m + 1ulp by comparing (m + 0.5)^2 with the exact square
    let d0 = (m_u2 << 16).wrapping_sub(m.wrapping_mul(m));
    let d1 = m.wrapping_sub(d0);
    m = m.wrapping_add(d1 >> 31);
    m &= 0x007f_ffff;
    m |= ey;
    f32::from_bits(m)
}
