"""One accuracy table for the whole pipeline, from synthetic and real data.

    MOCAPLAB_SHARED_DATA=../shared/data .venv/bin/python benchmarks/evaluate.py [--quick]

Rows:
- calibration, synthetic: a 4-camera ring (mild distortion, off-centre principal points), board
  seen by at most two cameras at a time; errors of the worst camera against the truth, next to the
  limit (bundle adjustment started from the true cameras on the same detections).
- calibration, real: caliscope and sleap-anipose sessions; our reprojection RMS next to that of
  the reference calibration shipped with the data (same detections, board poses refitted).
- triangulation: walk.c3d markers in 4 and 8 virtual cameras with 1 px noise, 5 % dropouts, 3 %
  outliers and left/right swaps; median 3D error against the oracle that triangulates only the
  clean views.
- events: walk.c3d, every labelled event against ``mocaplab analyze`` (public metrics.json).
- angles: pelvis tilt/obliquity/rotation from ``mocaplab analyze`` against Vicon's
  L/RPelvisAngles stored in the same C3D.
Prints a Markdown table; no assertions (the tests hold those).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _shared() -> Path:
    value = os.environ.get("MOCAPLAB_SHARED_DATA")
    if not value:
        sys.exit("set MOCAPLAB_SHARED_DATA to ../shared/data (real data is needed for this table)")
    return Path(value)


def calibration_rows(shared: Path, quick: bool) -> list[tuple[str, str, str, str]]:
    import calibration_eval as ce

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        n = 6 if quick else 12
        r = ce.synthetic_scene("ring4-mild", n, n, Path(tmp), with_anipose=False)
    o, li = r["ours"], r["limit"]
    rows.append(("calibration (synthetic ring of 4)", "camera centre error, worst camera",
                 f"{o['centre_mm']:.2f} mm", f"limit {li['centre_mm']:.2f} mm"))
    rows.append(("", "rotation error", f"{o['rotation_deg']:.3f} deg",
                 f"limit {li['rotation_deg']:.3f} deg"))
    rows.append(("", "focal length error", f"{o['focal_pct']:.3f} %",
                 f"limit {li['focal_pct']:.3f} %"))
    rows.append(("", "true reprojection RMS", f"{o['true_rms_px']:.3f} px",
                 f"limit {li['true_rms_px']:.3f} px"))
    for real in ce.real_data(shared):
        rows.append((f"calibration ({real['data']})", "reprojection RMS, same detections",
                     f"{real['ours_rms_px']:.3f} px",
                     f"reference {real['reference_rms_px']:.3f} px"))
    return rows


def triangulation_rows(quick: bool) -> list[tuple[str, str, str, str]]:
    import triangulation_eval as te

    res = te.accuracy(seeds=1 if quick else 3)
    rows = []
    for name, r in res.items():
        rows.append((f"triangulation ({name})", "median 3D error before filtering",
                     f"{r['ours']['median_mm']:.2f} mm",
                     f"oracle {r['oracle']['median_mm']:.2f} mm"))
        rows.append(("", "90th percentile / points off > 50 mm",
                     f"{r['ours']['p90_mm']:.2f} mm / {r['pct_off_50mm']:.3f} %",
                     f"oracle {r['oracle']['p90_mm']:.2f} mm"))
        rows.append(("", "median after 6 Hz filter", f"{r['filtered']['median_mm']:.2f} mm",
                     f"oracle unfiltered {r['oracle']['median_mm']:.2f} mm"))
    return rows


def analysis_rows(shared: Path) -> list[tuple[str, str, str, str]]:
    from mocaplab.analysis import analyze_file
    from mocaplab.marker_io import read_c3d

    path = shared / "kineticstoolkit_walk" / "walk.c3d"
    trial = read_c3d(path)
    metrics = analyze_file(path)
    found = metrics["events"]
    errors = []
    for e in trial.events:
        same = [f["time_s"] for f in found if f["side"] == e.side and f["type"] == e.type]
        errors.append(min((t - e.time_s for t in same), key=abs) if same else np.nan)
    errors = np.array(errors)
    rows = [("events (walk.c3d, Vicon)", "labelled events found",
             f"{int(np.isfinite(errors).sum())}/{len(errors)}", "all"),
            ("", "mean absolute error / worst",
             f"{1000 * np.nanmean(np.abs(errors)):.1f} ms / "
             f"{np.nanmax(np.abs(errors)) * trial.fps:.1f} frames", "<= 10 ms / <= 2 frames")]
    pelvis = metrics["angles"]["pelvis"]
    for side, key in (("left", "LPelvisAngles"), ("right", "RPelvisAngles")):
        ours = np.array([[np.nan if v is None else v for v in pelvis[side][c]]
                         for c in ("tilt", "obliquity", "rotation")], dtype=float).T
        rmse = np.sqrt(np.nanmean((ours - trial.model_outputs[key]) ** 2, axis=0))
        rows.append((f"pelvis angles ({side}) vs Vicon", "RMSE tilt / obliquity / rotation",
                     " / ".join(f"{v:.2g}" for v in rmse) + " deg", "<= 0.5 deg each"))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer views and seeds")
    ap.add_argument("--skip", nargs="*", default=[], choices=("calibration", "triangulation",
                                                              "analysis"))
    args = ap.parse_args(argv)
    shared = _shared()
    rows: list[tuple[str, str, str, str]] = []
    timings = {}
    for name, fn in (("calibration", lambda: calibration_rows(shared, args.quick)),
                     ("triangulation", lambda: triangulation_rows(args.quick)),
                     ("analysis", lambda: analysis_rows(shared))):
        if name in args.skip:
            continue
        t0 = time.perf_counter()
        rows.extend(fn())
        timings[name] = time.perf_counter() - t0
    print("| what | measure | mocaplab | reference / target |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print("\n" + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
