//! Histograms of a value's elements over the calibration samples, and the ranges the percentile
//! and MSE calibration methods choose from them ([`super::CalibrationMethod`]).
//!
//! A histogram has [`BINS`] equal bins spanning the value's smallest to largest element (known
//! from the first, min/max pass). Elements exactly 0 are counted apart: 0 is always on the int8
//! grid (the range contains 0 and the zero point is an integer), so they are never rounded or
//! clipped — a ReLU output's zeros must not make a wider range look noisier. Within a bin,
//! elements are taken as uniformly spread (the usual histogram-calibration model: onnxruntime's,
//! PyTorch's `HistogramObserver`).
//!
//! - [`Histogram::percentile`]: the central P% of the elements: the lower bound leaves
//!   (100 − P)/2 % of them below, the upper bound (100 − P)/2 % above (onnxruntime's asymmetric
//!   percentile), interpolated within a bin.
//! - [`Histogram::mse`]: over every pair of bin edges `lo ≤ 0 ≤ hi`, the one minimising the
//!   expected squared error of int8 quantization with `scale = (hi − lo) / 255`: `scale² / 12`
//!   per element inside (rounding noise of a uniform grid), `(x − hi)²` / `(lo − x)²` per element
//!   outside (clipping). The clipping sums are prefix sums of bin moments, so the exhaustive
//!   search over about 2 · 10⁶ edge pairs costs one multiply-add each.

use super::ranges::Range;

/// Bins per histogram (onnxruntime's and TensorRT's default).
pub const BINS: usize = 2048;

/// Steps of the int8 grid: 256 levels.
const STEPS: f64 = 255.0;

/// Counts of one value's elements.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Left edge of the first bin (the smallest element).
    lo: f64,
    /// Right edge of the last bin (the largest element).
    hi: f64,
    /// Elements other than 0 per bin.
    counts: Vec<u64>,
    /// Elements exactly 0 (±0).
    zeros: u64,
}

impl Histogram {
    /// Empty bins spanning `[min, max]` (finite, `min ≤ max`).
    pub fn new(min: f32, max: f32) -> Histogram {
        Histogram { lo: min as f64, hi: max as f64, counts: vec![0; BINS], zeros: 0 }
    }

    /// Counts `data`'s elements (NaN is skipped; anything outside the span lands in the end bins).
    pub fn add(&mut self, data: &[f32]) {
        let per = if self.hi > self.lo { BINS as f64 / (self.hi - self.lo) } else { 0.0 };
        for &x in data {
            if x == 0.0 {
                self.zeros += 1;
            } else if !x.is_nan() {
                let i = ((x as f64 - self.lo) * per).floor().clamp(0.0, (BINS - 1) as f64) as usize;
                self.counts[i] += 1;
            }
        }
    }

    /// Number of elements counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.zeros
    }

    fn width(&self) -> f64 {
        (self.hi - self.lo) / BINS as f64
    }

    /// Edge `i` of `0..=BINS` (`lo` and `hi` exactly at the ends).
    fn edge(&self, i: usize) -> f64 {
        if i == BINS {
            self.hi
        } else {
            self.lo + i as f64 * self.width()
        }
    }

    /// The whole span, for a histogram with nothing to choose from (a constant value).
    fn span(&self) -> Range {
        Range { min: self.lo as f32, max: self.hi as f32 }
    }

    /// The central `p`% (0 < p ≤ 100) of the elements (module docs); `p = 100` is the min/max
    /// range.
    pub fn percentile(&self, p: f64) -> Range {
        if self.hi <= self.lo || self.total() == 0 {
            return self.span();
        }
        let mut prefix = Vec::with_capacity(BINS + 1);
        prefix.push(0.0f64);
        for &c in &self.counts {
            prefix.push(prefix[prefix.len() - 1] + c as f64);
        }
        let (w, zeros) = (self.width(), self.zeros as f64);
        // elements below t, bins spread uniformly; the zeros count at t = 0 when `at_zero`
        let below = |t: f64, at_zero: bool| {
            let pos = ((t - self.lo) / w).clamp(0.0, BINS as f64);
            let i = (pos.floor() as usize).min(BINS - 1);
            let z = if t > 0.0 || (at_zero && t == 0.0) { zeros } else { 0.0 };
            prefix[i] + self.counts[i] as f64 * (pos - i as f64) + z
        };
        let n = self.total() as f64;
        let cut = n * (100.0 - p.clamp(0.0, 100.0)) / 200.0;
        // smallest t with at least `cut` elements ≤ t, largest with at least `cut` elements ≥ t
        let lower = bisect(self.lo, self.hi, |t| below(t, true) >= cut, true);
        let upper = bisect(self.lo, self.hi, |t| n - below(t, false) >= cut, false);
        Range { min: lower as f32, max: upper.max(lower) as f32 }
    }

    /// The range of least expected squared int8 quantization error (module docs). Contains 0.
    pub fn mse(&self) -> Range {
        if self.hi <= self.lo || self.total() == 0 {
            return self.span();
        }
        let w = self.width();
        let in_bin = w * w / 12.0;
        // Per candidate bound: (position, elements beyond it, their squared clipping error).
        // Left: bins below edge j, distances measured from lo; right: bins from edge j up,
        // distances from hi (short distances keep the moment sums well conditioned).
        let mut left = vec![];
        if self.lo > 0.0 {
            left.push((0.0, 0.0, 0.0));
        } else {
            let (mut m0, mut m1, mut m2) = (0.0f64, 0.0f64, 0.0f64);
            for j in 0..=BINS {
                let e = self.edge(j);
                if e > 0.0 {
                    break;
                }
                let d = e - self.lo;
                left.push((e, m0, m0 * (d * d + in_bin) - 2.0 * d * m1 + m2));
                if j < BINS {
                    let (n, c) = (self.counts[j] as f64, (j as f64 + 0.5) * w);
                    (m0, m1, m2) = (m0 + n, m1 + n * c, m2 + n * c * c);
                }
            }
        }
        let mut right = vec![];
        if self.hi < 0.0 {
            right.push((0.0, 0.0, 0.0));
        } else {
            let (mut m0, mut m1, mut m2) = (0.0f64, 0.0f64, 0.0f64);
            for j in (0..=BINS).rev() {
                let e = self.edge(j);
                if e < 0.0 {
                    break;
                }
                let d = self.hi - e;
                right.push((e, m0, m0 * (d * d + in_bin) - 2.0 * d * m1 + m2));
                if j > 0 {
                    let (n, c) = (self.counts[j - 1] as f64, (BINS - j) as f64 * w + w / 2.0);
                    (m0, m1, m2) = (m0 + n, m1 + n * c, m2 + n * c * c);
                }
            }
        }
        let nonzero = self.counts.iter().sum::<u64>() as f64;
        let noise = 1.0 / (12.0 * STEPS * STEPS);
        // Both lists start at the full range, so ties keep the widest range.
        let mut best = (f64::INFINITY, left[0].0, right[0].0);
        for &(a, out_a, clip_a) in &left {
            for &(b, out_b, clip_b) in &right {
                let span = b - a;
                if span <= 0.0 {
                    continue;
                }
                let err = (nonzero - out_a - out_b).max(0.0) * span * span * noise + clip_a.max(0.0) + clip_b.max(0.0);
                if err < best.0 {
                    best = (err, a, b);
                }
            }
        }
        Range { min: best.1 as f32, max: best.2 as f32 }
    }
}

/// The boundary of a monotone predicate on `[lo, hi]`: with `first`, the smallest t where
/// `pred` holds (it holds at `hi`); else the largest (it holds at `lo`). To f64 precision.
fn bisect(lo: f64, hi: f64, pred: impl Fn(f64) -> bool, first: bool) -> f64 {
    if first && pred(lo) {
        return lo;
    }
    if !first && pred(hi) {
        return hi;
    }
    let (mut a, mut b) = (lo, hi);
    for _ in 0..200 {
        let m = a + (b - a) / 2.0;
        if m <= a || m >= b {
            break;
        }
        if pred(m) == first {
            b = m;
        } else {
            a = m;
        }
    }
    if first {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::DType;
    use crate::quant::params;

    fn histogram(data: &[f32]) -> Histogram {
        let (lo, hi) = data.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let mut h = Histogram::new(lo, hi);
        h.add(data);
        h
    }

    /// A deterministic bell-shaped sample in about [−1, 1] (sum of four uniforms from an LCG).
    fn bell(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        let mut uniform = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n).map(|_| ((uniform() + uniform() + uniform() + uniform()) / 2.0 - 1.0) as f32).collect()
    }

    /// Mean squared error of quantizing `data` to int8 over `r` (params::affine, then back).
    fn quant_mse(data: &[f32], r: Range) -> f64 {
        let q = params::affine(r.min, r.max, DType::I8);
        let (s, z) = q.at(0);
        let err: f64 = data
            .iter()
            .map(|&x| {
                let back = s as f64 * (params::quantize(x, s, z, DType::I8) - z as i64) as f64;
                (back - x as f64).powi(2)
            })
            .sum();
        err / data.len() as f64
    }

    #[test]
    fn counts_every_element_and_zeros_apart() {
        let h = histogram(&[-1.0, 0.0, -0.0, 0.5, 1.0, 1.0, f32::NAN]);
        assert_eq!(h.total(), 6, "NaN skipped");
        assert_eq!(h.zeros, 2);
        assert_eq!(h.counts[0], 1, "the minimum is in the first bin");
        assert_eq!(h.counts[BINS - 1], 2, "the maximum is in the last bin");
        assert_eq!(h.counts[BINS * 3 / 4], 1, "0.5 sits at three quarters of [−1, 1]");
    }

    #[test]
    fn percentile_of_known_data() {
        // 0, 1, …, 9999: the central 99% runs from the 0.5th to the 99.5th percentile, which
        // numpy.percentile (linear) puts at 49.995 and 9949.005; one bin is 9999/2048 ≈ 4.9 wide.
        let data: Vec<f32> = (0..10_000).map(|x| x as f32).collect();
        let h = histogram(&data);
        let r = h.percentile(99.0);
        let bin = 9999.0 / 2048.0;
        assert!((r.min - 49.995).abs() <= bin, "{r:?}");
        assert!((r.max - 9949.005).abs() <= bin, "{r:?}");
        // 100%: exactly min/max
        assert_eq!(h.percentile(100.0), Range { min: 0.0, max: 9999.0 });
        // 50%: the quartiles 2499.75 and 7499.25
        let q = h.percentile(50.0);
        assert!((q.min - 2499.75).abs() <= bin && (q.max - 7499.25).abs() <= bin, "{q:?}");
    }

    #[test]
    fn percentile_drops_rare_outliers() {
        // 100,000 elements in [−1, 1] and 4 at ±100: 99.99% leaves 5 elements on each side
        let mut data = bell(100_000, 7);
        data.extend([100.0, -100.0, 90.0, -95.0]);
        let r = histogram(&data).percentile(99.99);
        assert!(r.min < -0.5 && r.min > -1.2 && r.max > 0.5 && r.max < 1.2, "{r:?}");
    }

    #[test]
    fn mse_clips_far_outliers_and_beats_minmax() {
        // Squared error weighs outliers heavily: clipping three at ~40 costs thousands, which
        // only pays off when it spares enough elements the coarse grid's noise (85²/(12·255²)
        // each): with 2·10⁶ of them, 18,500 of noise over min/max.
        let bulk = bell(2_000_000, 3);
        let mut data = bulk.clone();
        data.extend([40.0, -35.0, 50.0]);
        let h = histogram(&data);
        let minmax = Range { min: -35.0, max: 50.0 };
        let r = h.mse();
        assert!(r.min <= 0.0 && r.max >= 0.0, "contains 0: {r:?}");
        assert!(r.max < 0.5 * minmax.max && r.min > 0.5 * minmax.min, "well inside min/max: {r:?}");
        let (lo, hi) = bulk.iter().fold((0.0f32, 0.0f32), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(r.max > 0.5 * hi && r.min < 0.5 * lo, "keeps the bulk: {r:?}");
        // measured on the data, not from the histogram: better than min/max by far, and no
        // worse than the other candidates a user might pick, nor than nearby ranges
        let e = quant_mse(&data, r);
        let e_minmax = quant_mse(&data, minmax);
        assert!(e < 0.5 * e_minmax, "measured error: mse range {e:e}, min/max {e_minmax:e}");
        let others = [
            Range { min: lo, max: hi },
            h.percentile(99.99),
            h.percentile(99.9999),
            Range { min: r.min * 0.8, max: r.max * 0.8 },
            Range { min: r.min * 1.25, max: r.max * 1.25 },
            Range { min: r.min, max: r.max * 0.8 },
            Range { min: r.min, max: r.max * 1.25 },
        ];
        for o in others {
            assert!(e <= 1.02 * quant_mse(&data, o), "{r:?}: {e:e}; {o:?}: {:e}", quant_mse(&data, o));
        }
    }

    #[test]
    fn mse_keeps_nearly_all_of_a_uniform_range() {
        // Uniform on [−1, 1]: clipping δ off each end saves ~3δ · 2²/(12 · 255²) of noise and
        // costs δ³/3 of clipping: the optimum is δ ≈ 0.004 (and the measured error agrees).
        let data: Vec<f32> = (0..20_001).map(|i| i as f32 / 10_000.0 - 1.0).collect();
        let r = histogram(&data).mse();
        assert!(r.max > 0.98 && r.max <= 1.0 && r.min < -0.98 && r.min >= -1.0, "{r:?}");
        assert!(quant_mse(&data, r) <= quant_mse(&data, Range { min: -1.0, max: 1.0 }) * 1.01);
    }

    #[test]
    fn mse_on_one_signed_data_keeps_zero_in_range() {
        // all positive (a sigmoid's output): the range starts at 0
        let data: Vec<f32> = bell(10_000, 11).iter().map(|x| (x + 1.5) * 2.0).collect();
        let r = histogram(&data).mse();
        assert_eq!(r.min, 0.0);
        assert!(r.max > 4.0 && r.max <= 5.0, "{r:?}");
        // all negative
        let neg: Vec<f32> = data.iter().map(|x| -x).collect();
        let r = histogram(&neg).mse();
        assert_eq!(r.max, 0.0);
        assert!(r.min < -4.0 && r.min >= -5.0, "{r:?}");
    }

    #[test]
    fn zeros_do_not_count_as_noise() {
        // A ReLU output: 99.9% exact zeros, the rest uniform on (0, 1]. Counted as rounding noise,
        // the zeros would pull the upper bound down to ≈ 0.95 (noise 10⁶ · 2b / (12 · 255²)
        // against clipping 10³ · (1 − b)²); they are exact, so it stays at ≈ 0.998.
        let mut data = vec![0.0f32; 1_000_000];
        data.extend((1..=1000).map(|i| i as f32 / 1000.0));
        let r = histogram(&data).mse();
        assert!(r.min == 0.0 && r.max > 0.98, "{r:?}");
    }

    #[test]
    fn constant_values_keep_their_span() {
        let h = histogram(&[2.5; 10]);
        assert_eq!(h.mse(), Range { min: 2.5, max: 2.5 });
        assert_eq!(h.percentile(99.0), Range { min: 2.5, max: 2.5 });
    }
}
