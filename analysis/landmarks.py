"""Landmarks by role, whatever the input's labels: Plug-in Gait markers, mediapipe33 keypoints or
other marker sets (e.g. BTS/Davis lower-case labels such as ``"r asis"``, ``"sacrum"``).

A role is a Plug-in Gait-like name (``LASI``, ``RHEE``, ``LHJC``...). :func:`find_landmarks`
maps each role to the first label of the input that matches one of its aliases (case, spaces and
underscores ignored; a ``Subject:`` prefix stripped). What is missing stays missing: the models
that need it return NaN with a reason.

Also here: the vertical axis of the input (Z up by convention; some labs write Y up) and the
regression of the hip joint centres from the pelvis markers (Harrington et al. 2007).
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

#: role -> aliases (normalised: lower case, no spaces/underscores/dashes). First match wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "LASI": ("lasi", "lasis", "leftasis"),
    "RASI": ("rasi", "rasis", "rightasis"),
    "LPSI": ("lpsi", "lpsis", "leftpsis"),
    "RPSI": ("rpsi", "rpsis", "rightpsis"),
    "SACR": ("sacr", "sacrum", "sacral", "sacr1"),
    "LHJC": ("lhjc", "lhipjc", "lefthipjointcentre"),
    "RHJC": ("rhjc", "rhipjc", "righthipjointcentre"),
    "LHIP": ("lefthip",),                   # mediapipe33: a hip-centre-like keypoint
    "RHIP": ("righthip",),
    "LKNE": ("lkjc", "lkne", "lknee", "lknee1", "leftknee"),
    "RKNE": ("rkjc", "rkne", "rknee", "rknee1", "rightknee"),
    "LANK": ("lajc", "lank", "lankle", "lmal", "lefankle", "leftankle"),
    "RANK": ("rajc", "rank", "rankle", "rmal", "rightankle"),
    "LHEE": ("lhee", "lheel", "lcal", "leftheel"),
    "RHEE": ("rhee", "rheel", "rcal", "rightheel"),
    "LTOE": ("ltoe", "lmet", "lmt2", "lfm2", "lefttoe", "leftfootindex", "lbigtoe"),
    "RTOE": ("rtoe", "rmet", "rmt2", "rfm2", "righttoe", "rightfootindex", "rbigtoe"),
    "C7": ("c7",),
    "T10": ("t10",),
    "CLAV": ("clav", "ij", "jugular"),
    "STRN": ("strn", "px", "xiphoid"),
    "LSHO": ("lsho", "lshould", "lshoulder", "leftshoulder", "lacr"),
    "RSHO": ("rsho", "rshould", "rshoulder", "rightshoulder", "racr"),
}


def _norm(label: str) -> str:
    return re.sub(r"[\s_\-.]", "", label.split(":")[-1]).lower()


@dataclasses.dataclass(frozen=True, eq=False)
class Landmarks:
    """Trajectories by role.

    Attributes:
        points: role -> (F, 3) metres, lab frame Z up, NaN where missing.
        fps: frame rate, Hz.
        first_frame: 1-based number of the first frame (CONVENTIONS.md).
        kind: "markers" (skin markers, e.g. Plug-in Gait) or "markerless" (mediapipe33 keypoints).
        labels: role -> the input label it came from.
        up_axis: the input's vertical axis before rotation to Z up ("z", "y" or "x").
    """

    points: Mapping[str, np.ndarray]
    fps: float
    first_frame: int = 1
    kind: str = "markers"
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    up_axis: str = "z"

    @property
    def n_frames(self) -> int:
        return next(iter(self.points.values())).shape[0] if self.points else 0

    def has(self, *roles: str) -> bool:
        return all(r in self.points and np.isfinite(self.points[r]).any() for r in roles)

    def get(self, role: str) -> np.ndarray:
        """(F, 3) trajectory, all NaN if the role is missing."""
        if role in self.points:
            return self.points[role]
        return np.full((self.n_frames, 3), np.nan)


def find_landmarks(points: np.ndarray, labels: Sequence[str], fps: float, first_frame: int = 1,
                   kind: str | None = None) -> Landmarks:
    """Map input labels to roles, rotate to Z up if needed, add derived landmarks.

    Args:
        points: (F, M, 3) metres.
        labels: (M,) labels of the input.
        fps: Hz. first_frame: 1-based number of the first frame.
        kind: "markers" / "markerless"; guessed from the labels when None (mediapipe33 names
            such as ``left_hip`` mean markerless).
    """
    points = np.asarray(points, dtype=float)
    norm = [_norm(lb) for lb in labels]
    if kind is None:
        kind = "markerless" if {"lefthip", "righthip", "leftheel"} <= set(norm) else "markers"
    found: dict[str, np.ndarray] = {}
    src: dict[str, str] = {}
    for role, aliases in ALIASES.items():
        for alias in aliases:
            if alias in norm:
                i = norm.index(alias)
                found[role], src[role] = points[:, i], labels[i]
                break
    if not found:
        from mocaplab.errors import InputError

        raise InputError(
            "none of the input's labels is a known landmark (e.g. Plug-in Gait LASI/RASI/LHEE..., "
            "mediapipe33 left_hip/left_heel..., BTS 'l asis'/'l heel'); labels: "
            f"{list(labels)[:12]}" + ("..." if len(labels) > 12 else ""))
    up = detect_up_axis(found)
    if up != "z":
        rot = _to_z_up(up)
        found = {k: v @ rot.T for k, v in found.items()}
    if "SACR" not in found and "LPSI" in found and "RPSI" in found:
        found["SACR"] = (found["LPSI"] + found["RPSI"]) / 2
        src["SACR"] = "mean(LPSI, RPSI)"
    if kind == "markerless":
        for side in "LR":
            if f"{side}HIP" in found:
                found[f"{side}HJC"] = found.pop(f"{side}HIP")
                src[f"{side}HJC"] = src.pop(f"{side}HIP")
    elif not ("LHJC" in found and "RHJC" in found) and all(
            r in found for r in ("LASI", "RASI", "SACR")):
        lh, rh = hip_joint_centres(found["LASI"], found["RASI"], found["SACR"])
        found.setdefault("LHJC", lh)
        found.setdefault("RHJC", rh)
        src.setdefault("LHJC", "Harrington regression")
        src.setdefault("RHJC", "Harrington regression")
    return Landmarks(found, float(fps), int(first_frame), kind, src, up)


def detect_up_axis(found: Mapping[str, np.ndarray]) -> str:
    """The lab axis along which the pelvis/trunk lies above the feet: "z" unless clearly not."""
    upper = [found[r] for r in ("LASI", "RASI", "SACR", "LHIP", "RHIP", "C7", "LSHO", "RSHO")
             if r in found]
    lower = [found[r] for r in ("LHEE", "RHEE", "LTOE", "RTOE", "LANK", "RANK") if r in found]
    if not upper or not lower:
        return "z"
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diff = np.nanmean(np.nanmean(np.stack(upper), axis=0), axis=0) - \
            np.nanmean(np.nanmean(np.stack(lower), axis=0), axis=0)
    if not np.isfinite(diff).all():
        return "z"
    axis = int(np.argmax(np.abs(diff)))
    if axis == 2 or diff[axis] < 0:
        return "z"
    return "xy"[axis]


def _to_z_up(up: str) -> np.ndarray:
    """Rotation matrix (3, 3) taking a Y-up (or X-up) right-handed frame to a Z-up one."""
    if up == "y":   # (x, y, z) -> (x, -z, y): old Y becomes Z, right-handed
        return np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    if up == "x":   # old X becomes Z
        return np.array([[0.0, 0, -1], [0, 1, 0], [1, 0, 0]])
    return np.eye(3)


def hip_joint_centres(lasi: np.ndarray, rasi: np.ndarray, sacr: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Hip joint centres (F, 3) each, metres, from the Harrington et al. (2007) regression.

    In the pelvis frame (origin mid-ASIS, x forward, y left, z up) with pelvis width PW (ASIS
    distance) and depth PD (mid-ASIS to mid-PSIS), in mm: x = -0.24 PD - 9.9,
    z = -0.30 PW - 10.9, y = +/-(0.33 PW + 7.3).
    """
    origin, rot = pelvis_frame(lasi, rasi, sacr)
    pw = np.linalg.norm(lasi - rasi, axis=-1) * 1000
    pd = np.linalg.norm(origin - sacr, axis=-1) * 1000
    x = -0.24 * pd - 9.9
    z = -0.30 * pw - 10.9
    y = 0.33 * pw + 7.3
    out = []
    for s in (1.0, -1.0):
        local = np.stack([x, s * y, z], axis=-1) / 1000
        out.append(origin + np.einsum("fij,fj->fi", rot, local))
    return out[0], out[1]


def pelvis_frame(lasi: np.ndarray, rasi: np.ndarray, sacr: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Plug-in Gait pelvis: origin (F, 3) mid-ASIS and rotation (F, 3, 3) with columns x forward,
    y left (RASI -> LASI), z up (perpendicular to the ASIS-SACR plane)."""
    from mocaplab.analysis.frames import frame_from_xy

    origin = (lasi + rasi) / 2
    return origin, frame_from_xy(origin - sacr, lasi - rasi, primary="y")


def smoothed(lm: Landmarks, cutoff_hz: float, max_gap_s: float = 0.2) -> Landmarks:
    """A copy of ``lm`` with short gaps bridged and every trajectory low-pass filtered."""
    from mocaplab.analysis.signal import fill_gaps, lowpass

    pts = {k: lowpass(fill_gaps(v, lm.fps, max_gap_s), lm.fps, cutoff_hz)
           for k, v in lm.points.items()}
    return dataclasses.replace(lm, points=pts)
