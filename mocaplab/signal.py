"""The one signal filter and gap filler of mocaplab (trajectories along time, with gaps).

Every stage that smooths or bridges a trajectory calls these, saying what it means through named
parameters with units: the triangulation stage (3D keypoints), the analysis (landmarks, pelvis
centre, heel/toe speeds for events) and the kinematics chain.

- :func:`fill_gaps`: bridges interior runs of missing samples lasting at most ``max_gap_s``
  seconds (rounded to the nearest frame), linearly or by a cubic spline through all the samples.
  Gaps at the start or end are never filled: nothing is extrapolated.
- :func:`gap_mask`: which samples :func:`fill_gaps` would create.
- :func:`lowpass`: zero-phase Butterworth low-pass (``scipy.signal.sosfiltfilt``); ``order`` is the
  order of the whole forward-backward filter (4 = Winter's classic gait filter: a 2nd-order
  Butterworth run forward and backward). Each run of finite samples is filtered on its own, so
  NaN never spreads.
- :func:`resample_cubic`: a complete (gap-free) trajectory at another frame rate, by a cubic
  spline in time (used by the evaluation to emulate a slower or faster camera).
- :func:`derivative`, :func:`runs`: central differences; runs of True in a mask.

Arrays are (F, ...) along axis 0 (time), NaN where missing; every trailing column is treated on
its own. Loops run over columns and runs of samples, never over single samples.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from mocaplab.errors import InputError

GapMethod = Literal["linear", "cubic"]


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(start, stop)) of the True runs of a 1-D boolean mask."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask, dtype=np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


def _check_fps(fps: float) -> None:
    if not fps > 0:
        raise InputError(f"frame rate must be positive, got {fps} Hz")


def max_gap_frames(fps: float, max_gap_s: float) -> int:
    """The longest gap filled, in frames: ``max_gap_s`` at ``fps`` rounded to the nearest frame
    (so 0.1 s at 59.9988 Hz is 6 frames)."""
    _check_fps(fps)
    if max_gap_s < 0:
        raise InputError(f"max gap must be >= 0 s, got {max_gap_s}")
    return int(np.floor(max_gap_s * fps + 0.5))


def gap_mask(x: np.ndarray, fps: float, max_gap_s: float) -> np.ndarray:
    """(F, ...) bool: the missing samples of ``x`` in interior gaps of at most ``max_gap_s``."""
    x = np.asarray(x, dtype=float)
    n_max = max_gap_frames(fps, max_gap_s)
    missing = ~np.isfinite(x.reshape(x.shape[0], -1))
    mask = np.zeros_like(missing)
    if n_max == 0:
        return mask.reshape(x.shape)
    for j in range(missing.shape[1]):
        for a, b in runs(missing[:, j]):
            if a > 0 and b < missing.shape[0] and b - a <= n_max:
                mask[a:b, j] = True
    return mask.reshape(x.shape)


def fill_gaps(x: np.ndarray, fps: float, max_gap_s: float,
              method: GapMethod = "linear") -> np.ndarray:
    """A copy of ``x`` (F, ...) with interior gaps of at most ``max_gap_s`` seconds bridged.

    Args:
        x: (F, ...) samples along time, NaN where missing.
        fps: frame rate, Hz.
        max_gap_s: longest gap bridged, seconds (rounded to the nearest frame; 0 fills nothing).
            Longer gaps, and gaps at the start or end, stay NaN.
        method: "linear" (straight line between the two samples around the gap) or "cubic" (a
            not-a-knot cubic spline through every finite sample of the column; linear for a
            column with fewer than 4 finite samples).
    """
    if method not in ("linear", "cubic"):
        raise InputError(f"gap filling method must be 'linear' or 'cubic', got {method!r}")
    x = np.asarray(x, dtype=float)
    out = x.reshape(x.shape[0], -1).copy()
    fill = gap_mask(x, fps, max_gap_s).reshape(out.shape)
    t = np.arange(out.shape[0])
    for j in np.flatnonzero(fill.any(axis=0)):
        ok = np.isfinite(out[:, j])
        at = fill[:, j]
        if method == "cubic" and ok.sum() >= 4:
            from scipy.interpolate import CubicSpline

            out[at, j] = CubicSpline(t[ok], out[ok, j])(t[at])
        else:
            out[at, j] = np.interp(t[at], t[ok], out[ok, j])
    return out.reshape(x.shape)


def lowpass(x: np.ndarray, fps: float, cutoff_hz: float, order: int = 4,
            max_cutoff_nyquist: float | None = None) -> np.ndarray:
    """Zero-phase Butterworth low-pass of ``x`` (F, ...) sampled at ``fps``.

    Args:
        x: (F, ...) samples along time, NaN where missing.
        fps: frame rate, Hz.
        cutoff_hz: cutoff frequency of each pass, Hz.
        order: order of the whole zero-phase filter (forward + backward), even, >= 2: a
            Butterworth of order ``order // 2`` runs each way.
        max_cutoff_nyquist: None: a cutoff at or above half the frame rate is an error. A fraction
            (e.g. 0.45): the cutoff is lowered to at most that fraction of half the frame rate,
            for callers that mean "this smooth, or as smooth as the frame rate allows".

    Columns are filtered run by run of finite samples (columns with the same missing pattern
    together); a run shorter than the filter's padding is filtered with a shorter padding, a run
    of fewer than 3 samples is left as it is.
    """
    from scipy.signal import butter, sosfiltfilt

    _check_fps(fps)
    if order < 2 or order % 2:
        raise InputError(f"filter order must be even and >= 2, got {order}")
    if max_cutoff_nyquist is not None:
        cutoff_hz = min(cutoff_hz, max_cutoff_nyquist * fps / 2)
    if not 0 < cutoff_hz < fps / 2:
        raise InputError(f"cutoff {cutoff_hz} Hz must lie between 0 and half the frame rate "
                         f"({fps / 2:g} Hz)")
    sos = butter(order // 2, cutoff_hz, btype="low", fs=fps, output="sos")
    x = np.asarray(x, dtype=float)
    flat = x.reshape(x.shape[0], -1).copy()
    default_pad = 3 * (2 * len(sos) + 1)
    finite = np.isfinite(flat)
    patterns: dict[bytes, list[int]] = {}
    for j in range(flat.shape[1]):
        patterns.setdefault(np.packbits(finite[:, j]).tobytes(), []).append(j)
    for cols in patterns.values():
        for a, b in runs(finite[:, cols[0]]):
            n = b - a
            if n < 3:
                continue
            flat[a:b, cols] = sosfiltfilt(sos, flat[a:b, cols], axis=0,
                                          padlen=min(default_pad, n - 1))
    return flat.reshape(x.shape)


def derivative(x: np.ndarray, fps: float) -> np.ndarray:
    """Central-difference time derivative along axis 0 (units per second); NaN stays NaN."""
    x = np.asarray(x, dtype=float)
    if x.shape[0] < 2:
        return np.full_like(x, np.nan)
    return np.gradient(x, 1.0 / fps, axis=0)


def resample_cubic(x: np.ndarray, fps: float, rate_hz: float) -> np.ndarray:
    """``x`` (F, ...) sampled at ``fps`` Hz (frame i at i / fps s) resampled at ``rate_hz`` Hz
    over the same span by a not-a-knot cubic spline in time: frame j at j / rate_hz s, the
    first frame kept, as many frames as fit before the last sample. ``x`` should be gap-free:
    a missing sample makes its whole column missing."""
    _check_fps(fps)
    _check_fps(rate_hz)
    x = np.asarray(x, dtype=float)
    if x.shape[0] < 2:
        raise InputError(f"resampling needs at least 2 frames, got {x.shape[0]}")
    from scipy.interpolate import CubicSpline

    t = np.arange(x.shape[0]) / fps
    t_new = np.arange(int(np.floor(t[-1] * rate_hz + 1e-9)) + 1) / rate_hz
    return CubicSpline(t, x, axis=0)(t_new)
