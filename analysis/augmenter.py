"""Landmark augmentation: anatomical markers from video keypoints with the LSTM marker augmenter
(v0.3, OpenCap's networks as ONNX, run with onnxruntime; model files: augmenter_model.py).

Interface (../shared/models/marker_augmenter/README.md, checked against the ONNX shapes): the
lower network takes 15 keypoints (neck, R/L shoulder, hip, knee, ankle, heel, small toe, big toe)
plus height (m) and mass (kg), the upper one 7 (neck, R/L shoulder, elbow, wrist); positions in a
Y-up frame, minus the mid-hip point, divided by the height, then standardised by the mean/std
files. Outputs times the height plus the mid-hip point are the markers.

MediaPipe has no small or big toe (``foot_index`` is the tip of the foot, near the second toe).
Mapping used (documented choice, the same in the evaluation):
- big toe = ``foot_index``;
- small toe = ``foot_index`` moved 10 % of the heel-to-foot_index length back and 20 % of it
  laterally, in the horizontal plane (the fifth toe sits about 4-5 cm lateral of and 2-3 cm
  behind the big toe tip on an adult foot).
- neck = mid-shoulder point.

The subject's height and mass come from ``meta.json["subject"]``; a missing height is estimated
from the skeleton (shoulder-to-ankle height / 0.779, Drillis and Contini's proportions) and a
missing mass is 70 kg, each with a warning. The individual pelvic tilt the network gives is
partly a learned prior from its training population.

Frame rate: the network is recurrent (stateful over time), so it reads motion per step, and it
was trained on keypoints at 60 Hz (:data:`AUGMENTER_RATE_HZ`). A capture faster than it was
trained on (above :data:`NATIVE_RATE_BAND_HZ`) is resampled to 60 Hz before the network, and
its outputs are resampled back to the trial's frame times (:func:`augment`'s ``fps_hz``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mocaplab.signal import runs

LOWER_INPUTS = ("neck", "right_shoulder", "left_shoulder", "right_hip", "left_hip",
                "right_knee", "left_knee", "right_ankle", "left_ankle", "right_heel",
                "left_heel", "right_small_toe", "left_small_toe", "right_big_toe",
                "left_big_toe")
#: Output markers of the lower network, in the network's order, under our names: Plug-in
#: Gait-like where one exists (KNE/ANK lateral, KNM/ANM medial, 5MH fifth metatarsal head).
LOWER_OUTPUTS = ("RASI", "LASI", "RPSI", "LPSI", "RKNE", "RKNM", "RANK", "RANM", "RTOE", "R5MH",
                 "RHEE", "LKNE", "LKNM", "LANK", "LANM", "LTOE", "LHEE", "L5MH", "RSHO_aug",
                 "LSHO_aug", "C7", "RTH1", "RTH2", "RTH3", "LTH1", "LTH2", "LTH3", "RSH1",
                 "RSH2", "RSH3", "LSH1", "LSH2", "LSH3", "RHJC", "LHJC")
UPPER_INPUTS = ("neck", "right_shoulder", "left_shoulder", "right_elbow", "left_elbow",
                "right_wrist", "left_wrist")
UPPER_OUTPUTS = ("RELB", "RELM", "RWRA", "RWRB", "LELB", "LELM", "LWRA", "LWRB")
DEFAULT_MASS_KG = 70.0
#: Frame rate (Hz) of the augmenter's training data. Source: the marker enhancer's published
#: training code (Falisse et al. 2025, IEEE TBME, doi 10.1109/TBME.2025.3530848;
#: github.com/stanfordnmbl/marker-enhancer, whose LSTM "is the default model used in OpenCap
#: (v0.3)"): train_lstm_linear.py, "Default sampling frequency is 60Hz" (``default_sf = 60``),
#: training data under ``Data/training_data_curated_60_openpose``, windows of ``num_frames``
#: 60; settings.py's ``body_reference`` (the lower network) resamples one dataset (index 2) at
#: 100 Hz instead, the arm network none.
AUGMENTER_RATE_HZ = 60.0
#: Capture rates (Hz) run by the network as they are: up to the highest rate it was trained
#: on (100 Hz, one dataset of the lower network) + 2 %. Faster captures are resampled to
#: AUGMENTER_RATE_HZ. Slower ones (30 Hz video) are not: upsampling them to 60 Hz was measured
#: mixed, the tilt course better on 4 of 7 trials and worse on 3 (benchmarks/kinematics_eval.py
#: --rates, docs/kinematics.md "Capture rate").
NATIVE_RATE_BAND_HZ = (0.0, 100.0 * 1.02)
SHOULDER_TO_ANKLE_OVER_HEIGHT = 0.818 - 0.039
# Z-up lab (x, y, z) -> Y-up (x, z, -y), right-handed; its inverse is the transpose.
_TO_Y_UP = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])


@dataclasses.dataclass(frozen=True, eq=False)
class Augmented:
    """Markers predicted by the augmenter: name -> (F, 3) metres, lab frame Z up, NaN where the
    inputs were missing; the height and mass used and warnings."""

    markers: Mapping[str, np.ndarray]
    height_m: float
    mass_kg: float
    warnings: tuple[str, ...] = ()


def toe_keypoints(heel: np.ndarray, foot_index: np.ndarray, side: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(small toe, big toe) (F, 3) from heel and foot_index (see the module docstring)."""
    foot = foot_index - heel
    foot_h = foot * np.array([1.0, 1.0, 0.0])
    up = np.array([0.0, 0.0, 1.0])
    lateral = np.cross(up, foot_h) if side == "left" else np.cross(foot_h, up)
    with np.errstate(invalid="ignore", divide="ignore"):
        lateral = lateral / np.linalg.norm(lateral, axis=-1, keepdims=True)
    length = np.linalg.norm(foot, axis=-1, keepdims=True)
    small = foot_index - 0.10 * foot + 0.20 * length * lateral
    return small, foot_index.copy()


def keypoints_for_augmenter(points: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The augmenter's input keypoints from mediapipe33-named (F, 3) points (Z up, metres):
    ``left_hip``, ``left_knee``, ``left_ankle``, ``left_heel``, ``left_foot_index``,
    ``left_shoulder``, ``left_elbow``, ``left_wrist`` and the right ones."""
    out = {k: np.asarray(v, dtype=float) for k, v in points.items()}
    out["neck"] = (out["left_shoulder"] + out["right_shoulder"]) / 2
    for side in ("left", "right"):
        small, big = toe_keypoints(out[f"{side}_heel"], out[f"{side}_foot_index"], side)
        out[f"{side}_small_toe"], out[f"{side}_big_toe"] = small, big
    return out


def estimate_height(points: Mapping[str, np.ndarray]) -> float:
    """Height (m) from the median shoulder-to-ankle height of the skeleton, NaN if unknown."""
    sho = (points["left_shoulder"][:, 2] + points["right_shoulder"][:, 2]) / 2
    ank = (points["left_ankle"][:, 2] + points["right_ankle"][:, 2]) / 2
    d = sho - ank
    d = d[np.isfinite(d)]
    return float(np.median(d) / SHOULDER_TO_ANKLE_OVER_HEIGHT) if d.size else float("nan")


def resample_rate_hz(fps_hz: float | None) -> float | None:
    """The rate (Hz) the network is run at for a capture at ``fps_hz``: None (as captured)
    when the rate is unknown or inside NATIVE_RATE_BAND_HZ, else AUGMENTER_RATE_HZ."""
    if fps_hz is None or not np.isfinite(fps_hz) or fps_hz <= 0:
        return None
    lo, hi = NATIVE_RATE_BAND_HZ
    return None if lo <= fps_hz <= hi else AUGMENTER_RATE_HZ


def _resample_columns(x: np.ndarray, t_s: np.ndarray, t_new_s: np.ndarray) -> np.ndarray:
    """(N, C) samples at times ``t_s`` (N,) -> (len(t_new_s), C), linear in time."""
    return np.stack([np.interp(t_new_s, t_s, x[:, c]) for c in range(x.shape[1])], axis=1)


def _predict(sess, x: np.ndarray, fps_hz: float | None) -> np.ndarray:
    """The network on one complete run of standardised inputs (N, n_in) captured at
    ``fps_hz``: resampled to :func:`resample_rate_hz`'s rate over the run's time span (first
    and last frame kept, an even step closest to the training rate's), run, and the outputs
    resampled back to the run's frames. (N, n_out)."""
    name = sess.get_inputs()[0].name
    rate = resample_rate_hz(fps_hz)
    n = x.shape[0]
    if rate is None or n < 2:
        return sess.run(None, {name: x[None].astype(np.float32)})[0][0]
    t_s = np.arange(n) / fps_hz
    n_new = max(2, int(round(t_s[-1] * rate)) + 1)
    t_new_s = np.linspace(0.0, t_s[-1], n_new)
    y = sess.run(None, {name: _resample_columns(x, t_s, t_new_s)[None].astype(np.float32)}
                 )[0][0]
    return _resample_columns(np.asarray(y, float), t_new_s, t_s)


def _run_network(folder: Path, part: str, kp: np.ndarray, mid_hip: np.ndarray, height: float,
                 mass: float, fps_hz: float | None = None) -> np.ndarray:
    """kp (F, K, 3) Z-up -> markers (F, M, 3) Z-up, NaN where any input was missing. Each run
    of complete frames goes through the network on its own (its state starts afresh after a
    gap), at the rate :func:`resample_rate_hz` gives for ``fps_hz``."""
    import onnxruntime as ort

    sub = folder / f"v0.3_{part}"
    mean = np.load(sub / "mean.npy")
    std = np.load(sub / "std.npy")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(sub / "model.onnx"), opts,
                                providers=["CPUExecutionProvider"])
    n_frames = kp.shape[0]
    rel = ((kp - mid_hip[:, None]) @ _TO_Y_UP.T) / height
    x = np.concatenate([rel.reshape(n_frames, -1), np.full((n_frames, 1), height),
                        np.full((n_frames, 1), mass)], axis=1)
    x = (x - mean) / std
    ok = np.isfinite(x).all(axis=1)
    n_out = sess.get_outputs()[0].shape[-1]
    y = np.full((n_frames, n_out), np.nan)
    for s, e in runs(ok):
        y[s:e] = _predict(sess, x[s:e], fps_hz)
    markers = y.reshape(n_frames, -1, 3) * height
    return markers @ _TO_Y_UP + mid_hip[:, None]


def augment(points: Mapping[str, np.ndarray], folder: str | Path, *,
            height_m: float | None = None, mass_kg: float | None = None,
            fps_hz: float | None = None) -> Augmented:
    """Predict anatomical markers from mediapipe33-named keypoints (F, 3) metres, Z up, at
    ``fps_hz`` frames per second (frame i at i / fps_hz s; None: run as given, the rate
    unknown). Outside NATIVE_RATE_BAND_HZ the network runs at AUGMENTER_RATE_HZ and the
    markers are resampled back to the frames.

    Elbows and wrists are optional (the upper network runs only when they are there).
    """
    warnings: list[str] = []
    kp = keypoints_for_augmenter(points)
    if height_m is None or not np.isfinite(height_m) or height_m <= 0:
        height_m = estimate_height(kp)
        if not np.isfinite(height_m):
            raise ValueError("height unknown and not estimable from the skeleton")
        warnings.append(f"subject height not given: {height_m:.2f} m estimated from the "
                        "skeleton (set meta.json subject height_m for the landmark estimation)")
    if mass_kg is None or not np.isfinite(mass_kg) or mass_kg <= 0:
        mass_kg = DEFAULT_MASS_KG
        warnings.append(f"subject mass not given: {DEFAULT_MASS_KG:g} kg assumed for the "
                        "landmark estimation")
    mid_hip = (kp["left_hip"] + kp["right_hip"]) / 2
    folder = Path(folder)
    lower = _run_network(folder, "lower", np.stack([kp[k] for k in LOWER_INPUTS], axis=1),
                         mid_hip, height_m, mass_kg, fps_hz)
    markers = {name: lower[:, i] for i, name in enumerate(LOWER_OUTPUTS)}
    if all(k in kp for k in UPPER_INPUTS):
        upper = _run_network(folder, "upper", np.stack([kp[k] for k in UPPER_INPUTS], axis=1),
                             mid_hip, height_m, mass_kg, fps_hz)
        markers.update({name: upper[:, i] for i, name in enumerate(UPPER_OUTPUTS)})
    missing = ~np.isfinite(lower).all(axis=(1, 2))
    if missing.any():
        warnings.append(f"landmark estimation: {int(missing.sum())} of {len(missing)} frame(s) "
                        "without estimated landmarks (an input keypoint was missing)")
    return Augmented(markers, float(height_m), float(mass_kg), tuple(warnings))


#: Which joint centres come from the video keypoints rather than the estimated landmarks
#: (chosen on the tuning trial, see benchmarks/kinematics_eval.py): all three; the
#: augmenter's own centres carried 2-3 cm offsets that biased hip and knee flexion by 4-9 deg.
CENTRES_FROM_KEYPOINTS = ("hip", "knee", "ankle")
#: Pelvic tilt correction of the augmenter's pelvis (deg, positive = more anterior), removed by
#: turning the estimated ASIS/PSIS about the pelvis's lateral axis. The uncorrected estimate
#: tilts more anteriorly than Plug-in Gait's by an amount that depends on the subject (its own
#: static tilt is not in the keypoints: the estimator gives a population-like tilt). The
#: constant is minus the median of the subject biases over the pool of nine subjects of
#: `benchmarks/kinematics_eval.py --pool` (walking trials, our marker-based Plug-in Gait pelvis
#: as reference, 4 cameras 2 px, seed 7101, the augmenter at its training rate: -5.4 OpenSim's
#: 'Treadmill' subject, -0.3 walk.c3d's, +2.0 ADemo1's, +3.5 FunctionalWalk's, +6.2 SI02, +8.0
#: Gait.c3d's, +9.6 ANTO_M, +11.1 BELT_C, +12.9 flatFoot): -6.16 (seed 7102 -6.11; the same
#: before the frame-rate fix), the rule evaluated leaving one subject out (tilt RMSE over the
#: nine: median 5.7, worst 12.8 deg; 7102 5.6 / 12.4). It was -9.6, the same rule on the
#: five subjects with Vicon outputs (session 8); on the four subjects outside those five the
#: rule on the other pool subjects gave tilt RMSE mean 5.8, worst 12.6 against 7.4 / 15.0 with
#: -9.6 (seed 7102: 5.7 / 12.3 against 7.4 / 14.9; before the frame-rate fix). A population
#: offset, not this subject's.
AUGMENTED_TILT_OFFSET_DEG = -6.2
#: How far the constant part of the pelvic tilt (and of hip flexion with it) was from the
#: marker-based reference on subjects held out from the offset's estimate (``--pool``: signed
#: bias per subject after the other subjects' offset, 0.4-12.5 deg in size over nine subjects;
#: seed 7102 0.4-12.2; 0.2-11.9 before the frame-rate fix): what the report says of the
#: learned prior.
TILT_HELD_OUT_SUBJECTS = "nine"
TILT_HELD_OUT_BIAS_DEG = "up to 12.5"
#: What the markerless tilt is worth within a subject, with the constant part removed
#: (``--pool``, the held-out offsets, seeds 7101/7102, the augmenter at its training rate;
#: docs/kinematics.md "Capture rate"): RMSE with each trial's mean offset removed 0.9-2.1 deg
#: on the 100-120 Hz trials, 2.2-3.0 on the 200-250 Hz ones (ADemo1, walking2, walking5; 3.4-4.3
#: before the fix); the gait-cycle range of tilt off by -2.3 to +4.4 deg (+3.6 at most at
#: 100 Hz; +12.6 before the fix) where the reference's is 2-7 deg; the change of mean tilt
#: between two walking trials of one subject within 0.7 deg (ANTO_M -0.2, +1.17 deg in Vicon;
#: OpenSim's walking2 -> walking5 0.7, 0.05 before the fix); the flatFoot subject's
#: standing-to-walking change (-5.4 deg in Vicon) missed by 6.7 deg.
TILT_DYNAMIC_RMSE_DEG = "3"
TILT_RANGE_ERROR_DEG = "4.4"
TILT_RANGE_VICON_DEG = "2-7"
TILT_CHANGE_ERROR_DEG = "0.7"
TILT_POSTURE_CHANGE_DEG = "5.4"
TILT_POSTURE_MISSED_DEG = "6.7"


def tilt_pelvis(markers: Mapping[str, np.ndarray], offset_deg: float) -> dict[str, np.ndarray]:
    """ASIS and PSIS markers turned by ``offset_deg`` about the pelvis's lateral axis through
    the mid-ASIS point (positive = more anterior tilt); other markers unchanged."""
    from mocaplab.analysis.landmarks import pelvis_frame

    out = dict(markers)
    sacr = (markers["LPSI"] + markers["RPSI"]) / 2
    origin, rot = pelvis_frame(markers["LASI"], markers["RASI"], sacr)
    a = np.radians(offset_deg)
    # rotation about the pelvis y axis, in the pelvis frame (a positive Cardan tilt change)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    for name in ("LASI", "RASI", "LPSI", "RPSI"):
        local = np.einsum("fji,fj->fi", rot, markers[name] - origin)
        out[name] = origin + np.einsum("fij,jk,fk->fi", rot, ry, local)
    return out


def pig_markers_from_augmented(markers: Mapping[str, np.ndarray],
                               keypoints: Mapping[str, np.ndarray] | None = None,
                               centres_from_keypoints: tuple[str, ...] = CENTRES_FROM_KEYPOINTS,
                               tilt_offset_deg: float = AUGMENTED_TILT_OFFSET_DEG
                               ) -> dict[str, np.ndarray]:
    """Plug-in Gait-named markers for lower_limb(): pelvis markers (tilt offset removed),
    hip centres, lateral knee and ankle markers (their directions give the flexion axes), knee
    and ankle centres (mid-epicondyles, mid-malleoli, or the keypoints for the joints in
    ``centres_from_keypoints``), toe and heel (the keypoints when given)."""
    base = tilt_pelvis(markers, tilt_offset_deg) if tilt_offset_deg else markers
    out = {k: base[k] for k in ("LASI", "RASI", "LPSI", "RPSI", "LHJC", "RHJC", "LKNE",
                                "RKNE", "LANK", "RANK", "LTOE", "RTOE", "LHEE", "RHEE")}
    for s, side in (("L", "left"), ("R", "right")):
        out[s + "KJC"] = (markers[s + "KNE"] + markers[s + "KNM"]) / 2
        out[s + "AJC"] = (markers[s + "ANK"] + markers[s + "ANM"]) / 2
        if keypoints is None:
            continue
        for joint, role in (("hip", "HJC"), ("knee", "KJC"), ("ankle", "AJC")):
            if joint in centres_from_keypoints and f"{side}_{joint}" in keypoints:
                out[s + role] = keypoints[f"{side}_{joint}"]
        if f"{side}_heel" in keypoints:
            out[s + "HEE"] = keypoints[f"{side}_heel"]
        if f"{side}_foot_index" in keypoints:
            out[s + "TOE"] = keypoints[f"{side}_foot_index"]
    return out
