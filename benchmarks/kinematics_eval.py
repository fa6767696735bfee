"""Kinematics evaluation against Vicon's own Plug-in Gait outputs.

    MOCAPLAB_SHARED_DATA=/work/shared/data .venv/bin/python benchmarks/kinematics_eval.py \
        [--markerless] [--marker-diameter MM]

1. From markers: our Plug-in Gait lower limb (analysis/lower_limb.py) on every trial with Vicon
   lower-limb outputs, RMSE per component (deg) against L/R Hip, Knee, Ankle (X, Y, Z) and
   FootProgress (Z) angles over the frames where both exist.
2. ``--markerless``: the chain a perfect markerless detector would feed (see
   :func:`markerless_rows`).

The tune / held-out split was fixed before any held-out trial was looked at (TUNE below: the
model's conventions were read off these two; everything else is reported apart, never tuned on).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from mocaplab.analysis import lower_limb as ll
from mocaplab.analysis import subject as subj
from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.progression import progression
from mocaplab.marker_io import read_c3d

#: Trials with Vicon lower-limb outputs: relative path -> "tune" or "held-out".
#: Not used: btkdata/Analysis.c3d (no marker trajectories), btkdata/parameterOverflow.c3d (all
#: marker samples zero).
TRIALS = {
    "kineticstoolkit_walk/walk.c3d": "tune",
    "gait_marker_corpus/btkdata/PiG_Motion-FlatFoot-Full.c3d": "tune",
    "gait_marker_corpus/btkdata/PiG_Motion-FlatFoot-One.c3d": "held-out",
    "gait_marker_corpus/btkdata/PiG_Motion-FlatFoot-Hole.c3d": "held-out",
    "gait_marker_corpus/btkdata/PiG_Motion3_FF.c3d": "held-out",
    "gait_marker_corpus/btkdata/PiG_Calibration3_FF.c3d": "held-out",
    "gait_marker_corpus/btkdata/FunctionalWalk.c3d": "held-out",
    "gait_marker_corpus/btkdata/c3dorg_sample04_sub_labels.c3d": "held-out",
}
COMPONENTS = [(j, c) for j in ("hip", "knee", "ankle") for c in range(3)] + [
    ("foot_progression", 2)]


def vicon_output(outputs: dict, side: str, joint: str) -> np.ndarray | None:
    """(F, 3) Vicon output of ``joint`` for ``side`` (also the V-suffixed names), or None."""
    name = side[0].upper() + ll.VICON_NAMES[joint]
    for key in (name, name + "V"):
        if key in outputs:
            return np.asarray(outputs[key], dtype=float)
    return None


def rmse(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    d = (a - b + 180.0) % 360.0 - 180.0
    ok = np.isfinite(d)
    return (float(np.sqrt(np.mean(d[ok] ** 2))) if ok.any() else float("nan")), int(ok.sum())


def from_markers(path: Path, marker_diameter_mm: float | None = None,
                 file_centres: bool = False) -> dict:
    """Our angles from the markers of ``path`` vs the file's outputs: {(joint, side, comp):
    (rmse deg, n frames)}, plus the measurement warnings. ``file_centres``: use the file's own
    knee/ankle joint-centre points (LKJC...) instead of the chord function."""
    mt = read_c3d(path)
    overrides = {"marker_diameter_mm": marker_diameter_mm} if marker_diameter_mm else {}
    m, warns = subj.measurements_for(subj.read_processing(path), overrides=overrides)
    lm = find_landmarks(mt.points, mt.labels, mt.fps, mt.first_frame)
    markers = ll.pig_markers(mt.points, mt.labels, lm.up_axis)
    if file_centres:
        for name in ("LKJC", "RKJC", "LAJC", "RAJC"):
            if name in mt.labels:
                markers[name] = mt.points[:, mt.labels.index(name)]
    model = ll.lower_limb(markers, m, unit_mm=1000.0)
    prog = progression(lm)
    rot = prog.rotation
    if not prog.passes:  # a static trial: Plug-in Gait uses the lab axis the pelvis faces
        rot = static_progression(model.frames["pelvis"])
    ours = ll.joint_angles(model, rot)
    out = {}
    for joint, comp in COMPONENTS:
        for side in ll.SIDES:
            ref = vicon_output(mt.model_outputs, side, joint)
            if ref is None:
                continue
            mine = ours[joint][side]
            col = mine[:, 0] if joint == "foot_progression" else mine[:, comp]
            out[(joint, side, comp)] = rmse(col, ref[:, comp])
    return {"rmse": out, "warnings": warns + list(model.notes), "complete": m.complete}


def static_progression(pelvis: np.ndarray) -> np.ndarray:
    """(F, 3, 3) progression frame along the lab axis nearest the mean pelvis forward axis."""
    fwd = np.nanmean(pelvis[:, :, 0], axis=0)
    fwd[2] = 0
    axes = np.array([[1.0, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]])
    f = axes[int(np.argmax(axes @ fwd))]
    frame = np.stack([f, np.cross([0.0, 0, 1], f), [0.0, 0, 1]], axis=-1)
    return np.broadcast_to(frame, pelvis.shape).copy()


def print_markers_table(root: Path, marker_diameter_mm: float | None) -> None:
    label = f"{marker_diameter_mm:g} mm" if marker_diameter_mm else "file / default 14 mm"
    print(f"\n## From markers: RMSE (deg) vs Vicon, marker diameter {label}")
    head = "trial | split | meas. | " + " | ".join(
        f"{j[:4]}{'XYZ'[c]}" for j, c in COMPONENTS) + " | max"
    print(head)
    rows = [(rel, split, False) for rel, split in TRIALS.items()]
    rows.insert(1, ("kineticstoolkit_walk/walk.c3d", "tune", True))
    for rel, split, centres in rows:
        path = root / rel
        if not path.is_file():
            print(f"{rel} | {split} | missing")
            continue
        res = from_markers(path, marker_diameter_mm, centres)
        vals = []
        for joint, comp in COMPONENTS:
            per_side = [res["rmse"].get((joint, s, comp), (np.nan, 0))[0] for s in ll.SIDES]
            vals.append(max(per_side) if np.isfinite(per_side).any() else np.nan)
        cells = " | ".join("-" if not np.isfinite(v) else f"{v:.2f}" for v in vals)
        worst = np.nanmax(vals) if np.isfinite(vals).any() else np.nan
        name = Path(rel).name + (" (file's KJC/AJC)" if centres else "")
        print(f"{name} | {split} | {'file' if res['complete'] else 'default'} | "
              f"{cells} | {worst:.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("MOCAPLAB_SHARED_DATA"))
    ap.add_argument("--markerless", action="store_true")
    ap.add_argument("--marker-diameter", type=float, action="append",
                    help="also tabulate with this marker diameter (mm) for every trial")
    args = ap.parse_args(argv)
    if not args.data:
        print("set MOCAPLAB_SHARED_DATA or --data", file=sys.stderr)
        return 2
    root = Path(args.data)
    print_markers_table(root, None)
    print("(per component: the worse of left and right; 'meas.': subject measurements in the "
          "file or defaulted)")
    for diameter in args.marker_diameter or ():
        print_markers_table(root, diameter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
