"""Vectorised, confidence-weighted linear triangulation (DLT) over any number of points.

All functions work on *normalized* image coordinates: distorted pixels mapped through the lens
model with OpenCV's iterative undistortion (as :meth:`mocaplab.camera.Camera.undistort_points`,
converged to 1e-3 px out to the image corners, see :func:`undistort_criteria`), so that the camera
is an ideal pinhole ``x = [R | t] X``.

Shapes: C cameras, N points (any flattening of frames x keypoints), H hypotheses.
"""

from __future__ import annotations

import dataclasses
import functools

import cv2
import numpy as np

from mocaplab.camera import UNDISTORT_CRITERIA, Camera, CameraSet
from mocaplab.errors import InputError


def normalized_observations(cameras: CameraSet, pixels: np.ndarray) -> np.ndarray:
    """Undistort pixels (C, ..., 2) of each camera to normalized coordinates (C, ..., 2).

    NaN stays NaN. Uses OpenCV's iterative method (``cv2.undistortPoints``, as
    :meth:`Camera.undistort_points`) with the iteration count that converges to 1e-3 px at the
    image corners of that camera (:func:`undistort_criteria`): as accurate as the tight
    criteria, without their per-iteration error check.
    """
    pixels = np.asarray(pixels, dtype=float)
    if pixels.shape[0] != len(cameras):
        raise InputError(f"{pixels.shape[0]} views of keypoints for {len(cameras)} cameras")
    out = np.full(pixels.shape, np.nan)
    for c, cam in enumerate(cameras):
        crit = undistort_criteria(cam)
        if cam.model != "pinhole":
            out[c] = cam.undistort_points(pixels[c], criteria=crit)
            continue
        flat = pixels[c].reshape(-1, 2)
        ok = ~np.isnan(flat).any(axis=1)
        src = flat if ok.all() else flat[ok]
        if len(src):
            und = cv2.undistortPoints(np.ascontiguousarray(src).reshape(-1, 1, 2), cam.matrix,
                                      cam.distortion, criteria=crit).reshape(-1, 2)
            dst = out[c].reshape(-1, 2)
            if ok.all():
                dst[:] = und
            else:
                dst[ok] = und
    return out


@functools.lru_cache(maxsize=256)
def undistort_criteria(cam: Camera, tolerance_px: float = 1e-3) -> tuple[int, int, float]:
    """OpenCV termination criteria for undistorting this camera's points to ``tolerance_px``.

    OpenCV's fixed-point iteration converges slowest at the largest radius, so the smallest
    iteration count (5 to 30) that matches the tight solution (:data:`UNDISTORT_CRITERIA`) at
    the image corners and edge centres is used (without the costly per-iteration error check).
    Falls back to the tight criteria.
    """
    if cam.model != "pinhole":
        return UNDISTORT_CRITERIA
    w, h = cam.size
    u = np.array([0.0, 0.5, 1.0]) * (w - 1)
    v = np.array([0.0, 0.5, 1.0]) * (h - 1)
    probe = np.stack(np.meshgrid(u, v), -1).reshape(-1, 2)
    ref = cam.undistort_points(probe)
    f = 0.5 * (cam.matrix[0, 0] + cam.matrix[1, 1])
    for n in (5, 6, 8, 10, 12, 15, 20, 30):
        crit = (cv2.TERM_CRITERIA_COUNT, n, 0.0)
        if np.nanmax(np.abs(cam.undistort_points(probe, criteria=crit) - ref)) * f < tolerance_px:
            return crit
    return UNDISTORT_CRITERIA


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


#: The entries of the symmetric 4x4 normal matrix that the solution needs, in packed order.
PACKED = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2), (0, 3), (1, 3), (2, 3))


@dataclasses.dataclass(frozen=True, eq=False)
class DLTSystem:
    """The DLT equations of N points seen by C cameras, ready for weighted solves.

    The normal matrix of one observation, ``r0 r0^T + r1 r1^T`` with the rows of
    :func:`dlt_rows`, is linear in the features ``[x^2 + y^2, x, y, 1]`` of its normalized
    coordinates, with coefficients that depend only on the camera. A weighted sum over cameras is
    therefore one small product: (9, 4C) coefficients x (4C, N) weighted features.

    Attributes:
        coef: (C, 9, 4) coefficients of the :data:`PACKED` normal-matrix entries per camera.
        feat: (C, 4, N) features, 0 where not seen.
    """

    coef: np.ndarray
    feat: np.ndarray

    @classmethod
    def build(cls, Rt: np.ndarray, xn: np.ndarray) -> DLTSystem:
        """From extrinsics (C, 3, 4) and normalized observations (C, N, 2)."""
        x, y = xn[..., 0], xn[..., 1]
        seen = ~(np.isnan(x) | np.isnan(y))
        feat = np.empty((x.shape[0], 4, x.shape[1]))
        feat[:, 1] = x
        feat[:, 2] = y
        feat[:, 3] = seen
        if not seen.all():
            np.copyto(feat[:, 1], 0.0, where=~seen)
            np.copyto(feat[:, 2], 0.0, where=~seen)
        feat[:, 0] = feat[:, 1] ** 2 + feat[:, 2] ** 2
        r0, r1, r2 = Rt[:, 0], Rt[:, 1], Rt[:, 2]
        coef = np.empty((len(Rt), len(PACKED), 4))
        for k, (i, j) in enumerate(PACKED):
            coef[:, k, 0] = r2[:, i] * r2[:, j]
            coef[:, k, 1] = -(r2[:, i] * r0[:, j] + r0[:, i] * r2[:, j])
            coef[:, k, 2] = -(r2[:, i] * r1[:, j] + r1[:, i] * r2[:, j])
            coef[:, k, 3] = r0[:, i] * r0[:, j] + r1[:, i] * r1[:, j]
        return cls(coef, feat)

    def per_observation(self, w2: np.ndarray | None = None) -> np.ndarray:
        """(C, 9, N) packed normal matrix of every observation, times ``w2`` (C, N) if given."""
        f = self.feat if w2 is None else self.feat * w2[:, None, :]
        return np.einsum("ckj,cjn->ckn", self.coef, f)

    def solve(self, w2: np.ndarray) -> np.ndarray:
        """Points for squared weights ``w2`` (..., C, N): (..., N, 3)."""
        C, _, N = self.feat.shape
        coef2d = self.coef.transpose(1, 0, 2).reshape(len(PACKED), 4 * C)
        lead = w2.shape[:-2]
        wf = (self.feat * w2.reshape((-1, C, 1, N))).reshape(-1, 4 * C, N)
        # einsum, not BLAS: small products, and no thread contention on a busy machine
        W = np.einsum("kq,bqn->bkn", coef2d, wf)  # (B, 9, N)
        return solve_normal(np.moveaxis(W, 1, 0).reshape((len(PACKED),) + lead + (N,)))

    def take(self, idx: np.ndarray) -> DLTSystem:
        """The system of a subset of the points."""
        return DLTSystem(self.coef, self.feat[..., idx])


def normal_matrices(Rt: np.ndarray, xn: np.ndarray) -> np.ndarray:
    """Per-observation normal matrices ``sum_k r_k r_k^T`` of the DLT rows, packed (9, C, N)."""
    return np.moveaxis(DLTSystem.build(Rt, xn).per_observation(), 1, 0)


def unpack(m: np.ndarray) -> np.ndarray:
    """(9, ...) packed normal equations -> (..., 4, 4) symmetric matrices (entry [3, 3] = 0)."""
    M = np.zeros(m.shape[1:] + (4, 4))
    for k, (i, j) in enumerate(PACKED):
        M[..., i, j] = M[..., j, i] = m[k]
    return M


def pack(M: np.ndarray) -> np.ndarray:
    """(..., 4, 4) symmetric matrices -> (9, ...) packed entries."""
    return np.stack([M[..., i, j] for i, j in PACKED])


def solve_normal(m: np.ndarray) -> np.ndarray:
    """Points minimizing ``[X,1]^T M [X,1]``: packed (9, ...) -> (..., 3), NaN if singular.

    Solves the 3x3 system ``M[:3,:3] X = -M[:3,3]`` in closed form (Cramer's rule, vectorised).
    """
    a00, a01, a02, a11, a12, a22 = m[0], m[1], m[2], m[3], m[4], m[5]
    b0, b1, b2 = -m[6], -m[7], -m[8]
    # adjugate of the symmetric matrix
    c00 = a11 * a22 - a12 * a12
    c01 = a02 * a12 - a01 * a22
    c02 = a01 * a12 - a02 * a11
    c11 = a00 * a22 - a02 * a02
    c12 = a01 * a02 - a00 * a12
    c22 = a00 * a11 - a01 * a01
    det = a00 * c00 + a01 * c01 + a02 * c02
    trace = a00 + a11 + a22
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ok = np.abs(det) > 1e-12 * np.abs(trace) ** 3
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), np.nan)
        x0 = (c00 * b0 + c01 * b1 + c02 * b2) * inv
        x1 = (c01 * b0 + c11 * b1 + c12 * b2) * inv
        x2 = (c02 * b0 + c12 * b1 + c22 * b2) * inv
    return np.stack([x0, x1, x2], axis=-1)


def depths(Rt: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Depth (camera z) of points X (..., N, 3) in every camera: (..., C, N)."""
    X = X[..., None, :, :]
    r = Rt[:, 2]
    return (r[:, 0, None] * X[..., 0] + r[:, 1, None] * X[..., 1] + r[:, 2, None] * X[..., 2]
            + r[:, 3, None])


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
    X = X[..., None, :, :]  # (..., 1, N, 3)
    x0, x1, x2 = X[..., 0], X[..., 1], X[..., 2]

    def row(k: int) -> np.ndarray:
        r = Rt[:, k]
        return r[:, 0, None] * x0 + r[:, 1, None] * x1 + r[:, 2, None] * x2 + r[:, 3, None]

    u, v, z = row(0), row(1), row(2)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv_z = np.where(z > 1e-6, 1.0 / z, np.inf)
        du = u * inv_z - xn[..., 0]
        dv = v * inv_z - xn[..., 1]
        err = np.sqrt(du * du + dv * dv) * focal[:, None]
    err = np.where(np.isnan(err) & np.isfinite(xn[..., 0]), np.inf, err)
    return np.where(np.isfinite(xn[..., 0]), err, np.nan)


def triangulate_weighted(Rt: np.ndarray, xn: np.ndarray, weights: np.ndarray,
                         focal: np.ndarray | None = None, iterations: int = 1,
                         system: DLTSystem | None = None) -> np.ndarray:
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
        system: optional precomputed :class:`DLTSystem` of (Rt, xn).

    Returns:
        (..., N, 3) points; NaN where fewer than 2 usable views or the geometry is degenerate.
    """
    xn = np.asarray(xn, dtype=float)
    if system is None:
        system = DLTSystem.build(Rt, xn)
    f = np.ones(len(Rt)) if focal is None else np.asarray(focal, dtype=float)
    w = np.where(system.feat[:, 3] > 0, np.nan_to_num(weights, nan=0.0), 0.0)
    w2 = (w * f[:, None]) ** 2
    X = system.solve(w2)
    for _ in range(iterations):
        z = depths(Rt, X)
        with np.errstate(invalid="ignore", divide="ignore"):
            inv_z2 = np.where(z > 1e-6, 1.0 / z**2, 0.0)
        X_new = system.solve(w2 * inv_z2)
        X = np.where(np.isfinite(X_new), X_new, X)
    n_used = (w > 0).sum(axis=-2)
    return np.where((n_used >= 2)[..., None], X, np.nan)


def triangulate_points(cameras: CameraSet, pixels: np.ndarray,
                       confidence: np.ndarray | None = None, iterations: int = 1) -> np.ndarray:
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
