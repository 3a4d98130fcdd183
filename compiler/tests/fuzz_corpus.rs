//! Replays the front-end fuzz target's corpus (`fuzz/corpus/compile_onnx/`, kept by
//! `cargo fuzz cmin`) through the very entry the fuzz target calls (`fuzz/entry.rs`: bytes →
//! `ecgc compile --no-measure` in memory), on stable, in-process: no input may panic. `Err` is a
//! fine answer; what the input is does not matter, only that ecgc answers. The fuzz target itself
//! needs nightly and libFuzzer and is not built here (see fuzz/README.md).
//!
//! Each input runs under `catch_unwind` with the panic hook silenced, on a thread with the main
//! thread's 8 MiB stack (what the `ecgc` binary has); every panic is collected and named by file.
//!
//! Run: `cargo test -p ecgc --test fuzz_corpus`.

#[path = "../../fuzz/entry.rs"]
mod entry;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/compile_onnx");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn no_fuzz_corpus_input_panics() {
    let files = corpus();
    assert!(files.len() >= 100, "the committed fuzz corpus has only {} files", files.len());
    std::panic::set_hook(Box::new(|_| {}));
    let replay = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let mut panics = vec![];
            let mut slowest = (Duration::ZERO, PathBuf::new());
            let (mut ok, mut err) = (0, 0);
            for f in &files {
                let bytes = std::fs::read(f).expect("reading a corpus file");
                let start = Instant::now();
                match catch_unwind(AssertUnwindSafe(|| entry::compile(&bytes))) {
                    Ok(Ok(())) => ok += 1,
                    Ok(Err(_)) => err += 1,
                    Err(p) => {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        panics.push(format!("{}: {msg}", f.display()));
                    }
                }
                let took = start.elapsed();
                if took > slowest.0 {
                    slowest = (took, f.clone());
                }
            }
            eprintln!(
                "{} inputs: {ok} compiled, {err} rejected, {} panicked; slowest {:?} ({})",
                files.len(),
                panics.len(),
                slowest.0,
                slowest.1.display()
            );
            panics
        })
        .expect("spawning the replay thread");
    let panics = replay.join().expect("the replay thread");
    let _ = std::panic::take_hook();
    assert!(panics.is_empty(), "{} corpus inputs panic:\n{}", panics.len(), panics.join("\n"));
}
