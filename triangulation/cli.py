"""``mocaplab triangulate``: 3D points from 2D keypoints and a calibration (light module: the
heavy imports happen inside :func:`run`)."""

from __future__ import annotations

import argparse

from mocaplab.cli_support import Command

_DESCRIPTION = """\
Triangulate 2D keypoints into 3D points (metres, lab frame): confidence-weighted DLT after
iterative undistortion, views with a large reprojection error dropped and the point solved again
from the best camera subset, left/right swaps in single views fixed, then (unless --no-filter)
short gaps filled and a zero-phase Butterworth low-pass at the trial's frame rate. Writes
points3d.npz with the per-point reprojection error and number of views kept.
With TRIAL, the files default to TRIAL/keypoints2d.npz, TRIAL/points3d.npz and the trial's
calibration (meta.json or TRIAL/calibration.toml)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trial", nargs="?", help="trial folder (optional if the files are given)")
    p.add_argument("--calibration", metavar="CAL", help="calibration file (aniposelib TOML, "
                   "Pose2Sim, Qualisys .qca.txt, caliscope)")
    p.add_argument("--keypoints", metavar="NPZ", help="2D keypoints (keypoints2d.npz)")
    p.add_argument("--out", metavar="NPZ", help="output (default TRIAL/points3d.npz, or "
                   "points3d.npz beside --keypoints)")
    p.add_argument("--no-filter", action="store_true", help="no gap filling and no low-pass")
    p.add_argument("--cutoff", type=float, default=6.0, metavar="HZ",
                   help="low-pass cutoff frequency (default 6 Hz)")
    p.add_argument("--max-gap", type=float, default=0.1, metavar="S",
                   help="longest gap filled by interpolation, seconds (default 0.1)")
    p.add_argument("--bone-lengths", action="store_true",
                   help="also keep bone lengths constant (MediaPipe / Plug-in Gait sets)")
    p.add_argument("--min-views", type=int, default=2, metavar="N",
                   help="fewest camera views for a 3D point (default 2)")
    p.add_argument("--threshold", type=float, metavar="PX",
                   help="reprojection error above which a view is dropped (default: automatic, "
                        "5 x the median error, 4-40 px)")
    p.add_argument("--no-swap-fix", action="store_true",
                   help="do not detect left/right swaps")
    p.add_argument("--export", metavar="FMTS", default="",
                   help="also write these formats beside the output: trc,c3d")
    p.add_argument("--trc-y-up", action="store_true",
                   help="write the TRC in OpenSim's Y-up frame (default: the lab's Z-up frame)")
    p.add_argument("--opensim-names", action="store_true",
                   help="name the TRC's markers as Pose2Sim's BlazePose marker set (OpenSim "
                        "IK; mediapipe33 keypoints only), as `mocaplab export` does")
    p.add_argument("--person", metavar="ID",
                   help="the subject when several people are tracked (P1, P2, ...; default: "
                        "the person tracked in most camera-frames, P1)")
    p.add_argument("--camera-map", metavar="KP=CAL,...",
                   help="pair keypoints camera names with calibration camera names where "
                        "they differ, e.g. cam01=cam_0,cam02=cam_1")
    p.add_argument("--force", action="store_true", help="replace an existing output")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mocaplab.errors import InputError
    from mocaplab.triangulation.export import parse_formats
    from mocaplab.triangulation.run import triangulate_trial

    formats = parse_formats(args.export) if args.export else []
    if args.trial is None and args.keypoints is None:
        raise InputError("give a TRIAL folder, or --keypoints (with --calibration)")
    if args.trial is None and args.calibration is None:
        raise InputError("without a TRIAL folder, --calibration CAL is needed")
    if args.trial is not None and not Path(args.trial).is_dir():
        raise InputError(f"trial folder {args.trial} does not exist")
    trial = args.trial if args.trial is not None else Path(args.keypoints).parent
    out = args.out
    if out is None and args.trial is None:
        from mocaplab.trial import Trial

        out = Trial(Path(args.keypoints).parent).points3d_path
    if args.min_views < 2:
        raise InputError("--min-views must be at least 2")
    from mocaplab.camera_names import parse_camera_map

    path = triangulate_trial(
        trial, calibration=args.calibration, filter=not args.no_filter, cutoff_hz=args.cutoff,
        keypoints=args.keypoints, out=out, min_views=args.min_views,
        threshold_px=args.threshold, max_gap_s=args.max_gap, bone_lengths=args.bone_lengths,
        fix_swaps=not args.no_swap_fix, export=formats, trc_y_up=args.trc_y_up,
        opensim_names=args.opensim_names, force=args.force, person=args.person,
        camera_map=parse_camera_map(args.camera_map))
    from mocaplab.pose_data import Points3D

    pts = Points3D.load(path)
    import numpy as np

    done = np.isfinite(pts.points).all(-1).mean()
    err = pts.reprojection_error[np.isfinite(pts.reprojection_error)]
    print(f"wrote {path}: {pts.points.shape[0]} frames x {pts.points.shape[1]} keypoints at "
          f"{pts.fps:g} fps, {100 * done:.1f} % reconstructed, median reprojection error "
          f"{np.median(err) if err.size else float('nan'):.2f} px")
    from mocaplab.triangulation.persons3d import PERSONS3D_FILE, read_record

    rec = read_record(path) or {}
    if len(rec.get("persons", [])) > 1:
        others = [p for p in rec["persons"] if p != rec["person_id"]]
        print(f"  {len(rec['persons'])} persons tracked; subject {rec['person_id']} "
              f"({rec['subject_rule']}; --person to choose another), also present: "
              f"{', '.join(others)}; all in {Path(path).with_name(PERSONS3D_FILE)}")
    for h in rec.get("camera_health", []):
        kept, err = h.get("views_kept"), h.get("median_error_px")
        print(f"  camera {h['camera']}: {'n/a' if kept is None else f'{100 * kept:.0f} %'} of "
              f"views kept, median error {'n/a' if err is None else f'{err:.1f} px'}")
    for w in rec.get("warnings", []):
        print(f"  WARNING: {w}")
    for fmt in formats:
        print(f"wrote {Path(path).with_suffix('.' + fmt)}")
    return 0


COMMANDS = {"triangulate": Command(add_arguments, run, _DESCRIPTION)}
