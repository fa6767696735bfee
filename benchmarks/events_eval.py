"""Gait events on the marker corpus against labelled events and force plates (issue 16).

    MOCAPLAB_SHARED_DATA=../shared/data .venv/bin/python benchmarks/events_eval.py \
        [--part tune|old|seen|new|all] [--seen-dir /tmp/newgait] [--new-dir /tmp/newgait2] \
        [--hide-heels] [--cv file|lab|both [--family none|lift]]

``--cv`` (session 10; ``benchmarks/events_cv.py``): cross-validation over ALL tuning files
(tune, old, seen and new, 14 files): each file (or each lab, ``events_cv.GROUPS``) is scored
with every fitted constant of the marker event options re-fitted on the other files (labs) by
the rule that fitted it. No file is held out any more, so these figures, not the "tuned on
all" ones, are the estimate of the error on a file the detector was not tuned on.
``--family`` (session 13) adds a candidate family's grid dimensions (``events_cv.FAMILIES``)
to every fold's fit, so that a new cue is judged by the same nested cross-validation.

The corpus is split up front (by file, before any tuning):

- TUNE: walk.c3d (Kinetics Toolkit), PiG_Motion-FlatFoot-Full.c3d, opensim_core/walking2.c3d.
  The event options were tuned on these first.
- OLD (``--part old``; it was ``holdout``): every other walking C3D of the shared corpus with
  labelled events or force plates. It was held out in sessions 6-7 but its totals were read
  several times, so since session 8 it is TUNING data too. Note that
  PiG_Motion-FlatFoot-Hole/-One are two trials of one subject (SUBJECTS:NAMES ANTO_M) of the
  FlatFoot-Full lab (whose subject is BELT_C).
- SEEN (``--part seen``): session 8's held-out file (``SEEN_HOLDOUT``, gaitalytics' treadmill
  trial), run once then (3f7358e): TUNING data since session 9. ``--seen-dir`` /
  ``MOCAPLAB_SEEN_GAIT``.
- NEW (``--part new``): real files the project had never used, listed in ``NEW_HOLDOUT`` below
  (source, version, SHA-256, licence) before any detector was run on them; they are not in the
  repository or the shared data: unpack them under a directory given by ``--new-dir`` or
  ``MOCAPLAB_NEW_GAIT`` (the part is skipped, saying so, when it is absent; a file whose
  SHA-256 differs is refused). Run once with the method frozen (session 9); any later run is a
  second look and says so in the docs.

``--hide-heels`` blanks the heel markers before detection (references and findability keep
them): the figure for trials without heel markers.

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

Per file, a "refs" row scores the two references against each other (each plate contact
against the nearest label of its side and type, within 0.15 s): where they disagree, a
``REFERENCE_NOTES`` line says why (measured, docs/analysis.md "Known limits").

Per method: mean absolute
error (ms) of matched events, events missed (a reference event whose foot markers exist within
0.1 s but with no detection of that side and type within 0.15 s), false events (detections
matching no labelled event inside the labelled span of their side and type: from that side's
first to its last labelled event of that type, 50 ms either side). Until session 8 the span was
the trial's whole labelled span; the 3 false events it counted on the tuning part were all real
foot offs 80-120 ms after the first labelled strike, which the operators had not labelled
(their labels start at a strike); ``--whole-span`` counts them that way again.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import warnings
from pathlib import Path

import numpy as np

from mocaplab.analysis.events import MARKER_EVENT_OPTIONS, GaitEvent, plate_timed_events
from mocaplab.analysis.force_plates import feet_in_file_frame, plate_contacts
from mocaplab.analysis.inputs import AnalysisInput, load_input
from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.pipeline import analyze
from mocaplab.analysis.progression import progression
from mocaplab.marker_io import read_force_plates

TUNE = ("kineticstoolkit_walk/walk.c3d", "btkdata/PiG_Motion-FlatFoot-Full.c3d",
        "opensim_core/walking2.c3d")
OLD = ("btkdata/PiG_Motion-FlatFoot-Hole.c3d", "btkdata/PiG_Motion-FlatFoot-One.c3d",
           "btkdata/PiG_Motion3_FF.c3d", "btkdata/FunctionalWalk.c3d",
           "btkdata/c3dorg_sample04_sub_labels.c3d", "opensim_core/walking5.c3d",
           "btkdata/Gait.c3d", "btkdata/ADemo1_rewrite_c3d_pc_float.c3d",
           "btkdata/561xxa01_anonym.C3D")
# (relative path under the data directory, SHA-256, where it comes from, licence)
#: session 8's held-out file: run once at 3f7358e (docs/analysis.md), TUNING data since session 9;
#: ``--seen-dir`` / ``MOCAPLAB_SEEN_GAIT``
SEEN_HOLDOUT = (
    ("gaitalytics-0.2.2/treadmill_events.c3d",
     "206c0dfd718d7e3ea4ccb5afc2d094ecf35eef9a2dedc9a1c72490609eab2a97",
     "PyPI sdist gaitalytics 0.2.2 (gaitalytics-0.2.2.tar.gz, sha256 02fa69ad...9409d), "
     "tests/treadmill_events.c3d: Vicon Nexus 2.14, 100 Hz, split-belt instrumented treadmill "
     "(2 plates), 43 labelled events; the sdist's treadmill_no_events.c3d is the same recording",
     "MIT (c) 2024 Andre Boeni"),
)
#: session 9's held-out set, declared (this commit) before any detector ran on it; run ONCE with
#: the method frozen. ``--new-dir`` / ``MOCAPLAB_NEW_GAIT``. A gaitkit example is JSON, not C3D:
#: per-frame landmarks (mm, Y up) that gaitkit's figshare-PD extractor took from the dataset's C3D
#: (hips = mean of each side's ASIS and PSIS, toe = first metatarsal head, heel, lateral ankle),
#: events from the C3D's EVENT group; no force plates. Read by :func:`load_gaitkit_json`.
NEW_HOLDOUT = (
    ("gaitkit-1.5.0/example_parkinson.json",
     "397a8f5e95f45092d6e38d2784c3ef87838f8f1e6ede7bc4b738e6b6a7ea87ca",
     "PyPI sdist gaitkit 1.5.0 (gaitkit-1.5.0.tar.gz, sha256 de1f0c25...0d861), "
     "src/gaitkit/data/example_parkinson.json: 'figshare_parkinson', Parkinson's disease patient, "
     "overground, 150 Hz, 671 frames, 13 labelled events (C3D EVENT group), no plates; its "
     "'source' field: Goldberger et al., doi 10.6084/m9.figshare.7734767",
     "package MIT (c) 2026 Frederic Fer; data as stated in the file: ODC-By 1.0"),
)
#: looked at in session 9 and NOT used (decided from labels/plates alone, no detector run):
#: every gaitalytics sdist (0.2.1.post1/7/8, 0.2.2) ships the same two files (same SHA-256);
#: gaitkit example_healthy.json (Fukuchi, sha256 b27f2e7b...71d5e05): its labels cannot be walking
#: (left strikes 93 ms apart, a right off 42 frames after its strike); example_kuopio.json: all
#: zero; example_stroke.json: no events. pyc3dsample 0.0.3-0.0.5 data/testsample{,2}.c3d
#: (Nexus PiG, 100 Hz): one 'General' event, plate all zero. openofm 1.1.3 Data_*/dynamic*.c3d:
#: no events, no plates. No C3D in gaitutils, ibo-biomech, micromotion, myogait, kiss-gait-
#: analysis, pupyc3d, sqzc3d, trc-data-reader, pykinematics, PyBiomech, pyBTK (sdists), nor
#: Debian; npm offered no C3D package we could name.
#: why a file's two references disagree, printed with its rows (measured, docs/analysis.md):
#: its plates are kept as a reference, read as the other files' (two other readers agree).
REFERENCE_NOTES = {
    "btkdata/c3dorg_sample04_sub_labels.c3d":
        "labels and plates made differently: 1 label (1.0408 s, the first analog sample above "
        "20 N) is from a plate, the other 7 are on whole frames; its plate forces rise 5->20 N "
        "in 41 ms (right heel landing at the plate's entry edge) and fall 20->5 N in 52-61 ms "
        "(0-20 ms on the other files): the labelled offs are where the force is 5-9 N",
}
MATCH_S = 0.15
METHODS = ("kinematic", "zeni", "plates")


def _path(shared: Path, rel: str) -> Path:
    return shared / rel if rel.startswith("kineticstoolkit_walk") else \
        shared / "gait_marker_corpus" / rel


def declared_files(data_dir: Path | None, table, what: str, option: str, env: str
                   ) -> tuple[list[str], str]:
    """The files of ``table`` (``NEW_HOLDOUT``/``SEEN_HOLDOUT``) present under ``data_dir``
    with the recorded SHA-256, and a note on what is absent or refused ('' when all are
    there)."""
    if data_dir is None or not data_dir.is_dir():
        return [], (f"{what} part skipped: no directory ({data_dir}); set {option} or "
                    f"{env} to where its files are unpacked")
    found, notes = [], []
    for rel, sha, _source, _licence in table:
        path = data_dir / rel
        if not path.is_file():
            notes.append(f"{rel}: absent")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            notes.append(f"{rel}: SHA-256 differs from the recorded one, refused")
        else:
            found.append(str(path))
    return found, "; ".join(notes)


def new_files(new_dir: Path | None) -> tuple[list[str], str]:
    """The NEW_HOLDOUT files present under ``new_dir`` (see :func:`declared_files`)."""
    return declared_files(new_dir, NEW_HOLDOUT, "new held-out", "--new-dir",
                          "MOCAPLAB_NEW_GAIT")


#: gaitkit landmark name -> the Plug-in Gait-like role name it is given (hips: per-side mean
#: of ASIS and PSIS, so the pelvis centre is the mean of the four pelvis markers)
GAITKIT_ROLES = {"hip": "HJC", "knee": "KNE", "ankle": "ANK", "heel": "HEE", "toe": "TOE",
                 "shoulder": "SHO"}


def load_gaitkit_json(path: Path) -> AnalysisInput:
    """A gaitkit example trial: ``angle_frames[*].landmark_positions`` (mm, Y up; all-zero =
    missing, as ``is_valid`` 0) as points (F, M, 3) metres Z up, labelled by role (``LHEE``...),
    first frame 1; ``ground_truth`` hs/to frames (0-based, at ``fps``) as reference events at
    ``frame / fps`` s (the time of array index ``frame`` with first frame 1)."""
    import json

    from mocaplab.errors import InputError

    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        frames, fps = d["angle_frames"], float(d["fps"])
        names = list(frames[0]["landmark_positions"])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(f"{path}: not a gaitkit example trial ({exc})") from None
    labels, cols = [], []
    for name in names:
        side, _, part = name.partition("_")
        if side in ("left", "right") and part in GAITKIT_ROLES:
            labels.append(side[0].upper() + GAITKIT_ROLES[part])
            cols.append(name)
    pts = np.array([[f["landmark_positions"][c] for c in cols] for f in frames], float)
    pts[(pts == 0).all(axis=-1)] = np.nan
    pts[np.array([not f.get("is_valid", 1) for f in frames])] = np.nan
    pts = pts[..., [0, 2, 1]] * np.array([1.0, -1.0, 1.0]) / 1000    # Y up -> Z up, metres
    gt = d.get("ground_truth") or {}
    events = tuple((side, typ, k / fps, k + 1)
                   for key, typ in (("hs_frames", "foot_strike"), ("to_frames", "foot_off"))
                   for side in ("left", "right") for k in (gt.get(key) or {}).get(side, []))
    return AnalysisInput(pts, tuple(labels), fps, 1, str(path), "gaitkit-json",
                         tuple(sorted(events, key=lambda e: e[2])))


def load(path: Path) -> AnalysisInput:
    """:func:`mocaplab.analysis.inputs.load_input`, or a gaitkit example (.json)."""
    return load_gaitkit_json(path) if Path(path).suffix.lower() == ".json" else \
        load_input(path)


def hide_heels(data: AnalysisInput) -> AnalysisInput:
    """``data`` with the markers playing LHEE/RHEE blanked (NaN): the heel-less figure."""
    lm = find_landmarks(data.points, data.labels, data.fps, data.first_frame)
    pts = np.array(data.points, float)
    for role in ("LHEE", "RHEE"):
        if lm.labels.get(role) in data.labels:
            pts[:, data.labels.index(lm.labels[role])] = np.nan
    return dataclasses.replace(data, points=pts)


def plate_events(path: Path, lm) -> list[tuple[str, str, float]]:
    """(side, type, time_s) of clean force-plate contacts (mocaplab.analysis.force_plates)."""
    if Path(path).suffix.lower() == ".json":
        return []
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


def label_spans(labelled: list[tuple[str, str, float]], whole: bool = False
                ) -> dict[tuple[str, str], tuple[float, float]] | None:
    """(side, type) -> (first, last) labelled time (s); every key gets the trial's whole
    labelled span when ``whole``. None without labels."""
    if not labelled:
        return None
    keys = {(s, ty) for s in ("left", "right") for ty in ("foot_strike", "foot_off")}
    out = {}
    for key in keys:
        ts = [t for s, ty, t in labelled if whole or (s, ty) == key]
        if ts:
            out[key] = (min(ts), max(ts))
    return out


def score(found: list[dict], ref: list[tuple[str, str, float]], findable, span):
    """(errors s, n missed, n false) of detections against reference events; ``span``
    (:func:`label_spans`) says where a detection matching none is a false event."""
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
                    and (e["side"], e["type"]) in span
                    and span[e["side"], e["type"]][0] - 0.05 <= e["time_subframe_s"]
                    <= span[e["side"], e["type"]][1] + 0.05)
    return errs, missed, false


def findable_fn(raw):
    """findable(side, t): the foot's markers (as recorded) exist within 0.1 s of time ``t``."""
    def findable(side, t):
        i = int(round(t * raw.fps)) + 1 - raw.first_frame
        w = int(0.1 * raw.fps)
        s = side[0].upper()
        return any(side_role in raw.raw and np.isfinite(
            raw.raw[side_role][max(i - w, 0):i + w + 1]).all()
            for side_role in (s + "HEE", s + "ANK", s + "TOE"))
    return findable


def evaluate(shared: Path, files, whole_span: bool = False, no_heels: bool = False) -> dict:
    rows = {}
    for rel in files:
        path = Path(rel) if Path(rel).is_absolute() else _path(shared, rel)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            data = load(path)
            raw = _Raw(data)        # references and findability from the markers as recorded
            if no_heels:
                data = hide_heels(data)
            labelled = [(s, ty, t) for s, ty, t, _ in data.reference_events
                        if ty in ("foot_strike", "foot_off") and s in ("left", "right")]
            plates = plate_events(path, raw)
            runs = {m: analyze(data, event_method=m)["events"]
                    for m in ("kinematic", "zeni", "combined")}

        findable = findable_fn(raw)
        span = label_spans(labelled, whole_span)
        rows[rel] = {m: {"labels": score(ev, labelled, findable, span),
                         "plates": score(ev, plates, findable, None)}
                     for m, ev in runs.items() if m != "combined"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rows[rel]["plates"] = {"labels": score(runs["combined"], labelled, findable, span),
                                   "plates": score_loo(data, plates, findable)}
        rows[rel]["n"] = (len(labelled), len(plates))
        # the two references against each other: each plate contact vs its nearest label
        pl = [{"side": sd, "type": ty, "time_subframe_s": t} for sd, ty, t in plates]
        rows[rel]["refs"] = score(pl, labelled, lambda *_: False, None)[0] if labelled else []
    return rows


def _fmt(errs, missed, false, n):
    if not n:
        return "-"
    e = np.abs(errs) * 1000
    mae = f"{e.mean():5.1f}" if len(e) else "  n/a"
    bias = f"{np.mean(errs) * 1000:+5.1f}" if len(e) else "  n/a"
    return f"{mae} ms (bias {bias}) {len(errs):2d}/{n:2d} miss {missed} false {false}"


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
        if per_file and len(r.get("refs", [])):
            e = np.abs(r["refs"]) * 1000
            print(f"{rel:42} {'refs':9} plate contacts vs labels: MAE {e.mean():.1f} ms, "
                  f"max {e.max():.1f} ms ({len(e)} matched)")
        if per_file and rel in REFERENCE_NOTES:
            print(f"{'':42} {'note':9} {REFERENCE_NOTES[rel]}")
    for m in METHODS:
        lab, pl = tot[m]["labels"], tot[m]["plates"]
        print(f"{'TOTAL':42} {m:9} {_fmt(*lab[:3], lab[3]):44} {_fmt(*pl[:3], pl[3])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("tune", "old", "seen", "new", "all"), default="all")
    ap.add_argument("--new-dir", type=Path, default=None,
                    help="directory holding NEW_HOLDOUT's files (default: $MOCAPLAB_NEW_GAIT)")
    ap.add_argument("--seen-dir", type=Path, default=None,
                    help="directory holding SEEN_HOLDOUT's files (default: $MOCAPLAB_SEEN_GAIT)")
    ap.add_argument("--whole-span", action="store_true",
                    help="false events over the trial's whole labelled span (before session 8)")
    ap.add_argument("--hide-heels", action="store_true",
                    help="blank the heel markers before detecting (the references keep them)")
    ap.add_argument("--cv", choices=("file", "lab", "both"), default=None,
                    help="cross-validate over all tuning files (tune, old, seen, new): each "
                         "file (or lab, events_cv.GROUPS) scored with the fitted constants "
                         "re-fitted without it (benchmarks/events_cv.py)")
    ap.add_argument("--family", default="none",
                    help="with --cv: a candidate family of events_cv.FAMILIES whose grid "
                         "dimensions are added to the fits (default none: the shipped family)")
    ap.add_argument("--method-s8", action="store_true",
                    help="the session 8 marker options (heel-less strikes at the ankle's speed "
                         "arrest, no ankle-acceleration timing), for a before/after")
    args = ap.parse_args()
    if args.method_s8:
        global MARKER_EVENT_OPTIONS
        import mocaplab.analysis.pipeline as pipeline

        MARKER_EVENT_OPTIONS = dataclasses.replace(MARKER_EVENT_OPTIONS,
                                                   fs_ankle_accel_lead_s=0.0)
        pipeline.MARKER_EVENT_OPTIONS = MARKER_EVENT_OPTIONS
        print("session 8 method: fs_ankle_accel_lead_s = 0")
    shared = Path(os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data"))

    def env_dir(opt, var):
        return opt or (Path(os.environ[var]) if os.environ.get(var) else None)

    new_dir = env_dir(args.new_dir, "MOCAPLAB_NEW_GAIT")
    seen_dir = env_dir(args.seen_dir, "MOCAPLAB_SEEN_GAIT")
    if args.cv:
        run_cv(shared, seen_dir, new_dir, args.cv, heels=not args.hide_heels,
               family=args.family)
        return
    opts = {"whole_span": args.whole_span, "no_heels": args.hide_heels}
    if args.hide_heels:
        print("heel markers HIDDEN from the detectors (references use them)")
    tuning = {}
    if args.part in ("tune", "old", "seen", "all"):
        parts = [("tune", "TUNE part (the options were tuned on these first)", list(TUNE)),
                 ("old", "OLD part (held out in sessions 6-7: tuning data since session 8)",
                  list(OLD))]
        seen, note = declared_files(seen_dir, SEEN_HOLDOUT, "seen (session 8 held-out)",
                                    "--seen-dir", "MOCAPLAB_SEEN_GAIT")
        if note and args.part in ("seen", "all"):
            print(f"\n{note}")
        parts.append(("seen", "SEEN part (session 8's held-out file, run once then: tuning "
                      "data since session 9)", seen))
        for key, title, files in parts:
            if args.part in (key, "all") and files:
                rows = evaluate(shared, files, **opts)
                report(title, rows)
                tuning.update(rows)
        if args.part == "all":
            report("ALL TUNING DATA (tune + old + seen)", tuning, per_file=False)
    if args.part in ("new", "all"):
        files, note = new_files(new_dir)
        if note:
            print(f"\n{note}")
        if files:
            report("NEW held-out part (session 9: files never used before; run once)",
                   evaluate(shared, files, **opts))


def run_cv(shared: Path, seen_dir: Path | None, new_dir: Path | None, by: str,
           heels: bool = True, family: str = "none") -> None:
    """Cross-validated figures over every tuning file (``events_cv``), with the shipped
    options and the options fitted on all files (the rule's output) for comparison."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import events_cv as cv

    seen, note1 = declared_files(seen_dir, SEEN_HOLDOUT, "seen", "--seen-dir",
                                 "MOCAPLAB_SEEN_GAIT")
    new, note2 = new_files(new_dir)
    for note in (note1, note2):
        if note:
            print(f"{note} (cross-validation without it)")
    rels = list(TUNE) + list(OLD) + seen + new
    trials = [cv.load_trial(sys.modules[__name__], Path(r) if Path(r).is_absolute()
                            else _path(shared, r), r) for r in rels]
    what = "heels kept" if heels else "heels HIDDEN from the detectors (references use them)"
    print(f"cross-validation over {len(trials)} tuning files, {what}; fitting rules: "
          f"{'; '.join(cv.RULES)}")
    if family not in cv.FAMILIES:
        raise SystemExit(f"--family: one of {', '.join(cv.FAMILIES)}, not {family!r}")
    print(f"candidate family: {family} {cv.FAMILIES[family]}")
    pre = cv.precompute(sys.modules[__name__], trials, heels=heels, family=family)
    for fold in (("file", "lab") if by == "both" else (by,)):
        rows, fitted = cv.cross_validate(sys.modules[__name__], trials, by=fold, heels=heels,
                                         pre=pre)
        cv.report(f"CROSS-VALIDATED, leave one {fold} out (the honest estimate)", trials, rows,
                  fitted)
    ev = sys.modules[__name__]
    for title, opts in (("NOT cross-validated: fitted on all files by the same rules",
                         cv.fit(pre, list(range(len(trials))))),
                        ("NOT cross-validated: shipped MARKER_EVENT_OPTIONS (tuned on these "
                         "files in earlier sessions)", MARKER_EVENT_OPTIONS)):
        rows = {t.name: {"kinematic": cv.by_type(ev, t, cv.detect(t, opts, heels)),
                         "zeni": cv.by_type(ev, t, cv.detect(t, None, heels))} for t in trials}
        cv.report(title, trials, rows, {t.name: opts for t in trials})


if __name__ == "__main__":
    main()
