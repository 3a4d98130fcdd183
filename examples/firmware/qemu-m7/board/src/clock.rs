//! Exact instruction counts on QEMU's `mps2-an500`. DWT CYCCNT does not count under QEMU, but with
//! `-icount shift=8` every instruction takes 2^8 ns of virtual time and the CMSDK APB timer 0
//! (0x4000_0000, clocked at 25 MHz) ticks 6.4 times per instruction: 32 ticks per 5 instructions
//! (measured: a 200,000-instruction loop takes 1,279,981 ticks; counts agree to ~3 instructions
//! and repeat exactly from run to run).
//! [`calibrate`] checks that ratio on a loop of known length; `compiler/tests/firmware_qemu.rs`
//! fails if it does not hold.

use core::ptr::{read_volatile, write_volatile};

const TIMER0: usize = 0x4000_0000;
const CTRL: *mut u32 = TIMER0 as *mut u32;
const VALUE: *mut u32 = (TIMER0 + 0x04) as *mut u32;
const RELOAD: *mut u32 = (TIMER0 + 0x08) as *mut u32;
const INTSTATUS: *mut u32 = (TIMER0 + 0x0C) as *mut u32;

/// Timer ticks per [`INSTRUCTIONS_PER`] instructions.
pub const TICKS_PER: u64 = 32;
/// See [`TICKS_PER`].
pub const INSTRUCTIONS_PER: u64 = 5;

fn start() -> u32 {
    // SAFETY: TIMER0 is the CMSDK APB timer's register block on mps2-an500; these are plain
    // 32-bit device registers and nothing else in the program touches them.
    unsafe {
        write_volatile(CTRL, 0);
        write_volatile(RELOAD, u32::MAX);
        write_volatile(VALUE, u32::MAX);
        write_volatile(INTSTATUS, 1);
        write_volatile(CTRL, 1);
        read_volatile(VALUE)
    }
}

fn stop(begin: u32) -> Option<u64> {
    // SAFETY: as in `start`.
    let (now, wrapped) = unsafe { (read_volatile(VALUE), read_volatile(INTSTATUS) & 1 != 0) };
    (!wrapped).then(|| u64::from(begin - now))
}

/// Timer ticks spent in `f` (the timer counts down from 2^32 − 1), or `None` if it wrapped
/// (more than 2^32 ticks ≈ 671 million instructions).
pub fn ticks<R>(f: impl FnOnce() -> R) -> (R, Option<u64>) {
    let begin = start();
    let r = f();
    (r, stop(begin))
}

/// Instructions executed by `f`, less the constant cost of reading the timer (measured on an
/// empty closure), or `None` if the timer wrapped.
pub fn count_instructions<R>(f: impl FnOnce() -> R) -> (R, Option<u64>) {
    let (_, empty) = ticks(|| ());
    let (r, t) = ticks(f);
    let n = match (t, empty) {
        (Some(t), Some(e)) => Some(t.saturating_sub(e) * INSTRUCTIONS_PER / TICKS_PER),
        _ => None,
    };
    (r, n)
}

/// Ticks taken by `2 * n` instructions: a loop of `1000 + n` iterations (`subs`, `bne`: two
/// instructions each) less a loop of 1000, so that the call and the timer reads cancel out.
pub fn calibrate(n: u32) -> Option<u64> {
    let (_, base) = ticks(|| spin(core::hint::black_box(1000)));
    let (_, more) = ticks(|| spin(core::hint::black_box(1000 + n)));
    more?.checked_sub(base?)
}

#[inline(never)]
fn spin(n: u32) {
    // SAFETY: a register-only countdown loop; it touches no memory.
    unsafe {
        core::arch::asm!("2:", "subs {0}, {0}, #1", "bne 2b", inout(reg) n => _, options(nomem, nostack));
    }
}
