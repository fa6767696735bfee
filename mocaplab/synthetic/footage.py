"""Synthetic camera footage: a plain mannequin walking over a floor grid, seen by a virtual
camera, so that trials made from known motion have videos to draw on.

The mannequin is drawn from the *ground-truth* 3D points (limbs as thick strokes whose width
follows the distance to the camera, a filled torso, a round head), over a floor grid on Z = 0
projected through the camera model (distortion included). It is not photo-realistic and no
detector should be run on it; it gives the before/after video (:mod:`mocaplab.compare_video`) a
picture under the reprojected 3D result, where any offset between body and drawing shows the
reconstruction error.

:func:`synthetic_visit` builds a complete trial folder of one visit: videos (this footage),
calibration, noisy 2D keypoints of the same motion, then triangulation and analysis.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from mocaplab.camera import Camera, CameraSet
from mocaplab.keypoint_sets import MEDIAPIPE33

WALL_BGR = (205, 214, 222)
FLOOR_BGR = (150, 160, 165)
GRID_BGR = (120, 128, 132)
SHIRT_BGR = (120, 110, 40)
TROUSERS_BGR = (70, 55, 50)
SKIN_BGR = (140, 170, 215)
_FACE = {"nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
         "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right"}
_LEG_WORDS = ("hip", "knee", "ankle", "heel", "foot")


def _project(camera: Camera, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) pixels and (N,) depth of (N, 3) points (NaN pixels behind the camera)."""
    depth = camera.world_to_camera(pts)[:, 2]
    px = camera.project(pts)
    px[depth <= 0.05] = np.nan
    return px, depth


def background(camera: Camera, grid_m: float = 0.5, extent_m: float = 8.0) -> np.ndarray:
    """(H, W, 3) BGR: wall, floor below the projected horizon, and a floor grid on Z = 0."""
    w, h = camera.size
    img = np.empty((h, w, 3), np.uint8)
    img[:] = WALL_BGR
    # floor: every pixel whose ray hits Z = 0 in front of the camera
    ys, xs = np.mgrid[0:h:4, 0:w:4]
    origin, dirs = camera.rays(np.stack([xs.ravel(), ys.ravel()], axis=1).astype(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = -origin[2] / dirs[:, 2]
    floor = (s > 0).reshape(ys.shape)
    mask = cv2.resize(floor.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    img[mask] = FLOOR_BGR
    ticks = np.arange(-extent_m, extent_m + 1e-9, grid_m)
    t = np.linspace(-extent_m, extent_m, 161)
    for c in ticks:
        for line in (np.stack([np.full_like(t, c), t, np.zeros_like(t)], 1),
                     np.stack([t, np.full_like(t, c), np.zeros_like(t)], 1)):
            px, _ = _project(camera, line)
            ok = np.isfinite(px).all(axis=1) & (np.abs(px) < 4 * max(w, h)).all(axis=1)
            for a, b in zip(np.flatnonzero(ok)[:-1], np.flatnonzero(ok)[1:], strict=False):
                if b == a + 1:
                    cv2.line(img, tuple(np.round(px[a]).astype(int)),
                             tuple(np.round(px[b]).astype(int)), GRID_BGR, 1, cv2.LINE_AA)
    return img


def draw_mannequin(img: np.ndarray, camera: Camera, points: np.ndarray,
                   names: tuple[str, ...] = MEDIAPIPE33.names) -> np.ndarray:
    """Draw one frame's body ((K, 3) metres, mediapipe33) on ``img`` in place."""
    idx = {n: i for i, n in enumerate(names)}
    px, depth = _project(camera, np.nan_to_num(points, nan=1e6))
    bad = ~np.isfinite(points).all(axis=1)
    px[bad] = np.nan
    f = float(camera.matrix[0, 0])

    def width(i: int, j: int, radius_m: float) -> int:
        d = 0.5 * (depth[i] + depth[j])
        return max(2, int(round(2 * radius_m * f / max(d, 0.1))))

    strokes = []
    for a, b in MEDIAPIPE33.edges:
        if a in _FACE or b in _FACE or a not in idx or b not in idx:
            continue
        i, j = idx[a], idx[b]
        if not (np.isfinite(px[i]).all() and np.isfinite(px[j]).all()):
            continue
        leg = any(w in a for w in _LEG_WORDS) and any(w in b for w in _LEG_WORDS)
        arm = not leg and ("shoulder" not in a or "shoulder" not in b) and \
            ("hip" not in a and "hip" not in b)
        colour = TROUSERS_BGR if leg else SKIN_BGR if arm else SHIRT_BGR
        strokes.append((0.5 * (depth[i] + depth[j]), px[i], px[j], colour,
                        width(i, j, 0.07 if leg else 0.045)))
    torso = [idx.get(n) for n in ("left_shoulder", "right_shoulder", "right_hip", "left_hip")]
    if None not in torso and np.isfinite(px[torso]).all():
        cv2.fillConvexPoly(img, np.round(px[torso]).astype(np.int32), SHIRT_BGR, cv2.LINE_AA)
    for _, p, q, colour, wpx in sorted(strokes, key=lambda s: -s[0]):
        cv2.line(img, tuple(np.round(p).astype(int)), tuple(np.round(q).astype(int)), colour,
                 wpx, cv2.LINE_AA)
    head = idx.get("nose")
    if head is not None and np.isfinite(px[head]).all():
        r = max(3, int(round(0.11 * f / max(depth[head], 0.1))))
        cv2.circle(img, tuple(np.round(px[head]).astype(int)), r, SKIN_BGR, -1, cv2.LINE_AA)
    return img


def render_footage(camera: Camera, points: np.ndarray, path: str | os.PathLike, fps: float,
                   names: tuple[str, ...] = MEDIAPIPE33.names, codec: str = "mp4v",
                   overwrite: bool = False) -> Path:
    """Write ``path``: the mannequin of ``points`` (F, K, 3) seen by ``camera``, one video
    frame per sample."""
    from mocaplab.capture.video_io import SafeVideoWriter

    bg = background(camera)
    with SafeVideoWriter(path, fps, camera.size, codec=codec, overwrite=overwrite) as out:
        for frame in np.asarray(points, float):
            out.write(draw_mannequin(bg.copy(), camera, frame, names))
    return Path(path)


def synthetic_visit(trial_dir: str | os.PathLike, points: np.ndarray, fps: float,
                    cameras: CameraSet, *, subject: str, date: str, seed: int = 0,
                    footage_cameras: list[str] | None = None, noise_px: float = 1.5) -> Path:
    """A processed trial folder of one visit made from known motion ``points`` (F, 33, 3).

    Writes synthetic footage for ``footage_cameras`` (default all), calibration.toml, noisy
    keypoints2d.npz of the same motion, then points3d.npz (triangulation) and metrics.json
    (analysis). ``date`` goes to meta.json ("date"); meta.json's "footage" says the videos are
    synthetic.
    """
    from mocaplab.analysis import analyze_file
    from mocaplab.pose_data import Keypoints2D
    from mocaplab.synthetic import project_motion
    from mocaplab.trial import Trial
    from mocaplab.triangulation import triangulate_trial

    trial = Trial.create(trial_dir, subject=subject, fps=fps, cameras=cameras.names,
                         overwrite=True, date=date,
                         footage="synthetic render of the ground-truth motion "
                                 "(mocaplab.synthetic.footage)")
    calibration = trial.save_calibration(cameras)
    for name in footage_cameras or cameras.names:
        render_footage(cameras[name], points, trial.videos_dir / f"{name}.mp4", fps,
                       overwrite=True)
    obs = project_motion(cameras, points, noise_px=noise_px, dropout=0.03, outliers=0.02,
                         swaps=0.0, mirror=MEDIAPIPE33.mirror, seed=seed)
    Keypoints2D(obs.points, obs.confidence, tuple(cameras.names), MEDIAPIPE33.names,
                fps).save(trial.keypoints2d_path)
    triangulate_trial(trial, calibration=calibration, force=True)
    analyze_file(trial.path, trial.metrics_path)
    return trial.path


def synthetic_subject(lab_dir: str | os.PathLike, subject: str = "S01", *,
                      image_size: tuple[int, int] = (640, 360), duration_s: float = 2.8,
                      fps: float = 50.0) -> tuple[Path, Path]:
    """Two visits of one subject in ``lab_dir`` (``pre`` and ``post``, trial ``walk01``): a
    parametric walk with an uneven pelvis (9 deg left rise, 100 steps/min) and a more even one
    (4 deg, 110 steps/min), with synthetic footage from a side camera (cam0) and the end camera
    the subject walks towards (cam4). Returns the two trial folders."""
    from mocaplab.synthetic.cameras import walkway_cameras
    from mocaplab.synthetic.gait import parametric_walk

    cams = walkway_cameras(6, walkway_length=7.0, image_size=image_size,
                           focal_px=450.0 * image_size[0] / 640)
    out = []
    for session, date, obl, cadence, seed in (("pre", "2026-03-02", (9.0, 2.0), 100.0, 1),
                                              ("post", "2026-06-15", (4.0, 4.0), 110.0, 2)):
        walk = parametric_walk(duration_s=duration_s, fps=fps, start_xy=(-1.6, 0.0),
                               obliquity_amp_deg=obl, cadence_steps_per_min=cadence)
        out.append(synthetic_visit(Path(lab_dir) / subject / session / "walk01",
                                   walk.keypoints.points, fps, cams, subject=subject, date=date,
                                   seed=seed, footage_cameras=["cam0", "cam4"]))
    return out[0], out[1]
