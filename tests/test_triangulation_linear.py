"""Vectorised weighted DLT and iterative undistortion (generated data, exact truth)."""

import cv2
import numpy as np
import pytest

from mocaplab.synthetic import DISTORTION_STRONG, camera_ring
from mocaplab.triangulation import triangulate_points
from mocaplab.triangulation.linear import (
    extrinsics,
    focal_lengths,
    pack,
    solve_normal,
    triangulate_weighted,
    unpack,
)


def _corner_points(cams, distance=4.0, margin=20):
    """3D points that camera 0 sees near its image corners and edges (strong distortion)."""
    cam = cams[0]
    w, h = cam.size
    px = np.array([[margin, margin], [w - margin, margin], [margin, h - margin],
                   [w - margin, h - margin], [margin, h / 2]], float)
    xn = cam.undistort_points(px)
    rays = np.c_[xn, np.ones(len(xn))] @ cam.rotation
    return cam.center + distance * rays / np.linalg.norm(rays, axis=1)[:, None]


def test_exact_near_border_with_strong_distortion_unlike_default_undistortion():
    cams = camera_ring(4, distortion=DISTORTION_STRONG)
    X = _corner_points(cams)
    px = cams.project(X)  # (C, N, 2), noise free
    ours = triangulate_points(cams, px)
    assert np.abs(ours - X).max() < 1e-5  # metres (undistortion converged to 1e-3 px)

    # plain DLT after OpenCV's default undistortion (5 iterations, no criteria)
    xn_default = np.stack([
        cv2.undistortPoints(px[c].reshape(-1, 1, 2), cam.matrix, cam.distortion).reshape(-1, 2)
        for c, cam in enumerate(cams)])
    plain = triangulate_weighted(extrinsics(cams), xn_default, np.ones(px.shape[:2]),
                                 focal_lengths(cams), iterations=0)
    err_mm = np.linalg.norm(plain - X, axis=1) * 1000
    assert err_mm.max() > 0.4  # at least one corner point is off by more than 0.4 mm
    # ... because the undistorted corner pixel itself is off by a visible fraction of a pixel
    back = cams[0].distort_normalized(xn_default[0])
    assert np.linalg.norm(back - px[0], axis=1).max() > 0.2


def test_vectorised_shapes_nan_and_minimum_two_views():
    cams = camera_ring(3)
    rng = np.random.default_rng(1)
    X = rng.uniform(-0.5, 0.5, (7, 5, 3)) + [0, 0, 1]
    px = cams.project(X)  # (3, 7, 5, 2)
    px[0, 2, 3] = np.nan
    px[1, 2, 3] = np.nan  # only one view left
    px[2, 4, 1] = np.nan  # two views left
    Y = triangulate_points(cams, px)
    assert Y.shape == (7, 5, 3)
    assert np.isnan(Y[2, 3]).all()
    ok = np.isfinite(Y).all(-1)
    assert ok.sum() == 34
    assert np.abs(Y[ok] - X[ok]).max() < 1e-9


def test_confidence_weights_reduce_a_bad_view():
    cams = camera_ring(4)
    X = np.array([[0.1, -0.2, 1.1]])
    px = cams.project(X)
    px[2, 0] += (25.0, -10.0)  # one corrupted view
    conf = np.ones(px.shape[:2])
    equal = triangulate_points(cams, px, conf)
    conf[2, 0] = 0.05
    weighted = triangulate_points(cams, px, conf)
    assert np.linalg.norm(weighted - X) < 0.2 * np.linalg.norm(equal - X)


@pytest.mark.parametrize("iterations", [0, 2])
def test_depth_reweighting_matches_geometric_solution_without_noise(iterations):
    cams = camera_ring(5, radius=3.0)
    X = np.random.default_rng(3).uniform(-1, 1, (50, 3)) + [0, 0, 1]
    Y = triangulate_points(cams, cams.project(X), iterations=iterations)
    assert np.abs(Y - X).max() < 1e-9


def test_solve_normal_matches_numpy_and_flags_singular():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(20, 6, 4))
    M = np.einsum("nki,nkj->nij", A, A)
    ref = np.linalg.solve(M[:, :3, :3], -M[:, :3, 3:])[..., 0]
    np.testing.assert_allclose(solve_normal(pack(M)), ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(unpack(pack(M))[:, :3], M[:, :3])
    assert np.isnan(solve_normal(np.zeros(9))).all()
