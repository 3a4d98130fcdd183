//! The three Armv7E-M DSP instructions the int8 kernels use, as `#[inline(always)]` functions:
//! `SXTB16` (sign-extend bytes 0 and 2 of a word to two 16-bit lanes), `SXTB16` of the word
//! rotated right by 8 (bytes 1 and 3), and `SMLAD` (two 16×16 products added to an accumulator).
//!
//! Four int8 activations `x0..x3` in one word and four weights `w0..w3` in another give
//! `Σ xi·wi = SMLAD(SXTB16(x), SXTB16(w), SMLAD(SXTB16(x ror 8), SXTB16(w ror 8), acc))`: the
//! same split on both sides pairs the lanes, so weights need no reordering (CMSIS-NN reorders
//! its weights because it widens activations with `PKHBT` instead).
//!
//! On Arm these are `core::arch::asm!` (the only `unsafe` in the crate); elsewhere the same
//! arithmetic in plain Rust, so host tests run the DSP kernels' data flow too. They must only
//! be reached on cores with the DSP extension (Cortex-M4/M7/M33 with DSP); being
//! `#[inline(always)]` and used only by generic kernels, they are assembled only where a DSP
//! kernel is instantiated.
#![allow(unsafe_code)]

/// Bytes 0 and 2 of `x`, sign-extended to the low and high 16-bit lanes.
#[inline(always)]
pub fn sxtb16(x: u32) -> u32 {
    #[cfg(target_arch = "arm")]
    {
        let r: u32;
        // SAFETY: SXTB16 only reads and writes the named registers (no memory, no stack, no
        // flags); the kernels call it only on cores with the DSP extension (module docs).
        unsafe {
            core::arch::asm!("sxtb16 {0}, {1}", lateout(reg) r, in(reg) x,
                options(pure, nomem, nostack, preserves_flags));
        }
        r
    }
    #[cfg(not(target_arch = "arm"))]
    {
        (x as u8 as i8 as i16 as u16 as u32) | ((((x >> 16) as u8 as i8 as i16) as u16 as u32) << 16)
    }
}

/// Bytes 1 and 3 of `x`, sign-extended to the low and high 16-bit lanes (`SXTB16` with `ROR #8`).
#[inline(always)]
pub fn sxtb16_ror8(x: u32) -> u32 {
    #[cfg(target_arch = "arm")]
    {
        let r: u32;
        // SAFETY: as in `sxtb16`.
        unsafe {
            core::arch::asm!("sxtb16 {0}, {1}, ror #8", lateout(reg) r, in(reg) x,
                options(pure, nomem, nostack, preserves_flags));
        }
        r
    }
    #[cfg(not(target_arch = "arm"))]
    {
        sxtb16(x.rotate_right(8))
    }
}

/// `acc + lo(a)·lo(b) + hi(a)·hi(b)` with signed 16-bit lanes, wrapping at 32 bits (`SMLAD`
/// sets the sticky Q flag on overflow, which nothing reads).
#[inline(always)]
pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
    #[cfg(target_arch = "arm")]
    {
        let r: i32;
        // SAFETY: SMLAD only reads and writes the named registers and the Q flag (no memory, no
        // stack); the kernels call it only on cores with the DSP extension (module docs).
        unsafe {
            core::arch::asm!("smlad {0}, {1}, {2}, {3}", lateout(reg) r, in(reg) a, in(reg) b, in(reg) acc,
                options(pure, nomem, nostack));
        }
        r
    }
    #[cfg(not(target_arch = "arm"))]
    {
        let lo = (a as u16 as i16 as i32) * (b as u16 as i16 as i32);
        let hi = ((a >> 16) as u16 as i16 as i32) * ((b >> 16) as u16 as i16 as i32);
        acc.wrapping_add(lo).wrapping_add(hi)
    }
}

/// `acc + Σ xi·wi` over four int8 pairs given as words, by two `SMLAD`s.
#[inline(always)]
pub fn dot4(x: u32, w: u32, acc: i32) -> i32 {
    smlad(sxtb16_ror8(x), sxtb16_ror8(w), smlad(sxtb16(x), sxtb16(w), acc))
}
