//! Kernels called by the `no_std` Rust crates that the ecgc compiler generates from ONNX models
//! for Cortex-M7 microcontrollers.
//!
//! # Conventions
//!
//! * Every tensor is `f32`. Booleans are stored as `1.0` (true) / `0.0` (false); kernels that read
//!   booleans treat any value `!= 0.0` (including NaN) as true.
//! * Tensors are row-major and contiguous unless a parameter struct gives explicit strides.
//!   Strides and offsets count elements, not bytes; a stride of 0 broadcasts, a negative stride
//!   walks backwards (offsets then point at the first element visited).
//! * Parameters come in small `pub` structs with `pub` fields so generated code can write them as
//!   `const`s (`const P7: ConvParams = ConvParams { .. };`, `const S: &[usize] = &[..];`).
//! * Buffers are supplied by the caller; nothing allocates, nothing is `unsafe` except the
//!   `asm!` blocks of the Arm DSP/FPU forms (`q8::dsp`, [`dense_vfp`], [`ssm`], [`ssm_packed`]), and no kernel
//!   panics when its documented preconditions hold (they are `debug_assert!`ed). Slices are only
//!   indexed where those preconditions keep the index in range.
//! * Results are deterministic: each kernel fixes its summation order from its parameters alone.
//! * No `f64` appears outside tests: the Cortex-M7 FPU is single precision only. [`math`] supplies
//!   the transcendental functions `core` lacks.
//! * Strided kernels merge axes that are contiguous for every operand and drop unit axes, then
//!   run a tight loop along the innermost remaining axis. Up to [`MAX_RANK`] remaining axes are
//!   walked by an odometer; more still work, through a slower per-row index computation.
//!
//! Nothing is re-exported: call kernels by their module path, e.g.
//! `ecgc_kernels::conv::conv2d`.

#![no_std]
#![deny(missing_docs)]
// `unsafe` only in `q8::dsp`, `dense_vfp`, `ssm` and `ssm_packed` (DSP and FPU instructions through `asm!`),
// allowed there alone.
#![deny(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod arena;
pub mod axis;
pub mod binary;
pub mod contract;
pub mod conv;
pub mod conv1d;
pub mod conv1d_long;
pub mod copy;
pub mod dense;
pub mod dense_vfp;
pub mod fir;
pub mod gather;
pub mod math;
pub mod pool;
pub mod q8;
pub mod quantize;
pub mod reduce;
pub mod select;
pub mod ssm;
pub mod ssm_packed;
pub mod unary;
pub mod vfp;
pub mod weights;

mod nd;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod testutil;

/// Axes (after merging contiguous axes and dropping unit axes) that strided kernels walk with
/// their fast odometer; deeper index spaces take a slower but correct path.
pub const MAX_RANK: usize = nd::MAX_RANK;
