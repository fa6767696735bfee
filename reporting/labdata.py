"""Read what the pipeline left in a trial folder and derive the views the API and reports need.

Pure functions on the metrics.json dict of CONVENTIONS.md (angles in degrees, lengths in metres,
events with 1-based frames); the only I/O is :func:`load_metrics` / :func:`trial_status`.
"""

from __future__ import annotations

import functools
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.analysis.metrics_spec import read_metrics
from mocaplab.errors import InputError

SIDES = ("left", "right")
#: Processing stages in pipeline order, with the file that marks each one done.
STAGE_FILES = (("recorded", "videos"), ("detected", "keypoints2d.npz"),
               ("triangulated", "points3d.npz"), ("analyzed", "metrics.json"))


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
    path = Path(trial_dir) / "metrics.json"
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
    path = Path(trial_dir) / "meta.json"
    if not path.is_file():
        raise InputError(f"{trial_dir} is not a trial folder (no meta.json)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from None
    return meta if isinstance(meta, dict) else {}


def trial_status(trial_dir: Path) -> dict[str, Any]:
    """Which stages are done (by their output files) and the last one reached."""
    d = Path(trial_dir)
    done = {stage: (d / name).exists() for stage, name in STAGE_FILES}
    last = "created"
    for stage, _ in STAGE_FILES:
        if done[stage]:
            last = stage
    return {"status": last, **{f"has_{s}": v for s, v in done.items()}}


def unit_of(key: str) -> str:
    """The unit carried in a metric key (CONVENTIONS.md: ``stride_length_m`` -> ``m``)."""
    if key.endswith("_sd"):
        key = key[:-3]
    for suffix, unit in (("_steps_per_min", "steps/min"), ("_m_per_s", "m/s"), ("_m_s", "m/s"),
                         ("_pct", "%"),
                         ("_deg", "deg"), ("_mm", "mm"), ("_cm", "cm"), ("_ms", "ms"),
                         ("_s", "s"), ("_m", "m"), ("_hz", "Hz")):
        if key.endswith(suffix):
            return unit
    return ""


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if math.isfinite(v) else None


def symmetry_index(left: float | None, right: float | None) -> float | None:
    """Robinson symmetry index, percent: 100 (L - R) / (0.5 (L + R)); None if undefined."""
    if left is None or right is None or abs(left + right) < 1e-12:
        return None
    return 100.0 * (left - right) / (0.5 * (left + right))


def _is_value_key(k: str) -> bool:
    """A parameter key (not its ``_sd`` or an ``n_`` count)."""
    return not (k.endswith("_sd") or k.startswith("n_"))


def spatiotemporal_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per spatiotemporal parameter: name, unit, left, right, overall, symmetry index.

    Reads the analysis format (``left``/``right``/``overall`` dicts, ``<key>_sd`` spreads,
    ``symmetry: {<key>: {"symmetry_index_pct", "symmetry_ratio"}}``). The symmetry index comes
    from analysis when given, else it is computed from left and right.
    """
    st = metrics.get("spatiotemporal") or {}
    left, right = st.get("left") or {}, st.get("right") or {}
    sym = st.get("symmetry") or {}
    overall = {k: v for k, v in st.items() if k not in ("left", "right", "symmetry")}
    for k, v in list(overall.items()):
        if isinstance(v, dict):  # {"overall": {...}} (analysis) or {"both"/"mean": {...}}
            overall.pop(k)
            overall.update({kk: vv for kk, vv in v.items() if not isinstance(vv, dict)})
    names: list[str] = []
    for src in (left, right, overall):
        names += [k for k in src if k not in names and _is_value_key(k)
                  and _num(src[k]) is not None]
    rows = []
    for name in names:
        lv, rv = _num(left.get(name)), _num(right.get(name))
        si = None
        entry = sym.get(name)
        if isinstance(entry, dict):
            si = _num(entry.get("symmetry_index_pct"))
        else:
            for k in (name, f"{name}_si_pct", f"{name}_si"):
                if _num(sym.get(k)) is not None:
                    si = _num(sym.get(k))
                    break
        si_source = "analysis" if si is not None else "computed"
        if si is None:
            si = symmetry_index(lv, rv)
        rows.append({"name": name, "unit": unit_of(name), "left": lv, "right": rv,
                     "overall": _num(overall.get(name)),
                     "left_sd": _num(left.get(f"{name}_sd")),
                     "right_sd": _num(right.get(f"{name}_sd")),
                     "symmetry_index_pct": si,
                     "symmetry_source": si_source if si is not None else None})
    return rows


def leg_length_values(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Leg-length measures as (name, side, value, unit) rows.

    Analysis format: ``{"left": {...}, "right": {...}, "asymmetry": {..._left_minus_right_m}}``
    (side "left"/"right"/"both"); flat numeric keys (``left_m``...) are read too.
    """
    ll = metrics.get("leg_length") or {}
    out = []
    for k, v in ll.items():
        if isinstance(v, dict) and k in ("left", "right", "asymmetry"):
            for kk, vv in v.items():
                if _num(vv) is not None and _is_value_key(kk):
                    out.append({"name": kk, "side": "both" if k == "asymmetry" else k,
                                "value": _num(vv), "unit": unit_of(kk)})
        elif _num(v) is not None:
            out.append({"name": k if k.startswith("leg") else f"leg_length_{k}", "side": "both",
                        "value": _num(v), "unit": unit_of(k)})
    return out


def flat_summaries(metrics: dict[str, Any], points3d: Path | None = None) -> list[dict[str, Any]]:
    """Scalar metric summaries (name, side, value, unit) for the index and exports.

    Spatiotemporal values per side and overall (side "both"), symmetry indices
    (``<name>_si``, side "symmetry"), leg-length measures, weight shifting
    (``weight_shift_<key>``), kinematic ranges per side (``<segment>_<angle>_range_deg``: from
    ``kinematics_summary`` when analysis wrote them, else computed over the trial) and, if
    ``points3d`` is given, the lateral sway of the hip midpoint (``pelvis_lateral_sway_m``).
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
    out += leg_length_values(metrics)
    ws = metrics.get("weight_shift") or {}
    for k, v in ws.items():
        if _num(v) is not None and _is_value_key(k):
            name = f"weight_{k}" if k.startswith("shift_") else f"weight_shift_{k}"
            out.append({"name": name, "side": "both", "value": _num(v), "unit": unit_of(k)})
    if _num((ws.get("symmetry") or {}).get("symmetry_index_pct")) is not None:
        out.append({"name": "weight_shift_si", "side": "symmetry",
                    "value": _num(ws["symmetry"]["symmetry_index_pct"]), "unit": "%"})
    given = set()
    for side, d in (metrics.get("kinematics_summary") or {}).items():
        if side in SIDES and isinstance(d, dict):
            for k, v in d.items():
                if _num(v) is not None:
                    out.append({"name": k, "side": side, "value": _num(v), "unit": unit_of(k)})
                    given.add((k, side))
    for seg, sides in (metrics.get("angles") or {}).items():
        if not isinstance(sides, dict):
            continue
        for side, comps in sides.items():
            if side not in SIDES or not isinstance(comps, dict):
                continue
            for comp, arr in comps.items():
                name = f"{seg}_{comp}_range_deg"
                a = angle_array(arr)
                if (name, side) not in given and np.isfinite(a).sum() >= 2:
                    out.append({"name": name, "side": side,
                                "value": float(np.nanmax(a) - np.nanmin(a)), "unit": "deg"})
    if points3d is not None and Path(points3d).is_file():
        sway = lateral_sway(Path(points3d))
        if sway is not None:
            out.append({"name": "pelvis_lateral_sway_m", "side": "both", "value": sway,
                        "unit": "m"})
    return out


def angle_array(values: Any) -> np.ndarray:
    """A metrics.json angle list (numbers and nulls) as a float array with NaN."""
    if values is None:
        return np.zeros(0)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def lateral_sway(points3d_path: Path) -> float | None:
    """Peak-to-peak mediolateral excursion (m) of the hip midpoint about the walking line.

    The walking line is the least-squares line of the hip midpoint in the floor plane, so the
    measure does not depend on the walking direction. None when hips are not in the point set.
    """
    return _lateral_sway(_file_id(Path(points3d_path)))


@functools.lru_cache(maxsize=256)
def _lateral_sway(file_id: tuple[str, int, int]) -> float | None:
    p = _read_points(file_id)
    names = [("left_hip", "right_hip"), ("LASI", "RASI")]
    for a, b in names:
        if a in p.keypoints and b in p.keypoints:
            mid = 0.5 * (p.keypoint(a) + p.keypoint(b))
            break
    else:
        return None
    xy = mid[np.isfinite(mid).all(1), :2]
    if len(xy) < 10:
        return None
    c = xy.mean(0)
    _, _, vt = np.linalg.svd(xy - c, full_matrices=False)
    lateral = (xy - c) @ vt[1]
    return float(lateral.max() - lateral.min())


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
