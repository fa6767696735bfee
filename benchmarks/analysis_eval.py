"""Evaluation of mocaplab.analysis (issue 9). Prints tables; no assertions.

    MOCAPLAB_SHARED_DATA=../shared/data .venv/bin/python benchmarks/analysis_eval.py

1. walk.c3d (Kinetics Toolkit, Vicon, 100 Hz): every labelled event vs the combined method and
   Zeni alone (error in ms and frames); pelvis angles vs Vicon's L/RPelvisAngles (RMSE deg).
2. walk.c3d as mediapipe33 keypoints (mocaplab.synthetic.gait), with added noise and lower
   frame rates: event errors; pelvis obliquity/rotation vs Vicon.
3. Parametric synthetic walks: spatiotemporal errors at 30/60/100 fps, overground/treadmill.
4. Run time of analyze_file on walk.c3d.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

from mocaplab.analysis.events import detect_events
from mocaplab.analysis.inputs import AnalysisInput
from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.pipeline import analyze, analyze_file
from mocaplab.analysis.progression import progression
from mocaplab.marker_io import read_c3d
from mocaplab.synthetic.gait import mediapipe_from_markers, parametric_walk


def _match(found_times, truth):
    """found_times: (side, type) -> list of times; truth: [(side, type, t)] -> errors (s)."""
    errs = []
    for side, typ, t in truth:
        cand = found_times.get((side, typ), [])
        errs.append(min((c - t for c in cand), key=abs) if cand else np.nan)
    return np.array(errs)


def walk_events_and_pelvis(path: Path) -> None:
    t = read_c3d(path)
    lm = find_landmarks(t.points, t.labels, t.fps, t.first_frame)
    prog = progression(lm)
    truth = [(e.side, e.type, e.time_s) for e in t.events]
    rows = {}
    for method in ("combined", "zeni"):
        ev, _ = detect_events(lm, prog, method=method)
        sub, fr = {}, {}
        for e in ev:
            sub.setdefault((e.side, e.type), []).append((t.first_frame + e.index - 1) / t.fps)
            frame = t.first_frame + int(round(e.index))
            fr.setdefault((e.side, e.type), []).append((frame - 1) / t.fps)
        rows[method] = (_match(sub, truth), _match(fr, truth))
    print(f"\n## 1. Events on {path.name} ({t.fps:g} Hz, first frame {t.first_frame})\n")
    print("| event | labelled s | frame | combined err ms | combined err frames (integer frame)"
          " | Zeni err ms |")
    print("|---|---|---|---|---|---|")
    for i, e in enumerate(t.events):
        c_sub, c_fr = rows["combined"][0][i], rows["combined"][1][i]
        print(f"| {e.side} {e.type} | {e.time_s:.3f} | {e.frame} | {1000 * c_sub:+.1f} | "
              f"{int(round(c_fr * t.fps)):+d} | {1000 * rows['zeni'][0][i]:+.1f} |")
    for method in ("combined", "zeni"):
        sub, fr = rows[method]
        print(f"\n{method}: found {np.isfinite(sub).sum()}/{len(truth)}; sub-frame MAE "
              f"{1000 * np.nanmean(np.abs(sub)):.1f} ms, max {1000 * np.nanmax(np.abs(sub)):.1f}"
              f" ms ({np.nanmax(np.abs(sub)) * t.fps:.2f} frames); integer-frame MAE "
              f"{1000 * np.nanmean(np.abs(fr)):.1f} ms, max {np.nanmax(np.abs(fr)) * t.fps:.0f}"
              " frames")
    from mocaplab.analysis.angles import pelvis_angles

    pa = pelvis_angles(lm, prog)
    print("\n## Pelvis angles vs Vicon L/RPelvisAngles (RMSE, deg)\n")
    print("| side | tilt | obliquity | rotation |")
    print("|---|---|---|---|")
    for side, key in (("left", "LPelvisAngles"), ("right", "RPelvisAngles")):
        err = np.sqrt(np.nanmean((getattr(pa, side) - t.model_outputs[key]) ** 2, axis=0))
        print(f"| {side} | {err[0]:.2e} | {err[1]:.2e} | {err[2]:.2e} |")


def markerless_from_walk(path: Path, seed: int = 0) -> None:
    t = read_c3d(path)
    kp = mediapipe_from_markers(t.points, t.labels, t.fps)
    truth = [(e.side, e.type, e.time_s) for e in t.events]
    rng = np.random.default_rng(seed)
    print(f"\n## 2. {path.name} as mediapipe33 keypoints (hips = Harrington hip centres), "
          "noise = iid Gaussian per coordinate, seed 0\n")
    print("| fps | noise mm | events found | MAE ms | max ms | obliquity RMSE deg | "
          "rotation RMSE deg |")
    print("|---|---|---|---|---|---|---|")
    for step in (1, 2, 3):
        for sigma in (0.0, 0.003, 0.005, 0.010):
            pts = kp.points[::step] + rng.normal(0.0, sigma, kp.points[::step].shape)
            fps = t.fps / step
            m = analyze(AnalysisInput(pts, kp.keypoints, fps, 1, "mp", "points3d"))
            off = (t.first_frame - 1) / t.fps
            found: dict = {}
            for e in m["events"]:
                found.setdefault((e["side"], e["type"]), []).append(e["time_subframe_s"] + off)
            err = _match(found, truth)
            ok = np.isfinite(err) & (np.abs(err) < 0.1)
            pel = m["angles"]["pelvis"]["left"]
            vic = t.model_outputs["LPelvisAngles"][::step]
            rm = [np.sqrt(np.nanmean((np.array(pel[k], dtype=float) - vic[:, i]) ** 2))
                  for i, k in ((1, "obliquity"), (2, "rotation"))]
            print(f"| {fps:.1f} | {1000 * sigma:.0f} | {ok.sum()}/{len(truth)} | "
                  f"{1000 * np.mean(np.abs(err[ok])):.1f} | {1000 * np.max(np.abs(err[ok])):.1f}"
                  f" | {rm[0]:.2f} | {rm[1]:.2f} |")


def parametric() -> None:
    print("\n## 3. Parametric synthetic walks (markers; truth 110 steps/min, 1.2 m/s, stride "
          "1.309 m, width 0.12 m, stance 60 %)\n")
    print("| case | events MAE ms | cadence steps/min | speed m/s | stride m | step m | "
          "width m | stance % | DS % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, kw in (("overground 100 Hz", {}), ("overground 60 Hz", {"fps": 60.0}),
                     ("overground 30 Hz", {"fps": 30.0}),
                     ("walking -Y 100 Hz", {"heading_deg": -90.0}),
                     ("treadmill 100 Hz", {"treadmill": True})):
        w = parametric_walk(**kw)
        m = analyze(AnalysisInput(w.markers, w.marker_labels, w.fps, 1, "syn", "c3d"))
        found: dict = {}
        for e in m["events"]:
            found.setdefault((e["side"], e["type"]), []).append(e["time_subframe_s"])
        err = _match(found, list(w.events))
        o = m["spatiotemporal"]["overall"]
        print(f"| {name} | {1000 * np.nanmean(np.abs(err)):.1f} | "
              f"{o['cadence_steps_per_min']:.1f} | {o['speed_m_s']:.3f} | "
              f"{o['stride_length_m']:.3f} | {o['step_length_m']:.3f} | {o['step_width_m']:.3f}"
              f" | {o['stance_pct']:.1f} | {o['double_support_pct']:.1f} |")


def runtime(path: Path, repeats: int = 5) -> None:
    analyze_file(path)
    t0 = time.perf_counter()
    for _ in range(repeats):
        analyze_file(path)
    dt = (time.perf_counter() - t0) / repeats
    print(f"\n## 4. analyze_file({path.name}): {1000 * dt:.0f} ms per run "
          f"(mean of {repeats}; shared CPU)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data"))
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    walk = Path(args.data) / "kineticstoolkit_walk" / "walk.c3d"
    if walk.is_file():
        walk_events_and_pelvis(walk)
        markerless_from_walk(walk)
    else:
        print(f"{walk} not found: skipping the real-data evaluation (set MOCAPLAB_SHARED_DATA)")
    parametric()
    if walk.is_file():
        runtime(walk)


if __name__ == "__main__":
    main()
