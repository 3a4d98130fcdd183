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
//! four modes, six `vldm` (ar, ai, xr, xi, cr, ci), 32 arithmetic instructions, two `vstm` and
//! the loop, 10.5 instructions per mode where the portable loop needs ~17. Registers: sum
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

/// One mode, portable: `(xr', xi', term of y)`.
#[inline(always)]
fn mode(ar: f32, ai: f32, xr: f32, xi: f32, u: f32, cr: f32, ci: f32) -> (f32, f32, f32) {
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
mod arm {
    /// The eight instructions of one mode (module docs), registers by number.
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
                "vldmia {ar}!, {{s4-s7}}",
                "vldmia {ai}!, {{s8-s11}}",
                "vldmia {xr}!, {{s12-s15}}",
                "vldmia {xi}!, {{s16-s19}}",
                "vldmia {cr}!, {{s20-s23}}",
                "vldmia {ci}!, {{s24-s27}}",
                mode!(4, 8, 12, 16, 20, 24),
                mode!(5, 9, 13, 17, 21, 25),
                mode!(6, 10, 14, 18, 22, 26),
                mode!(7, 11, 15, 19, 23, 27),
                "vstmia {or}!, {{s12-s15}}",
                "vstmia {oi}!, {{s16-s19}}",
                "subs {n}, {n}, #1",
                "bne 2b",
                ".endif",
                ".if {mr}",
                "movs {n}, #{mr}",
                "3:",
                "vldmia {ar}!, {{s4}}",
                "vldmia {ai}!, {{s8}}",
                "vldmia {xr}!, {{s12}}",
                "vldmia {xi}!, {{s16}}",
                "vldmia {cr}!, {{s20}}",
                "vldmia {ci}!, {{s24}}",
                mode!(4, 8, 12, 16, 20, 24),
                "vstmia {or}!, {{s12}}",
                "vstmia {oi}!, {{s16}}",
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
