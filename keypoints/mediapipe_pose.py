"""MediaPipe Tasks PoseLandmarker (BlazePose, 33 landmarks) as a :class:`Detector`.

VIDEO running mode (the landmarker tracks the person from frame to frame), timestamps in
milliseconds computed from the video's fps and kept strictly increasing. Outputs:

- points (F, 33, 2): ``x * width``, ``y * height`` of the normalised landmarks, i.e. pixel
  coordinates in the distorted (as recorded) image. Landmarks MediaPipe extrapolates outside the
  image are kept (with their low confidence).
- confidence (F, 33): ``visibility * presence`` (both in [0, 1]: the landmark is in the frame
  and not occluded).
- frames without a person: NaN points and confidence 0.
- with ``num_poses`` > 1, every pose MediaPipe returns is kept in ``VideoKeypoints.poses``
  (F, num_poses, 33, 2) in MediaPipe's order (not associated from frame to frame: that is
  triangulation's job, see :mod:`mocaplab.triangulation.persons`); ``points`` is pose 0.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from pathlib import Path

import numpy as np

from mocaplab.errors import InputError
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.keypoints.detector import FrameCallback, VideoKeypoints
from mocaplab.keypoints.mp_import import import_mediapipe_light
from mocaplab.keypoints.video import FrameReader, iter_frames
from mocaplab.video import probe_video

log = logging.getLogger(__name__)


def frame_timestamps_ms(n_frames: int, fps: float) -> np.ndarray:
    """(n_frames,) int64 timestamps ``round(i * 1000 / fps)`` in ms, made strictly increasing
    (above 1000 fps rounding alone would repeat values, which VIDEO mode rejects)."""
    i = np.arange(n_frames, dtype=np.int64)
    ts = np.round(i * (1000.0 / fps)).astype(np.int64)
    return np.maximum.accumulate(ts - i) + i if n_frames else ts


def landmarks_to_arrays(landmarks, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """One pose's landmarks -> ((33, 2) pixels, (33,) confidence = visibility * presence)."""
    raw = np.array([(lm.x, lm.y,
                     1.0 if lm.visibility is None else lm.visibility,
                     1.0 if lm.presence is None else lm.presence) for lm in landmarks],
                   dtype=float)
    pts = raw[:, :2] * (float(width), float(height))
    conf = np.clip(raw[:, 2], 0, 1) * np.clip(raw[:, 3], 0, 1)
    return pts, conf


def _model_digest(path: str | os.PathLike) -> str:
    st = Path(path).stat()
    return _digest_cached(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _digest_cached(path: str, size: int, mtime_ns: int) -> str:
    from mocaplab.keypoints.model_cache import sha256_file

    return sha256_file(path)


@dataclasses.dataclass(frozen=True)
class MediaPipePoseDetector:
    """BlazePose through MediaPipe Tasks, one landmarker per video.

    Attributes:
        model_path: the ``.task`` file (see :func:`mocaplab.keypoints.resolve_model`).
        min_detection_confidence, min_presence_confidence, min_tracking_confidence:
            MediaPipe's thresholds (defaults are MediaPipe's).
        overlap_decoding: decode in a background thread while the network runs.
        decode_threads: FFmpeg decoding threads (None = one per core); see
            :meth:`for_parallel_worker`.
        decode_ahead: frames the decoding thread may run ahead of the network.
        num_poses: most people detected per frame (MediaPipe's ``num_poses``); above 1 the
            result carries every pose (``VideoKeypoints.poses``).
    """

    model_path: str
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    overlap_decoding: bool = True
    keypoint_names: tuple[str, ...] = MEDIAPIPE33_NAMES
    decode_threads: int | None = None
    decode_ahead: int = 2
    num_poses: int = 1

    def __post_init__(self) -> None:
        if not 1 <= int(self.num_poses) <= 8:
            raise InputError(f"num_poses must be 1 to 8, got {self.num_poses}")

    def for_parallel_worker(self) -> MediaPipePoseDetector:
        """The same detector for a worker process among others that keep every core busy:
        FFmpeg decodes with one thread (its per-core threads only add CPU there), and the
        decoding thread runs one frame ahead (it shares the worker's core with the network, so
        running further ahead gains nothing and the waiting frames fall out of the caches:
        ~1-3 % more CPU per frame at 2 ahead and ~4 % at 8, measured). Results are identical."""
        return dataclasses.replace(self, decode_threads=1, decode_ahead=1)

    def signature(self) -> str:
        return (f"mediapipe:{_model_digest(self.model_path)[:16]}:"
                f"{self.min_detection_confidence}:{self.min_presence_confidence}:"
                f"{self.min_tracking_confidence}"
                + (f":poses{self.num_poses}" if self.num_poses > 1 else ""))

    def preload(self) -> None:
        """Import OpenCV and MediaPipe (nothing else: safe in any thread of any process)."""
        import cv2  # noqa: F401

        import_mediapipe_light()

    def _create(self):
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import (
            PoseLandmarker,
            PoseLandmarkerOptions,
            RunningMode,
        )

        if not Path(self.model_path).is_file():
            raise InputError(f"pose model {self.model_path} does not exist")
        opts = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=RunningMode.VIDEO, num_poses=int(self.num_poses),
            min_pose_detection_confidence=self.min_detection_confidence,
            min_pose_presence_confidence=self.min_presence_confidence,
            min_tracking_confidence=self.min_tracking_confidence)
        try:
            return PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as exc:
            raise InputError(f"{self.model_path} is not a usable MediaPipe pose landmarker "
                             f"model: {exc}") from None

    def detect(self, video_path: str | os.PathLike, *, max_frames: int | None = None,
               on_frame: FrameCallback | None = None, fps: float | None = None
               ) -> VideoKeypoints:
        """Keypoints of one video.

        Args:
            video_path: the video file.
            max_frames: only the first frames (quick checks).
            on_frame: progress callback, called with the number of frames done.
            fps: overrides the container's frame rate for the timestamps.
        Raises:
            InputError: unreadable video, zero frames, unusable model.
        """
        mp = import_mediapipe_light()
        info = probe_video(video_path, decode_first=False)  # the loop below decodes it anyway
        fps = float(fps or info.fps)
        last_ts = -1
        pts_list: list[np.ndarray] = []
        conf_list: list[np.ndarray] = []
        P = int(self.num_poses)
        nan_pts = np.full((P, 33, 2), np.nan)
        zero_conf = np.zeros((P, 33))
        frames = (FrameReader(video_path, max_frames, queue_size=self.decode_ahead,
                              decode_threads=self.decode_threads)
                  if self.overlap_decoding
                  else _Inline(video_path, max_frames, self.decode_threads))
        with self._create() as landmarker, frames as reader:
            for i, rgb in reader:
                last_ts = max(round(i * 1000.0 / fps), last_ts + 1)
                h, w = rgb.shape[:2]
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
                result = landmarker.detect_for_video(image, last_ts)
                p, c = nan_pts.copy(), zero_conf.copy()
                for n, landmarks in enumerate(result.pose_landmarks[:P]):
                    p[n], c[n] = landmarks_to_arrays(landmarks, w, h)
                pts_list.append(p)
                conf_list.append(c)
                if on_frame is not None:
                    on_frame(i + 1)
        if not pts_list:
            raise InputError(f"video {video_path} has no decodable frames")
        expected = info.frames if max_frames is None else min(info.frames, max_frames)
        if len(pts_list) < expected - 1:  # containers may announce one frame too many
            log.warning("%s: decoded %d frames of the %d the file announces (truncated or "
                        "damaged video?)", video_path, len(pts_list), expected)
        poses, pose_conf = np.stack(pts_list), np.stack(conf_list)
        multi = P > 1
        return VideoKeypoints(poses[:, 0], pose_conf[:, 0], self.keypoint_names, fps,
                              source=f"mediapipe:{Path(self.model_path).name}",
                              poses=poses if multi else None,
                              pose_confidence=pose_conf if multi else None)


class _Inline:
    """The same interface as FrameReader, decoding in the caller's thread."""

    def __init__(self, path, max_frames, decode_threads=None):
        self._it = iter_frames(path, max_frames, decode_threads)

    def __enter__(self):
        return self._it

    def __exit__(self, *exc):
        self._it.close()


def detect_video(video_path: str | os.PathLike, model_path: str | os.PathLike | None = None, *,
                 variant: str = "full", max_frames: int | None = None,
                 fps: float | None = None, on_frame: FrameCallback | None = None,
                 overlap_decoding: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe 2D keypoints of one video.

    Args:
        video_path: the video file.
        model_path: the ``.task`` model; None resolves it (see
            :func:`mocaplab.keypoints.model_cache.resolve_model`).
        variant: model variant used when resolving ("lite", "full", "heavy").
        max_frames: only the first frames.
        fps: overrides the container's frame rate for the VIDEO-mode timestamps.
        on_frame: progress callback (frames done).
        overlap_decoding: decode in a background thread.
    Returns:
        points (F, 33, 2) pixels in the distorted image (NaN where no person) and
        confidence (F, 33) in [0, 1] (0 where no person); keypoint order = MEDIAPIPE33.
    """
    from mocaplab.keypoints.model_cache import resolve_model

    model = resolve_model(model_path, variant)
    det = MediaPipePoseDetector(str(model), overlap_decoding=overlap_decoding)
    kp = det.detect(video_path, max_frames=max_frames, on_frame=on_frame, fps=fps)
    return kp.points, kp.confidence
