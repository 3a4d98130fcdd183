//! 2-D (and 1-D) convolution, NCHW, with groups, strides, dilation and zero padding.

use crate::contract::Gemm;
use crate::nd::BLOCK;

/// Geometry of a convolution. 1-D convolution is `in_h = out_h = k_h = 1`.
///
/// Bottom/right padding is implied by `out_h`/`out_w`; input row `ih` feeds output row `oh`
/// through kernel row `kh` when `ih = oh * stride_h + kh * dil_h - pad_top` (same for columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvParams {
    /// Batch size.
    pub batch: usize,
    /// Input channels (a multiple of `groups`).
    pub c_in: usize,
    /// Output channels (a multiple of `groups`).
    pub c_out: usize,
    /// Channel groups (`c_in` = `c_out` = `groups` is depthwise).
    pub groups: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
    /// Kernel height.
    pub k_h: usize,
    /// Kernel width.
    pub k_w: usize,
    /// Vertical stride (>= 1).
    pub stride_h: usize,
    /// Horizontal stride (>= 1).
    pub stride_w: usize,
    /// Vertical dilation (>= 1).
    pub dil_h: usize,
    /// Horizontal dilation (>= 1).
    pub dil_w: usize,
    /// Zero rows above the input.
    pub pad_top: usize,
    /// Zero columns left of the input.
    pub pad_left: usize,
}

/// Scratch elements [`conv2d`] needs (CMSIS-NN's `*_get_buffer_size` pattern). Currently 0.
pub const fn conv2d_scratch_len(p: &ConvParams) -> usize {
    let _ = p;
    0
}

/// Output columns split into a left edge, an interior where every tap is inside the input, and
/// a right edge.
#[derive(Clone, Copy)]
struct Cols {
    lo: usize,
    hi: usize,
    in_w: usize,
    sw: usize,
    dw: usize,
    pl: usize,
}

impl Cols {
    fn new(p: &ConvParams) -> Self {
        let (sw, dw) = (p.stride_w.max(1), p.dil_w.max(1));
        let span = (p.k_w.max(1) - 1) * dw;
        let lo = p.pad_left.div_ceil(sw).min(p.out_w);
        let hi = if p.in_w + p.pad_left > span { ((p.in_w + p.pad_left - 1 - span) / sw + 1).min(p.out_w) } else { 0 };
        Cols { lo, hi: hi.max(lo), in_w: p.in_w, sw, dw, pl: p.pad_left }
    }
}

/// `out` (NCHW) = conv(`x`, `w`) + `bias`.
///
/// Preconditions: `groups >= 1` divides `c_in` and `c_out`; strides and dilations `>= 1`;
/// `x.len() == batch*c_in*in_h*in_w`, `w.len() == c_out*(c_in/groups)*k_h*k_w`,
/// `bias.len() == c_out`, `out.len() == batch*c_out*out_h*out_w`; every window position that
/// is not padding lies inside the input (true whenever `out_h`/`out_w` follow the ONNX formula).
///
/// Each output is `((bias + t0) + t1) + ...` over the taps `w·x` inside the input in
/// `(ic, kh, kw)` order — except that kernel rows longer than 64 taps add each block of 64 taps,
/// summed from zero, as one term (bounding rounding-error growth for long 1-D kernels). Interior
/// outputs are computed 4 channels × 4 columns (or 1 channel × 8 columns) at a time with the
/// accumulators in registers; edge outputs take a checked path with identical arithmetic. A 1×1, stride-1, unpadded convolution runs as a GEMM per group instead, summing
/// `((0 + w0 x0) + w1 x1) + ...` over input channels, then adding the bias.
pub fn conv2d(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    let groups = p.groups.max(1);
    let (cig, cog) = (p.c_in / groups, p.c_out / groups);
    debug_assert!(p.groups >= 1 && p.c_in.is_multiple_of(groups) && p.c_out.is_multiple_of(groups));
    debug_assert!(p.stride_h >= 1 && p.stride_w >= 1 && p.dil_h >= 1 && p.dil_w >= 1);
    debug_assert_eq!(x.len(), p.batch * p.c_in * p.in_h * p.in_w);
    debug_assert_eq!(w.len(), p.c_out * cig * p.k_h * p.k_w);
    debug_assert!(bias.is_none_or(|b| b.len() == p.c_out));
    debug_assert_eq!(out.len(), p.batch * p.c_out * p.out_h * p.out_w);
    let in_plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    if out_plane == 0 || p.c_out == 0 {
        return;
    }
    let pointwise = p.k_h == 1
        && p.k_w == 1
        && p.stride_h == 1
        && p.stride_w == 1
        && p.pad_top == 0
        && p.pad_left == 0
        && p.in_h == p.out_h
        && p.in_w == p.out_w;
    if pointwise {
        let gemm = Gemm { m: cog, n: out_plane, k: cig, a_i: cig as isize, a_k: 1, b_k: in_plane as isize };
        for (bi, ob) in out.chunks_exact_mut(p.c_out * out_plane).take(p.batch).enumerate() {
            for (g, og) in ob.chunks_exact_mut(cog * out_plane).enumerate() {
                let w0 = (g * cog * cig) as isize;
                let x0 = ((bi * p.c_in + g * cig) * in_plane) as isize;
                gemm.run(w, w0, x, x0, og);
            }
            if let Some(bias) = bias {
                for (plane, &bv) in ob.chunks_exact_mut(out_plane).zip(bias) {
                    for o in plane {
                        *o += bv;
                    }
                }
            }
        }
        return;
    }

    let kplane = p.k_h * p.k_w;
    if in_plane == 0 || cig == 0 || kplane == 0 {
        // every window lies in padding: the output is the bias
        for (i, plane) in out.chunks_exact_mut(out_plane).enumerate() {
            plane.fill(bias.map_or(0.0, |b| b[i % p.c_out]));
        }
        return;
    }
    let cols = Cols::new(p);
    let unit = cols.sw == 1 && cols.dw == 1;
    for (bi, ob) in out.chunks_exact_mut(p.c_out * out_plane).take(p.batch).enumerate() {
        for g in 0..groups {
            let xg = &x[(bi * p.c_in + g * cig) * in_plane..][..cig * in_plane];
            let mut oc = 0;
            while oc < cog {
                let c0 = g * cog + oc;
                let bv = |c: usize| bias.map_or(0.0, |b| b[c0 + c]);
                if oc + 4 <= cog {
                    let t = Tile { p, cols: &cols, xg, w: &w[c0 * cig * kplane..][..4 * cig * kplane] };
                    let ow = &mut ob[c0 * out_plane..][..4 * out_plane];
                    let bias = [bv(0), bv(1), bv(2), bv(3)];
                    if unit {
                        t.run::<4, 4, true>(bias, ow);
                    } else {
                        t.run::<4, 4, false>(bias, ow);
                    }
                    oc += 4;
                } else {
                    let t = Tile { p, cols: &cols, xg, w: &w[c0 * cig * kplane..][..cig * kplane] };
                    let ow = &mut ob[c0 * out_plane..][..out_plane];
                    if unit {
                        t.run::<1, 8, true>([bv(0)], ow);
                    } else {
                        t.run::<1, 8, false>([bv(0)], ow);
                    }
                    oc += 1;
                }
            }
        }
    }
}

/// `OC` consecutive output channels of one group: their weights `w` (`[OC, cig, k_h, k_w]`) and
/// the group's input channels `xg` (`[cig, in_h, in_w]`).
struct Tile<'a> {
    p: &'a ConvParams,
    cols: &'a Cols,
    xg: &'a [f32],
    w: &'a [f32],
}

impl Tile<'_> {
    /// Writes the `OC` output planes in `out`. Interior columns go `NW` at a time with
    /// `OC × NW` accumulators in registers across all input channels and kernel rows; edge
    /// columns take the checked scalar path with the same arithmetic.
    #[inline(always)]
    fn run<const OC: usize, const NW: usize, const UNIT: bool>(&self, bias: [f32; OC], out: &mut [f32]) {
        let p = self.p;
        let cols = self.cols;
        let out_plane = p.out_h * p.out_w;
        for oh in 0..p.out_h {
            let (kh0, kh1) = crate::pool::taps(oh, p.stride_h, p.dil_h, p.pad_top, p.k_h, p.in_h);
            let o_row = oh * p.out_w;
            let mut ow = cols.lo;
            while ow + NW <= cols.hi {
                let mut acc: [[f32; NW]; OC] = core::array::from_fn(|c| [bias[c]; NW]);
                let s = ow * cols.sw - cols.pl;
                self.for_rows(oh, kh0, kh1, |xr, wo| self.row_block::<OC, NW, UNIT>(&mut acc, xr, wo, s));
                for (c, a) in acc.iter().enumerate() {
                    out[c * out_plane + o_row + ow..][..NW].copy_from_slice(a);
                }
                ow += NW;
            }
            for ow in (0..cols.lo).chain(ow..p.out_w) {
                let base = (ow * cols.sw) as isize - cols.pl as isize;
                for (c, b) in bias.iter().enumerate() {
                    let mut acc = *b;
                    self.for_rows(oh, kh0, kh1, |xr, wo| {
                        let taps = &self.w[c * self.wstride() + wo..][..p.k_w];
                        acc = row_scalar(acc, taps, |kw| {
                            let iw = base + (kw * cols.dw) as isize;
                            if iw >= 0 && iw < cols.in_w as isize {
                                Some(xr[iw as usize])
                            } else {
                                None
                            }
                        });
                    });
                    out[c * out_plane + o_row + ow] = acc;
                }
            }
        }
    }

    /// Weight elements between consecutive output channels.
    #[inline(always)]
    fn wstride(&self) -> usize {
        (self.p.c_in / self.p.groups.max(1)) * self.p.k_h * self.p.k_w
    }

    /// Calls `f(input_row, weight_row_offset)` for every input channel and every kernel row in
    /// `kh0..kh1` (the rows that land inside the input for output row `oh`), in that order.
    #[inline(always)]
    fn for_rows(&self, oh: usize, kh0: usize, kh1: usize, mut f: impl FnMut(&[f32], usize)) {
        let p = self.p;
        let in_plane = p.in_h * p.in_w;
        let kplane = p.k_h * p.k_w;
        for (icg, xp) in self.xg.chunks_exact(in_plane).enumerate() {
            for kh in kh0..kh1 {
                let ih = oh * p.stride_h + kh * p.dil_h - p.pad_top;
                f(&xp[ih * p.in_w..][..p.in_w], icg * kplane + kh * p.k_w);
            }
        }
    }

    /// `acc[c][r] += Σ_kw w[c][wo + kw] * x_row[s + r*sw + kw*dw]` for one kernel row, every tap
    /// inside the input. Rows longer than [`BLOCK`] taps are summed in blocks (see [`row_scalar`]).
    #[inline(always)]
    fn row_block<const OC: usize, const NW: usize, const UNIT: bool>(
        &self,
        acc: &mut [[f32; NW]; OC],
        xr: &[f32],
        wo: usize,
        s: usize,
    ) {
        let (k_w, sw, dw) = (self.p.k_w, self.cols.sw, self.cols.dw);
        let ws = self.wstride();
        let taps: [&[f32]; OC] = core::array::from_fn(|c| &self.w[c * ws + wo..][..k_w]);
        let step = |acc: &mut [[f32; NW]; OC], kw: usize| {
            let xs: [f32; NW] = if UNIT {
                let mut v = [0.0; NW];
                v.copy_from_slice(&xr[s + kw..s + kw + NW]);
                v
            } else {
                let b = s + kw * dw;
                core::array::from_fn(|r| xr[b + r * sw])
            };
            for (a, t) in acc.iter_mut().zip(&taps) {
                let wv = t[kw];
                for (ar, &xv) in a.iter_mut().zip(&xs) {
                    *ar += wv * xv;
                }
            }
        };
        if k_w <= BLOCK {
            for kw in 0..k_w {
                step(acc, kw);
            }
        } else {
            for kb in (0..k_w).step_by(BLOCK) {
                let mut part = [[0.0f32; NW]; OC];
                for kw in kb..(kb + BLOCK).min(k_w) {
                    step(&mut part, kw);
                }
                for (a, pr) in acc.iter_mut().zip(&part) {
                    for (x, &y) in a.iter_mut().zip(pr) {
                        *x += y;
                    }
                }
            }
        }
    }
}

/// `acc + Σ_kw taps[kw] * x(kw)` over the taps where `x` is `Some`: added to `acc` one by one
/// when the row has at most [`BLOCK`] taps, else each block of [`BLOCK`] taps summed from 0 and
/// then added (bounding rounding-error growth for long kernels) — the interior's arithmetic.
#[inline(always)]
fn row_scalar(mut acc: f32, taps: &[f32], x: impl Fn(usize) -> Option<f32>) -> f32 {
    if taps.len() <= BLOCK {
        for (kw, &wv) in taps.iter().enumerate() {
            if let Some(xv) = x(kw) {
                acc += wv * xv;
            }
        }
    } else {
        for (b, chunk) in taps.chunks(BLOCK).enumerate() {
            let mut part = 0.0f32;
            for (i, &wv) in chunk.iter().enumerate() {
                if let Some(xv) = x(b * BLOCK + i) {
                    part += wv * xv;
                }
            }
            acc += part;
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Rng};
    use std::vec::Vec;

    /// Direct 7-loop reference in f64.
    fn naive(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
        let mut out = std::vec![0.0f32; p.batch * p.c_out * p.out_h * p.out_w];
        for b in 0..p.batch {
            for oc in 0..p.c_out {
                let g = oc / cog;
                for oh in 0..p.out_h {
                    for ow in 0..p.out_w {
                        let mut s = bias.map_or(0.0, |b| b[oc] as f64);
                        for icg in 0..cig {
                            let ic = g * cig + icg;
                            for kh in 0..p.k_h {
                                for kw in 0..p.k_w {
                                    let ih = (oh * p.stride_h + kh * p.dil_h) as isize - p.pad_top as isize;
                                    let iw = (ow * p.stride_w + kw * p.dil_w) as isize - p.pad_left as isize;
                                    if ih < 0 || iw < 0 || ih >= p.in_h as isize || iw >= p.in_w as isize {
                                        continue;
                                    }
                                    let xv = x[((b * p.c_in + ic) * p.in_h + ih as usize) * p.in_w + iw as usize];
                                    let wv = w[((oc * cig + icg) * p.k_h + kh) * p.k_w + kw];
                                    s += xv as f64 * wv as f64;
                                }
                            }
                        }
                        out[((b * p.c_out + oc) * p.out_h + oh) * p.out_w + ow] = s as f32;
                    }
                }
            }
        }
        out
    }

    /// Output size per ONNX with explicit bottom/right padding.
    fn out_len(i: usize, k: usize, s: usize, d: usize, p0: usize, p1: usize) -> usize {
        (i + p0 + p1 - (d * (k - 1) + 1)) / s + 1
    }

    #[allow(clippy::too_many_arguments)]
    fn params(
        batch: usize,
        c_in: usize,
        c_out: usize,
        groups: usize,
        (in_h, in_w): (usize, usize),
        (k_h, k_w): (usize, usize),
        (stride_h, stride_w): (usize, usize),
        (dil_h, dil_w): (usize, usize),
        (pad_top, pad_left, pad_bottom, pad_right): (usize, usize, usize, usize),
    ) -> ConvParams {
        ConvParams {
            batch,
            c_in,
            c_out,
            groups,
            in_h,
            in_w,
            out_h: out_len(in_h, k_h, stride_h, dil_h, pad_top, pad_bottom),
            out_w: out_len(in_w, k_w, stride_w, dil_w, pad_left, pad_right),
            k_h,
            k_w,
            stride_h,
            stride_w,
            dil_h,
            dil_w,
            pad_top,
            pad_left,
        }
    }

    fn check(p: &ConvParams, rng: &mut Rng, with_bias: bool) {
        let x = rng.vec(p.batch * p.c_in * p.in_h * p.in_w, -1.0, 1.0);
        let w = rng.vec(p.c_out * (p.c_in / p.groups) * p.k_h * p.k_w, -1.0, 1.0);
        let bias = rng.vec(p.c_out, -1.0, 1.0);
        let bias = if with_bias { Some(&bias[..]) } else { None };
        let mut out = std::vec![f32::NAN; p.batch * p.c_out * p.out_h * p.out_w];
        conv2d(p, &x, &w, bias, &mut out);
        assert_close(&out, &naive(p, &x, &w, bias), 1e-5);
    }

    #[test]
    fn common_shapes() {
        let mut rng = Rng::new(61);
        // 3x3 same padding, 8 -> 8 channels (4-channel blocks)
        check(&params(1, 8, 8, 1, (6, 7), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1)), &mut rng, true);
        // stride 2, 5 output channels (block of 4 + remainder)
        check(&params(2, 3, 5, 1, (9, 9), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1)), &mut rng, true);
        // pointwise (GEMM path), grouped pointwise, pointwise with stride
        check(&params(2, 6, 10, 1, (4, 5), (1, 1), (1, 1), (1, 1), (0, 0, 0, 0)), &mut rng, true);
        check(&params(1, 6, 4, 2, (4, 5), (1, 1), (1, 1), (1, 1), (0, 0, 0, 0)), &mut rng, false);
        check(&params(1, 4, 4, 1, (5, 5), (1, 1), (2, 2), (1, 1), (0, 0, 0, 0)), &mut rng, true);
        // depthwise 3x3 with padding, dilation 2
        check(&params(1, 6, 6, 6, (8, 8), (3, 3), (1, 1), (2, 2), (2, 2, 2, 2)), &mut rng, true);
        // depthwise with channel multiplier 2
        check(&params(1, 3, 6, 3, (5, 6), (3, 2), (1, 2), (1, 1), (1, 0, 1, 1)), &mut rng, true);
        // asymmetric padding, no bias, kernel larger than input with padding
        check(&params(1, 2, 3, 1, (3, 3), (5, 5), (1, 1), (1, 1), (2, 1, 2, 3)), &mut rng, false);
    }

    #[test]
    fn one_d_and_long_depthwise() {
        let mut rng = Rng::new(62);
        // 1-D conv, "causal" left padding
        check(&params(2, 3, 4, 1, (1, 50), (1, 5), (1, 1), (1, 1), (0, 4, 0, 0)), &mut rng, true);
        // 1-D dilated, strided
        check(&params(1, 2, 2, 1, (1, 40), (1, 3), (1, 3), (1, 4), (0, 2, 0, 1)), &mut rng, true);
        // long depthwise 1-D kernel (FFT-free long conv), causal
        check(&params(1, 4, 4, 4, (1, 600), (1, 512), (1, 1), (1, 1), (0, 511, 0, 0)), &mut rng, true);
    }

    #[test]
    fn property_random_convs() {
        let mut rng = Rng::new(63);
        for _ in 0..150 {
            let groups = 1 + rng.below(3);
            let c_in = groups * (1 + rng.below(3));
            let c_out = groups * (1 + rng.below(6));
            let k = (1 + rng.below(4), 1 + rng.below(4));
            let s = (1 + rng.below(3), 1 + rng.below(3));
            let d = (1 + rng.below(2), 1 + rng.below(3));
            let pads = (rng.below(3), rng.below(3), rng.below(3), rng.below(3));
            let in_hw = (1 + rng.below(9), 1 + rng.below(12));
            // ensure at least one output position
            if in_hw.0 + pads.0 + pads.2 < d.0 * (k.0 - 1) + 1 || in_hw.1 + pads.1 + pads.3 < d.1 * (k.1 - 1) + 1 {
                continue;
            }
            let p = params(1 + rng.below(2), c_in, c_out, groups, in_hw, k, s, d, pads);
            let with_bias = rng.bool();
            check(&p, &mut rng, with_bias);
        }
    }

    #[test]
    fn empty_input_gives_bias() {
        let p = ConvParams {
            batch: 1,
            c_in: 2,
            c_out: 2,
            groups: 1,
            in_h: 0,
            in_w: 3,
            out_h: 2,
            out_w: 1,
            k_h: 1,
            k_w: 3,
            stride_h: 1,
            stride_w: 1,
            dil_h: 1,
            dil_w: 1,
            pad_top: 1,
            pad_left: 0,
        };
        let mut out = [0.0; 4];
        conv2d(&p, &[], &[1.0; 12], Some(&[5.0, 6.0]), &mut out);
        assert_eq!(out, [5.0, 5.0, 6.0, 6.0]);
    }

    #[test]
    fn scratch_is_zero() {
        const P: ConvParams = ConvParams {
            batch: 1,
            c_in: 1,
            c_out: 1,
            groups: 1,
            in_h: 1,
            in_w: 1,
            out_h: 1,
            out_w: 1,
            k_h: 1,
            k_w: 1,
            stride_h: 1,
            stride_w: 1,
            dil_h: 1,
            dil_w: 1,
            pad_top: 0,
            pad_left: 0,
        };
        const S: usize = conv2d_scratch_len(&P);
        assert_eq!(S, 0);
    }
}
