//! Runs the measurement firmware on QEMU's `mps2-an500` (a Cortex-M7) and reads its one line.
//!
//! With `-icount shift=8,sleep=off` every instruction advances QEMU's virtual clock by 2^8 ns =
//! 256 ns, and the machine's CMSDK timer, clocked at 25 MHz (40 ns), advances 256/40 = 6.4 ticks
//! per instruction ([`TICKS_PER_INSTRUCTION`]; PRODUCT.md states the ratio the other way round, as
//! "40 ticks per 256 instructions": the firmware's calibration loop shows 6.4 ticks per
//! instruction, and every run checks it). The firmware reads the timer around an empty section
//! and around one `Model::run`; the difference, divided by 6.4, is the instruction count of the
//! inference, exact to the instruction.

use crate::error::{Error, Result};
use serde::Serialize;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// CMSDK timer ticks per instruction under `-icount shift=8` (256 ns per instruction, 40 ns per tick).
pub const TICKS_PER_INSTRUCTION: f64 = 256.0 / 40.0;

/// What the firmware reported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// Instructions of one `Model::run` (timer overhead subtracted).
    pub instructions: u64,
    /// Instructions of the empty section (the measurement overhead that was subtracted).
    pub overhead_instructions: u64,
    /// Stack high-water mark of the whole firmware, bytes.
    pub stack_bytes: u64,
    /// FNV-style hash of the outputs' bits (same inputs → same value).
    pub checksum: u32,
}

/// The QEMU command line for an ELF.
pub fn command(elf: &Path) -> Command {
    let mut c = Command::new("qemu-system-arm");
    c.args(["-machine", "mps2-an500", "-cpu", "cortex-m7", "-icount", "shift=8,sleep=off", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-monitor", "none", "-serial", "none", "-kernel"])
        .arg(elf);
    c
}

/// Parses `ecgc-measure empty_ticks=E run_ticks=R coarse_ticks=Q calib_ticks=K stack_bytes=S
/// checksum=C`; `None`
/// when the line is missing, the two timers disagree, or the calibration loop did not take
/// [`TICKS_PER_INSTRUCTION`] ticks per instruction (to 0.1%).
pub fn parse(text: &str) -> Option<Run> {
    let line = text.lines().find(|l| l.starts_with("ecgc-measure empty_ticks="))?;
    let field = |k: &str| -> Option<u64> {
        line.split_whitespace().find_map(|w| w.strip_prefix(k).and_then(|v| v.strip_prefix('='))?.parse().ok())
    };
    let (empty, run, calib) = (field("empty_ticks")?, field("run_ticks")?, field("calib_ticks")?);
    // The exact timer wraps every 2^32 ticks; the coarse one (1/256 of the rate) says how often.
    let coarse = field("coarse_ticks")? * 256;
    let wraps = (coarse.saturating_sub(run) as f64 / 4_294_967_296.0).round() as u64;
    let run = run + (wraps << 32);
    if coarse.abs_diff(run) > 1024 + run / 100 {
        return None;
    }
    let instr = |t: u64| (t as f64 / TICKS_PER_INSTRUCTION).round() as u64;
    let rate = calib.saturating_sub(empty) as f64 / crate::measure::firmware::CALIBRATION_INSTRUCTIONS as f64;
    if (rate / TICKS_PER_INSTRUCTION - 1.0).abs() > 1e-3 {
        return None;
    }
    Some(Run {
        instructions: instr(run.saturating_sub(empty)),
        overhead_instructions: instr(empty),
        stack_bytes: field("stack_bytes")?,
        checksum: field("checksum")? as u32,
    })
}

/// Runs the ELF, killing QEMU after `timeout`.
pub fn run(elf: &Path, timeout: Duration) -> Result<Run> {
    let mut child = command(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Error::io("running qemu-system-arm (apt-get install qemu-system-arm)"))?;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(Error::io("waiting for qemu-system-arm"))? {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Internal(format!(
                "the measurement firmware did not finish on QEMU within {} s ('{}')",
                timeout.as_secs(),
                elf.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut out);
    }
    match parse(&out) {
        Some(r) if status.success() => Ok(r),
        _ => Err(Error::Internal(format!(
            "the measurement firmware failed on QEMU ({status}), or its calibration loop did not count \
             {TICKS_PER_INSTRUCTION} timer ticks per instruction; its output:\n{out}\n(ELF: '{}')",
            elf.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_firmware_line() {
        let line =
            "ecgc-measure empty_ticks=64 run_ticks=64064 coarse_ticks=250 calib_ticks=128064 stack_bytes=96 checksum=7";
        let r = parse(&format!("x\n{line}\n")).unwrap();
        assert_eq!((r.instructions, r.overhead_instructions, r.stack_bytes, r.checksum), (10000, 10, 96, 7));
        assert!(parse("ecgc-measure panic").is_none());
        // A timer that does not run at 6.4 ticks per instruction is refused.
        assert!(parse(&line.replace("calib_ticks=128064", "calib_ticks=3189")).is_none());
        // A run longer than 2^32 ticks: the coarse timer restores the wrapped count.
        let long =
            line.replace("run_ticks=64064", "run_ticks=1000064").replace("coarse_ticks=250", "coarse_ticks=16781122");
        let r = parse(&long).unwrap();
        assert_eq!(r.instructions, ((1u64 << 32) + 1_000_000) * 10 / 64);
    }
}
