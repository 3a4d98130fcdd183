//! Every golden case (golden/README.md) through ecgc's IR reference interpreter, against tract's
//! decluttered plan (the golden truth), at the case's stated tolerance:
//! max |interpreter − tract| ≤ tolerance · max(1, |tract|). A case whose `reference` is
//! `"onnxruntime"` (tract is known wrong on it) is checked against its stored `expected_<k>.npy`.
//!
//! Each case runs the interpreter twice: on the graph right after lowering (before any pass, so
//! every op the front end emits is evaluated unfused: Binary, Unary, Select, EinSum, ...) and on
//! the graph after the full pass pipeline (Dense, Fused with `sum_from`: what the back end emits
//! and what calibration runs). No Python and no generated crate are needed.

use ecgc::front::reference::{Plan, Reference};
use ecgc::passes::{self, PassOptions};
use ecgc::validate::{compare, read_npy};
use ecgc::{front, reference};
use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Case {
    tolerance: f32,
    /// `"onnxruntime"` where tract is known wrong: the truth is then `expected_<k>.npy`.
    reference: Option<String>,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

fn model_path(dir: &Path) -> Result<PathBuf, Failed> {
    let link = dir.join("model.path");
    Ok(if link.exists() { dir.join(std::fs::read_to_string(&link)?.trim()) } else { dir.join("model.onnx") })
}

/// `<prefix>_0.npy`, `<prefix>_1.npy`, ... of `dir`, up to the first missing one.
fn npys(dir: &Path, prefix: &str) -> Result<Vec<Vec<f32>>, Failed> {
    let mut xs = vec![];
    for k in 0.. {
        let p = dir.join(format!("{prefix}_{k}.npy"));
        if !p.exists() {
            break;
        }
        xs.push(read_npy(&p)?);
    }
    Ok(xs)
}

fn run_case(dir: &Path) -> Result<(), Failed> {
    let name = dir.file_name().expect("case name").to_string_lossy().to_string();
    let case: Case = toml::from_str(&std::fs::read_to_string(dir.join("case.toml"))?)?;
    let model = model_path(dir)?;
    let xs = npys(dir, "input")?;
    let refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
    let expected = if case.reference.is_some() {
        npys(dir, "expected")?
    } else {
        Reference::load(&model, &[], Plan::Decluttered)?.run(&xs)?
    };

    let mut graph = front::import(&model, &[]).map_err(|e| format!("{name}: import: {e}"))?;
    let lowered = reference::run(&graph, &refs).map_err(|e| format!("{name}: interpreter (lowered graph): {e}"))?;
    let host = ecgc::target::Target::load("host").map_err(|e| format!("host target: {e}"))?;
    passes::run(&mut graph, &PassOptions::default(), &passes::Context::f32(&host))
        .map_err(|e| format!("{name}: passes: {e}"))?;
    let start = std::time::Instant::now();
    let passed = reference::run(&graph, &refs).map_err(|e| format!("{name}: interpreter (after passes): {e}"))?;
    println!("{name}: one interpreter run after passes took {:.1} ms", start.elapsed().as_secs_f64() * 1e3);

    for (stage, ours) in [("lowered", &lowered), ("after passes", &passed)] {
        let c = compare(ours, &expected);
        println!(
            "{name} ({stage}): max|interp−reference| {:.2e}, scaled {:.2e} (tolerance {:.0e})",
            c.max_abs, c.max_scaled, case.tolerance
        );
        if c.max_scaled > case.tolerance {
            return Err(format!(
                "{name} ({stage}): the interpreter differs from the reference by {:.3e} (scaled) at output {} element {}",
                c.max_scaled, c.worst.0, c.worst.1
            )
            .into());
        }
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
    let trials = dirs.into_iter().map(|d| {
        let name = d.file_name().expect("name").to_string_lossy().to_string();
        Trial::test(name, move || run_case(&d))
    });
    libtest_mimic::run(&args, trials.collect()).exit();
}
