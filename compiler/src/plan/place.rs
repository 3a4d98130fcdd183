//! Placing buffers: (bytes, alignment, first use, last use, pool) → byte offsets and pool sizes.
//!
//! Interface (TensorFlow Lite Micro's): buffers as (size, first use, last use) → offsets and the
//! arena size, here in bytes with an alignment per buffer. Algorithm: greedy by size — within
//! each pool, buffers are placed largest first, each at the lowest aligned offset where it
//! overlaps no already placed buffer alive at the same time (first to last use, inclusive, in node
//! order). `lower_bound` is the most bytes alive at any one node: no placement can be smaller.
//!
//! Pools: one per (region, storage type). Regions are the activation arena (reused as values
//! die) and persistent state (alive across calls: never reused). Safe Rust cannot view one byte
//! array as `f32`s and `i8`s, so each storage type is its own array in the generated `Model`.

use crate::ir::DType;

/// Where a pool lives in the generated `Model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// Activations: reused once a value's last reader has run.
    Arena,
    /// Persistent state of one state pair (`Graph::state[k]`): zero-initialised, kept between
    /// calls, never shared. One array per pair, so a step may update several in place at once.
    State(usize),
}

/// A pool: one array in the generated `Model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolKey {
    /// The region.
    pub region: Region,
    /// The storage type of its elements ([`DType::storage`]).
    pub dtype: DType,
}

/// One buffer to place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buffer {
    /// Bytes.
    pub bytes: usize,
    /// Alignment of its offset in bytes (a power of two; at least its element size).
    pub align: usize,
    /// Index of the node that writes it.
    pub first: usize,
    /// Index of the last node that reads it (or the end of the graph for outputs and state).
    pub last: usize,
    /// The pool it goes in.
    pub pool: PoolKey,
}

impl Buffer {
    /// True when both are alive at some node (state is alive at every node).
    fn meets(&self, other: &Buffer) -> bool {
        matches!(self.pool.region, Region::State(_)) || (self.first <= other.last && other.first <= self.last)
    }
}

/// A placed pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    /// Which pool.
    pub key: PoolKey,
    /// Its size in bytes (a multiple of its element size).
    pub bytes: usize,
    /// The most bytes alive in it at any one node.
    pub lower_bound: usize,
}

fn align_up(x: usize, a: usize) -> usize {
    x.div_ceil(a.max(1)).saturating_mul(a.max(1))
}

/// Places buffers; returns each one's byte offset in its pool and the pools, sorted by key.
/// Sizes add with saturation: the front end bounds every tensor (2 GiB), so a saturated pool
/// only ever reads as "over budget".
pub fn place(bufs: &[Option<Buffer>], steps: usize) -> (Vec<Option<usize>>, Vec<Pool>) {
    let mut order: Vec<usize> = (0..bufs.len()).filter(|&i| bufs[i].is_some()).collect();
    // By pool, then largest first; ties by first use then index, so plans are deterministic.
    order.sort_by_key(|&i| bufs[i].map(|b| (b.pool, std::cmp::Reverse(b.bytes), b.first, i)));
    let mut offsets = vec![None; bufs.len()];
    let mut placed: Vec<(usize, Buffer)> = vec![];
    let mut pools: Vec<Pool> = vec![];
    for i in order {
        let Some(b) = bufs[i] else { continue };
        if pools.last().is_none_or(|p| p.key != b.pool) {
            placed.clear();
            pools.push(Pool { key: b.pool, bytes: 0, lower_bound: 0 });
        }
        let mut live: Vec<(usize, usize)> =
            placed.iter().filter(|(_, p)| p.meets(&b) && b.meets(p)).map(|(o, p)| (*o, p.bytes)).collect();
        live.sort();
        let mut offset = 0usize;
        for (o, s) in live {
            if offset.saturating_add(b.bytes) <= o {
                break;
            }
            offset = align_up(offset.max(o.saturating_add(s)), b.align);
        }
        offsets[i] = Some(offset);
        placed.push((offset, b));
        if let Some(p) = pools.last_mut() {
            p.bytes = p.bytes.max(align_up(offset.saturating_add(b.bytes), b.pool.dtype.size()));
        }
    }
    for p in &mut pools {
        let mine: Vec<Buffer> = bufs.iter().flatten().filter(|b| b.pool == p.key).copied().collect();
        p.lower_bound = lower_bound(&mine, steps);
    }
    (offsets, pools)
}

/// The most bytes alive at any node (state counts at every node).
pub fn lower_bound(bufs: &[Buffer], steps: usize) -> usize {
    (0..=steps)
        .map(|t| {
            bufs.iter()
                .filter(|b| matches!(b.pool.region, Region::State(_)) || (b.first <= t && t <= b.last))
                .fold(0usize, |a, b| a.saturating_add(b.bytes))
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const F32: PoolKey = PoolKey { region: Region::Arena, dtype: DType::F32 };
    const I8: PoolKey = PoolKey { region: Region::Arena, dtype: DType::I8 };
    const STATE: PoolKey = PoolKey { region: Region::State(0), dtype: DType::I16 };

    /// Checks alignment, pool bounds, and that no two buffers of a pool alive at once overlap.
    fn check(bufs: &[Option<Buffer>], offsets: &[Option<usize>], pools: &[Pool]) {
        for (i, a) in bufs.iter().enumerate() {
            let Some(a) = a else { continue };
            let oa = offsets[i].expect("placed");
            assert_eq!(oa % a.align, 0, "buffer {i} misaligned");
            let pool = pools.iter().find(|p| p.key == a.pool).expect("pool");
            assert!(oa + a.bytes <= pool.bytes);
            for (j, b) in bufs.iter().enumerate().skip(i + 1) {
                let Some(b) = b else { continue };
                let ob = offsets[j].expect("placed");
                let same = a.pool == b.pool;
                let time = a.meets(b);
                let space = oa < ob + b.bytes && ob < oa + a.bytes;
                assert!(!(same && time && space && a.bytes > 0 && b.bytes > 0), "buffers {i} and {j} overlap");
            }
        }
    }

    #[test]
    fn random_plans_never_overlap_are_aligned_and_respect_the_lower_bound() {
        let mut seed = 0x2545_f491_u64;
        let mut rnd = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for _ in 0..300 {
            let n = 1 + rnd(30);
            let bufs: Vec<Option<Buffer>> = (0..n)
                .map(|i| {
                    if rnd(5) == 0 {
                        return None;
                    }
                    let pool = [F32, I8, STATE][rnd(3)];
                    let size = pool.dtype.size();
                    let align = size.max([1, 4, 8][rnd(3)]);
                    Some(Buffer { bytes: size * (1 + rnd(100)), align, first: i, last: i + rnd(6), pool })
                })
                .collect();
            let (offsets, pools) = place(&bufs, n + 6);
            check(&bufs, &offsets, &pools);
            for p in &pools {
                assert!(p.bytes >= p.lower_bound);
                assert_eq!(p.bytes % p.key.dtype.size(), 0);
            }
            let keys: Vec<PoolKey> = pools.iter().map(|p| p.key).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "one pool per key, sorted");
        }
    }

    #[test]
    fn a_chain_reuses_memory_and_state_never_does() {
        // a -> b -> c -> d, each read only by the next: two buffers suffice.
        let chain: Vec<Option<Buffer>> =
            (0..4).map(|i| Some(Buffer { bytes: 40, align: 4, first: i, last: i + 1, pool: F32 })).collect();
        let (offsets, pools) = place(&chain, 5);
        check(&chain, &offsets, &pools);
        assert_eq!(pools, [Pool { key: F32, bytes: 80, lower_bound: 80 }]);
        // the same lifetimes as state: every buffer is kept
        let state: Vec<Option<Buffer>> = chain.iter().map(|b| b.map(|b| Buffer { pool: STATE, ..b })).collect();
        let (_, pools) = place(&state, 5);
        assert_eq!(pools, [Pool { key: STATE, bytes: 160, lower_bound: 160 }]);
    }

    #[test]
    fn int8_buffers_are_aligned_and_pools_are_separate() {
        let bufs = [
            Some(Buffer { bytes: 3, align: 4, first: 0, last: 2, pool: I8 }),
            Some(Buffer { bytes: 5, align: 4, first: 1, last: 2, pool: I8 }),
            Some(Buffer { bytes: 12, align: 4, first: 1, last: 2, pool: F32 }),
        ];
        let (offsets, pools) = place(&bufs, 3);
        let i8_pool = pools.iter().find(|p| p.key == I8).expect("i8 pool");
        // the 5-byte buffer goes first (largest), at 0; the 3-byte one at the next multiple of 4
        assert_eq!((offsets[1], offsets[0]), (Some(0), Some(8)));
        assert_eq!(i8_pool.bytes, 11);
        assert_eq!(i8_pool.lower_bound, 8);
        assert_eq!(offsets[2], Some(0), "pools do not share offsets");
    }
}
