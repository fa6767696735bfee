"""Floor alignment: the board lying on the floor defines the lab frame (Z up, origin on the floor).

The board's pose is estimated once from every camera that sees it (all floor frames, cameras
fixed, one 6-parameter least-squares fit of all their corners). The lab frame then has its
origin at the board's origin corner, X along the board's x axis (its columns), Z normal to the
floor pointing towards the cameras, and Y = Z x X.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import least_squares

from mocaplab.board import BoardSpec
from mocaplab.calibration.detect import CameraDetections
from mocaplab.calibration.extrinsics import board_poses
from mocaplab.calibration.geometry import compose, invert, rodrigues, rotation_vector
from mocaplab.camera import Camera
from mocaplab.errors import InputError


@dataclasses.dataclass(frozen=True, eq=False)
class FloorPose:
    """The floor board's pose (board -> world), the fit's RMS (px) and the views used."""

    R: np.ndarray
    t: np.ndarray
    rms: float
    n_views: int
    cameras: tuple[str, ...]


def estimate_floor_board(cams: list[Camera], dets: list[CameraDetections],
                         board: BoardSpec) -> FloorPose:
    """Pose of the board on the floor from every view of it (the board must not move)."""
    obj = board.corner_points()
    best = (np.inf, None)
    cam_idx, pts, uvs = [], [], []
    names = []
    for c, (cam, det) in enumerate(zip(cams, dets, strict=True)):
        if det.n_views == 0:
            continue
        ps = board_poses(cam, det, board)
        names.append(cam.name)
        for v in range(det.n_views):
            m = np.isfinite(det.corners[v, :, 0])
            cam_idx.append(np.full(m.sum(), c))
            pts.append(obj[m])
            uvs.append(det.corners[v, m])
            if np.isfinite(ps.rms[v]) and ps.rms[v] / m.sum() < best[0]:
                Rc, tc = invert(cam.rotation, cam.tvec)
                best = (ps.rms[v] / m.sum(), compose(Rc, tc, ps.R[v], ps.t[v]))
    if best[1] is None:
        raise InputError("the floor recording never shows the board in any camera; lay the "
                         "board flat on the floor where at least one (better two) cameras see it")
    cam_idx = np.concatenate(cam_idx)
    P = np.concatenate(pts)
    uv = np.concatenate(uvs)

    def residuals(x: np.ndarray) -> np.ndarray:
        R = rodrigues(x[:3])
        Xw = P @ R.T + x[3:]
        out = np.empty_like(uv)
        for c in np.unique(cam_idx):
            m = cam_idx == c
            out[m] = cams[c].project(Xw[m])
        return np.nan_to_num((out - uv).ravel(), nan=1e3)

    x0 = np.concatenate([rotation_vector(best[1][0]), best[1][1]])
    sol = least_squares(residuals, x0, loss="huber", f_scale=1.5)
    r = sol.fun.reshape(-1, 2)
    rms = float(np.sqrt(np.mean(np.sum(r**2, axis=1))))
    return FloorPose(rodrigues(sol.x[:3]), sol.x[3:], rms, int(sum(d.n_views for d in dets)),
                     tuple(names))


def lab_transform(floor: FloorPose, cams: list[Camera]) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with x_lab = A x_world + b, from the floor board pose."""
    x_axis = floor.R[:, 0]
    z_axis = floor.R[:, 2]
    centres = np.stack([c.center for c in cams])
    if np.mean((centres - floor.t) @ z_axis) < 0:
        z_axis = -z_axis
    y_axis = np.cross(z_axis, x_axis)
    A = np.stack([x_axis, y_axis, z_axis])  # rows: lab axes in world coordinates
    return A, -A @ floor.t


def transform_cameras(cams: list[Camera], A: np.ndarray, b: np.ndarray) -> list[Camera]:
    """Express cameras in the frame x' = A x + b (A a rotation)."""
    out = []
    for cam in cams:
        R = cam.rotation @ A.T
        t = cam.tvec - R @ b
        out.append(cam.replace(rvec=rotation_vector(R), tvec=t))
    return out
