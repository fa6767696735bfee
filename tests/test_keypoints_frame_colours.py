"""Frames reach the pose model as RGB (MediaPipe's SRGB), not OpenCV's BGR: a red video decodes
to red pixels, in the background reader and in the inline loop."""

from __future__ import annotations

import numpy as np
import pytest

from mocaplab.capture.video_io import SafeVideoWriter
from mocaplab.keypoints.video import FrameReader, iter_frames


@pytest.fixture(scope="module")
def red_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("v") / "red.avi"
    w = SafeVideoWriter(path, 25.0, (64, 48), codec="mjpg")
    bgr_red = np.zeros((48, 64, 3), np.uint8)
    bgr_red[..., 2] = 230  # OpenCV frames are BGR: this is red
    for _ in range(4):
        w.write(bgr_red)
    w.close()
    return path


def _assert_red(frames):
    frames = list(frames)
    assert len(frames) == 4
    for _, rgb in frames:
        r, g, b = (float(rgb[..., k].mean()) for k in range(3))
        assert r > 200 and g < 30 and b < 30, (r, g, b)


def test_background_reader_gives_rgb(red_video):
    with FrameReader(red_video) as reader:
        _assert_red(reader)


def test_inline_frames_are_rgb(red_video):
    it = iter_frames(red_video)
    try:
        _assert_red(it)
    finally:
        it.close()
