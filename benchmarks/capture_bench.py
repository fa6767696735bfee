"""Capture benchmarks: recording virtual cameras, and post-hoc sync on real video.

Usage (from the repository root)::

    .venv/bin/python benchmarks/capture_bench.py record [--cameras 4] [--seconds 10] [--fps 30]
    .venv/bin/python benchmarks/capture_bench.py sync [--data /work/shared/data] \
        [--model /work/shared/models/pose_landmarker_full.task] [--random 30] [--end-to-end 3] \
        [--max-lag 15] [--cache kp.npz]

``record``: N virtual cameras (synthetic 640x480 MJPG test videos played back in real time at
their fps) recorded for S seconds by :func:`mocaplab.capture.record`; prints frames, measured
fps and dropped frames per camera, CPU use, and how well the timestamps pair up across cameras
(spread of matched frames vs one frame period).

``sync``: the Pose2Sim Demo_SinglePerson videos (4 cameras, 60 fps, 100 frames, hardware
synchronised). 2D keypoints are detected once per video (``mocaplab.keypoints.detect_video``);
views are then shifted by known numbers of frames (every camera alone by 1..10 frames, and
random shifts of 0..10 frames for all cameras) and the offsets are recovered by keypoint motion
correlation alone and with the calibration's epipolar geometry. A recovery is *exact* when, for
every camera, the sub-frame offset found minus the sub-frame offset found on the unshifted
views is within half a frame of the applied shift (the shift, recovered as that difference and
rounded to whole frames, is the applied one); the largest error is printed. The videos' own
residual offsets are not known independently; they are printed, and a synthetic test with
half-frame offsets (simulated at 120 Hz) gives the absolute sub-frame accuracy.
``--end-to-end N`` also cuts N shifted copies of the real videos (re-encoded MJPG), imports them
with ``mocaplab.capture.import_videos`` and runs ``sync_trial`` on them: detection on the cut
videos, as a user would.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEMO = "pose2sim_demo_singleperson"
CALIB = "reference_S00_demo_commit_a948c205cf/S00_Calibration/Calib_qualisys.toml"


def bench_record(n_cameras: int, seconds: float, fps: float, size=(640, 480)) -> dict:
    from mocaplab.capture import match_timestamps, open_source, record
    from mocaplab.capture.testvideo import write_test_video

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n = int(seconds * fps) + int(fps)  # one spare second
        vids = [write_test_video(tmp / "src" / f"cam{i}.avi", n, fps, size, seed=i)
                for i in range(n_cameras)]
        sources = [open_source(v) for v in vids]
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        res = record(sources, tmp / "trial", duration=seconds, status=sys.stderr)
        wall = time.monotonic() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        m = match_timestamps(res.trial.read_timestamps())
        out = {"cameras": n_cameras, "seconds": seconds, "fps": fps, "size": list(size),
               "wall_s": round(wall, 2), "cpu_percent_of_one_core": round(100 * cpu / wall, 1),
               "per_camera": {c.name: {"frames": c.frames, "fps_measured": round(c.fps_measured, 3),
                                       "dropped": c.dropped} for c in res.cameras},
               "matched_instants": int(len(m.times)),
               "unmatched": {c: int(len(v)) for c, v in m.unmatched.items()},
               "spread_ms_median": round(1000 * float(np.median(m.spread)), 2),
               "spread_ms_max": round(1000 * float(m.spread.max()), 2),
               "frame_period_ms": round(1000 / fps, 2)}
    print(f"\nrecord: {n_cameras} virtual cameras, {seconds} s at {fps} fps, "
          f"{size[0]}x{size[1]} MJPG")
    print(f"{'camera':>8} {'frames':>7} {'fps':>8} {'dropped':>8}")
    for name, c in out["per_camera"].items():
        print(f"{name:>8} {c['frames']:>7} {c['fps_measured']:>8.3f} {c['dropped']:>8}")
    print(f"matched instants {out['matched_instants']}, unmatched {out['unmatched']}")
    print(f"spread of matched frames: median {out['spread_ms_median']} ms, max "
          f"{out['spread_ms_max']} ms (frame period {out['frame_period_ms']} ms)")
    print(f"wall {out['wall_s']} s, CPU {out['cpu_percent_of_one_core']} % of one core")
    return out


def _detect_all(videos, model, cache: Path | None):
    from mocaplab.capture.video_keypoints import detect_videos

    if cache is not None and cache.exists():
        z = np.load(cache)
        return z["points"], z["confidence"]
    pts, conf = detect_videos(videos, model)
    if cache is not None:
        np.savez(cache, points=pts, confidence=conf)
    return pts, conf


def _recovery(base, results, cases, n_single: int) -> dict:
    """How well the offsets of the shifted windows track the applied shifts.

    The error of camera c in one case is ``(sub-frame offset found) - (sub-frame offset on the
    unshifted views) - (applied shift of c - applied shift of the reference)``, in frames. A case
    is *exact* when every camera's error is below half a frame, i.e. the shift recovered as the
    difference of the two estimates, rounded to whole frames, is the applied shift. The
    whole-frame criterion (integer offsets found = integer base offsets + shift) is also given:
    it fails for a camera whose own residual offset lies half-way between two frames.
    """
    err, int_ok, conf = [], [], []
    for r, sh in zip(results, cases, strict=True):
        want = np.array(sh) - sh[0]
        err.append((r.offsets_subframe - base.offsets_subframe - want)[1:])
        int_ok.append(bool(np.all(r.offsets == base.offsets + want)))
        conf.append(r.confidence[1:])
    err, conf, int_ok = np.abs(err), np.array(conf), np.array(int_ok)
    ok_case = np.all(err < 0.5, axis=1)
    good = err < 0.5
    n = len(cases)
    return {"exact_single_camera": f"{int(ok_case[:n_single].sum())}/{n_single}",
            "exact_random_all_cameras": f"{int(ok_case[n_single:].sum())}/{n - n_single}",
            "whole_frame_exact": f"{int(int_ok.sum())}/{n}",
            "max_error_frames": np.round(err.max(0), 2).tolist(),
            "p95_error_frames": np.round(np.percentile(err, 95, axis=0), 2).tolist(),
            "camera_offsets_wrong": int((~good).sum()),
            "camera_offsets_wrong_with_confidence_ge_0.3": int(((~good) & (conf >= 0.3)).sum()),
            "camera_offsets_right_with_confidence_ge_0.3": f"{int((good & (conf >= 0.3)).sum())}"
                                                           f"/{int(good.sum())}",
            "median_confidence_right": round(float(np.median(conf[good])), 2)
            if good.any() else None,
            "max_confidence_wrong": round(float(conf[~good].max()), 2) if (~good).any() else None,
            "misses": [{"shift": list(sh), "error": np.round(e, 2).tolist()}
                       for sh, e, k in zip(cases, err, ok_case, strict=True) if not k][:10]}


def bench_sync(data: Path, model: Path, n_random: int, n_end_to_end: int,
               cache: Path | None, max_lag: int = 15) -> dict:
    from mocaplab.camera import CameraSet
    from mocaplab.capture import sync_keypoints

    vdir = data / DEMO / "videos"
    videos = sorted(vdir.glob("*.mp4"))
    cal = CameraSet.load(data / DEMO / CALIB)
    t0 = time.monotonic()
    pts, conf = _detect_all(videos, model, cache)
    t_detect = time.monotonic() - t0
    names = [v.stem for v in videos]
    C, F = pts.shape[:2]
    L = F - 10

    def run(shifts, calibration):
        p = np.stack([pts[c, s:s + L] for c, s in enumerate(shifts)])
        k = np.stack([conf[c, s:s + L] for c, s in enumerate(shifts)])
        return sync_keypoints(p, k, names, max_lag=max_lag, calibration=calibration)

    cases = [tuple(s if c == cam else 0 for c in range(C)) for cam in range(C)
             for s in range(1, 11)]
    rng = np.random.default_rng(0)
    cases += [tuple(int(x) for x in rng.integers(0, 11, C)) for _ in range(n_random)]
    out: dict = {"detect_s": round(t_detect, 1), "window_frames": L, "max_lag": max_lag}
    for label, calibration in (("correlation", None), ("epipolar", cal)):
        t1 = time.monotonic()
        base = run((0,) * C, calibration)
        results = [run(sh, calibration) for sh in cases]
        dt = (time.monotonic() - t1) / (len(cases) + 1)
        out[label] = {"base_offsets": base.offsets.tolist(),
                      "base_subframe": np.round(base.offsets_subframe, 2).tolist(),
                      "base_subframe_spread": np.round(base.subframe_spread, 2).tolist(),
                      "base_halves_subframe": base.details["halves_offsets_subframe"],
                      "base_confidence": np.round(base.confidence, 2).tolist(),
                      **_recovery(base, results, cases, 10 * C),
                      "seconds_per_sync": round(dt, 2)}
    out["synthetic_half_frame"] = _synthetic_half_frame(max_lag)
    if n_end_to_end:
        out["end_to_end"] = _end_to_end(videos, data / DEMO / CALIB, model, n_end_to_end,
                                        out["epipolar"]["base_subframe"], max_lag)
    print(f"\nsync: Pose2Sim demo, {C} cameras x {F} frames, windows of {L} frames, "
          f"max_lag {max_lag}, keypoints in {out['detect_s']} s")
    print(f"{'method':>12} {'base sub-frame':>28} {'single exact':>13} {'random exact':>13} "
          f"{'max err':>18} {'s/sync':>7}")
    for label in ("correlation", "epipolar"):
        o = out[label]
        print(f"{label:>12} {str(o['base_subframe']):>28} {o['exact_single_camera']:>13} "
              f"{o['exact_random_all_cameras']:>13} {str(o['max_error_frames']):>18} "
              f"{o['seconds_per_sync']:>7}")
        print(f"{'':>12} base spread {o['base_subframe_spread']}, whole-frame exact "
              f"{o['whole_frame_exact']}, wrong camera offsets {o['camera_offsets_wrong']} "
              f"(with confidence >= 0.3: {o['camera_offsets_wrong_with_confidence_ge_0.3']}), "
              f"right with confidence >= 0.3: {o['camera_offsets_right_with_confidence_ge_0.3']}")
    print("synthetic half-frame offsets, |sub-frame error| (frames):", out["synthetic_half_frame"])
    if "end_to_end" in out:
        print("end-to-end (cut videos, import, detect, sync):", out["end_to_end"]["summary"])
    return out


def _synthetic_half_frame(max_lag: int, n_sets: int = 4) -> dict:
    """Absolute sub-frame accuracy where the truth is known: a synthetic person (4 cameras,
    1.5 px noise, dropouts, outliers, left/right swaps) simulated at 120 Hz, each camera taking
    every 2nd sample from its own start, so that offsets are multiples of half a frame at 60 fps.
    """
    from mocaplab.capture import sync_keypoints
    from mocaplab.capture.testvideo import random_person_motion
    from mocaplab.keypoint_sets import MEDIAPIPE33
    from mocaplab.synthetic import camera_ring, project_motion

    cams = camera_ring(4)
    err: dict = {"correlation": [], "epipolar": []}
    rounded = []
    for seed in range(n_sets):
        obs = project_motion(cams, random_person_motion(400, 120.0, seed=seed), noise_px=1.5,
                             dropout=0.05, outliers=0.02, swaps=0.1, mirror=MEDIAPIPE33.mirror,
                             seed=seed)
        rng = np.random.default_rng(seed)
        for _ in range(3):
            start = rng.integers(0, 21, 4)
            p = np.stack([obs.points[c, s::2][:185] for c, s in enumerate(start)])
            k = np.stack([obs.confidence[c, s::2][:185] for c, s in enumerate(start)])
            want = (start - start[0]) / 2
            for label, cal in (("correlation", None), ("epipolar", cams)):
                r = sync_keypoints(p, k, max_lag=max_lag, calibration=cal)
                err[label] += np.abs(r.offsets_subframe - want)[1:].tolist()
                if cal is not None:
                    rounded += np.abs(r.offsets - want)[1:].tolist()
    out = {k: {"median": round(float(np.median(v)), 2), "max": round(float(np.max(v)), 2),
               "n": len(v)} for k, v in err.items()}
    out["epipolar_whole_frames"] = {"median": round(float(np.median(rounded)), 2),
                                    "max": round(float(np.max(rounded)), 2)}
    return out


def _end_to_end(videos, calibration, model, n, window_base, max_lag):
    """Cut shifted copies of the videos, import, detect and sync them as a user would.

    The reference offsets come from the same pipeline on unshifted cuts (re-encoding and a
    fresh detection change the keypoints slightly). Exact = the sub-frame difference rounds to
    the applied shift for every camera, as in the window test.
    """
    from mocaplab.capture import import_videos, sync_trial
    from mocaplab.capture.video_io import SafeVideoWriter, probe_video, read_frames

    def pipeline(shifts):
        with tempfile.TemporaryDirectory() as tmp:
            cut = []
            for v, s in zip(videos, shifts, strict=True):
                info = probe_video(v)
                dst = Path(tmp) / "cut" / f"{v.stem}.avi"
                with SafeVideoWriter(dst, info.fps, info.size) as w:
                    for _, frame in read_frames(v, s, s + info.frames - 10):
                        w.write(frame)
                cut.append(dst)
            trial = import_videos(cut, Path(tmp) / "trial", calibration=calibration)
            return sync_trial(trial, "keypoints", model_path=model, max_lag=max_lag)

    base = pipeline([0] * len(videos))
    rng = np.random.default_rng(1)
    rows, exact, cams_exact, whole = [], 0, 0, 0
    for _ in range(n):
        shifts = [int(x) for x in rng.integers(0, 11, len(videos))]
        r = pipeline(shifts)
        want = np.array(shifts) - shifts[0]
        err = r.offsets_subframe - base.offsets_subframe - want
        ok = np.abs(err) < 0.5
        exact += bool(ok.all())
        cams_exact += int(ok[1:].sum())
        whole += bool(np.all(r.offsets == base.offsets + want))
        rows.append({"shift": shifts, "found_subframe": np.round(r.offsets_subframe, 2).tolist(),
                     "error": np.round(err, 2).tolist(),
                     "confidence": np.round(r.confidence, 2).tolist()})
    return {"summary": f"{exact}/{n} exact ({cams_exact}/{n * (len(videos) - 1)} camera "
                       f"offsets; whole-frame criterion {whole}/{n}); base sub-frame "
                       f"{np.round(base.offsets_subframe, 2).tolist()} (window base "
                       f"{window_base})",
            "base_confidence": np.round(base.confidence, 2).tolist(),
            "base_spread": np.round(base.subframe_spread, 2).tolist(), "cases": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("record")
    r.add_argument("--cameras", type=int, default=4)
    r.add_argument("--seconds", type=float, default=10.0)
    r.add_argument("--fps", type=float, default=30.0)
    s = sub.add_parser("sync")
    s.add_argument("--data", type=Path,
                   default=Path(os.environ.get("MOCAPLAB_SHARED_DATA", "/work/shared/data")))
    s.add_argument("--model", type=Path, default=Path(os.environ.get(
        "MOCAPLAB_POSE_MODEL", "/work/shared/models/pose_landmarker_full.task")))
    s.add_argument("--random", type=int, default=30)
    s.add_argument("--end-to-end", type=int, default=0)
    s.add_argument("--max-lag", type=int, default=15,
                   help="search range, frames (shifts up to 10 + the demo's own ~3)")
    s.add_argument("--cache", type=Path, default=None,
                   help="npz to keep the detected keypoints between runs")
    for p in (r, s):
        p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    if args.what == "record":
        out = bench_record(args.cameras, args.seconds, args.fps)
    else:
        out = bench_sync(args.data, args.model, args.random, args.end_to_end, args.cache,
                         args.max_lag)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
