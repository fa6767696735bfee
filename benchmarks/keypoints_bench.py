"""Keypoints benchmark: parallel detect_trial vs a single-process loop, and detection rate.

Runs, side by side in one process and alternating their order on each repeat:

- ``single``: one process, one thread: for each camera, decode a frame, run the MediaPipe
  landmarker, repeat (a fresh landmarker per camera, as VIDEO mode needs);
- ``parallel``: :func:`mocaplab.keypoints.detect_trial` with N lanes (this process and N - 1
  spawned worker processes) and overlapped decoding, end to end (worker start-up, model
  hashing, writing keypoints2d.npz).

Both process the same frames. Two ways of timing them:

- ``warm`` (strict): both run inside this process, which has already imported OpenCV and
  MediaPipe, so the single loop pays no start-up while the parallel run pays for starting its
  worker processes and importing MediaPipe in each;
- ``cold`` (what a user waits for): each run is a fresh ``python`` process timed from outside,
  start-up and imports included on both sides.

Prints wall time and milliseconds per frame of each run, their medians, the speed-up (median
single / median parallel) and, from the parallel output, the fraction of frames of every camera
in which a person was found.

The CPU may be shared: the load average before and after is printed so a busy machine shows.
Quiet rerun (nothing else running)::

    MOCAPLAB_SHARED_DATA=../shared/data \\
    MOCAPLAB_POSE_MODEL=../shared/models/pose_landmarker_full.task \\
    .venv/bin/python benchmarks/keypoints_bench.py --repeats 5 --mode both
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def single_process_loop(videos: dict[str, Path], model: str, max_frames: int | None
                        ) -> tuple[float, int, list[float]]:
    """(wall seconds, frames, per-frame seconds) of the plain loop."""
    from mocaplab.keypoints.mediapipe_pose import MediaPipePoseDetector

    det = MediaPipePoseDetector(model, overlap_decoding=False)
    per_frame: list[float] = []
    n = 0
    t0 = time.perf_counter()
    for video in videos.values():
        last = [time.perf_counter()]

        def tick(_i, last=last):
            now = time.perf_counter()
            per_frame.append(now - last[0])
            last[0] = now

        n += det.detect(video, max_frames=max_frames, on_frame=tick).n_frames
    return time.perf_counter() - t0, n, per_frame


def parallel_run(trial: Path, model: str, workers: int, max_frames: int | None
                 ) -> tuple[float, int, dict[str, float]]:
    """(wall seconds, frames, camera -> detection rate) of detect_trial, with one pose per view
    (``num_poses`` 1, as the single-process loop: the comparison is of the same work; the
    default of 2 poses per view costs more per frame)."""
    from mocaplab.keypoints import detect_trial
    from mocaplab.pose_data import Keypoints2D

    t0 = time.perf_counter()
    out = detect_trial(trial, model_path=model, workers=workers, force=True, progress=False,
                       max_frames=max_frames, num_poses=1)
    wall = time.perf_counter() - t0
    _wait_for_children()
    kp = Keypoints2D.load(out)
    found = np.isfinite(kp.points).all(-1).any(-1).mean(axis=1)
    return wall, int(kp.shape[0] * kp.shape[1]), dict(zip(kp.cameras, found.tolist(),
                                                            strict=True))


def _wait_for_children(timeout: float = 30.0) -> None:
    """Untimed: let detect_trial's worker processes finish exiting (it returns without waiting
    for them), so that their teardown does not overlap the next measurement."""
    import multiprocessing

    end = time.monotonic() + timeout
    while multiprocessing.active_children() and time.monotonic() < end:
        time.sleep(0.02)


def cold_run(kind: str, args, trial: Path) -> tuple[float, int, dict[str, float]]:
    """Run one measurement in a fresh interpreter; wall time measured from here."""
    cmd = [sys.executable, __file__, "--child", kind, "--videos", str(args.videos),
           "--model", args.model, "--workers", str(args.workers), "--trial", str(trial)]
    if args.max_frames:
        cmd += ["--max-frames", str(args.max_frames)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, out["frames"], out["rates"]


def child(args) -> int:
    """The body of a cold run: print {"frames", "rates"} as JSON on the last line."""
    from mocaplab.trial import Trial

    if args.child == "single":
        _, n, _ = single_process_loop(Trial(args.trial).video_paths(), args.model,
                                      args.max_frames)
        rates: dict[str, float] = {}
    else:
        _, n, rates = parallel_run(args.trial, args.model, args.workers, args.max_frames)
    print(json.dumps({"frames": n, "rates": rates}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data")
    parser.add_argument("--videos", type=Path,
                        default=Path(shared) / "pose2sim_demo_singleperson" / "videos")
    parser.add_argument("--model", default=os.environ.get("MOCAPLAB_POSE_MODEL"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--mode", choices=("warm", "cold", "both"), default="both")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", choices=("single", "parallel"), help=argparse.SUPPRESS)
    parser.add_argument("--trial", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    from mocaplab.keypoints import resolve_model
    from mocaplab.trial import Trial

    args.model = str(resolve_model(args.model))
    modes = ("warm", "cold") if args.mode == "both" else (args.mode,)
    if "warm" in modes:
        import cv2  # noqa: F401  (warm: the single loop does not pay the imports)
        import mediapipe  # noqa: F401

    report: dict = {"loadavg_before": os.getloadavg(), "cpu_count": os.cpu_count(),
                    "workers": args.workers}
    ok = True
    with tempfile.TemporaryDirectory(prefix="kp_bench_") as tmp:
        trial = Path(tmp) / "trial"
        trial.mkdir()
        (trial / "videos").symlink_to(args.videos.resolve())
        videos = Trial(trial).video_paths()
        for mode in modes:
            rows = []
            rates: dict[str, float] = {}
            for r in range(args.repeats):
                order = ("single", "parallel") if r % 2 == 0 else ("parallel", "single")
                for kind in order:
                    cpu0 = _cpu_seconds()
                    if mode == "cold":
                        wall, n, got = cold_run(kind, args, trial)
                    elif kind == "single":
                        wall, n, _ = single_process_loop(videos, args.model, args.max_frames)
                        got = {}
                    else:
                        wall, n, got = parallel_run(trial, args.model, args.workers,
                                                    args.max_frames)
                    cpu = _cpu_seconds() - cpu0
                    rates = got or rates
                    rows.append({"repeat": r, "kind": kind, "wall_s": wall, "frames": n,
                                 "ms_per_frame": 1000 * wall / n, "cpu_s": cpu,
                                 "cpu_ms_per_frame": 1000 * cpu / n})
                    print(f"{mode} repeat {r} {kind:8s} {wall:6.2f} s  {n} frames  "
                          f"{1000 * wall / n:6.1f} ms/frame  (CPU {1000 * cpu / n:5.1f} ms/frame)"
                          f"  load {os.getloadavg()[0]:.1f}", flush=True)
            ok &= summarize(mode, rows, rates, args.workers, report)
    report["loadavg_after"] = os.getloadavg()
    print(f"load average before {report['loadavg_before'][0]:.2f}, after "
          f"{report['loadavg_after'][0]:.2f} on {os.cpu_count()} cores (above ~0.5 means other "
          "work shared the CPU: the speed-up is then not the machine's)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if ok else 1


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished child processes."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def summarize(mode: str, rows: list[dict], rates: dict[str, float], workers: int,
              report: dict) -> bool:
    single = [x["ms_per_frame"] for x in rows if x["kind"] == "single"]
    parallel = [x["ms_per_frame"] for x in rows if x["kind"] == "parallel"]
    med_s, med_p = statistics.median(single), statistics.median(parallel)
    speedup = med_s / med_p
    pairs = [s / p for s, p in zip(single, parallel, strict=True)]
    print(f"\n[{mode}] | run | median ms/frame (wall / frames) |")
    print("|---|---|")
    print(f"| single process, one loop | {med_s:.1f} |")
    print(f"| detect_trial, {workers} lanes + overlapped decoding | {med_p:.1f} |")
    cpu_s = statistics.median(x["cpu_ms_per_frame"] for x in rows if x["kind"] == "single")
    cpu_p = statistics.median(x["cpu_ms_per_frame"] for x in rows if x["kind"] == "parallel")
    n_cpu = os.cpu_count() or 1
    ceiling = n_cpu * med_s / cpu_p
    print(f"[{mode}] CPU time per frame (all processes): single {cpu_s:.1f} ms "
          f"({cpu_s / med_s:.2f} cores), parallel {cpu_p:.1f} ms; the parallel run cannot take "
          f"less wall time than its CPU time / {n_cpu} cores, so with this CPU per frame the "
          f"speed-up cannot exceed {n_cpu} x {med_s:.1f} / {cpu_p:.1f} = {ceiling:.2f}x")
    print(f"[{mode}] speed-up (median single / median parallel): {speedup:.2f}x  "
          f"(per repeat: {', '.join(f'{p:.2f}' for p in pairs)}; target >= 1.7x)")
    print(f"[{mode}] person found: " +
          ", ".join(f"{c} {100 * v:.1f} %" for c, v in rates.items()) + "  (target >= 95 %)\n")
    report[mode] = {"rows": rows, "median_ms_per_frame": {"single": med_s, "parallel": med_p},
                    "median_cpu_ms_per_frame": {"single": cpu_s, "parallel": cpu_p},
                    "cpu_bound_speedup": ceiling,
                    "speedup": speedup, "detection_rate": rates}
    return speedup >= 1.7 and all(v >= 0.95 for v in rates.values())


if __name__ == "__main__":
    sys.exit(main())
