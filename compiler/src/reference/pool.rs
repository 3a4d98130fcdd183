//! `Op::Pool`: max / sum / average over windows of the spatial axes of `x [N, C, (H,) W]`.
//!
//! Output `[n, c, oh, ow]` pools the input positions `(oh·sh + kh·dh − ph, ow·sw + kw·dw − pw)`
//! that lie inside `x`, row by row. Max folds with `f32::max` from −∞ (padding ignored; −∞ if the
//! window sees only padding); Sum adds them from 0.0 (padding counts 0); Avg divides the sum by
//! the number of positions inside `x`, or by the full window size `kh·kw` with
//! `count_include_pad`. A 1-D pool is the 2-D one with a height of 1.

use super::conv::taps;
use crate::ir::{Pool, PoolKind};

/// Per-axis parameter as (height, width), or why the geometry does not have that many axes.
fn pair(v: &[usize], spatial: usize, h_default: usize) -> Result<(usize, usize), String> {
    match (spatial, v) {
        (1, &[w]) => Ok((h_default, w)),
        (2, &[h, w]) => Ok((h, w)),
        _ => Err(format!("pool geometry {v:?} does not have {spatial} spatial axes")),
    }
}

/// See the module docs.
pub(super) fn pool(p: &Pool, x: &[f32], shape: &[usize], out_shape: &[usize]) -> Result<Vec<f32>, String> {
    let sp = p.kernel.len();
    let (kh, kw) = pair(&p.kernel, sp, 1)?;
    let (sh, sw) = pair(&p.stride, sp, 1)?;
    let (dh, dw) = pair(&p.dilation, sp, 1)?;
    let (ph, pw) = pair(&p.pad_before, sp, 0)?;
    let (planes, h, w) = match *shape {
        [n, c, w] => (n * c, 1, w),
        [n, c, h, w] => (n * c, h, w),
        _ => return Err(format!("pool input {shape:?} is neither [N, C, W] nor [N, C, H, W]")),
    };
    let (oh, ow) = match *out_shape {
        [_, _, ow] => (1, ow),
        [_, _, oh, ow] => (oh, ow),
        _ => return Err(format!("pool output {out_shape:?} is neither [N, C, W] nor [N, C, H, W]")),
    };
    let mut out = Vec::with_capacity(planes * oh * ow);
    for plane in 0..planes {
        let xp = &x[plane * h * w..(plane + 1) * h * w];
        for y in 0..oh {
            for xo in 0..ow {
                let (mut max, mut sum, mut inside) = (f32::NEG_INFINITY, 0.0f32, 0usize);
                for ky in taps(y, sh, dh, ph, kh, h) {
                    let iy = y * sh + ky * dh - ph;
                    for kx in taps(xo, sw, dw, pw, kw, w) {
                        let ix = xo * sw + kx * dw - pw;
                        let v = xp[iy * w + ix];
                        max = max.max(v);
                        sum += v;
                        inside += 1;
                    }
                }
                out.push(match p.kind {
                    PoolKind::Max => max,
                    PoolKind::Sum => sum,
                    PoolKind::Avg { count_include_pad: false } => sum / inside as f32,
                    PoolKind::Avg { count_include_pad: true } => sum / (kh * kw) as f32,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(kind: PoolKind, kernel: &[usize], stride: &[usize], pad: &[usize]) -> Pool {
        Pool {
            kind,
            kernel: kernel.to_vec(),
            stride: stride.to_vec(),
            dilation: vec![1; kernel.len()],
            pad_before: pad.to_vec(),
        }
    }

    #[test]
    fn pool1d_with_padding_by_hand() {
        // x = [1, -2, 3, 4], kernel 3, stride 2, pad 1 before (and 1 after): windows
        // [pad, 1, −2], [−2, 3, 4]
        let x = [1.0f32, -2.0, 3.0, 4.0];
        let run = |kind| pool(&geometry(kind, &[3], &[2], &[1]), &x, &[1, 1, 4], &[1, 1, 2]).unwrap();
        assert_eq!(run(PoolKind::Max), vec![1.0, 4.0]);
        assert_eq!(run(PoolKind::Sum), vec![-1.0, 5.0]);
        assert_eq!(run(PoolKind::Avg { count_include_pad: false }), vec![-0.5, 5.0 / 3.0]);
        assert_eq!(run(PoolKind::Avg { count_include_pad: true }), vec![-1.0 / 3.0, 5.0 / 3.0]);
    }

    #[test]
    fn pool2d_two_planes_and_a_bad_geometry_is_an_error() {
        // two 2×3 planes, 2×2 max windows, stride 1 → 1×2 per plane
        let x = [1.0f32, 5.0, 2.0, 3.0, 0.0, 7.0, -1.0, -5.0, -2.0, -3.0, -4.0, -7.0];
        let out = pool(&geometry(PoolKind::Max, &[2, 2], &[1, 1], &[0, 0]), &x, &[1, 2, 2, 3], &[1, 2, 1, 2]).unwrap();
        assert_eq!(out, vec![5.0, 7.0, -1.0, -2.0]);
        let bad = Pool { stride: vec![1], ..geometry(PoolKind::Max, &[2, 2], &[1, 1], &[0, 0]) };
        assert!(pool(&bad, &x, &[1, 2, 2, 3], &[1, 2, 1, 2]).is_err());
    }
}
