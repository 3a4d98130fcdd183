//! Strided indexing shared by every op family: row-major strides, numpy broadcast strides, and a
//! multi-index that walks a shape in row-major order.
//!
//! Why one helper: every op of the interpreter is written as "for each output index, read the
//! operands at these offsets". Keeping the index arithmetic in one place (and out of the op files)
//! is what makes each op's loop short enough to check against its IR doc by eye.

/// Row-major strides of `shape` (in elements; the last axis has stride 1).
pub(super) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1].saturating_mul(shape[d + 1]);
    }
    s
}

/// Strides for reading an operand of shape `operand` at an index of `out` under numpy
/// broadcasting: shapes are aligned on the right, and an axis the operand lacks or has with
/// extent 1 gets stride 0 (every output index along it reads the same element).
pub(super) fn broadcast_strides(operand: &[usize], out: &[usize]) -> Vec<usize> {
    let own = strides(operand);
    let lead = out.len().saturating_sub(operand.len());
    (0..out.len())
        .map(|d| match d.checked_sub(lead) {
            Some(k) if operand[k] != 1 => own[k],
            _ => 0,
        })
        .collect()
}

/// `Σ idx[d] · strides[d]`: the offset of a multi-index.
pub(super) fn offset(idx: &[usize], strides: &[usize]) -> usize {
    idx.iter().zip(strides).map(|(i, s)| i * s).sum()
}

/// Number of elements of a shape.
pub(super) fn count(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Walks every multi-index of a shape in row-major order (last axis fastest). A scalar shape has
/// one (empty) index; a shape with a zero extent has none.
///
/// ```ignore
/// let mut it = MultiIndex::new(&[2, 3]);
/// while let Some(idx) = it.next_index() { /* [0,0], [0,1], …, [1,2] */ }
/// ```
pub(super) struct MultiIndex {
    shape: Vec<usize>,
    idx: Vec<usize>,
    state: State,
}

enum State {
    Fresh,
    Running,
    Done,
}

impl MultiIndex {
    /// Starts before the first index of `shape`.
    pub(super) fn new(shape: &[usize]) -> MultiIndex {
        MultiIndex { shape: shape.to_vec(), idx: vec![0; shape.len()], state: State::Fresh }
    }

    /// Starts over from before the first index (no allocation: for an inner loop).
    pub(super) fn restart(&mut self) {
        self.idx.fill(0);
        self.state = State::Fresh;
    }

    /// The next index, or `None` when every index has been visited.
    pub(super) fn next_index(&mut self) -> Option<&[usize]> {
        match self.state {
            State::Fresh => {
                if self.shape.contains(&0) {
                    self.state = State::Done;
                    return None;
                }
                self.state = State::Running;
                Some(&self.idx)
            }
            State::Running => {
                for d in (0..self.shape.len()).rev() {
                    self.idx[d] += 1;
                    if self.idx[d] < self.shape[d] {
                        return Some(&self.idx);
                    }
                    self.idx[d] = 0;
                }
                self.state = State::Done;
                None
            }
            State::Done => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(shape: &[usize]) -> Vec<Vec<usize>> {
        let mut it = MultiIndex::new(shape);
        let mut v = vec![];
        while let Some(i) = it.next_index() {
            v.push(i.to_vec());
        }
        v
    }

    #[test]
    fn multi_index_is_row_major_and_handles_scalars_and_empty_shapes() {
        assert_eq!(all(&[2, 3]), vec![vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 0], vec![1, 1], vec![1, 2]]);
        assert_eq!(all(&[]), vec![Vec::<usize>::new()]);
        assert!(all(&[3, 0, 2]).is_empty());
        assert_eq!(all(&[1, 1, 2]).len(), 2);
        let mut it = MultiIndex::new(&[2]);
        while it.next_index().is_some() {}
        it.restart();
        assert_eq!(it.next_index(), Some(&[0][..]));
    }

    #[test]
    fn strides_and_broadcast_strides() {
        assert_eq!(strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(strides(&[]), Vec::<usize>::new());
        // [3, 1] read at an index of [2, 3, 5]: missing leading axis and extent-1 axis → 0.
        assert_eq!(broadcast_strides(&[3, 1], &[2, 3, 5]), vec![0, 1, 0]);
        assert_eq!(broadcast_strides(&[], &[4]), vec![0]);
        assert_eq!(offset(&[1, 2, 3], &strides(&[2, 3, 4])), 12 + 8 + 3);
    }
}
