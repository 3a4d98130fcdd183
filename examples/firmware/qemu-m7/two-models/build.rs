//! Links with cortex-m-rt's `link.x` (which includes the board's `memory.x`).

fn main() {
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
