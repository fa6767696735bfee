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
from mocaplab.analysis.spatiotemporal import symmetry
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


def spatiotemporal_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per spatiotemporal parameter of the spec that has a value: name, unit, left,
    right, overall, their SDs and the symmetry index analysis stored (``symmetry_source``
    "analysis"; "computed": a file written before analysis stored it, computed by analysis'
    own :func:`mocaplab.analysis.spatiotemporal.symmetry`), in the order of
    :data:`mocaplab.analysis.metrics_spec.METRICS`."""
    mf = MetricsFile(metrics)
    rows = []
    for m in METRICS.in_section("spatiotemporal"):
        lv, rv, ov = (mf.value(m, side) for side in ("left", "right", "overall"))
        if lv is None and rv is None and ov is None:
            continue
        si = json_number(get_path(metrics, m.symmetry_path)[1]) if m.symmetry_path else None
        si_source = "analysis" if si is not None else "computed"
        if si is None and lv is not None and rv is not None:
            si = json_number(symmetry(lv, rv)["symmetry_index_pct"])
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


def n_cycles(metrics: dict[str, Any], side: str) -> int:
    """How many gait cycles of ``side`` analysis found and used (``cycles.<side>.n_cycles``)."""
    v = json_number(((metrics.get("cycles") or {}).get(side) or {}).get("n_cycles"))
    return int(v) if v is not None else 0


def cycle_curves(metrics: dict[str, Any], segment: str, side: str,
                 n_points: int | None = None) -> dict[str, Any]:
    """The cycle-normalised curves of every angle of ``segment`` on ``side``, as analysis
    stored them in metrics.json ``cycles.<side>.<segment>`` (time-normalised once, by
    :func:`mocaplab.analysis.cycles.mean_sd`; nothing is normalised here).

    Returns ``{"percent": [...], "angles": {name: {"mean", "sd", "n_cycles", "cycles"}}}``; the
    side's own cycles (Plug-in Gait convention); missing values are None. ``cycles`` is each
    cycle's curve (empty for files of schema version 1, which did not store them). ``n_points``
    other than the stored number resamples the stored curves linearly (display only).
    InputError when analysis stored no curves of ``segment``.
    """
    stored = (metrics.get("cycles") or {}).get(side) or {}
    seg = stored.get(segment)
    if not isinstance(seg, dict):
        raise InputError(f"metrics.json has no {segment} cycle curves for the {side} side")
    n_stored = int(json_number((metrics.get("cycles") or {}).get("normalised_points")) or 101)
    n_points = n_points or n_stored
    pct_stored, pct = np.linspace(0, 100, n_stored), np.linspace(0, 100, n_points)

    def curve(values: Any) -> list[float | None]:
        a = angle_array(values)
        if a.size != n_stored:
            return [None] * n_points
        return _nan_list(a if n_points == n_stored else np.interp(pct, pct_stored, a))

    out: dict[str, Any] = {"percent": pct.tolist(), "angles": {}}
    for name, entry in seg.items():
        if not isinstance(entry, dict):
            continue
        mean = curve(entry.get("mean"))
        n = json_number(entry.get("n_cycles"))  # schema 1: only the side's count
        n = int(n) if n is not None else n_cycles(metrics, side) if any(
            v is not None for v in mean) else 0
        out["angles"][name] = {"mean": mean, "sd": curve(entry.get("sd")), "n_cycles": n,
                               "cycles": [curve(c) for c in entry.get("curves") or []]}
    return out


def _nan_list(a: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 4) for v in np.asarray(a)]
