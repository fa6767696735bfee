"""Two-view points whose left/right labels decide where they are, checked against each view's
own 2D track.

A point kept from only two views cannot show a wrong label per frame when the geometry is
ambiguous: with a side camera and a camera at the end of the walkway, a left knee and a right
knee lie along the same epipolar line, so the side view's knee and the end view's left or right
knee both give a point that reprojects well, and the end view's label alone decides which side
the knee is on. Measured on the tuning scenes of ``benchmarks/persons_eval.py``
(docs/triangulation.md, "What the points > 50 mm off are"), most saved points > 50 mm off are
such points: a view's left/right labels wrong for a second or more, the two views agreeing.

What can tell is the view's own track: a detector's label exchange shows in that view as a
jump of the keypoint to its counterpart's place (and back at the end of the run). A view's
labelling is *confirmed* over a piece of its track (consecutive frames it is used for the
keypoint, cut where more than ``max_gap`` frames pass or where its labels cross) when
somewhere in that piece the view agreed with a point seen by three views or more. The gap is
the saved points' bridging limit (:data:`mocaplab.triangulation.smoothing.BRIDGE_LIMIT_S`,
0.05 s): across a longer gap the labels may have changed unseen. Measured on the tuning
scenes: without the gap cut a third as many points are left out and a quarter less of the
points > 50 mm; carrying the labelling through crossings (pieces a crossing apart the other
way round) did not do better. A labelling that crosses back after a run is not confirmed
again until a well-seen frame: the price of a rule that looks only at the view's track.

:func:`unconfirmed_points` returns the two-view points with a view whose labelling is not
confirmed there, when exchanging the labels of those views (the counterpart's observation
instead) gives another point that both views fit as well, more than ``min_shift_m`` away:
where they are rests on a labelling nothing vouches for. The caller leaves them out
(``points3d.npz`` counts them under reason 4 of
:data:`mocaplab.triangulation.smoothing.UNSUPPORTED_REASONS`).

Pure functions (numpy).
"""

from __future__ import annotations

import warnings

import numpy as np

from mocaplab.triangulation.linear import reprojection_errors, triangulate_weighted


def image_scale(xn: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """(C, F) the person's height in each view and frame (pixels of the undistorted image,
    extent of the observed keypoints' y) / 1000; 1 where nothing or one keypoint is seen."""
    y = xn[..., 1] * focal[:, None, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        h = np.nanmax(y, -1) - np.nanmin(y, -1)
    return np.where(np.isfinite(h) & (h > 0), h / 1000.0, 1.0)


def confirmed_labels(xn: np.ndarray, focal: np.ndarray, used: np.ndarray, mirror: np.ndarray,
                     max_gap: int | None = None, margin_px: float = 10.0,
                     strong_views: int = 3) -> np.ndarray:
    """(C, F, K) bool: the view's labelling of the keypoint is confirmed there (module doc).

    A view's track of keypoint k is the frames it is used for k (``used`` (C, F, K)); it is cut
    where more than ``max_gap`` frames pass (None: never), and where the labels cross: from the
    last frame
    f0 to f, k's observation continues from the counterpart's and the counterpart's from k's
    by ``margin_px`` (at 1000 px person height) less than each from itself. A piece is
    confirmed when it has a frame whose point is seen by ``strong_views`` views or more.

    Args:
        xn: (C, F, K, 2) normalized observations as used (after the left/right fixes);
        focal: (C,) pixels; mirror: (K,) each keypoint's counterpart; max_gap: frames or None.
    """
    C, F, K, _ = xn.shape
    px = xn * focal[:, None, None, None]
    scale = image_scale(xn, focal)
    strong = used.sum(0) >= strong_views  # (F, K)
    out = np.zeros((C, F, K), dtype=bool)
    for c in range(C):
        for k in range(K):
            obs = np.flatnonzero(used[c, :, k])
            if obs.size == 0:
                continue
            f0, f1 = obs[:-1], obs[1:]
            cut = (f1 - f0 > max_gap + 1) if max_gap is not None else np.zeros(f0.size, bool)
            m = int(mirror[k])
            if m != k:
                u, v = px[c, :, k], px[c, :, m]
                straight = (np.linalg.norm(u[f1] - u[f0], axis=-1)
                            + np.linalg.norm(v[f1] - v[f0], axis=-1))
                crossed = (np.linalg.norm(u[f1] - v[f0], axis=-1)
                           + np.linalg.norm(v[f1] - u[f0], axis=-1))
                cut |= np.nan_to_num(crossed + margin_px * scale[c, f1] < straight, nan=0.0
                                     ).astype(bool)
            piece = np.concatenate([[0], np.cumsum(cut)])
            ok = np.zeros(int(piece[-1]) + 1, dtype=bool)
            np.logical_or.at(ok, piece, strong[obs, k])
            out[c, obs, k] = ok[piece]
    return out


def relabelling_moves(Rt: np.ndarray, xn: np.ndarray, focal: np.ndarray, used: np.ndarray,
                      mirror: np.ndarray, X: np.ndarray, flip: np.ndarray, threshold_px: float,
                      min_shift_m: float) -> np.ndarray:
    """(F, K) bool: two-view points that another labelling fits as well: with the
    counterpart's observation in the views ``flip`` (C, F, K) instead, every view used still
    reprojects within ``threshold_px`` and the point moves more than ``min_shift_m``.

    Args:
        Rt: (C, 3, 4); xn: (C, F, K, 2) normalized observations as used; focal: (C,) pixels;
        used: (C, F, K) views used; X: (F, K, 3) the points, metres.
    """
    C, F, K, _ = xn.shape
    mirror = np.asarray(mirror, dtype=int)
    out = np.zeros((F, K), dtype=bool)
    flip = flip & used
    cand = ((used.sum(0) == 2) & flip.any(0) & np.isfinite(X).all(-1)
            & (mirror != np.arange(K))[None])
    f, k = np.nonzero(cand)
    if not f.size:
        return out
    w = used[:, f, k].astype(float)  # (C, N)
    obs = np.where(flip[:, f, k, None], xn[:, f, mirror[k]], xn[:, f, k])  # (C, N, 2)
    Xa = triangulate_weighted(Rt, obs, w, focal, 1)
    err = reprojection_errors(Rt, obs, Xa, focal)  # (C, N)
    fits = np.where(w > 0, np.nan_to_num(err, nan=np.inf), 0.0).max(0) < threshold_px
    moved = np.linalg.norm(Xa - X[f, k], axis=-1) > min_shift_m
    out[f, k] = fits & moved
    return out


def unconfirmed_points(Rt: np.ndarray, xn: np.ndarray, focal: np.ndarray, used: np.ndarray,
                       mirror: np.ndarray, X: np.ndarray, threshold_px: float,
                       max_gap: int | None, min_shift_m: float = 0.05,
                       margin_px: float = 10.0) -> np.ndarray:
    """(F, K) bool: two-view points whose views' labels are not all confirmed
    (:func:`confirmed_labels`) and where exchanging the unconfirmed views' labels gives another
    point the views fit as well, more than ``min_shift_m`` away (:func:`relabelling_moves`):
    where they are rests on a labelling nothing vouches for (module doc)."""
    two = used.sum(0) == 2
    if not two.any():
        return np.zeros(X.shape[:2], dtype=bool)
    confirmed = confirmed_labels(xn, focal, used, mirror, max_gap, margin_px)
    return relabelling_moves(Rt, xn, focal, used, mirror, X, used & ~confirmed, threshold_px,
                             min_shift_m)
