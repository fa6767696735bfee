"""Synchronisation by timestamps on a common clock."""

from __future__ import annotations

import numpy as np
import pytest

from mocaplab.capture.timesync import match_timestamps
from mocaplab.errors import InputError


def _camera(n, fps, phase, jitter, rng):
    return phase + np.arange(n) / fps + rng.normal(0, jitter, n)


def test_free_running_cameras_pair_within_a_frame():
    rng = np.random.default_rng(0)
    ts = {f"cam{i}": _camera(300, 30.0, rng.uniform(0, 1 / 30), 0.001, rng) for i in range(4)}
    m = match_timestamps(ts)
    assert m.frames.shape[1] == 4 and len(m.times) >= 295
    assert m.spread.max() < 1 / 30
    assert not m.warnings
    # the common clock sits between the cameras' times
    t = np.stack([ts[c][m.frames[:, k]] for k, c in enumerate(m.cameras)], 1)
    assert np.all((m.times >= t.min(1)) & (m.times <= t.max(1)))


def test_dropped_frames_are_reported_not_hidden():
    rng = np.random.default_rng(1)
    full = _camera(200, 30.0, 0.0, 0.0005, rng)
    ts = {"a": full, "b": np.delete(_camera(200, 30.0, 0.004, 0.0005, rng), [50, 51, 120]),
          "c": _camera(200, 30.0, 0.010, 0.0005, rng)}
    m = match_timestamps(ts)
    assert len(m.times) == 197
    assert set(m.unmatched["a"].tolist()) == {50, 51, 120}
    assert set(m.unmatched["c"].tolist()) == {50, 51, 120}
    assert len(m.unmatched["b"]) == 0
    assert "3 frames unmatched" in m.report()


def test_fps_mismatch_is_loud():
    rng = np.random.default_rng(2)
    ts = {"slow": _camera(100, 25.0, 0, 0, rng), "fast": _camera(120, 30.0, 0.001, 0, rng)}
    m = match_timestamps(ts)
    assert m.reference == "slow"
    assert any("frame rates differ" in w for w in m.warnings)
    assert len(m.unmatched["fast"]) >= 15


def test_offset_start_leaves_unmatched_ends():
    ts = {"a": np.arange(100) / 50.0, "b": 0.5 + np.arange(100) / 50.0}
    m = match_timestamps(ts)
    assert len(m.times) == 75
    assert m.unmatched["a"].tolist() == list(range(25))
    assert m.unmatched["b"].tolist() == list(range(75, 100))


def test_bad_timestamps():
    with pytest.raises(InputError, match="strictly increasing"):
        match_timestamps({"a": np.array([0.0, 0.1, 0.1]), "b": np.array([0.0, 0.1, 0.2])})
    with pytest.raises(InputError, match="at least 2"):
        match_timestamps({"a": np.array([0.0]), "b": np.array([0.0, 0.1])})
