"""Synthetic calibration sweeps with known truth (for tests and benchmarks/calibration_eval.py).

A sweep imitates a technician waving the board: in each frame the board is seen by one camera
(close views spread over its image, for intrinsics) or by two neighbouring cameras (views in the
overlap of their fields, for extrinsics), never by more, so the cameras are linked only through
the graph of shared views. Every view is rendered through the full lens model
(:class:`mocaplab.synthetic.BoardRenderer`) and detected with the real detector, so the
detections carry realistic sub-pixel errors while the true corner positions stay known.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from mocaplab.board import BoardSpec
from mocaplab.calibration.detect import CameraDetections, detect_image, make_detector
from mocaplab.camera import Camera, CameraSet
from mocaplab.synthetic import BoardRenderer, board_pose_facing


@dataclasses.dataclass(frozen=True)
class SweepFrame:
    """One frame: the board pose (board -> world) and the cameras that see it."""

    cameras: tuple[int, ...]
    R: np.ndarray
    t: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class SweepData:
    """Detections and truth of a rendered sweep.

    Attributes:
        detections: per-camera detections (frame = index in ``frames``).
        truth_corners: per camera (V, N, 2) true pixel positions of the detected views' corners.
        frames: the sweep.
    """

    detections: list[CameraDetections]
    truth_corners: list[np.ndarray]
    frames: list[SweepFrame]


def neighbour_pairs(cameras: CameraSet, target: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of cameras adjacent in azimuth around ``target`` (a closed ring)."""
    az = [np.arctan2(*(c.center[:2] - target[:2])[::-1]) for c in cameras]
    order = list(np.argsort(az))
    n = len(order)
    if n == 2:
        return [(int(order[0]), int(order[1]))]
    return [(int(order[k]), int(order[(k + 1) % n])) for k in range(n)]


def _board_rotation(normal_to_cameras: np.ndarray, spin: float) -> np.ndarray:
    """Board -> world rotation with the printed side facing along ``normal_to_cameras``."""
    z = -normal_to_cameras / np.linalg.norm(normal_to_cameras)  # board z points away
    helper = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R0 = np.stack([x, y, z], axis=1)
    Rz = cv2.Rodrigues(np.array([0.0, 0.0, spin]))[0]
    return R0 @ Rz


def _visible_fraction(cam: Camera, board: BoardSpec, R: np.ndarray, t: np.ndarray,
                      margin: float = 8.0) -> float:
    pts = board.corner_points() @ R.T + t
    px = cam.project(pts)
    w, h = cam.size
    inside = (np.isfinite(px).all(1) & (px[:, 0] > margin) & (px[:, 0] < w - margin)
              & (px[:, 1] > margin) & (px[:, 1] < h - margin))
    # printed side faces the camera and the view is not too oblique
    normal = -R[:, 2]
    to_cam = cam.center - (t + R @ np.r_[np.array(board.size_m) / 2, 0])
    cosang = normal @ to_cam / np.linalg.norm(to_cam)
    return float(inside.mean()) if cosang > np.cos(np.radians(65)) else 0.0


def make_sweep(cameras: CameraSet, board: BoardSpec, n_pair: int = 20, n_single: int = 16,
               target=(0.0, 0.0, 0.9), spread=(1.0, 1.0, 0.5), seed: int = 0
               ) -> list[SweepFrame]:
    """A sweep: ``n_single`` close views per camera, ``n_pair`` shared views per neighbour pair.

    Shared views: the board at random places within ``spread`` (m) of ``target``, facing the
    pair's mean direction with random tilt and spin, kept only if each camera of the pair sees
    all its corners.
    """
    rng = np.random.default_rng(seed)
    target = np.asarray(target, float)
    frames: list[SweepFrame] = []
    for c, cam in enumerate(cameras):
        w, h = cam.size
        f = cam.matrix[0, 0]
        got = 0
        for _ in range(n_single * 50):
            if got == n_single:
                break
            frac = rng.uniform(0.3, 0.55)
            dist = f * board.size_m[0] / (frac * w)
            off = (rng.uniform(-0.42, 0.42) * w, rng.uniform(-0.4, 0.4) * h)
            tilt = tuple(rng.uniform(-35, 35, 2))
            R, t = board_pose_facing(cam, dist, tilt, off, board, rng.uniform(-30, 30))
            if _visible_fraction(cam, board, R, t) == 1.0:
                frames.append(SweepFrame((c,), R, t))
                got += 1
    for a, b in neighbour_pairs(cameras, target):
        ca, cb = cameras[a], cameras[b]
        got = 0
        for _ in range(n_pair * 200):
            if got == n_pair:
                break
            centre = target + rng.uniform(-1, 1, 3) * np.asarray(spread)
            da = ca.center - centre
            db = cb.center - centre
            n = da / np.linalg.norm(da) + db / np.linalg.norm(db)
            n += rng.normal(0, 0.25, 3) * np.linalg.norm(n)
            R = _board_rotation(n, rng.uniform(-np.pi, np.pi))
            t = centre - R @ np.r_[np.array(board.size_m) / 2, 0]
            if _visible_fraction(ca, board, R, t) == 1.0 and _visible_fraction(cb, board, R, t) \
                    == 1.0:
                frames.append(SweepFrame((a, b), R, t))
                got += 1
    return frames


def render_sweep(cameras: CameraSet, board: BoardSpec, frames: list[SweepFrame],
                 supersample: int = 2, noise_sigma: float = 2.0, blur_sigma: float = 0.6,
                 video_dir: str | os.PathLike | None = None,
                 progress: Callable[[int], None] | None = None, seed: int = 0,
                 hold: int = 1) -> SweepData:
    """Render every view, detect the board, and optionally write one lossless video per camera.

    Videos (``<video_dir>/<camera>.avi``, FFV1) hold one frame per sweep frame, a plain grey
    image where the camera does not see the board, for end-to-end runs. ``hold`` repeats each
    sweep frame in the videos (the board held still for a moment, as in real footage; tools that
    examine every n-th frame then still see every pose).
    """
    rng = np.random.default_rng(seed)
    renderers = [BoardRenderer(c, board, supersample=supersample) for c in cameras]
    detector = make_detector(board)
    n = board.n_corners
    views: list[list] = [[] for _ in cameras]
    writers = []
    if video_dir is not None:
        Path(video_dir).mkdir(parents=True, exist_ok=True)
        for cam in cameras:
            path = str(Path(video_dir) / f"{cam.name}.avi")
            writers.append(cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"FFV1"), 10.0,
                                           cam.size, False))
    try:
        for k, fr in enumerate(frames):
            for c, cam in enumerate(cameras):
                if c not in fr.cameras:
                    if writers:
                        w, h = cam.size
                        blank = np.clip(rng.normal(110, noise_sigma, (h, w)), 0, 255)
                        for _ in range(hold):
                            writers[c].write(blank.astype(np.uint8))
                    continue
                r = renderers[c].render(fr.R, fr.t, blur_sigma=blur_sigma,
                                        noise_sigma=noise_sigma, rng=rng)
                if writers:
                    for _ in range(hold):
                        writers[c].write(r.image)
                ids, px, _, _ = detect_image(detector, r.image, board)
                if len(ids) >= 6:
                    det = np.full((n, 2), np.nan)
                    det[ids] = px
                    tru = np.full((n, 2), np.nan)
                    tru[ids] = r.all_corners_px[ids]
                    views[c].append((k, det, tru))
            if progress is not None:
                progress(1)
    finally:
        for w in writers:
            w.release()
    dets, truth = [], []
    for c, cam in enumerate(cameras):
        fs = np.array([v[0] for v in views[c]], int)
        corners = np.stack([v[1] for v in views[c]]) if views[c] else np.zeros((0, n, 2))
        tr = np.stack([v[2] for v in views[c]]) if views[c] else np.zeros((0, n, 2))
        dets.append(CameraDetections(cam.name, cam.size, len(frames), fs, corners, len(frames)))
        truth.append(tr)
    return SweepData(dets, truth, frames)


def pair_sweep_videos(folder: str | os.PathLike, board: BoardSpec, seed: int = 2
                      ) -> tuple[CameraSet, dict[str, Path]]:
    """A small end-to-end scene: two cameras 2.4 m apart (480 x 270, mild distortion) and a
    short sweep of ``board`` written as two synchronised lossless videos in ``folder``.

    Returns:
        the true cameras, and camera name -> video path (``<folder>/<camera>.avi``).
    """
    from mocaplab.synthetic import DISTORTION_MILD
    from mocaplab.synthetic.cameras import make_camera

    cams = CameraSet(tuple(
        make_camera(f"cam{i}", (x, -1.8, 1.5), (0, 0, 0.8), (480, 270), 420, DISTORTION_MILD)
        for i, x in enumerate((-1.2, 1.2))))
    frames = make_sweep(cams, board, n_pair=5, n_single=5, target=(0, 0, 0.8),
                        spread=(0.3, 0.3, 0.2), seed=seed)
    render_sweep(cams, board, frames, video_dir=folder, seed=seed)
    return cams, {c.name: Path(folder) / f"{c.name}.avi" for c in cams}


def align_rigid(est: list[Camera], truth: list[Camera]) -> list[Camera]:
    """Express estimated cameras in the truth frame by the rigid transform that best maps the
    estimated camera centres and orientations onto the true ones (no scale: the board fixes it).
    """
    P = np.stack([c.center for c in est])
    Q = np.stack([c.center for c in truth])
    # orientation: average of per-camera rotation differences; translation by centroids
    M = sum(t.rotation.T @ e.rotation for e, t in zip(est, truth, strict=True))
    U, _, Vt = np.linalg.svd(M)
    A = U @ np.diag([1, 1, np.linalg.det(U @ Vt)]) @ Vt  # world_est -> world_true rotation
    b = Q.mean(0) - A @ P.mean(0)
    from mocaplab.calibration.floor import transform_cameras

    return transform_cameras(est, A, b)


def camera_errors(est: list[Camera], truth: list[Camera]) -> dict[str, np.ndarray]:
    """Per-camera errors after rigid alignment: centre (m), rotation (deg), focal (relative)."""
    from mocaplab.calibration.geometry import rotation_angle_deg

    al = align_rigid(est, truth)
    centre = np.array([np.linalg.norm(a.center - t.center) for a, t in zip(al, truth,
                                                                           strict=True)])
    rot = np.array([rotation_angle_deg(a.rotation, t.rotation) for a, t in zip(al, truth,
                                                                              strict=True)])
    focal = np.array([abs(a.matrix[0, 0] / t.matrix[0, 0] - 1) for a, t in zip(al, truth,
                                                                               strict=True)])
    return {"centre_m": centre, "rotation_deg": rot, "focal_rel": focal}


def true_reprojection_rms(est: list[Camera], truth: list[Camera], board: BoardSpec,
                          frames: list[SweepFrame]) -> float:
    """RMS (px) between true corner projections and the estimated cameras' projections of the
    true 3D corners (estimated cameras first aligned rigidly to the truth frame)."""
    al = align_rigid(est, truth)
    errs = []
    obj = board.corner_points()
    for fr in frames:
        X = obj @ fr.R.T + fr.t
        for c in fr.cameras:
            d = al[c].project(X) - truth[c].project(X)
            errs.append(np.sum(d**2, axis=1))
    e = np.concatenate(errs)
    return float(np.sqrt(np.nanmean(e)))
