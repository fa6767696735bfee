"""Hard multi-view scenes with known truth: tight framing, left/right swaps of the whole body
and of single limbs in runs of frames, gross outliers, a persistently outlying camera, and a
second person walking beside the subject.

Each scene is drawn at random from a seed (walk parameters, camera layout, where and how long
the swaps are), so that an evaluation can use seeds nobody looked at while tuning. The
detections come as detector slots (C, F, P, K, 2) in a random order per view and frame, as
MediaPipe returns several poses.
"""

from __future__ import annotations

import dataclasses
import warnings

import cv2
import numpy as np

from mocaplab.camera import CameraSet
from mocaplab.keypoint_sets import MEDIAPIPE33
from mocaplab.synthetic.cameras import DISTORTION_MILD, make_camera
from mocaplab.synthetic.gait import parametric_walk

#: Keypoints of each limb (a single-limb swap exchanges one limb with its counterpart).
LIMBS = {
    "left_leg": ("left_hip", "left_knee", "left_ankle", "left_heel", "left_foot_index"),
    "left_lower_leg": ("left_knee", "left_ankle", "left_heel", "left_foot_index"),
    "left_arm": ("left_shoulder", "left_elbow", "left_wrist", "left_pinky", "left_index",
                 "left_thumb"),
    "left_forearm": ("left_elbow", "left_wrist", "left_pinky", "left_index", "left_thumb"),
}


@dataclasses.dataclass(frozen=True)
class HardViewOptions:
    """How hard a scene is.

    Attributes:
        n_cameras: cameras on both sides and the ends of the walkway.
        fill: the subject's standing height as a fraction of the image height (tight framing:
            near 1, so that feet or head leave the image as the subject walks).
        noise_px: Gaussian pixel noise, as a fraction of ... pixels at 1000 px person height
            (scaled with the person's size in the image).
        outliers: fraction of observations moved by 5-40 % of the person's image height.
        whole_body_swaps: expected runs of whole-body left/right swaps per camera.
        limb_swaps: expected runs of single-limb swaps per camera.
        swap_run_s: (shortest, longest) run, seconds.
        bad_camera: one camera is persistently outlying (a calibration off by
            ``bad_camera_deg`` in rotation: all its views are biased).
        companion: a second person walking beside the subject.
        dropout: fraction of observations missing.
    """

    n_cameras: int = 5
    fill: float = 0.95
    noise_px: float = 3.0
    outliers: float = 0.04
    whole_body_swaps: float = 1.5
    limb_swaps: float = 2.0
    swap_run_s: tuple[float, float] = (0.1, 0.6)
    bad_camera: bool = False
    bad_camera_deg: float = 1.5
    companion: bool = False
    dropout: float = 0.03


@dataclasses.dataclass(frozen=True, eq=False)
class HardScene:
    """A scene and its truth.

    Attributes:
        cameras: the calibration (the bad camera's *nominal* pose, as a lab would have it).
        truth: (N, F, K, 3) metres, person 0 is the subject.
        points: (C, F, P, K, 2) detections in slots; confidence: (C, F, P, K).
        slot_of: (N, C, F) which slot holds person n (-1: not detected).
        clean: (N, C, F, K) observation is neither an outlier nor swapped nor from the bad
            camera (what an oracle would use).
        bad_camera: index of the persistently outlying camera, or -1.
        fps: Hz.
    """

    cameras: CameraSet
    truth: np.ndarray
    points: np.ndarray
    confidence: np.ndarray
    slot_of: np.ndarray
    clean: np.ndarray
    bad_camera: int
    fps: float


def _cameras(rng, n: int, fill: float, walk_len: float) -> CameraSet:
    """Cameras around a walkway along X; focal lengths so a 1.7 m person fills ``fill`` of the
    image height at the walkway centre line."""
    w, h = (1080, 1920) if rng.random() < 0.5 else (1280, 720)
    cams = []
    for i in range(n):
        if i < n - 1 or n < 4:
            side = 1 if i % 2 == 0 else -1
            x = rng.uniform(-0.4, 0.4) * walk_len
            dist = rng.uniform(2.5, 4.5)
            pos = (x, side * dist, rng.uniform(1.0, 1.8))
            target = (x * rng.uniform(0.3, 0.8), 0.0, 0.9)
        else:  # one camera at an end of the walkway, looking along it
            end = rng.choice([-1, 1])
            dist = walk_len / 2 + rng.uniform(2.0, 3.0)
            pos = (end * dist, rng.uniform(-0.5, 0.5), rng.uniform(1.2, 1.8))
            target = (0.0, 0.0, 0.9)
        d = float(np.linalg.norm(np.subtract(pos, target)))
        focal = fill * h * d / 1.7
        cams.append(make_camera(f"cam{i}", pos, target, (w, h), focal, DISTORTION_MILD))
    return CameraSet(tuple(cams))


def _walker(rng, fps: float, duration_s: float, lateral_m: float, delay_s: float):
    walk = parametric_walk(speed_m_s=rng.uniform(0.9, 1.4),
                           cadence_steps_per_min=rng.uniform(95, 120), duration_s=duration_s,
                           fps=fps, step_width_m=rng.uniform(0.08, 0.16))
    pts = walk.keypoints.points.copy()
    pts[..., 0] -= np.nanmean(pts[..., 0]) + delay_s
    pts[..., 1] += lateral_m
    return pts


def _rotated(cam, deg: float, rng):
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    R = cv2.Rodrigues(axis * np.radians(deg))[0] @ cam.rotation
    return cam.replace(rvec=cv2.Rodrigues(R)[0].ravel())


def _runs(rng, expected: float, F: int, fps: float, run_s) -> list[tuple[int, int]]:
    out = []
    for _ in range(rng.poisson(expected)):
        n = int(rng.uniform(*run_s) * fps)
        start = int(rng.integers(0, max(1, F - n)))
        out.append((start, start + max(n, 1)))
    return out


def hard_scene(seed: int, options: HardViewOptions | None = None, *, fps: float = 60.0,
               duration_s: float = 3.0) -> HardScene:
    """One random hard scene (module doc); the same seed gives the same scene."""
    opt = options or HardViewOptions()
    rng = np.random.default_rng(seed)
    K = len(MEDIAPIPE33)
    mirror = MEDIAPIPE33.mirror
    subject = _walker(rng, fps, duration_s, 0.0, 0.0)
    people = [subject]
    if opt.companion:
        people.append(_walker(rng, fps, duration_s, rng.choice([-1, 1]) * rng.uniform(0.7, 1.2),
                              rng.uniform(-0.5, 0.5)))
    truth = np.stack(people)  # (N, F, K, 3)
    N, F = truth.shape[:2]
    walk_len = float(np.ptp(subject[..., 0])) + 1.0
    cams = _cameras(rng, opt.n_cameras, opt.fill, walk_len)
    C = len(cams)
    bad = int(rng.integers(C)) if opt.bad_camera else -1
    seen_by = cams if bad < 0 else CameraSet(tuple(
        _rotated(c, opt.bad_camera_deg, rng) if i == bad else c for i, c in enumerate(cams)))
    obs = np.stack([seen_by.project(truth[n]) for n in range(N)])  # (N, C, F, K, 2)
    for c, cam in enumerate(cams):
        w, h = cam.size
        off = ((obs[:, c, ..., 0] < 0) | (obs[:, c, ..., 0] > w - 1)
               | (obs[:, c, ..., 1] < 0) | (obs[:, c, ..., 1] > h - 1))
        obs[:, c][off] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # views that do not see a person
        height = np.nanmax(obs[..., 1], -1) - np.nanmin(obs[..., 1], -1)  # (N, C, F)
    scale = np.nan_to_num(height, nan=500.0)[..., None, None] / 1000.0
    obs = obs + rng.normal(0, opt.noise_px, obs.shape) * scale
    conf = np.clip(rng.normal(0.85, 0.08, obs.shape[:-1]), 0.3, 1.0)
    clean = np.isfinite(obs).all(-1)

    limb_idx = {n: MEDIAPIPE33.indices(k) for n, k in LIMBS.items()}
    for n in range(N):
        for c in range(C):
            for a, b in _runs(rng, opt.whole_body_swaps, F, fps, opt.swap_run_s):
                obs[n, c, a:b] = obs[n, c, a:b][:, mirror]
                conf[n, c, a:b] = conf[n, c, a:b][:, mirror]
                moved = mirror != np.arange(K)
                clean[n, c, a:b, moved] = False
            for a, b in _runs(rng, opt.limb_swaps, F, fps, opt.swap_run_s):
                idx = np.array(limb_idx[rng.choice(list(LIMBS))])
                both = np.concatenate([idx, mirror[idx]])
                obs[n, c, a:b, both] = obs[n, c, a:b, np.concatenate([mirror[idx], idx])]
                clean[n, c, a:b, both] = False
    outlier = rng.random(obs.shape[:-1]) < opt.outliers
    angle = rng.uniform(0, 2 * np.pi, outlier.shape)
    dist = rng.uniform(0.05, 0.4, outlier.shape) * np.nan_to_num(height, nan=500.0)[..., None]
    shift = np.stack([np.cos(angle), np.sin(angle)], -1) * dist[..., None]
    obs = np.where(outlier[..., None], obs + shift, obs)
    clean &= ~outlier
    drop = rng.random(obs.shape[:-1]) < opt.dropout
    obs[drop] = np.nan
    seen = np.isfinite(obs).all(-1)
    conf = np.where(seen, conf, 0.0)
    clean &= seen
    if bad >= 0:
        clean[:, bad] = False

    # detector slots: a random order per view and frame; a person with no keypoint is absent
    P = N
    points = np.full((C, F, P, K, 2), np.nan)
    confidence = np.zeros((C, F, P, K))
    slot_of = np.full((N, C, F), -1)
    for c in range(C):
        for f in range(F):
            present = [n for n in range(N) if seen[n, c, f].any()]
            order = rng.permutation(len(present))
            for s, k in enumerate(order):
                n = present[k]
                points[c, f, s] = obs[n, c, f]
                confidence[c, f, s] = conf[n, c, f]
                slot_of[n, c, f] = s
    return HardScene(cams, truth, points, confidence, slot_of, clean, bad, fps)
