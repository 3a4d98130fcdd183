//! Reads a linked firmware ELF (with the `object` crate): section sizes split into flash and RAM,
//! and symbols attributed to the generated model crate, the kernel crate, the model's weights
//! (`W_*` statics) and the firmware's named statics (`ECGC_MODEL`, `ECGC_IN_*`, `ECGC_OUT_*`).
//!
//! Attribution is by symbol: after fat LTO most kernel functions are inlined into
//! `Model::run`, so "kernel code" is what still carries an `ecgc_kernels` name, and the model
//! crate's functions plus `ecgc_model_run` (the firmware's out-of-line call of `Model::run`, which
//! `run` is usually inlined into) are "model code". Weights are the model crate's `W_*` statics;
//! LLVM may fold a constant of a few bytes into instructions, so measured weights can fall short
//! of the estimate by those bytes. Bytes no symbol claims (padding, literal pools, the reset
//! code) count as "other".

use crate::error::{Error, Result};
use object::{elf, Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind, SymbolKind};
use serde::Serialize;
use std::path::Path;

/// Flash and RAM of a linked program, by origin.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sizes {
    /// Bytes stored in flash: vector table, `.text`, `.rodata`, `.ARM.exidx`, the `.data` image.
    pub flash: u64,
    /// `.text` (and the vector table) in total.
    pub code: u64,
    /// Functions of the kernel crate that survived inlining.
    pub kernel_code: u64,
    /// Functions of the generated model crate (kernels inlined into them included).
    pub model_code: u64,
    /// The model's constant weights (`W_*` statics of the model crate).
    pub weights: u64,
    /// The rest of flash: other read-only data, core's code, the firmware's reset code, padding.
    pub flash_other: u64,
    /// `.data` (in RAM, and its image in flash).
    pub data: u64,
    /// `.bss`.
    pub bss: u64,
    /// The `Model` static: arena and state.
    pub model_ram: u64,
    /// Input and output buffers the caller holds (`ECGC_IN_*`, `ECGC_OUT_*`).
    pub io_ram: u64,
    /// Weight statics, largest first: `(name, bytes)`.
    pub weight_symbols: Vec<(String, u64)>,
    /// Functions, largest first: `(name, bytes)`.
    pub code_symbols: Vec<(String, u64)>,
}

/// Path segments of a legacy-mangled Rust symbol (`_ZN3foo3bar17h0123456789abcdefE` →
/// `["foo", "bar"]`, the hash dropped), or the name itself as one segment.
pub fn demangle(sym: &str) -> Vec<String> {
    let Some(mut rest) = sym.strip_prefix("_ZN") else { return vec![sym.to_string()] };
    let mut parts = vec![];
    while let Some(c) = rest.chars().next() {
        if c == 'E' {
            break;
        }
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let Ok(n) = rest[..digits].parse::<usize>() else { return vec![sym.to_string()] };
        if digits == 0 || rest.len() < digits + n {
            return vec![sym.to_string()];
        }
        parts.push(rest[digits..digits + n].to_string());
        rest = &rest[digits + n..];
    }
    if parts.last().is_some_and(|p| p.len() == 17 && p.starts_with('h')) {
        parts.pop();
    }
    parts
}

/// Reads an ELF linked for flash at `[flash_lo, flash_hi)`; `krate` is the model crate's
/// Rust identifier.
pub fn read(path: &Path, krate: &str, flash: (u64, u64)) -> Result<Sizes> {
    let bytes = std::fs::read(path).map_err(Error::io(format!("reading '{}'", path.display())))?;
    let file = object::File::parse(&*bytes)
        .map_err(|e| Error::Internal(format!("measurement ELF '{}': {e}", path.display())))?;
    let in_flash = |a: u64| a >= flash.0 && a < flash.1;
    let mut s = Sizes::default();
    for sec in file.sections() {
        let name = sec.name().unwrap_or("");
        let size = sec.size();
        let alloc = matches!(sec.flags(), SectionFlags::Elf { sh_flags } if sh_flags & u64::from(elf::SHF_ALLOC) != 0);
        if size == 0 || !alloc {
            continue;
        }
        match sec.kind() {
            SectionKind::UninitializedData | SectionKind::UninitializedTls => s.bss += size,
            _ if in_flash(sec.address()) => {
                s.flash += size;
                if sec.kind() == SectionKind::Text || name == ".vector_table" {
                    s.code += size;
                }
            }
            _ => {
                // Initialised data in RAM: its image sits in flash too.
                s.data += size;
                s.flash += size;
            }
        }
    }
    for sym in file.symbols() {
        let size = sym.size();
        if size == 0 {
            continue;
        }
        let name = sym.name().unwrap_or("");
        let path = demangle(name);
        let last = path.last().map(String::as_str).unwrap_or("");
        let from_model = path.first().is_some_and(|c| c == krate);
        match sym.kind() {
            SymbolKind::Text => {
                if path.iter().any(|p| is_kernel_crate(p)) {
                    s.kernel_code += size;
                } else if from_model || path.iter().any(|p| p == krate) || name == "ecgc_model_run" {
                    s.model_code += size;
                }
                s.code_symbols.push((path.join("::"), size));
            }
            SymbolKind::Data => {
                if name == "ECGC_MODEL" {
                    s.model_ram += size;
                } else if name.starts_with("ECGC_IN_") || name.starts_with("ECGC_OUT_") {
                    s.io_ram += size;
                } else if from_model && last.starts_with("W_") && in_flash(sym.address()) {
                    s.weights += size;
                    s.weight_symbols.push((last.to_string(), size));
                }
            }
            _ => {}
        }
    }
    s.flash_other = s.flash.saturating_sub(s.kernel_code + s.model_code + s.weights);
    let order = |v: &mut Vec<(String, u64)>| v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    order(&mut s.weight_symbols);
    order(&mut s.code_symbols);
    Ok(s)
}

/// The kernel crate as a path segment: `ecgc_kernels` when shared (`--kernels-path`), or a
/// vendored copy's per-crate package `<crate>-ecgc-kernels` (crate name `<crate>_ecgc_kernels`).
fn is_kernel_crate(segment: &str) -> bool {
    segment == "ecgc_kernels" || segment.ends_with("_ecgc_kernels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_symbols_demangle() {
        assert_eq!(demangle("_ZN3ecg5Model3run17h0123456789abcdefE"), ["ecg", "Model", "run"]);
        assert_eq!(demangle("_ZN12ecgc_kernels4conv6conv2d17hfedcba9876543210E")[0], "ecgc_kernels");
        assert!(is_kernel_crate("ecgc_kernels") && is_kernel_crate("ecg_cnn_ecgc_kernels"));
        assert!(!is_kernel_crate("ecg_cnn") && !is_kernel_crate("my_ecgc_kernels_fork"));
        assert_eq!(demangle("ECGC_MODEL"), ["ECGC_MODEL"]);
        assert_eq!(demangle("_ZN99broken"), ["_ZN99broken"]);
    }
}
