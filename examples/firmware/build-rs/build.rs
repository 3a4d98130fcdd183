//! Compiles the ECG classifier into `OUT_DIR/model.rs` (+ `OUT_DIR/model_weights/`) for
//! `include!` in `src/main.rs`, and hands cortex-m-rt the STM32F746 memory map.
//!
//! The model must fit the target: when it does not, the build fails with ecgc's budget breakdown.
//! `ECGC_EXAMPLE_MAX_FLASH` / `ECGC_EXAMPLE_MAX_RAM` (bytes) lower the budgets below the target's,
//! which is how a firmware reserves room for the rest of its code (the repository's tests use it
//! to show the failure).

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/ecg-cnn/model.onnx");
    println!("cargo:rerun-if-changed={}", model.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-env-changed=ECGC_EXAMPLE_MAX_FLASH");
    println!("cargo:rerun-if-env-changed=ECGC_EXAMPLE_MAX_RAM");

    // No measurement build from inside a build script: this firmware's own link (memory.x has the
    // F746's real sizes) is the measurement. The budgets below are checked on ecgc's estimate.
    let mut compiler = ecgc::Compiler::new(&model).target("stm32f746").module_out(&out).measure(false);
    let budget = |var: &str| std::env::var(var).ok().map(|v| v.parse::<u64>().expect("a byte count"));
    if let Some(b) = budget("ECGC_EXAMPLE_MAX_FLASH") {
        compiler = compiler.max_flash(b);
    }
    if let Some(b) = budget("ECGC_EXAMPLE_MAX_RAM") {
        compiler = compiler.max_ram(b);
    }
    if let Err(e) = compiler.compile() {
        eprintln!("ecgc could not compile {}:\n{e}", model.display());
        std::process::exit(1);
    }

    // cortex-m-rt's link.x includes memory.x from the linker search path.
    std::fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
