//! The int8 kernels' DSP forms (`SXTB16`/`SMLAD` through `asm!`) against their portable forms on
//! the emulated Cortex-M7, and their instruction counts.
//!
//! Builds `examples/firmware/q8-bench` for `thumbv7em-none-eabihf` at opt-level 3 and "s", runs
//! it under `qemu-system-arm -M mps2-an500 -cpu cortex-m7 -icount shift=8` with semihosting, and
//! requires: every pseudo-random case of every geometry identical between the two forms, the
//! timer calibration at 6.4 ticks per instruction, and both forms of every benchmark layer
//! giving the same outputs. Prints the instructions-per-MAC table (`--nocapture`), the one in
//! `docs/BENCH-INT8.md`. Skips, saying so, only when `qemu-system-arm` is not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// CMSDK timer ticks per instruction under `-icount shift=8` (256 ns per instruction, 25 MHz).
const TICKS_PER_INSTRUCTION: f64 = 6.4;
/// Instructions of the firmware's calibration loop (`rt::CALIBRATION`).
const CALIBRATION: f64 = 20_000.0;

fn qemu_present() -> bool {
    Command::new("qemu-system-arm").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/firmware/q8-bench")
}

/// Builds the firmware at `opt` and returns the ELF.
fn build(opt: &str) -> PathBuf {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("q8-bench-o{opt}"));
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(firmware_dir())
        .args(["build", "--release", "--quiet", "--target", "thumbv7em-none-eabihf"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", opt)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    let out = c.output().expect("running cargo");
    assert!(
        out.status.success(),
        "building q8-bench at opt-level {opt} failed (is the thumbv7em-none-eabihf target installed? \
         `rustup target add thumbv7em-none-eabihf`):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    target_dir.join("thumbv7em-none-eabihf/release/q8-bench")
}

/// Runs the ELF under QEMU (semihosting output is on stderr) and returns its output.
fn run(elf: &Path) -> String {
    let mut child = Command::new("qemu-system-arm")
        .args(["-machine", "mps2-an500", "-cpu", "cortex-m7", "-icount", "shift=8,sleep=off", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-monitor", "none", "-serial", "none", "-kernel"])
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting qemu-system-arm");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for qemu") {
            break s;
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("q8-bench did not finish under QEMU within 300 s ({})", elf.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().expect("qemu output");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(status.success(), "q8-bench failed under QEMU ({status}):\n{text}");
    text
}

fn fields(line: &str) -> std::collections::HashMap<&str, &str> {
    line.split_whitespace().skip(1).filter_map(|w| w.split_once('=')).collect()
}

fn num(f: &std::collections::HashMap<&str, &str>, k: &str, line: &str) -> f64 {
    f.get(k).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no number {k} in '{line}'"))
}

/// One benchmark row: (kernel, MACs, portable instructions, DSP instructions).
type Row = (String, f64, f64, f64);

/// Checks one run's output and returns its benchmark rows.
fn check(text: &str, opt: &str) -> Vec<Row> {
    assert!(text.contains("q8-done"), "opt-level {opt}: q8-bench did not finish:\n{text}");
    assert!(!text.contains("q8-bench-mismatch"), "opt-level {opt}: a benchmark layer differs between forms:\n{text}");
    let chk = text.lines().find(|l| l.starts_with("q8-check ")).expect("q8-check line");
    let f = fields(chk);
    let (cases, mismatches) = (num(&f, "cases", chk), num(&f, "mismatches", chk));
    assert_eq!(mismatches, 0.0, "opt-level {opt}: portable and DSP forms differ: {chk}");
    assert!(cases >= 400.0, "opt-level {opt}: too few cases compared: {chk}");
    let cal = text.lines().find(|l| l.starts_with("q8-calib ")).expect("q8-calib line");
    let f = fields(cal);
    let rate = (num(&f, "calib_ticks", cal) - num(&f, "empty_ticks", cal)) / CALIBRATION;
    assert!(
        (rate / TICKS_PER_INSTRUCTION - 1.0).abs() < 1e-3,
        "opt-level {opt}: timer runs at {rate} ticks/instruction"
    );
    let mut rows: Vec<Row> = Vec::new();
    for l in text.lines().filter(|l| l.starts_with("q8-bench ")) {
        let f = fields(l);
        let n = ((num(&f, "run_ticks", l) - num(&f, "empty_ticks", l)) / TICKS_PER_INSTRUCTION).round();
        let (kernel, macs) = (f["kernel"].to_string(), num(&f, "macs", l));
        match rows.iter_mut().find(|r| r.0 == kernel) {
            Some(r) if f["path"] == "dsp" => r.3 = n,
            Some(r) => r.2 = n,
            None if f["path"] == "dsp" => rows.push((kernel, macs, f64::NAN, n)),
            None => rows.push((kernel, macs, n, f64::NAN)),
        }
    }
    assert_eq!(rows.len(), 14, "opt-level {opt}: expected 14 benchmark layers:\n{text}");
    for r in &rows {
        assert!(r.2 > 0.0 && r.3 > 0.0, "opt-level {opt}: {} lacks a form", r.0);
    }
    rows
}

#[test]
fn q8_dsp_equals_portable_on_the_emulated_m7() {
    if !qemu_present() {
        eprintln!(
            "SKIPPED: qemu-system-arm is not installed (apt-get install qemu-system-arm); the DSP forms were not run"
        );
        return;
    }
    let mut table = String::from(
        "| layer | MACs | opt | portable instr | portable instr/MAC | DSP instr | DSP instr/MAC |\n|---|---:|---|---:|---:|---:|---:|\n",
    );
    for opt in ["3", "s"] {
        let text = run(&build(opt));
        for (kernel, macs, p, d) in check(&text, opt) {
            table += &format!("| {kernel} | {macs} | {opt} | {p} | {:.2} | {d} | {:.2} |\n", p / macs, d / macs);
        }
    }
    println!("{table}");
}
