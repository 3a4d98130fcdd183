//! Copies the initial values of statics placed in DTCM (`#[link_section = ".dtcm"]`) from flash,
//! before `main`, exactly as cortex-m-rt copies `.data` (`memory.x` defines the symbols). Written in
//! assembly because it runs before RAM is initialised (cortex-m-rt's `__pre_init` hook).

core::arch::global_asm!(
    ".section .text.__pre_init,\"ax\",%progbits",
    ".global __pre_init",
    ".type __pre_init,%function",
    ".thumb_func",
    "__pre_init:",
    "    ldr r0, =__sdtcm",
    "    ldr r1, =__edtcm",
    "    ldr r2, =__sidtcm",
    "1:  cmp r0, r1",
    "    bhs 2f",
    "    ldm r2!, {{r3}}",
    "    stm r0!, {{r3}}",
    "    b 1b",
    "2:  bx lr",
    ".size __pre_init, . - __pre_init",
);

/// A non-zero value in DTCM: QEMU's RAM starts zeroed, so only a value that is not zero shows
/// that the copy above ran (the models' statics there are all zeros at reset).
#[link_section = ".dtcm"]
static CANARY: u32 = 0x5EED_F746;

/// True if `.dtcm` holds its initial values (checked by [`crate::exit`]).
pub fn initialised() -> bool {
    // SAFETY: reads a `static` through a valid reference; volatile so the value is read from DTCM
    // rather than folded from the initializer at compile time.
    unsafe { core::ptr::read_volatile(&CANARY) == 0x5EED_F746 }
}
