//! Writes the generated crate and the firmware into a measurement directory and builds them with
//! one quiet `cargo build` in a cached target directory.
//!
//! Layout of the directory: `<dir>/target/` (shared by every build, so the kernel crate and
//! unchanged models are not rebuilt), `<dir>/<target>-o<opt>-<layout>/<crate>/model/` (the generated
//! crate), `.../fw/` (the firmware) and `.../link.x`. Files are rewritten only when their
//! bytes change, so cargo's freshness checks keep working.

use crate::back::GeneratedCrate;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes `bytes` to `path` unless it already holds exactly them.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(Error::io(format!("creating '{}'", p.display())))?;
    }
    std::fs::write(path, bytes).map_err(Error::io(format!("writing '{}'", path.display())))
}

/// Writes the crate's files under `dir`, removing files an earlier version had and this one has not.
pub fn write_crate(krate: &GeneratedCrate, dir: &Path) -> Result<()> {
    for (rel, bytes) in &krate.files {
        write_if_changed(&dir.join(rel), bytes)?;
    }
    remove_stale(dir, dir, krate)
}

fn remove_stale(root: &Path, dir: &Path, krate: &GeneratedCrate) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            remove_stale(root, &p, krate)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            if !krate.files.contains_key(rel) && rel != Path::new("Cargo.lock") {
                std::fs::remove_file(&p).map_err(Error::io(format!("removing '{}'", p.display())))?;
            }
        }
    }
    Ok(())
}

/// `cargo build --release --target <triple>` of the firmware at `fw` linked with `link_x`;
/// returns the path of the ELF, the binary `bin`.
pub fn build(fw: &Path, target_dir: &Path, triple: &str, link_x: &Path, bin: &str) -> Result<PathBuf> {
    let mut c = Command::new(super::toolchain::cargo());
    c.args(["build", "--release", "--quiet", "--target", triple, "--manifest-path"])
        .arg(fw.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        // Our flags only: a user's RUSTFLAGS (say `-C target-cpu=native`) must not leak into the
        // cross build, and `-C target-cpu=cortex-m7` is never used (PRODUCT.md).
        .env("CARGO_ENCODED_RUSTFLAGS", format!("-Clink-arg=-T{}", link_x.display()))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_PROFILE_") || (k.starts_with("CARGO_TARGET_") && k.ends_with("_RUSTFLAGS")) {
            c.env_remove(k.as_ref());
        }
    }
    let out = c.output().map_err(Error::io(format!("running '{}'", super::toolchain::cargo().display())))?;
    if !out.status.success() {
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        return Err(link_error(&log).unwrap_or_else(|| {
            Error::Internal(format!("building the measurement firmware in '{}' failed:\n{log}", fw.display()))
        }));
    }
    Ok(target_dir.join(triple).join("release").join(bin))
}

/// A linker's "does not fit" message as an over-budget error (exit 3), with the linker's words.
fn link_error(log: &str) -> Option<Error> {
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("will not fit in region") || l.contains("overflowed by") || l.contains("no RAM left"))
        .map(str::trim)
        .collect();
    if lines.is_empty() {
        return None;
    }
    Some(Error::OverBudget(format!(
        "the linker rejects the firmware: it does not fit the target's memory map\n  {}\n",
        lines.join("\n  ")
    )))
}
