//! The back end: IR + memory plan → the files of a `no_std` Rust crate.
//!
//! Rust is emitted as tokens (`quote!`) and formatted with prettyplease; Cargo.toml and README
//! come from tera templates. Generation is pure (files in memory, deterministic bytes); writing
//! them is atomic ([`write_atomically`]): on any error no output directory is left behind.

mod consts;
pub mod groups;
pub mod harness;
pub mod lib_rs;
pub mod names;
pub mod ops;
pub mod output;
mod packed;
pub mod raw;
pub mod strides;
pub mod tuning;

use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::plan::Plan;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/kernel_sources.rs"));

/// How the generated crate gets `ecgc-kernels`.
#[derive(Clone, Debug, PartialEq)]
pub enum KernelsDep {
    /// A copy inside the crate (`ecgc-kernels/`): builds anywhere, offline. The default.
    Vendored,
    /// A path to an existing kernel crate (used by tests to share one build).
    Path(PathBuf),
    /// A registry version (for published use).
    Version(String),
}

/// What the generated crate is called and how it was made.
#[derive(Clone, Debug)]
pub struct CrateSpec {
    /// Cargo package name.
    pub name: String,
    /// Kernel dependency.
    pub kernels: KernelsDep,
    /// The command line that made it (recorded in the model card).
    pub command: String,
    /// Model file name (no directories, so the crate does not depend on where it was built).
    pub source: String,
    /// sha256 of the model file.
    pub sha256: String,
    /// `(label, value)` rows for the README table.
    pub facts: Vec<(String, String)>,
}

/// A generated crate: relative path → bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedCrate {
    /// Every file.
    pub files: BTreeMap<PathBuf, Vec<u8>>,
    /// `(parameter, SCREAMING)` names of inputs.
    pub inputs: Vec<(String, String)>,
    /// `(parameter, SCREAMING)` names of outputs.
    pub outputs: Vec<(String, String)>,
    /// A streaming model: `step` per time step (and `run` over a window of steps); the state is
    /// not among `inputs`/`outputs`.
    pub streaming: bool,
    /// The raw int8 API (`Model::run_i8`), when there is one: per input and per output (as
    /// listed above), whether it is int8 there.
    pub raw_api: Option<(Vec<bool>, Vec<bool>)>,
}

fn render(template: &str, name: &str, ctx: &tera::Context) -> Result<String> {
    tera::Tera::one_off(template, ctx, false).map_err(|e| Error::Internal(format!("template {name}: {e:?}")))
}

/// Cargo package name of the kernel copy vendored into the crate `name`: unique per model crate,
/// so that two generated crates in one firmware never hold two packages called `ecgc-kernels`
/// (Cargo rejects that). The model crate renames it back (`package = …`), so its code still
/// says `ecgc_kernels`.
pub fn vendored_kernels_package(name: &str) -> String {
    format!("{}-ecgc-kernels", name.replace('_', "-"))
}

/// `# …` comment lines holding `text`, one per line of it (a newline in a file name or command
/// cannot end the comment and start TOML).
fn toml_comment(text: &str) -> String {
    text.split(['\n', '\r']).map(|l| format!("#   {l}\n")).collect()
}

fn toml_text(header: &str, doc: &impl serde::Serialize) -> Result<String> {
    let body = toml::to_string(doc).map_err(|e| Error::Internal(format!("serialising Cargo.toml: {e}")))?;
    Ok(format!("{header}{body}"))
}

/// `[package]` of a written manifest.
#[derive(serde::Serialize)]
struct Package<'a> {
    name: &'a str,
    version: &'a str,
    edition: &'a str,
    publish: bool,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<&'a str>,
}

/// `ecgc-kernels = { … }`.
#[derive(serde::Serialize)]
struct KernelsEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<String>,
}

#[derive(serde::Serialize)]
struct Lib {
    path: &'static str,
}

#[derive(serde::Serialize)]
struct Manifest<'a> {
    package: Package<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lib: Option<Lib>,
    dependencies: BTreeMap<&'static str, KernelsEntry>,
}

/// The model crate's `Cargo.toml`: no `[workspace]`, so the crate builds standalone and as a
/// member or path dependency of a firmware's workspace alike. Serialised by `toml`, so any model
/// file name or command line stays a valid string.
pub fn cargo_toml(spec: &CrateSpec) -> Result<String> {
    let version = env!("CARGO_PKG_VERSION");
    let kernels = match &spec.kernels {
        KernelsDep::Vendored => KernelsEntry {
            path: Some("ecgc-kernels".into()),
            version: None,
            package: Some(vendored_kernels_package(&spec.name)),
        },
        KernelsDep::Path(p) => KernelsEntry { path: Some(p.display().to_string()), version: None, package: None },
        KernelsDep::Version(v) => KernelsEntry { path: None, version: Some(v.clone()), package: None },
    };
    let doc = Manifest {
        package: Package {
            name: &spec.name,
            version: "0.1.0",
            edition: "2021",
            publish: false,
            description: format!("{} compiled by ecgc {version}", spec.source),
            license: None,
        },
        lib: Some(Lib { path: "src/lib.rs" }),
        dependencies: BTreeMap::from([("ecgc-kernels", kernels)]),
    };
    let header =
        format!("# @generated by ecgc {version}. Do not edit: regenerate with\n{}", toml_comment(&spec.command));
    toml_text(&header, &doc)
}

/// `Cargo.toml` of a kernel crate written by ecgc under the package name `package`.
pub fn kernels_cargo_toml(package: &str) -> Result<String> {
    let version = env!("CARGO_PKG_VERSION");
    let doc = Manifest {
        package: Package {
            name: package,
            version,
            edition: "2021",
            publish: false,
            description: "no_std kernels linked by crates that ecgc generates".into(),
            license: Some("MIT OR Apache-2.0"),
        },
        lib: None,
        dependencies: BTreeMap::new(),
    };
    toml_text(&format!("# Written by ecgc {version} from its runtime-kernels crate.\n"), &doc)
}

/// The files of a kernel crate (`Cargo.toml`, `src/…`) under the package name `package`.
pub fn kernel_crate_files(package: &str) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from("Cargo.toml"), kernels_cargo_toml(package)?.into_bytes());
    for (path, text) in KERNEL_SOURCES {
        files.insert(PathBuf::from(path), text.as_bytes().to_vec());
    }
    Ok(files)
}

/// Generates every file of the crate.
pub fn generate(g: &Graph, plan: &Plan, facts: &lib_rs::CardFacts, spec: &CrateSpec) -> Result<GeneratedCrate> {
    let lib = lib_rs::generate(g, plan, facts, lib_rs::Form::CrateRoot).map_err(Error::Internal)?;
    let mut files = BTreeMap::new();
    let version = env!("CARGO_PKG_VERSION");
    let mut ctx = tera::Context::new();
    ctx.insert("version", version);
    ctx.insert("name", &spec.name);
    ctx.insert("crate_ident", &spec.name.replace('-', "_"));
    ctx.insert("command", &spec.command);
    ctx.insert("source", &lib_rs::shown(&spec.source));
    ctx.insert("sha256", &spec.sha256);
    let io = |l: &[(String, String)]| -> Vec<BTreeMap<&str, String>> {
        l.iter().map(|(p, u)| BTreeMap::from([("param", p.clone()), ("upper", u.clone())])).collect()
    };
    ctx.insert("inputs", &io(&lib.inputs));
    ctx.insert("outputs", &io(&lib.outputs));
    ctx.insert("facts", &spec.facts);
    ctx.insert("arena_bytes", &plan.arena_bytes());
    ctx.insert("state_bytes", &plan.state_bytes());
    ctx.insert("streaming", &lib.streaming);
    ctx.insert("raw_api", &lib.raw_api.is_some());
    files.insert(PathBuf::from("Cargo.toml"), cargo_toml(spec)?.into_bytes());
    files.insert(
        PathBuf::from("README.md"),
        render(include_str!("../../templates/README.md.tera"), "README.md", &ctx)?.into_bytes(),
    );
    files.insert(PathBuf::from("src/lib.rs"), lib.source.into_bytes());
    for (name, bytes) in lib.weights {
        files.insert(Path::new("src").join(name), bytes);
    }
    if spec.kernels == KernelsDep::Vendored {
        for (path, bytes) in kernel_crate_files(&vendored_kernels_package(&spec.name))? {
            files.insert(Path::new("ecgc-kernels").join(path), bytes);
        }
    }
    Ok(GeneratedCrate {
        files,
        inputs: lib.inputs,
        outputs: lib.outputs,
        streaming: lib.streaming,
        raw_api: lib.raw_api,
    })
}

/// The module form for a firmware's `build.rs`: `model.rs` and `weights/*.bin`, relative to the
/// directory they go in (usually `OUT_DIR`). The firmware depends on `ecgc-kernels` itself.
pub fn generate_module(g: &Graph, plan: &Plan, facts: &lib_rs::CardFacts) -> Result<GeneratedCrate> {
    let lib = lib_rs::generate(g, plan, facts, lib_rs::Form::Module).map_err(Error::Internal)?;
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from("model.rs"), lib.source.into_bytes());
    for (name, bytes) in lib.weights {
        files.insert(PathBuf::from(name), bytes);
    }
    Ok(GeneratedCrate {
        files,
        inputs: lib.inputs,
        outputs: lib.outputs,
        streaming: lib.streaming,
        raw_api: lib.raw_api,
    })
}

/// Writes module-form files into `dir` (usually `OUT_DIR`, which holds other files too): the
/// weights directory is replaced as a whole, then `model.rs` is renamed into place, so a reader
/// never sees a `model.rs` whose weights are missing. Nothing else in `dir` is touched, and an
/// existing `model.rs` or weights directory that ecgc did not write is refused
/// ([`output::check_module_dir`]).
pub fn write_module(files: &GeneratedCrate, dir: &Path) -> Result<()> {
    let dir = output::check_module_dir(dir, None, false)?;
    let created = first_missing(&dir);
    let r = write_module_in(files, &dir);
    if r.is_err() {
        if let Some(c) = created {
            let _ = std::fs::remove_dir_all(c);
        }
    }
    r
}

fn write_module_in(files: &GeneratedCrate, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(format!("creating '{}'", dir.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(".ecgc-tmp-")
        .tempdir_in(dir)
        .map_err(Error::io(format!("creating a temporary directory in '{}'", dir.display())))?;
    write_files(files, tmp.path())?;
    let weights = dir.join(lib_rs::MODULE_WEIGHTS_DIR);
    if weights.exists() {
        std::fs::remove_dir_all(&weights).map_err(Error::io(format!("removing '{}'", weights.display())))?;
    }
    let new_weights = tmp.path().join(lib_rs::MODULE_WEIGHTS_DIR);
    if new_weights.exists() {
        std::fs::rename(&new_weights, &weights).map_err(Error::io(format!("renaming into '{}'", weights.display())))?;
    }
    let model = dir.join("model.rs");
    std::fs::rename(tmp.path().join("model.rs"), &model)
        .map_err(Error::io(format!("renaming into '{}'", model.display())))?;
    Ok(())
}

/// The outermost ancestor of `p` (itself included) that does not exist: what creating `p`
/// creates, and what to remove when writing fails.
fn first_missing(p: &Path) -> Option<PathBuf> {
    let mut missing = None;
    let mut a = Some(p);
    while let Some(q) = a {
        if std::fs::symlink_metadata(q).is_ok() {
            break;
        }
        missing = Some(q.to_path_buf());
        a = q.parent();
    }
    missing
}

fn write_files(files: &GeneratedCrate, root: &Path) -> Result<()> {
    for (rel, bytes) in &files.files {
        let path = root.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(Error::io(format!("creating '{}'", p.display())))?;
        }
        std::fs::write(&path, bytes).map_err(Error::io(format!("writing '{}'", path.display())))?;
    }
    Ok(())
}

/// Writes the crate to `dir` when the output rule allows it ([`output::check_crate_dir`]: a new
/// or empty directory, or an earlier ecgc crate): first into a temporary sibling directory, then
/// renamed into place. On error nothing is left behind and an earlier crate is kept.
pub fn write_atomically(krate: &GeneratedCrate, dir: &Path) -> Result<()> {
    write_crate(krate, dir, None, false)
}

/// [`write_atomically`] that also refuses to replace `model` (the input) and, with `force`,
/// replaces a non-empty directory that is not an ecgc crate.
pub fn write_crate(krate: &GeneratedCrate, dir: &Path, model: Option<&Path>, force: bool) -> Result<()> {
    let dir = output::check_crate_dir(dir, model, force)?;
    let parent = dir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
    let created = first_missing(&parent);
    let r = write_crate_in(krate, &dir, &parent);
    if r.is_err() {
        if let Some(c) = created {
            let _ = std::fs::remove_dir_all(c);
        }
    }
    r
}

fn write_crate_in(krate: &GeneratedCrate, dir: &Path, parent: &Path) -> Result<()> {
    std::fs::create_dir_all(parent).map_err(Error::io(format!("creating '{}'", parent.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(".ecgc-tmp-")
        .tempdir_in(parent)
        .map_err(Error::io(format!("creating a temporary directory in '{}'", parent.display())))?;
    write_files(krate, tmp.path())?;
    let into = |e| Error::io(format!("renaming into '{}'", dir.display()))(e);
    if std::fs::symlink_metadata(dir).is_ok() {
        let old = tempfile::Builder::new()
            .prefix(".ecgc-old-")
            .tempdir_in(parent)
            .map_err(Error::io("creating a temporary directory"))?;
        let aside = old.path().join("crate");
        std::fs::rename(dir, &aside).map_err(Error::io(format!("moving old '{}' aside", dir.display())))?;
        if let Err(e) = std::fs::rename(tmp.path(), dir) {
            // Put the earlier crate back before the temporary directories are dropped.
            let _ = std::fs::rename(&aside, dir);
            return Err(into(e));
        }
    } else {
        std::fs::rename(tmp.path(), dir).map_err(into)?;
    }
    let _ = tmp.keep();
    Ok(())
}
