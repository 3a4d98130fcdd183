//! Speed of generated f32 code against tract's optimized plan, in one process.
//!
//! For every example model (`examples/models/*/*.onnx`) that compiles, ecgc writes the crate,
//! builds it (release, host) as a `cdylib` around `ecgc_bench_run`, loads it into this process
//! with libloading, and times it and tract's *optimized* plan on the same seeded inputs (after a
//! warm-up, over enough repetitions to run ≥ 0.3 s each). Outputs are compared too, against the
//! decluttered plan, so a fast wrong answer cannot pass unnoticed. Prints one row per model.
//!
//! Run: `cargo bench -p ecgc --bench speed` (optionally a substring filter as first argument).

use ecgc::back::KernelsDep;
use ecgc::front::reference::{Plan, Reference};
use ecgc::validate::{cargo, compare, seeded_inputs};
use ecgc::Compiler;
use std::path::{Path, PathBuf};
use std::time::Instant;

type RunFn = unsafe extern "C" fn(*const f32, *mut f32, u32);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf()
}

/// Mean seconds per call of `f(reps)`, with reps grown until a batch takes ≥ 0.3 s.
fn time(mut f: impl FnMut(u32)) -> f64 {
    f(3);
    let mut reps = 1u32;
    loop {
        let t = Instant::now();
        f(reps);
        let s = t.elapsed().as_secs_f64();
        if s >= 0.3 || reps >= 1 << 24 {
            return s / reps as f64;
        }
        reps = reps.saturating_mul(if s < 0.03 { 10 } else { 2 });
    }
}

fn models() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/models"))
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    v.sort();
    v.into_iter()
        .flat_map(|d| {
            let mut f: Vec<PathBuf> =
                std::fs::read_dir(d).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
            f.retain(|p| p.extension().is_some_and(|e| e == "onnx"));
            f.sort();
            f
        })
        .collect()
}

fn bench(model: &Path, work: &Path) -> Result<(f64, f64, f32), String> {
    let label = format!(
        "{}_{}",
        model.parent().and_then(|p| p.file_name()).map(|s| s.to_string_lossy().to_string()).unwrap_or_default(),
        model.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
    );
    let name = format!("bench_{}", ecgc::back::names::sanitize(&label));
    let crate_dir = work.join("crates").join(&name);
    let compiled = Compiler::new(model)
        .name(&name)
        .kernels(KernelsDep::Path(repo().join("runtime-kernels")))
        .out_dir(&crate_dir)
        .compile()
        .map_err(|e| e.to_string())?;
    let lib_dir = work.join(format!("lib_{name}"));
    std::fs::create_dir_all(lib_dir.join("src")).map_err(|e| e.to_string())?;
    let toml = format!(
        "[package]\nname = \"lib_{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\n{name} = {{ path = {:?} }}\n\n[workspace]\n",
        crate_dir.display().to_string()
    );
    std::fs::write(lib_dir.join("Cargo.toml"), toml).map_err(|e| e.to_string())?;
    let src = ecgc::back::harness::bench_lib_rs(&name, &compiled.krate.inputs, &compiled.krate.outputs);
    std::fs::write(lib_dir.join("src/lib.rs"), src).map_err(|e| e.to_string())?;
    let target = work.join("target");
    cargo(&["build", "--release", "--quiet"], &lib_dir, &target).map_err(|e| e.to_string())?;
    let so = target.join("release").join(format!(
        "{}lib_{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));

    let decluttered = Reference::load(model, &[], Plan::Decluttered).map_err(|e| e.to_string())?;
    let optimized = Reference::load(model, &[], Plan::Optimized).map_err(|e| e.to_string())?;
    let inputs = seeded_inputs(&decluttered.input_shapes, 7);
    let expected = decluttered.run(&inputs).map_err(|e| e.to_string())?;
    let flat_in: Vec<f32> = inputs.iter().flatten().copied().collect();
    let lens: Vec<usize> = expected.iter().map(|v| v.len()).collect();
    let mut flat_out = vec![0f32; lens.iter().sum()];

    // SAFETY: the library was just built from ecgc's bench harness, which exports this symbol
    // with this signature; the buffers hold exactly the model's inputs and outputs.
    let (ours_s, ours_out) = unsafe {
        let lib = libloading::Library::new(&so).map_err(|e| e.to_string())?;
        let run: libloading::Symbol<RunFn> = lib.get(b"ecgc_bench_run").map_err(|e| e.to_string())?;
        let s = time(|reps| run(flat_in.as_ptr(), flat_out.as_mut_ptr(), reps));
        (s, flat_out.clone())
    };
    let mut at = 0;
    let ours: Vec<Vec<f32>> = lens
        .iter()
        .map(|&n| {
            at += n;
            ours_out[at - n..at].to_vec()
        })
        .collect();
    let err = compare(&ours, &expected).max_scaled;
    let tract_s = time(|reps| optimized.run_repeatedly(&inputs, reps).expect("tract run"));
    Ok((ours_s, tract_s, err))
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let work = repo().join("target/bench-work");
    println!("{:<44} {:>12} {:>12} {:>8} {:>10}", "model", "ecgc µs", "tract µs", "speedup", "max err");
    for m in models() {
        let label = m.strip_prefix(repo().join("examples/models")).unwrap_or(&m).display().to_string();
        if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
            continue;
        }
        match bench(&m, &work) {
            Ok((ours, tract, err)) => println!(
                "{:<44} {:>12.2} {:>12.2} {:>7.2}× {:>10.1e}",
                label,
                ours * 1e6,
                tract * 1e6,
                tract / ours,
                err
            ),
            Err(e) => println!("{:<44} skipped: {}", label, e.lines().next().unwrap_or("")),
        }
    }
}
