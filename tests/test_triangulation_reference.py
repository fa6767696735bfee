"""Triangulation under pixel noise against an independent reference: the point that minimises
the reprojection error in pixels (scipy least squares through Camera.project, distortion
included), with cameras at very different distances, where the plain DLT is biased."""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from mocaplab.camera import Camera, CameraSet, look_at
from mocaplab.triangulation.linear import triangulate_points


def _cameras() -> CameraSet:
    cams = []
    for i, (dist, az) in enumerate([(1.2, 0.0), (9.0, 80.0), (2.0, 170.0), (7.0, 260.0)]):
        a = np.radians(az)
        pos = np.array([dist * np.cos(a), dist * np.sin(a), 1.2])
        rvec, tvec = look_at(pos, np.array([0.0, 0.0, 1.0]))
        cams.append(Camera(f"c{i}", (1920, 1080), [[1400, 0, 960], [0, 1400, 540], [0, 0, 1]],
                           [-0.1, 0.02, 0.0, 0.0, 0.0], rvec, tvec))
    return CameraSet(tuple(cams))


def _reference(cams: CameraSet, pixels: np.ndarray, start: np.ndarray) -> np.ndarray:
    def residual(X):
        return (cams.project(X) - pixels).ravel()

    return least_squares(residual, start, method="lm", xtol=1e-12, ftol=1e-12).x


def test_weighted_dlt_matches_the_reprojection_error_minimum_under_noise():
    cams = _cameras()
    rng = np.random.default_rng(2126)  # not inspected beyond this test's figures
    truth = rng.uniform([-0.3, -0.3, 0.6], [0.3, 0.3, 1.4], (200, 3))
    pixels = cams.project(truth) + rng.normal(0, 1.5, (len(cams), len(truth), 2))
    ours = triangulate_points(cams, pixels)
    plain = triangulate_points(cams, pixels, iterations=0)
    ref = np.array([_reference(cams, pixels[:, n], truth[n]) for n in range(len(truth))])
    ours_mm = 1000 * np.linalg.norm(ours - ref, axis=1)
    plain_mm = 1000 * np.linalg.norm(plain - ref, axis=1)
    # the reference itself is ~ as far from the truth as the noise allows
    truth_mm = 1000 * np.linalg.norm(ref - truth, axis=1)
    assert np.median(truth_mm) < 5.0
    assert np.median(ours_mm) < 0.1 * np.median(plain_mm), (np.median(ours_mm),
                                                             np.median(plain_mm))
    assert np.percentile(ours_mm, 95) < 0.5  # mm
