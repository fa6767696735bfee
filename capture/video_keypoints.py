"""2D keypoints of whole videos, for post-hoc synchronisation by keypoint motion.

A thin layer over the keypoints stage (:func:`mocaplab.keypoints.detect_video`, MediaPipe
BlazePose): it detects several videos and pads them to a common frame count.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


def detect_videos(videos: Sequence[str | os.PathLike], model_path: str | os.PathLike | None = None,
                  progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Detect every video (MEDIAPIPE33 order); views shorter than the longest are padded.

    Args:
        videos: one video per camera.
        model_path: the pose model (None: resolved by :mod:`mocaplab.keypoints`, e.g. from
            ``$MOCAPLAB_POSE_MODEL``).
        progress: show a progress bar (tqdm, stderr).

    Returns:
        points (C, F, 33, 2) pixels, NaN = not seen (and padding); confidence (C, F, 33).
    """
    from mocaplab.keypoints import detect_video

    iterator = videos
    if progress:
        from tqdm import tqdm
        iterator = tqdm(videos, desc="keypoints", unit="video")
    results = [detect_video(v, model_path=model_path) for v in iterator]
    F = max(np.shape(p)[0] for p, _ in results)
    pts = np.full((len(results), F, 33, 2), np.nan)
    conf = np.zeros((len(results), F, 33))
    for c, (p, k) in enumerate(results):
        pts[c, :len(p)] = p
        conf[c, :len(k)] = k
    return pts, conf
