//! `Op::EinSum`: `out[o] = Σ_{summed axes} a[..] · b[..]`. Each index letter ([`EinAxis`]) has a
//! size and a position in `a`, `b` and the output, each optional; a letter absent from the output
//! is summed over (also when only one operand, or neither, carries it). Output positions are
//! visited in row-major order; for each, the summed letters run in row-major order (in the order
//! they are listed), accumulating in f32 from 0.0.

use super::index::{count, offset, strides, MultiIndex};
use crate::ir::{EinAxis, EinSum};

/// Stride of a letter in an operand (0 when the operand does not carry it).
fn stride_in(pos: Option<usize>, s: &[usize]) -> usize {
    pos.and_then(|p| s.get(p).copied()).unwrap_or(0)
}

/// See the module docs.
pub(super) fn einsum(
    e: &EinSum,
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
    out_shape: &[usize],
) -> Vec<f32> {
    let (sa, sb) = (strides(a_shape), strides(b_shape));
    let mut kept: Vec<&EinAxis> = e.axes.iter().filter(|x| x.out.is_some()).collect();
    kept.sort_by_key(|x| x.out);
    let summed: Vec<&EinAxis> = e.axes.iter().filter(|x| x.out.is_none()).collect();
    let split = |axes: &[&EinAxis]| -> (Vec<usize>, Vec<usize>, Vec<usize>) {
        (
            axes.iter().map(|x| x.size).collect(),
            axes.iter().map(|x| stride_in(x.a, &sa)).collect(),
            axes.iter().map(|x| stride_in(x.b, &sb)).collect(),
        )
    };
    let (out_sizes, out_a, out_b) = split(&kept);
    let (sum_sizes, sum_a, sum_b) = split(&summed);
    let mut out = Vec::with_capacity(count(out_shape));
    let mut it = MultiIndex::new(&out_sizes);
    let mut r = MultiIndex::new(&sum_sizes);
    while let Some(o) = it.next_index() {
        let (base_a, base_b) = (offset(o, &out_a), offset(o, &out_b));
        let mut acc = 0.0f32;
        r.restart();
        while let Some(s) = r.next_index() {
            acc += a[base_a + offset(s, &sum_a)] * b[base_b + offset(s, &sum_b)];
        }
        out.push(acc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ax(size: usize, a: Option<usize>, b: Option<usize>, out: Option<usize>) -> EinAxis {
        EinAxis { size, a, b, out }
    }

    #[test]
    fn matmul_and_transposed_output_by_naive_loops() {
        // mk,kn->mn with m=2, k=3, n=4, and the same with the output transposed (nm)
        let a: Vec<f32> = (0..6).map(|i| i as f32 - 2.0).collect();
        let b: Vec<f32> = (0..12).map(|i| (i as f32) * 0.5 - 1.0).collect();
        let mn = EinSum {
            axes: vec![ax(2, Some(0), None, Some(0)), ax(3, Some(1), Some(0), None), ax(4, None, Some(1), Some(1))],
        };
        let got = einsum(&mn, &a, &[2, 3], &b, &[3, 4], &[2, 4]);
        let nm = EinSum {
            axes: vec![ax(2, Some(0), None, Some(1)), ax(3, Some(1), Some(0), None), ax(4, None, Some(1), Some(0))],
        };
        let got_t = einsum(&nm, &a, &[2, 3], &b, &[3, 4], &[4, 2]);
        for m in 0..2 {
            for n in 0..4 {
                let want: f64 = (0..3).map(|k| a[m * 3 + k] as f64 * b[k * 4 + n] as f64).sum();
                assert_eq!(got[m * 4 + n] as f64, want);
                assert_eq!(got_t[n * 2 + m] as f64, want);
            }
        }
    }

    #[test]
    fn batch_broadcast_outer_product_and_one_sided_sum() {
        // bmk,kn->bmn with b broadcast from a only: a [2,1,2], b [2,3]
        let a = [1.0f32, 2.0, 3.0, 4.0];
        let b = [1.0f32, 0.0, -1.0, 2.0, 1.0, 0.5];
        let e = EinSum {
            axes: vec![
                ax(2, Some(0), None, Some(0)),
                ax(1, Some(1), None, Some(1)),
                ax(2, Some(2), Some(0), None),
                ax(3, None, Some(1), Some(2)),
            ],
        };
        let got = einsum(&e, &a, &[2, 1, 2], &b, &[2, 3], &[2, 1, 3]);
        assert_eq!(got, vec![5.0, 2.0, 0.0, 11.0, 4.0, -1.0]);
        // i,j->ij outer product
        let e = EinSum { axes: vec![ax(2, Some(0), None, Some(0)), ax(3, None, Some(0), Some(1))] };
        assert_eq!(
            einsum(&e, &[2.0, 3.0], &[2], &[1.0, 10.0, 100.0], &[3], &[2, 3]),
            vec![2.0, 20.0, 200.0, 3.0, 30.0, 300.0]
        );
        // ik,j->i: k summed over a alone, j summed over b alone: (Σ_k a[i,k]) · (Σ_j b[j])
        let e = EinSum {
            axes: vec![ax(2, Some(0), None, Some(0)), ax(2, Some(1), None, None), ax(3, None, Some(0), None)],
        };
        assert_eq!(einsum(&e, &[1.0, 2.0, 3.0, 4.0], &[2, 2], &[1.0, 1.0, 2.0], &[3], &[2]), vec![12.0, 28.0]);
    }
}
