"""The viewer panel's joint angles: hip/knee flexion words per side, curves with a time cursor,
"estimated" from provenance; on analyze's own output."""

from __future__ import annotations

import numpy as np

from mocaplab import sides
from mocaplab.synthetic.lab import WalkerParams, make_trial
from mocaplab.viewer.curves import curve_strip_image, window
from mocaplab.viewer.data import FrameEvent, TrialData, format_panel, load_trial

KP = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")


def _has_colour(img, side, tol=40):
    return (np.abs(img.astype(int) - np.array(sides.rgb255(side))).sum(-1) < tol).sum()


def test_curves_draw_the_sides_present_and_follow_the_cursor():
    n = 200
    t = np.linspace(0, 4 * np.pi, n)
    angles = {"hip.flexion.left": 20 + 20 * np.sin(t), "knee.flexion.left": 30 + 30 * np.sin(t)}
    trial = TrialData("t", np.zeros((n, 4, 3)), KP, 100.0, angles=angles,
                      events=(FrameEvent("left", "foot_strike", 50, 0.5),))
    a, b = curve_strip_image(trial, 20), curve_strip_image(trial, 150)
    assert a.shape == (2 * 84, 280, 3)
    assert _has_colour(a, "left") > 200 and _has_colour(a, "right") == 0
    dark = [np.flatnonzero((img[..., :3] < 40).all(-1).all(0)) for img in (a, b)]
    assert dark[0].size and dark[1].size and dark[1].min() > dark[0].max()  # cursor moves
    assert curve_strip_image(TrialData("t", np.zeros((n, 4, 3)), KP, 100.0), 0) is None
    assert format_panel(trial, 0).split("\n")[-2:] == ["Hip flexion: L 20.0°, R -",
                                                       "Knee flexion: L 30.0°, R -"]


def test_window_scrolls_long_trials():
    assert window(200, 100.0, 150) == (0, 199)
    lo, hi = window(3000, 100.0, 1500)
    assert hi - lo + 1 == 300 and lo <= 1500 <= hi
    assert window(3000, 100.0, 2990) == (2700, 2999)


def test_panel_on_analysed_trial_says_estimated(tmp_path):
    trial_dir = make_trial(tmp_path / "S001" / "baseline" / "walk01",
                           WalkerParams(duration_s=3))
    trial = load_trial(trial_dir)
    assert {"hip.flexion.left", "hip.flexion.right", "knee.flexion.left",
            "knee.flexion.right"} <= trial.angles.keys()
    if not np.isfinite(trial.angles["knee.flexion.left"]).any():
        return  # no augmenter model here: nothing estimated, nothing to mark
    assert "knee.flexion.left" in trial.estimated
    i = trial.n_frames // 2
    lines = format_panel(trial, i).split("\n")
    knee = next(x for x in lines if x.startswith("Knee flexion"))
    assert knee.endswith("(estimated)")
    assert f"L {trial.angles['knee.flexion.left'][i]:.1f}°" in knee
    img = curve_strip_image(trial, i)
    assert _has_colour(img, "left") > 100 and _has_colour(img, "right") > 100
