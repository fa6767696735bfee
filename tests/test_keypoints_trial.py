"""detect_trial: parallel workers, resumable parts, keypoints2d.npz, warnings, errors."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.keypoints import Detector, VideoKeypoints, detect_trial
from mocaplab.keypoints.trial_detect import PARTS_DIR, assemble
from mocaplab.pose_data import Keypoints2D
from mocaplab.trial import Trial
from mocaplab.video import probe_video

DEMO = "pose2sim_demo_singleperson"


def write_video(path, n_frames, fps=25.0, size=(64, 48)):
    path.parent.mkdir(parents=True, exist_ok=True)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(n_frames):
        w.write(np.full((size[1], size[0], 3), (i * 20) % 256, np.uint8))
    w.release()
    return path


@dataclasses.dataclass(frozen=True)
class FakeDetector:
    """Puts keypoint k of frame f at (f, k); frame 1 has no person. Logs each call to a file."""

    log: str
    keypoint_names: tuple[str, ...] = ("a", "b", "c")
    fail_on: str = ""
    slow_on: str = ""  # this camera takes 1.5 s

    def signature(self) -> str:
        return "fake-v1"

    def detect(self, video_path, *, max_frames=None, on_frame=None) -> VideoKeypoints:
        with open(self.log, "a") as fh:
            fh.write(f"{Path(video_path).stem} {os.getpid()}\n")
        if Path(video_path).stem == self.fail_on:
            time.sleep(0.3)  # let the slow camera start in the other worker
            raise InputError(f"{video_path}: cannot be decoded after frame 3")
        if Path(video_path).stem == self.slow_on:
            time.sleep(1.5)
        info = probe_video(video_path)
        F = info.frames if max_frames is None else min(info.frames, max_frames)
        K = len(self.keypoint_names)
        pts = np.stack(np.meshgrid(np.arange(K), np.arange(F))[::-1], -1).astype(float)
        pts = pts[..., ::-1]
        conf = np.full((F, K), 0.9)
        if F > 1:
            pts[1] = np.nan
        if on_frame:
            on_frame(F)
        return VideoKeypoints(pts, conf, self.keypoint_names, info.fps, "fake")


@pytest.fixture
def trial(tmp_path):
    t = Trial.create(tmp_path / "trial", fps=25.0, cameras=["cam1", "cam2", "cam3"])
    for cam in ("cam1", "cam2", "cam3"):
        write_video(t.videos_dir / f"{cam}.avi", 6)
    return t


def calls(log):
    return Path(log).read_text().split("\n")[:-1] if Path(log).exists() else []


def test_fake_detector_is_a_detector(tmp_path):
    assert isinstance(FakeDetector(str(tmp_path / "log")), Detector)


@pytest.mark.parametrize("workers", [1, 2])
def test_detect_trial_writes_keypoints2d_and_resumes(trial, tmp_path, workers):
    log = str(tmp_path / "calls.log")
    det = FakeDetector(log)
    out = detect_trial(trial, detector=det, workers=workers, progress=False)
    assert out == trial.keypoints2d_path
    kp = Keypoints2D.load(out)
    assert kp.cameras == ("cam1", "cam2", "cam3") and kp.keypoints == ("a", "b", "c")
    assert kp.shape == (3, 6, 3) and kp.fps == 25.0
    np.testing.assert_array_equal(kp.points[0, 3, 2], [2, 3])  # (k, f)
    assert np.isnan(kp.points[:, 1]).all() and (kp.confidence[:, 1] == 0).all()
    first = calls(log)
    assert sorted(c.split()[0] for c in first) == ["cam1", "cam2", "cam3"]
    if workers == 2:  # two lanes: this process (first camera) and a worker process
        pids = {int(c.split()[1]) for c in first}
        assert os.getpid() in pids and len(pids) == 2
    assert sorted(p.name for p in (trial.path / PARTS_DIR).glob("*.npz")) == \
        ["cam1.npz", "cam2.npz", "cam3.npz"]

    # rerun: nothing recomputed; a changed video is recomputed; --force recomputes all
    detect_trial(trial, detector=det, workers=workers, progress=False)
    assert len(calls(log)) == 3
    write_video(trial.videos_dir / "cam2.avi", 6, fps=25.0, size=(80, 48))
    detect_trial(trial, detector=det, workers=workers, progress=False)
    assert [c.split()[0] for c in calls(log)[3:]] == ["cam2"]
    detect_trial(trial, detector=det, workers=workers, force=True, progress=False)
    assert len(calls(log)) == 7


def test_interrupted_run_resumes_from_parts(trial, tmp_path):
    """A camera whose part exists is skipped; the others are detected (crash in the middle)."""
    log = str(tmp_path / "calls.log")
    detect_trial(trial, detector=FakeDetector(log), workers=1, progress=False)
    trial.keypoints2d_path.unlink()
    (trial.path / PARTS_DIR / "cam3.npz").unlink()
    detect_trial(trial, detector=FakeDetector(log), workers=1, progress=False)
    assert [c.split()[0] for c in calls(log)[3:]] == ["cam3"]
    assert trial.keypoints2d_path.exists()


def test_different_fps_and_frame_counts_warn_and_pad(trial, tmp_path, caplog):
    write_video(trial.videos_dir / "cam3.avi", 4, fps=30.0)
    with pytest.warns(UserWarning) as rec:
        detect_trial(trial, detector=FakeDetector(str(tmp_path / "l")), workers=1,
                     progress=False)
    text = " ".join(str(w.message) for w in rec)
    assert "different frame rates" in text and "cam3=30" in text
    assert "different frame counts" in text and "cam3=4" in text
    kp = Keypoints2D.load(trial.keypoints2d_path)
    assert kp.shape == (3, 6, 3)
    assert np.isnan(kp.points[2, 4:]).all() and (kp.confidence[2, 4:] == 0).all()


@pytest.mark.parametrize("workers", [1, 2])
def test_corrupt_video_is_a_clear_error(trial, tmp_path, workers):
    (trial.videos_dir / "cam2.avi").write_bytes(b"garbage" * 100)
    with pytest.raises(InputError, match=r"cam2\.avi cannot be opened"):
        detect_trial(trial, detector=FakeDetector(str(tmp_path / "l")), workers=workers,
                     progress=False)
    assert not trial.keypoints2d_path.exists()


def test_error_inside_a_worker_keeps_the_finished_cameras(trial, tmp_path):
    log = str(tmp_path / "l")
    with pytest.raises(InputError, match="camera cam1: .*cannot be decoded after frame 3"):
        detect_trial(trial, detector=FakeDetector(log, fail_on="cam1"), workers=2,
                     progress=False)
    assert not trial.keypoints2d_path.exists()
    done = {c.split()[0] for c in calls(log)}
    parts = {p.stem for p in (trial.path / PARTS_DIR).glob("*.npz")}
    assert "cam1" not in parts and parts <= done
    # the rerun (after "fixing" the video) only does what is missing
    detect_trial(trial, detector=FakeDetector(log), workers=1, progress=False)
    assert trial.keypoints2d_path.exists()
    assert len(calls(log)) == len(done) + 3 - len(parts)


def test_a_failing_camera_waits_for_the_running_ones(trial, tmp_path):
    """When one camera fails, a camera still running in another worker is finished (and saved)
    before the error reaches the caller: nothing keeps writing in the trial afterwards."""
    log = str(tmp_path / "l")
    with pytest.raises(InputError, match="camera cam1"):
        detect_trial(trial, detector=FakeDetector(log, fail_on="cam1", slow_on="cam2"),
                     workers=2, progress=False)
    assert (trial.path / PARTS_DIR / "cam2.npz").exists()


def test_zero_frame_video_and_no_videos(tmp_path):
    t = Trial.create(tmp_path / "t")
    with pytest.raises(InputError, match="holds no video files"):
        detect_trial(t, detector=FakeDetector(str(tmp_path / "l")), progress=False)
    write_video(t.videos_dir / "cam1.avi", 0)
    with pytest.raises(InputError, match="no decodable frames"):
        detect_trial(t, detector=FakeDetector(str(tmp_path / "l")), progress=False)


def test_assemble_uses_trial_timestamps_when_complete():
    kp = VideoKeypoints(np.zeros((3, 1, 2)), np.ones((3, 1)), ("a",), 10.0)
    out = assemble({"c1": kp, "c2": kp}, ["c1", "c2"],
                   timestamps={"c1": np.array([0, .1, .2]), "c2": np.array([0, .1, .2, .3])})
    np.testing.assert_allclose(out.timestamps, [[0, .1, .2], [0, .1, .2]])
    assert assemble({"c1": kp}, ["c1"], timestamps={"c1": np.array([0.0])}).timestamps is None


def test_real_trial_person_found_in_every_camera(shared_data, pose_model, tmp_path):
    """The Pose2Sim demo, 4 cameras, first 24 frames each, 2 workers (full 100 frames: see
    benchmarks/keypoints_bench.py); then triangulated with its Qualisys calibration."""
    trial = tmp_path / "demo"
    trial.mkdir()
    (trial / "videos").symlink_to(shared_data / DEMO / "videos")
    out = detect_trial(trial, model_path=pose_model, workers=2, progress=False, max_frames=24)
    kp = Keypoints2D.load(out)
    assert kp.cameras == ("cam01", "cam02", "cam03", "cam04")
    assert kp.keypoints == MEDIAPIPE33_NAMES
    assert kp.fps == pytest.approx(60.0) and kp.shape == (4, 24, 33)
    found = np.isfinite(kp.points).all(-1).any(-1).mean(axis=1)
    assert (found >= 0.95).all(), found
    assert (kp.confidence[np.isnan(kp.points[..., 0])] == 0).all()
    # one person only: associated in every frame, every camera healthy, no persons3d.npz
    from mocaplab.calibration import load_calibration
    from mocaplab.triangulation import triangulate_trial
    from mocaplab.triangulation.persons3d import read_record

    load_calibration(shared_data / DEMO / "calibration" / "Calib.qca.txt").save(
        trial / "calibration.toml")
    rec = read_record(triangulate_trial(trial))
    assert rec["persons"] == ["P1"] and not (trial / "persons3d.npz").exists()
    assert all(h["views_kept"] > 0.7 and h["frames_associated"] > 0.9
               for h in rec["camera_health"]), rec["camera_health"]
    assert rec["warnings"] == []


def test_worker_environment_is_temporary_and_keeps_user_values(monkeypatch):
    from mocaplab.keypoints.trial_detect import _environment

    monkeypatch.delenv("MOCAPLAB_TEST_A", raising=False)
    monkeypatch.setenv("MOCAPLAB_TEST_B", "user")
    with _environment({"MOCAPLAB_TEST_A": "1", "MOCAPLAB_TEST_B": "1"}):
        assert os.environ["MOCAPLAB_TEST_A"] == "1"
        assert os.environ["MOCAPLAB_TEST_B"] == "user"
    assert "MOCAPLAB_TEST_A" not in os.environ
    assert os.environ["MOCAPLAB_TEST_B"] == "user"


@dataclasses.dataclass(frozen=True)
class AffinityDetector(FakeDetector):
    """FakeDetector that also logs the CPUs its process may run on."""

    def detect(self, video_path, **kw) -> VideoKeypoints:
        with open(self.log + ".cpus", "a") as fh:
            fh.write(f"{os.getpid()} {sorted(os.sched_getaffinity(0))}\n")
        return super().detect(video_path, **kw)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity here")
def test_one_worker_per_core_pins_each_worker_to_its_own_core(trial, tmp_path):
    cpus = sorted(os.sched_getaffinity(0))
    if not 2 <= len(cpus) <= 3:
        pytest.skip(f"needs 2-3 usable CPUs to use one worker per core on 3 videos ({len(cpus)})")
    log = str(tmp_path / "l")
    detect_trial(trial, detector=AffinityDetector(log), workers=len(cpus), progress=False)
    seen = {}
    for line in Path(log + ".cpus").read_text().splitlines():
        pid, cores = line.split(" ", 1)
        seen[pid] = cores
    assert all(c.count(",") == 0 for c in seen.values()), seen  # one core each
    assert len(set(seen.values())) == len(seen), seen  # a different core per lane
    assert str(os.getpid()) in seen  # the thread lane, pinned, and only that thread:
    assert sorted(os.sched_getaffinity(0)) == cpus
    # fewer workers than cores: left to the scheduler
    (tmp_path / "l.cpus").unlink()
    detect_trial(trial, detector=AffinityDetector(log), workers=len(cpus) - 1, force=True,
                 progress=False)
    if len(cpus) - 1 > 1:
        lines = Path(log + ".cpus").read_text().splitlines()
        assert all(ln.split(" ", 1)[1] == str(cpus) for ln in lines)


def test_thread_lane_camera_stops_when_asked(tmp_path):
    """The in-process lane abandons its camera at the next frame once stopped (Ctrl-C, or
    the pool closing), leaving no part file."""
    import threading

    from mocaplab.keypoints.trial_detect import _detect_camera, _Stopped

    @dataclasses.dataclass(frozen=True)
    class Endless(FakeDetector):
        def detect(self, video_path, *, max_frames=None, on_frame=None):
            for i in range(10_000):
                time.sleep(0.001)
                on_frame(i + 1)
            raise AssertionError("not stopped")

    stop = threading.Event()
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    part = tmp_path / "cam1.npz"
    t0 = time.monotonic()
    with pytest.raises(_Stopped):
        _detect_camera(Endless(str(tmp_path / "l")), "cam1", "v.avi", str(part), "fp", None,
                       None, stop)
    assert time.monotonic() - t0 < 5 and not part.exists()


def test_native_stderr_goes_to_the_log_and_python_stderr_stays(tmp_path, capfd):
    import logging
    import sys

    from mocaplab.keypoints.native_stderr import native_stderr_to

    log = tmp_path / "native.log"
    logger = logging.getLogger("mocaplab.test_native")
    handler = logging.StreamHandler(sys.stderr)
    logger.addHandler(handler)
    try:
        with native_stderr_to(log, force=True):
            os.write(2, b"INFO: from a native library\n")
            print("from python", file=sys.stderr)
            logger.warning("from logging")
        os.write(2, b"after the block\n")
    finally:
        logger.removeHandler(handler)
    err = capfd.readouterr().err
    assert log.read_text() == "INFO: from a native library\n"
    assert "from python" in err and "from logging" in err and "after the block" in err
    assert "native library" not in err
    assert handler.stream is sys.stderr


def test_native_stderr_does_nothing_in_a_thread_or_with_another_stderr(tmp_path, monkeypatch):
    import io
    import sys
    import threading

    from mocaplab.keypoints.native_stderr import native_stderr_to, redirect_is_safe

    seen = []

    def in_thread():
        seen.append(redirect_is_safe())
        with native_stderr_to(tmp_path / "x.log"):
            pass

    t = threading.Thread(target=in_thread)
    t.start()
    t.join()
    assert seen == [False] and not (tmp_path / "x.log").exists()
    # a notebook's or a capture's stderr object, in the main thread
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not redirect_is_safe()
    monkeypatch.setattr(sys, "stderr", open(os.dup(2), "w"))  # noqa: SIM115
    try:
        assert not redirect_is_safe()  # a real file, but not descriptor 2
    finally:
        sys.stderr.close()
    monkeypatch.setattr(sys, "stderr", open(2, "w", closefd=False))  # noqa: SIM115
    assert redirect_is_safe()


@dataclasses.dataclass(frozen=True)
class FailingPreloadDetector(FakeDetector):
    """preload() fails (a library missing); detect() is where the error would be reported."""

    def preload(self) -> None:
        raise ImportError("no such library")


def test_a_failing_preload_does_not_break_the_lanes(trial, tmp_path):
    out = detect_trial(trial, detector=FailingPreloadDetector(str(tmp_path / "l")), workers=2,
                       progress=False)
    assert Keypoints2D.load(out).shape == (3, 6, 3)


@dataclasses.dataclass(frozen=True)
class TwoPersonDetector(FakeDetector):
    """FakeDetector's person in slot 0 and a second one, 100 px to the right, in slot 1."""

    poses: int = 2

    def signature(self) -> str:
        return f"fake-poses{self.poses}"

    def detect(self, video_path, *, max_frames=None, on_frame=None) -> VideoKeypoints:
        one = super().detect(video_path, max_frames=max_frames, on_frame=on_frame)
        if self.poses == 1:
            return one
        poses = np.stack([one.points, one.points + [100.0, 0.0]], axis=1)
        conf = np.stack([one.confidence, one.confidence], axis=1)
        return dataclasses.replace(one, poses=poses, pose_confidence=conf)


def test_several_poses_go_to_poses2d_beside_a_single_person_keypoints2d(trial, tmp_path):
    """keypoints2d.npz keeps its single-person shape (slot 0); poses2d.npz holds every pose and
    is removed when a later run detects one pose per view."""
    from mocaplab.keypoints.poses2d import Poses2D, load_poses_for, poses_path_for

    log = str(tmp_path / "calls.log")
    out = detect_trial(trial, detector=TwoPersonDetector(log), workers=1, progress=False)
    kp = Keypoints2D.load(out)
    assert kp.shape == (3, 6, 3)
    poses = load_poses_for(out, kp)
    assert poses.points.shape == (3, 6, 2, 3, 2)
    np.testing.assert_array_equal(poses.points[:, :, 0], kp.points)
    np.testing.assert_allclose(poses.points[0, 3, 1, 2], [102, 3])
    detect_trial(trial, detector=TwoPersonDetector(log, poses=1), workers=1, progress=False)
    assert not poses_path_for(out).exists()
    # a poses2d.npz of another run is not used
    Poses2D(poses.points + 1.0, poses.confidence, poses.cameras, poses.keypoints,
            poses.fps).save(poses_path_for(out))
    assert load_poses_for(out, Keypoints2D.load(out)).n_slots == 1


def test_detection_refuses_to_start_when_calibration_names_do_not_pair(trial, tmp_path):
    """Issue 19: the camera names are checked before any detection runs."""
    from mocaplab.synthetic import camera_ring

    cams = camera_ring(3)  # cam0..cam2 against cam1..cam3: a partial loose match
    cams.save(trial.path / "calibration.toml", overwrite=True)
    log = str(tmp_path / "calls.log")
    with pytest.raises(InputError, match=r"cam3.*cam0"):
        detect_trial(trial, detector=FakeDetector(log), workers=1, progress=False)
    assert calls(log) == []
