"""``persons3d.npz`` (every person tracked) and the person/camera record in ``points3d.npz``.

``persons3d.npz`` (written when more than one person is tracked; CONVENTIONS.md):
``points`` (P, F, K, 3) metres, ``person_ids`` (P,) str, ``subject`` (index into P of the person
in ``points3d.npz``), ``keypoints`` (K,), ``fps``, ``reprojection_error`` (P, F, K) px,
``n_views`` (P, F, K) int; plus ``camera_frames`` (P,) int (the selection rule's count) and
``subject_rule`` str. A person's row is NaN where that person is not tracked.

``points3d.npz`` keeps its contract and gains optional arrays (:data:`RECORD_ARRAYS`):
``person_id`` str (the subject), ``persons`` (P,) str (everyone tracked, subject included),
``person_camera_frames`` (P,), ``person_tracked_frames`` (P,) (share of the frames each person
is tracked in, seen by two views or more), ``subject_rule`` str, ``cameras`` (C,) str,
``camera_frames_associated`` (C,), ``camera_views_kept`` (C,), ``camera_median_error_px`` (C,),
``camera_median_error_mm`` (C,), ``camera_disagreement`` (C,) (see :mod:`.health`),
``warnings`` (W,) str, ``points_left_out`` (R,) int and ``points_left_out_reasons`` (R,) str
(the subject's saved points left out as unsupported, per reason: :mod:`.smoothing`).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from mocaplab.atomic import save_npz
from mocaplab.errors import InputError
from mocaplab.pose_data import NPZ_ERRORS

PERSONS3D_FILE = "persons3d.npz"

RECORD_ARRAYS = ("person_id", "persons", "person_camera_frames", "person_tracked_frames",
                 "subject_rule", "cameras", "camera_frames_associated", "camera_views_kept",
                 "camera_median_error_px", "camera_median_error_mm", "camera_disagreement",
                 "warnings", "points_left_out", "points_left_out_reasons")


@dataclasses.dataclass(frozen=True, eq=False)
class Persons3D:
    """Contents of ``persons3d.npz`` (module doc for shapes and units)."""

    points: np.ndarray
    person_ids: tuple[str, ...]
    subject: int
    keypoints: tuple[str, ...]
    fps: float
    reprojection_error: np.ndarray
    n_views: np.ndarray
    camera_frames: np.ndarray
    subject_rule: str = ""

    def __post_init__(self) -> None:
        P = np.shape(self.points)[0]
        if np.ndim(self.points) != 4 or np.shape(self.points)[-1] != 3:
            raise InputError(f"persons3d points must be (P, F, K, 3), got {np.shape(self.points)}")
        if len(self.person_ids) != P or not 0 <= self.subject < P:
            raise InputError(f"persons3d: {len(self.person_ids)} ids and subject {self.subject} "
                             f"for {P} persons")
        for name in ("reprojection_error", "n_views"):
            if np.shape(getattr(self, name)) != np.shape(self.points)[:3]:
                raise InputError(f"persons3d {name} must be (P, F, K)")

    def save(self, path: str | os.PathLike) -> Path:
        return save_npz(path, overwrite=True, points=np.asarray(self.points, float),
                        person_ids=np.array(self.person_ids), subject=np.int64(self.subject),
                        keypoints=np.array(self.keypoints), fps=np.float64(self.fps),
                        reprojection_error=np.asarray(self.reprojection_error, float),
                        n_views=np.asarray(self.n_views, int),
                        camera_frames=np.asarray(self.camera_frames, int),
                        subject_rule=np.array(self.subject_rule))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Persons3D:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(z["points"], tuple(z["person_ids"].tolist()), int(z["subject"]),
                           tuple(z["keypoints"].tolist()), float(z["fps"]),
                           z["reprojection_error"], z["n_views"],
                           z["camera_frames"] if "camera_frames" in z.files
                           else np.zeros(len(z["person_ids"]), int),
                           str(z["subject_rule"]) if "subject_rule" in z.files else "")
        except NPZ_ERRORS as exc:
            raise InputError(f"{path} is not a readable persons3d.npz ({exc})") from None


def read_record(points3d_path: str | os.PathLike) -> dict | None:
    """The person/camera record of a ``points3d.npz`` (module doc) as plain Python values, or
    None when the file has none (written before persons were tracked, or by another tool)."""
    try:
        with np.load(points3d_path, allow_pickle=False) as z:
            if "person_id" not in z.files:
                return None
            rec = {k: z[k].tolist() for k in RECORD_ARRAYS if k in z.files}
    except NPZ_ERRORS as exc:
        raise InputError(f"{points3d_path} is not a readable .npz ({exc})") from None
    cams = rec.get("cameras", [])
    rec["camera_health"] = [
        {"camera": c, **{k: _num(rec[f"camera_{k}"][i]) for k in
                         ("frames_associated", "views_kept", "median_error_px",
                          "median_error_mm", "disagreement")
                         if f"camera_{k}" in rec}}
        for i, c in enumerate(cams)]
    return rec


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)
