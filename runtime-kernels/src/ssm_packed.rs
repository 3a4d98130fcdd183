//! The S4D step of [`crate::ssm`] with its four constant coefficient tables interleaved at
//! compile time, so that the Arm FPU loads a block's sixteen coefficients with one `vldm`
//! instead of four: 37 instructions per four modes instead of 40 (9.25 per mode), same bits.
//!
//! # Layout
//!
//! Per channel, `M` *quads* of four floats (`[[f32; 4]; M]`): for each block of four modes
//! `4j … 4j + 3` (`j < M / 4`), quads `4j`, `4j + 1`, `4j + 2`, `4j + 3` hold the block's `ar`,
//! `ai`, `cr` and `ci` (four modes each); each remaining mode `m ≥ 4 · (M / 4)` has quad `m` =
//! `[ar, ai, cr, ci]`. [`pack`] builds it (the compiler writes the same layout into the
//! generated crate's static, `back/ops/ssm.rs`).
//!
//! The arithmetic and its order are [`crate::ssm`]'s (modes in order, sums from `+0.0`), so
//! every form here gives the bits of [`crate::ssm::step`] on the unpacked coefficients. The
//! `_vfp` forms use the Arm FPU registers as [`crate::ssm`] does, with `ar` `s4–s7`, `ai`
//! `s8–s11`, `cr` `s12–s15`, `ci` `s16–s19` (one `vldm`), `xr` `s20–s23`, `xi` `s24–s27`; a
//! remaining mode loads `[ar, ai, cr, ci]` into `s4–s7`.
#![allow(unsafe_code)]

use crate::ssm::mode;

/// Interleaves unpacked coefficients (`C` rows of `M` each, `[ar, ai, cr, ci]`) into `out` (`C`
/// rows of `M` quads; module docs). Rows past the shortest operand are left alone.
pub fn pack<const M: usize>(coef: [&[f32]; 4], out: &mut [[[f32; 4]; M]]) {
    let [ar, ai, cr, ci] = coef.map(|c| c.as_chunks::<M>().0);
    for ((((q, ar), ai), cr), ci) in out.iter_mut().zip(ar).zip(ai).zip(cr).zip(ci) {
        for (m, row) in q.iter_mut().enumerate() {
            *row = if m < 4 * (M / 4) {
                let (b, src) = (m - m % 4, [ar, ai, cr, ci][m % 4]);
                core::array::from_fn(|k| src[b + k])
            } else {
                [ar[m], ai[m], cr[m], ci[m]]
            };
        }
    }
}

/// One channel in place, portable: the state rows `xr`, `xi` become the next state; returns `y`.
#[inline(always)]
fn channel<const M: usize>(q: &[[f32; 4]; M], xr: &mut [f32; M], xi: &mut [f32; M], u: f32) -> f32 {
    let mut acc = 0.0f32;
    let (blocks, tail) = q.as_chunks::<4>();
    let (xr4, xr1) = xr.as_chunks_mut::<4>();
    let (xi4, xi1) = xi.as_chunks_mut::<4>();
    for (([ar, ai, cr, ci], xr), xi) in blocks.iter().zip(xr4).zip(xi4) {
        for j in 0..4 {
            let t;
            (xr[j], xi[j], t) = mode(ar[j], ai[j], xr[j], xi[j], u, cr[j], ci[j]);
            acc += t;
        }
    }
    for ((&[ar, ai, cr, ci], xr), xi) in tail.iter().zip(xr1).zip(xi1) {
        let t;
        (*xr, *xi, t) = mode(ar, ai, *xr, *xi, u, cr, ci);
        acc += t;
    }
    acc
}

/// [`crate::ssm::step_in_place`] on packed coefficients (portable).
pub fn step_in_place<const M: usize>(coef: &[[[f32; 4]; M]], xr: &mut [f32], xi: &mut [f32], u: &[f32], y: &mut [f32]) {
    let rows = coef.iter().zip(xr.as_chunks_mut::<M>().0).zip(xi.as_chunks_mut::<M>().0);
    for ((((q, xr), xi), &u), y) in rows.zip(u).zip(y.iter_mut()) {
        *y = channel::<M>(q, xr, xi, u);
    }
}

/// [`crate::ssm::step`] on packed coefficients (portable): the new state is written to
/// `xr_out`/`xi_out` (copied from `xr`/`xi`, then updated there).
pub fn step<const M: usize>(
    coef: &[[[f32; 4]; M]],
    xr: &[f32],
    xi: &[f32],
    u: &[f32],
    xr_out: &mut [f32],
    xi_out: &mut [f32],
    y: &mut [f32],
) {
    copy(xr, xr_out);
    copy(xi, xi_out);
    step_in_place::<M>(coef, xr_out, xi_out, u, y);
}

fn copy(from: &[f32], to: &mut [f32]) {
    for (t, &f) in to.iter_mut().zip(from) {
        *t = f;
    }
}

/// Channels every operand has rows for.
#[cfg(any(test, all(target_arch = "arm", target_abi = "eabihf")))]
fn channels<const M: usize>(coef: usize, rows: [usize; 4], u: usize, y: usize) -> usize {
    rows.iter().map(|&n| n / M.max(1)).fold(coef.min(u).min(y), usize::min)
}

/// [`step_in_place`] with `vldm` (module docs); the portable arithmetic off Arm.
pub fn step_in_place_vfp<const M: usize>(
    coef: &[[[f32; 4]; M]],
    xr: &mut [f32],
    xi: &mut [f32],
    u: &[f32],
    y: &mut [f32],
) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    {
        let c = channels::<M>(coef.len(), [xr.len(), xi.len(), xr.len(), xi.len()], u.len(), y.len());
        let (pr, pi) = (xr.as_mut_ptr(), xi.as_mut_ptr());
        arm::layer::<M>(coef, pr, pi, pr, pi, u, y, c);
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
    step_in_place::<M>(coef, xr, xi, u, y);
}

/// [`step`] with `vldm` (module docs); the portable arithmetic off Arm.
pub fn step_vfp<const M: usize>(
    coef: &[[[f32; 4]; M]],
    xr: &[f32],
    xi: &[f32],
    u: &[f32],
    xr_out: &mut [f32],
    xi_out: &mut [f32],
    y: &mut [f32],
) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    {
        let c = channels::<M>(coef.len(), [xr.len(), xi.len(), xr_out.len(), xi_out.len()], u.len(), y.len());
        let (or, oi) = (xr_out.as_mut_ptr(), xi_out.as_mut_ptr());
        arm::layer::<M>(coef, xr.as_ptr(), xi.as_ptr(), or, oi, u, y, c);
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
    step::<M>(coef, xr, xi, u, xr_out, xi_out, y);
}

#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
mod arm {
    use crate::ssm::arm::mode;

    /// Four modes: coefficients (one `vldm`), state, the eight instructions each, the new state.
    macro_rules! four_modes {
        () => {
            concat!(
                "vldmia {k}!, {{s4-s19}}\n",
                "vldmia {xr}!, {{s20-s23}}\n",
                "vldmia {xi}!, {{s24-s27}}\n",
                mode!(4, 8, 20, 24, 12, 16),
                mode!(5, 9, 21, 25, 13, 17),
                mode!(6, 10, 22, 26, 14, 18),
                mode!(7, 11, 23, 27, 15, 19),
                "vstmia {or}!, {{s20-s23}}\n",
                "vstmia {oi}!, {{s24-s27}}\n",
            )
        };
    }

    /// One remaining mode: its quad `[ar, ai, cr, ci]` into `s4–s7`.
    macro_rules! one_mode {
        () => {
            concat!(
                "vldmia {k}!, {{s4-s7}}\n",
                "vldmia {xr}!, {{s20}}\n",
                "vldmia {xi}!, {{s24}}\n",
                mode!(4, 5, 20, 24, 6, 7),
                "vstmia {or}!, {{s20}}\n",
                "vstmia {oi}!, {{s24}}\n",
            )
        };
    }

    /// Block `k` of four modes of a channel, assembled when `k < M / 4` (written out, not
    /// `.rept`: `crate::ssm`'s `block4!` says why).
    macro_rules! block4 {
        ($k:literal) => {
            concat!(".if {mq} > ", $k, "\n", four_modes!(), ".endif\n",)
        };
    }

    /// Remaining mode `k`, assembled when `k < M % 4`.
    macro_rules! single {
        ($k:literal) => {
            concat!(".if {mr} > ", $k, "\n", one_mode!(), ".endif\n",)
        };
    }

    /// `c` channels of `M` modes: reads `c` rows of `M` quads at `k`, `c · M` floats at `xr`,
    /// `xi` and `c` at `u`; writes `c · M` at `or`, `oi` (which may be `xr`, `xi`: each block is
    /// read before it is written) and `c` at `y`. Rows of up to 35 modes run unrolled (as
    /// `crate::ssm`'s whole-layer block: `s0 = +0.0`, `u` into `s1`, the modes, `y` stored);
    /// longer ones loop over their blocks.
    #[allow(clippy::too_many_arguments)] // the operands of one asm block
    #[inline(always)]
    pub(super) fn layer<const M: usize>(
        k: &[[[f32; 4]; M]],
        xr: *const f32,
        xi: *const f32,
        or: *mut f32,
        oi: *mut f32,
        u: &[f32],
        y: &mut [f32],
        c: usize,
    ) {
        if c == 0 || M == 0 {
            return;
        }
        // SAFETY: `c > 0` is at most `k.len()`, `u.len()`, `y.len()` and the number of whole
        // rows of `M` floats behind `xr, xi, or, oi` (`channels`, the callers). Each pass of
        // the outer loop moves `k` by `M` quads (`4 · (M / 4)` blocks of 16 floats + `M % 4`
        // quads, `vldm` with writeback), the state pointers by `4 · (M / 4) + M % 4 = M`
        // floats and `u`, `y` by one, so every access is inside those rows. `or`, `oi` either
        // equal `xr`, `xi` or do not overlap them (the borrow rules at the callers), and within
        // a block the reads come before the writes. Only the named `s` registers, the pointer
        // and counter operands and the flags are written; no stack.
        if M / 4 <= crate::ssm::arm::UNROLL_BLOCKS {
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
                    k = inout(reg) k.as_ptr() => _,
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
        } else {
            unsafe {
                core::arch::asm!(
                    "vmov.f32 s3, #1.0",
                    "vsub.f32 s3, s3, s3",
                    "2:",
                    "vmov.f32 s0, s3",
                    "vldmia {u}!, {{s1}}",
                    "movw {n}, #{mq}",
                    "3:",
                    four_modes!(),
                    "subs {n}, {n}, #1",
                    "bne 3b",
                    ".if {mr}",
                    "movs {n}, #{mr}",
                    "4:",
                    one_mode!(),
                    "subs {n}, {n}, #1",
                    "bne 4b",
                    ".endif",
                    "vstmia {y}!, {{s0}}",
                    "subs {c}, {c}, #1",
                    "bne 2b",
                    k = inout(reg) k.as_ptr() => _,
                    xr = inout(reg) xr => _,
                    xi = inout(reg) xi => _,
                    or = inout(reg) or => _,
                    oi = inout(reg) oi => _,
                    u = inout(reg) u.as_ptr() => _,
                    y = inout(reg) y.as_mut_ptr() => _,
                    c = inout(reg) c => _,
                    n = out(reg) _,
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;
    use std::vec::Vec;

    fn check<const M: usize>(c: usize) {
        let mut rng = Rng::new((M * 31 + c) as u64);
        let mut v = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect() };
        let (ar, ai, xr, xi, cr, ci, u) = (v(c * M), v(c * M), v(c * M), v(c * M), v(c * M), v(c * M), v(c));
        let coef = [&ar[..], &ai[..], &cr[..], &ci[..]];
        let mut q = std::vec![[[f32::NAN; 4]; M]; c];
        pack::<M>(coef, &mut q);
        let mut want = (std::vec![0.0f32; c * M], std::vec![0.0f32; c * M], std::vec![0.0f32; c]);
        crate::ssm::step::<M>(coef, &xr, &xi, &u, &mut want.0, &mut want.1, &mut want.2);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let want = (bits(&want.0), bits(&want.1), bits(&want.2));
        for vfp in [false, true] {
            let mut got = (std::vec![f32::NAN; c * M], std::vec![f32::NAN; c * M], std::vec![f32::NAN; c]);
            let (o0, o1, o2) = (&mut got.0, &mut got.1, &mut got.2);
            if vfp {
                step_vfp::<M>(&q, &xr, &xi, &u, o0, o1, o2)
            } else {
                step::<M>(&q, &xr, &xi, &u, o0, o1, o2)
            }
            assert_eq!((bits(&got.0), bits(&got.1), bits(&got.2)), want, "M {M}, out of place, vfp {vfp}");
            let (mut sr, mut si, mut y) = (xr.clone(), xi.clone(), std::vec![f32::NAN; c]);
            if vfp {
                step_in_place_vfp::<M>(&q, &mut sr, &mut si, &u, &mut y);
            } else {
                step_in_place::<M>(&q, &mut sr, &mut si, &u, &mut y);
            }
            assert_eq!((bits(&sr), bits(&si), bits(&y)), want, "M {M}, in place, vfp {vfp}");
        }
    }

    #[test]
    fn packed_forms_give_the_unpacked_bits() {
        check::<1>(3);
        check::<3>(2);
        check::<4>(1);
        check::<7>(5);
        check::<32>(4);
        check::<35>(2);
        check::<37>(2);
    }

    #[test]
    fn pack_interleaves_blocks_and_quads_the_rest() {
        let v: Vec<f32> = (0..12).map(|i| i as f32).collect(); // one row of 6 modes per table
        let (ar, ai, cr, ci) = (&v[0..6], &v[6..12], &v[0..6], &v[6..12]);
        let mut q = [[[0.0; 4]; 6]; 1];
        pack::<6>([ar, ai, cr, ci], &mut q);
        assert_eq!(q[0][0], [0.0, 1.0, 2.0, 3.0]); // ar of modes 0..4
        assert_eq!(q[0][1], [6.0, 7.0, 8.0, 9.0]); // ai
        assert_eq!(q[0][2], [0.0, 1.0, 2.0, 3.0]); // cr
        assert_eq!(q[0][3], [6.0, 7.0, 8.0, 9.0]); // ci
        assert_eq!(q[0][4], [4.0, 10.0, 4.0, 10.0]); // mode 4: [ar, ai, cr, ci]
        assert_eq!(q[0][5], [5.0, 11.0, 5.0, 11.0]);
        assert_eq!(channels::<6>(1, [6; 4], 1, 1), 1);
        assert_eq!(channels::<6>(1, [5, 6, 6, 6], 1, 1), 0);
    }
}
