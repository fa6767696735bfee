"""Every file of the gait marker corpus: analysed, or refused with its reason (issue 16).

    MOCAPLAB_SHARED_DATA=../shared/data .venv/bin/python benchmarks/marker_corpus_eval.py

For each C3D/TRC file under gait_marker_corpus/ (and kineticstoolkit_walk/walk.c3d) this runs
what ``mocaplab analyze`` runs and prints one row: "analysed" with the marker set, the roles
found, walking (passes, treadmill), events, pelvis angle coverage and the number of warnings; or
"refused" with the error message the user would see. A traceback is a bug and is printed as
"CRASH" (the exit status is then 1).
"""

from __future__ import annotations

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


def main() -> int:
    shared = Path(os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data"))
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
