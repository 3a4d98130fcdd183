//! Differential fuzzing: random small valid ONNX graphs (golden/tools/diff_fuzz.py, one per seed)
//! compiled by ecgc and compared with the golden truth, tract's decluttered plan, and with
//! onnxruntime (whose outputs the generator writes).
//!
//! Every case is compiled in module form into ONE host harness crate (`mod m<k>` per case, a
//! `main` dispatching on the case index), built once: a cargo build per case would cost minutes.
//! The harness is a dev build at opt-level 1, so debug assertions and overflow checks are on: an
//! index computed wrongly in generated code panics instead of reading a neighbour.
//! Outcomes per case:
//! - match: ecgc equals tract within the golden suite's tolerance, 1e-5 · max(1, |tract|);
//! - refused: ecgc rejects the model as a user error (exit-2 kind: an unsupported op or attribute);
//!   allowed, listed by reason, but must stay rare (at most 10% of the cases);
//! - reference: tract and onnxruntime disagree with each other, or tract cannot run the model (then
//!   ecgc is compared with onnxruntime alone, for the report): a reference problem, reported and
//!   not counted against ecgc;
//! - failure: a mismatch with tract (tract agreeing with onnxruntime), a panic, an exit-1 kind
//!   error (compiler bug), generated code that does not build, a crash or wrong output length.
//!   Any failure fails the test.
//!
//! The default run (seeds 0..199) also runs the kept cases of golden/diff_fuzz/: minimised finds
//! where tract's decluttered plan disagrees with onnxruntime (so they cannot be golden cases). Each
//! must still show that disagreement with ecgc on tract's side; if tract or ecgc changes, the test
//! fails so the case is moved.
//!
//! Environment: `ECGC_DIFF_FUZZ_START` (first seed, default 0), `ECGC_DIFF_FUZZ_COUNT` (default
//! 200), `ECGC_DIFF_FUZZ_CASES` (run existing case folders instead of generating, e.g. minimising
//! candidates), `ECGC_DIFF_FUZZ_WORK` (work folder, default `target/diff-fuzz-work`),
//! `ECGC_DIFF_FUZZ_SUMMARY` (write the outcome as JSON there; scripts/diff-fuzz.sh uses it),
//! `ECGC_DIFF_FUZZ_VERBOSE` (print the three engines' outputs of every case that does not match).
//! The generator needs golden/tools/requirements.txt (`ECGC_PYTHON` or `.venv-golden`): without
//! it the test fails when `CI` is set and is skipped loudly otherwise.

use ecgc::front::reference::{Plan, Reference};
use ecgc::validate::{cargo, compare, read_npy};
use ecgc::{Compiler, Error};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The golden suite's tolerance: max |ours − ref| ≤ TOL · max(1, |ref|).
const TOL: f32 = 1e-5;
/// Largest share of refused cases the CI run accepts: refusals are allowed, not the norm.
const MAX_REFUSED_SHARE: f64 = 0.10;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

fn python() -> Option<String> {
    if let Ok(p) = std::env::var("ECGC_PYTHON") {
        return Some(p);
    }
    let venv = repo().join(".venv-golden/bin/python");
    venv.exists().then(|| venv.display().to_string())
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")))
        .unwrap_or(default)
}

/// What happened to one case.
#[derive(Debug)]
enum Outcome {
    Match,
    Refused(String),
    Reference(String),
    Failure(String),
}

/// `(parameter, SCREAMING)` names of a generated model's inputs or outputs.
type Names = Vec<(String, String)>;

/// One case on its way through the test.
struct Case {
    id: String,
    dir: PathBuf,
    inputs: Vec<Vec<f32>>,
    ort: Vec<Vec<f32>>,
    tract: Option<Vec<Vec<f32>>>,
    /// Why tract gave no outputs (then ecgc is compared with onnxruntime alone, for the report).
    tract_err: Option<String>,
    /// `(inputs, outputs)` `(parameter, SCREAMING)` names when compiled.
    io: Option<(Names, Names)>,
    outcome: Option<Outcome>,
    note: String,
    /// A kept case of golden/diff_fuzz/ (tract known to differ from onnxruntime on it).
    kept: bool,
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// The refusal's reason without node names, so refusals group by kind.
fn refusal_reason(e: &Error) -> String {
    match e {
        Error::Unsupported(list) => {
            let mut r: Vec<String> = list.iter().map(|u| format!("{}: {}", u.op, u.reason)).collect();
            r.sort();
            r.dedup();
            r.join("; ")
        }
        // tract's words, without the file and node names: the last clause says what went wrong
        Error::ModelAnalysis { reason, .. } => {
            format!("tract could not analyse the model: {}", reason.rsplit(": ").next().unwrap_or(reason))
        }
        other => other.to_string().lines().next().unwrap_or_default().to_string(),
    }
}

fn npys(dir: &Path, prefix: &str) -> Vec<Vec<f32>> {
    (0..)
        .map(|k| dir.join(format!("{prefix}{k}.npy")))
        .take_while(|p| p.exists())
        .map(|p| read_npy(&p).expect("case npy"))
        .collect()
}

/// Case folders: generated for the seed range, or given.
fn case_dirs(py: &str, work: &Path) -> Vec<PathBuf> {
    let root = match std::env::var_os("ECGC_DIFF_FUZZ_CASES") {
        Some(d) => PathBuf::from(d),
        None => {
            let (start, count) = (env_u64("ECGC_DIFF_FUZZ_START", 0), env_u64("ECGC_DIFF_FUZZ_COUNT", 200));
            let root = work.join("cases");
            let _ = std::fs::remove_dir_all(&root);
            let out = Command::new(py)
                .arg(repo().join("golden/tools/diff_fuzz.py"))
                .args(["gen", "--start", &start.to_string(), "--count", &count.to_string(), "--out"])
                .arg(&root)
                .output()
                .expect("running diff_fuzz.py");
            assert!(out.status.success(), "diff_fuzz.py gen failed:\n{}", String::from_utf8_lossy(&out.stderr));
            root
        }
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("model.onnx").exists())
        .collect();
    // Numeric seeds in order, other names after.
    dirs.sort_by_key(|p| {
        let n = p.file_name().unwrap_or_default().to_string_lossy().to_string();
        (n.parse::<u64>().unwrap_or(u64::MAX), n)
    });
    dirs
}

/// The kept cases of golden/diff_fuzz/ (minimised finds where tract's decluttered plan disagrees
/// with onnxruntime), with onnxruntime's outputs computed now by golden/tools/ort_outputs.py.
fn kept_cases(py: &str, work: &Path) -> Vec<Case> {
    let Ok(entries) = std::fs::read_dir(repo().join("golden/diff_fuzz")) else { return vec![] };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.join("case.toml").exists()).collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap_or_default().to_string_lossy().to_string();
            let toml = std::fs::read_to_string(dir.join("case.toml")).expect("case.toml");
            assert!(toml.contains("\ntract_differs = "), "{name}: a golden/diff_fuzz case says how tract differs");
            let out = work.join("kept-ort").join(&name);
            let run = Command::new(py)
                .arg(repo().join("golden/tools/ort_outputs.py"))
                .arg(&dir)
                .arg(&out)
                .output()
                .expect("running ort_outputs.py");
            assert!(run.status.success(), "{name}: ort_outputs.py: {}", String::from_utf8_lossy(&run.stderr));
            Case {
                id: format!("golden/diff_fuzz/{name}"),
                inputs: npys(&dir, "input_"),
                ort: npys(&out, "output_"),
                dir,
                tract: None,
                tract_err: None,
                io: None,
                outcome: None,
                note: String::new(),
                kept: true,
            }
        })
        .collect()
}

/// A kept case must still show tract's disagreement, with ecgc on tract's side (ecgc compiles
/// tract's decluttered plan): anything else means tract or ecgc changed, and the case is updated.
fn judge_kept(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Reference(r) if r.contains("ecgc agrees with tract") => Outcome::Match,
        Outcome::Failure(f) => Outcome::Failure(f),
        other => Outcome::Failure(format!(
            "expected tract and onnxruntime to disagree with ecgc on tract's side, got {other:?}; \
             if tract or ecgc now computes this right, move the case to golden/ (diff_fuzz.py keep)"
        )),
    }
}

/// Compiles a case into `module_dir` and runs tract on it; sets the outcome when already decided.
fn prepare(case: &mut Case, module_dir: &Path) {
    let model = case.dir.join("model.onnx");
    let compiled = catch_unwind(AssertUnwindSafe(|| {
        Compiler::new(&model).name("fuzz").target("host").measure(false).module_out(module_dir).compile()
    }));
    match compiled {
        Err(p) => case.outcome = Some(Outcome::Failure(format!("ecgc panicked: {}", panic_text(p)))),
        Ok(Err(e)) if e.exit_code() == 2 => case.outcome = Some(Outcome::Refused(refusal_reason(&e))),
        Ok(Err(e)) => case.outcome = Some(Outcome::Failure(format!("ecgc exit {}: {e}", e.exit_code()))),
        Ok(Ok(c)) => case.io = Some((c.krate.inputs, c.krate.outputs)),
    }
    let tract = catch_unwind(AssertUnwindSafe(|| {
        Reference::load(&model, &[], Plan::Decluttered).and_then(|r| r.run(&case.inputs))
    }));
    match tract {
        Ok(Ok(t)) => case.tract = Some(t),
        Ok(Err(e)) => case.tract_err = Some(format!("tract cannot run the model: {e}")),
        Err(p) => case.tract_err = Some(format!("tract panicked: {}", panic_text(p))),
    }
}

/// `src/main.rs` of the harness: one module per compiled case, `main` runs case `argv[1]` on the
/// f32 inputs from stdin and writes its outputs to stdout.
fn main_rs(cases: &[(usize, &Case)]) -> String {
    let mut s = String::from(
        "//! Differential-fuzzing harness (written by compiler/tests/diff_fuzz.rs).\n#![allow(warnings, clippy::all)]\nuse std::io::{Read, Write};\n\n",
    );
    for (k, _) in cases {
        writeln!(s, "mod m{k} {{\n    include!(\"m{k}/model.rs\");\n}}").expect("string");
    }
    for (k, c) in cases {
        let (ins, outs) = c.io.as_ref().expect("compiled");
        writeln!(s, "fn run_m{k}(data: &[f32]) -> Vec<f32> {{\n    let mut at = 0;").expect("string");
        for (p, u) in ins {
            writeln!(
                s,
                "    let {p}: &[f32; m{k}::{u}_LEN] = data[at..at + m{k}::{u}_LEN].try_into().expect(\"input\");\n    at += m{k}::{u}_LEN;"
            )
            .expect("string");
        }
        writeln!(s, "    assert_eq!(at, data.len(), \"input length\");").expect("string");
        for (p, u) in outs {
            writeln!(s, "    let mut {p} = vec![0.0f32; m{k}::{u}_LEN];").expect("string");
        }
        let args: Vec<String> = ins
            .iter()
            .map(|(p, _)| p.clone())
            .chain(outs.iter().map(|(p, _)| format!("(&mut {p}[..]).try_into().expect(\"output\")")))
            .collect();
        writeln!(s, "    let mut model = Box::new(m{k}::Model::new());\n    model.run({});", args.join(", "))
            .expect("string");
        let cat: Vec<String> = outs.iter().map(|(p, _)| format!("{p}.iter().copied()")).collect();
        let chain = cat.iter().skip(1).fold(cat[0].clone(), |a, b| format!("{a}.chain({b})"));
        writeln!(s, "    {chain}.collect()\n}}").expect("string");
    }
    s.push_str(
        "fn main() {\n    let k: usize = std::env::args().nth(1).expect(\"case\").parse().expect(\"case index\");\n",
    );
    s.push_str("    let mut bytes = vec![];\n    std::io::stdin().read_to_end(&mut bytes).expect(\"stdin\");\n");
    s.push_str("    let data: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();\n");
    s.push_str("    let out = match k {\n");
    for (k, _) in cases {
        writeln!(s, "        {k} => run_m{k}(&data),").expect("string");
    }
    s.push_str("        _ => panic!(\"no case {k}\"),\n    };\n");
    s.push_str("    let mut o = std::io::stdout().lock();\n    for x in out {\n        o.write_all(&x.to_le_bytes()).expect(\"stdout\");\n    }\n}\n");
    s
}

/// Builds the harness; a case whose generated code does not build is failed and left out, and the
/// rest built again. Returns the executable, if any case is left.
fn build(hdir: &Path, target: &Path, cases: &mut [Case]) -> Option<PathBuf> {
    let toml = format!(
        "[package]\nname = \"diff_fuzz_harness\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\necgc-kernels = {{ path = {:?} }}\n\n[profile.dev]\nopt-level = 1\ndebug = false\nincremental = false\n\n[workspace]\n",
        repo().join("runtime-kernels").display().to_string()
    );
    std::fs::write(hdir.join("Cargo.toml"), toml).expect("harness Cargo.toml");
    loop {
        let ready: Vec<(usize, &Case)> =
            cases.iter().enumerate().filter(|(_, c)| c.outcome.is_none() && c.io.is_some()).collect();
        if ready.is_empty() {
            return None;
        }
        std::fs::write(hdir.join("src/main.rs"), main_rs(&ready)).expect("harness main.rs");
        match cargo(&["build", "--quiet"], hdir, target) {
            Ok(_) => return Some(target.join("debug/diff_fuzz_harness")),
            Err(e) => {
                let text = e.to_string();
                let mut blamed = vec![];
                for (k, c) in cases.iter_mut().enumerate() {
                    if c.outcome.is_none() && c.io.is_some() && text.contains(&format!("src/m{k}/")) {
                        let first: String =
                            text.lines().filter(|l| !l.trim().is_empty()).take(12).collect::<Vec<_>>().join("\n");
                        c.outcome = Some(Outcome::Failure(format!("the generated code does not build:\n{first}")));
                        blamed.push(k);
                    }
                }
                assert!(!blamed.is_empty(), "the harness does not build and no case is to blame:\n{text}");
            }
        }
    }
}

/// Runs case `k` of the harness (10 s at most).
fn run(exe: &Path, k: usize, inputs: &[Vec<f32>]) -> Result<Vec<f32>, String> {
    let mut child = Command::new(exe)
        .arg(k.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running the harness: {e}"))?;
    let bytes: Vec<u8> = inputs.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
    child.stdin.take().expect("stdin").write_all(&bytes).map_err(|e| format!("feeding the harness: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("the generated model ran for more than 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("the generated model crashed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

fn split(flat: &[f32], like: &[Vec<f32>]) -> Option<Vec<Vec<f32>>> {
    if flat.len() != like.iter().map(Vec::len).sum::<usize>() {
        return None;
    }
    let mut at = 0;
    Some(
        like.iter()
            .map(|v| {
                at += v.len();
                flat[at - v.len()..at].to_vec()
            })
            .collect(),
    )
}

/// Decides a compiled and run case.
fn judge(case: &Case, ours: &[Vec<f32>]) -> Outcome {
    let Some(tract) = case.tract.as_ref() else {
        let eo = compare(ours, &case.ort);
        let verdict = if eo.max_scaled <= TOL { "agrees with" } else { "differs from" };
        let why = case.tract_err.as_deref().unwrap_or("tract gave no outputs");
        return Outcome::Reference(format!("{why}; ecgc {verdict} onnxruntime ({:.2e} scaled)", eo.max_scaled));
    };
    let et = compare(ours, tract);
    let to = compare(tract, &case.ort);
    let eo = compare(ours, &case.ort);
    let worst = |c: &ecgc::validate::Comparison, r: &[Vec<f32>]| {
        let (o, i) = c.worst;
        let at = |v: &[Vec<f32>]| v.get(o).and_then(|x| x.get(i)).copied().unwrap_or(f32::NAN);
        format!("output {o} element {i}: ecgc {} vs {}", at(ours), at(r))
    };
    if to.max_scaled > TOL {
        let who = match (et.max_scaled <= TOL, eo.max_scaled <= TOL) {
            (true, _) => "ecgc agrees with tract",
            (false, true) => "ecgc agrees with onnxruntime",
            _ => "ecgc agrees with neither",
        };
        return Outcome::Reference(format!(
            "tract and onnxruntime disagree by {:.2e} (scaled); {who} (ecgc−tract {:.2e}, ecgc−ort {:.2e})",
            to.max_scaled, et.max_scaled, eo.max_scaled
        ));
    }
    if et.max_scaled > TOL {
        return Outcome::Failure(format!(
            "ecgc differs from tract by {:.3e} (scaled), tract and onnxruntime agree ({:.1e}); {}",
            et.max_scaled,
            to.max_scaled,
            worst(&et, tract)
        ));
    }
    Outcome::Match
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("json")
}

#[test]
fn diff_fuzz() {
    let started = Instant::now();
    let Some(py) = python() else {
        let why = "no Python with onnx/onnxruntime (set ECGC_PYTHON or run .ci/run)";
        assert!(std::env::var_os("CI").is_none(), "diff_fuzz: {why}");
        eprintln!("WARNING diff_fuzz skipped: {why}");
        return;
    };
    let work = std::env::var_os("ECGC_DIFF_FUZZ_WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/diff-fuzz-work"));
    std::fs::create_dir_all(&work).expect("work dir");
    let dirs = case_dirs(&py, &work);
    assert!(!dirs.is_empty(), "no cases");
    let generated = started.elapsed();

    let hdir = work.join("harness");
    let _ = std::fs::remove_dir_all(hdir.join("src"));
    std::fs::create_dir_all(hdir.join("src")).expect("harness src");
    let mut cases: Vec<Case> = dirs
        .into_iter()
        .map(|dir| Case {
            id: dir.file_name().unwrap_or_default().to_string_lossy().to_string(),
            inputs: npys(&dir, "input_"),
            ort: npys(&dir, "ort_output_"),
            dir,
            tract: None,
            tract_err: None,
            io: None,
            outcome: None,
            note: String::new(),
            kept: false,
        })
        .collect();
    if std::env::var_os("ECGC_DIFF_FUZZ_CASES").is_none() && std::env::var_os("ECGC_DIFF_FUZZ_START").is_none() {
        cases.extend(kept_cases(&py, &work));
    }
    for (k, case) in cases.iter_mut().enumerate() {
        prepare(case, &hdir.join(format!("src/m{k}")));
    }
    let compiled = started.elapsed();

    if let Some(exe) = build(&hdir, &work.join("target"), &mut cases) {
        let built = started.elapsed();
        for (k, case) in cases.iter_mut().enumerate() {
            if case.outcome.is_some() || case.io.is_none() {
                continue;
            }
            case.outcome = Some(match run(&exe, k, &case.inputs) {
                Err(e) => Outcome::Failure(e),
                Ok(flat) => match split(&flat, &case.ort) {
                    None => Outcome::Failure(format!(
                        "the generated model wrote {} values, onnxruntime {}",
                        flat.len(),
                        case.ort.iter().map(Vec::len).sum::<usize>()
                    )),
                    Some(ours) => {
                        let o = judge(case, &ours);
                        let o = if case.kept { judge_kept(o) } else { o };
                        if std::env::var_os("ECGC_DIFF_FUZZ_VERBOSE").is_some() && !matches!(o, Outcome::Match) {
                            println!("{}: ecgc {ours:?}\n  tract {:?}\n  ort {:?}", case.id, case.tract, case.ort);
                        }
                        o
                    }
                },
            });
        }
        let ran = started.elapsed();
        cases[0].note = format!(
            "generate {:.1} s, compile + tract {:.1} s, harness build {:.1} s, runs {:.1} s",
            generated.as_secs_f64(),
            (compiled - generated).as_secs_f64(),
            (built - compiled).as_secs_f64(),
            (ran - built).as_secs_f64()
        );
    }

    for c in cases.iter_mut().filter(|c| c.kept) {
        if let Some(o @ (Outcome::Refused(_) | Outcome::Reference(_))) = &c.outcome {
            c.outcome = Some(Outcome::Failure(format!("expected to compile and run like tract, got {o:?}")));
        }
    }

    // Summary.
    let mut matches = 0;
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut reference: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut failures: Vec<(String, String)> = vec![];
    for c in &cases {
        match c.outcome.as_ref().expect("every case decided") {
            Outcome::Match => matches += 1,
            Outcome::Refused(r) => refused.entry(r.clone()).or_default().push(c.id.clone()),
            Outcome::Reference(r) => {
                let key = r.split(" by ").next().unwrap_or(r).to_string();
                let key = if key.starts_with("tract and onnxruntime") {
                    format!("{key} ({})", r.split("; ").nth(1).unwrap_or("").split(" (").next().unwrap_or(""))
                } else {
                    let verdict = r.rsplit("; ").next().unwrap_or("").split(" (").next().unwrap_or("");
                    format!(
                        "{} ({verdict})",
                        r.split("; ecgc").next().unwrap_or(r).chars().take(100).collect::<String>()
                    )
                };
                reference.entry(key).or_default().push(format!("{} ({r})", c.id));
            }
            Outcome::Failure(f) => failures.push((c.id.clone(), f.clone())),
        }
    }
    let n_kept = cases.iter().filter(|c| c.kept).count();
    let n = cases.len() - n_kept;
    let matches = matches - cases.iter().filter(|c| c.kept && matches!(c.outcome, Some(Outcome::Match))).count();
    let n_refused: usize = refused.values().map(Vec::len).sum();
    let n_reference: usize = reference.values().map(Vec::len).sum();
    let secs = started.elapsed().as_secs_f64();
    let mut text = String::new();
    writeln!(text, "diff_fuzz: {n} cases in {secs:.1} s ({})", cases[0].note).expect("string");
    writeln!(
        text,
        "  match {matches}, refused {n_refused}, reference problems {n_reference}, failures {}",
        failures.len()
    )
    .expect("string");
    if n_kept > 0 {
        writeln!(
            text,
            "  + {n_kept} kept cases of golden/diff_fuzz/ (tract known to differ from onnxruntime), checked"
        )
        .expect("string");
    }
    for (r, ids) in &refused {
        writeln!(text, "  refused ({}): {r}\n    seeds {}", ids.len(), ids.join(" ")).expect("string");
    }
    for (r, ids) in &reference {
        writeln!(text, "  reference ({}): {r}", ids.len()).expect("string");
        for id in ids {
            writeln!(text, "    {id}").expect("string");
        }
    }
    for (id, f) in &failures {
        writeln!(text, "  FAILURE {id}: {f}").expect("string");
    }
    print!("{text}");
    std::fs::write(work.join("summary.txt"), &text).expect("summary.txt");
    if let Some(path) = std::env::var_os("ECGC_DIFF_FUZZ_SUMMARY") {
        let group = |m: &BTreeMap<String, Vec<String>>| {
            m.iter()
                .map(|(r, ids)| {
                    format!("{}: [{}]", json_str(r), ids.iter().map(|i| json_str(i)).collect::<Vec<_>>().join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let fails = failures.iter().map(|(id, f)| format!("[{}, {}]", json_str(id), json_str(f))).collect::<Vec<_>>();
        let json = format!(
            "{{\"cases\": {n}, \"matches\": {matches}, \"seconds\": {secs:.1}, \"refused\": {{{}}}, \"reference\": {{{}}}, \"failures\": [{}]}}\n",
            group(&refused),
            group(&reference),
            fails.join(", ")
        );
        std::fs::write(&path, json).expect("summary");
    }
    assert!(failures.is_empty(), "{} of {n} cases failed (see above): {:?}", failures.len(), failures);
    assert!(
        (n_refused as f64) <= MAX_REFUSED_SHARE * n as f64,
        "{n_refused} of {n} cases refused: the generator should stay within what ecgc compiles"
    );
}
