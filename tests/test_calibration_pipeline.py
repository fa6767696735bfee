"""Calibration maths on a small synthetic sweep with known truth (rendered and detected)."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest

from mocaplab.board import BoardSpec
from mocaplab.calibration.bundle import _Problem, collect_observations
from mocaplab.calibration.detect import CameraDetections
from mocaplab.calibration.evaluate import reprojection_error
from mocaplab.calibration.extrinsics import board_poses, initial_board_poses
from mocaplab.calibration.pipeline import calibrate_detections
from mocaplab.calibration.simulate import (
    SweepFrame,
    camera_errors,
    make_sweep,
    render_sweep,
    true_reprojection_rms,
)
from mocaplab.errors import InputError
from mocaplab.synthetic import DISTORTION_MILD, camera_ring

BOARD = BoardSpec(squares_x=7, squares_y=5, square_length=0.1, marker_length=0.075)


@pytest.fixture(scope="module")
def scene():
    cams = camera_ring(4, radius=2.2, height=1.8, target=(0, 0, 0.6), image_size=(640, 360),
                       focal_px=500,
                       distortion=DISTORTION_MILD,
                       principal_offsets=[(10, -5), (-8, 6), (5, 5), (-6, -4)])
    frames = make_sweep(cams, BOARD, n_pair=8, n_single=8, target=(0, 0, 0.6),
                        spread=(0.4, 0.4, 0.3), seed=1)
    data = render_sweep(cams, BOARD, frames, seed=1)
    return cams, data


def test_sweep_shows_board_to_at_most_two_cameras(scene):
    cams, data = scene
    assert max(len(f.cameras) for f in data.frames) == 2
    seen = np.zeros((len(data.frames), len(cams)), bool)
    for c, d in enumerate(data.detections):
        seen[d.frames, c] = True
    assert seen.sum(1).max() <= 2
    assert all(d.n_views >= 12 for d in data.detections)


def test_calibration_reaches_the_limit_of_the_detections(scene):
    """Started from scratch, the result is as good as a bundle adjustment started from the
    true cameras on the same detections (the accuracy limit), within the issue's targets."""
    cams, data = scene
    truth = list(cams)
    est = calibrate_detections(data.detections, BOARD)
    lim = calibrate_detections(data.detections, BOARD, initial_cameras=truth)
    e, e_lim = camera_errors(list(est.cameras), truth), camera_errors(list(lim.cameras), truth)
    assert e["centre_m"].max() <= max(0.002, 2 * e_lim["centre_m"].max())
    assert e["rotation_deg"].max() <= max(0.1, 1.5 * e_lim["rotation_deg"].max())
    assert e["focal_rel"].max() <= max(0.003, 2 * e_lim["focal_rel"].max())
    rms = true_reprojection_rms(list(est.cameras), truth, BOARD, data.frames)
    rms_lim = true_reprojection_rms(list(lim.cameras), truth, BOARD, data.frames)
    assert rms <= 1.5 * rms_lim
    # and it is a real calibration: sub-pixel residuals, centimetre-level camera positions
    assert est.bundle.rms < 0.5
    assert e["centre_m"].max() < 0.02


def test_scored_reprojection_error_prefers_the_truth_to_a_perturbed_calibration(scene):
    cams, data = scene
    good = reprojection_error(cams, data.detections, BOARD)
    bad_cams = cams.subset(cams.names)
    moved = [c.replace(tvec=c.tvec + np.array([0.02, 0, 0])) if i == 1 else c
             for i, c in enumerate(bad_cams)]
    bad = reprojection_error(type(cams)(tuple(moved)), data.detections, BOARD)
    assert good["rms_px"] < 0.5
    assert bad["cameras"]["cam1"] > 2 * good["cameras"]["cam1"]


def test_floor_alignment_puts_the_board_origin_at_zero_and_z_up(scene):
    cams, data = scene
    # the board lies on the floor, printed side up (its z axis points down into the floor)
    R_floor = np.array([[1.0, 0, 0], [0, -1.0, 0], [0, 0, -1.0]])
    t_floor = np.array([-0.35, 0.25, 0.0])
    floor = render_sweep(cams, BOARD, [SweepFrame(tuple(range(len(cams))), R_floor, t_floor)],
                         seed=3)
    assert sum(d.n_views for d in floor.detections) >= 2
    cal = calibrate_detections(data.detections, BOARD, floor_detections=floor.detections)
    for est, true in zip(cal.cameras, cams, strict=True):
        expected = R_floor.T @ (true.center - t_floor) * np.array([1, -1, -1])
        assert np.linalg.norm(est.center - expected) < 0.03
        assert est.center[2] > 1.0  # cameras above the floor
    assert cal.cameras.metadata["floor_aligned"]


def test_grouped_jacobian_equals_dense_finite_differences(scene):
    cams, data = scene
    dets = [dataclasses.replace(d, frames=d.frames[:3], corners=d.corners[:3])
            for d in data.detections]
    poses = [board_poses(c, d, BOARD) for c, d in zip(cams, dets, strict=True)]
    frames = np.unique(np.concatenate([d.frames for d in dets]))
    bR, bt = initial_board_poses(list(cams), dets, poses, frames)
    obs = collect_observations(dets, frames)
    prob = _Problem(list(cams), obs, BOARD, True, 0)
    x = prob.pack(list(cams), bR, bt)
    r0 = prob.residuals(x)
    J = prob.jacobian(x, r0).toarray()
    h = 1e-6 * np.maximum(np.abs(x), 1e-2)
    dense = np.stack([(prob.residuals(x + h[j] * np.eye(x.size)[j]) - r0) / h[j]
                      for j in range(x.size)], 1)
    np.testing.assert_allclose(J, dense, atol=1e-6 * np.abs(dense).max())
    assert np.array_equal(prob.sparsity().toarray() > 0, np.abs(dense) > 0) or \
        np.all((np.abs(dense) > 0) <= (prob.sparsity().toarray() > 0))


def test_cameras_without_shared_views_are_named(scene):
    cams, data = scene
    # keep only single-camera views for cam2 and cam3: they never share a frame with others
    single = {i for i, f in enumerate(data.frames) if len(f.cameras) == 1}
    dets = []
    for c, d in enumerate(data.detections):
        if c >= 2:
            keep = np.array([f in single for f in d.frames])
            d = CameraDetections(d.name, d.size, d.n_frames, d.frames[keep], d.corners[keep])
        dets.append(d)
    with pytest.raises(InputError, match="cam2, cam3|cam0, cam1"):
        calibrate_detections(dets, BOARD)


def test_fisheye_model(tmp_path):
    """The fisheye option calibrates fisheye cameras and writes a file aniposelib reads as such."""
    from mocaplab.camera import CameraSet

    ring = camera_ring(3, radius=2.2, height=1.8, target=(0, 0, 0.6), image_size=(640, 360),
                       focal_px=400)
    cams = CameraSet(tuple(c.replace(model="fisheye", distortion=np.array([0.05, -0.02, 0.01,
                                                                            0.0]))
                           for c in ring))
    frames = make_sweep(cams, BOARD, n_pair=8, n_single=10, target=(0, 0, 0.6),
                        spread=(0.4, 0.4, 0.3), seed=4)
    data = render_sweep(cams, BOARD, frames, seed=4)
    cal = calibrate_detections(data.detections, BOARD, model="fisheye")
    assert all(c.model == "fisheye" for c in cal.cameras)
    assert cal.bundle.rms < 0.5
    e = camera_errors(list(cal.cameras), list(cams))
    assert e["centre_m"].max() < 0.05 and e["rotation_deg"].max() < 1.5
    assert e["focal_rel"].max() < 0.01
    aniposelib = importlib.import_module("aniposelib.cameras")
    group = aniposelib.CameraGroup.load(str(cal.cameras.save(tmp_path / "fish.toml")))
    assert type(group.cameras[0]).__name__ == "FisheyeCamera"


def _with_floor_frames(data, cams, poses):
    """The sweep's detections followed by frames of the board lying at ``poses`` (R, t)."""
    floor = render_sweep(cams, BOARD, [SweepFrame(tuple(range(len(cams))), R, t)
                                       for R, t in poses], seed=5)
    F = len(data.frames)
    dets = [CameraDetections(d.name, d.size, F + len(poses), np.concatenate([d.frames,
                                                                             F + f.frames]),
                             np.concatenate([d.corners, f.corners]))
            for d, f in zip(data.detections, floor.detections, strict=True)]
    return dets, F


R_FLOOR = np.array([[1.0, 0, 0], [0, -1.0, 0], [0, 0, -1.0]])  # printed side up
T_FLOOR = np.array([-0.35, 0.25, 0.0])


def test_floor_frames_use_every_agreeing_frame_and_refuse_a_moved_board(scene, caplog):
    cams, data = scene
    moved = T_FLOOR + np.array([0.10, 0.0, 0.0])  # the board still being laid down
    poses = [(R_FLOOR, T_FLOOR)] * 3 + [(R_FLOOR, moved)]
    dets, F = _with_floor_frames(data, cams, poses)
    listed = [F, F + 1, F + 2, F + 3]
    with caplog.at_level("WARNING"):
        cal = calibrate_detections(dets, BOARD, floor_frames=listed)
    assert cal.floor.frames == (F, F + 1, F + 2)
    assert cal.floor.refused_frames == (F + 3,)
    assert str(F + 3) in caplog.text and "refused" in caplog.text
    assert cal.floor.n_views >= 3 * 2  # all agreeing frames in every camera that saw them
    assert cal.cameras.metadata["floor_frames_refused"] == [F + 3]
    for est, true in zip(cal.cameras, cams, strict=True):
        expected = R_FLOOR.T @ (true.center - T_FLOOR) * np.array([1, -1, -1])
        assert np.linalg.norm(est.center - expected) < 0.03
        assert est.center[2] > 1.0


def test_floor_frames_without_a_majority_in_one_place_are_an_error(scene):
    cams, data = scene
    poses = [(R_FLOOR, T_FLOOR), (R_FLOOR, T_FLOOR + np.array([0.0, -0.15, 0.0]))]
    dets, F = _with_floor_frames(data, cams, poses)
    with pytest.raises(InputError, match="not in the same place"):
        calibrate_detections(dets, BOARD, floor_frames=[F, F + 1])


def test_agreeing_frames_finds_the_consensus_pose():
    from mocaplab.calibration.floor import agreeing_frames

    R = np.stack([np.eye(3)] * 5)
    t = np.zeros((5, 3))
    t[1, 2] = 0.005  # within tolerance
    t[3, 0] = 0.3  # elsewhere
    tilt = np.radians(10.0)
    R[4] = [[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]]
    ok, disp = agreeing_frames(BOARD, R, t, tolerance=0.02)
    assert ok.tolist() == [True, True, True, False, False]
    assert disp[3] == pytest.approx(0.3)


def test_board_geometry_error_is_small_for_the_truth_and_grows_with_a_wrong_camera(scene):
    from mocaplab.calibration.evaluate import board_geometry_error, triangulate_corners

    cams, data = scene
    frames, pts = triangulate_corners(cams, data.detections)
    assert pts.shape[1:] == (BOARD.n_corners, 3) and len(frames) == len(pts)
    good = board_geometry_error(cams, data.detections, BOARD)
    assert good["n_frames"] >= 8
    # 640 x 360 images, f = 500 px, board ~2 m away: 1 px is ~4 mm there
    assert good["distance_rms_mm"] < 3.0 and good["planarity_rms_mm"] < 2.0
    assert abs(good["distance_bias_pct"]) < 0.3
    # a 5 % wrong focal length in one camera (its pose unchanged) distorts the board
    wrong = [c.replace(matrix=c.matrix * np.array([[1.05], [1.05], [1.0]])) if i == 1 else c
             for i, c in enumerate(cams)]
    bad = board_geometry_error(type(cams)(tuple(wrong)), data.detections, BOARD)
    assert bad["distance_rms_mm"] > 2 * good["distance_rms_mm"]
