"""How well the diagonal modes of an S4D layer can be recovered from its materialised kernel.

Issue 7 asks for "convolution-form S4D -> recurrence": read the long causal depthwise Conv of a
kernel-form export, recover per channel the N/2 complex modes (K_l = 2 Re sum C_n A_n^l), check the
refit kernel, and emit the O(N)-per-step recurrence. This script measures, on a kernel-form model,
what a textbook fit achieves; ecgc does not do the rewrite yet, and these numbers are why.

Per channel h (the Conv's weights reversed: ONNX Conv is a correlation, so the causal filter is
w[K-1-j]):
* Hankel singular values (P columns): a clean rank-64 gap means the 32 complex-conjugate pairs are
  separable at f32 precision (s[63]/s[0] > 1e-6 and s[64]/s[0] < 1e-8);
* ERA (Ho-Kalman) with the rank at `tol`: the realization's impulse response vs the kernel
  (relative l1 error over the L taps, f64) and its largest pole modulus (> 1: an unstable mode,
  which a recurrence over a longer stream cannot use).

Run (numpy + onnx, e.g. the golden venv):
    python3 scripts/s4d-kernel-modes.py examples/models/s4d-ecg/model_kernel.onnx [P] [tol]
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def hankel(h, first, cols):
    return np.array([h[first + i: first + i + cols] for i in range(len(h) - first - cols)])


def era(h, cols, tol, max_rank=64):
    """Impulse response of a rank-r ERA realization of h[1:] (h[0] is the direct term)."""
    h0, h1 = hankel(h, 1, cols), hankel(h, 2, cols)
    h0 = h0[: len(h1)]
    u, s, vt = np.linalg.svd(h0, full_matrices=False)
    r = int(min(max_rank, (s > tol * s[0]).sum()))
    si = np.diag(s[:r] ** -0.5)
    a = si @ u[:, :r].T @ h1 @ vt[:r].T @ si
    b = (np.diag(s[:r] ** 0.5) @ vt[:r])[:, :1]
    c = (u[:, :r] @ np.diag(s[:r] ** 0.5))[:1, :]
    y, x = [h[0]], b.copy()
    for _ in range(len(h) - 1):
        y.append((c @ x)[0, 0])
        x = a @ x
    return np.array(y), r, np.abs(np.linalg.eigvals(a)).max()


def main():
    path = sys.argv[1]
    cols = int(sys.argv[2]) if len(sys.argv) > 2 else 250
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-8
    m = onnx.load(path)
    kernels = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    kernels = {k: v for k, v in kernels.items() if v.ndim == 3 and v.shape[1] == 1 and v.shape[2] >= 64}
    print(f"{path}: {len(kernels)} depthwise kernels; Hankel columns {cols}, ERA rank tolerance {tol:g}")
    for name in sorted(kernels):
        k = kernels[name][:, 0, :].astype(np.float64)
        gaps, errs, unstable = 0, [], 0
        for w in k:
            h = w[::-1]
            s = np.linalg.svd(hankel(h, 0, min(cols, len(h) // 2)), compute_uv=False)
            s = s / s[0]
            gaps += int(len(s) > 64 and s[63] > 1e-6 and s[64] < 1e-8)
            y, _, pole = era(h, min(cols, len(h) // 2), tol)
            errs.append(np.abs(y - h).sum() / max(1.0, np.abs(h).sum()))
            unstable += int(pole > 1.0)
        errs = np.array(errs)
        print(f"{name} {k.shape}: clean rank-64 gap {gaps}/{len(k)}; ERA rel. l1 error median {np.median(errs):.1e}, "
              f"max {errs.max():.1e}, within 1e-5: {(errs <= 1e-5).sum()}/{len(k)}; unstable poles in {unstable}/{len(k)}")


if __name__ == "__main__":
    main()
