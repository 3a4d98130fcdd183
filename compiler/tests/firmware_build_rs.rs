//! `examples/firmware/build-rs/`: a firmware whose `build.rs` compiles its model with
//! `Compiler::module_out(OUT_DIR)` and `include!`s it. Built for thumbv7em-none-eabihf (the linked
//! ELF must exist and hold `Model::run`'s code), then built again with a flash budget smaller
//! than the model's weights: the build must fail and show ecgc's budget breakdown.
//!
//! Building ecgc (and tract) as a build-dependency is slow the first time; the target directory
//! is shared between runs (`target/firmware-build-rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf()
}

fn build(env: &[(&str, &str)]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", "thumbv7em-none-eabihf"])
        .current_dir(repo().join("examples/firmware/build-rs"))
        .env("CARGO_TARGET_DIR", repo().join("target/firmware-build-rs"))
        .env_remove("RUSTFLAGS")
        .env_remove("ECGC_EXAMPLE_MAX_FLASH")
        .env_remove("ECGC_EXAMPLE_MAX_RAM");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("runs cargo")
}

#[test]
fn build_rs_firmware_builds_and_fails_over_budget() {
    let ok = build(&[]);
    let log = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "the firmware builds:\n{log}");
    let elf = repo().join("target/firmware-build-rs/thumbv7em-none-eabihf/release/ecgc-example-build-rs");
    let bytes = std::fs::read(&elf).expect("the firmware ELF exists");
    assert!(bytes.starts_with(b"\x7fELF"), "{} is an ELF", elf.display());
    let nm =
        ["arm-none-eabi-nm", "llvm-nm"].into_iter().find_map(|t| Command::new(t).arg("-C").arg(&elf).output().ok());
    if let Some(nm) = nm.filter(|o| o.status.success()) {
        let syms = String::from_utf8_lossy(&nm.stdout);
        assert!(syms.contains("Reset"), "cortex-m-rt's reset handler is linked");
        assert!(syms.contains("W_FEATURES"), "the model's weights are linked:\n{syms}");
    }

    // 1 KiB of flash for a model with 3.8 KiB of weights: the build fails, with the breakdown.
    let over = build(&[("ECGC_EXAMPLE_MAX_FLASH", "1024")]);
    let log = String::from_utf8_lossy(&over.stderr);
    assert!(!over.status.success(), "an over-budget model must fail the build:\n{log}");
    assert!(log.contains("over budget") || log.contains("budget"), "{log}");
    assert!(log.contains("flash:") && log.contains("largest weights"), "the breakdown is shown:\n{log}");
}
