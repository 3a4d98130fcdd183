//! Element types of IR values and how generated code stores them.
//!
//! The IR is typed per value. Float graphs use [`DType::F32`] (and [`DType::Bool`] for masks); a
//! quantized graph adds the integer types of TFLite's int8 scheme: `I8`/`U8` activations and
//! weights, `I16` for state that int8 cannot hold (the 16x8 scheme), `I32` for biases and
//! accumulators. Each type has a storage type in generated code ([`DType::storage`]): booleans
//! are stored as `f32` 1.0 / 0.0, every other type as itself. The memory planner keeps one pool per
//! storage type, because safe Rust cannot view an `[f32; N]` arena as `i8`s.

use std::fmt;

/// Element type of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// IEEE-754 single precision.
    F32,
    /// Boolean, stored as f32 1.0 / 0.0.
    Bool,
    /// Signed 8-bit integer (quantized activations and weights).
    I8,
    /// Unsigned 8-bit integer (asymmetric activations from pre-quantized models).
    U8,
    /// Signed 16-bit integer (state and coefficients that int8 cannot hold).
    I16,
    /// Signed 32-bit integer (biases, accumulators).
    I32,
}

impl DType {
    /// Every type, in a fixed order.
    pub const ALL: [DType; 6] = [DType::F32, DType::Bool, DType::I8, DType::U8, DType::I16, DType::I32];

    /// The type generated code stores elements of this type as.
    pub fn storage(self) -> DType {
        match self {
            DType::Bool => DType::F32,
            t => t,
        }
    }

    /// Bytes per stored element.
    pub fn size(self) -> usize {
        match self.storage() {
            DType::I8 | DType::U8 => 1,
            DType::I16 => 2,
            _ => 4,
        }
    }

    /// The Rust element type of the storage (`f32`, `i8`, ...).
    pub fn rust_name(self) -> &'static str {
        match self.storage() {
            DType::I8 => "i8",
            DType::U8 => "u8",
            DType::I16 => "i16",
            DType::I32 => "i32",
            _ => "f32",
        }
    }

    /// True for the integer types.
    pub fn is_int(self) -> bool {
        matches!(self, DType::I8 | DType::U8 | DType::I16 | DType::I32)
    }

    /// The smallest and largest value of an integer type (`None` for floats and booleans).
    pub fn int_range(self) -> Option<(i64, i64)> {
        match self {
            DType::I8 => Some((i8::MIN.into(), i8::MAX.into())),
            DType::U8 => Some((0, u8::MAX.into())),
            DType::I16 => Some((i16::MIN.into(), i16::MAX.into())),
            DType::I32 => Some((i32::MIN.into(), i32::MAX.into())),
            DType::F32 | DType::Bool => None,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DType::Bool => "bool",
            t => t.rust_name(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_sizes_and_ranges() {
        let sizes: Vec<usize> = DType::ALL.iter().map(|t| t.size()).collect();
        assert_eq!(sizes, [4, 4, 1, 1, 2, 4]);
        assert_eq!(DType::Bool.storage(), DType::F32);
        assert_eq!(DType::I16.int_range(), Some((-32768, 32767)));
        assert_eq!(DType::F32.int_range(), None);
        assert_eq!(DType::Bool.to_string(), "bool");
        assert_eq!(DType::U8.to_string(), "u8");
    }
}
