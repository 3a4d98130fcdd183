//! Checks a generated crate against tract: builds a host harness around it, runs it on inputs,
//! and compares with tract's decluttered plan (the golden truth, see `front::reference`).
//! Used by `ecgc validate`, the golden tests and the benchmark.

use crate::back::harness;
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Largest differences between two sets of outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// max |ours − ref| over every element of every output.
    pub max_abs: f32,
    /// max |ours − ref| / max(1, |ref|): the quantity tolerances bound.
    pub max_scaled: f32,
    /// (output index, element index) of the worst scaled error.
    pub worst: (usize, usize),
}

/// Compares outputs; a NaN anywhere (or a length mismatch) counts as an infinite error.
pub fn compare(ours: &[Vec<f32>], reference: &[Vec<f32>]) -> Comparison {
    let mut c = Comparison { max_abs: 0.0, max_scaled: 0.0, worst: (0, 0) };
    if ours.len() != reference.len() {
        c.max_abs = f32::INFINITY;
        c.max_scaled = f32::INFINITY;
        return c;
    }
    for (k, (a, b)) in ours.iter().zip(reference).enumerate() {
        if a.len() != b.len() {
            c.max_abs = f32::INFINITY;
            c.max_scaled = f32::INFINITY;
            c.worst = (k, 0);
            continue;
        }
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            let d = if x == y {
                0.0
            } else if x.is_nan() || y.is_nan() {
                f32::INFINITY
            } else {
                (x - y).abs()
            };
            let s = d / y.abs().max(1.0);
            c.max_abs = c.max_abs.max(d);
            if s > c.max_scaled || (s.is_infinite() && c.max_scaled.is_finite()) {
                c.max_scaled = s;
                c.worst = (k, i);
            }
        }
    }
    c
}

/// Deterministic uniform inputs in [-1, 1) (xorshift64*), one vector per shape.
pub fn seeded_inputs(shapes: &[Vec<usize>], seed: u64) -> Vec<Vec<f32>> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    shapes
        .iter()
        .map(|shape| {
            (0..shape.iter().product::<usize>())
                .map(|_| {
                    s ^= s >> 12;
                    s ^= s << 25;
                    s ^= s >> 27;
                    let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
                    (r as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
                })
                .collect()
        })
        .collect()
}

/// Reads a float32 `.npy` file into a flat vector (row-major).
pub fn read_npy(path: &Path) -> Result<Vec<f32>> {
    read_npy_shaped(path).map(|(_, data)| data)
}

/// Reads a float32 `.npy` file: its shape and its values, row-major.
pub fn read_npy_shaped(path: &Path) -> Result<(Vec<usize>, Vec<f32>)> {
    let bad = |e: String| Error::InvalidInput(format!("'{}': {e}", path.display()));
    let arr: ndarray::ArrayD<f32> =
        ndarray_npy::read_npy(path).map_err(|e| bad(format!("not a float32 .npy file: {e}")))?;
    Ok((arr.shape().to_vec(), arr.iter().copied().collect()))
}

/// Writes a harness crate for a generated crate at `crate_dir` into `work/harness_<name>` and
/// builds it (release, host). Returns the executable.
pub fn build_harness(
    crate_dir: &Path,
    name: &str,
    inputs: &[(String, String)],
    outputs: &[(String, String)],
    work: &Path,
) -> Result<PathBuf> {
    let krate = name.replace('-', "_");
    write_and_build_harness(crate_dir, name, &harness::main_rs(&krate, inputs, outputs), work)
}

/// [`build_harness`] for a streaming crate with `states` state arrays: the executable runs
/// `step` over every step on stdin ([`harness::step_main_rs`]).
pub fn build_step_harness(
    crate_dir: &Path,
    name: &str,
    inputs: &[(String, String)],
    outputs: &[(String, String)],
    states: usize,
    work: &Path,
) -> Result<PathBuf> {
    let krate = name.replace('-', "_");
    write_and_build_harness(crate_dir, name, &harness::step_main_rs(&krate, inputs, outputs, states), work)
}

fn write_and_build_harness(crate_dir: &Path, name: &str, main_rs: &str, work: &Path) -> Result<PathBuf> {
    let hdir = work.join(format!("harness_{name}"));
    std::fs::create_dir_all(hdir.join("src")).map_err(Error::io("creating the harness directory"))?;
    let krate = name.replace('-', "_");
    let toml = format!(
        "[package]\nname = \"harness_{krate}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{name} = {{ path = {:?} }}\n\n[profile.release]\ndebug = false\n\n[workspace]\n",
        crate_dir.canonicalize().map_err(Error::io("locating the generated crate"))?.display().to_string()
    );
    std::fs::write(hdir.join("Cargo.toml"), toml).map_err(Error::io("writing the harness Cargo.toml"))?;
    std::fs::write(hdir.join("src/main.rs"), main_rs).map_err(Error::io("writing the harness"))?;
    let target_dir = work.join("target");
    cargo(&["build", "--release", "--quiet"], &hdir, &target_dir)?;
    Ok(target_dir.join("release").join(format!("harness_{krate}")))
}

/// Runs `cargo` with `args` in `dir`, with a given target directory; errors carry cargo's output.
pub fn cargo(args: &[&str], dir: &Path, target_dir: &Path) -> Result<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir)
        // Only the crate's own settings: a caller's flags (say `-C target-cpu=native`, or a
        // build script's encoded flags) must not leak into the build.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .map_err(Error::io("running cargo"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        return Err(Error::Internal(format!("cargo {} failed in '{}':\n{text}", args.join(" "), dir.display())));
    }
    Ok(text)
}

/// Runs a harness on inputs `reps` times; returns the outputs (split by `out_lens`) and the mean
/// nanoseconds per run.
pub fn run_harness(exe: &Path, inputs: &[Vec<f32>], out_lens: &[usize], reps: u32) -> Result<(Vec<Vec<f32>>, u128)> {
    let mut child = Command::new(exe)
        .arg(reps.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Error::io(format!("running '{}'", exe.display())))?;
    let bytes: Vec<u8> = inputs.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
    child
        .stdin
        .take()
        .ok_or_else(|| Error::Internal("harness stdin".into()))?
        .write_all(&bytes)
        .map_err(Error::io("feeding the harness"))?;
    let out = child.wait_with_output().map_err(Error::io("waiting for the harness"))?;
    if !out.status.success() {
        return Err(Error::Internal(format!("the generated model crashed: {}", String::from_utf8_lossy(&out.stderr))));
    }
    let ns: u128 = String::from_utf8_lossy(&out.stderr).trim().parse().unwrap_or(0);
    let flat: Vec<f32> = out.stdout.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if flat.len() != out_lens.iter().sum::<usize>() {
        return Err(Error::Internal(format!(
            "harness wrote {} values, expected {}",
            flat.len(),
            out_lens.iter().sum::<usize>()
        )));
    }
    let mut at = 0;
    let outs = out_lens
        .iter()
        .map(|&n| {
            at += n;
            flat[at - n..at].to_vec()
        })
        .collect();
    Ok((outs, ns))
}
