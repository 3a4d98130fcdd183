//! The generated crate as text: an insta snapshot of one `lib.rs` (reviewed as a diff when
//! codegen changes), and determinism (same model and flags → byte-identical files, wherever the
//! model sits on disk).

use ecgc::Compiler;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf()
}

#[test]
fn lib_rs_snapshot() {
    let c = Compiler::new(repo().join("golden/two_inputs_two_outputs/model.onnx"))
        .target("stm32f746")
        .name("snapshot_model")
        .build()
        .expect("compiles");
    let lib = String::from_utf8(c.krate.files[Path::new("src/lib.rs")].clone()).expect("utf8");
    insta::assert_snapshot!(lib);
}

#[test]
fn same_model_same_bytes_anywhere() {
    let src = repo().join("golden/conv1d_stride_dilation_groups/model.onnx");
    let tmp = tempfile::tempdir().expect("tmp");
    let moved = tmp.path().join("elsewhere/model.onnx");
    std::fs::create_dir_all(moved.parent().expect("parent")).expect("mkdir");
    std::fs::copy(&src, &moved).expect("copy");
    let a = Compiler::new(&src).target("stm32f746").build().expect("compiles");
    let b = Compiler::new(&src).target("stm32f746").build().expect("compiles");
    let c = Compiler::new(&moved).target("stm32f746").build().expect("compiles");
    assert_eq!(a.krate.files, b.krate.files);
    assert_eq!(a.krate.files, c.krate.files);
    assert!(a.krate.files.keys().any(|k| k.starts_with("ecgc-kernels")), "kernels are vendored by default");
}

#[test]
fn written_crate_matches_the_in_memory_one() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("crate");
    let c = Compiler::new(repo().join("golden/matmul_2d/model.onnx")).target("stm32f746").out_dir(&dir).compile().expect("compiles");
    for (rel, bytes) in &c.krate.files {
        assert_eq!(&std::fs::read(dir.join(rel)).expect("file written"), bytes, "{}", rel.display());
    }
    // Compiling again replaces the crate in place, atomically.
    Compiler::new(repo().join("golden/matmul_2d/model.onnx")).target("stm32f746").out_dir(&dir).compile().expect("recompiles");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).expect("tmp").flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("crate")]);
}
