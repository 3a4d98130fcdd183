//! Fuzz target: arbitrary bytes as an ONNX model file → the ecgc library's full in-memory compile
//! (see `../entry.rs`). Run: `cargo +nightly fuzz run compile_onnx` (flags in ../README.md).
#![no_main]

#[path = "../entry.rs"]
mod entry;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = entry::compile(data);
});
