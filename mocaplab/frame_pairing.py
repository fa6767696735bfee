"""Whether frame i of every camera of a trial is the same instant: the frame rate of frame
times, frames paired by index, and the refusal of cameras whose frames cannot be paired.

Owned here, below capture and triangulation (both use it: capture pairs and records frames,
triangulation refuses a trial whose frames do not pair), so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mocaplab.errors import InputError
from mocaplab.trial import Trial


def estimate_fps(times: np.ndarray) -> float:
    """Frames per second from frame times (median interval), 0 for fewer than 2 frames."""
    t = np.asarray(times, float)
    if len(t) < 2:
        return 0.0
    dt = np.median(np.diff(t))
    return float(1.0 / dt) if dt > 0 else 0.0


def frames_paired_by_index(timestamps: dict[str, np.ndarray]) -> bool:
    """True when frame i of every camera is the same instant: equal frame counts and, at every
    index, the cameras' times within half the longest frame period (the tolerance of
    :func:`mocaplab.capture.timesync.match_timestamps`)."""
    ts = [np.asarray(t, float) for t in timestamps.values()]
    if len({len(t) for t in ts}) > 1:
        return False
    rates = [estimate_fps(t) for t in ts]
    if len(ts) < 2 or min(rates) <= 0:
        return True
    tolerance = 0.5 / min(rates)
    stack = np.stack(ts)
    return bool(np.all(np.ptp(stack, axis=0) <= tolerance))


#: frame counts of a trial's cameras may differ by this many frames (or this fraction of the
#: longest camera, whichever is larger) without a frame table saying how they pair: a video one
#: or two frames longer than the others (an encoder's last frame) is a warning only (detect);
#: more is refused by triangulation (:func:`unpaired_frames_problem`)
FRAME_COUNT_TOLERANCE = 2
FRAME_COUNT_TOLERANCE_FRACTION = 0.01


def unpaired_frames_problem(trial: Trial, cameras: Sequence[str] | None = None) -> str:
    """Why frame i of the trial's ``cameras`` (default all) cannot be taken as one instant,
    or "": their frame counts differ by more than :data:`FRAME_COUNT_TOLERANCE` frames (or
    :data:`FRAME_COUNT_TOLERANCE_FRACTION` of the longest) and nothing says how they pair: no
    frame table was applied (meta.json ``sync``, written by ``import --sync`` and by
    ``record``) and timestamps.csv does not pair them by index
    (:func:`frames_paired_by_index`). Triangulating such a trial pairs frames by index, e.g.
    frame i of two cameras 157 ms apart (a recording made before ``record`` paired its
    frames). The counts come from timestamps.csv, else meta.json ``camera_info``; without
    either, "" (nothing is known)."""
    try:
        meta = trial.meta
    except InputError:
        return ""  # a broken meta.json is said by the stage reading it
    if (meta.get("sync") or {}).get("applied"):
        return ""
    info = meta.get("camera_info") or {}
    ts: dict[str, np.ndarray] = {}
    if trial.timestamps_path.is_file():
        try:
            ts = trial.read_timestamps()
        except InputError:
            ts = {}
    counts = {c: len(t) for c, t in ts.items()} or {
        c: int(i["frames"]) for c, i in info.items()
        if isinstance(i, dict) and isinstance(i.get("frames"), int)}
    names = [c for c in (cameras if cameras is not None else counts) if c in counts]
    if len(names) < 2:
        return ""
    if ts and all(c in ts for c in names) and frames_paired_by_index({c: ts[c] for c in names}):
        return ""
    n = {c: counts[c] for c in names}
    longest = max(n.values())
    tolerance = max(FRAME_COUNT_TOLERANCE, int(FRAME_COUNT_TOLERANCE_FRACTION * longest))
    if longest - min(n.values()) <= tolerance:
        return ""

    def duration(c: str) -> str:
        fps = (info.get(c) or {}).get("fps") if isinstance(info.get(c), dict) else None
        fps = fps if isinstance(fps, int | float) and fps > 0 else meta.get("fps")
        return f", {n[c] / fps:.2f} s" if isinstance(fps, int | float) and fps > 0 else ""

    listed = ", ".join(f"{c} {n[c]} frames{duration(c)}" for c in names)
    source = trial.timestamps_path.name if ts else f"{trial.meta_path.name} camera_info"
    return (f"{trial.path}: the cameras' frame counts differ ({listed}; from {source}) and "
            "nothing says how their frames pair (no frame table in meta.json 'sync', and "
            f"{trial.timestamps_path.name} does not pair them frame by frame): frame i is not "
            "the same instant in every camera, so 3D points would be made of views of "
            "different instants. Synchronise the videos (mocaplab import --sync keypoints or "
            "--sync flash, with --calibration, --force and --out this trial) or record the "
            "trial again with 'mocaplab record' (which pairs the cameras' frames)"
            + ("; meta.json holds offsets an import --sync proposed but did not apply (their "
               "confidence was below --min-confidence): lower it to apply them"
               if meta.get("sync_proposed") else "") + "; nothing was triangulated")
