"""Gap filling, zero-phase low-pass at the real fps, bone-length smoothing (generated data)."""

import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.signal import fill_gaps, gap_mask, lowpass
from mocaplab.triangulation import FilterOptions, constrain_bone_lengths, filter_points


def _signal(fps, seconds=3.0, f_slow=1.5, f_fast=25.0, fast_amp=0.01):
    t = np.arange(int(seconds * fps)) / fps
    slow = 0.1 * np.sin(2 * np.pi * f_slow * t)
    pts = np.zeros((t.size, 1, 3))
    pts[:, 0, 0] = slow + fast_amp * np.sin(2 * np.pi * f_fast * t)
    pts[:, 0, 1] = slow
    return t, slow, pts


def test_fill_gaps_short_interior_only():
    t, slow, pts = _signal(100.0, fast_amp=0.0)
    pts[50:55] = np.nan  # 5-frame gap: filled
    pts[100:130] = np.nan  # 30-frame gap: kept
    pts[:3] = np.nan  # leading gap: kept
    out = fill_gaps(pts, 100.0, max_gap_s=0.1, method="cubic")
    filled = gap_mask(pts, 100.0, max_gap_s=0.1).any(-1)
    assert filled[50:55, 0].all() and not filled[100:130].any() and not filled[:3].any()
    assert np.abs(out[50:55, 0, 0] - slow[50:55]).max() < 1e-4
    assert np.isnan(out[100:130]).all() and np.isnan(out[:3]).all()
    np.testing.assert_array_equal(out[200:], pts[200:])


@pytest.mark.parametrize("fps", [60.0, 120.0])
def test_lowpass_removes_fast_component_without_lag_at_any_fps(fps):
    t, slow, pts = _signal(fps)
    out = lowpass(pts, fps, cutoff_hz=6.0)
    core = slice(int(0.3 * fps), -int(0.3 * fps))  # away from the ends
    assert np.abs(out[core, 0, 0] - slow[core]).max() < 1.5e-3  # 25 Hz (10 mm) removed
    assert np.abs(pts[core, 0, 0] - slow[core]).max() > 9e-3
    # zero phase: a 1.5 Hz signal keeps its timing (no lag) and nearly its amplitude
    assert np.abs(out[core, 0, 1] - slow[core]).max() < 2e-3


def test_lowpass_keeps_nan_segments_apart():
    _, _, pts = _signal(100.0)
    pts[100:140] = np.nan
    out = lowpass(pts, 100.0, cutoff_hz=6.0)
    assert np.isnan(out[100:140]).all()
    assert np.isfinite(out[:100]).all() and np.isfinite(out[140:]).all()


def test_cutoff_must_be_below_nyquist():
    _, _, pts = _signal(30.0)
    with pytest.raises(InputError, match="half the frame rate"):
        lowpass(pts, 30.0, cutoff_hz=20.0)
    with pytest.raises(InputError):
        FilterOptions(cutoff_hz=-1.0)


def test_bone_lengths_become_constant():
    rng = np.random.default_rng(0)
    F = 200
    t = np.arange(F) / 100.0
    hip = np.stack([0.5 * t, np.zeros(F), np.full(F, 0.9)], -1)
    ang = 0.4 * np.sin(2 * np.pi * t)
    knee = hip + 0.45 * np.stack([np.sin(ang), np.zeros(F), -np.cos(ang)], -1)
    ankle = knee + 0.42 * np.stack([np.sin(ang / 2), np.zeros(F), -np.cos(ang / 2)], -1)
    truth = np.stack([hip, knee, ankle], axis=1)
    noisy = truth + rng.normal(0, 0.008, truth.shape)
    edges = np.array([[0, 1], [1, 2]])
    out = constrain_bone_lengths(noisy, edges)
    for a, b in edges:
        before = np.linalg.norm(noisy[:, a] - noisy[:, b], axis=-1).std()
        after = np.linalg.norm(out[:, a] - out[:, b], axis=-1).std()
        assert before > 5e-3 and after < 1e-4
    # and it does not move points further from the truth
    assert np.abs(out - truth).mean() <= np.abs(noisy - truth).mean()


def test_filter_points_pipeline_and_bone_option_needs_edges():
    _, _, pts = _signal(100.0)
    pts[60:64] = np.nan
    out, filled = filter_points(pts, 100.0, FilterOptions(max_gap_s=0.05))
    assert filled[60:64].all() and np.isfinite(out).all()
    with pytest.raises(InputError, match="edges"):
        filter_points(pts, 100.0, FilterOptions(bone_lengths=True))
