//! `--calibration-method` (docs/INT8.md, "Calibration methods"): the flag parses, a bad value or a
//! method without int8 is a clear exit-2 error with nothing written, and the method reaches the
//! quantize pass: on the zoo's ECG CNN, the percentile and MSE ranges are never wider than
//! min/max (so no activation scale grows) and the central 99% is strictly narrower somewhere.

mod common;

use common::compile_ecg_cnn as compile;
use ecgc::ir::ValueKind;
use ecgc::quant::CalibrationMethod;
use ecgc::{Compiler, Precision};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn zoo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").join("examples/models/ecg-cnn").join(file)
}

#[test]
fn bad_methods_exit_2_and_say_what_is_accepted() {
    let cal = zoo("calibration.npz");
    let cal = cal.to_str().expect("utf-8 path");
    for bad in ["entropy", "percentile:101", "percentile:0", "percentile:x", "mse:3"] {
        let (code, err, written) = compile(&["--precision", "int8", "--calibration", cal, "--calibration-method", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(!written, "{bad}: output written");
        assert!(err.contains("--calibration-method"), "{bad}: {err}");
        assert!(err.contains("expected minmax, percentile[:P] (0 < P ≤ 100, default 99.99"), "{bad}: {err}");
        assert!(!err.contains("panicked"), "{bad}: {err}");
    }
    let (code, err, written) = compile(&["--calibration-method", "mse"]);
    assert_eq!(code, 2, "{err}");
    assert!(!written);
    assert!(err.contains("--calibration-method only applies to --precision int8"), "{err}");
}

#[test]
fn every_method_compiles_from_the_command_line() {
    let cal = zoo("calibration.npz");
    let cal = cal.to_str().expect("utf-8 path");
    for m in ["minmax", "percentile", "percentile:99.9", "mse"] {
        let (code, err, written) = compile(&["--precision", "int8", "--calibration", cal, "--calibration-method", m]);
        assert_eq!(code, 0, "{m}: {err}");
        assert!(written, "{m}");
    }
}

/// Per computed value with per-tensor parameters (activations), its scale, by name.
fn activation_scales(method: CalibrationMethod) -> BTreeMap<String, f32> {
    let built = Compiler::new(zoo("model.onnx"))
        .target("stm32f746")
        .precision(Precision::Int8)
        .calibration(zoo("calibration.npz"))
        .calibration_method(method)
        .measure(false)
        .build()
        .expect("compiles");
    built
        .graph
        .values
        .iter()
        .filter(|v| matches!(v.kind, ValueKind::Computed))
        .filter_map(|v| v.quant.as_ref().filter(|q| q.axis.is_none()).map(|q| (v.name.clone(), q.scale[0])))
        .collect()
}

#[test]
fn the_method_reaches_the_quantize_pass() {
    let minmax = activation_scales(CalibrationMethod::MinMax);
    assert!(!minmax.is_empty(), "the ECG CNN has int8 activations");
    for method in [CalibrationMethod::Percentile(99.0), CalibrationMethod::Mse] {
        let other = activation_scales(method);
        assert_eq!(other.keys().collect::<Vec<_>>(), minmax.keys().collect::<Vec<_>>(), "{method}: same layers");
        for (name, s) in &other {
            assert!(*s <= minmax[name], "{method}: {name} scale {s} > min/max's {}", minmax[name]);
        }
        if method == CalibrationMethod::Percentile(99.0) {
            assert!(other.iter().any(|(n, s)| *s < minmax[n]), "the central 99% is narrower somewhere: {other:?}");
        }
    }
}
