"""Video probing and the decoding thread; bad videos give clear errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.keypoints.video import FrameReader, iter_frames
from mocaplab.video import probe_video


def write_video(path, n_frames, fps=25.0, size=(64, 48)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(n_frames):
        w.write(np.full((size[1], size[0], 3), (i * 20) % 256, np.uint8))
    w.release()
    return path


def test_probe(tmp_path):
    info = probe_video(write_video(tmp_path / "a.avi", 7, fps=30))
    assert (info.fps, info.frames, info.width, info.height) == (30.0, 7, 64, 48)


@pytest.mark.parametrize("kind, message", [
    ("missing", "does not exist"),
    ("empty", "empty"),
    ("corrupt", "cannot be opened"),
    ("zero_frames", "no decodable frames"),
])
def test_bad_videos(tmp_path, kind, message):
    path = tmp_path / "bad.avi"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "corrupt":
        path.write_bytes(np.random.default_rng(0).bytes(5000))
    elif kind == "zero_frames":
        write_video(path, 0)
    with pytest.raises(InputError, match=message):
        probe_video(path)
    if kind == "zero_frames":  # opens, yields nothing; detect() refuses it through probe_video
        with FrameReader(path) as reader:
            assert list(reader) == []
    else:
        with pytest.raises(InputError, match=message), FrameReader(path) as reader:
            list(reader)


def test_reader_order_rgb_and_limit(tmp_path):
    path = write_video(tmp_path / "a.avi", 12)
    with FrameReader(path, queue_size=2) as reader:
        got = list(reader)
    assert [i for i, _ in got] == list(range(12))
    ref = list(iter_frames(path))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got, ref, strict=True))
    assert got[0][1].shape == (48, 64, 3)
    with FrameReader(path, max_frames=5) as reader:
        assert len(list(reader)) == 5


def test_reader_stops_when_consumer_stops_early(tmp_path):
    path = write_video(tmp_path / "a.avi", 40)
    reader = FrameReader(path, queue_size=1)
    with reader:
        for i, _ in reader:
            if i == 2:
                break
    assert not reader._thread.is_alive()
