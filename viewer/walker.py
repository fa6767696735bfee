"""A synthetic walking skeleton (MediaPipe33 names) with events and angles, for demos and tests.

The motion is a simple kinematic model, not a biomechanical one: sinusoidal hip flexion, a knee
that flexes in swing, the stance foot kept near the floor, counter-rotating arms and pelvis.
Its gait events are known by construction (right foot strike at phase 0, left at half a cycle,
foot off at 62 % of the cycle).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.atomic import write_json
from mocaplab.keypoint_sets import MEDIAPIPE33
from mocaplab.pose_data import Points3D

THIGH_M, SHANK_M = 0.45, 0.43
FOOT_OFF_PHASE = 0.62


def synthetic_walk(duration_s: float = 10.0, fps: float = 60.0, *, speed_m_s: float = 1.2,
                   stride_s: float = 1.1, heading_deg: float = 0.0,
                   start: tuple[float, float] | None = None) -> Points3D:
    """A walker going along ``heading_deg`` (0 = +X, counter-clockwise about Z).

    Returns (F, 33, 3) MediaPipe33 points in metres, centred so that the walk passes through the
    lab origin half-way (unless ``start`` (x, y) is given).
    """
    n = int(round(duration_s * fps))
    t = np.arange(n) / fps
    h = np.radians(heading_deg)
    f = np.array([np.cos(h), np.sin(h), 0.0])
    left = np.array([-np.sin(h), np.cos(h), 0.0])
    z = np.array([0.0, 0.0, 1.0])
    x0 = (-f * speed_m_s * duration_s / 2 if start is None
          else np.array([start[0], start[1], 0.0]))
    phase = 2 * np.pi * t / stride_s

    def leg(ph: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        hip = np.radians(5 + 22 * np.cos(ph))
        knee = np.radians(5 + 55 * ((1 + np.cos(ph - 4.3)) / 2) ** 3)
        shank = hip - knee
        thigh_v = THIGH_M * (np.sin(hip)[:, None] * f - np.cos(hip)[:, None] * z)
        shank_v = SHANK_M * (np.sin(shank)[:, None] * f - np.cos(shank)[:, None] * z)
        return thigh_v, shank_v, thigh_v + shank_v

    r_thigh, r_shank, r_leg = leg(phase)
    l_thigh, l_shank, l_leg = leg(phase + np.pi)
    drop = np.maximum(-r_leg[:, 2], -l_leg[:, 2])
    pelvis = x0 + speed_m_s * t[:, None] * f + (0.08 + drop)[:, None] * z
    rot = np.radians(5 * np.cos(phase))  # pelvis rotation about Z
    lat = np.cos(rot)[:, None] * left - np.sin(rot)[:, None] * f
    arm_lat = np.cos(-rot)[:, None] * left - np.sin(-rot)[:, None] * f

    P: dict[str, np.ndarray] = {}
    for side, s, thigh, shank, ph in (("left", 1, l_thigh, l_shank, phase + np.pi),
                                      ("right", -1, r_thigh, r_shank, phase)):
        hip = pelvis + s * 0.09 * lat
        knee = hip + thigh
        ankle = knee + shank
        P[f"{side}_hip"], P[f"{side}_knee"], P[f"{side}_ankle"] = hip, knee, ankle
        P[f"{side}_heel"] = ankle - 0.05 * f - 0.05 * z
        P[f"{side}_foot_index"] = ankle + 0.16 * f - 0.06 * z
        sh = pelvis + 0.50 * z + s * 0.18 * arm_lat
        swing = np.radians(-18 * np.cos(ph))[:, None]  # arm opposite to the same-side leg
        elbow = sh + 0.28 * (np.sin(swing) * f - np.cos(swing) * z)
        fore = swing + np.radians(20)
        wrist = elbow + 0.25 * (np.sin(fore) * f - np.cos(fore) * z)
        P[f"{side}_shoulder"], P[f"{side}_elbow"], P[f"{side}_wrist"] = sh, elbow, wrist
        hand = wrist + 0.08 * (np.sin(fore) * f - np.cos(fore) * z)
        P[f"{side}_pinky"] = hand - s * 0.02 * lat
        P[f"{side}_index"] = hand + s * 0.01 * lat
        P[f"{side}_thumb"] = wrist + 0.04 * f + s * 0.02 * lat
        head = pelvis + 0.70 * z
        P[f"{side}_eye"] = head + 0.09 * f + s * 0.03 * lat + 0.04 * z
        P[f"{side}_eye_inner"] = head + 0.095 * f + s * 0.015 * lat + 0.04 * z
        P[f"{side}_eye_outer"] = head + 0.085 * f + s * 0.045 * lat + 0.04 * z
        P[f"{side}_ear"] = head + s * 0.075 * lat + 0.02 * z
        P[f"mouth_{side}"] = head + 0.09 * f + s * 0.025 * lat - 0.03 * z
    P["nose"] = pelvis + 0.70 * z + 0.11 * f + 0.01 * z
    pts = np.stack([P[name] for name in MEDIAPIPE33.names], axis=1)
    return Points3D(pts, MEDIAPIPE33.names, fps)


def synthetic_metrics(n_frames: int, fps: float, stride_s: float = 1.1) -> dict[str, Any]:
    """A metrics.json dict (CONVENTIONS.md) matching :func:`synthetic_walk`'s timing.

    Events are known by construction; the pelvis and spine angles are smooth curves of
    plausible size (they illustrate the panel, they are not computed from the points).
    """
    t = np.arange(n_frames) / fps
    phase = 2 * np.pi * t / stride_s
    events = []
    for side, offset in (("right", 0.0), ("left", 0.5)):
        for typ, at in (("foot_strike", 0.0), ("foot_off", FOOT_OFF_PHASE)):
            k = 0
            while True:
                time = (k + offset + at) * stride_s
                index = int(round(time * fps))
                if index >= n_frames:
                    break
                if index > 0:
                    events.append({"side": side, "type": typ, "frame": index + 1,
                                   "time_s": round(index / fps, 6)})
                k += 1
    events.sort(key=lambda e: e["frame"])

    obliq, rot, spine = 4 * np.sin(phase), 5 * np.cos(phase), -8 * np.cos(phase)
    return {
        "fps": fps, "first_frame": 1, "events": events,
        "angles": {
            "pelvis": {
                "left": {"tilt": (10 + np.sin(2 * phase)).round(3).tolist(),
                         "obliquity": obliq.round(3).tolist(), "rotation": rot.round(3).tolist()},
                "right": {"tilt": (10 + np.sin(2 * phase)).round(3).tolist(),
                          "obliquity": (-obliq).round(3).tolist(),
                          "rotation": (-rot).round(3).tolist()},
            },
            "spine": {"left": {"rotation": spine.round(3).tolist()},
                      "right": {"rotation": (-spine).round(3).tolist()}},
        },
        "provenance": {"source": "mocaplab.viewer.walker (synthetic)"},
    }


def write_synthetic_trial(folder: str | os.PathLike, duration_s: float = 10.0, fps: float = 60.0,
                          heading_deg: float = 0.0, n_cameras: int = 6,
                          stride_s: float = 1.1) -> Path:
    """Write a trial folder with points3d.npz, metrics.json, meta.json and calibration.toml."""
    from mocaplab.synthetic import walkway_cameras
    from mocaplab.trial import Trial

    folder = Path(folder)
    walk = synthetic_walk(duration_s, fps, heading_deg=heading_deg, stride_s=stride_s)
    trial = Trial.create(folder, subject="synthetic", fps=fps, overwrite=True,
                         calibration="calibration.toml")
    cams = walkway_cameras(n_cameras, walkway_length=8.0)
    if heading_deg:
        cams = _rotate_cameras(cams, heading_deg)
    cams.save(folder / "calibration.toml", overwrite=True)
    walk.save(trial.points3d_path)
    metrics = synthetic_metrics(walk.points.shape[0], fps, stride_s)
    write_json(trial.metrics_path, metrics)
    return folder


def _rotate_cameras(cams, heading_deg: float):
    import cv2

    from mocaplab.camera import CameraSet

    a = np.radians(heading_deg)
    Rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
    out = []
    for c in cams:
        R = c.rotation @ Rz.T  # world' = Rz world; x_cam = R Rz^T world'
        out.append(c.replace(rvec=cv2.Rodrigues(R)[0].ravel()))
    return CameraSet(tuple(out), dict(cams.metadata))
