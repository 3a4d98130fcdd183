//! q8-bench: the int8 kernels of `ecgc-kernels` on QEMU's mps2-an500 (a Cortex-M7).
//!
//! 1. Runs the portable and the DSP (`SXTB16`/`SMLAD`) form of every int8 kernel on many
//!    pseudo-random cases and prints `q8-check cases=N values=V mismatches=M`.
//! 2. Counts the instructions of one call of each benchmark layer, both forms, and prints
//!    `q8-bench kernel=NAME path=portable|dsp macs=M empty_ticks=E run_ticks=R`; the calibration
//!    line `q8-calib empty_ticks=E calib_ticks=K` lets the reader check 6.4 ticks per
//!    instruction (module `rt`). `runtime-kernels/tests/q8_dsp_qemu.rs` builds, runs and reads it.
#![no_std]
#![no_main]

mod check;
mod data;
mod rt;

use core::hint::black_box;
use data::{channels, channels16, filters, floats, floats2, floats3, rows, values, values16, OUT};
use ecgc_kernels::q8::dense16::{self, Channel16, Output16};
use ecgc_kernels::q8::{conv1d, dense, depthwise, Channel};
use ecgc_kernels::{dense as f32dense, dense_vfp, ssm, ssm_packed};
use rt::{now, Line};

static D1_W: [[[i8; 4]; 19]; 20] = rows::<75, 19, 20>(1);
static D1_C: [Channel; 20] = channels::<20>(2);
static D1_X: [i8; 75] = values::<75>(3);
static D2_W: [[[i8; 4]; 32]; 256] = rows::<128, 32, 256>(4);
static D2_C: [Channel; 256] = channels::<256>(5);
static D2_X: [i8; 128] = values::<128>(6);
static C1_W: [[[[i8; 4]; 2]; 16]; 16] = filters::<7, 2, 16, 16>(7);
static C1_C: [Channel; 16] = channels::<16>(8);
static C1_X: [i8; 16 * 128] = values::<{ 16 * 128 }>(9);
static D1_X16: [i16; 75] = values16::<75>(12);
static D1_C16: [Channel16; 20] = channels16::<20>(13);
static D2_X16: [i16; 128] = values16::<128>(14);
static D2_C16: [Channel16; 256] = channels16::<256>(15);
const OUT16: Output16 = Output16 { min: -32768, max: 32767 };
static C2_W: [[[[i8; 4]; 2]; 8]; 16] = filters::<5, 2, 8, 16>(16);
static C2_X: [i8; 8 * 120] = values::<{ 8 * 120 }>(17);
static C0_W: [[[[i8; 4]; 2]; 1]; 8] = filters::<7, 2, 1, 8>(18);
static C0_X: [i8; 240] = values::<240>(19);
static DW7_W: [[[i8; 4]; 2]; 16] = rows::<7, 2, 16>(10);
static DW64_W: [[[i8; 4]; 16]; 16] = rows::<64, 16, 16>(11);
static F1_X: [f32; 75] = floats::<75>(20);
static F1_W16: [[[f32; 16]; 75]; 1] = [floats2::<16, 75>(21)];
static F1_W4: [[[f32; 4]; 75]; 1] = [floats2::<4, 75>(22)];
static F2_X: [f32; 128] = floats::<128>(23);
static F2_W: [[[f32; 16]; 128]; 16] = floats3::<128, 16, 16>(24);
/// An S4D layer step (H = 128 channels, 32 complex modes each): ar, ai, xr, xi, cr, ci.
static S4_K: [[f32; 128 * 32]; 6] = floats2::<{ 128 * 32 }, 6>(25);
static S4_U: [f32; 128] = floats::<128>(26);
/// `S4_K`'s coefficients in `ssm_packed`'s layout (32 modes: eight blocks of four per channel).
static S4_Q: [[[f32; 4]; 32]; 128] = s4_packed();

const fn s4_packed() -> [[[f32; 4]; 32]; 128] {
    let k = floats2::<{ 128 * 32 }, 6>(25);
    let tables = [0, 1, 4, 5]; // ar, ai, cr, ci of [ar, ai, xr, xi, cr, ci]
    let mut q = [[[0.0; 4]; 32]; 128];
    let mut c = 0;
    while c < 128 {
        let mut m = 0;
        while m < 32 {
            let mut j = 0;
            while j < 4 {
                q[c][m][j] = k[tables[m % 4]][c * 32 + (m - m % 4) + j];
                j += 1;
            }
            m += 1;
        }
        c += 1;
    }
    q
}

/// Counts one call of `f` and prints its line.
fn bench(kernel: &str, path: &str, macs: u32, f: impl FnOnce()) {
    let t0 = now();
    black_box(());
    let t1 = now();
    f();
    let t2 = now();
    Line::new("q8-bench kernel=")
        .s(kernel)
        .s(" path=")
        .s(path)
        .s(" macs=")
        .n(macs)
        .s(" empty_ticks=")
        .n(t0.wrapping_sub(t1))
        .s(" run_ticks=")
        .n(t1.wrapping_sub(t2))
        .end();
}

/// One benchmark layer, both forms, each through an `#[inline(never)]` call of its own.
macro_rules! layer {
    ($name:literal, $macs:expr, $out:ty, |$o:ident| $p:expr, $d:expr) => {
        layer!($name, $macs, $out, i8, |$o| $p, $d)
    };
    ($name:literal, $macs:expr, $out:ty, $el:ty, |$o:ident| $p:expr, $d:expr) => {{
        #[inline(never)]
        fn portable($o: &mut $out) {
            $p
        }
        #[inline(never)]
        fn dsp($o: &mut $out) {
            $d
        }
        let mut a: $out = [0 as $el; core::mem::size_of::<$out>() / core::mem::size_of::<$el>()];
        let mut b: $out = [1 as $el; core::mem::size_of::<$out>() / core::mem::size_of::<$el>()];
        bench($name, "portable", $macs, || portable(black_box(&mut a)));
        bench($name, "dsp", $macs, || dsp(black_box(&mut b)));
        if a != b {
            Line::new("q8-bench-mismatch kernel=").s($name).end();
        }
    }};
}

#[no_mangle]
pub extern "C" fn q8_main() -> ! {
    rt::timer_start();
    let t = check::run();
    Line::new("q8-check cases=").n(t.cases).s(" values=").n(t.values).s(" mismatches=").n(t.mismatches).end();

    let t0 = now();
    black_box(());
    let t1 = now();
    rt::calibrate();
    let t2 = now();
    Line::new("q8-calib empty_ticks=").n(t0.wrapping_sub(t1)).s(" calib_ticks=").n(t1.wrapping_sub(t2)).end();

    layer!(
        "dense_75x20",
        75 * 20,
        [i8; 20],
        |o| dense::dense_s8_portable::<75, 19, 20>(black_box(&D1_X), black_box(&D1_W), &D1_C, &OUT, o),
        dense::dense_s8_dsp::<75, 19, 20>(black_box(&D1_X), black_box(&D1_W), &D1_C, &OUT, o)
    );
    layer!(
        "dense_128x256",
        128 * 256,
        [i8; 256],
        |o| dense::dense_s8_portable::<128, 32, 256>(black_box(&D2_X), black_box(&D2_W), &D2_C, &OUT, o),
        dense::dense_s8_dsp::<128, 32, 256>(black_box(&D2_X), black_box(&D2_W), &D2_C, &OUT, o)
    );
    layer!(
        "conv_c16_o16_k7_w128",
        16 * 16 * 7 * 128,
        [i8; 16 * 128],
        |o| conv1d::conv1d_s8_portable::<16, 7, 2, 1, 1, 3, 128, 128, 12>(
            black_box(&C1_X),
            black_box(&C1_W),
            &C1_C,
            &OUT,
            -3,
            o
        ),
        conv1d::conv1d_s8_dsp::<16, 7, 2, 1, 1, 3, 128, 128, 12>(
            black_box(&C1_X),
            black_box(&C1_W),
            &C1_C,
            &OUT,
            -3,
            o
        )
    );
    // stride 2: W = 3S + (4KQ - 1)D + 2 = 6 + 7 + 2
    layer!(
        "conv_c8_o16_k5_s2_w120",
        16 * 8 * 5 * 60,
        [i8; 16 * 60],
        |o| conv1d::conv1d_s8_portable::<8, 5, 2, 2, 1, 2, 120, 60, 15>(
            black_box(&C2_X),
            black_box(&C2_W),
            &C1_C,
            &OUT,
            -3,
            o
        ),
        conv1d::conv1d_s8_dsp::<8, 5, 2, 2, 1, 2, 120, 60, 15>(black_box(&C2_X), black_box(&C2_W), &C1_C, &OUT, -3, o)
    );
    // the ECG CNN's first layer: one input channel, W = 6 + 7 + 2
    layer!(
        "conv_c1_o8_k7_s2_w240",
        8 * 7 * 120,
        [i8; 8 * 120],
        |o| conv1d::conv1d_s8_portable::<1, 7, 2, 2, 1, 3, 240, 120, 15>(
            black_box(&C0_X),
            black_box(&C0_W),
            &C1_C,
            &OUT,
            -3,
            o
        ),
        conv1d::conv1d_s8_dsp::<1, 7, 2, 2, 1, 3, 240, 120, 15>(black_box(&C0_X), black_box(&C0_W), &C1_C, &OUT, -3, o)
    );
    // the ECG CNN's second layer, stride and dilation 2: W = 6 + 7·2 + 2
    layer!(
        "conv_c8_o16_k5_s2_d2_w120",
        16 * 8 * 5 * 60,
        [i8; 16 * 60],
        |o| conv1d::conv1d_s8_portable::<8, 5, 2, 2, 2, 4, 120, 60, 22>(
            black_box(&C2_X),
            black_box(&C2_W),
            &C1_C,
            &OUT,
            -3,
            o
        ),
        conv1d::conv1d_s8_dsp::<8, 5, 2, 2, 2, 4, 120, 60, 22>(black_box(&C2_X), black_box(&C2_W), &C1_C, &OUT, -3, o)
    );
    layer!(
        "depthwise_c16_k7_w128",
        16 * 7 * 128,
        [i8; 16 * 128],
        |o| depthwise::depthwise_s8_portable::<7, 2, 1, 1, 3, 128, 128, 12>(
            black_box(&C1_X),
            black_box(&DW7_W),
            &C1_C,
            &OUT,
            -3,
            o
        ),
        depthwise::depthwise_s8_dsp::<7, 2, 1, 1, 3, 128, 128, 12>(
            black_box(&C1_X),
            black_box(&DW7_W),
            &C1_C,
            &OUT,
            -3,
            o
        )
    );
    layer!(
        "depthwise_c16_k64_w128_causal",
        16 * 64 * 128,
        [i8; 16 * 128],
        |o| depthwise::depthwise_s8_portable::<64, 16, 1, 1, 63, 128, 128, 68>(
            black_box(&C1_X),
            black_box(&DW64_W),
            &C1_C,
            &OUT,
            -3,
            o
        ),
        depthwise::depthwise_s8_dsp::<64, 16, 1, 1, 63, 128, 128, 68>(
            black_box(&C1_X),
            black_box(&DW64_W),
            &C1_C,
            &OUT,
            -3,
            o
        )
    );
    layer!(
        "dense16_75x20",
        75 * 20,
        [i16; 20],
        i16,
        |o| dense16::dense_s16_portable::<75, 19, 20>(black_box(&D1_X16), black_box(&D1_W), &D1_C16, &OUT16, o),
        dense16::dense_s16_dsp::<75, 19, 20>(black_box(&D1_X16), black_box(&D1_W), &D1_C16, &OUT16, o)
    );
    layer!(
        "dense16_128x256",
        128 * 256,
        [i16; 256],
        i16,
        |o| dense16::dense_s16_portable::<128, 32, 256>(black_box(&D2_X16), black_box(&D2_W), &D2_C16, &OUT16, o),
        dense16::dense_s16_dsp::<128, 32, 256>(black_box(&D2_X16), black_box(&D2_W), &D2_C16, &OUT16, o)
    );
    // f32: the portable kernels against their FPU (`vldm`) forms ("dsp" in the lines)
    layer!(
        "f32_dense_75x20",
        75 * 20,
        [f32; 20],
        f32,
        |o| {
            f32dense::dense16::<75, 20>(black_box(&F1_X), black_box(&F1_W16), 0, o);
            f32dense::dense4::<75, 20>(black_box(&F1_X), black_box(&F1_W4), 16, o)
        },
        {
            dense_vfp::dense16_vfp::<75, 20>(black_box(&F1_X), black_box(&F1_W16), 0, o);
            dense_vfp::dense4_vfp::<75, 20>(black_box(&F1_X), black_box(&F1_W4), 16, o)
        }
    );
    layer!(
        "f32_dense_128x256",
        128 * 256,
        [f32; 256],
        f32,
        |o| f32dense::dense16::<128, 256>(black_box(&F2_X), black_box(&F2_W), 0, o),
        dense_vfp::dense16_vfp::<128, 256>(black_box(&F2_X), black_box(&F2_W), 0, o)
    );
    // MACs: the 6 real products per mode (the state update's 4, the output's 2), each counted
    // with the add or subtraction that takes it
    layer!(
        "f32_s4d_h128_n32",
        128 * 32 * 6,
        [f32; 2 * 128 * 32 + 128],
        f32,
        |o| {
            let [ar, ai, xr, xi, cr, ci] = black_box(&S4_K);
            let (or, rest) = o.split_at_mut(128 * 32);
            let (oi, y) = rest.split_at_mut(128 * 32);
            ssm::step::<32>([ar, ai, cr, ci], xr, xi, black_box(&S4_U), or, oi, y)
        },
        {
            let [ar, ai, xr, xi, cr, ci] = black_box(&S4_K);
            let (or, rest) = o.split_at_mut(128 * 32);
            let (oi, y) = rest.split_at_mut(128 * 32);
            ssm::step_vfp::<32>([ar, ai, cr, ci], xr, xi, black_box(&S4_U), or, oi, y)
        }
    );
    layer!(
        "f32_s4d_h128_n32_packed",
        128 * 32 * 6,
        [f32; 2 * 128 * 32 + 128],
        f32,
        |o| {
            let [_, _, xr, xi, _, _] = black_box(&S4_K);
            let (or, rest) = o.split_at_mut(128 * 32);
            let (oi, y) = rest.split_at_mut(128 * 32);
            ssm_packed::step::<32>(black_box(&S4_Q), xr, xi, black_box(&S4_U), or, oi, y)
        },
        {
            let [_, _, xr, xi, _, _] = black_box(&S4_K);
            let (or, rest) = o.split_at_mut(128 * 32);
            let (oi, y) = rest.split_at_mut(128 * 32);
            ssm_packed::step_vfp::<32>(black_box(&S4_Q), xr, xi, black_box(&S4_U), or, oi, y)
        }
    );
    Line::new("q8-done").end();
    rt::exit(t.mismatches == 0)
}
