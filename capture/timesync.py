"""Synchronisation by timestamps: pair the frames of every camera on a common clock.

Cameras without a hardware trigger run at their own phase (and sometimes lose frames). Given
each camera's frame times on one clock (``timestamps.csv`` of a recording), :func:`match_timestamps`
takes the camera with the fewest frames per second as the reference, finds for each of its frames
the nearest frame of every other camera, and keeps the instants at which every camera has a frame
within ``tolerance``. Frames that cannot be matched are reported per camera, never hidden.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from mocaplab.errors import InputError
from mocaplab.frame_pairing import estimate_fps  # noqa: F401  (owned there; used here)


@dataclasses.dataclass(frozen=True, eq=False)
class TimestampMatch:
    """Frames of all cameras paired on a common clock.

    Attributes:
        cameras: (C,) camera names.
        frames: (M, C) int, frame index of each camera at each matched instant.
        times: (M,) seconds, common clock (mean of the matched frames' times).
        spread: (M,) seconds, largest minus smallest time of the matched frames.
        unmatched: camera -> frame indices not used in any matched instant.
        fps: camera -> frame rate estimated from the timestamps (median interval).
        tolerance: seconds, largest accepted distance from the reference frame's time.
        reference: the camera the others were matched to.
        warnings: problems found (fps mismatch, many unmatched frames...).
    """

    cameras: tuple[str, ...]
    frames: np.ndarray
    times: np.ndarray
    spread: np.ndarray
    unmatched: dict[str, np.ndarray]
    fps: dict[str, float]
    tolerance: float
    reference: str
    warnings: tuple[str, ...] = ()

    def report(self) -> str:
        """Human-readable summary."""
        n = len(self.times)
        lines = [f"timestamp sync: {n} matched instants (reference {self.reference}, "
                 f"tolerance {1000 * self.tolerance:.1f} ms)"]
        if n:
            lines.append(f"  spread between cameras: median {1000 * np.median(self.spread):.2f} ms,"
                         f" max {1000 * self.spread.max():.2f} ms")
        for cam in self.cameras:
            lines.append(f"  {cam:>12}: {self.fps[cam]:7.3f} fps, "
                         f"{len(self.unmatched[cam])} frames unmatched")
        lines += [f"  WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """JSON-able summary (for meta.json)."""
        return {"method": "timestamps", "reference": self.reference,
                "matched": int(len(self.times)), "tolerance_s": self.tolerance,
                "spread_max_s": float(self.spread.max()) if len(self.spread) else None,
                "unmatched": {c: [int(i) for i in v] for c, v in self.unmatched.items()},
                "fps": self.fps, "warnings": list(self.warnings)}


def match_timestamps(timestamps: Mapping[str, np.ndarray], tolerance: float | None = None,
                     reference: str | None = None) -> TimestampMatch:
    """Pair frames of all cameras whose times agree within ``tolerance``.

    Args:
        timestamps: camera -> (F_c,) increasing frame times in seconds, all on one clock.
        tolerance: largest accepted |t_camera - t_reference|, seconds; default half the longest
            frame period (so a matched set always lies within one frame period).
        reference: camera to match to; default the one with the lowest frame rate.

    Raises:
        InputError: fewer than 2 frames in a camera, or times that go backwards.
    """
    cams = tuple(timestamps)
    if not cams:
        raise InputError("no cameras to synchronise")
    ts = {c: np.asarray(timestamps[c], float) for c in cams}
    for c, t in ts.items():
        if len(t) < 2:
            raise InputError(f"camera {c} has {len(t)} timestamps; at least 2 are needed")
        if np.any(np.diff(t) <= 0):
            raise InputError(f"camera {c}: timestamps are not strictly increasing")
    fps = {c: estimate_fps(t) for c, t in ts.items()}
    warnings = []
    if max(fps.values()) > 1.01 * min(fps.values()):
        warnings.append("frame rates differ: " + ", ".join(f"{c} {f:.3f}" for c, f in fps.items())
                        + "; frames of the faster cameras will be left unmatched")
    ref = reference or min(cams, key=lambda c: (fps[c], cams.index(c)))
    if ref not in ts:
        raise InputError(f"reference camera {ref} is not among {list(cams)}")
    if tolerance is None:
        tolerance = 0.5 / min(fps.values())
    t_ref = ts[ref]
    idx = np.zeros((len(t_ref), len(cams)), int)
    ok = np.ones(len(t_ref), bool)
    for k, c in enumerate(cams):
        t = ts[c]
        j = np.clip(np.searchsorted(t, t_ref), 1, len(t) - 1)
        j = np.where(np.abs(t[j - 1] - t_ref) <= np.abs(t[j] - t_ref), j - 1, j)
        close = np.abs(t[j] - t_ref) <= tolerance
        # one frame may serve only one reference frame: keep the closest
        order = np.argsort(np.abs(t[j] - t_ref), kind="stable")
        taken = np.zeros(len(t), bool)
        unique = np.zeros(len(t_ref), bool)
        for r in order:
            if close[r] and not taken[j[r]]:
                taken[j[r]] = True
                unique[r] = True
        idx[:, k] = j
        ok &= unique
    frames = idx[ok]
    matched_t = np.stack([ts[c][frames[:, k]] for k, c in enumerate(cams)], 1) \
        if len(frames) else np.zeros((0, len(cams)))
    unmatched = {}
    for k, c in enumerate(cams):
        used = np.zeros(len(ts[c]), bool)
        used[frames[:, k]] = True
        unmatched[c] = np.nonzero(~used)[0]
    for c in cams:
        frac = len(unmatched[c]) / len(ts[c])
        if frac > 0.05:
            warnings.append(f"camera {c}: {len(unmatched[c])} of {len(ts[c])} frames "
                            f"({100 * frac:.0f}%) have no partner in every other camera")
    return TimestampMatch(cams, frames, matched_t.mean(1) if len(frames) else np.zeros(0),
                          np.ptp(matched_t, axis=1) if len(frames) else np.zeros(0),
                          unmatched, fps, float(tolerance), ref, tuple(warnings))
