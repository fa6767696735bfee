"""Synthetic videos for tests, benchmarks and demos of capture without a camera.

Each frame shows a moving pattern and its own frame number as a row of black/white blocks
(robust to MJPG/MPEG-4 compression), so that a test can read back which original frame ended up
where after recording, trimming or alignment (:func:`read_frame_number`). An optional flash
(the whole image brighter for some frames) tests flash synchronisation.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from mocaplab.capture.video_io import DEFAULT_CODEC, SafeVideoWriter

#: bits of the frame-number barcode (frames up to 2**BITS - 1)
BITS = 12


def make_frame(index: int, size: tuple[int, int] = (320, 240), flash: bool = False,
               seed: int = 0) -> np.ndarray:
    """One (H, W, 3) uint8 BGR frame showing ``index`` as a barcode and a moving disc."""
    w, h = size
    rng = np.random.default_rng(seed)
    base = int(rng.integers(40, 90))
    img = np.full((h, w, 3), base + (120 if flash else 0), np.uint8)
    cx = int(w / 2 + 0.35 * w * np.sin(2 * np.pi * index / 47.0 + seed))
    cy = int(h / 2 + 0.25 * h * np.cos(2 * np.pi * index / 31.0 + seed))
    cv2.circle(img, (cx, cy), max(4, h // 10), (40, 200, 230), -1)
    bw = w // BITS
    for b in range(BITS):
        on = (index >> b) & 1
        img[: h // 6, b * bw:(b + 1) * bw] = 255 if on else 0
    return img


def read_frame_number(image: np.ndarray) -> int:
    """The frame number written by :func:`make_frame` (read from the barcode)."""
    h, w = image.shape[:2]
    bw = w // BITS
    grey = image[: h // 6].mean(axis=(0, 2)) if image.ndim == 3 else image[: h // 6].mean(0)
    value = 0
    for b in range(BITS):
        if grey[b * bw + bw // 4:(b + 1) * bw - bw // 4].mean() > 127:
            value |= 1 << b
    return value


def write_test_video(path: str | os.PathLike, n_frames: int, fps: float = 30.0,
                     size: tuple[int, int] = (320, 240), *, first_index: int = 0,
                     flash: tuple[int, int] | None = None, codec: str = DEFAULT_CODEC,
                     seed: int = 0, overwrite: bool = True) -> Path:
    """Write a test video whose frame i shows number ``first_index + i``.

    Args:
        flash: (first, last) frame numbers (in the shown numbering, inclusive) that are bright.
    """
    with SafeVideoWriter(path, fps, size, codec, overwrite=overwrite) as w:
        for i in range(n_frames):
            k = first_index + i
            lit = flash is not None and flash[0] <= k <= flash[1]
            w.write(make_frame(k, size, lit, seed))
    return Path(path)


def random_person_motion(n_frames: int = 200, fps: float = 60.0, seed: int = 0) -> np.ndarray:
    """(F, 33, 3) metres: 33 points around a standing person moving smoothly but irregularly.

    Each point is a fixed offset plus a sum of three sinusoids (0.3-2 Hz, random phases and
    amplitudes of 3-15 cm), and the whole body sways along X: enough non-periodic motion for
    synchronisation by keypoint motion, with a known truth.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n_frames) / fps
    base = rng.normal(0.0, 0.25, (33, 3)) + np.array([0.0, 0.0, 1.0])
    p = np.repeat(base[None], n_frames, 0)
    for k in range(33):
        for _ in range(3):
            f, ph = rng.uniform(0.3, 2.0), rng.uniform(0, 2 * np.pi)
            p[:, k] += rng.uniform(0.03, 0.15, 3) * np.sin(2 * np.pi * f * t[:, None] + ph)
    p[:, :, 0] += 0.4 * np.sin(2 * np.pi * 0.25 * t)[:, None]
    return p
