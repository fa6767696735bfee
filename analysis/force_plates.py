"""Foot contacts on the force plates of a C3D: the gold-standard gait events where they exist.

A contact starts where the plate's normal force (its unloaded offset, the 5th percentile,
removed) rises through ``threshold_n`` (20 N) and ends where it falls through it, with linear
interpolation between analog samples. Its foot is the one side whose heel (else ankle, else toe)
is over the plate (30 mm margin) 30 ms after the rise; its foot off, the one side whose toe
(else ankle, else heel) is over it 30 ms before the fall. A foot counts as over the plate only
while that marker is low, within ``LOW_M`` (40 mm) of its ground level (its 10th percentile
height in the trial), and slow, its horizontal velocity within ``SLOW_M_S`` (1.5 m/s) of its
velocity on the ground (its median over the frames where it is at ground level: zero
overground, the belt's on a treadmill): a foot swinging above a plate is not on it (a
split-belt treadmill where the subject walks along the belts' seam: a heel lifting off one belt
ended a "contact" that was given to the other foot, in swing above that belt). A contact
shorter than 0.2 s, one cut by the recording's start or end, or one where both feet or neither
are over the plate gives no event. Positions and plate corners are in the file's own lab frame
(any up axis).

Pure functions: plates (``mocaplab.marker_io.ForcePlate``) and foot trajectories in, events out.
``analysis.events.plate_timed_events`` uses them to time a trial's kinematic events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mocaplab.signal import derivative

THRESHOLD_N = 20.0
MIN_CONTACT_S = 0.2
#: a foot marker is on the ground (may be on a plate) within this height of its ground level
LOW_M = 0.04
#: ... and moving within this horizontal speed of its velocity on the ground (m/s)
SLOW_M_S = 1.5
STRIKE_PARTS = ("HEE", "ANK", "TOE")
OFF_PARTS = ("TOE", "ANK", "HEE")


def plate_contacts(plates: Sequence, feet: Mapping[str, np.ndarray], fps: float,
                   first_frame: int = 1, threshold_n: float = THRESHOLD_N
                   ) -> list[tuple[str, str, float]]:
    """(side, "foot_strike" | "foot_off", time_s) of the clean contacts, sorted by time.

    Args:
        plates: ForcePlate objects (normal force, corners in metres, rate, start time).
        feet: role ("LHEE", "RTOE", "LANK"...) -> (F, 3) metres in the plates' frame.
        fps: marker frame rate, Hz; ``first_frame``: 1-based number of the first sample
            (time_s = (frame - 1) / fps, the C3D time base).
    """
    out = []
    for plate in plates:
        f = plate.normal_force_n - np.percentile(plate.normal_force_n, 5)
        on = f > threshold_n
        t = plate.times()
        edges = np.flatnonzero(np.diff(on.astype(int)))
        for s in (i + 1 for i in edges if not on[i]):
            stops = [i for i in edges if i >= s and on[i]]
            if not stops or s == 0:
                continue
            e = stops[0]
            if t[e] - t[s] < MIN_CONTACT_S:
                continue
            t_on = t[s - 1] + (threshold_n - f[s - 1]) / (f[s] - f[s - 1]) / plate.rate_hz
            t_off = t[e] + (f[e] - threshold_n) / (f[e] - f[e + 1]) / plate.rate_hz
            strike = _foot_over(feet, plate.corners_m, t_on + 0.03, STRIKE_PARTS, fps,
                                first_frame)
            off = _foot_over(feet, plate.corners_m, t_off - 0.03, OFF_PARTS, fps, first_frame)
            if strike:
                out.append((strike, "foot_strike", float(t_on)))
            if off:
                out.append((off, "foot_off", float(t_off)))
    return sorted(out, key=lambda c: c[2])


def _foot_over(feet: Mapping[str, np.ndarray], corners: np.ndarray, t: float,
               parts: tuple[str, ...], fps: float, first_frame: int) -> str | None:
    """The one side whose first available marker of ``parts`` is over the plate at ``t``."""
    n = next(iter(feet.values())).shape[0] if feet else 0
    i = int(round(t * fps)) + 1 - first_frame
    if not 0 <= i < n:
        return None
    lo, hi = corners.min(0) - 0.03, corners.max(0) + 0.03
    up = int(np.argmin(hi - lo))          # the plate's thin axis is the vertical one
    horiz = [k for k in range(3) if k != up]
    over = []
    for side in "LR":
        role = next((side + r for r in parts if side + r in feet
                     and np.isfinite(feet[side + r][i]).all()), None)
        if role is None:
            continue
        p = feet[role][i]
        if np.all((p[horiz] > lo[horiz]) & (p[horiz] < hi[horiz])) and \
                _on_ground(feet[role], i, up, horiz, fps):
            over.append(side)
    return {"L": "left", "R": "right"}[over[0]] if len(over) == 1 else None


def _on_ground(x: np.ndarray, i: int, up: int, horiz: list[int], fps: float) -> bool:
    """Whether marker trajectory ``x`` (F, 3) is low and slow at sample ``i`` (module doc)."""
    z = x[:, up]
    ground = np.nanpercentile(z, 10)
    if not z[i] - ground <= LOW_M:
        return False
    v = derivative(x[:, horiz], fps)
    low = np.isfinite(v).all(1) & (z < ground + 0.01)
    if not low.any() or not np.isfinite(v[i]).all():
        return True
    return bool(np.linalg.norm(v[i] - np.median(v[low], axis=0)) <= SLOW_M_S)


def feet_in_file_frame(points: np.ndarray, labels: Sequence[str],
                       role_labels: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Role -> (F, 3) trajectory of the foot markers as stored in the file (the plates' frame),
    from the input's points and the role -> label matching (``Landmarks.labels``)."""
    idx = {lb: i for i, lb in enumerate(labels)}
    roles = [s + r for s in "LR" for r in STRIKE_PARTS]
    return {r: np.asarray(points)[:, idx[role_labels[r]]] for r in roles
            if r in role_labels and role_labels[r] in idx}
