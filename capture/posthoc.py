"""Post-hoc synchronisation of videos recorded without a common clock.

Two cues, each giving per-camera frame offsets with a confidence:

- **Keypoint motion** (:func:`sync_keypoints`): the speed of each 2D keypoint, divided by the
  size of the person in that view, rises and falls at the same instants in every view (speed
  magnitude does not depend much on the viewing direction, unlike a single coordinate). For
  every pair of cameras the per-keypoint speed series are cross-correlated (Pearson correlation
  over the overlapping frames, averaged over keypoints, for every lag up to ``max_lag``); the
  peak gives the pair's lag, refined to a fraction of a frame by a parabola through the peak.
  The pairwise lags are combined by weighted least squares into one offset per camera
  (reference = first camera), and the residual of that fit tells whether the pairs agree.
- **Flash** (:func:`sync_flash`): a light switched on in view of every camera makes the mean
  image brightness jump at the same instant; the frame of the jump, with a fraction of a frame
  from where the brightness crosses half-way, gives the offset.

Offset convention (both cues): ``offsets[c]`` is the frame of the reference camera that shows
the same instant as frame 0 of camera ``c``; a camera that started recording 3 frames after
the reference has offset +3. :func:`mocaplab.capture.align.apply_offsets` trims a trial with
them. Offsets only shift frames: different frame rates are refused (resample first), and
different frame counts are reported, never silently trimmed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from mocaplab.errors import InputError
from mocaplab.pose_data import Keypoints2D

#: below this confidence an offset is reported as unreliable
LOW_CONFIDENCE = 0.3


@dataclasses.dataclass(frozen=True, eq=False)
class SyncResult:
    """Offsets of every camera relative to the reference (the first camera).

    Attributes:
        cameras: (C,) camera names.
        offsets: (C,) int, frames; ``offsets[c]`` = reference frame shown at camera c's frame 0.
        offsets_subframe: (C,) float, the same with a fraction of a frame.
        confidence: (C,) in [0, 1]; 1 for the reference.
        method: ``"keypoints"`` or ``"flash"``.
        details: method-specific figures (pairwise lags and correlations, fit residual...).
        warnings: problems found (frame-count mismatch, low confidence, ...), for the user.
    """

    cameras: tuple[str, ...]
    offsets: np.ndarray
    offsets_subframe: np.ndarray
    confidence: np.ndarray
    method: str
    details: dict = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """JSON-able summary (for meta.json)."""
        return {"method": self.method, "reference": self.cameras[0],
                "offsets_frames": {c: int(o) for c, o in zip(self.cameras, self.offsets,
                                                             strict=True)},
                "offsets_subframe": {c: round(float(o), 3) for c, o in
                                     zip(self.cameras, self.offsets_subframe, strict=True)},
                "confidence": {c: round(float(k), 3) for c, k in
                               zip(self.cameras, self.confidence, strict=True)},
                "warnings": list(self.warnings), "details": self.details}

    def report(self) -> str:
        """Human-readable table."""
        lines = [f"sync by {self.method} (reference {self.cameras[0]}):"]
        for c, o, s, k in zip(self.cameras, self.offsets, self.offsets_subframe,
                              self.confidence, strict=True):
            flag = "" if k >= LOW_CONFIDENCE else "  <- LOW CONFIDENCE"
            lines.append(f"  {c:>12}: offset {int(o):+4d} frames ({s:+7.2f}), "
                         f"confidence {k:.2f}{flag}")
        lines += [f"  WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)


# --- keypoint motion --------------------------------------------------------------------------

def speed_features(points: np.ndarray, confidence: np.ndarray | None = None,
                   min_confidence: float = 0.3) -> np.ndarray:
    """Per-keypoint speed of one view, in person-heights per frame.

    Args:
        points: (F, K, 2) pixels, NaN = not seen.
        confidence: (F, K) in [0, 1], or None (all seen points trusted).
        min_confidence: points below it are treated as not seen.

    Returns:
        (F - 1, K) speeds between consecutive frames; NaN where either frame is missing.
    """
    p = np.asarray(points, float).copy()
    if confidence is not None:
        p[np.asarray(confidence) < min_confidence] = np.nan
    seen = np.isfinite(p).all(-1)
    with np.errstate(all="ignore"):
        span = np.nanmax(p, axis=1) - np.nanmin(p, axis=1)  # (F, 2) bounding box
    size = np.hypot(span[:, 0], span[:, 1])
    size = size[np.isfinite(size) & (seen.sum(1) >= 3)]
    scale = float(np.median(size)) if size.size else 1.0
    v = np.linalg.norm(np.diff(p, axis=0), axis=-1) / max(scale, 1e-9)
    return v


def _lagged_correlation(a: np.ndarray, b: np.ndarray, lags: np.ndarray,
                        min_overlap: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean Pearson correlation over keypoints of a[t + lag] with b[t], for every lag.

    Args:
        a, b: (T_a, K) and (T_b, K) feature series (NaN = missing).
        lags: (L,) int lags.
        min_overlap: fewest valid common samples for a keypoint to count.

    Returns:
        (L,) correlation (NaN where no keypoint had enough overlap) and (L,) samples used.
    """
    scores = np.full(len(lags), np.nan)
    used = np.zeros(len(lags), int)
    for i, lag in enumerate(lags):
        lo, hi = max(0, -lag), min(len(b), len(a) - lag)
        if hi - lo < min_overlap:
            continue
        x, y = a[lo + lag:hi + lag], b[lo:hi]
        ok = np.isfinite(x) & np.isfinite(y)
        n = ok.sum(0)
        good = n >= min_overlap
        if not good.any():
            continue
        x = np.where(ok, x, 0.0)[:, good]
        y = np.where(ok, y, 0.0)[:, good]
        okg, ng = ok[:, good], n[good]
        mx, my = x.sum(0) / ng, y.sum(0) / ng
        dx, dy = np.where(okg, x - mx, 0), np.where(okg, y - my, 0)
        den = np.sqrt((dx ** 2).sum(0) * (dy ** 2).sum(0))
        r = np.where(den > 0, (dx * dy).sum(0) / np.where(den > 0, den, 1), 0.0)
        scores[i] = float(np.average(r, weights=ng))
        used[i] = int(ng.sum())
    return scores, used


def _peak(lags: np.ndarray, scores: np.ndarray, exclusion: int = 2
          ) -> tuple[float, int, float, float]:
    """(sub-sample lag, integer lag, peak score, confidence) of a correlation curve.

    Confidence compares the peak with the best score at least ``exclusion + 1`` lags away:
    ``(peak - second) / (1 - second)``, clipped to [0, 1]; 0 when the curve has no peak.
    """
    if not np.isfinite(scores).any():
        return 0.0, 0, float("nan"), 0.0
    s = np.where(np.isfinite(scores), scores, -np.inf)
    i = int(np.argmax(s))
    best = s[i]
    sub = float(lags[i])
    if 0 < i < len(s) - 1 and np.isfinite(s[i - 1]) and np.isfinite(s[i + 1]):
        den = s[i - 1] - 2 * best + s[i + 1]
        if den < 0:
            sub += float(np.clip(0.5 * (s[i - 1] - s[i + 1]) / den, -0.5, 0.5))
    far = np.abs(lags - lags[i]) > exclusion
    second = float(np.max(s[far])) if far.any() and np.isfinite(s[far]).any() else -1.0
    second = max(second, -1.0)
    conf = float(np.clip((best - second) / max(1.0 - second, 1e-9), 0.0, 1.0))
    if i in (0, len(s) - 1):  # peak at the edge of the search: the true lag may be further
        conf *= 0.5
    return sub, int(lags[i]), float(best), conf


def sync_keypoints(keypoints: Keypoints2D | np.ndarray, confidence: np.ndarray | None = None,
                   cameras: Sequence[str] | None = None, max_lag: int = 30,
                   min_confidence: float = 0.3, min_overlap: int = 20,
                   frame_counts: Sequence[int] | None = None) -> SyncResult:
    """Offsets between views from the motion of their 2D keypoints.

    Args:
        keypoints: a :class:`Keypoints2D`, or (C, F, K, 2) pixel array (NaN = not seen; views
            may be padded with NaN to a common F).
        confidence: (C, F, K) for an array input (ignored for Keypoints2D).
        cameras: names for an array input (default cam0..).
        max_lag: largest offset searched, frames (either direction).
        min_overlap: fewest common valid frames per keypoint for a lag to be scored.
        frame_counts: true frame count of each view, to report mismatches (default: the
            frames that have any keypoint, counted up to the last one).

    Returns:
        :class:`SyncResult` with ``details`` holding the pairwise lags, peak correlations and
        confidences, and the least-squares residual (frames).

    Raises:
        InputError: fewer than 2 views, or a view with too few detections to correlate.
    """
    if isinstance(keypoints, Keypoints2D):
        pts, conf, names = keypoints.points, keypoints.confidence, keypoints.cameras
    else:
        pts = np.asarray(keypoints, float)
        if pts.ndim != 4 or pts.shape[-1] != 2:
            raise InputError(f"2D keypoints must be (C, F, K, 2), got {pts.shape}")
        conf = confidence
        names = tuple(cameras) if cameras is not None else tuple(f"cam{i}"
                                                                 for i in range(len(pts)))
    C = len(pts)
    if C < 2:
        raise InputError("synchronisation needs at least 2 cameras")
    if len(names) != C:
        raise InputError(f"{len(names)} camera names for {C} views")
    feats = []
    for c in range(C):
        f = speed_features(pts[c], None if conf is None else conf[c], min_confidence)
        valid = np.isfinite(f).any(1)
        if valid.sum() < min_overlap:
            raise InputError(f"camera {names[c]}: keypoints in only {int(valid.sum())} frame "
                             f"pairs; at least {min_overlap} are needed to synchronise by motion")
        last = np.nonzero(valid)[0][-1]
        feats.append(f[:last + 1])
    warnings = []
    counts = list(frame_counts) if frame_counts is not None else [len(f) + 1 for f in feats]
    if len(set(counts)) > 1:
        warnings.append("frame counts differ between cameras: "
                        + ", ".join(f"{n}={k}" for n, k in zip(names, counts, strict=True))
                        + " (nothing was trimmed)")
    lags = np.arange(-max_lag, max_lag + 1)
    pairs = []
    for i in range(C):
        for j in range(i + 1, C):
            scores, _ = _lagged_correlation(feats[i], feats[j], lags, min_overlap)
            sub, lag, peak, pconf = _peak(lags, scores)
            # a[t + lag] ~ b[t]: camera j's frame t shows camera i's frame t + lag
            pairs.append((i, j, sub, lag, peak, pconf))
    offsets_sub, residual, per_cam_resid = _solve_offsets(C, pairs)
    offsets = np.round(offsets_sub).astype(int)
    # confidence of each camera: best-supported direct evidence, lowered if the fit disagrees
    cam_conf = np.ones(C)
    for c in range(1, C):
        direct = [p[5] for p in pairs if c in (p[0], p[1])]
        agree = np.exp(-(per_cam_resid[c] / 0.5) ** 2)
        cam_conf[c] = float(np.clip(np.median(direct) * agree, 0, 1)) if direct else 0.0
    for c in range(1, C):
        if cam_conf[c] < LOW_CONFIDENCE:
            warnings.append(f"camera {names[c]}: offset {offsets[c]:+d} has low confidence "
                            f"{cam_conf[c]:.2f}; check it (too little motion, or wrong person?)")
        if abs(offsets[c]) >= max_lag:
            warnings.append(f"camera {names[c]}: offset at the search limit {max_lag}; "
                            "raise max_lag")
    details = {"pairs": [{"cameras": [names[i], names[j]], "lag_frames": round(sub, 3),
                          "peak_correlation": round(peak, 4), "confidence": round(pc, 3)}
                         for i, j, sub, _, peak, pc in pairs],
               "fit_residual_frames": round(residual, 3), "max_lag": max_lag,
               "signal": "per-keypoint speed / person size, Pearson over keypoints"}
    return SyncResult(tuple(names), offsets, offsets_sub, cam_conf, "keypoints", details,
                      tuple(warnings))


def _solve_offsets(C: int, pairs: list) -> tuple[np.ndarray, float, np.ndarray]:
    """Weighted least squares: offset_j - offset_i = lag_ij, offset_0 = 0.

    Returns (C,) offsets, the weighted RMS residual, and (C,) RMS residual of each camera's
    pairs (frames).
    """
    rows, rhs, w = [], [], []
    for i, j, sub, _, _, pconf in pairs:
        row = np.zeros(C)
        row[j], row[i] = 1.0, -1.0
        rows.append(row)
        rhs.append(sub)
        w.append(max(pconf, 1e-3))
    A, y, W = np.array(rows), np.array(rhs), np.sqrt(np.array(w))
    x, *_ = np.linalg.lstsq(A[:, 1:] * W[:, None], y * W, rcond=None)
    offsets = np.concatenate([[0.0], x])
    res = A @ offsets - y
    per_cam = np.zeros(C)
    for c in range(C):
        m = (A[:, c] != 0)
        per_cam[c] = float(np.sqrt(np.mean(res[m] ** 2))) if m.any() else 0.0
    rms = float(np.sqrt(np.average(res ** 2, weights=W ** 2))) if len(res) else 0.0
    return offsets, rms, per_cam


# --- flash ------------------------------------------------------------------------------------

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
