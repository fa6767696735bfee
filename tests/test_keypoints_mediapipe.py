"""MediaPipe detector: conversions, no-person frames, bad input, and real data (subset)."""

from __future__ import annotations

import types

import cv2
import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.keypoints import MediaPipePoseDetector, detect_video
from mocaplab.keypoints.mediapipe_pose import frame_timestamps_ms, landmarks_to_arrays

DEMO = "pose2sim_demo_singleperson"


def test_timestamps_strictly_increasing_from_fps():
    assert frame_timestamps_ms(4, 60.0).tolist() == [0, 17, 33, 50]
    ts = frame_timestamps_ms(50, 2400.0)  # rounding alone would repeat values
    assert np.all(np.diff(ts) >= 1)
    assert frame_timestamps_ms(0, 30.0).size == 0


def test_landmarks_to_pixels_and_confidence():
    lms = [types.SimpleNamespace(x=0.5, y=0.25, visibility=0.8, presence=0.5),
           types.SimpleNamespace(x=1.1, y=-0.1, visibility=None, presence=None)]
    pts, conf = landmarks_to_arrays(lms, width=1080, height=1920)
    np.testing.assert_allclose(pts, [[540, 480], [1188, -192]])
    np.testing.assert_allclose(conf, [0.4, 1.0])


def test_no_person_gives_nan_and_zero_confidence(pose_model, tmp_path):
    path = tmp_path / "empty_room.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
    for i in range(6):
        w.write(np.full((240, 320, 3), 40 + i, np.uint8))
    w.release()
    points, conf = detect_video(path, pose_model)
    assert points.shape == (6, 33, 2) and conf.shape == (6, 33)
    assert np.isnan(points).all()
    assert (conf == 0).all()


def test_bad_video_and_bad_model(pose_model, tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00" * 4096)
    with pytest.raises(InputError, match="cannot be opened"):
        detect_video(corrupt, pose_model)
    fake_model = tmp_path / "fake.task"
    fake_model.write_bytes(b"not a model")
    ok_video = tmp_path / "ok.avi"
    w = cv2.VideoWriter(str(ok_video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    w.write(np.zeros((48, 64, 3), np.uint8))
    w.release()
    with pytest.raises(InputError, match="not a usable MediaPipe pose landmarker"):
        detect_video(ok_video, fake_model)


def test_real_video_pixels_in_distorted_image(shared_data, pose_model):
    """cam01 decodes as 1080x1920 portrait: points are pixels of that image."""
    video = shared_data / DEMO / "videos" / "cam01.mp4"
    det = MediaPipePoseDetector(str(pose_model))
    kp = det.detect(video, max_frames=15)
    assert kp.keypoints == MEDIAPIPE33_NAMES and kp.fps == pytest.approx(60.0)
    assert kp.detection_rate() >= 0.95
    seen = kp.confidence > 0.5
    xy = kp.points[seen]
    assert (xy[:, 0] > 0).all() and (xy[:, 0] < 1080).all()
    assert (xy[:, 1] > 0).all() and (xy[:, 1] < 1920).all()
    # the person stands: ankles below hips below shoulders (image y grows downwards)
    i = {n: MEDIAPIPE33_NAMES.index(n) for n in ("left_shoulder", "left_hip", "left_ankle")}
    y = np.nanmedian(kp.points[:, :, 1], axis=0)
    assert y[i["left_shoulder"]] < y[i["left_hip"]] < y[i["left_ankle"]]
    # the plain loop (no decoding thread) gives the same result
    plain = MediaPipePoseDetector(str(pose_model), overlap_decoding=False).detect(
        video, max_frames=15)
    np.testing.assert_allclose(plain.points, kp.points, atol=1e-6)


def test_light_mediapipe_import_defers_only_the_drawing_helpers():
    """Workers import MediaPipe without matplotlib and the audio/text tasks; all still work on
    use (attribute access, and importing a submodule of a deferred package)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from mocaplab.keypoints.mp_import import import_mediapipe_light\n"
        "mp = import_mediapipe_light()\n"
        "from mediapipe.tasks.python.vision import PoseLandmarker, drawing_utils\n"
        "assert not any(m.startswith('matplotlib') for m in sys.modules)\n"
        "assert drawing_utils.DrawingSpec is not None\n"
        "assert type(sys.modules['mediapipe.tasks.python.vision.drawing_utils']).__name__ "
        "== 'module'\n"
        "assert 'sounddevice' not in sys.modules\n"
        "assert 'mediapipe.tasks.python.audio.audio_classifier' not in sys.modules\n"
        "from mediapipe.tasks.python.text import TextClassifier\n"
        "from mediapipe.tasks.python.audio import audio_classifier as ac\n"
        "assert ac.AudioClassifier is mp.tasks.audio.AudioClassifier\n"
        "assert TextClassifier is mp.tasks.text.TextClassifier\n"
        "print('ok', mp.ImageFormat.SRGB)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok")
