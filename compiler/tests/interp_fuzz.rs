//! A campaign of the IR interpreter against tract and onnxruntime on differential-fuzzing graphs
//! (golden/README.md, "Differential fuzzing"). Ignored by default: it needs the cases generated
//! first, with a Python that has golden/tools/requirements.txt:
//!
//! ```sh
//! python golden/tools/diff_fuzz.py gen --start 0 --count 5000 --out /tmp/fuzz
//! ECGC_INTERP_FUZZ_DIR=/tmp/fuzz cargo test -p ecgc --test interp_fuzz -- --ignored --nocapture
//! ```
//!
//! Each case that ecgc's front end accepts runs through the interpreter on the lowered graph and
//! after the pass pipeline. It fails when the interpreter errs, or differs from tract by more than
//! the golden tolerance (1e-5 · max(1, |tract|)) on a case where tract and onnxruntime agree
//! within it; cases where the references disagree, or tract cannot run, are listed, not counted.
//!
//! Record (2026-11-30, seeds 0..19999): 19,876 match tract (worst scaled error 8.5e-6), 115
//! refused by the front end, 7 reference problems (tract ≠ onnxruntime: 2210, 17911 — LayerNorm of
//! rows made constant by a Pad — and 14135, 18945, where the interpreter equals onnxruntime within
//! 1.3e-7 and tract is off by about 1; tract cannot run 9052, 9469, 9988), and **2 failures**, 6370
//! and 8257: LayerNorm over rows that are all Pad fill value. There the variance is 0 and the
//! result is `(x − mean)/sqrt(eps)`, so one ulp in the mean moves it by 1e-5–1e-4: the
//! interpreter's Reduce sums in f32 in row-major order, tract (and ecgc's kernels, 8 interleaved
//! partial sums) round differently. Accumulating Reduce in f64 makes both match (tried); the IR
//! states no summation order for Reduce, so this is an open IR-semantics question, not a bug.

use ecgc::front::reference::{Plan, Reference};
use ecgc::passes::{self, PassOptions};
use ecgc::validate::{compare, read_npy};
use ecgc::{front, reference};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

const TOLERANCE: f32 = 1e-5;

fn npys(dir: &Path, prefix: &str) -> Vec<Vec<f32>> {
    (0..)
        .map(|k| dir.join(format!("{prefix}_{k}.npy")))
        .take_while(|p| p.exists())
        .map(|p| read_npy(&p).expect("npy"))
        .collect()
}

#[test]
#[ignore = "needs ECGC_INTERP_FUZZ_DIR with cases from golden/tools/diff_fuzz.py gen"]
fn interpreter_matches_tract_on_fuzz_cases() {
    let root = std::env::var("ECGC_INTERP_FUZZ_DIR").expect("set ECGC_INTERP_FUZZ_DIR");
    let mut dirs: Vec<_> = std::fs::read_dir(&root).expect("case directory").flatten().map(|e| e.path()).collect();
    dirs.sort();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // tract's panics are caught and counted below
    let (mut refused, mut matched, mut worst) = (0, 0, 0.0f32);
    let (mut reference_problems, mut failures) = (vec![], vec![]);
    for dir in &dirs {
        let model = dir.join("model.onnx");
        let xs = npys(dir, "input");
        let refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
        let ort = npys(dir, "ort_output");
        let Ok(Ok(mut g)) = catch_unwind(|| front::import(&model, &[])) else {
            refused += 1;
            continue;
        };
        let run = |g: &ecgc::ir::Graph| catch_unwind(AssertUnwindSafe(|| reference::run(g, &refs)));
        let lowered = run(&g);
        let host = ecgc::target::Target::load("host").expect("host target");
        let after = passes::run(&mut g, &PassOptions::default(), &passes::Context::f32(&host)).map(|_| run(&g));
        let (Ok(Ok(lowered)), Ok(Ok(Ok(after)))) = (lowered, after) else {
            failures.push(format!("{}: the interpreter (or a pass) failed", dir.display()));
            continue;
        };
        let tract = catch_unwind(|| Reference::load(&model, &[], Plan::Decluttered).and_then(|r| r.run(&xs)));
        let Ok(Ok(tract)) = tract else {
            reference_problems.push(format!("{}: tract cannot run it", dir.display()));
            continue;
        };
        let c = compare(&lowered, &tract).max_scaled.max(compare(&after, &tract).max_scaled);
        let vs_ort = compare(&after, &ort).max_scaled;
        let tract_ort = compare(&tract, &ort).max_scaled;
        if c <= TOLERANCE {
            matched += 1;
            worst = worst.max(c);
        } else if tract_ort > TOLERANCE {
            reference_problems.push(format!(
                "{}: tract and onnxruntime differ by {tract_ort:.2e}; interpreter − tract {c:.2e}, − onnxruntime {vs_ort:.2e}",
                dir.display()
            ));
        } else {
            failures.push(format!("{}: interpreter − tract {c:.2e} (tract = onnxruntime)", dir.display()));
        }
    }
    std::panic::set_hook(hook);
    println!(
        "{} cases: {matched} match tract (worst scaled {worst:.2e}), {refused} refused by the front end, {} reference problems, {} failures",
        dirs.len(),
        reference_problems.len(),
        failures.len()
    );
    for p in reference_problems.iter().chain(&failures) {
        println!("  {p}");
    }
    assert!(failures.is_empty(), "{} failures", failures.len());
}
