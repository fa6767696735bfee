"""Synthetic analysed trials and labs: meta.json + points3d.npz + metrics.json, for tests,
benchmarks and viewer/report demos.

The motion is the one synthetic walker, :func:`mocaplab.synthetic.gait.parametric_walk` (33
MediaPipe keypoints, metres, Z up, walking along ``heading_deg``), with detector-like noise and
dropouts; metrics.json is what ``mocaplab analyze`` writes for it (:func:`analyze_file`), so a
metric added to analysis and the metrics spec reaches every test that uses these folders.

``asymmetry`` (0 = symmetric) makes the left steps shorter (the right foot strikes later in the
stride) and the left pelvis rise higher, so a "before" and an "after" session differ in the
ways a progress report should show; ``leg_length_difference_m`` shortens the right thigh and
shank. :func:`write_synthetic_trial` adds the walkway cameras (calibration.toml) the viewer, the
renders and the key frames draw.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from mocaplab.atomic import write_json
from mocaplab.pose_data import Points3D
from mocaplab.reporting.paths import session_calibration_path
from mocaplab.synthetic.gait import parametric_walk, place_on_walkway
from mocaplab.trial import Trial


@dataclasses.dataclass(frozen=True)
class WalkerParams:
    """Parameters of the synthetic walker (SI units; angles in degrees)."""

    fps: float = 100.0
    duration_s: float = 4.0
    cadence_steps_per_min: float = 110.0
    stride_length_m: float = 1.30
    asymmetry: float = 0.0
    heading_deg: float = 30.0
    leg_length_m: float = 0.84
    leg_length_difference_m: float = 0.0
    noise_m: float = 0.003
    dropout: float = 0.01
    seed: int = 0


def walker_points(p: WalkerParams) -> Points3D:
    """The walker's keypoints (metres, lab frame, centred on the origin), noisy as detections."""
    stride_time_s = 120.0 / p.cadence_steps_per_min
    half = p.leg_length_m / 2
    short = half - p.leg_length_difference_m / 2
    w = parametric_walk(speed_m_s=p.stride_length_m / stride_time_s,
                        cadence_steps_per_min=p.cadence_steps_per_min,
                        duration_s=p.duration_s, fps=p.fps,
                        thigh_m=(half, short), shank_m=(half, short),
                        obliquity_amp_deg=(4.0 * (1 + 1.2 * p.asymmetry), 4.0),
                        right_strike_phase=0.5 + 0.05 * p.asymmetry)
    pts = place_on_walkway(w.keypoints.points, p.heading_deg)
    rng = np.random.default_rng(p.seed)
    pts = pts + rng.normal(0, p.noise_m, pts.shape)
    pts[rng.random(pts.shape[:2]) < p.dropout] = np.nan
    F, K = pts.shape[:2]
    ok = np.isfinite(pts).all(-1)
    return Points3D(pts, w.keypoints.keypoints, p.fps,
                    reprojection_error=np.where(ok, rng.uniform(0.5, 2.0, (F, K)), np.nan),
                    n_views=np.where(ok, 4, 0))


def make_trial(trial_dir: Path, params: WalkerParams | None = None, *, subject: str = "S001",
               session: str = "baseline", trial: str | None = None, meta_extra: dict | None = None,
               with_points: bool = True, with_metrics: bool = True) -> Path:
    """Write a synthetic trial folder: meta.json, points3d.npz and (analysed) metrics.json."""
    from mocaplab.analysis import analyze_file

    p = params or WalkerParams()
    trial_dir = Path(trial_dir)
    trial_dir.mkdir(parents=True, exist_ok=True)
    meta = {"subject": subject, "session": session, "trial": trial or trial_dir.name,
            "fps": p.fps, "cameras": ["cam0", "cam1", "cam2", "cam3"],
            "calibration": "../calibration.toml", "date": "2026-03-01",
            "software_version": "mocaplab synthetic", **(meta_extra or {})}
    t = Trial(trial_dir)
    write_json(t.meta_path, meta)
    if with_points or with_metrics:
        walker_points(p).save(t.points3d_path)
    if with_metrics:
        analyze_file(trial_dir)
    if not with_points:
        t.points3d_path.unlink()
    return trial_dir


def write_synthetic_trial(folder: str | Path, duration_s: float = 10.0, fps: float = 60.0,
                          heading_deg: float = 0.0, n_cameras: int = 6,
                          stride_s: float = 1.1) -> Path:
    """A noise-free analysed trial of the synthetic walker (1.2 m/s, ``stride_s`` per stride)
    seen by ``n_cameras`` walkway cameras: meta.json, points3d.npz, metrics.json (by
    ``mocaplab analyze``) and calibration.toml."""
    from mocaplab.synthetic import walkway_cameras

    folder = Path(folder)
    params = WalkerParams(fps=fps, duration_s=duration_s, cadence_steps_per_min=120.0 / stride_s,
                          stride_length_m=1.2 * stride_s, heading_deg=heading_deg, noise_m=0.0,
                          dropout=0.0)
    folder.mkdir(parents=True, exist_ok=True)
    cams = walkway_cameras(n_cameras, walkway_length=8.0)
    if heading_deg:
        cams = _rotate_cameras(cams, heading_deg)
    calibration = cams.save(Trial(folder).local_calibration_path, overwrite=True)
    return make_trial(folder, params, subject="synthetic", session="synthetic",
                      meta_extra={"calibration": calibration.name,
                                  "cameras": [c.name for c in cams]})


def _rotate_cameras(cams, heading_deg: float):
    """The cameras turned about the lab's vertical axis by ``heading_deg``."""
    import cv2

    from mocaplab.camera import CameraSet

    a = np.radians(heading_deg)
    Rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
    out = []
    for c in cams:
        R = c.rotation @ Rz.T  # world' = Rz world; x_cam = R Rz^T world'
        out.append(c.replace(rvec=cv2.Rodrigues(R)[0].ravel()))
    return CameraSet(tuple(out), dict(cams.metadata))


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
    before/after lab (strides 0.08 m longer after). Each session gets a calibration.toml.
    Returns the trial folders.
    """
    lab_dir = Path(lab_dir)
    out = []
    for si, subj in enumerate(subjects):
        for se, (sess, asym) in enumerate(sessions):
            sdir = lab_dir / subj / sess
            sdir.mkdir(parents=True, exist_ok=True)
            session_calibration_path(sdir).write_text(CALIBRATION_TOML, encoding="utf-8")
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


def write_keypoints_trial(trial_dir: str | Path, *, speed_m_s: float, duration_s: float,
                          start_xy: tuple[float, float], seed: int, subject: str = "S01",
                          fps: float = 60.0, n_cameras: int = 4, noise_px: float = 1.0):
    """A trial folder ready for `mocaplab triangulate`: meta.json, the walkway cameras'
    calibration.toml and keypoints2d.npz of the synthetic walker (walking at ``speed_m_s`` from
    ``start_xy`` metres), projected with ``noise_px`` pixels of noise (``seed``).

    Returns the :class:`~mocaplab.trial.Trial`; no video, no 3D (the real stages make those).
    """
    from mocaplab.keypoint_sets import MEDIAPIPE33
    from mocaplab.pose_data import Keypoints2D
    from mocaplab.synthetic.cameras import walkway_cameras
    from mocaplab.synthetic.observations import project_motion

    cams = walkway_cameras(n_cameras)
    walk = parametric_walk(speed_m_s=speed_m_s, duration_s=duration_s, fps=fps,
                           start_xy=start_xy)
    obs = project_motion(cams, walk.keypoints.points, noise_px=noise_px, seed=seed)
    trial = Trial.create(trial_dir, subject=subject, fps=fps, cameras=cams.names)
    trial.save_calibration(cams, overwrite=False)
    Keypoints2D(obs.points, obs.confidence, tuple(cams.names), MEDIAPIPE33.names,
                fps).save(trial.keypoints2d_path)
    return trial
