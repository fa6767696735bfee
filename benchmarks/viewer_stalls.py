"""Frame-stall rate of headless rendering: how many render processes stop making progress.

Each run is a child process that renders ``--frames`` frames (320x240, side/front/top views in
turn, one shared renderer) and prints a line per frame; the parent counts a stall when no frame
arrives for ``--stall-s`` seconds, kills the child and goes on. ``--no-uvs`` puts back the joint
mesh without texture coordinates (the code before the fix of docs/viewer.md, "Frame stalls")
for an A/B comparison.

    env -u DISPLAY LP_NUM_THREADS=0 .venv/bin/python benchmarks/viewer_stalls.py --runs 10
    env -u DISPLAY LP_NUM_THREADS=0 .venv/bin/python benchmarks/viewer_stalls.py --runs 5 --no-uvs

Add load to see it under contention, e.g. two ``python -c 'while 1: pass'``. With ``--gdb DIR``
a stalled child's thread stacks are saved there (needs gdb) before it is killed.
"""

from __future__ import annotations

import argparse
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import os, sys, time
import numpy as np
import open3d as o3d
import mocaplab.viewer.geometry as G
from mocaplab.viewer.data import load_trial
from mocaplab.viewer.render import RenderBackend, RenderOptions, TrialRenderer

if sys.argv[3] == "1":  # the joint mesh as it was before the fix: no texture coordinates
    def joints_mesh(self, joints, colors):
        mesh = o3d.geometry.TriangleMesh()
        mesh.vertices = o3d.utility.Vector3dVector(
            (self._v[None] + joints[:, None, :]).reshape(-1, 3))
        mesh.triangles = o3d.utility.Vector3iVector(self._tri_all[: len(joints) * self._nt])
        mesh.vertex_colors = o3d.utility.Vector3dVector(
            np.repeat(colors, len(self._v), axis=0))
        return mesh
    G.SkeletonGeometry.joints_mesh = joints_mesh

trial = load_trial(sys.argv[1])
n, done = int(sys.argv[2]), 0
with RenderBackend(320, 240) as backend:
    while True:
        for view in ("side", "front", "top"):
            opts = RenderOptions(width=320, height=240, view=view, overlay=False,
                                 cameras=False, grid=False)
            with TrialRenderer(trial, opts, backend) as r:
                for i in (0, trial.n_frames // 3, trial.n_frames - 1):
                    t0 = time.perf_counter()
                    r.render(i)
                    done += 1
                    print(f"frame {done} {time.perf_counter() - t0:.3f}", flush=True)
                    if done >= n:
                        os._exit(0)
"""


def run_once(folder: Path, frames: int, no_uvs: bool, stall_s: float,
             gdb_dir: Path | None, tag: str) -> tuple[int, bool, list[float]]:
    """(frames rendered, stalled?, per-frame seconds) of one child process."""
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(frames),
                             "1" if no_uvs else "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    got, times, last = 0, [], time.monotonic()
    stalled = False
    while True:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            if line.startswith("frame "):
                got += 1
                times.append(float(line.split()[2]))
                last = time.monotonic()
        elif time.monotonic() - last > stall_s:
            stalled = True
            if gdb_dir is not None:
                gdb_dir.mkdir(parents=True, exist_ok=True)
                with open(gdb_dir / f"stall_{tag}.txt", "w") as out:
                    subprocess.run(["gdb", "-p", str(proc.pid), "-batch", "-ex",
                                    "thread apply all bt 12"], stdout=out,
                                   stderr=subprocess.STDOUT, timeout=120, check=False)
            proc.kill()
            break
    proc.wait()
    return got, stalled, times


def main() -> None:
    from mocaplab.synthetic.lab import write_synthetic_trial

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--frames", type=int, default=90, help="frames per run")
    ap.add_argument("--stall-s", type=float, default=30.0,
                    help="no frame for this long = a stall")
    ap.add_argument("--no-uvs", action="store_true", help="the joint mesh before the fix")
    ap.add_argument("--gdb", type=Path, help="save a stalled child's stacks in this folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_synthetic_trial(Path(tmp) / "walk", 2.0, 60.0)
        total, stalls, times = 0, 0, []
        for k in range(args.runs):
            got, stalled, t = run_once(folder, args.frames, args.no_uvs, args.stall_s,
                                       args.gdb, f"{os.getpid()}_{k}")
            total, stalls, times = total + got, stalls + stalled, times + t
            print(f"run {k + 1}: {got} frames" + (" STALLED" if stalled else ""), flush=True)
    slow = sorted(times)[-1] if times else float("nan")
    print(f"\nmesh {'without UVs (before the fix)' if args.no_uvs else 'with zero UVs'}; "
          f"LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS', '(unset)')}; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"runs {args.runs}, frames {total}, stalled runs {stalls}, slowest frame {slow:.2f} s")


if __name__ == "__main__":
    main()
