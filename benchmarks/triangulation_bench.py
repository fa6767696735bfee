"""pytest-benchmark timings of mocaplab.triangulation next to aniposelib (generated data).

    .venv/bin/pytest benchmarks/triangulation_bench.py --benchmark-enable -q

Groups compare like with like: "plain-C" (weighted DLT vs aniposelib CameraGroup.triangulate on
the same 20,000 points) and "robust-C" (ours on the same points; aniposelib's triangulate_ransac
takes ~0.03-0.7 s per point, see benchmarks/triangulation_eval.py for it).
"""

import tempfile
from pathlib import Path

import numpy as np
import pytest

from mocaplab.keypoint_sets import PLUGIN_GAIT
from mocaplab.synthetic import camera_ring, project_motion
from mocaplab.triangulation import triangulate_points, triangulate_robust


def _scene(n_cameras: int):
    rng = np.random.default_rng(0)
    F, K = 556, 36  # 20,016 points
    base = rng.uniform(-0.5, 0.5, (K, 3)) + [0, 0, 1.0]
    t = np.arange(F)[:, None, None] / 100.0
    X = base + 0.1 * np.sin(2 * np.pi * rng.uniform(0.5, 2, (1, K, 3)) * t)
    cams = camera_ring(n_cameras, radius=4.5)
    obs = project_motion(cams, X, noise_px=1.0, dropout=0.05, outliers=0.03, swaps=0.05,
                         mirror=PLUGIN_GAIT.mirror, seed=1)
    return cams, obs


@pytest.mark.parametrize("n_cameras", [4, 8])
def test_plain_ours(benchmark, n_cameras):
    cams, obs = _scene(n_cameras)
    benchmark.group = f"plain-{n_cameras}"
    pts = obs.points.reshape(n_cameras, -1, 2)
    X = benchmark(triangulate_points, cams, pts)
    assert np.isfinite(X).mean() > 0.99


@pytest.mark.parametrize("n_cameras", [4, 8])
def test_plain_aniposelib(benchmark, n_cameras):
    from aniposelib.cameras import CameraGroup

    cams, obs = _scene(n_cameras)
    benchmark.group = f"plain-{n_cameras}"
    with tempfile.TemporaryDirectory() as d:
        cams.save(Path(d) / "cal.toml")
        cg = CameraGroup.load(str(Path(d) / "cal.toml"))
    pts = obs.points.reshape(n_cameras, -1, 2)
    cg.triangulate(pts[:, :50])  # JAX compiles on the first call
    X = benchmark(cg.triangulate, pts, undistort=True)
    assert np.isfinite(X).mean() > 0.99


@pytest.mark.parametrize("n_cameras", [4, 8])
def test_robust_ours(benchmark, n_cameras):
    cams, obs = _scene(n_cameras)
    benchmark.group = f"robust-{n_cameras}"
    res = benchmark(triangulate_robust, cams, obs.points, obs.confidence, PLUGIN_GAIT.mirror)
    assert np.isfinite(res.points).mean() > 0.99
