"""A Plug-in Gait marker walk built forward from prescribed joint angles, with its truth.

:func:`prescribed_walk` takes gait-cycle curves (pelvis tilt/obliquity/rotation, hip, knee and
ankle angles, optionally foot progression, in Plug-in Gait meaning and signs) for the left side
and plays them for both sides half a cycle apart while the pelvis walks along +X:

- pelvis frame from the pelvis curves relative to +X; LASI/RASI/LPSI/RPSI placed on it;
- hip joint centres by Davis's regression (Plug-in Gait) from the subject measurements;
- femur, tibia and foot frames turned by the joint angles, their signs by clinical meaning
  (flexion puts the knee in front of the hip, knee flexion the ankle behind the knee,
  adduction the knee towards the midline, internal rotation the front of the segment towards
  the midline, dorsiflexion the toe up), knee and ankle centres at the segment lengths;
- skin markers where Plug-in Gait expects them: KNE/ANK at knee/ankle width / 2 + marker
  radius lateral of the centres, THI/TIB wands in the segments' frontal planes, TOE, HEE.

Plug-in Gait's dynamic foot has only TOE and AJC (its y axis is the tibia's flexion axis), so
the foot carries no roll of its own: ankle inversion is 0; the ankle rotation is either given
or chosen per frame so the foot progression follows its curve. The feet do not meet the floor
realistically (nothing here is a dynamic model); events are found from the kinematics (Zeni).
Lengths in metres, angles in degrees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from mocaplab.analysis.frames import unit as _unit

#: The subject of the walk (mm), written by callers into meta.json["subject"] as a lab would.
MEASUREMENTS_MM = {"leg_length": 900.0, "knee_width": 105.0, "ankle_width": 70.0,
                   "marker_diameter": 14.0}
SEGMENTS_M = {"thigh": 0.42, "shank": 0.41, "foot": 0.16}
PELVIS_WIDTH_M, PELVIS_DEPTH_M, PSIS_HALF_M, PELVIS_HEIGHT_M = 0.24, 0.16, 0.045, 0.95


def _rx(a):
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1),
                     np.stack([z, s, c], -1)], -2)


def _ry(a):
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def _rz(a):
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                     np.stack([z, z, o], -1)], -2)


@dataclasses.dataclass(frozen=True, eq=False)
class PigWalk:
    """A built walk: markers (F, M, 3) metres with labels, fps, the subject measurements
    (``meta.json["subject"]`` keys, metres) and the truth ``angles[joint][side]`` (F, k) deg
    (hip, knee, ankle: 3 components; foot_progression: (F, 1), NaN where the foot is more than
    20 deg from level, where a heading in the horizontal plane is not Plug-in Gait's angle)."""

    markers: np.ndarray
    labels: tuple[str, ...]
    fps: float
    subject: Mapping[str, float]
    angles: Mapping[str, Mapping[str, np.ndarray]]


def _at(curve: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """A cycle curve (N,) on 0..100 % sampled at ``phase`` (fractions, any real)."""
    curve = np.asarray(curve, dtype=float)
    grid = np.linspace(0.0, 1.0, len(curve))
    return np.interp(np.mod(phase, 1.0), grid, curve)


def _heading(d: np.ndarray, s: float) -> np.ndarray:
    """Foot progression (deg, toe-in positive) of foot vectors d (F, 3) AJC->TOE, side sign s."""
    return np.degrees(np.arctan2(-s * d[..., 1], d[..., 0]))


def prescribed_walk(curves: Mapping[str, np.ndarray], *, speed_m_s: float = 1.3,
                    stride_time_s: float = 1.1, duration_s: float = 5.0,
                    fps: float = 100.0) -> PigWalk:
    """Markers of a walk whose left side follows ``curves`` (variable -> (N,) deg on 0..100 %
    of the cycle, cycle starting at the left foot strike at t = 0.2 s) and whose right side
    follows the same curves half a cycle later.

    Variables: ``pelvis_tilt``, ``pelvis_obliquity``, ``pelvis_rotation`` (left side's
    PelvisAngles), ``hip_flexion``, ``hip_adduction``, ``hip_rotation``, ``knee_flexion``,
    ``knee_adduction``, ``knee_rotation``, ``ankle_dorsiflexion``, and either
    ``ankle_rotation`` or ``foot_progression`` (missing ones are 0).
    """
    n = int(round(duration_s * fps))
    t = np.arange(n) / fps
    phase = {"left": (t - 0.2) / stride_time_s, "right": (t - 0.2) / stride_time_s - 0.5}

    def get(name: str, side: str) -> np.ndarray:
        c = curves.get(name)
        return np.zeros(n) if c is None else _at(c, phase[side])

    r = MEASUREMENTS_MM["marker_diameter"] / 2
    rad = np.radians
    # pelvis: left PelvisAngles (tilt, obliquity, rotation) = Cardan (a, b, -c) of the pelvis
    # relative to the progression frame (+X forward, +Y left, +Z up)
    rp = _ry(rad(get("pelvis_tilt", "left"))) @ _rx(rad(get("pelvis_obliquity", "left"))) @ \
        _rz(-rad(get("pelvis_rotation", "left")))
    origin = np.stack([speed_m_s * t, np.zeros(n), np.full(n, PELVIS_HEIGHT_M)], 1)

    def on_pelvis(x, y, z):
        return origin + np.einsum("fij,j->fi", rp, np.array([x, y, z]))

    out = {"LASI": on_pelvis(0, PELVIS_WIDTH_M / 2, 0),
           "RASI": on_pelvis(0, -PELVIS_WIDTH_M / 2, 0),
           "LPSI": on_pelvis(-PELVIS_DEPTH_M, PSIS_HALF_M, 0),
           "RPSI": on_pelvis(-PELVIS_DEPTH_M, -PSIS_HALF_M, 0)}
    # Davis et al. 1991 hip centres (mm) in the pelvis frame
    leg = MEASUREMENTS_MM["leg_length"]
    c = 0.115 * leg - 15.3
    at = 0.1288 * leg - 48.56
    th, be = 0.5, 0.314
    hx = c * np.cos(th) * np.sin(be) - (at + r) * np.cos(be)
    hz = -c * np.cos(th) * np.cos(be) - (at + r) * np.sin(be)
    hy = PELVIS_WIDTH_M * 1000 / 2 - c * np.sin(th)
    thigh, shank, foot = SEGMENTS_M["thigh"], SEGMENTS_M["shank"], SEGMENTS_M["foot"]
    truth: dict = {j: {} for j in ("hip", "knee", "ankle", "foot_progression")}
    for side, p, s in (("left", "L", 1.0), ("right", "R", -1.0)):
        hjc = on_pelvis(hx / 1000, s * hy / 1000, hz / 1000)
        hf, ha, hr = (rad(get(f"hip_{k}", side)) for k in ("flexion", "adduction", "rotation"))
        kf, ka, kr = (rad(get(f"knee_{k}", side)) for k in ("flexion", "adduction", "rotation"))
        ad = rad(get("ankle_dorsiflexion", side))
        rf = rp @ _ry(-hf) @ _rx(-s * ha) @ _rz(-s * hr)                   # femur
        rt = rf @ _ry(kf) @ _rx(-s * ka) @ _rz(-s * kr)                    # tibia
        kjc = hjc - thigh * rf[:, :, 2]
        ajc = kjc - shank * rt[:, :, 2]

        def foot_frame(rot_rad, rt=rt, ad=ad, s=s):
            return rt @ _ry(-np.pi / 2 - ad) @ _rx(-s * rot_rad)          # z: TOE -> AJC

        if "ankle_rotation" in curves or "foot_progression" not in curves:
            ar = rad(get("ankle_rotation", side))
        else:   # the ankle rotation giving the foot progression asked for, per frame
            grid = rad(np.arange(-60.0, 60.01, 0.05))
            want = get("foot_progression", side)
            best = np.zeros(n)
            err = np.full(n, np.inf)
            for g in grid:
                got = _heading(-foot_frame(np.full(n, g))[:, :, 2], s)
                e = np.abs(got - want)
                better = e < err
                best[better], err[better] = g, e[better]
            ar = best
        rfoot = foot_frame(ar)
        toe = ajc - foot * rfoot[:, :, 2]
        lat_f, lat_t = s * rf[:, :, 1], s * rt[:, :, 1]
        out[p + "THI"] = hjc - 0.5 * thigh * rf[:, :, 2] + 0.09 * lat_f
        out[p + "KNE"] = kjc + lat_f * (MEASUREMENTS_MM["knee_width"] / 2 + r) / 1000
        out[p + "TIB"] = kjc - 0.5 * shank * rt[:, :, 2] + 0.07 * lat_t
        out[p + "ANK"] = ajc + lat_t * (MEASUREMENTS_MM["ankle_width"] / 2 + r) / 1000
        out[p + "TOE"] = toe
        out[p + "HEE"] = ajc + 0.05 * rfoot[:, :, 2] - 0.04 * rfoot[:, :, 0]
        deg = np.degrees
        truth["hip"][side] = np.stack([deg(hf), deg(ha), deg(hr)], 1)
        truth["knee"][side] = np.stack([deg(kf), deg(ka), deg(kr)], 1)
        truth["ankle"][side] = np.stack([deg(ad), np.zeros(n), deg(ar)], 1)
        d = toe - ajc
        level = np.abs(deg(np.arcsin(_unit(d)[:, 2]))) < 20
        truth["foot_progression"][side] = np.where(level, _heading(d, s), np.nan)[:, None]
    labels = tuple(out)
    subject = {"leg_length_m": MEASUREMENTS_MM["leg_length"] / 1000,
               "knee_width_m": MEASUREMENTS_MM["knee_width"] / 1000,
               "ankle_width_m": MEASUREMENTS_MM["ankle_width"] / 1000,
               "marker_diameter_m": MEASUREMENTS_MM["marker_diameter"] / 1000,
               "inter_asis_m": PELVIS_WIDTH_M,
               # the feet are built without static offsets (dynamic foot = TOE -> AJC)
               "static_plantar_flexion_deg": 0.0, "static_rotation_offset_deg": 0.0}
    return PigWalk(np.stack([out[k] for k in labels], axis=1), labels, fps, subject, truth)
