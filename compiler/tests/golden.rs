//! Golden tests: every case folder under `golden/` (see golden/README.md) is compiled by ecgc,
//! built for the host and run, and compared with tract's decluttered plan within the case's
//! stated tolerance (max |ours − tract| ≤ tol · max(1, |tract|)). Each case is also:
//! - cross-checked against onnxruntime (a second engine), so a wrong reference is caught;
//! - compiled for stm32f746, so its flash/RAM budget is enforced (a case may name another target,
//!   with a stated reason, when it does not fit: its code is still built for thumbv7em);
//! - built for `thumbv7em-none-eabihf` with no warnings, its objects free of `.f64` instructions;
//! - for cases marked `tract_optimized_differs`, shown to expose tract's optimized-plan bug.
//!
//! The Python cross-check needs `golden/tools/requirements.txt` installed; `.ci/run` does that and
//! sets `ECGC_PYTHON`. Without it the cross-check fails when `CI` is set, and is skipped (loudly)
//! otherwise.

use ecgc::back::KernelsDep;
use ecgc::front::reference::{Plan, Reference};
use ecgc::validate::{build_harness, cargo, compare, read_npy, run_harness};
use ecgc::Compiler;
use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Case {
    description: String,
    ops: Vec<String>,
    made_by: String,
    tolerance: f32,
    tolerance_reason: Option<String>,
    #[serde(default)]
    tract_optimized_differs: bool,
    /// `"onnxruntime"`: tract is wrong on this case (`reference_reason`), so the truth is
    /// onnxruntime's outputs, stored as `expected_<k>.npy`; tract must still differ from them.
    reference: Option<String>,
    reference_reason: Option<String>,
    /// Target to compile for (default stm32f746, whose budget is then enforced).
    target: Option<String>,
    /// Why a case does not use stm32f746 (required with `target`).
    target_reason: Option<String>,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

fn work() -> PathBuf {
    repo().join("target/golden-work")
}

fn model_path(dir: &Path) -> PathBuf {
    let link = dir.join("model.path");
    if link.exists() {
        let rel = std::fs::read_to_string(&link).expect("model.path");
        dir.join(rel.trim())
    } else {
        dir.join("model.onnx")
    }
}

/// `<prefix>_0.npy`, `<prefix>_1.npy`, ... of `dir`, up to the first missing one.
fn npys(dir: &Path, prefix: &str) -> Vec<Vec<f32>> {
    (0..)
        .map(|k| dir.join(format!("{prefix}_{k}.npy")))
        .take_while(|p| p.exists())
        .map(|p| read_npy(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

fn python() -> Option<String> {
    if let Ok(p) = std::env::var("ECGC_PYTHON") {
        return Some(p);
    }
    let venv = repo().join(".venv-golden/bin/python");
    venv.exists().then(|| venv.display().to_string())
}

/// onnxruntime's outputs for a case, or why there are none.
fn onnxruntime_outputs(dir: &Path, name: &str) -> Result<Vec<Vec<f32>>, String> {
    let py = python().ok_or("no Python with onnxruntime (set ECGC_PYTHON or run .ci/run)")?;
    let out = work().join("ort").join(name);
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let status = Command::new(&py)
        .arg(repo().join("golden/tools/ort_outputs.py"))
        .arg(dir)
        .arg(&out)
        .output()
        .map_err(|e| format!("running {py}: {e}"))?;
    if !status.status.success() {
        return Err(format!("ort_outputs.py failed: {}", String::from_utf8_lossy(&status.stderr)));
    }
    Ok(npys(&out, "output"))
}

fn objdump() -> Option<String> {
    ["arm-none-eabi-objdump", "llvm-objdump"]
        .into_iter()
        .find(|t| Command::new(t).arg("--version").output().is_ok())
        .map(String::from)
}

/// Disassembly lines of the archive members whose names start with one of `crates`.
fn own_objects(text: &str, crates: &[&str]) -> String {
    let mut keep = false;
    let mut out = String::new();
    for line in text.lines() {
        if let Some(member) = line.split(':').next().filter(|_| line.contains("file format")) {
            keep = crates.iter().any(|c| member.trim().starts_with(c));
        } else if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A disassembly line doing double-precision work: a `.f64` instruction, or a call to a
/// soft-float double routine (ARM EABI `__aeabi_d*`/`__aeabi_*2d`, libgcc `__*df*`).
fn is_double_precision(line: &str) -> bool {
    let Some(sym) = line.split('<').nth(1) else { return line.contains(".f64") };
    line.contains(".f64")
        || sym.starts_with("__aeabi_d")
        || (sym.starts_with("__aeabi_") && sym.contains("2d"))
        || (sym.starts_with("__") && sym.contains("df"))
}

/// The detector finds f64 work in a real thumbv7em object (so the check above can fail).
fn double_precision_detector_fires() -> Result<(), Failed> {
    let dir = work().join("f64probe");
    std::fs::create_dir_all(&dir)?;
    let src = dir.join("probe.rs");
    std::fs::write(&src, "#![no_std]\n#[panic_handler]\nfn p(_: &core::panic::PanicInfo) -> ! { loop {} }\n#[no_mangle]\npub extern \"C\" fn ecgc_run(x: f32, y: f32) -> f32 { ((x as f64) * (y as f64) + 0.1) as f32 }\n")?;
    let lib = dir.join("libprobe.a");
    let out = Command::new("rustc")
        .args([
            "--target",
            "thumbv7em-none-eabihf",
            "-O",
            "-C",
            "panic=abort",
            "--crate-type",
            "staticlib",
            "--crate-name",
            "probe",
            "-o",
        ])
        .arg(&lib)
        .arg(&src)
        .output()?;
    if !out.status.success() {
        return Err(format!("probe build failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let objdump = objdump().ok_or("no arm-none-eabi-objdump")?;
    let dis = Command::new(objdump).arg("-d").arg(&lib).output()?;
    let ours = own_objects(&String::from_utf8_lossy(&dis.stdout), &["probe", "libprobe"]);
    let hits = ours.lines().filter(|l| is_double_precision(l)).count();
    if hits < 3 {
        return Err(format!("the detector found {hits} double-precision lines in an f64 probe:\n{ours}").into());
    }
    Ok(())
}

/// A no_std staticlib exporting `ecgc_run`, which calls the generated `Model::run`.
fn thumb_wrapper(
    case: &str,
    krate: &str,
    crate_dir: &Path,
    inputs: &[(String, String)],
    outputs: &[(String, String)],
) -> Result<PathBuf, Failed> {
    let dir = work().join("thumb").join(case);
    std::fs::create_dir_all(dir.join("src"))?;
    let toml = format!(
        "[package]\nname = \"elf_{krate}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[lib]\ncrate-type = [\"staticlib\"]\n\n[dependencies]\n{krate} = {{ path = {:?} }}\n\n[profile.release]\npanic = \"abort\"\n\n[workspace]\n",
        crate_dir.display().to_string()
    );
    let params: Vec<String> = inputs
        .iter()
        .map(|(p, u)| format!("{p}: &[f32; {krate}::{u}_LEN]"))
        .chain(outputs.iter().map(|(p, u)| format!("{p}: &mut [f32; {krate}::{u}_LEN]")))
        .collect();
    let args: Vec<String> = inputs.iter().chain(outputs).map(|(p, _)| p.clone()).collect();
    let src = format!(
        "#![no_std]\n\n#[panic_handler]\nfn panic(_: &core::panic::PanicInfo) -> ! {{\n    loop {{}}\n}}\n\n/// Runs the model.\n#[no_mangle]\npub extern \"C\" fn ecgc_run(model: &mut {krate}::Model, {}) {{\n    model.run({});\n}}\n",
        params.join(", "),
        args.join(", ")
    );
    std::fs::write(dir.join("Cargo.toml"), toml)?;
    std::fs::write(dir.join("src/lib.rs"), src)?;
    Ok(dir)
}

fn run_case(dir: &Path) -> Result<(), Failed> {
    let name = dir.file_name().expect("case name").to_string_lossy().to_string();
    let case: Case = toml::from_str(&std::fs::read_to_string(dir.join("case.toml"))?)?;
    if case.tolerance != 1e-5 && case.tolerance_reason.as_deref().unwrap_or("").is_empty() {
        return Err(format!("{name}: tolerance {} needs a tolerance_reason", case.tolerance).into());
    }
    if case.target.is_some() && case.target_reason.as_deref().unwrap_or("").is_empty() {
        return Err(format!("{name}: target {:?} needs a target_reason", case.target).into());
    }
    let model = model_path(dir);
    let xs = npys(dir, "input");
    let crate_name = format!("golden_{name}");
    let crate_dir = work().join("crates").join(&name);
    let compiled = Compiler::new(&model)
        .name(&crate_name)
        .target(case.target.as_deref().unwrap_or("stm32f746"))
        .kernels(KernelsDep::Path(repo().join("runtime-kernels")))
        .out_dir(&crate_dir)
        .compile()
        .map_err(|e| format!("{name}: compile: {e}"))?;

    // 1. ecgc vs tract's decluttered plan (the golden truth), or vs onnxruntime's stored outputs
    //    on a case tract is known to get wrong.
    let reference = Reference::load(&model, &[], Plan::Decluttered).map_err(|e| e.to_string())?;
    let tract = reference.run(&xs).map_err(|e| e.to_string())?;
    let expected = match case.reference.as_deref() {
        None => tract.clone(),
        Some("onnxruntime") if case.reference_reason.as_deref().is_some_and(|r| !r.is_empty()) => {
            let stored = npys(dir, "expected"); // onnxruntime's, for a case tract gets wrong
            let c = compare(&tract, &stored);
            if c.max_scaled <= case.tolerance {
                return Err(format!(
                    "{name}: tract now agrees with onnxruntime ({:.2e}): the bug is fixed upstream, drop `reference`",
                    c.max_scaled
                )
                .into());
            }
            println!("{name}: tract is off by {:.2e}, as the case states; the truth is onnxruntime", c.max_scaled);
            stored
        }
        Some(other) => return Err(format!("{name}: reference {other:?} needs a reference_reason").into()),
    };
    let exe = build_harness(&crate_dir, &crate_name, &compiled.krate.inputs, &compiled.krate.outputs, &work())?;
    let lens: Vec<usize> = expected.iter().map(|v| v.len()).collect();
    let (ours, _) = run_harness(&exe, &xs, &lens, 1)?;
    let c = compare(&ours, &expected);
    println!(
        "{name}: max|ecgc−reference| {:.2e}, scaled {:.2e} (tolerance {:.0e})",
        c.max_abs, c.max_scaled, case.tolerance
    );
    if c.max_scaled > case.tolerance {
        return Err(format!(
            "{name}: ecgc differs from the reference by {:.3e} (scaled) at output {} element {}",
            c.max_scaled, c.worst.0, c.worst.1
        )
        .into());
    }

    // 2. The reference vs onnxruntime run now.
    match onnxruntime_outputs(dir, &name) {
        Ok(ort) => {
            let c = compare(&expected, &ort);
            if c.max_scaled > case.tolerance {
                return Err(format!("{name}: the reference and onnxruntime disagree by {:.3e}", c.max_scaled).into());
            }
        }
        Err(e) if std::env::var_os("CI").is_some() => return Err(format!("{name}: cross-check: {e}").into()),
        Err(e) => eprintln!("WARNING {name}: onnxruntime cross-check skipped: {e}"),
    }

    // 3. The known tract bug is visible to this harness.
    if case.tract_optimized_differs {
        let optimized = Reference::load(&model, &[], Plan::Optimized)
            .map_err(|e| e.to_string())?
            .run(&xs)
            .map_err(|e| e.to_string())?;
        let c = compare(&optimized, &expected);
        if c.max_scaled <= case.tolerance {
            return Err(format!(
                "{name}: tract's optimized plan now agrees ({:.2e}); the bug is fixed upstream, update the case",
                c.max_scaled
            )
            .into());
        }
        println!(
            "{name}: tract's optimized plan is off by {:.2e}, as expected; ecgc matches the decluttered plan",
            c.max_scaled
        );
    }

    // 4. The crate builds for the Cortex-M7 target with no warnings, and linked code reachable
    //    from `Model::run` has no double precision: no `.f64` instruction and no call into the
    //    soft-float double routines (`__aeabi_d*`, `__*df*`), which is how f64 arithmetic shows up
    //    on this single-precision target. A no_std staticlib around `run` makes the code real
    //    (an rlib alone may hold no code for small, cross-crate-inlinable functions).
    let wrapper = thumb_wrapper(&name, &crate_name, &crate_dir, &compiled.krate.inputs, &compiled.krate.outputs)?;
    let tdir = work().join("target-thumb");
    let log = cargo(&["build", "--release", "--target", "thumbv7em-none-eabihf"], &wrapper, &tdir)?;
    if log.contains("warning") {
        return Err(format!("{name}: thumbv7em build has warnings:\n{log}").into());
    }
    let Some(objdump) = objdump() else {
        return Err("no arm-none-eabi-objdump (apt-get install binutils-arm-none-eabi)".into());
    };
    let lib = tdir.join(format!("thumbv7em-none-eabihf/release/libelf_{crate_name}.a"));
    let dis = Command::new(&objdump).arg("-d").arg(&lib).output()?;
    let text = String::from_utf8_lossy(&dis.stdout);
    if !dis.status.success() {
        return Err(format!("{name}: could not disassemble {}", lib.display()).into());
    }
    let ours = own_objects(&text, &[&format!("elf_{crate_name}"), &crate_name, "ecgc_kernels"]);
    if !ours.contains("ecgc_run") {
        return Err(format!("{name}: no code for ecgc_run in {}", lib.display()).into());
    }
    if let Some(line) = ours.lines().find(|l| is_double_precision(l)) {
        return Err(format!("{name}: double precision in the thumbv7em build: {line}").into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("golden"))
        .expect("golden/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("case.toml").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 15, "expected at least 15 golden cases, found {}", dirs.len());
    let mut trials: Vec<Trial> = vec![Trial::test("double_precision_detector_fires", double_precision_detector_fires)];
    trials.extend(dirs.into_iter().map(|d| {
        let name = d.file_name().expect("name").to_string_lossy().to_string();
        Trial::test(name, move || run_case(&d))
    }));
    libtest_mimic::run(&args, trials).exit();
}
