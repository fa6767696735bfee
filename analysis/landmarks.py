"""Landmarks by role, whatever the input's labels: Plug-in Gait markers, mediapipe33 keypoints or
other marker sets (Helen Hayes, CAST/ISB, OpenSim dotted names, BTS, Codamotion...).

A role is a Plug-in Gait-like name (``LASI``, ``RHEE``, ``LHJC``...). :func:`find_landmarks`
maps roles to the input's labels with :mod:`mocaplab.analysis.marker_sets` (by name, by geometry
where names have no side, or by a user map). What is missing stays missing: the models that need
it return NaN with a reason.

Also here: the vertical axis of the input (Z up by convention; some labs write Y up) and the
regression of the hip joint centres from the pelvis markers (Harrington et al. 2007).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence

import numpy as np


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
        marker_set: how the labels were matched (``MarkerSetMatch.provenance()``).
    """

    points: Mapping[str, np.ndarray]
    fps: float
    first_frame: int = 1
    kind: str = "markers"
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    up_axis: str = "z"
    marker_set: Mapping[str, object] = dataclasses.field(default_factory=dict)

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
                   kind: str | None = None, label_map: Mapping[str, str] | None = None
                   ) -> Landmarks:
    """Map input labels to roles, rotate to Z up if needed, add derived landmarks.

    Args:
        points: (F, M, 3) metres.
        labels: (M,) labels of the input.
        fps: Hz. first_frame: 1-based number of the first frame.
        kind: "markers" / "markerless"; guessed from the labels when None (keypoint names
            such as mediapipe33 ``left_hip`` or OpenPose ``RHip`` without pelvis markers mean
            markerless).
        label_map: role -> input label, overriding the automatic matching (``--map``).

    Raises:
        InputError: no label plays a role, or every matched marker is empty, naming what is
            missing and how to map the labels.
    """
    from mocaplab.analysis.marker_sets import match_labels, missing_message
    from mocaplab.errors import InputError

    points = np.asarray(points, dtype=float)
    source = "the input"
    match = match_labels(points, labels, label_map)
    if not match.roles:
        if points.size and not np.isfinite(points).any():
            raise InputError(f"{source} has {len(labels)} marker(s) but every sample is "
                             "missing (zero or invalid): nothing to analyse")
        raise InputError("none of the input's labels is a known landmark: "
                         + missing_message(match, labels))
    if points.shape[0] < 3:
        raise InputError(f"{source} has only {points.shape[0]} frame(s): too short to analyse")
    found = {r: points[:, m.index] for r, m in match.roles.items()}
    src = {r: m.label for r, m in match.roles.items()}
    if kind is None:
        hips = ("LHIP" in found and "RHIP" in found)
        kind = "markerless" if hips and not ("LASI" in found or "RASI" in found) else "markers"
    if "T10" not in found and "T8" in found:
        found["T10"], src["T10"] = found["T8"], src["T8"] + " (T8 standing in for T10)"
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
    return Landmarks(found, float(fps), int(first_frame), kind, src, up, match.provenance())


def detect_up_axis(found: Mapping[str, np.ndarray]) -> str:
    """The lab axis along which the pelvis/trunk lies above the feet: "z" unless clearly not."""
    upper = [found[r] for r in ("LASI", "RASI", "SACR", "LHIP", "RHIP", "C7", "LSHO", "RSHO")
             if r in found]
    lower = [found[r] for r in ("LHEE", "RHEE", "LTOE", "RTOE", "LANK", "RANK") if r in found]
    if not upper or not lower:
        return "z"
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # frame by frame, on the frames that have both: averaged over different frames, a walk
        # whose pelvis markers appear late (or feet are lost early) puts the upper markers
        # metres ahead along the walkway, which read as "X up"
        per_frame = np.nanmean(np.stack(upper), axis=0) - np.nanmean(np.stack(lower), axis=0)
        diff = np.nanmedian(per_frame, axis=0)
    if not np.isfinite(diff).all():
        return "z"
    axis = int(np.argmax(np.abs(diff)))
    if axis == 2 or diff[axis] < 0:
        return "z"
    return "xy"[axis]


def z_up_rotation(up: str) -> np.ndarray:
    """Rotation matrix (3, 3) the analysis applies to an input whose vertical axis is ``up``
    ("z", "y" or "x"; :attr:`Landmarks.up_axis`) to bring it to Z up."""
    return _to_z_up(up)


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
    from mocaplab.signal import fill_gaps, lowpass

    pts = {k: lowpass(fill_gaps(v, lm.fps, max_gap_s=max_gap_s), lm.fps, cutoff_hz=cutoff_hz,
                      max_cutoff_nyquist=0.45)
           for k, v in lm.points.items()}
    return dataclasses.replace(lm, points=pts)


def jump_warning(lm: Landmarks, max_speed_m_s: float = 15.0, max_share: float = 0.02
                 ) -> str | None:
    """A warning if trajectories jump implausibly (faster than ``max_speed_m_s`` between frames
    on more than ``max_share`` of the steps): a file decoded wrongly or labels swapping."""
    steps = bad = 0
    worst = []
    for role, p in lm.points.items():
        d = np.linalg.norm(np.diff(p, axis=0), axis=1) * lm.fps
        ok = np.isfinite(d)
        n_bad = int((d[ok] > max_speed_m_s).sum())
        steps += int(ok.sum())
        bad += n_bad
        if n_bad:
            worst.append((n_bad, role))
    if not steps or bad / steps <= max_share:
        return None
    names = ", ".join(r for _, r in sorted(worst, reverse=True)[:4])
    return (f"{100 * bad / steps:.0f}% of the frame-to-frame marker steps are faster than "
            f"{max_speed_m_s:g} m/s (e.g. {names}): the file may be decoded wrongly or its "
            "labels swap between markers; check it in a viewer before trusting these results")
