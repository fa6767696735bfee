"""Board definitions (mocaplab, anipose, caliscope formats), printable sheets, the CLI verb."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mocaplab.board import BoardSpec
from mocaplab.calibration import load_board
from mocaplab.calibration.detect import detect_image, make_detector
from mocaplab.calibration.sheet import choose_page, write_board_sheet
from mocaplab.cli import main
from mocaplab.errors import InputError, OutputExistsError


def test_anipose_board_file(shared_data):
    b = load_board(shared_data / "sleap_anipose_minimal_session/board.toml")
    assert (b.squares_x, b.squares_y, b.dictionary) == (8, 11, "DICT_4X4_1000")
    assert b.square_length == pytest.approx(0.024)
    assert b.marker_length == pytest.approx(0.01875)


def test_caliscope_board_file_is_inverted(shared_data):
    b = load_board(shared_data / "caliscope_charuco_4cam/charuco_calibration/charuco.toml")
    assert (b.squares_x, b.squares_y, b.inverted) == (4, 5, True)
    assert b.square_length == pytest.approx(0.054)
    assert b.marker_length == pytest.approx(0.0405)


def test_mocaplab_board_round_trip(tmp_path):
    b = BoardSpec(squares_x=6, squares_y=4, square_length=0.05, marker_length=0.037,
                  dictionary="DICT_5X5_100", inverted=True, legacy=True)
    b.save(tmp_path / "b.toml")
    assert load_board(tmp_path / "b.toml") == b


def test_unknown_board_file(tmp_path):
    (tmp_path / "b.toml").write_text("size = 3\n")
    with pytest.raises(InputError, match="unknown format"):
        load_board(tmp_path / "b.toml")


@pytest.mark.parametrize("inverted, legacy", [(False, False), (True, False), (False, True)])
def test_inverted_and_legacy_boards_are_detected(inverted, legacy):
    """A rendered board is found with its own definition; legacy and modern layouts of a board
    with an even number of rows differ, so a wrong legacy flag loses the corners."""
    b = BoardSpec(squares_x=5, squares_y=4, square_length=0.04, marker_length=0.03,
                  inverted=inverted, legacy=legacy)
    img = b.render(pixels_per_square=60, margin_squares=0.5)
    ids, px, _, _ = detect_image(make_detector(b), img, b)
    assert len(ids) == b.n_corners
    expected = (b.corner_points()[ids, :2] / b.square_length + 0.5) * 60 - 0.5
    assert np.abs(px - expected).max() < 1.0
    other = BoardSpec(**{**b.__dict__, "legacy": not legacy})
    ids2, _, _, _ = detect_image(make_detector(other), img, other)
    assert len(ids2) < b.n_corners


def test_sheet_is_true_scale_png(tmp_path):
    b = BoardSpec()  # 7 x 5, 60 mm squares
    out = write_board_sheet(b, tmp_path / "board.png", dpi=150)
    img = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)
    name, (w_m, h_m) = choose_page(b)
    assert img.shape[1] == pytest.approx(w_m / 0.0254 * 150, abs=2)
    ids, px, _, _ = detect_image(make_detector(b), img, b)
    assert len(ids) == b.n_corners
    # neighbouring corners are one square apart at 150 dpi
    step = np.linalg.norm(px[1] - px[0])
    assert step == pytest.approx(0.06 / 0.0254 * 150, rel=0.003)
    with pytest.raises(OutputExistsError):
        write_board_sheet(b, out)


def test_board_create_cli_writes_pdf_png_and_toml(tmp_path, capsys):
    outs = [tmp_path / "b.pdf", tmp_path / "b.png", tmp_path / "b.toml"]
    code = main(["board", "create", "--squares-x", "5", "--squares-y", "4", "--square-length",
                 "0.04", "--dictionary", "DICT_4X4_50", "--inverted", "--dpi", "100",
                 "--out", *map(str, outs)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "ChArUco 5 x 4 squares, square 40.00 mm" in printed and "inverted" in printed
    assert outs[0].read_bytes().startswith(b"%PDF")
    assert load_board(outs[2]).inverted
    assert main(["board", "create", "--out", str(outs[1])]) == 1  # exists, no --force


def test_calibrate_import_cli(shared_data, tmp_path):
    out = tmp_path / "cal.toml"
    qca = shared_data / "pose2sim_demo_singleperson/calibration/Calib.qca.txt"
    assert main(["calibrate", "--import", str(qca), "--out", str(out)]) == 0
    from mocaplab.camera import CameraSet

    assert CameraSet.load(out).names == ["cam01", "cam02", "cam03", "cam04"]
