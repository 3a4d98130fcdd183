//! Convolution (`Op::Conv`), 1-D and 2-D, with stride, dilation, zero padding, groups and bias.
//!
//! `out[n, o, oh, ow] = Σ_{c < C/g, kh, kw} x[n, g·C/g + c, oh·sh + kh·dh − ph, ow·sw + kw·dw − pw]
//! · w[o, c, kh, kw] (+ bias[o])`, where `g = o / (O/groups)` is the output channel's group and an
//! input position outside `x` is the zero padding. A 1-D convolution is the 2-D one with a height
//! of 1. The sum runs from 0.0 over `c`, then `kh`, then `kw`; the bias is added last.

use crate::ir::Conv;
use std::ops::Range;

/// A 1-D geometry as 2-D: `[N, C, W]` → `[N, C, 1, W]`.
fn as_2d(shape: &[usize]) -> [usize; 4] {
    match *shape {
        [n, c, w] => [n, c, 1, w],
        [n, c, h, w] => [n, c, h, w],
        _ => [0; 4],
    }
}

/// Per-axis parameter as (height, width); a 1-D parameter gets `h_default` for the height.
fn pair(v: &[usize], h_default: usize) -> Result<(usize, usize), String> {
    match *v {
        [w] => Ok((h_default, w)),
        [h, w] => Ok((h, w)),
        _ => Err(format!("convolution geometry {v:?} has neither 1 nor 2 spatial axes")),
    }
}

/// The kernel taps `k < klen` whose input position `o·stride + k·dilation − pad` lies inside
/// `0..len`: one contiguous range, so the loops below visit only those and never test the
/// padding per tap (a causal convolution's taps are half padding).
pub(super) fn taps(o: usize, stride: usize, dilation: usize, pad: usize, klen: usize, len: usize) -> Range<usize> {
    let start = o * stride; // padded position of tap 0
    let inside = |p: usize| p >= pad && p < pad + len;
    if dilation == 0 {
        return if inside(start) { 0..klen } else { 0..0 };
    }
    // first k with start + k·d ≥ pad; last k with start + k·d < pad + len
    let lo = pad.saturating_sub(start).div_ceil(dilation);
    let hi = if start < pad + len { ((pad + len - 1 - start) / dilation + 1).min(klen) } else { 0 };
    lo.min(hi)..hi
}

/// See the module docs. Shapes are the verifier's: `x [N, C, (H,) W]`, `w [O, C/groups, (kh,) kw]`.
pub(super) fn conv(
    c: &Conv,
    x: &[f32],
    x_shape: &[usize],
    w: &[f32],
    w_shape: &[usize],
    bias: Option<&[f32]>,
    out_shape: &[usize],
) -> Result<Vec<f32>, String> {
    let [n, ch, h, wd] = as_2d(x_shape);
    let [o_ch, cg, kh, kw] = as_2d(w_shape);
    let [_, _, oh, ow] = as_2d(out_shape);
    let (sh, sw) = pair(&c.stride, 1)?;
    let (dh, dw) = pair(&c.dilation, 1)?;
    let (ph, pw) = pair(&c.pad_before, 0)?;
    let per_group = o_ch / c.groups.max(1);
    let mut out = vec![0.0f32; n * o_ch * oh * ow];
    let mut at = 0;
    for b in 0..n {
        for o in 0..o_ch {
            let first_c = (o / per_group.max(1)) * cg;
            for y in 0..oh {
                for xo in 0..ow {
                    let mut acc = 0.0f32;
                    let (rows, cols) = (taps(y, sh, dh, ph, kh, h), taps(xo, sw, dw, pw, kw, wd));
                    for ci in 0..cg {
                        for ky in rows.clone() {
                            let iy = y * sh + ky * dh - ph;
                            let x_row = ((b * ch + first_c + ci) * h + iy) * wd;
                            let w_row = ((o * cg + ci) * kh + ky) * kw;
                            for kx in cols.clone() {
                                let ix = xo * sw + kx * dw - pw;
                                acc += x[x_row + ix] * w[w_row + kx];
                            }
                        }
                    }
                    out[at] = acc + bias.map_or(0.0, |bs| bs[o]);
                    at += 1;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(stride: &[usize], dilation: &[usize], pad: &[usize], groups: usize) -> Conv {
        Conv { stride: stride.to_vec(), dilation: dilation.to_vec(), pad_before: pad.to_vec(), groups }
    }

    #[test]
    fn taps_are_exactly_the_positions_inside_the_input() {
        for (o, stride, dilation, pad, klen, len) in (0usize..6).flat_map(|o| {
            (1..4).flat_map(move |s| {
                (0..4).flat_map(move |d| {
                    (0..5).flat_map(move |p| (1..6).flat_map(move |k| (0..5).map(move |l| (o, s, d, p, k, l))))
                })
            })
        }) {
            let want: Vec<usize> =
                (0..klen).filter(|&k| (o * stride + k * dilation).checked_sub(pad).is_some_and(|i| i < len)).collect();
            let got: Vec<usize> = taps(o, stride, dilation, pad, klen, len).collect();
            assert_eq!(got, want, "o={o} s={stride} d={dilation} pad={pad} k={klen} len={len}");
        }
    }

    #[test]
    fn conv1d_stride_dilation_padding_bias_by_hand() {
        // x = [1, 2, 3, 4, 5], w = [1, 10] with dilation 2, stride 2, pad 1 before:
        // padded xp = [0, 1, 2, 3, 4, 5]; out[j] = xp[2j]·1 + xp[2j+2]·10 + bias
        let x = [1.0f32, 2.0, 3.0, 4.0, 5.0];
        let out =
            conv(&geometry(&[2], &[2], &[1], 1), &x, &[1, 1, 5], &[1.0, 10.0], &[1, 1, 2], Some(&[0.5]), &[1, 1, 2])
                .unwrap();
        assert_eq!(out, vec![0.0 + 20.0 + 0.5, 2.0 + 40.0 + 0.5]);
    }

    #[test]
    fn conv2d_groups_match_a_naive_f64_convolution() {
        // N=1, C=4, H=5, W=6, O=6, groups=2, kernel 3×2, stride (2,1), dilation (1,2), pad (1,2)
        let (c, h, wd, o, g, kh, kw) = (4usize, 5usize, 6usize, 6usize, 2usize, 3usize, 2usize);
        let x: Vec<f32> = (0..c * h * wd).map(|i| ((i * 7 % 13) as f32 - 6.0) / 4.0).collect();
        let w: Vec<f32> = (0..o * (c / g) * kh * kw).map(|i| ((i * 5 % 11) as f32 - 5.0) / 8.0).collect();
        let bias: Vec<f32> = (0..o).map(|i| i as f32 * 0.25).collect();
        let (sh, sw, dh, dw, ph, pw) = (2usize, 1usize, 1usize, 2usize, 1usize, 2usize);
        let oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        let ow = (wd + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        let got = conv(
            &geometry(&[sh, sw], &[dh, dw], &[ph, pw], g),
            &x,
            &[1, c, h, wd],
            &w,
            &[o, c / g, kh, kw],
            Some(&bias),
            &[1, o, oh, ow],
        )
        .unwrap();
        let mut k = 0;
        for oc in 0..o {
            let grp = oc / (o / g);
            for y in 0..oh {
                for xo in 0..ow {
                    let mut s = bias[oc] as f64;
                    for ci in 0..c / g {
                        for a in 0..kh {
                            for b in 0..kw {
                                let iy = (y * sh + a * dh) as i64 - ph as i64;
                                let ix = (xo * sw + b * dw) as i64 - pw as i64;
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < wd {
                                    let xv = x[((grp * (c / g) + ci) * h + iy as usize) * wd + ix as usize] as f64;
                                    s += xv * w[((oc * (c / g) + ci) * kh + a) * kw + b] as f64;
                                }
                            }
                        }
                    }
                    assert!((got[k] as f64 - s).abs() < 1e-5, "out[{oc},{y},{xo}] = {} want {s}", got[k]);
                    k += 1;
                }
            }
        }
    }

    #[test]
    fn windows_in_the_trailing_padding_give_the_bias() {
        // golden case conv_trailing_padding_windows: X [1,1,1,9] = 0..8, kernel [1,2] of ones,
        // strides [1,3], pads [0,0,0,3] → 4 outputs, the last window wholly in the padding.
        let x: Vec<f32> = (0..9).map(|i| i as f32).collect();
        let out = conv(
            &geometry(&[1, 3], &[1, 1], &[0, 0], 1),
            &x,
            &[1, 1, 1, 9],
            &[1.0, 1.0],
            &[1, 1, 1, 2],
            Some(&[0.5]),
            &[1, 1, 1, 4],
        )
        .unwrap();
        assert_eq!(out, vec![1.5, 7.5, 13.5, 0.5]);
    }
}
