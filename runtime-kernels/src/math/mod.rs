//! Single-precision math functions, in pure `f32` (no `f64` anywhere: the Cortex-M7's FPU is
//! single precision only, and `core` offers none of these on `no_std`).
//!
//! # Provenance
//!
//! Most algorithms are ports of the `f32` routines of the `libm` crate
//! (<https://github.com/rust-lang/libm>, MIT), which are themselves ports of musl and FreeBSD msun
//! (Copyright (C) 1993 by Sun Microsystems, Inc.; "Permission to use, copy, modify, and distribute
//! this software is freely granted, provided that this notice is preserved."):
//! `expf`, `expm1f`, `logf`, `log1pf`, `erff`, `erfcf`, `powf`, `scalbnf` (FreeBSD msun),
//! `sqrtf` (musl's integer Goldschmidt square root, via `libm`'s generic version), the rounding
//! functions and `fmodf` (musl-style bit manipulation, `fmodf` rewritten with an exact integer
//! remainder). `sinf`/`cosf` are the exception because musl's use `f64`: see `math/trig.rs` for their
//! recipe (Cephes polynomials, ARM optimized-routines' integer Payne-Hanek reduction).
//! `tanhf`, `sigmoidf` (on `exp_nonpositive`, a branch-free `e^x` for `x <= 0`), `softplusf` and
//! `gelu_exact` are written here.
//!
//! # Accuracy
//!
//! Max error in ulp (distance in representable `f32` values) against the host's `f32` functions
//! (glibc), measured by `math::tests::exhaustive` over **all 2^32 inputs** for the one-argument
//! functions marked *all*; the others over edge cases (`0`, `-0`, `±inf`, NaN, huge, subnormal),
//! every 2^15-th bit pattern and 100 000 uniform samples (`powf`: ~800 000 argument pairs):
//!
//! | function | max ulp | | function | max ulp |
//! |---|---|---|---|---|
//! | `sqrtf` (all) | 0 (correctly rounded) | | `floorf`/`ceilf`/`roundf`/`rintf` (all) | 0 (exact) |
//! | `expf` (all) | 1 | | `expm1f` (all) | 1 |
//! | `exp_nonpositive` (all `x <= 0`) | 1 | | | |
//! | `logf` (all) | 1 | | `log1pf` (all) | 1 |
//! | `tanhf` (all) | 3 | | `powf` | 1 |
//! | `sinf` (all) | 2 | | `cosf` (all) | 2 |
//! | `erff` (all) | 1 | | `erfcf` | 3 |
//! | `sigmoidf` (all) | 3 | | `softplusf` (all) | 2 |
//! | `gelu_exact` | 5 (3 on `\|x\| < 1`) | | `truncf`/`fabsf`/`fmodf`/`fmaxf`/`fminf` | 0 (exact) |
//!
//! `erf`, `erfc`, `sigmoid`, `softplus` and `gelu` have no `f32` version in `std`; they are checked
//! against a test-only double-precision reference (the only `f64` in the crate: test code, built
//! for the host only).
//!
//! Special values follow C99 Annex F (e.g. `powf(x, 0) = 1`, `logf(-1) = NaN`,
//! `sqrtf(-0) = -0`). None of these functions panic.

#![allow(clippy::excessive_precision, clippy::approx_constant)]

mod erf;
mod exp;
mod hyper;
mod log;
mod pow;
mod round;
mod sqrt;
mod trig;

pub use erf::{erfcf, erff, gelu_exact};
pub use exp::{exp_nonpositive, expf, expm1f, scalbnf};
pub use hyper::{sigmoidf, softplusf, tanhf};
pub use log::{log1pf, logf};
pub use pow::powf;
pub use round::{ceilf, fabsf, floorf, fmaxf, fminf, fmodf, rintf, roundf, truncf};
pub use sqrt::sqrtf;
pub use trig::{cosf, sinf};

#[cfg(test)]
mod tests;
