"""Why saved points are more than 50 mm off, on the hard synthetic scenes of
``benchmarks/persons_eval.py`` (issue 18): a breakdown by cause. TUNING seeds only.

For every scene the subject's saved points (``points3d.npz``: smoothed, gaps bridged, points
the views do not vouch for left out) are compared with the truth. Every point > 50 mm off is
put in one cause, in this order:

- **bridged**: gap-filled (``n_views`` 0), no view of its own.
- **wrong views, triangulable**: at least one of the views the smoothing used for it holds
  something other than the keypoint (a left/right swap left unfixed, an outlier, the
  companion, the miscalibrated camera) while two views or more of the keypoint itself were at
  hand (under its own label or its counterpart's, in the subject's detection, not the bad
  camera): the truth would have been triangulable. Split by whether the wrong views are the
  majority of the views used ("consistent ghost": the views agree with each other) or a
  minority, and by what the first wrong view holds.
- **wrong views, not triangulable**: the same with fewer than two clean views at hand (the
  oracle could not triangulate it either: the completeness side of the trade-off).
- **right views**: every view used is the keypoint (noise, geometry, or the smoothing pulled by
  neighbours).

A view "holds the keypoint" when its observation is within 20 px (at 1000 px person height)
of the truth's projection; "swap" when within 20 px of the counterpart's.

Also per point: keypoint group, the run length of consecutive frames > 50 mm off (per
keypoint), and the per-scene totals, so that a cause concentrated in one scene shows.

Usage:
    nice -n 10 .venv/bin/python benchmarks/persons_breakdown.py [--seeds 500-509,...]
        [--save /tmp/breakdown.npz]
"""

from __future__ import annotations

import argparse
import collections
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from persons_eval import KINDS, TUNING_SEEDS, hip_centre, oracle  # noqa: E402

import mocaplab.triangulation.continuity as continuity  # noqa: E402
import mocaplab.triangulation.smoothing as smoothing  # noqa: E402
from mocaplab.keypoint_sets import MEDIAPIPE33  # noqa: E402
from mocaplab.keypoints.poses2d import Poses2D  # noqa: E402
from mocaplab.synthetic.hard_views import hard_scene  # noqa: E402
from mocaplab.triangulation import FilterOptions, filter_points  # noqa: E402
from mocaplab.triangulation.run import _swap_applied, triangulate_persons  # noqa: E402

TOL_PX = 20.0  # at 1000 px person height
GROUPS = {"face": range(0, 11), "shoulders/hips": (11, 12, 23, 24), "elbows": (13, 14),
          "wrists/hands": tuple(range(15, 23)), "knees": (25, 26), "ankles": (27, 28),
          "heels/toes": (29, 30, 31, 32)}
GROUP_OF = {k: g for g, ks in GROUPS.items() for k in ks}


def scene_arrays(seed: int, opt) -> dict:
    """Everything the breakdown needs of one scene (numpy arrays; see module doc)."""
    sc = hard_scene(seed, opt)
    poses = Poses2D(sc.points, sc.confidence, tuple(sc.cameras.names), MEDIAPIPE33.names, sc.fps)
    seen = []
    orig = smoothing.smooth_points

    def spy(Rt, xn, w, focal, inliers, X0, *a, **k):
        X, used = orig(Rt, xn, w, focal, inliers, X0, *a, **k)
        seen.append((X0, used))
        return X, used

    checks = []
    orig_check = continuity.unconfirmed_points

    def spy_check(*a, **k):
        checks.append(a)
        return orig_check(*a, **k)

    smoothing.smooth_points = spy
    continuity.unconfirmed_points = spy_check
    try:
        res = triangulate_persons(poses, sc.cameras, filtering=FilterOptions())
    finally:
        smoothing.smooth_points = orig
        continuity.unconfirmed_points = orig_check
    truth = sc.truth[0]
    dist = [np.nanmedian(np.linalg.norm(hip_centre(p.robust.points) - hip_centre(truth),
                                        axis=-1)) for p in res.persons]
    n = int(np.nanargmin(dist))
    p = res.persons[n]
    i = next(i for i, (X0, _) in enumerate(seen) if X0 is p.robust.points)
    used = seen[i][1]
    check_args = checks[i] if len(checks) == len(seen) else None
    mirror = MEDIAPIPE33.mirror
    pix = _swap_applied(p.pixels, p.robust.swapped, mirror)  # (C, F, K, 2) as used
    proj = sc.cameras.project(truth)  # (C, F, K, 2), nominal cameras
    height = np.nanmax(proj[..., 1], -1) - np.nanmin(proj[..., 1], -1)  # (C, F)
    scale = np.nan_to_num(height, nan=1000.0)[..., None] / 1000.0
    d_self = np.linalg.norm(pix - proj, axis=-1) / scale
    d_mirror = np.linalg.norm(pix - proj[:, :, mirror], axis=-1) / scale
    slots = res.association.slots[n]  # (C, F)
    companion = (slots >= 0) & (slots != sc.slot_of[0])
    C = len(sc.cameras)
    bad_cam = np.zeros((C, 1, 1), dtype=bool)
    if sc.bad_camera >= 0:
        bad_cam[sc.bad_camera] = True
    # what each view holds: 0 the keypoint, 1 swap, 2 outlier, 3 companion, 4 bad camera
    holds = np.where(d_self <= TOL_PX, 0, np.where(d_mirror <= TOL_PX, 1, 2))
    holds = np.where(companion[..., None], 3, holds)
    holds = np.where(bad_cam, 4, holds)
    # clean views at hand: the subject's own detection holds the keypoint under its own label
    # or its counterpart's (raw detections, before any swap fix), not the bad camera
    raw = p.pixels
    own = (~companion[..., None]) & ~bad_cam
    at_hand_self = np.linalg.norm(raw - proj, axis=-1) / scale <= TOL_PX
    at_hand_mirror = np.linalg.norm(raw[:, :, mirror] - proj, axis=-1) / scale <= TOL_PX
    n_at_hand = ((at_hand_self | at_hand_mirror) & own).sum(0)
    e = np.linalg.norm(p.points.points - truth, axis=-1) * 1000
    orc = oracle(sc)
    eo = np.linalg.norm(filter_points(orc, sc.fps, FilterOptions())[0] - truth, axis=-1) * 1000
    return {"seed": seed, "e": e, "eo": eo, "oracle_tri": np.isfinite(orc).all(-1),
            "n_views": p.points.n_views, "used": used, "holds": holds, "n_at_hand": n_at_hand,
            "pix": pix, "proj": proj, "scale": scale[..., 0], "bad_camera": sc.bad_camera,
            "left_out": p.left_out, "raw_self": at_hand_self & own,
            "raw_mirror": at_hand_mirror & own, "swapped": p.robust.swapped,
            "inliers": p.robust.inliers, "robust_points": p.robust.points, "truth": truth,
            "raw": p.pixels, "saved": p.points.points, "check_args": check_args}


def run_lengths(bad: np.ndarray) -> np.ndarray:
    """(F, K) int: for each True, the length of its run of consecutive True frames."""
    out = np.zeros(bad.shape, dtype=int)
    for k in range(bad.shape[1]):
        f = 0
        while f < bad.shape[0]:
            if bad[f, k]:
                g = f
                while g < bad.shape[0] and bad[g, k]:
                    g += 1
                out[f:g, k] = g - f
                f = g
            else:
                f += 1
    return out


HOLDS = ("keypoint", "swap", "outlier", "companion", "bad camera")


def causes(s: dict) -> list[dict]:
    """One row per saved point > 50 mm off."""
    e = s["e"]
    bad = np.nan_to_num(e, nan=0.0) > 50
    runs = run_lengths(bad)
    rows = []
    for f, k in zip(*np.nonzero(bad), strict=True):
        u = s["used"][:, f, k]
        h = s["holds"][:, f, k]
        nv = int(s["n_views"][f, k])
        n_used = int(u.sum())
        wrong = u & (h != 0)
        if nv == 0:
            cause = "bridged"
        elif not wrong.any():
            cause = "right views"
        else:
            tri = "triangulable" if s["n_at_hand"][f, k] >= 2 else "not triangulable"
            share = "majority" if wrong.sum() * 2 >= n_used else "minority"
            cause = f"wrong views, {tri}, {share}"
        first = HOLDS[int(h[wrong][0])] if wrong.any() else "-"
        rows.append({"seed": s["seed"], "f": int(f), "k": int(k), "cause": cause,
                     "holds": first, "n_used": n_used, "n_wrong": int(wrong.sum()),
                     "group": GROUP_OF[int(k)], "run": int(runs[f, k]),
                     "oracle_ok": bool(np.isfinite(s["eo"][f, k]) and s["eo"][f, k] <= 50),
                     "oracle_tri": bool(s["oracle_tri"][f, k]), "e": float(e[f, k])})
    return rows


def table(rows: list[dict], key, total: int, title: str) -> None:
    c = collections.Counter(key(r) for r in rows)
    print(f"  {title}")
    for v, n in sorted(c.items(), key=lambda t: -t[1]):
        print(f"    {str(v):48s} {n:6d}  {100 * n / max(len(rows), 1):5.1f} % of the off points,"
              f" {100 * n / total:.3f} % of saved")


def run_bucket(n: int) -> str:
    return ("1-2" if n <= 2 else "3-9" if n <= 9 else "10-29" if n <= 29 else "30-59"
            if n <= 59 else ">= 60")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default=None, help="'A-B[,C-D]' (default: persons_eval's tuning)")
    ap.add_argument("--save", type=Path, help="pickle the scenes' arrays and the rows here")
    args = ap.parse_args()
    seeds = TUNING_SEEDS if args.seeds is None else tuple(
        s for part in args.seeds.split(",")
        for s in range(int(part.split("-")[0]), int(part.split("-")[-1]) + 1))
    if set(seeds) - set(TUNING_SEEDS):
        print("refusing: seeds outside persons_eval's tuning seeds", file=sys.stderr)
        return 1
    allrows, scenes = {}, {}
    for kind, opt in KINDS.items():
        rows, saved = [], 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for seed in seeds:
                s = scene_arrays(seed, opt)
                scenes[(kind, seed)] = s
                saved += int(np.isfinite(s["e"]).sum())
                rows += causes(s)
        allrows[kind] = rows
        print(f"\n{kind}: {len(rows)} of {saved} saved points > 50 mm "
              f"({100 * len(rows) / saved:.2f} %), {len(seeds)} scenes")
        table(rows, lambda r: r["cause"], saved, "cause")
        table(rows, lambda r: (r["cause"].split(",")[0], r["holds"]), saved,
              "what the first wrong view holds")
        table(rows, lambda r: r["group"], saved, "keypoints")
        table(rows, lambda r: run_bucket(r["run"]), saved, "run of frames > 50 mm")
        table(rows, lambda r: f"{r['n_used']} views used", saved, "views used")
        table(rows, lambda r: ("oracle within 50 mm" if r["oracle_ok"] else
                               "oracle off too" if r["oracle_tri"] else
                               "oracle: < 2 clean views"), saved, "the oracle there")
        table(rows, lambda r: r["seed"], saved, "scenes")
    if args.save:
        with open(args.save, "wb") as fh:
            pickle.dump({"rows": allrows, "scenes": scenes}, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
