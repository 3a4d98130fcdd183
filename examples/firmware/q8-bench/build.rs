//! Links with `link.x` (QEMU mps2-an500: 4 MiB code memory at 0x0, 4 MiB RAM at 0x2000_0000).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg=-T{dir}/link.x");
    println!("cargo:rerun-if-changed=link.x");
}
