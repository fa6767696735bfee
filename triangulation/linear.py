"""Vectorised, confidence-weighted linear triangulation (DLT) over any number of points.

All functions work on *normalized* image coordinates: distorted pixels mapped through the lens
model with OpenCV's iterative undistortion (:meth:`mocaplab.camera.Camera.undistort_points`, tight
convergence criteria), so that the camera is an ideal pinhole ``x = [R | t] X``.

Shapes: C cameras, N points (any flattening of frames x keypoints), H hypotheses.
"""

from __future__ import annotations

import numpy as np

from mocaplab.camera import CameraSet


def normalized_observations(cameras: CameraSet, pixels: np.ndarray) -> np.ndarray:
    """Undistort pixels (C, ..., 2) of each camera to normalized coordinates (C, ..., 2).

    NaN stays NaN. Uses OpenCV's iterative method with tight criteria (accurate to the corners).
    """
    pixels = np.asarray(pixels, dtype=float)
    if pixels.shape[0] != len(cameras):
        raise ValueError(f"{pixels.shape[0]} views for {len(cameras)} cameras")
    return np.stack([cam.undistort_points(pixels[c]) for c, cam in enumerate(cameras)])


def extrinsics(cameras: CameraSet) -> np.ndarray:
    """(C, 3, 4) world -> camera matrices [R | t]."""
    return np.stack([cam.extrinsic_matrix for cam in cameras])


def focal_lengths(cameras: CameraSet) -> np.ndarray:
    """(C,) mean focal length of each camera in pixels (turns normalized errors into pixels)."""
    return np.array([0.5 * (cam.matrix[0, 0] + cam.matrix[1, 1]) for cam in cameras])


def dlt_rows(Rt: np.ndarray, xn: np.ndarray) -> np.ndarray:
    """The two DLT equations of every observation.

    Args:
        Rt: (C, 3, 4) extrinsic matrices.
        xn: (C, N, 2) normalized observations.

    Returns:
        (C, N, 2, 4) rows ``r`` with ``r . [X, 1] = z * (x - x_proj)`` where z is the depth of X
        in the camera: the algebraic residual is the normalized reprojection error times depth.
    """
    return xn[..., :, None] * Rt[:, None, 2:3, :] - Rt[:, None, :2, :]


def normal_matrices(rows: np.ndarray) -> np.ndarray:
    """(C, N, 4, 4) per-observation normal matrices ``sum_k r_k r_k^T`` (0 where NaN)."""
    rows = np.nan_to_num(rows, nan=0.0)
    return np.einsum("cnki,cnkj->cnij", rows, rows)


def solve_normal(M: np.ndarray) -> np.ndarray:
    """Points minimizing ``[X,1]^T M [X,1]`` for symmetric M (..., 4, 4): (..., 3), NaN if singular.

    Solves the 3x3 system ``M[:3,:3] X = -M[:3,3]`` in closed form (Cramer's rule, vectorised).
    """
    a = M[..., :3, :3]
    b = -M[..., :3, 3]
    c0 = np.cross(a[..., 1, :], a[..., 2, :])  # rows of the adjugate (a is symmetric)
    c1 = np.cross(a[..., 2, :], a[..., 0, :])
    c2 = np.cross(a[..., 0, :], a[..., 1, :])
    det = np.einsum("...i,...i->...", a[..., 0, :], c0)
    scale = np.einsum("...ii->...", a) ** 3
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.abs(det) > 1e-12 * np.abs(scale)
        inv_det = np.where(ok, 1.0 / np.where(ok, det, 1.0), np.nan)
        x = np.stack([np.einsum("...i,...i->...", c, b) for c in (c0, c1, c2)], axis=-1)
    return x * inv_det[..., None]


def depths(Rt: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Depth (camera z) of points X (..., N, 3) in every camera: (..., C, N)."""
    return np.einsum("cj,...nj->...cn", Rt[:, 2, :3], X) + Rt[:, 2, 3][:, None]


def reprojection_errors(Rt: np.ndarray, xn: np.ndarray, X: np.ndarray,
                        focal: np.ndarray) -> np.ndarray:
    """Pixel-scaled errors between normalized observations and reprojected points.

    Args:
        Rt: (C, 3, 4) extrinsics.
        xn: (C, N, 2) normalized observations.
        X: (..., N, 3) points (leading hypothesis axes allowed).
        focal: (C,) focal lengths in pixels.

    Returns:
        (..., C, N) errors in pixels of the undistorted image; NaN where the observation is
        missing, inf where the point is missing or not in front of the camera.
    """
    Xc = np.einsum("cij,...nj->...cni", Rt[:, :, :3], X) + Rt[:, None, :, 3]
    z = Xc[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        proj = Xc[..., :2] / z[..., None]
        err = np.linalg.norm(proj - xn, axis=-1) * focal[:, None]
    err = np.where(np.isfinite(z) & (z > 1e-6), err, np.inf)
    return np.where(np.isfinite(xn).all(-1), err, np.nan)


def weighted_solve(M: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Solve with per-observation weights: M (C, N, 4, 4), weights (..., C, N) -> (..., N, 3).

    The weights multiply each observation's squared residuals (so pass squared weights).
    """
    W = np.einsum("...cn,cnij->...nij", weights, M)
    return solve_normal(W)


def triangulate_weighted(Rt: np.ndarray, xn: np.ndarray, weights: np.ndarray,
                         focal: np.ndarray | None = None, iterations: int = 2,
                         M: np.ndarray | None = None) -> np.ndarray:
    """Confidence-weighted DLT of all points at once, refined by depth reweighting.

    Each observation's two equations are weighted by ``confidence * f / z``: the algebraic DLT
    residual ``z * (x - x_proj)`` then becomes the reprojection error in pixels, so after
    ``iterations`` reweighting steps (iterative linear least squares, Hartley & Sturm) the result
    is close to the maximum-likelihood point for pixel noise.

    Args:
        Rt: (C, 3, 4) world -> camera extrinsics.
        xn: (C, N, 2) normalized observations, NaN = not seen.
        weights: (C, N) confidences (0 = not used), or (..., C, N) for several view selections.
        focal: (C,) focal lengths in pixels (default all 1).
        iterations: depth reweighting steps after the first (unweighted by depth) solve.
        M: optional precomputed :func:`normal_matrices` of (Rt, xn).

    Returns:
        (..., N, 3) points; NaN where fewer than 2 usable views or the geometry is degenerate.
    """
    xn = np.asarray(xn, dtype=float)
    if M is None:
        M = normal_matrices(dlt_rows(Rt, xn))
    f = np.ones(len(Rt)) if focal is None else np.asarray(focal, dtype=float)
    w = np.where(np.isfinite(xn).all(-1), np.nan_to_num(weights, nan=0.0), 0.0)
    w2 = (w * f[:, None]) ** 2
    X = weighted_solve(M, w2)
    for _ in range(iterations):
        z = depths(Rt, X)
        with np.errstate(invalid="ignore", divide="ignore"):
            inv_z2 = np.where(z > 1e-6, 1.0 / z**2, 0.0)
        X_new = weighted_solve(M, w2 * inv_z2)
        X = np.where(np.isfinite(X_new), X_new, X)
    n_used = (w > 0).sum(axis=-2)
    return np.where((n_used >= 2)[..., None], X, np.nan)


def triangulate_points(cameras: CameraSet, pixels: np.ndarray,
                       confidence: np.ndarray | None = None, iterations: int = 2) -> np.ndarray:
    """Plain (non-robust) weighted DLT from distorted pixels.

    Args:
        cameras: the C calibrated cameras, in the order of ``pixels``.
        pixels: (C, ..., 2) distorted pixel observations, NaN = not seen.
        confidence: (C, ...) weights in [0, 1] (default 1 where seen).
        iterations: depth reweighting steps (0 = classic DLT in normalized coordinates).

    Returns:
        (..., 3) points in metres, NaN where fewer than 2 views.
    """
    pixels = np.asarray(pixels, dtype=float)
    shape = pixels.shape[1:-1]
    C = pixels.shape[0]
    xn = normalized_observations(cameras, pixels).reshape(C, -1, 2)
    w = (np.ones(xn.shape[:2]) if confidence is None
         else np.asarray(confidence, dtype=float).reshape(C, -1))
    X = triangulate_weighted(extrinsics(cameras), xn, w, focal_lengths(cameras), iterations)
    return X.reshape(shape + (3,))
