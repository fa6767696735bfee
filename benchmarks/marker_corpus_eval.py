"""Every file of the gait marker corpus: analysed, or refused with its reason (issue 16).

    MOCAPLAB_SHARED_DATA=../shared/data .venv/bin/python benchmarks/marker_corpus_eval.py

For each C3D/TRC file under gait_marker_corpus/ (and kineticstoolkit_walk/walk.c3d) this runs
what ``mocaplab analyze`` runs and prints one row: "analysed" with the marker set, the roles
found, walking (passes, treadmill), events, pelvis angle coverage and the number of warnings; or
"refused" with the error message the user would see. A traceback is a bug and is printed as
"CRASH" (the exit status is then 1).

    ... marker_corpus_eval.py --hide-heels

instead compares, on every analysed walking file with both heel markers, the overall stride
length, speed and step length from the heels with those measured when the heel markers are
hidden (footprints from the ankle, else the toe marker; the events then from those markers too).
Nothing is tuned: the stand-in order (heel, ankle, toe) was fixed before it ran.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from mocaplab.analysis.inputs import load_input
from mocaplab.analysis.pipeline import analyze
from mocaplab.errors import MocaplabError


def corpus_files(shared: Path) -> list[Path]:
    root = shared / "gait_marker_corpus"
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".c3d", ".trc"))
    return files + [shared / "kineticstoolkit_walk" / "walk.c3d"]


def row(path: Path) -> tuple[str, str]:
    """("analysed"|"refused"|"CRASH", details) for one file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            data = load_input(path)
            m = analyze(data)
    except MocaplabError as exc:
        return "refused", str(exc).replace(str(path), path.name)
    except Exception as exc:  # noqa: BLE001 - the table reports it
        return "CRASH", f"{type(exc).__name__}: {exc}"
    prov = m["provenance"]
    prog = prov["progression"]
    tilt = np.array(m["angles"]["pelvis"]["left"]["obliquity"], dtype=float)
    walk = ("treadmill" if prog["treadmill"] else f"{len(prog['passes'])} pass(es)") \
        if prog["passes"] else "not walking"
    return "analysed", (f"{prov['marker_set']['marker_set']}; {len(prov['landmarks'])} roles; "
                        f"{walk}; {len(m['events'])} events "
                        f"({len(prov['reference_events'])} labelled); pelvis angles on "
                        f"{np.isfinite(tilt).mean():.0%} of frames; "
                        f"{len(m['warnings'])} warning(s)")


def _hide_heels(data):
    from mocaplab.analysis.marker_sets import parse_label

    keep = [i for i, lb in enumerate(data.labels) if parse_label(lb)[1] != "HEE"]
    return dataclasses.replace(data, points=data.points[:, keep],
                               labels=tuple(data.labels[i] for i in keep))


SPATIAL = ("stride_length_m", "speed_m_s", "step_length_m")


def hide_heels_table(files: list[Path]) -> None:
    """Overall stride length, speed, step length: heels vs heels hidden, per file."""
    print(f"{'file':34} {'stride length m':>17} {'speed m/s':>13} {'step length m':>15}  "
          "(heels / hidden)")
    diffs: dict[str, list[float]] = {k: [] for k in SPATIAL}
    for p in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                data = load_input(p)
                m = analyze(data)
            except MocaplabError:
                continue
            roles = m["provenance"]["landmarks"]
            if not (m["provenance"]["progression"]["passes"] and "LHEE" in roles
                    and "RHEE" in roles):
                continue
            h = analyze(_hide_heels(data))
        a, b = m["spatiotemporal"]["overall"], h["spatiotemporal"]["overall"]
        tread = m["provenance"]["progression"]["treadmill"]
        cells = []
        for k in SPATIAL:
            x, y = a.get(k, np.nan), b.get(k, np.nan)
            cells.append(f"{x:6.3f} / {y:6.3f}")
            if np.isfinite(x) and np.isfinite(y) and not tread:
                diffs[k].append(y - x)
        print(f"{p.name:34} {cells[0]:>17} {cells[1]:>13} {cells[2]:>15}  strides "
              f"{a['n_strides']} / {b['n_strides']}{'  treadmill' if tread else ''}")
    for k, d in diffs.items():
        d = np.abs(d)
        print(f"{k} (overground): {len(d)} files, |hidden - heels| mean {d.mean():.3f}, "
              f"worst {d.max():.3f}"
              if len(d) else f"{k}: no file")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hide-heels", action="store_true",
                    help="compare the spatial parameters with the heel markers hidden")
    args = ap.parse_args(argv)
    shared = Path(os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data"))
    if args.hide_heels:
        hide_heels_table(corpus_files(shared))
        return 0
    rows = [(p, *row(p)) for p in corpus_files(shared)]
    width = max(len(str(p.relative_to(p.parents[1]))) for p, *_ in rows)
    print(f"{'file':{width}}  status    details")
    for p, status, details in rows:
        print(f"{str(p.relative_to(p.parents[1])):{width}}  {status:8}  {details}")
    counts = {s: sum(r[1] == s for r in rows) for s in ("analysed", "refused", "CRASH")}
    print(f"\n{len(rows)} files: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 1 if counts["CRASH"] else 0


if __name__ == "__main__":
    sys.exit(main())
