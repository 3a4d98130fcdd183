//! Puts `memory.x` (the F746 memory map for QEMU's mps2-an500) on the linker's search path, where
//! cortex-m-rt's `link.x` includes it. Binaries add `-Tlink.x` themselves (see their build.rs).

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("writing memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
}
