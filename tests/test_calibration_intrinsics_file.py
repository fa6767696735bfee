"""Intrinsics calibrated once, extrinsics each session (``calibrate --intrinsics CAL.toml``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mocaplab.board import BoardSpec
from mocaplab.calibration.lenses import given_lenses
from mocaplab.calibration.pipeline import calibrate, calibrate_detections
from mocaplab.calibration.simulate import (
    camera_errors,
    make_sweep,
    pair_sweep_videos,
    render_sweep,
    true_reprojection_rms,
)
from mocaplab.camera import CameraSet
from mocaplab.errors import InputError
from mocaplab.synthetic import DISTORTION_STRONG, camera_ring

BOARD = BoardSpec(squares_x=7, squares_y=5, square_length=0.1, marker_length=0.075)
SMALL = BoardSpec(squares_x=5, squares_y=4, square_length=0.1, marker_length=0.075)


@pytest.fixture(scope="module")
def scene():
    """A 4-camera ring with strong distortion and off-centre principal points: few close
    views per camera, so the lenses are estimated with some error from the sweep alone."""
    cams = camera_ring(4, radius=2.2, height=1.8, target=(0, 0, 0.6), image_size=(640, 360),
                       focal_px=500, distortion=DISTORTION_STRONG,
                       principal_offsets=[(12, -6), (-9, 7), (6, 5), (-7, -4)])
    frames = make_sweep(cams, BOARD, n_pair=8, n_single=4, target=(0, 0, 0.6),
                        spread=(0.4, 0.4, 0.3), seed=3)
    return cams, render_sweep(cams, BOARD, frames, seed=3)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Two synchronised lossless videos of a short sweep, and the true cameras."""
    return pair_sweep_videos(tmp_path_factory.mktemp("videos"), SMALL)


def test_true_lenses_give_extrinsics_at_least_as_good_as_estimating_them(scene):
    cams, data = scene
    truth = list(cams)
    est = calibrate_detections(data.detections, BOARD)
    given = calibrate_detections(data.detections, BOARD, given_lenses=given_lenses(
        truth, [d.name for d in data.detections], [d.size for d in data.detections]),
        lenses_origin="truth")
    e, e_given = camera_errors(list(est.cameras), truth), camera_errors(list(given.cameras), truth)
    assert e_given["centre_m"].max() <= e["centre_m"].max()
    assert e_given["rotation_deg"].max() <= e["rotation_deg"].max()
    assert e_given["centre_m"].max() < 0.005  # 2.6 mm (7.4 mm with estimated lenses)
    # the lenses are held fixed: exactly the given ones
    for c, t in zip(given.cameras, truth, strict=True):
        np.testing.assert_array_equal(c.matrix, t.matrix)
        np.testing.assert_array_equal(c.distortion, t.distortion)
    assert true_reprojection_rms(list(given.cameras), truth, BOARD, data.frames) <= \
        true_reprojection_rms(list(est.cameras), truth, BOARD, data.frames)
    meta = given.cameras.metadata["intrinsics_from"]
    assert meta == {"source": "truth", "cameras": [c.name for c in truth],
                    "refined_in_bundle_adjustment": False}
    assert all(r.lens_model == "given" and not r.free.any() for r in given.intrinsics)
    assert all(r.rms < 0.5 for r in given.intrinsics)  # the true lens fits the views


def test_given_lenses_can_be_refined_jointly(scene):
    cams, data = scene
    names, sizes = [d.name for d in data.detections], [d.size for d in data.detections]
    wrong = [c.replace(matrix=c.matrix * np.array([[1.03, 1, 1], [1, 1.03, 1], [1, 1, 1]]))
             for c in cams]
    fixed = calibrate_detections(data.detections, BOARD,
                                 given_lenses=given_lenses(wrong, names, sizes))
    refined = calibrate_detections(data.detections, BOARD, refine_given=True,
                                   given_lenses=given_lenses(wrong, names, sizes))
    assert refined.cameras.metadata["intrinsics_from"]["refined_in_bundle_adjustment"]
    f_true = np.array([c.matrix[0, 0] for c in cams])
    f_ref = np.array([c.matrix[0, 0] for c in refined.cameras])
    f_fix = np.array([c.matrix[0, 0] for c in fixed.cameras])
    assert np.abs(f_ref / f_true - 1).max() < 0.01 < np.abs(f_fix / f_true - 1).min()
    assert refined.bundle.rms < fixed.bundle.rms


def test_a_camera_missing_from_the_file_is_named_with_the_names_in_the_file(scene):
    cams, _ = scene
    with pytest.raises(InputError, match=r"\['camX'\] not found in lab.toml.*cam0.*cam3"):
        given_lenses(list(cams), ["cam0", "camX"], [(640, 360)] * 2, "lab.toml")


def test_an_image_size_that_differs_from_the_recording_names_both(scene):
    cams, _ = scene
    with pytest.raises(InputError, match=r"cam1: .* 640 x 360 px .* 1280 x 720 px"):
        given_lenses(list(cams), ["cam0", "cam1"], [(640, 360), (1280, 720)])


def test_mixed_lens_models_are_refused(scene):
    cams, _ = scene
    fish = cams[1].replace(model="fisheye", distortion=np.zeros(4))
    with pytest.raises(InputError, match="mixes lens models"):
        given_lenses([cams[0], fish], ["cam0", "cam1"], [(640, 360)] * 2)


def test_videos_with_an_intrinsics_file_end_to_end(videos, tmp_path):
    truth, paths = videos
    lens_file = truth.save(tmp_path / "lenses.toml")
    out = tmp_path / "cal.toml"
    cal = calibrate(paths, SMALL, out, intrinsics=lens_file, show_progress=False)
    loaded = CameraSet.load(out)
    assert loaded.metadata["intrinsics_from"]["source"] == str(lens_file)
    for c, t in zip(loaded, truth, strict=True):
        np.testing.assert_allclose(c.matrix, t.matrix)
        np.testing.assert_allclose(c.distortion, t.distortion)
    d = np.linalg.norm(cal.cameras[0].center - cal.cameras[1].center)
    assert abs(d - 2.4) < 0.02  # the cameras stand 2.4 m apart
    report = json.loads((tmp_path / "cal_report.json").read_text())
    assert any("taken from" in n and "held fixed" in n for n in report["notes"])


def test_cli_intrinsics_errors_leave_no_output(videos, tmp_path, capsys):
    from mocaplab.cli import main

    truth, paths = videos
    board = SMALL.save(tmp_path / "board.toml")
    other = CameraSet(tuple(c.replace(name=n) for c, n in zip(truth, ["a", "b"], strict=True)))
    wrong_names = other.save(tmp_path / "other.toml")
    out = tmp_path / "lab.toml"
    args = ["calibrate", "--board", str(board), "--out", str(out), str(paths["cam0"]),
            str(paths["cam1"]), "--intrinsics"]
    assert main(args + [str(wrong_names)]) == 1
    err = capsys.readouterr().err
    assert "cam0" in err and "['a', 'b']" in err
    big = CameraSet(tuple(c.replace(size=(960, 540)) for c in truth))
    assert main(args + [str(big.save(tmp_path / "big.toml"))]) == 1
    assert "960 x 540" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "lab_report.json").exists()
    assert main(args + [str(truth.save(tmp_path / "lenses.toml"))]) == 0
    assert "taken from" in capsys.readouterr().out


def test_refine_intrinsics_without_an_intrinsics_file_is_refused(videos, tmp_path, capsys):
    from mocaplab.cli import main

    _, paths = videos
    board = SMALL.save(tmp_path / "board.toml")
    out = tmp_path / "lab.toml"
    assert main(["calibrate", "--board", str(board), "--out", str(out), "--refine-intrinsics",
                 str(paths["cam0"]), str(paths["cam1"])]) == 1
    assert "--intrinsics" in capsys.readouterr().err
    assert not out.exists()
