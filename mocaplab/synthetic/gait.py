"""Synthetic walking with known truth, as Plug-in Gait markers and mediapipe33 keypoints.

Two sources:

- :func:`mediapipe_from_markers`: mediapipe33 keypoints derived from a real marker walking trial
  (e.g. the Kinetics Toolkit ``walk.c3d``), so the demo and tests have real walking motion in
  mediapipe33 form. Which landmarks come from where:

  ======================  ==================================================================
  mediapipe33             derived from
  ======================  ==================================================================
  left_hip / right_hip    hip joint centres: Harrington et al. (2007) regression from
                          LASI, RASI and SACR (or mid LPSI/RPSI)
  left/right_knee         LKJC/RKJC (Plug-in Gait knee joint centres) if present, else LKNE
  left/right_ankle        LAJC/RAJC if present, else LANK
  left/right_heel         LHEE / RHEE
  left/right_foot_index   LTOE / RTOE
  left/right_shoulder     LSHO/RSHO if present; else SYNTHESISED: 0.50 m above mid-hips,
                          +/- 0.18 m along the hip line counter-rotated by 60 % of the pelvis
                          rotation about the vertical
  elbows, wrists, hands   SYNTHESISED: hanging below the shoulders (0.28 m, 0.26 m) with an
                          arm swing opposite to the same-side foot
  face (nose, eyes, ...)  SYNTHESISED: fixed offsets above the mid-shoulder, facing forward
  ======================  ==================================================================

  The synthesised upper body is plausible, not measured: use it for rendering and detection
  tests, never as a reference for trunk angles.

- :func:`parametric_walk`: a fully synthetic walk (no data needed) with chosen speed, cadence,
  step width, leg lengths, pelvis motion, direction and treadmill/overground, giving Plug-in
  Gait markers (incl. C7/T10/CLAV/STRN, shoulders), mediapipe33 keypoints and the true events
  and pelvis angles (Plug-in Gait per-side conventions).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mocaplab.analysis.frames import unit as _unit
from mocaplab.analysis.landmarks import hip_joint_centres
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.pose_data import Points3D

UP = np.array([0.0, 0.0, 1.0])


def _pick(markers: dict[str, np.ndarray], *names: str) -> np.ndarray | None:
    for n in names:
        if n in markers and np.isfinite(markers[n]).any():
            return markers[n]
    return None


def mediapipe_from_markers(points: np.ndarray, labels, fps: float) -> Points3D:
    """mediapipe33 keypoints (see the module table) from Plug-in Gait-like marker trajectories.

    Args:
        points: (F, M, 3) metres, Z up. labels: (M,) marker labels. fps: Hz.
    Raises:
        ValueError if the pelvis (LASI, RASI and SACR or LPSI/RPSI) or a foot marker is missing.
    """
    pts = np.asarray(points, dtype=float)
    m = {str(lb).split(":")[-1]: pts[:, i] for i, lb in enumerate(labels)}
    if "SACR" not in m and "LPSI" in m and "RPSI" in m:
        m["SACR"] = (m["LPSI"] + m["RPSI"]) / 2
    need = ("LASI", "RASI", "SACR", "LHEE", "RHEE", "LTOE", "RTOE")
    missing = [n for n in need if n not in m]
    if missing:
        raise ValueError(f"markers missing for the mediapipe33 derivation: {missing}")
    F = pts.shape[0]
    out = np.full((F, len(MEDIAPIPE33_NAMES), 3), np.nan)

    def put(name: str, value: np.ndarray) -> None:
        out[:, MEDIAPIPE33_NAMES.index(name)] = value

    lh, rh = hip_joint_centres(m["LASI"], m["RASI"], m["SACR"])
    put("left_hip", lh)
    put("right_hip", rh)
    for side, s in (("left", "L"), ("right", "R")):
        knee = _pick(m, f"{s}KJC", f"{s}KNE")
        ankle = _pick(m, f"{s}AJC", f"{s}ANK")
        if knee is not None:
            put(f"{side}_knee", knee)
        if ankle is not None:
            put(f"{side}_ankle", ankle)
        put(f"{side}_heel", m[f"{s}HEE"])
        put(f"{side}_foot_index", m[f"{s}TOE"])
    mid_hip = (lh + rh) / 2
    lat = lh - rh
    lat[:, 2] = 0
    lat = _unit(lat)
    fwd = np.cross(lat, UP)
    if "LSHO" in m and "RSHO" in m:
        lsho, rsho = m["LSHO"], m["RSHO"]
    else:
        yaw = np.arctan2(lat[:, 1], lat[:, 0])
        mean_yaw = np.angle(np.nanmean(np.exp(1j * yaw)))
        counter = mean_yaw - 0.6 * np.angle(np.exp(1j * (yaw - mean_yaw)))
        sl = np.stack([np.cos(counter), np.sin(counter), np.zeros(F)], axis=1)
        top = mid_hip + 0.50 * UP
        lsho, rsho = top + 0.18 * sl, top - 0.18 * sl
    put("left_shoulder", lsho)
    put("right_shoulder", rsho)
    mid_sho = (lsho + rsho) / 2
    feet = (m["LHEE"] + m["RHEE"]) / 2
    for side, sho, opp in (("left", lsho, "RHEE"), ("right", rsho, "LHEE")):
        swing = np.einsum("fi,fi->f", m[opp] - feet, fwd)[:, None] * 0.4 * fwd
        elbow = sho - 0.28 * UP + 0.5 * swing
        wrist = elbow - 0.26 * UP + swing
        put(f"{side}_elbow", elbow)
        put(f"{side}_wrist", wrist)
        sgn = 1.0 if side == "left" else -1.0
        put(f"{side}_pinky", wrist - 0.08 * UP + sgn * 0.02 * lat)
        put(f"{side}_index", wrist - 0.09 * UP + 0.02 * fwd)
        put(f"{side}_thumb", wrist - 0.06 * UP + 0.03 * fwd)
    head = mid_sho + 0.22 * UP
    put("nose", head + 0.10 * fwd)
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        put(f"{side}_eye_inner", head + 0.03 * UP + 0.09 * fwd + sgn * 0.015 * lat)
        put(f"{side}_eye", head + 0.03 * UP + 0.085 * fwd + sgn * 0.03 * lat)
        put(f"{side}_eye_outer", head + 0.03 * UP + 0.08 * fwd + sgn * 0.045 * lat)
        put(f"{side}_ear", head + 0.01 * UP + sgn * 0.075 * lat)
        put(f"mouth_{side}", head - 0.04 * UP + 0.085 * fwd + sgn * 0.025 * lat)
    return Points3D(out, MEDIAPIPE33_NAMES, fps)


# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class SyntheticWalk:
    """A synthetic walk and its truth.

    Attributes:
        markers: (F, M, 3) Plug-in Gait markers, metres, lab frame Z up; ``marker_labels`` (M,).
        keypoints: the same motion as mediapipe33 :class:`Points3D`.
        fps: Hz.
        events: true events (side, type, time_s), time_s = sample index / fps (frame 1 = t 0).
        pelvis_angles: side -> (F, 3) true tilt, obliquity, rotation (deg, per-side signs).
        params: the parameters used (speed_m_s, cadence_steps_per_min, stride_length_m, ...).
    """

    markers: np.ndarray
    marker_labels: tuple[str, ...]
    keypoints: Points3D
    fps: float
    events: tuple[tuple[str, str, float], ...]
    pelvis_angles: dict
    params: dict


def _rot_yxz(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(F, 3, 3) = Ry(a) Rx(b) Rz(c), angles in radians."""
    ca, sa, cb, sb, cc, sc = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(c), np.sin(c)
    one, zero = np.ones_like(a), np.zeros_like(a)
    ry = np.stack([np.stack([ca, zero, sa], -1), np.stack([zero, one, zero], -1),
                   np.stack([-sa, zero, ca], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, cb, -sb], -1),
                   np.stack([zero, sb, cb], -1)], -2)
    rz = np.stack([np.stack([cc, -sc, zero], -1), np.stack([sc, cc, zero], -1),
                   np.stack([zero, zero, one], -1)], -2)
    return ry @ rx @ rz


def _swing_profile(n: int = 2001, power: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Normalised swing progress s(u), u in [0, 1]: speed ~ sin(pi u)^power (abrupt landing)."""
    u = np.linspace(0, 1, n)
    v = np.sin(np.pi * u) ** power
    s = np.concatenate([[0], np.cumsum((v[1:] + v[:-1]) / 2)])
    return u, s / s[-1]


def _knee(hip: np.ndarray, ankle: np.ndarray, fwd: np.ndarray, l1: float, l2: float
          ) -> np.ndarray:
    """Knee (F, 3) at l1 from the hip and l2 from the ankle, bent forward (2-link IK)."""
    d_vec = ankle - hip
    d = np.clip(np.linalg.norm(d_vec, axis=1, keepdims=True), 1e-6, (l1 + l2) * 0.9999)
    u = d_vec / np.linalg.norm(d_vec, axis=1, keepdims=True)
    a = (l1 ** 2 - l2 ** 2 + d ** 2) / (2 * d)
    h = np.sqrt(np.clip(l1 ** 2 - a ** 2, 0, None))
    perp = fwd - np.einsum("fi,fi->f", fwd, u)[:, None] * u
    perp = _unit(perp)
    return hip + a * u + h * perp


def parametric_walk(*, speed_m_s: float = 1.2, cadence_steps_per_min: float = 110.0,
                    step_width_m: float = 0.12, duration_s: float = 6.0, fps: float = 100.0,
                    heading_deg: float = 0.0, treadmill: bool = False,
                    thigh_m: tuple[float, float] = (0.42, 0.42),
                    shank_m: tuple[float, float] = (0.42, 0.42),
                    stance_fraction: float = 0.6, pelvis_tilt_deg: float = 10.0,
                    obliquity_amp_deg: tuple[float, float] = (4.0, 4.0),
                    rotation_amp_deg: float = 5.0,
                    sway_m: float = 0.025, start_xy: tuple[float, float] = (0.0, 0.0),
                    right_strike_phase: float = 0.5) -> SyntheticWalk:
    """A straight synthetic walk; see the module docstring. Lengths m, angles deg, times s.

    ``obliquity_amp_deg`` (left, right): peak rise of each side's pelvis during its own single
    support (the other side's drop). The left foot strikes first, at t = 0.2 s; the right foot
    strikes ``right_strike_phase`` of a stride later (0.5: symmetric steps; above 0.5 the left
    steps are shorter in time and length, the right ones longer).
    """
    T = 120.0 / cadence_steps_per_min          # stride time
    L = speed_m_s * T                           # stride length
    F = int(round(duration_s * fps))
    t = np.arange(F) / fps
    p = stance_fraction
    t0 = {"left": 0.2, "right": 0.2 + T * right_strike_phase}
    u_grid, s_grid = _swing_profile()
    lf, heel_h, toe_h, ank_h = 0.20, 0.035, 0.03, 0.08

    # progression coordinates (x forward, y left, z up); the pelvis advances at `speed`
    adv = np.zeros(F) if treadmill else speed_m_s * t
    feet: dict[str, dict[str, np.ndarray]] = {}
    events = []
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        ph = (t - t0[side]) / T
        k = np.floor(ph)
        phi = ph - k
        # footprint k is where the heel lands at FS number k (overground)
        x_fs = speed_m_s * (t0[side] + k * T) + 0.25
        u = np.clip((phi - p) / (1 - p), 0, 1)
        s = np.interp(u, u_grid, s_grid)
        heel_x = np.where(phi < p, x_fs, x_fs + s * L)
        if treadmill:  # the stance foot moves back with the belt; the trunk stays
            heel_x = heel_x - speed_m_s * t
        ho = p - 0.15
        rise = np.clip((phi - ho) / (p - ho), 0, 1) ** 2 * 0.08
        heel_z = np.where(phi < p, heel_h + np.where(phi > ho, rise, 0.0),
                          heel_h + 0.08 * (1 - u) + 0.10 * np.sin(np.pi * u))
        tau = 0.03
        B = 0.025
        lift = np.where(phi < p, B * np.exp((phi - p) / tau), B * (2 - np.exp(-(phi - p) / tau)))
        drop = np.where(phi < 0.08, 0.05 * (1 - phi / 0.08) ** 2, 0.0)
        toe_z = toe_h + np.where(phi < p, drop + lift, lift)
        y = sgn * step_width_m / 2
        heel = np.stack([heel_x, np.full(F, y), heel_z], 1)
        toe = np.stack([heel_x + lf, np.full(F, y), toe_z], 1)
        ankle = np.stack([heel_x + 0.05, np.full(F, y), heel_z + ank_h - heel_h], 1)
        feet[side] = {"HEE": heel, "TOE": toe, "ANK": ankle}
        for j in range(int(np.floor(-t0[side] / T)) - 1, int(np.ceil(duration_s / T)) + 1):
            for typ, off in (("foot_strike", 0.0), ("foot_off", p * T)):
                te = t0[side] + j * T + off
                if 0.05 < te < duration_s - 0.05:
                    events.append((side, typ, float(te)))
    events.sort(key=lambda e: e[2])

    # pelvis (left stance phase drives sway, obliquity and rotation)
    phL = ((t - t0["left"]) / T) % 1.0
    sway = sway_m * np.cos(2 * np.pi * (phL - 0.3))           # max to the left at L mid-stance
    obl_amp = np.asarray(obliquity_amp_deg, dtype=float)
    wave = np.sin(2 * np.pi * (phL + 0.05))                    # + in left stance, - in right
    obl_left = np.where(wave > 0, obl_amp[0] * wave, obl_amp[1] * wave)
    rot_left = rotation_amp_deg * np.cos(2 * np.pi * phL)      # left side forward at left FS
    tilt = pelvis_tilt_deg + 1.5 * np.sin(4 * np.pi * phL)
    R = _rot_yxz(np.radians(tilt), np.radians(obl_left), np.radians(-rot_left))
    hip_height = 0.93 * (np.mean(thigh_m) + np.mean(shank_m)) + ank_h
    centre = np.stack([adv + 0.0, sway, hip_height + 0.015 * np.cos(4 * np.pi * phL) + 0.08], 1)
    pw, pd = 0.24, 0.16
    local = {"LASI": (0, pw / 2, 0), "RASI": (0, -pw / 2, 0), "LPSI": (-pd, 0.045, 0),
             "RPSI": (-pd, -0.045, 0)}
    pel = {n: centre + np.einsum("fij,j->fi", R, np.array(v)) for n, v in local.items()}
    pel["SACR"] = (pel["LPSI"] + pel["RPSI"]) / 2
    lhjc, rhjc = hip_joint_centres(pel["LASI"], pel["RASI"], pel["SACR"])
    fwd = np.tile([1.0, 0, 0], (F, 1))
    mk: dict[str, np.ndarray] = dict(pel)
    for side, hjc, i in (("left", lhjc, 0), ("right", rhjc, 1)):
        s = side[0].upper()
        f = feet[side]
        knee = _knee(hjc, f["ANK"], fwd, thigh_m[i], shank_m[i])
        mk[f"{s}HJC"] = hjc
        mk[f"{s}KJC"] = knee
        mk[f"{s}AJC"] = f["ANK"]
        mk[f"{s}HEE"] = f["HEE"]
        mk[f"{s}TOE"] = f["TOE"]
    # thorax: counter-rotates against the pelvis
    rot_th = np.radians(0.5 * rot_left)                        # thorax Z angle = +0.5 rot_left
    Rt = _rot_yxz(np.radians(np.full(F, 5.0)), np.zeros(F), rot_th)
    mid_hip = (lhjc + rhjc) / 2
    tl = {"CLAV": (0.07, 0, 0.45), "STRN": (0.09, 0, 0.27), "C7": (-0.08, 0, 0.50),
          "T10": (-0.10, 0, 0.28), "LSHO": (0.0, 0.18, 0.47), "RSHO": (0.0, -0.18, 0.47)}
    for n, v in tl.items():
        mk[n] = mid_hip + np.einsum("fij,j->fi", Rt, np.array(v))

    # place in the lab: heading and start
    h = np.radians(heading_deg)
    Rh = np.array([[np.cos(h), -np.sin(h), 0], [np.sin(h), np.cos(h), 0], [0, 0, 1]])
    off = np.array([start_xy[0], start_xy[1], 0.0])
    labels = tuple(mk)
    markers = np.stack([mk[n] @ Rh.T + off for n in labels], axis=1)
    kp = mediapipe_from_markers(markers, labels, fps)
    params = {"speed_m_s": speed_m_s, "cadence_steps_per_min": cadence_steps_per_min,
              "stride_time_s": T, "step_time_s": T / 2, "stride_length_m": L,
              "step_length_m": L / 2, "step_width_m": step_width_m,
              "stance_pct": 100 * p, "swing_pct": 100 * (1 - p),
              "double_support_pct": 100 * 2 * (p - 0.5),
              "thigh_m": thigh_m, "shank_m": shank_m, "heading_deg": heading_deg,
              "treadmill": treadmill, "sway_m": sway_m}
    pelvis_angles = {"left": np.stack([tilt, obl_left, rot_left], 1),
                     "right": np.stack([tilt, -obl_left, -rot_left], 1)}
    return SyntheticWalk(markers, labels, kp, fps, tuple(events), pelvis_angles, params)


def place_on_walkway(points: np.ndarray, heading_deg: float = 0.0,
                     quarter_turns: bool = False) -> np.ndarray:
    """Rotate (about Z) and shift trajectories (F, K, 3) so the walk goes along ``heading_deg``
    (0 = +X, the walkway of :func:`mocaplab.synthetic.walkway_cameras`) centred on the origin.

    The walking direction is the horizontal displacement of the centroid of the points between
    the first and last frames where it is defined. ``quarter_turns``: turn by the multiple of
    90 deg nearest that (the input's lab axes stay lab axes, e.g. to compare with angles a lab
    computed relative to its own axes).
    """
    pts = np.asarray(points, dtype=float)
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            centroid = np.nanmean(pts, axis=1)
    ok = np.flatnonzero(np.isfinite(centroid).all(axis=1))
    if len(ok) < 2:
        raise ValueError("not enough frames with points to find the walking direction")
    d = centroid[ok[-1], :2] - centroid[ok[0], :2]
    angle = np.radians(heading_deg) - np.arctan2(d[1], d[0])
    if quarter_turns:
        angle = np.round(angle / (np.pi / 2)) * (np.pi / 2)
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    out = pts @ rot.T
    mid = 0.5 * (centroid[ok[0]] + centroid[ok[-1]]) @ rot.T
    out[..., :2] -= mid[:2]
    return out


def markerless_walk_from_c3d(path, heading_deg: float = 0.0
                             ) -> tuple[Points3D, tuple[tuple[str, str, float], ...]]:
    """mediapipe33 keypoints of a marker walking trial (e.g. walk.c3d), placed on the walkway.

    Returns the keypoints (frame 1 = the C3D's first stored frame, t = 0) and the C3D's labelled
    events as (side, type, time_s) on that time base.
    """
    from mocaplab.marker_io import read_c3d

    trial = read_c3d(path)
    kp = mediapipe_from_markers(trial.points, trial.labels, trial.fps)
    placed = Points3D(place_on_walkway(kp.points, heading_deg), kp.keypoints, kp.fps)
    t0 = (trial.first_frame - 1) / trial.fps
    events = tuple((e.side, e.type, e.time_s - t0) for e in trial.events
                   if e.type in ("foot_strike", "foot_off"))
    return placed, events
