"""Post-hoc synchronisation by a flash: a light switched on in view of every camera.

The mean image brightness of every frame (:func:`brightness_signal`) jumps at the same instant
in every view; the frame of the jump, with a fraction of a frame from where the brightness
crosses half-way (:func:`flash_onset`), gives each camera's offset (:func:`sync_flash`, same
convention and :class:`~mocaplab.capture.posthoc.SyncResult` as keypoint sync).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mocaplab.capture.posthoc import LOW_CONFIDENCE, SyncResult
from mocaplab.errors import InputError


def brightness_signal(video, step: int = 8) -> np.ndarray:
    """(F,) mean grey level of every frame of a video (every ``step``-th pixel, for speed)."""
    import cv2

    from mocaplab.capture.video_io import read_frames

    values = []
    for _, frame in read_frames(video):
        grey = cv2.cvtColor(frame[::step, ::step], cv2.COLOR_BGR2GRAY)
        values.append(float(grey.mean()))
    if not values:
        raise InputError(f"video {video} has no decodable frames")
    return np.array(values)


def flash_onset(signal: np.ndarray, min_jump_sigma: float = 8.0) -> tuple[float, float]:
    """(onset frame with a fraction, confidence) of the largest brightness jump in ``signal``.

    The onset is where the brightness crosses half-way between the level before the jump and
    the peak just after it, counted so that a jump completed within one frame gives the integer
    index of the first bright frame.

    Raises:
        InputError: no jump stands out from the frame-to-frame noise.
    """
    s = np.asarray(signal, float)
    if len(s) < 3:
        raise InputError("a flash needs a video of at least 3 frames")
    d = np.diff(s)
    k = int(np.argmax(d))  # the jump is between frames k and k + 1
    noise = 1.4826 * float(np.median(np.abs(d - np.median(d)))) + 1e-6
    strength = d[k] / noise
    if strength < min_jump_sigma or d[k] <= 0:
        raise InputError(f"no flash found: the largest brightness jump is {strength:.1f} x the "
                         f"frame-to-frame noise (need {min_jump_sigma})")
    base = float(np.median(s[max(0, k - 5):k + 1]))
    peak = float(np.max(s[k + 1:k + 4]))
    mid = 0.5 * (base + peak)
    # first frame at or above mid, linear crossing between it and the frame before
    idx = k + 1 + int(np.argmax(s[k + 1:k + 4] >= mid))
    lo, hi = s[idx - 1], s[idx]
    frac = (mid - lo) / (hi - lo) if hi > lo else 1.0
    onset = idx - 1 + frac + 0.5
    others = np.delete(d, [i for i in range(k - 2, k + 3) if 0 <= i < len(d)])
    second = float(np.max(others)) if others.size else 0.0
    conf = float(np.clip(1.0 - max(second, 0.0) / d[k], 0.0, 1.0))
    return onset, conf


def sync_flash(signals: Sequence[np.ndarray], cameras: Sequence[str],
               frame_counts: Sequence[int] | None = None) -> SyncResult:
    """Offsets from a flash seen by every camera.

    Args:
        signals: per camera, (F_c,) mean brightness per frame (:func:`brightness_signal`).
        cameras: camera names, reference first.

    Raises:
        InputError: a camera in which no flash stands out.
    """
    if len(signals) < 2:
        raise InputError("synchronisation needs at least 2 cameras")
    onsets, confs = [], []
    for name, s in zip(cameras, signals, strict=True):
        try:
            o, k = flash_onset(s)
        except InputError as exc:
            raise InputError(f"camera {name}: {exc}; use --sync keypoints instead") from None
        onsets.append(o)
        confs.append(k)
    onsets = np.array(onsets)
    sub = onsets[0] - onsets  # camera c's frame 0 = reference frame onset_ref - onset_c
    warnings = []
    counts = list(frame_counts) if frame_counts is not None else [len(s) for s in signals]
    if len(set(counts)) > 1:
        warnings.append("frame counts differ between cameras: "
                        + ", ".join(f"{n}={k}" for n, k in zip(cameras, counts, strict=True))
                        + " (nothing was trimmed)")
    conf = np.array(confs)
    conf = np.minimum(conf, conf[0])
    conf[0] = 1.0
    for c in range(1, len(cameras)):
        if conf[c] < LOW_CONFIDENCE:
            warnings.append(f"camera {cameras[c]}: flash is ambiguous (confidence "
                            f"{conf[c]:.2f}): another brightness jump is almost as large")
    details = {"flash_onset_frames": {n: round(float(o), 3) for n, o in
                                      zip(cameras, onsets, strict=True)}}
    return SyncResult(tuple(cameras), np.round(sub).astype(int), sub, conf, "flash", details,
                      tuple(warnings))
