"""Key frames for print (matplotlib): front and side rows, side colours, clinical wording."""

import numpy as np
from PIL import Image

from mocaplab import sides
from mocaplab.synthetic.lab import write_synthetic_trial
from mocaplab.viewer.data import load_trial
from mocaplab.viewer.keyframe_figure import key_frame_figure


def _mask(img, side, tol=30):
    return (np.abs(img[..., :3].astype(int) - sides.rgb255(side)).max(-1) < tol)


def test_front_row_shows_the_left_side_on_the_right_in_red(tmp_path):
    trial = load_trial(write_synthetic_trial(tmp_path / "walk", duration_s=3.0, fps=60.0))
    out = key_frame_figure(trial, tmp_path / "kf.png", exaggeration=3.0)
    img = np.asarray(Image.open(out))
    h = img.shape[0]
    front = img[: h // 2]
    red, blue = _mask(front, "left"), _mask(front, "right")
    assert red.sum() > 200 and blue.sum() > 200
    # first column: seen from ahead, the subject's left (red) is right of the right (blue)
    w = img.shape[1]
    col = (slice(None), slice(0, w // 4))
    assert np.nonzero(red[col])[1].mean() > np.nonzero(blue[col])[1].mean()
    side_row = img[h // 2:]
    assert _mask(side_row, "left").sum() > 200 and _mask(side_row, "right").sum() > 200


def test_trial_without_events_gets_evenly_spaced_frames(tmp_path):
    folder = write_synthetic_trial(tmp_path / "walk", duration_s=2.0, fps=60.0)
    (folder / "metrics.json").unlink()
    out = key_frame_figure(folder, tmp_path / "kf.png", max_frames=3)
    assert out.is_file() and Image.open(out).size[0] > 800


def test_before_after_rows(tmp_path):
    from mocaplab.viewer.keyframe_figure import comparison_figure

    a = write_synthetic_trial(tmp_path / "a", duration_s=2.0, fps=60.0)
    b = write_synthetic_trial(tmp_path / "b", duration_s=2.5, fps=60.0)
    out = comparison_figure([a, b], ["BEFORE (2026-11-02)", "AFTER (2026-12-01)"],
                            tmp_path / "cmp.png", exaggeration=3.0)
    img = np.asarray(Image.open(out))
    h = img.shape[0]
    assert _mask(img[: h // 2], "left").sum() > 100 and _mask(img[h // 2:], "left").sum() > 100
