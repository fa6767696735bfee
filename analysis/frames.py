"""Rotation helpers: orthonormal frames from two directions and the Plug-in Gait Cardan angles.

All rotations are (..., 3, 3) matrices whose columns are the segment axes expressed in the lab
(or reference) frame. Angles in degrees at the interface.
"""

from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` (..., 3) scaled to unit length along the last axis (NaN where its length is 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def frame_from_xy(x_approx: np.ndarray, y_approx: np.ndarray, primary: str = "y") -> np.ndarray:
    """Right-handed frames (..., 3, 3) (columns x, y, z) from approximate x and y directions.

    ``primary`` is kept exactly ("y": y is exact, x is made orthogonal to it, as Plug-in Gait
    builds the pelvis; "x": x is exact).
    """
    if primary == "y":
        y = unit(y_approx)
        z = unit(np.cross(x_approx, y))
        x = np.cross(y, z)
    else:
        x = unit(x_approx)
        z = unit(np.cross(x, y_approx))
        y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


def frame_from_zx(z_approx: np.ndarray, x_approx: np.ndarray) -> np.ndarray:
    """Right-handed frames (..., 3, 3) with z exact and x in the plane of z and ``x_approx``."""
    z = unit(z_approx)
    y = unit(np.cross(z, x_approx))
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=-1)


def relative(ref: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Orientation of ``seg`` expressed in ``ref``: ref^T seg, (..., 3, 3)."""
    return np.einsum("...ji,...jk->...ik", ref, seg)


def cardan_yxz(rot: np.ndarray) -> np.ndarray:
    """Intrinsic Y-X'-Z'' Cardan angles (..., 3) in degrees: [about y, about x', about z''].

    This is the Plug-in Gait order (tilt/flexion about the lateral axis first, then
    obliquity/lateral flexion, then rotation). NaN where the rotation is NaN.
    """
    r = np.asarray(rot, dtype=float)
    # R = Ry(a) Rx(b) Rz(c):  R[1,2] = -sin b ; R[0,2] = sin a cos b ; R[2,2] = cos a cos b
    #                          R[1,0] = cos b sin c ; R[1,1] = cos b cos c
    b = np.arcsin(np.clip(-r[..., 1, 2], -1.0, 1.0))
    a = np.arctan2(r[..., 0, 2], r[..., 2, 2])
    c = np.arctan2(r[..., 1, 0], r[..., 1, 1])
    return np.degrees(np.stack([a, b, c], axis=-1))
