"""How well short gaps are bridged, by gap length: the error of :func:`mocaplab.signal.fill_gaps`
(cubic, as the triangulation filter uses it; linear, as the analysis uses it) against the truth.

The motion is the one synthetic walker (33 keypoints) at 59.9988 Hz (the Pose2Sim demo's camera
rate) with 0.5, 3 or 10 mm of noise; in each seed, interior gaps of 1..10 frames are cut at
random places of random keypoints and filled. It answers what the rounding of ``max_gap_s`` to
frames decides: at 59.9988 Hz the triangulation default of 0.1 s is 5.9999 frames, floored to
5 by the old code and rounded to 6 now, so 6-frame gaps are now filled. ::

    python benchmarks/gap_fill_eval.py --seeds 10 --noise-mm 0.5 3 10
"""

from __future__ import annotations

import argparse

import numpy as np

from mocaplab.signal import fill_gaps
from mocaplab.synthetic.lab import WalkerParams, walker_points

FPS = 59.9988


def run(seeds: range, noise_m: float, gaps_per_length: int = 20) -> dict[str, dict[int, float]]:
    """method -> gap length (frames) -> median over gaps of the gap's worst error (mm)."""
    errs: dict[str, dict[int, list[float]]] = {"cubic": {}, "linear": {}}
    for seed in seeds:
        truth = walker_points(WalkerParams(fps=FPS, duration_s=4.0, noise_m=0.0, dropout=0.0,
                                           seed=seed)).points
        rng = np.random.default_rng(1000 + seed)
        noisy = truth + rng.normal(0, noise_m, truth.shape)
        F, K = truth.shape[:2]
        for n in range(1, 11):
            for _ in range(gaps_per_length):
                k = int(rng.integers(K))
                a = int(rng.integers(10, F - 10 - n))
                x = noisy[:, k].copy()
                x[a:a + n] = np.nan
                for method in errs:
                    out = fill_gaps(x, FPS, max_gap_s=10 / FPS, method=method)
                    e = np.linalg.norm(out[a:a + n] - truth[a:a + n, k], axis=-1).max()
                    errs[method].setdefault(n, []).append(1000 * float(e))
    return {m: {n: float(np.median(v)) for n, v in d.items()} for m, d in errs.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--noise-mm", type=float, nargs="+", default=[0.5, 3.0, 10.0])
    args = ap.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"median worst error in the gap (mm), seeds {seeds.start}-{seeds.stop - 1} x 20 gaps "
          f"per length, {FPS} Hz")
    for noise in args.noise_mm:
        res = run(seeds, noise / 1000)
        print(f"noise {noise:g} mm, frames " + "  ".join(f"{n:>5d}" for n in res["cubic"]))
        for m, d in res.items():
            print(f"  {m:<7s}" + " " * 11 + "  ".join(f"{v:5.1f}" for v in d.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
