"""Virtual cameras with known intrinsics, distortion and poses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mocaplab.camera import Camera, CameraSet, look_at

#: Distortion presets (k1, k2, p1, p2, k3).
DISTORTION_NONE = (0.0, 0.0, 0.0, 0.0, 0.0)
DISTORTION_MILD = (-0.08, 0.02, 0.0005, -0.0003, 0.0)
DISTORTION_STRONG = (-0.32, 0.12, 0.001, -0.0008, -0.02)


def make_camera(name: str, position: Sequence[float], target: Sequence[float],
                image_size: tuple[int, int] = (1280, 720), focal_px: float = 1000.0,
                distortion: Sequence[float] = DISTORTION_MILD,
                principal_offset: tuple[float, float] = (0.0, 0.0),
                aspect: float = 1.0) -> Camera:
    """One pinhole camera at ``position`` (m) looking at ``target`` (m), Z up."""
    w, h = image_size
    K = np.array([[focal_px, 0.0, (w - 1) / 2 + principal_offset[0]],
                  [0.0, focal_px * aspect, (h - 1) / 2 + principal_offset[1]],
                  [0.0, 0.0, 1.0]])
    rvec, tvec = look_at(np.asarray(position, float), np.asarray(target, float))
    return Camera(name, (w, h), K, np.asarray(distortion, float), rvec, tvec)


def camera_ring(n_cameras: int = 4, radius: float = 4.0, height: float = 1.6,
                target: Sequence[float] = (0.0, 0.0, 0.9), image_size=(1280, 720),
                focal_px: float = 1000.0, distortion: Sequence[float] = DISTORTION_MILD,
                principal_offsets: Sequence[tuple[float, float]] | None = None,
                focal_jitter: float = 0.0, seed: int = 0) -> CameraSet:
    """``n_cameras`` evenly spaced on a circle around ``target``, all looking at it.

    Args:
        principal_offsets: per-camera principal point offsets from the image centre (px).
        focal_jitter: relative random spread of focal lengths between cameras.
    """
    rng = np.random.default_rng(seed)
    cams = []
    for i in range(n_cameras):
        a = 2 * np.pi * i / n_cameras + np.pi / n_cameras
        pos = (radius * np.cos(a), radius * np.sin(a), height + 0.2 * ((i % 2) - 0.5))
        off = principal_offsets[i] if principal_offsets is not None else (0.0, 0.0)
        f = focal_px * (1 + focal_jitter * rng.uniform(-1, 1))
        cams.append(make_camera(f"cam{i}", pos, target, image_size, f, distortion, off))
    return CameraSet(tuple(cams))


def walkway_cameras(n_cameras: int = 4, walkway_length: float = 6.0, distance: float = 3.5,
                    height: float = 1.5, image_size=(1280, 720), focal_px: float = 900.0,
                    distortion: Sequence[float] = DISTORTION_MILD) -> CameraSet:
    """Cameras on both sides and the ends of a walkway along X (centred on the origin).

    Half the cameras stand on each side, spread along the walkway and angled towards its centre
    line, as in a gait lab; with 6 or more cameras two of them look along the walkway from its
    ends.
    """
    cams: list[Camera] = []
    n_ends = 2 if n_cameras >= 6 else 0
    n_sides = n_cameras - n_ends
    xs = np.linspace(-walkway_length / 3, walkway_length / 3, max(1, (n_sides + 1) // 2))
    i = 0
    for side in (1, -1):
        for x in xs:
            if i >= n_sides:
                break
            pos = (x, side * distance, height)
            target = (x * 0.4, 0.0, 0.9)
            cams.append(make_camera(f"cam{i}", pos, target, image_size, focal_px, distortion))
            i += 1
    for end in (1, -1)[:n_ends]:
        pos = (end * (walkway_length / 2 + 2.5), 0.8 * end, height + 0.3)
        cams.append(make_camera(f"cam{i}", pos, (0.0, 0.0, 0.9), image_size, focal_px,
                                distortion))
        i += 1
    return CameraSet(tuple(cams))
