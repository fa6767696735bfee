"""The arrays passed between stages: 2D keypoints per view and 3D points, with their npz files.

Shapes and units follow CONVENTIONS.md:

- :class:`Keypoints2D`: ``points`` (C, F, K, 2) distorted-image pixels, NaN = not seen;
  ``confidence`` (C, F, K) in [0, 1], 0 where NaN.
- :class:`Points3D`: ``points`` (F, K, 3) metres in the lab frame, NaN = not reconstructed;
  ``reprojection_error`` (F, K) px; ``n_views`` (F, K) int.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from mocaplab.atomic import save_npz
from mocaplab.errors import InputError


@dataclasses.dataclass(frozen=True, eq=False)
class Keypoints2D:
    """2D keypoints of every camera (contents of ``keypoints2d.npz``)."""

    points: np.ndarray
    confidence: np.ndarray
    cameras: tuple[str, ...]
    keypoints: tuple[str, ...]
    fps: float
    timestamps: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", np.asarray(self.points, dtype=float))
        object.__setattr__(self, "confidence", np.asarray(self.confidence, dtype=float))
        object.__setattr__(self, "cameras", tuple(str(c) for c in self.cameras))
        object.__setattr__(self, "keypoints", tuple(str(k) for k in self.keypoints))
        object.__setattr__(self, "fps", float(self.fps))
        self.validate()

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, F, K)."""
        return self.points.shape[:3]  # type: ignore[return-value]

    def validate(self) -> None:
        p, c = self.points, self.confidence
        if p.ndim != 4 or p.shape[-1] != 2:
            raise InputError(f"2D keypoints must be (C, F, K, 2), got {p.shape}")
        if c.shape != p.shape[:3]:
            raise InputError(f"confidence must be (C, F, K) = {p.shape[:3]}, got {c.shape}")
        if len(self.cameras) != p.shape[0]:
            raise InputError(f"{len(self.cameras)} camera names for {p.shape[0]} cameras")
        if len(self.keypoints) != p.shape[2]:
            raise InputError(f"{len(self.keypoints)} keypoint names for {p.shape[2]} keypoints")
        if not self.fps > 0:
            raise InputError(f"fps must be positive, got {self.fps}")
        finite_c = c[np.isfinite(c)]
        if finite_c.size and (finite_c.min() < 0 or finite_c.max() > 1):
            raise InputError("confidence must lie in [0, 1]")
        if self.timestamps is not None and np.shape(self.timestamps) != p.shape[:2]:
            raise InputError(f"timestamps must be (C, F) = {p.shape[:2]}, "
                             f"got {np.shape(self.timestamps)}")

    def save(self, path: str | os.PathLike, overwrite: bool = True) -> Path:
        conf = np.where(np.isfinite(self.points).all(-1), self.confidence, 0.0)
        arrays = dict(points=self.points, confidence=conf, cameras=np.array(self.cameras),
                      keypoints=np.array(self.keypoints), fps=np.float64(self.fps))
        if self.timestamps is not None:
            arrays["timestamps"] = np.asarray(self.timestamps, dtype=float)
        return save_npz(path, overwrite=overwrite, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Keypoints2D:
        with _open_npz(path, ("points", "confidence", "cameras", "keypoints", "fps")) as z:
            return cls(points=z["points"], confidence=z["confidence"],
                       cameras=tuple(z["cameras"].tolist()),
                       keypoints=tuple(z["keypoints"].tolist()), fps=float(z["fps"]),
                       timestamps=z["timestamps"] if "timestamps" in z.files else None)


@dataclasses.dataclass(frozen=True, eq=False)
class Points3D:
    """3D points of a trial (contents of ``points3d.npz``)."""

    points: np.ndarray
    keypoints: tuple[str, ...]
    fps: float
    reprojection_error: np.ndarray | None = None
    n_views: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", np.asarray(self.points, dtype=float))
        object.__setattr__(self, "keypoints", tuple(str(k) for k in self.keypoints))
        object.__setattr__(self, "fps", float(self.fps))
        F, K = self.points.shape[:2] if self.points.ndim == 3 else (0, 0)
        if self.reprojection_error is None:
            object.__setattr__(self, "reprojection_error", np.full((F, K), np.nan))
        if self.n_views is None:
            object.__setattr__(self, "n_views", np.zeros((F, K), dtype=int))
        self.validate()

    def validate(self) -> None:
        p = self.points
        if p.ndim != 3 or p.shape[-1] != 3:
            raise InputError(f"3D points must be (F, K, 3), got {p.shape}")
        if len(self.keypoints) != p.shape[1]:
            raise InputError(f"{len(self.keypoints)} keypoint names for {p.shape[1]} keypoints")
        if not self.fps > 0:
            raise InputError(f"fps must be positive, got {self.fps}")
        for name in ("reprojection_error", "n_views"):
            if np.shape(getattr(self, name)) != p.shape[:2]:
                raise InputError(f"{name} must be (F, K) = {p.shape[:2]}")

    def keypoint(self, name: str) -> np.ndarray:
        """(F, 3) trajectory of one keypoint."""
        try:
            return self.points[:, self.keypoints.index(name)]
        except ValueError:
            raise InputError(f"no keypoint {name!r} in these 3D points") from None

    def save(self, path: str | os.PathLike, overwrite: bool = True,
             **extra: np.ndarray) -> Path:
        """Write ``points3d.npz``; ``extra``: optional arrays a stage adds beside the contract's
        (triangulation's person and camera record, see mocaplab.triangulation.persons3d)."""
        return save_npz(path, overwrite=overwrite, **extra, points=self.points,
                        keypoints=np.array(self.keypoints), fps=np.float64(self.fps),
                        reprojection_error=np.asarray(self.reprojection_error, dtype=float),
                        n_views=np.asarray(self.n_views, dtype=int))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Points3D:
        with _open_npz(path, ("points", "keypoints", "fps")) as z:
            return cls(points=z["points"], keypoints=tuple(z["keypoints"].tolist()),
                       fps=float(z["fps"]),
                       reprojection_error=z["reprojection_error"]
                       if "reprojection_error" in z.files else None,
                       n_views=z["n_views"] if "n_views" in z.files else None)


#: what reading a damaged .npz raises (a truncated zip, a bad deflate stream, a missing array)
NPZ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


class _open_npz:
    """Open an npz with clear errors for a missing file, a corrupt file or missing arrays.

    Arrays are read lazily, inside the ``with`` block: a damaged member found there (a truncated
    file, a bad checksum, an array of the wrong shape or type) also becomes an InputError that
    names the file.
    """

    def __init__(self, path: str | os.PathLike, required: tuple[str, ...]):
        self.path = Path(path)
        self.required = required

    def __enter__(self):
        if not self.path.is_file():
            raise InputError(f"{self.path} does not exist")
        try:
            self.z = np.load(self.path, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise InputError(f"{self.path} is not a readable .npz file ({exc}); it may be "
                             "truncated: run the stage that writes it again") from None
        if not hasattr(self.z, "files"):
            raise InputError(f"{self.path} holds a single array, not the arrays of an .npz file")
        missing = [k for k in self.required if k not in self.z.files]
        if missing:
            self.z.close()
            raise InputError(f"{self.path} lacks arrays {missing}")
        return self.z

    def __exit__(self, exc_type, exc, tb):
        self.z.close()
        if exc is None or isinstance(exc, KeyboardInterrupt | SystemExit):
            return False
        if isinstance(exc, InputError):
            if str(self.path) in str(exc):
                return False
            raise InputError(f"{self.path}: {exc}") from None
        if isinstance(exc, OSError | ValueError | EOFError | TypeError | KeyError | IndexError
                      | zipfile.BadZipFile | zlib.error):
            raise InputError(f"{self.path} is damaged ({type(exc).__name__}: {exc}); run the "
                             "stage that writes it again") from None
        return False
