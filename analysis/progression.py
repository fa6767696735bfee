"""The progression frame of a trial: which way the subject walks, from the data.

Overground: the horizontal velocity of the pelvis centre (smoothed over about one stride) gives
the heading; frames where it turns (heading rate above ``turn_rate_deg_s``, or heading more than
``max_deviation_deg`` away from the pass direction) or where the subject stands still are
excluded, and the remaining straight runs are *passes*, each with its own
direction (so a trial walking there and back gives two passes with opposite directions).
Treadmill: the pelvis does not travel (most of the time slower than ``min_speed_m_s``, and its
horizontal position within ``max_treadmill_travel_m`` over the trial) while the feet swing back
and forth relative to it (each foot's fore-aft range relative to the pelvis at least
``min_foot_range_m``); the heading is the direction the pelvis faces. A subject who stands most
of the trial and then walks or runs off (a sprint start) travels: not a treadmill, and (the
pelvis being slow most of the time) not walking either. Not walking (standing, a static
calibration, a step down, a trial without any straight pass): as Plug-in Gait does, the
progression frame is the lab axis nearest to the direction the pelvis faces, for every frame;
angles are given, events are not searched.

As Plug-in Gait does, a pass whose direction lies within ``snap_deg`` of a lab axis (+/-X, +/-Y)
uses that axis exactly (labs lay walkways along an axis; this reproduces Vicon's angles); other
directions are used as measured. ``snap_deg=0`` always uses the measured direction.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mocaplab.analysis.landmarks import Landmarks
from mocaplab.signal import fill_gaps, lowpass, runs


@dataclasses.dataclass(frozen=True)
class Pass:
    """A straight walking bout: frames [start, stop), forward unit vector (3,) horizontal."""

    start: int
    stop: int
    forward: tuple[float, float, float]
    snapped_to_lab_axis: bool


@dataclasses.dataclass(frozen=True, eq=False)
class Progression:
    """Per-frame progression frame.

    Attributes:
        rotation: (F, 3, 3) columns forward, left, up in the lab; NaN on excluded frames.
        passes: the straight bouts.
        excluded: (F,) True for turning / standing / unknown frames.
        treadmill: True if the pelvis did not travel while the feet moved.
        speed_m_s: (F,) smoothed horizontal pelvis speed.
        lab_axes: True when not walking: ``rotation`` is the lab axis the pelvis faces on every
            frame (all frames stay ``excluded`` from events).
    """

    rotation: np.ndarray
    passes: tuple[Pass, ...]
    excluded: np.ndarray
    treadmill: bool
    speed_m_s: np.ndarray
    lab_axes: bool = False

    @property
    def forward(self) -> np.ndarray:
        return self.rotation[:, :, 0]

    @property
    def left(self) -> np.ndarray:
        return self.rotation[:, :, 1]

    def describe(self) -> dict:
        return {
            "mode": "not walking (lab axes)" if self.lab_axes else
                    "treadmill" if self.treadmill else "overground",
            "treadmill": self.treadmill,
            "passes": [{"start_index": p.start, "stop_index": p.stop,
                        "forward": list(p.forward), "snapped_to_lab_axis": p.snapped_to_lab_axis}
                       for p in self.passes],
            "excluded_frames": int(self.excluded.sum()),
        }


def pelvis_centre(lm: Landmarks) -> np.ndarray:
    """(F, 3) pelvis centre: mean of the available pelvis landmarks (ASIS/PSIS, else hips)."""
    for roles in (("LASI", "RASI", "LPSI", "RPSI"), ("LASI", "RASI", "SACR"), ("LHJC", "RHJC"),
                  ("LSHO", "RSHO")):
        if lm.has(*roles):
            return np.mean([lm.get(r) for r in roles], axis=0)
    return np.full((lm.n_frames, 3), np.nan)


def facing_direction(lm: Landmarks) -> np.ndarray:
    """(F, 3) horizontal unit vector the pelvis (or shoulders) faces: (left - right) x up."""
    for left, right in (("LASI", "RASI"), ("LHJC", "RHJC"), ("LSHO", "RSHO")):
        if lm.has(left, right):
            lat = lm.get(left) - lm.get(right)
            fwd = np.cross(lat, [0.0, 0.0, 1.0])  # left x up = forward
            fwd[:, 2] = 0
            with np.errstate(invalid="ignore"):
                return fwd / np.linalg.norm(fwd, axis=1, keepdims=True)
    return np.full((lm.n_frames, 3), np.nan)


def feet_cycling(lm: Landmarks, forward: np.ndarray, min_range_m: float = 0.25) -> bool:
    """True if each foot (heel, else ankle, else toe) moves back and forth relative to the
    pelvis along ``forward`` (3,) by at least ``min_range_m`` (5th-95th percentile range)."""
    centre = pelvis_centre(lm)
    for s in "LR":
        role = next((s + r for r in ("HEE", "ANK", "TOE") if lm.has(s + r)), None)
        if role is None:
            return False
        rel = (lm.get(role) - centre) @ forward
        rel = rel[np.isfinite(rel)]
        if rel.size < 10 or np.ptp(np.percentile(rel, [5, 95])) < min_range_m:
            return False
    return True


def travel_m(centre: np.ndarray) -> float:
    """Horizontal distance (m) between the 5th and 95th percentile positions of ``centre``
    (F, 3) (smoothed pelvis centre), over its finite frames; 0 without any."""
    xy = centre[np.isfinite(centre).all(axis=1), :2]
    if not len(xy):
        return 0.0
    lo, hi = np.percentile(xy, [5, 95], axis=0)
    return float(np.linalg.norm(hi - lo))


def _snap(forward: np.ndarray, snap_deg: float) -> tuple[np.ndarray, bool]:
    axes = np.array([[1.0, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]])
    cos = axes @ forward
    k = int(np.argmax(cos))
    if snap_deg > 0 and cos[k] >= np.cos(np.radians(snap_deg)):
        return axes[k], True
    return forward, False


def _frame(forward: np.ndarray) -> np.ndarray:
    up = np.array([0.0, 0.0, 1.0])
    left = np.cross(up, forward)
    return np.stack([forward, left, up], axis=-1)


def progression(lm: Landmarks, *, snap_deg: float = 15.0, turn_rate_deg_s: float = 30.0,
                min_speed_m_s: float = 0.15, min_pass_s: float = 1.0,
                max_deviation_deg: float = 10.0, min_foot_range_m: float = 0.25,
                max_treadmill_travel_m: float = 0.5) -> Progression:
    """Find the progression frame per frame; see the module docstring."""
    F, fps = lm.n_frames, lm.fps
    centre = fill_gaps(pelvis_centre(lm), fps, max_gap_s=0.5)
    smooth = lowpass(centre, fps, cutoff_hz=0.8)   # about one stride: removes the side-to-side sway
    vel = np.gradient(smooth, 1.0 / fps, axis=0) if F > 1 else np.zeros_like(smooth)
    vel[:, 2] = 0.0
    speed = np.linalg.norm(vel, axis=1)
    facing = facing_direction(lm)
    rotation = np.full((F, 3, 3), np.nan)
    excluded = np.ones(F, dtype=bool)
    passes: list[Pass] = []

    moving = np.isfinite(speed) & (speed > min_speed_m_s)
    still = bool(np.nanmedian(speed) < min_speed_m_s) if np.isfinite(speed).any() else False
    ok = np.isfinite(facing).all(axis=1)
    mean_facing = np.nanmean(facing[ok], axis=0) if ok.any() else np.full(3, np.nan)
    if ok.any():
        mean_facing /= np.linalg.norm(mean_facing)
    # a treadmill keeps the subject within a belt's length (5th-95th percentile range 0.06-0.09 m
    # on the corpus's four treadmill trials; BTK's sprint start from blocks, SprintMotion.trc,
    # 1.6 m)
    stays = travel_m(smooth) <= max_treadmill_travel_m
    if still and stays and ok.any() and feet_cycling(lm, mean_facing, min_foot_range_m):
        fwd, snapped = _snap(mean_facing, snap_deg)
        rotation[ok] = _frame(fwd)
        excluded[ok] = False
        for s, e in runs(ok):
            passes.append(Pass(s, e, tuple(map(float, fwd)), snapped))
        return Progression(rotation, tuple(passes), excluded, True, speed)
    if still:
        return _lab_axes(mean_facing, ok, speed)

    with np.errstate(invalid="ignore"):
        heading = np.unwrap(np.where(moving, np.arctan2(vel[:, 1], vel[:, 0]), 0.0))
    rate = np.degrees(np.abs(np.gradient(heading, 1.0 / fps))) if F > 1 else np.zeros(F)
    straight = moving & (rate < turn_rate_deg_s)
    min_len = int(round(min_pass_s * fps))
    for s, e in runs(straight):
        if e - s < min(min_len, max(F // 2, 2)):
            continue
        d = vel[s:e].mean(axis=0)
        fwd = d / np.linalg.norm(d)
        # trim the ends that already turn away, extend over neighbours still aligned (heading,
        # or facing when slow) within max_deviation_deg of the pass direction
        direction = np.where(moving[:, None], vel / np.maximum(speed, 1e-9)[:, None], facing)
        aligned = np.nan_to_num(direction @ fwd) > np.cos(np.radians(max_deviation_deg))
        while s < e and not aligned[s]:
            s += 1
        while e > s and not aligned[e - 1]:
            e -= 1
        while s > 0 and excluded[s - 1] and aligned[s - 1]:
            s -= 1
        while e < F and excluded[e] and aligned[e] and not straight[e]:
            e += 1
        seg = vel[s:e][moving[s:e]]
        if e - s < 2 or not len(seg):
            continue
        d = seg.mean(axis=0)
        fwd = d / np.linalg.norm(d)
        fwd, snapped = _snap(fwd, snap_deg)
        rotation[s:e] = _frame(fwd)
        excluded[s:e] = False
        passes.append(Pass(s, e, tuple(map(float, fwd)), snapped))
    if not passes:
        return _lab_axes(mean_facing, ok, speed)
    return Progression(rotation, tuple(passes), excluded, False, speed)


def _lab_axes(mean_facing: np.ndarray, ok: np.ndarray, speed: np.ndarray) -> Progression:
    """Not walking: the lab axis nearest to the facing direction, on every frame (as Plug-in
    Gait does); no passes, every frame excluded from events."""
    F = len(speed)
    rotation = np.full((F, 3, 3), np.nan)
    if np.isfinite(mean_facing).all():
        fwd, _ = _snap(mean_facing, 90.0)
        rotation[:] = _frame(fwd)
    return Progression(rotation, (), np.ones(F, dtype=bool), False, speed, lab_axes=True)
