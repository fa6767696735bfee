"""The calibration command line as an operator uses it (issue 19): board options on
``calibrate``, the scale check against a measured distance, the verdict in lines, the help of
``board create``, readable board sheets."""

from __future__ import annotations

import re

import pytest

from mocaplab.board import BoardSpec
from mocaplab.calibration.simulate import pair_sweep_videos
from mocaplab.camera import CameraSet
from mocaplab.cli import main

BOARD = BoardSpec(squares_x=5, squares_y=4, square_length=0.1, marker_length=0.075,
                  dictionary="DICT_4X4_50")
BOARD_OPTIONS = ["--squares-x", "5", "--squares-y", "4", "--square-length", "0.1",
                 "--marker-length", "0.075"]
#: The two cameras of pair_sweep_videos stand 2.4 m apart.
TRUE_DISTANCE = "2.4"


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return pair_sweep_videos(tmp_path_factory.mktemp("videos"), BOARD)[1]


def _sources(videos):
    return [str(videos["cam0"]), str(videos["cam1"])]


def test_calibrate_takes_the_board_from_options_and_checks_the_scale(videos, tmp_path, capsys):
    out = tmp_path / "lab.toml"
    code = main(["calibrate", *BOARD_OPTIONS, "--out", str(out), "--check-distance", "cam0",
                 "cam1", TRUE_DISTANCE, *_sources(videos)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "board: ChArUco 5 x 4 squares, square 100.00 mm" in printed
    lines = printed.splitlines()
    assert any(x.startswith("verdict: ") for x in lines)
    assert not any("check the scale" in x for x in lines)
    assert any(line.startswith("scale check cam0-cam1:") and line.endswith(": ok")
               for line in lines)
    checks = CameraSet.load(out).metadata["scale_checks"]
    assert checks[0]["ok"] and abs(checks[0]["error_pct"]) < 2


def test_a_wrong_square_length_is_caught_by_the_measured_distance(videos, tmp_path, capsys):
    """The board was printed with 100 mm squares; the operator typed 120 mm. Reprojection
    errors cannot see it; the measured camera distance does, and says the likely square."""
    out = tmp_path / "lab.toml"
    code = main(["calibrate", "--squares-x", "5", "--squares-y", "4", "--square-length",
                 "0.12", "--marker-length", "0.09", "--out", str(out), "--check-distance",
                 "cam0", "cam1", TRUE_DISTANCE, *_sources(videos)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(x.startswith("verdict: ") and x.endswith("thing(s) to check") for x in lines)
    problem = next(x for x in lines if x.startswith("  - check the scale"))
    assert "m in the calibration but 2.400 m measured" in problem
    implied = float(re.search(r"probably ([0-9.]+) mm, not 120.0 mm", problem).group(1))
    assert 97 < implied < 103  # the printed 100 mm, within this small scene's accuracy
    report = (tmp_path / "lab_report.json").read_text()
    assert "implied_square_length_m" in report


def test_calibrate_refuses_to_guess_the_board_and_checks_names_first(videos, tmp_path, capsys):
    out = tmp_path / "lab.toml"
    assert main(["calibrate", "--out", str(out), *_sources(videos)]) == 1
    assert "--square-length" in capsys.readouterr().err
    assert main(["calibrate", *BOARD_OPTIONS, "--out", str(out), "--check-distance", "cam0",
                 "camX", "2", *_sources(videos)]) == 1
    assert "camX" in capsys.readouterr().err
    assert not out.exists()
    assert main(["calibrate", *BOARD_OPTIONS, "--out", str(out), "--check-distance", "cam0",
                 "cam1", "two", *_sources(videos)]) == 1
    assert "number of metres" in capsys.readouterr().err


def test_board_options_override_a_board_file(tmp_path, capsys):
    board = BOARD.save(tmp_path / "board.toml")
    assert main(["board", "check", "--board", str(board), "--square-length", "0.098"]) == 0
    printed = capsys.readouterr().out
    assert "square 98.00 mm, marker 73.50 mm" in printed


def test_board_create_help_is_its_own(capsys):
    with pytest.raises(SystemExit):
        main(["board", "create", "--help"])
    text = capsys.readouterr().out
    assert text.startswith("usage: mocaplab board create")
    assert "--paper" in text and "--square-length" in text and "--out" in text


def test_board_sheet_text_is_large_enough_to_read():
    from mocaplab.calibration.sheet import SHEET_FONT_PT

    assert SHEET_FONT_PT >= 12
