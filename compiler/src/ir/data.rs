//! Typed constant data: the elements of a constant value, in the value's own type.
//!
//! Constants used to be `Vec<f32>`, which cannot hold an int32 bias above 2^24 exactly. Each
//! variant here holds its type's elements as they are; [`TensorData::f32s`] is the float view most
//! passes use, and [`TensorData::le_bytes`] is what the back end emits (little-endian, bit-exact).

use std::sync::Arc;

use super::DType;

/// A constant's elements, row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    /// `f32` elements (also booleans, as 1.0 / 0.0).
    F32(Arc<Vec<f32>>),
    /// `i8` elements.
    I8(Arc<Vec<i8>>),
    /// `u8` elements.
    U8(Arc<Vec<u8>>),
    /// `i16` elements.
    I16(Arc<Vec<i16>>),
    /// `i32` elements.
    I32(Arc<Vec<i32>>),
}

impl TensorData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(d) => d.len(),
            TensorData::I8(d) => d.len(),
            TensorData::U8(d) => d.len(),
            TensorData::I16(d) => d.len(),
            TensorData::I32(d) => d.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The storage type of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            TensorData::F32(_) => DType::F32,
            TensorData::I8(_) => DType::I8,
            TensorData::U8(_) => DType::U8,
            TensorData::I16(_) => DType::I16,
            TensorData::I32(_) => DType::I32,
        }
    }

    /// The elements, if they are `f32`s.
    pub fn f32s(&self) -> Option<&[f32]> {
        match self {
            TensorData::F32(d) => Some(d),
            _ => None,
        }
    }

    /// Every element widened to `i64`, if the elements are integers.
    pub fn ints(&self) -> Option<Vec<i64>> {
        match self {
            TensorData::F32(_) => None,
            TensorData::I8(d) => Some(d.iter().map(|&x| x.into()).collect()),
            TensorData::U8(d) => Some(d.iter().map(|&x| x.into()).collect()),
            TensorData::I16(d) => Some(d.iter().map(|&x| x.into()).collect()),
            TensorData::I32(d) => Some(d.iter().map(|&x| x.into()).collect()),
        }
    }

    /// The elements as little-endian bytes: the emitted form, and an exact identity (two
    /// constants of the same type and shape are the same constant when these bytes are equal;
    /// `+0.0` and `-0.0` differ).
    pub fn le_bytes(&self) -> Vec<u8> {
        match self {
            TensorData::F32(d) => d.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I8(d) => d.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::U8(d) => d.to_vec(),
            TensorData::I16(d) => d.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I32(d) => d.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }
}

impl From<Vec<f32>> for TensorData {
    fn from(d: Vec<f32>) -> Self {
        TensorData::F32(Arc::new(d))
    }
}

impl From<Vec<i8>> for TensorData {
    fn from(d: Vec<i8>) -> Self {
        TensorData::I8(Arc::new(d))
    }
}

impl From<Vec<u8>> for TensorData {
    fn from(d: Vec<u8>) -> Self {
        TensorData::U8(Arc::new(d))
    }
}

impl From<Vec<i16>> for TensorData {
    fn from(d: Vec<i16>) -> Self {
        TensorData::I16(Arc::new(d))
    }
}

impl From<Vec<i32>> for TensorData {
    fn from(d: Vec<i32>) -> Self {
        TensorData::I32(Arc::new(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int32_constants_keep_every_bit() {
        let big = (1 << 24) + 1; // not representable in f32
        let d = TensorData::from(vec![big, -7]);
        assert_eq!(d.ints(), Some(vec![big as i64, -7]));
        assert_eq!(d.le_bytes(), [1, 0, 0, 1, 249, 255, 255, 255]);
        assert_eq!(d.dtype(), DType::I32);
        assert_eq!(d.f32s(), None);
    }

    #[test]
    fn signed_zeros_are_different_constants() {
        assert_ne!(TensorData::from(vec![0.0f32]).le_bytes(), TensorData::from(vec![-0.0f32]).le_bytes());
    }
}
