//! Targets: MCU descriptions read from `targets/*.toml` (built into the binary, or a file path).

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// The built-in target files.
const BUILTIN: &[(&str, &str)] = &[
    ("stm32f746", include_str!("../../targets/stm32f746.toml")),
    ("nrf52840", include_str!("../../targets/nrf52840.toml")),
    ("rp2040", include_str!("../../targets/rp2040.toml")),
    ("esp32c3", include_str!("../../targets/esp32c3.toml")),
    ("host", include_str!("../../targets/host.toml")),
];

/// A memory region for the linker.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Linker name (FLASH, DTCM, SRAM1, …).
    pub name: String,
    /// `flash`, `ram` or `reserved` (default: `flash` when the name contains FLASH, else `ram`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Start address.
    pub origin: u64,
    /// Bytes.
    pub length: u64,
}

impl Region {
    /// `flash`, `ram` or `reserved`.
    pub fn kind(&self) -> &str {
        match &self.kind {
            Some(k) => k,
            None if self.name.to_ascii_uppercase().contains("FLASH") => "flash",
            None => "ram",
        }
    }
}

/// A target machine.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Short name used on the command line.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// Rust target triple (`host` for the build machine).
    pub triple: String,
    /// CPU name.
    pub cpu: String,
    /// CPU features (fpu-sp, dsp, …).
    pub features: Vec<String>,
    /// Core clock.
    pub clock_hz: u64,
    /// Flash budget in bytes.
    pub flash_bytes: u64,
    /// RAM budget in bytes.
    pub ram_bytes: u64,
    /// Energy per cycle, for estimates.
    pub energy_pj_per_cycle: f64,
    /// Cycles per f32 multiply-accumulate, for estimates.
    pub cycles_per_mac_f32: f64,
    /// The per-kernel cost model: instructions per unit of work, per opt-level, calibrated on
    /// measured counts (`[cost]` in the target file; see [`crate::report::cost`]). Without it,
    /// estimates are MACs × `cycles_per_mac_f32` and say they are uncalibrated.
    #[serde(default)]
    pub cost: Option<CostTable>,
    /// Linker memory regions.
    #[serde(default)]
    pub memory: Vec<Region>,
}

/// `[cost]` of a target file: coefficients of the per-kernel cost model, written by
/// `scripts/calibrate-cost.py`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostTable {
    /// What the coefficients predict and where they come from (machine, method, commit, date,
    /// fit error), shown in reports.
    pub calibrated: String,
    /// Cycles per predicted instruction (the counts are instructions; a real core's cycles
    /// differ by its issue width and memory waits).
    pub cycles_per_instruction: f64,
    /// Per cargo opt-level (`"3"`, `"s"`, …): cost term name → instructions per unit.
    #[serde(rename = "opt-level")]
    pub opt_level: std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>,
}

impl Target {
    /// A built-in target by name, or a target file by path (ending in `.toml`).
    pub fn load(name: &str) -> Result<Target> {
        let text = if name.ends_with(".toml") {
            std::fs::read_to_string(Path::new(name)).map_err(Error::io(format!("reading target file '{name}'")))?
        } else {
            match BUILTIN.iter().find(|(n, _)| *n == name) {
                Some((_, t)) => t.to_string(),
                None => {
                    return Err(Error::InvalidInput(format!(
                        "unknown target '{name}'; known targets: {} (or a path to a .toml target file)",
                        BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    )))
                }
            }
        };
        let t: Target = toml::from_str(&text).map_err(|e| Error::InvalidInput(format!("target '{name}': {e}")))?;
        if let Some(c) = &t.cost {
            crate::report::cost::check_table(c).map_err(|e| Error::InvalidInput(format!("target '{name}': {e}")))?;
        }
        Ok(t)
    }

    /// The flash region programs are linked into: the largest `flash` region.
    pub fn flash_region(&self) -> Option<Region> {
        self.memory.iter().filter(|r| r.kind() == "flash").max_by_key(|r| r.length).cloned()
    }

    /// The largest run of address-contiguous `ram` regions, as one region named after its parts
    /// (`DTCM+SRAM1+SRAM2` on the F746): what a linker can place one program's RAM in.
    pub fn ram_span(&self) -> Option<Region> {
        let mut rams: Vec<&Region> = self.memory.iter().filter(|r| r.kind() == "ram").collect();
        rams.sort_by_key(|r| r.origin);
        let mut best: Option<Region> = None;
        let mut cur: Option<Region> = None;
        for r in rams {
            cur = match cur {
                Some(c) if c.origin + c.length == r.origin => Some(Region {
                    name: format!("{}+{}", c.name, r.name),
                    kind: c.kind,
                    origin: c.origin,
                    length: c.length + r.length,
                }),
                _ => Some(r.clone()),
            };
            if let Some(c) = &cur {
                if best.as_ref().is_none_or(|b| c.length > b.length) {
                    best = cur.clone();
                }
            }
        }
        best
    }

    /// Every built-in target.
    pub fn builtin() -> Vec<Target> {
        BUILTIN.iter().filter_map(|(n, _)| Target::load(n).ok()).collect()
    }
}

/// Parses `64K`, `1M`, `320KiB`, `1.5MB` or plain bytes (K = 1024).
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => {
            return Err(Error::InvalidInput(format!("size '{s}': unknown unit '{unit}' (use K, M, KiB, MiB or bytes)")))
        }
    };
    let n: f64 = num.parse().map_err(|_| Error::InvalidInput(format!("size '{s}' is not a number with a unit")))?;
    Ok((n * mult as f64).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("64K").unwrap(), 65536);
        assert_eq!(parse_size("1M").unwrap(), 1 << 20);
        assert_eq!(parse_size("320KiB").unwrap(), 327680);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("12 parsecs").is_err());
    }

    #[test]
    fn builtin_targets_load() {
        let names: Vec<String> = Target::builtin().into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["stm32f746", "nrf52840", "rp2040", "esp32c3", "host"]);
        let t = Target::load("stm32f746").unwrap();
        assert_eq!((t.flash_bytes, t.ram_bytes, t.triple.as_str()), (1 << 20, 320 * 1024, "thumbv7em-none-eabihf"));
    }

    #[test]
    fn f746_ram_is_three_contiguous_regions() {
        let t = Target::load("stm32f746").unwrap();
        let ram = t.ram_span().unwrap();
        assert_eq!((ram.name.as_str(), ram.origin, ram.length), ("DTCM+SRAM1+SRAM2", 0x2000_0000, 320 * 1024));
        assert_eq!(t.flash_region().unwrap().origin, 0x0800_0000);
        for t in Target::builtin().into_iter().filter(|t| t.triple != "host") {
            let (f, r) = (t.flash_region().unwrap(), t.ram_span().unwrap());
            assert!(f.length <= t.flash_bytes && r.length <= t.ram_bytes, "{}: regions exceed budgets", t.name);
        }
    }
}
