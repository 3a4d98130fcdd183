//! Disjoint views into one activation arena, without `unsafe`.
//!
//! Generated code keeps every intermediate tensor in an arena (`[f32; ARENA_LEN]`, and one array
//! per integer type an int8 model uses) at offsets fixed by ecgc's memory planner. A node reads some ranges and writes one; the planner guarantees the
//! written range overlaps none of the read ones, which is what lets [`split`] hand out one
//! `&mut` and several `&` views through `split_at_mut`. Ranges are `(start, end)` element indices.
//! A range that breaks that guarantee (a compiler bug) yields an empty slice rather than a panic.

/// Splits `arena` into the output range (mutable) and `N` input ranges (shared).
///
/// Always inlined: generated code calls it with constant ranges, so every check folds away and a
/// node's views cost nothing at run time.
#[inline(always)]
pub fn split<T, const N: usize>(
    arena: &mut [T],
    out: (usize, usize),
    ins: [(usize, usize); N],
) -> (&mut [T], [&[T]; N]) {
    let len = arena.len();
    let start = if out.0 < len { out.0 } else { len };
    let (left, rest) = arena.split_at_mut(start);
    let mid_len = out.1.saturating_sub(out.0);
    let mid_len = if mid_len < rest.len() { mid_len } else { rest.len() };
    let (mid, right) = rest.split_at_mut(mid_len);
    let left: &[T] = left;
    let right: &[T] = right;
    let end = start + mid_len;
    // A plain loop rather than `ins.map(..)`, whose out-of-line `try_map` would survive inlining.
    let mut views: [&[T]; N] = [&[]; N];
    for (v, &(s, e)) in views.iter_mut().zip(&ins) {
        *v = if e <= start {
            left.get(s..e).unwrap_or(&[])
        } else if s >= end {
            right.get(s - end..e.saturating_sub(end)).unwrap_or(&[])
        } else {
            &[]
        };
    }
    (mid, views)
}

/// A shared view of one range (empty if out of bounds). Inlined, as [`split`].
#[inline(always)]
pub fn view<T>(arena: &[T], range: (usize, usize)) -> &[T] {
    arena.get(range.0..range.1).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_gives_disjoint_views() {
        let mut a = [0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let (out, [x, y]) = split(&mut a, (2, 4), [(0, 2), (5, 8)]);
        assert_eq!(x, &[0.0, 1.0]);
        assert_eq!(y, &[5.0, 6.0, 7.0]);
        out[0] = x[1] + y[0];
        assert_eq!(a[2], 6.0);
    }

    #[test]
    fn overlapping_or_out_of_range_requests_are_empty_not_panics() {
        let mut a = [0.0f32; 4];
        let (out, [x, y]) = split(&mut a, (1, 3), [(0, 2), (3, 9)]);
        assert_eq!(out.len(), 2);
        assert!(x.is_empty() && y.is_empty());
        let (out, []) = split(&mut a, (3, 10), []);
        assert_eq!(out.len(), 1);
        assert!(view(&a, (2, 9)).is_empty());
    }
}
