"""The side panel's joint-angle curves: hip and knee flexion of both sides over time with a cursor
at the frame shown (pure NumPy + OpenCV drawing, no window), so the replay and the curves a
clinician reads in the report can be followed together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mocaplab import sides
from mocaplab.viewer.data import CURVE_ANGLES, TrialData

_BG = (255, 255, 255)
_AXIS = (170, 170, 170)
_CURSOR = (30, 30, 30)
_TEXT = (40, 40, 40)
_ESTIMATED = (160, 64, 0)  # the reports' "estimated" colour (reporting/figures.ESTIMATED_HEX)
#: longest stretch of the trial drawn at once (seconds); longer trials scroll with the cursor.
WINDOW_S = 3.0


def window(n_frames: int, fps: float, index: int, window_s: float = WINDOW_S) -> tuple[int, int]:
    """(first, last) frame indices drawn: the whole trial when it fits in ``window_s``, else a
    window of that length that keeps ``index`` in view (centred, clipped to the trial)."""
    span = max(2, int(round(window_s * fps)))
    if n_frames <= span:
        return 0, n_frames - 1
    lo = int(np.clip(index - span // 2, 0, n_frames - span))
    return lo, lo + span - 1


def curve_strip_image(trial: TrialData, index: int, width: int = 280, strip_height: int = 84,
                      angles: Sequence[tuple[str, str]] = CURVE_ANGLES) -> np.ndarray | None:
    """(H, W, 3) uint8 RGB: one strip per angle the trial has (default hip and knee flexion),
    left red and right blue (:mod:`mocaplab.sides`), the frame shown as a dark cursor, foot
    strikes as ticks in the side's colour, the angle's name ("estimated" when
    ``provenance.estimated`` says so) and its range in degrees. None when the trial has none of
    the angles."""
    import cv2

    shown = [(seg, ang) for seg, ang in angles
             if any(f"{seg}.{ang}.{s}" in trial.angles for s in ("left", "right"))]
    if not shown:
        return None
    lo, hi = window(trial.n_frames, trial.fps, index)
    img = np.empty((strip_height * len(shown), width, 3), np.uint8)
    img[:] = _BG
    left_px, right_px = 30, width - 4

    def col(i: float) -> int:
        return int(round(left_px + (i - lo) / max(hi - lo, 1) * (right_px - left_px)))

    for k, (seg, ang) in enumerate(shown):
        top, bottom = k * strip_height + 16, (k + 1) * strip_height - 6
        series = {s: trial.angles.get(f"{seg}.{ang}.{s}") for s in ("left", "right")}
        vals = np.concatenate([a[lo:hi + 1] for a in series.values() if a is not None])
        ok = np.isfinite(vals)
        vmin, vmax = (float(vals[ok].min()), float(vals[ok].max())) if ok.any() else (0.0, 1.0)
        vmin, vmax = min(vmin, 0.0), max(vmax, 0.0)
        if vmax - vmin < 10.0:  # a nearly constant angle is not magnified into motion
            vmax = vmin + 10.0

        def row(v: float, top=top, bottom=bottom, vmin=vmin, vmax=vmax) -> int:
            return int(round(bottom - (v - vmin) / (vmax - vmin) * (bottom - top)))

        cv2.line(img, (left_px, row(0.0)), (right_px, row(0.0)), _AXIS, 1)
        cv2.line(img, (left_px, top), (left_px, bottom), _AXIS, 1)
        for y, v in ((top, vmax), (bottom, vmin)):
            cv2.putText(img, f"{v:.0f}", (2, min(max(y + 4, top + 4), bottom)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.32, _TEXT, 1, cv2.LINE_AA)
        est = any(f"{seg}.{ang}.{s}" in trial.estimated for s in ("left", "right"))
        cv2.putText(img, f"{seg.capitalize()} {ang}, deg", (left_px + 2, top - 3),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.42, _TEXT, 1, cv2.LINE_AA)
        if est:
            cv2.putText(img, "estimated", (right_px - 62, top - 3), cv2.FONT_HERSHEY_SIMPLEX,
                        0.36, _ESTIMATED, 1, cv2.LINE_AA)
        for ev in trial.events:
            if ev.type == "foot_strike" and lo <= ev.index <= hi:
                cv2.line(img, (col(ev.index), bottom - 4), (col(ev.index), bottom),
                         sides.rgb255(ev.side), 2)
        for side, arr in series.items():
            if arr is None:
                continue
            seg_vals = arr[lo:hi + 1]
            good = np.isfinite(seg_vals)
            # one polyline per run of finite samples (a gap stays a gap)
            edges = np.flatnonzero(np.diff(np.r_[0, good.astype(int), 0]))
            for a, b in zip(edges[::2], edges[1::2], strict=True):
                pts = np.array([[col(lo + i), row(seg_vals[i])] for i in range(a, b)], np.int32)
                if len(pts) > 1:
                    cv2.polylines(img, [pts], False, sides.rgb255(side), 2, cv2.LINE_AA)
    c = col(int(np.clip(index, lo, hi)))
    img[:, max(0, c - 1):c + 1] = _CURSOR
    return img
