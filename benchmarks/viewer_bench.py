"""Headless rendering speed: a synthetic 10 s, 60 fps walk rendered to MP4 (and PNG frames).

Prints a table: image size, frames, renderer start-up (first frame, includes pipeline
compilation), steady frames per second, overall frames per second and the MP4 size.

    .venv/bin/python benchmarks/viewer_bench.py                     # 1280x720 and 640x360
    .venv/bin/python benchmarks/viewer_bench.py --sizes 1920x1080 --duration 10 --json out.json

Needs no display (Open3D OffscreenRenderer on Mesa). Timings depend on the CPU (the GPU is
Mesa's llvmpipe software rasteriser here) and on other load: say which when quoting them.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import cv2

from mocaplab.synthetic.lab import write_synthetic_trial
from mocaplab.viewer.data import load_trial
from mocaplab.viewer.render import RenderOptions, TrialRenderer, VideoWriter


def bench(trial, width: int, height: int, out: Path, overlay: bool = True) -> dict:
    t0 = time.perf_counter()
    with TrialRenderer(trial, RenderOptions(width=width, height=height, view="side",
                                            overlay=overlay)) as r:
        writer = VideoWriter(out, trial.fps, width, height)
        writer.write(r.render(0))
        t_first = time.perf_counter() - t0
        t1 = time.perf_counter()
        render_s = 0.0
        for i in range(1, trial.n_frames):
            a = time.perf_counter()
            img = r.render(i)
            render_s += time.perf_counter() - a
            writer.write(img)
        writer.close()
        t_rest = time.perf_counter() - t1
    total = time.perf_counter() - t0
    cap = cv2.VideoCapture(str(out))
    n_read = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    n = trial.n_frames
    return {"size": f"{width}x{height}", "frames": n, "overlay": overlay,
            "first_frame_s": round(t_first, 2),
            "steady_fps": round((n - 1) / t_rest, 1),
            "render_only_fps": round((n - 1) / render_s, 1),
            "overall_fps": round(n / total, 1), "total_s": round(total, 1),
            "mp4_frames": n_read, "mp4_mb": round(out.stat().st_size / 1e6, 2),
            "codec": writer.codec}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1280x720,640x360")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=60.0)
    ap.add_argument("--no-overlay", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", type=Path, help="keep the MP4s in this folder")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_synthetic_trial(Path(tmp) / "walk", args.duration, args.fps)
        trial = load_trial(folder)
        outdir = args.keep or Path(tmp)
        outdir.mkdir(parents=True, exist_ok=True)
        for size in args.sizes.split(","):
            w, h = (int(v) for v in size.lower().split("x"))
            rows.append(bench(trial, w, h, outdir / f"walk_{w}x{h}.mp4",
                              overlay=not args.no_overlay))
            print(rows[-1], flush=True)
    print(f"\ntrial: synthetic walk, {args.duration:g} s at {args.fps:g} fps; "
          f"DISPLAY={os.environ.get('DISPLAY', '(unset)')}; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    head = ("size", "frames", "first_frame_s", "steady_fps", "render_only_fps", "overall_fps",
            "total_s", "mp4_frames", "mp4_mb", "codec")
    print(" | ".join(head))
    for r in rows:
        print(" | ".join(str(r[k]) for k in head))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "loadavg": os.getloadavg()}, indent=2))
    assert all(r["mp4_frames"] == r["frames"] for r in rows), "MP4 frame count mismatch"


if __name__ == "__main__":
    main()
