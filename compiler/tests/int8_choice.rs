//! Which layers an int8 build makes integer when the user has a say (docs/INT8.md, "Choosing the
//! integer layers"): `--keep-f32 PATTERN` keeps the matching layers in f32, `--int8-max-error E`
//! keeps those whose int8 version alone changes the outputs on the calibration set by more than E.
//! On the zoo's ECG CNN and S4D-CfC-tiny (two and three int8 candidates). The per-layer errors the
//! threshold is tested against are the compiler's own measurements from a first build (nothing is
//! hard-coded): the test checks that the rule is applied, that the report and the graph agree, and
//! that bad uses exit 2 with nothing written.

mod common;

use common::compile_ecg_cnn as cli;
use ecgc::ir::Op;
use ecgc::{Compiled, Compiler, Precision};
use std::path::{Path, PathBuf};

fn zoo(model: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").join("examples/models").join(model).join(file)
}

fn int8(model: &str) -> Compiler {
    Compiler::new(zoo(model, "model.onnx"))
        .target("stm32f746")
        .precision(Precision::Int8)
        .calibration(zoo(model, "calibration.npz"))
        .measure(false)
}

/// Node names of the integer layers in the compiled graph.
fn integer_layers(c: &Compiled) -> Vec<String> {
    c.graph.nodes.iter().filter(|n| matches!(n.op, Op::QConv(_) | Op::QDense(_))).map(|n| n.name.clone()).collect()
}

/// The report's (precision, why) of a layer.
fn layer<'a>(c: &'a Compiled, node: &str) -> (&'a str, &'a str) {
    let l =
        c.report.layers.iter().find(|l| l.node == node).unwrap_or_else(|| panic!("no layer '{node}' in the report"));
    (&l.precision, &l.why)
}

/// The error the report gives a layer measured by `--int8-max-error`.
fn measured(why: &str) -> f64 {
    let at = why.find("by ").expect("an error in the reason") + 3;
    why[at..].split_whitespace().next().and_then(|s| s.parse().ok()).expect("a number")
}

#[test]
fn keep_f32_keeps_exactly_the_matching_layers() {
    let all = int8("ecg-cnn").compile_in_memory();
    let names = integer_layers(&all);
    // two convolutions and the head's Linear layer (after its flatten)
    assert_eq!(names.len(), 3, "the ECG CNN has three int8 candidates: {names:?}");
    let kept = int8("ecg-cnn").keep_f32("*features.0*").compile_in_memory();
    let now = integer_layers(&kept);
    assert!(!now.iter().any(|n| n.contains("features.0")), "{now:?}");
    assert_eq!(now.len(), 2, "the other layers stay integer: {now:?}");
    let (precision, why) = layer(&kept, "/features/features.0/Conv");
    assert_eq!(precision, "f32");
    assert_eq!(why, "kept f32 by --keep-f32 '*features.0*'");
    assert!(kept.notes.iter().any(|n| n.contains("kept f32 by --keep-f32")), "{:?}", kept.notes);
}

#[test]
fn int8_max_error_applies_its_threshold_to_each_layers_measured_error() {
    for model in ["ecg-cnn", "s4d-cfc-tiny"] {
        // Everything integer (any error passes 1e9): every candidate's error alone is measured.
        let loose = int8(model).int8_max_error(1e9).compile_in_memory();
        let errors: Vec<(String, f64)> =
            integer_layers(&loose).iter().map(|n| (n.clone(), measured(layer(&loose, n).1))).collect();
        assert!(errors.len() >= 2, "{model}: {errors:?}");
        assert!(errors.iter().all(|(_, e)| *e > 0.0 && e.is_finite()), "{model}: {errors:?}");
        // A threshold between the smallest and the largest error: exactly the layers at or below it stay integer.
        let mut sorted: Vec<f64> = errors.iter().map(|(_, e)| *e).collect();
        sorted.sort_by(f64::total_cmp);
        let threshold = (sorted[0] + sorted[sorted.len() - 1]) / 2.0;
        let mid = int8(model).int8_max_error(threshold).compile_in_memory();
        let now = integer_layers(&mid);
        for (name, e) in &errors {
            let (precision, why) = layer(&mid, name);
            assert_eq!(measured(why), *e, "{model}: '{name}' measured the same way twice");
            if *e <= threshold {
                assert!(
                    now.contains(name) && precision == "int8",
                    "{model}: '{name}' ({e:.3e} ≤ {threshold:.3e}) {why}"
                );
            } else {
                assert!(!now.contains(name) && precision == "f32", "{model}: '{name}' ({e:.3e} > {threshold:.3e})");
                assert!(why.starts_with("kept f32: int8 alone changes the outputs by"), "{why}");
            }
        }
        assert!(now.len() < errors.len() && !now.is_empty(), "{model}: {now:?}");
        // Zero tolerance: every candidate changes the outputs somewhat, so none is integer.
        let strict = int8(model).int8_max_error(0.0).compile_in_memory();
        assert!(integer_layers(&strict).is_empty(), "{model}: {:?}", integer_layers(&strict));
        assert!(strict.notes.iter().any(|n| n.contains("0 of")), "{model}: {:?}", strict.notes);
    }
}

#[test]
fn bad_uses_exit_2_with_nothing_written() {
    let cal = zoo("ecg-cnn", "calibration.npz");
    let cal = cal.to_str().expect("utf-8 path");
    let int8 = ["--precision", "int8", "--calibration", cal];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--keep-f32", "*"], "--keep-f32 only applies to --precision int8"),
        (vec!["--int8-max-error", "0.01"], "--int8-max-error only applies to --precision int8"),
        (
            [&int8[..], &["--keep-f32", "*nothing*"]].concat(),
            "matches no layer that int8 would make integer; those layers are: '/features/features.0/Conv'",
        ),
        ([&int8[..], &["--keep-f32", "conv["]].concat(), "--keep-f32 'conv[' is not a valid pattern"),
        ([&int8[..], &["--int8-max-error", "-1"]].concat(), "give a relative error ≥ 0"),
        ([&int8[..], &["--int8-max-error", "NaN"]].concat(), "give a relative error ≥ 0"),
    ];
    for (args, want) in cases {
        let (code, err, written) = cli(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!written, "{args:?}: output written");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let (code, err, written) = cli(&[&int8[..], &["--keep-f32", "*features.2*", "--int8-max-error", "0.5"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(written);
}

trait InMemory {
    fn compile_in_memory(self) -> Compiled;
}

impl InMemory for Compiler {
    fn compile_in_memory(self) -> Compiled {
        self.build().expect("compiles")
    }
}
