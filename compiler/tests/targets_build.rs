//! Every target in `targets/` is real: each zoo model (`examples/models/*/*.onnx`) that compiles
//! for a target (fits its budgets) is built, in release, for that target's triple —
//! thumbv7em-none-eabihf (stm32f746, nrf52840), thumbv6m-none-eabi (rp2040: no FPU, f32 is
//! soft-float), riscv32imc-unknown-none-elf (esp32c3: no FPU either). The generated crate is built
//! under a `no_std` staticlib that calls `Model::run`, so its code is really generated and not
//! left for a later, cross-crate inlining. One target directory per triple keeps the kernel crate
//! built once per triple.
//!
//! Without a triple's standard library (rustup target) the test is skipped with a warning, and
//! fails when `CI` is set. The table goes to `target/targets-work/targets.txt` (scripts/test-all.sh
//! prints it); `cargo test -p ecgc --test targets_build -- --nocapture` shows it too.

mod common;

use common::repo;
use ecgc::back::KernelsDep;
use ecgc::{Compiled, Compiler, Error};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TARGETS: [(&str, &str); 4] = [
    ("stm32f746", "thumbv7em-none-eabihf"),
    ("nrf52840", "thumbv7em-none-eabihf"),
    ("rp2040", "thumbv6m-none-eabi"),
    ("esp32c3", "riscv32imc-unknown-none-elf"),
];

/// Generated `lib.rs` files longer than this are left out unless `ECGC_BUILD_BIG_CRATES` is set, to
/// bound CI time. Since `run` is split into parts of at most 64 nodes and identical constants are
/// shared, the zoo's 16-step unrolled CfC (11,017 lines) builds in seconds per triple, so every zoo
/// model is in.
const MAX_LIB_LINES: usize = 100_000;

fn work() -> PathBuf {
    repo().join("target/targets-work")
}

fn has_triple(triple: &str) -> bool {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else { return false };
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("lib/rustlib").join(triple).exists()
}

/// Lines of the generated `lib.rs`.
fn lib_lines(c: &Compiled) -> usize {
    c.krate.files.get(Path::new("src/lib.rs")).map_or(0, |f| f.iter().filter(|&&b| b == b'\n').count())
}

/// A `no_std` staticlib exporting `ecgc_run`, which calls the generated `Model::run`.
fn wrapper(dir: &Path, krate: &str, c: &Compiled) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("src"))?;
    let toml = format!(
        "[package]\nname = \"lib_{krate}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[lib]\ncrate-type = [\"staticlib\"]\n\n[dependencies]\n{krate} = {{ path = \"model\" }}\n\n[profile.release]\npanic = \"abort\"\n\n[workspace]\nexclude = [\"model\"]\n"
    );
    let params: Vec<String> = c
        .krate
        .inputs
        .iter()
        .map(|(p, u)| format!("{p}: &[f32; {krate}::{u}_LEN]"))
        .chain(c.krate.outputs.iter().map(|(p, u)| format!("{p}: &mut [f32; {krate}::{u}_LEN]")))
        .collect();
    let args: Vec<&str> = c.krate.inputs.iter().chain(&c.krate.outputs).map(|(p, _)| p.as_str()).collect();
    let src = format!(
        "//! Calls the generated model, so that its code is built for the target.\n\n#![no_std]\n\n#[panic_handler]\nfn panic(_: &core::panic::PanicInfo) -> ! {{\n    loop {{}}\n}}\n\n/// Runs the model.\n#[no_mangle]\npub extern \"C\" fn ecgc_run(model: &mut {krate}::Model, {}) {{\n    model.run({});\n}}\n",
        params.join(", "),
        args.join(", ")
    );
    std::fs::write(dir.join("Cargo.toml"), toml)?;
    std::fs::write(dir.join("src/lib.rs"), src)
}

/// Builds `dir` for `triple` in release; cargo's output on failure. Warnings fail too.
fn build(dir: &Path, triple: &str) -> Result<(), String> {
    let target_dir = work().join(format!("target-{triple}"));
    let text = ecgc::validate::cargo(&["build", "--release", "--target", triple], dir, &target_dir)
        .map_err(|e| e.to_string())?;
    if text.contains("warning") {
        return Err(format!("warnings:\n{text}"));
    }
    Ok(())
}

#[test]
fn every_zoo_model_builds_for_every_target_it_fits() {
    let models = common::zoo_models();
    assert!(models.len() >= 10, "expected the zoo's models, found {}", models.len());
    let mut table = String::from("\ntarget      triple                        built  too big  unsupported  time\n");
    let mut failures = vec![];
    for (target, triple) in TARGETS {
        if !has_triple(triple) {
            let why = format!("rust target {triple} not installed (rustup target add {triple})");
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("WARNING {target} skipped: {why}");
            continue;
        }
        let started = Instant::now();
        let (mut built, mut too_big, mut unsupported, mut big) = (0, vec![], 0, vec![]);
        for onnx in &models {
            let model = onnx.strip_prefix(repo().join("examples/models")).unwrap_or(onnx).display().to_string();
            let krate = format!("{target}_{}", model.trim_end_matches(".onnx").replace(['/', '-', '.'], "_"));
            let dir = work().join(target).join(&krate);
            let _ = std::fs::remove_dir_all(&dir);
            let compiled = Compiler::new(onnx)
                .name(&krate)
                .target(target)
                .kernels(KernelsDep::Path(repo().join("runtime-kernels")))
                .out_dir(dir.join("model"))
                .compile();
            match compiled {
                Ok(c) if lib_lines(&c) > MAX_LIB_LINES && std::env::var_os("ECGC_BUILD_BIG_CRATES").is_none() => {
                    big.push(format!("{model} ({} lines)", lib_lines(&c)));
                }
                Ok(c) => {
                    if let Err(e) =
                        wrapper(&dir, &krate, &c).map_err(|e| e.to_string()).and_then(|()| build(&dir, triple))
                    {
                        failures.push(format!("{model} for {target} ({triple}):\n{e}"));
                    } else {
                        built += 1;
                    }
                }
                Err(Error::OverBudget(_)) => too_big.push(model),
                Err(Error::Unsupported(_)) => unsupported += 1,
                Err(e) => failures.push(format!("{model} for {target}: compile: {e}")),
            }
        }
        let _ = writeln!(
            table,
            "{target:<11} {triple:<29} {built:>5} {:>8} {unsupported:>12}  {:.0?}   (over budget: {}; left out, too big to build in CI time: {})",
            too_big.len(),
            started.elapsed(),
            if too_big.is_empty() { "none".into() } else { too_big.join(", ") },
            if big.is_empty() { "none".into() } else { big.join(", ") }
        );
        assert!(built >= 5, "{target}: only {built} zoo models fit and built");
    }
    println!("{table}");
    std::fs::create_dir_all(work()).and_then(|()| std::fs::write(work().join("targets.txt"), &table)).expect("table");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
