"""Load what `mocaplab analyze` accepts: a trial folder, points3d.npz, a C3D or a TRC file."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.errors import InputError
from mocaplab.trial import Trial


@dataclasses.dataclass(frozen=True, eq=False)
class AnalysisInput:
    """Points (F, M, 3) metres with labels, rate and frame numbering, plus what came along.

    ``reference_events``: events stored in the file (C3D), as (side, type, time_s, frame).
    ``model_outputs``: e.g. Vicon's ``LPelvisAngles`` (F, 3) degrees, for comparison.
    ``warnings``: what the reader assumed or ignored (guessed units, ragged rows...).
    ``capture``: for a points3d.npz written by triangulation, its person/camera record
    (:func:`mocaplab.triangulation.persons3d.read_record`: the subject, the others tracked,
    per-camera health, warnings), else None.
    """

    points: np.ndarray
    labels: tuple[str, ...]
    fps: float
    first_frame: int
    source: str
    source_kind: str          # "trial", "points3d", "c3d", "trc"
    reference_events: tuple = ()
    model_outputs: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    capture: Mapping[str, Any] | None = None
    force_plates: tuple = ()  # mocaplab.marker_io.ForcePlate of a C3D (gait events reference)


def load_input(path: str | os.PathLike) -> AnalysisInput:
    """Read a trial folder (its points3d.npz), a points3d .npz, a .c3d or a .trc file."""
    path = Path(path)
    if path.is_dir():
        npz = Trial(path).points3d_path
        if not npz.is_file():
            raise InputError(f"{path} has no points3d.npz; run 'mocaplab triangulate {path}' "
                             "first, or pass a .c3d/.trc/.npz file")
        return dataclasses.replace(_load_npz(npz), source_kind="trial")
    if not path.exists():
        raise InputError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _load_npz(path)
    if suffix in (".c3d", ".trc"):
        from mocaplab.marker_io import read_c3d, read_trc

        mt = read_c3d(path) if suffix == ".c3d" else read_trc(path)
        events = tuple((e.side, e.type, e.time_s, e.frame) for e in mt.events)
        plates = ()
        if suffix == ".c3d":
            from mocaplab.marker_io import read_force_plates

            plates = tuple(read_force_plates(path))
        return AnalysisInput(mt.points, tuple(mt.labels), mt.fps, mt.first_frame, str(path),
                             suffix[1:], events, dict(mt.model_outputs), mt.warnings,
                             force_plates=plates)
    raise InputError(f"{path}: unsupported input (expected a trial folder, points3d.npz, .c3d "
                     "or .trc)")


def _load_npz(path: Path) -> AnalysisInput:
    from mocaplab.pose_data import Points3D
    from mocaplab.triangulation.persons3d import read_record

    p = Points3D.load(path)
    record = read_record(path)
    warnings = tuple(f"triangulation: {w}" for w in (record or {}).get("warnings", []))
    return AnalysisInput(p.points, p.keypoints, p.fps, 1, str(path), "points3d",
                         warnings=warnings, capture=record)
