"""Signal helpers for trajectories with gaps: gap filling, low-pass filtering, derivatives.

Arrays are (F, ...) along time; NaN marks missing samples. Nothing here invents data over long
gaps: only gaps up to ``max_gap_s`` are bridged (linearly), longer ones stay NaN.
"""

from __future__ import annotations

import numpy as np


def fill_gaps(x: np.ndarray, fps: float, max_gap_s: float = 0.2) -> np.ndarray:
    """Linearly bridge NaN runs up to ``max_gap_s`` long in each column of ``x`` (F, ...)."""
    x = np.asarray(x, dtype=float)
    flat = x.reshape(x.shape[0], -1).copy()
    max_gap = max(1, int(round(max_gap_s * fps)))
    idx = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        col = flat[:, j]
        ok = np.isfinite(col)
        if ok.sum() < 2 or ok.all():
            continue
        filled = np.interp(idx, idx[ok], col[ok])
        bad = ~ok
        # runs of NaN
        edges = np.diff(np.concatenate([[0], bad.astype(int), [0]]))
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if s > 0 and e < len(col) and e - s <= max_gap:
                col[s:e] = filled[s:e]
        flat[:, j] = col
    return flat.reshape(x.shape)


def lowpass(x: np.ndarray, fps: float, cutoff_hz: float = 8.0) -> np.ndarray:
    """Zero-lag 2nd-order Butterworth low-pass along axis 0, applied to each finite run.

    The cutoff is capped at 0.45 x Nyquist so that the filter exists at any frame rate. Runs too
    short to filter are returned unchanged.
    """
    from scipy.signal import butter, filtfilt

    x = np.asarray(x, dtype=float)
    wn = min(cutoff_hz / (fps / 2.0), 0.45)
    b, a = butter(2, wn)
    out = x.copy()
    flat_in = x.reshape(x.shape[0], -1)
    flat_out = out.reshape(x.shape[0], -1)
    ok = np.isfinite(flat_in).all(axis=1)
    edges = np.diff(np.concatenate([[0], ok.astype(int), [0]]))
    for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if e - s > 3 * (max(len(a), len(b)) + 1):
            flat_out[s:e] = filtfilt(b, a, flat_in[s:e], axis=0)
    return flat_out.reshape(x.shape)


def derivative(x: np.ndarray, fps: float) -> np.ndarray:
    """Central-difference time derivative along axis 0 (units per second); NaN stays NaN."""
    x = np.asarray(x, dtype=float)
    if x.shape[0] < 2:
        return np.full_like(x, np.nan)
    return np.gradient(x, 1.0 / fps, axis=0)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(start, stop)) of the True runs of a 1-D boolean mask."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask, dtype=int), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))
