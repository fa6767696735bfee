"""Video files: probing, and writing that never leaves a truncated file under the final name.

:func:`probe_video` opens a file and reports fps, frame count and size, with clear errors for a
missing, unreadable or empty file. :class:`SafeVideoWriter` writes to a hidden temporary name in
the target's folder, and on :meth:`SafeVideoWriter.close` releases the writer, checks that the
file reopens with the expected number of frames and only then renames it into place.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from mocaplab.atomic import replace_into
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.video import VideoInfo, open_video, probe_video

#: codec name -> (FourCC, file extension). MJPG is the default: fast to write on a small CPU,
#: every frame is a key frame and the AVI frame count is exact. FFV1 is lossless but ~3x slower.
CODECS: dict[str, tuple[str, str]] = {
    "mjpg": ("MJPG", ".avi"),
    "mp4v": ("mp4v", ".mp4"),
    "ffv1": ("FFV1", ".mkv"),
}
DEFAULT_CODEC = "mjpg"


def codec_for(name: str) -> tuple[str, str]:
    """(FourCC, extension) of a codec name (``mjpg``, ``mp4v``, ``ffv1``)."""
    try:
        return CODECS[name.lower()]
    except KeyError:
        raise InputError(f"unknown codec {name!r}; choose one of {', '.join(CODECS)}") from None


class SafeVideoWriter:
    """Write a video under a temporary name; verify and rename it into place on close.

    Use as a context manager. Leaving the ``with`` block through an exception removes the
    temporary file, leaving nothing (or the previous file) under the final name. ``abort()``
    does the same explicitly.

    Args:
        path: final file name (its extension should match the codec's, see :data:`CODECS`).
        fps: frame rate stored in the file.
        size: (width, height) of the frames.
        codec: ``mjpg`` (default), ``mp4v`` or ``ffv1``.
        overwrite: replace an existing file at ``path``.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int],
                 codec: str = DEFAULT_CODEC, overwrite: bool = False):
        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise OutputExistsError(f"{self.path} already exists; pass --force to replace it")
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.codec = codec.lower()
        fourcc, _ = codec_for(self.codec)
        self.overwrite = overwrite
        self.frames = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=f".tmp{self.path.suffix}",
                                   dir=self.path.parent)
        os.close(fd)
        self.tmp_path = Path(tmp)
        self._writer = cv2.VideoWriter(str(self.tmp_path), cv2.VideoWriter_fourcc(*fourcc),
                                       self.fps, self.size)
        if not self._writer.isOpened():
            self.tmp_path.unlink(missing_ok=True)
            raise InputError(f"cannot write {self.codec} video {self.path} at {self.fps} fps, "
                             f"size {self.size}: this OpenCV build lacks the encoder; "
                             f"try another codec ({', '.join(CODECS)})")
        self._closed = False

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 BGR frame (or (H, W) grey) of the writer's size."""
        h, w = frame.shape[:2]
        if (w, h) != self.size:
            raise InputError(f"frame of size {(w, h)} written to a {self.size} video "
                             f"{self.path.name}; a camera changed resolution mid-recording")
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> VideoInfo | None:
        """Finish the file, check it reopens with every frame, rename it into place.

        Returns its :class:`VideoInfo`, or None (and no file) when no frame was written.

        Raises:
            InputError: the finished file does not read back (the temporary file is kept
                beside the target for inspection and its name is given).
        """
        if self._closed:
            return None
        self._closed = True
        self._writer.release()
        if self.frames == 0:
            self.tmp_path.unlink(missing_ok=True)
            return None
        try:
            info = probe_video(self.tmp_path, count_frames=self.codec != "mjpg")
        except InputError as exc:
            raise InputError(f"{self.path.name} was written but does not read back ({exc}); "
                             f"the partial file is kept as {self.tmp_path}") from None
        if info.frames != self.frames:
            raise InputError(f"{self.path.name}: wrote {self.frames} frames but the file holds "
                             f"{info.frames}; the partial file is kept as {self.tmp_path}")
        if self.path.exists() and not self.overwrite:
            self.abort()
            raise OutputExistsError(f"{self.path} appeared while recording; not replacing it")
        replace_into(self.tmp_path, self.path)  # 0644 like every other result
        return dataclasses.replace(info, path=self.path)

    def abort(self) -> None:
        """Drop the recording: release the writer and delete the temporary file."""
        if not self._closed:
            self._closed = True
            self._writer.release()
        self.tmp_path.unlink(missing_ok=True)

    def __enter__(self) -> SafeVideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def read_frames(path: str | os.PathLike, start: int = 0, stop: int | None = None):
    """Yield (index, BGR frame) of a video from ``start`` up to ``stop`` (exclusive)."""
    cap = open_video(path)
    try:
        i = 0
        while stop is None or i < stop:
            if i < start:
                if not cap.grab():
                    return
            else:
                ok, frame = cap.read()
                if not ok:
                    return
                yield i, frame
            i += 1
    finally:
        cap.release()
