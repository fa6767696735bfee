"""Ranges over the whole trial (not per gait cycle): what can be said without gait cycles.

- ``<segment>.<side>.<angle>_range_deg``: max - min of a spine or thorax angle over every frame
  (the pelvis is summarised per gait cycle in ``kinematics_summary`` instead);
- ``pelvis_lateral_sway_m``: peak-to-peak mediolateral excursion of the hip midpoint about its
  walking line (the least-squares line in the floor plane, so the walking direction does not
  matter), from the input's own points: triangulated keypoints before smoothing, or the
  LASI/RASI markers turned Z up.
"""

from __future__ import annotations

import numpy as np

from mocaplab.analysis.angles import SegmentAngles
from mocaplab.analysis.landmarks import Landmarks

#: segments whose angles are summarised over the trial (pelvis: per cycle, kinematics_summary).
SEGMENTS = ("spine", "thorax")


def angle_range(values: np.ndarray) -> float | None:
    """max - min of the finite values (degrees), None with fewer than two."""
    ok = values[np.isfinite(values)]
    return float(ok.max() - ok.min()) if ok.size >= 2 else None


def segment_ranges(seg: SegmentAngles) -> dict:
    """side -> {"<angle>_range_deg": range or None}."""
    return {side: {f"{k}_range_deg": angle_range(getattr(seg, side)[:, i])
                   for i, k in enumerate(seg.keys)} for side in ("left", "right")}


def hip_midpoint(points: np.ndarray, labels: tuple[str, ...], lm: Landmarks) -> np.ndarray | None:
    """(F, 3) hip midpoint, Z up: left_hip/right_hip of the input (our points3d, Z up by
    CONVENTIONS.md) or the LASI/RASI markers (as turned Z up by landmarks); None without."""
    if "left_hip" in labels and "right_hip" in labels:
        return 0.5 * (points[:, labels.index("left_hip")] + points[:, labels.index("right_hip")])
    if lm.kind == "markers" and lm.has("LASI", "RASI"):
        return 0.5 * (lm.get("LASI") + lm.get("RASI"))
    return None


def lateral_sway(mid: np.ndarray | None) -> float | None:
    """Peak-to-peak excursion (m) of a (F, 3) trajectory about its least-squares floor line;
    None with fewer than 10 finite frames."""
    if mid is None:
        return None
    xy = mid[np.isfinite(mid).all(1), :2]
    if len(xy) < 10:
        return None
    c = xy.mean(0)
    _, _, vt = np.linalg.svd(xy - c, full_matrices=False)
    lateral = (xy - c) @ vt[1]
    return float(lateral.max() - lateral.min())


def trial_ranges(spine: SegmentAngles, thorax: SegmentAngles, points: np.ndarray,
                 labels: tuple[str, ...], lm: Landmarks) -> dict:
    """The ``trial_ranges`` section of metrics.json."""
    return {"spine": segment_ranges(spine), "thorax": segment_ranges(thorax),
            "pelvis_lateral_sway_m": lateral_sway(hip_midpoint(points, labels, lm))}
