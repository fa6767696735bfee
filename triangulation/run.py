"""From ``keypoints2d.npz`` and a calibration to ``points3d.npz``: the pipeline stage."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.camera import CameraSet
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.keypoint_sets import KeypointSet, identify_keypoint_set
from mocaplab.pose_data import Keypoints2D, Points3D
from mocaplab.trial import Trial
from mocaplab.triangulation.filtering import FilterOptions, filter_points
from mocaplab.triangulation.robust import RobustOptions, RobustResult, triangulate_robust

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, eq=False)
class TriangulationReport:
    """What one triangulation did (for logs and the CLI summary)."""

    n_frames: int
    n_keypoints: int
    cameras: tuple[str, ...]
    threshold_px: float
    completeness_raw: float
    completeness_final: float
    median_reprojection_error_px: float
    views_dropped: int
    swaps_fixed: int
    filled: int

    def summary(self) -> str:
        return (f"{self.n_frames} frames x {self.n_keypoints} keypoints from "
                f"{len(self.cameras)} cameras: {100 * self.completeness_raw:.1f} % triangulated, "
                f"{100 * self.completeness_final:.1f} % after gap filling; median reprojection "
                f"error {self.median_reprojection_error_px:.2f} px (outlier threshold "
                f"{self.threshold_px:.1f} px); {self.views_dropped} views dropped, "
                f"{self.swaps_fixed} left/right swaps fixed")


def load_cameras(path: str | os.PathLike) -> CameraSet:
    """Read a calibration with mocaplab.calibration.load_calibration (any format it knows)."""
    try:
        from mocaplab.calibration import load_calibration
    except ImportError:  # calibration stage not installed
        return CameraSet.load(path)
    return load_calibration(path)


def match_cameras(cameras: CameraSet, names: Sequence[str],
                  camera_map: dict[str, str] | None = None) -> CameraSet:
    """The calibrated cameras in the order of ``names`` (e.g. a keypoints file's cameras),
    renamed to them.

    Names pair by :func:`mocaplab.camera_names.pair_camera_names` (explicit ``camera_map``,
    then equal names, then loose names only when that pairs them all); otherwise
    :class:`~mocaplab.camera_names.CameraNameError` lists every unmatched name.
    """
    from mocaplab.camera_names import pair_camera_names

    names = list(names)
    pairs = pair_camera_names(names, cameras.names, camera_map)
    sub = cameras.subset([pairs[n] for n in names])
    return CameraSet(tuple(c.replace(name=n) for c, n in zip(sub, names, strict=True)),
                     sub.metadata)


def keypoint_set_for(names: Sequence[str]) -> KeypointSet:
    """The known keypoint set with these names, else an ad-hoc one (mirrors by name, no bones)."""
    return identify_keypoint_set(names) or KeypointSet("custom", tuple(names))


def real_fps(keypoints: Keypoints2D) -> float:
    """The frame rate measured from the keypoints' timestamps (median frame interval over all
    cameras) when they have them, else the nominal ``fps``."""
    ts = keypoints.timestamps
    if ts is None or np.shape(ts)[1] < 3:
        return keypoints.fps
    dt = np.diff(np.asarray(ts, dtype=float), axis=1)
    dt = dt[np.isfinite(dt) & (dt > 0)]
    if not dt.size:
        return keypoints.fps
    fps = float(1.0 / np.median(dt))
    if abs(fps - keypoints.fps) > 0.01 * keypoints.fps:
        log.warning("frame rate from timestamps %.3f Hz differs from the nominal %.3f Hz; "
                    "filtering at %.3f Hz", fps, keypoints.fps, fps)
    return fps


def triangulate_keypoints(keypoints: Keypoints2D, cameras: CameraSet,
                          robust: RobustOptions | None = None,
                          filtering: FilterOptions | None = None,
                          keypoint_set: KeypointSet | None = None,
                          ) -> tuple[Points3D, RobustResult, TriangulationReport]:
    """Robust triangulation, then (if ``filtering``) gap filling and low-pass at the real fps.

    The frame rate is measured from the keypoints' timestamps when present (:func:`real_fps`),
    else the nominal ``keypoints.fps``; the saved points carry it.

    Returns:
        (points to save, the raw robust result, a report). In the saved points,
        ``reprojection_error`` and ``n_views`` describe the triangulation; gap-filled samples
        have ``n_views`` 0 and a NaN error.
    """
    cams = match_cameras(cameras, keypoints.cameras)
    kset = keypoint_set or keypoint_set_for(keypoints.keypoints)
    if len(kset) != len(keypoints.keypoints):
        raise InputError(f"keypoint set {kset.name} has {len(kset)} keypoints, the keypoints "
                         f"file {len(keypoints.keypoints)}")
    res = triangulate_robust(cams, keypoints.points, keypoints.confidence, kset.mirror, robust)
    pts = res.points
    fps = real_fps(keypoints)
    filled = np.zeros(pts.shape[:2], dtype=bool)
    if filtering is not None:
        edges = kset.edge_indices if kset.edges else None
        pts, filled = filter_points(res.points, fps, filtering, edges)
    out = Points3D(pts, keypoints.keypoints, fps, res.reprojection_error, res.n_views)
    seen = np.isfinite(keypoints.points).all(-1) & (keypoints.confidence > 0)
    err = res.reprojection_error[np.isfinite(res.reprojection_error)]
    report = TriangulationReport(
        n_frames=pts.shape[0], n_keypoints=pts.shape[1], cameras=tuple(cams.names),
        threshold_px=res.threshold_px,
        completeness_raw=float(np.isfinite(res.points).all(-1).mean()) if pts.size else 0.0,
        completeness_final=float(np.isfinite(pts).all(-1).mean()) if pts.size else 0.0,
        median_reprojection_error_px=float(np.median(err)) if err.size else float("nan"),
        views_dropped=int((seen & ~res.inliers).sum()), swaps_fixed=int(res.swapped.sum() // 2),
        filled=int(filled.sum()))
    return out, res, report


def triangulate_trial(trial: Trial | str | os.PathLike,
                      calibration: CameraSet | str | os.PathLike | None = None,
                      filter: bool = True, cutoff_hz: float = 6.0, *,
                      keypoints: str | os.PathLike | None = None,
                      out: str | os.PathLike | None = None,
                      min_views: int = 2, threshold_px: float | None = None,
                      max_gap_s: float = 0.1, bone_lengths: bool = False,
                      fix_swaps: bool = True, export: Sequence[str] | str = (),
                      trc_y_up: bool = False, force: bool = False, **robust_options: Any) -> Path:
    """Triangulate a trial folder's ``keypoints2d.npz`` into its ``points3d.npz``.

    Args:
        trial: the trial folder (or a :class:`Trial`).
        calibration: a CameraSet or a calibration file; default the trial's (``meta.json`` or
            ``calibration.toml``). Cameras are matched to the keypoints' cameras by name.
        filter: gap filling + zero-phase Butterworth low-pass at the trial's fps.
        cutoff_hz: low-pass cutoff, Hz.
        keypoints: 2D keypoints file (default ``TRIAL/keypoints2d.npz``).
        out: output file (default ``TRIAL/points3d.npz``).
        min_views: fewest inlier views for a point.
        threshold_px: outlier threshold in pixels (default automatic).
        max_gap_s: longest gap filled, seconds.
        bone_lengths: also keep bone lengths constant (known keypoint sets only).
        fix_swaps: detect and fix left/right swaps.
        export: formats to export beside ``out`` ("trc", "c3d"), e.g. ``points3d.trc``.
        trc_y_up: write the TRC in OpenSim's Y-up frame instead of the lab's Z-up frame.
        force: replace an existing output.
        **robust_options: other :class:`RobustOptions` fields.

    Returns:
        The path of the written ``points3d.npz``.
    """
    from mocaplab.triangulation.export import export_points, parse_formats

    trial = trial if isinstance(trial, Trial) else Trial(trial)
    kp_path = Path(keypoints) if keypoints is not None else trial.keypoints2d_path
    out_path = Path(out) if out is not None else trial.points3d_path
    formats = parse_formats(export) if export else []
    if out_path.exists() and not force:
        raise OutputExistsError(f"{out_path} already exists; pass --force (force=True) to "
                                "triangulate again")
    if calibration is None:
        calibration = trial.calibration_path
        if calibration is None:
            raise InputError(f"{trial.path} names no calibration: pass --calibration CAL.toml, "
                             "or put calibration.toml in the trial folder")
    cams = calibration if isinstance(calibration, CameraSet) else load_cameras(calibration)
    if not kp_path.is_file():
        raise InputError(f"{kp_path} does not exist: run 'mocaplab detect' on the trial first, "
                         "or pass --keypoints")
    kp = Keypoints2D.load(kp_path)
    robust = RobustOptions(min_views=min_views, threshold_px=threshold_px, fix_swaps=fix_swaps,
                           **robust_options)
    filt = FilterOptions(cutoff_hz=cutoff_hz, max_gap_s=max_gap_s,
                         bone_lengths=bone_lengths) if filter else None
    points, _, report = triangulate_keypoints(kp, cams, robust, filt)
    points.save(out_path, overwrite=True)
    log.info("%s", report.summary())
    for fmt in formats:
        export_points(points, out_path.with_suffix(f".{fmt}"), fmt,
                      y_up=trc_y_up and fmt == "trc", overwrite=True)
    return out_path
