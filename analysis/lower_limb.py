"""Plug-in Gait lower limb: joint centres, segment frames and L/R Hip, Knee, Ankle and
FootProgress angles, one to one with Vicon's outputs.

Inputs are trajectories (F, 3) in millimetres or metres (all the same unit; ``unit_mm`` says
which, 1.0 for mm, 1000.0 for m) keyed by Plug-in Gait names: LASI, RASI, SACR (or LPSI/RPSI),
and per side THI, KNE, TIB, ANK, TOE (HEE is not used in a dynamic trial, as in Plug-in Gait).

Model (Davis et al. 1991; Kadaba et al. 1990; Vicon Plug-in Gait reference):

- Pelvis: origin mid-ASIS, y from RASI to LASI, z normal to the ASIS-SACR plane (up), x = y x z.
- Hip joint centres (Davis): in the pelvis frame, with C = 0.115 LL_mean - 15.3, theta = 0.5 rad,
  beta = 0.314 rad, r = marker radius, AT = ASIS-trochanter distance (0.1288 LL - 48.56 unless
  measured), a = half the inter-ASIS distance:
  x = C cos(theta) sin(beta) - (AT + r) cos(beta), y = +/-(a - C sin(theta)) (left +),
  z = -C cos(theta) cos(beta) - (AT + r) sin(beta).
- Knee and ankle joint centres by the chord function: the centre lies in the plane of the
  proximal joint centre, the wand (THI / TIB) and the lateral marker (KNE / ANK), at
  width/2 + r from the lateral marker, with a right angle proximal centre - centre - marker.
- Femur: origin KJC, z to the HJC, y along KJC-KNE (pointing left for both sides), x forward.
- Tibia at the ankle: origin AJC, z to the KJC, y along AJC-ANK likewise (the ankle flexion
  axis). Tibia at the knee: that frame turned by the tibial torsion about z (the knee flexion
  axis; torsion 0 unless measured). Knee angles use the latter, ankle angles the former.
- Foot: origin TOE, z from TOE to AJC, y from the knee tibia's y, then turned by the static
  plantar-flexion offset (about -y) and the static rotation offset (about x), as the static
  trial found them (zero unless measured).
- Thigh/shank rotation offsets (from a static calibration, e.g. with a knee alignment device:
  ``ThighRotation``/``ShankRotation``) turn the chord: the centre is then found where the wand,
  seen about the segment's long axis, lies that angle away from the lateral marker (as the
  Conventional Gait Model's chord with an offset angle does; left side -offset, right side
  +offset, checked on walk.c3d: knee centres within 3 mm of the file's own). Zero offsets give
  the plain chord.
- Ankle abduction/adduction offset (``AnkleAbAdd``, from a static trial with medial malleolus
  markers): the chord's ankle centre is then turned about the lateral ankle marker, in the plane
  of the knee centre, the marker and the centre, by that angle towards the knee (the malleoli are
  not level; pyCGM2's "chord+AbAdRot"). Checked on walk.c3d: with its 9.5 mm markers both ankle
  centres within 0.01 mm of the file's own (8.6 mm before).

Angles: intrinsic Y-X-Z Cardan angles of the distal segment relative to the proximal one (the
foot relative to the tibia, and to the progression frame for foot progression), then the
per-side signs and offsets of Plug-in Gait in :data:`CONVENTIONS` (flexion, adduction/varus,
internal rotation, dorsiflexion, inversion, toe-in positive; verified against Vicon's outputs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from mocaplab.analysis.frames import cardan_yxz, relative
from mocaplab.analysis.frames import unit as _unit
from mocaplab.analysis.landmarks import pelvis_frame
from mocaplab.analysis.subject import DEFAULTS_MM, Measurements

SIDES = ("left", "right")
#: metrics.json keys per joint (CONVENTIONS.md).
JOINT_KEYS = {"hip": ("flexion", "adduction", "rotation"),
              "knee": ("flexion", "adduction", "rotation"),
              "ankle": ("dorsiflexion", "inversion", "rotation"),
              "foot_progression": ("angle",)}
#: Vicon output names per joint (L/R prefix added).
VICON_NAMES = {"hip": "HipAngles", "knee": "KneeAngles", "ankle": "AnkleAngles",
               "foot_progression": "FootProgressAngles"}

# (joint, side) -> per output component: (index of the Cardan angle, sign, offset deg).
# Output = sign * cardan[index] + offset. Cardan = Y-X-Z of distal relative to proximal.
CONVENTIONS: dict[tuple[str, str], tuple[tuple[int, float, float], ...]] = {
    ("hip", "left"): ((0, -1.0, 0.0), (1, -1.0, 0.0), (2, -1.0, 0.0)),
    ("hip", "right"): ((0, -1.0, 0.0), (1, 1.0, 0.0), (2, 1.0, 0.0)),
    ("knee", "left"): ((0, 1.0, 0.0), (1, -1.0, 0.0), (2, -1.0, 0.0)),
    ("knee", "right"): ((0, 1.0, 0.0), (1, 1.0, 0.0), (2, 1.0, 0.0)),
    ("ankle", "left"): ((0, -1.0, -90.0), (2, -1.0, 0.0), (1, -1.0, 0.0)),
    ("ankle", "right"): ((0, -1.0, -90.0), (2, 1.0, 0.0), (1, 1.0, 0.0)),
    ("foot_progression", "left"): ((1, -1.0, 0.0),),
    ("foot_progression", "right"): ((1, 1.0, 0.0),),
}


def frame_zy(z_approx: np.ndarray, y_approx: np.ndarray) -> np.ndarray:
    """Right-handed frames (F, 3, 3), columns x, y, z: z exact, y in the plane of z and y_approx."""
    z = _unit(z_approx)
    x = _unit(np.cross(y_approx, z))
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


def rotate_about(rot: np.ndarray, axis: int, angle_deg: float) -> np.ndarray:
    """Frames (F, 3, 3) turned by ``angle_deg`` about their own axis ``axis`` (0 x, 1 y, 2 z)."""
    if not angle_deg:
        return rot
    a = np.radians(angle_deg)
    c, s = np.cos(a), np.sin(a)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return rot @ r


def davis_hip_centres(lasi: np.ndarray, rasi: np.ndarray, sacr: np.ndarray, m: Measurements,
                      unit_mm: float = 1.0, ankles: tuple[np.ndarray, np.ndarray] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Left and right hip joint centres (F, 3), in the input's unit, as Plug-in Gait does.

    ``ankles`` (left, right ankle markers) estimate the leg lengths when they are not measured.
    """
    origin, rot = pelvis_frame(lasi, rasi, sacr)
    r = (m.marker_diameter_mm or DEFAULTS_MM["marker_diameter"]) / 2
    leg = []
    for i, side in enumerate(SIDES):
        ll = m.side(side).leg_length_mm
        if ll is None:
            asis = lasi if side == "left" else rasi
            est = np.nan
            if ankles is not None:
                d = np.linalg.norm(asis - ankles[i], axis=-1)
                d = d[np.isfinite(d)]
                est = float(np.median(d)) * unit_mm if d.size else np.nan
            ll = est
        leg.append(ll)
    ll_mean = float(np.mean(leg))
    if m.inter_asis_mm is not None:
        half = m.inter_asis_mm / 2
    else:
        half = float(np.nanmedian(np.linalg.norm(lasi - rasi, axis=-1))) * unit_mm / 2
    c = 0.115 * ll_mean - 15.3
    theta, beta = 0.5, 0.314
    out = []
    for side, ll, s in zip(SIDES, leg, (1.0, -1.0), strict=True):
        at = m.side(side).asis_trochanter_mm
        if at is None:
            at = 0.1288 * ll - 48.56
        local = np.array([c * np.cos(theta) * np.sin(beta) - (at + r) * np.cos(beta),
                          s * (half - c * np.sin(theta)),
                          -c * np.cos(theta) * np.cos(beta) - (at + r) * np.sin(beta)])
        out.append(origin + np.einsum("fij,j->fi", rot, local / unit_mm))
    return out[0], out[1]


def chord(proximal: np.ndarray, wand: np.ndarray, lateral: np.ndarray, delta: float
          ) -> np.ndarray:
    """Joint centre (F, 3) by the chord function, ``delta`` from ``lateral`` (input unit).

    In the plane of the three points, on the side of the proximal-lateral line away from the
    wand, with the proximal centre seen at a right angle from the new centre.
    """
    u = _unit(proximal - lateral)
    length = np.linalg.norm(proximal - lateral, axis=-1, keepdims=True)
    w = wand - lateral
    w = w - np.sum(w * u, axis=-1, keepdims=True) * u
    v = -_unit(w)
    with np.errstate(invalid="ignore"):
        cos = np.clip(delta / length, -1.0, 1.0)
    return lateral + delta * (cos * u + np.sqrt(1 - cos ** 2) * v)


def turn_about_marker(centre: np.ndarray, proximal: np.ndarray, lateral: np.ndarray,
                      angle_deg: float) -> np.ndarray:
    """``centre`` (F, 3) turned by ``angle_deg`` about the axis through ``lateral`` normal to the
    plane (proximal, lateral, centre), positive moving it towards ``proximal``."""
    if not angle_deg:
        return centre
    axis = _unit(np.cross(proximal - centre, lateral - centre))
    v = centre - lateral
    a = np.radians(angle_deg)
    cross = np.cross(axis, v)
    dot = np.sum(axis * v, axis=-1, keepdims=True)
    return lateral + v * np.cos(a) + cross * np.sin(a) + axis * dot * (1 - np.cos(a))


def chord_offset(proximal: np.ndarray, wand: np.ndarray, lateral: np.ndarray, delta: float,
                 offset_deg: float, chunk: int = 2000) -> np.ndarray:
    """Joint centre (F, 3) by the chord function with a wand rotation offset: at ``delta`` from
    ``lateral`` with the proximal centre seen at a right angle (the circle of such points), where
    the signed angle about the long axis (centre -> proximal) from the wand's direction to the
    lateral marker's direction equals ``offset_deg``. ``offset_deg`` 0 is :func:`chord`."""
    if not offset_deg:
        return chord(proximal, wand, lateral, delta)
    out = np.full(np.shape(proximal), np.nan)
    for s in range(0, len(proximal), chunk):
        sl = slice(s, s + chunk)
        out[sl] = _chord_offset(proximal[sl], wand[sl], lateral[sl], delta, offset_deg)
    return out


def _chord_offset(proximal, wand, lateral, delta, offset_deg):
    d = proximal - lateral
    length = np.linalg.norm(d, axis=-1, keepdims=True)
    u = _unit(d)
    with np.errstate(invalid="ignore"):
        cos = np.clip(delta / length, -1.0, 1.0)
    sin = np.sqrt(1 - cos ** 2)
    helper = np.where(np.abs(u[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    e1 = _unit(np.cross(u, helper))
    e2 = np.cross(u, e1)

    def centres(phi):                     # phi (F, K) -> (F, K, 3) points of the circle
        ring = np.cos(phi)[..., None] * e1[:, None] + np.sin(phi)[..., None] * e2[:, None]
        return lateral[:, None] + delta * (cos[:, None] * u[:, None] + sin[:, None] * ring)

    def mismatch(phi):
        c = centres(phi)
        axis = _unit(proximal[:, None] - c)

        def across(x):
            v = x[:, None] - c
            return v - np.sum(v * axis, axis=-1, keepdims=True) * axis

        pw, pl = across(wand), across(lateral)
        ang = np.degrees(np.arctan2(np.sum(np.cross(pw, pl) * axis, axis=-1),
                                    np.sum(pw * pl, axis=-1)))
        return np.abs((ang - offset_deg + 180.0) % 360.0 - 180.0)

    n = len(proximal)
    phi = np.broadcast_to(np.radians(np.arange(-180.0, 180.0, 1.0)), (n, 360))
    with np.errstate(invalid="ignore"):
        best = phi[np.arange(n), np.nanargmin(np.nan_to_num(mismatch(phi), nan=np.inf), 1)]
        fine = best[:, None] + np.radians(np.linspace(-1.0, 1.0, 201))[None, :]
        best = fine[np.arange(n), np.argmin(np.nan_to_num(mismatch(fine), nan=np.inf), 1)]
        return centres(best[:, None])[:, 0]


def static_foot(toe: np.ndarray, hee: np.ndarray, tibia_y: np.ndarray,
                dynamic: np.ndarray | None = None, flat: bool | None = None
                ) -> tuple[np.ndarray, bool]:
    """The foot Plug-in Gait reports in a static calibration trial, (F, 3, 3), and whether the
    flat-foot option was taken.

    The static foot runs from TOE to HEE (y from the knee tibia's y), or, with the flat-foot
    option, to HEE moved to TOE's height (Z up). The static offsets are the plantar-flexion and
    rotation angles between the dynamic foot (TOE to AJC) and this foot, but the third angle
    (about the long axis, the inversion) is not kept; so in the static trial itself Vicon's
    ankle inversion is that of the static foot. The file does not say whether the flat-foot
    option was used: the variant whose long axis is nearer (mean angle) to that of ``dynamic``
    (the dynamic foot turned by the stored offsets) is taken; plain TOE to HEE when they tie
    (no offsets stored). ``flat`` given: that variant.
    """
    flat_hee = hee.copy()
    flat_hee[:, 2] = toe[:, 2]
    if flat is not None:
        return frame_zy((flat_hee if flat else hee) - toe, tibia_y), flat
    best = None
    for flat, heel in ((False, hee), (True, flat_hee)):
        foot = frame_zy(heel - toe, tibia_y)
        with np.errstate(invalid="ignore"):
            cos = np.clip(np.sum(foot[:, :, 2] * dynamic[:, :, 2], axis=-1), -1.0, 1.0)
            miss = float(np.nanmean(np.degrees(np.arccos(cos)))) if np.isfinite(cos).any() \
                else np.inf
        if best is None or miss < best[0] - 0.05:
            best = (miss, foot, flat)
    return best[1], best[2]


@dataclasses.dataclass(frozen=True, eq=False)
class LowerLimb:
    """Plug-in Gait lower-limb model of a trial.

    ``centres``: "LHJC", "RKJC", "LAJC"... -> (F, 3) in the input unit.
    ``frames``: "pelvis", "left_femur", "left_tibia" (knee flexion axis), "left_tibia_ankle"
    (ankle flexion axis), "left_foot"... -> (F, 3, 3) columns x, y, z in the lab.
    ``notes``: what was defaulted or could not be computed. ``info``: choices the model made
    ("left static foot flat": the static-trial foot with the flat-foot option).
    """

    centres: Mapping[str, np.ndarray]
    frames: Mapping[str, np.ndarray]
    notes: tuple[str, ...] = ()
    info: tuple[str, ...] = ()


def _side_sign(side: str) -> float:
    return 1.0 if side == "left" else -1.0


def lower_limb(markers: Mapping[str, np.ndarray], m: Measurements, unit_mm: float = 1.0,
               foot_axis: str = "ajc") -> LowerLimb:
    """Joint centres and segment frames from Plug-in Gait markers (see the module docstring).

    ``foot_axis``: "ajc" (Plug-in Gait's dynamic foot, TOE to AJC, then the static offsets),
    "static" (a static calibration trial: Plug-in Gait reports the foot of the static
    calibration, TOE to HEE, see :func:`static_foot`) or "heel" (TOE to HEE, the axis Plug-in
    Gait's static offsets align the foot with; used for estimated landmarks, which have no
    static trial).

    ``markers`` may also carry ``LHJC``/``RHJC`` (e.g. estimated landmarks): they are used
    instead of the Davis regression. Missing markers give NaN frames and a note.
    """
    n = next(iter(markers.values())).shape[0]
    nan3 = np.full((n, 3), np.nan)

    def get(name: str) -> np.ndarray:
        return markers.get(name, nan3)

    notes: list[str] = []
    info: list[str] = []
    # PSIS midpoint where both PSIS are seen, else the SACR marker (Plug-in Gait takes either)
    sacr = (get("LPSI") + get("RPSI")) / 2
    sacr = np.where(np.isfinite(sacr), sacr, get("SACR"))
    lasi, rasi = get("LASI"), get("RASI")
    _, prot = pelvis_frame(lasi, rasi, sacr)
    if "LHJC" in markers and "RHJC" in markers:
        lhjc, rhjc = markers["LHJC"], markers["RHJC"]
    else:
        lhjc, rhjc = davis_hip_centres(lasi, rasi, sacr, m, unit_mm, (get("LANK"), get("RANK")))
    r = (m.marker_diameter_mm or DEFAULTS_MM["marker_diameter"]) / 2
    centres = {"LHJC": lhjc, "RHJC": rhjc}
    frames = {"pelvis": prot}
    for side, hjc in (("left", lhjc), ("right", rhjc)):
        p = side[0].upper()
        s = m.side(side)
        sign = _side_sign(side)
        kw = s.knee_width_mm or DEFAULTS_MM["knee_width"]
        aw = s.ankle_width_mm or DEFAULTS_MM["ankle_width"]
        kne, ank, toe = get(p + "KNE"), get(p + "ANK"), get(p + "TOE")
        if p + "KJC" in markers:
            kjc = markers[p + "KJC"]
        else:
            kjc = chord_offset(hjc, get(p + "THI"), kne, (kw / 2 + r) / unit_mm,
                               -sign * s.thigh_rotation_deg)
        if p + "AJC" in markers:
            ajc = markers[p + "AJC"]
        else:
            ajc = chord_offset(kjc, get(p + "TIB"), ank, (aw / 2 + r) / unit_mm,
                               -sign * s.shank_rotation_deg)
            ajc = turn_about_marker(ajc, kjc, ank, s.ankle_abadd_deg)
        femur = frame_zy(hjc - kjc, sign * (kne - kjc))
        tibia_ankle = frame_zy(kjc - ajc, sign * (ank - ajc))
        tibia = rotate_about(tibia_ankle, 2, sign * s.tibial_torsion_deg)
        dynamic = frame_zy(ajc - toe, tibia[:, :, 1])
        dynamic = rotate_about(dynamic, 1, -s.static_plantar_flexion_deg)
        dynamic = rotate_about(dynamic, 0, -sign * s.static_rotation_offset_deg)
        if foot_axis == "heel":
            foot = frame_zy(get(p + "HEE") - toe, tibia[:, :, 1])
        elif foot_axis == "static":
            foot, flat = static_foot(toe, get(p + "HEE"), tibia[:, :, 1], dynamic)
            info.append(f"{side} static foot" + (" flat" if flat else ""))
        else:
            foot = dynamic
        centres.update({p + "KJC": kjc, p + "AJC": ajc})
        frames.update({f"{side}_femur": femur, f"{side}_tibia": tibia,
                       f"{side}_tibia_ankle": tibia_ankle, f"{side}_foot": foot})
        for name in ("THI", "KNE", "TIB", "ANK", "TOE"):
            if not np.isfinite(get(p + name)).any() and not (
                    name in ("THI", "KNE") and p + "KJC" in markers) and not (
                    name in ("TIB", "ANK") and p + "AJC" in markers):
                notes.append(f"{side} {name} marker missing: {side} lower-limb angles "
                             "unavailable where they need it")
    return LowerLimb(centres, frames, tuple(notes), tuple(info))


def static_calibration(markers: Mapping[str, np.ndarray], m: Measurements,
                       unit_mm: float = 1.0, flat_foot: bool = False
                       ) -> dict[str, tuple[float, float]]:
    """Plug-in Gait's static foot offsets from a static trial's markers: side -> (static
    plantar flexion, static rotation offset) in degrees, as PROCESSING's ``StaticPlantFlex`` /
    ``StaticRotOff`` (the Y and X angles, mean over the frames, of the static foot of
    :func:`static_foot` relative to the dynamic foot TOE to AJC). ``flat_foot``: Plug-in Gait's
    flat-foot option (HEE taken at TOE's height). The other measurements (widths, leg lengths,
    thigh/shank offsets) are ``m``'s."""
    zero = {"static_plantar_flexion_deg": 0.0, "static_rotation_offset_deg": 0.0}
    bare = dataclasses.replace(m, left=dataclasses.replace(m.left, **zero),
                               right=dataclasses.replace(m.right, **zero))
    model = lower_limb(markers, bare, unit_mm)
    nan3 = np.full_like(next(iter(markers.values())), np.nan)
    out = {}
    for side in SIDES:
        p = side[0].upper()
        tibia_y = model.frames[f"{side}_tibia"][:, :, 1]
        foot, _ = static_foot(markers.get(p + "TOE", nan3), markers.get(p + "HEE", nan3),
                              tibia_y, flat=flat_foot)
        a, b, _ = np.nanmean(cardan_yxz(relative(model.frames[f"{side}_foot"], foot)), axis=0)
        out[side] = (float(-a), float(-_side_sign(side) * b))
    return out


def apply_convention(cardan: np.ndarray, joint: str, side: str) -> np.ndarray:
    """(F, 3) Y-X-Z Cardan angles -> (F, k) Plug-in Gait components of ``joint``/``side``."""
    cols = [sign * cardan[:, i] + off for i, sign, off in CONVENTIONS[(joint, side)]]
    out = np.stack(cols, axis=-1)
    return (out + 180.0) % 360.0 - 180.0


def joint_angles(model: LowerLimb, progression_rotation: np.ndarray | None = None
                 ) -> dict[str, dict[str, np.ndarray]]:
    """joint -> side -> (F, k) degrees: hip, knee, ankle (k = 3) and foot_progression (k = 1,
    only with ``progression_rotation`` (F, 3, 3), columns forward, left, up)."""
    f = model.frames
    out: dict[str, dict[str, np.ndarray]] = {j: {} for j in JOINT_KEYS}
    for side in SIDES:
        pairs = {"hip": ("pelvis", f"{side}_femur"), "knee": (f"{side}_femur", f"{side}_tibia"),
                 "ankle": (f"{side}_tibia_ankle", f"{side}_foot")}
        for joint, (prox, dist) in pairs.items():
            out[joint][side] = apply_convention(cardan_yxz(relative(f[prox], f[dist])),
                                                joint, side)
        if progression_rotation is not None:
            cardan = cardan_yxz(relative(progression_rotation, f[f"{side}_foot"]))
            out["foot_progression"][side] = apply_convention(cardan, "foot_progression", side)
        else:
            out["foot_progression"][side] = np.full((f["pelvis"].shape[0], 1), np.nan)
    return out


#: Plug-in Gait marker -> aliases of the body part (lower case, separators removed), for the
#: skin markers the lower-limb model needs (the lateral knee/ankle markers and the wands, which
#: the landmark roles do not carry: a landmark "knee" may be a joint centre).
PIG_PELVIS = {"LASI": ("lasi", "lasis", "leftasis"), "RASI": ("rasi", "rasis", "rightasis"),
              "LPSI": ("lpsi", "lpsis", "leftpsis"), "RPSI": ("rpsi", "rpsis", "rightpsis"),
              "SACR": ("sacr", "sacrum", "sacral", "sacr1")}
PIG_ALIASES = {"THI": ("thi", "thigh"), "KNE": ("kne", "knee", "knee1"),
               "TIB": ("tib", "tibia", "shank"), "ANK": ("ank", "ankle", "mal", "mall"),
               "TOE": ("toe", "met", "mt2", "fm2"), "HEE": ("hee", "heel", "cal")}


def _norm_label(label: str) -> str:
    import re

    return re.sub(r"[\s_\-.]", "", str(label).split(":")[-1]).lower()


def pig_markers(points: np.ndarray, labels, up_axis: str = "z",
                label_map: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    """Plug-in Gait markers (name -> (F, 3), input unit, Z up) found among ``labels``.

    LASI, RASI, LPSI, RPSI, SACR; THI, KNE, TIB, ANK, TOE, HEE per side (prefix ``l``/``r``,
    ``left``/``right``, ``l.``, ``l_``...). Joint-centre outputs (LKJC...) are not taken for
    KNE/ANK: the chord function needs the skin markers. ``label_map`` (Plug-in Gait name ->
    input label, the ``--map`` file) wins over the name matching.
    """
    from mocaplab.analysis.landmarks import _to_z_up

    norm = [_norm_label(lb) for lb in labels]
    rot = _to_z_up(up_axis)
    out: dict[str, np.ndarray] = {}

    def take(name: str, aliases) -> None:
        for alias in aliases:
            if alias in norm:
                out[name] = np.asarray(points[:, norm.index(alias)], dtype=float) @ rot.T
                return

    for name, aliases in PIG_PELVIS.items():
        take(name, aliases)
    for side, prefixes in (("L", ("l", "left")), ("R", ("r", "right"))):
        for name, aliases in PIG_ALIASES.items():
            take(side + name, [p + a for a in aliases for p in prefixes])
    raw = [str(lb) for lb in labels]
    for name, label in (label_map or {}).items():
        known = name in PIG_PELVIS or (name[:1] in "LR" and name[1:] in PIG_ALIASES)
        if known and label in raw:
            out[name] = np.asarray(points[:, raw.index(label)], dtype=float) @ rot.T
    return out
