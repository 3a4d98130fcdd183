"""STFT magnitude features for the CCfC / CLTC models (numpy only).

As in the CCfC/CLTC papers' preprocessing: 500 Hz signals, periodic Hann window of 256 samples,
hop 128, one-sided spectrum → 129 bins. Frames are taken without padding ("valid"), so a signal of
``256 + 128 * (F - 1)`` samples gives F frames: 4352 samples (8.704 s at 500 Hz) → 33 frames.
The feature is log(1 + |STFT|) (magnitude, log-compressed), float32.
"""
from __future__ import annotations

import numpy as np

N_FFT = 256
HOP = 128
BINS = N_FFT // 2 + 1  # 129


def samples_for_frames(frames: int) -> int:
    return N_FFT + HOP * (frames - 1)


def hann_periodic(n: int = N_FFT) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def stft_logmag(x: np.ndarray) -> np.ndarray:
    """x [..., samples] → log1p|STFT| [..., frames, 129] float32."""
    x = np.asarray(x, dtype=np.float64)
    frames = 1 + (x.shape[-1] - N_FFT) // HOP
    idx = np.arange(frames)[:, None] * HOP + np.arange(N_FFT)[None, :]
    seg = x[..., idx] * hann_periodic()
    return np.log1p(np.abs(np.fft.rfft(seg, axis=-1))).astype(np.float32)
