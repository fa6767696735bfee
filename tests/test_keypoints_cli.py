"""``mocaplab detect``: options, imported sources, clear errors with exit codes."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from mocaplab.cli import main
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.pose_data import Keypoints2D
from mocaplab.trial import Trial


@pytest.fixture
def trial(tmp_path):
    t = Trial.create(tmp_path / "trial")
    w = cv2.VideoWriter(str(t.videos_dir / "camA.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30,
                        (64, 48))
    for _ in range(3):
        w.write(np.zeros((48, 64, 3), np.uint8))
    w.release()
    return t


@pytest.fixture
def no_model(tmp_path, monkeypatch):
    monkeypatch.delenv("MOCAPLAB_POSE_MODEL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty_cache"))
    monkeypatch.setenv("MOCAPLAB_OFFLINE", "1")


def test_detect_help_lists_options(capsys):
    with pytest.raises(SystemExit):
        main(["detect", "--help"])
    out = capsys.readouterr().out
    for opt in ("--model", "--workers", "--force", "--variant", "--source"):
        assert opt in out


def test_detect_without_model_is_a_clear_error(trial, no_model, capsys):
    assert main(["detect", str(trial.path)]) == 1
    err = capsys.readouterr().err
    assert "no full pose model found" in err and "MOCAPLAB_POSE_MODEL: not set" in err
    assert "Traceback" not in err
    assert main(["detect", str(trial.path), "--model", "/no/such.task"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_detect_bad_arguments(trial, no_model, capsys):
    assert main(["detect", str(trial.path), "--workers", "0"]) == 1
    assert main(["detect", str(trial.path), "--source", "alphapose:/x"]) == 1
    assert "unknown" in capsys.readouterr().err
    for bad in ("0", "-3"):  # said "video ... has no decodable frames", blaming the video
        assert main(["detect", str(trial.path), "--max-frames", bad]) == 1
        assert f"--max-frames {bad}: give at least 1" in capsys.readouterr().err
    assert main(["detect", str(trial.path.parent / "nope")]) == 1
    assert "no videos/ folder" in capsys.readouterr().err


def test_detect_imports_openpose(trial, no_model, tmp_path, capsys):
    folder = tmp_path / "op" / "camA_json"
    folder.mkdir(parents=True)
    for f in range(3):
        flat = [v for k in range(25) for v in (10.0 * k + f, 5.0 * k, 0.9)]
        (folder / f"x_{f:012d}_keypoints.json").write_text(
            json.dumps({"people": [{"pose_keypoints_2d": flat}]}))
    assert main(["detect", str(trial.path), "--source", f"openpose:{tmp_path / 'op'}",
                 "--no-progress"]) == 0
    assert "camA: person found in 100.0 % of frames" in capsys.readouterr().out
    kp = Keypoints2D.load(trial.keypoints2d_path)
    assert kp.keypoints == MEDIAPIPE33_NAMES and kp.fps == 30 and kp.shape == (1, 3, 33)


def test_detect_real_model_one_camera(shared_data, pose_model, tmp_path, capsys):
    t = Trial.create(tmp_path / "t")
    (t.videos_dir / "cam02.mp4").symlink_to(
        shared_data / "pose2sim_demo_singleperson" / "videos" / "cam02.mp4")
    assert main(["detect", str(t.path), "--model", str(pose_model), "--workers", "1",
                 "--max-frames", "5", "--no-progress"]) == 0
    assert "cam02: person found in 100.0 %" in capsys.readouterr().out


#: what MediaPipe / TensorFlow Lite / absl write to descriptor 2 when a landmarker is created
_NATIVE_CHATTER = ("TensorFlow Lite", "XNNPACK", "LiteRT", "InitGoogle", "W0000", "I0000",
                   "model_load.cc", "accelerator_registry")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_detect_no_progress_keeps_native_chatter_off_the_terminal(tmp_path, pose_model, workers):
    """``mocaplab detect --no-progress`` (a script, a cron job) printed MediaPipe's glog and
    TensorFlow Lite lines ('INFO: Created TensorFlow Lite XNNPACK delegate for CPU.') to the
    terminal; they go to the parts folder's log, as with progress bars."""
    import os
    import subprocess
    import sys

    t = Trial.create(tmp_path / "trial")
    for cam in ("camA", "camB"):
        w = cv2.VideoWriter(str(t.videos_dir / f"{cam}.avi"), cv2.VideoWriter_fourcc(*"MJPG"),
                            30, (64, 48))
        for _ in range(3):
            w.write(np.zeros((48, 64, 3), np.uint8))
        w.release()
    env = {**os.environ, "MOCAPLAB_POSE_MODEL": str(pose_model)}
    run = subprocess.run([sys.executable, "-m", "mocaplab.cli", "detect", str(t.path),
                          "--no-progress", "--workers", workers, "--num-poses", "1"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "wrote" in run.stdout
    chatter = [line for line in (run.stdout + run.stderr).splitlines()
               if any(c in line for c in _NATIVE_CHATTER)]
    assert not chatter, chatter[:5]
    log = t.path / ".keypoints2d_parts" / "workers.log"
    assert any(c in log.read_text() for c in _NATIVE_CHATTER)  # kept, not thrown away
