//! Generated models running as real firmware on an emulated Cortex-M7 (QEMU `mps2-an500`, the
//! STM32F746's memory map, see examples/firmware/qemu-m7/), compared with the host build of the
//! same generated crates on the same inputs.
//!
//! - `two_models_in_one_firmware`: the committed firmware `examples/firmware/qemu-m7/two-models`
//!   (ecg-cnn in DTCM and a 16-step CfC sequence, two generated crates sharing one kernel crate).
//! - `every_zoo_model_that_fits_the_f746`: each `examples/models/*/*.onnx` that compiles for
//!   stm32f746, in a one-model firmware this test writes, then a table of instructions per
//!   inference and per MAC. Each is also built for thumbv6m-none-eabi (the rp2040's Cortex-M0+
//!   instruction set, no FPU, so f32 is soft-float) and run on the same emulated core, which
//!   executes v6-M code: its instruction count is what soft-float costs; its outputs must match
//!   the host too (the bit-identical column counts both builds). A model whose soft-float code
//!   outgrows the 1 MB flash (CLTC, at 99% in f32) says so in that column.
//! - `int8_zoo_models_match_the_host_on_the_m7`: ECG CNN, S4D-CfC-tiny, the CfC step, CCfC and
//!   CLTC at int8 (CCfC/CLTC must fit, their 200 KiB f32 input counted), bit-identical to the host,
//!   each report estimate within ±25% (the int8 cost terms).
//!
//! - `streaming_*`: streaming crates (`--stream`: S4D-ECG's step graph, `nn.LSTM`/`nn.GRU` one-step
//!   exports) stepped on the M7 and on the host from the zero state, the last step's outputs
//!   bit-identical.
//!
//! Each zoo model's report estimate (the per-kernel cost model calibrated by
//! `scripts/calibrate-cost.py`, opt-level 3 as this firmware is built) must be within ±25% of
//! the instructions measured here; the test fails with the table of estimates otherwise.
//!
//! Every output must match the host within the golden tolerance (max |qemu − host| ≤
//! 1e-5·max(1, |host|)); the test prints how many values are bit-identical. Instructions come from
//! the CMSDK timer under `-icount shift=8` (the board crate's `clock` module); the test checks the
//! timer's calibration loop first. Without qemu-system-arm or the thumbv7em target the tests are
//! skipped with a warning, and fail when `CI` is set. The tables are written to
//! `target/firmware-work/{two-models,zoo}.txt` (scripts/test-all.sh prints them); or run with
//! `--nocapture`:
//! `cargo test -p ecgc --test firmware_qemu -- --nocapture`.

mod common;

use common::repo;
use ecgc::back::KernelsDep;
use ecgc::validate::{build_harness, compare, run_harness, seeded_inputs};
use ecgc::{Compiled, Compiler, Error};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TRIPLE: &str = "thumbv7em-none-eabihf";
/// The Cortex-M0+ instruction set (rp2040), no FPU: the zoo run also builds each model for it and
/// runs it on the same emulated core (v6-M is a subset of v7E-M) to measure what soft-float costs.
const SOFT_TRIPLE: &str = "thumbv6m-none-eabi";
const TOLERANCE: f32 = 1e-5;
/// The board's timer: 32 ticks per 5 instructions (board/src/clock.rs).
const TICKS_PER_INSTRUCTION: f64 = 6.4;
const QEMU_TIMEOUT: Duration = Duration::from_secs(600);
/// The F746's memories as `memory.x` lays them out (bytes).
const SRAM1: usize = 240 * 1024;
const DTCM: usize = 64 * 1024;
/// Generated `lib.rs` files longer than this are left out of the zoo run unless
/// `ECGC_BUILD_BIG_CRATES` is set, to bound CI time. Since `run` is split into parts of at most
/// 64 nodes and identical constants are shared, the zoo's 16-step unrolled CfC (11,017 lines)
/// builds with fat LTO in seconds (it took over 13 CPU-minutes before), so every zoo model is in.
const MAX_LIB_LINES: usize = 100_000;
/// The report's instruction estimate must be within this fraction of the measured count.
const ESTIMATE_TOLERANCE: f64 = 0.25;

fn work() -> PathBuf {
    repo().join("target/firmware-work")
}

fn firmware_src() -> PathBuf {
    repo().join("examples/firmware/qemu-m7")
}

/// Why the tests cannot run here (no QEMU, no target), if so.
fn missing_tools() -> Option<String> {
    let qemu = Command::new("qemu-system-arm").arg("--version").output();
    if !qemu.is_ok_and(|o| o.status.success()) {
        return Some("qemu-system-arm not found (apt-get install qemu-system-arm)".into());
    }
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let rustlib = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim()).join("lib/rustlib");
    [TRIPLE, SOFT_TRIPLE]
        .into_iter()
        .find(|t| !rustlib.join(t).exists())
        .map(|t| format!("rust target {t} not installed (rustup target add {t})"))
}

/// True if the test should go on; panics under CI when a tool is missing.
fn tools_ready(test: &str) -> bool {
    match missing_tools() {
        None => true,
        Some(why) if std::env::var_os("CI").is_some() => panic!("{test}: {why}"),
        Some(why) => {
            eprintln!("WARNING {test} skipped: {why}");
            false
        }
    }
}

/// Copies a directory tree (no symlinks expected).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type()?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// Compiles `model` for stm32f746 into `dir` as crate `name`, sharing the repo's kernel crate;
/// at int8 with calibration inputs `int8`, else f32.
fn compile(model: &Path, name: &str, dir: &Path, int8: Option<&Path>) -> ecgc::Result<Compiled> {
    let c = Compiler::new(model)
        .name(name)
        .target("stm32f746")
        .kernels(KernelsDep::Path(repo().join("runtime-kernels")))
        .out_dir(dir);
    match int8 {
        Some(cal) => c.precision(ecgc::Precision::Int8).calibration(cal).compile(),
        None => c.compile(),
    }
}

/// Runs cargo in `dir` (firmware builds share one target directory); returns its output, or
/// `Err` with it.
fn cargo_build(dir: &Path, triple: &str) -> Result<(String, PathBuf), String> {
    let target_dir = work().join("target");
    let text = ecgc::validate::cargo(&["build", "--release", "--quiet", "--target", triple], dir, &target_dir)
        .map_err(|e| e.to_string())?;
    Ok((text, target_dir.join(triple).join("release")))
}

/// Runs `elf` under QEMU in `dir` (where its input files are); returns stdout, or why it failed.
fn qemu(elf: &Path, dir: &Path) -> Result<String, String> {
    let log = dir.join("qemu.out");
    let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let mut child = Command::new("qemu-system-arm")
        .args(["-machine", "mps2-an500", "-cpu", "cortex-m7", "-icount", "shift=8,sleep=off", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(elf)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting qemu-system-arm: {e}"))?;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > QEMU_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("QEMU did not exit within {QEMU_TIMEOUT:?} (output in {})", log.display()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&log).map_err(|e| e.to_string())?;
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        return Err(format!("firmware exited with {status}:\n{stdout}\n{err}"));
    }
    Ok(stdout)
}

/// What the firmware printed (lines starting `ecgc-fw `, see the board crate's `io` module).
#[derive(Debug, Default)]
struct Run {
    /// (instructions, ticks) of the calibration loop.
    calibration: Option<(u64, u64)>,
    /// model → (MACs, instructions per inference, stack high-water bytes).
    models: BTreeMap<String, (u64, Option<u64>, u64)>,
    /// (model, output index) → values.
    outputs: BTreeMap<(String, usize), Vec<f32>>,
    exit_ok: bool,
}

fn parse(stdout: &str) -> Result<Run, String> {
    let mut run = Run::default();
    let mut current: Option<(String, usize, usize)> = None;
    for line in stdout.lines().filter_map(|l| l.strip_prefix("ecgc-fw ")) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let num = |s: &str| s.parse::<u64>().map_err(|e| format!("bad number '{s}' in '{line}': {e}"));
        if line.starts_with("  ") || line.starts_with(' ') {
            let (m, k, _) = current.as_ref().ok_or(format!("values before an output header: '{line}'"))?;
            let vals = w
                .iter()
                .map(|h| u32::from_str_radix(h, 16).map(f32::from_bits).map_err(|e| format!("bad hex '{h}': {e}")))
                .collect::<Result<Vec<f32>, String>>()?;
            run.outputs.entry((m.clone(), *k)).or_default().extend(vals);
            continue;
        }
        match w.as_slice() {
            ["calibration", "instructions", n, "ticks", t] => run.calibration = Some((num(n)?, num(t)?)),
            ["model", m, "macs", macs, "instructions", n, "stack", s] => {
                let n = if *n == "-" { None } else { Some(num(n)?) };
                run.models.insert(m.to_string(), (num(macs)?, n, num(s)?));
            }
            ["output", m, k, len] => {
                let (k, len) = (num(k)? as usize, num(len)? as usize);
                run.outputs.insert((m.to_string(), k), Vec::with_capacity(len));
                current = Some((m.to_string(), k, len));
            }
            ["exit", s] => run.exit_ok = *s == "ok",
            _ => return Err(format!("unexpected firmware line: '{line}'")),
        }
    }
    Ok(run)
}

/// Checks the timer: the calibration loop's ticks per instruction must be 6.4 to within 1e-4 (a
/// 200,000-instruction loop measures a few ticks short of 1,280,000, a constant offset).
fn check_calibration(run: &Run) -> Result<(), String> {
    let (n, ticks) = run.calibration.ok_or("the firmware printed no calibration")?;
    let ratio = ticks as f64 / n as f64;
    if (ratio / TICKS_PER_INSTRUCTION - 1.0).abs() > 1e-4 {
        return Err(format!(
            "timer calibration: {ticks} ticks for {n} instructions ({ratio:.5}/instruction, expected {TICKS_PER_INSTRUCTION})"
        ));
    }
    Ok(())
}

/// Writes `values` as little-endian f32 (what the board's `read_f32` reads).
fn write_f32(path: &Path, values: &[f32]) -> std::io::Result<()> {
    std::fs::write(path, values.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())
}

/// Outputs match: within tolerance; returns (max scaled error, bit-identical values, values).
fn matches(what: &str, qemu: &[f32], host: &[f32]) -> Result<(f32, usize, usize), String> {
    let c = compare(&[qemu.to_vec()], &[host.to_vec()]);
    if c.max_scaled > TOLERANCE || qemu.len() != host.len() {
        return Err(format!(
            "{what}: QEMU differs from host by {:.3e} (scaled) at element {} ({} vs {} values)",
            c.max_scaled,
            c.worst.1,
            qemu.len(),
            host.len()
        ));
    }
    let same = qemu.iter().zip(host).filter(|(a, b)| a.to_bits() == b.to_bits()).count();
    Ok((c.max_scaled, same, host.len()))
}

/// Input and output lengths of a compiled model.
fn io_lens(c: &Compiled) -> (Vec<usize>, Vec<usize>) {
    // the model's own inputs and outputs: a streaming model's state is not the caller's, a Scan
    // model's are its window's
    let ins = c.graph.model_inputs().iter().map(|(_, s)| s.iter().product()).collect();
    (ins, c.graph.model_output_lens())
}

/// Steps a streaming model's firmware runs (the last one measured), and its host harness too.
const STREAM_STEPS: usize = 8;

/// Flash (text + rodata + data + dtcm image) and RAM (data + bss + dtcm) of an ELF, from
/// `arm-none-eabi-size -A`, if the tool is there.
fn elf_sizes(elf: &Path) -> Option<(u64, u64)> {
    let out = Command::new("arm-none-eabi-size").arg("-A").arg(elf).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let size = |name: &str| -> u64 {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    let flash = size(".vector_table") + size(".text") + size(".rodata") + size(".data") + size(".dtcm");
    let ram = size(".data") + size(".bss") + size(".uninit") + size(".dtcm");
    Some((flash, ram))
}

fn kib(b: u64) -> String {
    format!("{:.1} KiB", b as f64 / 1024.0)
}

#[test]
fn two_models_in_one_firmware() {
    if !tools_ready("two_models_in_one_firmware") {
        return;
    }
    let dir = work().join("two-models");
    let _ = std::fs::remove_dir_all(&dir);
    for part in ["Cargo.toml", "Cargo.lock"] {
        std::fs::create_dir_all(&dir).expect("work dir");
        std::fs::copy(firmware_src().join(part), dir.join(part)).expect("copying the firmware workspace");
    }
    for part in ["board", "two-models", ".cargo"] {
        copy_tree(&firmware_src().join(part), &dir.join(part)).expect("copying the firmware workspace");
    }
    let models = repo().join("examples/models");
    let ecg =
        compile(&models.join("ecg-cnn/model.onnx"), "ecg_cnn", &dir.join("models/ecg_cnn"), None).expect("ecg-cnn");
    let cfc =
        compile(&models.join("cfc-seq/model.onnx"), "cfc_step", &dir.join("models/cfc_step"), None).expect("cfc step");

    // Inputs: one ecg-cnn window; 16 CfC samples and an initial state (the firmware's STEPS).
    let (ecg_in, _) = io_lens(&ecg);
    let (cfc_in, cfc_out) = io_lens(&cfc);
    assert_eq!(cfc_in, [1, 20], "cfc step inputs (x_t, h) changed; update two-models/src/main.rs");
    let x = seeded_inputs(&[vec![ecg_in[0]]], 1).remove(0);
    let xs = seeded_inputs(&[vec![16]], 2).remove(0);
    let h0 = seeded_inputs(&[vec![cfc_in[1]]], 3).remove(0);
    write_f32(&dir.join("ecg_cnn.in0"), &x).expect("input file");
    write_f32(&dir.join("cfc_step.in0"), &xs).expect("input file");
    write_f32(&dir.join("cfc_step.in1"), &h0).expect("input file");

    let started = Instant::now();
    let (_, bin) =
        cargo_build(&dir.join("two-models"), TRIPLE).unwrap_or_else(|e| panic!("two-models build failed:\n{e}"));
    let elf = bin.join("two-models");
    let built = started.elapsed();
    let stdout = qemu(&elf, &dir).unwrap_or_else(|e| panic!("{e}"));
    let run = parse(&stdout).unwrap_or_else(|e| panic!("{e}"));
    assert!(run.exit_ok, "the firmware did not report success:\n{stdout}");
    check_calibration(&run).unwrap_or_else(|e| panic!("{e}"));

    // The host build of the same crates on the same inputs.
    let host_work = work().join("host");
    let ecg_exe =
        build_harness(&dir.join("models/ecg_cnn"), "ecg_cnn", &ecg.krate.inputs, &ecg.krate.outputs, &host_work)
            .expect("ecg-cnn host harness");
    let cfc_exe =
        build_harness(&dir.join("models/cfc_step"), "cfc_step", &cfc.krate.inputs, &cfc.krate.outputs, &host_work)
            .expect("cfc host harness");
    let mut worst = 0.0f32;
    let (mut same, mut total) = (0, 0);
    let mut check = |what: &str, q: Option<&Vec<f32>>, h: &[f32]| {
        let q = q.unwrap_or_else(|| panic!("{what}: missing from the firmware's output"));
        let (s, b, n) = matches(what, q, h).unwrap_or_else(|e| panic!("{e}"));
        worst = worst.max(s);
        same += b;
        total += n;
    };
    let (host_y, _) = run_harness(&ecg_exe, &[x], &[io_lens(&ecg).1[0]], 1).expect("ecg-cnn on host");
    check("ecg_cnn output 0", run.outputs.get(&("ecg_cnn".into(), 0)), &host_y[0]);
    let mut h = h0;
    for (t, &sample) in xs.iter().enumerate() {
        let (outs, _) = run_harness(&cfc_exe, &[vec![sample], h.clone()], &cfc_out, 1).expect("cfc step on host");
        check(&format!("cfc_step step {t} y"), run.outputs.get(&("cfc_step".into(), 2 * t)), &outs[0]);
        check(&format!("cfc_step step {t} h"), run.outputs.get(&("cfc_step".into(), 2 * t + 1)), &outs[1]);
        h = outs[1].clone();
    }

    let mut table = String::from("\nmodel      MACs  instructions/inference  instructions/MAC\n");
    for name in ["ecg_cnn", "cfc_step"] {
        let (macs, n, _) = run.models.get(name).copied().unwrap_or_else(|| panic!("{name}: no report line"));
        let n = n.unwrap_or_else(|| panic!("{name}: the timer wrapped"));
        assert!(n >= macs, "{name}: {n} instructions for {macs} MACs: the count cannot be right");
        let _ = writeln!(table, "{name:<9}{macs:>7}  {n:>22}  {:>16.2}", n as f64 / macs as f64);
    }
    let stack = run.models.values().map(|m| m.2).max().unwrap_or(0);
    if let Some((flash, ram)) = elf_sizes(&elf) {
        let _ = writeln!(table, "ELF: flash {} RAM {} (+ stack high-water {stack} B of 16 KiB)", kib(flash), kib(ram));
    }
    let _ = writeln!(
        table,
        "QEMU vs host: {same}/{total} values bit-identical, max scaled error {worst:.2e}; build {:.0?}, run {:.0?}",
        built,
        started.elapsed() - built
    );
    println!("{table}");
    std::fs::write(work().join("two-models.txt"), &table).expect("writing the table");
}

/// Where the one-model firmware puts its buffers in the board's F746 memory map (DTCM, SRAM1 and
/// SRAM2 are separate regions there), as `#[link_section]` prefixes: `(model, inputs and
/// outputs)`. The model (arena and state inside) goes in SRAM1's `.bss` with the I/O in DTCM when
/// that fits, or beside it; a model whose I/O outgrows DTCM (CCfC's 200 KiB STFT input at int8)
/// goes in DTCM itself with the I/O in SRAM1. `None`: the model cannot fit the F746 at all.
fn io_placement(model_bytes: usize, io_bytes: usize) -> Option<(&'static str, &'static str)> {
    const IN_DTCM: &str = "#[link_section = \".dtcm\"]\n";
    // 4 KiB of SRAM1 reserved for the firmware's own statics and the state of the runtime;
    // 1 KiB of DTCM for the model's cell flag and alignment.
    let sram1 = SRAM1 - 4096;
    if model_bytes <= sram1 && io_bytes <= DTCM - 4096 {
        Some(("", IN_DTCM))
    } else if model_bytes + io_bytes <= sram1 {
        Some(("", ""))
    } else if model_bytes <= DTCM - 1024 && io_bytes <= sram1 {
        Some((IN_DTCM, ""))
    } else {
        None
    }
}

/// `src/main.rs` of a one-model firmware for the generated crate `krate`: reads every input from
/// `in<k>`, runs once (a streaming model: [`STREAM_STEPS`] steps of that input), prints every
/// output.
fn one_model_main(krate: &str, c: &Compiled, (model_section, io_section): (&str, &str)) -> String {
    let mut s = format!(
        "//! One generated model on the emulated M7 (written by compiler/tests/firmware_qemu.rs).\n\n#![no_std]\n#![no_main]\n\nuse qemu_m7_board::{{self as board, count_instructions, print_f32, read_f32, report}};\nuse static_cell::ConstStaticCell;\n\n{model_section}static MODEL: ConstStaticCell<{krate}::Model> = ConstStaticCell::new({krate}::Model::new());\n"
    );
    for (k, (_, u)) in c.krate.inputs.iter().enumerate() {
        let _ = writeln!(s, "{io_section}static IN{k}: ConstStaticCell<[f32; {krate}::{u}_LEN]> = ConstStaticCell::new([0.0; {krate}::{u}_LEN]);");
    }
    for (k, (_, u)) in c.krate.outputs.iter().enumerate() {
        let _ = writeln!(s, "{io_section}static OUT{k}: ConstStaticCell<[f32; {krate}::{u}_LEN]> = ConstStaticCell::new([0.0; {krate}::{u}_LEN]);");
    }
    s.push_str("\n#[cortex_m_rt::entry]\nfn main() -> ! {\n    let ok = run().map_err(|e| board::io::line(format_args!(\"error {e:?}\"))).is_ok();\n    board::exit(ok)\n}\n\nfn run() -> Result<(), board::Error> {\n    if let Some(ticks) = board::clock::calibrate(100_000) {\n        board::io::line(format_args!(\"calibration instructions 200000 ticks {ticks}\"));\n    }\n    let model = MODEL.take();\n");
    for k in 0..c.krate.inputs.len() {
        let _ = writeln!(s, "    let in{k} = IN{k}.take();\n    read_f32(\"in{k}\", in{k})?;");
    }
    for k in 0..c.krate.outputs.len() {
        let _ = writeln!(s, "    let out{k} = OUT{k}.take();");
    }
    let args: Vec<String> = (0..c.krate.inputs.len())
        .map(|k| format!("in{k}"))
        .chain((0..c.krate.outputs.len()).map(|k| format!("out{k}")))
        .collect();
    if c.krate.streaming {
        // the same sample every step, from the zero state; the last step is measured
        let _ = writeln!(s, "    for _ in 1..{STREAM_STEPS} {{\n        model.step({});\n    }}", args.join(", "));
    }
    let method = if c.krate.streaming { "step" } else { "run" };
    let _ = writeln!(
        s,
        "    let ((), n) = count_instructions(|| model.{method}({}));\n    report(\"{krate}\", {krate}::MACS, n);",
        args.join(", ")
    );
    for k in 0..c.krate.outputs.len() {
        let _ = writeln!(s, "    print_f32(\"{krate}\", {k}, &out{k}[..]);");
    }
    s.push_str("    Ok(())\n}\n");
    s
}

/// A one-model firmware package at `dir` for the generated crate at `dir/model`.
fn write_one_model_firmware(dir: &Path, krate: &str, c: &Compiled, sections: (&str, &str)) -> std::io::Result<()> {
    let fw = firmware_src();
    let toml = format!(
        "[package]\nname = \"fw_{krate}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nqemu-m7-board = {{ path = {:?} }}\ncortex-m-rt = \"0.7.5\"\nstatic_cell = \"2.1\"\nportable-atomic = {{ version = \"1\", features = [\"critical-section\"] }}\n{krate} = {{ path = \"model\" }}\n\n[profile.release]\nopt-level = 3\nlto = \"fat\"\ncodegen-units = 1\npanic = \"abort\"\n\n[workspace]\nexclude = [\"model\"]\n",
        fw.join("board").display().to_string()
    );
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(dir.join("Cargo.toml"), toml)?;
    std::fs::copy(fw.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    std::fs::copy(fw.join("two-models/build.rs"), dir.join("build.rs"))?;
    std::fs::write(dir.join("src/main.rs"), one_model_main(krate, c, sections))
}

/// One zoo model's result.
struct ZooRow {
    model: String,
    /// Measured, or why the model does not fit the F746.
    outcome: Result<Measured, String>,
}

/// What one run on the emulated M7 measured.
#[derive(Clone)]
struct Measured {
    macs: u64,
    instructions: u64,
    max_scaled_error: f32,
    bit_identical: usize,
    values: usize,
    stack: u64,
    /// Instructions per inference of the thumbv6m (Cortex-M0+, soft-float) build.
    soft_float_instructions: u64,
    /// ELF flash and RAM (arm-none-eabi-size), when the tool is there.
    elf: Option<(u64, u64)>,
    /// The report's estimated instructions (opt-level 3), `None` when uncalibrated.
    estimated: Option<u64>,
}

/// Compiles, builds, runs and checks one zoo model; `Ok(None)` when it does not fit the F746
/// (with the reason).
///
/// At int8 (`int8` names the calibration inputs) the thumbv6m build is left out: the int8
/// layers use the Cortex-M7's DSP instructions (`SMLAD`), which v6-M does not have.
fn run_zoo_model(onnx: &Path, int8: Option<&Path>) -> Result<Result<Measured, String>, String> {
    let stem = format!(
        "{}_{}{}",
        onnx.parent().and_then(|p| p.file_name()).unwrap_or_default().to_string_lossy(),
        onnx.file_stem().unwrap_or_default().to_string_lossy(),
        if int8.is_some() { "_int8" } else { "" }
    );
    let krate = format!("zoo_{}", stem.replace(['-', '.'], "_"));
    let dir = work().join("zoo").join(&krate);
    let _ = std::fs::remove_dir_all(&dir);
    let c = match compile(onnx, &krate, &dir.join("model"), int8) {
        Ok(c) => c,
        Err(Error::OverBudget(table)) => {
            // The budget table's flash and RAM lines say which budget the model exceeds.
            let lines: Vec<String> = table
                .lines()
                .filter(|l| l.starts_with("flash") || l.starts_with("RAM"))
                .take(2)
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            return Ok(Err(format!("over stm32f746's budget: {}", lines.join("; "))));
        }
        Err(e @ Error::Unsupported(_)) => {
            let first = e.to_string().lines().take(2).map(str::trim).collect::<Vec<_>>().join(" ");
            return Ok(Err(format!("does not compile for stm32f746: {first}")));
        }
        Err(e) => return Err(format!("{krate}: compile: {e}")),
    };
    let lines = c.krate.files.get(Path::new("src/lib.rs")).map_or(0, |f| f.iter().filter(|&&b| b == b'\n').count());
    if lines > MAX_LIB_LINES && std::env::var_os("ECGC_BUILD_BIG_CRATES").is_none() {
        return Ok(Err(format!(
            "left out: generated lib.rs has {lines} lines (> {MAX_LIB_LINES}), too slow to build with fat LTO in CI; ECGC_BUILD_BIG_CRATES=1 includes it"
        )));
    }
    let (in_lens, out_lens) = io_lens(&c);
    let io_bytes = 4 * (in_lens.iter().sum::<usize>() + out_lens.iter().sum::<usize>());
    let model_bytes = c.report.arena_bytes + c.report.state_bytes;
    let Some(section) = io_placement(model_bytes, io_bytes) else {
        return Ok(Err(format!(
            "does not fit the F746's RAM: arena {} + inputs/outputs {} (SRAM1 240 KiB, DTCM 64 KiB)",
            kib(model_bytes as u64),
            kib(io_bytes as u64)
        )));
    };
    write_one_model_firmware(&dir, &krate, &c, section).map_err(|e| format!("{krate}: writing the firmware: {e}"))?;
    let xs = seeded_inputs(&in_lens.iter().map(|&n| vec![n]).collect::<Vec<_>>(), 7);
    for (k, x) in xs.iter().enumerate() {
        write_f32(&dir.join(format!("in{k}")), x).map_err(|e| e.to_string())?;
    }
    let (run, elf) = build_and_run(&dir, &krate, TRIPLE)?;
    // Soft-float code is bigger: a model at 99% of the flash in f32 (CLTC) does not link for
    // thumbv6m; the v6m column then says so instead of the count.
    let soft = match int8 {
        None => match build_and_run(&dir, &krate, SOFT_TRIPLE) {
            Ok((r, _)) => Some(r),
            Err(e) if e.contains("will not fit in region 'FLASH'") => None,
            Err(e) => return Err(e),
        },
        Some(_) => None,
    };
    let exe = build_harness(&dir.join("model"), &krate, &c.krate.inputs, &c.krate.outputs, &work().join("host"))
        .map_err(|e| format!("{krate}: host harness: {e}"))?;
    let (host, _) = run_harness(&exe, &xs, &out_lens, 1).map_err(|e| format!("{krate}: host run: {e}"))?;
    let (mut worst, mut same, mut total) = (0.0f32, 0, 0);
    for (k, h) in host.iter().enumerate() {
        for (r, isa) in [(Some(&run), TRIPLE), (soft.as_ref(), SOFT_TRIPLE)] {
            let Some(r) = r else { continue };
            let q = r.outputs.get(&(krate.clone(), k)).ok_or(format!("{krate} ({isa}): output {k} missing"))?;
            let (s, b, n) = matches(&format!("{krate} ({isa}) output {k}"), q, h)?;
            worst = worst.max(s);
            same += b;
            total += n;
        }
    }
    let (macs, n, stack) = instructions(&run, &krate)?;
    let soft_n = match &soft {
        Some(soft) => instructions(soft, &krate)?.1,
        None => 0,
    };
    Ok(Ok(Measured {
        macs,
        instructions: n,
        max_scaled_error: worst,
        bit_identical: same,
        values: total,
        stack,
        soft_float_instructions: soft_n,
        elf: elf_sizes(&elf),
        estimated: c.report.estimated_instructions,
    }))
}

/// Builds the firmware at `dir` for `triple`, runs it and checks its timer; returns what it
/// printed and the ELF.
fn build_and_run(dir: &Path, krate: &str, triple: &str) -> Result<(Run, PathBuf), String> {
    let (_, bin) =
        cargo_build(dir, triple).map_err(|e| format!("{krate}: firmware build for {triple} failed:\n{e}"))?;
    let elf = bin.join(format!("fw_{krate}"));
    let run = parse(&qemu(&elf, dir).map_err(|e| format!("{krate} ({triple}): {e}"))?)?;
    if !run.exit_ok {
        return Err(format!("{krate} ({triple}): the firmware did not report success"));
    }
    check_calibration(&run)?;
    Ok((run, elf))
}

/// (MACs, instructions per inference, stack bytes) the firmware reported for `krate`.
fn instructions(run: &Run, krate: &str) -> Result<(u64, u64, u64), String> {
    let (macs, n, stack) = run.models.get(krate).copied().ok_or(format!("{krate}: no report line"))?;
    let n = n.ok_or(format!("{krate}: the timer wrapped"))?;
    if n < macs {
        return Err(format!("{krate}: {n} instructions for {macs} MACs: the count cannot be right"));
    }
    Ok((macs, n, stack))
}

#[test]
fn every_zoo_model_that_fits_the_f746() {
    if !tools_ready("every_zoo_model_that_fits_the_f746") {
        return;
    }
    let started = Instant::now();
    let models = common::zoo_models();
    assert!(models.len() >= 10, "expected the zoo's models, found {}", models.len());
    let mut rows = vec![];
    let mut failures = vec![];
    for onnx in &models {
        let model = onnx.strip_prefix(repo().join("examples/models")).unwrap_or(onnx).display().to_string();
        match run_zoo_model(onnx, None) {
            Ok(outcome) => rows.push(ZooRow { model, outcome }),
            Err(e) => failures.push(e),
        }
    }
    let mut table = String::from(
        "\nmodel                               MACs  instr/inference  instr/MAC   max err  bit-identical   ELF flash     ELF RAM  stack B  v6m soft-float instr\n",
    );
    for r in &rows {
        match &r.outcome {
            Ok(m) => {
                let (flash, ram) = m.elf.map(|(f, r)| (kib(f), kib(r))).unwrap_or_default();
                let soft = match m.soft_float_instructions {
                    0 => "over 1 MB of flash".to_string(),
                    n => format!("{n:>12} ({:.1}x)", n as f64 / m.instructions as f64),
                };
                let _ = writeln!(
                    table,
                    "{:<30} {:>10} {:>16} {:>10.2} {:>9.1e} {:>14} {flash:>11} {ram:>11} {:>8} {soft}",
                    r.model,
                    m.macs,
                    m.instructions,
                    m.instructions as f64 / m.macs as f64,
                    m.max_scaled_error,
                    format!("{}/{}", m.bit_identical, m.values),
                    m.stack,
                );
            }
            Err(why) => {
                let _ = writeln!(table, "{:<30} — {why}", r.model);
            }
        }
    }
    let _ = writeln!(table, "({:.0?} in all)", started.elapsed());
    let (estimates, off) = estimate_table(&rows);
    table += &estimates;
    println!("{table}");
    std::fs::write(work().join("zoo.txt"), &table).expect("writing the table");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        off == 0,
        "{off} report estimates are outside ±{:.0}% of the measured instructions (re-run \
         scripts/calibrate-cost.py, docs/BENCH.md \"Cost model\"):{estimates}",
        100.0 * ESTIMATE_TOLERANCE
    );
    let ran = rows.iter().filter(|r| r.outcome.is_ok()).count();
    assert!(ran >= 5, "only {ran} zoo models ran on the emulated M7:{table}");
}

/// The report's estimate against the measured instructions per model, and how many are outside
/// [`ESTIMATE_TOLERANCE`] (an uncalibrated estimate counts as outside).
fn estimate_table(rows: &[ZooRow]) -> (String, usize) {
    let mut t = String::from("\nmodel                          measured instr  estimated instr   error\n");
    let mut off = 0;
    for r in rows {
        let Ok(m) = &r.outcome else { continue };
        let (est, err) = match m.estimated {
            Some(e) => (e.to_string(), e as f64 / m.instructions as f64 - 1.0),
            None => ("uncalibrated".into(), f64::INFINITY),
        };
        let bad = err.abs() > ESTIMATE_TOLERANCE;
        off += usize::from(bad);
        let flag = if bad { "  OUTSIDE" } else { "" };
        let _ = writeln!(t, "{:<30} {:>15} {:>16} {:>+6.1}%{flag}", r.model, m.instructions, est, 100.0 * err);
    }
    (t, off)
}

/// The ±25% check itself, on made-up rows (no QEMU needed): an estimate 30% high, one 30% low
/// and an uncalibrated one count as outside; 20% off does not.
#[test]
fn estimates_outside_the_tolerance_are_counted() {
    let row = |model: &str, instructions: u64, estimated: Option<u64>| ZooRow {
        model: model.into(),
        outcome: Ok(Measured {
            macs: 1,
            instructions,
            max_scaled_error: 0.0,
            bit_identical: 0,
            values: 0,
            stack: 0,
            soft_float_instructions: 0,
            elf: None,
            estimated,
        }),
    };
    let (_, off) = estimate_table(&[row("a", 1000, Some(1200)), row("b", 1000, Some(800))]);
    assert_eq!(off, 0);
    let (table, off) = estimate_table(&[
        row("a", 1000, Some(1300)),
        row("b", 1000, Some(700)),
        row("c", 1000, None),
        row("d", 1000, Some(1000)),
        ZooRow { model: "e".into(), outcome: Err("does not fit".into()) },
    ]);
    assert_eq!(off, 3, "{table}");
    assert!(table.contains("uncalibrated") && table.matches("OUTSIDE").count() == 3, "{table}");
}

/// int8 builds on the emulated M7 (the DSP forms of the int8 kernels, real `SMLAD`), compared
/// with the host build of the same crate (whose DSP forms run their plain-Rust data flow): the
/// integer layers must agree exactly, so every output must be bit-identical. The table of
/// instructions, flash and RAM is written to `target/firmware-work/zoo-int8.txt`.
#[test]
fn int8_zoo_models_match_the_host_on_the_m7() {
    if !tools_ready("int8_zoo_models_match_the_host_on_the_m7") {
        return;
    }
    let models = repo().join("examples/models");
    let mut table = String::from(
        "\nmodel (int8)                        MACs  instr/inference  instr/MAC  bit-identical   ELF flash     ELF RAM  stack B\n",
    );
    let mut failures = vec![];
    let mut rows: Vec<ZooRow> = vec![];
    // CCfC and CLTC (1 MB of f32 weights; CLTC does not fit the F746 in f32) must fit at int8,
    // their 200 KiB f32 input counted: `run_zoo_model` compiles for stm32f746 with its budgets.
    for (dir, file) in [
        ("ecg-cnn", "model.onnx"),
        ("s4d-cfc-tiny", "model.onnx"),
        ("cfc-seq", "model.onnx"),
        ("ccfc", "model.onnx"),
        ("cltc", "model.onnx"),
    ] {
        let onnx = models.join(dir).join(file);
        let cal = models.join(dir).join("calibration.npz");
        let outcome = run_zoo_model(&onnx, Some(&cal));
        if let Ok(Ok(m)) = &outcome {
            rows.push(ZooRow { model: format!("{dir}/{file} (int8)"), outcome: Ok(m.clone()) });
        }
        match outcome {
            Ok(Ok(m)) => {
                let (flash, ram) = m.elf.map(|(f, r)| (kib(f), kib(r))).unwrap_or_default();
                let _ = writeln!(
                    table,
                    "{:<30} {:>10} {:>16} {:>10.2} {:>14} {flash:>11} {ram:>11} {:>8}",
                    format!("{dir}/{file}"),
                    m.macs,
                    m.instructions,
                    m.instructions as f64 / m.macs as f64,
                    format!("{}/{}", m.bit_identical, m.values),
                    m.stack
                );
                if m.bit_identical != m.values {
                    failures.push(format!(
                        "{dir}: {} of {} outputs differ from the host",
                        m.values - m.bit_identical,
                        m.values
                    ));
                }
            }
            Ok(Err(why)) => {
                let _ = writeln!(table, "{:<30} — {why}", format!("{dir}/{file}"));
                failures.push(format!("{dir}: {why}"));
            }
            Err(e) => failures.push(e),
        }
    }
    // the int8 cost terms (docs/BENCH-INT8.md, "Cost model of the int8 kernels")
    let (estimates, off) = estimate_table(&rows);
    table += &estimates;
    println!("{table}");
    std::fs::write(work().join("zoo-int8.txt"), &table).expect("writing the table");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        off == 0,
        "{off} int8 report estimates are outside ±{:.0}% of the measured instructions (re-run \
         scripts/bench-m7-int8.sh and scripts/calibrate-cost.py --only q8_,quantize_):{estimates}",
        100.0 * ESTIMATE_TOLERANCE
    );
}

#[test]
fn streaming_s4d_ecg_fits_the_f746_and_matches_the_host_on_the_m7() {
    if !tools_ready("streaming_s4d_ecg_fits_the_f746_and_matches_the_host_on_the_m7") {
        return;
    }
    // ten states: xr/xi of four layers, the sum, the count
    stream_on_the_m7("examples/models/s4d-ecg/model.onnx", "zoo_s4d_ecg_stream", 10);
}

/// `nn.LSTM` and `nn.GRU` one-step exports (ONNX LSTM/GRU, T = 1), streaming `h` (and `c`).
#[test]
fn streaming_lstm_and_gru_steps_match_the_host_on_the_m7() {
    if !tools_ready("streaming_lstm_and_gru_steps_match_the_host_on_the_m7") {
        return;
    }
    stream_on_the_m7("examples/models/exports/lstm_step.legacy.onnx", "lstm_step_stream", 2);
    stream_on_the_m7("examples/models/exports/gru_step.legacy.onnx", "gru_step_stream", 1);
}

/// Compiles `model` with `--stream` for the F746 (its budget enforced: state + arena + I/O),
/// steps it `STREAM_STEPS` times on the emulated M7 and on the host from the zero state, and
/// requires every output of the last step bit-identical.
fn stream_on_the_m7(model: &str, krate: &str, states: usize) {
    let onnx = repo().join(model);
    let dir = work().join("zoo").join(krate);
    let _ = std::fs::remove_dir_all(&dir);
    let c = Compiler::new(&onnx)
        .name(krate)
        .target("stm32f746")
        .kernels(KernelsDep::Path(repo().join("runtime-kernels")))
        .out_dir(dir.join("model"))
        .stream(true)
        .compile()
        .unwrap_or_else(|e| panic!("{model}: the streaming crate fits the F746: {e}"));
    assert!(c.krate.streaming && c.graph.state.len() == states, "{model}: {states} state(s)");
    let (in_lens, out_lens) = io_lens(&c);
    let io_bytes = 4 * (in_lens.iter().sum::<usize>() + out_lens.iter().sum::<usize>());
    let section = io_placement(c.report.arena_bytes + c.report.state_bytes, io_bytes).expect("fits the F746's RAM");
    write_one_model_firmware(&dir, krate, &c, section).expect("firmware written");
    let xs = seeded_inputs(&in_lens.iter().map(|&n| vec![n]).collect::<Vec<_>>(), 7);
    for (k, x) in xs.iter().enumerate() {
        write_f32(&dir.join(format!("in{k}")), x).expect("input file");
    }
    let (run, elf) = build_and_run(&dir, krate, TRIPLE).expect("runs on the M7");
    let exe = ecgc::validate::build_step_harness(
        &dir.join("model"),
        krate,
        &c.krate.inputs,
        &c.krate.outputs,
        c.graph.state.len(),
        &work().join("host"),
    )
    .expect("host harness");
    let step: Vec<f32> = xs.concat();
    let stdin: Vec<u8> = (0..STREAM_STEPS).flat_map(|_| step.iter().flat_map(|v| v.to_le_bytes())).collect();
    let mut child = Command::new(&exe)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("host harness runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &stdin).expect("feeds");
    let out = child.wait_with_output().expect("host harness ends");
    assert!(out.status.success());
    let host: Vec<f32> = out.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let per_step: usize = out_lens.iter().sum();
    let mut at = (STREAM_STEPS - 1) * per_step;
    let (mut same, mut total) = (0, 0);
    for (k, &len) in out_lens.iter().enumerate() {
        let q = run.outputs.get(&(krate.to_string(), k)).expect("output printed");
        let (_, b, n) = matches(&format!("{krate} output {k}"), q, &host[at..at + len]).expect("matches the host");
        same += b;
        total += n;
        at += len;
    }
    let (macs, n, stack) = instructions(&run, krate).expect("instructions");
    println!(
        "{model} streaming on the M7: step {STREAM_STEPS} of the same sample, {n} instructions per step ({macs} MACs), \
         {same}/{total} outputs bit-identical to the host, state {} B, arena {} B, stack {stack} B, ELF (flash, RAM) {:?}",
        c.report.state_bytes,
        c.report.arena_bytes,
        elf_sizes(&elf)
    );
    assert_eq!(same, total, "{model}: the M7 and the host differ");
}
