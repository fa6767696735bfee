"""The synthetic lab: rendered boards are detected where the camera model says, and projected
motion carries exactly the corruption it reports."""

import cv2
import numpy as np
import pytest

from mocaplab.board import BoardSpec
from mocaplab.keypoint_sets import MEDIAPIPE33
from mocaplab.synthetic import (
    DISTORTION_MILD,
    DISTORTION_STRONG,
    BoardRenderer,
    board_pose_facing,
    camera_ring,
    project_motion,
    walkway_cameras,
)

BOARD = BoardSpec(squares_x=7, squares_y=5, square_length=0.08, marker_length=0.06)
POSES = [((0, 0), (0, 0), 0), ((420, 220), (20, -25), 15), ((-480, -230), (-30, 15), -20),
         ((300, -200), (35, 30), 40)]


@pytest.mark.parametrize("distortion", [DISTORTION_MILD, DISTORTION_STRONG],
                         ids=["mild", "strong"])
def test_rendered_charuco_corners_detected_at_true_projection(distortion):
    cam = camera_ring(1, distortion=distortion, principal_offsets=[(25, -15)])[0]
    renderer = BoardRenderer(cam, BOARD)
    detector = cv2.aruco.CharucoDetector(BOARD.to_cv2())
    errors, n_detected, n_visible = [], 0, 0
    for k, (offset, tilt, spin) in enumerate(POSES):
        R, t = board_pose_facing(cam, 2.0, tilt, offset, BOARD, spin_deg=spin)
        view = renderer.render(R, t, rng=np.random.default_rng(k))
        corners, ids, _, _ = detector.detectBoard(view.image)
        assert ids is not None, f"board not detected in pose {k}"
        ids = ids.ravel()
        n_detected += len(ids)
        n_visible += len(view.corner_ids)
        assert set(ids) <= set(view.corner_ids)
        errors.extend(np.linalg.norm(corners.reshape(-1, 2) - view.all_corners_px[ids], axis=1))
    assert n_detected >= 0.9 * n_visible
    assert np.median(errors) < 0.5
    assert np.percentile(errors, 95) < 1.0


def test_strong_distortion_is_not_a_homography():
    """The render bends straight board edges: a homography fit leaves pixel-level residuals."""
    cam = camera_ring(1, distortion=DISTORTION_STRONG)[0]
    R, t = board_pose_facing(cam, 1.4, (10, -10), (380, 180), BOARD)
    view = BoardRenderer(cam, BOARD).render(R, t, noise_sigma=0, blur_sigma=0)
    obj = BOARD.corner_points()[view.corner_ids, :2]
    H, _ = cv2.findHomography(obj, view.corners_px)
    pred = cv2.perspectiveTransform(obj.reshape(-1, 1, 2), H).reshape(-1, 2)
    assert np.abs(pred - view.corners_px).max() > 1.0


def test_inverted_board_renders_white_on_black():
    inv = BoardSpec(squares_x=5, squares_y=4, square_length=0.1, marker_length=0.07,
                    inverted=True)
    cam = camera_ring(1)[0]
    R, t = board_pose_facing(cam, 1.5, board=inv)
    img = BoardRenderer(cam, inv).render(R, t).image
    detector = cv2.aruco.CharucoDetector(inv.to_cv2())
    assert detector.detectBoard(img)[1] is None
    assert len(detector.detectBoard(255 - img)[1]) >= 6


def test_board_facing_away_is_not_visible():
    cam = camera_ring(1)[0]
    R, t = board_pose_facing(cam, 2.0, (180, 0), board=BOARD)
    assert len(BoardRenderer(cam, BOARD, supersample=1).render(R, t).corner_ids) == 0


def _walk(F=60):
    t = np.arange(F) / 60
    base = np.zeros((F, len(MEDIAPIPE33), 3))
    base[..., 2] = np.linspace(0.1, 1.7, len(MEDIAPIPE33))
    base[..., 1] = np.where([MEDIAPIPE33.side(n) == "left" for n in MEDIAPIPE33.names], 0.15,
                            -0.15)
    base[..., 0] = -1.0 + 1.2 * t[:, None]
    return base


def test_project_motion_masks_are_exact():
    cams = walkway_cameras(4)
    pts = _walk()
    obs = project_motion(cams, pts, noise_px=0.0, dropout=0.1, outliers=0.05, swaps=0.1,
                         mirror=MEDIAPIPE33.mirror, seed=1)
    C, F, K = obs.clean.shape
    assert (C, F, K) == (4, 60, 33)
    err = np.linalg.norm(obs.points - obs.truth, axis=-1)
    assert np.all(err[obs.clean] < 1e-9)
    assert np.all(err[obs.outlier] >= 20 - 1e-9)
    assert np.all(np.isnan(obs.points[obs.dropped]))
    assert np.all(obs.confidence[obs.dropped] == 0)
    assert obs.swapped.any() and obs.outlier.any() and obs.dropped.any()
    # swapped points sit on their mirror's true position
    c, f, k = np.argwhere(obs.swapped)[0]
    np.testing.assert_allclose(obs.points[c, f, k], obs.truth[c, f, MEDIAPIPE33.mirror[k]])
    frac_dropped = obs.dropped.sum() / np.isfinite(obs.truth).all(-1).sum()
    assert 0.07 < frac_dropped < 0.13


def test_project_motion_is_reproducible_and_noisy():
    cams = camera_ring(3)
    pts = _walk(20) * 0.5 + np.array([0.5, 0, 0.3])
    a = project_motion(cams, pts, seed=7)
    b = project_motion(cams, pts, seed=7)
    np.testing.assert_array_equal(a.points, b.points)
    resid = (a.points - a.truth)[a.clean]
    assert 0.8 < resid.std() < 1.2
