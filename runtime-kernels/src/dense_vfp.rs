//! The dense kernels of [`crate::dense`] with the Arm FPU's multiple loads: same signatures,
//! same tiles, same bits, 1.1–1.2 instructions per multiply-accumulate instead of 2.1–2.3 (why in
//! [`crate::vfp`]).
//!
//! Each tile is one `asm!` block: `vldm` zeroes the `T` sums from [`crate::vfp::ZEROS`], then
//! per four rows of weights one `vldm` brings four inputs, `T / 4` (`T` ≥ 4) or two (`T` = 1)
//! `vldm`s bring the weights, and `4·T` `vmla.f32` add the products, each rounded and then
//! added, `k` in order; rows left over (`K mod 4`, or `K mod 8` for `T` = 1) one at a time; one
//! `vstm` writes the sums. `T = 16` first takes twelve rows per iteration: three `vldm` of four
//! inputs and sixteen of twelve weights (`s20–s31`: 192 weights, twelve rows of 16), so 213
//! instructions per 192 MACs (1.11) instead of 75 per 64 (1.17); then `(K mod 12) / 4` blocks
//! of four rows as above. Registers: `T = 16`: sums `s0–s15`, inputs `s16–s19`, weights
//! `s20–s31` (twelve-row loop) or `s20–s27` (half a row per `vldm`); `T = 8`: sums `s0–s7`, inputs `s8–s11`, weights `s12–s27`
//! (two rows); `T = 4`: sums `s0–s3`, inputs `s4–s7`, weights `s8–s23` (four rows); `T = 1`: sum
//! `s0`, inputs `s4–s11`, weights `s12–s19` (eight rows).
#![allow(unsafe_code)]

#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
use crate::vfp::{vmla_run, ZEROS};

crate::dense::dense_rows!(
    /// Tiles of 16 columns; [`crate::dense::dense16`] with `vldm` (module docs).
    dense16_vfp, 16, tile16
);
crate::dense::dense_rows!(
    /// Tiles of 8 columns; [`crate::dense::dense8`] with `vldm` (module docs).
    dense8_vfp, 8, tile8
);
crate::dense::dense_rows!(
    /// Tiles of 4 columns; [`crate::dense::dense4`] with `vldm` (module docs).
    dense4_vfp, 4, tile4
);
crate::dense::dense_rows!(
    /// Single columns; [`crate::dense::dense1`] with `vldm` (module docs).
    dense1_vfp, 1, tile1
);

// SAFETY (every `asm!` below): `xr` points at `K` floats and `wt` at `K·T`; the first loop reads
// 4 (8 for `T = 1`) of each per iteration for `K / 4` (`K / 8`) iterations, the second one
// input and one row of `T` weights for the rest, so exactly `K` inputs and `K·T` weights are
// read; `o` is `T` floats, written by one `vstm` of `T` registers; `ZEROS` has 16 floats. Only
// the named `s` registers, the pointer and counter operands and the flags are written; no
// stack. The `.if` guards skip a loop whose count is 0 (its `subs` would wrap).

/// Not inlined: the twelve-row body is ~850 bytes, and LLVM would copy it into every unrolled
/// pass of the tile loop (18.8 KB for the 128 × 256 layer at opt-level 3); a call per tile of
/// 16 × K multiply-accumulates costs a few instructions.
#[inline(never)]
fn tile16<const K: usize>(xr: &[f32; K], wt: &[[f32; 16]; K], o: &mut [f32; 16]) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    // SAFETY: see above; the first loop reads 12 inputs and 12 rows per iteration for `K / 12`
    // iterations, the second 4 and 4 for `(K % 12) / 4`, the third 1 and 1 for `K % 4`.
    unsafe {
        core::arch::asm!(
            "vldmia {z}, {{s0-s15}}",
            // twelve rows per iteration: three `vldm` of 4 inputs, sixteen of 12 weights
            // (`s20–s31`), each sum's products added in row order
            ".if {k12}",
            "2:",
            "vldmia {x}!, {{s16-s19}}",
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 16, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([12, 13, 14, 15], 16, [20, 21, 22, 23]),
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 17, [24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 17, [20, 21, 22, 23, 24, 25, 26, 27]),
            vmla_run!([0, 1, 2, 3], 18, [28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 18, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 19, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([12, 13, 14, 15], 19, [20, 21, 22, 23]),
            "vldmia {x}!, {{s16-s19}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 16, [24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 16, [20, 21, 22, 23, 24, 25, 26, 27]),
            vmla_run!([0, 1, 2, 3], 17, [28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 17, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 18, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([12, 13, 14, 15], 18, [20, 21, 22, 23]),
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 19, [24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 19, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {x}!, {{s16-s19}}",
            vmla_run!([0, 1, 2, 3], 16, [28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 16, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 17, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([12, 13, 14, 15], 17, [20, 21, 22, 23]),
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 18, [24, 25, 26, 27, 28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 18, [20, 21, 22, 23, 24, 25, 26, 27]),
            vmla_run!([0, 1, 2, 3], 19, [28, 29, 30, 31]),
            "vldmia {w}!, {{s20-s31}}",
            vmla_run!([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 19, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]),
            "subs {n}, {n}, #1",
            // the body is longer than a 16-bit branch reaches
            "bne.w 2b",
            ".endif",
            ".if {k4}",
            "3:",
            "vldmia {x}!, {{s16-s19}}",
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 16, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 16, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 17, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 17, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 18, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 18, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 19, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 19, [20, 21, 22, 23, 24, 25, 26, 27]),
            "subs {m}, {m}, #1",
            "bne 3b",
            ".endif",
            ".if {kr}",
            "4:",
            "vldmia {x}!, {{s16}}",
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 16, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s20-s27}}",
            vmla_run!([8, 9, 10, 11, 12, 13, 14, 15], 16, [20, 21, 22, 23, 24, 25, 26, 27]),
            "subs {r}, {r}, #1",
            "bne 4b",
            ".endif",
            "vstmia {o}, {{s0-s15}}",
            z = in(reg) ZEROS.as_ptr(),
            x = inout(reg) xr.as_ptr() => _,
            w = inout(reg) wt.as_ptr() => _,
            o = in(reg) o.as_mut_ptr(),
            n = inout(reg) K / 12 => _,
            m = inout(reg) (K % 12) / 4 => _,
            r = inout(reg) K % 4 => _,
            k12 = const K / 12,
            k4 = const (K % 12) / 4,
            kr = const K % 4,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _, out("s4") _, out("s5") _, out("s6") _,
            out("s7") _, out("s8") _, out("s9") _, out("s10") _, out("s11") _, out("s12") _, out("s13") _,
            out("s14") _, out("s15") _, out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            out("s20") _, out("s21") _, out("s22") _, out("s23") _, out("s24") _, out("s25") _,
            out("s26") _, out("s27") _, out("s28") _, out("s29") _, out("s30") _, out("s31") _,
            options(nostack),
        );
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
    crate::dense::tile16::<K>(xr, wt, o);
}

#[inline(always)]
fn tile8<const K: usize>(xr: &[f32; K], wt: &[[f32; 8]; K], o: &mut [f32; 8]) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    // SAFETY: see above.
    unsafe {
        core::arch::asm!(
            "vldmia {z}, {{s0-s7}}",
            ".if {kq}",
            "2:",
            "vldmia {x}!, {{s8-s11}}",
            "vldmia {w}!, {{s12-s27}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 8, [12, 13, 14, 15, 16, 17, 18, 19]),
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 9, [20, 21, 22, 23, 24, 25, 26, 27]),
            "vldmia {w}!, {{s12-s27}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 10, [12, 13, 14, 15, 16, 17, 18, 19]),
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 11, [20, 21, 22, 23, 24, 25, 26, 27]),
            "subs {n}, {n}, #1",
            "bne 2b",
            ".endif",
            ".if {kr}",
            "3:",
            "vldmia {x}!, {{s8}}",
            "vldmia {w}!, {{s12-s19}}",
            vmla_run!([0, 1, 2, 3, 4, 5, 6, 7], 8, [12, 13, 14, 15, 16, 17, 18, 19]),
            "subs {r}, {r}, #1",
            "bne 3b",
            ".endif",
            "vstmia {o}, {{s0-s7}}",
            z = in(reg) ZEROS.as_ptr(),
            x = inout(reg) xr.as_ptr() => _,
            w = inout(reg) wt.as_ptr() => _,
            o = in(reg) o.as_mut_ptr(),
            n = inout(reg) K / 4 => _,
            r = inout(reg) K % 4 => _,
            kq = const K / 4,
            kr = const K % 4,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _, out("s4") _, out("s5") _, out("s6") _,
            out("s7") _, out("s8") _, out("s9") _, out("s10") _, out("s11") _, out("s12") _, out("s13") _,
            out("s14") _, out("s15") _, out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            out("s20") _, out("s21") _, out("s22") _, out("s23") _, out("s24") _, out("s25") _,
            out("s26") _, out("s27") _,
            options(nostack),
        );
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
    crate::dense::tile8::<K>(xr, wt, o);
}

#[inline(always)]
fn tile4<const K: usize>(xr: &[f32; K], wt: &[[f32; 4]; K], o: &mut [f32; 4]) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    // SAFETY: see above.
    unsafe {
        core::arch::asm!(
            "vldmia {z}, {{s0-s3}}",
            ".if {kq}",
            "2:",
            "vldmia {x}!, {{s4-s7}}",
            "vldmia {w}!, {{s8-s23}}",
            vmla_run!([0, 1, 2, 3], 4, [8, 9, 10, 11]),
            vmla_run!([0, 1, 2, 3], 5, [12, 13, 14, 15]),
            vmla_run!([0, 1, 2, 3], 6, [16, 17, 18, 19]),
            vmla_run!([0, 1, 2, 3], 7, [20, 21, 22, 23]),
            "subs {n}, {n}, #1",
            "bne 2b",
            ".endif",
            ".if {kr}",
            "3:",
            "vldmia {x}!, {{s4}}",
            "vldmia {w}!, {{s8-s11}}",
            vmla_run!([0, 1, 2, 3], 4, [8, 9, 10, 11]),
            "subs {r}, {r}, #1",
            "bne 3b",
            ".endif",
            "vstmia {o}, {{s0-s3}}",
            z = in(reg) ZEROS.as_ptr(),
            x = inout(reg) xr.as_ptr() => _,
            w = inout(reg) wt.as_ptr() => _,
            o = in(reg) o.as_mut_ptr(),
            n = inout(reg) K / 4 => _,
            r = inout(reg) K % 4 => _,
            kq = const K / 4,
            kr = const K % 4,
            out("s0") _, out("s1") _, out("s2") _, out("s3") _, out("s4") _, out("s5") _, out("s6") _,
            out("s7") _, out("s8") _, out("s9") _, out("s10") _, out("s11") _, out("s12") _, out("s13") _,
            out("s14") _, out("s15") _, out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            out("s20") _, out("s21") _, out("s22") _, out("s23") _,
            options(nostack),
        );
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
    crate::dense::tile4::<K>(xr, wt, o);
}

#[inline(always)]
fn tile1<const K: usize>(xr: &[f32; K], wt: &[[f32; 1]; K], o: &mut [f32; 1]) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    // SAFETY: see above (eight rows per iteration of the first loop here).
    unsafe {
        core::arch::asm!(
            "vldmia {z}, {{s0}}",
            ".if {kq}",
            "2:",
            "vldmia {x}!, {{s4-s11}}",
            "vldmia {w}!, {{s12-s19}}",
            "vmla.f32 s0, s4, s12",
            "vmla.f32 s0, s5, s13",
            "vmla.f32 s0, s6, s14",
            "vmla.f32 s0, s7, s15",
            "vmla.f32 s0, s8, s16",
            "vmla.f32 s0, s9, s17",
            "vmla.f32 s0, s10, s18",
            "vmla.f32 s0, s11, s19",
            "subs {n}, {n}, #1",
            "bne 2b",
            ".endif",
            ".if {kr}",
            "3:",
            "vldmia {x}!, {{s4}}",
            "vldmia {w}!, {{s12}}",
            "vmla.f32 s0, s4, s12",
            "subs {r}, {r}, #1",
            "bne 3b",
            ".endif",
            "vstmia {o}, {{s0}}",
            z = in(reg) ZEROS.as_ptr(),
            x = inout(reg) xr.as_ptr() => _,
            w = inout(reg) wt.as_ptr() => _,
            o = in(reg) o.as_mut_ptr(),
            n = inout(reg) K / 8 => _,
            r = inout(reg) K % 8 => _,
            kq = const K / 8,
            kr = const K % 8,
            out("s0") _, out("s4") _, out("s5") _, out("s6") _, out("s7") _, out("s8") _, out("s9") _,
            out("s10") _, out("s11") _, out("s12") _, out("s13") _, out("s14") _, out("s15") _,
            out("s16") _, out("s17") _, out("s18") _, out("s19") _,
            options(nostack),
        );
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
    crate::dense::tile1::<K>(xr, wt, o);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;
    use std::vec::Vec;

    /// Every tile mix of the `vfp` forms equals the portable forms bit for bit (off Arm this
    /// checks the shared row/tile walk; on Arm, q8-bench compares the instructions).
    fn check<const K: usize, const N: usize>(rows: usize) {
        let mut rng = Rng::new((K * 31 + N * 5 + rows) as u64);
        let x: Vec<f32> = (0..rows * K).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let w16: Vec<[[f32; 16]; K]> =
            (0..N / 16).map(|_| core::array::from_fn(|_| core::array::from_fn(|_| rng.uniform(-1.0, 1.0)))).collect();
        let w8: Vec<[[f32; 8]; K]> = (0..(N % 16) / 8)
            .map(|_| core::array::from_fn(|_| core::array::from_fn(|_| rng.uniform(-1.0, 1.0))))
            .collect();
        let w4: Vec<[[f32; 4]; K]> = (0..(N % 8) / 4)
            .map(|_| core::array::from_fn(|_| core::array::from_fn(|_| rng.uniform(-1.0, 1.0))))
            .collect();
        let w1: Vec<[[f32; 1]; K]> = (0..N % 4).map(|_| core::array::from_fn(|_| [rng.uniform(-1.0, 1.0)])).collect();
        let (c8, c4, c1) = (16 * w16.len(), 16 * w16.len() + 8 * w8.len(), N - N % 4);
        let mut a = std::vec![f32::NAN; rows * N];
        let mut b = std::vec![0.5f32; rows * N];
        crate::dense::dense16::<K, N>(&x, &w16, 0, &mut a);
        crate::dense::dense8::<K, N>(&x, &w8, c8, &mut a);
        crate::dense::dense4::<K, N>(&x, &w4, c4, &mut a);
        crate::dense::dense1::<K, N>(&x, &w1, c1, &mut a);
        dense16_vfp::<K, N>(&x, &w16, 0, &mut b);
        dense8_vfp::<K, N>(&x, &w8, c8, &mut b);
        dense4_vfp::<K, N>(&x, &w4, c4, &mut b);
        dense1_vfp::<K, N>(&x, &w1, c1, &mut b);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b), "K={K} N={N} rows={rows}");
    }

    #[test]
    fn vfp_forms_equal_the_portable_forms() {
        check::<1, 1>(1);
        check::<3, 5>(2);
        check::<9, 31>(2);
        check::<17, 29>(3);
        check::<75, 20>(1);
        check::<128, 256>(1);
    }
}
