"""Gait events on the marker corpus against labelled events and force plates (issue 16).

    MOCAPLAB_SHARED_DATA=../shared/data .venv/bin/python benchmarks/events_eval.py [--part all]

The corpus is split up front (by file, before any tuning):

- TUNE: walk.c3d (Kinetics Toolkit), PiG_Motion-FlatFoot-Full.c3d, opensim_core/walking2.c3d.
  The event options were tuned on these only.
- HOLDOUT: every other walking C3D with labelled events or force plates. Note that
  PiG_Motion-FlatFoot-Hole/-One are other trials of the FlatFoot-Full subject (same lab).

References: the C3D's labelled events (Vicon operators), and force plates: a foot strike where
the plate's normal force rises through 20 N (after removing the unloaded offset), a foot off
where it falls through 20 N; the side is the one foot over the plate 30 ms after the rise (by
its heel, else ankle) or 30 ms before the fall (by its toe, else ankle); when both or neither
foot is over it, that edge is no reference. Contacts cut by the recording's ends are skipped.

Per method (mocaplab's default "combined" and Zeni's coordinate method, same run): mean absolute
error (ms) of matched events, events missed (a reference event whose foot markers exist within
0.1 s but with no detection of that side and type within 0.15 s), false events (detections inside
the labelled span matching no labelled event).
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import numpy as np

from mocaplab.analysis.inputs import load_input
from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.pipeline import analyze
from mocaplab.marker_io import read_force_plates

TUNE = ("kineticstoolkit_walk/walk.c3d", "btkdata/PiG_Motion-FlatFoot-Full.c3d",
        "opensim_core/walking2.c3d")
HOLDOUT = ("btkdata/PiG_Motion-FlatFoot-Hole.c3d", "btkdata/PiG_Motion-FlatFoot-One.c3d",
           "btkdata/PiG_Motion3_FF.c3d", "btkdata/FunctionalWalk.c3d",
           "btkdata/c3dorg_sample04_sub_labels.c3d", "opensim_core/walking5.c3d",
           "btkdata/Gait.c3d", "btkdata/ADemo1_rewrite_c3d_pc_float.c3d",
           "btkdata/561xxa01_anonym.C3D")
MATCH_S = 0.15
THRESHOLD_N = 20.0


def _path(shared: Path, rel: str) -> Path:
    return shared / rel if rel.startswith("kineticstoolkit_walk") else \
        shared / "gait_marker_corpus" / rel


def plate_events(path: Path, lm) -> list[tuple[str, str, float]]:
    """(side, type, time_s) of clean force-plate contacts (see the module docstring)."""
    out = []
    for plate in read_force_plates(path):
        f = plate.normal_force_n - np.percentile(plate.normal_force_n, 5)
        on = f > THRESHOLD_N
        t = plate.times()
        edges = np.flatnonzero(np.diff(on.astype(int)))
        starts = [i + 1 for i in edges if not on[i]]
        for s in starts:
            stops = [i for i in edges if i >= s and on[i]]
            if not stops or s == 0:
                continue
            e = stops[0]
            if t[e] - t[s] < 0.2:
                continue
            t_on = t[s - 1] + (THRESHOLD_N - f[s - 1]) / (f[s] - f[s - 1]) / plate.rate_hz
            t_off = t[e] + (f[e] - THRESHOLD_N) / (f[e] - f[e + 1]) / plate.rate_hz
            strike = _foot_on_plate(lm, plate.corners_m, t_on + 0.03, ("HEE", "ANK", "TOE"))
            off = _foot_on_plate(lm, plate.corners_m, t_off - 0.03, ("TOE", "ANK", "HEE"))
            if strike:
                out.append((strike, "foot_strike", t_on))
            if off:
                out.append((off, "foot_off", t_off))
    return out


def _foot_on_plate(lm, corners: np.ndarray, t: float, parts: tuple[str, ...]) -> str | None:
    """The one side whose first available marker of ``parts`` is over the plate at ``t``."""
    i = int(round(t * lm.fps)) + 1 - lm.first_frame
    if not 0 <= i < lm.n_frames:
        return None
    lo, hi = corners.min(0) - 0.03, corners.max(0) + 0.03
    up = int(np.argmin(hi - lo))          # the plate's thin axis is the vertical one
    horiz = [k for k in range(3) if k != up]
    on = []
    for side in "LR":
        p = next((lm.raw[side + r][i] for r in parts if side + r in lm.raw
                  and np.isfinite(lm.raw[side + r][i]).all()), None)
        if p is not None and np.all((p[horiz] > lo[horiz]) & (p[horiz] < hi[horiz])):
            on.append(side)
    return {"L": "left", "R": "right"}[on[0]] if len(on) == 1 else None


class _Raw:
    """Landmarks in the file's own lab frame (plates are given in it)."""

    def __init__(self, data):
        lm = find_landmarks(data.points, data.labels, data.fps, data.first_frame)
        idx = {lb: i for i, lb in enumerate(data.labels)}
        self.raw = {r: data.points[:, idx[lb]] for r, lb in lm.labels.items() if lb in idx}
        self.fps, self.first_frame, self.n_frames = lm.fps, lm.first_frame, lm.n_frames


def score(found: list[dict], ref: list[tuple[str, str, float]], findable, span):
    """(errors s, n missed, n false) of detections against reference events."""
    errs, missed, used = [], 0, set()
    for side, typ, t in ref:
        cands = [(abs(e["time_subframe_s"] - t), k) for k, e in enumerate(found)
                 if e["side"] == side and e["type"] == typ and k not in used]
        best = min(cands) if cands else None
        if best and best[0] <= MATCH_S:
            used.add(best[1])
            errs.append(found[best[1]]["time_subframe_s"] - t)
        elif findable(side, t):
            missed += 1
    false = 0
    if span is not None:
        false = sum(1 for k, e in enumerate(found) if k not in used
                    and span[0] - 0.05 <= e["time_subframe_s"] <= span[1] + 0.05)
    return errs, missed, false


def evaluate(shared: Path, files) -> dict:
    rows = {}
    for rel in files:
        path = _path(shared, rel)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            data = load_input(path)
            raw = _Raw(data)
            labelled = [(s, ty, t) for s, ty, t, _ in data.reference_events
                        if ty in ("foot_strike", "foot_off") and s in ("left", "right")]
            plates = plate_events(path, raw)
            runs = {m: analyze(data, event_method=m)["events"] for m in ("combined", "zeni")}

        def findable(side, t, raw=raw):
            i = int(round(t * raw.fps)) + 1 - raw.first_frame
            w = int(0.1 * raw.fps)
            s = side[0].upper()
            return any(side_role in raw.raw and np.isfinite(
                raw.raw[side_role][max(i - w, 0):i + w + 1]).all()
                for side_role in (s + "HEE", s + "ANK", s + "TOE"))

        span = (min(t for *_, t in labelled), max(t for *_, t in labelled)) if labelled else None
        rows[rel] = {m: {"labels": score(ev, labelled, findable, span),
                         "plates": score(ev, plates, findable, None)}
                     for m, ev in runs.items()}
        rows[rel]["n"] = (len(labelled), len(plates))
    return rows


def _fmt(errs, missed, false, n):
    if not n:
        return "-"
    e = np.abs(errs) * 1000
    mae = f"{e.mean():5.1f}" if len(e) else "  n/a"
    return f"{mae} ms {len(errs):2d}/{n:2d} miss {missed} false {false}"


def report(title: str, rows: dict) -> None:
    print(f"\n== {title} ==")
    print(f"{'file':42} {'method':9} {'vs labels (MAE, matched/n, missed, false)':44} "
          f"vs force plates")
    tot = {m: {"labels": [[], 0, 0, 0], "plates": [[], 0, 0, 0]} for m in ("combined", "zeni")}
    for rel, r in rows.items():
        nl, npl = r["n"]
        for m in ("combined", "zeni"):
            lab, pl = r[m]["labels"], r[m]["plates"]
            print(f"{rel:42} {m:9} {_fmt(*lab, nl):44} {_fmt(*pl, npl)}")
            for key, val, n in (("labels", lab, nl), ("plates", pl, npl)):
                t = tot[m][key]
                t[0] += list(val[0])
                t[1] += val[1]
                t[2] += val[2]
                t[3] += n
    for m in ("combined", "zeni"):
        lab, pl = tot[m]["labels"], tot[m]["plates"]
        print(f"{'TOTAL':42} {m:9} {_fmt(*lab[:3], lab[3]):44} {_fmt(*pl[:3], pl[3])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("tune", "holdout", "all"), default="all")
    args = ap.parse_args()
    shared = Path(os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data"))
    if args.part in ("tune", "all"):
        report("TUNE part (the options were tuned on these)", evaluate(shared, TUNE))
    if args.part in ("holdout", "all"):
        report("HOLDOUT part (never looked at while tuning)", evaluate(shared, HOLDOUT))


if __name__ == "__main__":
    main()
