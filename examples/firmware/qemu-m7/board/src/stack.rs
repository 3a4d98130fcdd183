//! The stack's high-water mark. cortex-m-rt's `paint-stack` feature fills the stack region
//! (`_stack_end`..`_stack_start`, all of SRAM2 in `memory.x`) with 0xCCCC_CCCC at reset; the
//! lowest word no longer painted marks the deepest the stack has been.

extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

const PAINT: u32 = 0xCCCC_CCCC;

/// Bytes of stack used so far (the whole region if the paint is gone: the stack may have overflowed).
pub fn high_water() -> usize {
    let end = core::ptr::addr_of!(_stack_end) as usize;
    let start = core::ptr::addr_of!(_stack_start) as usize;
    let mut at = end;
    // SAFETY: every word from `_stack_end` to `_stack_start` is RAM the linker reserved for the
    // stack; reading it (volatile, word-aligned) is always defined.
    while at < start && unsafe { core::ptr::read_volatile(at as *const u32) } == PAINT {
        at += 4;
    }
    start - at
}

/// Size of the stack region in bytes.
pub fn size() -> usize {
    core::ptr::addr_of!(_stack_start) as usize - core::ptr::addr_of!(_stack_end) as usize
}
