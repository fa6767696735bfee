"""Trajectories smoothed with each point's own geometry: the views' rays and a motion prior.

The low-pass of :mod:`mocaplab.signal` treats every frame alike. A triangulated point is not
alike from frame to frame: from two views at a narrow angle its depth along their rays is
poorly known (a few pixels of noise become centimetres), from five views it is known well.
Here every keypoint's trajectory X (F, 3) minimises, per run of frames,

    sum_f sum_c  w_cf^2 f_c^2 / z_cf^2 * |DLT residual of view c|^2     (pixels^2)
      + lambda * sum_f |X_{f-1} - 2 X_f + X_{f+1}|^2

over the views kept by the robust triangulation (:mod:`.robust`). The first term is each view's
reprojection error in pixels (the weighted DLT's equations, depths from the robust points); the
second is a smoothness prior on acceleration. For a point seen alike in every frame it is a
zero-phase low-pass (a Whittaker-Henderson smoother, amplitude ``1 / (1 + lambda_0 (2 sin(w /
2))^4)``, the same as a 2nd-order Butterworth run forward and backward), with ``lambda`` scaled
by the keypoint's typical information per direction so that the cutoff is ``cutoff_hz`` there.
Where a frame's geometry is weak in one direction, the prior takes over in that direction only;
frames without two views (up to ``max_gap_s``) are bridged by the prior, longer gaps stay NaN.

Before that, runs of weak points that jump against strong ones are dropped
(:func:`unsupported_runs`): a point kept from only two views cannot show a wrong view (any two
views agree with some point), but a run of such points that starts or ends with a jump no
body part makes, next to points seen by three views or more, is a wrong choice of views. Their
frames become gaps (bridged up to ``max_gap_s``, else NaN): a wrong point is worse than a gap.

The caller may also leave out, beforehand, the two-view points of frames whose whole
skeleton breaks the trial's bone lengths (:func:`skeleton_outlier_frames`: a ghost of two
people, somebody else in one view).

Then views are chosen again against the smooth trajectory (per joint and frame, the views that
reproject within the robust threshold: a view along the epipolar line of a two-view outlier is
off the trajectory; a good view rejected by a wrong per-frame consensus is back on it) and the
trajectory is solved once more.

Last, :func:`unsupported_points` names the smoothed points the views do not vouch for (off
their views, isolated, bridging a gap longer than :data:`BRIDGE_LIMIT_S`); the caller leaves
them out.

Pure functions; a loop over keypoints and runs of frames, one banded solve each
(``scipy.linalg.solveh_banded``).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import solveh_banded

from mocaplab.errors import InputError
from mocaplab.signal import max_gap_frames
from mocaplab.triangulation.linear import (
    DLTSystem,
    depths,
    reprojection_errors,
    unpack,
)


def prior_weight(fps: float, cutoff_hz: float) -> float:
    """lambda_0 of the acceleration prior whose smoother has amplitude 1/2 at ``cutoff_hz`` (as
    the zero-phase Butterworth of :func:`mocaplab.signal.lowpass`).

    Raises:
        InputError: the cutoff is not between 0 and half the frame rate.
    """
    if not 0 < cutoff_hz < fps / 2:
        raise InputError(f"cutoff {cutoff_hz} Hz must lie between 0 and half the frame rate "
                         f"({fps / 2:g} Hz)")
    omega = 2.0 * np.sin(np.pi * cutoff_hz / fps)
    return float(1.0 / omega**4)


def _second_difference_band(n: int) -> np.ndarray:
    """(3, n) D2^T D2 (D2: the (n - 2, n) second differences) in upper band form: row 2 - d
    holds the entries (j - d, j) at column j."""
    c = (1.0, -2.0, 1.0)
    band = np.zeros((3, n))
    r = np.arange(max(n - 2, 0))
    for i in range(3):
        for j in range(i, 3):
            np.add.at(band[2 - (j - i)], r + j, c[i] * c[j])
    return band


def _solve_run(N: np.ndarray, lam: float) -> np.ndarray:
    """X (n, 3) minimising sum_f [X_f, 1]^T N_f [X_f, 1] + lam |D2 X|^2; N (n, 4, 4)."""
    n = len(N)
    m = 3 * n
    u = 8  # upper bandwidth of the interleaved system (frames x 3 coordinates)
    ab = np.zeros((u + 1, m))
    # data blocks: entry (3f + i, 3f + j), j >= i, at row u - (j - i), column 3f + j
    for i in range(3):
        for j in range(i, 3):
            ab[u - (j - i), 3 * np.arange(n) + j] += N[:, i, j]
    # the prior couples the same coordinate of frames f and f + d (d = 0, 1, 2)
    band = _second_difference_band(n)  # rows: d = 2, 1, 0
    for d in range(3):
        for c in range(3):
            ab[u - 3 * d, 3 * np.arange(n) + c] += lam * band[2 - d]
    rhs = -N[:, :3, 3].reshape(-1)
    return solveh_banded(ab, rhs, lower=False, check_finite=False).reshape(n, 3)


def _runs(mask: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    """[a, b) runs from the first to the last True, split where more than ``max_gap``
    consecutive frames are False."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[cuts + 1]])
    ends = np.concatenate([idx[cuts], [idx[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _interpolated(X: np.ndarray) -> np.ndarray:
    """(F, 3) with NaN rows filled linearly (ends held), for depths only."""
    ok = np.isfinite(X).all(-1)
    if ok.all() or not ok.any():
        return X
    t = np.arange(len(X))
    return np.stack([np.interp(t, t[ok], X[ok, d]) for d in range(3)], -1)


def unsupported_runs(X: np.ndarray, n_views: np.ndarray, fps: float, max_gap: int,
                     max_speed_m_s: float = 3.0, jump_m: float = 0.03,
                     strong_views: int = 3) -> np.ndarray:
    """(F,) bool: frames of one keypoint's weak runs that jump against strong ones.

    The frames with a point (``X`` finite, (F, 3) metres) are cut into runs wherever the point
    moves more than ``max_speed_m_s`` x the time since the last point + ``jump_m`` (noise), or
    where more than ``max_gap`` frames have no point. A run is strong when it has a frame with
    ``strong_views`` views or more (``n_views`` (F,)); a run without one that borders a strong
    run through a jump (not a long gap) is returned: there, the two-view points went somewhere
    the body could not go from (or to) the well-seen points beside them.
    """
    F = len(X)
    out = np.zeros(F, dtype=bool)
    idx = np.flatnonzero(np.isfinite(X).all(-1))
    if idx.size < 2:
        return out
    gap = np.diff(idx)
    step = np.linalg.norm(np.diff(X[idx], axis=0), axis=-1)
    cut_gap = gap > max_gap + 1
    cut = cut_gap | (step > max_speed_m_s * gap / fps + jump_m)
    run = np.concatenate([[0], np.cumsum(cut)])  # run number of each frame in idx
    n_runs = int(run[-1]) + 1
    strong = np.zeros(n_runs, dtype=bool)
    np.logical_or.at(strong, run, n_views[idx] >= strong_views)
    # runs bordering through a jump: (run r, run r + 1) where the cut is not a long gap
    jump = np.flatnonzero(cut & ~cut_gap)
    left, right = run[jump], run[jump + 1]
    bad = np.zeros(n_runs, dtype=bool)
    bad[left[strong[right] & ~strong[left]]] = True
    bad[right[strong[left] & ~strong[right]]] = True
    out[idx[bad[run]]] = True
    return out


def skeleton_outlier_frames(points: np.ndarray, n_views: np.ndarray, edges: np.ndarray,
                            factor: float = 3.0, min_deviation_m: float = 0.01,
                            min_bones: int = 4, strong_views: int = 3) -> np.ndarray:
    """(F,) bool: frames whose skeleton breaks the subject's bone lengths.

    Each bone's length over the trial is the median over the frames where both its ends are
    seen by ``strong_views`` views or more. A frame's deviation is the median over its bones
    (at least ``min_bones``) of | length - that length |; the frame is returned when this is
    more than ``factor`` x the median deviation of all frames (the trial's own noise: a few mm
    for clean synthetic views, more for a real detector) and more than ``min_deviation_m``.
    A whole skeleton off its bone lengths is not noise: in such a frame a view holds somebody
    else, or the person in two views is a ghost of two people.

    Args:
        points: (F, K, 3) metres; n_views: (F, K) views kept; edges: (E, 2) keypoint indices.
    """
    F = points.shape[0]
    edges = np.asarray(edges, dtype=int).reshape(-1, 2)
    if not len(edges):
        return np.zeros(F, dtype=bool)
    a, b = edges[:, 0], edges[:, 1]
    length = np.linalg.norm(points[:, a] - points[:, b], axis=-1)  # (F, E)
    strong = (n_views[:, a] >= strong_views) & (n_views[:, b] >= strong_views)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # bones or frames never seen well
        ref = np.nanmedian(np.where(strong, length, np.nan), axis=0)
        dev = np.abs(length - ref)
        enough = np.isfinite(dev).sum(1) >= min_bones
        frame_dev = np.where(enough, np.nanmedian(dev, axis=1), np.nan)
        typical = np.nanmedian(frame_dev) if np.isfinite(frame_dev).any() else np.nan
    if not np.isfinite(typical):
        return np.zeros(F, dtype=bool)
    return np.nan_to_num(frame_dev, nan=0.0) > max(factor * typical, min_deviation_m)


def smooth_keypoint(Rt: np.ndarray, system: DLTSystem, w: np.ndarray, focal: np.ndarray,
                    use: np.ndarray, X0: np.ndarray, lam0: float, max_gap: int,
                    min_views: int = 2) -> np.ndarray:
    """One keypoint's smooth trajectory (module doc).

    Args:
        Rt: (C, 3, 4); system: the DLT system of its F observations (C, F); w: (C, F)
            confidences; focal: (C,) pixels; use: (C, F) views to use; X0: (F, 3) robust points
            (depths; NaN where not solved); lam0: :func:`prior_weight`; max_gap: longest run of
            frames without ``min_views`` views that is bridged.

    Returns:
        (F, 3) metres, NaN outside the runs.
    """
    F = X0.shape[0]
    out = np.full((F, 3), np.nan)
    solved = use.sum(0) >= min_views
    if solved.sum() < 2:
        return out
    z = depths(Rt, _interpolated(np.where(solved[:, None], X0, np.nan)))  # (C, F)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv_z2 = np.where(z > 1e-6, 1.0 / z**2, 0.0)
    w2 = np.where(use, (w * focal[:, None]) ** 2 * inv_z2, 0.0)
    N = unpack(system.per_observation(w2).sum(0))  # (F, 4, 4)
    info = np.trace(N[:, :3, :3], axis1=1, axis2=2) / 3.0
    scale = float(np.median(info[solved]))
    if not scale > 0:
        return out
    for a, b in _runs(solved, max_gap):
        if b - a < 3:
            if b - a >= 1:
                out[a:b] = np.where(solved[a:b, None], X0[a:b], np.nan)
            continue
        out[a:b] = _solve_run(N[a:b], lam0 * scale)
    return out


def smooth_points(Rt: np.ndarray, xn: np.ndarray, w: np.ndarray, focal: np.ndarray,
                  inliers: np.ndarray, X0: np.ndarray, fps: float, cutoff_hz: float,
                  max_gap_s: float, threshold_px: float, reselect: bool = True,
                  min_views: int = 2, drop_unsupported: bool = True
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Every keypoint's smooth trajectory, views chosen again against it (module doc).

    Args:
        Rt: (C, 3, 4) extrinsics; xn: (C, F, K, 2) normalized observations (after the robust
            triangulation's left/right fixes); w: (C, F, K) confidences; focal: (C,) pixels.
        inliers: (C, F, K) the views the robust triangulation kept; X0: (F, K, 3) its points.
        fps, cutoff_hz: the frame rate and the cutoff of the equivalent low-pass, Hz.
        max_gap_s: longest gap (frames without ``min_views`` views) bridged, seconds.
        threshold_px: the robust outlier threshold (pixels), for the new choice of views.
        reselect: choose the views again against the smooth trajectory and solve again.
        drop_unsupported: leave out the weak runs of :func:`unsupported_runs` (their frames
            then use fewer than ``min_views`` views: a gap).

    Returns:
        (points (F, K, 3) metres, views used (C, F, K) bool).
    """
    C, F, K, _ = xn.shape
    lam0 = prior_weight(fps, cutoff_hz)
    max_gap = max_gap_frames(fps, max_gap_s)  # the one seconds -> frames rule of gap filling
    valid = (w > 0) & np.isfinite(xn).all(-1)
    X = np.full((F, K, 3), np.nan)
    used = inliers & valid
    for k in range(K):
        if drop_unsupported:
            drop = unsupported_runs(X0[:, k], used[:, :, k].sum(0), fps, max_gap)
            used[:, drop, k] = False
        system = DLTSystem.build(Rt, xn[:, :, k])
        Xk = smooth_keypoint(Rt, system, w[:, :, k], focal, used[:, :, k], X0[:, k], lam0,
                             max_gap, min_views)
        if reselect and np.isfinite(Xk).any():
            err = reprojection_errors(Rt, xn[:, :, k], Xk, focal)  # (C, F)
            again = valid[:, :, k] & (err < threshold_px)
            # frames that keep fewer than min_views keep their old views (nothing better known)
            enough = again.sum(0) >= min_views
            again = np.where(enough[None], again, used[:, :, k])
            if not np.array_equal(again, used[:, :, k]):
                X0k = np.where(np.isfinite(Xk), Xk, X0[:, k])
                used[:, :, k] = again
                Xk = smooth_keypoint(Rt, system, w[:, :, k], focal, again, X0k, lam0, max_gap,
                                     min_views)
        X[:, k] = Xk
    return X, used


#: Why a saved point was left out (NaN) by :func:`unsupported_points` (codes of its (F, K) map).
UNSUPPORTED_REASONS = {1: "off its views (reprojects beyond the outlier threshold)",
                       2: "isolated (a run of fewer than 3 triangulated frames, not smoothed)",
                       3: "bridges a gap longer than the bridging limit",
                       4: "two views whose left/right label decides it, the label not carried "
                          "by the view's 2D track from a well-seen frame"}
#: The code of reason 4 (set by the caller, from :mod:`.continuity`).
UNCONFIRMED_LABEL = 4

#: Longest gap the saved (smoothed) points bridge, seconds: measured on the tuning scenes of
#: benchmarks/persons_eval.py, bridged samples in gaps of 1-2 frames at 60 fps are 2-4 % off
#: by > 50 mm, in gaps of 4-6 frames 19-62 % (they border wrongly labelled points).
BRIDGE_LIMIT_S = 0.05


def unsupported_points(Rt: np.ndarray, xn: np.ndarray, focal: np.ndarray, used: np.ndarray,
                       X: np.ndarray, fps: float, threshold_px: float, max_gap_s: float,
                       min_views: int = 2) -> np.ndarray:
    """(F, K) uint8: the smoothed points the views do not vouch for (0: kept; else a code of
    :data:`UNSUPPORTED_REASONS`).

    1. A point with ``min_views`` views or more whose smooth trajectory reprojects beyond
       ``threshold_px`` (the robust triangulation's outlier threshold) in one of its views: the
       motion and its views disagree (a wrong label or view the per-frame consensus kept).
    2. A point of a run of fewer than 3 frames with ``min_views`` views (copied from the robust
       point, not smoothed: nothing around it confirms it).
    3. A bridged sample (fewer than ``min_views`` views) in a gap longer than
       ``min(max_gap_s, BRIDGE_LIMIT_S)``.

    Args:
        Rt: (C, 3, 4); xn: (C, F, K, 2) normalized observations; focal: (C,) pixels;
        used: (C, F, K) views used; X: (F, K, 3) smoothed points, metres.
    """
    F, K = X.shape[:2]
    out = np.zeros((F, K), dtype=np.uint8)
    fin = np.isfinite(X).all(-1)
    solved = used.sum(0) >= min_views
    limit = max_gap_frames(fps, min(max_gap_s, BRIDGE_LIMIT_S))
    for k in range(K):
        if not fin[:, k].any():
            continue
        err = reprojection_errors(Rt, xn[:, :, k], X[:, k], focal)  # (C, F)
        off = (np.where(used[:, :, k], np.nan_to_num(err, nan=np.inf), 0.0)
               > threshold_px).any(0)
        out[fin[:, k] & solved[:, k] & off, k] = 1
        for a, b in _runs(solved[:, k], 0):  # runs of consecutive triangulated frames
            if b - a < 3:
                seg = slice(a, b)
                out[seg, k] = np.where(fin[seg, k] & (out[seg, k] == 0), 2, out[seg, k])
        gap = fin[:, k] & ~solved[:, k]
        idx = np.flatnonzero(gap)
        if idx.size:
            cuts = np.flatnonzero(np.diff(idx) > 1)
            for s, e in zip(np.concatenate([[0], cuts + 1]), np.concatenate([cuts, [idx.size - 1]]),
                            strict=True):
                if idx[e] - idx[s] + 1 > limit:
                    out[idx[s]:idx[e] + 1, k] = 3
    return out
