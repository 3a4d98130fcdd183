//! What measuring needs on this machine: cargo, the target's standard library (a `rustup target`),
//! and for running, `qemu-system-arm`. Each check says what is missing and how to install it.

use std::path::PathBuf;
use std::process::Command;

/// The `cargo` to run: `$CARGO` (set when ecgc runs under cargo, e.g. in a build script), else
/// `cargo` on the PATH.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| "cargo".into())
}

/// `rustc` next to that cargo (`$RUSTC` first).
pub fn rustc() -> PathBuf {
    std::env::var_os("RUSTC").map(PathBuf::from).unwrap_or_else(|| "rustc".into())
}

/// Ok when cargo runs and the target's `core` is installed; else why not, with the fix.
pub fn check_target(triple: &str) -> Result<(), String> {
    match Command::new(cargo()).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => return Err(format!("cargo was not found (looked for '{}'); install Rust with rustup", cargo().display())),
    }
    let out = Command::new(rustc())
        .args(["--print", "target-libdir", "--target", triple])
        .output()
        .map_err(|e| format!("running '{}': {e}", rustc().display()))?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let has_core = out.status.success()
        && std::fs::read_dir(&dir)
            .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
            .unwrap_or(false);
    if has_core {
        Ok(())
    } else {
        Err(format!("the Rust target {triple} is not installed (rustup target add {triple})"))
    }
}

/// Ok when `qemu-system-arm` runs; else why not, with the fix.
pub fn check_qemu() -> Result<(), String> {
    match Command::new("qemu-system-arm").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err("qemu-system-arm is not installed (apt-get install qemu-system-arm)".into()),
    }
}
