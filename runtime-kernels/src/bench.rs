//! Rough host timings: `cargo test -p ecgc-kernels --release -- --ignored bench --nocapture`.

use crate::testutil::Rng;
use std::time::Instant;

fn time<F: FnMut()>(name: &str, flops: f64, mut f: F) {
    f();
    let mut iters = 1u32;
    loop {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        let dt = t.elapsed().as_secs_f64();
        if dt > 0.2 {
            let per = dt / iters as f64;
            std::println!("{name:40} {:10.2} us  {:8.2} GFLOP/s", per * 1e6, flops / per / 1e9);
            return;
        }
        iters *= 2;
    }
}

#[test]
#[ignore]
fn bench() {
    use crate::binary::*;
    use crate::contract::*;
    use crate::conv::*;
    use crate::unary::*;
    let mut rng = Rng::new(1);
    for &(m, k, n) in &[(1usize, 256usize, 256usize), (16, 64, 64), (64, 64, 64), (128, 128, 128)] {
        let a = rng.vec(m * k, -1.0, 1.0);
        let b = rng.vec(k * n, -1.0, 1.0);
        let mut out = std::vec![0.0; m * n];
        let p = ContractParams {
            out_shape: &[m, n],
            a_out_strides: &[k as isize, 0],
            b_out_strides: &[0, 1],
            sum_shape: &[k],
            a_sum_strides: &[1],
            b_sum_strides: &[n as isize],
        };
        time(&std::format!("matmul {m}x{k}x{n}"), 2.0 * (m * k * n) as f64, || contract(&p, &a, &b, &mut out));
        let pt = ContractParams { b_out_strides: &[0, k as isize], b_sum_strides: &[1], ..p };
        time(&std::format!("matmul transB {m}x{k}x{n}"), 2.0 * (m * k * n) as f64, || contract(&pt, &a, &b, &mut out));
    }
    let conv =
        |c_in: usize, c_out: usize, groups: usize, hw: (usize, usize), k: (usize, usize), pad: (usize, usize)| {
            ConvParams {
                batch: 1,
                c_in,
                c_out,
                groups,
                in_h: hw.0,
                in_w: hw.1,
                out_h: hw.0 + 2 * pad.0 - k.0 + 1,
                out_w: hw.1 + 2 * pad.1 - k.1 + 1,
                k_h: k.0,
                k_w: k.1,
                stride_h: 1,
                stride_w: 1,
                dil_h: 1,
                dil_w: 1,
                pad_top: pad.0,
                pad_left: pad.1,
            }
        };
    for (name, p) in [
        ("conv 3x3 16->16 32x32", conv(16, 16, 1, (32, 32), (3, 3), (1, 1))),
        ("conv 1x1 32->32 16x16", conv(32, 32, 1, (16, 16), (1, 1), (0, 0))),
        ("dw 3x3 32ch 16x16", conv(32, 32, 32, (16, 16), (3, 3), (1, 1))),
        ("dw 1-D k=1024 4ch w=2048", conv(4, 4, 4, (1, 2048), (1, 1024), (0, 0))),
    ] {
        let x = rng.vec(p.c_in * p.in_h * p.in_w, -1.0, 1.0);
        let w = rng.vec(p.c_out * p.c_in / p.groups * p.k_h * p.k_w, -1.0, 1.0);
        let bias = rng.vec(p.c_out, -1.0, 1.0);
        let mut out = std::vec![0.0; p.c_out * p.out_h * p.out_w];
        let flops = 2.0 * (p.c_out * p.out_h * p.out_w * p.c_in / p.groups * p.k_h * p.k_w) as f64;
        time(name, flops, || conv2d(&p, &x, &w, Some(&bias), &mut out));
    }
    let n = 16 * 32 * 32;
    let a = rng.vec(n, -1.0, 1.0);
    let b = rng.vec(16, -1.0, 1.0);
    let mut out = std::vec![0.0; n];
    let rm = [1024isize, 32, 1];
    let p = Broadcast2 { shape: &[16, 32, 32], a_offset: 0, a_strides: &rm, b_offset: 0, b_strides: &rm };
    time("add contiguous 16k", n as f64, || binary(BinaryOp::Add, &p, &a, &a, &mut out));
    let pc = Broadcast2 { b_strides: &[1, 0, 0], ..p };
    time("mul per-channel 16k", n as f64, || binary(BinaryOp::Mul, &pc, &a, &b, &mut out));
    time("exp 16k", n as f64, || unary(UnaryOp::Exp, &a, &mut out));
    time("tanh 16k", n as f64, || unary(UnaryOp::Tanh, &a, &mut out));
    time("gelu 16k", n as f64, || unary(UnaryOp::GeluExact, &a, &mut out));
    time("relu 16k", n as f64, || unary(UnaryOp::Relu, &a, &mut out));
}
