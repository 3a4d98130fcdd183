//! The CLI's answers to bad input, as insta snapshots: each exits 2 and leaves no output
//! directory behind. Paths are replaced by placeholders so snapshots do not depend on machines.
//! Also the inputs that used to fail and now compile: a symbolic batch (defaults to 1, with a
//! note), `--input-shape` for another symbol, annotations that contradict the ops.

use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root")
}

/// Runs `ecgc compile MODEL --target stm32f746 -o <tmp>/out`; returns (exit code, stderr).
fn compile(model: &Path, tmp: &Path) -> (i32, String) {
    let out_dir = tmp.join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
        .arg("compile")
        .arg(model)
        .args(["--target", "stm32f746", "-o"])
        .arg(&out_dir)
        .output()
        .expect("run ecgc");
    assert!(!out_dir.exists(), "an output directory was left behind for {}", model.display());
    let leftovers: Vec<_> = std::fs::read_dir(tmp)
        .expect("tmp")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with(".ecgc"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
    let stderr = String::from_utf8_lossy(&out.stderr)
        .replace(&tmp.display().to_string(), "<tmp>")
        .replace(&repo().display().to_string(), "<repo>");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn truncated_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(repo().join("golden/matmul_2d/model.onnx")).unwrap();
    let model = tmp.path().join("truncated.onnx");
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();
    let (code, err) = compile(&model, tmp.path());
    assert_eq!(code, 2);
    insta::assert_snapshot!(err);
}

#[test]
fn not_onnx() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("notes.onnx");
    std::fs::write(&model, "lead II, 360 Hz, record 208\n").unwrap();
    let (code, err) = compile(&model, tmp.path());
    assert_eq!(code, 2);
    insta::assert_snapshot!(err);
}

#[test]
fn unsupported_ops_are_all_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = compile(&repo().join("compiler/tests/data/unsupported_ops.onnx"), tmp.path());
    assert_eq!(code, 2);
    insta::assert_snapshot!(err);
}

#[test]
fn unknown_input_dimension() {
    // [1, "T"]: a symbol that is not a leading batch axis has no default.
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = compile(&repo().join("compiler/tests/data/unknown_length.onnx"), tmp.path());
    assert_eq!(code, 2);
    insta::assert_snapshot!(err);
}

#[test]
fn loop_is_named_as_unsupported() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = compile(&repo().join("compiler/tests/data/loop.onnx"), tmp.path());
    assert_eq!(code, 2);
    assert!(!err.contains("ToTypedTranslator") && !err.contains("re-export it"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn custom_domain_and_unknown_ops_are_all_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = compile(&repo().join("compiler/tests/data/custom_domain.onnx"), tmp.path());
    assert_eq!(code, 2);
    insta::assert_snapshot!(err);
}

#[test]
fn symbolic_batch_defaults_to_one_with_a_note() {
    // ["N", 4]: the leading symbol is a batch axis; it becomes 1 and the compiler says so.
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
        .arg("compile")
        .arg(repo().join("compiler/tests/data/dynamic_input.onnx"))
        .args(["--target", "stm32f746", "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stderr));
    let lib = std::fs::read_to_string(out_dir.join("src/lib.rs")).unwrap();
    assert!(lib.contains("pub const X_SHAPE: [usize; 2] = [1, 4];"));
}

#[test]
fn unknown_input_dimension_is_fixed_by_input_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
        .arg("compile")
        .arg(repo().join("compiler/tests/data/dynamic_input.onnx"))
        .args(["--target", "stm32f746", "--input-shape", "x=3,4", "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lib = std::fs::read_to_string(out_dir.join("src/lib.rs")).unwrap();
    assert!(lib.contains("pub const X_SHAPE: [usize; 2] = [3, 4];"));
}

#[test]
fn over_budget_exits_3_with_a_breakdown() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
        .arg("compile")
        .arg(repo().join("golden/matmul_2d/model.onnx"))
        .args(["--target", "stm32f746", "--max-flash", "100", "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("over budget") && err.contains("largest weights"), "{err}");
    assert!(!out_dir.exists());
}

#[test]
fn nan_weights_name_the_node() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = compile(&repo().join("compiler/tests/data/nan_weights.onnx"), tmp.path());
    assert_eq!(code, 2);
    insta::assert_snapshot!(err);
}

#[test]
fn conflicting_annotations_are_overridden_by_inference() {
    // value_info says the Relu's output is double [1, 8] and the graph output double: tract's
    // inference (float [1, 4]) wins and the model compiles.
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
        .arg("compile")
        .arg(repo().join("compiler/tests/data/conflicting_annotations.onnx"))
        .args(["--target", "stm32f746", "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lib = std::fs::read_to_string(out_dir.join("src/lib.rs")).unwrap();
    assert!(lib.contains("pub const Y_SHAPE: [usize; 2] = [1, 4];"), "{lib}");
}

#[test]
fn input_shape_on_a_dynamo_export_binds_the_batch_symbol_everywhere() {
    // Used to fail: `Failed analyse for node "node_conv1d" ConvHir: ... Impossible to unify
    // Sym(batch) with Val(1)` (the exporter's value_info kept the symbol the input had lost).
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
        .arg("compile")
        .arg(repo().join("examples/models/exports/ecg_cnn.dynamo.onnx"))
        .args(["--target", "stm32f746", "--input-shape", "x=1,1,240", "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("note:"), "the user chose the batch: no note expected, got {err}");
    let lib = std::fs::read_to_string(out_dir.join("src/lib.rs")).unwrap();
    assert!(lib.contains("pub const X_SHAPE: [usize; 3] = [1, 1, 240];"), "{lib}");
}
