//! The subcommands' bodies.

use super::{CompileArgs, ModelArgs, PrecisionArg, ValidateArgs};
use crate::back::{output, KernelsDep};
use crate::error::{Error, Result};
use crate::front::reference::{Plan, Reference};
use crate::passes::PassOptions;
use crate::target::{parse_size, Target};
use crate::{front, passes, report, validate, Compiler, Precision};

fn parse_shape(s: &str) -> Result<(String, Vec<usize>)> {
    let bad = || Error::InvalidInput(format!("--input-shape '{s}': expected NAME=D0,D1,... with positive integers"));
    let (name, dims) = s.rsplit_once('=').ok_or_else(bad)?;
    let dims: Vec<usize> =
        dims.split(',').map(|d| d.trim().parse::<usize>()).collect::<std::result::Result<_, _>>().map_err(|_| bad())?;
    if name.is_empty() || dims.contains(&0) {
        return Err(bad());
    }
    Ok((name.to_string(), dims))
}

fn shapes(m: &ModelArgs) -> Result<Vec<(String, Vec<usize>)>> {
    m.input_shape.iter().map(|s| parse_shape(s)).collect()
}

fn pass_options(m: &ModelArgs) -> PassOptions {
    PassOptions { disabled: m.disable_pass.clone(), print_after: m.print_after.clone() }
}

fn compiler(m: &ModelArgs) -> Result<Compiler> {
    let mut c = Compiler::new(&m.model).passes(pass_options(m));
    for (name, dims) in shapes(m)? {
        c = c.input_shape(&name, dims);
    }
    Ok(c)
}

pub(super) fn compile(a: CompileArgs, argv: &[std::ffi::OsString]) -> Result<()> {
    let mut c = compiler(&a.model)?.stream(a.stream);
    for pair in &a.state {
        let (i, o) = pair.split_once('=').filter(|(i, o)| !i.is_empty() && !o.is_empty()).ok_or_else(|| {
            Error::InvalidInput(format!("--state '{pair}': expected IN=OUT (a state input and its next-value output)"))
        })?;
        c = c.state(i, o);
    }
    let mut c = c.target(&a.target).precision(match a.precision {
        PrecisionArg::F32 => Precision::F32,
        PrecisionArg::Int8 => Precision::Int8,
    });
    // The model card records the command with the model's file name only, so the crate's bytes
    // do not depend on the directory the command ran in.
    // Arguments that are not UTF-8 are recorded lossily (U+FFFD).
    let mut cmd: Vec<String> = vec!["ecgc".into()];
    for arg in argv.iter().skip(1) {
        if std::path::Path::new(arg) == a.model.model {
            cmd.push(a.model.model.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default());
        } else {
            cmd.push(arg.to_string_lossy().into_owned());
        }
    }
    c = c.command(&cmd.join(" "));
    if let Some(p) = &a.calibration {
        c = c.calibration(p);
    }
    for p in &a.keep_f32 {
        c = c.keep_f32(p);
    }
    if let Some(e) = a.int8_max_error {
        c = c.int8_max_error(e);
    }
    if let Some(m) = a.calibration_method {
        c = c.calibration_method(m);
    }
    if let Some(o) = &a.out {
        c = c.out_dir(o);
    }
    if let Some(n) = &a.name {
        let n = n.to_str().ok_or_else(|| {
            Error::InvalidInput(format!(
                "--name '{}' is not UTF-8; a crate name is ASCII letters, digits, - or _, starting with a letter",
                n.to_string_lossy()
            ))
        })?;
        c = c.name(n);
    }
    if let Some(s) = &a.max_flash {
        c = c.max_flash(parse_size(s)?);
    }
    if let Some(s) = &a.max_ram {
        c = c.max_ram(parse_size(s)?);
    }
    let kernels_dir = match &a.kernels_path {
        Some(p) => Some(kernels_path(p)?),
        None => None,
    };
    if let Some(k) = &kernels_dir {
        c = c.kernels(KernelsDep::Path(k.clone()));
    }
    if let Some(v) = &a.kernels_version {
        c = c.kernels(KernelsDep::Version(kernels_version(v)?));
    }
    c = c.measure(!a.no_measure).measure_opt_level(&a.opt_level).measure_run(!a.no_run).force(a.force);
    if let Some(d) = &a.measure_dir {
        c = c.measure_dir(d);
    }
    // Every output path is checked before any work is written.
    let crate_dir = c.check_outputs()?;
    if let (Some(k), Some(d)) = (&kernels_dir, &crate_dir) {
        if k.starts_with(d) {
            return Err(Error::InvalidInput(format!(
                "--kernels-path '{}' is inside the output directory '{}', which ecgc replaces as a whole; keep the kernel crate elsewhere",
                k.display(),
                d.display()
            )));
        }
    }
    let model = Some(a.model.model.as_path());
    let svg_path = a.plan_svg.clone().or_else(|| a.report.as_ref().map(|p| p.with_extension("svg")));
    let report_file = match &a.report {
        Some(p) => Some(output::check_file("--report", p, model, crate_dir.as_deref())?),
        None => None,
    };
    if let Some(p) = &svg_path {
        let flag = if a.plan_svg.is_some() { "--plan-svg" } else { "--report (its .svg picture)" };
        let svg = output::check_file(flag, p, model, crate_dir.as_deref())?;
        if report_file.as_ref() == Some(&svg) {
            return Err(Error::InvalidInput(format!(
                "--report '{}' and the memory-plan picture are the same file; give the report a .json name",
                p.display()
            )));
        }
    }
    let built = c.build()?;
    for n in &built.notes {
        eprintln!("note: {n}");
    }
    // The report files are staged beside their final paths and renamed into place once the
    // crate is written: on any error neither a half-written report nor a temporary file is left.
    let stage = |b: &crate::Compiled| -> Result<Vec<Staged>> {
        let mut staged = vec![];
        if let Some(path) = &a.report {
            let json = serde_json::to_string_pretty(&b.report).map_err(|e| Error::Internal(e.to_string()))?;
            staged.push(stage_file(path, json.as_bytes())?);
        }
        if let Some(path) = &svg_path {
            let svg = report::svg::plan_svg(&b.graph, &b.plan, &b.report.model);
            staged.push(stage_file(path, svg.as_bytes())?);
        }
        Ok(staged)
    };
    let staged = stage(&built)?;
    if !built.report.fits() {
        persist(staged)?;
        return Err(Error::OverBudget(format!("{}{}", built.report.table(), built.report.breakdown(false))));
    }
    let dir = a.out.clone().unwrap_or_else(|| built.name.clone().into());
    crate::back::write_crate(&built.krate, &dir, model, a.force)?;
    persist(staged)?;
    // A closed stdout (`| head`) is not an error of the compilation: the crate is written.
    let text = format!("{}wrote crate '{}' to {}\n", built.report.table(), built.name, dir.display());
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    Ok(())
}

/// A report file written next to its final path, not yet renamed into place.
type Staged = (tempfile::NamedTempFile, std::path::PathBuf);

fn stage_file(path: &std::path::Path, bytes: &[u8]) -> Result<Staged> {
    let parent = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(Error::io(format!("creating '{}'", parent.display())))?;
    let mut b = tempfile::Builder::new();
    b.prefix(".ecgc-tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666)); // then the umask, like fs::write
    }
    let mut f = b.tempfile_in(parent).map_err(Error::io(format!("creating a file in '{}'", parent.display())))?;
    std::io::Write::write_all(&mut f, bytes).map_err(Error::io(format!("writing '{}'", path.display())))?;
    Ok((f, path.to_path_buf()))
}

fn persist(staged: Vec<Staged>) -> Result<()> {
    for (f, path) in staged {
        f.persist(&path).map_err(|e| Error::io(format!("writing '{}'", path.display()))(e.error))?;
    }
    Ok(())
}

/// `--kernels-path`: a directory holding the `ecgc-kernels` package.
fn kernels_path(p: &std::path::Path) -> Result<std::path::PathBuf> {
    let shown = p.display();
    let dir = std::fs::canonicalize(p).map_err(|e| {
        Error::InvalidInput(format!(
            "--kernels-path '{shown}': {e}; give the directory of the ecgc-kernels crate (runtime-kernels/ in ecgc's repository)"
        ))
    })?;
    let toml = std::fs::read_to_string(dir.join("Cargo.toml")).map_err(|_| {
        Error::InvalidInput(format!(
            "--kernels-path '{shown}' holds no readable Cargo.toml; give the directory of the ecgc-kernels crate (runtime-kernels/ in ecgc's repository)"
        ))
    })?;
    let found = toml::from_str::<toml::Table>(&toml)
        .ok()
        .and_then(|t| t.get("package")?.get("name")?.as_str().map(str::to_string));
    match found.as_deref() {
        Some("ecgc-kernels") => Ok(dir),
        Some(other) => Err(Error::InvalidInput(format!(
            "--kernels-path '{shown}' is the crate '{other}', not ecgc-kernels; give the directory of the ecgc-kernels crate"
        ))),
        None => Err(Error::InvalidInput(format!(
            "--kernels-path '{shown}': its Cargo.toml has no [package] name; give the directory of the ecgc-kernels crate"
        ))),
    }
}

/// `--kernels-version`: a Cargo version requirement (`0.1`, `=0.1.0`, `^0.1`).
fn kernels_version(v: &str) -> Result<String> {
    semver::VersionReq::parse(v.trim()).map(|_| v.trim().to_string()).map_err(|e| {
        Error::InvalidInput(format!(
            "--kernels-version '{v}' is not a Cargo version requirement ({e}); write e.g. {}",
            env!("CARGO_PKG_VERSION")
        ))
    })
}

pub(super) fn inspect(m: ModelArgs) -> Result<()> {
    let (mut g, notes) = front::import_noted(&m.model, &shapes(&m)?)?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    let host = Target::load("host")?;
    passes::run(&mut g, &pass_options(&m), &passes::Context::f32(&host))?;
    let p = crate::back::groups::settled_plan(&g);
    let r = report::report(&m.model.display().to_string(), &g, &p, &host, u64::MAX, u64::MAX);
    print!("{g}");
    println!();
    println!("{:<40} {:>14} {:>12}", "node", "MACs", "weights (B)");
    for n in &r.nodes {
        println!("{:<40} {:>14} {:>12}", n.node, n.macs, n.weight_bytes);
    }
    println!();
    let ops: Vec<String> = r.op_histogram.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
    println!("ops: {}", ops.join(", "));
    println!(
        "weights {} B, arena {} B (lower bound {} B), MACs {}",
        r.weight_bytes, r.arena_bytes, r.arena_lower_bound_bytes, r.macs
    );
    Ok(())
}

pub(super) fn validate(a: ValidateArgs) -> Result<()> {
    if !a.tolerance.is_finite() || a.tolerance < 0.0 {
        return Err(Error::InvalidInput(format!(
            "--tolerance {}: give a finite number ≥ 0 (the default is 1e-5)",
            a.tolerance
        )));
    }
    let shapes = shapes(&a.model)?;
    let tmp;
    let work = match &a.work_dir {
        // absolute: cargo resolves a relative target directory from the harness directory
        Some(d) => std::path::absolute(d).map_err(Error::io(format!("--work-dir '{}'", d.display())))?,
        None => {
            tmp = tempfile::tempdir().map_err(Error::io("creating a temporary directory"))?;
            tmp.path().to_path_buf()
        }
    };
    let crate_dir = work.join("crate");
    // Built in memory first: the crate is written only once the --input files are known good.
    let c = compiler(&a.model)?.target("host").out_dir(&crate_dir);
    c.check_outputs()?;
    let compiled = c.build()?;
    if !compiled.report.fits() {
        return Err(Error::OverBudget(format!("{}{}", compiled.report.table(), compiled.report.breakdown(false))));
    }
    // tract may fail to prepare or run a model that ecgc compiles (a run-time failure in its
    // EinSum, say): the IR interpreter is then the reference. Input names and shapes come from
    // the graph, which keeps the model's input names.
    // tract may also run a model and be wrong (an LSTM/GRU form it mishandles): the same.
    let tract = match front::tract_runs_wrong(&a.model.model) {
        Some(why) => {
            Err(Error::InvalidInput(format!("{why}; ecgc follows the ONNX spec there, checked against onnxruntime")))
        }
        None => Reference::load(&a.model.model, &shapes, Plan::Decluttered),
    };
    let (input_names, input_shapes): (Vec<String>, Vec<Vec<usize>>) = match &tract {
        Ok(r) => (r.input_names.clone(), r.input_shapes.clone()),
        Err(_) => compiled.graph.model_inputs().into_iter().unzip(),
    };
    let mut inputs = validate::seeded_inputs(&input_shapes, a.seed);
    for spec in &a.input {
        let (name, file) = spec
            .split_once('=')
            .ok_or_else(|| Error::InvalidInput(format!("--input '{spec}': expected NAME=FILE.npy")))?;
        let k = input_names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| Error::InvalidInput(format!("--input names '{name}', not an input of the model")))?;
        let (shape, data) = validate::read_npy_shaped(std::path::Path::new(file))?;
        let want = &input_shapes[k];
        if &shape != want || data.len() != inputs[k].len() {
            return Err(Error::InvalidInput(format!(
                "--input {name}: '{file}' has shape {shape:?}, the input '{name}' has shape {want:?}; save the array with that exact shape (np.save('{file}', x.reshape({})))",
                want.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
            )));
        }
        inputs[k] = data;
    }
    crate::back::write_crate(&compiled.krate, &crate_dir, Some(&a.model.model), false)?;
    let exe =
        validate::build_harness(&crate_dir, &compiled.name, &compiled.krate.inputs, &compiled.krate.outputs, &work)?;
    let lens = compiled.graph.model_output_lens();
    let (ours, _) = validate::run_harness(&exe, &inputs, &lens, 1)?;
    let (theirs, who, reference) = match tract.map_err(|e| e.to_string()).and_then(|r| run_tract(&r, &inputs)) {
        Ok(t) => (t, "tract", "tract's decluttered plan"),
        Err(why) => {
            println!("reference: ecgc IR interpreter (tract is not usable on this model: {why})");
            // The graph as lowered, before any pass: the passes and the back end are what is checked.
            let lowered = front::import(&a.model.model, &shapes)?;
            let refs: Vec<&[f32]> = inputs.iter().map(Vec::as_slice).collect();
            let out = crate::reference::run(&lowered, &refs)
                .map_err(|e| Error::Internal(format!("the IR interpreter failed on the lowered graph: {e}")))?;
            (out, "the IR interpreter", "ecgc's IR interpreter")
        }
    };
    let c = validate::compare(&ours, &theirs);
    println!(
        "max |ecgc − {who}| = {:.3e}; max scaled error = {:.3e} (output {}, element {}); tolerance {:.1e}",
        c.max_abs, c.max_scaled, c.worst.0, c.worst.1, a.tolerance
    );
    if c.max_scaled <= a.tolerance {
        println!("ok: the generated crate matches {reference}");
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "the generated crate differs from {reference} by {:.3e} (scaled), over the tolerance {:.1e}",
            c.max_scaled, a.tolerance
        )))
    }
}

/// tract's outputs, or why it could not produce them (an error, or a panic inside tract, which
/// is caught with the panic message kept and the default panic report silenced).
fn run_tract(r: &Reference, inputs: &[Vec<f32>]) -> std::result::Result<Vec<Vec<f32>>, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.run(inputs)));
    std::panic::set_hook(hook);
    match out {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(format!("tract panicked: {}", msg.unwrap_or_default()))
        }
    }
}

pub(super) fn targets() -> Result<()> {
    println!("{:<10} {:<28} {:>10} {:>10} {:>9}  features", "target", "triple", "flash", "RAM", "clock");
    for t in Target::builtin() {
        println!(
            "{:<10} {:<28} {:>7} KiB {:>6} KiB {:>5} MHz  {}",
            t.name,
            t.triple,
            t.flash_bytes / 1024,
            t.ram_bytes / 1024,
            t.clock_hz / 1_000_000,
            t.features.join(", ")
        );
    }
    Ok(())
}
