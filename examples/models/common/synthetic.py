"""Seeded 6-class SYNTHETIC ECG generator (numpy only, no neurokit2): beat templates made of
Gaussian P / Q / R / S / T waves placed on an RR process, plus noise and baseline wander.

This data is for shapes, pipelines and compiler tests. Accuracy on it says nothing clinical.

Classes (one per record, mutually exclusive; index = position in ``CLASSES``):

====  ==========  ==========================================================================
 0    normal      sinus rhythm 60-100 bpm, PR 0.12-0.20 s, QRS ~0.08-0.10 s
 1    brady       sinus bradycardia 36-56 bpm
 2    tachy       sinus tachycardia 105-160 bpm
 3    af          AF-like: irregular RR (i.i.d. gamma-distributed, CV 0.15-0.35), no P waves,
                  fibrillatory f-waves (4-9 Hz, 0.02-0.08 mV)
 4    long_pr     1st-degree AV-block-like: PR 0.26-0.38 s, sinus rate 55-95 bpm
 5    wide_qrs    BBB-like: QRS 0.13-0.17 s with a late notch (rsR' in V1/V2, slurred S in I/V6)
                  and a discordant T wave, sinus rate 55-100 bpm
====  ==========  ==========================================================================

Morphology: each wave w has a per-lead gain g[lead, w] (a fixed 12-lead table, jittered per record),
so lead ``l`` is ``sum_w g[l, w] * wave_w(t)``. Single-lead data is lead II (index 1).
Every record also gets a random gain (0.7-1.4), Gaussian noise (0.005-0.03 mV), baseline wander
(0.1-0.4 Hz, 0-0.15 mV) and a small beat-to-beat amplitude and timing jitter. The window starts at
a random phase of the rhythm. Values are in mV-like units, float32.

Determinism: :func:`dataset` draws every record from ``numpy.random.default_rng(seed)`` in a fixed
order, so the same arguments always give bit-identical arrays.
"""
from __future__ import annotations

import numpy as np

CLASSES = ("normal", "brady", "tachy", "af", "long_pr", "wide_qrs")
N_CLASSES = len(CLASSES)
LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
LEAD_II = 1

# per-lead gains of the waves P, Q, R, S, T, and of the wide-QRS late component R2 (columns)
_GAIN = np.array([
    # P     Q     R     S     T     R2
    [0.50, -0.10, 0.60, -0.15, 0.45, -0.30],  # I
    [1.00, -0.15, 1.00, -0.25, 0.60, -0.20],  # II
    [0.50, -0.10, 0.45, -0.20, 0.20, 0.15],   # III
    [-0.75, 0.05, -0.75, 0.15, -0.50, 0.25],  # aVR
    [0.25, -0.05, 0.30, -0.10, 0.20, -0.25],  # aVL
    [0.75, -0.12, 0.70, -0.20, 0.40, 0.00],   # aVF
    [0.40, 0.00, 0.20, -1.10, -0.15, 0.90],   # V1
    [0.50, 0.00, 0.40, -1.30, 0.50, 0.70],    # V2
    [0.50, -0.05, 0.80, -0.90, 0.70, 0.30],   # V3
    [0.50, -0.10, 1.20, -0.60, 0.75, 0.00],   # V4
    [0.50, -0.15, 1.30, -0.30, 0.65, -0.30],  # V5
    [0.50, -0.15, 1.00, -0.15, 0.55, -0.40],  # V6
], dtype=np.float64)


def _rr_times(cls: int, rng: np.random.Generator, seconds: float) -> tuple[np.ndarray, float]:
    """R-peak times (s) covering [-2, seconds + 2] and the mean RR (s)."""
    hr = {0: (60, 100), 1: (36, 56), 2: (105, 160), 3: (70, 140), 4: (55, 95), 5: (55, 100)}[cls]
    rr_mean = 60.0 / rng.uniform(*hr)
    t = -2.0 - rng.uniform(0.0, rr_mean)
    times = []
    if cls == 3:  # AF-like: i.i.d. gamma RR intervals, strongly irregular
        cv = rng.uniform(0.15, 0.35)
        k = 1.0 / cv**2
        while t < seconds + 2.0:
            times.append(t)
            t += max(0.28, rng.gamma(k, rr_mean / k))
    else:  # sinus: respiratory modulation + small jitter
        f_resp, a_resp, ph = rng.uniform(0.15, 0.35), rng.uniform(0.0, 0.05), rng.uniform(0, 2 * np.pi)
        while t < seconds + 2.0:
            times.append(t)
            t += rr_mean * (1.0 + a_resp * np.sin(2 * np.pi * f_resp * t + ph) + 0.015 * rng.standard_normal())
    return np.asarray(times), rr_mean


def _waves(cls: int, rng: np.random.Generator, r: np.ndarray, rr_mean: float,
           t: np.ndarray) -> np.ndarray:
    """The six wave signals [6, len(t)] (P, Q, R, S, T, R2) for R-peaks at times ``r``."""
    nb = len(r)
    jit = lambda s: 1.0 + s * rng.standard_normal(nb)  # noqa: E731  per-beat amplitude jitter
    wide = cls == 5
    qrs = rng.uniform(0.13, 0.17) if wide else rng.uniform(0.075, 0.10)
    pr = rng.uniform(0.26, 0.38) if cls == 4 else rng.uniform(0.12, 0.20)
    qt = rng.uniform(0.36, 0.42) * np.sqrt(rr_mean)  # Bazett-like
    sr = qrs / (5.5 if wide else 8.0)
    # (amplitude [nb], centre [nb], sigma) per wave
    spec = [
        (0.0 if cls == 3 else rng.uniform(0.10, 0.20) * jit(0.05), r - pr + 0.04, rng.uniform(0.018, 0.028)),
        (rng.uniform(0.05, 0.15) * jit(0.05), r - 0.30 * qrs, 0.35 * sr),
        (rng.uniform(0.8, 1.4) * jit(0.04), r, sr),
        (rng.uniform(0.15, 0.35) * jit(0.05), r + 0.33 * qrs, 0.5 * sr),
        (rng.uniform(0.20, 0.40) * jit(0.05) * (-0.8 if wide else 1.0), r + qt - 0.06, rng.uniform(0.04, 0.06)),
        (rng.uniform(0.35, 0.6) * jit(0.05) if wide else 0.0, r + 0.42 * qrs, 0.9 * sr),
    ]
    out = np.zeros((6, len(t)))
    for w, (a, c, s) in enumerate(spec):
        a = np.broadcast_to(np.asarray(a, dtype=np.float64), (nb,))
        if not np.any(a):
            continue
        d = t[None, :] - c[:, None]
        near = np.abs(d) < 6 * s
        out[w] = np.where(near, a[:, None] * np.exp(-0.5 * (d / s) ** 2), 0.0).sum(0)
    return out


def record(cls: int, rng: np.random.Generator, fs: float, seconds: float,
           leads: int = 1) -> np.ndarray:
    """One record of class ``cls``: float32 [leads, round(fs * seconds)] (leads 1 = lead II, 12 =
    I, II, III, aVR, aVL, aVF, V1-V6)."""
    assert leads in (1, 12)
    n = int(round(fs * seconds))
    t = np.arange(n) / fs
    r, rr_mean = _rr_times(cls, rng, seconds)
    waves = _waves(cls, rng, r, rr_mean, t)
    gain = _GAIN * (1.0 + 0.15 * rng.standard_normal(_GAIN.shape))
    gain = gain[[LEAD_II]] if leads == 1 else gain
    x = gain @ waves
    x *= rng.uniform(0.7, 1.4)
    if cls == 3:  # fibrillatory waves, slightly different per lead
        f0, amp = rng.uniform(4.0, 9.0), rng.uniform(0.02, 0.08)
        fm = f0 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t + rng.uniform(0, 2 * np.pi))
        phase = 2 * np.pi * np.cumsum(fm) / fs
        lg = 0.6 + 0.8 * rng.random((leads, 1))
        x += amp * lg * np.sin(phase[None, :] + rng.uniform(0, 2 * np.pi, (leads, 1)))
    f_bw = rng.uniform(0.1, 0.4)
    x += rng.uniform(0.0, 0.15) * np.sin(2 * np.pi * f_bw * t + rng.uniform(0, 2 * np.pi))[None, :]
    x += rng.uniform(0.005, 0.03) * rng.standard_normal(x.shape)
    assert np.all(np.isfinite(x)) and np.abs(x).max() < 20.0
    return x.astype(np.float32)


def dataset(n_per_class: int, seed: int, fs: float, seconds: float,
            leads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` records of every class, interleaved (0,1,...,5,0,1,...) so any prefix is
    balanced: x float32 [N, leads, samples], y int64 [N] class indices."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n_per_class):
        for c in range(N_CLASSES):
            xs.append(record(c, rng, fs, seconds, leads))
            ys.append(c)
    return np.stack(xs), np.asarray(ys, dtype=np.int64)


def one_hot(y: np.ndarray) -> np.ndarray:
    return np.eye(N_CLASSES, dtype=np.float32)[y]


# ---- metrics (numpy only) -----------------------------------------------------------------------

def metrics(y: np.ndarray, prob: np.ndarray) -> dict:
    """6-way accuracy (argmax of the 6 sigmoid outputs), macro F1 and macro one-vs-rest AUROC,
    plus the confusion matrix (rows = true class)."""
    y = np.asarray(y, dtype=np.int64)
    prob = np.asarray(prob, dtype=np.float64)
    pred = prob.argmax(1)
    conf = np.zeros((N_CLASSES, N_CLASSES), dtype=np.int64)
    np.add.at(conf, (y, pred), 1)
    f1s, aucs = [], []
    for c in range(N_CLASSES):
        tp = conf[c, c]
        fp = conf[:, c].sum() - tp
        fn = conf[c, :].sum() - tp
        f1s.append(2 * tp / max(1, 2 * tp + fp + fn))
        aucs.append(_auroc(y == c, prob[:, c]))
    return {"accuracy": float((pred == y).mean()), "macro_f1": float(np.mean(f1s)),
            "macro_auroc": float(np.nanmean(aucs)), "f1": [float(f) for f in f1s],
            "confusion": conf}


def _auroc(pos_mask: np.ndarray, score: np.ndarray) -> float:
    pos, neg = score[pos_mask], score[~pos_mask]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum()
    eq = (pos[:, None] == neg[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(pos) * len(neg)))


def metrics_line(m: dict) -> str:
    return f"acc {m['accuracy']:.4f} macro-F1 {m['macro_f1']:.4f} macro-AUROC {m['macro_auroc']:.4f}"


def confusion_md(conf: np.ndarray) -> str:
    """Markdown table of a confusion matrix (rows true, columns predicted)."""
    head = "| true \\ pred | " + " | ".join(CLASSES) + " |\n|---|" + "---|" * N_CLASSES + "\n"
    rows = "\n".join(f"| {CLASSES[i]} | " + " | ".join(str(int(v)) for v in conf[i]) + " |"
                     for i in range(N_CLASSES))
    return head + rows


# ---- training (shared by the synthetic-data models) ----------------------------------------------

def train_bce(model, x, y, epochs: int, batch: int, optimizer, seed: int, log_every: int = 1,
              x_val=None, y_val=None, max_lr=None, loss: str = "bce", crop: int | None = None,
              logit_scale: float = 1.0):
    """Minibatch training of ``model`` (x → 6 logits), a one-cycle learning-rate schedule (peak =
    each param group's lr, or ``max_lr``) and a seeded shuffle. ``loss="bce"``: BCE-with-logits
    against one-hot targets (6 independent sigmoid outputs); ``loss="ce"``: 6-way softmax
    cross-entropy (for heads whose logits are bounded, like a CfC's motor neurons in (-1, 1),
    where one-vs-rest BCE drives every output into saturation before it learns anything).
    ``crop``: train on random crops of ``crop`` time steps of x [N, L, ...] (one seeded offset per
    minibatch), for models whose weights do not depend on the window length.
    ``logit_scale``: the loss sees ``logit_scale * logits`` (a training-only temperature for
    bounded logits; the model and its exports are unchanged and the argmax is the same). ``x`` and ``y`` are torch tensors. Prints a log line
    per ``log_every`` epochs (with held-out metrics when ``x_val`` is given) and returns the
    per-epoch losses."""
    import time

    import torch
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(seed)
    target = torch.from_numpy(one_hot(np.asarray(y)))
    y_t = torch.from_numpy(np.asarray(y, dtype=np.int64))
    per_epoch = len(x) // batch
    peaks = max_lr if max_lr is not None else [g["lr"] for g in optimizer.param_groups]
    sched = torch.optim.lr_scheduler.OneCycleLR(optimizer, peaks, total_steps=epochs * per_epoch,
                                                pct_start=0.15)
    losses, t0 = [], time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(per_epoch):
            idx = perm[i * batch:(i + 1) * batch]
            xb = x[idx]
            if crop is not None:
                o = int(torch.randint(0, x.shape[1] - crop + 1, (1,), generator=gen))
                xb = xb[:, o:o + crop]
            z = model(xb) * logit_scale
            if loss == "ce":
                batch_loss = F.cross_entropy(z, y_t[idx])
            else:
                batch_loss = F.binary_cross_entropy_with_logits(z, target[idx])
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            sched.step()
            total += batch_loss.item()
        losses.append(total / per_epoch)
        if (epoch + 1) % log_every == 0 or epoch == epochs - 1:
            line = f"  epoch {epoch + 1:3d}/{epochs} loss {losses[-1]:.4f} ({time.time() - t0:.0f} s)"
            if x_val is not None:
                model.eval()
                with torch.no_grad():
                    line += "  held-out " + metrics_line(metrics(y_val, torch.sigmoid(model(x_val)).numpy()))
            print(line, flush=True)
    model.eval()
    return losses
