"""Filtering of 3D trajectories at the trial's real frame rate.

- :func:`fill_gaps`: cubic-spline interpolation across short interior gaps (configurable maximum).
- :func:`lowpass`: zero-phase Butterworth low-pass (forward-backward, ``scipy.signal.sosfiltfilt``),
  each contiguous run of samples filtered separately so that NaN never spreads.
- :func:`constrain_bone_lengths`: moves the two ends of every bone along it so that bone lengths
  stay constant over the trial (each bone's median length), by iterated projection.

Arrays are (F, K, 3) metres with NaN where missing; loops run over keypoints and runs of samples,
never over single samples.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from mocaplab.errors import InputError


@dataclasses.dataclass(frozen=True)
class FilterOptions:
    """Options of :func:`filter_points`.

    Attributes:
        cutoff_hz: low-pass cutoff frequency, Hz (each pass; Winter-style 2nd order x 2 passes by
            default). None disables the low-pass.
        order: order of the zero-phase filter as a whole (forward + backward), even, >= 2.
        max_gap_s: longest interior gap filled by interpolation, seconds (0 disables).
        bone_lengths: keep bone lengths constant (needs ``edges``).
        bone_iterations: iterations of the bone-length projection.
    """

    cutoff_hz: float | None = 6.0
    order: int = 4
    max_gap_s: float = 0.1
    bone_lengths: bool = False
    bone_iterations: int = 20

    def __post_init__(self) -> None:
        if self.cutoff_hz is not None and not self.cutoff_hz > 0:
            raise InputError(f"cutoff must be positive, got {self.cutoff_hz} Hz")
        if self.order < 2 or self.order % 2:
            raise InputError(f"filter order must be even and >= 2, got {self.order}")
        if self.max_gap_s < 0:
            raise InputError(f"max gap must be >= 0 s, got {self.max_gap_s}")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of the runs of True in a 1D bool array."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def fill_gaps(points: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Fill interior gaps of at most ``max_gap`` frames by cubic-spline interpolation.

    Args:
        points: (F, K, D) trajectories, NaN where missing (any NaN coordinate).
        max_gap: longest gap filled, frames. Gaps at the start or end are never filled.

    Returns:
        (filled copy (F, K, D), filled (F, K) bool marking the samples that were interpolated).
    """
    from scipy.interpolate import CubicSpline

    pts = np.array(points, dtype=float, copy=True)
    F, K = pts.shape[:2]
    filled = np.zeros((F, K), dtype=bool)
    if max_gap <= 0:
        return pts, filled
    t = np.arange(F)
    for k in range(K):
        ok = np.isfinite(pts[:, k]).all(-1)
        n_ok = int(ok.sum())
        if n_ok < 2 or n_ok == F:
            continue
        gap = np.zeros(F, dtype=bool)
        first, last = np.flatnonzero(ok)[[0, -1]]
        for a, b in _runs(~ok):
            if a > first and b <= last and b - a <= max_gap:
                gap[a:b] = True
        if not gap.any():
            continue
        if n_ok >= 4:
            spline = CubicSpline(t[ok], pts[ok, k], axis=0)
            pts[gap, k] = spline(t[gap])
        else:
            for d in range(pts.shape[2]):
                pts[gap, k, d] = np.interp(t[gap], t[ok], pts[ok, k, d])
        filled[gap, k] = True
    return pts, filled


def lowpass(points: np.ndarray, fps: float, cutoff_hz: float = 6.0, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass of trajectories (F, ...) sampled at ``fps``.

    A Butterworth of order ``order // 2`` is run forward and backward (so ``order`` is the order of
    the whole zero-phase filter, 4 = Winter's classic gait filter). Each run of finite samples is
    filtered on its own; runs too short to be padded are filtered with a shorter padding, runs of
    fewer than 3 samples are left as they are.
    """
    from scipy.signal import butter, sosfiltfilt

    if not fps > 0:
        raise InputError(f"fps must be positive, got {fps}")
    if not 0 < cutoff_hz < fps / 2:
        raise InputError(f"cutoff {cutoff_hz} Hz must lie between 0 and half the frame rate "
                         f"({fps / 2:g} Hz)")
    sos = butter(order // 2, cutoff_hz, btype="low", fs=fps, output="sos")
    pts = np.array(points, dtype=float, copy=True)
    F = pts.shape[0]
    flat = pts.reshape(F, -1)
    default_pad = 3 * (2 * len(sos) + 1)
    # columns with the same missing pattern are filtered together
    finite = np.isfinite(flat)
    patterns: dict[bytes, list[int]] = {}
    for j in range(flat.shape[1]):
        patterns.setdefault(np.packbits(finite[:, j]).tobytes(), []).append(j)
    for cols in patterns.values():
        ok = finite[:, cols[0]]
        for a, b in _runs(ok):
            n = b - a
            if n < 3:
                continue
            pad = min(default_pad, n - 1)
            flat[a:b, cols] = sosfiltfilt(sos, flat[a:b, cols], axis=0, padlen=pad)
    return flat.reshape(pts.shape)


def bone_lengths(points: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(E,) median length over the trial of each bone (pairs of keypoint indices (E, 2))."""
    edges = np.asarray(edges, dtype=int).reshape(-1, 2)
    d = np.linalg.norm(points[:, edges[:, 0]] - points[:, edges[:, 1]], axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(d, axis=0)


def constrain_bone_lengths(points: np.ndarray, edges: np.ndarray,
                           lengths: np.ndarray | None = None,
                           iterations: int = 20) -> np.ndarray:
    """Move keypoints so that every bone keeps a constant length (vectorised over frames).

    Iterated projection (Gauss-Seidel over the bones): each bone's two ends move symmetrically
    along the bone by half the length error. Bones shared by a keypoint are reconciled by the
    iterations. Frames where a bone end is missing leave that bone alone.

    Args:
        points: (F, K, 3) metres.
        edges: (E, 2) keypoint indices of the bones.
        lengths: (E,) target lengths (default: each bone's median length over the trial).
        iterations: sweeps over all bones.
    """
    edges = np.asarray(edges, dtype=int).reshape(-1, 2)
    pts = np.array(points, dtype=float, copy=True)
    if len(edges) == 0:
        return pts
    L = bone_lengths(pts, edges) if lengths is None else np.asarray(lengths, dtype=float)
    for _ in range(iterations):
        for (a, b), target in zip(edges, L, strict=True):
            if not np.isfinite(target):
                continue
            d = pts[:, b] - pts[:, a]
            n = np.linalg.norm(d, axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = np.where((n > 1e-9)[:, None], d * ((n - target) / (2 * n))[:, None], 0.0)
            corr = np.nan_to_num(corr, nan=0.0)
            pts[:, a] += corr
            pts[:, b] -= corr
    return pts


def filter_points(points: np.ndarray, fps: float, options: FilterOptions | None = None,
                  edges: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gap filling, zero-phase low-pass and optional bone-length smoothing, in that order.

    Args:
        points: (F, K, 3) metres, NaN where missing.
        fps: the trial's real frame rate, Hz.
        options: :class:`FilterOptions`.
        edges: (E, 2) keypoint indices of the bones (needed for ``bone_lengths``).

    Returns:
        (filtered points (F, K, 3), filled (F, K) bool: samples created by gap filling).
    """
    opt = options or FilterOptions()
    if not fps > 0:
        raise InputError(f"fps must be positive, got {fps}")
    max_gap = int(np.floor(opt.max_gap_s * fps + 1e-9))
    pts, filled = fill_gaps(points, max_gap)
    if opt.cutoff_hz is not None:
        pts = lowpass(pts, fps, opt.cutoff_hz, opt.order)
    if opt.bone_lengths:
        if edges is None or len(edges) == 0:
            raise InputError("bone-length smoothing needs the skeleton's edges; these keypoints "
                             "are not a known keypoint set")
        pts = constrain_bone_lengths(pts, edges, iterations=opt.bone_iterations)
    return pts, filled
