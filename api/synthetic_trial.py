"""Synthetic analysed trials and labs: meta.json + points3d.npz + metrics.json with known values.

The API, exports and reports are tested on these folders so that they do not depend on the
detection/triangulation/analysis stages. The motion is a simple kinematic walker (33 MediaPipe
keypoints, metres, Z up, walking along ``heading_deg``); the metrics are the generator's own
parameters, written in the metrics.json format of CONVENTIONS.md as mocaplab.analysis writes it
(left/right/overall spatiotemporal with ``_sd``, symmetry per parameter, nested leg length,
weight shifting), with gait-like angle curves
(pelvis, spine, thorax and hip, degrees, per frame) and events that agree with the motion.
``asymmetry`` (0 = symmetric) makes the left side step shorter, stand longer and tilt more, so a
"before" and an "after" session differ in the ways a progress report should show.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from mocaplab.atomic import write_json
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.pose_data import Points3D


@dataclasses.dataclass(frozen=True)
class WalkerParams:
    """Parameters of the synthetic walker (SI units; angles in degrees)."""

    fps: float = 100.0
    duration_s: float = 4.0
    cadence_steps_per_min: float = 110.0
    stride_length_m: float = 1.30
    asymmetry: float = 0.0
    heading_deg: float = 30.0
    leg_length_m: float = 0.90
    leg_length_difference_m: float = 0.0
    noise_m: float = 0.003
    dropout: float = 0.01
    seed: int = 0


def _phase(t: np.ndarray, t0: float, period: float) -> np.ndarray:
    return np.mod((t - t0) / period, 1.0)


def walker_metrics(p: WalkerParams) -> dict:
    """metrics.json content (CONVENTIONS.md) for the walker ``p``."""
    F = int(round(p.duration_s * p.fps))
    t = np.arange(F) / p.fps
    T = 120.0 / p.cadence_steps_per_min  # stride time, s
    a = p.asymmetry
    t_r0, t_l0 = 0.20, 0.20 + T * (0.5 + 0.04 * a)
    stance = {"left": 60.0 + 4.0 * a, "right": 60.0 - 2.0 * a}
    step = {"left": p.stride_length_m / 2 * (1 - 0.12 * a),
            "right": p.stride_length_m / 2 * (1 + 0.12 * a)}
    stride = {s: step["left"] + step["right"] for s in ("left", "right")}
    step_time = {"left": T * (0.5 - 0.04 * a), "right": T * (0.5 + 0.04 * a)}
    speed = stride["left"] / T

    angles: dict = {"pelvis": {}, "spine": {}, "thorax": {}, "hip": {}}
    for side, t0 in (("left", t_l0), ("right", t_r0)):
        ph = _phase(t, t0, T)
        ob_amp = 4.0 * (1 + 1.2 * a) if side == "left" else 4.0
        rot_amp = 5.0 * (1 + 0.8 * a) if side == "left" else 5.0
        w = 2 * np.pi * ph
        angles["pelvis"][side] = {
            "tilt": 12.0 + 1.5 * np.cos(2 * w) + 2.0 * a,
            "obliquity": ob_amp * np.sin(w + 0.3),
            "rotation": rot_amp * np.cos(w) + 2.0 * a * (1 if side == "left" else -1)}
        angles["spine"][side] = {
            "flexion": 3.0 + np.cos(2 * w),
            "lateral_flexion": -0.7 * ob_amp * np.sin(w + 0.3),
            "rotation": -(6.0 + 4.0 * a) * np.cos(w)}
        angles["thorax"][side] = {
            "flexion": 5.0 + 0.5 * np.cos(2 * w),
            "lateral_flexion": 1.5 * np.sin(w),
            "rotation": -2.0 * np.cos(w)}
        angles["hip"][side] = {
            "flexion": 12.0 + 22.0 * np.cos(w - 0.1) - (4.0 * a if side == "left" else 0.0),
            "adduction": 4.0 * np.sin(w + 0.5),
            "rotation": 3.0 * np.sin(w)}
    rng = np.random.default_rng(p.seed + 1)
    for seg in angles.values():
        for comps in seg.values():
            for k, v in comps.items():
                v = v + rng.normal(0, 0.3, F)
                v[rng.random(F) < p.dropout] = np.nan
                comps[k] = [None if not np.isfinite(x) else round(float(x), 3) for x in v]

    events = []
    for side, t0 in (("left", t_l0), ("right", t_r0)):
        k = 0
        while t0 + k * T < p.duration_s:
            ts = t0 + k * T
            for etype, te in (("foot_strike", ts), ("foot_off", ts + stance[side] / 100 * T)):
                fr = int(round(te * p.fps)) + 1
                if fr <= F:
                    events.append({"side": side, "type": etype, "time_s": (fr - 1) / p.fps,
                                   "frame": fr})
            k += 1
    events.sort(key=lambda e: (e["time_s"], e["side"]))

    st: dict = {}
    n_strides = {s: sum(1 for e in events if e["side"] == s and e["type"] == "foot_strike") - 1
                 for s in ("left", "right")}
    for side in ("left", "right"):
        st[side] = {"stride_time_s": round(T, 4), "stride_length_m": round(stride[side], 4),
                    "speed_m_s": round(speed, 4), "stance_pct": stance[side],
                    "swing_pct": 100 - stance[side],
                    "double_support_pct": round(stance["left"] + stance["right"] - 100, 3),
                    "single_support_pct": 100 - stance["left" if side == "right" else "right"],
                    "step_time_s": round(step_time[side], 4),
                    "step_length_m": round(step[side], 4), "step_width_m": 0.12,
                    "cadence_steps_per_min": p.cadence_steps_per_min,
                    "n_strides": max(n_strides[side], 0)}
        for k in list(st[side]):
            if not k.startswith("n_"):
                st[side][f"{k}_sd"] = 0.01 * abs(st[side][k])
    st["overall"] = {k: (st["left"][k] + st["right"][k]) / 2 for k in st["left"]
                     if not k.startswith("n_")}
    st["symmetry"] = {k: {"symmetry_index_pct": 100 * (st["left"][k] - st["right"][k])
                          / (0.5 * (st["left"][k] + st["right"][k])),
                          "symmetry_ratio": st["left"][k] / st["right"][k]}
                      for k in st["left"] if not (k.endswith("_sd") or k.startswith("n_"))}
    left_leg = p.leg_length_m
    right_leg = p.leg_length_m - p.leg_length_difference_m
    ll = {"left": {"leg_length_m": left_leg, "functional_leg_length_m": left_leg + 0.03},
          "right": {"leg_length_m": round(right_leg, 4),
                    "functional_leg_length_m": round(right_leg + 0.03, 4)},
          "asymmetry": {"leg_length_left_minus_right_m": p.leg_length_difference_m,
                        "functional_leg_length_left_minus_right_m": p.leg_length_difference_m}}
    exc = 0.04 + 0.02 * a
    ws = {"mediolateral_excursion_m": exc, "shift_towards_left_m": exc / 2 * (1 + 0.3 * a),
          "shift_towards_right_m": exc / 2 * (1 - 0.3 * a), "landmark": "pelvis centre"}
    ws["symmetry"] = {"symmetry_index_pct": 100 * (ws["shift_towards_left_m"]
                                                  - ws["shift_towards_right_m"]) / (exc / 2)}
    return {"fps": p.fps, "first_frame": 1, "n_frames": F, "events": events, "angles": angles,
            "spatiotemporal": st, "leg_length": ll, "weight_shift": ws,
            "provenance": {"source": "mocaplab.api.synthetic_trial", "seed": p.seed,
                           "asymmetry": p.asymmetry}}


def walker_points(p: WalkerParams, metrics: dict) -> np.ndarray:
    """(F, 33, 3) MediaPipe keypoints (metres, lab frame) of the walker."""
    F = int(round(p.duration_s * p.fps))
    t = np.arange(F) / p.fps
    h = np.deg2rad(p.heading_deg)
    d = np.array([np.cos(h), np.sin(h), 0.0])
    n = np.array([-np.sin(h), np.cos(h), 0.0])  # left of the walking direction
    z = np.array([0.0, 0.0, 1.0])
    T = 120.0 / p.cadence_steps_per_min
    v = p.stride_length_m / T
    start = np.array([-2.0, 0.0, 0.0]) - 0.5 * v * p.duration_s * d + np.array([2.0, 0, 0])
    pelvis = (start + np.outer(v * t, d) + np.outer(0.02 * np.sin(2 * np.pi * t / T), n)
              + np.outer(0.93 + 0.015 * np.cos(4 * np.pi * t / T), z))
    K = {name: i for i, name in enumerate(MEDIAPIPE33_NAMES)}
    pts = np.full((F, 33, 3), np.nan)
    strikes = {s: [e["time_s"] for e in metrics["events"]
                   if e["side"] == s and e["type"] == "foot_strike"] for s in ("left", "right")}
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        hip = pelvis + 0.09 * sgn * n
        leg = p.leg_length_m - (p.leg_length_difference_m if side == "right" else 0.0)
        ts = np.array(strikes[side]) if strikes[side] else np.array([0.0])
        ts = np.concatenate([[ts[0] - T], ts, [ts[-1] + T]])
        land = v * ts + 0.25 * p.stride_length_m  # along-track landing spot of the heel
        k = np.clip(np.searchsorted(ts, t, side="right") - 1, 0, len(ts) - 2)
        ph = (t - ts[k]) / (ts[k + 1] - ts[k])
        swing = np.clip((ph - 0.6) / 0.4, 0, 1)
        s = land[k] + (land[k + 1] - land[k]) * (1 - np.cos(np.pi * swing)) / 2
        lift = 0.08 * np.sin(np.pi * swing)
        base = start + np.outer(s, d) + 0.1 * sgn * n
        heel = base + np.outer(0.05 + lift, z)
        ankle = heel + 0.04 * d + np.array([0, 0, 0.05])
        toe = heel + 0.2 * d + np.array([0, 0, -0.03])
        knee = 0.5 * (hip + ankle) + 0.04 * d
        scale = leg / 0.9
        knee[:, 2] = (knee[:, 2]) * scale
        shoulder = pelvis + 0.18 * sgn * n + 0.52 * z
        elbow = shoulder - 0.28 * z - np.outer(0.08 * np.sin(2 * np.pi * t / T) * sgn, d)
        wrist = elbow - 0.25 * z - np.outer(0.12 * np.sin(2 * np.pi * t / T) * sgn, d)
        for name, arr in (("hip", hip), ("knee", knee), ("ankle", ankle), ("heel", heel),
                          ("foot_index", toe), ("shoulder", shoulder), ("elbow", elbow),
                          ("wrist", wrist), ("pinky", wrist + 0.06 * d - 0.05 * z),
                          ("index", wrist + 0.07 * d - 0.06 * z),
                          ("thumb", wrist + 0.05 * d - 0.03 * z + 0.02 * sgn * n),
                          ("eye", pelvis + 0.72 * z + 0.1 * d + 0.03 * sgn * n),
                          ("eye_inner", pelvis + 0.72 * z + 0.1 * d + 0.015 * sgn * n),
                          ("eye_outer", pelvis + 0.72 * z + 0.1 * d + 0.045 * sgn * n),
                          ("ear", pelvis + 0.70 * z + 0.07 * sgn * n)):
            pts[:, K[f"{side}_{name}"]] = arr
        pts[:, K[f"mouth_{side}"]] = pelvis + 0.65 * z + 0.1 * d + 0.02 * sgn * n
    pts[:, K["nose"]] = pelvis + 0.69 * z + 0.12 * d
    rng = np.random.default_rng(p.seed)
    pts = pts + rng.normal(0, p.noise_m, pts.shape)
    pts[rng.random((F, 33)) < p.dropout] = np.nan
    return pts


def make_trial(trial_dir: Path, params: WalkerParams | None = None, *, subject: str = "S001",
               session: str = "baseline", trial: str | None = None, meta_extra: dict | None = None,
               with_points: bool = True, with_metrics: bool = True) -> Path:
    """Write a synthetic analysed trial folder: meta.json, points3d.npz, metrics.json."""
    p = params or WalkerParams()
    trial_dir = Path(trial_dir)
    trial_dir.mkdir(parents=True, exist_ok=True)
    metrics = walker_metrics(p)
    meta = {"subject": subject, "session": session, "trial": trial or trial_dir.name,
            "fps": p.fps, "cameras": ["cam0", "cam1", "cam2", "cam3"],
            "calibration": "../calibration.toml", "date": "2026-03-01",
            "software_version": "mocaplab synthetic", **(meta_extra or {})}
    write_json(trial_dir / "meta.json", meta)
    if with_points:
        pts = walker_points(p, metrics)
        F = pts.shape[0]
        rng = np.random.default_rng(p.seed + 2)
        Points3D(pts, MEDIAPIPE33_NAMES, p.fps,
                 reprojection_error=np.where(np.isfinite(pts).all(-1),
                                             rng.uniform(0.5, 2.0, (F, 33)), np.nan),
                 n_views=np.where(np.isfinite(pts).all(-1), 4, 0)).save(trial_dir / "points3d.npz")
    if with_metrics:
        write_json(trial_dir / "metrics.json", metrics)
    return trial_dir


CALIBRATION_TOML = """[cam0]
name = "cam0"
size = [1280, 720]
matrix = [[1000.0, 0.0, 639.5], [0.0, 1000.0, 359.5], [0.0, 0.0, 1.0]]
distortions = [0.0, 0.0, 0.0, 0.0, 0.0]
rotation = [0.0, 0.0, 0.0]
translation = [0.0, 0.0, 4.0]

[metadata]
date = "2026-03-01"
"""


def make_lab(lab_dir: Path, subjects: tuple[str, ...] = ("S001", "S002"),
             sessions: tuple[tuple[str, float], ...] = (("baseline", 0.8), ("followup", 0.2)),
             trials_per_session: int = 2, duration_s: float = 4.0) -> list[Path]:
    """A lab folder LAB/<subject>/<session>/<trial>/ of synthetic analysed trials.

    ``sessions`` pairs each session id with the walker's asymmetry, so the default is a
    before/after lab. Each session gets a calibration.toml. Returns the trial folders.
    """
    lab_dir = Path(lab_dir)
    out = []
    for si, subj in enumerate(subjects):
        for se, (sess, asym) in enumerate(sessions):
            sdir = lab_dir / subj / sess
            sdir.mkdir(parents=True, exist_ok=True)
            (sdir / "calibration.toml").write_text(CALIBRATION_TOML, encoding="utf-8")
            for k in range(trials_per_session):
                seed = 100 * si + 10 * se + k
                params = WalkerParams(asymmetry=asym, seed=seed, duration_s=duration_s,
                                      heading_deg=30.0 + 40 * k,
                                      cadence_steps_per_min=108.0 + 4 * se + k,
                                      stride_length_m=1.2 + 0.08 * se,
                                      leg_length_difference_m=0.012)
                out.append(make_trial(sdir / f"walk{k + 1:02d}", params, subject=subj,
                                      session=sess,
                                      meta_extra={"date": f"2026-0{3 + 3 * se}-01",
                                                  "sex": "female" if si % 2 else "male",
                                                  "age": 34 + si}))
    return out

