//! Bare-metal runtime for QEMU's mps2-an500 (no registry crates): vector table, reset (FPU on,
//! `.bss` zeroed, `.data` copied), semihosting output and exit, and the instruction counter.
//!
//! Instruction counts use the repo's method (`compiler/src/measure/qemu.rs`): under
//! `-icount shift=8,sleep=off` each instruction advances virtual time by 256 ns, and the CMSDK APB
//! timer 0 (25 MHz) ticks 6.4 times per instruction, so a timer difference divided by 6.4 is an
//! exact instruction count. The firmware prints a calibration loop of [`CALIBRATION`]
//! instructions so the reader can check the rate.

use core::ptr::{read_volatile, write_volatile};

core::arch::global_asm!(
    r#"
    .section .text.Reset, "ax", %progbits
    .global Reset
    .type Reset, %function
    .thumb_func
Reset:
    ldr r0, =0xE000ED88
    ldr r1, [r0]
    orr r1, r1, #0xF00000
    str r1, [r0]
    dsb
    isb
    ldr r0, =__sbss
    ldr r1, =__ebss
    movs r2, #0
0:  cmp r0, r1
    bhs 1f
    str r2, [r0]
    adds r0, r0, #4
    b 0b
1:  ldr r0, =__sdata
    ldr r1, =__edata
    ldr r2, =__sidata
2:  cmp r0, r1
    bhs 3f
    ldr r3, [r2]
    str r3, [r0]
    adds r0, r0, #4
    adds r2, r2, #4
    b 2b
3:  bl q8_main
4:  b 4b
    .pool
"#
);

extern "C" {
    fn Reset();
}

extern "C" fn fault() {
    print(b"q8-fault\n");
    exit(false)
}

/// Reset and the 14 system exceptions (the initial stack pointer comes first, from link.x).
#[link_section = ".vector_table"]
#[no_mangle]
#[used]
static VECTORS: [Option<unsafe extern "C" fn()>; 15] = [
    Some(Reset),
    Some(fault),
    Some(fault),
    Some(fault),
    Some(fault),
    Some(fault),
    None,
    None,
    None,
    None,
    Some(fault),
    Some(fault),
    None,
    Some(fault),
    Some(fault),
];

fn semihost(op: usize, arg: usize) {
    // SAFETY: the semihosting trap; QEMU reads r0/r1 and the NUL-terminated buffer r1 points at.
    unsafe { core::arch::asm!("bkpt 0xAB", inout("r0") op => _, in("r1") arg, options(nostack)) };
}

/// Writes `s` (without NUL) through SYS_WRITE0, in pieces of a NUL-terminated buffer.
pub fn print(s: &[u8]) {
    let mut buf = [0u8; 129];
    for piece in s.chunks(128) {
        buf[..piece.len()].copy_from_slice(piece);
        buf[piece.len()] = 0;
        semihost(0x04, buf.as_ptr() as usize);
    }
}

/// SYS_EXIT: QEMU exits 0 (`ok`) or 1.
pub fn exit(ok: bool) -> ! {
    semihost(0x18, if ok { 0x20026 } else { 0x20023 });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// A line being assembled for [`print`].
pub struct Line {
    buf: [u8; 160],
    at: usize,
}

impl Line {
    pub fn new(s: &str) -> Line {
        let mut l = Line { buf: [0; 160], at: 0 };
        l.s(s);
        l
    }
    pub fn s(&mut self, s: &str) -> &mut Line {
        for &c in s.as_bytes() {
            if self.at < self.buf.len() {
                self.buf[self.at] = c;
                self.at += 1;
            }
        }
        self
    }
    pub fn n(&mut self, mut n: u32) -> &mut Line {
        let mut d = [0u8; 10];
        let mut i = d.len();
        loop {
            i -= 1;
            d[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &c in &d[i..] {
            if self.at < self.buf.len() {
                self.buf[self.at] = c;
                self.at += 1;
            }
        }
        self
    }
    pub fn end(&mut self) {
        self.s("\n");
        print(&self.buf[..self.at]);
    }
}

/// CMSDK APB timer 0 of mps2-an500 (25 MHz, counts down).
const TIMER: usize = 0x4000_0000;

pub fn timer_start() {
    // SAFETY: the timer's RELOAD, VALUE and CTRL registers (memory-mapped I/O of the machine).
    unsafe {
        write_volatile((TIMER + 8) as *mut u32, u32::MAX);
        write_volatile((TIMER + 4) as *mut u32, u32::MAX);
        write_volatile(TIMER as *mut u32, 1);
    }
}

#[inline(always)]
pub fn now() -> u32 {
    // SAFETY: the timer's VALUE register.
    unsafe { read_volatile((TIMER + 4) as *const u32) }
}

/// Instructions of the calibration loop.
pub const CALIBRATION: u32 = 20_000;

/// [`CALIBRATION`] instructions exactly (`subs`, `bne` pairs).
#[inline(always)]
pub fn calibrate() {
    // SAFETY: a register-only countdown loop.
    unsafe {
        core::arch::asm!("2: subs {0}, {0}, #1", "bne 2b", inout(reg) CALIBRATION / 2 => _, options(nomem, nostack));
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    print(b"q8-panic\n");
    exit(false)
}
