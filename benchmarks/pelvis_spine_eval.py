"""Pelvis, thorax and spine angles against Vicon's own outputs on every corpus trial that has them.

    MOCAPLAB_SHARED_DATA=../shared/data .venv/bin/python benchmarks/pelvis_spine_eval.py

For each C3D of the gait marker corpus (and kineticstoolkit_walk/walk.c3d) that stores Plug-in
Gait outputs (L/RPelvisAngles, L/RThoraxAngles, L/RSpineAngles, also with a "V" suffix or a
subject prefix), runs ``analyze`` and prints the RMSE (deg) of each angle over the frames where
both are defined, per side, and the share of Vicon's frames we also give. Nothing here was tuned:
the pelvis and thorax models are Plug-in Gait's definitions.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from mocaplab.analysis.inputs import load_input
from mocaplab.analysis.pipeline import analyze
from mocaplab.errors import MocaplabError

SEGMENTS = {"pelvis": "PelvisAngles", "thorax": "ThoraxAngles", "spine": "SpineAngles"}


def _vicon(outputs: dict, side: str, name: str) -> np.ndarray | None:
    for key in (f"{side}{name}", f"{side}{name}V"):
        if key in outputs:
            return np.asarray(outputs[key], dtype=float)
    return None


def trial_rows(path: Path) -> list[tuple[str, str, list[float], float]]:
    """[(segment, side, [rmse x3], coverage)] for one file; [] without Vicon outputs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            data = load_input(path)
            m = analyze(data)
        except MocaplabError:
            return []
    rows = []
    for seg, name in SEGMENTS.items():
        ours = m["angles"][seg]
        for side, s in (("left", "L"), ("right", "R")):
            ref = _vicon(data.model_outputs, s, name)
            if ref is None or not np.isfinite(ref).any():
                continue
            mine = np.stack([np.asarray(v, dtype=float) for v in ours[side].values()], axis=1)
            both = np.isfinite(mine).all(1) & np.isfinite(ref).all(1)
            cover = both.sum() / max(np.isfinite(ref).all(1).sum(), 1)
            d = mine[both] - ref[both]
            d = (d + 180.0) % 360.0 - 180.0
            rmse = np.sqrt(np.mean(d ** 2, axis=0)).tolist() if both.any() else [np.nan] * 3
            rows.append((seg, side, rmse, cover))
    return rows


def main() -> None:
    shared = Path(os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data"))
    files = sorted((shared / "gait_marker_corpus").rglob("*.[cC]3[dD]"))
    files.append(shared / "kineticstoolkit_walk" / "walk.c3d")
    print(f"{'file':38} {'segment':7} {'side':5} {'RMSE deg (3 axes)':24} frames")
    worst = 0.0
    for p in files:
        for seg, side, rmse, cover in trial_rows(p):
            worst = max(worst, np.nanmax(rmse)) if np.isfinite(rmse).any() else worst
            r = " ".join(f"{x:6.2f}" for x in rmse)
            print(f"{p.name:38} {seg:7} {side:5} {r:24} {cover:.0%}")
    print(f"\nworst axis RMSE: {worst:.2f} deg")


if __name__ == "__main__":
    main()
