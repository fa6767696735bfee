"""Trajectories smoothed with each point's own geometry (mocaplab.triangulation.smoothing):
the same low-pass where every frame is seen alike, the motion prior where the geometry is
weak, gaps bridged up to the limit, views chosen again against the trajectory."""

from __future__ import annotations

import numpy as np

from mocaplab.camera import CameraSet
from mocaplab.synthetic.cameras import make_camera
from mocaplab.triangulation import FilterOptions, filter_points, triangulate_robust
from mocaplab.triangulation.linear import extrinsics, focal_lengths, normalized_observations
from mocaplab.triangulation.smoothing import smooth_points

FPS = 60.0


def _cameras(angles_deg) -> CameraSet:
    cams = []
    for i, a in enumerate(np.radians(angles_deg)):
        pos = (3.5 * np.cos(a), 3.5 * np.sin(a), 1.2)
        cams.append(make_camera(f"c{i}", pos, (0.0, 0.0, 1.0), (1280, 720), 1000.0))
    return CameraSet(tuple(cams))


def _motion(F=240, K=3) -> np.ndarray:
    t = np.arange(F) / FPS
    X = np.zeros((F, K, 3))
    for k in range(K):
        X[:, k, 0] = 0.4 * np.sin(2 * np.pi * 0.8 * t + k)
        X[:, k, 1] = 0.2 * np.cos(2 * np.pi * 1.1 * t + k)
        X[:, k, 2] = 1.0 + 0.1 * k + 0.05 * np.sin(2 * np.pi * 1.5 * t)
    return X


def _run(cams, X, noise_px, seed=0):
    rng = np.random.default_rng(seed)
    pix = cams.project(X) + rng.normal(0, noise_px, (len(cams),) + X.shape[:2] + (2,))
    res = triangulate_robust(cams, pix, None, None)
    Rt, f = extrinsics(cams), focal_lengths(cams)
    w = np.isfinite(pix).all(-1).astype(float)
    sm, used = smooth_points(Rt, normalized_observations(cams, pix), w, f, res.inliers,
                             res.points, FPS, 6.0, 0.1, res.threshold_px)
    bw = filter_points(res.points, FPS, FilterOptions())[0]
    return res, sm, bw, used


def _err(A, X):
    return np.linalg.norm(A - X, axis=-1)[5:-5]  # away from the ends


def test_where_every_frame_is_seen_alike_it_is_the_low_pass():
    cams = _cameras([0, 90, 180, 270])
    X = _motion()
    _, sm, bw, _ = _run(cams, X, 1.0)
    assert np.median(np.linalg.norm(sm - bw, axis=-1)[5:-5]) < 0.0005
    assert abs(np.median(_err(sm, X)) - np.median(_err(bw, X))) < 0.2 * np.median(_err(bw, X))


def test_weak_geometry_is_helped_by_the_motion_prior():
    """Two cameras 12 degrees apart: depth along their rays is poorly known frame by frame;
    the low-pass of the per-frame points keeps more of that noise than the smoother."""
    cams = _cameras([0, 12])
    X = _motion()
    res, sm, bw, _ = _run(cams, X, 2.0)
    e_sm, e_bw = _err(sm, X), _err(bw, X)
    assert np.percentile(e_sm, 90) < 0.8 * np.percentile(e_bw, 90)
    assert np.median(e_sm) < np.nanmedian(np.linalg.norm(res.points - X, axis=-1))


def test_short_gaps_are_bridged_long_gaps_are_not():
    cams = _cameras([0, 90, 180])
    X = _motion()
    rng = np.random.default_rng(1)
    pix = cams.project(X) + rng.normal(0, 1.0, (3,) + X.shape[:2] + (2,))
    pix[:, 50:54, 0] = np.nan  # 4 frames: bridged (max gap 0.1 s = 6 frames)
    pix[:, 100:130, 0] = np.nan  # 30 frames: left out
    res = triangulate_robust(cams, pix, None, None)
    w = np.isfinite(pix).all(-1).astype(float)
    sm, _ = smooth_points(extrinsics(cams), normalized_observations(cams, pix), w,
                          focal_lengths(cams), res.inliers, res.points, FPS, 6.0, 0.1,
                          res.threshold_px)
    assert np.isfinite(sm[50:54, 0]).all()
    assert np.linalg.norm(sm[50:54, 0] - X[50:54, 0], axis=-1).max() < 0.01
    assert np.isnan(sm[100:130, 0]).all() and np.isfinite(sm[95:100, 0]).all()


def test_a_view_off_the_trajectory_is_dropped_when_views_are_chosen_again():
    """A two-view point whose second view is off along the epipolar line is consistent in
    its frame; against the smooth trajectory its views are chosen again."""
    cams = _cameras([0, 90, 180])
    X = _motion(K=1)
    pix = cams.project(X)
    pix[2, 80:82, 0] = np.nan  # frames 80-81 seen by cameras 0 and 1 only
    res = triangulate_robust(cams, pix, None, None, None)
    inl = res.inliers.copy()
    inl[1, 120, 0] = True  # suppose a wrong choice had kept ...
    inl[2, 120, 0] = False  # ... and dropped a good view
    w = np.isfinite(pix).all(-1).astype(float)
    sm, used = smooth_points(extrinsics(cams), normalized_observations(cams, pix), w,
                             focal_lengths(cams), inl, res.points, FPS, 6.0, 0.1,
                             res.threshold_px)
    assert used[2, 120, 0]  # the good view is back
    assert _err(sm, X).max() < 0.005
