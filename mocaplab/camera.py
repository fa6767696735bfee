"""The camera model shared by every stage: OpenCV pinhole (5 distortion coefficients) or fisheye.

Conventions (CONVENTIONS.md): extrinsics map world to camera, ``x_cam = R @ x_world + t``; lengths
in metres; pixel coordinates refer to the distorted image with pixel centres at integer
coordinates (OpenCV's convention).

A :class:`CameraSet` reads and writes the aniposelib-compatible calibration TOML: one table per
camera (``name``, ``size`` [w, h], ``matrix``, ``distortions``, ``rotation`` Rodrigues,
``translation``) and an optional ``[metadata]`` table.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import tomli_w

from mocaplab.atomic import atomic_path
from mocaplab.errors import InputError
from mocaplab.reading import read_toml

CameraModel = Literal["pinhole", "fisheye"]

#: Termination criteria for iterative undistortion: accurate out to the image corners even with
#: strong distortion (OpenCV's default of 5 iterations is not).
UNDISTORT_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-10)

#: Camera centres further than this from the origin mean a file is in millimetres (no gait lab
#: is 100 m across).
_MILLIMETRE_THRESHOLD_M = 100.0


#: image sides a real camera has, pixels (smaller or larger: a broken calibration file)
IMAGE_SIDE_RANGE_PX = (16, 32768)


def camera_problem(cam: Camera) -> str:
    """What makes ``cam`` unusable ("" if nothing): non-finite numbers, a singular or
    non-upper-triangular intrinsic matrix, a focal length that is not positive, an implausible
    image size, a principal point far outside the image."""
    for field in ("matrix", "distortion", "rvec", "tvec"):
        if not np.isfinite(getattr(cam, field)).all():
            return f"the {field} holds NaN or infinite values ({getattr(cam, field).tolist()})"
    K = cam.matrix
    if not (K[0, 0] > 0 and K[1, 1] > 0):
        return f"the focal lengths fx={K[0, 0]:g}, fy={K[1, 1]:g} px must be positive"
    if abs(K[1, 0]) > 1e-9 or abs(K[2, 0]) > 1e-9 or abs(K[2, 1]) > 1e-9 \
            or abs(K[2, 2] - 1.0) > 1e-6:
        return f"the matrix is not an intrinsic matrix [[fx, s, cx], [0, fy, cy], [0, 0, 1]]: " \
               f"{K.tolist()}"
    if abs(np.linalg.det(K)) < 1e-9 or np.linalg.cond(K) > 1e12:
        return f"the matrix is not invertible: {K.tolist()}"
    lo, hi = IMAGE_SIDE_RANGE_PX
    w, h = cam.size
    if not (lo <= w <= hi and lo <= h <= hi):
        return f"image size {w} x {h} px is not plausible (each side {lo}..{hi} px)"
    if not (-w <= K[0, 2] <= 2 * w and -h <= K[1, 2] <= 2 * h):
        return f"the principal point ({K[0, 2]:g}, {K[1, 2]:g}) px lies far outside the " \
               f"{w} x {h} image"
    return ""


@dataclasses.dataclass(frozen=True, eq=False)
class Camera:
    """One calibrated camera.

    Attributes:
        name: camera name, as in video file names and the calibration TOML.
        size: image (width, height) in pixels.
        matrix: (3, 3) intrinsic matrix K in pixels.
        distortion: (5,) OpenCV coefficients k1 k2 p1 p2 k3 (pinhole) or (4,) k1..k4 (fisheye).
        rvec: (3,) Rodrigues rotation world -> camera, radians.
        tvec: (3,) translation world -> camera, metres.
        model: "pinhole" or "fisheye".
    """

    name: str
    size: tuple[int, int]
    matrix: np.ndarray
    distortion: np.ndarray
    rvec: np.ndarray
    tvec: np.ndarray
    model: CameraModel = "pinhole"

    def __post_init__(self) -> None:
        matrix = np.asarray(self.matrix, dtype=float).reshape(3, 3)
        n_dist = 4 if self.model == "fisheye" else 5
        dist = np.zeros(n_dist)
        given = np.asarray(self.distortion, dtype=float).ravel()
        if given.size > n_dist:
            raise InputError(f"camera {self.name}: {given.size} distortion coefficients, "
                             f"the {self.model} model takes {n_dist}")
        dist[: given.size] = given
        for field, value in (("matrix", matrix), ("distortion", dist),
                             ("rvec", np.asarray(self.rvec, dtype=float).reshape(3)),
                             ("tvec", np.asarray(self.tvec, dtype=float).reshape(3))):
            value = value.copy()
            value.setflags(write=False)
            object.__setattr__(self, field, value)
        object.__setattr__(self, "size", (int(self.size[0]), int(self.size[1])))
        if self.model not in ("pinhole", "fisheye"):
            raise InputError(f"camera {self.name}: unknown model {self.model!r}")
        problem = camera_problem(self)
        if problem:
            raise InputError(f"camera {self.name}: {problem}")

    # --- geometry -----------------------------------------------------------------------------
    @property
    def rotation(self) -> np.ndarray:
        """(3, 3) rotation matrix world -> camera."""
        return cv2.Rodrigues(self.rvec)[0]

    @property
    def center(self) -> np.ndarray:
        """(3,) camera centre in the world frame, metres."""
        return -self.rotation.T @ self.tvec

    @property
    def projection_matrix(self) -> np.ndarray:
        """(3, 4) matrix K [R | t] of the undistorted pinhole camera."""
        return self.matrix @ np.hstack([self.rotation, self.tvec[:, None]])

    @property
    def extrinsic_matrix(self) -> np.ndarray:
        """(3, 4) matrix [R | t] mapping world to camera coordinates."""
        return np.hstack([self.rotation, self.tvec[:, None]])

    def world_to_camera(self, points: np.ndarray) -> np.ndarray:
        """Map world points (..., 3) to camera coordinates (..., 3), metres."""
        points = np.asarray(points, dtype=float)
        return points @ self.rotation.T + self.tvec

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project world points (..., 3) metres to distorted pixel coordinates (..., 2).

        NaN input and points at or behind the camera plane give NaN.
        """
        cam = self.world_to_camera(points)
        z = cam[..., 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            xn = cam[..., :2] / np.where(z > 1e-9, z, np.nan)[..., None]
        return self.distort_normalized(xn)

    def distort_normalized(self, xn: np.ndarray) -> np.ndarray:
        """Map ideal normalized coordinates (..., 2) to distorted pixel coordinates (..., 2)."""
        xn = np.asarray(xn, dtype=float)
        x, y = xn[..., 0], xn[..., 1]
        if self.model == "fisheye":
            k1, k2, k3, k4 = self.distortion
            r = np.hypot(x, y)
            theta = np.arctan(r)
            theta_d = theta * (1 + k1 * theta**2 + k2 * theta**4 + k3 * theta**6 + k4 * theta**8)
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = np.where(r > 1e-12, theta_d / r, 1.0)
            xd, yd = x * scale, y * scale
        else:
            k1, k2, p1, p2, k3 = self.distortion
            r2 = x * x + y * y
            radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
            xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
            yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        K = self.matrix
        u = K[0, 0] * xd + K[0, 1] * yd + K[0, 2]
        v = K[1, 1] * yd + K[1, 2]
        return np.stack([u, v], axis=-1)

    def undistort_points(self, pixels: np.ndarray, criteria=UNDISTORT_CRITERIA) -> np.ndarray:
        """Map distorted pixel coordinates (..., 2) to ideal normalized coordinates (..., 2).

        Uses OpenCV's iterative inversion with tight convergence criteria so that points near the
        image border are accurate under strong distortion. NaN stays NaN.
        """
        pixels = np.asarray(pixels, dtype=float)
        shape = pixels.shape
        flat = pixels.reshape(-1, 2)
        out = np.full_like(flat, np.nan)
        ok = np.isfinite(flat).all(axis=1)
        if ok.any():
            src = flat[ok].reshape(-1, 1, 2)
            if self.model == "fisheye":
                und = cv2.fisheye.undistortPoints(src, self.matrix, self.distortion,
                                                  criteria=criteria)
            else:
                und = cv2.undistortPoints(src, self.matrix, self.distortion, criteria=criteria)
            out[ok] = und.reshape(-1, 2)
        return out.reshape(shape)

    def undistort_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Map distorted pixels (..., 2) to the pixels of the same camera without distortion."""
        xn = self.undistort_points(pixels)
        K = self.matrix
        u = K[0, 0] * xn[..., 0] + K[0, 1] * xn[..., 1] + K[0, 2]
        v = K[1, 1] * xn[..., 1] + K[1, 2]
        return np.stack([u, v], axis=-1)

    def rays(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World rays through distorted pixels (..., 2): origin (3,), unit directions (..., 3)."""
        xn = self.undistort_points(pixels)
        d_cam = np.concatenate([xn, np.ones(xn.shape[:-1] + (1,))], axis=-1)
        d_world = d_cam @ self.rotation
        d_world /= np.linalg.norm(d_world, axis=-1, keepdims=True)
        return self.center, d_world

    def replace(self, **changes: Any) -> Camera:
        """A copy with some attributes changed (the camera itself is immutable)."""
        return dataclasses.replace(self, **changes)

    def scaled(self, factor: float) -> Camera:
        """The same camera in a world whose lengths are multiplied by ``factor``."""
        return self.replace(tvec=self.tvec * factor)

    # --- aniposelib dictionary ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The camera as an aniposelib TOML table (metres)."""
        d: dict[str, Any] = {
            "name": self.name,
            "size": [int(self.size[0]), int(self.size[1])],
            "matrix": self.matrix.tolist(),
            "distortions": self.distortion.tolist(),
            "rotation": self.rvec.tolist(),
            "translation": self.tvec.tolist(),
        }
        if self.model == "fisheye":
            d["fisheye"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], scale: float = 1.0) -> Camera:
        """Build a camera from an aniposelib TOML table; translation is multiplied by ``scale``."""
        try:
            return cls(
                name=str(d["name"]),
                size=tuple(d["size"]),
                matrix=np.asarray(d["matrix"], dtype=float),
                distortion=np.asarray(d.get("distortions", [0.0] * 5), dtype=float),
                rvec=np.asarray(d["rotation"], dtype=float).reshape(-1),
                tvec=np.asarray(d["translation"], dtype=float).reshape(-1) * scale,
                model="fisheye" if d.get("fisheye") else "pinhole",
            )
        except KeyError as exc:
            raise InputError(f"calibration entry {d.get('name', '?')!r} lacks {exc.args[0]!r}") \
                from None
        except InputError:
            raise
        except (ValueError, TypeError) as exc:
            raise InputError(f"calibration entry {d.get('name', '?')!r} is malformed: {exc}") \
                from None


@dataclasses.dataclass(frozen=True, eq=False)
class CameraSet:
    """An ordered set of calibrated cameras sharing one world (lab) frame.

    Attributes:
        cameras: the cameras, in file order.
        metadata: free-form calibration metadata (board, errors, floor alignment, date...).
    """

    cameras: tuple[Camera, ...]
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cameras", tuple(self.cameras))
        names = self.names
        if len(set(names)) != len(names):
            raise InputError(f"duplicate camera names in calibration: {names}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.cameras]

    def __len__(self) -> int:
        return len(self.cameras)

    def __iter__(self) -> Iterator[Camera]:
        return iter(self.cameras)

    def __getitem__(self, key: int | str) -> Camera:
        if isinstance(key, str):
            for cam in self.cameras:
                if cam.name == key:
                    return cam
            raise KeyError(f"no camera named {key!r}; cameras are {self.names}")
        return self.cameras[key]

    def subset(self, names: Sequence[str]) -> CameraSet:
        """The cameras named, in the order given (e.g. the order of a keypoints file)."""
        missing = [n for n in names if n not in self.names]
        if missing:
            raise InputError(f"calibration has no camera {missing}; it has {self.names}")
        return CameraSet(tuple(self[n] for n in names), dict(self.metadata))

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project world points (..., 3) into every camera: (C, ..., 2) pixels, NaN if behind."""
        return np.stack([cam.project(points) for cam in self.cameras])

    def projection_matrices(self) -> np.ndarray:
        """(C, 3, 4) undistorted projection matrices K [R | t]."""
        return np.stack([cam.projection_matrix for cam in self.cameras])

    # --- TOML ---------------------------------------------------------------------------------
    def to_toml_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f"cam_{i}": cam.to_dict() for i, cam in enumerate(self.cameras)}
        if self.metadata:
            out["metadata"] = _toml_safe(self.metadata)
        return out

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the aniposelib-compatible TOML atomically; replace a file only if asked."""
        data = tomli_w.dumps(self.to_toml_dict())
        with atomic_path(path, overwrite) as tmp:
            tmp.write_text(data, encoding="utf-8")
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike,
             units: Literal["auto", "m", "mm"] = "auto") -> CameraSet:
        """Read an aniposelib-compatible calibration TOML.

        Args:
            path: the TOML file.
            units: translation units in the file. "auto" detects millimetre files (as written by
                anipose for boards measured in mm) from the camera distances and converts them to
                metres; the conversion is recorded in ``metadata["converted_from"]``.
        """
        path = Path(path)
        data = read_toml(path, "calibration file")
        metadata = dict(data.get("metadata", {}))
        tables = [(k, v) for k, v in data.items()
                  if k != "metadata" and isinstance(v, dict) and "matrix" in v]
        if not tables:
            raise InputError(f"calibration file {path} has no camera tables "
                             "(expected [cam_0] ... with name, size, matrix, ...)")
        tables.sort(key=lambda kv: _natural_key(kv[0]))
        try:
            cams = [Camera.from_dict(v) for _, v in tables]
        except InputError as exc:
            raise InputError(f"calibration file {path}: {exc} (calibrate this camera again or "
                             "fix the file)") from None
        file_units = metadata.get("units", units if units != "auto" else None)
        if file_units is None:
            file_units = detect_units(cams)
        if file_units == "mm":
            cams = [c.scaled(1e-3) for c in cams]
            metadata["converted_from"] = "mm"
        elif file_units != "m":
            raise InputError(f"calibration file {path}: unknown units {file_units!r}")
        metadata.pop("units", None)
        return cls(tuple(cams), metadata)


def detect_units(cameras: Sequence[Camera]) -> Literal["m", "mm"]:
    """Guess whether camera translations are in metres or millimetres from camera distances."""
    dist = np.median([np.linalg.norm(c.center) for c in cameras])
    return "mm" if dist > _MILLIMETRE_THRESHOLD_M else "m"


def look_at(camera_position: np.ndarray, target: np.ndarray,
            up: np.ndarray = (0.0, 0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """Extrinsics (rvec, tvec) of a camera at ``camera_position`` looking at ``target``.

    The image x axis points right and y down (OpenCV), with ``up`` appearing upwards in the image.
    """
    c = np.asarray(camera_position, dtype=float)
    z = np.asarray(target, dtype=float) - c
    z /= np.linalg.norm(z)
    x = np.cross(z, np.asarray(up, dtype=float))
    if np.linalg.norm(x) < 1e-9:
        raise InputError("look_at: viewing direction is parallel to up")
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    rvec = cv2.Rodrigues(R)[0].ravel()
    return rvec, -R @ c


def _natural_key(s: str) -> list[Any]:
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def _toml_safe(obj: Any) -> Any:
    """TOML cannot store None or NumPy types: convert (None becomes the string "none")."""
    if isinstance(obj, dict):
        return {str(k): _toml_safe(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_toml_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _toml_safe(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and math.isnan(obj):
        return "nan"
    if isinstance(obj, Path):
        return str(obj)
    return obj
