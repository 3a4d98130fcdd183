//! Measured, not estimated: builds a generated crate into a minimal `no_std` firmware for the
//! target's triple and memory map, reads flash and RAM from the linked ELF, and — for Cortex-M
//! triples a Cortex-M7 can execute (`thumbv6m`, `thumbv7m`, `thumbv7em`), when `qemu-system-arm`
//! is installed — runs it on QEMU's `mps2-an500` to count instructions per inference and the
//! stack's high-water mark.
//!
//! - [`firmware`]: the firmware's sources (own vector table and reset code, no registry crates).
//! - [`linker`]: its linker script from the target's memory regions.
//! - [`cargo_build`]: one quiet `cargo build` in a cached target directory.
//! - [`elf`]: section and symbol sizes with the `object` crate.
//! - [`qemu`]: the emulated run.
//! - [`toolchain`]: what is installed, and what to install.
//!
//! Layout: a target whose triple runs on QEMU is linked at mps2-an500's addresses (code memory at
//! 0x0) with the target's own flash and RAM sizes, so one ELF is both measured and run. Data
//! sizes do not depend on the origins and code differs by the few bytes where an address is
//! encoded (a test checks this for the F746: at most 0.25% of the code; 4–44 bytes seen on
//! ecg-cnn). Other targets, and `--no-run`, are linked at their real addresses.

pub mod cargo_build;
pub mod elf;
pub mod firmware;
pub mod linker;
pub mod qemu;
pub mod toolchain;

use crate::back::GeneratedCrate;
use crate::error::Result;
use crate::target::Target;
use firmware::Arch;
use linker::Layout;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Measurement directory (default: [`default_dir`]).
    pub dir: Option<PathBuf>,
    /// `opt-level` of the firmware build: `3` (default), `s`, `z`, `2`, …
    pub opt_level: String,
    /// Run on QEMU when the target and the machine allow it.
    pub run: bool,
    /// Give up on QEMU after this long.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { dir: None, opt_level: "3".into(), run: true, timeout: Duration::from_secs(600) }
    }
}

/// A measurement of one generated crate on one target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measurement {
    /// Rust target triple built for.
    pub triple: String,
    /// Where the ELF was linked (addresses and sizes).
    pub layout: String,
    /// `opt-level` of the build (always fat LTO, one codegen unit, panic=abort).
    pub opt_level: String,
    /// Section and symbol sizes.
    pub sizes: elf::Sizes,
    /// Stack high-water mark, when the firmware ran.
    pub stack_bytes: Option<u64>,
    /// The emulated run, when there was one.
    pub run: Option<qemu::Run>,
    /// Why there was no run.
    pub not_run: Option<String>,
    /// Seconds spent in cargo.
    pub build_seconds: f64,
    /// Seconds spent in QEMU.
    pub run_seconds: f64,
}

impl Measurement {
    /// Flash: vector table, code, read-only data, `.data` image.
    pub fn flash_bytes(&self) -> u64 {
        self.sizes.flash
    }

    /// RAM: `.data` + `.bss` + stack high-water mark (0 when not measured).
    pub fn ram_bytes(&self) -> u64 {
        self.sizes.data + self.sizes.bss + self.stack_bytes.unwrap_or(0)
    }
}

/// The default measurement directory: `$ECGC_MEASURE_DIR`, else `ecgc/measure` in the user's cache
/// directory (`$XDG_CACHE_HOME`, `~/.cache`, `%LOCALAPPDATA%`), else in the temporary directory.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ECGC_MEASURE_DIR") {
        return d.into();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("ecgc").join("measure")
}

/// Ok when this machine can measure for `target`; else why not (shown as "estimated, not
/// measured: <why>").
pub fn available(target: &Target) -> std::result::Result<(), String> {
    if target.triple == "host" {
        return Err("the host target is not a microcontroller".into());
    }
    if Arch::of(&target.triple).is_none() {
        return Err(format!("ecgc's measurement firmware does not support the triple {}", target.triple));
    }
    toolchain::check_target(&target.triple)
}

/// Why the firmware will not run on QEMU for this target, if it will not.
pub fn why_not_run(target: &Target, opts: &Options) -> Option<String> {
    if !opts.run {
        return Some("not run (disabled)".into());
    }
    // The Cortex-M7 executes every ARMv6-M and ARMv7-M instruction, so thumbv6m code (an RP2040's
    // Cortex-M0+, soft-float) runs there too and its instruction count is exact; cycles differ.
    let runs = ["thumbv6m-", "thumbv7m-", "thumbv7em-"].iter().any(|p| target.triple.starts_with(p));
    if !runs {
        return Some(format!("not run: QEMU's mps2-an500 (Cortex-M7) cannot run {} code", target.triple));
    }
    toolchain::check_qemu().err()
}

fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Builds `krate` (Cargo package `package`) into the measurement firmware for `target`, reads
/// the ELF, and runs it on QEMU when possible.
pub fn measure(krate: &GeneratedCrate, package: &str, target: &Target, opts: &Options) -> Result<Measurement> {
    let arch = Arch::of(&target.triple).ok_or_else(|| {
        crate::Error::InvalidInput(format!("cannot measure for {}: {}", target.name, available(target).unwrap_err()))
    })?;
    let not_run = why_not_run(target, opts);
    let layout = if not_run.is_none() { Layout::Mps2An500 } else { Layout::Board };
    let root = opts.dir.clone().unwrap_or_else(default_dir);
    // One directory and one binary name per (target, opt-level, layout, crate): concurrent
    // measurements share the cargo target directory but never each other's ELF.
    let variant = format!("{}-o{}-{layout:?}", sanitize(&target.name), sanitize(&opts.opt_level)).to_ascii_lowercase();
    let work = root.join(&variant).join(sanitize(package));
    let bin = format!("ecgc-fw-{variant}-{}", sanitize(package)).replace('_', "-");
    // Two measurements of crates with the same name (two `ecgc compile -o out` in parallel, or
    // parallel tests) would overwrite each other's sources: hold the directory while we use it.
    std::fs::create_dir_all(&work).map_err(crate::Error::io(format!("creating '{}'", work.display())))?;
    let lock = std::fs::File::create(work.join(".lock"))
        .map_err(crate::Error::io(format!("creating '{}'", work.join(".lock").display())))?;
    lock.lock().map_err(crate::Error::io(format!("locking '{}'", work.display())))?;
    cargo_build::write_crate(krate, &work.join("model"))?;
    let fw = work.join("fw");
    cargo_build::write_if_changed(
        &fw.join("Cargo.toml"),
        firmware::cargo_toml(package, &bin, &opts.opt_level).as_bytes(),
    )?;
    cargo_build::write_if_changed(
        &fw.join("src/main.rs"),
        firmware::main_rs(arch, &krate.inputs, &krate.outputs, krate.streaming).as_bytes(),
    )?;
    let link_x = work.join("link.x");
    cargo_build::write_if_changed(&link_x, linker::script(target, layout, arch.is_arm())?.as_bytes())?;
    let started = Instant::now();
    let elf_path = cargo_build::build(&fw, &root.join("target"), &target.triple, &link_x, &bin)?;
    let build_seconds = started.elapsed().as_secs_f64();
    let (fo, fl, ..) = linker::regions(target, layout)?;
    let sizes = elf::read(&elf_path, &package.replace('-', "_"), (fo, fo + fl))?;
    let started = Instant::now();
    let run = match &not_run {
        None => Some(qemu::run(&elf_path, opts.timeout)?),
        Some(_) => None,
    };
    let run_seconds = started.elapsed().as_secs_f64();
    Ok(Measurement {
        triple: target.triple.clone(),
        layout: match layout {
            Layout::Board => format!("{} memory map", target.name),
            Layout::Mps2An500 => format!("mps2-an500 addresses, {} sizes", target.name),
        },
        opt_level: opts.opt_level.clone(),
        stack_bytes: run.as_ref().map(|r| r.stack_bytes),
        sizes,
        run,
        not_run,
        build_seconds,
        run_seconds,
    })
}
