"""The calibration pipeline: detections -> intrinsics -> initial poses -> bundle adjustment ->
floor alignment -> CameraSet with metadata and a quality report.

:func:`calibrate` is the public entry point for the rest of mocaplab (videos or image folders in,
calibration file and report out); :func:`calibrate_detections` runs the maths on detections
already made (used by tests and the evaluation).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab import __version__
from mocaplab.atomic import check_writable
from mocaplab.board import BoardSpec
from mocaplab.calibration.bundle import BundleResult, bundle_adjust, collect_observations
from mocaplab.calibration.detect import CameraDetections, detect_all
from mocaplab.calibration.extrinsics import (
    ViewPoses,
    board_poses,
    initial_board_poses,
    initial_extrinsics,
)
from mocaplab.calibration.floor import (
    FloorPose,
    estimate_floor_board,
    floor_from_frames,
    lab_transform,
    transform_cameras,
)
from mocaplab.calibration.frames import FrameSource, check_same_length
from mocaplab.calibration.intrinsics import IntrinsicsResult, calibrate_intrinsics
from mocaplab.calibration.refine import Refinement, refine_jointly
from mocaplab.camera import Camera, CameraModel, CameraSet
from mocaplab.errors import InputError

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, eq=False)
class Calibration:
    """Everything a calibration run produced.

    Attributes:
        cameras: the calibrated cameras (lab frame if floor-aligned, else the reference
            camera's frame).
        detections: the board detections per camera (list in camera order).
        intrinsics: per-camera intrinsic fits (before bundle adjustment).
        bundle: the bundle adjustment (residuals, observations, board poses; in the frame
            before floor alignment).
        floor: the floor board pose, or None when not floor-aligned.
        board: the board.
        refinement: the joint refinement (lens models grown, outlier views), or None when the
            intrinsics were not refined with it (given lenses, initial cameras).
    """

    cameras: CameraSet
    detections: list[CameraDetections]
    intrinsics: list[IntrinsicsResult]
    bundle: BundleResult
    floor: FloorPose | None
    board: BoardSpec
    refinement: Refinement | None = None


def calibrate_detections(detections: Sequence[CameraDetections], board: BoardSpec,
                         model: CameraModel = "pinhole", refine_intrinsics: bool = True,
                         max_intrinsic_views: int = 40, max_ba_frames: int = 600,
                         floor_detections: Sequence[CameraDetections] | None = None,
                         floor_frames: Sequence[int] | None = None,
                         initial_cameras: Sequence[Camera] | None = None,
                         lens_model: str = "auto",
                         given_lenses: Sequence[Camera] | None = None,
                         refine_given: bool = False,
                         lenses_origin: str | None = None,
                         grow_lenses: bool = True,
                         check_distances: Sequence[tuple[str, str, float]] = ()
                         ) -> Calibration:
    """Calibrate from board detections (one entry per camera, frames synchronised).

    Args:
        detections: per-camera detections.
        board: the board.
        model: "pinhole" or "fisheye".
        refine_intrinsics: refine every camera's K and distortion in the bundle adjustment.
        max_intrinsic_views: views per camera entering the intrinsic fit.
        max_ba_frames: at most this many frames (board poses) in the bundle adjustment; frames
            seen by several cameras are kept first.
        floor_detections: detections of a separate recording with the board on the floor.
        floor_frames: frames of the main recording in which the board lies on the floor
            (all used; frames that disagree with the others are refused).
        initial_cameras: start from these cameras instead of estimating intrinsics and initial
            poses (used to compute the accuracy limit in the evaluation).
        lens_model: "auto" (per camera by cross-validation), "full", "no_k3", "principal"
            or "basic" (see :mod:`mocaplab.calibration.intrinsics`).
        given_lenses: (C,) lenses calibrated beforehand, in the order of ``detections`` (see
            :func:`mocaplab.calibration.lenses.given_lenses`): no intrinsic estimation, and
            the lenses are held fixed in the bundle adjustment unless ``refine_given``.
        refine_given: with ``given_lenses``, refine them jointly in the bundle adjustment
            (every parameter free; needs ``refine_intrinsics``).
        lenses_origin: where ``given_lenses`` came from (recorded in the metadata).
        grow_lenses: let the joint refinement free the principal point, p1 p2 and k3 of a
            camera where the information criterion supports it
            (:mod:`mocaplab.calibration.refine`); only with ``lens_model="auto"``.
        check_distances: (camera a, camera b, metres) distances measured in the lab; each is
            compared with the calibration (``metadata["scale_checks"]``, see
            :func:`scale_checks`).
    """
    dets = list(detections)
    if given_lenses is not None and initial_cameras is None:
        from mocaplab.calibration.lenses import given_intrinsics_result

        lenses = list(given_lenses)
        if [c.name for c in lenses] != [d.name for d in dets]:
            raise InputError(f"given lenses {[c.name for c in lenses]} do not match the "
                             f"cameras {[d.name for d in dets]} (same names, same order)")
        refine_given = refine_given and refine_intrinsics
        intr = [given_intrinsics_result(c, d, board, refine_given)
                for c, d in zip(lenses, dets, strict=True)]
        poses = [board_poses(c, d, board) for c, d in zip(lenses, dets, strict=True)]
        cams = initial_extrinsics(lenses, dets, poses)
        refine_intrinsics = refine_given
    elif initial_cameras is None:
        intr = [calibrate_intrinsics(d, board, model, max_intrinsic_views,
                                     lens_model=lens_model) for d in dets]
        cams0 = [r.camera for r in intr]
        poses = [board_poses(c, d, board) for c, d in zip(cams0, dets, strict=True)]
        cams = initial_extrinsics(cams0, dets, poses)
    else:
        intr = []
        cams = list(initial_cameras)
        poses = [board_poses(c, d, board) for c, d in zip(cams, dets, strict=True)]
    fixed = int(np.argmin([np.linalg.norm(c.rvec) + np.linalg.norm(c.tvec) for c in cams]))
    frames = _choose_frames(dets, poses, refine_intrinsics, max_ba_frames)
    if floor_frames is not None:
        frames = np.union1d(frames, np.asarray(floor_frames, int))
    view_ok = [np.isfinite(p.rms) for p in poses]
    bR, bt = initial_board_poses(cams, dets, poses, frames)
    obs = collect_observations(dets, frames, view_ok)
    free = np.stack([r.free for r in intr]) if intr else None
    refinement = None
    if refine_intrinsics and free is not None and given_lenses is None:
        refinement = refine_jointly(cams, obs, board, bR, bt, free, fixed,
                                    grow=grow_lenses and lens_model == "auto")
        ba = refinement.bundle
    else:
        ba = bundle_adjust(cams, obs, board, bR, bt, refine_intrinsics=refine_intrinsics,
                           fixed_camera=fixed, free_intrinsics=free, with_std=True)
    cams = ba.cameras
    floor = None
    if floor_detections is not None:
        floor = estimate_floor_board(cams, list(floor_detections), board)
    elif floor_frames is not None:
        floor = _floor_from_frames(ba, dets, board, floor_frames)
    if floor is not None:
        A, b = lab_transform(floor, cams)
        cams = transform_cameras(cams, A, b)
    metadata = _metadata(board, ba, floor, dets, refinement, intr)
    if check_distances:
        metadata["scale_checks"] = scale_checks(cams, board, check_distances)
    if given_lenses is not None and initial_cameras is None:
        metadata["intrinsics_from"] = {
            "source": lenses_origin or "given lenses",
            "cameras": [d.name for d in dets],
            "refined_in_bundle_adjustment": bool(refine_intrinsics),
        }
    return Calibration(CameraSet(tuple(cams), metadata), dets, intr, ba, floor, board,
                       refinement)


def _choose_frames(dets: list[CameraDetections], poses: list[ViewPoses],
                   include_single: bool, max_frames: int) -> np.ndarray:
    count: dict[int, int] = {}
    for det, ps in zip(dets, poses, strict=True):
        for v, f in enumerate(det.frames):
            if np.isfinite(ps.rms[v]):
                count[int(f)] = count.get(int(f), 0) + 1
    multi = np.array(sorted(f for f, n in count.items() if n >= 2), int)
    single = np.array(sorted(f for f, n in count.items() if n == 1), int)
    if len(multi) == 0:
        raise InputError("no frame shows the board to two cameras at once, so the cameras "
                         "cannot be related; move the board through the overlap of the views")
    if len(multi) > max_frames:
        multi = multi[np.linspace(0, len(multi) - 1, max_frames).astype(int)]
    if not include_single or len(single) == 0:
        return multi
    room = max(0, max_frames - len(multi))
    if len(single) > room:
        single = single[np.linspace(0, len(single) - 1, room).astype(int)] if room else single[:0]
    return np.union1d(multi, single)


def _floor_from_frames(ba: BundleResult, dets: list[CameraDetections], board: BoardSpec,
                       floor_frames: Sequence[int]) -> FloorPose:
    pos = {int(f): k for k, f in enumerate(ba.observations.frames)}
    listed = [int(f) for f in floor_frames]
    fitted = [f for f in listed if f in pos]
    if not fitted:
        raise InputError(f"none of the floor frames {listed} has the board seen by the "
                         "calibrated cameras")
    ks = [pos[f] for f in fitted]
    return floor_from_frames(ba.cameras, dets, board, fitted, ba.board_R[ks], ba.board_t[ks])


def per_camera_errors(ba: BundleResult, n_cameras: int) -> tuple[np.ndarray, np.ndarray]:
    """(C,) RMS reprojection error (px) and (C,) number of board frames used, per camera."""
    err = np.linalg.norm(ba.residuals, axis=1)
    rms = np.full(n_cameras, np.nan)
    views = np.zeros(n_cameras, int)
    o = ba.observations
    for c in range(n_cameras):
        m = o.cam == c
        if m.any():
            rms[c] = float(np.sqrt(np.mean(err[m] ** 2)))
            views[c] = len(np.unique(o.board[m]))
    return rms, views


#: A measured distance and the calibration's may differ by this fraction (tape accuracy and
#: the calibration's own scale uncertainty; a board printed "fit to page" is 3-6 % off).
SCALE_TOLERANCE = 0.02


def check_camera_names(checks: Sequence[tuple[str, str, float]], names: Sequence[str]) -> None:
    """Refuse scale checks naming cameras that are not calibrated (before any detection)."""
    for a, b, _ in checks:
        unknown = [n for n in (a, b) if n not in names]
        if unknown:
            raise InputError(f"--check-distance names camera(s) {unknown}; the cameras are "
                             f"{list(names)}")


def scale_checks(cams: Sequence[Camera], board: BoardSpec,
                 checks: Sequence[tuple[str, str, float]]) -> list[dict[str, Any]]:
    """Each measured camera-to-camera distance against the calibration.

    Returns one dict per check: cameras, measured_m, calibrated_m, error_pct, ok (within
    :data:`SCALE_TOLERANCE`), and implied_square_length_m: the square length that would make
    the calibration agree with the measurement (the scale of a calibration is the board's).
    """
    by_name = {c.name: c for c in cams}
    out = []
    for a, b, measured in checks:
        calc = float(np.linalg.norm(by_name[a].center - by_name[b].center))
        err = calc / measured - 1
        out.append({"cameras": [a, b], "measured_m": float(measured), "calibrated_m": calc,
                    "error_pct": 100 * err, "ok": abs(err) <= SCALE_TOLERANCE,
                    "implied_square_length_m": board.square_length * measured / calc})
    return out


def _metadata(board: BoardSpec, ba: BundleResult, floor: FloorPose | None,
              dets: list[CameraDetections], refinement: Refinement | None = None,
              intr: Sequence[IntrinsicsResult] = ()) -> dict[str, Any]:
    rms, views = per_camera_errors(ba, len(dets))
    return {
        **_lens_metadata(ba, dets, refinement, intr),
        "software": f"mocaplab {__version__}",
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "board": dataclasses.asdict(board),
        "reprojection_rms_px": float(ba.rms),
        "camera_rms_px": {d.name: float(r) for d, r in zip(dets, rms, strict=True)},
        "camera_views": {d.name: int(v) for d, v in zip(dets, views, strict=True)},
        "n_observations": int(ba.observations.n),
        "n_outliers": int(ba.n_outliers),
        "floor_aligned": floor is not None,
        **({"floor_frames": list(floor.frames), "floor_frames_refused":
            list(floor.refused_frames)} if floor is not None and floor.frames else {}),
    }


def _lens_metadata(ba: BundleResult, dets: list[CameraDetections],
                   refinement: Refinement | None, intr: Sequence[IntrinsicsResult]
                   ) -> dict[str, Any]:
    """Per camera: the lens parameters estimated, those held fixed (not determined by the
    data), their standard deviations, the cross-validation scores and outlier views."""
    if ba.free_intrinsics is None:
        return {}
    from mocaplab.calibration.refine import FISHEYE_NAMES, PINHOLE_NAMES

    lenses = {}
    for c, d in enumerate(dets):
        names = FISHEYE_NAMES if ba.free_intrinsics.shape[1] == 8 else PINHOLE_NAMES
        free = ba.free_intrinsics[c]
        std = ba.intrinsic_std[c] if ba.intrinsic_std is not None else np.full(len(names),
                                                                                np.nan)
        entry: dict[str, Any] = {
            "estimated": [n for n, f in zip(names, free, strict=True) if f],
            "held_fixed": [n for n, f in zip(names, free, strict=True) if not f],
            "std": {n: float(v) for n, v, f in zip(names, std, free, strict=True)
                    if f and np.isfinite(v)},
        }
        if intr and intr[c].lens_model != "given":
            entry["lens_model"] = intr[c].lens_model
            entry["chosen_by"] = ("cross-validation" if intr[c].cv_rms else
                                  f"few views ({int(intr[c].used.sum())})" if
                                  intr[c].few_views else "option")
            entry["cv_rms_px"] = {k: round(v, 4) for k, v in intr[c].cv_rms.items()}
        if refinement is not None:
            entry["freed_in_bundle_adjustment"] = refinement.grown[c]
            entry["outlier_views"] = [f for cc, f in refinement.rejected_views if cc == c]
        lenses[d.name] = entry
    return {"lenses": lenses}


def calibrate(sources: Mapping[str, str | os.PathLike], board: BoardSpec | str | os.PathLike,
              out: str | os.PathLike | None = None, *, floor: Mapping[str, str | os.PathLike]
              | None = None, floor_frames: Sequence[int] | None = None,
              model: CameraModel = "pinhole", refine_intrinsics: bool = True,
              max_frames: int | None = 300, report: bool = True, force: bool = False,
              workers: int | None = None, show_progress: bool = True,
              lens_model: str = "auto", intrinsics: str | os.PathLike | Sequence[Camera]
              | None = None, refine_given: bool = False,
              check_distances: Sequence[tuple[str, str, float]] = ()) -> Calibration:
    """Calibrate cameras from board recordings; optionally write the TOML and the report.

    Args:
        sources: camera name -> video file or image folder (synchronised recordings).
        board: the board, or the path of a board TOML (mocaplab, anipose or caliscope format).
        out: calibration TOML to write (atomically; refused if it exists unless ``force``).
            The report is written beside it as ``<stem>_report.json`` and ``.png``.
        floor: camera name -> recording of the board lying on the floor (same cameras, not
            necessarily all of them).
        floor_frames: instead of ``floor``, frames (0-based) of the main recordings with the
            board lying still on the floor; all of them are examined and fitted together,
            frames where the board is elsewhere are refused (see
            :func:`mocaplab.calibration.floor.floor_from_frames`).
        model: "pinhole" or "fisheye".
        refine_intrinsics: refine intrinsics in the bundle adjustment.
        max_frames: frames examined per camera (evenly sampled).
        report: write the JSON + PNG report when ``out`` is given.
        force: replace existing output files.
        workers: parallel detection threads (default: one per camera, up to the CPU count).
        show_progress: progress bar on stderr.
        lens_model: "auto", "full", "no_k3", "principal" or "basic" (see
            :mod:`mocaplab.calibration.intrinsics`).
        intrinsics: a calibration file (any format :func:`load_calibration` reads) or cameras
            whose lenses (matrix, distortion, image size, fisheye flag) are used as they are,
            by camera name: no intrinsic estimation, fixed in the bundle adjustment unless
            ``refine_given``. A camera missing from it or an image size differing from the
            recording's is an error (checked before detection).
        refine_given: with ``intrinsics``, refine those lenses jointly in the bundle adjustment.
        check_distances: (camera a, camera b, metres) tape-measured distances between camera
            centres: the scale check of the report (names checked before detection).
    """
    from mocaplab.calibration.boards import load_board
    from mocaplab.calibration.importers import load_calibration
    from mocaplab.calibration.lenses import given_lenses

    if not isinstance(board, BoardSpec):
        board = load_board(board)
    if len(sources) < 1:
        raise InputError("no camera recordings given")
    paths = []
    if out is not None:
        out = Path(out)
        paths = [out]
        if report:
            paths += [out.with_name(out.stem + "_report.json"),
                      out.with_name(out.stem + "_report.png")]
        for p in paths:
            check_writable(p, force)  # fail before the long work, not after
    check_camera_names(check_distances, list(sources))
    srcs = {name: FrameSource.open(name, p) for name, p in sources.items()}
    n_frames = check_same_length(list(srcs.values()))
    lenses = origin = None
    if intrinsics is not None:
        if isinstance(intrinsics, str | os.PathLike):
            origin = str(intrinsics)
            intrinsics = list(load_calibration(intrinsics))
        lenses = given_lenses(intrinsics, list(srcs), [s.size for s in srcs.values()],
                              origin or "the given intrinsics")
        if model == "fisheye" and lenses[0].model != "fisheye":
            raise InputError(f"the fisheye model was asked for but the lenses in "
                             f"{origin or 'the given intrinsics'} are pinhole; the lens model "
                             "comes from the intrinsics file")
    extra = None
    if floor_frames is not None:
        extra = np.asarray(floor_frames, int)
        outside = extra[(extra < 0) | (extra >= n_frames)]
        if len(outside):
            raise InputError(f"floor frames {outside.tolist()} are outside the recordings "
                             f"(frames 0 to {n_frames - 1}, counted from 0)")
    dets = detect_all(srcs, board, max_frames, workers, show_progress, extra_frames=extra)
    floor_dets = None
    if floor is not None:
        unknown = set(floor) - set(srcs)
        if unknown:
            raise InputError(f"floor recordings for unknown cameras {sorted(unknown)}; "
                             f"cameras are {sorted(srcs)}")
        fsrcs = {n: FrameSource.open(n, p) for n, p in floor.items()}
        fd = detect_all(fsrcs, board, 30, workers, show_progress, require_all=False)
        floor_dets = [fd.get(n, _empty(srcs[n], board)) for n in srcs]
    result = calibrate_detections(list(dets.values()), board, model, refine_intrinsics,
                                  floor_detections=floor_dets, floor_frames=floor_frames,
                                  lens_model=lens_model, given_lenses=lenses,
                                  refine_given=refine_given, lenses_origin=origin,
                                  check_distances=check_distances)
    if out is not None:
        result.cameras.save(out, overwrite=force)
        if report:
            from mocaplab.calibration.report import write_calibration_report

            write_calibration_report(result, paths[1], paths[2], overwrite=force)
    return result


def _empty(src: FrameSource, board: BoardSpec) -> CameraDetections:
    return CameraDetections(src.name, src.size, src.n_frames, np.zeros(0, int),
                            np.zeros((0, board.n_corners, 2)))
