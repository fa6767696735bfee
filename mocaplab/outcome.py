"""Is a stage's result usable? One verdict per result file, with its cause in one line.

A stage that ran without an exception can still have produced nothing of use: no person in any
video, one camera (no 3D), all-NaN points, no gait cycle. These checks turn such results into a
"failed" or "warning" verdict, so that the pipeline summary, the exit status and the terminal
say so instead of "done". The pipeline (:mod:`mocaplab.pipeline`) and the stage CLIs share them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.errors import InputError
from mocaplab.pose_data import NPZ_ERRORS
from mocaplab.reading import read_json

DONE, WARNING, FAILED = "done", "warning", "failed"
#: exit status of a CLI verb whose result was written but is unusable or incomplete (a
#: "warning"); 1 is bad input or a failed stage, 2 a usage error, 0 all good.
EXIT_WARNING = 3
#: a camera that sees the person in fewer frames than this is named in a warning.
MIN_CAMERA_COVERAGE = 0.2
#: hips and ankles reconstructed in fewer frames than this: the 3D result is a warning.
MIN_BODY_COVERAGE = 0.5
_BODY = ("left_hip", "right_hip", "left_ankle", "right_ankle")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """``status`` "done", "warning" or "failed"; ``cause``: one line, empty when done."""

    status: str = DONE
    cause: str = ""


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def check_keypoints2d(points: np.ndarray, cameras: Sequence[str]) -> Verdict:
    """2D keypoints (C, F, K, 2): failed when no camera sees a person, warning for a camera
    that sees one in under :data:`MIN_CAMERA_COVERAGE` of the frames."""
    seen = np.isfinite(points).all(axis=-1).any(axis=-1)  # (C, F)
    if not seen.any():
        return Verdict(FAILED, f"no person detected in any of the {len(cameras)} video(s)")
    coverage = seen.mean(axis=1)
    weak = [f"{cam} {_pct(c)}" for cam, c in zip(cameras, coverage, strict=True)
            if c < MIN_CAMERA_COVERAGE]
    if weak:
        return Verdict(WARNING, "a person is seen in few frames by " + ", ".join(weak)
                       + " (check framing and lighting)")
    return Verdict()


def check_points3d(points: np.ndarray, keypoints: Sequence[str], fps: float) -> Verdict:
    """3D points (F, K, 3): failed when nothing is reconstructed or fps is not positive,
    warning when hips and ankles are missing in most frames."""
    if not np.isfinite(fps) or fps <= 0:
        return Verdict(FAILED, f"points3d.npz has no frame rate (fps {fps})")
    ok = np.isfinite(points).all(axis=-1)  # (F, K)
    if not ok.any():
        return Verdict(FAILED, "no 3D point reconstructed in any frame (are at least two "
                               "calibrated cameras seeing the person?)")
    body = [keypoints.index(k) for k in _BODY if k in keypoints]
    if body:
        coverage = ok[:, body].all(axis=1).mean()
        if coverage < MIN_BODY_COVERAGE:
            return Verdict(WARNING, f"hips and ankles reconstructed in only {_pct(coverage)} "
                                    "of the frames")
    return Verdict()


def check_metrics(metrics: Mapping[str, Any]) -> Verdict:
    """metrics.json: warning when no gait cycle (or none on one side) was found, with the
    analysis's own reason when it gave one (e.g. no walking detected)."""
    cycles = (metrics.get("cycles") or {}).get("list")
    if cycles is None:
        return Verdict()
    sides = {c.get("side") for c in cycles if isinstance(c, Mapping)}
    if not sides:
        why = next((w.split(" (")[0] for w in metrics.get("warnings") or []
                    if isinstance(w, str) and w.startswith("no walking")), "")
        n_strikes = sum(1 for e in metrics.get("events") or []
                        if isinstance(e, Mapping) and e.get("type") == "foot_strike")
        cause = why or f"{n_strikes} foot strike(s)"
        return Verdict(WARNING, f"no gait cycle found ({cause}): spatiotemporal parameters "
                                "and cycle curves are empty")
    missing = [s for s in ("left", "right") if s not in sides]
    if missing:
        return Verdict(WARNING, f"no complete {missing[0]} gait cycle: {missing[0]}-side "
                                "cycle parameters are empty")
    return Verdict()


def check_file(kind: str, path: Path) -> Verdict:
    """The verdict on a result file: kind "keypoints2d", "points3d" or "metrics"."""
    try:
        if kind == "keypoints2d":
            from mocaplab.pose_data import Keypoints2D

            kp = Keypoints2D.load(path)
            return check_keypoints2d(kp.points, kp.cameras)
        if kind == "points3d":
            with np.load(path, allow_pickle=False) as z:
                return check_points3d(z["points"], [str(k) for k in z["keypoints"]],
                                      float(z["fps"]))
        if kind == "metrics":
            # read_json, not the spec's validated read_metrics: mocaplab.analysis (its CLI)
            # imports this module, so importing the spec here is a package import cycle
            data = read_json(path, hint="run 'mocaplab analyze'")
            if not isinstance(data, Mapping):
                raise InputError(f"{path} must hold a JSON object")
            return check_metrics(data)
    except (*NPZ_ERRORS, InputError) as exc:
        return Verdict(FAILED, f"{path.name} cannot be read: {exc}")
    raise ValueError(f"unknown result kind {kind!r}")
