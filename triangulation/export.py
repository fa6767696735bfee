"""Exports of 3D points to TRC (OpenSim) and C3D (Mokka, Vicon, OpenSim) via mocaplab.marker_io."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mocaplab.errors import InputError
from mocaplab.pose_data import Points3D

EXPORT_FORMATS = ("trc", "c3d")

#: Lab frame (Z up) -> OpenSim's Y-up frame: (x, y, z) -> (x, z, -y), a proper rotation.
Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def parse_formats(text: str | Sequence[str]) -> list[str]:
    """'trc,c3d' -> ['trc', 'c3d'], with a clear error for unknown formats."""
    items = text.split(",") if isinstance(text, str) else list(text)
    fmts = [s.strip().lower().lstrip(".") for s in items if s.strip()]
    bad = [f for f in fmts if f not in EXPORT_FORMATS]
    if bad:
        raise InputError(f"unknown export format(s) {bad}; choose from {list(EXPORT_FORMATS)}")
    return list(dict.fromkeys(fmts))


def export_points(points: Points3D, path: str | os.PathLike, fmt: str | None = None, *,
                  y_up: bool = False, opensim_names: bool = False,
                  overwrite: bool = True) -> Path:
    """Write 3D points to a TRC or C3D file (format from ``fmt`` or the file's extension).

    Points are in metres in the lab frame (Z up); TRC is written in metres, C3D in millimetres
    (as Mokka and Vicon expect). ``y_up`` rotates to OpenSim's Y-up frame first (x, z, -y).
    NaN samples are written as gaps (``NaN`` in TRC, C3D residual -1). ``opensim_names``
    renames mediapipe33 keypoints to Pose2Sim's BlazePose marker set (OpenSim IK).
    """
    from mocaplab import marker_io

    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"cannot export to {path.name}: choose a .trc or .c3d file")
    xyz = points.points @ Z_UP_TO_Y_UP.T if y_up else points.points
    labels = list(points.keypoints)
    if opensim_names:
        from mocaplab.keypoint_sets import to_opensim_names

        xyz, labels = to_opensim_names(xyz, labels)
    if fmt == "trc":
        return marker_io.write_trc(path, xyz, labels, points.fps, overwrite=overwrite)
    return marker_io.write_c3d(path, xyz, labels, points.fps, overwrite=overwrite)


def export_all(points: Points3D, stem: str | os.PathLike, formats: Sequence[str], *,
               y_up: bool = False, overwrite: bool = True) -> list[Path]:
    """Export to every format in ``formats`` as ``stem.<fmt>``; returns the files written."""
    stem = Path(stem)
    return [export_points(points, stem.with_suffix(f".{fmt}"), fmt, y_up=y_up,
                          overwrite=overwrite) for fmt in parse_formats(formats)]
