"""Filtering of 3D trajectories at the trial's real frame rate.

- :func:`filter_points`: short interior gaps bridged by a cubic spline, then a zero-phase
  Butterworth low-pass (both from :mod:`mocaplab.signal`, the one owner of the signal filter and
  of gap filling), then optional bone-length smoothing.
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
from mocaplab.signal import fill_gaps, gap_mask, lowpass


@dataclasses.dataclass(frozen=True)
class FilterOptions:
    """Options of :func:`filter_points`.

    Attributes:
        cutoff_hz: low-pass cutoff frequency, Hz (each pass; Winter-style 2nd order x 2 passes by
            default). None disables the low-pass.
        order: order of the zero-phase filter as a whole (forward + backward), even, >= 2.
        max_gap_s: longest interior gap filled by cubic-spline interpolation, seconds (rounded to
            the nearest frame; 0 disables).
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
    points = np.asarray(points, dtype=float)
    filled = gap_mask(points, fps, opt.max_gap_s).any(axis=-1)
    pts = fill_gaps(points, fps, opt.max_gap_s, method="cubic")
    if opt.cutoff_hz is not None:
        pts = lowpass(pts, fps, opt.cutoff_hz, order=opt.order)
    if opt.bone_lengths:
        if edges is None or len(edges) == 0:
            raise InputError("bone-length smoothing needs the skeleton's edges; these keypoints "
                             "are not a known keypoint set")
        pts = constrain_bone_lengths(pts, edges, iterations=opt.bone_iterations)
    return pts, filled
