//! The library entry point: [`Compiler`], a builder running the whole pipeline, usable from a
//! firmware `build.rs` the way `prost-build` is.
//!
//! ```no_run
//! ecgc::Compiler::new("model.onnx").target("stm32f746").out_dir("ecg_model").compile()?;
//! # Ok::<(), ecgc::Error>(())
//! ```
//!
//! From a firmware's `build.rs`, write a module instead of a crate (a crate made by a build
//! script cannot be a dependency of the crate being built: Cargo resolves dependencies first):
//!
//! ```no_run
//! let out = std::env::var("OUT_DIR").expect("OUT_DIR");
//! ecgc::Compiler::new("model.onnx").target("stm32f746").module_out(&out).compile()?;
//! // in the firmware: mod model { include!(concat!(env!("OUT_DIR"), "/model.rs")); }
//! # Ok::<(), ecgc::Error>(())
//! ```

use crate::back::{self, CrateSpec, GeneratedCrate, KernelsDep};
use crate::error::{Error, Result};
use crate::front;
use crate::ir::Graph;
use crate::measure;
use crate::passes::{self, PassOptions};
use crate::plan::Plan;
use crate::quant::{Calibration, CalibrationMethod};
use crate::report::{self, Measured, Report};
use crate::stream::{self, Pairing};
use crate::target::Target;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Numeric precision of the generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// f32 weights and activations.
    F32,
    /// int8 (TFLite/CMSIS-NN semantics) where ecgc has integer kernels, f32 elsewhere.
    Int8,
}

/// A configured compilation.
#[derive(Clone, Debug)]
pub struct Compiler {
    model: PathBuf,
    target: String,
    precision: Precision,
    calibration: Option<PathBuf>,
    calibration_method: Option<CalibrationMethod>,
    keep_f32: Vec<String>,
    int8_max_error: Option<f64>,
    input_shapes: Vec<(String, Vec<usize>)>,
    pairing: Pairing,
    out_dir: Option<PathBuf>,
    module_dir: Option<PathBuf>,
    name: Option<String>,
    max_flash: Option<u64>,
    max_ram: Option<u64>,
    kernels: KernelsDep,
    passes: PassOptions,
    command: Option<String>,
    measure: bool,
    measure_options: measure::Options,
    force: bool,
}

/// Everything a compilation produced.
#[derive(Debug)]
pub struct Compiled {
    /// The IR after passes.
    pub graph: Graph,
    /// The memory plan.
    pub plan: Plan,
    /// Costs and budgets.
    pub report: Report,
    /// The crate's files.
    pub krate: GeneratedCrate,
    /// The crate name.
    pub name: String,
    /// What the compiler decided for the user (e.g. a symbolic batch axis set to 1).
    pub notes: Vec<String>,
}

impl Compiler {
    /// Starts a compilation of `model` for the `host` target, f32.
    pub fn new(model: impl Into<PathBuf>) -> Compiler {
        Compiler {
            model: model.into(),
            target: "host".into(),
            precision: Precision::F32,
            calibration: None,
            calibration_method: None,
            keep_f32: vec![],
            int8_max_error: None,
            input_shapes: vec![],
            pairing: Pairing::default(),
            out_dir: None,
            module_dir: None,
            name: None,
            max_flash: None,
            max_ram: None,
            kernels: KernelsDep::Vendored,
            passes: PassOptions::default(),
            command: None,
            measure: true,
            measure_options: measure::Options::default(),
            force: false,
        }
    }
    /// Target name or target file.
    pub fn target(mut self, t: &str) -> Self {
        self.target = t.into();
        self
    }
    /// Precision.
    pub fn precision(mut self, p: Precision) -> Self {
        self.precision = p;
        self
    }
    /// Calibration inputs (.npy/.npz) for int8.
    pub fn calibration(mut self, p: impl Into<PathBuf>) -> Self {
        self.calibration = Some(p.into());
        self
    }
    /// How int8 activation ranges are chosen from the calibration inputs (default
    /// [`CalibrationMethod::MinMax`]; `docs/INT8.md`, "Calibration methods").
    pub fn calibration_method(mut self, m: CalibrationMethod) -> Self {
        self.calibration_method = Some(m);
        self
    }
    /// int8: keep the layers whose node names match this glob pattern (`*`, `?`, `[...]`) in f32
    /// (`--keep-f32`, repeatable; a pattern matching no int8 candidate is an error).
    pub fn keep_f32(mut self, pattern: &str) -> Self {
        self.keep_f32.push(pattern.into());
        self
    }
    /// int8: keep a layer in f32 when making it alone integer changes the model's outputs on the
    /// calibration set by more than `e` (relative RMS; `--int8-max-error`, `quant::sensitivity`).
    pub fn int8_max_error(mut self, e: f64) -> Self {
        self.int8_max_error = Some(e);
        self
    }
    /// Fixes an input's shape.
    pub fn input_shape(mut self, name: &str, dims: Vec<usize>) -> Self {
        self.input_shapes.push((name.into(), dims));
        self
    }
    /// Compile a step graph as a streaming model (`--stream`): state pairs found by the naming
    /// convention (`h` → `h_next`) and by shape where unambiguous ([`crate::stream::pairs`]),
    /// kept inside the crate; the API becomes `step`/`reset`/`run` over a window.
    pub fn stream(mut self, on: bool) -> Self {
        self.pairing.by_convention = on;
        self
    }
    /// Pair state input `input` with its next-value output `output` (`--state IN=OUT`;
    /// repeatable; makes the model streaming).
    pub fn state(mut self, input: &str, output: &str) -> Self {
        self.pairing.explicit.push((input.into(), output.into()));
        self
    }
    /// Where to write the crate.
    pub fn out_dir(mut self, d: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(d.into());
        self
    }
    /// Write a module instead of a crate: `dir/model.rs` and `dir/model_weights/*.bin`, for
    /// `include!(concat!(env!("OUT_DIR"), "/model.rs"))` in a firmware whose `build.rs` runs the
    /// compiler (pass `OUT_DIR`). The firmware depends on `ecgc-kernels` itself. Other files in
    /// `dir` are left alone.
    pub fn module_out(mut self, dir: impl Into<PathBuf>) -> Self {
        self.module_dir = Some(dir.into());
        self
    }
    /// Crate name (default: from the model file name).
    pub fn name(mut self, n: &str) -> Self {
        self.name = Some(n.into());
        self
    }
    /// Flash budget in bytes (default: the target's).
    pub fn max_flash(mut self, b: u64) -> Self {
        self.max_flash = Some(b);
        self
    }
    /// RAM budget in bytes (default: the target's).
    pub fn max_ram(mut self, b: u64) -> Self {
        self.max_ram = Some(b);
        self
    }
    /// How the crate gets its kernels.
    pub fn kernels(mut self, k: KernelsDep) -> Self {
        self.kernels = k;
        self
    }
    /// Pass options (`--disable-pass`, `--print-after`).
    pub fn passes(mut self, p: PassOptions) -> Self {
        self.passes = p;
        self
    }
    /// The command line recorded in the model card (default: a library call).
    pub fn command(mut self, c: &str) -> Self {
        self.command = Some(c.into());
        self
    }

    /// Measure flash, RAM and instructions from a firmware built for the target (default: on; it
    /// happens when the target's Rust toolchain is installed, else the report says why not).
    /// Budgets are enforced on the measured numbers. Off: the estimate only.
    pub fn measure(mut self, on: bool) -> Self {
        self.measure = on;
        self
    }
    /// Replace a non-empty output directory that is not an ecgc crate (`--force`). Never the
    /// model, a file or the working directory: see [`back::output`].
    pub fn force(mut self, on: bool) -> Self {
        self.force = on;
        self
    }
    /// Checks, before any work, that the outputs may be written ([`back::output`]): the crate
    /// directory (or the module directory), and the crate name. Returns the resolved crate
    /// directory (`None` for a module).
    pub fn check_outputs(&self) -> Result<Option<PathBuf>> {
        check_crate_name(&self.crate_name())?;
        if let Some(dir) = &self.module_dir {
            back::output::check_module_dir(dir, Some(&self.model), self.force)?;
            return Ok(None);
        }
        let dir = self.out_dir.clone().unwrap_or_else(|| PathBuf::from(self.crate_name()));
        back::output::check_crate_dir(&dir, Some(&self.model), self.force).map(Some)
    }
    /// Where measurement builds live (default: [`measure::default_dir`]).
    pub fn measure_dir(mut self, d: impl Into<PathBuf>) -> Self {
        self.measure_options.dir = Some(d.into());
        self
    }
    /// `opt-level` of the measurement build: `3` (default), `s`, `z`, `2`, `1` or `0`.
    pub fn measure_opt_level(mut self, level: &str) -> Self {
        self.measure_options.opt_level = level.into();
        self
    }
    /// Run the measurement firmware on QEMU when possible (default: on).
    pub fn measure_run(mut self, on: bool) -> Self {
        self.measure_options.run = on;
        self
    }

    /// The crate name this compilation uses: `--name`, else the output directory's name, else
    /// the model file's name (`ecg_model` for a file called `model.onnx`).
    pub fn crate_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        let from = |p: &Path| p.file_name().or(p.file_stem()).map(|s| s.to_string_lossy().to_string());
        let dir = self.out_dir.as_deref().and_then(from);
        let stem = self.model.file_stem().map(|s| s.to_string_lossy().to_string());
        let raw = dir.or(stem).unwrap_or_default();
        let s = crate::back::names::sanitize(&raw);
        if s.trim_end_matches('_') == "model" || s.starts_with("v_") {
            "ecg_model".into()
        } else {
            s
        }
    }

    /// Runs the pipeline in memory, without writing anything.
    pub fn build(&self) -> Result<Compiled> {
        if self.precision == Precision::F32 && self.calibration.is_some() {
            return Err(Error::InvalidInput("--calibration only applies to --precision int8".into()));
        }
        if self.precision == Precision::F32 && self.calibration_method.is_some() {
            return Err(Error::InvalidInput("--calibration-method only applies to --precision int8".into()));
        }
        if self.precision == Precision::F32 && !self.keep_f32.is_empty() {
            return Err(Error::InvalidInput("--keep-f32 only applies to --precision int8".into()));
        }
        if self.precision == Precision::F32 && self.int8_max_error.is_some() {
            return Err(Error::InvalidInput("--int8-max-error only applies to --precision int8".into()));
        }
        if let Some(e) = self.int8_max_error.filter(|e| !(e.is_finite() && *e >= 0.0)) {
            return Err(Error::InvalidInput(format!(
                "--int8-max-error {e}: give a relative error ≥ 0, e.g. 0.01 for 1%"
            )));
        }
        let name = self.crate_name();
        check_crate_name(&name)?;
        let target = Target::load(&self.target)?;
        let bytes = std::fs::read(&self.model).map_err(Error::io(format!("reading '{}'", self.model.display())))?;
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        let (mut graph, mut notes) = front::import_noted(&self.model, &self.input_shapes)?;
        if self.precision == Precision::Int8 && self.calibration.is_none() && graph.prequantized.is_none() {
            return Err(Error::InvalidInput(
                "--precision int8 needs --calibration FILE (.npz with one array per model input, or .npy): \
                 representative inputs, [samples, ...input shape], to measure value ranges on (a pre-quantized \
                 QDQ model needs none)"
                    .into(),
            ));
        }
        if graph.window.is_some() {
            // a Scan model: its state pairs come from the Scan itself
            if self.pairing.streaming() {
                return Err(Error::InvalidInput(
                    "--stream/--state apply to step graphs; this model is a Scan, whose state ecgc finds itself".into(),
                ));
            }
            notes.push(format!(
                "Scan: the loop body compiles as a step graph with {} state(s) kept in the crate; `run` loops `step` \
                 over the window, `step`/`reset` drive it sample by sample",
                graph.state.len()
            ));
        } else {
            let (state, state_notes) = stream::find(&graph, &self.pairing)?;
            graph.state = state;
            notes.extend(state_notes);
        }
        if !self.pairing.streaming() && graph.window.is_none() {
            let looks = stream::pairs::look_like_state(&graph);
            if !looks.is_empty() {
                let pairs: Vec<String> = looks.iter().map(|(i, o)| format!("{i} → {o}")).collect();
                notes.push(format!(
                    "this looks like a step graph with state ({}): compiled stateless (the caller passes the state in \
                     and out); --stream keeps the state inside the crate",
                    pairs.join(", ")
                ));
            }
        }
        let calibration = match &self.calibration {
            Some(p) => Some(Calibration::load(p, &graph)?),
            None => None,
        };
        let decisions = std::cell::RefCell::new(crate::quant::sensitivity::Choices::default());
        let cx = passes::Context {
            target: &target,
            precision: self.precision,
            calibration: calibration.as_ref(),
            calibration_method: self.calibration_method.unwrap_or_default(),
            choice: passes::LayerChoice {
                keep_f32: &self.keep_f32,
                max_error: self.int8_max_error,
                decisions: Some(&decisions),
            },
        };
        passes::run(&mut graph, &self.passes, &cx)?;
        let choices = decisions.into_inner();
        notes.extend(choice_notes(&choices));
        let plan = back::groups::settled_plan(&graph);
        let source = self.model.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let command = self.command.clone().unwrap_or_else(|| format!("ecgc compile {source} --target {}", target.name));
        let mut report = report::report_at(
            &source,
            &graph,
            &plan,
            &target,
            &self.measure_options.opt_level,
            self.max_flash.unwrap_or(target.flash_bytes),
            self.max_ram.unwrap_or(target.ram_bytes),
        );
        report::precision::explain_choices(&mut report.layers, &choices);
        // What the front end decided for the user (a defaulted batch, a float16 model widened to
        // f32) goes into the model card and the README too.
        let mut card = report.card(&source, &sha256, &command, &graph);
        card.extend(notes.iter().map(|n| format!("- Note: {n}")));
        let facts = back::lib_rs::CardFacts {
            card,
            weight_bytes: report.weight_bytes,
            macs: report.macs,
            tuning: back::tuning::Tuning::new(&self.measure_options.opt_level, &target),
        };
        let spec = CrateSpec {
            name: name.clone(),
            kernels: self.kernels.clone(),
            command,
            source,
            sha256,
            facts: vec![
                ("target".into(), target.name.clone()),
                ("weights (flash)".into(), format!("{} bytes", report.weight_bytes)),
                ("arena (RAM)".into(), format!("{} bytes", report.arena_bytes)),
                ("MACs per inference".into(), report.macs.to_string()),
            ]
            .into_iter()
            .chain(notes.iter().map(|n| ("note".to_string(), n.clone())))
            .collect(),
        };
        let krate = match self.module_dir {
            Some(_) => back::generate_module(&graph, &plan, &facts)?,
            None => back::generate(&graph, &plan, &facts, &spec)?,
        };
        // What gets measured is a self-contained crate with vendored kernels (the same kernel
        // code): a module, or a crate whose kernels are a relative path or a registry version,
        // cannot be built from the measurement directory.
        let standalone;
        let to_measure = if self.measure && (self.module_dir.is_some() || spec.kernels != KernelsDep::Vendored) {
            standalone = back::generate(&graph, &plan, &facts, &CrateSpec { kernels: KernelsDep::Vendored, ..spec })?;
            &standalone
        } else {
            &krate
        };
        self.attach_measurement(&mut report, to_measure, &name, &target)?;
        Ok(Compiled { graph, plan, report, krate, name, notes })
    }

    /// Measures the crate (when on and possible) into the report. A firmware the linker rejects
    /// is over budget: [`Error::OverBudget`] with the linker's words and the estimated breakdown.
    fn attach_measurement(
        &self,
        report: &mut Report,
        krate: &GeneratedCrate,
        name: &str,
        target: &Target,
    ) -> Result<()> {
        if !self.measure {
            report.not_measured = Some("measuring is off (--no-measure)".into());
            return Ok(());
        }
        if !["0", "1", "2", "3", "s", "z"].contains(&self.measure_options.opt_level.as_str()) {
            return Err(Error::InvalidInput(format!(
                "opt-level '{}' is not one of 0, 1, 2, 3, s, z",
                self.measure_options.opt_level
            )));
        }
        if let Err(why) = measure::available(target) {
            report.not_measured = Some(why);
            return Ok(());
        }
        match measure::measure(krate, name, target, &self.measure_options) {
            Ok(m) => {
                report.measured = Some(Measured::new(&m, report.state_bytes as u64, report.macs));
                report.not_measured = None;
                Ok(())
            }
            Err(Error::OverBudget(linker)) => {
                report.not_measured = Some("the linker rejected the firmware".into());
                Err(Error::OverBudget(format!("{linker}{}{}", report.table(), report.breakdown(true))))
            }
            Err(e) => Err(e),
        }
    }

    /// Runs the pipeline and writes the crate atomically (or the module, with
    /// [`module_out`](Self::module_out)). Over budget → [`Error::OverBudget`] with the budget
    /// breakdown, and nothing written.
    pub fn compile(&self) -> Result<Compiled> {
        self.check_outputs()?;
        let compiled = self.build()?;
        if !compiled.report.fits() {
            return Err(Error::OverBudget(format!("{}{}", compiled.report.table(), compiled.report.breakdown(false))));
        }
        if let Some(dir) = &self.module_dir {
            back::write_module(&compiled.krate, dir)?;
            return Ok(compiled);
        }
        let dir = self.out_dir.clone().unwrap_or_else(|| PathBuf::from(&compiled.name));
        back::write_crate(&compiled.krate, Path::new(&dir), Some(&self.model), self.force)?;
        Ok(compiled)
    }
}

/// Besides Rust's keywords ([`back::names::RUST_KEYWORDS`]): the crates every build links and the
/// kernel crate. None may be a crate's identifier (`-` → `_`).
const RESERVED_CRATES: &[&str] = &["core", "std", "alloc", "test", "proc_macro", "ecgc_kernels"];

/// Longest crate name accepted (crates.io's limit).
pub const MAX_NAME_LEN: usize = 64;

/// A crate name Cargo accepts and whose identifier (`-` → `_`) a firmware can `use`: ASCII
/// letters, digits, `-`, `_`, starting with a letter, at most [`MAX_NAME_LEN`] characters, and
/// not a Rust keyword, a standard crate or the kernel crate.
pub fn check_crate_name(name: &str) -> Result<()> {
    let what = "; choose another with --name";
    if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::InvalidInput(format!(
            "crate name '{name}' must be ASCII letters, digits, - or _, starting with a letter{what}"
        )));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::InvalidInput(format!(
            "crate name '{name}' is {} characters long; Cargo registries take at most {MAX_NAME_LEN}{what}",
            name.len()
        )));
    }
    let ident = name.replace('-', "_").to_ascii_lowercase();
    if back::names::RUST_KEYWORDS.contains(&ident.as_str()) || RESERVED_CRATES.contains(&ident.as_str()) {
        let why = match ident.as_str() {
            "ecgc_kernels" => "the name of ecgc's kernel crate, which every generated crate depends on",
            "core" | "std" | "alloc" | "test" | "proc_macro" => "a crate of the Rust distribution",
            _ => "a Rust keyword, so a firmware could not name the crate",
        };
        return Err(Error::InvalidInput(format!("crate name '{name}' is reserved: '{ident}' is {why}{what}")));
    }
    Ok(())
}

/// The compile output's lines for the user's int8 layer choices (`--keep-f32`, `--int8-max-error`).
fn choice_notes(c: &crate::quant::sensitivity::Choices) -> Vec<String> {
    let mut notes: Vec<String> =
        c.layers.iter().filter(|d| !d.int8).map(|d| format!("int8: layer '{}' {}", d.node, d.why)).collect();
    if let Some(e) = c.combined_error {
        let k = c.layers.iter().filter(|d| d.int8).count();
        notes.push(format!(
            "int8: {k} of {} candidate layers integer; together they change the outputs by {e:.2e} (relative RMS, {} \
             calibration samples)",
            c.layers.len(),
            c.samples
        ));
    }
    notes
}
