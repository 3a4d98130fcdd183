//! The generated crate as text: an insta snapshot of one `lib.rs` (reviewed as a diff when
//! codegen changes), and determinism (same model and flags → byte-identical files, wherever the
//! model sits on disk).

use ecgc::Compiler;
use std::path::{Path, PathBuf};

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

/// Every unary, binary and reduce variant of the IR, in one hand-built graph, generates a crate
/// that compiles against the kernel crate (covers variants no golden model uses).
#[test]
fn every_elementwise_and_reduce_variant_compiles() {
    use ecgc::ir::*;
    let mut g = Graph::default();
    let x = g.add_value(Value { name: "x".into(), shape: vec![2, 3], dtype: DType::F32, kind: ValueKind::Input(0) });
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
    let facts = ecgc::back::lib_rs::CardFacts { card: vec!["all ops".into()], weight_bytes: 0, macs: 0 };
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
