"""Robust triangulation: outlying views dropped, left/right swaps fixed, minimum views enforced.

The method, vectorised over all points (no Python loop per point):

1. Every point is first solved from all its views (confidence-weighted DLT, see
   :mod:`.linear`). Points whose views all reproject within the threshold are done.
2. For the others, every pair of cameras proposes a point (an exhaustive, deterministic RANSAC:
   C(C-1)/2 hypotheses, 28 for 8 cameras) and so does the all-view solution. Each hypothesis is
   scored by its number of inlier views (reprojection error below the threshold), ties broken by
   the truncated (MSAC) reprojection cost. The best hypothesis' inliers are solved again, the
   inliers recomputed from that solution and solved once more.
3. Left/right swaps, by groups then by pairs. A detector that confuses left and right in a view
   does it for the whole body or for one limb, including keypoints whose counterpart is so near
   (eyes, ears, mouth corners, fingers) that a swap of theirs alone stays within the threshold.
   So first, for every camera and swap group (:func:`swap_groups`: the whole body, then each
   arm and each leg), the frames where the group is labelled the other way round are found
   over the whole trial at once, from the 3D points and the group's 2D motion
   (:func:`_group_flips`) and exchanged; everything is then solved again from the relabelled
   views (the outlier threshold too: swaps inflate the errors it is derived from). Then, for
   every camera, frame and left/right pair (i, j), the observations of i and j are exchanged
   when that turns outliers into inliers (``KeypointSet.mirror`` gives the pairs); the
   affected points are solved again.
4. Weak points (kept from only 2 views: any two views agree with some point, so a wrong one
   cannot be seen per frame) are decided again with the motion of their neighbouring frames
   (:func:`_temporal_recheck`).
5. Points seen by fewer than ``min_views`` inlier views are left out (NaN).

Errors used for decisions are in pixels of the undistorted image (normalized error x focal
length); the per-point ``reprojection_error`` reported is the mean distance in the real
(distorted) image over the views kept.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings

import numpy as np

from mocaplab.camera import CameraSet
from mocaplab.errors import InputError
from mocaplab.triangulation.linear import (
    DLTSystem,
    extrinsics,
    focal_lengths,
    normalized_observations,
    reprojection_errors,
    solve_normal,
    triangulate_weighted,
)


@dataclasses.dataclass(frozen=True)
class RobustOptions:
    """Options of :func:`triangulate_robust`.

    Attributes:
        threshold_px: reprojection error above which a view is an outlier, pixels. None = automatic:
            ``auto_factor`` x the median per-view error of the all-view solutions, clipped to
            ``auto_range``.
        min_views: fewest inlier views for a point to be kept (>= 2).
        min_confidence: observations with lower confidence are ignored.
        fix_swaps: detect and fix left/right swaps in single views (needs mirror indices).
        iterations: depth-reweighting steps of each weighted DLT.
        temporal: re-decide points kept from only two views with the motion of their
            neighbouring frames (see :func:`_temporal_recheck`); needs a steady frame rate
            relative to the motion (0.1 m gate between a frame and its neighbours).
        temporal_gate_m: such a point further than this from its neighbours' prediction is
            dropped, metres.
        switch_px: cost of a change of labelling between two frames of a view, pixels (see
            :func:`_group_flips`).
        continuity_weight: weight of a swap group's 2D motion between frames against its
            reprojection cost (see :func:`_group_flips`).
        chunk_size: points processed at once by the hypothesis search (bounds memory).
    """

    threshold_px: float | None = None
    min_views: int = 2
    min_confidence: float = 0.0
    fix_swaps: bool = True
    iterations: int = 1
    auto_factor: float = 5.0
    auto_range: tuple[float, float] = (4.0, 40.0)
    temporal: bool = True
    temporal_gate_m: float = 0.1
    switch_px: float = 10.0
    continuity_weight: float = 50.0
    chunk_size: int = 20000

    def __post_init__(self) -> None:
        if self.min_views < 2:
            raise InputError(f"min_views must be at least 2, got {self.min_views}")
        if self.threshold_px is not None and not self.threshold_px > 0:
            raise InputError(f"threshold_px must be positive, got {self.threshold_px}")


@dataclasses.dataclass(frozen=True, eq=False)
class RobustResult:
    """Output of :func:`triangulate_robust` for C cameras, F frames, K keypoints.

    Attributes:
        points: (F, K, 3) metres, NaN where not reconstructed.
        reprojection_error: (F, K) mean reprojection error over the views kept, pixels.
        n_views: (F, K) number of views kept (0 where not reconstructed).
        inliers: (C, F, K) bool, the views used for each point.
        swapped: (C, F, K) bool, observations exchanged with their left/right counterpart.
        threshold_px: the outlier threshold used, pixels.
    """

    points: np.ndarray
    reprojection_error: np.ndarray
    n_views: np.ndarray
    inliers: np.ndarray
    swapped: np.ndarray
    threshold_px: float


def camera_pairs(n_cameras: int) -> np.ndarray:
    """(H, 2) all pairs of camera indices."""
    return np.array(list(itertools.combinations(range(n_cameras), 2)), dtype=int).reshape(-1, 2)


def _consensus(Rt: np.ndarray, xn: np.ndarray, w: np.ndarray, focal: np.ndarray, thr: float,
               iterations: int, X_all: np.ndarray | None = None,
               err_all: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Robust points for flat observations: xn (C, N, 2), w (C, N) -> (X (N, 3), inliers (C, N))."""
    C, N = w.shape
    valid = (w > 0) & np.isfinite(xn).all(-1)
    if X_all is None:
        X_all = triangulate_weighted(Rt, xn, w, focal, iterations)
        err_all = reprojection_errors(Rt, xn, X_all, focal)
    n_valid = valid.sum(0)
    ok_all = np.where(valid, err_all < thr, True).all(0) & np.isfinite(X_all).all(-1)
    X = np.where(ok_all[:, None], X_all, np.nan)
    inliers = valid & ok_all[None]
    todo = np.flatnonzero(~ok_all & (n_valid >= 2))
    if todo.size == 0:
        return X, inliers

    xs, ws, vs = xn[:, todo], w[:, todo], valid[:, todo]
    Ms = DLTSystem.build(Rt, xs)
    Xh, inl, key = _hypotheses(Rt, xs, ws, Ms, vs, focal, thr, X_all[todo])
    best = np.argmax(key, axis=0)
    cols = np.arange(todo.size)
    Xb, inl_b = _refine(Rt, xs, ws, Ms, vs, focal, thr, iterations, Xh[best, cols],
                        inl[best, :, cols].T)
    X[todo] = Xb
    inliers[:, todo] = inl_b
    return X, inliers


def _hypotheses(Rt, xs, ws, Ms, vs, focal, thr, X_all):
    """Pair hypotheses plus the all-view solution for n points.

    Returns Xh (H+1, n, 3), inliers (H+1, C, n) and a score (H+1, n): inlier count, ties broken
    by the truncated reprojection cost (-inf for hypotheses that could not be solved).
    """
    C = len(Rt)
    pairs = camera_pairs(C)
    P = Ms.per_observation((ws * focal[:, None]) ** 2)  # (C, 9, n)
    Xh = solve_normal(np.moveaxis(P[pairs[:, 0]] + P[pairs[:, 1]], 1, 0))  # (H, n, 3)
    both = vs[pairs[:, 0]] & vs[pairs[:, 1]]
    Xh = np.where(both[..., None], Xh, np.nan)
    Xh = np.concatenate([Xh, X_all[None]], axis=0)
    err = reprojection_errors(Rt, xs, Xh, focal)  # (H+1, C, n)
    inl = vs[None] & (err < thr)
    n_inl = inl.sum(1)
    cost = np.where(vs[None], np.minimum(np.nan_to_num(err, nan=thr), thr), 0.0).sum(1)
    key = n_inl - cost / (thr * C + 1.0)
    key = np.where(np.isfinite(Xh).all(-1) & (n_inl >= 2), key, -np.inf)
    return Xh, inl, key


def _refine(Rt, xs, ws, Ms, vs, focal, thr, iterations, Xb, inl_b):
    """Solve from the inliers, recompute them, solve again: (X (n, 3), inliers (C, n))."""
    for _ in range(2):
        Xn = triangulate_weighted(Rt, xs, ws * inl_b, focal, iterations, Ms)
        e = reprojection_errors(Rt, xs, Xn, focal)
        new_inl = vs & (e < thr)
        keep = (new_inl.sum(0) >= 2) & np.isfinite(Xn).all(-1)
        Xb = np.where(keep[:, None], Xn, Xb)
        inl_b = np.where(keep[None], new_inl, inl_b)
    good = (inl_b.sum(0) >= 2) & np.isfinite(Xb).all(-1)
    return np.where(good[:, None], Xb, np.nan), inl_b & good[None]


def temporal_prediction(X: np.ndarray, reliable: np.ndarray, half_window: int = 2) -> np.ndarray:
    """(F, K, 3) position predicted for each frame from its neighbours.

    The median of the reliable points in frames f-w..f-1 and f+1..f+w (not frame f itself);
    NaN where no neighbour is reliable. For smooth motion the symmetric window makes the median
    close to the true position.
    """
    F = X.shape[0]
    Xr = np.where(reliable[..., None], X, np.nan)
    pad = np.full((half_window,) + X.shape[1:], np.nan)
    P = np.concatenate([pad, Xr, pad])
    shifts = [P[half_window + d: half_window + d + F]
              for d in range(-half_window, half_window + 1) if d != 0]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(np.stack(shifts), axis=0)


def _temporal_recheck(Rt, xn, w, focal, thr, iterations, X, inl, gate_m):
    """Re-decide weak points (2 views kept) with the motion of their neighbours.

    A point kept from only two views is ambiguous per frame (any two views are consistent with
    some point, so with more views available several pairs may tie, and with two views an
    outlier along the epipolar line is invisible). Among the hypotheses with the most inliers,
    the one nearest to the temporal prediction is taken; if even that one is further than
    ``gate_m`` from the prediction, the point is dropped (the filter's gap filling may restore
    it). The prediction is the median of the neighbours solved from any number of views (a
    tightly framed keypoint may be seen by only two views for seconds; one bad neighbour does
    not move a median of four).
    """
    C, F, K, _ = xn.shape
    valid = (w > 0) & np.isfinite(xn).all(-1)
    n_views = inl.sum(0)
    solved = np.isfinite(X).all(-1)
    pred = temporal_prediction(X, solved)
    weak = solved & (n_views == 2) & np.isfinite(pred).all(-1)
    idx = np.flatnonzero(weak.ravel())
    if idx.size == 0:
        return X, inl
    xs = xn.reshape(C, -1, 2)[:, idx]
    ws = w.reshape(C, -1)[:, idx]
    vs = valid.reshape(C, -1)[:, idx]
    Ms = DLTSystem.build(Rt, xs)
    Xcur = X.reshape(-1, 3)[idx]
    p = pred.reshape(-1, 3)[idx]
    Xh, inl_h, key = _hypotheses(Rt, xs, ws, Ms, vs, focal, thr, Xcur)
    n_inl = np.where(np.isfinite(key), inl_h.sum(1), -1)
    top = n_inl == n_inl.max(0)
    dist = np.linalg.norm(Xh - p[None], axis=-1)
    dist = np.where(top & np.isfinite(dist), dist, np.inf)
    best = np.argmin(dist, axis=0)
    cols = np.arange(idx.size)
    Xb, inl_b = _refine(Rt, xs, ws, Ms, vs, focal, thr, iterations, Xh[best, cols],
                        inl_h[best, :, cols].T)
    far = ~(np.linalg.norm(Xb - p, axis=-1) <= gate_m)
    Xb[far] = np.nan
    inl_b[:, far] = False
    X = X.copy()
    inl = inl.copy()
    X.reshape(-1, 3)[idx] = Xb
    inl.reshape(C, -1)[:, idx] = inl_b
    return X, inl


def _consensus_chunked(Rt, xn, w, focal, thr, iterations, chunk, X_all=None, err_all=None):
    N = w.shape[1]
    X = np.full((N, 3), np.nan)
    inl = np.zeros(w.shape, dtype=bool)
    for s in range(0, N, chunk):
        sl = slice(s, min(N, s + chunk))
        X[sl], inl[:, sl] = _consensus(
            Rt, xn[:, sl], w[:, sl], focal, thr, iterations,
            None if X_all is None else X_all[sl], None if err_all is None else err_all[:, sl])
    return X, inl


def auto_threshold(err_all: np.ndarray, options: RobustOptions) -> float:
    """Outlier threshold from the median per-view error of all-view solutions (pixels)."""
    finite = err_all[np.isfinite(err_all)]
    med = float(np.median(finite)) if finite.size else options.auto_range[0]
    lo, hi = options.auto_range
    return float(np.clip(options.auto_factor * med, lo, hi))


def _mirror_pairs(mirror: np.ndarray | None, K: int) -> np.ndarray:
    if mirror is None:
        return np.zeros((0, 2), dtype=int)
    mirror = np.asarray(mirror, dtype=int)
    if mirror.shape != (K,):
        raise InputError(f"mirror must have one index per keypoint ({K}), got {mirror.shape}")
    return np.array([(i, int(m)) for i, m in enumerate(mirror) if m > i], dtype=int).reshape(-1, 2)


def _find_swaps(Rt, xn, X, focal, thr, pairs) -> np.ndarray:
    """(C, F, P) bool: views where exchanging a pair's observations turns outliers to inliers."""
    C, F, K, _ = xn.shape
    P = len(pairs)
    i, j = pairs[:, 0], pairs[:, 1]
    Xi = X[:, i].reshape(-1, 3)
    Xj = X[:, j].reshape(-1, 3)
    oi = xn[:, :, i].reshape(C, -1, 2)
    oj = xn[:, :, j].reshape(C, -1, 2)
    e_ii = reprojection_errors(Rt, oi, Xi, focal)
    e_jj = reprojection_errors(Rt, oj, Xj, focal)
    e_ji = reprojection_errors(Rt, oj, Xi, focal)  # observation of j explains point i
    e_ij = reprojection_errors(Rt, oi, Xj, focal)
    have_i, have_j = np.isfinite(oi).all(-1), np.isfinite(oj).all(-1)
    outlier_now = (have_i & ~(e_ii < thr)) | (have_j & ~(e_jj < thr))
    fits_swapped = (~have_j | (e_ji < thr)) & (~have_i | (e_ij < thr))
    solved = (np.isfinite(Xi).all(-1) & np.isfinite(Xj).all(-1))[None]
    return (outlier_now & fits_swapped & solved & (have_i | have_j)).reshape(C, F, P)


#: Name parts (between underscores) of arm and leg keypoints (mediapipe33 and similar names),
#: for :func:`swap_groups`; a leg part wins ("left_foot_index" is a foot).
_LEG_PARTS = ("hip", "knee", "ankle", "heel", "foot", "toe")
_ARM_PARTS = ("shoulder", "elbow", "wrist", "pinky", "index", "thumb", "hand")


def swap_groups(names: tuple[str, ...] | list[str], mirror: np.ndarray) -> list[np.ndarray]:
    """Keypoint groups a detector swaps left/right together: every lateral keypoint (the whole
    body), then each arm and leg found by name, whole and distal (from the elbow / knee: a
    detector may swap the legs from the hips or only from the knees down). A group holds the
    first member of each of its pairs; their counterparts come from ``mirror``."""
    mirror = np.asarray(mirror, dtype=int)
    lateral = [k for k in range(len(mirror)) if mirror[k] > k]
    groups = [np.array(lateral, dtype=int)] if lateral else []
    parts = {k: set(str(names[k]).lower().split("_")) for k in lateral}
    leg = [k for k in lateral if parts[k] & set(_LEG_PARTS)]
    arm = [k for k in lateral if parts[k] & set(_ARM_PARTS) and k not in leg]
    for limb, root in ((arm, "shoulder"), (leg, "hip")):
        for members in (limb, [k for k in limb if root not in parts[k]]):
            if 0 < len(members) < len(lateral):
                groups.append(np.array(members, dtype=int))
    return groups


def _group_flips(Rt, xn, X, focal, thr, group, mirror, switch_px, weight) -> np.ndarray:
    """(C, F) bool: the views whose ``group`` (first members of pairs) is labelled the other
    way round, decided per camera over the whole trial (a two-state Viterbi path).

    A state's cost in a frame is the group's truncated reprojection cost against the current
    points X (F, K, 3) with the labels as they are or exchanged; between frames, the cost is the
    group's truncated 2D motion with the labels of the two states (a detector's swap shows as a
    jump of every keypoint to its counterpart's place), plus ``switch_px`` for a change of
    state. So a swap is found even in frames where most views are swapped (the per-frame
    consensus is wrong there): the motion carries the labelling through from the frames around.
    """
    C, F, K, _ = xn.shape
    S = np.concatenate([group, mirror[group]])
    flipS = mirror[S]
    obs = xn[:, :, S]  # (C, F, n, 2)
    flat = obs.reshape(C, -1, 2)
    e_as = reprojection_errors(Rt, flat, X[:, S].reshape(-1, 3), focal).reshape(C, F, -1)
    e_fl = reprojection_errors(Rt, flat, X[:, flipS].reshape(-1, 3), focal).reshape(C, F, -1)
    both = np.isfinite(e_as) & np.isfinite(e_fl)
    emit = np.stack([np.where(both, np.minimum(e_as, thr), 0.0).sum(-1),
                     np.where(both, np.minimum(e_fl, thr), 0.0).sum(-1)], -1)  # (C, F, 2)
    px = obs * focal[:, None, None, None]
    # position in the list S of each member's counterpart
    where = {int(k): i for i, k in enumerate(S)}
    swap_pos = np.array([where[int(k)] for k in flipS])
    d_same = np.linalg.norm(px[:, 1:] - px[:, :-1], axis=-1)  # (C, F-1, n)
    d_cross = np.linalg.norm(px[:, 1:][:, :, swap_pos] - px[:, :-1], axis=-1)
    ok = np.isfinite(d_same) & np.isfinite(d_cross)
    t_same = weight * np.where(ok, np.minimum(d_same, thr), 0.0).sum(-1)  # (C, F-1)
    t_cross = weight * np.where(ok, np.minimum(d_cross, thr), 0.0).sum(-1) + switch_px
    cost = np.stack([emit[:, 0, 0], emit[:, 0, 1]], -1)  # (C, 2)
    back = np.zeros((C, F, 2), dtype=np.int8)
    for f in range(1, F):
        stay = cost + t_same[:, f - 1, None]
        move = cost[:, ::-1] + t_cross[:, f - 1, None]
        back[:, f] = np.where(move < stay, 1, 0)  # 1: came from the other state
        cost = np.minimum(stay, move) + emit[:, f]
    state = np.argmin(cost, axis=1)
    path = np.zeros((C, F), dtype=bool)
    for f in range(F - 1, -1, -1):
        path[:, f] = state == 1
        state = np.where(back[np.arange(C), f, state] == 1, 1 - state, state)
    return path


def _mean_pixel_error(cameras: CameraSet, pixels: np.ndarray, X: np.ndarray,
                      inliers: np.ndarray) -> np.ndarray:
    """(F, K) mean distance in the distorted image between observations and projections."""
    proj = cameras.project(X)
    d = np.linalg.norm(proj - pixels, axis=-1)
    d = np.where(inliers, d, 0.0)
    n = inliers.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, d.sum(0) / n, np.nan)


def triangulate_robust(cameras: CameraSet, pixels: np.ndarray, confidence: np.ndarray | None = None,
                       mirror: np.ndarray | None = None,
                       options: RobustOptions | None = None,
                       groups: list[np.ndarray] | None = None) -> RobustResult:
    """Robust 3D points from 2D keypoints of C calibrated cameras.

    Args:
        cameras: the C cameras, in the order of ``pixels``.
        pixels: (C, F, K, 2) distorted pixel coordinates, NaN = not seen.
        confidence: (C, F, K) detector confidences in [0, 1] (default 1 where seen); used as
            weights.
        mirror: (K,) index of each keypoint's left/right counterpart (``KeypointSet.mirror``);
            None disables swap fixing.
        options: thresholds and switches (:class:`RobustOptions`).
        groups: swap groups (:func:`swap_groups`); default the whole body only (all lateral
            keypoints of ``mirror``).

    Returns:
        :class:`RobustResult`.
    """
    opt = options or RobustOptions()
    pixels = np.asarray(pixels, dtype=float)
    if pixels.ndim != 4 or pixels.shape[-1] != 2:
        raise InputError(f"2D keypoints must be (C, F, K, 2), got {pixels.shape}")
    C, F, K, _ = pixels.shape
    if len(cameras) != C:
        raise InputError(f"{C} views of keypoints for {len(cameras)} calibrated cameras")
    conf = (np.ones((C, F, K)) if confidence is None
            else np.nan_to_num(np.asarray(confidence, dtype=float), nan=0.0))
    seen = np.isfinite(pixels).all(-1)
    # weights: the confidence; a finite position with confidence 0 still counts, barely
    w = np.where(seen & (conf >= opt.min_confidence), np.maximum(conf, 1e-3), 0.0)
    Rt, focal = extrinsics(cameras), focal_lengths(cameras)
    xn = normalized_observations(cameras, pixels)  # (C, F, K, 2)

    flat_xn = xn.reshape(C, F * K, 2)
    flat_w = w.reshape(C, F * K)
    X_all = np.full((F * K, 3), np.nan)
    err_all = np.full((C, F * K), np.nan)
    for s in range(0, F * K, opt.chunk_size):
        sl = slice(s, s + opt.chunk_size)
        X_all[sl] = triangulate_weighted(Rt, flat_xn[:, sl], flat_w[:, sl], focal, opt.iterations)
        err_all[:, sl] = reprojection_errors(Rt, flat_xn[:, sl], X_all[sl], focal)
    thr = opt.threshold_px if opt.threshold_px is not None else auto_threshold(err_all, opt)
    X, inl = _consensus_chunked(Rt, flat_xn, flat_w, focal, thr, opt.iterations,
                                opt.chunk_size, X_all, err_all)
    X = X.reshape(F, K, 3)
    inl = inl.reshape(C, F, K)

    swapped = np.zeros((C, F, K), dtype=bool)
    pairs = _mirror_pairs(mirror, K)
    if opt.fix_swaps and len(pairs) and groups != []:
        # swap groups, camera by camera over the whole trial; then everything again from the
        # relabelled views (threshold included: the swaps inflated the errors it comes from)
        mirror = np.asarray(mirror, dtype=int)
        conf = conf.copy()
        for group in ([pairs[:, 0]] if groups is None else groups):
            flip = _group_flips(Rt, xn, X, focal, thr, group, mirror, opt.switch_px,
                                opt.continuity_weight)
            if not flip.any():
                continue
            c_idx, f_idx = np.nonzero(flip)
            i, j = group[None], mirror[group][None]
            c_idx, f_idx = c_idx[:, None], f_idx[:, None]
            pixels = pixels.copy()
            for arr in (pixels, xn, w, conf):
                a_i = arr[c_idx, f_idx, i].copy()
                arr[c_idx, f_idx, i] = arr[c_idx, f_idx, j]
                arr[c_idx, f_idx, j] = a_i
            swapped[c_idx, f_idx, i] ^= True
            swapped[c_idx, f_idx, j] ^= True
            redo = np.flatnonzero(np.repeat(np.isin(np.arange(F), f_idx), K))
            Xr, inr = _consensus_chunked(Rt, xn.reshape(C, F * K, 2)[:, redo],
                                         w.reshape(C, F * K)[:, redo], focal, thr,
                                         opt.iterations, opt.chunk_size)
            X.reshape(F * K, 3)[redo] = Xr
        if swapped.any():
            res = triangulate_robust(cameras, pixels, conf, mirror, opt, groups=[])
            return dataclasses.replace(res, swapped=res.swapped ^ swapped)
    if opt.fix_swaps and len(pairs):
        swap = _find_swaps(Rt, xn, X, focal, thr, pairs)  # (C, F, P)
        if swap.any():
            c_idx, f_idx, p_idx = np.nonzero(swap)
            i, j = pairs[p_idx, 0], pairs[p_idx, 1]
            pixels = pixels.copy()  # xn and w are already our own arrays
            for arr in (pixels, xn, w):
                a_i = arr[c_idx, f_idx, i].copy()
                arr[c_idx, f_idx, i] = arr[c_idx, f_idx, j]
                arr[c_idx, f_idx, j] = a_i
            swapped[c_idx, f_idx, i] ^= True
            swapped[c_idx, f_idx, j] ^= True
            redo = np.unique(np.concatenate([f_idx * K + i, f_idx * K + j]))
            xr = xn.reshape(C, F * K, 2)[:, redo]
            wr = w.reshape(C, F * K)[:, redo]
            Xr, inr = _consensus_chunked(Rt, xr, wr, focal, thr, opt.iterations, opt.chunk_size)
            X.reshape(F * K, 3)[redo] = Xr
            inl.reshape(C, F * K)[:, redo] = inr

    if opt.temporal and F >= 3:
        X, inl = _temporal_recheck(Rt, xn, w, focal, thr, opt.iterations, X, inl,
                                   opt.temporal_gate_m)
    n_views = inl.sum(0)
    keep = (n_views >= opt.min_views) & np.isfinite(X).all(-1)
    X = np.where(keep[..., None], X, np.nan)
    inl &= keep[None]
    n_views = np.where(keep, n_views, 0)
    err = _mean_pixel_error(cameras, pixels, X, inl)
    return RobustResult(X, err, n_views.astype(int), inl, swapped, thr)
