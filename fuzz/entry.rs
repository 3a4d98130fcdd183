//! The one entry the front-end fuzz target (`fuzz_targets/compile_onnx.rs`) and its corpus replay
//! (`compiler/tests/fuzz_corpus.rs`) share, so CI replays exactly what was fuzzed: the bytes
//! become `model.onnx` in a fresh private directory and go through what `ecgc compile --target
//! stm32f746 --no-measure` runs in memory (parse, check, prepare, tract, lower, passes, plan,
//! report, `back::generate`, the budget check), with nothing else written and no cargo spawned.
//! A file is used, not a buffer, because the library takes a model path (external data is found
//! beside it); the directory is removed afterwards.
//!
//! `Err` is a fine answer to bad bytes; a panic, abort, timeout or unbounded allocation is a bug.

/// Compiles `bytes` as a model file.
pub fn compile(bytes: &[u8]) -> ecgc::Result<()> {
    let dir = tempfile::Builder::new().prefix("ecgc-fuzz-").tempdir().expect("a temporary directory");
    let model = dir.path().join("model.onnx");
    std::fs::write(&model, bytes).expect("writing the scratch model");
    let compiled = ecgc::Compiler::new(&model).target("stm32f746").measure(false).build()?;
    if !compiled.report.fits() {
        return Err(ecgc::Error::OverBudget(compiled.report.table()));
    }
    Ok(())
}
