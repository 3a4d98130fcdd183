//! The generated crate as text and as a package: an insta snapshot of one `lib.rs` (reviewed as
//! a diff when codegen changes); determinism (same model and flags → byte-identical files,
//! wherever the model sits on disk, in separate processes); hostile names; a `Cargo.toml` that
//! survives any file name; and the crate inside firmware workspaces — as a member, as a path
//! dependency, and two generated crates side by side — built for thumbv7em-none-eabihf.

use ecgc::back::{CrateSpec, KernelsDep};
use ecgc::ir::*;
use ecgc::Compiler;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf()
}

#[test]
fn lib_rs_snapshot() {
    let c = Compiler::new(repo().join("golden/two_inputs_two_outputs/model.onnx"))
        .target("stm32f746")
        .name("snapshot_model")
        .build()
        .expect("compiles");
    let lib = String::from_utf8(c.krate.files[Path::new("src/lib.rs")].clone()).expect("utf8");
    insta::assert_snapshot!(lib);
}

#[test]
fn same_model_same_bytes_anywhere() {
    let src = repo().join("golden/conv1d_stride_dilation_groups/model.onnx");
    let tmp = tempfile::tempdir().expect("tmp");
    let moved = tmp.path().join("elsewhere/model.onnx");
    std::fs::create_dir_all(moved.parent().expect("parent")).expect("mkdir");
    std::fs::copy(&src, &moved).expect("copy");
    let a = Compiler::new(&src).target("stm32f746").build().expect("compiles");
    let b = Compiler::new(&src).target("stm32f746").build().expect("compiles");
    let c = Compiler::new(&moved).target("stm32f746").build().expect("compiles");
    assert_eq!(a.krate.files, b.krate.files);
    assert_eq!(a.krate.files, c.krate.files);
    assert!(a.krate.files.keys().any(|k| k.starts_with("ecgc-kernels")), "kernels are vendored by default");
}

#[test]
fn written_crate_matches_the_in_memory_one() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("crate");
    let c = Compiler::new(repo().join("golden/matmul_2d/model.onnx"))
        .target("stm32f746")
        .out_dir(&dir)
        .compile()
        .expect("compiles");
    for (rel, bytes) in &c.krate.files {
        assert_eq!(&std::fs::read(dir.join(rel)).expect("file written"), bytes, "{}", rel.display());
    }
    // Compiling again replaces the crate in place, atomically.
    Compiler::new(repo().join("golden/matmul_2d/model.onnx"))
        .target("stm32f746")
        .out_dir(&dir)
        .compile()
        .expect("recompiles");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).expect("tmp").flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("crate")]);
}

/// Compiles one export several times, each in a process of its own (tract's node naming depends
/// on hash order, which differs between processes), and compares every file's bytes. Before names
/// were made canonical, three compilations of the CLTC export gave three different `lib.rs` (two
/// tract nodes swapping their `.1`/`.2` suffixes); the unrolled CfC has dozens of nodes per name
/// stem.
#[test]
fn same_model_same_bytes_across_processes() {
    for (model, runs) in [("cltc/model.onnx", 4), ("cfc-seq/model_unrolled.onnx", 3)] {
        let model = repo().join("examples/models").join(model);
        let tmp = tempfile::tempdir().expect("tmp");
        let mut crates = vec![];
        for run in 0..runs {
            let dir = tmp.path().join(format!("run{run}"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let out = Command::new(env!("CARGO_BIN_EXE_ecgc"))
                .args(["compile", model.to_str().expect("utf8"), "--target", "host", "-o", "model_crate"])
                .current_dir(&dir)
                .output()
                .expect("runs ecgc");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            crates.push(read_tree(&dir.join("model_crate")));
        }
        assert!(crates[0].len() > 10, "expected a crate with weight files");
        for (k, c) in crates.iter().enumerate().skip(1) {
            for (path, bytes) in &crates[0] {
                assert_eq!(Some(bytes), c.get(path), "{}: run {k} differs in {}", model.display(), path.display());
            }
            assert_eq!(c.len(), crates[0].len());
        }
    }
}

fn read_tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).expect("prefix").to_path_buf(), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

fn spec(name: &str, kernels: KernelsDep) -> CrateSpec {
    CrateSpec {
        name: name.into(),
        kernels,
        command: "test".into(),
        source: "none".into(),
        sha256: "none".into(),
        facts: vec![],
    }
}

fn input(g: &mut Graph, name: &str, len: usize) -> ValueId {
    let k = g.inputs.len();
    let v = g.add_value(Value::new(name, vec![1, len], DType::F32, ValueKind::Input(k)));
    g.inputs.push(v);
    v
}

/// Inputs, outputs, constants and nodes named after keywords, generated items and locals,
/// colliding after sanitising, digit-first, non-ASCII or empty, in a graph long enough that `run`
/// is split into parts (a part's name is hostile too): the crate compiles with no warning.
#[test]
fn hostile_names_compile_without_warnings() {
    let mut g = Graph::default();
    let names =
        ["input", "a-b", "a_b", "fn", "", "run_part_0", "ARENA_LEN", "arena", "i0", "信号", "Self", "1x", "x\ny`*/"];
    let ins: Vec<ValueId> = names.iter().map(|n| input(&mut g, n, 3)).collect();
    let hostile_consts = ["k", "MACS", "W_K", "w_k", "Model", "INPUT_LEN", "out"];
    let mut x = ins[0];
    let nodes = ecgc::back::lib_rs::NODES_PER_PART * 2 + 5;
    for i in 0..nodes {
        let name = names[i % names.len()];
        x = if i % 3 == 0 {
            let c = g.add_const(hostile_consts[i % hostile_consts.len()], vec![1, 3], vec![0.5, i as f32, -1.0]);
            g.add_node(name, Op::Binary(BinaryOp::Add), vec![x, c], vec![1, 3], DType::F32)
        } else {
            // Reads a graph input: parts take the inputs they read.
            let other = ins[i % ins.len()];
            g.add_node(name, Op::Binary(BinaryOp::Mul), vec![x, other], vec![1, 3], DType::F32)
        };
        if i % 40 == 7 {
            g.outputs.push(x);
        }
    }
    g.outputs.push(x);
    for (k, o) in g.outputs.clone().into_iter().enumerate() {
        g.values[o.index()].name = ["output", "Model", "i0", "o", "out", "x", "OUTPUT_LEN", "model"][k % 8].into();
    }
    verify::verify(&g).expect("valid graph");
    let plan = ecgc::plan::plan(&g);
    let card = vec!["hostile".into(), "a name with a newline: `x\ny`*/".into()];
    let facts = ecgc::back::lib_rs::CardFacts { card, weight_bytes: 0, macs: 0, tuning: Default::default() };
    let module = ecgc::back::generate_module(&g, &plan, &facts).expect("module form");
    let module = String::from_utf8(module.files[Path::new("model.rs")].clone()).expect("utf8");
    syn::parse_file(&module).expect("the module form parses");
    let krate =
        ecgc::back::generate(&g, &plan, &facts, &spec("hostile", KernelsDep::Path(repo().join("runtime-kernels"))))
            .expect("generates");
    let lib = String::from_utf8(krate.files[Path::new("src/lib.rs")].clone()).expect("utf8");
    assert!(lib.contains("fn run_part_0_1("), "the part's name moved aside for the input `run_part_0`");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("hostile");
    ecgc::back::write_atomically(&krate, &dir).expect("writes");
    let log = ecgc::validate::cargo(
        &["clippy", "--quiet", "--", "-D", "warnings"],
        &dir,
        &repo().join("target/all-ops-check"),
    )
    .expect("the crate compiles, clippy-clean");
    assert!(!log.contains("warning"), "{log}");
    // The host harness (which binds the same names as locals) compiles too.
    let exe = ecgc::validate::build_harness(
        &dir,
        "hostile",
        &krate.inputs,
        &krate.outputs,
        &repo().join("target/all-ops-check"),
    )
    .expect("harness builds");
    let xs: Vec<Vec<f32>> = names.iter().map(|_| vec![1.0, 2.0, 3.0]).collect();
    let lens: Vec<usize> = g.outputs.iter().map(|_| 3).collect();
    let (ys, _) = ecgc::validate::run_harness(&exe, &xs, &lens, 1).expect("runs");
    assert_eq!(ys.len(), g.outputs.len());
}

/// A model file name or command holding `\`, `"` or a newline stays inside a TOML string or
/// comment: the manifest parses, and says exactly what was given.
#[test]
fn cargo_toml_survives_any_file_name() {
    let mut g = Graph::default();
    let x = input(&mut g, "x", 2);
    let y = g.add_node("y", Op::Unary(UnaryOp::Neg), vec![x], vec![1, 2], DType::F32);
    g.outputs.push(y);
    let plan = ecgc::plan::plan(&g);
    let facts = ecgc::back::lib_rs::CardFacts { card: vec![], weight_bytes: 0, macs: 0, tuning: Default::default() };
    let mut sp = spec("odd", KernelsDep::Vendored);
    sp.source = "a\\b\"c\nd ]] = [x].onnx".into();
    sp.command = "ecgc compile 'a\\b\"c\nd ]] = [x].onnx'\n[workspace]".into();
    let krate = ecgc::back::generate(&g, &plan, &facts, &sp).expect("generates");
    let text = String::from_utf8(krate.files[Path::new("Cargo.toml")].clone()).expect("utf8");
    let doc: toml::Table = toml::from_str(&text).expect("the manifest parses");
    assert!(!doc.contains_key("workspace"), "no [workspace]: {text}");
    let package = doc["package"].as_table().expect("[package]");
    assert_eq!(package["description"].as_str(), Some(format!("{} compiled by ecgc 0.1.0", sp.source).as_str()));
    let dep = doc["dependencies"]["ecgc-kernels"].as_table().expect("kernels");
    assert_eq!(dep["package"].as_str(), Some("odd-ecgc-kernels"));
    let kernels: toml::Table =
        toml::from_str(std::str::from_utf8(&krate.files[Path::new("ecgc-kernels/Cargo.toml")]).expect("utf8"))
            .expect("kernel manifest parses");
    assert_eq!(kernels["package"]["name"].as_str(), Some("odd-ecgc-kernels"));
}

/// Writes `files` (relative path → text) under `dir`.
fn write_files(dir: &Path, files: &[(&str, String)]) {
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
}

/// A firmware's own workspace holding two generated crates, each with its vendored kernels:
/// ecg-cnn as a workspace member, the CfC step as a path dependency from outside the workspace.
/// Before issue 6 this failed (`[workspace]` in the generated manifest; two `ecgc-kernels 0.1.0`
/// packages). Built for thumbv7em-none-eabihf, as is each crate standalone; then the same two
/// models generated with `--kernels-path` against one shared kernel crate.
#[test]
fn two_generated_crates_build_in_one_firmware_workspace() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ws = tmp.path().join("firmware");
    let ecg = ws.join("ecg_cnn");
    let cfc = tmp.path().join("elsewhere/cfc_step");
    let model = |m: &str| repo().join("examples/models").join(m).join("model.onnx");
    Compiler::new(model("ecg-cnn")).target("stm32f746").out_dir(&ecg).compile().expect("ecg-cnn compiles");
    Compiler::new(model("cfc-seq")).target("stm32f746").out_dir(&cfc).compile().expect("cfc-seq compiles");
    let target = repo().join("target/firmware-workspace");
    let thumb = ["build", "--release", "--quiet", "--target", "thumbv7em-none-eabihf"];
    let app = |deps: &str| {
        format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}\n")
    };
    let app_rs = "#![no_std]\n/// Runs both models.\npub fn run(a: &mut ecg_cnn::Model, b: &mut cfc_step::Model) {\n    let x = [0.0f32; ecg_cnn::INPUT_LEN];\n    let mut y = [0.0f32; ecg_cnn::OUTPUT_LEN];\n    a.run(&x, &mut y);\n    let (xt, h) = ([0.0f32; cfc_step::X_T_LEN], [0.0f32; cfc_step::H_LEN]);\n    let (mut yt, mut hn) = ([0.0f32; cfc_step::Y_T_LEN], [0.0f32; cfc_step::H_NEXT_LEN]);\n    b.run(&xt, &h, &mut yt, &mut hn);\n}\n".to_string();
    write_files(
        &ws,
        &[
            ("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"app\", \"ecg_cnn\"]\n".into()),
            (
                "app/Cargo.toml",
                app("ecg_cnn = { path = \"../ecg_cnn\" }\ncfc_step = { path = \"../../elsewhere/cfc_step\" }"),
            ),
            ("app/src/lib.rs", app_rs.clone()),
        ],
    );
    let log = ecgc::validate::cargo(&thumb, &ws, &target).expect("two vendored models build in one workspace");
    assert!(!log.contains("warning"), "{log}");
    // Each crate still builds on its own, where it is not part of any workspace.
    ecgc::validate::cargo(&thumb, &cfc, &target).expect("the crate builds standalone");

    // One shared kernel crate (`--kernels-path`): one copy of the kernels in the firmware.
    let shared = tmp.path().join("shared");
    let kernels = shared.join("ecgc-kernels");
    for (rel, bytes) in ecgc::back::kernel_crate_files("ecgc-kernels").expect("kernel crate") {
        let p = kernels.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    for (m, dir) in [("ecg-cnn", "ecg_cnn"), ("cfc-seq", "cfc_step")] {
        Compiler::new(model(m))
            .target("stm32f746")
            .kernels(KernelsDep::Path("../ecgc-kernels".into()))
            .out_dir(shared.join(dir))
            .compile()
            .expect("compiles");
    }
    write_files(
        &shared,
        &[
            (
                "Cargo.toml",
                "[workspace]\nresolver = \"2\"\nmembers = [\"app\", \"ecg_cnn\", \"cfc_step\", \"ecgc-kernels\"]\n"
                    .into(),
            ),
            ("app/Cargo.toml", app("ecg_cnn = { path = \"../ecg_cnn\" }\ncfc_step = { path = \"../cfc_step\" }")),
            ("app/src/lib.rs", app_rs),
        ],
    );
    ecgc::validate::cargo(&thumb, &shared, &target).expect("two models on one shared kernel crate build");
    assert_eq!(kernel_packages(&shared), vec!["ecgc-kernels".to_string()], "one kernel package");
    assert_eq!(
        kernel_packages(&ws),
        vec!["cfc-step-ecgc-kernels".to_string(), "ecg-cnn-ecgc-kernels".to_string()],
        "one vendored kernel package per model, named after it"
    );
}

/// Names of the kernel packages in the dependency graph of the workspace at `dir`.
fn kernel_packages(dir: &Path) -> Vec<String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--offline"])
        .current_dir(dir)
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let mut names: Vec<String> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|n| n.ends_with("ecgc-kernels"))
        .map(String::from)
        .collect();
    names.sort();
    names
}

/// `module_out` (for a firmware's build.rs) writes `model.rs` and `model_weights/` into a directory
/// that holds other files, touches nothing else, and leaves no temporary directory behind. The
/// module has no inner attributes (it is `include!`d into a module) and its weights resolve
/// relative to `model.rs`.
#[test]
fn module_output_writes_only_its_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("other.rs"), "// another build-script output").expect("write");
    for _ in 0..2 {
        Compiler::new(repo().join("examples/models/ecg-cnn/model.onnx"))
            .target("stm32f746")
            .module_out(tmp.path())
            .compile()
            .expect("compiles");
    }
    let mut names: Vec<String> =
        std::fs::read_dir(tmp.path()).expect("dir").flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
    names.sort();
    assert_eq!(names, ["model.rs", "model_weights", "other.rs"]);
    let text = std::fs::read_to_string(tmp.path().join("model.rs")).expect("model.rs");
    assert!(!text.contains("#!["), "no inner attributes in an include!d module");
    assert!(text.contains("include_bytes!(\"model_weights/"), "weights next to model.rs");
    assert!(std::fs::read_dir(tmp.path().join("model_weights")).expect("weights").count() > 0);
}

/// The build-time stress case of issue 6: a 120-step unrolled CfC (6,602 ONNX nodes, made by
/// `examples/models/cfc-seq/make_long.py` into `target/`; it needs torch, so this test is ignored
/// and run by hand: `cargo test -p ecgc --test generated_crate -- --ignored big_graph`). Its crate
/// must build for thumbv7em in release within a few minutes even on a loaded 2-core machine
/// (before issue 6: 404 s on 2 idle cores; after: 24 s on a loaded machine).
#[test]
#[ignore = "needs target/model_unrolled_t120.onnx from examples/models/cfc-seq/make_long.py (torch)"]
fn big_graph_builds_in_seconds() {
    let model = repo().join("target/model_unrolled_t120.onnx");
    assert!(model.exists(), "make it first: python3 examples/models/cfc-seq/make_long.py");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cfc_t120");
    let start = std::time::Instant::now();
    let c = Compiler::new(&model).target("stm32f746").out_dir(&dir).compile().expect("compiles");
    println!("compile: {:.1} s, weights {} bytes", start.elapsed().as_secs_f64(), c.report.weight_bytes);
    let start = std::time::Instant::now();
    ecgc::validate::cargo(
        &["build", "--release", "--quiet", "--target", "thumbv7em-none-eabihf"],
        &dir,
        &repo().join("target/big-graph"),
    )
    .expect("builds");
    let secs = start.elapsed().as_secs_f64();
    println!("crate release build (thumbv7em): {secs:.1} s");
    assert!(secs < 180.0, "the crate took {secs:.0} s to build");
}

/// Every unary, binary and reduce variant of the IR, in one hand-built graph, generates a crate
/// that compiles against the kernel crate (covers variants no golden model uses).
#[test]
fn every_elementwise_and_reduce_variant_compiles() {
    use ecgc::ir::*;
    let mut g = Graph::default();
    let x = g.add_value(Value::new("x", vec![2, 3], DType::F32, ValueKind::Input(0)));
    g.inputs.push(x);
    let unary = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Recip,
        UnaryOp::Exp,
        UnaryOp::Ln,
        UnaryOp::Sigmoid,
        UnaryOp::Tanh,
        UnaryOp::Erf,
        UnaryOp::GeluExact,
        UnaryOp::GeluTanh { square: true },
        UnaryOp::Softplus,
        UnaryOp::Square,
        UnaryOp::Relu,
        UnaryOp::LeakyRelu(0.1),
        UnaryOp::HardSigmoid { alpha: 0.2, beta: 0.5 },
        UnaryOp::Clip { min: -1.0, max: 1.0 },
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Round,
        UnaryOp::RoundHalfToEven,
        UnaryOp::Sign,
        UnaryOp::Not,
        UnaryOp::PowConst(3.0),
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Silu,
        UnaryOp::IsNan,
        UnaryOp::IsInf,
        UnaryOp::Identity,
    ];
    let binary = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::Pow,
        BinaryOp::Rem,
        BinaryOp::Less,
        BinaryOp::LessEqual,
        BinaryOp::Greater,
        BinaryOp::GreaterEqual,
        BinaryOp::Equal,
        BinaryOp::NotEqual,
        BinaryOp::And,
        BinaryOp::Or,
        BinaryOp::Xor,
    ];
    let reduce = [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod, ReduceOp::MeanOfSquares];
    for (i, u) in unary.iter().enumerate() {
        let dtype = if u.is_predicate() { DType::Bool } else { DType::F32 };
        let v = g.add_node(format!("u{i}"), Op::Unary(*u), vec![x], vec![2, 3], dtype);
        g.outputs.push(v);
    }
    for (i, b) in binary.iter().enumerate() {
        let dtype = if b.is_predicate() { DType::Bool } else { DType::F32 };
        let v = g.add_node(format!("b{i}"), Op::Binary(*b), vec![x, x], vec![2, 3], dtype);
        g.outputs.push(v);
    }
    for (i, r) in reduce.iter().enumerate() {
        let v =
            g.add_node(format!("r{i}"), Op::Reduce(Reduce { op: *r, axes: vec![1] }), vec![x], vec![2, 1], DType::F32);
        g.outputs.push(v);
    }
    verify::verify(&g).expect("valid graph");
    let plan = ecgc::plan::plan(&g);
    let facts = ecgc::back::lib_rs::CardFacts {
        card: vec!["all ops".into()],
        weight_bytes: 0,
        macs: 0,
        tuning: Default::default(),
    };
    let spec = ecgc::back::CrateSpec {
        name: "all_ops".into(),
        kernels: ecgc::back::KernelsDep::Path(repo().join("runtime-kernels")),
        command: "test".into(),
        source: "none".into(),
        sha256: "none".into(),
        facts: vec![],
    };
    let krate = ecgc::back::generate(&g, &plan, &facts, &spec).expect("generates");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("all_ops");
    ecgc::back::write_atomically(&krate, &dir).expect("writes");
    let log = ecgc::validate::cargo(&["check", "--quiet"], &dir, &repo().join("target/all-ops-check"))
        .expect("the crate compiles");
    assert!(!log.contains("warning"), "{log}");
}
