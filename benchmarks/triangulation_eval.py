"""Evaluation and benchmark of mocaplab.triangulation (issue 5). Prints tables; writes JSON.

Synthetic views of REAL motion: the Plug-in Gait markers of the Kinetics Toolkit walking trial
(walk.c3d, 100 Hz) projected into 4 and 8 virtual cameras (a ring around the walking volume and a
gait-lab walkway layout) with 1 px noise, 5 % dropouts, 3 % gross outliers and left/right swaps in
5 % of the camera views. Compared with:

- an ORACLE that knows which observations are clean and triangulates only those (same solver);
- plain DLT of every view;
- aniposelib 0.8 ``CameraGroup.triangulate`` and ``triangulate_ransac`` (speed and accuracy).

Also: OpenCV's default undistortion vs ours near the image border (strong distortion), and the
real Pose2Sim demo (4 cameras, Qualisys calibration) with MediaPipe keypoints (median reprojection
error per keypoint).

Usage (the lead can rerun on a quiet machine):
    export MOCAPLAB_SHARED_DATA=/work/shared/data \
        MOCAPLAB_POSE_MODEL=/work/shared/models/pose_landmarker_full.task
    .venv/bin/python benchmarks/triangulation_eval.py [--seeds 5] [--out DIR]
        [--skip-aniposelib] [--skip-pose2sim] [--only pose2sim]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from mocaplab.camera import CameraSet
from mocaplab.keypoint_sets import PLUGIN_GAIT_NAMES, KeypointSet
from mocaplab.marker_io import read_c3d
from mocaplab.synthetic import (
    DISTORTION_STRONG,
    camera_ring,
    project_motion,
    walkway_cameras,
)
from mocaplab.triangulation import (
    FilterOptions,
    RobustOptions,
    filter_points,
    triangulate_points,
    triangulate_robust,
)
from mocaplab.triangulation.linear import (
    extrinsics,
    focal_lengths,
    normalized_observations,
    triangulate_weighted,
)

SHARED = Path(os.environ.get("MOCAPLAB_SHARED_DATA", "/work/shared/data"))
NOISE_PX, DROPOUT, OUTLIERS, SWAPS = 1.0, 0.05, 0.03, 0.05


# --- data ---------------------------------------------------------------------------------------
def walk_markers() -> tuple[np.ndarray, tuple[str, ...], float]:
    """(F, M, 3) metres of the physical Plug-in Gait markers of walk.c3d, walking along +X,
    centred on the origin of the floor."""
    trial = read_c3d(SHARED / "kineticstoolkit_walk" / "walk.c3d")
    keep = [i for i, lb in enumerate(trial.labels)
            if lb in PLUGIN_GAIT_NAMES or lb in ("LTHI2", "RTHI2")]
    labels = tuple(trial.labels[i] for i in keep)
    P = trial.points[:, keep]
    centre = np.nanmean(P.reshape(-1, 3), axis=0)
    centre[2] = 0.0
    P = P - centre
    # the trial progresses along +Y: turn it to +X so the walkway cameras face it
    P = np.stack([P[..., 1], -P[..., 0], P[..., 2]], axis=-1)
    return P, labels, trial.fps


def layouts() -> dict[str, CameraSet]:
    return {
        "ring4": camera_ring(4, radius=4.5),
        "ring8": camera_ring(8, radius=4.5),
        "walkway4": walkway_cameras(4),
        "walkway8": walkway_cameras(8),
    }


def oracle_points(cams: CameraSet, obs) -> np.ndarray:
    C, F, K, _ = obs.points.shape
    xn = normalized_observations(cams, obs.points).reshape(C, -1, 2)
    w = (obs.confidence * obs.clean).reshape(C, -1)
    return triangulate_weighted(extrinsics(cams), xn, w, focal_lengths(cams)).reshape(F, K, 3)


def _stats(err_mm: np.ndarray) -> dict:
    e = err_mm[np.isfinite(err_mm)]
    if not e.size:
        return {"n": 0}
    return {"n": int(e.size), "median_mm": float(np.median(e)),
            "p90_mm": float(np.percentile(e, 90)), "rms_mm": float(np.sqrt(np.mean(e**2))),
            "max_mm": float(e.max())}


# --- accuracy -----------------------------------------------------------------------------------
def accuracy(seeds: int, curves: dict | None = None) -> dict:
    """Accuracy table per layout; ``curves`` (if given) receives the error arrays per layout."""
    curves = {} if curves is None else curves
    P, labels, fps = walk_markers()
    mirror = KeypointSet("walk", labels).mirror
    out = {}
    for name, cams in layouts().items():
        acc: dict[str, list] = {k: [] for k in (
            "ours", "oracle", "plain", "ours_inj", "oracle_inj", "filt", "filt_oracle",
            "complete", "far", "far_no_temporal", "n_pts", "swaps_inj", "swaps_fixed", "thr",
            "time")}
        for seed in range(seeds):
            obs = project_motion(cams, P, noise_px=NOISE_PX, dropout=DROPOUT,
                                 outliers=OUTLIERS, swaps=SWAPS, mirror=mirror, seed=seed)
            t0 = time.perf_counter()
            res = triangulate_robust(cams, obs.points, obs.confidence, mirror)
            acc["time"].append(time.perf_counter() - t0)
            ref = oracle_points(cams, obs)
            plain = triangulate_points(cams, obs.points, obs.confidence)
            e = np.linalg.norm(res.points - P, axis=-1) * 1000
            e_ref = np.linalg.norm(ref - P, axis=-1) * 1000
            e_plain = np.linalg.norm(plain - P, axis=-1) * 1000
            has_ref = np.isfinite(e_ref)  # >= 2 clean views
            injected = (obs.outlier | obs.swapped).any(0) & has_ref
            filt, _ = filter_points(res.points, fps, FilterOptions(cutoff_hz=6.0))
            filt_ref, _ = filter_points(ref, fps, FilterOptions(cutoff_hz=6.0))
            acc["ours"].append(e[has_ref])
            acc["oracle"].append(e_ref[has_ref])
            acc["plain"].append(e_plain[has_ref])
            acc["ours_inj"].append(e[injected])
            acc["oracle_inj"].append(e_ref[injected])
            acc["filt"].append(np.linalg.norm(filt - P, axis=-1)[has_ref] * 1000)
            acc["filt_oracle"].append(np.linalg.norm(filt_ref - P, axis=-1)[has_ref] * 1000)
            acc["complete"].append(np.isfinite(e[has_ref]))
            acc["far"].append(e[np.isfinite(e)] > 50)
            res_nt = triangulate_robust(cams, obs.points, obs.confidence, mirror,
                                        RobustOptions(temporal=False))
            e_nt = np.linalg.norm(res_nt.points - P, axis=-1) * 1000
            acc["far_no_temporal"].append(e_nt[np.isfinite(e_nt)] > 50)
            acc["n_pts"].append(np.isfinite(e).sum())
            acc["swaps_inj"].append(obs.swapped.sum() // 2)
            acc["swaps_fixed"].append((res.swapped & obs.swapped).sum() // 2)
            acc["thr"].append(res.threshold_px)
        cat = {k: np.concatenate(v) for k, v in acc.items()
               if k in ("ours", "oracle", "plain", "ours_inj", "oracle_inj", "filt",
                        "filt_oracle", "complete", "far", "far_no_temporal")}
        curves[name] = {k: cat[k] for k in ("ours", "oracle", "plain", "filt")}
        o, r = _stats(cat["ours"]), _stats(cat["oracle"])
        oi, ri = _stats(cat["ours_inj"]), _stats(cat["oracle_inj"])
        out[name] = {
            "cameras": len(cams), "frames": P.shape[0], "markers": P.shape[1], "seeds": seeds,
            "ours": o, "oracle": r, "plain_dlt": _stats(cat["plain"]),
            "ours_injected": oi, "oracle_injected": ri,
            "filtered": _stats(cat["filt"]), "oracle_filtered": _stats(cat["filt_oracle"]),
            "median_ratio": o["median_mm"] / r["median_mm"],
            "p90_ratio": o["p90_mm"] / r["p90_mm"],
            "median_ratio_injected": oi["median_mm"] / ri["median_mm"],
            "p90_ratio_injected": oi["p90_mm"] / ri["p90_mm"],
            "pct_off_50mm": 100 * float(cat["far"].mean()),
            "pct_off_50mm_without_temporal_check": 100 * float(cat["far_no_temporal"].mean()),
            "completeness_pct": 100 * float(cat["complete"].mean()),
            "swaps_injected": int(np.sum(acc["swaps_inj"])),
            "swaps_fixed": int(np.sum(acc["swaps_fixed"])),
            "threshold_px": float(np.mean(acc["thr"])),
            "robust_time_s": float(np.median(acc["time"])),
        }
    return out


def save_figure(curves: dict, path: Path) -> None:
    """Cumulative distributions of the 3D error per layout: ours, oracle, plain DLT, filtered."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3.4), sharey=True)
    styles = {"oracle": ("oracle (clean views only)", "k", "--"), "ours": ("robust", "C0", "-"),
              "filt": ("robust + 6 Hz filter", "C2", "-"), "plain": ("plain DLT", "C3", ":")}
    for ax, (name, c) in zip(np.atleast_1d(axes), curves.items(), strict=True):
        for key, (label, color, ls) in styles.items():
            e = np.sort(c[key][np.isfinite(c[key])])
            ax.plot(e, np.arange(1, e.size + 1) / e.size, color=color, ls=ls, label=label)
        ax.set_xscale("log")
        ax.set_xlim(0.2, 300)
        ax.set_title(name)
        ax.set_xlabel("3D error, mm")
        ax.grid(True, which="both", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("fraction of points")
    np.atleast_1d(axes)[-1].legend(loc="lower right", fontsize=8)
    fig.suptitle("walk.c3d markers seen by virtual cameras: 1 px noise, 5 % dropouts, "
                 "3 % outliers, swaps", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_accuracy(res: dict) -> None:
    print("\nAccuracy on synthetic views of walk.c3d (1 px noise, 5 % dropouts, 3 % outliers, "
          "swaps in 5 % of views); 3D error in mm vs the C3D markers")
    hdr = (f"{'layout':9s} {'ours med':>8s} {'orac med':>8s} {'ratio':>6s} {'ours p90':>8s} "
           f"{'orac p90':>8s} {'ratio':>6s} | {'inj med':>7s} {'ratio':>6s} {'inj p90':>7s} "
           f"{'ratio':>6s} | {'>50mm%':>6s} {'compl%':>6s} | {'filt med':>8s} {'filt p90':>8s} "
           f"| {'orac filt':>9s} | {'plain p90':>9s} | swaps fixed")
    print(hdr)
    for name, r in res.items():
        print(f"{name:9s} {r['ours']['median_mm']:8.2f} {r['oracle']['median_mm']:8.2f} "
              f"{r['median_ratio']:6.3f} {r['ours']['p90_mm']:8.2f} {r['oracle']['p90_mm']:8.2f} "
              f"{r['p90_ratio']:6.3f} | {r['ours_injected']['median_mm']:7.2f} "
              f"{r['median_ratio_injected']:6.3f} {r['ours_injected']['p90_mm']:7.2f} "
              f"{r['p90_ratio_injected']:6.3f} | {r['pct_off_50mm']:6.3f} "
              f"{r['completeness_pct']:6.2f} | {r['filtered']['median_mm']:8.2f} "
              f"{r['filtered']['p90_mm']:8.2f} | {r['oracle_filtered']['median_mm']:9.2f} | "
              f"{r['plain_dlt']['p90_mm']:9.1f} | "
              f"{r['swaps_fixed']}/{r['swaps_injected']}")
    print("points off by > 50 mm without the temporal check of 2-view points: " + ", ".join(
        f"{name} {r['pct_off_50mm_without_temporal_check']:.3f} %" for name, r in res.items()))


# --- undistortion near the border ---------------------------------------------------------------
def border_check() -> dict:
    import cv2

    cams = camera_ring(4, distortion=DISTORTION_STRONG)
    cam = cams[0]
    w, h = cam.size
    u, v = np.meshgrid(np.linspace(5, w - 6, 40), np.linspace(5, h - 6, 24))
    px = np.stack([u.ravel(), v.ravel()], -1)
    border = (np.minimum.reduce([px[:, 0], w - 1 - px[:, 0], px[:, 1], h - 1 - px[:, 1]]) < 60)
    xn = cam.undistort_points(px)
    rays = np.c_[xn, np.ones(len(xn))] @ cam.rotation
    X = cam.center + 4.0 * rays / np.linalg.norm(rays, axis=1)[:, None]
    proj = cams.project(X)
    ours = triangulate_points(cams, proj)
    xd = np.stack([cv2.undistortPoints(proj[c].reshape(-1, 1, 2), cc.matrix,
                                       cc.distortion).reshape(-1, 2)
                   for c, cc in enumerate(cams)])
    plain = triangulate_weighted(extrinsics(cams), xd, np.isfinite(xd[..., 0]).astype(float),
                                 focal_lengths(cams), iterations=0)
    e_ours = np.linalg.norm(ours - X, axis=1) * 1000
    e_def = np.linalg.norm(plain - X, axis=1) * 1000
    px_def = np.linalg.norm(cam.distort_normalized(xd[0]) - proj[0], axis=1)
    return {"border_points": int(border.sum()),
            "ours_max_mm": float(np.nanmax(e_ours[border])),
            "default_max_mm": float(np.nanmax(e_def[border])),
            "default_median_mm_border": float(np.nanmedian(e_def[border])),
            "default_undistort_max_px": float(np.nanmax(px_def[border])),
            "default_centre_max_mm": float(np.nanmax(e_def[~border]))}


# --- speed --------------------------------------------------------------------------------------
def aniposelib_group(cams: CameraSet):
    from aniposelib.cameras import CameraGroup

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "calibration.toml"
        cams.save(path)
        return CameraGroup.load(str(path))


def speed(n_ransac: int) -> dict:
    import logging

    logging.getLogger("jax").setLevel(logging.ERROR)
    P, labels, fps = walk_markers()
    mirror = KeypointSet("walk", labels).mirror
    out = {}
    for name, cams in layouts().items():
        obs = project_motion(cams, P, noise_px=NOISE_PX, dropout=DROPOUT, outliers=OUTLIERS,
                             swaps=SWAPS, mirror=mirror, seed=100)
        C, F, K, _ = obs.points.shape
        flat = obs.points.reshape(C, -1, 2)
        truth = P.reshape(-1, 3)
        cg = aniposelib_group(cams)
        # plain, ours vs CameraGroup.triangulate: 5 noisy copies of the trial side by side
        # (~20k points, a 10 s trial of 33 keypoints at 60 fps); both warmed up (JAX compiles
        # on its first call)
        many = np.concatenate([project_motion(cams, P, noise_px=NOISE_PX, dropout=DROPOUT,
                                              outliers=OUTLIERS, swaps=SWAPS, mirror=mirror,
                                              seed=200 + s).points.reshape(C, -1, 2)
                               for s in range(5)], axis=1)
        many_truth = np.concatenate([truth] * 5)
        triangulate_points(cams, many[:, :50])
        cg.triangulate(many[:, :50], undistort=True)
        t_ours, t_ani = _best_times([partial(triangulate_points, cams, many),
                                     partial(cg.triangulate, many, undistort=True)], repeats=7)
        ours_plain = triangulate_points(cams, many)
        ani_plain = cg.triangulate(many, undistort=True)
        # robust: ours on the whole trial vs triangulate_ransac on a subset of points
        triangulate_robust(cams, obs.points, obs.confidence, mirror)
        (t_rob,) = _best_times([partial(triangulate_robust, cams, obs.points, obs.confidence,
                                        mirror)], repeats=5)
        res = triangulate_robust(cams, obs.points, obs.confidence, mirror)
        rng = np.random.default_rng(0)
        seen = np.isfinite(flat).all(-1).sum(0) >= 1  # ransac crashes on all-NaN points
        injected = (obs.outlier | obs.swapped).any(0).ravel() & seen
        # half of the subset has an injected outlier (the hard case), half is random
        idx = np.concatenate([
            rng.choice(np.flatnonzero(injected), n_ransac // 2, replace=False),
            rng.choice(np.flatnonzero(seen & ~injected), n_ransac - n_ransac // 2,
                       replace=False)])
        cg.triangulate_ransac(flat[:, idx[:10]], undistort=True)  # warm-up (JIT per subset size)
        t0 = time.perf_counter()
        ani_r = cg.triangulate_ransac(flat[:, idx], undistort=True)[0]
        t_ani_r = (time.perf_counter() - t0) / len(idx)
        e_ours_sub = np.linalg.norm(res.points.reshape(-1, 3)[idx] - truth[idx], axis=1) * 1000
        e_ani_sub = np.linalg.norm(ani_r - truth[idx], axis=1) * 1000
        n = F * K
        out[name] = {
            "points": n, "plain_points": int(many.shape[1]),
            "plain_ours_s": t_ours, "plain_aniposelib_s": t_ani,
            "plain_speedup": t_ani / t_ours,
            "plain_ours_median_mm": float(np.nanmedian(
                np.linalg.norm(ours_plain - many_truth, axis=1)) * 1000),
            "plain_aniposelib_median_mm": float(np.nanmedian(
                np.linalg.norm(ani_plain - many_truth, axis=1)) * 1000),
            "robust_ours_us_per_point": 1e6 * t_rob / n,
            "ransac_aniposelib_us_per_point": 1e6 * t_ani_r,
            "robust_speedup_per_point": t_ani_r / (t_rob / n),
            "ransac_subset": len(idx),
            "subset_ours": _stats(e_ours_sub), "subset_aniposelib": _stats(e_ani_sub),
            "subset_ours_completeness": float(np.isfinite(e_ours_sub).mean()),
            "subset_aniposelib_completeness": float(np.isfinite(e_ani_sub).mean()),
        }
    return out


def _best_times(fns, repeats: int = 5) -> list[float]:
    """Fastest of ``repeats`` runs of each function, the functions interleaved (fair under
    fluctuating load)."""
    best = [np.inf] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def print_speed(res: dict) -> None:
    print("\nSpeed (same run, same data, best of interleaved runs; walk.c3d markers; plain on 5 "
          "noisy copies of the trial, robust per point on one)")
    print(f"{'layout':9s} {'points':>6s} | {'ours plain':>10s} {'anipose':>9s} {'x':>6s} "
          f"{'med mm':>6s}/{'ani':<5s}| {'ours rob':>9s} {'ransac':>9s} {'x':>7s} | "
          f"subset: ours med/p90/max mm vs ransac")
    for name, r in res.items():
        so, sa = r["subset_ours"], r["subset_aniposelib"]
        print(f"{name:9s} {r['plain_points']:6d} | {1e3 * r['plain_ours_s']:8.1f}ms "
              f"{1e3 * r['plain_aniposelib_s']:7.1f}ms {r['plain_speedup']:6.1f} "
              f"{r['plain_ours_median_mm']:6.2f}/{r['plain_aniposelib_median_mm']:<5.2f}| "
              f"{r['robust_ours_us_per_point']:7.1f}us {r['ransac_aniposelib_us_per_point']:7.0f}us"
              f" {r['robust_speedup_per_point']:7.0f} | "
              f"{so['median_mm']:.2f}/{so['p90_mm']:.2f}/{so['max_mm']:.1f} vs "
              f"{sa['median_mm']:.2f}/{sa['p90_mm']:.2f}/{sa['max_mm']:.1f} "
              f"(n={r['ransac_subset']})")


# --- Pose2Sim demo with MediaPipe -----------------------------------------------------------------
def pose2sim(cache_dir: Path) -> dict:
    from mocaplab.calibration import load_calibration
    from mocaplab.keypoint_sets import MEDIAPIPE33
    from mocaplab.pose_data import Keypoints2D
    from mocaplab.triangulation import triangulate_keypoints

    demo = SHARED / "pose2sim_demo_singleperson"
    cal = demo / "reference_S00_demo_commit_a948c205cf" / "S00_Calibration" / "Calib_qualisys.toml"
    cache = cache_dir / "pose2sim_mediapipe_keypoints2d.npz"
    if cache.is_file():
        kp = Keypoints2D.load(cache)
    else:
        from mocaplab.keypoints import detect_video

        model = os.environ.get("MOCAPLAB_POSE_MODEL")
        names = ["cam01", "cam02", "cam03", "cam04"]
        pts, conf = [], []
        for n in names:
            t0 = time.perf_counter()
            p, c = detect_video(demo / "videos" / f"{n}.mp4", model)
            print(f"  MediaPipe on {n}: {len(p)} frames in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
            pts.append(p)
            conf.append(c)
        F = min(len(p) for p in pts)
        kp = Keypoints2D(np.stack([p[:F] for p in pts]), np.stack([c[:F] for c in conf]),
                         tuple(names), MEDIAPIPE33.names, 60.0)
        kp.save(cache)
    cams = load_calibration(cal)
    out = {}
    for label, opts in (("robust", None),
                        ("robust, 15 px threshold", RobustOptions(threshold_px=15.0)),
                        ("no swap fix", RobustOptions(fix_swaps=False))):
        t0 = time.perf_counter()
        pts3d, res, report = triangulate_keypoints(kp, cams, opts, filtering=None)
        dt = time.perf_counter() - t0
        err = res.reprojection_error
        per_kp = {name: (float(np.nanmedian(err[:, k])) if np.isfinite(err[:, k]).any() else None)
                  for k, name in enumerate(kp.keypoints)}
        out[label] = {"median_px": float(np.nanmedian(err)), "per_keypoint_median_px": per_kp,
                      "completeness": float(np.isfinite(res.points).all(-1).mean()),
                      "mean_views": float(res.n_views[res.n_views > 0].mean()),
                      "threshold_px": res.threshold_px, "swaps_fixed": report.swaps_fixed,
                      "views_dropped": report.views_dropped, "time_s": dt}
    # filtering at 60 fps, with and without constant bone lengths: bone-length spread
    from mocaplab.triangulation import FilterOptions, filter_points
    from mocaplab.triangulation.filtering import bone_lengths

    _, res, _ = triangulate_keypoints(kp, cams, None, filtering=None)
    edges = MEDIAPIPE33.edge_indices
    spread = {}
    for label, opt in (("raw", None), ("filtered", FilterOptions()),
                       ("filtered + bone lengths", FilterOptions(bone_lengths=True))):
        pts = res.points if opt is None else filter_points(res.points, kp.fps, opt, edges)[0]
        d = np.linalg.norm(pts[:, edges[:, 0]] - pts[:, edges[:, 1]], axis=-1)
        cv = np.nanstd(d, axis=0) / bone_lengths(pts, edges)
        spread[label] = float(100 * np.nanmedian(cv))
    out["bone_length_cv_pct"] = spread
    four = load_calibration(cal).subset(["cam_01", "cam_02", "cam_03", "cam_04"])
    plain = triangulate_points(four, kp.points, kp.confidence)
    proj = cams.project(plain)
    d = np.linalg.norm(proj - kp.points, axis=-1)
    out["plain DLT (all views)"] = {"median_px": float(np.nanmedian(np.nanmean(d, axis=0)))}
    return out


def print_pose2sim(res: dict) -> None:
    print("\nPose2Sim demo (4 real cameras, Qualisys calibration, MediaPipe 33 keypoints, "
          "100 frames at 60 fps): reprojection error, px")
    for label, r in res.items():
        if label == "bone_length_cv_pct":
            continue
        extra = ""
        if "completeness" in r:
            extra = (f"  completeness {100 * r['completeness']:.1f} %, mean views "
                     f"{r['mean_views']:.2f}, threshold {r['threshold_px']:.1f} px, "
                     f"{r['views_dropped']} views dropped, {r['swaps_fixed']} swaps fixed")
        print(f"  {label:24s} median {r['median_px']:.2f}{extra}")
    print("  bone-length spread (median over bones of std/median length, %): " + ", ".join(
        f"{k} {v:.1f}" for k, v in res["bone_length_cv_pct"].items()))
    per = res["robust"]["per_keypoint_median_px"]
    print("  per keypoint (robust, automatic threshold), median px:")
    items = [f"{k}={v:.1f}" if v is not None else f"{k}=n/a" for k, v in per.items()]
    for i in range(0, len(items), 6):
        print("    " + "  ".join(items[i:i + 6]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5, help="random repetitions per layout")
    ap.add_argument("--ransac-points", type=int, default=100,
                    help="points timed with aniposelib's triangulate_ransac per layout")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "mocaplab_tri_eval"))
    ap.add_argument("--figure", metavar="PNG", help="save the error distributions as a figure")
    ap.add_argument("--skip-aniposelib", action="store_true")
    ap.add_argument("--skip-pose2sim", action="store_true")
    ap.add_argument("--only", choices=("accuracy", "speed", "border", "pose2sim"))
    args = ap.parse_args()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    if args.only in (None, "border"):
        results["border"] = border_check()
        b = results["border"]
        print(f"\nStrong distortion, noise-free points seen near the image border "
              f"({b['border_points']} points): DLT after OpenCV's default undistortPoints is off "
              f"by up to {b['default_max_mm']:.2f} mm (median {b['default_median_mm_border']:.2f} "
              f"mm, undistortion error up to {b['default_undistort_max_px']:.2f} px); ours "
              f"{b['ours_max_mm']:.1e} mm")
    if args.only in (None, "accuracy"):
        curves: dict = {}
        results["accuracy"] = accuracy(args.seeds, curves)
        print_accuracy(results["accuracy"])
        if args.figure:
            save_figure(curves, Path(args.figure))
            print(f"figure written to {args.figure}")
    if args.only in (None, "speed") and not args.skip_aniposelib:
        results["speed"] = speed(args.ransac_points)
        print_speed(results["speed"])
    if args.only in (None, "pose2sim") and not args.skip_pose2sim:
        try:
            results["pose2sim"] = pose2sim(out_dir)
            print_pose2sim(results["pose2sim"])
        except Exception as exc:  # report and keep the other results
            print(f"\nPose2Sim demo not evaluated: {exc}")
    path = out_dir / "triangulation_eval.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nresults written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
