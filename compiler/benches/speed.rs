//! Speed of generated f32 code against tract's optimized plan, each engine in its own process.
//!
//! For every example model (`examples/models/*/*.onnx`, `exports/` excepted: it repeats the zoo's
//! architectures; its LSTM/GRU one-step exports are in) that compiles, ecgc writes the crate and builds it (release, host) as a `cdylib`
//! around `ecgc_bench_run`. Then this program starts itself per model: once with
//! `--engine ecgc`, which loads the library with libloading and times it, and once with
//! `--engine tract`, which times tract's *optimized* plan (`into_decluttered` then
//! `into_optimized`) — on the same seeded inputs, after a warm-up, as the best of 3 batches of
//! enough repetitions to run ≥ 0.3 s each; this is repeated [`ROUNDS`] times, alternating, and
//! each engine's best counts. Separate processes keep the two engines' code from
//! affecting each other: timed in one thread after tract's AVX-512 kernels, ecgc's SSE code paid an
//! AVX→SSE transition penalty. Outputs are compared too, against the decluttered plan (run in this
//! parent process), so a fast wrong answer cannot pass unnoticed. Prints one row per model.
//!
//! A step graph whose names look like state is timed a second time as a streaming crate
//! (`--stream`: the state kept inside, one `step` per call; row "(streaming)") against the same
//! tract plan run on the step with the state passed in and out, which is what tract users do.
//! Its outputs are checked after a reset, one step from the zero state, against tract's run from
//! a zero state.
//!
//! Run: `cargo bench -p ecgc --bench speed` (optionally a substring filter as first argument).

use ecgc::back::KernelsDep;
use ecgc::front::reference::{Plan, Reference};
use ecgc::validate::{cargo, compare, seeded_inputs};
use ecgc::Compiler;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

type RunFn = unsafe extern "C" fn(*const f32, *mut f32, u32);
type ResetFn = extern "C" fn();

/// Processes per engine and model, alternating ecgc and tract; each engine's best counts.
const ROUNDS: usize = 2;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf()
}

/// Seconds per call of `f(reps)`: reps grown until a batch takes ≥ 0.3 s, then the best mean of
/// 3 such batches (the machine is shared; the minimum is the least disturbed).
fn time(mut f: impl FnMut(u32)) -> f64 {
    f(3);
    let mut reps = 1u32;
    let mut best = loop {
        let t = Instant::now();
        f(reps);
        let s = t.elapsed().as_secs_f64();
        if s >= 0.3 || reps >= 1 << 24 {
            break s / reps as f64;
        }
        reps = reps.saturating_mul(if s < 0.03 { 10 } else { 2 });
    };
    for _ in 0..2 {
        let t = Instant::now();
        f(reps);
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    best
}

fn models() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/models"))
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    v.sort();
    v.into_iter()
        .flat_map(|d| {
            let exports = d.file_name().is_some_and(|n| n == "exports");
            let mut f: Vec<PathBuf> =
                std::fs::read_dir(d).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
            f.retain(|p| p.extension().is_some_and(|e| e == "onnx"));
            // exports/ repeats the zoo's architectures, except its LSTM/GRU steps
            f.retain(|p| {
                !exports || p.file_name().is_some_and(|n| n == "lstm_step.legacy.onnx" || n == "gru_step.legacy.onnx")
            });
            f.sort();
            f
        })
        .collect()
}

fn bench(model: &Path, work: &Path, streaming: bool) -> Result<(f64, f64, f32), String> {
    let label = format!(
        "{}_{}{}",
        model.parent().and_then(|p| p.file_name()).map(|s| s.to_string_lossy().to_string()).unwrap_or_default(),
        model.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default(),
        if streaming { "_stream" } else { "" }
    );
    let name = format!("bench_{}", ecgc::back::names::sanitize(&label));
    let crate_dir = work.join("crates").join(&name);
    let compiled = Compiler::new(model)
        .stream(streaming)
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
    let src = ecgc::back::harness::bench_lib_rs(&name, &compiled.krate.inputs, &compiled.krate.outputs, streaming);
    std::fs::write(lib_dir.join("src/lib.rs"), src).map_err(|e| e.to_string())?;
    let target = work.join("target");
    cargo(&["build", "--release", "--quiet"], &lib_dir, &target).map_err(|e| e.to_string())?;
    let so = target.join("release").join(format!(
        "{}lib_{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));

    let decluttered = Reference::load(model, &[], Plan::Decluttered).map_err(|e| e.to_string())?;
    let mut inputs = seeded_inputs(&decluttered.input_shapes, 7);
    let g = &compiled.graph;
    if streaming {
        // tract steps from the zero state, as the crate after `reset`
        for p in &g.state {
            inputs[p.input].iter_mut().for_each(|v| *v = 0.0);
        }
    }
    let mut expected = decluttered.run(&inputs).map_err(|e| e.to_string())?;
    let in_file = work.join(format!("{name}.in.f32"));
    let ours_in = work.join(format!("{name}.ours.in.f32"));
    let out_file = work.join(format!("{name}.out.f32"));
    write_f32(&in_file, &inputs.concat())?;
    // the crate's own inputs: a streaming crate takes the sample, not the state
    let own: Vec<f32> =
        inputs.iter().enumerate().filter(|(k, _)| !g.is_state_input(*k)).flat_map(|(_, v)| v.clone()).collect();
    write_f32(&ours_in, &own)?;
    let _ = std::fs::remove_file(&out_file);
    if streaming {
        expected = expected.into_iter().enumerate().filter(|(k, _)| !g.is_state_output(*k)).map(|(_, v)| v).collect();
    }
    let lens: Vec<usize> = expected.iter().map(|v| v.len()).collect();
    let total: usize = lens.iter().sum();

    // Alternate the two engines' processes and keep each one's best: a burst of load on the
    // shared machine then hurts one round, not the comparison.
    let (mut ours_s, mut tract_s) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..ROUNDS {
        ours_s = ours_s.min(engine(&[
            "ecgc".as_ref(),
            so.as_os_str(),
            ours_in.as_os_str(),
            out_file.as_os_str(),
            total.to_string().as_ref(),
        ])?);
        tract_s = tract_s.min(engine(&["tract".as_ref(), model.as_os_str(), in_file.as_os_str()])?);
    }
    let ours_out = read_f32(&out_file)?;
    let mut at = 0;
    let ours: Vec<Vec<f32>> = lens
        .iter()
        .map(|&n| {
            at += n;
            ours_out.get(at - n..at).map(<[f32]>::to_vec).unwrap_or_default()
        })
        .collect();
    let err = compare(&ours, &expected).max_scaled;
    Ok((ours_s, tract_s, err))
}

/// Runs this program again as `--engine <args>` and reads the seconds per call it prints.
fn engine(args: &[&std::ffi::OsStr]) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe).arg("--engine").args(args).output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("--engine {:?} failed: {}", args.first(), String::from_utf8_lossy(&out.stderr)));
    }
    text.trim().parse().map_err(|_| format!("--engine {:?} printed {text:?}", args.first()))
}

/// The child process: times one engine and prints its seconds per call.
///
/// - `ecgc <library> <inputs> <outputs> <output count>`: the generated code; its outputs go to a file.
/// - `tract <model.onnx> <inputs>`: tract's optimized plan.
fn run_engine(args: &[String]) -> Result<f64, String> {
    match args {
        [e, so, input, output, n] if e == "ecgc" => {
            let flat_in = read_f32(Path::new(input))?;
            let mut flat_out = vec![0f32; n.parse::<usize>().map_err(|e| e.to_string())?];
            // SAFETY: the library was built from ecgc's bench harness, which exports this symbol
            // with this signature; the buffers hold exactly the model's inputs and outputs (the
            // parent wrote the inputs file and counted the outputs from the reference's run).
            let s = unsafe {
                let lib = libloading::Library::new(so).map_err(|e| e.to_string())?;
                let run: libloading::Symbol<RunFn> = lib.get(b"ecgc_bench_run").map_err(|e| e.to_string())?;
                let s = time(|reps| run(flat_in.as_ptr(), flat_out.as_mut_ptr(), reps));
                // a streaming crate: the outputs checked are one step from the zero state
                if let Ok(reset) = lib.get::<ResetFn>(b"ecgc_bench_reset") {
                    reset();
                    run(flat_in.as_ptr(), flat_out.as_mut_ptr(), 1);
                }
                s
            };
            write_f32(Path::new(output), &flat_out)?;
            Ok(s)
        }
        [e, model, input] if e == "tract" => {
            let optimized = Reference::load(Path::new(model), &[], Plan::Optimized).map_err(|e| e.to_string())?;
            let flat = read_f32(Path::new(input))?;
            let mut at = 0;
            let mut inputs = vec![];
            for shape in &optimized.input_shapes {
                let n: usize = shape.iter().product();
                inputs.push(flat.get(at..at + n).ok_or("inputs file too short")?.to_vec());
                at += n;
            }
            Ok(time(|reps| optimized.run_repeatedly(&inputs, reps).expect("tract run")))
        }
        _ => Err(format!("usage: --engine ecgc LIB IN OUT N | --engine tract MODEL IN (got {args:?})")),
    }
}

fn write_f32(path: &Path, v: &[f32]) -> Result<(), String> {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn read_f32(path: &Path) -> Result<Vec<f32>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--engine") {
        match run_engine(&args[1..]) {
            Ok(s) => println!("{s:e}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let work = repo().join("target/bench-work");
    println!("{:<44} {:>12} {:>12} {:>8} {:>10}", "model", "ecgc µs", "tract µs", "speedup", "max err");
    for m in models() {
        let label = m.strip_prefix(repo().join("examples/models")).unwrap_or(&m).display().to_string();
        if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
            continue;
        }
        let step_graph = ecgc::front::import(&m, &[])
            .is_ok_and(|g| g.window.is_none() && !ecgc::stream::pairs::look_like_state(&g).is_empty());
        for streaming in [false, true] {
            if streaming && !step_graph {
                continue;
            }
            let label = if streaming { format!("{label} (streaming)") } else { label.clone() };
            match bench(&m, &work, streaming) {
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
}
