"""Frame sources behind one interface: camera devices, video files and image folders.

A source delivers :class:`Frame` objects one by one (``read()``), each stamped with
``time.monotonic()`` when the frame became available, until it returns None (end of stream).

- :class:`DeviceSource`: a camera through ``cv2.VideoCapture`` (an index such as ``0`` or a
  device path such as ``/dev/video0``). The timestamp is taken right after ``grab()`` returns,
  before decoding.
- :class:`VideoFileSource`: a video file played back as a *virtual camera*: frames are captured
  in real time at the file's own fps and kept in a ring of 4 buffers, as a V4L2 driver does; the
  timestamp is the frame's capture instant. A reader more than 4 frames behind loses frames, as
  with a real camera; they are counted in ``dropped``. ``realtime=False`` delivers frames as
  fast as they are read (for tests and import).
- :class:`ImageFolderSource`: a folder of numbered images played back at a given fps, the same way.

:func:`open_source` turns a command-line SPEC (device index, device path, video file, folder)
into the right source, with a clear error for anything that does not exist or cannot be opened.
"""

from __future__ import annotations

import abc
import dataclasses
import os
import re
import time
from pathlib import Path

import cv2
import numpy as np

from mocaplab.errors import InputError
from mocaplab.video import open_video, probe_video

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclasses.dataclass(frozen=True, eq=False)
class Frame:
    """One frame from a source.

    Attributes:
        image: (H, W, 3) uint8 BGR image.
        time_s: ``time.monotonic()`` seconds: when a device delivered it, or when a virtual
            camera captured it.
        index: the source's own frame counter (gaps mean frames the source lost).
    """

    image: np.ndarray
    time_s: float
    index: int


class FrameSource(abc.ABC):
    """A camera-like stream of frames. Use as a context manager or call ``close()``.

    Attributes:
        name: camera name (used for the video file name in a trial).
        fps: nominal frame rate, frames per second.
        size: (width, height) in pixels.
        dropped: frames the source knows it lost (a virtual camera read too slowly).
        knows_drops: True when ``dropped`` and the frame indices are exact; False for devices,
            whose lost frames can only be inferred from timestamp gaps.
        spec: how the source was specified (for meta.json).
    """

    name: str
    fps: float
    size: tuple[int, int]
    spec: str
    dropped: int = 0
    knows_drops: bool = True

    @abc.abstractmethod
    def read(self) -> Frame | None:
        """The next frame, or None at the end of the stream."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the device or file."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False

    def describe(self) -> dict:
        """JSON-able description for meta.json."""
        return {"source": self.spec, "kind": type(self).__name__, "fps_nominal": self.fps,
                "size": list(self.size)}


class DeviceSource(FrameSource):
    """A camera device through OpenCV.

    Args:
        device: an index (``0``) or a device path (``/dev/video0``).
        name: camera name; default ``cam<index>`` or the device file name.
        fps, size: requested frame rate and (width, height); the device may refuse them, the
            values it reports afterwards are kept.

    Raises:
        InputError: no such device, or it cannot be opened or read.
    """

    knows_drops = False

    def __init__(self, device: int | str, name: str | None = None, fps: float | None = None,
                 size: tuple[int, int] | None = None):
        self.spec = str(device)
        if isinstance(device, str) and not device.isdigit():
            if not Path(device).exists():
                raise InputError(f"camera device {device} does not exist; "
                                 f"devices present: {_list_devices() or 'none'}")
            target: int | str = device
            default_name = Path(device).name
        else:
            target = int(device)
            default_name = f"cam{target}"
        self.name = name or default_name
        self._cap = cv2.VideoCapture(target)
        if not self._cap.isOpened():
            self._cap.release()
            raise InputError(f"camera device {device} cannot be opened (no such camera, or it is "
                             f"busy or not a video device); devices present: "
                             f"{_list_devices() or 'none'}")
        if size:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        if fps:
            self._cap.set(cv2.CAP_PROP_FPS, fps)
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise InputError(f"camera device {device} opened but delivers no frames")
        self.size = (int(first.shape[1]), int(first.shape[0]))
        reported = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = float(fps or (reported if reported > 0 else 30.0))
        self._index = 0
        self.dropped = 0

    def read(self) -> Frame | None:
        if not self._cap.grab():
            return None
        t = time.monotonic()
        ok, image = self._cap.retrieve()
        if not ok:
            return None
        self._index += 1
        return Frame(image, t, self._index - 1)

    def close(self) -> None:
        self._cap.release()


class _Pacer:
    """Real-time schedule of a virtual camera, with a driver-like ring of frame buffers.

    Frame i is captured at ``t0 + i / fps``. Like a V4L2 driver (4 buffers by default), the
    camera keeps the ``buffers`` most recent frames: a reader that is late gets them late but
    complete, with their capture time; frames older than that have been overwritten and are lost.
    """

    def __init__(self, fps: float, realtime: bool, buffers: int = 4):
        self.period = 1.0 / fps
        self.realtime = realtime
        self.buffers = max(1, int(buffers))
        self.t0: float | None = None

    def frames_missed(self, i: int) -> int:
        """How many frames from i on were overwritten before the reader came for them."""
        if not self.realtime or self.t0 is None:
            return 0
        newest = int((time.monotonic() - self.t0) / self.period)  # last frame captured so far
        oldest_kept = newest - self.buffers + 1
        return max(0, oldest_kept - i)

    def deliver(self, i: int) -> float:
        """Wait until frame i is captured; return its capture time (monotonic seconds)."""
        now = time.monotonic()
        if self.t0 is None:
            self.t0 = now - i * self.period
            return now
        if not self.realtime:
            return now
        due = self.t0 + i * self.period
        while now < due:
            time.sleep(min(due - now, 0.05))
            now = time.monotonic()
        return due


class VideoFileSource(FrameSource):
    """A video file played back as a virtual camera.

    Args:
        path: the video file.
        name: camera name; default the file stem.
        realtime: deliver frames at the file's fps (True) or as fast as possible.
        loop: start again at the end of the file instead of ending the stream.
        fps: override the file's frame rate.

    Raises:
        InputError: missing, unreadable or empty file.
    """

    def __init__(self, path: str | os.PathLike, name: str | None = None, realtime: bool = True,
                 loop: bool = False, fps: float | None = None):
        self.path = Path(path)
        info = probe_video(self.path)
        self.spec = str(self.path)
        self.name = name or self.path.stem
        self.fps = float(fps or info.fps)
        self.size = info.size
        self.frames_in_file = info.frames
        self.loop = loop
        self._pacer = _Pacer(self.fps, realtime)
        self._cap = open_video(self.path)
        self._next = 0      # index of the next frame to deliver (counts through loops)
        self._pos = 0       # position in the file
        self.dropped = 0

    def _grab_next(self, decode: bool) -> np.ndarray | None | bool:
        ok = self._cap.grab()
        if not ok and self.loop and self._pos > 0:
            self._cap.release()
            self._cap = open_video(self.path)
            self._pos = 0
            ok = self._cap.grab()
        if not ok:
            return None
        self._pos += 1
        if not decode:
            return True
        ok, image = self._cap.retrieve()
        return image if ok else None

    def read(self) -> Frame | None:
        missed = self._pacer.frames_missed(self._next)
        for _ in range(missed):  # too late for these: a camera would have overwritten them
            if self._grab_next(decode=False) is None:
                return None
            self._next += 1
            self.dropped += 1
        image = self._grab_next(decode=True)
        if image is None:
            return None
        t = self._pacer.deliver(self._next)
        self._next += 1
        return Frame(image, t, self._next - 1)

    def close(self) -> None:
        self._cap.release()


class ImageFolderSource(FrameSource):
    """A folder of images (sorted in natural order) played back as a camera at ``fps``.

    Raises:
        InputError: the folder is missing, holds no images, an image is unreadable, or the
            image sizes differ.
    """

    def __init__(self, folder: str | os.PathLike, name: str | None = None, fps: float = 30.0,
                 realtime: bool = True, loop: bool = False):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InputError(f"image folder {self.folder} does not exist")
        self.files = sorted((p for p in self.folder.iterdir() if
                             p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")),
                            key=_natural_key)
        if not self.files:
            raise InputError(f"{self.folder} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        if not fps > 0:
            raise InputError(f"fps must be positive, got {fps}")
        self.spec = str(self.folder)
        self.name = name or self.folder.name
        self.fps = float(fps)
        first = self._load(0)
        self.size = (int(first.shape[1]), int(first.shape[0]))
        self.loop = loop
        self._pacer = _Pacer(self.fps, realtime)
        self._next = 0
        self.dropped = 0

    def _load(self, i: int) -> np.ndarray:
        image = cv2.imread(str(self.files[i]), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f"image {self.files[i]} cannot be read (corrupt or not an image)")
        if hasattr(self, "size") and (image.shape[1], image.shape[0]) != self.size:
            raise InputError(f"image {self.files[i]} is {image.shape[1]}x{image.shape[0]}, "
                             f"the folder's first image is {self.size[0]}x{self.size[1]}")
        return image

    def read(self) -> Frame | None:
        n = len(self.files)
        missed = self._pacer.frames_missed(self._next)
        self._next += missed
        self.dropped += missed
        if self._next >= n and not self.loop:
            return None
        image = self._load(self._next % n)
        t = self._pacer.deliver(self._next)
        self._next += 1
        return Frame(image, t, self._next - 1)

    def close(self) -> None:
        pass


def open_source(spec: str | int | os.PathLike, name: str | None = None, *,
                realtime: bool = True, loop: bool = False, fps: float | None = None,
                size: tuple[int, int] | None = None) -> FrameSource:
    """Open the source a SPEC names: a device index or path, a video file, or an image folder.

    Args:
        spec: ``0`` / ``"0"`` / ``"/dev/video0"`` (device), a video file, or a folder of images.
        name: camera name (default: derived from the spec).
        realtime, loop: for video files and image folders (see their classes).
        fps: requested (device), overriding (video file) or playback (image folder) frame rate.
        size: requested (width, height) of a device.

    Raises:
        InputError: nothing usable at ``spec``.
    """
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return DeviceSource(int(spec), name, fps, size)
    path = Path(spec)
    if str(path).startswith("/dev/"):
        return DeviceSource(str(path), name, fps, size)
    if path.is_dir():
        return ImageFolderSource(path, name, fps or 30.0, realtime, loop)
    if path.is_file():
        return VideoFileSource(path, name, realtime, loop, fps)
    raise InputError(f"camera source {spec} does not exist: give a device index (0), a device "
                     "path (/dev/video0), a video file or a folder of images")


def _list_devices() -> str:
    devs = sorted(str(p) for p in Path("/dev").glob("video*"))
    return ", ".join(devs)


def _natural_key(p: Path) -> list:
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", p.name)]
