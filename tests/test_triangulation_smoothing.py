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


def test_a_two_view_run_that_jumps_against_well_seen_points_is_left_out():
    """Frames 100-119 of a keypoint are seen by two cameras, one of them wrong (a swapped
    limb: a consistent 2-view point 0.3 m off). Per frame nothing shows it; the jump against
    the three-view points around it does: those frames become a gap (a wrong point is worse
    than a gap), while a two-view run that follows the motion is kept."""
    from mocaplab.triangulation.smoothing import unsupported_runs

    X = _motion(K=1)[:, 0]
    n_views = np.full(len(X), 3)
    n_views[100:120] = 2
    n_views[160:180] = 2
    wrong = X.copy()
    wrong[100:120] += (0.3, 0.0, 0.0)
    drop = unsupported_runs(wrong, n_views, FPS, max_gap=6)
    assert drop[100:120].all() and drop.sum() == 20  # the good 2-view run 160-179 stays
    assert not unsupported_runs(X, n_views, FPS, max_gap=6).any()
    # end to end: the wrong run's views are not used, the frames are left out, not bridged
    cams = _cameras([0, 90, 180])
    pix = cams.project(_motion(K=1))
    pix[2, 100:120, 0] = np.nan
    pix[1, 100:120, 0] = cams.project(wrong[100:120, None])[1, :, 0]  # camera 1 lies
    res = triangulate_robust(cams, pix, None, None, None)
    w = np.isfinite(pix).all(-1).astype(float)
    sm, used = smooth_points(extrinsics(cams), normalized_observations(cams, pix), w,
                             focal_lengths(cams), res.inliers, res.points, FPS, 6.0, 0.1,
                             res.threshold_px)
    err = np.linalg.norm(sm[:, 0] - X, axis=-1)
    assert not (err > 0.05).any()
    assert np.isnan(sm[105:115, 0]).all()


def test_frames_whose_skeleton_breaks_its_bone_lengths_are_found():
    """A chain of 6 keypoints with constant bones; in frames 50-59 a ghost of two people:
    every point shifted by 15 cm in its own random direction. With 3 mm noise every ghost frame
    is found; with 15 mm most are, and still no other frame (the threshold follows the
    trial's own deviations)."""
    from mocaplab.triangulation.smoothing import skeleton_outlier_frames

    rng = np.random.default_rng(3)
    F, K = 200, 6
    edges = np.array([(k, k + 1) for k in range(K - 1)])
    for noise, found in ((0.003, 10), (0.015, 6)):
        X = _motion(F, 1) + np.arange(K)[None, :, None] * np.array([0.0, 0.0, 0.3])
        X = X + rng.normal(0, noise, X.shape)
        n_views = np.full((F, K), 3)
        ghost = rng.normal(size=(10, K, 3))
        X[50:60] += ghost / np.linalg.norm(ghost, axis=-1, keepdims=True) * 0.15
        n_views[50:60] = 2
        odd = skeleton_outlier_frames(X, n_views, edges)
        assert odd[50:60].sum() >= found and odd.sum() == odd[50:60].sum(), np.nonzero(odd)


def _keypoints(cams, X, noise_px=0.5, seed=1):
    from mocaplab.pose_data import Keypoints2D

    rng = np.random.default_rng(seed)
    pix = cams.project(X) + rng.normal(0, noise_px, (len(cams),) + X.shape[:2] + (2,))
    names = tuple(f"k{k}" for k in range(X.shape[1]))
    return pix, lambda p: Keypoints2D(p, np.isfinite(p).all(-1).astype(float), cams.names,
                                      names, FPS)


def test_isolated_points_and_long_bridges_are_left_out_of_the_saved_points():
    from mocaplab.triangulation.run import triangulate_keypoints

    cams = _cameras([0, 90, 180])
    X = _motion(F=120, K=2)
    pix, make = _keypoints(cams, X)
    # keypoint 1 seen in two frames only (50, 51) amid frames it is not seen; keypoint 0 has a
    # 5-frame gap (0.083 s: within --max-gap 0.1 s, beyond the 0.05 s bridging limit)
    pix[:, :50, 1] = np.nan
    pix[:, 52:, 1] = np.nan
    pix[:, 70:75, 0] = np.nan
    points, res, _ = triangulate_keypoints(make(pix), cams, filtering=FilterOptions())
    assert np.isfinite(res.points[50:52, 1]).all()  # the robust points exist...
    assert np.isnan(points.points[50:52, 1]).all()  # ...but nothing around them confirms them
    assert np.isnan(points.points[70:75, 0]).all()
    assert (points.n_views[70:75, 0] == 0).all()
    # a 2-frame gap is still bridged, close to the truth
    pix2 = pix.copy()
    pix2[:, 70:75, 0] = cams.project(X)[:, 70:75, 0]
    pix2[:, 80:82, 0] = np.nan
    points2, _, _ = triangulate_keypoints(make(pix2), cams, filtering=FilterOptions())
    assert np.isfinite(points2.points[80:82, 0]).all()
    assert np.linalg.norm(points2.points[80:82, 0] - X[80:82, 0], axis=-1).max() < 0.01


def test_a_point_whose_trajectory_leaves_its_views_is_left_out():
    from mocaplab.triangulation.smoothing import unsupported_points

    cams = _cameras([0, 90, 180])
    X = _motion(F=60, K=1)
    pix = cams.project(X)
    Rt, f = extrinsics(cams), focal_lengths(cams)
    xn = normalized_observations(cams, pix)
    used = np.ones(pix.shape[:3], dtype=bool)
    moved = X.copy()
    moved[30, 0, 2] += 0.1  # 10 cm up: ~28 px in every view at 3.5 m
    codes = unsupported_points(Rt, xn, f, used, moved, FPS, 15.0, 0.1)
    assert codes[30, 0] == 1
    assert (np.delete(codes[:, 0], 30) == 0).all()
