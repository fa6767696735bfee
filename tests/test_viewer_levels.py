"""Pelvis/shoulder lines against a level reference, clinical wording, the one side-colour
convention (pure NumPy, no renderer)."""

import numpy as np
import pytest

from mocaplab import sides
from mocaplab.viewer import levels as lv
from mocaplab.viewer import scene as sc
from mocaplab.viewer.data import TrialData, format_panel
from mocaplab.viewer.timeline import timeline_image

KP = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
FWD = np.array([0.0, 1.0, 0.0])  # walking along +Y: the subject's left is -X


def _frame(pelvis_up_left_m=0.0, shoulder_fwd_left_m=0.0):
    # hips 0.2 m apart, shoulders 0.36 m apart; left = -X when walking along +Y
    up, fwd = pelvis_up_left_m / 2, shoulder_fwd_left_m / 2
    return np.array([[-0.1, 0.0, 0.9 + up], [0.1, 0.0, 0.9 - up],
                     [-0.18, fwd, 1.4], [0.18, -fwd, 1.4]])


def test_tilt_and_rotation_signs_and_wording():
    lines = lv.level_lines(_frame(pelvis_up_left_m=0.2 * np.tan(np.radians(3.1)),
                                  shoulder_fwd_left_m=0.36 * np.tan(np.radians(8.0))),
                           KP, FWD)
    pelvis, shoulders = lines
    assert pelvis.name == "pelvis" and pelvis.tilt_deg == pytest.approx(3.1, abs=1e-6)
    assert pelvis.heading_deg == pytest.approx(0.0, abs=1e-9)
    assert shoulders.heading_deg == pytest.approx(8.0, abs=1e-6)
    assert lv.trunk_rotation_deg(lines) == pytest.approx(8.0, abs=1e-6)
    text = lv.describe(lines, exaggeration=3.0)
    assert text[0] == "Pelvis: left side 3.1° higher"
    assert text[1] == "Shoulders: level (0.0°)"
    assert text[2] == "Trunk rotation: 8.0° (left shoulder forward of the pelvis)"
    assert "x3" in text[3] and "as measured" in text[3]
    assert lv.label(pelvis) == "pelvis: left side 3.1° higher"
    # mirrored: the right side higher
    right_up = lv.level_lines(_frame(pelvis_up_left_m=-0.01), KP, FWD)[0]
    assert sides.higher_side(right_up.tilt_deg).startswith("right side 2.9° higher")


def test_drawn_lines_exaggerate_the_angle_and_keep_a_level_reference():
    ln = lv.level_lines(_frame(pelvis_up_left_m=0.2 * np.tan(np.radians(2.0))), KP[:2], FWD)[0]
    for k in (1.0, 3.0):
        g = lv.level_geometry([ln], FWD, exaggeration=k)
        assert g.lines.shape == (3, 2)
        left_end = g.points[1] - g.points[0]
        drawn = np.degrees(np.arctan2(left_end[2], np.hypot(left_end[0], left_end[1])))
        assert drawn == pytest.approx(2.0 * k, abs=1e-6)
        ref = g.points[5] - g.points[4]
        assert ref[2] == pytest.approx(0.0) and np.linalg.norm(ref) > 0.3  # level, wider
        assert np.allclose(g.colors[0], sides.rgb("left"))
        assert np.allclose(g.colors[1], sides.rgb("right"))
    series = lv.tilt_series(np.stack([_frame(), _frame(0.2 * np.tan(np.radians(2.0)))]), KP, FWD)
    assert series == pytest.approx([0.0, 2.0], abs=1e-6)


def test_missing_points_give_no_line():
    f = _frame()
    f[1] = np.nan
    assert [ln.name for ln in lv.level_lines(f, KP, FWD)] == ["shoulders"]
    assert lv.trunk_rotation_deg(lv.level_lines(f, KP, FWD)) is None


def test_one_side_colour_convention():
    assert sides.LEGEND == "left red, right blue"
    assert (sides.rgb("left"), sides.rgb("right")) == (sc.LEFT_COLOR, sc.RIGHT_COLOR)
    r, g, b = sides.rgb("left")
    assert r > b  # left is red
    r, g, b = sides.rgb("right")
    assert b > r  # right is blue
    assert sides.higher_side(None) == "not available"
    assert sides.higher_side(0.2) == "level (0.2°)"


def test_panel_words_the_plug_in_gait_per_side_values():
    n = 3
    angles = {"pelvis.obliquity.left": np.full(n, -3.1), "pelvis.obliquity.right": np.full(n, 3.1),
              "pelvis.rotation.left": np.full(n, 4.0), "pelvis.rotation.right": np.full(n, -4.0)}
    t = TrialData("t", np.zeros((n, 4, 3)), KP, 100.0, angles=angles)
    assert format_panel(t, 0).split("\n") == ["Pelvic obliquity: right side 3.1° higher",
                                              "Pelvic rotation: 4.0° (left side forward)"]


def test_timeline_without_events_draws_a_trace():
    trace = np.sin(np.linspace(0, 6, 50))
    img = timeline_image(50, (), 0, width=100, height=20, trace=trace)
    plain = timeline_image(50, (), 0, width=100, height=20)
    assert (img != plain).any(axis=-1).sum() > 50
