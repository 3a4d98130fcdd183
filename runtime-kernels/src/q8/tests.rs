//! Property tests of the int8 kernels against the naive TFLite formulas in [`super::reference`]
//! (both the portable and the DSP form; on the host the DSP form's instructions are emulated in
//! plain Rust, the real ones are checked on the emulated Cortex-M7 by `tests/q8_dsp_qemu.rs`).

use super::reference::{self as r, Conv, Quant};
use super::requant::{doubling_high_mul, requantize, rounding_divide_by_pot};
use super::{conv1d, dense, depthwise, fold_bias, pack_row, Channel, Output};
use crate::testutil::Rng;
use std::vec::Vec;

#[test]
fn requantize_edge_cases() {
    // the one saturating product
    assert_eq!(doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
    assert_eq!(requantize(i32::MIN, i32::MIN, 0), i32::MAX);
    assert_eq!(doubling_high_mul(i32::MIN, i32::MAX), -i32::MAX);
    // doubling high mul: ties (a·b = ±2^30) round towards +∞
    assert_eq!(doubling_high_mul(1 << 15, 1 << 15), 1);
    assert_eq!(doubling_high_mul(-(1 << 15), 1 << 15), 0);
    assert_eq!(doubling_high_mul(-(1 << 15) - 1, 1 << 15), -1);
    // rounding divide: ties away from zero
    assert_eq!(rounding_divide_by_pot(3, 1), 2);
    assert_eq!(rounding_divide_by_pot(-3, 1), -2);
    assert_eq!(rounding_divide_by_pot(-1, 1), -1);
    assert_eq!(rounding_divide_by_pot(-5, 2), -1);
    assert_eq!(rounding_divide_by_pot(-6, 2), -2);
    assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
    assert_eq!(rounding_divide_by_pot(i32::MAX, 31), 1);
    assert_eq!(rounding_divide_by_pot(7, 0), 7);
    // a multiplier of 0.5 (2^30) and the shifts at both ends
    assert_eq!(requantize(-3, 1 << 30, 0), -1); // −1.5: ties towards +∞ in the high mul
    assert_eq!(requantize(-3, 1 << 30, -1), -1); // −0.75
    assert_eq!(requantize(1 << 20, 1 << 30, -31), 0);
    // (2^31 − 1) · 2^-1 = 2^30 − 0.5 rounds up to 2^30, then 2^30 / 2^31 = 0.5 rounds away from zero
    assert_eq!(requantize(i32::MAX, 1 << 30, -31), 1);
    assert_eq!(requantize(1, 1 << 30, 31), -(1 << 30)); // 1 · 2^31 wraps to −2^31, times 0.5
                                                        // out-of-range shifts clamp instead of panicking
    assert_eq!(requantize(5, 1 << 30, 99), requantize(5, 1 << 30, 31));
    assert_eq!(requantize(5, 1 << 30, -99), requantize(5, 1 << 30, -31));
    for &(a, m, s) in &[(i32::MIN, i32::MIN, 0), (i32::MIN, i32::MAX, -31), (i32::MAX, i32::MAX, 31), (-1, 1, -31)] {
        assert_eq!(requantize(a, m, s), r::requantize(a, m, s), "{a} {m} {s}");
    }
}

#[test]
fn requantize_matches_the_transcribed_reference() {
    let mut rng = Rng::new(8);
    let special = [0, 1, -1, 2, -2, i32::MIN, i32::MAX, i32::MIN + 1, 1 << 30, -(1 << 30), (1 << 30) + 1];
    for i in 0..400_000 {
        let pick = |rng: &mut Rng| {
            if rng.below(8) == 0 {
                special[rng.below(special.len())]
            } else if rng.bool() {
                rng.next_u32() as i32
            } else {
                (rng.next_u32() as i32) >> rng.below(32)
            }
        };
        let acc = pick(&mut rng);
        let m = if i % 2 == 0 { (1 << 30) + (rng.next_u32() >> 2) as i32 } else { pick(&mut rng) };
        let shift = rng.below(63) as i32 - 31;
        assert_eq!(requantize(acc, m, shift), r::requantize(acc, m, shift), "acc={acc} m={m} shift={shift}");
    }
    // against real arithmetic, where nothing saturates or wraps: within one step of rounding
    for _ in 0..100_000 {
        let real = 2f64.powf(rng.uniform(-20.0, 1.0) as f64);
        let (m, shift) = r::quantize_multiplier(real);
        let acc = (rng.next_u32() as i32) >> (rng.below(20) + 8);
        let want = acc as f64 * m as f64 * 2f64.powi(shift - 31);
        let got = requantize(acc, m, shift) as f64;
        assert!((got - want).abs() <= 1.0, "acc={acc} real={real} {got} vs {want}");
    }
}

/// Random layer quantization for `n` output channels; `mix` steers the multiplier's range (some
/// layers saturate, some have multipliers above 1, i.e. positive shifts).
fn quant(rng: &mut Rng, n: usize, mix: usize) -> Quant {
    let zi = rng.below(256) as i32 - 128;
    let zo = rng.below(256) as i32 - 128;
    let (min, max) = match rng.below(3) {
        0 => (-128, 127),
        1 => (zo, 127),
        _ => {
            let a = rng.below(256) as i32 - 128;
            let b = rng.below(256) as i32 - 128;
            (a.min(b), a.max(b))
        }
    };
    let (lo, hi) = if mix.is_multiple_of(3) { (-16.0, 2.0) } else { (-12.0, -6.0) };
    let mut q =
        Quant { input_offset: -zi, output_offset: zo, min, max, bias: Vec::new(), mult: Vec::new(), shift: Vec::new() };
    for _ in 0..n {
        let (m, s) = r::quantize_multiplier(2f64.powf(rng.uniform(lo, hi) as f64));
        q.mult.push(m);
        q.shift.push(s);
        q.bias.push((rng.next_u32() as i32) >> 14);
    }
    q
}

fn int8s(rng: &mut Rng, n: usize) -> Vec<i8> {
    (0..n).map(|_| if rng.below(16) == 0 { -128 } else { rng.next_u32() as i8 }).collect()
}

/// The kernels' per-channel parameters: the reference's bias folded with each channel's weights.
fn channels(q: &Quant, w: &[i8], per: usize) -> (Vec<Channel>, Output) {
    let ch = (0..q.bias.len())
        .map(|c| Channel {
            bias: fold_bias(q.bias[c], q.input_offset, &w[c * per..(c + 1) * per]),
            mult: q.mult[c],
            shift: q.shift[c],
        })
        .collect();
    (ch, Output { offset: q.output_offset, min: q.min, max: q.max })
}

fn check_dense<const K: usize, const KQ: usize, const N: usize>(rows: usize) {
    for mix in 0..6 {
        let mut rng = Rng::new((K * 1000 + N * 10 + rows + mix * 7919) as u64);
        let x = int8s(&mut rng, rows * K);
        let w = int8s(&mut rng, N * K);
        let q = quant(&mut rng, N, mix);
        let want = r::dense(&x, &w, K, N, &q);
        let packed: Vec<[[i8; 4]; KQ]> =
            w.chunks(K).map(|row| pack_row::<K, KQ>(row.try_into().expect("row"))).collect();
        let (ch, out) = channels(&q, &w, K);
        let mut got = std::vec![0x55i8; rows * N];
        dense::dense_s8_portable::<K, KQ, N>(&x, &packed, &ch, &out, &mut got);
        assert_eq!(got, want, "portable K={K} N={N} rows={rows} mix={mix}");
        let mut got = std::vec![0x55i8; rows * N];
        dense::dense_s8_dsp::<K, KQ, N>(&x, &packed, &ch, &out, &mut got);
        assert_eq!(got, want, "dsp K={K} N={N} rows={rows} mix={mix}");
        let mut got = std::vec![0x55i8; rows * N];
        dense::dense_s8::<K, KQ, N>(&x, &packed, &ch, &out, &mut got);
        assert_eq!(got, want, "dispatch K={K} N={N} rows={rows} mix={mix}");
    }
}

#[test]
fn dense_matches_the_reference() {
    check_dense::<1, 1, 1>(1);
    check_dense::<3, 1, 5>(2);
    check_dense::<4, 1, 4>(1);
    check_dense::<5, 2, 3>(3);
    check_dense::<12, 3, 11>(1);
    check_dense::<75, 19, 20>(1);
    check_dense::<17, 5, 13>(4);
    check_dense::<128, 32, 256>(1);
    check_dense::<66, 17, 7>(2);
}

/// Runs conv1d (`DW = false`) or depthwise (`DW = true`) portable and DSP against the reference.
fn check_conv<
    const C: usize,
    const K: usize,
    const KQ: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
    const DW: bool,
>(
    o: usize,
) {
    let cg = if DW { 1 } else { C };
    for mix in 0..4 {
        let mut rng = Rng::new((C * 31 + K * 37 + S * 41 + D * 43 + P * 47 + L * 53 + o + mix * 7919) as u64);
        let x = int8s(&mut rng, if DW { o } else { C } * L);
        let w = int8s(&mut rng, o * cg * K);
        let q = quant(&mut rng, o, mix);
        let g = Conv { c: if DW { o } else { C }, o, k: K, s: S, d: D, p: P, l: L, ol: OL, depthwise: DW };
        let want = r::conv(&x, &w, &g, &q);
        let (ch, out) = channels(&q, &w, cg * K);
        let pad = (-q.input_offset) as i8;
        let tag = std::format!("C={C} K={K} S={S} D={D} P={P} L={L} OL={OL} o={o} dw={DW} mix={mix}");
        let rows: Vec<[[i8; 4]; KQ]> = w.chunks(K).map(|row| pack_row::<K, KQ>(row.try_into().expect("row"))).collect();
        let mut got = std::vec![0x55i8; o * OL];
        if DW {
            depthwise::depthwise_s8_portable::<K, KQ, S, D, P, L, OL, W>(&x, &rows, &ch, &out, pad, &mut got);
            assert_eq!(got, want, "portable {tag}");
            got.fill(0x55);
            depthwise::depthwise_s8_dsp::<K, KQ, S, D, P, L, OL, W>(&x, &rows, &ch, &out, pad, &mut got);
            assert_eq!(got, want, "dsp {tag}");
            got.fill(0x55);
            depthwise::depthwise_s8::<K, KQ, S, D, P, L, OL, W>(&x, &rows, &ch, &out, pad, &mut got);
            assert_eq!(got, want, "dispatch {tag}");
        } else {
            let filters: Vec<[[[i8; 4]; KQ]; C]> = rows.chunks(C).map(|f| f.try_into().expect("filter")).collect();
            conv1d::conv1d_s8_portable::<C, K, KQ, S, D, P, L, OL, W>(&x, &filters, &ch, &out, pad, &mut got);
            assert_eq!(got, want, "portable {tag}");
            got.fill(0x55);
            conv1d::conv1d_s8_dsp::<C, K, KQ, S, D, P, L, OL, W>(&x, &filters, &ch, &out, pad, &mut got);
            assert_eq!(got, want, "dsp {tag}");
            got.fill(0x55);
            conv1d::conv1d_s8::<C, K, KQ, S, D, P, L, OL, W>(&x, &filters, &ch, &out, pad, &mut got);
            assert_eq!(got, want, "dispatch {tag}");
        }
    }
}

/// `check_conv` with `KQ`, `W` and (unless given) `OL` computed from the geometry.
macro_rules! conv {
    ($dw:literal, c=$c:literal k=$k:literal s=$s:literal d=$d:literal p=$p:literal l=$l:literal ol=$ol:literal o=$o:literal) => {
        check_conv::<
            $c,
            $k,
            { ($k as usize).div_ceil(4) },
            $s,
            $d,
            $p,
            $l,
            $ol,
            { 3 * $s + (4 * ($k as usize).div_ceil(4) - 1) * $d + 2 },
            $dw,
        >($o)
    };
}

#[test]
fn conv1d_matches_the_reference() {
    conv!(false, c=1 k=1 s=1 d=1 p=0 l=1 ol=1 o=1);
    conv!(false, c=16 k=7 s=1 d=1 p=3 l=128 ol=128 o=16); // the benchmark layer
    conv!(false, c=8 k=5 s=2 d=2 p=4 l=120 ol=60 o=16); // ecg-cnn's shape
    conv!(false, c=3 k=3 s=1 d=1 p=1 l=10 ol=10 o=7);
    conv!(false, c=2 k=4 s=3 d=1 p=0 l=17 ol=5 o=4);
    conv!(false, c=2 k=3 s=1 d=3 p=5 l=9 ol=13 o=5); // padding wider than the input
    conv!(false, c=4 k=7 s=2 d=1 p=3 l=5 ol=3 o=9); // kernel longer than the input
    conv!(false, c=5 k=9 s=1 d=1 p=8 l=11 ol=19 o=3);
    conv!(false, c=1 k=2 s=1 d=1 p=0 l=3 ol=2 o=3);
    conv!(false, c=3 k=6 s=2 d=1 p=2 l=23 ol=11 o=6);
    conv!(false, c=3 k=21 s=2 d=1 p=10 l=40 ol=20 o=5); // stride 2, more than 4 tap groups
    conv!(false, c=1 k=7 s=2 d=1 p=3 l=240 ol=120 o=8); // ecg-cnn's first layer: one input channel
    conv!(false, c=3 k=5 s=1 d=2 p=4 l=17 ol=17 o=5); // dilation 2, stride 1, K mod 4 = 1
    conv!(false, c=5 k=7 s=3 d=3 p=9 l=31 ol=11 o=6); // stride 3, dilation 3
    conv!(false, c=4 k=9 s=2 d=3 p=12 l=29 ol=15 o=3); // K mod 4 = 1 with 3 groups
    conv!(false, c=7 k=1 s=2 d=2 p=0 l=15 ol=8 o=5); // a single tap (K mod 4 = 1, no full group)
    conv!(false, c=6 k=6 s=3 d=2 p=5 l=37 ol=13 o=4); // K mod 4 = 2
    conv!(false, c=3 k=13 s=2 d=2 p=12 l=33 ol=17 o=3); // 4 groups, K mod 4 = 1
    conv!(false, c=12 k=11 s=2 d=2 p=10 l=41 ol=21 o=5); // more than 32 groups: the loop over channels
    conv!(false, c=9 k=13 s=3 d=1 p=6 l=50 ol=17 o=3); // more than 32 groups, K mod 4 = 1
    conv!(false, c=2 k=5 s=2 d=3 p=6 l=7 ol=4 o=7); // dilated kernel longer than the input
    conv!(false, c=5 k=3 s=2 d=2 p=7 l=3 ol=9 o=2); // padding wider than the input, odd lengths
    conv!(false, c=2 k=5 s=2 d=2 p=4 l=23 ol=12 o=37); // more output channels than a block (16)
                                                       // tiles of more than 4 KiB gathered, one input channel at a time per block of 16 outputs
    conv!(false, c=12 k=387 s=258 d=1 p=0 l=4257 ol=16 o=20); // CCfC's front end (after conv-rows)
    conv!(false, c=5 k=133 s=3 d=1 p=40 l=150 ol=50 o=17); // K mod 4 = 1, padding, 34 groups
    conv!(false, c=9 k=70 s=2 d=2 p=9 l=160 ol=75 o=3); // dilation 2, 18 groups
}

#[test]
fn depthwise_matches_the_reference() {
    conv!(true, c=1 k=1 s=1 d=1 p=0 l=1 ol=1 o=1);
    conv!(true, c=1 k=7 s=1 d=1 p=3 l=128 ol=128 o=16); // ConvLSTM-style
    conv!(true, c=1 k=64 s=1 d=1 p=63 l=128 ol=128 o=4); // S4D causal
    conv!(true, c=1 k=64 s=1 d=1 p=0 l=70 ol=7 o=3); // valid
    conv!(true, c=1 k=5 s=2 d=2 p=4 l=31 ol=16 o=5);
    conv!(true, c=1 k=3 s=3 d=1 p=1 l=10 ol=4 o=2);
    conv!(true, c=1 k=20 s=3 d=1 p=9 l=61 ol=21 o=3); // stride 3, more than 4 tap groups
    conv!(true, c=1 k=13 s=1 d=1 p=20 l=9 ol=33 o=3); // padding beyond the kernel
    conv!(true, c=1 k=33 s=1 d=1 p=40 l=20 ol=40 o=2); // long filter, padding wider than the input
    conv!(true, c=1 k=30 s=1 d=1 p=29 l=50 ol=50 o=3); // causal, K not a multiple of 4
}

#[test]
fn pack_row_and_fold_bias() {
    assert_eq!(pack_row::<5, 2>(&[1, 2, 3, 4, 5]), [[1, 2, 3, 4], [5, 0, 0, 0]]);
    assert_eq!(fold_bias(10, -3, &[1, -2, 4]), 10 - 3 * 3);
}

#[test]
fn prepared_requantization_equals_finish() {
    use super::requant::Prepared;
    let mut rng = Rng::new(88);
    let special = [0, 1, -1, i32::MIN, i32::MAX, 1 << 30, -(1 << 30), (1 << 29) + 7, -(1 << 29) - 7];
    for i in 0..300_000 {
        let acc = if i % 5 == 0 { special[rng.below(special.len())] } else { (rng.next_u32() as i32) >> rng.below(32) };
        let mult = match i % 7 {
            0 => i32::MIN,
            1 => special[rng.below(special.len())],
            _ => (1 << 30) + (rng.next_u32() >> 2) as i32,
        };
        let shift = rng.below(63) as i32 - 31;
        let offset = rng.below(256) as i32 - 128;
        let (a, b) = (rng.below(256) as i32 - 128, rng.below(256) as i32 - 128);
        let q = Output { offset, min: a.min(b), max: a.max(b) };
        let ch = Channel { bias: 0, mult, shift };
        let p = Prepared::new(mult, shift, q.offset, q.min, q.max);
        assert_eq!(p.apply(acc), super::finish(acc, &ch, &q), "acc={acc} mult={mult} shift={shift}");
    }
}

fn check_dense16<const K: usize, const KQ: usize, const N: usize>(rows: usize) {
    use super::dense16::{dense_s16, dense_s16_dsp, dense_s16_portable, requantize64, Channel16, Output16};
    for mix in 0..6 {
        let mut rng = Rng::new((K * 1000 + N * 10 + rows + mix * 7919 + 16) as u64);
        let x: Vec<i16> =
            (0..rows * K).map(|_| if rng.below(16) == 0 { i16::MIN } else { rng.next_u32() as i16 }).collect();
        let w = int8s(&mut rng, N * K);
        let mut bias = Vec::new();
        let mut mult = Vec::new();
        let mut shift = Vec::new();
        for _ in 0..N {
            // the 16x8 scales: output scale near the accumulator's, shifts −31 ..= 7
            let (m, s) =
                r::quantize_multiplier(2f64.powf(rng.uniform(-28.0, if mix % 3 == 0 { 7.5 } else { -8.0 }) as f64));
            mult.push(m);
            shift.push(s.min(7));
            bias.push(((rng.next_u64() as i64) >> 30) * if mix == 5 { 0 } else { 1 });
        }
        let (a, b) = (rng.next_u32() as i16 as i32, rng.next_u32() as i16 as i32);
        let (min, max) = if mix % 2 == 0 { (-32768, 32767) } else { (a.min(b), a.max(b)) };
        let want = r::dense16(&x, &w, K, N, &bias, &mult, &shift, min, max);
        let packed: Vec<[[i8; 4]; KQ]> =
            w.chunks(K).map(|row| pack_row::<K, KQ>(row.try_into().expect("row"))).collect();
        let ch: Vec<Channel16> = (0..N).map(|j| Channel16 { bias: bias[j], mult: mult[j], shift: shift[j] }).collect();
        let q = Output16 { min, max };
        let mut got = std::vec![0x55i16; rows * N];
        dense_s16_portable::<K, KQ, N>(&x, &packed, &ch, &q, &mut got);
        assert_eq!(got, want, "portable K={K} N={N} rows={rows} mix={mix}");
        got.fill(0x55);
        dense_s16_dsp::<K, KQ, N>(&x, &packed, &ch, &q, &mut got);
        assert_eq!(got, want, "dsp K={K} N={N} rows={rows} mix={mix}");
        got.fill(0x55);
        dense_s16::<K, KQ, N>(&x, &packed, &ch, &q, &mut got);
        assert_eq!(got, want, "dispatch K={K} N={N} rows={rows} mix={mix}");
    }
    // the 64-bit requantization on its own, including the reduced multiplier's top case
    let mut rng = Rng::new(64);
    for i in 0..200_000 {
        let x = ((rng.next_u64() as i64) >> 17) >> rng.below(40);
        let m = if i % 9 == 0 {
            0x7FFF_0000 + (rng.next_u32() >> 17) as i32
        } else {
            (1 << 30) + (rng.next_u32() >> 2) as i32
        };
        let s = rng.below(39) as i32 - 31;
        assert_eq!(requantize64(x, m, s), r::requantize64(x, m, s), "x={x} m={m} s={s}");
    }
}

#[test]
fn dense16_matches_the_reference() {
    check_dense16::<1, 1, 1>(1);
    check_dense16::<3, 1, 5>(2);
    check_dense16::<12, 3, 11>(1);
    check_dense16::<75, 19, 20>(1);
    check_dense16::<17, 5, 13>(3);
    check_dense16::<128, 32, 256>(1);
    check_dense16::<511, 128, 5>(1); // the largest K the DSP form sums in 32 bits
    check_dense16::<600, 150, 6>(1); // above it: the portable 64-bit loop
}
