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
