"""Bad input gives clear errors and leaves no partial calibration file behind."""

from __future__ import annotations

import dataclasses
import importlib

import cv2
import numpy as np
import pytest

from mocaplab.board import BoardSpec
from mocaplab.calibration.pipeline import calibrate
from mocaplab.calibration.simulate import pair_sweep_videos
from mocaplab.camera import CameraSet
from mocaplab.errors import InputError, OutputExistsError

BOARD = BoardSpec(squares_x=5, squares_y=4, square_length=0.1, marker_length=0.075,
                  dictionary="DICT_4X4_50")


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Two synchronised lossless videos of a short synthetic sweep."""
    return pair_sweep_videos(tmp_path_factory.mktemp("videos"), BOARD)[1]


def _no_outputs(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir())


def test_a_file_that_is_not_a_video(videos, tmp_path):
    fake = tmp_path / "cam9.mp4"
    fake.write_text("this is not a video")
    out = tmp_path / "cal.toml"
    with pytest.raises(InputError, match=r"camera cam9: .*not a readable video"):
        calibrate({**videos, "cam9": fake}, BOARD, out, show_progress=False)
    assert _no_outputs(tmp_path) == ["cam9.mp4"]


def test_a_board_definition_that_does_not_match_the_print(videos, tmp_path):
    wrong = dataclasses.replace(BOARD, dictionary="DICT_5X5_100")
    out = tmp_path / "cal.toml"
    with pytest.raises(InputError, match=r"camera cam0 never sees the board.*dictionary"):
        calibrate(videos, wrong, out, show_progress=False)
    assert _no_outputs(tmp_path) == []


def test_an_inverted_print_is_recognised_in_the_message(videos, tmp_path):
    inverted = dataclasses.replace(BOARD, inverted=True)
    with pytest.raises(InputError, match="set inverted = false"):
        calibrate(videos, inverted, tmp_path / "cal.toml", show_progress=False)
    assert _no_outputs(tmp_path) == []


def test_cameras_with_different_frame_counts(videos, tmp_path):
    short = tmp_path / "cam1.avi"
    cap = cv2.VideoCapture(str(videos["cam1"]))
    ok, frame = cap.read()
    h, w = frame.shape[:2]
    writer = cv2.VideoWriter(str(short), cv2.VideoWriter_fourcc(*"FFV1"), 10.0, (w, h))
    for _ in range(3):
        writer.write(frame)
    writer.release()
    cap.release()
    with pytest.raises(InputError, match=r"different numbers of frames \(cam0: \d+, cam1: 3\)"):
        calibrate({"cam0": videos["cam0"], "cam1": short}, BOARD, tmp_path / "cal.toml",
                  show_progress=False)
    assert _no_outputs(tmp_path) == ["cam1.avi"]


def test_existing_calibration_is_not_overwritten_without_force(videos, tmp_path):
    out = tmp_path / "cal.toml"
    out.write_text("precious")
    with pytest.raises(OutputExistsError, match="--force"):
        calibrate(videos, BOARD, out, show_progress=False)
    assert out.read_text() == "precious"


def test_end_to_end_videos_to_calibration_and_report(videos, tmp_path):
    """The two-camera sweep calibrates, the TOML loads in aniposelib, the report exists."""
    aniposelib = importlib.import_module("aniposelib.cameras")
    import json

    out = tmp_path / "cal.toml"
    cal = calibrate(videos, BOARD, out, show_progress=False)
    group = aniposelib.CameraGroup.load(str(out))
    assert group.get_names() == ["cam0", "cam1"]
    report = json.loads((tmp_path / "cal_report.json").read_text())
    assert set(report["cameras"]) == {"cam0", "cam1"}
    assert report["reprojection_rms_px"] < 1.0
    assert (tmp_path / "cal_report.png").stat().st_size > 10_000
    assert isinstance(report["verdict"], str) and report["verdict"]
    d = np.linalg.norm(cal.cameras[0].center - cal.cameras[1].center)
    assert abs(d - 2.4) < 0.05  # the cameras stand 2.4 m apart


def test_calibrate_cli_names_cameras_from_files_and_refuses_to_overwrite(videos, tmp_path,
                                                                         capsys):
    from mocaplab.cli import main

    board = BOARD.save(tmp_path / "board.toml")
    out = tmp_path / "lab.toml"
    args = ["calibrate", "--board", str(board), "--out", str(out),
            str(videos["cam0"]), str(videos["cam1"])]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "cam0:" in printed and "verdict:" in printed
    assert CameraSet.load(out).names == ["cam0", "cam1"]
    before = out.read_bytes()
    assert main(args) == 1  # exists: refused before any work
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_floor_frames_outside_the_recording(videos, tmp_path):
    with pytest.raises(InputError, match=r"floor frames \[999\] are outside the recordings"):
        calibrate(videos, BOARD, tmp_path / "cal.toml", floor_frames=[2, 999],
                  show_progress=False)
    assert _no_outputs(tmp_path) == []


def test_floor_frames_are_examined_even_when_not_in_the_sample():
    from mocaplab.calibration.detect import frames_to_examine

    idx = frames_to_examine(1000, 10, np.array([7, 503, 2000]))
    assert {7, 503} <= set(idx.tolist()) and 2000 not in idx
    assert len(idx) == 12 and np.all(np.diff(idx) > 0)
