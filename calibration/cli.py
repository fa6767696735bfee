"""``mocaplab board`` and ``mocaplab calibrate`` (light module: heavy imports inside run)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mocaplab.cli_support import Command
from mocaplab.errors import InputError


# --- board ------------------------------------------------------------------------------------
def _board_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["create", "check"],
                   help="create: write a printable sheet (and the board TOML); check: print a "
                        "board file's parameters")
    p.add_argument("--board", type=Path, help="board TOML (mocaplab, anipose or caliscope); "
                   "otherwise the options below")
    p.add_argument("--out", type=Path, nargs="+", default=[],
                   help="sheet(s) to write: .png and/or .pdf (true scale), .toml for the "
                        "board definition")
    p.add_argument("--squares-x", type=int, default=7, help="columns of squares (default 7)")
    p.add_argument("--squares-y", type=int, default=5, help="rows of squares (default 5)")
    p.add_argument("--square-length", type=float, default=0.06, help="square side, metres")
    p.add_argument("--marker-length", type=float, default=None,
                   help="marker side, metres (default 0.75 x square)")
    p.add_argument("--dictionary", default="DICT_4X4_50", help="ArUco dictionary")
    p.add_argument("--inverted", action="store_true", help="white-on-black print")
    p.add_argument("--legacy", action="store_true", help="OpenCV's pre-4.6 ChArUco layout")
    p.add_argument("--paper", default=None, help="A4 ... A0 (default: smallest that fits)")
    p.add_argument("--dpi", type=int, default=300, help="resolution of the sheet")
    p.add_argument("--force", action="store_true", help="replace existing files")


def _board_run(args: argparse.Namespace) -> int:
    from mocaplab.board import BoardSpec
    from mocaplab.calibration.boards import load_board
    from mocaplab.calibration.sheet import board_description, write_board_sheet

    if args.board is not None:
        board = load_board(args.board)
    else:
        marker = args.marker_length or 0.75 * args.square_length
        board = BoardSpec(squares_x=args.squares_x, squares_y=args.squares_y,
                          square_length=args.square_length, marker_length=marker,
                          dictionary=args.dictionary, inverted=args.inverted, legacy=args.legacy)
    print(board_description(board))
    if args.action == "check":
        return 0
    if not args.out:
        raise InputError("board create needs --out board.png / board.pdf / board.toml")
    for out in args.out:
        if out.suffix.lower() == ".toml":
            board.save(out, overwrite=args.force)
        else:
            write_board_sheet(board, out, dpi=args.dpi, paper=args.paper, overwrite=args.force)
        print(f"wrote {out}")
    return 0


# --- calibrate --------------------------------------------------------------------------------
def _calibrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="*", type=Path, metavar="VIDEO_OR_DIR",
                   help="one video or image folder per camera; the camera is named after the "
                        "file (without extension) or folder")
    p.add_argument("--board", type=Path, help="board TOML (mocaplab, anipose or caliscope)")
    p.add_argument("--out", type=Path, required=True, help="calibration TOML to write")
    p.add_argument("--floor", type=Path, nargs="+", default=None, metavar="FLOOR_VIDEO",
                   help="recordings of the board lying on the floor, named like the cameras")
    p.add_argument("--floor-frames", type=int, nargs="+", default=None,
                   help="instead of --floor: frames (from 0) of the main recordings with the "
                        "board lying still on the floor; all are used, frames where the board "
                        "is elsewhere are refused")
    p.add_argument("--fisheye", action="store_true", help="fisheye camera model")
    p.add_argument("--lens-model", choices=["auto", "full", "no_k3", "basic"], default="auto",
                   help="distortion parameters to estimate: auto (from image coverage), full "
                        "(k1 k2 p1 p2 k3, free principal point), no_k3, basic (k1 k2, "
                        "principal point at the centre)")
    p.add_argument("--fixed-intrinsics", action="store_true",
                   help="do not refine intrinsics in the bundle adjustment")
    p.add_argument("--intrinsics", type=Path, default=None, metavar="CAL.toml",
                   help="take each camera's lens (matrix, distortion, image size, fisheye "
                        "flag) from this calibration file, by camera name (aniposelib/anipose "
                        "or Pose2Sim TOML, caliscope camera_array.toml, Qualisys .qca.txt); "
                        "only the extrinsics are estimated, the lenses are held fixed")
    p.add_argument("--refine-intrinsics", action="store_true",
                   help="with --intrinsics: refine the given lenses jointly in the bundle "
                        "adjustment instead of holding them fixed")
    p.add_argument("--max-frames", type=int, default=300,
                   help="frames examined per camera, evenly spread (default 300; 0 = all)")
    p.add_argument("--workers", type=int, default=None, help="parallel detection threads")
    p.add_argument("--import", dest="import_path", type=Path, default=None,
                   help="instead of calibrating: convert an existing calibration (anipose, "
                        "Pose2Sim, Qualisys .qca.txt, caliscope camera_array.toml)")
    p.add_argument("--no-report", action="store_true", help="skip the JSON/PNG report")
    p.add_argument("--force", action="store_true", help="replace existing output files")


def camera_names(paths: list[Path]) -> list[str]:
    """Camera names from file stems or folder names, else from the parent folders (as in
    ``back/calibration_images``, ``mid/calibration_images``); they must be unique."""
    names = [p.name if p.is_dir() else p.stem for p in paths]
    if len(set(names)) != len(names):
        names = [p.resolve().parent.name for p in paths]
    if len(set(names)) != len(names):
        raise InputError(f"camera names from the file names are not unique: {names}; name "
                         "each camera's video or folder after the camera")
    return names


def match_floor(floor: list[Path], cameras: list[str]) -> dict[str, Path]:
    """Assign floor recordings to cameras by name (exact stem, else the stem containing it)."""
    out: dict[str, Path] = {}
    for f in floor:
        stem = f.name if f.is_dir() else f.stem
        cands = [c for c in cameras if c == stem] or sorted(
            (c for c in cameras if c in stem), key=len, reverse=True)[:1]
        if not cands:
            raise InputError(f"floor recording {f} does not name a camera; cameras are "
                             f"{cameras} (name it e.g. {cameras[0]}.mp4)")
        out[cands[0]] = f
    return out


def _calibrate_run(args: argparse.Namespace) -> int:
    if args.import_path is not None:
        from mocaplab.calibration.importers import load_calibration

        cams = load_calibration(args.import_path)
        cams.save(args.out, overwrite=args.force)
        print(f"wrote {args.out} ({len(cams)} cameras from "
              f"{cams.metadata['imported_from']['format']})")
        return 0
    if args.board is None or not args.sources:
        raise InputError("calibrate needs --board BOARD.toml and one video or image folder "
                         "per camera (or --import FILE)")
    from mocaplab.calibration.pipeline import calibrate
    from mocaplab.calibration.report import build_report

    if args.refine_intrinsics and args.intrinsics is None:
        raise InputError("--refine-intrinsics refines lenses given with --intrinsics CAL.toml; "
                         "without --intrinsics the lenses are estimated and refined anyway")
    if args.refine_intrinsics and args.fixed_intrinsics:
        raise InputError("--refine-intrinsics and --fixed-intrinsics contradict each other")

    names = camera_names(args.sources)
    floor = match_floor(args.floor, names) if args.floor else None
    cal = calibrate(dict(zip(names, args.sources, strict=True)), args.board, args.out,
                    floor=floor, floor_frames=args.floor_frames,
                    model="fisheye" if args.fisheye else "pinhole",
                    refine_intrinsics=not args.fixed_intrinsics,
                    max_frames=args.max_frames or None, report=not args.no_report,
                    lens_model=args.lens_model, intrinsics=args.intrinsics,
                    refine_given=args.refine_intrinsics,
                    force=args.force, workers=args.workers, show_progress=sys.stderr.isatty())
    report = build_report(cal)
    for name, c in report["cameras"].items():
        print(f"{name}: {c['reprojection_rms_px']:.3f} px, {c['views_used']} views, "
              f"{c['image_coverage']:.0%} of the image covered")
    print(f"overall {report['reprojection_rms_px']:.3f} px; verdict: {report['verdict']}")
    for note in report["notes"]:
        print(f"note: {note}")
    print(f"wrote {args.out}")
    return 0


COMMANDS = {
    "board": Command(_board_arguments, _board_run,
                     "Create a printable ChArUco board (PNG/PDF at true scale, parameters "
                     "printed on the sheet) or check a board file."),
    "calibrate": Command(_calibrate_arguments, _calibrate_run,
                         "Calibrate cameras from synchronised videos or image folders of a "
                         "ChArUco board: intrinsics, extrinsics by bundle adjustment, floor "
                         "alignment, quality report. Or import another tool's calibration."),
}
