"""The ``mocaplab`` command: one verb per pipeline stage.

Each stage subpackage provides a light ``cli`` module (no heavy imports at module level) with a
``COMMANDS`` dict mapping verb -> :class:`mocaplab.cli_support.Command`; every verb of
:data:`VERBS` is in its module's dict (tests/test_core_cli.py).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from mocaplab import __version__
from mocaplab.cli_support import Command
from mocaplab.errors import MocaplabError, write_problem

#: verb -> (module providing it, one-line help). Order is the order of the pipeline.
VERBS: dict[str, tuple[str, str]] = {
    "board": ("mocaplab.calibration.cli", "create or check a ChArUco calibration board"),
    "calibrate": ("mocaplab.calibration.cli", "calibrate cameras from board videos or images"),
    "record": ("mocaplab.capture.cli", "record synchronised videos from several cameras"),
    "import": ("mocaplab.capture.cli", "turn existing videos into a trial folder"),
    "detect": ("mocaplab.keypoints.cli", "2D keypoints in every view (MediaPipe)"),
    "triangulate": ("mocaplab.triangulation.cli", "3D points from 2D keypoints and calibration"),
    "analyze": ("mocaplab.analysis.cli", "gait events, pelvis/spine angles, spatiotemporal"),
    "view": ("mocaplab.viewer.cli", "interactive 3D replay (needs a display)"),
    "render": ("mocaplab.viewer.cli", "render a trial to MP4 or PNG without a display"),
    "export": ("mocaplab.api.cli", "export metrics and points (CSV, JSON, C3D, TRC, PDF, FHIR)"),
    "index": ("mocaplab.api.cli", "index a lab folder into the results database"),
    "serve": ("mocaplab.api.cli", "serve the results API"),
    "compare-video": ("mocaplab.compare_cli", "before/after video of two trials on their footage"),
    "process": ("mocaplab.pipeline_cli", "run every stage on a trial"),
    "batch": ("mocaplab.pipeline_cli", "process many trials (local pool or Dask)"),
    "demo": ("mocaplab.pipeline_cli", "fetch sample data and run the whole pipeline"),
}


def _load_command(verb: str) -> Command:
    module_name, _ = VERBS[verb]
    return importlib.import_module(module_name).COMMANDS[verb]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mocaplab",
        description="Open multi-camera 3D motion capture for clinical gait labs.",
        epilog="Run 'mocaplab VERB --help' for the options of one stage.")
    parser.add_argument("--version", action="version", version=f"mocaplab {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb, (_, help_text) in VERBS.items():
        cmd = _load_command(verb)
        p = sub.add_parser(verb, help=help_text, description=cmd.description)
        cmd.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verb:
        parser.print_help()
        return 2
    cmd = _load_command(args.verb)
    try:
        return int(cmd.run(args) or 0)
    except MocaplabError as exc:
        print(f"mocaplab {args.verb}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mocaplab {args.verb}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a full disk, or a folder that cannot be written
        problem = write_problem(exc, exc.filename or "a result")
        if problem is None:
            raise
        print(f"mocaplab {args.verb}: error: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
