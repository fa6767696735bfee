"""Frame sources for calibration: a video file or a folder of images, read with frame sampling.

Frame ``i`` of every camera is the same instant (synchronised recordings). Images in a folder
are ordered by natural sort of their names (``img-9.jpg`` before ``img-10.jpg``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from mocaplab.errors import InputError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


@dataclasses.dataclass(frozen=True)
class FrameSource:
    """One camera's recording.

    Attributes:
        name: camera name.
        path: video file or image folder.
        n_frames: number of frames (images).
        size: image (width, height) in pixels.
        images: the image files in order (image folders only).
    """

    name: str
    path: Path
    n_frames: int
    size: tuple[int, int]
    images: tuple[Path, ...] = ()

    @classmethod
    def open(cls, name: str, path: str | os.PathLike) -> FrameSource:
        """Probe a video or image folder; :class:`InputError` if it cannot be read."""
        path = Path(path)
        if not path.exists():
            raise InputError(f"camera {name}: {path} does not exist")
        if path.is_dir():
            images = tuple(sorted((p for p in path.iterdir()
                                   if p.suffix.lower() in IMAGE_EXTENSIONS),
                                  key=lambda p: natural_key(p.name)))
            if not images:
                raise InputError(f"camera {name}: folder {path} holds no images "
                                 f"({', '.join(IMAGE_EXTENSIONS)})")
            first = cv2.imread(str(images[0]), cv2.IMREAD_GRAYSCALE)
            if first is None:
                raise InputError(f"camera {name}: cannot read image {images[0]}")
            return cls(name, path, len(images), (first.shape[1], first.shape[0]), images)
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            raise InputError(f"camera {name}: {path} is a single image; give a video or a "
                             "folder of images")
        cap = cv2.VideoCapture(str(path))
        try:
            ok, frame = cap.read() if cap.isOpened() else (False, None)
            if not ok or frame is None:
                raise InputError(f"camera {name}: {path} is not a readable video (OpenCV cannot "
                                 "decode it); give a video file (.mp4, .avi, ...) or a folder "
                                 "of images")
            n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            size = (frame.shape[1], frame.shape[0])
        finally:
            cap.release()
        if n <= 0:
            n = _count_frames(path)
        return cls(name, path, n, size)

    def frames(self, indices: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (frame index, greyscale uint8 image) for the requested frame indices (sorted).

        Videos are decoded sequentially (grab every frame, decode only the requested ones),
        which is faster and more reliable than seeking in compressed video.
        """
        wanted = set(int(i) for i in indices)
        if self.images:
            for i in sorted(wanted):
                img = cv2.imread(str(self.images[i]), cv2.IMREAD_GRAYSCALE)
                if img is None:
                    raise InputError(f"camera {self.name}: cannot read image {self.images[i]}")
                yield i, img
            return
        cap = cv2.VideoCapture(str(self.path))
        try:
            last = max(wanted) if wanted else -1
            i = 0
            while i <= last and cap.grab():
                if i in wanted:
                    ok, frame = cap.retrieve()
                    if ok:
                        yield i, cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 \
                            else frame
                i += 1
        finally:
            cap.release()


def _count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def sample_indices(n_frames: int, max_frames: int | None) -> np.ndarray:
    """Evenly spaced frame indices, at most ``max_frames`` of them (all if None)."""
    if max_frames is None or n_frames <= max_frames:
        return np.arange(n_frames)
    step = n_frames / max_frames
    return np.unique(np.floor(np.arange(max_frames) * step).astype(int))


def check_same_length(sources: list[FrameSource], tolerance: int = 0) -> int:
    """The common number of frames; :class:`InputError` if the cameras differ."""
    counts = {s.name: s.n_frames for s in sources}
    if max(counts.values()) - min(counts.values()) > tolerance:
        detail = ", ".join(f"{k}: {v}" for k, v in counts.items())
        raise InputError(f"the cameras have different numbers of frames ({detail}). Calibration "
                         "needs synchronised recordings where frame i of every camera is the "
                         "same instant: trim or re-export the videos so that they match")
    return min(counts.values())
