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


def triangulate_corners(cameras: CameraSet, detections: Sequence[CameraDetections],
                        min_cameras: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Triangulate every board corner seen by at least ``min_cameras`` cameras (linear DLT on
    undistorted normalized coordinates; no board model involved).

    Args:
        cameras: the calibration (matched to detections by name).
        detections: per-camera board detections (same frame numbering).

    Returns:
        frames (F,) frame numbers and points (F, N, 3) metres in the calibration's world frame,
        NaN where a corner was seen by fewer than ``min_cameras`` cameras.
    """
    dets = list(detections)
    cams: list[Camera] = list(cameras.subset([d.name for d in dets]))
    frames = np.unique(np.concatenate([d.frames for d in dets]))
    n = dets[0].corners.shape[1]
    xn = np.full((len(dets), len(frames), n, 2), np.nan)  # (C, F, N, 2) normalized
    pos = {int(f): k for k, f in enumerate(frames)}
    for c, (cam, d) in enumerate(zip(cams, dets, strict=True)):
        if d.n_views:
            xn[c, [pos[int(f)] for f in d.frames]] = cam.undistort_points(d.corners)
    P = np.stack([cam.extrinsic_matrix for cam in cams])  # (C, 3, 4)
    seen = np.isfinite(xn[..., 0])  # (C, F, N)
    # DLT rows: x * P3 - P1, y * P3 - P2 per camera; zero rows for cameras that did not see it
    rows = np.concatenate([xn[..., :1, None] * P[:, None, None, 2:3] - P[:, None, None, 0:1],
                           xn[..., 1:, None] * P[:, None, None, 2:3] - P[:, None, None, 1:2]],
                          axis=-2)  # (C, F, N, 2, 4)
    rows = np.where(seen[..., None, None], np.nan_to_num(rows), 0.0)
    A = np.moveaxis(rows, 0, 2).reshape(len(frames), n, 2 * len(dets), 4)
    ok = seen.sum(0) >= min_cameras
    pts = np.full((len(frames), n, 3), np.nan)
    if ok.any():
        _, _, Vt = np.linalg.svd(A[ok])
        X = Vt[:, -1]
        pts[ok] = X[:, :3] / X[:, 3:]
    keep = ok.any(1)
    return frames[keep], pts[keep]


def board_geometry_error(cameras: CameraSet, detections: Sequence[CameraDetections],
                         board: BoardSpec, min_corners: int = 6) -> dict[str, Any]:
    """How well a calibration reproduces the physical board: its corners are triangulated
    freely from every frame seen by >= 2 cameras (:func:`triangulate_corners`) and compared
    with the board's known geometry. Independent of the reprojection error: a calibration
    with wrong focal lengths, baselines or relative rotations triangulates a board of the wrong
    size or shape even when each camera's reprojection error is small.

    Args:
        min_corners: frames with fewer triangulated corners are skipped.

    Returns:
        {"distance_rms_mm": RMS over all corner pairs of (triangulated - true) distance,
         "distance_bias_pct": median relative distance error (scale), "shape_rms_mm": RMS
         residual of the best rigid fit of the true board to the triangulated corners,
         "planarity_rms_mm": RMS distance to the best-fit plane, "n_frames", "n_corners"}.
    """
    obj = board.corner_points()
    _, pts = triangulate_corners(cameras, detections)
    d_err, rel, shape, plane = [], [], [], []
    for X in pts:
        m = np.isfinite(X[:, 0])
        if m.sum() < min_corners:
            continue
        Xe, Xt = X[m], obj[m]
        iu = np.triu_indices(len(Xe), 1)
        de = np.linalg.norm(Xe[:, None] - Xe[None], axis=-1)[iu]
        dt = np.linalg.norm(Xt[:, None] - Xt[None], axis=-1)[iu]
        d_err.append(de - dt)
        rel.append(de / dt - 1)
        a, b = Xt - Xt.mean(0), Xe - Xe.mean(0)
        U, _, Vt = np.linalg.svd(a.T @ b)
        R = (U @ np.diag([1, 1, np.linalg.det(U @ Vt)]) @ Vt).T
        shape.append(b - a @ R.T)
        plane.append(np.linalg.svd(b, full_matrices=False)[2][-1] @ b.T)
    if not d_err:
        raise InputError(f"no frame has {min_corners} corners seen by two cameras")
    d, s, p = np.concatenate(d_err), np.concatenate(shape), np.concatenate(plane)
    return {"distance_rms_mm": 1000 * float(np.sqrt(np.mean(d**2))),
            "distance_bias_pct": 100 * float(np.median(np.concatenate(rel))),
            "shape_rms_mm": 1000 * float(np.sqrt(np.mean(np.sum(s**2, axis=1)))),
            "planarity_rms_mm": 1000 * float(np.sqrt(np.mean(p**2))),
            "n_frames": len(d_err), "n_corners": int(len(s))}


def refit_extrinsics(intrinsic_cameras: Sequence[Camera],
                     detections: Sequence[CameraDetections], board: BoardSpec) -> CameraSet:
    """Camera poses from ``detections`` with the intrinsics of ``intrinsic_cameras`` held fixed
    (their extrinsics are ignored): the ``--intrinsics`` path of the calibration. Separates what
    intrinsics contribute to a layout from what the extrinsic solution does (e.g. a reference
    tool's intrinsics with our extrinsics).
    """
    from mocaplab.calibration.lenses import given_lenses
    from mocaplab.calibration.pipeline import calibrate_detections

    dets = list(detections)
    lenses = given_lenses(intrinsic_cameras, [d.name for d in dets], [d.size for d in dets],
                          "the reference intrinsics")
    return calibrate_detections(dets, board, given_lenses=lenses).cameras
