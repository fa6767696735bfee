"""Recording virtual cameras into a trial folder: timing, drops, clean stop, no overwrite."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mocaplab.capture.recorder import record
from mocaplab.capture.sources import Frame, FrameSource, open_source
from mocaplab.capture.testvideo import read_frame_number, write_test_video
from mocaplab.capture.timesync import match_timestamps
from mocaplab.capture.video_io import read_frames
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.trial import Trial
from mocaplab.video import probe_video


@pytest.fixture(scope="module")
def four_videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("virtual")
    return [write_test_video(d / f"cam{i}.avi", 120, fps=30.0, seed=i) for i in range(4)]


def _sources(videos, **kw):
    return [open_source(v, **kw) for v in videos]


def test_record_four_virtual_cameras(four_videos, tmp_path):
    status = io.StringIO()
    res = record(_sources(four_videos), tmp_path / "trial", duration=2.0, subject="S01",
                 calibration="cal.toml", status=status)
    assert res.stopped_by == "duration"
    t = res.trial
    meta = t.meta
    assert meta["subject"] == "S01" and meta["cameras"] == ["cam0", "cam1", "cam2", "cam3"]
    assert meta["fps"] == 30.0 and meta["calibration"] == "cal.toml"
    assert meta["recording"]["codec"] == "mjpg"
    for cam in res.cameras:
        assert cam.dropped == 0, res.dropped
        assert abs(cam.frames - 60) <= 1
        assert cam.fps_measured == pytest.approx(30.0, rel=0.02)
        info = probe_video(cam.video)
        assert info.frames == cam.frames and info.fps == 30.0
        # the video holds the source's frames in order, none missing
        nums = [read_frame_number(f) for _, f in read_frames(cam.video)]
        assert nums == list(range(cam.frames))
        assert meta["camera_info"][cam.name]["dropped"] == 0
    ts = t.read_timestamps()
    assert set(ts) == {"cam0", "cam1", "cam2", "cam3"}
    m = match_timestamps(ts)
    assert len(m.times) >= 58
    assert m.spread.max() < 1 / 30  # matched frames within one frame period
    assert "fps" in status.getvalue() and "dropped" in status.getvalue()
    assert not list(t.videos_dir.glob(".*"))  # no temporary files left


def test_refuses_to_overwrite_a_recording(four_videos, tmp_path):
    out = tmp_path / "trial"
    record(_sources(four_videos[:1]), out, duration=0.3, status=None)
    before = (out / "videos" / "cam0.avi").stat().st_size
    with pytest.raises(OutputExistsError, match="--force"):
        record(_sources(four_videos[:1]), out, duration=0.3, status=None)
    assert (out / "videos" / "cam0.avi").stat().st_size == before
    res = record(_sources(four_videos[1:2]), out, duration=0.3, status=None, overwrite=True)
    assert [p.name for p in (out / "videos").iterdir()] == ["cam1.avi"]
    assert res.trial.meta["cameras"] == ["cam1"]


def test_stop_event_gives_readable_files(four_videos, tmp_path):
    stop = threading.Event()
    threading.Timer(0.7, stop.set).start()
    res = record(_sources(four_videos[:2]), tmp_path / "t", stop=stop, status=None)
    assert res.stopped_by == "stop"
    for cam in res.cameras:
        assert 10 <= cam.frames <= 30
        assert probe_video(cam.video, count_frames=True).frames == cam.frames


def test_source_end_stops_all_and_is_reported(tmp_path):
    short = write_test_video(tmp_path / "short.avi", 10, fps=60.0)
    long = write_test_video(tmp_path / "long.avi", 200, fps=60.0)
    res = record(_sources([short, long]), tmp_path / "t", status=None)
    assert res.stopped_by == "source ended: short"
    assert res.cameras[0].frames == 10


def test_codecs(four_videos, tmp_path):
    res = record(_sources(four_videos[:1]), tmp_path / "t", duration=0.4, codec="ffv1",
                 status=None)
    assert res.cameras[0].video.suffix == ".mkv"
    assert probe_video(res.cameras[0].video, count_frames=True).frames == res.cameras[0].frames


def test_bad_arguments(four_videos, tmp_path):
    with pytest.raises(InputError, match="unique"):
        record(_sources([four_videos[0], four_videos[0]]), tmp_path / "a", duration=0.2)
    with pytest.raises(InputError, match="codec"):
        record(_sources(four_videos[:1]), tmp_path / "b", duration=0.2, codec="h264")
    with pytest.raises(InputError, match="at least one"):
        record([], tmp_path / "c", duration=0.2)


def test_cli_record_stops_cleanly_on_sigint(four_videos, tmp_path):
    out = tmp_path / "trial"
    cmd = [sys.executable, "-m", "mocaplab.cli", "record", "--out", str(out)]
    for v in four_videos[:2]:
        cmd += ["--camera", str(v)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 30
    while not (out / "meta.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "stopped by interrupt" in stdout
    meta = json.loads((out / "meta.json").read_text())
    assert meta["recording"]["stopped_by"] == "interrupt"
    for cam in ("cam0", "cam1"):
        n = meta["camera_info"][cam]["frames"]
        assert n > 10
        assert probe_video(out / "videos" / f"{cam}.avi", count_frames=True).frames == n
    assert not [p for p in Path(out, "videos").iterdir() if p.name.startswith(".")]
    assert len(Trial(out).read_timestamps()["cam0"]) == meta["camera_info"]["cam0"]["frames"]


def test_cli_record_errors(tmp_path):
    from mocaplab.cli import main

    assert main(["record", "--camera", "/dev/video97", "--duration", "1",
                 "--out", str(tmp_path / "x")]) == 1
    assert not (tmp_path / "x").exists()


def test_timestamps_are_monotonic_per_camera(four_videos, tmp_path):
    res = record(_sources(four_videos[:2]), tmp_path / "t", duration=0.5, status=None)
    for cam in res.cameras:
        assert np.all(np.diff(cam.timestamps) > 0)
        assert cam.timestamps[0] >= 0


class _StallingCamera(FrameSource):
    """A device that delivers 5 frames, then blocks in read() (unplugged cable)."""

    knows_drops = False

    def __init__(self):
        self.name, self.fps, self.size, self.spec = "stall", 30.0, (64, 48), "fake"
        self.dropped = 0
        self.n = 0
        self.released = threading.Event()

    def read(self):
        if self.n >= 5:
            self.released.wait(20)
            return None
        self.n += 1
        time.sleep(1 / 30)
        return Frame(np.zeros((48, 64, 3), np.uint8), time.monotonic(), self.n - 1)

    def close(self):
        self.released.set()


def test_stalled_device_does_not_hang_the_recording(four_videos, tmp_path):
    cam = _StallingCamera()
    t0 = time.monotonic()
    res = record([cam, open_source(four_videos[0])], tmp_path / "t", duration=0.5, status=None)
    assert time.monotonic() - t0 < 10
    meta = res.trial.meta
    assert meta["camera_info"]["stall"]["stalled"] is True
    assert meta["camera_info"]["cam0"]["stalled"] is False
    assert probe_video(res.cameras[0].video).frames == 5


def test_timestamp_pairing_applied_to_a_recording(four_videos, tmp_path):
    from mocaplab.capture.align import apply_frame_table

    res = record(_sources(four_videos[:3]), tmp_path / "t", duration=1.0, status=None)
    m = match_timestamps(res.trial.read_timestamps())
    rec = apply_frame_table(res.trial, m.frames, list(m.cameras), m.as_dict())
    assert rec["method"] == "timestamps" and rec["frames_after"] == len(m.times)
    ts = res.trial.read_timestamps()
    for k, cam in enumerate(m.cameras):
        assert probe_video(res.trial.videos_dir / f"{cam}.avi").frames == len(m.times)
        assert len(ts[cam]) == len(m.times)
        nums = [read_frame_number(f) for _, f in read_frames(res.trial.videos_dir / f"{cam}.avi")]
        assert nums == m.frames[:, k].tolist()  # the source frames that were paired
    t = np.stack([ts[c] for c in m.cameras])
    assert np.ptp(t, axis=0).max() < 1 / 30


def test_a_failing_camera_keeps_the_recorded_frames(four_videos, tmp_path):
    import cv2

    from mocaplab.capture.testvideo import make_frame

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(8):
        cv2.imwrite(str(folder / f"{i:03d}.png"), make_frame(i, (64, 48)))
    (folder / "008.png").write_bytes(b"corrupt")  # the 9th image cannot be read
    with pytest.raises(InputError, match="imgs failed while recording.*kept"):
        record([open_source(folder, fps=30), open_source(four_videos[0])], tmp_path / "t",
               status=None)  # no duration: the failure must end the recording
    t = Trial(tmp_path / "t")
    meta = t.meta
    assert meta["status"] == "failed" and "cannot be read" in meta["camera_info"]["imgs"]["error"]
    assert meta["camera_info"]["imgs"]["frames"] == 8
    assert probe_video(t.videos_dir / "imgs.avi").frames == 8
    assert len(t.read_timestamps()["imgs"]) == 8
    assert meta["camera_info"]["cam0"]["frames"] < 30  # the others stopped with it


class _LossyCamera(FrameSource):
    """A 30 fps camera showing frame numbers that loses the frames in ``lost`` (not delivered:
    a gap in its timestamps), then ends after 12 frame periods."""

    knows_drops = False

    def __init__(self, name, t0, lost=()):
        self.name, self.fps, self.size, self.spec = name, 30.0, (320, 240), "fake"
        self.dropped, self.k, self.lost = 0, 0, set(lost)
        self.t0 = t0  # the cameras' shared clock start: frame k is due at t0 + k / 30

    def read(self):
        from mocaplab.capture.testvideo import make_frame

        while True:
            if self.k >= 12:
                return None
            k, self.k = self.k, self.k + 1
            time.sleep(max(0.0, self.t0 + k / 30 - time.monotonic()))
            if k not in self.lost:  # stamped with its due instant: no jitter under load
                return Frame(make_frame(k, self.size), self.t0 + k / 30, k)

    def close(self):
        pass


def test_record_pairs_frames_of_cameras_that_lost_different_frames(tmp_path, monkeypatch,
                                                                  capsys):
    """Two cameras losing different frames (a loaded machine: 60 of 100 frames dropped per
    camera on the Pose2Sim videos) were written as they came: frame i of one camera was not
    frame i of the other (157 ms apart at the median there), and detect/triangulate paired them
    by index. `mocaplab record` now puts every camera on one uniform recording clock: frame i is
    the same instant in every video, an instant a camera lost a black frame in that video."""
    from mocaplab.capture import sources
    from mocaplab.capture.align import frames_paired_by_index
    from mocaplab.cli import main

    t0 = time.monotonic() + 0.5
    fakes = {"a": _LossyCamera("a", t0, lost={3, 4}), "b": _LossyCamera("b", t0, lost={7})}
    monkeypatch.setattr(sources, "open_source", lambda spec, name=None, **kw: fakes[spec])
    out = tmp_path / "t"
    assert main(["record", "--camera", "a", "--camera", "b", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert ("frames put on the recording clock: 12 instants at 30.00 fps" in said.out
            and "instants a camera lost are black frames there (a 2, b 1)" in said.out)
    # the losses are said as a warning, not only counted (2 of 12 = 17 %, 1 of 12 = 8 %)
    assert "warning: frames lost: a 2 of 12 (17 %), b 1 of 12 (8 %)" in said.err
    trial = Trial(out)
    ts = trial.read_timestamps()
    assert frames_paired_by_index(ts) and len(ts["a"]) == len(ts["b"]) == 12
    # one uniform clock: frame i at i / 30 s for every camera (durations keep their time base)
    np.testing.assert_allclose(np.diff(ts["a"]), 1 / 30, atol=1e-4)
    np.testing.assert_allclose(ts["a"], ts["b"], atol=1e-4)
    for cam, lost in (("a", {3, 4}), ("b", {7})):
        frames = [f for _, f in read_frames(trial.videos_dir / f"{cam}.avi")]
        assert len(frames) == 12
        for k, f in enumerate(frames):
            if k in lost:
                assert f.mean() < 5, (cam, k)  # black: that view is missing at that instant
            else:
                assert read_frame_number(f) == k, (cam, k)  # the same instant in both
    assert trial.meta["sync"]["method"] == "recording clock"
    assert (out / "videos_unsynced" / "a.avi").is_file()


def test_record_leaves_frames_already_paired_alone(tmp_path, monkeypatch, capsys):
    from mocaplab.capture import sources
    from mocaplab.cli import main

    t0 = time.monotonic() + 0.5
    fakes = {"a": _LossyCamera("a", t0), "b": _LossyCamera("b", t0)}
    monkeypatch.setattr(sources, "open_source", lambda spec, name=None, **kw: fakes[spec])
    out = tmp_path / "t"
    assert main(["record", "--camera", "a", "--camera", "b", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "paired" not in said.out and "frames lost" not in said.err
    assert "sync" not in Trial(out).meta and "warnings" not in Trial(out).meta
    assert not (out / "videos_unsynced").exists()
