"""Capture benchmarks: recording virtual cameras, and post-hoc sync on real video.

Usage (from the repository root)::

    .venv/bin/python benchmarks/capture_bench.py record [--cameras 4] [--seconds 10] [--fps 30]
    .venv/bin/python benchmarks/capture_bench.py sync [--data /work/shared/data] \
        [--model /work/shared/models/pose_landmarker_full.task] [--random 30] [--end-to-end 3]

``record``: N virtual cameras (synthetic 640x480 MJPG test videos played back in real time at
their fps) recorded for S seconds by :func:`mocaplab.capture.record`; prints frames, measured
fps and dropped frames per camera, CPU use, and how well the timestamps pair up across cameras
(spread of matched frames vs one frame period).

``sync``: the Pose2Sim Demo_SinglePerson videos (4 cameras, 60 fps, 100 frames, hardware
synchronised). 2D keypoints are detected once per video (``mocaplab.keypoints.detect_video``);
views are then shifted by known numbers of frames (every camera alone by 1..10 frames, and
random shifts of 0..10 frames for all cameras) and the offsets are recovered by keypoint motion
correlation alone and with the calibration's epipolar geometry. A recovery is *exact* when the
offsets found equal the offsets found on the unshifted views plus the applied shift (the videos'
own residual offsets are not known independently; they are printed). ``--end-to-end N`` also
cuts N shifted copies of the real videos (re-encoded MJPG), imports them with ``mocaplab.capture
.import_videos`` and runs ``sync_trial`` on them: detection on the cut videos, as a user would.
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


def bench_sync(data: Path, model: Path, n_random: int, n_end_to_end: int,
               cache: Path | None) -> dict:
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
        return sync_keypoints(p, k, names, max_lag=12, calibration=calibration)

    cases = [tuple(s if c == cam else 0 for c in range(C)) for cam in range(C)
             for s in range(1, 11)]
    rng = np.random.default_rng(0)
    cases += [tuple(int(x) for x in rng.integers(0, 11, C)) for _ in range(n_random)]
    out: dict = {"detect_s": round(t_detect, 1), "window_frames": L}
    for label, calibration in (("correlation", None), ("epipolar", cal)):
        t1 = time.monotonic()
        base = run((0,) * C, calibration)
        exact_single = exact_random = 0
        conf_ok, conf_bad, misses = [], [], []
        for n, sh in enumerate(cases):
            r = run(sh, calibration)
            want = base.offsets + np.array(sh) - sh[0]
            ok = bool(np.all(r.offsets == want))
            if n < 10 * C:
                exact_single += ok
            else:
                exact_random += ok
            (conf_ok if ok else conf_bad).append(float(r.confidence[1:].min()))
            if not ok:
                misses.append({"shift": list(sh), "error": (r.offsets - want).tolist()})
        dt = (time.monotonic() - t1) / (len(cases) + 1)
        out[label] = {"base_offsets": base.offsets.tolist(),
                      "base_subframe": np.round(base.offsets_subframe, 2).tolist(),
                      "base_confidence": np.round(base.confidence, 2).tolist(),
                      "exact_single_camera": f"{exact_single}/{10 * C}",
                      "exact_random_all_cameras": f"{exact_random}/{n_random}",
                      "min_confidence_when_exact": round(min(conf_ok), 2) if conf_ok else None,
                      "median_confidence_when_wrong": round(float(np.median(conf_bad)), 2)
                      if conf_bad else None,
                      "seconds_per_sync": round(dt, 2), "misses": misses[:10]}
    if n_end_to_end:
        out["end_to_end"] = _end_to_end(videos, data / DEMO / CALIB, model, n_end_to_end,
                                        out["epipolar"]["base_offsets"])
    print(f"\nsync: Pose2Sim demo, {C} cameras x {F} frames, windows of {L} frames, "
          f"keypoints in {out['detect_s']} s")
    print(f"{'method':>12} {'base offsets':>16} {'single-cam exact':>17} "
          f"{'random exact':>13} {'s/sync':>7}")
    for label in ("correlation", "epipolar"):
        o = out[label]
        print(f"{label:>12} {str(o['base_offsets']):>16} {o['exact_single_camera']:>17} "
              f"{o['exact_random_all_cameras']:>13} {o['seconds_per_sync']:>7}")
    if "end_to_end" in out:
        print("end-to-end (cut videos, import, detect, sync):", out["end_to_end"]["summary"])
    return out


def _end_to_end(videos, calibration, model, n, window_base):
    """Cut shifted copies of the videos, import, detect and sync them as a user would.

    The reference offsets come from the same pipeline on unshifted cuts (re-encoding and a
    fresh detection change the keypoints slightly, which can move a camera whose own residual
    offset lies near half a frame, as cam03's does, to the neighbouring frame).
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
            return sync_trial(trial, "keypoints", model_path=model, max_lag=12)

    base = pipeline([0] * len(videos))
    rng = np.random.default_rng(1)
    rows, exact, cams_exact = [], 0, 0
    for _ in range(n):
        shifts = [int(x) for x in rng.integers(0, 11, len(videos))]
        r = pipeline(shifts)
        want = base.offsets + np.array(shifts) - shifts[0]
        ok = r.offsets == want
        exact += bool(ok.all())
        cams_exact += int(ok[1:].sum())
        rows.append({"shift": shifts, "found": r.offsets.tolist(), "expected": want.tolist(),
                     "confidence": np.round(r.confidence, 2).tolist()})
    return {"summary": f"{exact}/{n} exact ({cams_exact}/{n * (len(videos) - 1)} camera "
                       f"offsets); base {base.offsets.tolist()} (window base {window_base})",
            "base_subframe": np.round(base.offsets_subframe, 2).tolist(), "cases": rows}


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
    s.add_argument("--cache", type=Path, default=None,
                   help="npz to keep the detected keypoints between runs")
    for p in (r, s):
        p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    if args.what == "record":
        out = bench_record(args.cameras, args.seconds, args.fps)
    else:
        out = bench_sync(args.data, args.model, args.random, args.end_to_end, args.cache)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
