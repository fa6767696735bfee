"""Intrinsics calibrated once, extrinsics each session: lenses taken from a calibration file.

A lab calibrates each camera's lens once (many board views over the whole image) and then only
re-solves the camera poses in each session. :func:`given_lenses` picks each camera's lens
(matrix, distortion, image size, fisheye flag) from any calibration the importers read, by
camera name, and checks it against the session's recordings; :func:`given_intrinsics_result`
scores those lenses on the session's board views so that the report can show how well they fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from mocaplab.board import BoardSpec
from mocaplab.calibration.detect import CameraDetections
from mocaplab.calibration.intrinsics import IntrinsicsResult
from mocaplab.camera import Camera
from mocaplab.errors import InputError

#: ``IntrinsicsResult.lens_model`` of a lens taken from a file.
GIVEN = "given"


def given_lenses(source: Sequence[Camera], names: Sequence[str],
                 sizes: Sequence[tuple[int, int]], origin: str = "the intrinsics file"
                 ) -> list[Camera]:
    """Each session camera's lens from ``source``, by name, with identity extrinsics.

    Args:
        source: cameras carrying the lenses (their poses are ignored).
        names: (C,) the session's camera names.
        sizes: (C,) the session's image sizes (width, height) in pixels.
        origin: how to name ``source`` in error messages (e.g. its file name).

    Returns:
        (C,) cameras in the order of ``names``: name, size, matrix, distortion and model from
        ``source``; rotation and translation zero.

    Raises:
        InputError: a camera missing from ``source`` (naming it and the names available), an
            image size differing from the recording's (naming both), or lens models mixed
            (pinhole and fisheye cannot share one bundle adjustment).
    """
    by_name = {c.name: c for c in source}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise InputError(f"camera(s) {missing} not found in {origin}; it holds cameras "
                         f"{sorted(by_name)} (name the videos after them, or give a file with "
                         "these cameras)")
    out = []
    for name, size in zip(names, sizes, strict=True):
        cam = by_name[name]
        if tuple(int(s) for s in cam.size) != tuple(int(s) for s in size):
            raise InputError(f"camera {name}: the image size in {origin} is "
                             f"{cam.size[0]} x {cam.size[1]} px but its recording is "
                             f"{size[0]} x {size[1]} px; the lens was calibrated at another "
                             "resolution (record at the same resolution or recalibrate it)")
        out.append(cam.replace(rvec=np.zeros(3), tvec=np.zeros(3)))
    models = {c.model for c in out}
    if len(models) > 1:
        raise InputError(f"{origin} mixes lens models {sorted(models)}; the cameras of one "
                         "calibration must all be pinhole or all fisheye")
    return out


def given_intrinsics_result(cam: Camera, det: CameraDetections, board: BoardSpec,
                            refine: bool = False) -> IntrinsicsResult:
    """An :class:`IntrinsicsResult` for a given lens: per-view PnP fit on the session's views.

    Args:
        cam: the given lens (identity extrinsics).
        det: the camera's detections in this session.
        board: the board.
        refine: whether the bundle adjustment may refine the lens (``free`` all True) or must
            hold it fixed (``free`` all False).

    ``rms`` is the RMS (px) of the per-view PnP residuals with the lens held fixed: how well
    the given lens fits this session's views (large when it is the wrong lens).
    """
    from mocaplab.calibration.extrinsics import board_poses

    poses = board_poses(cam, det, board)
    ok = np.isfinite(poses.rms)
    if not ok.any():
        raise InputError(f"camera {det.name}: no board view could be fitted with the given "
                         "lens; check that the intrinsics file belongs to this camera")
    rvecs = np.full((det.n_views, 3), np.nan)
    tvecs = np.where(ok[:, None], poses.t, np.nan)
    for v in np.flatnonzero(ok):
        rvecs[v] = cv2.Rodrigues(poses.R[v])[0].ravel()
    n_corners = np.isfinite(det.corners[:, :, 0]).sum(1)
    rms = float(np.sqrt(np.sum(poses.rms[ok] ** 2 * n_corners[ok]) / n_corners[ok].sum()))
    n_int = 8 if cam.model == "fisheye" else 9
    return IntrinsicsResult(cam, rms, ok, np.where(ok, poses.rms, np.nan), rvecs, tvecs,
                            GIVEN, np.full(n_int, bool(refine)))
