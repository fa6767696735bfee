"""Post-hoc synchronisation of videos recorded without a common clock.

Two cues, each giving per-camera frame offsets with a confidence:

- **Keypoint motion** (:func:`sync_keypoints`): left/right-invariant 2D motion signals of each
  view (speeds in person-sizes per frame) rise and fall at the same instants in every view; the
  offsets maximise the summed lagged Pearson correlation over all camera pairs (one joint
  search). With a calibration, the summed median epipolar distance between the views'
  keypoints is minimised instead (views of a moving person are only geometrically consistent at
  the right offset). Each camera's score profile is refined to a fraction of a frame by a
  parabola through its optimum; the same search on the first and on the last 60 % of the frames
  gives the sub-frame spread, which with the peak's contrast makes the confidence.
- **Flash** (:mod:`mocaplab.capture.flash`): a brightness jump seen by every camera.

Offset convention (both cues): ``offsets[c]`` is the frame of the reference camera that shows
the same instant as frame 0 of camera ``c``; a camera that started recording 3 frames after
the reference has offset +3. :func:`mocaplab.capture.align.apply_offsets` trims a trial with
them. Offsets only shift frames: different frame rates are refused (resample first), and
different frame counts are reported, never silently trimmed.
"""

from __future__ import annotations

import dataclasses
import warnings as _warnings
from collections.abc import Sequence

import numpy as np

from mocaplab.camera import CameraSet
from mocaplab.errors import InputError
from mocaplab.keypoint_sets import MEDIAPIPE33
from mocaplab.pose_data import Keypoints2D

#: below this confidence an offset is reported as unreliable
LOW_CONFIDENCE = 0.3
#: without a calibration, a camera whose motion correlates with the others' at its chosen offset
#: by less than this (mean Pearson r over pairs and signals) has its confidence scaled down
#: linearly, to 0 at ``WEAK_CORRELATION - 0.3``: a weak peak moves with small changes of the data
#: (Pose2Sim demo, 1.5 s of slow balancing: r = 0.35-0.41, peak position unstable by a frame;
#: synthetic person moving irregularly: r = 0.64, exact)
WEAK_CORRELATION = 0.6


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
        subframe_spread: (C,) frames, or None: how far the sub-frame offsets found on the first
            and on the last 60 % of the frames lie from ``offsets_subframe`` (the larger of the
            two); 0 for the reference. A spread well below half a frame means the fractional
            offset is reproducible; the whole-frame ``offsets`` are its rounding.
    """

    cameras: tuple[str, ...]
    offsets: np.ndarray
    offsets_subframe: np.ndarray
    confidence: np.ndarray
    method: str
    details: dict = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    subframe_spread: np.ndarray | None = None

    def as_dict(self) -> dict:
        """JSON-able summary (for meta.json)."""
        return {"method": self.method, "reference": self.cameras[0],
                "offsets_frames": {c: int(o) for c, o in zip(self.cameras, self.offsets,
                                                             strict=True)},
                "offsets_subframe": {c: round(float(o), 3) for c, o in
                                     zip(self.cameras, self.offsets_subframe, strict=True)},
                "confidence": {c: round(float(k), 3) for c, k in
                               zip(self.cameras, self.confidence, strict=True)},
                "subframe_spread": None if self.subframe_spread is None else {
                    c: round(float(v), 3) for c, v in
                    zip(self.cameras, self.subframe_spread, strict=True)},
                "warnings": list(self.warnings), "details": self.details}

    def report(self) -> str:
        """Human-readable table."""
        lines = [f"sync by {self.method} (reference {self.cameras[0]}):"]
        spread = (self.subframe_spread if self.subframe_spread is not None
                  else [np.nan] * len(self.cameras))
        for c, o, s, k, d in zip(self.cameras, self.offsets, self.offsets_subframe,
                                 self.confidence, spread, strict=True):
            flag = "" if k >= LOW_CONFIDENCE else "  <- LOW CONFIDENCE"
            pm = f" +/- {d:.2f}" if np.isfinite(d) else ""
            lines.append(f"  {c:>12}: offset {int(o):+4d} frames ({s:+7.2f}{pm}), "
                         f"confidence {k:.2f}{flag}")
        lines += [f"  WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)


# --- keypoint motion --------------------------------------------------------------------------

def motion_features(points: np.ndarray, confidence: np.ndarray | None = None,
                    mirror: np.ndarray | None = None, min_confidence: float = 0.3,
                    smooth_frames: float = 2.0) -> np.ndarray:
    """Motion signals of one view that do not depend on left/right labelling.

    Detectors often exchange left and right (always in a view from behind, or flickering from
    frame to frame), so the signals are built from each left/right pair's *midpoint* and
    *separation*, which a swap leaves unchanged: per pair the midpoint's speed, its vertical
    velocity, and the rate of change of the separation; centre points (nose) count as their own
    midpoint. Positions are smoothed by a Gaussian of ``smooth_frames`` first and all values are
    divided by the person's size in the view (median bounding-box diagonal), so speeds are in
    person-sizes per frame.

    Args:
        points: (F, K, 2) pixels, NaN = not seen.
        confidence: (F, K) in [0, 1], or None (every seen point trusted).
        mirror: (K,) index of each point's left/right counterpart (itself for centre points);
            default: MediaPipe's when K = 33, else no pairs (per-point speed and vertical velocity).
        min_confidence: points below it are treated as not seen.

    Returns:
        (F - 1, M) signals between consecutive frames, NaN where a frame is missing.
    """
    from scipy.ndimage import gaussian_filter1d

    p = np.asarray(points, float).copy()
    F, K, _ = p.shape
    if confidence is not None:
        p[np.asarray(confidence) < min_confidence] = np.nan
    if mirror is None:
        mirror = MEDIAPIPE33.mirror if len(MEDIAPIPE33) == K else np.arange(K)
    mirror = np.asarray(mirror, int)
    pairs = [(i, int(m)) for i, m in enumerate(mirror) if m > i]
    centre = [i for i, m in enumerate(mirror) if m == i]
    mid = np.stack([(p[:, i] + p[:, j]) / 2 for i, j in pairs] + [p[:, i] for i in centre], 1)
    sep = (np.stack([np.linalg.norm(p[:, i] - p[:, j], axis=-1) for i, j in pairs], 1)
           if pairs else np.zeros((F, 0)))
    if smooth_frames > 0:
        mid, sep = _smooth_nan(mid, smooth_frames, gaussian_filter1d), \
            _smooth_nan(sep, smooth_frames, gaussian_filter1d)
    with np.errstate(all="ignore"), _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)
        span = np.nanmax(p, axis=1) - np.nanmin(p, axis=1)
    diag = np.hypot(span[:, 0], span[:, 1])
    diag = diag[np.isfinite(diag) & (np.isfinite(p).all(-1).sum(1) >= 3)]
    scale = float(np.median(diag)) if diag.size else 1.0
    vel = np.diff(mid, axis=0) / scale
    return np.concatenate([np.linalg.norm(vel, axis=-1), vel[..., 1],
                           np.diff(sep, axis=0) / scale], axis=1)


def _smooth_nan(x: np.ndarray, sigma: float, filt) -> np.ndarray:
    """Gaussian smoothing along axis 0 that ignores NaN (normalised convolution)."""
    ok = np.isfinite(x)
    num = filt(np.where(ok, x, 0.0), sigma, axis=0, mode="nearest")
    den = filt(ok.astype(float), sigma, axis=0, mode="nearest")
    with np.errstate(all="ignore"):
        out = num / den
    return np.where(ok, out, np.nan)


def _lagged_windows(a: np.ndarray, b: np.ndarray, lags: np.ndarray, min_overlap: int):
    """Yield (index of the lag, a[t + lag], b[t]) over the samples t where both exist, for
    every lag whose overlap has at least ``min_overlap`` samples."""
    for i, lag in enumerate(lags):
        lo, hi = max(0, -lag), min(len(b), len(a) - lag)
        if hi - lo >= min_overlap:
            yield i, a[lo + lag:hi + lag], b[lo:hi]


def _lagged_correlation(a: np.ndarray, b: np.ndarray, lags: np.ndarray,
                        min_overlap: int) -> np.ndarray:
    """Mean Pearson correlation over signals of a[t + lag] with b[t], for every lag.

    Args:
        a, b: (T_a, M) and (T_b, M) signals (NaN = missing).
        lags: (L,) int lags.
        min_overlap: fewest valid common samples for a signal to count.

    Returns:
        (L,) correlation, NaN where no signal had enough overlap.
    """
    scores = np.full(len(lags), np.nan)
    for i, x, y in _lagged_windows(a, b, lags, min_overlap):
        ok = np.isfinite(x) & np.isfinite(y)
        n = ok.sum(0)
        good = n >= min_overlap
        if not good.any():
            continue
        okg, ng = ok[:, good], n[good]
        x = np.where(okg, x[:, good], 0.0)
        y = np.where(okg, y[:, good], 0.0)
        dx = np.where(okg, x - x.sum(0) / ng, 0.0)
        dy = np.where(okg, y - y.sum(0) / ng, 0.0)
        den = np.sqrt((dx ** 2).sum(0) * (dy ** 2).sum(0))
        r = np.where(den > 0, (dx * dy).sum(0) / np.where(den > 0, den, 1.0), 0.0)
        scores[i] = float(np.average(r, weights=ng))
    return scores


def _epipolar_cost(cam_i, cam_j, ui: np.ndarray, uj: np.ndarray, pairs, centre,
                   lags: np.ndarray, min_overlap: int) -> np.ndarray:
    """Median symmetric epipolar distance (px) of views i and j for every lag.

    ``ui``/``uj`` are undistorted pixels (F, K, 2), NaN = not seen. Left/right pairs are
    matched whichever way gives the smaller distance, so label swaps do not count as errors.
    """
    Ri, Rj = cam_i.rotation, cam_j.rotation
    R = Rj @ Ri.T
    t = cam_j.tvec - R @ cam_i.tvec
    tx = np.array([[0, -t[2], t[1]], [t[2], 0, -t[0]], [-t[1], t[0], 0]])
    Fm = np.linalg.inv(cam_j.matrix).T @ tx @ R @ np.linalg.inv(cam_i.matrix)

    def dist(x, y):
        xh = np.concatenate([x, np.ones(x.shape[:-1] + (1,))], -1)
        yh = np.concatenate([y, np.ones(y.shape[:-1] + (1,))], -1)
        fx, fty = xh @ Fm.T, yh @ Fm
        num = np.abs(np.sum(yh * fx, -1))
        with np.errstate(all="ignore"):
            return 0.5 * (num / np.hypot(fx[..., 0], fx[..., 1])
                          + num / np.hypot(fty[..., 0], fty[..., 1]))

    costs = np.full(len(lags), np.nan)
    for n, x, y in _lagged_windows(ui, uj, lags, min_overlap):
        same = dist(x, y)  # (T, K): each keypoint with itself
        d = [same[:, centre].ravel()] if centre else []
        if pairs:
            a, b = np.array(pairs).T
            crossed = dist(x[:, np.r_[a, b]], y[:, np.r_[b, a]])  # left with right
            m = len(a)
            d.append((np.fmin(same[:, a] + same[:, b], crossed[:, :m] + crossed[:, m:])
                      / 2).ravel())
        d = np.concatenate(d) if d else np.array([])
        d = d[np.isfinite(d)]
        if d.size >= min_overlap:
            costs[n] = float(np.median(d))
    return costs


def _joint_search(C: int, curves: dict[tuple[int, int], np.ndarray], max_lag: int
                  ) -> np.ndarray:
    """Integer offsets (offset[0] = 0, |offset| <= max_lag) maximising the sum of pair scores.

    ``curves[i, j]`` holds the score of ``offset[j] - offset[i] = lag`` for lags
    ``-2 max_lag .. 2 max_lag`` (NaN = not scorable). Exhaustive for up to 4 cameras, coordinate
    ascent from the pairwise optimum with the reference otherwise.
    """
    M = max_lag
    filled = {k: np.nan_to_num(v, nan=-1e6) for k, v in curves.items()}
    if C <= 4:
        grids = np.meshgrid(*[np.arange(-M, M + 1)] * (C - 1), indexing="ij")
        offs = [np.zeros_like(grids[0])] + list(grids)
        total = np.zeros(grids[0].shape)
        for (i, j), s in filled.items():
            total += s[offs[j] - offs[i] + 2 * M]
        idx = np.unravel_index(int(np.argmax(total)), total.shape)
        return np.array([0] + [int(g[idx]) for g in grids])
    o = np.zeros(C, int)
    for c in range(1, C):
        o[c] = int(np.argmax(filled[0, c][M:3 * M + 1])) - M
    cand = np.arange(-M, M + 1)
    for _ in range(20):
        changed = False
        for c in range(1, C):
            tot = np.zeros(len(cand))
            for (i, j), s in filled.items():
                if i == c:
                    tot += s[o[j] - cand + 2 * M]
                elif j == c:
                    tot += s[cand - o[i] + 2 * M]
            best = int(cand[np.argmax(tot)])
            if best != o[c]:
                o[c], changed = best, True
        if not changed:
            break
    return o


def _camera_profiles(C: int, curves, offsets: np.ndarray, max_lag: int) -> list[np.ndarray]:
    """Mean pair score as a function of one camera's offset, the others fixed at ``offsets``."""
    cand = np.arange(-max_lag, max_lag + 1)
    out = [np.zeros(len(cand))]
    for c in range(1, C):
        parts = []
        for (i, j), s in curves.items():
            if i == c:
                parts.append(s[offsets[j] - cand + 2 * max_lag])
            elif j == c:
                parts.append(s[cand - offsets[i] + 2 * max_lag])
        out.append(np.nanmean(np.array(parts), axis=0))
    return out


def _subframe(profiles: list[np.ndarray], offsets: np.ndarray, max_lag: int) -> np.ndarray:
    """(C,) sub-frame offsets: each camera's profile refined around its integer offset."""
    sub = np.array([_refine(p, int(o), max_lag) for p, o in zip(profiles, offsets, strict=True)])
    sub[0] = 0.0
    return sub


def _refine(profile: np.ndarray, best: int, max_lag: int) -> float:
    """Sub-frame position of the maximum of a profile (parabola through the peak)."""
    i = best + max_lag
    if 0 < i < len(profile) - 1 and np.isfinite(profile[i - 1:i + 2]).all():
        den = profile[i - 1] - 2 * profile[i] + profile[i + 1]
        if den < 0:
            return best + float(np.clip(0.5 * (profile[i - 1] - profile[i + 1]) / den,
                                        -0.5, 0.5))
    return float(best)


def _contrast(profile: np.ndarray, best: int, max_lag: int, ceiling: float = 1.0) -> float:
    """How much the peak stands out from any other peak, in [0, 1].

    The main lobe is the run of values falling away from the peak on both sides; ``second`` is
    the highest value outside it. Returns ``(peak - second) / (ceiling - second)``: 0 when
    another peak is as high, 1 when the peak reaches ``ceiling`` (the best possible score).
    """
    i = best + max_lag
    v = np.where(np.isfinite(profile), profile, -np.inf)
    if not np.isfinite(v[i]):
        return 0.0
    lo = i
    while lo > 0 and v[lo - 1] <= v[lo]:
        lo -= 1
    hi = i
    while hi < len(v) - 1 and v[hi + 1] <= v[hi]:
        hi += 1
    outside = np.concatenate([v[:lo], v[hi + 1:]])
    outside = outside[np.isfinite(outside)]
    second = float(v[np.isfinite(v)].min()) if not outside.size else float(outside.max())
    conf = (v[i] - second) / max(ceiling - second, 1e-9)
    if i in (0, len(v) - 1):  # at the edge of the search: the true offset may be beyond
        conf *= 0.5
    return float(np.clip(conf, 0.0, 1.0))


def sync_keypoints(keypoints: Keypoints2D | np.ndarray, confidence: np.ndarray | None = None,
                   cameras: Sequence[str] | None = None, *, max_lag: int = 30,
                   calibration: CameraSet | None = None, mirror: np.ndarray | None = None,
                   min_confidence: float = 0.3, min_overlap: int = 20,
                   frame_counts: Sequence[int] | None = None) -> SyncResult:
    """Offsets between views from the motion of their 2D keypoints.

    Without calibration the offsets maximise the summed cross-correlation of the views'
    :func:`motion_features` over all camera pairs (a joint search, so that every pair's
    evidence counts and the offsets are consistent around every loop of cameras). With a
    ``calibration`` whose camera names match, they minimise the summed median epipolar distance
    of the keypoints instead (views are only consistent at the right offset); the correlation
    result is kept in ``details`` and a disagreement of more than one frame is warned about.

    Args:
        keypoints: a :class:`Keypoints2D`, or a (C, F, K, 2) pixel array (NaN = not seen;
            views may be padded with NaN to a common F).
        confidence: (C, F, K) for an array input (ignored for a Keypoints2D).
        cameras: names for an array input (default cam0, cam1, ...).
        max_lag: largest offset searched, frames, either direction.
        calibration: cameras (matched by name) for the epipolar criterion.
        mirror: (K,) left/right counterpart of each keypoint (default MediaPipe's for K = 33).
        min_overlap: fewest common valid frames for a lag to be scored.
        frame_counts: true frame count of each view, to report mismatches (default: frames up
            to the last one with keypoints).

    Returns:
        :class:`SyncResult`; ``details`` holds the method used, the correlation offsets and the
        per-camera peak scores.

    Raises:
        InputError: fewer than 2 views, a view with too few detections, or calibration
            cameras that do not match.
    """
    pts, conf, names = _views(keypoints, confidence, cameras)
    C = len(pts)
    if max_lag < 1:
        raise InputError(f"max_lag must be at least 1, got {max_lag}")
    feats, lengths = _view_features(pts, conf, names, mirror, min_confidence, min_overlap)
    warnings = []
    counts = list(frame_counts) if frame_counts is not None else lengths
    if len(set(counts)) > 1:
        warnings.append("frame counts differ between cameras: "
                        + ", ".join(f"{n}={k}" for n, k in zip(names, counts, strict=True))
                        + " (nothing was trimmed)")
    lags = np.arange(-2 * max_lag, 2 * max_lag + 1)
    pairs_ij = [(i, j) for i in range(C) for j in range(i + 1, C)]

    def solve_corr(window: slice):
        curves = {(i, j): _lagged_correlation(feats[i][window], feats[j][window], lags,
                                              min_overlap) for i, j in pairs_ij}
        return _joint_search(C, curves, max_lag), curves

    corr_off, corr = solve_corr(slice(None))
    corr_prof = _camera_profiles(C, corr, corr_off, max_lag)
    details: dict = {"signal": "left/right-invariant keypoint motion, Pearson over signals",
                     "max_lag": max_lag,
                     "correlation_offsets": {n: int(o) for n, o in
                                             zip(names, corr_off, strict=True)},
                     "peak_correlation": {n: round(float(p[o + max_lag]), 4) for n, p, o in
                                          zip(names[1:], corr_prof[1:], corr_off[1:],
                                              strict=True)}}
    if calibration is None:
        offsets, profiles, ceiling, method = corr_off, corr_prof, 1.0, "keypoints"
        solve = solve_corr
        details["note"] = ("no calibration: offsets from 2D motion correlation only; check the "
                           "confidence (a calibration enables the sharper epipolar criterion)")
    else:
        cams, by_order = _match_calibration(calibration, names)
        if by_order:
            warnings.append(f"calibration cameras {list(calibration.names)} matched to "
                            f"{list(names)} by order (names differ)")
        solve = _epipolar_solver(cams, pts, conf, mirror, min_confidence, lags, min_overlap,
                                 max_lag)
        offsets, score, cost = solve(slice(None))
        profiles = _camera_profiles(C, score, offsets, max_lag)
        ceiling, method = 0.0, "keypoints+epipolar"
        details["epipolar_median_px"] = {
            f"{names[i]}-{names[j]}": round(float(v[offsets[j] - offsets[i] + 2 * max_lag]), 2)
            for (i, j), v in cost.items()}
        diff = np.abs(offsets - corr_off)
        if diff.max() > 1:
            warnings.append("motion correlation and epipolar geometry disagree ("
                            + ", ".join(f"{n}: {a:+d} vs {b:+d}" for n, a, b, d in
                                        zip(names, corr_off, offsets, diff, strict=True) if d > 1)
                            + "); the epipolar offsets are used")
    sub = _subframe(profiles, offsets, max_lag)
    contrast = np.array([1.0] + [_contrast(p, int(o), max_lag, ceiling=ceiling)
                                 for p, o in zip(profiles[1:], offsets[1:], strict=True)])
    # stability: the same search, with sub-frame refinement, on the first and the last 60 % of
    # the frames; their largest distance from the full result is the sub-frame spread
    T = min(len(f) for f in feats)
    halves = []
    for window in (slice(0, int(0.6 * T)), slice(int(0.4 * T), None)):
        h_off, h_curves = solve(window)[:2]
        halves.append(_subframe(_camera_profiles(C, h_curves, h_off, max_lag), h_off, max_lag))
    spread = np.max([np.abs(h - sub) for h in halves], axis=0)
    spread[0] = 0.0
    stability = np.clip(1.0 - spread / 2.0, 0.0, 1.0)  # 0.5 when the halves are a frame apart
    confid = contrast * stability
    if calibration is None:
        peak = np.array([1.0] + [p[o + max_lag] for p, o in
                                 zip(corr_prof[1:], corr_off[1:], strict=True)])
        strength = np.clip(1.0 - (WEAK_CORRELATION - np.nan_to_num(peak)) / 0.3, 0.0, 1.0)
        confid = confid * strength
        details["correlation_strength"] = {n: round(float(k), 3) for n, k in
                                           zip(names, strength, strict=True)}
        weak = [n for n, r in zip(names[1:], peak[1:], strict=True) if r < WEAK_CORRELATION]
        if weak:
            warnings.append(f"weak motion correlation (r < {WEAK_CORRELATION}) for {weak}: "
                            "without a calibration these offsets may be a frame or more off; "
                            "give the calibration (epipolar criterion), use a flash, or record "
                            "a longer trial with sharp movements")
    confid[0] = 1.0
    details["contrast"] = {n: round(float(k), 3) for n, k in zip(names, contrast, strict=True)}
    details["halves_offsets_subframe"] = [np.round(h, 2).tolist() for h in halves]
    warnings += _offset_warnings(names, offsets, sub, spread, confid, max_lag)
    return SyncResult(tuple(names), offsets.astype(int), sub, confid, method, details,
                      tuple(warnings), spread)


def _views(keypoints: Keypoints2D | np.ndarray, confidence: np.ndarray | None,
           cameras: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray | None, tuple]:
    """(points (C, F, K, 2), confidence (C, F, K) or None, camera names) of the input."""
    if isinstance(keypoints, Keypoints2D):
        pts, conf, names = keypoints.points, keypoints.confidence, keypoints.cameras
    else:
        pts = np.asarray(keypoints, float)
        if pts.ndim != 4 or pts.shape[-1] != 2:
            raise InputError(f"2D keypoints must be (C, F, K, 2), got {pts.shape}")
        conf = None if confidence is None else np.asarray(confidence, float)
        names = tuple(cameras) if cameras is not None else tuple(f"cam{i}"
                                                                 for i in range(len(pts)))
    if len(pts) < 2:
        raise InputError("synchronisation needs at least 2 cameras")
    if len(names) != len(pts):
        raise InputError(f"{len(names)} camera names for {len(pts)} views")
    return pts, conf, names


def _view_features(pts: np.ndarray, conf: np.ndarray | None, names: Sequence[str],
                   mirror: np.ndarray | None, min_confidence: float, min_overlap: int
                   ) -> tuple[list[np.ndarray], list[int]]:
    """Each view's :func:`motion_features` up to its last frame with keypoints, and the view's
    length (frames up to that one, plus one)."""
    feats, lengths = [], []
    for c in range(len(pts)):
        f = motion_features(pts[c], None if conf is None else conf[c], mirror, min_confidence)
        valid = np.isfinite(f).any(1)
        if valid.sum() < min_overlap:
            raise InputError(f"camera {names[c]}: keypoints in only {int(valid.sum())} frames; "
                             f"at least {min_overlap} are needed to synchronise by motion")
        last = int(np.nonzero(valid)[0][-1])
        feats.append(f[:last + 1])
        lengths.append(last + 2)
    return feats, lengths


def _epipolar_solver(cams: list, pts: np.ndarray, conf: np.ndarray | None,
                     mirror: np.ndarray | None, min_confidence: float, lags: np.ndarray,
                     min_overlap: int, max_lag: int):
    """``solve(window) -> (offsets, score, cost)``: the joint search on the views' median
    epipolar distances (``cost`` per camera pair and lag, px; ``score`` = -cost relative to
    the pair's worst lag, so that pairs weigh alike)."""
    C = len(pts)
    und = []
    for c in range(C):
        u = cams[c].undistort_pixels(pts[c])
        if conf is not None:
            u[conf[c] < min_confidence] = np.nan
        und.append(u)
    mir = np.asarray(mirror if mirror is not None else (
        MEDIAPIPE33.mirror if pts.shape[2] == len(MEDIAPIPE33) else np.arange(pts.shape[2])),
        int)
    pairs = [(i, int(m)) for i, m in enumerate(mir) if m > i]
    centre = [i for i, m in enumerate(mir) if m == i]
    pairs_ij = [(i, j) for i in range(C) for j in range(i + 1, C)]

    def solve(window: slice):
        cost = {(i, j): _epipolar_cost(cams[i], cams[j], und[i][window], und[j][window],
                                       pairs, centre, lags, min_overlap)
                for i, j in pairs_ij}
        score = {k: -(v / np.nanmax(v)) if np.isfinite(v).any() else v
                 for k, v in cost.items()}
        return _joint_search(C, score, max_lag), score, cost

    return solve


def _offset_warnings(names: Sequence[str], offsets: np.ndarray, sub: np.ndarray,
                     spread: np.ndarray, confid: np.ndarray, max_lag: int) -> list[str]:
    """What the user should check about each camera's offset (the first camera is the
    reference)."""
    out = []
    for c in range(1, len(names)):
        if confid[c] < LOW_CONFIDENCE:
            out.append(f"camera {names[c]}: offset {offsets[c]:+d} ({sub[c]:+.2f} "
                       f"+/- {spread[c]:.2f}) has low confidence {confid[c]:.2f}; check it "
                       "(too little motion, or another person?)")
        frac = abs(sub[c] - np.floor(sub[c]) - 0.5)
        if frac < 0.15 and spread[c] < 0.5 and confid[c] >= LOW_CONFIDENCE:
            out.append(f"camera {names[c]}: lies between two frames ({sub[c]:+.2f}); "
                       f"whole-frame alignment ({offsets[c]:+d}) leaves about half a frame "
                       "either way")
        if abs(offsets[c]) >= max_lag:
            out.append(f"camera {names[c]}: offset at the search limit {max_lag}; "
                       "raise max_lag")
    return out


def _match_calibration(calibration: CameraSet, names: Sequence[str]) -> tuple[list, bool]:
    """(calibration cameras in the order of ``names``, matched by order instead of by name)."""
    cal_names = list(calibration.names)
    if all(n in cal_names for n in names):
        return [calibration[n] for n in names], False
    if len(cal_names) == len(names):
        return list(calibration), True
    raise InputError(f"calibration cameras {cal_names} do not match the videos {list(names)}")
