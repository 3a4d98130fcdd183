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

/// An `asm!` template line telling LLVM how many bytes a block with `.rept` really emits (operand
/// `sz`): LLVM sizes inline assembly by its lines (4 bytes each), so an unrolled `.rept` looks
/// small and it may place a constant pool out of reach of the loads that use it ("out of range
/// pc-relative fixup value", seen with the ECG CNN at int8 and opt-level "s"). LLVM counts a
/// `.space N` line as N bytes; inside `.if 0` the assembler emits nothing.
#[cfg(target_arch = "arm")]
macro_rules! size_hint {
    () => {
        ".if 0\n.space {sz}\n.endif"
    };
}

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

/// `clamp(v[i], min, max)` for 4 values as 4 bytes (`−128 ≤ min ≤ max ≤ 127`): on Arm `SSAT`
/// to 8 bits, packing with `BFI`, and a byte-parallel clamp (`SSUB8` sets a GE flag per byte,
/// `SEL` picks by it) — 13 instructions instead of 4 compare-and-select pairs plus packing.
#[inline(always)]
pub fn clamp4(v: [i32; 4], min: i32, max: i32) -> [i8; 4] {
    #[cfg(target_arch = "arm")]
    {
        let lo = u32::from_ne_bytes([min as u8; 4]);
        let hi = u32::from_ne_bytes([max as u8; 4]);
        let r: u32;
        // SAFETY: register-only arithmetic (SSAT, BFI, SSUB8, SEL); SSAT may set the Q flag and
        // SSUB8 sets the GE flags, both declared clobbered by omitting `preserves_flags`.
        unsafe {
            core::arch::asm!(
                "ssat {r}, #8, {v0}",
                "ssat {t}, #8, {v1}",
                "bfi {r}, {t}, #8, #8",
                "ssat {t}, #8, {v2}",
                "bfi {r}, {t}, #16, #8",
                "ssat {t}, #8, {v3}",
                "bfi {r}, {t}, #24, #8",
                "ssub8 {t}, {r}, {lo}",
                "sel {r}, {r}, {lo}",
                "ssub8 {t}, {hi}, {r}",
                "sel {r}, {r}, {hi}",
                r = out(reg) r,
                t = out(reg) _,
                v0 = in(reg) v[0],
                v1 = in(reg) v[1],
                v2 = in(reg) v[2],
                v3 = in(reg) v[3],
                lo = in(reg) lo,
                hi = in(reg) hi,
                options(pure, nomem, nostack),
            );
        }
        let [b0, b1, b2, b3] = r.to_le_bytes();
        [b0 as i8, b1 as i8, b2 as i8, b3 as i8]
    }
    #[cfg(not(target_arch = "arm"))]
    {
        let c = |x: i32| x.max(min).min(max) as i8;
        [c(v[0]), c(v[1]), c(v[2]), c(v[3])]
    }
}

/// `acc + Σ xi·wi` over four int8 pairs given as words, by two `SMLAD`s.
#[inline(always)]
pub fn dot4(x: u32, w: u32, acc: i32) -> i32 {
    smlad(sxtb16_ror8(x), sxtb16_ror8(w), smlad(sxtb16(x), sxtb16(w), acc))
}

/// Four activations as the two lane pairs `SMLAD` takes: (`x0`, `x2`) and (`x1`, `x3`).
#[inline(always)]
pub fn widen(x: &[i8; 4]) -> [u32; 2] {
    let v = super::word(x);
    [sxtb16(v), sxtb16_ror8(v)]
}

/// `acc[r] + Σ_{g<KQ} Σ_i x[g][i] · w[r][g][i]` for the 4 rows `r` of `w`, with the activations
/// already widened ([`widen`]): the dense kernel's inner loop, 23 instructions per 16 MACs on Arm
/// (per group one `LDRD` of the activation pairs, and per row one load, two `SXTB16`, two
/// `SMLAD`).
#[inline(always)]
pub fn rows4<const KQ: usize>(x: &[[u32; 2]; KQ], w: &[[[i8; 4]; KQ]; 4], acc: [i32; 4]) -> [i32; 4] {
    #[cfg(target_arch = "arm")]
    if KQ > 0 && 12 * KQ <= 4095 {
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        // SAFETY: reads the KQ pairs of `x` (8 bytes each, word-aligned: `[u32; 2]`) and, per row
        // r, the KQ words of row r of `w` (at byte 4·KQ·r, within its 16·KQ bytes); unaligned
        // word loads from `w` are allowed on Armv7E-M. Only registers and flags are written.
        unsafe {
            core::arch::asm!(
                "2:",
                "ldrd {xa}, {xb}, [{xp}], #8",
                "ldr {w}, [{wp}, #{s1}]",
                "sxtb16 {t}, {w}",
                "smlad {a1}, {t}, {xa}, {a1}",
                "sxtb16 {w}, {w}, ror #8",
                "smlad {a1}, {w}, {xb}, {a1}",
                "ldr {w}, [{wp}, #{s2}]",
                "sxtb16 {t}, {w}",
                "smlad {a2}, {t}, {xa}, {a2}",
                "sxtb16 {w}, {w}, ror #8",
                "smlad {a2}, {w}, {xb}, {a2}",
                "ldr {w}, [{wp}, #{s3}]",
                "sxtb16 {t}, {w}",
                "smlad {a3}, {t}, {xa}, {a3}",
                "sxtb16 {w}, {w}, ror #8",
                "smlad {a3}, {w}, {xb}, {a3}",
                "ldr {w}, [{wp}], #4",
                "sxtb16 {t}, {w}",
                "smlad {a0}, {t}, {xa}, {a0}",
                "sxtb16 {w}, {w}, ror #8",
                "smlad {a0}, {w}, {xb}, {a0}",
                "subs {n}, {n}, #1",
                "bne 2b",
                xp = inout(reg) x.as_ptr() => _,
                wp = inout(reg) w.as_ptr() => _,
                n = inout(reg) KQ => _,
                a0 = inout(reg) a0,
                a1 = inout(reg) a1,
                a2 = inout(reg) a2,
                a3 = inout(reg) a3,
                xa = out(reg) _,
                xb = out(reg) _,
                w = out(reg) _,
                t = out(reg) _,
                s1 = const 4 * KQ,
                s2 = const 8 * KQ,
                s3 = const 12 * KQ,
                options(readonly, nostack),
            );
        }
        return [a0, a1, a2, a3];
    }
    let mut acc = acc;
    for (a, wr) in acc.iter_mut().zip(w) {
        for ([xa, xb], wg) in x.iter().zip(wr) {
            let v = super::word(wg);
            *a = smlad(sxtb16_ror8(v), *xb, smlad(sxtb16(v), *xa, *a));
        }
    }
    acc
}

/// `acc[j] + Σ_{c<C} Σ_{k<4·KQ} f[c][k] · x[c][start + j + k]` for positions `j < 4` (stride and
/// dilation 1): the convolutions' inner loops, 19 instructions per 16 MACs on Arm. Each group of
/// 4 taps loads the activation words at `4g + 2` and `4g + 4` (the word at `4g` is the previous
/// group's last), widens them into the lane pairs `E_q = (x[4g + q], x[4g + q + 2])`, and adds
/// `SMLAD(wa, E_j) + SMLAD(wb, E_{j+1})` to position `j` (`wa`, `wb`: the weight word's even and
/// odd lanes). Short filters (`KQ ≤ 4`) are unrolled, and a single row (`C = 1`, depthwise)
/// needs no row loop.
///
/// Reads `x[c][start .. start + 4·KQ + 4]` of each row; where that is not inside `x` (or `x` has
/// fewer than `C` rows) the same sum is computed by the portable loop over what exists.
#[inline(always)]
pub fn taps4<const KQ: usize, const C: usize, const L: usize>(
    x: &[[i8; L]],
    start: usize,
    f: &[[[i8; 4]; KQ]; C],
    acc: [i32; 4],
) -> [i32; 4] {
    #[cfg(target_arch = "arm")]
    if x.len() >= C && start + 4 * KQ + 4 <= L && KQ > 0 && KQ <= 65535 && C > 0 && L.saturating_sub(4 * KQ) <= 4095 {
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        let xp = x.as_ptr().cast::<i8>().wrapping_add(start);
        // SAFETY (all four variants below): for each of the C rows (x has at least C rows of L bytes) the
        // code reads the words at byte offsets start + 4g, start + 4g + 2 and start + 4g + 4
        // for g < KQ, all below start + 4·KQ + 4 ≤ L, then moves to the next row (+L in total);
        // from `f` it reads C·KQ consecutive words, exactly its size. Unaligned word loads are
        // allowed on Armv7E-M. Only registers and flags are written.
        // one group of 4 taps × 4 positions: 17 instructions, 19 with the loop
        if C == 1 && KQ <= 4 {
            // SAFETY: see above (unrolled, one row).
            unsafe {
                core::arch::asm!(
                    "ldr {x}, [{xp}]",
                    "sxtb16 {e}, {x}",
                    size_hint!(),
                    ".rept {kq}",
                    "ldr {w}, [{wp}], #4",
                    "sxtb16 {wa}, {w}",
                    "sxtb16 {w}, {w}, ror #8",
                    "smlad {a0}, {wa}, {e}, {a0}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a0}, {w}, {e}, {a0}",
                    "smlad {a1}, {wa}, {e}, {a1}",
                    "ldr {x}, [{xp}, #2]",
                    "sxtb16 {e}, {x}",
                    "smlad {a1}, {w}, {e}, {a1}",
                    "smlad {a2}, {wa}, {e}, {a2}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a2}, {w}, {e}, {a2}",
                    "smlad {a3}, {wa}, {e}, {a3}",
                    "ldr {x}, [{xp}, #4]!",
                    "sxtb16 {e}, {x}",
                    "smlad {a3}, {w}, {e}, {a3}",
                    ".endr",
                    xp = inout(reg) xp => _,
                    wp = inout(reg) f.as_ptr() => _,
                    a0 = inout(reg) a0,
                    a1 = inout(reg) a1,
                    a2 = inout(reg) a2,
                    a3 = inout(reg) a3,
                    x = out(reg) _,
                    e = out(reg) _,
                    w = out(reg) _,
                    wa = out(reg) _,
                    kq = const KQ,
                    sz = const 4 * (2 + 17 * KQ),
                    options(readonly, nostack),
                );
            }
        } else if C == 1 {
            // SAFETY: see above (one row).
            unsafe {
                core::arch::asm!(
                    "ldr {x}, [{xp}]",
                    "sxtb16 {e}, {x}",
                    "movw {n}, #{kq}",
                    "2:",
                    "ldr {w}, [{wp}], #4",
                    "sxtb16 {wa}, {w}",
                    "sxtb16 {w}, {w}, ror #8",
                    "smlad {a0}, {wa}, {e}, {a0}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a0}, {w}, {e}, {a0}",
                    "smlad {a1}, {wa}, {e}, {a1}",
                    "ldr {x}, [{xp}, #2]",
                    "sxtb16 {e}, {x}",
                    "smlad {a1}, {w}, {e}, {a1}",
                    "smlad {a2}, {wa}, {e}, {a2}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a2}, {w}, {e}, {a2}",
                    "smlad {a3}, {wa}, {e}, {a3}",
                    "ldr {x}, [{xp}, #4]!",
                    "sxtb16 {e}, {x}",
                    "smlad {a3}, {w}, {e}, {a3}",
                    "subs {n}, {n}, #1",
                    "bne 2b",
                    xp = inout(reg) xp => _,
                    wp = inout(reg) f.as_ptr() => _,
                    a0 = inout(reg) a0,
                    a1 = inout(reg) a1,
                    a2 = inout(reg) a2,
                    a3 = inout(reg) a3,
                    x = out(reg) _,
                    e = out(reg) _,
                    w = out(reg) _,
                    wa = out(reg) _,
                    kq = const KQ,
                    n = out(reg) _,
                    options(readonly, nostack),
                );
            }
        } else if KQ <= 4 {
            // SAFETY: see above (unrolled taps, a loop over rows).
            unsafe {
                core::arch::asm!(
                    "3:",
                    "ldr {x}, [{xp}]",
                    "sxtb16 {e}, {x}",
                    size_hint!(),
                    ".rept {kq}",
                    "ldr {w}, [{wp}], #4",
                    "sxtb16 {wa}, {w}",
                    "sxtb16 {w}, {w}, ror #8",
                    "smlad {a0}, {wa}, {e}, {a0}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a0}, {w}, {e}, {a0}",
                    "smlad {a1}, {wa}, {e}, {a1}",
                    "ldr {x}, [{xp}, #2]",
                    "sxtb16 {e}, {x}",
                    "smlad {a1}, {w}, {e}, {a1}",
                    "smlad {a2}, {wa}, {e}, {a2}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a2}, {w}, {e}, {a2}",
                    "smlad {a3}, {wa}, {e}, {a3}",
                    "ldr {x}, [{xp}, #4]!",
                    "sxtb16 {e}, {x}",
                    "smlad {a3}, {w}, {e}, {a3}",
                    ".endr",
                    "addw {xp}, {xp}, #{adv}",
                    "subs {c}, {c}, #1",
                    "bne.w 3b",
                    xp = inout(reg) xp => _,
                    wp = inout(reg) f.as_ptr() => _,
                    a0 = inout(reg) a0,
                    a1 = inout(reg) a1,
                    a2 = inout(reg) a2,
                    a3 = inout(reg) a3,
                    x = out(reg) _,
                    e = out(reg) _,
                    w = out(reg) _,
                    wa = out(reg) _,
                    kq = const KQ,
                    adv = const L.saturating_sub(4 * KQ),
                    c = inout(reg) C => _,
                    sz = const 4 * (5 + 17 * KQ),
                    options(readonly, nostack),
                );
            }
        } else {
            // SAFETY: see above (loops over taps and rows).
            unsafe {
                core::arch::asm!(
                    "3:",
                    "ldr {x}, [{xp}]",
                    "sxtb16 {e}, {x}",
                    "movw {n}, #{kq}",
                    "2:",
                    "ldr {w}, [{wp}], #4",
                    "sxtb16 {wa}, {w}",
                    "sxtb16 {w}, {w}, ror #8",
                    "smlad {a0}, {wa}, {e}, {a0}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a0}, {w}, {e}, {a0}",
                    "smlad {a1}, {wa}, {e}, {a1}",
                    "ldr {x}, [{xp}, #2]",
                    "sxtb16 {e}, {x}",
                    "smlad {a1}, {w}, {e}, {a1}",
                    "smlad {a2}, {wa}, {e}, {a2}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a2}, {w}, {e}, {a2}",
                    "smlad {a3}, {wa}, {e}, {a3}",
                    "ldr {x}, [{xp}, #4]!",
                    "sxtb16 {e}, {x}",
                    "smlad {a3}, {w}, {e}, {a3}",
                    "subs {n}, {n}, #1",
                    "bne 2b",
                    "addw {xp}, {xp}, #{adv}",
                    "subs {c}, {c}, #1",
                    "bne.w 3b",
                    xp = inout(reg) xp => _,
                    wp = inout(reg) f.as_ptr() => _,
                    a0 = inout(reg) a0,
                    a1 = inout(reg) a1,
                    a2 = inout(reg) a2,
                    a3 = inout(reg) a3,
                    x = out(reg) _,
                    e = out(reg) _,
                    w = out(reg) _,
                    wa = out(reg) _,
                    kq = const KQ,
                    adv = const L.saturating_sub(4 * KQ),
                    c = inout(reg) C => _,
                    n = out(reg) _,
                    options(readonly, nostack),
                );
            }
        }
        return [a0, a1, a2, a3];
    }
    let mut acc = acc;
    for (xr, fr) in x.iter().zip(f) {
        for (k, &wv) in fr.as_flattened().iter().enumerate() {
            for (j, a) in acc.iter_mut().enumerate() {
                if let Some(&xv) = xr.get(start + j + k) {
                    *a = a.wrapping_add(i32::from(wv) * i32::from(xv));
                }
            }
        }
    }
    acc
}

/// `pad · Σ` of all weights in `f` (the contribution of taps that read only padding).
#[inline(always)]
pub fn pad_sum(f: &[[i8; 4]], pad: i8) -> i32 {
    let pp = (pad as i16 as u16 as u32) * 0x0001_0001; // (pad, pad) as 16-bit lanes
    let mut acc = 0i32;
    for g in f {
        let v = super::word(g);
        acc = smlad(sxtb16_ror8(v), pp, smlad(sxtb16(v), pp, acc));
    }
    acc
}

/// [`taps4`] for one row and a run-time number of groups, `n = f.len()`: `acc[j] + Σ_{k<4n}
/// f[k] · x[j + k]`. Reads `x[.. 4n + 4]`; a shorter `x` takes the portable loop.
#[inline(always)]
pub fn taps4_n(x: &[i8], f: &[[i8; 4]], acc: [i32; 4]) -> [i32; 4] {
    #[cfg(target_arch = "arm")]
    if !f.is_empty() && x.len() >= 4 * f.len() + 4 {
        let n = f.len();
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        // SAFETY: reads the words at byte offsets 4g, 4g + 2 and 4g + 4 of `x` for g < n, all
        // below 4n + 4 ≤ x.len(), and the n words of `f`; unaligned word loads are allowed on
        // Armv7E-M. Only registers and flags are written.
        unsafe {
            core::arch::asm!(
                "ldr {x}, [{xp}]",
                "sxtb16 {e}, {x}",
                "2:",
                "ldr {w}, [{wp}], #4",
                "sxtb16 {wa}, {w}",
                "sxtb16 {w}, {w}, ror #8",
                "smlad {a0}, {wa}, {e}, {a0}",
                "sxtb16 {e}, {x}, ror #8",
                "smlad {a0}, {w}, {e}, {a0}",
                "smlad {a1}, {wa}, {e}, {a1}",
                "ldr {x}, [{xp}, #2]",
                "sxtb16 {e}, {x}",
                "smlad {a1}, {w}, {e}, {a1}",
                "smlad {a2}, {wa}, {e}, {a2}",
                "sxtb16 {e}, {x}, ror #8",
                "smlad {a2}, {w}, {e}, {a2}",
                "smlad {a3}, {wa}, {e}, {a3}",
                "ldr {x}, [{xp}, #4]!",
                "sxtb16 {e}, {x}",
                "smlad {a3}, {w}, {e}, {a3}",
                "subs {n}, {n}, #1",
                "bne 2b",
                xp = inout(reg) x.as_ptr() => _,
                wp = inout(reg) f.as_ptr() => _,
                n = inout(reg) n => _,
                a0 = inout(reg) a0,
                a1 = inout(reg) a1,
                a2 = inout(reg) a2,
                a3 = inout(reg) a3,
                x = out(reg) _,
                e = out(reg) _,
                w = out(reg) _,
                wa = out(reg) _,
                options(readonly, nostack),
            );
        }
        return [a0, a1, a2, a3];
    }
    let mut acc = acc;
    for (k, &wv) in f.as_flattened().iter().enumerate() {
        for (j, a) in acc.iter_mut().enumerate() {
            if let Some(&xv) = x.get(j + k) {
                *a = a.wrapping_add(i32::from(wv) * i32::from(xv));
            }
        }
    }
    acc
}

/// [`taps4`] for strides `S ≥ 2`: `acc[j] + Σ_{c<C} Σ_{k<4·KQ} f[c][k] · x[c][start + j·S + k]`
/// (dilation 1). Positions no longer share activation words: per group of 4 taps one weight word
/// (load, two `SXTB16`) and per position one activation word (load, two `SXTB16`, two `SMLAD`):
/// 23 instructions per 16 MACs. Reads `x[c][start .. start + 3·S + 4·KQ]`; where that is not
/// inside `x` (or `x` has fewer than `C` rows) the portable loop computes the same sum.
#[inline(always)]
pub fn taps4s<const KQ: usize, const C: usize, const L: usize, const S: usize>(
    x: &[[i8; L]],
    start: usize,
    f: &[[[i8; 4]; KQ]; C],
    acc: [i32; 4],
) -> [i32; 4] {
    #[cfg(target_arch = "arm")]
    if S >= 2 && 3 * S <= 4000 && x.len() >= C && start + 3 * S + 4 * KQ <= L && KQ > 0 && KQ <= 65535 && C > 0 {
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        // SAFETY (both variants): for each of the C rows (x has at least C rows of L bytes) the
        // code reads the words at byte offsets start + j·S + 4g for j < 4, g < KQ, all below
        // start + 3·S + 4·KQ ≤ L, then moves to the next row; from `f` it reads C·KQ consecutive
        // words, exactly its size (per row, KQ). Unaligned word loads are allowed on Armv7E-M.
        // Only registers and flags are written.
        if KQ <= 4 {
            let xp = x.as_ptr().cast::<i8>().wrapping_add(start);
            let wp = f.as_ptr();
            // SAFETY: see above (unrolled taps, a loop over rows).
            unsafe {
                core::arch::asm!(
                    "3:",
                    size_hint!(),
                    ".rept {kq}",
                    "ldr {w}, [{wp}], #4",
                    "sxtb16 {wa}, {w}",
                    "sxtb16 {w}, {w}, ror #8",
                    "ldr {x}, [{xp}], #4",
                    "sxtb16 {e}, {x}",
                    "smlad {a0}, {wa}, {e}, {a0}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a0}, {w}, {e}, {a0}",
                    "ldr {x}, [{xp}, #{o1}]",
                    "sxtb16 {e}, {x}",
                    "smlad {a1}, {wa}, {e}, {a1}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a1}, {w}, {e}, {a1}",
                    "ldr {x}, [{xp}, #{o2}]",
                    "sxtb16 {e}, {x}",
                    "smlad {a2}, {wa}, {e}, {a2}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a2}, {w}, {e}, {a2}",
                    "ldr {x}, [{xp}, #{o3}]",
                    "sxtb16 {e}, {x}",
                    "smlad {a3}, {wa}, {e}, {a3}",
                    "sxtb16 {e}, {x}, ror #8",
                    "smlad {a3}, {w}, {e}, {a3}",
                    ".endr",
                    "addw {xp}, {xp}, #{adv}",
                    "subs {c}, {c}, #1",
                    "bne.w 3b",
                    xp = inout(reg) xp => _,
                    wp = inout(reg) wp => _,
                    a0 = inout(reg) a0,
                    a1 = inout(reg) a1,
                    a2 = inout(reg) a2,
                    a3 = inout(reg) a3,
                    x = out(reg) _,
                    e = out(reg) _,
                    w = out(reg) _,
                    wa = out(reg) _,
                    o1 = const S as isize - 4,
                    o2 = const 2 * S as isize - 4,
                    o3 = const 3 * S as isize - 4,
                    kq = const KQ,
                    adv = const L.saturating_sub(4 * KQ),
                    c = inout(reg) C => _,
                    sz = const 4 * (3 + 23 * KQ),
                    options(readonly, nostack),
                );
            }
        } else {
            for (xr, fr) in x.iter().zip(f) {
                let xp = xr.as_ptr().wrapping_add(start);
                let wp = fr.as_ptr();
                // SAFETY: see above (one row per block, a loop over taps).
                unsafe {
                    core::arch::asm!(
                        "movw {n}, #{kq}",
                        "2:",
                        "ldr {w}, [{wp}], #4",
                        "sxtb16 {wa}, {w}",
                        "sxtb16 {w}, {w}, ror #8",
                        "ldr {x}, [{xp}], #4",
                        "sxtb16 {e}, {x}",
                        "smlad {a0}, {wa}, {e}, {a0}",
                        "sxtb16 {e}, {x}, ror #8",
                        "smlad {a0}, {w}, {e}, {a0}",
                        "ldr {x}, [{xp}, #{o1}]",
                        "sxtb16 {e}, {x}",
                        "smlad {a1}, {wa}, {e}, {a1}",
                        "sxtb16 {e}, {x}, ror #8",
                        "smlad {a1}, {w}, {e}, {a1}",
                        "ldr {x}, [{xp}, #{o2}]",
                        "sxtb16 {e}, {x}",
                        "smlad {a2}, {wa}, {e}, {a2}",
                        "sxtb16 {e}, {x}, ror #8",
                        "smlad {a2}, {w}, {e}, {a2}",
                        "ldr {x}, [{xp}, #{o3}]",
                        "sxtb16 {e}, {x}",
                        "smlad {a3}, {wa}, {e}, {a3}",
                        "sxtb16 {e}, {x}, ror #8",
                        "smlad {a3}, {w}, {e}, {a3}",
                        "subs {n}, {n}, #1",
                        "bne 2b",
                        xp = inout(reg) xp => _,
                        wp = inout(reg) wp => _,
                        a0 = inout(reg) a0,
                        a1 = inout(reg) a1,
                        a2 = inout(reg) a2,
                        a3 = inout(reg) a3,
                        x = out(reg) _,
                        e = out(reg) _,
                        w = out(reg) _,
                        wa = out(reg) _,
                        o1 = const S as isize - 4,
                        o2 = const 2 * S as isize - 4,
                        o3 = const 3 * S as isize - 4,
                        kq = const KQ,
                        n = out(reg) _,
                        options(readonly, nostack),
                    );
                }
            }
        }
        return [a0, a1, a2, a3];
    }
    let mut acc = acc;
    for (xr, fr) in x.iter().zip(f) {
        for (k, &wv) in fr.as_flattened().iter().enumerate() {
            for (j, a) in acc.iter_mut().enumerate() {
                if let Some(&xv) = xr.get(start + j * S + k) {
                    *a = a.wrapping_add(i32::from(wv) * i32::from(xv));
                }
            }
        }
    }
    acc
}

/// [`taps4`] for stride 1, [`taps4s`] for larger strides.
#[inline(always)]
pub fn taps4_any<const KQ: usize, const C: usize, const L: usize, const S: usize>(
    x: &[[i8; L]],
    start: usize,
    f: &[[[i8; 4]; KQ]; C],
    acc: [i32; 4],
) -> [i32; 4] {
    if S == 1 {
        taps4::<KQ, C, L>(x, start, f, acc)
    } else {
        taps4s::<KQ, C, L, S>(x, start, f, acc)
    }
}

/// Most groups an `asm!` block repeats with `.rept`. LLVM sizes an inline `asm` block by its
/// lines, so a long `.rept` makes it place a constant pool out of reach of the loads that use
/// it ("out of range pc-relative fixup value": CCfC's 97 groups per channel did).
#[cfg(target_arch = "arm")]
const REPT_MAX: usize = 16;

/// `acc[j] + Σ_{c<C} Σ_{g<KQ} x[c][g][j] · f[c][g]` for the 4 positions `j` of a gathered tile
/// ([`Cols`](super::cols::Cols), read as a flat run of words: per channel and group of 4 taps
/// the lane pairs of the 4 positions, `[ea0, eb0, ea1, eb1, ea2, eb2, ea3, eb3]`), with `K`
/// taps per channel: the strided
/// and dilated convolutions' inner loop. Per group one weight word is loaded and widened (`LDR`,
/// two `SXTB16`) and used by the 4 positions, whose 8 words come in by two `LDM`s: 13
/// instructions per 16 MACs on Arm. With `K mod 4 = 1` the last group's odd lanes are zero: it
/// holds only the even pairs `[ea0, ea1, ea2, ea3]` (one `LDM`, 7 instructions per 4 MACs), and
/// the next channel follows right after.
/// Up to 32 groups are unrolled, more loop over the input channels; channels of more than
/// `REPT_MAX` (16) groups loop over the groups themselves (one group per iteration, 15
/// instructions per 16 MACs), or, with `K mod 4 = 1`, take the portable loop.
#[inline(always)]
pub fn cols4<const K: usize, const KQ: usize, const C: usize>(
    x: &[[[[u32; 2]; 4]; KQ]; C],
    f: &[[[i8; 4]; KQ]; C],
    acc: [i32; 4],
) -> [i32; 4] {
    // Channels of more than REPT_MAX groups (all whole: K mod 4 ≠ 1) are one run of C·KQ
    // groups, looped over one group per iteration.
    #[cfg(target_arch = "arm")]
    let long = KQ > REPT_MAX;
    #[cfg(target_arch = "arm")]
    let count_ok = if long { K % 4 != 1 && C.checked_mul(KQ).is_some_and(|n| n <= 65535) } else { C <= 65535 };
    #[cfg(target_arch = "arm")]
    if KQ > 0 && C > 0 && K <= 4 * KQ && 4 * KQ < K + 4 && count_ok {
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        // SAFETY (both variants): reads the C·KQ weight words of `f` in order (exactly its size)
        // and C·span words of `x` in order (8 per group, 4 for the last group of a channel with
        // K mod 4 = 1: at most C·KQ·8, its size; word-aligned: `u32`s); unaligned word
        // loads from `f` are allowed on Armv7E-M. Only registers and flags are written (r2–r5
        // declared clobbered).
        macro_rules! body {
            () => {
                concat!(
                    ".rept {kf}\n",
                    "ldr {w}, [{wp}], #4\n",
                    "sxtb16 {wa}, {w}\n",
                    "sxtb16 {w}, {w}, ror #8\n",
                    "ldmia {xp}!, {{r2, r3, r4, r5}}\n",
                    "smlad {a0}, {wa}, r2, {a0}\n",
                    "smlad {a0}, {w}, r3, {a0}\n",
                    "smlad {a1}, {wa}, r4, {a1}\n",
                    "smlad {a1}, {w}, r5, {a1}\n",
                    "ldmia {xp}!, {{r2, r3, r4, r5}}\n",
                    "smlad {a2}, {wa}, r2, {a2}\n",
                    "smlad {a2}, {w}, r3, {a2}\n",
                    "smlad {a3}, {wa}, r4, {a3}\n",
                    "smlad {a3}, {w}, r5, {a3}\n",
                    ".endr\n",
                    ".if {h}\n",
                    "ldr {w}, [{wp}], #4\n",
                    "sxtb16 {wa}, {w}\n",
                    "ldmia {xp}!, {{r2, r3, r4, r5}}\n",
                    "smlad {a0}, {wa}, r2, {a0}\n",
                    "smlad {a1}, {wa}, r3, {a1}\n",
                    "smlad {a2}, {wa}, r4, {a2}\n",
                    "smlad {a3}, {wa}, r5, {a3}\n",
                    ".endif\n",
                )
            };
        }
        if !long && C * KQ <= 32 {
            // SAFETY: see above (fully unrolled).
            unsafe {
                core::arch::asm!(
                    size_hint!(),
                    ".rept {c}",
                    body!(),
                    ".endr",
                    xp = inout(reg) x.as_ptr() => _,
                    wp = inout(reg) f.as_ptr() => _,
                    a0 = inout(reg) a0,
                    a1 = inout(reg) a1,
                    a2 = inout(reg) a2,
                    a3 = inout(reg) a3,
                    w = out(reg) _,
                    wa = out(reg) _,
                    out("r2") _,
                    out("r3") _,
                    out("r4") _,
                    out("r5") _,
                    c = const C,
                    kf = const if K % 4 == 1 { KQ - 1 } else { KQ },
                    h = const (K % 4 == 1) as usize,
                    sz = const 4 * C * (13 * (if K % 4 == 1 { KQ - 1 } else { KQ }) + 7 * ((K % 4 == 1) as usize)),
                    options(readonly, nostack),
                );
            }
        } else {
            // SAFETY: see above (a loop over the input channels, or over all groups).
            unsafe {
                core::arch::asm!(
                    size_hint!(),
                    "3:",
                    body!(),
                    "subs {n}, {n}, #1",
                    "bne.w 3b",
                    xp = inout(reg) x.as_ptr() => _,
                    wp = inout(reg) f.as_ptr() => _,
                    n = inout(reg) if long { C * KQ } else { C } => _,
                    a0 = inout(reg) a0,
                    a1 = inout(reg) a1,
                    a2 = inout(reg) a2,
                    a3 = inout(reg) a3,
                    w = out(reg) _,
                    wa = out(reg) _,
                    out("r2") _,
                    out("r3") _,
                    out("r4") _,
                    out("r5") _,
                    kf = const if KQ > REPT_MAX { 1 } else if K % 4 == 1 { KQ - 1 } else { KQ },
                    h = const if KQ > REPT_MAX { 0 } else { (K % 4 == 1) as usize },
                    sz = const 4 * (2 + 13 * (if KQ > REPT_MAX { 1 } else if K % 4 == 1 { KQ - 1 } else { KQ }) + 7 * (if KQ > REPT_MAX { 0 } else { (K % 4 == 1) as usize })),
                    options(readonly, nostack),
                );
            }
        }
        return [a0, a1, a2, a3];
    }
    let mut acc = acc;
    let flat = x.as_flattened().as_flattened().as_flattened();
    let span = super::cols::span::<K, KQ>();
    for (xc, fc) in flat.chunks_exact(span).zip(f) {
        let (groups, tail) = xc.as_chunks::<8>();
        for (xg, wg) in groups.iter().zip(fc) {
            let v = super::word(wg);
            let (wa, wb) = (sxtb16(v), sxtb16_ror8(v));
            for (a, [xa, xb]) in acc.iter_mut().zip(xg.as_chunks::<2>().0) {
                *a = smlad(wb, *xb, smlad(wa, *xa, *a));
            }
        }
        if let (true, Some(wg)) = (K % 4 == 1, fc.last()) {
            // the compact last group: even pairs only (odd weight lanes are zero)
            let wa = sxtb16(super::word(wg));
            for (a, xa) in acc.iter_mut().zip(tail) {
                *a = smlad(wa, *xa, *a);
            }
        }
    }
    acc
}
