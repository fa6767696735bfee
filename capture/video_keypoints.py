"""2D keypoints of whole videos, for post-hoc synchronisation.

Uses :func:`mocaplab.keypoints.detect_video` (the keypoints stage) when it is available; until
then, or when it is not installed, a minimal MediaPipe Tasks PoseLandmarker call (VIDEO mode,
one person) gives the same (F, 33, 2) pixels and (F, 33) confidence.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mocaplab.errors import InputError

#: where the pose model is looked for when none is given
MODEL_ENV = "MOCAPLAB_POSE_MODEL"


def detect_video(video: str | os.PathLike, model_path: str | os.PathLike | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(points (F, 33, 2) px NaN = not seen, confidence (F, 33)) of one video.

    Raises:
        InputError: unreadable video or no pose model.
    """
    try:
        from mocaplab.keypoints import detect_video as stage_detect  # type: ignore[attr-defined]
    except ImportError:
        stage_detect = None
    if stage_detect is not None:
        points, conf = stage_detect(video, model_path=model_path)
        return np.asarray(points, float), np.asarray(conf, float)
    return _mediapipe_detect(Path(video), _model(model_path))


def detect_videos(videos: Sequence[str | os.PathLike], model_path: str | os.PathLike | None = None,
                  progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Detect every video; pad to the longest with NaN. Returns (C, F, 33, 2) and (C, F, 33)."""
    results = []
    iterator = videos
    if progress:
        from tqdm import tqdm
        iterator = tqdm(videos, desc="keypoints", unit="video")
    for v in iterator:
        results.append(detect_video(v, model_path))
    F = max(p.shape[0] for p, _ in results)
    pts = np.full((len(results), F, 33, 2), np.nan)
    conf = np.zeros((len(results), F, 33))
    for c, (p, k) in enumerate(results):
        pts[c, :len(p)] = p
        conf[c, :len(k)] = k
    return pts, conf


def _model(model_path: str | os.PathLike | None) -> Path:
    path = model_path or os.environ.get(MODEL_ENV)
    if not path:
        raise InputError("keypoint sync needs the MediaPipe pose model: pass its path or set "
                         f"{MODEL_ENV} (e.g. pose_landmarker_full.task)")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"pose model {path} does not exist")
    return path


def _mediapipe_detect(video: Path, model: Path) -> tuple[np.ndarray, np.ndarray]:
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import (
        PoseLandmarker,
        PoseLandmarkerOptions,
        RunningMode,
    )
    from mocaplab.capture.video_io import open_capture, probe_video

    info = probe_video(video)
    options = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model)),
                                    running_mode=RunningMode.VIDEO, num_poses=1)
    points, conf = [], []
    cap = open_capture(video)
    try:
        with PoseLandmarker.create_from_options(options) as landmarker:
            i = 0
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                h, w = frame.shape[:2]
                image = mp.Image(image_format=mp.ImageFormat.SRGB,
                                 data=cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                res = landmarker.detect_for_video(image, int(round(i * 1000 / info.fps)))
                p = np.full((33, 2), np.nan)
                c = np.zeros(33)
                if res.pose_landmarks:
                    lm = res.pose_landmarks[0]
                    p = np.array([[q.x * w, q.y * h] for q in lm])
                    c = np.array([q.visibility if q.visibility is not None else 1.0 for q in lm])
                points.append(p)
                conf.append(np.clip(c, 0.0, 1.0))
                i += 1
    finally:
        cap.release()
    if not points:
        raise InputError(f"video {video} has no decodable frames")
    return np.array(points), np.array(conf)
