"""mocaplab.signal, the one owner of the signal filter and of gap filling (generated data)."""

import ast
from pathlib import Path

import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.signal import fill_gaps, gap_mask, lowpass, max_gap_frames, resample_cubic

ROOT = Path(__file__).resolve().parents[1]


def test_gap_length_is_seconds_rounded_to_the_nearest_frame():
    assert max_gap_frames(59.9988, 0.1) == 6  # not 5: the demo's camera rate means 60 Hz
    assert max_gap_frames(100.0, 0.2) == 20
    assert max_gap_frames(30.0, 0.0) == 0
    assert max_gap_frames(25.0, 0.1) == 3  # half a frame rounds up (Python's round() gives 2)
    with pytest.raises(InputError, match="max gap"):
        max_gap_frames(30.0, -1.0)


def test_fill_gaps_linear_and_cubic_bridge_interior_gaps_only():
    fps = 50.0
    t = np.arange(200) / fps
    x = np.stack([np.sin(2 * np.pi * 0.7 * t), t], -1)
    gappy = x.copy()
    gappy[40:46, 0] = np.nan  # 6 frames = 0.12 s: filled with 0.2 s
    gappy[100:130, 0] = np.nan  # 0.6 s: kept
    gappy[:2, 1] = np.nan  # leading: kept
    for method in ("linear", "cubic"):
        out = fill_gaps(gappy, fps, max_gap_s=0.2, method=method)
        assert np.isfinite(out[40:46, 0]).all()
        assert np.isnan(out[100:130, 0]).all() and np.isnan(out[:2, 1]).all()
        np.testing.assert_array_equal(out[150:], x[150:])
    lin = fill_gaps(gappy, fps, max_gap_s=0.2, method="linear")
    cub = fill_gaps(gappy, fps, max_gap_s=0.2, method="cubic")
    # on a curved signal the spline is closer than the chord
    assert np.abs(cub[40:46, 0] - x[40:46, 0]).max() < np.abs(lin[40:46, 0] - x[40:46, 0]).max()
    assert gap_mask(gappy, fps, 0.2)[40:46, 0].all() and not gap_mask(gappy, fps, 0.2)[:2].any()
    with pytest.raises(InputError, match="linear"):
        fill_gaps(gappy, fps, max_gap_s=0.2, method="spline")


def test_lowpass_order_and_cutoff_cap():
    fps = 30.0
    t = np.arange(300) / fps
    x = np.sin(2 * np.pi * 1.0 * t) + 0.2 * np.sin(2 * np.pi * 9.0 * t)
    with pytest.raises(InputError, match="half the frame rate"):
        lowpass(x, fps, cutoff_hz=16.0)
    capped = lowpass(x, fps, cutoff_hz=16.0, max_cutoff_nyquist=0.45)  # 6.75 Hz
    np.testing.assert_allclose(capped, lowpass(x, fps, cutoff_hz=6.75))
    core = slice(30, -30)
    steep = lowpass(x, fps, cutoff_hz=6.0, order=8)
    gentle = lowpass(x, fps, cutoff_hz=6.0, order=2)
    slow = np.sin(2 * np.pi * 1.0 * t)
    assert np.abs(steep - slow)[core].max() < np.abs(gentle - slow)[core].max()
    with pytest.raises(InputError, match="order"):
        lowpass(x, fps, cutoff_hz=6.0, order=3)


def test_resample_cubic_keeps_time_and_reproduces_a_smooth_signal():
    fps, rate = 250.0, 60.0
    t = np.arange(501) / fps  # 2 s
    x = np.stack([np.sin(2 * np.pi * 1.1 * t), np.cos(2 * np.pi * 0.7 * t)], axis=1)
    y = resample_cubic(x, fps, rate)
    t_new = np.arange(y.shape[0]) / rate
    assert y.shape == (121, 2) and t_new[-1] <= t[-1]
    want = np.stack([np.sin(2 * np.pi * 1.1 * t_new), np.cos(2 * np.pi * 0.7 * t_new)], axis=1)
    assert np.abs(y - want).max() < 1e-5
    with pytest.raises(InputError):
        resample_cubic(x[:1], fps, rate)
    with pytest.raises(InputError):
        resample_cubic(x, fps, 0.0)


def test_one_owner_of_filtering_and_gap_filling():
    """No other module defines a low-pass or a gap filler, calls scipy's filters itself or turns a
    gap's seconds into frames itself."""
    owners = {}
    for py in ROOT.rglob("*.py"):
        if ".venv" in py.parts or py.parent.name == "tests":
            continue
        tree = ast.parse(py.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.FunctionDef) and node.name in ("lowpass", "fill_gaps"):
                name = node.name
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and any(
                    "max_gap" in (getattr(side, "attr", None) or getattr(side, "id", ""))
                    for side in (node.left, node.right)):
                name = "max_gap_s * fps"  # seconds -> frames of a gap: max_gap_frames' rule
            elif isinstance(node, ast.Attribute | ast.Name):
                ident = node.attr if isinstance(node, ast.Attribute) else node.id
                if ident in ("butter", "filtfilt", "sosfiltfilt", "CubicSpline"):
                    name = ident
            if name:
                owners.setdefault(name, set()).add(py.relative_to(ROOT).as_posix())
    assert all(files == {"mocaplab/signal.py"} for files in owners.values()), owners
