"""Project 3D motion into virtual cameras with the failures of real detectors.

Noise, dropouts, gross outliers and left/right swaps are injected at known places, so that a
test can compare a method with an oracle that knows which observations are clean.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mocaplab.camera import CameraSet


@dataclasses.dataclass(frozen=True, eq=False)
class SyntheticObservations:
    """2D observations of a known 3D motion.

    Attributes:
        points: (C, F, K, 2) observed pixels, NaN = not seen.
        confidence: (C, F, K) detector-like confidence in [0, 1], 0 where NaN.
        truth: (C, F, K, 2) true projections (NaN where behind the camera or off the image).
        clean: (C, F, K) bool, observed and neither an outlier nor swapped.
        outlier: (C, F, K) bool, replaced by a gross error.
        swapped: (C, F, K) bool, exchanged with its left/right counterpart.
        dropped: (C, F, K) bool, removed (NaN) although in view.
    """

    points: np.ndarray
    confidence: np.ndarray
    truth: np.ndarray
    clean: np.ndarray
    outlier: np.ndarray
    swapped: np.ndarray
    dropped: np.ndarray


def project_motion(cameras: CameraSet, points3d: np.ndarray, *, noise_px: float = 1.0,
                   dropout: float = 0.05, outliers: float = 0.03, swaps: float = 0.0,
                   mirror: np.ndarray | None = None, outlier_px: tuple[float, float] = (20, 150),
                   seed: int = 0) -> SyntheticObservations:
    """Project ``points3d`` (F, K, 3) metres into every camera and corrupt the views.

    Args:
        noise_px: standard deviation of Gaussian pixel noise.
        dropout: fraction of in-view observations removed (NaN, confidence 0).
        outliers: fraction of observations moved by a random ``outlier_px`` distance.
        swaps: fraction of (camera, frame) views in which one left/right pair is exchanged
            (needs ``mirror``, the (K,) index of each point's counterpart). Swapped points count
            as outliers of their own kind (``swapped``).
        seed: random seed; the same seed gives the same observations.
    """
    rng = np.random.default_rng(seed)
    truth = cameras.project(points3d)  # (C, F, K, 2)
    C, F, K, _ = truth.shape
    for c, cam in enumerate(cameras):
        w, h = cam.size
        off = ((truth[c, ..., 0] < 0) | (truth[c, ..., 0] > w - 1)
               | (truth[c, ..., 1] < 0) | (truth[c, ..., 1] > h - 1))
        truth[c][off] = np.nan
    seen = np.isfinite(truth).all(-1)
    obs = truth + rng.normal(0, noise_px, truth.shape)
    conf = np.clip(rng.normal(0.9, 0.05, (C, F, K)), 0.5, 1.0)

    swapped = np.zeros((C, F, K), bool)
    if swaps > 0 and mirror is not None:
        pairs = [(i, int(m)) for i, m in enumerate(mirror) if m > i]
        n_views = int(round(swaps * C * F))
        for flat in rng.choice(C * F, size=min(n_views, C * F), replace=False):
            c, f = divmod(int(flat), F)
            i, j = pairs[rng.integers(len(pairs))]
            if seen[c, f, i] and seen[c, f, j]:
                obs[c, f, [i, j]] = obs[c, f, [j, i]]
                swapped[c, f, [i, j]] = True

    outlier = (rng.random((C, F, K)) < outliers) & seen & ~swapped
    angle = rng.uniform(0, 2 * np.pi, (C, F, K))
    dist = rng.uniform(*outlier_px, (C, F, K))
    shift = np.stack([np.cos(angle), np.sin(angle)], -1) * dist[..., None]
    obs = np.where(outlier[..., None], obs + shift, obs)
    conf = np.where(outlier | swapped, rng.uniform(0.3, 0.9, (C, F, K)), conf)

    dropped = (rng.random((C, F, K)) < dropout) & seen
    visible = seen & ~dropped
    obs[~visible] = np.nan
    conf = np.where(visible, conf, 0.0)
    clean = visible & ~outlier & ~swapped
    return SyntheticObservations(obs, conf, truth, clean, outlier & visible, swapped & visible,
                                 dropped)
