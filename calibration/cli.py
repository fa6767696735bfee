"""``mocaplab board`` and ``mocaplab calibrate`` (light module: heavy imports inside run)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mocaplab.cli_support import Command
from mocaplab.errors import InputError

# --- board ------------------------------------------------------------------------------------
#: Defaults of a board given by options (the sheet ``board create`` prints by default).
BOARD_DEFAULTS = {"squares_x": 7, "squares_y": 5, "square_length": 0.06,
                  "dictionary": "DICT_4X4_50"}


def add_board_options(p: argparse.ArgumentParser) -> None:
    """The board options shared by ``board create|check`` and ``calibrate``."""
    g = p.add_argument_group("board (a board TOML, or these options; options given with "
                             "--board override its values)")
    g.add_argument("--board", type=Path, help="board TOML (mocaplab, anipose or caliscope)")
    g.add_argument("--squares-x", type=int, default=None, help="columns of squares (default 7)")
    g.add_argument("--squares-y", type=int, default=None, help="rows of squares (default 5)")
    g.add_argument("--square-length", type=float, default=None,
                   help="square side in metres, as measured on the print (default 0.06)")
    g.add_argument("--marker-length", type=float, default=None,
                   help="marker side, metres (default 0.75 x square)")
    g.add_argument("--dictionary", default=None, help="ArUco dictionary (default DICT_4X4_50)")
    g.add_argument("--inverted", action="store_true", default=None,
                   help="white-on-black print")
    g.add_argument("--legacy", action="store_true", default=None,
                   help="OpenCV's pre-4.6 ChArUco layout")


def board_from_args(args: argparse.Namespace, need_explicit: bool = False):
    """The board of ``--board`` and/or the board options.

    Args:
        need_explicit: refuse to fall back on the defaults when neither ``--board`` nor
            ``--square-length`` is given (calibrating with a guessed board size gives a wrongly
            scaled lab).
    """
    import dataclasses

    from mocaplab.board import BoardSpec
    from mocaplab.calibration.boards import load_board

    given = {k: getattr(args, k) for k in ("squares_x", "squares_y", "square_length",
                                           "marker_length", "dictionary", "inverted",
                                           "legacy")
             if getattr(args, k, None) is not None}
    if args.board is not None:
        board = load_board(args.board)
        if "square_length" in given and "marker_length" not in given:
            given["marker_length"] = (board.marker_length * given["square_length"]
                                      / board.square_length)
        return dataclasses.replace(board, **given) if given else board
    if need_explicit and "square_length" not in given:
        raise InputError("say which board was filmed: --board BOARD.toml, or the board options "
                         "with at least --square-length (metres, measured on the print), e.g. "
                         "--squares-x 7 --squares-y 5 --square-length 0.06")
    opts = {**BOARD_DEFAULTS, **given}
    opts.setdefault("marker_length", 0.75 * opts["square_length"])
    return BoardSpec(**opts)


def _board_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create", help="write a printable sheet (PNG/PDF at true scale) and/or the board TOML",
        description="Write a printable ChArUco sheet (PNG and/or PDF at true scale, the "
                    "parameters printed on it) and/or the board TOML for calibrate --board. "
                    "Example: mocaplab board create --squares-x 7 --squares-y 5 "
                    "--square-length 0.06 --out board.pdf board.toml")
    add_board_options(create)
    create.add_argument("--out", type=Path, nargs="+", required=True,
                        help="file(s) to write: .png and/or .pdf (true scale), .toml for the "
                             "board definition")
    create.add_argument("--paper", default=None,
                        help="A4 ... A0 (default: smallest that fits)")
    create.add_argument("--dpi", type=int, default=300, help="resolution of the sheet")
    create.add_argument("--force", action="store_true", help="replace existing files")
    check = sub.add_parser("check", help="print a board's parameters",
                           description="Print the parameters of a board file (or of the "
                                       "board options).")
    add_board_options(check)


def _board_run(args: argparse.Namespace) -> int:
    from mocaplab.calibration.sheet import board_description, write_board_sheet

    board = board_from_args(args)
    print(board_description(board))
    if args.action == "check":
        return 0
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
    p.add_argument("--out", type=Path, required=True, help="calibration TOML to write")
    add_board_options(p)
    p.add_argument("--check-distance", nargs=3, action="append", default=None,
                   metavar=("CAM_A", "CAM_B", "METRES"),
                   help="scale check: the distance between two cameras measured with a tape "
                        "(centre of one lens to the other's), compared with the calibration; "
                        "a wrong board square size shows up here (repeatable)")
    p.add_argument("--floor", type=Path, nargs="+", default=None, metavar="FLOOR_VIDEO",
                   help="recordings of the board lying on the floor, named like the cameras")
    p.add_argument("--floor-frames", type=int, nargs="+", default=None,
                   help="instead of --floor: frames (from 0) of the main recordings with the "
                        "board lying still on the floor; all are used, frames where the board "
                        "is elsewhere are refused")
    p.add_argument("--fisheye", action="store_true", help="fisheye camera model")
    p.add_argument("--lens-model", choices=["auto", "full", "no_k3", "principal", "basic"],
                   default="auto",
                   help="lens parameters to estimate: auto (chosen per camera by held-out "
                        "error, then grown in the bundle adjustment where the data support "
                        "it), full (k1 k2 p1 p2 k3, free principal point), no_k3, principal "
                        "(k1 k2, free principal point), basic (k1 k2, principal point at the "
                        "centre)")
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


def _distance_check(values: list[str]) -> tuple[str, str, float]:
    a, b, metres = values
    try:
        m = float(metres)
    except ValueError:
        raise InputError(f"--check-distance {a} {b} {metres}: the distance must be a number "
                         "of metres") from None
    if not m > 0:
        raise InputError(f"--check-distance {a} {b} {metres}: the distance must be positive")
    if a == b:
        raise InputError(f"--check-distance {a} {b}: name two different cameras")
    return a, b, m


def _calibrate_run(args: argparse.Namespace) -> int:
    if args.import_path is not None:
        from mocaplab.calibration.importers import load_calibration

        cams = load_calibration(args.import_path)
        cams.save(args.out, overwrite=args.force)
        print(f"wrote {args.out} ({len(cams)} cameras from "
              f"{cams.metadata['imported_from']['format']})")
        return 0
    if not args.sources:
        raise InputError("calibrate needs one video or image folder per camera and the board "
                         "(--board BOARD.toml or --square-length ...), or --import FILE")
    board = board_from_args(args, need_explicit=True)
    checks = [_distance_check(c) for c in args.check_distance or []]
    from mocaplab.calibration.pipeline import calibrate
    from mocaplab.calibration.report import build_report

    if args.refine_intrinsics and args.intrinsics is None:
        raise InputError("--refine-intrinsics refines lenses given with --intrinsics CAL.toml; "
                         "without --intrinsics the lenses are estimated and refined anyway")
    if args.refine_intrinsics and args.fixed_intrinsics:
        raise InputError("--refine-intrinsics and --fixed-intrinsics contradict each other")

    names = camera_names(args.sources)
    floor = match_floor(args.floor, names) if args.floor else None
    from mocaplab.calibration.sheet import board_description

    print(f"board: {board_description(board)}")
    cal = calibrate(dict(zip(names, args.sources, strict=True)), board, args.out,
                    floor=floor, floor_frames=args.floor_frames,
                    model="fisheye" if args.fisheye else "pinhole",
                    refine_intrinsics=not args.fixed_intrinsics,
                    max_frames=args.max_frames or None, report=not args.no_report,
                    lens_model=args.lens_model, intrinsics=args.intrinsics,
                    refine_given=args.refine_intrinsics, check_distances=checks,
                    force=args.force, workers=args.workers, show_progress=sys.stderr.isatty())
    report = build_report(cal)
    for name, c in report["cameras"].items():
        print(f"{name}: {c['reprojection_rms_px']:.3f} px, {c['views_used']} views, "
              f"{c['image_coverage']:.0%} of the image covered")
    print(f"overall {report['reprojection_rms_px']:.3f} px")
    for line in report["verdict_lines"]:
        print(line)
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
