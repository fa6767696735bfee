"""Read what the pipeline left in a trial folder and the views of it the API and reports need.

Pure functions on the metrics.json dict of CONVENTIONS.md (angles in degrees, lengths in metres,
events with 1-based frames); names, units and sides of the scalar metrics come from the metrics
spec (:mod:`mocaplab.analysis.metrics_spec`), and nothing is computed here that analysis could
store. The only I/O is :func:`load_metrics`, :func:`load_points`, :func:`load_meta`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.analysis.metrics_spec import (
    METRICS,
    SIDE_NAMES,
    MetricsFile,
    get_path,
    json_number,
    read_metrics,
)
from mocaplab.errors import InputError
from mocaplab.trial import Trial

SIDES = ("left", "right")


def _file_id(path: Path) -> tuple[str, int, int]:
    st = os.stat(path)
    return str(path), st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=64)
def _read_metrics(file_id: tuple[str, int, int]) -> dict[str, Any]:
    return dict(read_metrics(file_id[0]).data)


def load_metrics(trial_dir: Path) -> dict[str, Any]:
    """The metrics.json of a trial, validated (:func:`mocaplab.analysis.metrics_spec.read_metrics`);
    InputError if it is missing, not valid JSON or not a valid metrics.json.

    Parsed files are memoised by (path, mtime, size), so a rewritten file is read again; the
    returned dict is shared between callers and must not be modified.
    """
    path = Trial(trial_dir).metrics_path
    if not path.is_file():
        raise InputError(f"{trial_dir} has no metrics.json yet (run 'mocaplab analyze')")
    return _read_metrics(_file_id(path))


def load_points(path: Path):
    """:class:`mocaplab.pose_data.Points3D` of a points3d.npz, memoised like load_metrics
    (do not modify the arrays)."""
    return _read_points(_file_id(Path(path)))


@functools.lru_cache(maxsize=16)
def _read_points(file_id: tuple[str, int, int]):
    from mocaplab.pose_data import Points3D

    return Points3D.load(file_id[0])


def load_meta(trial_dir: Path) -> dict[str, Any]:
    """meta.json of a trial (:attr:`mocaplab.trial.Trial.meta`); {} when it holds no object."""
    meta = Trial(trial_dir).meta
    return meta if isinstance(meta, dict) else {}


def trial_status(trial_dir: Path) -> dict[str, Any]:
    """Which stages are done (by their output files) and the last one reached."""
    files = Trial(trial_dir).stage_files()
    done = {stage: path.exists() for stage, path in files}
    last = "created"
    for stage, _ in files:
        if done[stage]:
            last = stage
    return {"status": last, **{f"has_{s}": v for s, v in done.items()}}


def symmetry_index(left: float | None, right: float | None) -> float | None:
    """Robinson symmetry index, percent: 100 (L - R) / (0.5 (L + R)); None if undefined."""
    if left is None or right is None or abs(left + right) < 1e-12:
        return None
    return 100.0 * (left - right) / (0.5 * (left + right))


def spatiotemporal_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per spatiotemporal parameter of the spec that has a value: name, unit, left,
    right, overall, their SDs and the symmetry index (from analysis when stored, else computed
    from left and right), in the order of :data:`mocaplab.analysis.metrics_spec.METRICS`."""
    mf = MetricsFile(metrics)
    rows = []
    for m in METRICS.in_section("spatiotemporal"):
        lv, rv, ov = (mf.value(m, side) for side in ("left", "right", "overall"))
        if lv is None and rv is None and ov is None:
            continue
        si = json_number(get_path(metrics, m.symmetry_path)[1]) if m.symmetry_path else None
        si_source = "analysis" if si is not None else "computed"
        if si is None:
            si = symmetry_index(lv, rv)
        sd = {side: json_number(get_path(metrics, f"{m.path_of(side)}_sd")[1])
              for side in ("left", "right")}
        rows.append({"name": m.key, "unit": m.unit, "left": lv, "right": rv, "overall": ov,
                     "left_sd": sd["left"], "right_sd": sd["right"],
                     "symmetry_index_pct": si,
                     "symmetry_source": si_source if si is not None else None})
    return rows


def _stored_values(metrics: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """(name, side, value, unit) of every registered metric of ``section`` that has a value,
    in the order metrics.json stores them."""
    where = {m.path_of(side): (m, side) for m in METRICS.in_section(section) for side in m.sides}
    out: list[dict[str, Any]] = []

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}", v)
        elif prefix in where and json_number(obj) is not None:
            m, side = where[prefix]
            out.append({"name": m.key, "side": SIDE_NAMES[side], "value": json_number(obj),
                        "unit": m.unit})

    walk(section, metrics.get(section) or {})
    return out


def leg_length_values(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Leg-length measures as (name, side, value, unit) rows (side left, right or both for a
    left-minus-right difference)."""
    return _stored_values(metrics, "leg_length")


def flat_summaries(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Every scalar metric (name, side, value, unit) for the index, CSV, FHIR and the API.

    Spatiotemporal parameters first, grouped by parameter (left, right, overall as side
    "both", then the symmetry index ``<name>_si`` as side "symmetry"); then every other
    registered metric in the order metrics.json stores it (leg length, weight shifting,
    kinematics summary, trial ranges). Names, units and sides come from the metrics spec.
    """
    out: list[dict[str, Any]] = []
    for r in spatiotemporal_rows(metrics):
        for side in ("left", "right", "overall"):
            if r[side] is not None:
                out.append({"name": r["name"], "side": "both" if side == "overall" else side,
                            "value": r[side], "unit": r["unit"]})
        if r["symmetry_index_pct"] is not None:
            out.append({"name": f"{r['name']}_si", "side": "symmetry",
                        "value": r["symmetry_index_pct"], "unit": "%"})
    sections = dict.fromkeys(m.section for m in METRICS if m.section != "spatiotemporal")
    for section in sections:
        out += _stored_values(metrics, section)
    return out


def angle_array(values: Any) -> np.ndarray:
    """A metrics.json angle list (numbers and nulls) as a float array with NaN."""
    if values is None:
        return np.zeros(0)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def events(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of metrics.json, validated and sorted by time."""
    out = []
    for e in metrics.get("events") or []:
        try:
            out.append({"side": str(e["side"]), "type": str(e["type"]),
                        "time_s": float(e["time_s"]), "frame": int(e["frame"])})
        except (KeyError, TypeError, ValueError):
            continue
    return sorted(out, key=lambda e: (e["time_s"], e["side"]))


def cycle_bounds(metrics: dict[str, Any], side: str) -> list[tuple[int, int]]:
    """(start, end) array indices of each gait cycle of ``side`` (foot strike to foot strike)."""
    first = int(metrics.get("first_frame") or 1)
    strikes = sorted(e["frame"] - first for e in events(metrics)
                     if e["side"] == side and e["type"] == "foot_strike")
    return [(a, b) for a, b in zip(strikes[:-1], strikes[1:], strict=False) if b > a]


def normalise_cycles(values: np.ndarray, bounds: list[tuple[int, int]], n_points: int = 101,
                     max_missing: float = 0.2) -> np.ndarray:
    """(n_cycles, n_points) curves resampled over 0..100 % of each cycle.

    Linear interpolation over the cycle's samples; a cycle with more than ``max_missing`` of its
    samples missing (NaN) or running past the array is dropped; short gaps are interpolated.
    """
    curves = []
    for a, b in bounds:
        if a < 0 or b >= len(values):
            continue
        seg = values[a:b + 1]
        ok = np.isfinite(seg)
        if ok.mean() < 1 - max_missing or ok.sum() < 2:
            continue
        x = np.arange(len(seg))
        seg = np.interp(x, x[ok], seg[ok])
        curves.append(np.interp(np.linspace(0, len(seg) - 1, n_points), x, seg))
    return np.array(curves).reshape(-1, n_points)


def cycle_curves(metrics: dict[str, Any], segment: str, side: str,
                 n_points: int = 101) -> dict[str, Any]:
    """Cycle-normalised curves of every angle of ``segment`` on ``side``.

    Returns ``{"percent": [...], "angles": {name: {"mean", "sd", "n_cycles", "cycles"}}}``; the
    side's own foot strikes delimit its cycles (Plug-in Gait convention). Missing values are None.
    """
    seg = (metrics.get("angles") or {}).get(segment)
    if not isinstance(seg, dict) or side not in seg:
        raise InputError(f"metrics.json has no {segment} angles for the {side} side")
    bounds = cycle_bounds(metrics, side)
    out: dict[str, Any] = {"percent": np.linspace(0, 100, n_points).tolist(), "angles": {}}
    for name, arr in (seg[side] or {}).items():
        cyc = normalise_cycles(angle_array(arr), bounds, n_points)
        mean = cyc.mean(0) if len(cyc) else np.full(n_points, np.nan)
        sd = cyc.std(0) if len(cyc) > 1 else np.full(n_points, np.nan)
        out["angles"][name] = {"mean": _nan_list(mean), "sd": _nan_list(sd),
                               "n_cycles": int(len(cyc)), "cycles": [_nan_list(c) for c in cyc]}
    return out


def _nan_list(a: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 4) for v in np.asarray(a)]
