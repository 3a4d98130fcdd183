//! No panicking path survives optimisation in generated model code on thumbv7em.
//!
//! Every zoo model (`examples/models/*/*.onnx`, bench models included) is compiled for stm32f746
//! (budgets lifted: this is about code, not fit) and put in a minimal `#![no_std] #![no_main]`
//! cortex-m-rt binary for thumbv7em-none-eabihf (`no_panic/main.rs.in`). The binary calls
//! `Model::run` in a loop on inputs, outputs and model state passed through
//! `core::hint::black_box`, so the optimiser knows nothing about them. Its `#[panic_handler]`
//! calls `ecgc_generated_code_reached_a_panic`, an `extern "C"` function defined nowhere: if any
//! panic (bounds check, slice range, overflow, unwrap) is still reachable after fat LTO, the link
//! fails with an undefined symbol. The test passes only if every binary links, at opt-level 3 and
//! at opt-level "s" (fat LTO, codegen-units 1, panic = "abort"). Step graphs are built again as
//! streaming crates, and the models with 1-D convolutions again with their code tuned for size
//! (`--opt-level s`, `back/tuning.rs`), so every kernel form is covered. The zoo models with a
//! calibration set, and the pre-quantized `examples/models/qdq/` ones, are built again at int8,
//! calling `run` and, where the crate has it, the raw `run_i8`.
//!
//! All models are packages of one cargo workspace (`target/no-panic-work/`), built with one
//! `cargo build --workspace --keep-going` per opt-level, so the kernel crate and cortex-m-rt are
//! built once. When a binary fails to link, the test rebuilds it with feature `probe` (a panic
//! handler that loops instead) and, if `arm-none-eabi-objdump` is installed, lists the functions
//! that still call a panic entry point (`core::panicking::*`, `slice_*_fail`, `unwrap_failed`, …),
//! with the number of call sites.
//!
//! Without the thumbv7em-none-eabihf target (`rustup target add thumbv7em-none-eabihf`) the test
//! is skipped with a warning, and fails when `CI` is set.
//! `cargo test -p ecgc --test no_panic -- --nocapture` prints the table.

mod common;

use common::repo;
use ecgc::back::KernelsDep;
use ecgc::{Compiled, Compiler, Error};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TRIPLE: &str = "thumbv7em-none-eabihf";
/// The symbol the panic handler calls; defined nowhere.
const PANIC_SYMBOL: &str = "ecgc_generated_code_reached_a_panic";
/// Cargo profiles of the workspace (see [`workspace_toml`]) and their opt-levels.
const PROFILES: [(&str, &str); 2] = [("release", "3"), ("release-s", "s")];

fn work() -> PathBuf {
    repo().join("target/no-panic-work")
}

fn has_triple() -> bool {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else { return false };
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("lib/rustlib").join(TRIPLE).exists()
}

/// The workspace manifest: one firmware package per model, shared profiles.
fn workspace_toml(members: &[String]) -> String {
    let members: Vec<String> = members.iter().map(|m| format!("\"fw/{m}\"")).collect();
    format!(
        "[workspace]\nresolver = \"2\"\nmembers = [{}]\nexclude = [\"models\"]\n\n\
         [profile.release]\nopt-level = 3\nlto = \"fat\"\ncodegen-units = 1\npanic = \"abort\"\ndebug = \"line-tables-only\"\n\n\
         [profile.release-s]\ninherits = \"release\"\nopt-level = \"s\"\n",
        members.join(", ")
    )
}

/// The firmware package of generated crate `krate` (at `models/<krate>`).
fn package_toml(krate: &str) -> String {
    format!(
        "[package]\nname = \"fw_{krate}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\ncortex-m-rt = \"0.7.5\"\n{krate} = {{ path = \"../../models/{krate}\" }}\n\n\
         [features]\n# A panic handler that loops, so that the binary links and its panic call sites can be listed.\nprobe = []\n"
    )
}

/// `src/main.rs` of the firmware for `krate`: `no_panic/main.rs.in` with the model's I/O filled in.
fn main_rs(krate: &str, c: &Compiled) -> String {
    let mut decls = String::new();
    for (k, (_, u)) in c.krate.inputs.iter().enumerate() {
        let _ = writeln!(decls, "    let mut in{k} = [0.0f32; {krate}::{u}_LEN];");
    }
    for (k, (_, u)) in c.krate.outputs.iter().enumerate() {
        let _ = writeln!(decls, "    let mut out{k} = [0.0f32; {krate}::{u}_LEN];");
    }
    let ins: Vec<String> = (0..c.krate.inputs.len()).map(|k| format!("in{k}")).collect();
    let outs: Vec<String> = (0..c.krate.outputs.len()).map(|k| format!("out{k}")).collect();
    let args: Vec<String> =
        ins.iter().map(|i| format!("&{i}")).chain(outs.iter().map(|o| format!("&mut {o}"))).collect();
    let hide: String = ins.iter().chain(&outs).map(|v| format!("        black_box(&mut {v});\n")).collect();
    // a streaming model: every entry point (one step, a window of one step, reset)
    let call = if c.krate.streaming {
        let window: Vec<String> = ins
            .iter()
            .map(|i| format!("core::slice::from_ref(&{i})"))
            .chain(outs.iter().map(|o| format!("core::slice::from_mut(&mut {o})")))
            .collect();
        format!("model.step({});\n        model.run({});\n        model.reset();", args.join(", "), window.join(", "))
    } else {
        format!("model.run({});", args.join(", "))
    };
    // an int8 build's raw API: int8 where it is raw, the same arrays' f32 twins elsewhere
    let call = match &c.krate.raw_api {
        Some((raw_in, raw_out)) => {
            let (mut raw_args, mut raw_vars) = (vec![], vec![]);
            for (k, (_, u)) in c.krate.inputs.iter().enumerate() {
                if raw_in[k] {
                    let _ = writeln!(decls, "    let mut in{k}_i8 = [0i8; {krate}::{u}_LEN];");
                    raw_vars.push(format!("in{k}_i8"));
                    raw_args.push(format!("&in{k}_i8"));
                } else {
                    raw_args.push(format!("&in{k}"));
                }
            }
            for (k, (_, u)) in c.krate.outputs.iter().enumerate() {
                if raw_out[k] {
                    let _ = writeln!(decls, "    let mut out{k}_i8 = [0i8; {krate}::{u}_LEN];");
                    raw_vars.push(format!("out{k}_i8"));
                    raw_args.push(format!("&mut out{k}_i8"));
                } else {
                    raw_args.push(format!("&mut out{k}"));
                }
            }
            let hide_raw: String = raw_vars.iter().map(|v| format!("black_box(&mut {v});\n        ")).collect();
            format!("{call}\n        {hide_raw}model.run_i8({});", raw_args.join(", "))
        }
        None => call,
    };
    include_str!("no_panic/main.rs.in")
        .replace("{krate}", krate)
        .replace("{symbol}", PANIC_SYMBOL)
        .replace("    {decls}\n", &decls)
        .replace("        {hide}\n", &hide)
        .replace("model.run({args});", &call)
}

/// Compiles every zoo model and writes the workspace; returns (model path, crate name) pairs and
/// the models ecgc does not compile (unsupported ops: no code, nothing to prove).
type Crates = (Vec<(String, String)>, Vec<String>);
fn write_workspace(models: &[PathBuf]) -> Result<Crates, String> {
    let dir = work();
    let _ = std::fs::remove_dir_all(dir.join("fw"));
    let _ = std::fs::remove_dir_all(dir.join("models"));
    let (mut crates, mut unsupported) = (vec![], vec![]);
    // every zoo model, and each step graph again as a streaming model
    let streaming = |onnx: &Path| {
        ecgc::front::import(onnx, &[])
            .is_ok_and(|g| g.window.is_none() && !ecgc::stream::pairs::look_like_state(&g).is_empty())
    };
    // ... and the models with 1-D convolutions again tuned for size (`--opt-level s`: the
    // kernels' size-tuned forms, back/tuning.rs)
    let size_tuned = |onnx: &Path| ["ecg-cnn/model.onnx", "s4d-cfc-tiny/model.onnx"].iter().any(|m| onnx.ends_with(m));
    // ... and at int8: the zoo models with a calibration set for their inputs, and the
    // pre-quantized ones (`run` and the raw `run_i8`)
    let int8: Vec<(PathBuf, Option<PathBuf>)> = models
        .iter()
        .filter(|m| m.file_name().is_some_and(|f| f == "model.onnx"))
        .filter_map(|m| {
            // a calibration set for this model's inputs (s4d-ecg's is for its window model)
            let cal = m.parent()?.join("calibration.npz");
            let g = ecgc::front::import(m, &[]).ok()?;
            ecgc::quant::Calibration::load(&cal, &g).ok().map(|_| (m.clone(), Some(cal)))
        })
        .chain(
            ["ecg_cnn_qdq", "ecg_cnn_qop"]
                .iter()
                .map(|q| (repo().join("examples/models/qdq").join(format!("{q}.onnx")), None)),
        )
        .collect();
    let runs: Vec<(&PathBuf, bool, bool, Option<&Option<PathBuf>>)> = models
        .iter()
        .map(|m| (m, false, false, None))
        .chain(models.iter().filter(|m| streaming(m)).map(|m| (m, true, false, None)))
        .chain(models.iter().filter(|m| size_tuned(m)).map(|m| (m, false, true, None)))
        .chain(int8.iter().map(|(m, cal)| (m, false, false, Some(cal))))
        .collect();
    for (onnx, stream, small, int8) in runs {
        let model = onnx.strip_prefix(repo().join("examples/models")).unwrap_or(onnx).display().to_string();
        let mut krate = format!("np_{}", model.trim_end_matches(".onnx").replace(['/', '-', '.'], "_"));
        let model = if stream { format!("{model} --stream") } else { model };
        let model = if small { format!("{model} --opt-level s") } else { model };
        if stream {
            krate.push_str("_stream");
        }
        if small {
            krate.push_str("_tuned_s");
        }
        let model = if int8.is_some() { format!("{model} --precision int8") } else { model };
        if int8.is_some() {
            krate.push_str("_int8");
        }
        let mut compiler = Compiler::new(onnx);
        if let Some(cal) = int8 {
            compiler = compiler.precision(ecgc::Precision::Int8);
            if let Some(cal) = cal {
                compiler = compiler.calibration(cal);
            }
        }
        let c = compiler
            .measure_opt_level(if small { "s" } else { "3" })
            .stream(stream)
            .name(&krate)
            .target("stm32f746")
            .max_flash(u64::MAX / 4)
            .max_ram(u64::MAX / 4)
            .measure(false)
            .kernels(KernelsDep::Path(repo().join("runtime-kernels")))
            .out_dir(dir.join("models").join(&krate))
            .compile();
        let c = match c {
            Ok(c) => c,
            Err(Error::Unsupported(_)) => {
                unsupported.push(model);
                continue;
            }
            Err(e) => return Err(format!("{model}: compile: {e}")),
        };
        let fw = dir.join("fw").join(&krate);
        std::fs::create_dir_all(fw.join("src")).map_err(|e| e.to_string())?;
        std::fs::write(fw.join("Cargo.toml"), package_toml(&krate)).map_err(|e| e.to_string())?;
        std::fs::write(fw.join("src/main.rs"), main_rs(&krate, &c)).map_err(|e| e.to_string())?;
        crates.push((model, krate));
    }
    let names: Vec<String> = crates.iter().map(|(_, k)| k.clone()).collect();
    let files = [
        ("Cargo.toml", workspace_toml(&names)),
        ("memory.x", include_str!("no_panic/memory.x").to_string()),
        (
            ".cargo/config.toml",
            format!(
                "[target.{TRIPLE}]\nrustflags = [\"-C\", \"link-arg=-Tlink.x\", \"-C\", \"link-arg=-L{}\"]\n",
                dir.display()
            ),
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| e.to_string())?;
    }
    std::fs::copy(repo().join("examples/firmware/qemu-m7/Cargo.lock"), dir.join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    Ok((crates, unsupported))
}

/// Runs cargo in the workspace; returns (success, combined output).
fn cargo(args: &[&str]) -> (bool, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .args(["--target", TRIPLE])
        .current_dir(work())
        .env("CARGO_TARGET_DIR", work().join("target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("running cargo");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The packages cargo could not build, from `error: could not compile `fw_x` (bin "fw_x")`.
fn failed_packages(text: &str) -> Vec<String> {
    let mut failed: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("error: could not compile `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    failed.dedup();
    failed
}

/// True for functions that panic: the targets of the calls the probe counts.
fn is_panic_entry(name: &str) -> bool {
    ["core::panicking::", "panic_bounds_check", "_fail", "unwrap_failed", "expect_failed", "rust_begin_unwind"]
        .iter()
        .any(|p| name.contains(p))
        || name.contains("panic")
}

/// Calls to panic entry points in an ELF: (calling function, address of the call). A function of
/// `core` that calls a panic (say an out-of-line `Zip::new` dividing by a chunk size) counts as a
/// panic entry too, so its callers are listed. `None` without `arm-none-eabi-objdump`.
fn panic_calls(elf: &Path) -> Option<Vec<(String, String)>> {
    let out = Command::new("arm-none-eabi-objdump").args(["-d", "-C", "--no-show-raw-insn"]).arg(elf).output().ok()?;
    if !out.status.success() {
        return None;
    }
    // (caller, address, callee) of every direct branch to a function.
    let mut branches = vec![];
    let mut current = String::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")).map(|(_, n)| n) {
            current = name.to_string();
            continue;
        }
        // `  8a4:	bl	1f0 <core::panicking::panic_bounds_check>` (also b.w / bcc.w tail calls).
        let mut fields = line.split('\t');
        let (Some(addr), Some(op), Some(target)) = (fields.next(), fields.next(), fields.next()) else { continue };
        let Some(callee) = target.split_once('<').and_then(|(_, t)| t.strip_suffix('>')) else { continue };
        if op.trim().starts_with('b') && !callee.contains('+') {
            branches.push((current.clone(), addr.trim().trim_end_matches(':').to_string(), callee.to_string()));
        }
    }
    let core_wrappers: Vec<String> = branches
        .iter()
        .filter(|(f, _, c)| is_panic_entry(c) && !is_panic_entry(f) && f.contains("core::"))
        .map(|(f, _, _)| f.clone())
        .collect();
    let entry = |name: &str| is_panic_entry(name) || core_wrappers.iter().any(|w| w == name);
    Some(branches.into_iter().filter(|(f, _, c)| entry(c) && !entry(f)).map(|(f, a, _)| (f, a)).collect())
}

/// The source line each address was inlined from, innermost outside the standard library
/// (`file:line`), from `arm-none-eabi-addr2line -i` (the workspace builds with line tables).
fn source_lines(elf: &Path, addrs: &[String]) -> Vec<String> {
    let Ok(out) = Command::new("arm-none-eabi-addr2line").args(["-a", "-i", "-e"]).arg(elf).args(addrs).output() else {
        return vec![];
    };
    let mut lines: Vec<String> = vec![];
    let mut found = true;
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        if l.starts_with("0x") {
            if !found {
                lines.push("?".into());
            }
            found = false;
        } else if !found && !l.starts_with("/rustc/") && !l.starts_with("??") {
            lines.push(l.split(" (").next().unwrap_or(l).to_string());
            found = true;
        }
    }
    if !found {
        lines.push("?".into());
    }
    lines
}

/// Rebuilds `package` with the looping panic handler and lists its panic call sites: by calling
/// function, and by the source line (kernel or generated code) they were inlined from.
fn probe(package: &str, profile: &str) -> String {
    let (ok, text) = cargo(&["build", "--profile", profile, "-p", package, "--features", "probe"]);
    if !ok {
        return format!("    (the probe build failed too:\n{text})");
    }
    let elf = work().join("target").join(TRIPLE).join(profile).join(package);
    let Some(calls) = panic_calls(&elf) else {
        return "    (install arm-none-eabi-objdump to list the functions that call a panic)".into();
    };
    let mut s = format!("    {} panic call sites (objdump of the probe build {}):\n", calls.len(), elf.display());
    let mut by_fn: BTreeMap<&str, usize> = BTreeMap::new();
    for (f, _) in &calls {
        *by_fn.entry(f).or_default() += 1;
    }
    for (f, n) in by_fn {
        let _ = writeln!(s, "      {n:>3}  in {f}");
    }
    let addrs: Vec<String> = calls.iter().map(|(_, a)| a.clone()).collect();
    let mut by_line: BTreeMap<String, usize> = BTreeMap::new();
    for l in source_lines(&elf, &addrs) {
        *by_line.entry(l).or_default() += 1;
    }
    for (l, n) in by_line {
        let _ = writeln!(s, "      {n:>3}  from {l}");
    }
    s
}

/// The linker's lines about the undefined symbol in `text`, for `package` (lld names the object
/// file, which carries the package's name, in the line after "referenced by").
fn link_error(text: &str, package: &str) -> String {
    let all: Vec<&str> = text.lines().collect();
    let lines: Vec<&str> = all
        .windows(3)
        .filter(|w| w[0].contains(PANIC_SYMBOL) && (w[1].contains(package) || w[2].contains(package)))
        .flat_map(|w| w.iter().copied())
        .take(12)
        .collect();
    if lines.is_empty() {
        // Not a link error: show cargo's own words for this package.
        return text
            .lines()
            .filter(|l| l.contains(package) || l.starts_with("error"))
            .take(20)
            .collect::<Vec<_>>()
            .join("\n");
    }
    lines.join("\n")
}

#[test]
fn generated_code_has_no_panicking_path_on_thumbv7em() {
    if !has_triple() {
        let why = format!("rust target {TRIPLE} not installed (rustup target add {TRIPLE})");
        assert!(std::env::var_os("CI").is_none(), "no_panic: {why}");
        eprintln!("WARNING no_panic skipped: {why}");
        return;
    }
    let models = common::zoo_models();
    assert!(models.len() >= 10, "expected the zoo's models, found {}", models.len());
    let (crates, unsupported) = write_workspace(&models).unwrap_or_else(|e| panic!("{e}"));
    assert!(crates.len() >= 10, "only {} zoo models compiled", crates.len());
    let mut table = String::from("\nopt-level  models  linked  time\n");
    let mut failures = vec![];
    for (profile, opt) in PROFILES {
        let started = Instant::now();
        let (ok, text) = cargo(&["build", "--workspace", "--keep-going", "--profile", profile]);
        let failed = failed_packages(&text);
        if !ok && failed.is_empty() {
            panic!("opt-level {opt}: the workspace did not build:\n{text}");
        }
        let model_of = |package: &str| {
            crates.iter().find(|(_, k)| format!("fw_{k}") == package).map_or("?".to_string(), |(m, _)| m.clone())
        };
        for package in &failed {
            let model = model_of(package);
            failures.push(format!(
                "{model} at opt-level {opt}: a panicking path survived optimisation (package {package}):\n{}\n{}",
                link_error(&text, package),
                probe(package, profile)
            ));
        }
        let _ = writeln!(
            table,
            "{opt:<10} {:>6} {:>7}  {:.0?}",
            crates.len(),
            crates.len() - failed.len(),
            started.elapsed()
        );
    }
    let _ = writeln!(table, "not compiled by ecgc (unsupported ops): {}", unsupported.join(", "));
    println!("{table}");
    assert!(failures.is_empty(), "{}\n{table}", failures.join("\n\n"));
}
