//! What the generated code is tuned for: the cargo opt-level the firmware is built at
//! (`ecgc compile --opt-level`, default 3, the level the measurement build uses too), and
//! whether the target's core has the Arm single-precision FPU whose multiple loads the
//! `*_vfp` kernels use (`ecgc_kernels::vfp`). The code is correct at every opt-level and on
//! every core, and the same bits come out; only its speed differs where one form of a kernel
//! suits LLVM's inliner and unroller at opt-level 3 and another suits "s"/"z", or where the
//! FPU's `vldm` loads beat what LLVM emits.

use crate::target::Target;

/// The choices that differ by opt-level and core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tuning {
    /// Tuned for size (opt-level "s" or "z").
    pub size: bool,
    /// The core is an Arm one with a single-precision FPU and the hard-float ABI (the target
    /// lists the `fpu-sp` feature on an `…eabihf` triple): f32 dense layers and S4D steps call
    /// the kernels' `vldm` forms.
    pub arm_fpu: bool,
}

impl Tuning {
    /// The tuning for cargo opt-level `level` (`"3"`, `"s"`, ...) on `target`.
    pub fn new(level: &str, target: &Target) -> Tuning {
        let arm_fpu = target.triple.starts_with("thumb")
            && target.triple.ends_with("eabihf")
            && target.features.iter().any(|f| f == "fpu-sp");
        Tuning { size: matches!(level, "s" | "z"), arm_fpu }
    }

    /// 1-D convolutions gather each zero-padded edge window once for every channel tile
    /// (`ecgc_kernels::conv1d`'s `HOIST`): fewer instructions at "s", where the per-tile gather
    /// is a loop; more at 3, where it folds into the tile's loads.
    pub fn conv1d_gather_edges_once(self) -> bool {
        self.size
    }
}
