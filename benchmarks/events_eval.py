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

Methods, same run: "kinematic" (mocaplab's Zeni + foot velocity, no plates: what a markerless
trial or a C3D without plates gets), "zeni" (Zeni's coordinate method) and "plates" (mocaplab's
default for a C3D with plates: the kinematic events timed with the trial's plate contacts,
``analysis.events.plate_timed_events``). For
"plates", the force-plate column is leave-one-out: each contact is scored with events timed from
the trial's OTHER contacts only; against labels, all contacts are used (Vicon labels may
themselves come from the plates).

The held-out part prints its totals only unless ``--holdout-per-file`` is given: tune on the
TUNE rows, freeze the method, then read the held-out totals once.

Per method: mean absolute
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

from mocaplab.analysis.events import MARKER_EVENT_OPTIONS, GaitEvent, plate_timed_events
from mocaplab.analysis.force_plates import feet_in_file_frame, plate_contacts
from mocaplab.analysis.inputs import load_input
from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.pipeline import analyze
from mocaplab.analysis.progression import progression
from mocaplab.marker_io import read_force_plates

TUNE = ("kineticstoolkit_walk/walk.c3d", "btkdata/PiG_Motion-FlatFoot-Full.c3d",
        "opensim_core/walking2.c3d")
HOLDOUT = ("btkdata/PiG_Motion-FlatFoot-Hole.c3d", "btkdata/PiG_Motion-FlatFoot-One.c3d",
           "btkdata/PiG_Motion3_FF.c3d", "btkdata/FunctionalWalk.c3d",
           "btkdata/c3dorg_sample04_sub_labels.c3d", "opensim_core/walking5.c3d",
           "btkdata/Gait.c3d", "btkdata/ADemo1_rewrite_c3d_pc_float.c3d",
           "btkdata/561xxa01_anonym.C3D")
MATCH_S = 0.15
METHODS = ("kinematic", "zeni", "plates")


def _path(shared: Path, rel: str) -> Path:
    return shared / rel if rel.startswith("kineticstoolkit_walk") else \
        shared / "gait_marker_corpus" / rel


def plate_events(path: Path, lm) -> list[tuple[str, str, float]]:
    """(side, type, time_s) of clean force-plate contacts (mocaplab.analysis.force_plates)."""
    return plate_contacts(read_force_plates(path), lm.raw, lm.fps, lm.first_frame)


class _Raw:
    """Foot markers in the file's own lab frame (plates are given in it)."""

    def __init__(self, data):
        lm = find_landmarks(data.points, data.labels, data.fps, data.first_frame)
        self.raw = feet_in_file_frame(data.points, data.labels, lm.labels)
        self.fps, self.first_frame, self.n_frames = lm.fps, lm.first_frame, lm.n_frames


def _as_dicts(events: list[GaitEvent], fps: float, ff: int) -> list[dict]:
    return [{"side": e.side, "type": e.type, "time_subframe_s": (ff + e.index - 1) / fps,
             "method": e.method} for e in events]


def score_loo(data, ref, findable):
    """Plate-timed events against each plate contact in turn, timed WITHOUT that contact
    (leave one out: the contact scored never takes part in timing the events)."""
    lm = find_landmarks(data.points, data.labels, data.fps, data.first_frame)
    prog = progression(lm)      # as analyze does for skin markers (no smoothing, snap 15 deg)
    fps, ff = lm.fps, lm.first_frame
    idx = [(s, ty, t * fps + 1 - ff) for s, ty, t in ref]
    errs, missed = [], 0
    for j, (side, typ, t) in enumerate(ref):
        found, _ = plate_timed_events(lm, prog, MARKER_EVENT_OPTIONS, idx[:j] + idx[j + 1:])
        e, m, _ = score(_as_dicts(found, fps, ff), [(side, typ, t)], findable, None)
        errs += e
        missed += m
    return errs, missed, 0


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
            runs = {m: analyze(data, event_method=m)["events"]
                    for m in ("kinematic", "zeni", "combined")}

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
                     for m, ev in runs.items() if m != "combined"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rows[rel]["plates"] = {"labels": score(runs["combined"], labelled, findable, span),
                                   "plates": score_loo(data, plates, findable)}
        rows[rel]["n"] = (len(labelled), len(plates))
    return rows


def _fmt(errs, missed, false, n):
    if not n:
        return "-"
    e = np.abs(errs) * 1000
    mae = f"{e.mean():5.1f}" if len(e) else "  n/a"
    return f"{mae} ms {len(errs):2d}/{n:2d} miss {missed} false {false}"


def report(title: str, rows: dict, per_file: bool = True) -> None:
    """Per-file rows (``per_file``) and the TOTAL rows of each method."""
    print(f"\n== {title} ==")
    print(f"{'file':42} {'method':9} {'vs labels (MAE, matched/n, missed, false)':44} "
          f"vs force plates")
    tot = {m: {"labels": [[], 0, 0, 0], "plates": [[], 0, 0, 0]} for m in METHODS}
    for rel, r in rows.items():
        nl, npl = r["n"]
        for m in METHODS:
            lab, pl = r[m]["labels"], r[m]["plates"]
            if per_file:
                print(f"{rel:42} {m:9} {_fmt(*lab, nl):44} {_fmt(*pl, npl)}")
            for key, val, n in (("labels", lab, nl), ("plates", pl, npl)):
                t = tot[m][key]
                t[0] += list(val[0])
                t[1] += val[1]
                t[2] += val[2]
                t[3] += n
    for m in METHODS:
        lab, pl = tot[m]["labels"], tot[m]["plates"]
        print(f"{'TOTAL':42} {m:9} {_fmt(*lab[:3], lab[3]):44} {_fmt(*pl[:3], pl[3])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("tune", "holdout", "all"), default="all")
    ap.add_argument("--holdout-per-file", action="store_true",
                    help="also print the held-out part per file (default: its totals only, so "
                         "that a session tuning the method does not see per-file held-out "
                         "errors)")
    args = ap.parse_args()
    shared = Path(os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data"))
    if args.part in ("tune", "all"):
        report("TUNE part (the options were tuned on these)", evaluate(shared, TUNE))
    if args.part in ("holdout", "all"):
        report("HOLDOUT part (never looked at while tuning)", evaluate(shared, HOLDOUT),
               per_file=args.holdout_per_file)


if __name__ == "__main__":
    main()
