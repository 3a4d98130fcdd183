//! Golden tests: every case folder under `golden/` (see golden/README.md) is compiled by ecgc,
//! built for the host and run, and compared with tract's decluttered plan within the case's
//! stated tolerance (max |ours − tract| ≤ tol · max(1, |tract|)). Each case is also:
//! - cross-checked against onnxruntime (a second engine), so a wrong reference is caught;
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

fn inputs(dir: &Path) -> Vec<Vec<f32>> {
    (0..).map(|k| dir.join(format!("input_{k}.npy"))).take_while(|p| p.exists()).map(|p| read_npy(&p).expect("input npy")).collect()
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
    Ok((0..).map(|k| out.join(format!("output_{k}.npy"))).take_while(|p| p.exists()).map(|p| read_npy(&p).expect("ort npy")).collect())
}

fn objdump() -> Option<String> {
    ["arm-none-eabi-objdump", "llvm-objdump"].into_iter().find(|t| Command::new(t).arg("--version").output().is_ok()).map(String::from)
}

fn run_case(dir: &Path) -> Result<(), Failed> {
    let name = dir.file_name().expect("case name").to_string_lossy().to_string();
    let case: Case = toml::from_str(&std::fs::read_to_string(dir.join("case.toml"))?)?;
    if case.tolerance != 1e-5 && case.tolerance_reason.as_deref().unwrap_or("").is_empty() {
        return Err(format!("{name}: tolerance {} needs a tolerance_reason", case.tolerance).into());
    }
    let model = model_path(dir);
    let xs = inputs(dir);
    let crate_name = format!("golden_{name}");
    let crate_dir = work().join("crates").join(&name);
    let compiled = Compiler::new(&model)
        .name(&crate_name)
        .target("stm32f746")
        .kernels(KernelsDep::Path(repo().join("runtime-kernels")))
        .out_dir(&crate_dir)
        .compile()
        .map_err(|e| format!("{name}: compile: {e}"))?;

    // 1. ecgc vs tract's decluttered plan (the golden truth).
    let reference = Reference::load(&model, &[], Plan::Decluttered).map_err(|e| e.to_string())?;
    let expected = reference.run(&xs).map_err(|e| e.to_string())?;
    let exe = build_harness(&crate_dir, &crate_name, &compiled.krate.inputs, &compiled.krate.outputs, &work())?;
    let lens: Vec<usize> = expected.iter().map(|v| v.len()).collect();
    let (ours, _) = run_harness(&exe, &xs, &lens, 1)?;
    let c = compare(&ours, &expected);
    println!("{name}: max|ecgc−tract| {:.2e}, scaled {:.2e} (tolerance {:.0e})", c.max_abs, c.max_scaled, case.tolerance);
    if c.max_scaled > case.tolerance {
        return Err(format!("{name}: ecgc differs from tract by {:.3e} (scaled) at output {} element {}", c.max_scaled, c.worst.0, c.worst.1).into());
    }

    // 2. tract vs onnxruntime.
    match onnxruntime_outputs(dir, &name) {
        Ok(ort) => {
            let c = compare(&expected, &ort);
            if c.max_scaled > case.tolerance {
                return Err(format!("{name}: tract and onnxruntime disagree by {:.3e}", c.max_scaled).into());
            }
        }
        Err(e) if std::env::var_os("CI").is_some() => return Err(format!("{name}: cross-check: {e}").into()),
        Err(e) => eprintln!("WARNING {name}: onnxruntime cross-check skipped: {e}"),
    }

    // 3. The known tract bug is visible to this harness.
    if case.tract_optimized_differs {
        let optimized = Reference::load(&model, &[], Plan::Optimized).map_err(|e| e.to_string())?.run(&xs).map_err(|e| e.to_string())?;
        let c = compare(&optimized, &expected);
        if c.max_scaled <= case.tolerance {
            return Err(format!("{name}: tract's optimized plan now agrees ({:.2e}); the bug is fixed upstream, update the case", c.max_scaled).into());
        }
        println!("{name}: tract's optimized plan is off by {:.2e}, as expected; ecgc matches the decluttered plan", c.max_scaled);
    }

    // 4. The crate builds for the Cortex-M7 target with no warnings and no f64 instructions.
    let tdir = work().join("target-thumb");
    let log = cargo(&["build", "--release", "--target", "thumbv7em-none-eabihf"], &crate_dir, &tdir)?;
    if log.contains("warning") {
        return Err(format!("{name}: thumbv7em build has warnings:\n{log}").into());
    }
    let Some(objdump) = objdump() else {
        return Err("no arm-none-eabi-objdump (apt-get install binutils-arm-none-eabi)".into());
    };
    let rlib = tdir.join(format!("thumbv7em-none-eabihf/release/lib{crate_name}.rlib"));
    let dis = Command::new(&objdump).arg("-d").arg(&rlib).output()?;
    let text = String::from_utf8_lossy(&dis.stdout);
    if !dis.status.success() || !text.contains("run") {
        return Err(format!("{name}: could not disassemble {}", rlib.display()).into());
    }
    if let Some(line) = text.lines().find(|l| l.contains(".f64")) {
        return Err(format!("{name}: double-precision instruction in the thumbv7em build: {line}").into());
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
    let trials = dirs
        .into_iter()
        .map(|d| {
            let name = d.file_name().expect("name").to_string_lossy().to_string();
            Trial::test(name, move || run_case(&d))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
