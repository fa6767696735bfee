"""Floor alignment: the board lying on the floor defines the lab frame (Z up, origin on the floor).

The board's pose is estimated once from every camera that sees it (all floor frames, cameras
fixed, one 6-parameter least-squares fit of all their corners). The lab frame then has its
origin at the board's origin corner, X along the board's x axis (its columns), Z normal to the
floor pointing towards the cameras, and Y = Z x X.

With frames of the main recording instead of a floor recording (``--floor-frames``), every
listed frame is used: the frames whose board pose agrees with the consensus (the medoid frame)
within a tolerance are fitted together; frames where the board was elsewhere (still being laid
down, picked up, moved) are refused with a warning naming them, and when no majority of the
frames agrees the calibration stops with an error.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import numpy as np
from scipy.optimize import least_squares

from mocaplab.board import BoardSpec
from mocaplab.calibration.detect import CameraDetections
from mocaplab.calibration.extrinsics import board_poses
from mocaplab.calibration.geometry import compose, invert, rodrigues, rotation_vector
from mocaplab.camera import Camera
from mocaplab.errors import InputError

log = logging.getLogger(__name__)

#: Floor frames whose board corners lie further than this (metres) from the consensus pose's
#: corners are refused.
FLOOR_TOLERANCE_M = 0.02


@dataclasses.dataclass(frozen=True, eq=False)
class FloorPose:
    """The floor board's pose (board -> world), the fit's RMS (px) and the views used.

    ``frames`` / ``refused_frames``: with floor frames of the main recording, the frames fitted
    and those refused because the board was elsewhere in them (empty for a floor recording).
    """

    R: np.ndarray
    t: np.ndarray
    rms: float
    n_views: int
    cameras: tuple[str, ...]
    frames: tuple[int, ...] = ()
    refused_frames: tuple[int, ...] = ()


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


def agreeing_frames(board: BoardSpec, R: np.ndarray, t: np.ndarray,
                    tolerance: float = FLOOR_TOLERANCE_M) -> tuple[np.ndarray, np.ndarray]:
    """Which board poses agree with the consensus pose (the medoid).

    Args:
        R: (F, 3, 3), t: (F, 3) board -> world pose of each frame (metres).
        tolerance: largest corner displacement (metres) from the consensus for a frame to agree.

    Returns:
        (F,) bool mask of the agreeing frames and (F,) their largest corner displacement (m)
        from the consensus pose.
    """
    X = np.einsum("fij,nj->fni", R, board.corner_points()) + t[:, None]  # (F, N, 3)
    D = np.linalg.norm(X[:, None] - X[None], axis=-1).max(-1)  # (F, F) max corner distance
    medoid = int(np.argmin(np.median(D, axis=1)))
    return D[medoid] <= tolerance, D[medoid]


def floor_from_frames(cams: list[Camera], dets: list[CameraDetections], board: BoardSpec,
                      frames: Sequence[int], R: np.ndarray, t: np.ndarray,
                      tolerance: float = FLOOR_TOLERANCE_M) -> FloorPose:
    """The floor board's pose from frames of the main recording in which it lies on the floor.

    Args:
        cams: calibrated cameras (held fixed).
        dets: the main recording's detections, per camera.
        frames: (F,) the listed floor frames in which the board pose is known.
        R, t: (F, 3, 3), (F, 3) the board -> world pose of each of them (bundle adjustment).
        tolerance: frames whose board corners lie further than this (metres) from those of the
            consensus pose are refused.

    Raises:
        InputError: when no frame is given, or when no strict majority of them agrees (the
            board moved while on the floor: there is no single floor pose to use).
    """
    frames = np.asarray(frames, int)
    if len(frames) == 0:
        raise InputError("no floor frame shows the board to the calibrated cameras")
    ok, disp = agreeing_frames(board, R, t, tolerance)
    refused = frames[~ok]
    if 2 * ok.sum() <= len(frames) and len(frames) > 1:
        raise InputError(
            f"the board is not in the same place in the floor frames {frames.tolist()}: no "
            f"majority of them agrees within {100 * tolerance:.0f} cm (board corners up to "
            f"{100 * disp.max():.1f} cm apart); list only frames in which the board lies still "
            "on the floor")
    if len(refused):
        log.warning("floor frames %s refused: the board there is %s cm away from where it lies "
                    "in the other floor frames (still moving?)", refused.tolist(),
                    ", ".join(f"{100 * d:.1f}" for d in disp[~ok]))
    kept = frames[ok]
    sub = [d.subset(np.isin(d.frames, kept)) for d in dets]
    pose = estimate_floor_board(cams, sub, board)
    return dataclasses.replace(pose, frames=tuple(int(f) for f in kept),
                               refused_frames=tuple(int(f) for f in refused))


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
