//! Helpers shared by the integration tests that walk the model zoo or run the CLI on it. Each
//! test crate that includes this module uses some of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

/// The zoo's ONNX files (`examples/models/<model>/*.onnx`), sorted. `exports/` holds the zoo's
/// architectures again, through both torch exporters with random weights: the golden suite
/// compiles and runs those (the stm32f746 ones measured on QEMU), so they are not repeated here.
/// `fp16/` holds two zoo models again as float16/bfloat16 exports, which `tests/float16.rs` checks;
/// `qdq/` the ECG CNN again, pre-quantized by onnxruntime, which `tests/qdq.rs` checks.
pub fn zoo_models() -> Vec<PathBuf> {
    let mut models: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/models"))
        .expect("examples/models")
        .flatten()
        .filter(|d| d.path().is_dir() && !["exports", "fp16", "qdq"].iter().any(|x| d.file_name() == *x))
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten().map(|f| f.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    models.sort();
    models
}

/// Runs `ecgc compile <examples/models/ecg-cnn/model.onnx> --target stm32f746 --no-measure -o
/// <tmp>/out ARGS` with the built binary; returns (exit code, stderr, whether the output
/// directory exists). For the CLI tests of int8 flags.
pub fn compile_ecg_cnn(args: &[&str]) -> (i32, String, bool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_dir = tmp.path().join("out");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecgc"))
        .arg("compile")
        .arg(repo().join("examples/models/ecg-cnn/model.onnx"))
        .args(["--target", "stm32f746", "--no-measure", "-o"])
        .arg(&out_dir)
        .args(args)
        .output()
        .expect("run ecgc");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned(), out_dir.exists())
}
