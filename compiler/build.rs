//! Embeds the runtime-kernels sources, so that generated crates can vendor them and build offline.

use std::fmt::Write;
use std::path::Path;

fn collect(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).expect("runtime-kernels/src").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, base, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p.strip_prefix(base).expect("prefix").to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    // Lets slow tests tell an unoptimised build (opt-level 0) from the suite's `ci` profile, which
    // keeps debug assertions on but optimises.
    println!("cargo:rustc-env=ECGC_BUILD_OPT_LEVEL={}", std::env::var("OPT_LEVEL").unwrap_or_default());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime-kernels");
    let src = root.join("src");
    println!("cargo:rerun-if-changed={}", src.display());
    let mut files = vec![];
    collect(&src, &root, &mut files);
    let mut code =
        String::from("/// (path inside the kernel crate, contents)\npub const KERNEL_SOURCES: &[(&str, &str)] = &[\n");
    for f in &files {
        let abs = root.join(f);
        println!("cargo:rerun-if-changed={}", abs.display());
        writeln!(code, "    ({f:?}, include_str!({:?})),", abs.display().to_string()).expect("write");
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("kernel_sources.rs");
    std::fs::write(out, code).expect("write kernel_sources.rs");
}
