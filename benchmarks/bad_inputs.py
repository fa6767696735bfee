"""Issue 21's tries with bad input, repeated through the CLI: each prints its exit status and the
last line the user sees (a traceback is a failure of this check); then issue 16's tries with bad
marker files from another lab.

    python benchmarks/bad_inputs.py [--keep DIR]

Every trial try starts from a fresh synthetic trial (4 cameras, 2D keypoints with 1 px noise); the
trial's points3d.npz from a good run is kept to check that a refused input does not replace it.
Every marker-file try (a C3D whose labels play no role, a truncated C3D, a TRC that is not one,
a TRC cut inside its header) runs ``mocaplab analyze FILE --out`` and ``mocaplab export FILE``
from an empty folder: exit 1, no traceback, the message names the file, nothing written (no
--out file, nothing in the current folder nor beside the file).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def make_trial(path: Path) -> Path:
    from mocaplab.synthetic.lab import write_keypoints_trial

    write_keypoints_trial(path, speed_m_s=1.1, duration_s=4.0, start_xy=(-2.0, 0.0), seed=3)
    return path


def _edit_calibration(trial: Path, camera: int, matrix) -> None:
    import tomllib

    import tomli_w

    p = trial / "calibration.toml"
    data = tomllib.loads(p.read_text())
    data[f"cam_{camera}"]["matrix"] = matrix
    p.write_text(tomli_w.dumps(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _meta(trial: Path, meta) -> None:
    (trial / "meta.json").write_text(json.dumps(meta))


def _fps_fast(trial: Path) -> None:
    m = json.loads((trial / "meta.json").read_text())
    m["fps"] = "fast"
    _meta(trial, m)


NAN = float("nan")
TRIES = [
    ("calibration: NaN in cam_1's matrix", "triangulate",
     lambda t: _edit_calibration(t, 1, [[NAN, 0, 640], [0, 900, 360], [0, 0, 1]])),
    ("calibration: all-zero matrix", "triangulate",
     lambda t: _edit_calibration(t, 1, [[0, 0, 0], [0, 0, 0], [0, 0, 0]])),
    ("calibration: negative focal", "triangulate",
     lambda t: _edit_calibration(t, 1, [[-900, 0, 640], [0, 900, 360], [0, 0, 1]])),
    ("keypoints2d.npz truncated", "triangulate", lambda t: _truncate(t / "keypoints2d.npz")),
    ("meta.json is a JSON list", "triangulate", lambda t: _meta(t, [1, 2])),
    ('meta.json {"fps": "fast"}', "triangulate", _fps_fast),
    ("points3d.npz truncated", "analyze", lambda t: _truncate(t / "points3d.npz")),
]


def _marker_c3d(path: Path, labels: list[str]) -> Path:
    import numpy as np

    from mocaplab.marker_io import write_c3d

    t = np.arange(200) / 100.0
    pts = np.stack([np.stack([t + 0.1 * i, 0.2 * i + 0 * t, 0.9 + 0 * t], axis=1)
                    for i in range(len(labels))], axis=1)
    return write_c3d(path, pts, labels, 100.0)


def _bad_no_labels(d: Path) -> Path:
    return _marker_c3d(d / "clusters.c3d", ["RFT1", "RFT2", "RSK1", "LFT1", "LFT2", "LSK1"])


def _bad_truncated(d: Path) -> Path:
    p = _marker_c3d(d / "walk.c3d", ["LASI", "RASI", "SACR", "LHEE", "RHEE"])
    _truncate(p)
    return p


def _bad_not_trc(d: Path) -> Path:
    p = d / "walk.trc"
    p.write_text("time,x,y,z\n0,1,2,3\n")
    return p


def _bad_cut_trc(d: Path) -> Path:
    p = d / "walk.trc"
    p.write_text("PathFileType\t4\t(X/Y/Z)\twalk.trc\nDataRate\tCameraRate\tNumFrames\n")
    return p


MARKER_TRIES = [
    ("C3D with no label that plays a role", _bad_no_labels),
    ("truncated C3D", _bad_truncated),
    ("TRC that is not one", _bad_not_trc),
    ("TRC cut inside its header", _bad_cut_trc),
]


def _marker_tries(work: Path, exe: list[str]) -> tuple[int, int]:
    """(tries, bad) of MARKER_TRIES through analyze and export."""
    n = bad = 0
    for k, (label, make) in enumerate(MARKER_TRIES):
        for verb in ("analyze", "export"):
            d = work / f"marker{k}_{verb}"
            data, cwd = d / "data", d / "cwd"
            data.mkdir(parents=True)
            cwd.mkdir()
            f = make(data)
            out = d / "out"
            args = ["--out", str(out / "m.json")] if verb == "analyze" else ["--out", str(out)]
            r = subprocess.run([*exe, verb, str(f), *args], capture_output=True, text=True,
                               cwd=cwd)
            err = r.stderr.strip().splitlines()
            last = err[-1] if err else ""
            traceback = "Traceback" in r.stderr
            written = [str(p.relative_to(d)) for p in (*cwd.iterdir(), *data.iterdir())
                       if p != f] + (["out"] if out.exists() else [])
            ok = r.returncode == 1 and not traceback and f.name in last and not written
            n += 1
            bad += not ok
            print(f"{'ok ' if ok else 'BAD'} {label}: mocaplab {verb} -> exit {r.returncode}"
                  f"{' TRACEBACK' if traceback else ''}; written: {written or 'nothing'}\n"
                  f"      {last[:300]}")
    return n, bad


def _full_disk_try(base: Path, work: Path, exe: list[str]) -> bool | None:
    """triangulate --force on a full disk (a small tmpfs filled up; needs root): exit 1, the
    message says the disk is full and names the file, points3d.npz unchanged."""
    mnt = work / "full"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        print("--  full disk: skipped (cannot mount a tmpfs here; needs root)")
        return None
    try:
        t = Path(shutil.copytree(base, mnt / "trial"))
        before = (t / "points3d.npz").read_bytes()
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        r = subprocess.run([*exe, "triangulate", str(t), "--force"], capture_output=True,
                           text=True)
        last = (r.stderr.strip().splitlines() or [""])[-1]
        kept = (t / "points3d.npz").read_bytes() == before
        leftovers = [p.name for p in t.iterdir() if p.name.startswith(".")
                     and p.name != ".mocaplab"]
        ok = (r.returncode == 1 and "Traceback" not in r.stderr and "disk is full" in last
              and "points3d.npz" in last and kept and not leftovers)
        print(f"{'ok ' if ok else 'BAD'} full disk: mocaplab triangulate -> exit {r.returncode}"
              f"{' TRACEBACK' if 'Traceback' in r.stderr else ''}; points3d.npz "
              f"{'kept' if kept else 'changed'}; temporary files left: {leftovers}\n      {last}")
        return ok
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="mocaplab-bad-"))
    base = make_trial(work / "base")
    exe = [sys.executable, "-m", "mocaplab.cli"]
    subprocess.run([*exe, "triangulate", str(base)], check=True, capture_output=True)
    bad = 0
    for label, verb, spoil in TRIES:
        t = work / f"try{TRIES.index((label, verb, spoil))}"
        shutil.rmtree(t, ignore_errors=True)
        shutil.copytree(base, t)
        before = (t / "points3d.npz").read_bytes()
        spoil(t)
        npz = t / "points3d.npz"
        spoiled = npz.read_bytes() if npz.exists() else None  # a try may spoil the file itself
        force = ["--force"] if verb == "triangulate" else []
        r = subprocess.run([*exe, verb, str(t), *force], capture_output=True, text=True)
        err = r.stderr.strip().splitlines()
        last = err[-1] if err else r.stdout.strip().splitlines()[-1:]
        traceback = "Traceback" in r.stderr
        now = npz.read_bytes() if npz.exists() else None
        kept = now == before
        untouched = now == spoiled  # the command itself wrote nothing over it
        ok = r.returncode == 1 and not traceback and (kept or verb != "triangulate") and untouched
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} {label}: mocaplab {verb} -> exit {r.returncode}"
              f"{' TRACEBACK' if traceback else ''}; points3d.npz "
              f"{'kept' if kept else 'untouched by the command' if untouched else 'CHANGED'}"
              f"\n      {last}")
    n = len(TRIES)
    full = _full_disk_try(base, work, exe)
    if full is not None:
        n += 1
        bad += not full
    n_marker, bad_marker = _marker_tries(work, exe)
    n += n_marker
    bad += bad_marker
    print(f"{n - bad} of {n} tries refused clearly (exit 1, no traceback, "
          "nothing replaced)")
    if not args.keep:
        shutil.rmtree(work)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
