//! One step of a diagonal complex state-space layer (S4D), for every channel `c` and mode `m`:
//!
//! ```text
//! xr'[c][m] = (ar[c][m] · xr[c][m] − ai[c][m] · xi[c][m]) + u[c]
//! xi'[c][m] =  ar[c][m] · xi[c][m] + ai[c][m] · xr[c][m]
//! y[c]      = Σ_m (cr[c][m] · xr'[c][m] − ci[c][m] · xi'[c][m])      (m in order, from +0.0)
//! ```
//!
//! every product and sum rounded to f32 in that order: exactly the fused group the compiler
//! emits for an exported S4D step (`back/ops/ssm.rs` recognises it), so either form gives the
//! same bits. The coefficients come as `[ar, ai, cr, ci]`. [`step`] writes the new state elsewhere, [`step_in_place`] over the old one (the
//! streaming crate's state).
//!
//! The `_vfp` forms are the same with the Arm FPU's multiple loads (why in [`crate::vfp`]): per
//! four modes, six `vldm` (ar, ai, xr, xi, cr, ci), 32 arithmetic instructions and two `vstm`,
//! 10 instructions per mode where the portable loop needs ~17. Rows of up to 35 modes (the zoo's
//! are 32) run as one asm block for the whole layer, each channel's modes unrolled, 5 more
//! instructions per channel; longer rows loop over blocks of four, channel by channel. Registers: sum
//! `s0` (from `+0.0`), `u` `s1` (both moved from general registers: Arm FPU target
//! features are hidden from `asm!` operands as from `cfg`), temporary `s2`, `ar` `s4–s7`, `ai` `s8–s11`, `xr` `s12–s15`, `xi`
//! `s16–s19`, `cr` `s20–s23`, `ci` `s24–s27`; per mode `s2 = ar·xr; s2 −= ai·xi; xi = ar·xi;
//! xi += ai·xr; xr = s2 + u; s2 = cr·xr; s2 −= ci·xi; s0 += s2` (`vmla`/`vmls` round the
//! product, then the sum).
//!
//! Shapes: every `[f32]` operand but `u` and `y` holds `C` rows of `M` modes (`C = y.len()`);
//! with fewer rows in any operand, rows past the shortest are left alone (the compiler passes
//! equal lengths, by construction).
#![allow(unsafe_code)]

/// `s` as rows of `M`.
fn rows<const M: usize>(s: &[f32]) -> core::slice::Iter<'_, [f32; M]> {
    s.as_chunks::<M>().0.iter()
}

/// One mode, portable: `(xr', xi', term of y)`; also [`crate::ssm_packed`]'s.
#[inline(always)]
pub(crate) fn mode(ar: f32, ai: f32, xr: f32, xi: f32, u: f32, cr: f32, ci: f32) -> (f32, f32, f32) {
    let nr = (ar * xr - ai * xi) + u;
    let ni = ar * xi + ai * xr;
    (nr, ni, cr * nr - ci * ni)
}

/// The S4D step, new state written to `xr_out`/`xi_out` (portable).
pub fn step<const M: usize>(
    coef: [&[f32]; 4],
    xr: &[f32],
    xi: &[f32],
    u: &[f32],
    xr_out: &mut [f32],
    xi_out: &mut [f32],
    y: &mut [f32],
) {
    let [ar, ai, cr, ci] = coef;
    for (((((((((ar, ai), xr), xi), &u), cr), ci), or), oi), y) in rows::<M>(ar)
        .zip(rows::<M>(ai))
        .zip(rows::<M>(xr))
        .zip(rows::<M>(xi))
        .zip(u)
        .zip(rows::<M>(cr))
        .zip(rows::<M>(ci))
        .zip(xr_out.as_chunks_mut::<M>().0.iter_mut())
        .zip(xi_out.as_chunks_mut::<M>().0.iter_mut())
        .zip(y.iter_mut())
    {
        let mut acc = 0.0f32;
        for m in 0..M {
            let (nr, ni, t) = mode(ar[m], ai[m], xr[m], xi[m], u, cr[m], ci[m]);
            (or[m], oi[m]) = (nr, ni);
            acc += t;
        }
        *y = acc;
    }
}

/// The S4D step, new state written over `xr`/`xi` (portable).
pub fn step_in_place<const M: usize>(coef: [&[f32]; 4], xr: &mut [f32], xi: &mut [f32], u: &[f32], y: &mut [f32]) {
    let [ar, ai, cr, ci] = coef;
    for (((((((ar, ai), xr), xi), &u), cr), ci), y) in rows::<M>(ar)
        .zip(rows::<M>(ai))
        .zip(xr.as_chunks_mut::<M>().0.iter_mut())
        .zip(xi.as_chunks_mut::<M>().0.iter_mut())
        .zip(u)
        .zip(rows::<M>(cr))
        .zip(rows::<M>(ci))
        .zip(y.iter_mut())
    {
        let mut acc = 0.0f32;
        for m in 0..M {
            let (nr, ni, t) = mode(ar[m], ai[m], xr[m], xi[m], u, cr[m], ci[m]);
            (xr[m], xi[m]) = (nr, ni);
            acc += t;
        }
        *y = acc;
    }
}

/// Channels every operand has rows for: `M` floats in each row operand, one value of `u`, `y`.
#[cfg(any(test, all(target_arch = "arm", target_abi = "eabihf")))]
fn channels<const M: usize>(rows: [usize; 8], u: usize, y: usize) -> usize {
    rows.iter().map(|&n| n / M.max(1)).fold(u.min(y), usize::min)
}

/// [`step`] with `vldm` (module docs); the portable arithmetic off Arm.
pub fn step_vfp<const M: usize>(
    coef: [&[f32]; 4],
    xr: &[f32],
    xi: &[f32],
    u: &[f32],
    xr_out: &mut [f32],
    xi_out: &mut [f32],
    y: &mut [f32],
) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    {
        let [ar, ai, cr, ci] = coef;
        if M / 4 <= arm::UNROLL_BLOCKS {
            let lens = [ar.len(), ai.len(), cr.len(), ci.len(), xr.len(), xi.len(), xr_out.len(), xi_out.len()];
            let c = channels::<M>(lens, u.len(), y.len());
            let (or, oi) = (xr_out.as_mut_ptr(), xi_out.as_mut_ptr());
            arm::layer::<M>(coef, xr.as_ptr(), xi.as_ptr(), or, oi, u, y, c);
            return;
        }
        for (((((((((ar, ai), xr), xi), &u), cr), ci), or), oi), y) in rows::<M>(ar)
            .zip(rows::<M>(ai))
            .zip(rows::<M>(xr))
            .zip(rows::<M>(xi))
            .zip(u)
            .zip(rows::<M>(cr))
            .zip(rows::<M>(ci))
            .zip(xr_out.as_chunks_mut::<M>().0.iter_mut())
            .zip(xi_out.as_chunks_mut::<M>().0.iter_mut())
            .zip(y.iter_mut())
        {
            *y = arm::channel::<M>([ar, ai, cr, ci], xr.as_ptr(), xi.as_ptr(), or.as_mut_ptr(), oi.as_mut_ptr(), u);
        }
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
    step::<M>(coef, xr, xi, u, xr_out, xi_out, y);
}

/// [`step_in_place`] with `vldm` (module docs); the portable arithmetic off Arm.
pub fn step_in_place_vfp<const M: usize>(coef: [&[f32]; 4], xr: &mut [f32], xi: &mut [f32], u: &[f32], y: &mut [f32]) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    {
        let [ar, ai, cr, ci] = coef;
        if M / 4 <= arm::UNROLL_BLOCKS {
            let lens = [ar.len(), ai.len(), cr.len(), ci.len(), xr.len(), xi.len(), xr.len(), xi.len()];
            let c = channels::<M>(lens, u.len(), y.len());
            let (pr, pi) = (xr.as_mut_ptr(), xi.as_mut_ptr());
            arm::layer::<M>(coef, pr, pi, pr, pi, u, y, c);
            return;
        }
        for (((((((ar, ai), xr), xi), &u), cr), ci), y) in rows::<M>(ar)
            .zip(rows::<M>(ai))
            .zip(xr.as_chunks_mut::<M>().0.iter_mut())
            .zip(xi.as_chunks_mut::<M>().0.iter_mut())
            .zip(u)
            .zip(rows::<M>(cr))
            .zip(rows::<M>(ci))
            .zip(y.iter_mut())
        {
            let (pr, pi) = (xr.as_mut_ptr(), xi.as_mut_ptr());
            *y = arm::channel::<M>([ar, ai, cr, ci], pr, pi, pr, pi, u);
        }
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
    step_in_place::<M>(coef, xr, xi, u, y);
}

#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
pub(crate) mod arm {
    /// The eight instructions of one mode (module docs), registers by number; also
    /// [`crate::ssm_packed`]'s.
    macro_rules! mode {
        ($ar:literal, $ai:literal, $xr:literal, $xi:literal, $cr:literal, $ci:literal) => {
            concat!(
                "vmul.f32 s2, s",
                $ar,
                ", s",
                $xr,
                "\n",
                "vmls.f32 s2, s",
                $ai,
                ", s",
                $xi,
                "\n",
                "vmul.f32 s",
                $xi,
                ", s",
                $ar,
                ", s",
                $xi,
                "\n",
                "vmla.f32 s",
                $xi,
                ", s",
                $ai,
                ", s",
                $xr,
                "\n",
                "vadd.f32 s",
                $xr,
                ", s2, s1\n",
                "vmul.f32 s2, s",
                $cr,
                ", s",
                $xr,
                "\n",
                "vmls.f32 s2, s",
                $ci,
                ", s",
                $xi,
                "\n",
                "vadd.f32 s0, s0, s2\n",
            )
        };
    }

    pub(crate) use mode;

    /// Four modes: their operands loaded (`vldm`, pointers moved on), computed, the new state
    /// stored (`vstm`).
    macro_rules! four_modes {
        () => {
            concat!(
                "vldmia {ar}!, {{s4-s7}}\n",
                "vldmia {ai}!, {{s8-s11}}\n",
                "vldmia {xr}!, {{s12-s15}}\n",
                "vldmia {xi}!, {{s16-s19}}\n",
                "vldmia {cr}!, {{s20-s23}}\n",
                "vldmia {ci}!, {{s24-s27}}\n",
                mode!(4, 8, 12, 16, 20, 24),
                mode!(5, 9, 13, 17, 21, 25),
                mode!(6, 10, 14, 18, 22, 26),
                mode!(7, 11, 15, 19, 23, 27),
                "vstmia {or}!, {{s12-s15}}\n",
                "vstmia {oi}!, {{s16-s19}}\n",
            )
        };
    }

    /// One mode, likewise.
    macro_rules! one_mode {
        () => {
            concat!(
                "vldmia {ar}!, {{s4}}\n",
                "vldmia {ai}!, {{s8}}\n",
                "vldmia {xr}!, {{s12}}\n",
                "vldmia {xi}!, {{s16}}\n",
                "vldmia {cr}!, {{s20}}\n",
                "vldmia {ci}!, {{s24}}\n",
                mode!(4, 8, 12, 16, 20, 24),
                "vstmia {or}!, {{s12}}\n",
                "vstmia {oi}!, {{s16}}\n",
            )
        };
    }

    /// Block `k` of four modes of [`layer`], assembled when `k < M / 4`. Written out eight times
    /// rather than with `.rept`: LLVM sizes an `asm!` block by its lines when it places constant
    /// pools, and a `.rept` body counted once would put them out of reach.
    macro_rules! block4 {
        ($k:literal) => {
            concat!(".if {mq} > ", $k, "\n", four_modes!(), ".endif\n",)
        };
    }

    /// Mode `4 · (M / 4) + k` of [`layer`], assembled when `k < M % 4`.
    macro_rules! single {
        ($k:literal) => {
            concat!(".if {mr} > ", $k, "\n", one_mode!(), ".endif\n",)
        };
    }

    /// Up to this many blocks of four modes, [`layer`] runs a whole layer in one `asm!` block,
    /// each channel's modes unrolled (`M` ≤ 35: ~160 bytes of code per block); longer rows go
    /// channel by channel through [`channel`]'s loop.
    pub(crate) const UNROLL_BLOCKS: usize = 8; // the `block4!` lines of `layer`

    /// `c` channels of `M` modes (`M / 4 ≤ UNROLL_BLOCKS`): reads `c · M` floats at each of
    /// `k = [ar, ai, cr, ci]`, `xr`, `xi` and `c` at `u`; writes `c · M` at `or`, `oi` (which may
    /// be `xr`, `xi`: each block of four is read before it is written) and `c` at `y`. Per
    /// channel: `s0 = +0.0` (from `s3`, made once as `1.0 − 1.0`), `u` into `s1`, the modes
    /// unrolled, `y` stored; 5 instructions per channel beside the modes.
    #[allow(clippy::too_many_arguments)] // the operands of one asm block
    #[inline(always)]
    pub(super) fn layer<const M: usize>(
        k: [&[f32]; 4],
        xr: *const f32,
        xi: *const f32,
        or: *mut f32,
        oi: *mut f32,
        u: &[f32],
        y: &mut [f32],
        c: usize,
    ) {
        if c == 0 {
            return;
        }
        let [ar, ai, cr, ci] = k;
        // SAFETY: `c` is at most the number of whole rows of `M` floats in every one of
        // `ar, ai, cr, ci`, the slices `xr, xi, or, oi` point into, and at most `u.len()` and
        // `y.len()` (`channels`, the callers), and `c > 0`. The loop runs `c` times; each pass
        // moves every row pointer by `4 · (M / 4) + M % 4 = M` floats (`vldm`/`vstm` with
        // writeback) and `u`, `y` by one, so every access is inside those rows. `or`, `oi`
        // either equal `xr`, `xi` or do not overlap them (the borrow rules at the callers), and
        // within a block the reads come before the writes. Only the named `s` registers, the
        // pointer and counter operands and the flags are written; no stack.
        unsafe {
            core::arch::asm!(
                "vmov.f32 s3, #1.0",
                "vsub.f32 s3, s3, s3",
                "2:",
                "vmov.f32 s0, s3",
                "vldmia {u}!, {{s1}}",
                block4!(0),
                block4!(1),
                block4!(2),
                block4!(3),
                block4!(4),
                block4!(5),
                block4!(6),
                block4!(7),
                single!(0),
                single!(1),
                single!(2),
                "vstmia {y}!, {{s0}}",
                "subs {c}, {c}, #1",
                // the unrolled body can exceed a 16-bit branch's 256 bytes
                "bne.w 2b",
                ar = inout(reg) ar.as_ptr() => _,
                ai = inout(reg) ai.as_ptr() => _,
                cr = inout(reg) cr.as_ptr() => _,
                ci = inout(reg) ci.as_ptr() => _,
                xr = inout(reg) xr => _,
                xi = inout(reg) xi => _,
                or = inout(reg) or => _,
                oi = inout(reg) oi => _,
                u = inout(reg) u.as_ptr() => _,
                y = inout(reg) y.as_mut_ptr() => _,
                c = inout(reg) c => _,
                mq = const M / 4,
                mr = const M % 4,
                out("s0") _, out("s1") _, out("s2") _, out("s3") _,
                out("s4") _, out("s5") _, out("s6") _, out("s7") _, out("s8") _, out("s9") _,
                out("s10") _, out("s11") _, out("s12") _, out("s13") _, out("s14") _, out("s15") _,
                out("s16") _, out("s17") _, out("s18") _, out("s19") _, out("s20") _, out("s21") _,
                out("s22") _, out("s23") _, out("s24") _, out("s25") _, out("s26") _, out("s27") _,
                options(nostack),
            );
        }
    }

    /// One channel of `M` modes: reads `M` floats at each of `k = [ar, ai, cr, ci]`, `xr`,
    /// `xi`; writes `M` floats at `or`, `oi` (which may be `xr`, `xi`: each block of four is
    /// read before it is written); returns `y`.
    #[inline(always)]
    pub(super) fn channel<const M: usize>(
        k: [&[f32; M]; 4],
        xr: *const f32,
        xi: *const f32,
        or: *mut f32,
        oi: *mut f32,
        u: f32,
    ) -> f32 {
        let [ar, ai, cr, ci] = k;
        let y: u32;
        // SAFETY: the callers pass `xr`, `xi`, `or`, `oi` from `&[f32; M]` / `&mut [f32; M]`
        // rows (`or`, `oi` either equal to `xr`, `xi` or not overlapping them, by the borrow
        // rules). The first loop runs `M / 4` times and moves every pointer by 4 floats, the
        // second `M % 4` times by 1 (the `.if` guards skip a loop whose count is 0), so exactly
        // `M` floats are read from each input and written to each output, and a block's reads
        // (`vldm`) come before its writes (`vstm`). Only the named `s` registers, the pointer
        // and counter operands and the flags are written; no stack.
        unsafe {
            core::arch::asm!(
                "vmov s1, {u}",
                "movs {u}, #0",
                "vmov s0, {u}",
                ".if {mq}",
                "2:",
                four_modes!(),
                "subs {n}, {n}, #1",
                "bne 2b",
                ".endif",
                ".if {mr}",
                "movs {n}, #{mr}",
                "3:",
                one_mode!(),
                "subs {n}, {n}, #1",
                "bne 3b",
                ".endif",
                "vmov {u}, s0",
                ar = inout(reg) ar.as_ptr() => _,
                ai = inout(reg) ai.as_ptr() => _,
                cr = inout(reg) cr.as_ptr() => _,
                ci = inout(reg) ci.as_ptr() => _,
                xr = inout(reg) xr => _,
                xi = inout(reg) xi => _,
                or = inout(reg) or => _,
                oi = inout(reg) oi => _,
                n = inout(reg) M / 4 => _,
                mq = const M / 4,
                mr = const M % 4,
                u = inout(reg) u.to_bits() => y,
                out("s0") _, out("s1") _, out("s2") _,
                out("s4") _, out("s5") _, out("s6") _, out("s7") _, out("s8") _, out("s9") _,
                out("s10") _, out("s11") _, out("s12") _, out("s13") _, out("s14") _, out("s15") _,
                out("s16") _, out("s17") _, out("s18") _, out("s19") _, out("s20") _, out("s21") _,
                out("s22") _, out("s23") _, out("s24") _, out("s25") _, out("s26") _, out("s27") _,
                options(nostack),
            );
        }
        f32::from_bits(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;
    use std::vec::Vec;

    #[test]
    fn the_layer_asm_covers_only_whole_rows_of_every_operand() {
        // 3 rows of 4 everywhere but one short operand: the shortest decides
        assert_eq!(channels::<4>([12; 8], 3, 3), 3);
        assert_eq!(channels::<4>([12, 12, 12, 11, 12, 12, 12, 12], 3, 3), 2);
        assert_eq!(channels::<4>([12; 8], 2, 3), 2);
        assert_eq!(channels::<4>([12; 8], 3, 1), 1);
        assert_eq!(channels::<4>([3; 8], 3, 3), 0);
    }

    #[allow(clippy::needless_range_loop)] // the reference is written with indices, unlike the kernels
    fn check<const M: usize>(c: usize) {
        let mut rng = Rng::new((M * 17 + c) as u64);
        let mut v = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect() };
        let (ar, ai, xr, xi, cr, ci, u) = (v(c * M), v(c * M), v(c * M), v(c * M), v(c * M), v(c * M), v(c));
        // the expression written out, in order
        let mut want = (std::vec![0.0f32; c * M], std::vec![0.0f32; c * M], std::vec![0.0f32; c]);
        for ch in 0..c {
            let mut acc = 0.0f32;
            for m in 0..M {
                let i = ch * M + m;
                let t0 = ar[i] * xr[i];
                let t1 = ai[i] * xi[i];
                let nr = (t0 - t1) + u[ch];
                let ni = ar[i] * xi[i] + ai[i] * xr[i];
                let t = cr[i] * nr - ci[i] * ni;
                want.0[i] = nr;
                want.1[i] = ni;
                acc += t;
            }
            want.2[ch] = acc;
        }
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let mut got = (std::vec![f32::NAN; c * M], std::vec![f32::NAN; c * M], std::vec![f32::NAN; c]);
        step::<M>([&ar, &ai, &cr, &ci], &xr, &xi, &u, &mut got.0, &mut got.1, &mut got.2);
        assert_eq!((bits(&got.0), bits(&got.1), bits(&got.2)), (bits(&want.0), bits(&want.1), bits(&want.2)));
        let mut got = (std::vec![f32::NAN; c * M], std::vec![f32::NAN; c * M], std::vec![f32::NAN; c]);
        step_vfp::<M>([&ar, &ai, &cr, &ci], &xr, &xi, &u, &mut got.0, &mut got.1, &mut got.2);
        assert_eq!((bits(&got.0), bits(&got.1), bits(&got.2)), (bits(&want.0), bits(&want.1), bits(&want.2)));
        for vfp in [false, true] {
            let (mut sr, mut si, mut y) = (xr.clone(), xi.clone(), std::vec![f32::NAN; c]);
            if vfp {
                step_in_place_vfp::<M>([&ar, &ai, &cr, &ci], &mut sr, &mut si, &u, &mut y);
            } else {
                step_in_place::<M>([&ar, &ai, &cr, &ci], &mut sr, &mut si, &u, &mut y);
            }
            assert_eq!((bits(&sr), bits(&si), bits(&y)), (bits(&want.0), bits(&want.1), bits(&want.2)));
        }
    }

    #[test]
    fn every_form_computes_the_expression_in_order() {
        check::<1>(3);
        check::<3>(2);
        check::<4>(1);
        check::<7>(5);
        check::<32>(4);
        check::<33>(2);
    }
}
