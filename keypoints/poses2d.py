"""``poses2d.npz``: every pose the detector saw in every view (several people), beside
``keypoints2d.npz``.

``keypoints2d.npz`` keeps its single-person shape (C, F, K, 2) so that everything reading it
stays valid; when detection runs with ``num_poses`` > 1 it holds pose slot 0 of each view
(MediaPipe's first pose: not necessarily the same person in every view or frame), and the
companion ``poses2d.npz`` holds all of them:

- ``points`` (C, F, P, K, 2) pixels in the distorted image, NaN = slot empty / not seen;
- ``confidence`` (C, F, P, K) in [0, 1], 0 where NaN;
- ``cameras`` (C,), ``keypoints`` (K,), ``fps`` as in ``keypoints2d.npz``.

Slots are the detector's order in each frame, not identities: people are associated across
views and frames by triangulation (:mod:`mocaplab.triangulation.persons`). ``detect`` writes
both files together and removes a ``poses2d.npz`` left by an earlier run with ``num_poses`` > 1;
a reader uses ``poses2d.npz`` only when its slot 0 equals ``keypoints2d.npz`` (same run).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import numpy as np

from mocaplab.atomic import save_npz
from mocaplab.errors import InputError
from mocaplab.pose_data import NPZ_ERRORS, Keypoints2D

log = logging.getLogger(__name__)

POSES2D_FILE = "poses2d.npz"


@dataclasses.dataclass(frozen=True, eq=False)
class Poses2D:
    """Every detected pose of every view (contents of ``poses2d.npz``).

    Attributes:
        points: (C, F, P, K, 2) pixels, NaN = not seen.
        confidence: (C, F, P, K) in [0, 1], 0 where NaN.
        cameras: C names; keypoints: K names; fps: frames per second.
    """

    points: np.ndarray
    confidence: np.ndarray
    cameras: tuple[str, ...]
    keypoints: tuple[str, ...]
    fps: float

    def __post_init__(self) -> None:
        p = np.asarray(self.points, dtype=float)
        c = np.asarray(self.confidence, dtype=float)
        if p.ndim != 5 or p.shape[-1] != 2:
            raise InputError(f"poses must be (C, F, P, K, 2), got {p.shape}")
        if c.shape != p.shape[:4]:
            raise InputError(f"pose confidence must be {p.shape[:4]}, got {c.shape}")
        if len(self.cameras) != p.shape[0] or len(self.keypoints) != p.shape[3]:
            raise InputError("poses: camera or keypoint names do not match the array shape")
        seen = np.isfinite(p).all(-1)
        object.__setattr__(self, "points", np.where(seen[..., None], p, np.nan))
        object.__setattr__(self, "confidence",
                           np.where(seen, np.clip(np.nan_to_num(c), 0.0, 1.0), 0.0))
        object.__setattr__(self, "cameras", tuple(str(x) for x in self.cameras))
        object.__setattr__(self, "keypoints", tuple(str(x) for x in self.keypoints))
        object.__setattr__(self, "fps", float(self.fps))

    @classmethod
    def from_single(cls, kp: Keypoints2D) -> Poses2D:
        """One pose slot per view: a ``keypoints2d.npz`` seen as poses."""
        return cls(kp.points[:, :, None], kp.confidence[:, :, None], kp.cameras, kp.keypoints,
                   kp.fps)

    @property
    def n_slots(self) -> int:
        return self.points.shape[2]

    def save(self, path: str | os.PathLike) -> Path:
        return save_npz(path, overwrite=True, points=self.points, confidence=self.confidence,
                        cameras=np.array(self.cameras), keypoints=np.array(self.keypoints),
                        fps=np.float64(self.fps))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Poses2D:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(z["points"], z["confidence"], tuple(z["cameras"].tolist()),
                           tuple(z["keypoints"].tolist()), float(z["fps"]))
        except NPZ_ERRORS as exc:
            raise InputError(f"{path} is not a readable poses2d.npz ({exc})") from None


def poses_path_for(keypoints2d_path: str | os.PathLike) -> Path:
    return Path(keypoints2d_path).with_name(POSES2D_FILE)


def load_poses_for(keypoints2d_path: str | os.PathLike, kp: Keypoints2D) -> Poses2D:
    """The poses of the same detection run as ``kp`` (its ``poses2d.npz``), else ``kp`` as
    one pose per view. A ``poses2d.npz`` from another run (slot 0 differs) is ignored with a
    warning."""
    path = poses_path_for(keypoints2d_path)
    if not path.is_file():
        return Poses2D.from_single(kp)
    poses = Poses2D.load(path)
    same = (poses.cameras == kp.cameras and poses.keypoints == kp.keypoints
            and poses.points.shape[:2] == kp.points.shape[:2]
            and np.array_equal(poses.points[:, :, 0], kp.points, equal_nan=True))
    if not same:
        log.warning("%s does not belong to %s (another detection run): ignored, one person "
                    "per view assumed; run 'mocaplab detect --force'", path, keypoints2d_path)
        return Poses2D.from_single(kp)
    return poses
