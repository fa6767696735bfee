"""The detector interface: anything that turns one camera's video into 2D keypoints.

A detector is a small, picklable object (it is sent to worker processes) with a
``keypoint_names`` attribute and a ``detect`` method. MediaPipe
(:class:`mocaplab.keypoints.mediapipe_pose.MediaPipePoseDetector`) is the built-in one; the
importers (:mod:`mocaplab.keypoints.importers`) plug in OpenPose and DeepLabCut results the same
way, so :func:`mocaplab.keypoints.detect_trial` writes ``keypoints2d.npz`` from any of them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from mocaplab.errors import InputError

#: Called with the number of frames finished so far (for progress bars).
FrameCallback = Callable[[int], None]


@dataclasses.dataclass(frozen=True, eq=False)
class VideoKeypoints:
    """2D keypoints of one camera.

    Attributes:
        points: (F, K, 2) float, pixel coordinates in the distorted image, NaN = not seen.
        confidence: (F, K) float in [0, 1], 0 where ``points`` is NaN.
        keypoints: the K keypoint names.
        fps: frames per second of the video the points belong to.
        source: what produced them (e.g. "mediapipe:pose_landmarker_full.task").
        poses: None for a single-person detector; else (F, P, K, 2) every pose the detector
            returned in each frame (P = its ``num_poses``, in the detector's order, not
            associated between frames; unused slots NaN). ``points`` is then slot 0.
        pose_confidence: (F, P, K) confidence of ``poses`` (0 where NaN), or None.
    """

    points: np.ndarray
    confidence: np.ndarray
    keypoints: tuple[str, ...]
    fps: float
    source: str = ""
    poses: np.ndarray | None = None
    pose_confidence: np.ndarray | None = None

    def __post_init__(self) -> None:
        p = np.asarray(self.points, dtype=float)
        c = np.asarray(self.confidence, dtype=float)
        if p.ndim != 3 or p.shape[-1] != 2:
            raise InputError(f"keypoints must be (F, K, 2), got {p.shape}")
        if c.shape != p.shape[:2]:
            raise InputError(f"confidence must be (F, K) = {p.shape[:2]}, got {c.shape}")
        if len(self.keypoints) != p.shape[1]:
            raise InputError(f"{len(self.keypoints)} names for {p.shape[1]} keypoints")
        seen = np.isfinite(p).all(-1)
        p = np.where(seen[..., None], p, np.nan)
        c = np.where(seen, np.clip(np.nan_to_num(c, nan=0.0), 0.0, 1.0), 0.0)
        object.__setattr__(self, "points", p)
        object.__setattr__(self, "confidence", c)
        object.__setattr__(self, "keypoints", tuple(str(k) for k in self.keypoints))
        object.__setattr__(self, "fps", float(self.fps))
        if (self.poses is None) != (self.pose_confidence is None):
            raise InputError("poses and pose_confidence go together")
        if self.poses is not None:
            pp = np.asarray(self.poses, dtype=float)
            pc = np.asarray(self.pose_confidence, dtype=float)
            if pp.ndim != 4 or pp.shape[0] != p.shape[0] or pp.shape[2:] != p.shape[1:]:
                raise InputError(f"poses must be (F, P, K, 2) with (F, K) = {p.shape[:2]}, "
                                 f"got {pp.shape}")
            if pc.shape != pp.shape[:3]:
                raise InputError(f"pose_confidence must be {pp.shape[:3]}, got {pc.shape}")
            seen_p = np.isfinite(pp).all(-1)
            object.__setattr__(self, "poses", np.where(seen_p[..., None], pp, np.nan))
            object.__setattr__(self, "pose_confidence", np.where(
                seen_p, np.clip(np.nan_to_num(pc, nan=0.0), 0.0, 1.0), 0.0))

    @property
    def n_frames(self) -> int:
        return self.points.shape[0]

    def detected(self) -> np.ndarray:
        """(F,) bool: frames where at least one keypoint was found."""
        return np.isfinite(self.points).all(-1).any(-1)

    def detection_rate(self) -> float:
        """Fraction of frames with a detection (0 for an empty result)."""
        return float(self.detected().mean()) if self.n_frames else 0.0


@runtime_checkable
class Detector(Protocol):
    """A source of 2D keypoints for one camera video.

    Implementations must be picklable (they run in spawned worker processes) and cheap to
    create; heavy state (a neural network) is created inside :meth:`detect`. An optional
    ``preload()`` method is called once when a parallel lane starts, in a worker process or in
    the calling process's lane thread (to import heavy libraries while the parent is still
    preparing); it must not change process-wide state.
    """

    keypoint_names: tuple[str, ...]

    def detect(self, video_path: str | os.PathLike, *, max_frames: int | None = None,
               on_frame: FrameCallback | None = None) -> VideoKeypoints:
        """Keypoints of every frame of ``video_path`` (or its first ``max_frames``)."""
        ...

    def signature(self) -> str:
        """A string that changes whenever the results would change (model, options); used to
        decide whether a cached per-camera result can be reused."""
        ...


def map_keypoints(points: np.ndarray, confidence: np.ndarray, names: Sequence[str],
                  target: Sequence[str], mapping: Mapping[str, str] | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Re-order keypoints from a source naming onto a target keypoint list.

    Args:
        points: (F, S, 2) source points; confidence: (F, S).
        names: the S source names.
        target: the K target names.
        mapping: source name -> target name; None maps equal names.
    Returns:
        (F, K, 2) points and (F, K) confidence; target keypoints without a source are NaN / 0.
    """
    points = np.asarray(points, dtype=float)
    confidence = np.asarray(confidence, dtype=float)
    F = points.shape[0]
    out_p = np.full((F, len(target), 2), np.nan)
    out_c = np.zeros((F, len(target)))
    mapping = {n: n for n in names} if mapping is None else dict(mapping)
    index = {n: i for i, n in enumerate(target)}
    for s, name in enumerate(names):
        t = index.get(mapping.get(name, ""))
        if t is not None:
            out_p[:, t] = points[:, s]
            out_c[:, t] = confidence[:, s]
    return out_p, out_c
