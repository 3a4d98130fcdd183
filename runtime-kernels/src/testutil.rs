//! Test helpers: a tiny deterministic PRNG, ulp distances, tolerant comparisons, and naive n-d
//! index arithmetic for reference implementations.

use std::vec::Vec;

/// SplitMix64: small, deterministic, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
        lo + (hi - lo) * u
    }
    pub fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
    pub fn bool(&mut self) -> bool {
        self.next_u32() & 1 == 1
    }
}

/// Distance in representable values; NaN vs NaN is 0, NaN vs number is `u64::MAX`.
pub fn ulp_diff(a: f32, b: f32) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() { 0 } else { u64::MAX };
    }
    let key = |x: f32| -> i64 {
        let i = x.to_bits() as i32 as i64;
        if i < 0 {
            i64::from(i32::MIN) - i
        } else {
            i
        }
    };
    (key(a) - key(b)).unsigned_abs()
}

/// Asserts `|got - want| <= tol * max(1, |want|)` elementwise (NaN must match NaN, infinities
/// must match exactly).
#[track_caller]
pub fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "length mismatch");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "index {i}: got {g}, want NaN");
        } else if w.is_infinite() {
            assert_eq!(g, w, "index {i}");
        } else {
            let err = (g - w).abs();
            assert!(err <= tol * w.abs().max(1.0), "index {i}: got {g}, want {w}, err {err}");
        }
    }
}

/// Row-major strides of `shape`.
pub fn row_major(shape: &[usize]) -> Vec<isize> {
    let mut s = std::vec![0isize; shape.len()];
    let mut c = 1isize;
    for d in (0..shape.len()).rev() {
        s[d] = c;
        c *= shape[d] as isize;
    }
    s
}

/// All multi-indices of `shape` in row-major order.
pub fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    for mut lin in 0..n {
        let mut idx = std::vec![0usize; shape.len()];
        for d in (0..shape.len()).rev() {
            idx[d] = lin % shape[d];
            lin /= shape[d];
        }
        out.push(idx);
    }
    out
}

/// `offset + Σ idx[d] * strides[d]`.
pub fn offset(base: usize, idx: &[usize], strides: &[isize]) -> usize {
    let o = base as isize + idx.iter().zip(strides).map(|(&i, &s)| i as isize * s).sum::<isize>();
    assert!(o >= 0);
    o as usize
}

/// Random shape of the given rank with dims in `1..=max`.
pub fn rand_shape(rng: &mut Rng, rank: usize, max: usize) -> Vec<usize> {
    (0..rank).map(|_| 1 + rng.below(max)).collect()
}

/// Random strides to view a fresh buffer as `shape`: a random axis permutation of a row-major
/// layout, some axes broadcast (stride 0) and some reversed (negative stride). Returns
/// `(offset, strides, buffer_len)`.
pub fn rand_view(rng: &mut Rng, shape: &[usize]) -> (usize, Vec<isize>, usize) {
    let r = shape.len();
    // broadcast some axes
    let eff: Vec<usize> = shape.iter().map(|&s| if rng.below(4) == 0 { 1 } else { s }).collect();
    // permute the storage order
    let mut perm: Vec<usize> = (0..r).collect();
    for i in (1..r).rev() {
        let j = rng.below(i + 1);
        perm.swap(i, j);
    }
    let mut strides = std::vec![0isize; r];
    let mut c = 1isize;
    for &d in perm.iter().rev() {
        strides[d] = if eff[d] == 1 { 0 } else { c };
        c *= eff[d] as isize;
    }
    let len = c as usize;
    let mut off = 0isize;
    for d in 0..r {
        if eff[d] > 1 && rng.below(3) == 0 {
            off += strides[d] * (eff[d] as isize - 1);
            strides[d] = -strides[d];
        }
    }
    (off as usize, strides, len)
}
