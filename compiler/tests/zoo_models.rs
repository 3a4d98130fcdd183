//! The model zoo against the golden reference.
//!
//! For every `examples/models/<name>/<F>.onnx` this loads the graph with tract-onnx (through ecgc's
//! front end, which sets a symbolic batch axis to 1 and substitutes it everywhere), takes the
//! decluttered plan without the optimize step (the golden truth, see PRODUCT.md), feeds it the
//! inputs stored in the sibling `<F>.check.npz` and requires every output to match the outputs
//! stored there (PyTorch's, already checked against onnxruntime by the model's `make.py`) within
//! |err| ≤ 1e-4 · max(1, |y|), elementwise.
//!
//! float16 and bfloat16 exports (`*.fp16.onnx`, `*.bf16.onnx`, examples/models/fp16/) are checked by
//! `tests/float16.rs` instead.
//!
//! The zoo is part of the repository, so an empty or missing `examples/models` fails, as does an
//! `.onnx` without its `.check.npz` (the zoo's convention).
//!
//! `.check.npz` files are uncompressed zips of little-endian `.npy` arrays (what `numpy.savez` and
//! `examples/models/common/export_check.py` write); they are read here with a small reader
//! because `ndarray-npy` 0.9 is built on ndarray 0.16 while tract 0.23.9 uses ndarray 0.17.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tract_core::internal::{ensure, format_err};
use tract_onnx::prelude::*;

const REL_TOL: f32 = 1e-4;

#[test]
fn zoo_models_match_their_check_npz() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/models");
    let cases = find_cases(&root);
    assert!(
        !cases.is_empty(),
        "no models found under {}: every examples/models/<name>/<F>.onnx needs a sibling <F>.check.npz \
         (run `bash examples/models/make.sh all`)",
        root.display()
    );

    let mut failures = vec![];
    println!("{:<40} {:>6} {:>12} {:>12}", "model", "nodes", "max |err|", "max err/tol");
    for case in &cases {
        let name = case.strip_prefix(&root).unwrap_or(case).display().to_string();
        match check_one(case) {
            Ok(r) => {
                println!("{:<40} {:>6} {:>12.3e} {:>12.3}", name, r.nodes, r.max_abs, r.max_ratio);
                if r.max_ratio > 1.0 {
                    failures.push(format!("{name}: {} (max |err| {:.3e})", r.worst, r.max_abs));
                }
            }
            Err(e) => {
                println!("{:<40} error: {e:#}", name);
                failures.push(format!("{name}: {e:#}"));
            }
        }
    }
    println!("checked {} models", cases.len());
    assert!(failures.is_empty(), "zoo models disagree with tract:\n  {}", failures.join("\n  "));
}

/// `<name>/<F>.onnx` paths, sorted. Panics on an `.onnx` without its `.check.npz`.
fn find_cases(root: &Path) -> Vec<PathBuf> {
    let mut cases = vec![];
    let mut missing = vec![];
    let Ok(dirs) = fs::read_dir(root) else { return cases };
    // qdq/: the ECG CNN pre-quantized by onnxruntime, checked against onnxruntime by tests/qdq.rs
    let mut dirs: Vec<PathBuf> =
        dirs.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir() && !p.ends_with("qdq")).collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
            // float16 exports: PyTorch's float16 outputs are not within 1e-4 of a float32 run;
            // tests/float16.rs checks them against tract's float16 run with a float16 tolerance.
            .filter(|p| !p.to_string_lossy().ends_with(".fp16.onnx") && !p.to_string_lossy().ends_with(".bf16.onnx"))
            .collect();
        files.sort();
        for f in files {
            if check_path(&f).is_file() {
                cases.push(f);
            } else {
                missing.push(f.display().to_string());
            }
        }
    }
    assert!(missing.is_empty(), "ONNX files without a sibling .check.npz:\n  {}", missing.join("\n  "));
    cases
}

fn check_path(onnx: &Path) -> PathBuf {
    onnx.with_extension("check.npz")
}

struct CaseResult {
    nodes: usize,
    max_abs: f32,
    /// max over elements of |err| / (1e-4 · max(1, |y|)); ≤ 1 passes.
    max_ratio: f32,
    worst: String,
}

fn check_one(path: &Path) -> TractResult<CaseResult> {
    let arrays = read_npz(&check_path(path))?;
    // Loaded the way ecgc loads models (front::load_typed): the exports of examples/models/exports/
    // have a symbolic batch axis, which ecgc's front end sets to 1 (the check.npz inputs' batch).
    let model = ecgc::front::load_typed(path, &[]).map_err(|e| format_err!("{e}"))?;

    let input_names: Vec<String> = model.input_outlets()?.iter().map(|o| model.node(o.node).name.clone()).collect();
    let output_names: Vec<String> = model
        .output_outlets()?
        .iter()
        .map(|o| model.outlet_label(*o).map(|s| s.to_string()).unwrap_or_else(|| model.node(o.node).name.clone()))
        .collect();

    let mut inputs = TVec::new();
    for (ix, name) in input_names.iter().enumerate() {
        let a = arrays.get(name).ok_or_else(|| format_err!("check.npz has no input array `{name}`"))?;
        let fact = model.input_fact(ix)?;
        ensure!(
            fact.shape.as_concrete() == Some(a.shape.as_slice()),
            "input `{name}`: model shape {:?}, check.npz shape {:?}",
            fact.shape,
            a.shape
        );
        inputs.push(Tensor::from_shape(&a.shape, &a.data)?.into_tvalue());
    }

    let typed = model.into_decluttered()?;
    let nodes = typed.nodes().len();
    let plan = typed.into_runnable()?;
    let outputs = plan.run(inputs)?;

    let mut result = CaseResult { nodes, max_abs: 0.0, max_ratio: 0.0, worst: String::new() };
    for (name, got) in output_names.iter().zip(outputs.iter()) {
        let want = arrays.get(name).ok_or_else(|| format_err!("check.npz has no output array `{name}`"))?;
        let got = got.cast_to::<f32>()?;
        ensure!(
            got.shape() == want.shape.as_slice(),
            "output `{name}`: tract shape {:?}, check.npz shape {:?}",
            got.shape(),
            want.shape
        );
        let got = got.to_plain_array_view::<f32>()?;
        for (i, (g, w)) in got.iter().zip(want.data.iter()).enumerate() {
            let err = (g - w).abs();
            let ratio = if err.is_nan() { f32::INFINITY } else { err / (REL_TOL * w.abs().max(1.0)) };
            result.max_abs = result.max_abs.max(if err.is_nan() { f32::INFINITY } else { err });
            if ratio > result.max_ratio {
                result.max_ratio = ratio;
                result.worst = format!("output `{name}`[{i}]: tract {g}, expected {w}");
            }
        }
    }
    Ok(result)
}

/// A float32 array read from a `.check.npz`.
struct Array {
    shape: Vec<usize>,
    data: Vec<f32>,
}

/// Every float32 array of an `.npz`, by name (without the `.npy` suffix).
fn read_npz(path: &Path) -> TractResult<BTreeMap<String, Array>> {
    let file = fs::File::open(path).map_err(|e| format_err!("{}: {e}", path.display()))?;
    let mut npz = ndarray_npy::NpzReader::new(file).map_err(|e| format_err!("{}: {e}", path.display()))?;
    let names = npz.names().map_err(|e| format_err!("{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    for name in names {
        let a: ndarray::ArrayD<f32> =
            npz.by_name(&name).map_err(|e| format_err!("{}: array `{name}` is not float32: {e}", path.display()))?;
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        out.insert(key, Array { shape: a.shape().to_vec(), data: a.iter().copied().collect() });
    }
    Ok(out)
}
