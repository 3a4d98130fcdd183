//! What the generated code is tuned for: the cargo opt-level the firmware is built at
//! (`ecgc compile --opt-level`, default 3, the level the measurement build uses too). The code
//! is correct at every opt-level and the same bits come out; only its speed differs where one
//! form of a kernel suits LLVM's inliner and unroller at opt-level 3 and another suits "s"/"z".

/// The choices that differ by opt-level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tuning {
    /// Tuned for size (opt-level "s" or "z").
    pub size: bool,
}

impl Tuning {
    /// The tuning for cargo opt-level `level` (`"3"`, `"s"`, ...).
    pub fn for_opt_level(level: &str) -> Tuning {
        Tuning { size: matches!(level, "s" | "z") }
    }

    /// 1-D convolutions gather each zero-padded edge window once for every channel tile
    /// (`ecgc_kernels::conv1d`'s `HOIST`): fewer instructions at "s", where the per-tile gather
    /// is a loop; more at 3, where it folds into the tile's loads.
    pub fn conv1d_gather_edges_once(self) -> bool {
        self.size
    }
}
