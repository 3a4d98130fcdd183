//! What the f32 kernels' Arm FPU forms share: the rule for when generated code calls them, and
//! the `asm!` text builders.
//!
//! # Why assembly
//!
//! In a matrix-vector product or an S4D state update every weight and every state value is used
//! once, so the safe-Rust kernels pay one load instruction per value: a dense layer cannot go
//! below 2 instructions per multiply-accumulate (one `vldr`, one `vmla`; `dense`'s docs). The
//! Arm FPU loads up to 16 consecutive single-precision registers with one `vldm`, but LLVM's
//! load/store optimiser only merges loads into consecutive registers and its register allocator
//! hands out `s0, s2, …` first, so it never forms them. The `*_vfp` forms (`dense_vfp`, `ssm`)
//! name the registers themselves in `core::arch::asm!`: one `vldm` per 4–16 values, 1.1–1.3
//! instructions per MAC on the Cortex-M7.
//!
//! # Same bits
//!
//! They compute exactly what the portable forms compute: `vmla.f32`/`vmls.f32` round the product
//! and then the sum (they are not fused), as Rust's `a + x * w` does, the sums run in the same
//! order, and every sum starts from `+0.0` (loaded from [`ZEROS`], never a `vmul` of the first
//! term, which would turn `0.0 + (−0.0)` into `−0.0`). On other architectures a `*_vfp` form is
//! the portable arithmetic, so host tests exercise its data flow; on Arm, `examples/firmware/
//! q8-bench` (run by `runtime-kernels/tests/q8_dsp_qemu.rs`) compares both forms on the emulated
//! Cortex-M7.
//!
//! # When
//!
//! The compiler calls them for a target listing the `fpu-sp` feature on an `eabihf` triple (a
//! Cortex-M4F/M7F/M33F: `thumbv7em-none-eabihf`, `thumbv8m.main-none-eabihf`). The assembly is
//! compiled in only under `cfg(all(target_arch = "arm", target_abi = "eabihf"))`: the hard-float
//! ABI is what guarantees the FPU and its 32 `s` registers (Arm's FPU target features are
//! unstable and hidden from `cfg` on stable Rust). Anywhere else, including the same generated
//! crate built for a soft-float Cortex-M0+ (`thumbv6m-none-eabi`), a `*_vfp` form is the portable
//! arithmetic.

/// Sixteen `+0.0`: `vldm` from here zeroes up to 16 sums in one instruction.
pub static ZEROS: [f32; 16] = [0.0; 16];

/// `vmla.f32 s<a>, s<x>, s<w>` lines (`a += x · w`, product and sum each rounded) for each pair
/// of accumulator and weight registers, all with the same `x` register.
#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
macro_rules! vmla_run {
    ([$($a:literal),*], $x:literal, [$($w:literal),*]) => {
        concat!($("vmla.f32 s", $a, ", s", $x, ", s", $w, "\n"),*)
    };
}
#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
pub(crate) use vmla_run;
