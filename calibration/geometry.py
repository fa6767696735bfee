"""Small vectorised geometry helpers: batched Rodrigues, rigid transforms, batched projection."""

from __future__ import annotations

import numpy as np


def rodrigues(rvecs: np.ndarray) -> np.ndarray:
    """Rotation vectors (..., 3) radians -> rotation matrices (..., 3, 3)."""
    r = np.asarray(rvecs, float)
    theta = np.linalg.norm(r, axis=-1)
    small = theta < 1e-8
    safe = np.where(small, 1.0, theta)
    # sin(t)/t and (1 - cos(t))/t^2, with their limits for tiny angles
    a = np.where(small, 1.0 - theta**2 / 6, np.sin(safe) / safe)[..., None, None]
    b = np.where(small, 0.5 - theta**2 / 24, (1 - np.cos(safe)) / safe**2)[..., None, None]
    zero = np.zeros_like(r[..., 0])
    K = np.stack([np.stack([zero, -r[..., 2], r[..., 1]], -1),
                  np.stack([r[..., 2], zero, -r[..., 0]], -1),
                  np.stack([-r[..., 1], r[..., 0], zero], -1)], -2)
    return np.eye(3) + a * K + b * (K @ K)


def rotation_vector(R: np.ndarray) -> np.ndarray:
    """Rotation matrix (3, 3) -> rotation vector (3,), radians."""
    import cv2

    return cv2.Rodrigues(np.asarray(R, float))[0].ravel()


def invert(R: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of the rigid transform x -> R x + t."""
    return R.T, -R.T @ t


def compose(R1: np.ndarray, t1: np.ndarray, R2: np.ndarray, t2: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """(R1, t1) o (R2, t2): x -> R1 (R2 x + t2) + t1."""
    return R1 @ R2, R1 @ t2 + t1


def rotation_angle_deg(R1: np.ndarray, R2: np.ndarray) -> float:
    """Angle of R1 R2^T in degrees."""
    c = (np.trace(R1 @ R2.T) - 1) / 2
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def distort(xn: np.ndarray, k: np.ndarray) -> np.ndarray:
    """OpenCV 5-coefficient distortion of normalized points, batched.

    Args:
        xn: (M, 2) ideal normalized coordinates.
        k: (M, 5) or (5,) coefficients k1 k2 p1 p2 k3.
    Returns:
        (M, 2) distorted normalized coordinates.
    """
    k = np.broadcast_to(k, (len(xn), 5))
    x, y = xn[:, 0], xn[:, 1]
    r2 = x * x + y * y
    radial = 1 + r2 * (k[:, 0] + r2 * (k[:, 1] + r2 * k[:, 4]))
    xd = x * radial + 2 * k[:, 2] * x * y + k[:, 3] * (r2 + 2 * x * x)
    yd = y * radial + k[:, 2] * (r2 + 2 * y * y) + 2 * k[:, 3] * x * y
    return np.stack([xd, yd], -1)


def distort_fisheye(xn: np.ndarray, k: np.ndarray) -> np.ndarray:
    """OpenCV fisheye (equidistant) distortion of normalized points; k (M, 4) or (4,)."""
    k = np.broadcast_to(k, (len(xn), 4))
    r = np.hypot(xn[:, 0], xn[:, 1])
    th = np.arctan(r)
    th2 = th * th
    thd = th * (1 + th2 * (k[:, 0] + th2 * (k[:, 1] + th2 * (k[:, 2] + th2 * k[:, 3]))))
    scale = np.where(r > 1e-12, thd / np.where(r > 1e-12, r, 1.0), 1.0)
    return xn * scale[:, None]
