"""CLI verbs of the whole pipeline: process, batch, demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mocaplab.cli_support import Command

_STAGES = "detect,triangulate,analyze,export,report,render"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--calibration", type=Path,
                   help="calibration file (default: the trial's); one given here is recorded "
                        "in meta.json once triangulation used it")
    p.add_argument("--model", type=Path, help="pose model file (default: found automatically)")
    p.add_argument("--cutoff", type=float, default=6.0, help="3D low-pass cut-off, Hz")
    p.add_argument("--augmenter", type=Path, metavar="FOLDER",
                   help="marker augmenter model for the joint angles of video keypoints "
                        "(default: $MOCAPLAB_AUGMENTER_MODEL, the user cache, else the pose2sim "
                        "wheel from the package index)")
    p.add_argument("--stages", default=_STAGES, help=f"stages to run (default {_STAGES})")
    p.add_argument("--no-video", action="store_true",
                   help="do not render the MP4 replay (it is rendered last, after the report)")
    p.add_argument("--force", action="store_true", help="rerun stages that are up to date")


def _check_numbers(args: argparse.Namespace) -> None:
    """InputError, before any stage runs, for an option value that cannot apply (a stage
    failing on it later would mark earlier results out of date)."""
    import math

    from mocaplab.errors import InputError

    if not (math.isfinite(args.cutoff) and args.cutoff > 0):
        raise InputError(f"--cutoff {args.cutoff:g}: the 3D low-pass cut-off must be a positive "
                         "frequency in Hz (default 6)")
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}")


def _options(args: argparse.Namespace):
    from mocaplab.pipeline import Options

    _check_numbers(args)
    # normative data: MOCAPLAB_NORMATIVE_DIR (mocaplab.analysis.normative.find_normative_dir)
    return Options(calibration=args.calibration, model=args.model, cutoff_hz=args.cutoff,
                   force=args.force, render_video=not args.no_video,
                   augmenter=getattr(args, "augmenter", None))


def _add_process(p: argparse.ArgumentParser) -> None:
    p.add_argument("trial", type=Path, help="trial folder")
    p.add_argument("--workers", type=int, help="detection worker processes")
    p.add_argument("--index-db", help="lab index to update (SQLAlchemy URL, e.g. "
                   "sqlite:///LAB/.mocaplab/index.db)")
    _common(p)


def _print_result(result) -> None:
    """One terminal line per finished stage; a failure or warning gives its cause."""
    from mocaplab.pipeline import result_line

    line = result_line(result)
    if line:
        print(line, file=sys.stderr)
    elif result.status == "skipped":
        print(f"[{result.stage}] skipped: {result.message}", file=sys.stderr)
    elif result.status != "not run":
        print(f"[{result.stage}] {result.status}", file=sys.stderr)
    if result.stage == "report" and result.status in ("done", "warning") and result.outputs:
        print(f"[report] ready: {result.outputs[0]}", file=sys.stderr)


def _run_process(args: argparse.Namespace) -> int:
    import dataclasses

    from mocaplab.pipeline import exit_status, format_summary, process_trial

    options = dataclasses.replace(_options(args), workers=args.workers,
                                  index_db=args.index_db)
    results = process_trial(args.trial, options, args.stages.split(","),
                            progress=lambda s, st: print(f"[{s}] {st}", file=sys.stderr)
                            if st == "start" else None,
                            on_result=_print_result)
    print(format_summary(results))
    return exit_status(results)


def _add_batch(p: argparse.ArgumentParser) -> None:
    p.add_argument("lab", type=Path, help="lab folder holding trial folders")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786) or "
                   "'local-cluster'; default: a local process pool")
    p.add_argument("--workers", type=int, help="parallel trials (default: cores)")
    p.add_argument("--no-index", action="store_true",
                   help="do not update the lab index (LAB/.mocaplab/index.db)")
    _common(p)


def _run_batch(args: argparse.Namespace) -> int:
    import dataclasses

    from mocaplab.batch import find_trials, run_batch
    from mocaplab.pipeline import EXIT_WARNING, exit_status, format_summary, result_line
    from mocaplab.reporting.db import default_db_url

    trials = find_trials(args.lab)
    print(f"batch: {len(trials)} trials", file=sys.stderr)
    options = _options(args)
    if not args.no_index:
        options = dataclasses.replace(options, index_db=default_db_url(args.lab),
                                      lab_dir=args.lab.resolve())

    def done(path, results):
        status = {0: "ok", 1: "failed"}.get(exit_status(results), "warning")
        causes = [line for r in results if (line := result_line(r))]
        print(f"[{status}] {path}" + (f": {causes[0]}" if causes else ""), file=sys.stderr)

    results = run_batch(trials, options, stages=args.stages.split(","),
                        scheduler=args.scheduler, workers=args.workers, on_result=done)
    codes = {path: exit_status(res) for path, res in results.items()}
    for path, res in results.items():
        print(f"\n{path}\n{format_summary(res)}")
    n_failed = sum(c == 1 for c in codes.values())
    n_warn = sum(c == EXIT_WARNING for c in codes.values())
    print(f"\nbatch: {len(results) - n_failed - n_warn} of {len(results)} trials processed "
          f"without error or warning; {n_warn} with warnings, {n_failed} failed")
    return 1 if n_failed else EXIT_WARNING if n_warn else 0


def _add_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("demo_output"),
                   help="output folder (default ./demo_output)")
    p.add_argument("--walk-c3d", type=Path, help="walking C3D for the synthetic walk trial")
    p.add_argument("--model", type=Path, help="pose model file (default: found automatically)")
    p.add_argument("--no-video", action="store_true", help="do not render MP4 replays")


def _run_demo(args: argparse.Namespace) -> int:
    from mocaplab.demo import run_demo

    results = run_demo(args.out, walk_c3d=args.walk_c3d, model=args.model,
                       render_video=not args.no_video)
    from mocaplab.pipeline import result_line

    failed = [(t, r.stage) for t, res in results.items() for r in res if r.status == "failed"]
    print(f"\ndemo: outputs in {args.out.resolve()}")
    for t, res in results.items():
        for r in res:
            if r.has_warning and r.status != "failed":
                print(f"demo: {t}: {result_line(r)}")
    if failed:
        print("demo: failed stages: " + ", ".join(f"{t}/{s}" for t, s in failed))
        return 1
    return 0


COMMANDS = {
    "process": Command(_add_process, _run_process,
                       "Run detect, triangulate, analyze, export, report and render on a trial. "
                       "A stage is skipped while its inputs (videos, calibration contents, "
                       "keypoints, subject data) and result-changing options are the same as "
                       "when it last ran; the summary says why each stage ran or was skipped. "
                       "The report is ready before the replay video (--no-video: none). Exit "
                       "status: 0 all results usable, 1 a stage failed, 3 a result is unusable "
                       "or incomplete (e.g. no gait cycle found; the cause is printed)."),
    "batch": Command(_add_batch, _run_batch,
                     "Process every trial folder below LAB, in a local process pool or on a Dask "
                     "cluster."),
    "demo": Command(_add_demo, _run_demo,
                    "Fetch Pose2Sim's public 4-camera demo from the package index and run the "
                    "whole pipeline, plus a synthetic walking trial."),
}
