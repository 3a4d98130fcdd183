//! int8 code equals the integer reference interpreter, bit for bit, on every golden case that
//! has integer layers, on the zoo's ECG CNN and on the pre-quantized models of
//! `examples/models/qdq/` (QDQ and operator form, their own parameters).
//!
//! For each model: calibrate on seeded inputs (plus the case's own), run the pass pipeline at
//! int8, and make every `Dequantize` result a graph output as well (a probe: what the integer
//! layers computed, exactly, since dequantizing is the same f32 expression in both). Generate the
//! crate for stm32f746 (the DSP kernel forms, which on the host run their plain-Rust data flow),
//! build it for the host, run it, and require every probe to equal the interpreter's bits.
//!
//! In the mixed scheme a `Quantize` may read a float layer's result, which generated code and
//! the interpreter compute with different (f32) rounding, so one value can land on the other side
//! of a rounding boundary. To compare the integer layers alone, those float results are probed
//! too, and the interpreter runs on a copy of the graph where they are inputs fed with the
//! generated code's values. The model's own outputs are compared with that run within the case's
//! tolerance.

use ecgc::back::{lib_rs::CardFacts, CrateSpec, KernelsDep};
use ecgc::ir::{DType, Graph, Op, Value, ValueKind};
use ecgc::passes::{self, Context, PassOptions};
use ecgc::quant::Calibration;
use ecgc::target::Target;
use ecgc::validate::{build_harness, read_npy, run_harness, seeded_inputs};
use ecgc::{front, reference, Precision};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

fn work() -> PathBuf {
    repo().join("target").join("int8-exact")
}

/// The quantized graph of `model` with probes, calibrated on `cal`.
fn quantized(model: &Path, cal: &[Vec<Vec<f32>>]) -> Result<Graph, String> {
    let mut g = front::import(model, &[]).map_err(|e| format!("import: {e}"))?;
    let target = Target::load("stm32f746").map_err(|e| e.to_string())?;
    let cal = Calibration { samples: cal.to_vec() };
    let cx = Context { precision: Precision::Int8, calibration: Some(&cal), ..Context::f32(&target) };
    passes::run(&mut g, &PassOptions::default(), &cx).map_err(|e| format!("passes: {e}"))?;
    let probes: Vec<_> = g
        .nodes
        .iter()
        .filter_map(|n| match n.op {
            Op::Dequantize => Some(n.output),
            Op::Quantize(_) if g.value(n.inputs[0]).kind == ValueKind::Computed => Some(n.inputs[0]),
            _ => None,
        })
        .collect();
    for p in probes {
        if !g.outputs.contains(&p) {
            g.outputs.push(p);
        }
    }
    Ok(g)
}

/// Builds `g`'s crate and harness; runs every input set; returns each run's outputs.
fn run_generated(g: &Graph, name: &str, runs: &[Vec<Vec<f32>>]) -> Result<Vec<Vec<Vec<f32>>>, String> {
    let plan = ecgc::plan::plan(g);
    let facts = CardFacts { card: vec![name.into()], weight_bytes: 0, macs: 0, tuning: Default::default() };
    let spec = CrateSpec {
        name: name.into(),
        kernels: KernelsDep::Path(repo().join("runtime-kernels")),
        command: "int8_exact".into(),
        source: "model.onnx".into(),
        sha256: String::new(),
        facts: vec![],
    };
    let krate = ecgc::back::generate(g, &plan, &facts, &spec).map_err(|e| format!("generate: {e}"))?;
    let dir = work().join("crates").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    ecgc::back::write_atomically(&krate, &dir).map_err(|e| format!("write: {e}"))?;
    let exe = build_harness(&dir, name, &krate.inputs, &krate.outputs, &work()).map_err(|e| e.to_string())?;
    let lens: Vec<usize> = g.outputs.iter().map(|&o| g.value(o).len()).collect();
    runs.iter().map(|xs| run_harness(&exe, xs, &lens, 1).map(|r| r.0).map_err(|e| e.to_string())).collect()
}

/// A copy of `g` where every computed value a `Quantize` reads is a new graph input (after the
/// model's own), with the positions of those values among `g`'s outputs.
fn fed(g: &Graph) -> (Graph, Vec<usize>) {
    let mut f = g.clone();
    let mut fed_from = vec![];
    for i in 0..f.nodes.len() {
        let x = f.nodes[i].inputs[0];
        if !matches!(f.nodes[i].op, Op::Quantize(_)) || f.value(x).kind != ValueKind::Computed {
            continue;
        }
        let k = f.inputs.len();
        let v =
            Value::new(format!("{}.fed", f.value(x).name), f.value(x).shape.clone(), DType::F32, ValueKind::Input(k));
        let id = f.add_value(v);
        f.inputs.push(id);
        f.nodes[i].inputs[0] = id;
        fed_from.push(g.outputs.iter().position(|&o| o == x).unwrap_or(usize::MAX));
    }
    (f, fed_from)
}

/// One model: `Ok(Some(probes))` when it has integer layers and every probe is exact.
fn check(
    model: &Path,
    name: &str,
    cal: &[Vec<Vec<f32>>],
    runs: &[Vec<Vec<f32>>],
    tolerance: f32,
) -> Result<Option<usize>, String> {
    let g = quantized(model, cal)?;
    if !g.nodes.iter().any(|n| matches!(n.op, Op::QConv(_) | Op::QDense(_))) {
        return Ok(None);
    }
    let ours = run_generated(&g, name, runs)?;
    let (f, fed_from) = fed(&g);
    let mut probes = 0;
    for (r, (xs, got)) in runs.iter().zip(&ours).enumerate() {
        let mut refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
        for &k in &fed_from {
            refs.push(got.get(k).map(Vec::as_slice).ok_or("a fed value is not probed")?);
        }
        let want = reference::run(&f, &refs).map_err(|e| format!("interpreter: {e}"))?;
        for (k, (a, b)) in got.iter().zip(&want).enumerate() {
            let is_probe = g.nodes.iter().any(|n| matches!(n.op, Op::Dequantize) && n.output == g.outputs[k]);
            if is_probe {
                probes += a.len();
                let bad: Vec<usize> = (0..a.len()).filter(|&i| a[i].to_bits() != b[i].to_bits()).collect();
                if let Some(&i) = bad.first() {
                    return Err(format!(
                        "run {r}: output {k} ('{}', shape {:?}) element {i}: generated {} ≠ interpreter {} \
                         ({} elements differ)",
                        g.value(g.outputs[k]).name,
                        g.value(g.outputs[k]).shape,
                        a[i],
                        b[i],
                        bad.len()
                    ));
                }
            } else {
                let c = ecgc::validate::compare(std::slice::from_ref(a), std::slice::from_ref(b));
                if c.max_scaled > tolerance.max(1e-4) {
                    return Err(format!(
                        "run {r}: float output {k} differs from the interpreter by {:.2e}",
                        c.max_scaled
                    ));
                }
            }
        }
    }
    Ok(Some(probes))
}

fn golden_inputs(dir: &Path) -> Vec<Vec<f32>> {
    (0..)
        .map(|k| dir.join(format!("input_{k}.npy")))
        .take_while(|p| p.exists())
        .map(|p| read_npy(&p).expect("npy"))
        .collect()
}

#[test]
fn generated_int8_code_equals_the_integer_interpreter() {
    let mut failures = vec![];
    let mut exact = 0;
    let mut cases: Vec<PathBuf> = std::fs::read_dir(repo().join("golden"))
        .expect("golden/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("case.toml").exists())
        .collect();
    cases.sort();
    let only = std::env::var("INT8_ONLY").ok();
    for dir in cases {
        let name = dir.file_name().expect("name").to_string_lossy().to_string();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let link = dir.join("model.path");
        let model = if link.exists() {
            dir.join(std::fs::read_to_string(&link).expect("model.path").trim())
        } else {
            dir.join("model.onnx")
        };
        let xs = golden_inputs(&dir);
        let shapes: Vec<Vec<usize>> = match front::import(&model, &[]) {
            Ok(g) => g.inputs.iter().map(|&i| g.value(i).shape.clone()).collect(),
            Err(_) => continue, // a golden case of a refused model has no int8 form either
        };
        let mut cal: Vec<Vec<Vec<f32>>> = (0..16).map(|s| seeded_inputs(&shapes, 100 + s)).collect();
        cal.push(xs.clone());
        let runs = vec![xs, seeded_inputs(&shapes, 7), seeded_inputs(&shapes, 8)];
        let case = std::fs::read_to_string(dir.join("case.toml")).expect("case.toml");
        let tolerance = case
            .lines()
            .find_map(|l| l.strip_prefix("tolerance = ").and_then(|v| v.trim().parse::<f32>().ok()))
            .unwrap_or(1e-5);
        match check(&model, &format!("q8_{name}"), &cal, &runs, tolerance) {
            Ok(Some(n)) => {
                println!("{name}: {n} integer-layer results exact");
                exact += 1;
            }
            Ok(None) => println!("{name}: no integer layers (stays f32)"),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    // the zoo's ECG CNN, calibrated on its own calibration set, run on validation samples
    let zoo = repo().join("examples/models/ecg-cnn");
    let g = front::import(&zoo.join("model.onnx"), &[]).expect("ecg-cnn imports");
    let cal = Calibration::load(&zoo.join("calibration.npz"), &g).expect("calibration set");
    let val = Calibration::load(&zoo.join("validation.npz"), &g).expect("validation set as samples");
    let runs: Vec<Vec<Vec<f32>>> = val.samples.iter().take(8).cloned().collect();
    match check(&zoo.join("model.onnx"), "q8_zoo_ecg_cnn", &cal.samples, &runs, 1e-5) {
        Ok(Some(n)) => {
            println!("zoo ecg-cnn: {n} integer-layer results exact");
            exact += 1;
        }
        Ok(None) => failures.push("zoo ecg-cnn: no integer layers".into()),
        Err(e) => failures.push(format!("zoo ecg-cnn: {e}")),
    }
    // pre-quantized models (examples/models/qdq/): their own parameters, on the same samples
    for stem in ["ecg_cnn_qdq", "ecg_cnn_qdq_u8", "ecg_cnn_qop"] {
        let model = repo().join("examples/models/qdq").join(format!("{stem}.onnx"));
        match check(&model, &format!("q8_{stem}"), &cal.samples, &runs, 1e-5) {
            Ok(Some(n)) => {
                println!("{stem}: {n} integer-layer results exact");
                exact += 1;
            }
            Ok(None) => failures.push(format!("{stem}: no integer layers")),
            Err(e) => failures.push(format!("{stem}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(only.is_some() || exact >= 10, "only {exact} models had integer layers");
}
