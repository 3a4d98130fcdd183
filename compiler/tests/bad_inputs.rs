//! The bad-input corpus (issue 10): every kind in `tests/bad_inputs/manifest.json` (written with
//! its models by `tests/bad_inputs/make_corpus.py`) is run through the built `ecgc` binary in a
//! fresh temporary directory, which is also the working directory. Each kind must:
//! - exit with the code the manifest gives (2 for a bad model or bad arguments, 0 for an odd but
//!   valid model, 3 for over budget);
//! - print no panic text (`panicked`, `RUST_BACKTRACE`);
//! - match its stderr snapshot (`tests/bad_inputs/snapshots/`, paths replaced by `<tmp>`);
//! - leave every file as it was (byte for byte, including the files a kind's `setup` puts in the
//!   directory first, e.g. a user's directory at the `-o` path), except the `-o` directory of a
//!   successful compile;
//! - when it compiles (exit 0), give a crate that `cargo build` builds on the host (one shared
//!   target directory, `target/bad-inputs`, keeps that fast).
//!
//! Manifest extensions: `setup` maps a path in the temporary directory to `dir:` (an empty
//! directory), `text:…` (a file with that text) or `copy:NAME` (a copy of `models/NAME`); in
//! `args`, `{xff}` (also in `setup` paths) is the byte 0xFF, so an argument is not UTF-8 (passed as an `OsString`).
//!
//! Run: `cargo test -p ecgc --test bad_inputs` (filter by kind name as usual; `--list` lists them).

use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Deserialize, Clone)]
struct Kind {
    kind: String,
    class: String,
    model: Option<String>,
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    setup: BTreeMap<String, String>,
    #[allow(dead_code)]
    note: String,
}

#[derive(Deserialize)]
struct Manifest {
    kinds: Vec<Kind>,
}

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

/// Every file under `dir` (relative path → bytes), to compare before and after a run.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
            if p.is_dir() {
                out.insert(rel.join(""), vec![]);
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn run(k: &Kind) -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let t = tmp.path();
    let models = here().join("models");
    if let Some(m) = &k.model {
        std::fs::copy(models.join(m), t.join(m)).map_err(|e| e.to_string())?;
        // external data files live beside the models
        for e in std::fs::read_dir(&models).map_err(|e| e.to_string())?.flatten() {
            if e.path().extension().is_some_and(|x| x == "bin") {
                std::fs::copy(e.path(), t.join(e.file_name())).map_err(|e| e.to_string())?;
            }
        }
    }
    for (rel, what) in &k.setup {
        let p = t.join(not_utf8(rel));
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        if what == "dir:" {
            std::fs::create_dir_all(&p).map_err(|e| e.to_string())?;
        } else if let Some(text) = what.strip_prefix("text:") {
            std::fs::write(&p, text).map_err(|e| e.to_string())?;
        } else if let Some(name) = what.strip_prefix("copy:") {
            std::fs::copy(models.join(name), &p).map_err(|e| e.to_string())?;
        } else {
            return Err(format!("{}: setup '{rel}': unknown '{what}'", k.kind).into());
        }
    }
    let before = tree(t);
    let out_dir = t.join("out");
    let args: Vec<OsString> = k
        .args
        .iter()
        .map(|a| {
            let text = a
                .replace("{model}", &t.join(k.model.as_deref().unwrap_or("")).display().to_string())
                .replace("{out}", &out_dir.display().to_string())
                .replace("{tmp}", &t.display().to_string());
            not_utf8(&text)
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
        .args(&args)
        .current_dir(t)
        .env_remove("RUST_BACKTRACE")
        .output()
        .map_err(|e| e.to_string())?;
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr)
        .replace(&t.display().to_string(), "<tmp>")
        .replace(&repo().display().to_string(), "<repo>");
    let mut problems = vec![];
    if code != k.exit {
        problems.push(format!("exit code {code}, want {}", k.exit));
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push("panic text on stderr".to_string());
    }
    let mut before = before;
    let mut after = tree(t);
    let wrote_out =
        code == 0 && k.args.first().is_some_and(|c| c == "compile") && k.args.iter().any(|a| a.starts_with("{out}"));
    if wrote_out {
        after.retain(|p, _| !p.starts_with("out"));
        before.retain(|p, _| !p.starts_with("out"));
    }
    if after != before {
        let changed: Vec<_> = after
            .keys()
            .chain(before.keys())
            .filter(|p| after.get(*p) != before.get(*p))
            .map(|p| p.display().to_string())
            .collect();
        problems.push(format!("files created or changed: {changed:?}"));
    }
    if !problems.is_empty() {
        return Err(format!("{}: {}\nstderr:\n{stderr}", k.kind, problems.join("; ")).into());
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(here().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(format!("class {}: ecgc {}", k.class, k.args.join(" ")));
    settings.set_omit_expression(true);
    let snap = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(k.kind.as_str(), stderr))
    }));
    if snap.is_err() {
        return Err(format!("{}: stderr differs from its snapshot (cargo insta review)", k.kind).into());
    }
    if wrote_out {
        // the `-o` argument as given (`{out}`, `{out}/.`, `{out}/sub`)
        let crate_dir = k
            .args
            .iter()
            .position(|a| a == "-o")
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
            .unwrap_or_else(|| out_dir.clone());
        let target = repo().join("target/bad-inputs");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let b = Command::new(cargo)
            .args(["build", "--quiet"])
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .output()
            .map_err(|e| e.to_string())?;
        if !b.status.success() {
            return Err(format!(
                "{}: ecgc exited 0 but its crate does not build:\n{}",
                k.kind,
                String::from_utf8_lossy(&b.stderr)
            )
            .into());
        }
    }
    Ok(())
}

/// `text` with every `{xff}` replaced by the byte 0xFF: an argument that is not UTF-8.
fn not_utf8(text: &str) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    let mut bytes = vec![];
    for (i, part) in text.split("{xff}").enumerate() {
        if i > 0 {
            bytes.push(0xff);
        }
        bytes.extend_from_slice(part.as_bytes());
    }
    OsString::from_vec(bytes)
}

fn main() {
    let args = Arguments::from_args();
    let text = std::fs::read_to_string(here().join("manifest.json")).expect("tests/bad_inputs/manifest.json");
    let manifest: Manifest = serde_json::from_str(&text).expect("manifest.json");
    assert!(manifest.kinds.len() >= 100, "the corpus must hold at least 100 kinds");
    let trials = manifest
        .kinds
        .into_iter()
        .map(|k| {
            let name = format!("{}::{}", k.class, k.kind);
            Trial::test(name, move || run(&k))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
