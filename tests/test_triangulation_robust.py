"""Robust triangulation: outlying views, left/right swaps, minimum views (generated data)."""

import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.keypoint_sets import PLUGIN_GAIT
from mocaplab.synthetic import camera_ring, project_motion
from mocaplab.triangulation import RobustOptions, triangulate_robust
from mocaplab.triangulation.linear import (
    extrinsics,
    focal_lengths,
    normalized_observations,
    triangulate_weighted,
)


def smooth_motion(n_frames=40, fps=100.0, seed=0, keypoints=36):
    """(F, K, 3) smooth trajectories of K points in a 1 m box around (0, 0, 1), metres."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(-0.4, 0.4, (keypoints, 3)) + [0, 0, 1.0]
    t = np.arange(n_frames)[:, None, None] / fps
    amp = rng.uniform(0.02, 0.15, (1, keypoints, 3))
    freq = rng.uniform(0.5, 2.0, (1, keypoints, 3))
    phase = rng.uniform(0, 2 * np.pi, (1, keypoints, 3))
    return base + amp * np.sin(2 * np.pi * freq * t + phase)


def oracle(cams, obs):
    """Triangulate only the clean observations (the per-frame limit)."""
    C, F, K, _ = obs.points.shape
    xn = normalized_observations(cams, obs.points).reshape(C, -1, 2)
    w = (obs.confidence * obs.clean).reshape(C, -1)
    return triangulate_weighted(extrinsics(cams), xn, w, focal_lengths(cams)).reshape(F, K, 3)


@pytest.fixture(scope="module")
def scene():
    cams = camera_ring(4)
    X = smooth_motion(n_frames=60)
    obs = project_motion(cams, X, noise_px=1.0, dropout=0.05, outliers=0.05, swaps=0.08,
                         mirror=PLUGIN_GAIT.mirror, seed=4)
    return cams, X, obs


def test_close_to_oracle_with_outliers_and_swaps(scene):
    cams, X, obs = scene
    res = triangulate_robust(cams, obs.points, obs.confidence, PLUGIN_GAIT.mirror)
    ref = oracle(cams, obs)
    both = np.isfinite(ref).all(-1)
    e = np.linalg.norm(res.points - X, axis=-1)[both]
    e_ref = np.linalg.norm(ref - X, axis=-1)[both]
    assert np.isfinite(e).mean() > 0.99
    assert np.nanmedian(e) < 1.05 * np.median(e_ref)
    assert np.nanpercentile(e, 90) < 1.15 * np.percentile(e_ref, 90)
    assert (e > 0.05).mean() < 0.002
    # plain DLT of every view is far worse: the test can fail
    plain = triangulate_weighted(extrinsics(cams),
                                 normalized_observations(cams, obs.points).reshape(4, -1, 2),
                                 obs.confidence.reshape(4, -1), focal_lengths(cams))
    e_plain = np.linalg.norm(plain.reshape(X.shape) - X, axis=-1)[both]
    assert np.nanpercentile(e_plain, 90) > 2 * np.nanpercentile(e, 90)


def test_outputs_per_point_error_views_and_inliers(scene):
    cams, X, obs = scene
    res = triangulate_robust(cams, obs.points, obs.confidence, PLUGIN_GAIT.mirror)
    F, K = X.shape[:2]
    assert res.points.shape == (F, K, 3)
    assert res.reprojection_error.shape == res.n_views.shape == (F, K)
    assert res.inliers.shape == (4, F, K)
    np.testing.assert_array_equal(res.n_views, res.inliers.sum(0))
    ok = np.isfinite(res.points).all(-1)
    assert (res.n_views[ok] >= 2).all() and (res.n_views[~ok] == 0).all()
    assert np.nanmedian(res.reprojection_error) < 1.5  # 1 px noise
    # injected outliers are not kept as inliers
    assert (res.inliers & obs.outlier).sum() <= 0.02 * obs.outlier.sum()


def test_swaps_detected_and_fixed(scene):
    cams, X, obs = scene
    assert obs.swapped.sum() > 20
    res = triangulate_robust(cams, obs.points, obs.confidence, PLUGIN_GAIT.mirror)
    found = res.swapped & obs.swapped
    assert found.sum() >= 0.8 * obs.swapped.sum()
    assert (res.swapped & ~obs.swapped).sum() <= 0.1 * obs.swapped.sum()
    # fixed swaps are used again as inliers
    assert res.inliers[found].mean() > 0.9
    off = triangulate_robust(cams, obs.points, obs.confidence, PLUGIN_GAIT.mirror,
                             RobustOptions(fix_swaps=False))
    assert not off.swapped.any()
    assert off.n_views.sum() < res.n_views.sum()


def test_single_outlier_view_dropped_and_min_views():
    cams = camera_ring(4)
    X = smooth_motion(n_frames=10, keypoints=3)
    px = cams.project(X)
    px[1, 5, 0] += (60.0, 40.0)
    opt = RobustOptions(threshold_px=5.0, temporal=False)
    res = triangulate_robust(cams, px, options=opt)
    assert not res.inliers[1, 5, 0] and res.n_views[5, 0] == 3
    assert np.abs(res.points - X).max() < 1e-6
    px[2:, 7, 2] = np.nan  # two views left
    res3 = triangulate_robust(cams, px, options=RobustOptions(min_views=3, temporal=False))
    assert np.isnan(res3.points[7, 2]).all() and res3.n_views[7, 2] == 0
    assert np.isfinite(res3.points[5, 0]).all()
    with pytest.raises(InputError):
        RobustOptions(min_views=1)


def test_wrong_camera_count_is_a_clear_error():
    cams = camera_ring(3)
    with pytest.raises(InputError, match="calibrated cameras"):
        triangulate_robust(cams, np.zeros((4, 2, 3, 2)))
