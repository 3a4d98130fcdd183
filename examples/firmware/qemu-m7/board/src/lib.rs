//! Board support for running generated models on QEMU's `mps2-an500` (a Cortex-M7) with the
//! STM32F746's memory map (`memory.x`): semihosting file input and hex output ([`io`]), exact
//! instruction counts from the CMSDK timer under `-icount` ([`clock`]), the stack's high-water
//! mark ([`stack`]), and the copy of `.dtcm` statics at reset ([`dtcm`]).
//!
//! Every line the firmware prints for a test starts with `ecgc-fw `; `compiler/tests/firmware_qemu.rs`
//! parses them.

#![no_std]

pub mod clock;
pub mod dtcm;
pub mod io;
pub mod stack;

pub use clock::count_instructions;
pub use io::{exit, print_f32, read_f32, report, Error};

/// Halts on panic, telling the host (semihosting exit with failure status). No panic is expected:
/// the generated code has no panicking path.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    io::line(format_args!("panic {info}"));
    exit(false)
}
