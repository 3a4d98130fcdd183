//! Turning embedded little-endian bytes into `f32` and integer arrays at compile time.

/// Decodes `N` little-endian `f32`s from `B == 4 * N` bytes, in a `const` context:
///
/// ```
/// static W: [f32; 2] = ecgc_kernels::weights::f32s_from_le(&[0, 0, 128, 63, 0, 0, 0, 192]);
/// assert_eq!(W, [1.0, -2.0]);
/// ```
///
/// Generated code writes `static W: [f32; 64] = f32s_from_le(include_bytes!("w.bin"));`.
/// Bits are copied exactly (NaN payloads and `-0.0` included). If `B != 4 * N` the program does
/// not compile (the check is an inline `const` block, evaluated at monomorphisation), so there is
/// no run-time failure path:
///
/// ```compile_fail
/// static W: [f32; 2] = ecgc_kernels::weights::f32s_from_le(&[0u8; 7]);
/// ```
pub const fn f32s_from_le<const N: usize, const B: usize>(bytes: &[u8; B]) -> [f32; N] {
    const {
        assert!(B == 4 * N, "f32s_from_le: byte length must be 4 * N");
    }
    let mut out = [0.0f32; N];
    let mut i = 0;
    while i < N {
        let j = 4 * i;
        let word = u32::from_le_bytes([bytes[j], bytes[j + 1], bytes[j + 2], bytes[j + 3]]);
        out[i] = f32::from_bits(word);
        i += 1;
    }
    out
}

/// Decodes packed weight tiles (`NT` tiles of `K` rows of `T` floats, in that order) from
/// `B == 4 * NT * K * T` little-endian bytes, in a `const` context; as [`f32s_from_le`], a wrong
/// length does not compile. Generated code writes
/// `static W_T8: [[[f32; 8]; 128]; 32] = tiles_from_le(include_bytes!("w_t8.bin"));` for the
/// [`dense`](crate::dense) kernel.
pub const fn tiles_from_le<const T: usize, const K: usize, const NT: usize, const B: usize>(
    bytes: &[u8; B],
) -> [[[f32; T]; K]; NT] {
    const {
        assert!(B == 4 * NT * K * T, "tiles_from_le: byte length must be 4 * NT * K * T");
    }
    let mut out = [[[0.0f32; T]; K]; NT];
    let (mut t, mut j) = (0, 0);
    while t < NT {
        let mut k = 0;
        while k < K {
            let mut c = 0;
            while c < T {
                out[t][k][c] = f32::from_bits(u32::from_le_bytes([bytes[j], bytes[j + 1], bytes[j + 2], bytes[j + 3]]));
                j += 4;
                c += 1;
            }
            k += 1;
        }
        t += 1;
    }
    out
}

/// Decodes `N` words of four `i8`s (the packed weight rows of the int8 kernels, `[[i8; 4]; N]`)
/// from `B == 4 * N` bytes, in a `const` context; a wrong length does not compile.
pub const fn i8_words_from_le<const N: usize, const B: usize>(bytes: &[u8; B]) -> [[i8; 4]; N] {
    const {
        assert!(B == 4 * N, "i8_words_from_le: byte length must be 4 * N");
    }
    let mut out = [[0i8; 4]; N];
    let mut i = 0;
    while i < N {
        let mut b = 0;
        while b < 4 {
            out[i][b] = bytes[4 * i + b] as i8;
            b += 1;
        }
        i += 1;
    }
    out
}

/// One decoder per integer type, as [`f32s_from_le`]: `N` elements from `B == size · N` bytes.
macro_rules! ints_from_le {
    ($($(#[$doc:meta])* $name:ident: $t:ty, $size:literal;)*) => {$(
        $(#[$doc])*
        ///
        /// A wrong byte length does not compile (an inline `const` assertion).
        pub const fn $name<const N: usize, const B: usize>(bytes: &[u8; B]) -> [$t; N] {
            const {
                assert!(B == $size * N, "ints_from_le: byte length must be size * N");
            }
            let mut out = [0 as $t; N];
            let mut i = 0;
            while i < N {
                let mut word = [0u8; $size];
                let mut b = 0;
                while b < $size {
                    word[b] = bytes[$size * i + b];
                    b += 1;
                }
                out[i] = <$t>::from_le_bytes(word);
                i += 1;
            }
            out
        }
    )*};
}

ints_from_le! {
    /// Decodes `N` `i8`s: `static W: [i8; 64] = i8s_from_le(include_bytes!("w.bin"));`.
    i8s_from_le: i8, 1;
    /// Decodes `N` `u8`s.
    u8s_from_le: u8, 1;
    /// Decodes `N` little-endian `i16`s.
    i16s_from_le: i16, 2;
    /// Decodes `N` little-endian `i32`s (biases: every bit kept, unlike an `f32` detour).
    i32s_from_le: i32, 4;
}

#[cfg(test)]
mod tests {
    use super::{f32s_from_le, i16s_from_le, i32s_from_le, i8s_from_le, tiles_from_le, u8s_from_le};

    #[test]
    fn integers_keep_their_bits() {
        static I: [i32; 2] = i32s_from_le(&[1, 0, 0, 1, 0xf9, 0xff, 0xff, 0xff]);
        assert_eq!(I, [(1 << 24) + 1, -7]);
        assert_eq!(i16s_from_le::<2, 4>(&[0x00, 0x80, 0xff, 0x7f]), [i16::MIN, i16::MAX]);
        assert_eq!(i8s_from_le::<3, 3>(&[0x80, 0x00, 0x7f]), [-128, 0, 127]);
        assert_eq!(u8s_from_le::<2, 2>(&[0, 255]), [0, 255]);
        assert_eq!(super::i8_words_from_le::<2, 8>(&[0x80, 1, 2, 3, 4, 5, 6, 0xff]), [[-128, 1, 2, 3], [4, 5, 6, -1]]);
    }

    #[test]
    fn tiles_keep_the_byte_order() {
        let bytes: [u8; 48] = core::array::from_fn(|i| if i % 4 == 3 { 0x3f } else { 0 });
        static T: [[[f32; 2]; 3]; 2] = tiles_from_le(&[0u8; 48]);
        assert_eq!(T, [[[0.0; 2]; 3]; 2]);
        let t: [[[f32; 2]; 3]; 2] = tiles_from_le(&bytes);
        assert!(t.iter().flatten().flatten().all(|&x| x == f32::from_bits(0x3f00_0000)));
    }

    const BYTES: [u8; 16] = [
        0x00, 0x00, 0x80, 0x3f, // 1.0
        0x00, 0x00, 0x00, 0x80, // -0.0
        0x01, 0x00, 0xc0, 0x7f, // NaN with payload
        0x00, 0x00, 0x80, 0xff, // -inf
    ];
    static W: [f32; 4] = f32s_from_le(&BYTES);

    #[test]
    fn decodes_bit_exactly_in_const_context() {
        let bits: [u32; 4] = [W[0].to_bits(), W[1].to_bits(), W[2].to_bits(), W[3].to_bits()];
        assert_eq!(bits, [0x3f80_0000, 0x8000_0000, 0x7fc0_0001, 0xff80_0000]);
    }

    #[test]
    fn matches_to_le_bytes_roundtrip() {
        let mut rng = crate::testutil::Rng::new(7);
        let vals: [f32; 32] = core::array::from_fn(|_| f32::from_bits(rng.next_u32()));
        let mut bytes = [0u8; 128];
        for (c, v) in bytes.chunks_exact_mut(4).zip(&vals) {
            c.copy_from_slice(&v.to_le_bytes());
        }
        let back: [f32; 32] = f32s_from_le(&bytes);
        for (a, b) in back.iter().zip(&vals) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn empty() {
        let e: [f32; 0] = f32s_from_le(&[]);
        assert!(e.is_empty());
    }
}
