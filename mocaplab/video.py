"""Opening and probing a video file: the one :class:`VideoInfo` and :func:`probe_video`; and
the one MP4 writer of pictures we make (:class:`Mp4Writer`).

Capture (import, alignment, safe writing, video sources) and detection (frame reading) both ask
the same questions of a video; the answers and the errors (missing, empty, corrupt, zero-frame,
fps-less file) live here. The replay render (viewer) and the before/after comparison video
write their MP4s with :class:`Mp4Writer` (recording keeps its own lossless-codec writer,
``capture/video_io.SafeVideoWriter``).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from mocaplab.errors import InputError


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself.

    Attributes:
        path: the file.
        fps: frames per second stored in the container (may be a nominal value).
        frames: number of frames: the container's count (may be approximate for some codecs),
            counted by decoding with ``probe_video(count_frames=True)`` or when the container
            gives none.
        size: (width, height) in pixels (of the decoded first frame unless ``decode_first=False``).
        fourcc: the codec's four-character code as the backend reports it.
    """

    path: Path
    fps: float
    frames: int
    size: tuple[int, int]
    fourcc: str

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]


def open_video(path: str | os.PathLike, threads: int | None = None):
    """An opened ``cv2.VideoCapture``; :class:`InputError` naming the file if it is missing,
    empty or undecodable. ``threads``: FFmpeg decoding threads (None = FFmpeg's choice)."""
    import cv2

    path = Path(path)
    if not path.exists():
        raise InputError(f"video {path} does not exist")
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"video {path} is empty (0 bytes); record or copy it again")
    params = [] if threads is None else [cv2.CAP_PROP_N_THREADS, int(threads)]
    cap = cv2.VideoCapture(str(path), cv2.CAP_ANY, params)
    if not cap.isOpened():
        cap.release()
        raise InputError(f"video {path} cannot be opened: the file is corrupt, truncated or in a "
                         "format OpenCV/FFmpeg cannot decode; re-export it (e.g. H.264 MP4)")
    return cap


def probe_video(path: str | os.PathLike, decode_first: bool = True,
                count_frames: bool = False) -> VideoInfo:
    """Read a video's fps, frame count, size and codec, and check that it is usable.

    Args:
        path: the video.
        decode_first: decode the first frame (catches zero-frame and undecodable streams, and
            gives the true frame size); False only reads the container's header (~4x cheaper,
            for callers that decode the video next anyway and fail there).
        count_frames: decode the whole file to count frames instead of trusting the container
            (slower; done anyway when the container gives no count and the first frame is
            decoded).

    Raises:
        InputError: missing, empty, corrupt, zero-frame or fps-less video.
    """
    import cv2

    path = Path(path)
    cap = open_video(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        n = int(round(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0).to_bytes(4, "little").decode(
            "ascii", "replace").strip("\x00")
        size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if decode_first or count_frames:
            ok, frame = cap.read()
            if not ok or frame is None:
                raise InputError(f"video {path} has no decodable frames (0 frames or a corrupt "
                                 "stream)")
            size = (int(frame.shape[1]), int(frame.shape[0]))
            if count_frames or n <= 0:
                n = 1
                while cap.grab():
                    n += 1
    finally:
        cap.release()
    if not np.isfinite(fps) or fps <= 0 or fps > 10_000:
        raise InputError(f"video {path} does not state a usable frame rate ({fps}); "
                         "re-export it with a frame rate or pass fps explicitly")
    return VideoInfo(path, fps, max(n, 1), size, fourcc)


@functools.cache
def ffmpeg_h264() -> str | None:
    """Path of an ffmpeg with the libx264 encoder, or None."""
    exe = shutil.which("ffmpeg")
    if not exe:
        return None
    try:
        res = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True,
                             timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return exe if "libx264" in res.stdout else None


class Mp4Writer:
    """MP4 frames written to ``path`` (write under :func:`mocaplab.atomic.atomic_path`): H.264
    (yuv420p, even size, faststart: plays in browsers) through ffmpeg when it has libx264, else
    OpenCV's mp4v (this OpenCV cannot write H.264).

    Args:
        size: (width, height) of every frame, pixels.
        codec: "auto" (H.264 if possible, else mp4v), "h264" (InputError without ffmpeg) or
            "mp4v".
        pixel_format: "bgr24" (OpenCV images) or "rgb24" (rendered images).
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int],
                 codec: str = "auto", pixel_format: str = "bgr24"):
        import cv2

        self.path, self.fps, self.size, self.pixel_format = Path(path), fps, size, pixel_format
        self.frames = 0
        exe = ffmpeg_h264() if codec in ("auto", "h264") else None
        if codec == "h264" and exe is None:
            raise InputError("H.264 needs ffmpeg with libx264 (apt install ffmpeg); use "
                             "--codec mp4v")
        self.codec = "h264" if exe else "mp4v"
        self._proc: subprocess.Popen | None = None
        self._cv = None
        if exe:
            w, h = size
            self._proc = subprocess.Popen(
                [exe, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
                 "-pix_fmt", pixel_format, "-s", f"{w}x{h}", "-r", f"{fps}", "-i", "-",
                 "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-preset",
                 "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                 "-f", "mp4", str(self.path)],
                stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        else:
            self._cv = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                       size)
            if not self._cv.isOpened():
                raise InputError(f"cannot write mp4v video {self.path}")

    def write(self, frame: np.ndarray) -> None:
        if self._proc is not None:
            try:
                self._proc.stdin.write(np.ascontiguousarray(frame).tobytes())  # type: ignore[union-attr]
            except BrokenPipeError:
                self.close(ok=False)
                raise InputError(f"ffmpeg stopped while writing {self.path}") from None
        else:
            import cv2

            self._cv.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
                           if self.pixel_format == "rgb24" else frame)
        self.frames += 1

    def close(self, ok: bool = True) -> None:
        """Finish the file; ``ok`` False (after a failure) raises nothing more."""
        if self._proc is not None:
            proc, self._proc = self._proc, None
            proc.stdin.close()  # type: ignore[union-attr]
            err = proc.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
            if proc.wait() != 0 and ok:
                raise InputError(f"ffmpeg failed writing {self.path}: {err.strip()[-300:]}")
        if self._cv is not None:
            self._cv.release()
            self._cv = None
