//! The back end: IR + memory plan → the files of a `no_std` Rust crate.
//!
//! Rust is emitted as tokens (`quote!`) and formatted with prettyplease; Cargo.toml and README
//! come from tera templates. Generation is pure (files in memory, deterministic bytes); writing
//! them is atomic ([`write_atomically`]): on any error no output directory is left behind.

pub mod harness;
pub mod lib_rs;
pub mod names;
pub mod ops;
pub mod strides;

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
}

fn render(template: &str, name: &str, ctx: &tera::Context) -> Result<String> {
    tera::Tera::one_off(template, ctx, false).map_err(|e| Error::Internal(format!("template {name}: {e:?}")))
}

/// Generates every file of the crate.
pub fn generate(g: &Graph, plan: &Plan, facts: &lib_rs::CardFacts, spec: &CrateSpec) -> Result<GeneratedCrate> {
    let lib = lib_rs::generate(g, plan, facts).map_err(Error::Internal)?;
    let mut files = BTreeMap::new();
    let version = env!("CARGO_PKG_VERSION");
    let kernels_dep = match &spec.kernels {
        KernelsDep::Vendored => "{ path = \"ecgc-kernels\" }".to_string(),
        KernelsDep::Path(p) => format!("{{ path = {:?} }}", p.display().to_string()),
        KernelsDep::Version(v) => format!("{{ version = {v:?} }}"),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("version", version);
    ctx.insert("name", &spec.name);
    ctx.insert("crate_ident", &spec.name.replace('-', "_"));
    ctx.insert("command", &spec.command);
    ctx.insert("source", &spec.source);
    ctx.insert("sha256", &spec.sha256);
    ctx.insert("kernels_dep", &kernels_dep);
    ctx.insert("description", &format!("{} compiled by ecgc {version}", spec.source).replace('"', "'"));
    let io = |l: &[(String, String)]| -> Vec<BTreeMap<&str, String>> {
        l.iter().map(|(p, u)| BTreeMap::from([("param", p.clone()), ("upper", u.clone())])).collect()
    };
    ctx.insert("inputs", &io(&lib.inputs));
    ctx.insert("outputs", &io(&lib.outputs));
    ctx.insert("facts", &spec.facts);
    files.insert(
        PathBuf::from("Cargo.toml"),
        render(include_str!("../../templates/Cargo.toml.tera"), "Cargo.toml", &ctx)?.into_bytes(),
    );
    files.insert(
        PathBuf::from("README.md"),
        render(include_str!("../../templates/README.md.tera"), "README.md", &ctx)?.into_bytes(),
    );
    files.insert(PathBuf::from("src/lib.rs"), lib.source.into_bytes());
    for (name, bytes) in lib.weights {
        files.insert(Path::new("src").join(name), bytes);
    }
    if spec.kernels == KernelsDep::Vendored {
        files.insert(
            PathBuf::from("ecgc-kernels/Cargo.toml"),
            render(include_str!("../../templates/kernels_Cargo.toml.tera"), "kernels Cargo.toml", &ctx)?.into_bytes(),
        );
        for (path, text) in KERNEL_SOURCES {
            files.insert(Path::new("ecgc-kernels").join(path), text.as_bytes().to_vec());
        }
    }
    Ok(GeneratedCrate { files, inputs: lib.inputs, outputs: lib.outputs })
}

/// Writes the crate to `dir`: first into a temporary sibling directory, then renamed into place,
/// replacing an earlier `dir`. On error nothing is left at `dir` (or the earlier one is kept).
pub fn write_atomically(krate: &GeneratedCrate, dir: &Path) -> Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(Error::io(format!("creating '{}'", parent.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(".ecgc-tmp-")
        .tempdir_in(&parent)
        .map_err(Error::io(format!("creating a temporary directory in '{}'", parent.display())))?;
    for (rel, bytes) in &krate.files {
        let path = tmp.path().join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(Error::io(format!("creating '{}'", p.display())))?;
        }
        std::fs::write(&path, bytes).map_err(Error::io(format!("writing '{}'", path.display())))?;
    }
    if dir.exists() {
        let old = tempfile::Builder::new()
            .prefix(".ecgc-old-")
            .tempdir_in(&parent)
            .map_err(Error::io("creating a temporary directory"))?;
        std::fs::rename(dir, old.path().join("crate"))
            .map_err(Error::io(format!("moving old '{}' aside", dir.display())))?;
        std::fs::rename(tmp.keep(), dir).map_err(Error::io(format!("renaming into '{}'", dir.display())))?;
    } else {
        std::fs::rename(tmp.keep(), dir).map_err(Error::io(format!("renaming into '{}'", dir.display())))?;
    }
    Ok(())
}
