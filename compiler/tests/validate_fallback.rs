//! When tract cannot run a model that ecgc compiles, the IR interpreter is the reference.
//!
//! The models in `tests/data/tract_cannot_run/` (see its README) make tract 0.23.9 panic or fail
//! at run time. For each: the interpreter, on the lowered graph and after the pass pipeline,
//! equals onnxruntime's stored outputs (so the fallback reference is right), and `ecgc validate`
//! falls back to the interpreter, says so, and passes.

use ecgc::passes::{self, PassOptions};
use ecgc::validate::{compare, read_npy};
use ecgc::{front, reference};
use std::path::{Path, PathBuf};
use std::process::Command;

const CASES: [&str; 2] = ["9052", "9469"];

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tract_cannot_run").join(name)
}

fn npys(dir: &Path, prefix: &str) -> Vec<Vec<f32>> {
    (0..)
        .map(|k| dir.join(format!("{prefix}_{k}.npy")))
        .take_while(|p| p.exists())
        .map(|p| read_npy(&p).expect("npy"))
        .collect()
}

#[test]
fn the_interpreter_equals_onnxruntime_where_tract_cannot_run() {
    for name in CASES {
        let dir = case_dir(name);
        let xs = npys(&dir, "input");
        let refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
        let ort = npys(&dir, "ort_output");
        assert!(!ort.is_empty(), "{name}: no onnxruntime outputs");
        let mut g = front::import(&dir.join("model.onnx"), &[]).expect("import");
        let lowered = reference::run(&g, &refs).expect("interpreter on the lowered graph");
        let host = ecgc::target::Target::load("host").expect("host target");
        passes::run(&mut g, &PassOptions::default(), &passes::Context::f32(&host)).expect("passes");
        let after = reference::run(&g, &refs).expect("interpreter after passes");
        for (stage, ours) in [("lowered", lowered), ("after passes", after)] {
            let c = compare(&ours, &ort);
            println!("{name} ({stage}): max|interp − onnxruntime| {:.2e}, scaled {:.2e}", c.max_abs, c.max_scaled);
            assert!(
                c.max_scaled <= 1e-5,
                "{name} ({stage}): interpreter differs from onnxruntime by {:.3e}",
                c.max_scaled
            );
        }
    }
}

#[test]
fn validate_falls_back_to_the_interpreter_and_says_so() {
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/validate-fallback");
    for name in CASES {
        let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
            .arg("validate")
            .arg(case_dir(name).join("model.onnx"))
            .arg("--work-dir")
            .arg(work.join(name))
            .output()
            .expect("running ecgc");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: ecgc validate failed:\n{stdout}\n{stderr}");
        assert!(
            stdout.contains("reference: ecgc IR interpreter (tract is not usable on this model: "),
            "{name}: no fallback notice (does tract run this model now? then this case no longer tests the fallback):\n{stdout}"
        );
        assert!(stdout.contains("ok: the generated crate matches ecgc's IR interpreter"), "{name}:\n{stdout}");
        assert!(!stderr.contains("panicked"), "{name}: a panic report leaked:\n{stderr}");
    }
}
