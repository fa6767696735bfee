"""Pairing calibration camera names with video names (mocaplab.camera_names)."""

from __future__ import annotations

import pytest

from mocaplab.camera_names import (
    CameraNameError,
    loose_name,
    pair_camera_names,
    parse_camera_map,
)
from mocaplab.errors import InputError


def test_equal_and_loose_names_pair():
    assert pair_camera_names(["a", "b"], ["b", "a"]) == {"a": "a", "b": "b"}
    assert pair_camera_names(["cam01", "Cam02"], ["cam_1", "CAM_2"]) == {
        "cam01": "cam_1", "Cam02": "CAM_2"}
    assert loose_name("cam100") == "cam100" and loose_name("cam_007") == "cam7"


def test_partial_loose_pairing_is_refused_and_every_name_listed():
    with pytest.raises(CameraNameError) as e:
        pair_camera_names(["cam01", "cam02", "cam03", "cam04"],
                          ["cam_0", "cam_1", "cam_2", "cam_3"])
    msg = str(e.value)
    for name in ("cam01", "cam04", "cam_0", "cam_3", "--camera-map"):
        assert name in msg


def test_explicit_map_wins_and_is_checked():
    pairs = pair_camera_names(["left", "right"], ["c1", "c2"], {"left": "c2", "right": "c1"})
    assert pairs == {"left": "c2", "right": "c1"}
    with pytest.raises(CameraNameError, match="c9"):
        pair_camera_names(["left"], ["c1"], {"left": "c9"})


def test_parse_camera_map():
    assert parse_camera_map("a=b, c=d") == {"a": "b", "c": "d"}
    assert parse_camera_map(None) == {}
    for bad in ("a", "a=", "a=b,a=c", "a=b,c=b"):
        with pytest.raises(InputError):
            parse_camera_map(bad)
