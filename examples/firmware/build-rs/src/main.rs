//! The smallest firmware around a model compiled by its own build script: the model lives in a
//! `static` (zeroed `.bss`, no flash copy), shared through a critical-section mutex.

#![no_std]
#![no_main]

use core::cell::RefCell;
use cortex_m::interrupt::Mutex;
use cortex_m_rt::entry;

/// The model, generated into OUT_DIR by build.rs.
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
mod model {
    include!(concat!(env!("OUT_DIR"), "/model.rs"));
}

static MODEL: Mutex<RefCell<model::Model>> = Mutex::new(RefCell::new(model::Model::new()));

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        cortex_m::asm::nop();
    }
}

#[entry]
fn main() -> ! {
    // A stand-in beat: a narrow spike on a flat line.
    let mut beat = [0.0f32; model::INPUT_LEN];
    beat[model::INPUT_LEN / 2] = 1.0;
    let mut out = [0.0f32; model::OUTPUT_LEN];
    loop {
        cortex_m::interrupt::free(|cs| MODEL.borrow(cs).borrow_mut().run(&beat, &mut out));
        core::hint::black_box(&out);
        beat = core::hint::black_box(beat);
    }
}
