"""Playback time: the event timeline strip, and aligning two trials by gait cycle (pure NumPy)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from mocaplab.errors import InputError
from mocaplab.viewer.data import FrameEvent, TrialData
from mocaplab.viewer.scene import LEFT_COLOR, RIGHT_COLOR

_BG = (40, 40, 40)
_TRACK = (90, 90, 90)
_CURSOR = (255, 255, 255)


def timeline_image(n_frames: int, events: Sequence[FrameEvent], current: int,
                   width: int = 600, height: int = 36,
                   span: tuple[int, int] | None = None) -> np.ndarray:
    """The timeline strip under the 3D view: (height, width, 3) uint8 RGB.

    Foot strikes are full-height ticks, foot offs half-height ticks, in the side's colour (left
    blue, right red; strikes of the left side on the top half-row and right on the bottom one
    would hide the cursor, so both use the full strip); the current frame is a white cursor.

    Args:
        n_frames: frames of the trial.
        events: its gait events (``index`` 0-based).
        current: current frame index.
        span: (first, last) frame indices shown, default the whole trial.
    """
    if n_frames < 1:
        raise InputError("timeline needs at least one frame")
    lo, hi = span if span is not None else (0, n_frames - 1)
    hi = max(hi, lo + 1)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = _BG
    mid = height // 2
    img[mid - 1:mid + 2, :] = _TRACK

    def col(i: float) -> int:
        return int(np.clip(round((i - lo) / (hi - lo) * (width - 1)), 0, width - 1))

    for ev in events:
        if not lo <= ev.index <= hi:
            continue
        c = col(ev.index)
        color = np.array(LEFT_COLOR if ev.side == "left" else RIGHT_COLOR) * 255
        if ev.type == "foot_strike":
            img[2:height - 2, max(0, c - 1):c + 2] = color
        else:
            img[height // 4:height - height // 4, c:c + 1] = color
    c = col(current)
    img[:, max(0, c - 1):c + 2] = _CURSOR
    return img


def next_event(events: Sequence[FrameEvent], current: int, direction: int = 1) -> int | None:
    """Index of the next (``direction`` = 1) or previous (-1) event frame, or None."""
    frames = sorted({e.index for e in events})
    if direction > 0:
        later = [f for f in frames if f > current]
        return later[0] if later else None
    earlier = [f for f in frames if f < current]
    return earlier[-1] if earlier else None


def first_strike(events: Sequence[FrameEvent], side: str) -> FrameEvent | None:
    """The first foot strike of ``side`` ("left" / "right"), or None."""
    for ev in sorted(events, key=lambda e: e.index):
        if ev.side == side and ev.type == "foot_strike":
            return ev
    return None


@dataclasses.dataclass(frozen=True)
class Alignment:
    """How several trials are played together.

    A common clock ``t`` (seconds) runs from ``t_start`` to ``t_end``; trial i shows frame
    ``round(anchor_index[i] + t * fps[i])`` (clipped to its frames). ``t = 0`` is the anchor,
    the first foot strike of ``side`` in each trial (or frame 0 when ``side`` is "start").
    """

    side: str
    anchor_index: tuple[int, ...]
    fps: tuple[float, ...]
    n_frames: tuple[int, ...]
    t_start: float
    t_end: float

    def frames_at(self, t: float) -> tuple[int, ...]:
        return tuple(int(np.clip(round(a + t * f), 0, n - 1))
                     for a, f, n in zip(self.anchor_index, self.fps, self.n_frames, strict=True))

    def time_of(self, trial: int, index: int) -> float:
        return (index - self.anchor_index[trial]) / self.fps[trial]


def align_by_gait_cycle(trials: Sequence[TrialData], side: str | None = None) -> Alignment:
    """Align trials on the first foot strike of the same side (from their metrics.json events).

    With ``side`` None, the side whose first strike is found in every trial is used (right
    first); if no side is, the trials start together (``side`` "start"). The common clock
    covers the time where at least one trial still has frames.
    """
    if not trials:
        raise InputError("nothing to align")
    sides = [side] if side else ["right", "left"]
    chosen, anchors = "start", [0] * len(trials)
    for s in sides:
        strikes = [first_strike(t.events, s) for t in trials]
        if all(ev is not None for ev in strikes):
            chosen, anchors = s, [ev.index for ev in strikes]  # type: ignore[union-attr]
            break
    else:
        if side:
            missing = [t.name for t in trials if first_strike(t.events, side) is None]
            raise InputError(f"no {side} foot strike in {', '.join(missing)}: run "
                             "`mocaplab analyze` on it, or align without --align-side")
    fps = tuple(float(t.fps) for t in trials)
    t_start = min(-a / f for a, f in zip(anchors, fps, strict=True))
    t_end = max((t.n_frames - 1 - a) / f for t, a, f in zip(trials, anchors, fps, strict=True))
    return Alignment(chosen, tuple(anchors), fps, tuple(t.n_frames for t in trials),
                     t_start, t_end)
