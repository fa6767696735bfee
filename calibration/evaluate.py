"""Judge a calibration on board detections: reprojection error with the cameras held fixed.

Any calibration (ours, or a reference such as caliscope's or anipose's) is scored the same way:
the board pose of every frame seen by at least two cameras is fitted (cameras fixed, Huber loss)
and the RMS of all corner residuals is reported, overall and per camera. This is the number to
compare between calibrations on the same detections.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mocaplab.board import BoardSpec
from mocaplab.calibration.bundle import bundle_adjust, collect_observations
from mocaplab.calibration.detect import CameraDetections
from mocaplab.calibration.extrinsics import board_poses, initial_board_poses
from mocaplab.calibration.geometry import rotation_angle_deg
from mocaplab.camera import Camera, CameraSet
from mocaplab.errors import InputError


def reprojection_error(cameras: CameraSet, detections: Sequence[CameraDetections],
                       board: BoardSpec, min_cameras: int = 2) -> dict[str, Any]:
    """RMS reprojection error (px) of ``cameras`` on ``detections``, board poses fitted.

    Args:
        cameras: the calibration (cameras are matched to detections by name).
        detections: per-camera board detections.
        min_cameras: use frames where at least this many cameras saw the board.

    Returns:
        {"rms_px", "median_px", "n_observations", "cameras": {name: rms_px}}.
    """
    dets = list(detections)
    cams: list[Camera] = list(cameras.subset([d.name for d in dets]))
    poses = [board_poses(c, d, board) for c, d in zip(cams, dets, strict=True)]
    count: dict[int, int] = {}
    for d, p in zip(dets, poses, strict=True):
        for v, f in enumerate(d.frames):
            if np.isfinite(p.rms[v]):
                count[int(f)] = count.get(int(f), 0) + 1
    frames = np.array(sorted(f for f, n in count.items() if n >= min_cameras), int)
    if len(frames) == 0:
        raise InputError(f"no frame is seen by {min_cameras} cameras")
    bR, bt = initial_board_poses(cams, dets, poses, frames, max_rms=np.inf)
    obs = collect_observations(dets, frames, [np.isfinite(p.rms) for p in poses])
    ba = bundle_adjust(cams, obs, board, bR, bt, refine_intrinsics=False,
                       refine_extrinsics=False, outlier_px=np.inf)
    err = np.linalg.norm(ba.residuals, axis=1)
    per_cam = {}
    for c, d in enumerate(dets):
        m = ba.observations.cam == c
        per_cam[d.name] = float(np.sqrt(np.mean(err[m] ** 2))) if m.any() else float("nan")
    return {"rms_px": float(np.sqrt(np.mean(err**2))), "median_px": float(np.median(err)),
            "n_observations": int(len(err)), "n_frames": int(len(ba.observations.frames)),
            "cameras": per_cam}


def layout_difference(est: CameraSet, ref: CameraSet, names: Sequence[str] | None = None,
                      scale: bool = True) -> dict[str, Any]:
    """Compare camera layouts after the best similarity (or rigid) alignment of ``est`` onto
    ``ref`` (camera centres; rotation from the cameras' orientations).

    Returns:
        {"centre_m": {name: distance}, "rotation_deg": {name: angle}, "scale": s}.
    """
    names = list(names or ref.names)
    E = [est[n] for n in names]
    R_ = [ref[n] for n in names]
    M = sum(r.rotation.T @ e.rotation for e, r in zip(E, R_, strict=True))
    U, _, Vt = np.linalg.svd(M)
    A = U @ np.diag([1, 1, np.linalg.det(U @ Vt)]) @ Vt
    P = np.stack([e.center for e in E]) @ A.T
    Q = np.stack([r.center for r in R_])
    s = 1.0
    if scale and len(names) > 1:
        p0, q0 = P - P.mean(0), Q - Q.mean(0)
        s = float(np.sum(p0 * q0) / np.sum(p0 * p0))
    b = Q.mean(0) - s * P.mean(0)
    aligned = s * P + b
    return {
        "centre_m": {n: float(np.linalg.norm(a - q)) for n, a, q in zip(names, aligned, Q,
                                                                        strict=True)},
        "rotation_deg": {n: rotation_angle_deg(e.rotation @ A.T, r.rotation)
                         for n, e, r in zip(names, E, R_, strict=True)},
        "scale": s,
    }
