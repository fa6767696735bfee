"""Initial camera poses from the graph of shared board views.

Every (camera, view) gets a board pose from PnP with the camera's intrinsics. Two cameras that
saw the board in the same frame give a relative pose; for each pair the most consistent of
these (the medoid) is kept. A maximum spanning tree of the camera graph (edge weight = number of
shared frames) chains the relative poses from the best connected camera, so the board never has
to be seen by all cameras at once. The world frame is that root camera's frame until floor
alignment.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from mocaplab.board import BoardSpec
from mocaplab.calibration.detect import CameraDetections
from mocaplab.calibration.geometry import compose, invert, rotation_vector
from mocaplab.camera import Camera
from mocaplab.errors import InputError


@dataclasses.dataclass(frozen=True, eq=False)
class ViewPoses:
    """Board -> camera poses of one camera's views (NaN where PnP failed or was rejected).

    Attributes:
        R: (V, 3, 3); t: (V, 3) metres; rms: (V,) PnP reprojection RMS, pixels.
    """

    R: np.ndarray
    t: np.ndarray
    rms: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class ViewPose:
    """The board -> camera pose of one view: R (3, 3), rvec (3,), t (3,) metres, and the RMS
    (pixels) of the view's corners reprojected through the camera with that pose."""

    R: np.ndarray
    rvec: np.ndarray
    t: np.ndarray
    rms: float


def view_pose(cam: Camera, obj: np.ndarray, uv: np.ndarray) -> ViewPose | None:
    """The board pose of one view fitted to its corners alone through the camera's lens:
    planar PnP (IPPE) on the undistorted corners, then Levenberg-Marquardt.

    Args:
        cam: the camera (intrinsics and lens).
        obj: (N, 3) board corners, metres, board frame.
        uv: (N, 2) their detected pixels (finite).

    Returns None with fewer than 4 corners or when PnP fails or gives a non-finite pose; the
    pose may put the board behind the camera (``t[2] <= 0``): the caller judges that.
    """
    if len(obj) < 4:
        return None
    o = np.asarray(obj, np.float64)
    norm = cam.undistort_points(uv).astype(np.float64)
    eye = np.eye(3)
    try:
        ok, rv, tv = cv2.solvePnP(o, norm, eye, None, flags=cv2.SOLVEPNP_IPPE)
        if not ok:
            return None
        rv, tv = cv2.solvePnPRefineLM(o, norm, eye, None, rv, tv)
    except cv2.error:
        return None
    rv, tv = rv.ravel(), tv.ravel()
    if not (np.isfinite(rv).all() and np.isfinite(tv).all()):
        return None
    proj = cam.replace(rvec=rv, tvec=tv).project(o)
    rms = float(np.sqrt(np.mean(np.sum((proj - uv) ** 2, axis=1))))
    return ViewPose(cv2.Rodrigues(rv)[0], rv, tv, rms)


def board_poses(cam: Camera, det: CameraDetections, board: BoardSpec) -> ViewPoses:
    """PnP board pose of every view of one camera (:func:`view_pose`); a view whose pose puts
    the board behind the camera gets none."""
    obj = board.corner_points()
    V = det.n_views
    R = np.full((V, 3, 3), np.nan)
    t = np.full((V, 3), np.nan)
    rms = np.full(V, np.nan)
    for v in range(V):
        m = np.isfinite(det.corners[v]).all(axis=1)
        pose = view_pose(cam, obj[m], det.corners[v, m])
        if pose is None or pose.t[2] <= 0:
            continue  # no pose, or a board behind the camera
        R[v], t[v], rms[v] = pose.R, pose.t, pose.rms
    return ViewPoses(R, t, rms)


def _good_views(poses: ViewPoses, max_rms: float) -> np.ndarray:
    ok = np.isfinite(poses.rms)
    if ok.any():
        limit = max(max_rms, 4 * float(np.median(poses.rms[ok])))
        ok &= poses.rms <= limit
    return ok


def initial_extrinsics(cams: list[Camera], dets: list[CameraDetections],
                       poses: list[ViewPoses], max_rms: float = 3.0) -> list[Camera]:
    """Camera poses in the frame of the best connected camera, from shared board views.

    Raises:
        InputError: when some cameras never share a board view with the others (naming them).
    """
    C = len(cams)
    frame_maps = []
    for det, ps in zip(dets, poses, strict=True):
        good = _good_views(ps, max_rms)
        frame_maps.append({int(f): v for v, f in enumerate(det.frames) if good[v]})
    rel: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, int]] = {}
    for a in range(C):
        for b in range(a + 1, C):
            shared = sorted(set(frame_maps[a]) & set(frame_maps[b]))
            if not shared:
                continue
            cands = []
            for f in shared:
                va, vb = frame_maps[a][f], frame_maps[b][f]
                Rb_inv, tb_inv = invert(poses[b].R[vb], poses[b].t[vb])
                cands.append(compose(poses[a].R[va], poses[a].t[va], Rb_inv, tb_inv))  # b -> a
            rel[a, b] = (*_medoid(cands), len(shared))
    degree = np.zeros(C)
    for (a, b), (_, _, n) in rel.items():
        degree[a] += n
        degree[b] += n
    root = int(np.argmax(degree))
    # Prim's maximum spanning tree from the root
    world_from_cam: dict[int, tuple[np.ndarray, np.ndarray]] = {root: (np.eye(3), np.zeros(3))}
    while len(world_from_cam) < C:
        best = None
        for (a, b), (R, t, n) in rel.items():
            if (a in world_from_cam) == (b in world_from_cam):
                continue
            if best is None or n > best[0]:
                best = (n, a, b, R, t)
        if best is None:
            missing = [cams[i].name for i in range(C) if i not in world_from_cam]
            linked = [cams[i].name for i in world_from_cam]
            raise InputError(
                f"camera(s) {', '.join(missing)} never see the board at the same time as "
                f"camera(s) {', '.join(linked)}, so their relative position is unknown. Record "
                "the board again, moving it slowly through the regions that neighbouring "
                "cameras both see")
        _, a, b, R_ab, t_ab = best  # x_a = R_ab x_b + t_ab
        if a in world_from_cam:  # new camera b: world <- b = (world <- a) o (a <- b)
            world_from_cam[b] = compose(*world_from_cam[a], R_ab, t_ab)
        else:  # new camera a: world <- a = (world <- b) o (b <- a)
            world_from_cam[a] = compose(*world_from_cam[b], *invert(R_ab, t_ab))
    out = []
    for i, cam in enumerate(cams):
        R_cw, t_cw = invert(*world_from_cam[i])  # world -> camera
        out.append(cam.replace(rvec=rotation_vector(R_cw), tvec=t_cw))
    return out


def _medoid(cands: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The candidate transform closest to all others (rotation angle + relative translation)."""
    if len(cands) <= 2:
        return cands[0]
    Rs = np.stack([c[0] for c in cands])
    ts = np.stack([c[1] for c in cands])
    scale = max(float(np.median(np.linalg.norm(ts, axis=1))), 1e-6)
    cos = (np.einsum("aij,bij->ab", Rs, Rs) - 1) / 2
    ang = np.arccos(np.clip(cos, -1, 1))
    dt = np.linalg.norm(ts[:, None] - ts[None], axis=-1) / scale
    cost = np.median(ang + dt, axis=1)
    k = int(np.argmin(cost))
    return Rs[k], ts[k]


def initial_board_poses(cams: list[Camera], dets: list[CameraDetections],
                        poses: list[ViewPoses], frames: np.ndarray, max_rms: float = 3.0
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Board -> world pose (R (B,3,3), t (B,3)) of each frame in ``frames``.

    Taken from the camera whose PnP fit of that frame is best.
    """
    B = len(frames)
    R = np.full((B, 3, 3), np.nan)
    t = np.full((B, 3), np.nan)
    best = np.full(B, np.inf)
    pos = {int(f): k for k, f in enumerate(frames)}
    for cam, det, ps in zip(cams, dets, poses, strict=True):
        good = _good_views(ps, max_rms)
        Rc, tc = invert(cam.rotation, cam.tvec)  # camera -> world
        for v, f in enumerate(det.frames):
            k = pos.get(int(f))
            if k is None or not good[v]:
                continue
            score = ps.rms[v] / max(1, np.isfinite(det.corners[v, :, 0]).sum())
            if score < best[k]:
                best[k] = score
                R[k], t[k] = compose(Rc, tc, ps.R[v], ps.t[v])
    return R, t
