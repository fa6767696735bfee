"""Frame sources and video I/O: virtual cameras, image folders, devices, bad input."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from mocaplab.capture.sources import (
    DeviceSource,
    ImageFolderSource,
    VideoFileSource,
    open_source,
)
from mocaplab.capture.testvideo import make_frame, read_frame_number, write_test_video
from mocaplab.capture.video_io import SafeVideoWriter
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.video import probe_video


@pytest.fixture(scope="module")
def video30(tmp_path_factory):
    return write_test_video(tmp_path_factory.mktemp("v") / "camA.avi", 40, fps=30.0)


def test_probe_reports_fps_frames_size(video30):
    info = probe_video(video30)
    assert (info.fps, info.frames, info.size) == (30.0, 40, (320, 240))


def test_video_source_plays_in_real_time(video30):
    with VideoFileSource(video30) as src:
        assert src.name == "camA"
        frames = [src.read() for _ in range(15)]
    t = np.array([f.time_s for f in frames])
    # 15 frames at 30 fps: 14 periods of 1/30 s after the first
    assert t[-1] - t[0] == pytest.approx(14 / 30, abs=0.02)
    assert np.all(np.diff(t) > 0.02)
    assert [read_frame_number(f.image) for f in frames] == list(range(15))
    assert [f.index for f in frames] == list(range(15))


def test_video_source_ends_or_loops(video30):
    with VideoFileSource(video30, realtime=False) as src:
        n = 0
        while src.read() is not None:
            n += 1
    assert n == 40
    with VideoFileSource(video30, realtime=False, loop=True) as src:
        nums = [read_frame_number(src.read().image) for _ in range(45)]
    assert nums[39:45] == [39, 0, 1, 2, 3, 4]


def test_slow_reader_loses_frames_like_a_camera(video30):
    with VideoFileSource(video30) as src:
        first = src.read()
        time.sleep(0.08)  # 2.4 frame periods: the driver buffers still hold the frames
        buffered = src.read()
        assert src.dropped == 0 and buffered.index == 1
        assert buffered.time_s - first.time_s == pytest.approx(1 / 30, abs=1e-6)  # capture time
        time.sleep(0.3)  # 9 periods: older frames were overwritten
        late = src.read()
    assert src.dropped >= 3
    assert late.index - buffered.index == src.dropped + 1
    assert read_frame_number(late.image) == late.index
    assert late.time_s - first.time_s == pytest.approx(late.index / 30, abs=1e-6)


def test_image_folder_source(tmp_path):
    for i in range(5):
        cv2.imwrite(str(tmp_path / f"img_{i * 5}.png"), make_frame(i))  # natural order 0,5,..,20
    src = open_source(tmp_path, fps=50, realtime=False)
    assert isinstance(src, ImageFolderSource)
    nums = []
    while (f := src.read()) is not None:
        nums.append(read_frame_number(f.image))
    assert nums == [0, 1, 2, 3, 4]


def test_image_folder_errors(tmp_path):
    with pytest.raises(InputError, match="holds no images"):
        ImageFolderSource(tmp_path)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(InputError, match="cannot be read"):
        ImageFolderSource(tmp_path)


def test_open_source_dispatch(video30, tmp_path):
    assert isinstance(open_source(str(video30)), VideoFileSource)
    with pytest.raises(InputError, match="does not exist"):
        open_source(tmp_path / "nothing.avi")


def test_device_that_does_not_exist():
    with pytest.raises(InputError, match="does not exist"):
        open_source("/dev/video97")
    with pytest.raises(InputError, match="cannot be opened"):
        DeviceSource(97)
    with pytest.raises(InputError, match="cannot be opened"):
        open_source("97")


def test_unreadable_file(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(InputError, match="cannot be opened|no decodable frames"):
        probe_video(bad)
    with pytest.raises(InputError):
        open_source(bad)


def test_zero_frame_video(tmp_path):
    empty = tmp_path / "empty.avi"
    w = cv2.VideoWriter(str(empty), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    w.release()
    assert empty.exists()
    with pytest.raises(InputError, match="empty|no decodable|cannot be opened"):
        VideoFileSource(empty)


def test_safe_writer_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "cam.avi"
    with pytest.raises(RuntimeError), SafeVideoWriter(target, 30, (64, 48)) as w:
        w.write(np.zeros((48, 64, 3), np.uint8))
        raise RuntimeError("crash mid-recording")
    assert list(tmp_path.iterdir()) == []


def test_safe_writer_verifies_and_refuses_overwrite(tmp_path):
    target = tmp_path / "cam.avi"
    with SafeVideoWriter(target, 30, (64, 48)) as w:
        for i in range(7):
            w.write(make_frame(i, (64, 48)))
    assert probe_video(target).frames == 7
    with pytest.raises(OutputExistsError):
        SafeVideoWriter(target, 30, (64, 48))
    with pytest.raises(InputError, match="changed resolution"), \
            SafeVideoWriter(tmp_path / "b.avi", 30, (64, 48)) as w:
        w.write(np.zeros((10, 10, 3), np.uint8))
    assert not (tmp_path / "b.avi").exists()
