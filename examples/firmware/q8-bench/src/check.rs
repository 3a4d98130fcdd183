//! Portable vs DSP on the real instructions: many pseudo-random cases per geometry (odd sizes,
//! edge tiles, strides, dilation, padding wider than the kernel), every output compared.

use crate::data::Rng;
use ecgc_kernels::q8::dense16::{self, Channel16, Output16};
use ecgc_kernels::q8::{conv1d, dense as q8dense, depthwise, Channel};
use ecgc_kernels::{dense, dense_vfp, ssm, ssm_packed};

/// Counts of compared cases and of cases whose outputs differ.
#[derive(Default)]
pub struct Tally {
    pub cases: u32,
    pub mismatches: u32,
    pub values: u32,
}

impl Tally {
    fn add(&mut self, a: &[i8], b: &[i8]) {
        self.cases += 1;
        self.values += a.len() as u32;
        if a != b {
            self.mismatches += 1;
        }
    }

    /// Compares f32 outputs bit for bit (`0.0` and `−0.0` differ).
    fn add_f32(&mut self, a: &[f32], b: &[f32]) {
        self.cases += 1;
        self.values += a.len() as u32;
        if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| x.to_bits() != y.to_bits()) {
            self.mismatches += 1;
        }
    }
}

/// One f32 dense case per tile width: the portable and the `vfp` kernel on `NT` tiles of
/// `T` columns at the end of an `N`-column output, `R` rows; only the tiles' columns compared.
macro_rules! dense_f32_case {
    ($name:ident, $t:literal, $portable:ident, $vfp:ident) => {
        fn $name<const K: usize, const N: usize, const NT: usize, const R: usize>(
            rng: &mut Rng,
            t: &mut Tally,
            trials: u32,
        ) {
            let col = N - $t * NT;
            for _ in 0..trials {
                let mut x = [[0f32; K]; R];
                rng.floats(x.as_flattened_mut());
                let mut w = [[[0f32; $t]; K]; NT];
                rng.floats(w.as_flattened_mut().as_flattened_mut());
                let (mut a, mut b) = ([[0f32; N]; R], [[-1f32; N]; R]);
                dense::$portable::<K, N>(x.as_flattened(), &w, col, a.as_flattened_mut());
                dense_vfp::$vfp::<K, N>(x.as_flattened(), &w, col, b.as_flattened_mut());
                for (ra, rb) in a.iter().zip(&b) {
                    t.add_f32(&ra[col..], &rb[col..]);
                }
            }
        }
    };
}
dense_f32_case!(dense16_f32, 16, dense16, dense16_vfp);
dense_f32_case!(dense8_f32, 8, dense8, dense8_vfp);
dense_f32_case!(dense4_f32, 4, dense4, dense4_vfp);
dense_f32_case!(dense1_f32, 1, dense1, dense1_vfp);

/// The S4D step, portable vs `vfp`, both the out-of-place and the in-place form.
fn ssm_case<const M: usize, const C: usize>(rng: &mut Rng, t: &mut Tally, trials: u32) {
    for _ in 0..trials {
        let mut k = [[[0f32; M]; C]; 6];
        rng.floats(k.as_flattened_mut().as_flattened_mut());
        let [ar, ai, xr, xi, cr, ci] = k.each_ref().map(|a| a.as_flattened());
        let mut u = [0f32; C];
        rng.floats(&mut u);
        let (mut pr, mut pi, mut py) = ([[0f32; M]; C], [[0f32; M]; C], [0f32; C]);
        let (mut vr, mut vi, mut vy) = ([[1f32; M]; C], [[1f32; M]; C], [1f32; C]);
        ssm::step::<M>([ar, ai, cr, ci], xr, xi, &u, pr.as_flattened_mut(), pi.as_flattened_mut(), &mut py);
        ssm::step_vfp::<M>([ar, ai, cr, ci], xr, xi, &u, vr.as_flattened_mut(), vi.as_flattened_mut(), &mut vy);
        t.add_f32(pr.as_flattened(), vr.as_flattened());
        t.add_f32(pi.as_flattened(), vi.as_flattened());
        t.add_f32(&py, &vy);
        let (mut sr, mut si) = (k[2], k[3]);
        ssm::step_in_place_vfp::<M>([ar, ai, cr, ci], sr.as_flattened_mut(), si.as_flattened_mut(), &u, &mut vy);
        t.add_f32(pr.as_flattened(), sr.as_flattened());
        t.add_f32(pi.as_flattened(), si.as_flattened());
        t.add_f32(&py, &vy);
        // the packed coefficients (`ssm_packed`), out of place and in place
        let mut q = [[[0f32; 4]; M]; C];
        ssm_packed::pack::<M>([ar, ai, cr, ci], &mut q);
        let (mut qr, mut qi, mut qy) = ([[1f32; M]; C], [[1f32; M]; C], [1f32; C]);
        ssm_packed::step_vfp::<M>(&q, xr, xi, &u, qr.as_flattened_mut(), qi.as_flattened_mut(), &mut qy);
        t.add_f32(pr.as_flattened(), qr.as_flattened());
        t.add_f32(pi.as_flattened(), qi.as_flattened());
        t.add_f32(&py, &qy);
        let (mut sr, mut si) = (k[2], k[3]);
        ssm_packed::step_in_place_vfp::<M>(&q, sr.as_flattened_mut(), si.as_flattened_mut(), &u, &mut qy);
        t.add_f32(pr.as_flattened(), sr.as_flattened());
        t.add_f32(pi.as_flattened(), si.as_flattened());
        t.add_f32(&py, &qy);
    }
}

fn dense_case<const K: usize, const KQ: usize, const N: usize, const R: usize>(
    rng: &mut Rng,
    t: &mut Tally,
    trials: u32,
) {
    for _ in 0..trials {
        let mut x = [[0i8; K]; R];
        rng.fill(x.as_flattened_mut());
        let mut w = [[[0i8; 4]; KQ]; N];
        rng.fill_rows(&mut w, K);
        let mut ch = [Channel { bias: 0, mult: 0, shift: 0 }; N];
        rng.channels(&mut ch);
        let q = rng.output();
        let (mut a, mut b) = ([[0i8; N]; R], [[1i8; N]; R]);
        q8dense::dense_s8_portable::<K, KQ, N>(x.as_flattened(), &w, &ch, &q, a.as_flattened_mut());
        q8dense::dense_s8_dsp::<K, KQ, N>(x.as_flattened(), &w, &ch, &q, b.as_flattened_mut());
        t.add(a.as_flattened(), b.as_flattened());
    }
}

fn dense16_case<const K: usize, const KQ: usize, const N: usize, const R: usize>(
    rng: &mut Rng,
    t: &mut Tally,
    trials: u32,
) {
    for _ in 0..trials {
        let mut x = [[0i16; K]; R];
        for v in x.as_flattened_mut() {
            *v = if rng.next().is_multiple_of(16) { i16::MIN } else { rng.next() as i16 };
        }
        let mut w = [[[0i8; 4]; KQ]; N];
        rng.fill_rows(&mut w, K);
        let mut ch = [Channel16 { bias: 0, mult: 0, shift: 0 }; N];
        for c in ch.iter_mut() {
            let bias = ((rng.next() as i64) << 16) >> (rng.next() % 24);
            *c = Channel16 { bias, mult: (1 << 30) | (rng.next() >> 2) as i32, shift: (rng.next() % 30) as i32 - 24 };
        }
        let (a, b) = (rng.next() as i16 as i32, rng.next() as i16 as i32);
        let q = if rng.next().is_multiple_of(2) {
            Output16 { min: -32768, max: 32767 }
        } else {
            Output16 { min: a.min(b), max: a.max(b) }
        };
        let (mut p, mut d) = ([[0i16; N]; R], [[1i16; N]; R]);
        dense16::dense_s16_portable::<K, KQ, N>(x.as_flattened(), &w, &ch, &q, p.as_flattened_mut());
        dense16::dense_s16_dsp::<K, KQ, N>(x.as_flattened(), &w, &ch, &q, d.as_flattened_mut());
        t.cases += 1;
        t.values += (N * R) as u32;
        if p != d {
            t.mismatches += 1;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn conv_case<
    const C: usize,
    const K: usize,
    const KQ: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
    const O: usize,
>(
    rng: &mut Rng,
    t: &mut Tally,
    trials: u32,
) {
    for _ in 0..trials {
        let mut x = [[0i8; L]; C];
        rng.fill(x.as_flattened_mut());
        let mut w = [[[[0i8; 4]; KQ]; C]; O];
        rng.fill_rows(w.as_flattened_mut(), K);
        let mut ch = [Channel { bias: 0, mult: 0, shift: 0 }; O];
        rng.channels(&mut ch);
        let q = rng.output();
        let pad = rng.i8();
        let (mut a, mut b) = ([[0i8; OL]; O], [[1i8; OL]; O]);
        conv1d::conv1d_s8_portable::<C, K, KQ, S, D, P, L, OL, W>(
            x.as_flattened(),
            &w,
            &ch,
            &q,
            pad,
            a.as_flattened_mut(),
        );
        conv1d::conv1d_s8_dsp::<C, K, KQ, S, D, P, L, OL, W>(x.as_flattened(), &w, &ch, &q, pad, b.as_flattened_mut());
        t.add(a.as_flattened(), b.as_flattened());
    }
}

#[allow(clippy::too_many_arguments)]
fn dw_case<
    const K: usize,
    const KQ: usize,
    const S: usize,
    const D: usize,
    const P: usize,
    const L: usize,
    const OL: usize,
    const W: usize,
    const C: usize,
>(
    rng: &mut Rng,
    t: &mut Tally,
    trials: u32,
) {
    for _ in 0..trials {
        let mut x = [[0i8; L]; C];
        rng.fill(x.as_flattened_mut());
        let mut w = [[[0i8; 4]; KQ]; C];
        rng.fill_rows(&mut w, K);
        let mut ch = [Channel { bias: 0, mult: 0, shift: 0 }; C];
        rng.channels(&mut ch);
        let q = rng.output();
        let pad = rng.i8();
        let (mut a, mut b) = ([[0i8; OL]; C], [[1i8; OL]; C]);
        depthwise::depthwise_s8_portable::<K, KQ, S, D, P, L, OL, W>(
            x.as_flattened(),
            &w,
            &ch,
            &q,
            pad,
            a.as_flattened_mut(),
        );
        depthwise::depthwise_s8_dsp::<K, KQ, S, D, P, L, OL, W>(
            x.as_flattened(),
            &w,
            &ch,
            &q,
            pad,
            b.as_flattened_mut(),
        );
        t.add(a.as_flattened(), b.as_flattened());
    }
}

/// `conv_case` / `dw_case` with `KQ` and `W` computed from the geometry.
macro_rules! conv {
    ($rng:expr, $t:expr, $n:expr, c=$c:literal k=$k:literal s=$s:literal d=$d:literal p=$p:literal l=$l:literal ol=$ol:literal o=$o:literal) => {
        conv_case::<
            $c,
            $k,
            { ($k as usize).div_ceil(4) },
            $s,
            $d,
            $p,
            $l,
            $ol,
            { 3 * $s + (4 * ($k as usize).div_ceil(4) - 1) * $d + 2 },
            $o,
        >($rng, $t, $n)
    };
}
macro_rules! dw {
    ($rng:expr, $t:expr, $n:expr, k=$k:literal s=$s:literal d=$d:literal p=$p:literal l=$l:literal ol=$ol:literal c=$c:literal) => {
        dw_case::<
            $k,
            { ($k as usize).div_ceil(4) },
            $s,
            $d,
            $p,
            $l,
            $ol,
            { 3 * $s + (4 * ($k as usize).div_ceil(4) - 1) * $d + 2 },
            $c,
        >($rng, $t, $n)
    };
}

/// Every geometry, `trials` random cases each (fewer for the big ones).
pub fn run() -> Tally {
    let mut t = Tally::default();
    let mut rng = Rng(0x5eed_0008);
    let r = &mut rng;
    dense_case::<1, 1, 1, 1>(r, &mut t, 40);
    dense_case::<4, 1, 4, 1>(r, &mut t, 40);
    dense_case::<5, 2, 3, 3>(r, &mut t, 40);
    dense_case::<17, 5, 13, 2>(r, &mut t, 40);
    dense_case::<75, 19, 20, 1>(r, &mut t, 40);
    dense_case::<66, 17, 7, 2>(r, &mut t, 40);
    dense_case::<128, 32, 256, 1>(r, &mut t, 4);
    dense16_case::<1, 1, 1, 1>(r, &mut t, 40);
    dense16_case::<5, 2, 3, 3>(r, &mut t, 40);
    dense16_case::<17, 5, 13, 2>(r, &mut t, 40);
    dense16_case::<75, 19, 20, 1>(r, &mut t, 40);
    dense16_case::<511, 128, 6, 1>(r, &mut t, 10);
    dense16_case::<128, 32, 256, 1>(r, &mut t, 4);
    conv!(r, &mut t, 4, c=16 k=7 s=1 d=1 p=3 l=128 ol=128 o=16);
    conv!(r, &mut t, 20, c=3 k=3 s=1 d=1 p=1 l=10 ol=10 o=7);
    conv!(r, &mut t, 20, c=2 k=4 s=3 d=1 p=0 l=17 ol=5 o=4);
    conv!(r, &mut t, 20, c=4 k=7 s=2 d=1 p=3 l=5 ol=3 o=9);
    conv!(r, &mut t, 20, c=5 k=9 s=1 d=1 p=8 l=11 ol=19 o=3);
    conv!(r, &mut t, 20, c=3 k=6 s=2 d=1 p=2 l=23 ol=11 o=6);
    conv!(r, &mut t, 20, c=1 k=2 s=1 d=1 p=0 l=3 ol=2 o=3);
    conv!(r, &mut t, 10, c=3 k=21 s=2 d=1 p=10 l=40 ol=20 o=5);
    conv!(r, &mut t, 10, c=8 k=5 s=2 d=2 p=4 l=120 ol=60 o=16);
    // (the exact shape is the benchmark layer, compared there; a second instantiation here
    // would change what LLVM inlines into the measured call)
    conv!(r, &mut t, 20, c=1 k=7 s=2 d=1 p=3 l=241 ol=121 o=8); // ecg-cnn-like first layer: one input channel
    conv!(r, &mut t, 20, c=3 k=5 s=1 d=2 p=4 l=17 ol=17 o=5); // dilation 2, stride 1, K mod 4 = 1
    conv!(r, &mut t, 20, c=5 k=7 s=3 d=3 p=9 l=31 ol=11 o=6); // stride 3, dilation 3
    conv!(r, &mut t, 20, c=4 k=9 s=2 d=3 p=12 l=29 ol=15 o=3); // K mod 4 = 1 with 3 groups
    conv!(r, &mut t, 20, c=7 k=1 s=2 d=2 p=0 l=15 ol=8 o=5); // a single tap (K mod 4 = 1, no full group)
    conv!(r, &mut t, 20, c=6 k=6 s=3 d=2 p=5 l=37 ol=13 o=4); // K mod 4 = 2
    conv!(r, &mut t, 20, c=3 k=13 s=2 d=2 p=12 l=33 ol=17 o=3); // 4 groups, K mod 4 = 1
    conv!(r, &mut t, 20, c=12 k=11 s=2 d=2 p=10 l=41 ol=21 o=5); // more than 32 groups: the loop over channels
    conv!(r, &mut t, 20, c=9 k=13 s=3 d=1 p=6 l=50 ol=17 o=3); // more than 32 groups, K mod 4 = 1
    conv!(r, &mut t, 20, c=2 k=5 s=2 d=3 p=6 l=7 ol=4 o=7); // dilated kernel longer than the input
    conv!(r, &mut t, 20, c=5 k=3 s=2 d=2 p=7 l=3 ol=9 o=2); // padding wider than the input, odd lengths
    conv!(r, &mut t, 10, c=2 k=5 s=2 d=2 p=4 l=23 ol=12 o=37); // more output channels than a block (16)
                                                               // tiles of more than 4 KiB gathered one input channel at a time (long rows: the group loop)
    conv!(r, &mut t, 2, c=12 k=387 s=258 d=1 p=0 l=4257 ol=16 o=18); // CCfC's front end (after conv-rows)
    conv!(r, &mut t, 4, c=5 k=133 s=3 d=1 p=40 l=150 ol=50 o=17); // K mod 4 = 1, padding, 34 groups
    conv!(r, &mut t, 4, c=9 k=70 s=2 d=2 p=9 l=160 ol=75 o=3); // dilation 2, 18 groups
    dw!(r, &mut t, 10, k=7 s=1 d=1 p=3 l=128 ol=128 c=16);
    dw!(r, &mut t, 10, k=64 s=1 d=1 p=63 l=128 ol=128 c=4);
    dw!(r, &mut t, 20, k=64 s=1 d=1 p=0 l=70 ol=7 c=3);
    dw!(r, &mut t, 20, k=13 s=1 d=1 p=20 l=9 ol=33 c=3);
    dw!(r, &mut t, 20, k=33 s=1 d=1 p=40 l=20 ol=40 c=2);
    dw!(r, &mut t, 20, k=30 s=1 d=1 p=29 l=50 ol=50 c=3);
    dw!(r, &mut t, 20, k=3 s=3 d=1 p=1 l=10 ol=4 c=2);
    dw!(r, &mut t, 20, k=20 s=3 d=1 p=9 l=61 ol=21 c=3);
    dw!(r, &mut t, 20, k=6 s=2 d=1 p=5 l=21 ol=13 c=5);
    dw!(r, &mut t, 20, k=1 s=1 d=1 p=0 l=5 ol=5 c=1);
    // f32: the FPU (`vldm`) forms against the portable ones, K mod 4 (mod 8 for one column) 0–7
    dense16_f32::<1, 16, 1, 1>(r, &mut t, 20);
    dense16_f32::<7, 35, 2, 2>(r, &mut t, 20);
    dense16_f32::<75, 32, 2, 1>(r, &mut t, 10);
    for_dense16(r, &mut t);
    dense8_f32::<2, 8, 1, 3>(r, &mut t, 20);
    dense8_f32::<13, 24, 1, 1>(r, &mut t, 20);
    dense8_f32::<12, 9, 1, 2>(r, &mut t, 20);
    dense4_f32::<3, 4, 1, 1>(r, &mut t, 20);
    dense4_f32::<75, 20, 1, 1>(r, &mut t, 10);
    dense4_f32::<9, 13, 2, 2>(r, &mut t, 20);
    for_dense1(r, &mut t);
    ssm_case::<1, 2>(r, &mut t, 20);
    ssm_case::<3, 3>(r, &mut t, 20);
    ssm_case::<4, 1>(r, &mut t, 20);
    ssm_case::<7, 2>(r, &mut t, 20);
    ssm_case::<32, 4>(r, &mut t, 10);
    // the longest row one asm block unrolls (8 blocks + 3), and the first that loops per channel
    ssm_case::<35, 3>(r, &mut t, 10);
    ssm_case::<37, 2>(r, &mut t, 10);
    t
}

/// Tiles of 16, every `K mod 12` (the twelve-row loop), with none, one and several of its
/// iterations.
fn for_dense16(r: &mut Rng, t: &mut Tally) {
    dense16_f32::<2, 16, 1, 1>(r, t, 5);
    dense16_f32::<3, 16, 1, 1>(r, t, 5);
    dense16_f32::<4, 16, 1, 1>(r, t, 5);
    dense16_f32::<5, 16, 1, 1>(r, t, 5);
    dense16_f32::<6, 16, 1, 1>(r, t, 5);
    dense16_f32::<8, 16, 1, 1>(r, t, 5);
    dense16_f32::<9, 16, 1, 1>(r, t, 5);
    dense16_f32::<10, 16, 1, 1>(r, t, 5);
    dense16_f32::<11, 16, 1, 1>(r, t, 5);
    dense16_f32::<12, 16, 1, 1>(r, t, 5);
    dense16_f32::<13, 17, 1, 2>(r, t, 5);
    dense16_f32::<20, 16, 1, 1>(r, t, 5);
    dense16_f32::<24, 32, 2, 1>(r, t, 5);
    dense16_f32::<32, 16, 1, 1>(r, t, 5);
    dense16_f32::<128, 48, 3, 1>(r, t, 3);
}

/// Single columns, every `K mod 8`.
fn for_dense1(r: &mut Rng, t: &mut Tally) {
    dense1_f32::<1, 1, 1, 1>(r, t, 20);
    dense1_f32::<2, 3, 2, 1>(r, t, 20);
    dense1_f32::<3, 3, 3, 2>(r, t, 20);
    dense1_f32::<4, 5, 1, 1>(r, t, 20);
    dense1_f32::<5, 2, 2, 1>(r, t, 20);
    dense1_f32::<6, 3, 1, 1>(r, t, 20);
    dense1_f32::<7, 1, 1, 3>(r, t, 20);
    dense1_f32::<8, 3, 3, 1>(r, t, 20);
    dense1_f32::<75, 3, 3, 1>(r, t, 10);
}
