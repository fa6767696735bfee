"""Progression frame: direction from the data, passes, turns excluded, treadmill."""

from __future__ import annotations

import numpy as np

from mocaplab.analysis.angles import pelvis_angles
from mocaplab.analysis.events import detect_events
from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.progression import progression
from mocaplab.synthetic.gait import parametric_walk


def _there_and_back(fps=100.0):
    """A parametric walk bent into a U-turn: +X for 3 s, a 1.5 s turn, then -X."""
    w = parametric_walk(duration_s=8.0, fps=fps, speed_m_s=1.2)
    t = np.arange(w.markers.shape[0]) / fps
    h = np.pi * (1 - np.cos(np.clip((t - 3.0) / 1.5, 0, 1) * np.pi)) / 2
    v = 1.2
    path = np.zeros((len(t), 3))
    path[1:, 0] = np.cumsum(v * np.cos(h[1:]) / fps)
    path[1:, 1] = np.cumsum(v * np.sin(h[1:]) / fps)
    q = w.markers - np.stack([v * t, np.zeros_like(t), np.zeros_like(t)], 1)[:, None]
    c, s = np.cos(h)[:, None], np.sin(h)[:, None]
    out = np.stack([c * q[..., 0] - s * q[..., 1], s * q[..., 0] + c * q[..., 1], q[..., 2]], -1)
    return w, out + path[:, None], t


def test_turn_is_excluded_and_passes_have_opposite_directions():
    w, markers, t = _there_and_back()
    lm = find_landmarks(markers, w.marker_labels, w.fps)
    prog = progression(lm)
    assert len(prog.passes) == 2
    f0, f1 = np.array(prog.passes[0].forward), np.array(prog.passes[1].forward)
    np.testing.assert_allclose(f0, [1, 0, 0], atol=1e-9)
    np.testing.assert_allclose(f1, [-1, 0, 0], atol=1e-9)
    mid_turn = int(3.75 * w.fps)
    assert prog.excluded[mid_turn]
    assert not prog.excluded[int(1.5 * w.fps)] and not prog.excluded[int(6.5 * w.fps)]
    # angles in both straight passes match the truth; null in the turn
    pa = pelvis_angles(lm, prog)
    ok = ~prog.excluded & ((t < 2.9) | (t > 4.6))
    err = np.sqrt(np.nanmean((pa.left[ok] - w.pelvis_angles["left"][ok]) ** 2, axis=0))
    assert np.all(err < 0.5), err
    assert np.isnan(pa.left[mid_turn]).all()
    events, warnings = detect_events(lm, prog)
    assert all(not prog.excluded[int(round(e.index))] for e in events)
    assert len(events) >= 16


def test_treadmill_direction_from_facing():
    w = parametric_walk(duration_s=4.0, treadmill=True, heading_deg=-90.0)
    lm = find_landmarks(w.markers, w.marker_labels, w.fps)
    prog = progression(lm)
    assert prog.treadmill
    np.testing.assert_allclose(prog.passes[0].forward, [0, -1, 0], atol=1e-9)
    pa = pelvis_angles(lm, prog)
    np.testing.assert_allclose(pa.right, w.pelvis_angles["right"], atol=1e-6)


def test_standing_still_has_no_pass():
    w = parametric_walk(duration_s=3.0)
    still = np.repeat(w.markers[:1], 300, axis=0)
    lm = find_landmarks(still, w.marker_labels, w.fps)
    prog = progression(lm)
    assert prog.treadmill or not prog.passes   # standing: facing direction only, no walking
    events, _ = detect_events(lm, prog)
    assert events == []


def test_static_trial_is_not_treadmill_and_gets_lab_axis_angles():
    """A standing trial: no events, no treadmill; pelvis angles against the lab axis faced."""

    for heading in (85.0, 90.0):
        w = parametric_walk(duration_s=3.0, heading_deg=heading)
        still = np.repeat(w.markers[50:51], 200, axis=0)
        lm = find_landmarks(still, w.marker_labels, w.fps)
        prog = progression(lm)
        assert not prog.treadmill and prog.lab_axes and not prog.passes
        np.testing.assert_allclose(prog.forward[0], [0, 1, 0], atol=1e-12)   # +Y, the nearest
        assert detect_events(lm, prog)[0] == []
    pa = pelvis_angles(lm, prog)
    assert np.isfinite(pa.left).all()
    np.testing.assert_allclose(pa.left[0], w.pelvis_angles["left"][50], atol=0.01)


def test_treadmill_recognised_from_the_feet_with_a_still_pelvis():
    w = parametric_walk(duration_s=4.0, treadmill=True, sway_m=0.0, heading_deg=180.0)
    lm = find_landmarks(w.markers, w.marker_labels, w.fps)
    prog = progression(lm)
    assert prog.treadmill and not prog.lab_axes
    events, _ = detect_events(lm, prog)
    assert len(events) >= len(w.events) - 1


def test_standing_then_running_off_is_not_a_treadmill():
    """A subject who stands for most of the trial and then runs off (BTK's SprintMotion.trc: a
    sprint start from blocks, 1.6 m of pelvis travel) was called a treadmill trial: the median
    pelvis speed was low and the feet moved relative to the pelvis, so it got a belt speed, a
    cadence and events. A treadmill keeps the pelvis within a belt's length: this is not one,
    and with the pelvis still most of the time it is not walking (lab axes, no events)."""
    w = parametric_walk(duration_s=3.0, speed_m_s=1.2)
    stand = np.repeat(w.markers[:1], 500, axis=0)             # 5 s standing, then 3 s walking
    lm = find_landmarks(np.concatenate([stand, w.markers]), w.marker_labels, w.fps)
    prog = progression(lm)
    assert not prog.treadmill and prog.lab_axes and not prog.passes
    np.testing.assert_allclose(prog.forward[0], [1, 0, 0], atol=1e-9)
    assert detect_events(lm, prog)[0] == []
    # the same walk on a treadmill (pelvis within the belt) still is one
    t = parametric_walk(duration_s=3.0, speed_m_s=1.2, treadmill=True)
    lm = find_landmarks(np.concatenate([np.repeat(t.markers[:1], 100, axis=0), t.markers]),
                        t.marker_labels, t.fps)
    assert progression(lm).treadmill
