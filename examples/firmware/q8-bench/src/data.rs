//! Deterministic pseudo-random test data: compile-time weights for the benchmarks, run-time
//! inputs and quantization parameters for the equivalence checks.

use ecgc_kernels::q8::{Channel, Output};

/// One LCG step (Numerical Recipes constants).
pub const fn step(s: u32) -> u32 {
    s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223)
}

/// `N` packed rows of `K` weights (zeros after `K`), as the kernels stream them.
pub const fn rows<const K: usize, const KQ: usize, const N: usize>(seed: u32) -> [[[i8; 4]; KQ]; N] {
    let mut w = [[[0i8; 4]; KQ]; N];
    let mut s = seed;
    let mut n = 0;
    while n < N {
        let mut k = 0;
        while k < K {
            s = step(s);
            w[n][k / 4][k % 4] = (s >> 24) as i8;
            k += 1;
        }
        n += 1;
    }
    w
}

/// `O` filters of `C` packed rows of `K` taps.
pub const fn filters<const K: usize, const KQ: usize, const C: usize, const O: usize>(
    seed: u32,
) -> [[[[i8; 4]; KQ]; C]; O] {
    let mut w = [[[[0i8; 4]; KQ]; C]; O];
    let mut s = seed;
    let mut o = 0;
    while o < O {
        let mut c = 0;
        while c < C {
            let mut k = 0;
            while k < K {
                s = step(s);
                w[o][c][k / 4][k % 4] = (s >> 24) as i8;
                k += 1;
            }
            c += 1;
        }
        o += 1;
    }
    w
}

/// `N` int8 values.
pub const fn values<const N: usize>(seed: u32) -> [i8; N] {
    let mut x = [0i8; N];
    let mut s = seed;
    let mut i = 0;
    while i < N {
        s = step(s);
        x[i] = (s >> 24) as i8;
        i += 1;
    }
    x
}

/// Typical per-channel parameters (multipliers near 2^-9, outputs mostly unclamped).
pub const fn channels<const N: usize>(seed: u32) -> [Channel; N] {
    let mut c = [Channel { bias: 0, mult: 0, shift: 0 }; N];
    let mut s = seed;
    let mut i = 0;
    while i < N {
        s = step(s);
        let bias = (s as i32) >> 18;
        s = step(s);
        c[i] = Channel { bias, mult: (1 << 30) | (s >> 2) as i32, shift: -9 };
        i += 1;
    }
    c
}

pub const OUT: Output = Output { offset: -3, min: -128, max: 127 };

/// A run-time generator for the checks.
pub struct Rng(pub u32);

impl Rng {
    pub fn next(&mut self) -> u32 {
        self.0 = step(self.0);
        self.0 ^ (self.0 >> 15)
    }
    pub fn i8(&mut self) -> i8 {
        (self.next() >> 8) as i8
    }
    pub fn fill(&mut self, x: &mut [i8]) {
        for v in x {
            *v = if self.next().is_multiple_of(16) { -128 } else { self.i8() };
        }
    }
    /// Packed rows: random weights before `k`, zeros after.
    pub fn fill_rows<const KQ: usize>(&mut self, rows: &mut [[[i8; 4]; KQ]], k: usize) {
        for r in rows {
            for (i, v) in r.as_flattened_mut().iter_mut().enumerate() {
                *v = if i < k { self.i8() } else { 0 };
            }
        }
    }
    /// Random requantization, some of it saturating or with multipliers above one.
    pub fn channels(&mut self, ch: &mut [Channel]) {
        for c in ch {
            let bias = (self.next() as i32) >> (10 + self.next() % 16);
            let mult = (1 << 30) | (self.next() >> 2) as i32;
            let shift = (self.next() % 24) as i32 - 20;
            *c = Channel { bias, mult, shift };
        }
    }
    pub fn output(&mut self) -> Output {
        let offset = self.i8() as i32;
        let (a, b) = (self.i8() as i32, self.i8() as i32);
        match self.next() % 3 {
            0 => Output { offset, min: -128, max: 127 },
            1 => Output { offset, min: offset, max: 127 },
            _ => Output { offset, min: a.min(b), max: a.max(b) },
        }
    }
}

/// `N` int16 values.
pub const fn values16<const N: usize>(seed: u32) -> [i16; N] {
    let mut x = [0i16; N];
    let mut s = seed;
    let mut i = 0;
    while i < N {
        s = step(s);
        x[i] = (s >> 16) as i16;
        i += 1;
    }
    x
}

/// Typical 16x8 per-channel parameters.
pub const fn channels16<const N: usize>(seed: u32) -> [ecgc_kernels::q8::dense16::Channel16; N] {
    let mut c = [ecgc_kernels::q8::dense16::Channel16 { bias: 0, mult: 0, shift: 0 }; N];
    let mut s = seed;
    let mut i = 0;
    while i < N {
        s = step(s);
        let bias = ((s as i32) >> 8) as i64;
        s = step(s);
        c[i] = ecgc_kernels::q8::dense16::Channel16 { bias, mult: (1 << 30) | (s >> 2) as i32, shift: -16 };
        i += 1;
    }
    c
}

/// `N` floats in [−1, 1), every 16th of them `+0.0` or `−0.0` (the sums' signed-zero cases).
pub const fn floats<const N: usize>(seed: u32) -> [f32; N] {
    let mut v = [0.0f32; N];
    let mut s = seed;
    let mut i = 0;
    while i < N {
        s = step(s);
        v[i] = match s >> 28 {
            0 => 0.0,
            1 => -0.0,
            _ => (s as i32 as f32) * (1.0 / 2_147_483_648.0),
        };
        i += 1;
    }
    v
}

impl Rng {
    /// Fills `x` as [`floats`] does.
    pub fn floats(&mut self, x: &mut [f32]) {
        for v in x {
            let s = self.next();
            *v = match s >> 28 {
                0 => 0.0,
                1 => -0.0,
                _ => (s as i32 as f32) * (1.0 / 2_147_483_648.0),
            };
        }
    }
}

/// `R` rows of [`floats`] (seeds `seed`, `seed + 1`, …).
pub const fn floats2<const N: usize, const R: usize>(seed: u32) -> [[f32; N]; R] {
    let mut v = [[0.0f32; N]; R];
    let mut r = 0;
    while r < R {
        v[r] = floats::<N>(seed.wrapping_add(r as u32));
        r += 1;
    }
    v
}

/// `T` tiles of `K` rows of `N` floats: packed dense weights.
pub const fn floats3<const K: usize, const N: usize, const T: usize>(seed: u32) -> [[[f32; N]; K]; T] {
    let mut v = [[[0.0f32; N]; K]; T];
    let mut t = 0;
    while t < T {
        v[t] = floats2::<N, K>(seed.wrapping_add((t * K) as u32));
        t += 1;
    }
    v
}
