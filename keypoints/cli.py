"""``mocaplab detect TRIAL``: 2D keypoints of every camera of a trial (light module: the heavy
imports happen inside :func:`run`)."""

from __future__ import annotations

import argparse

from mocaplab.cli_support import Command

_DESCRIPTION = """\
Detect 2D keypoints (MediaPipe BlazePose, 33 landmarks) in every video of TRIAL/videos/ and write
TRIAL/keypoints2d.npz. Cameras run in parallel worker processes; finished cameras are cached in
TRIAL/.keypoints2d_parts/ so an interrupted run resumes where it stopped (--force recomputes).
The model is found from --model, then $MOCAPLAB_POSE_MODEL, then ~/.cache/mocaplab/models, then
downloaded with its SHA-256 checked. --source imports OpenPose or DeepLabCut results instead."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trial", help="trial folder (with videos/)")
    p.add_argument("--model", metavar="PATH", help="MediaPipe pose landmarker .task file")
    p.add_argument("--variant", choices=("lite", "full", "heavy"), default="full",
                   help="model variant when no --model is given (default: full)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="cameras detected in parallel (default: min(cameras, CPU cores)): this "
                        "process and N-1 worker processes; 1 = all in this process")
    p.add_argument("--force", action="store_true",
                   help="recompute cameras that already have a cached result")
    p.add_argument("--max-frames", type=int, metavar="N",
                   help="only the first N frames of each video (quick check)")
    p.add_argument("--source", metavar="KIND:DIR",
                   help="import instead of detecting: openpose:DIR (DIR/<camera>/ or "
                        "DIR/<camera>_json/ per camera, BODY_25), openpose25b:DIR (BODY_25B) "
                        "or deeplabcut:DIR (DIR/<camera>*.h5|.csv)")
    p.add_argument("--num-poses", type=int, default=None, metavar="N",
                   help="most people detected per view (default 2: the subject and a "
                        "companion; all are written to poses2d.npz and associated by "
                        "'triangulate'; 1 = single person, fastest)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _source(spec: str):
    from mocaplab.errors import InputError
    from mocaplab.keypoints.importers import DeepLabCutSource, OpenPoseJSONSource

    kind, _, folder = spec.partition(":")
    if not folder:
        raise InputError(f"--source {spec!r}: expected KIND:DIR, e.g. openpose:/data/json")
    kinds = {"openpose": lambda: OpenPoseJSONSource(folder, "BODY_25"),
             "openpose25b": lambda: OpenPoseJSONSource(folder, "BODY_25B"),
             "deeplabcut": lambda: DeepLabCutSource(folder)}
    if kind.lower() not in kinds:
        raise InputError(f"--source kind {kind!r} unknown; use one of {sorted(kinds)}")
    return kinds[kind.lower()]()


def _normalised_source(spec: str | None) -> str:
    """``KIND:DIR`` with KIND lower-case and DIR absolute (the same source however it is
    written, and valid from any working folder); MEDIAPIPE_SOURCE for MediaPipe detection."""
    import os

    from mocaplab.trial import MEDIAPIPE_SOURCE

    if not spec:
        return MEDIAPIPE_SOURCE
    kind, _, folder = spec.partition(":")
    return f"{kind.lower()}:{os.path.abspath(folder)}"


def _refuse_other_source(trial, source: str) -> None:
    """OutputExistsError when TRIAL/keypoints2d.npz exists and was made by another source than
    this run's (MediaPipe vs ``--source KIND:DIR``, or another folder), or by an unknown one
    (put there by hand): replacing it needs --force, as every verb's output does. The same
    source again resumes/refreshes it."""
    from mocaplab.errors import OutputExistsError
    from mocaplab.keypoints.trial_detect import keypoints_source
    from mocaplab.trial import MEDIAPIPE_SOURCE

    if not trial.keypoints2d_path.exists():
        return
    if trial.meta_path.is_file():
        trial.meta  # noqa: B018 - a broken meta.json: its InputError now, not after detection
    before = keypoints_source(trial)
    if before is not None and before != MEDIAPIPE_SOURCE:
        before = _normalised_source(before)
    if before == source:
        return
    if before is None:
        made = ("not made by 'mocaplab detect' (no source recorded in meta.json: put there by "
                "hand or by another tool)")
    elif before == MEDIAPIPE_SOURCE:
        made = "detected with MediaPipe"
    else:
        made = f"imported with --source {before}"
    this = ("detecting with MediaPipe" if source == MEDIAPIPE_SOURCE
            else f"importing --source {source}")
    verb = "is" if before is None else "was"
    raise OutputExistsError(f"{trial.keypoints2d_path} {verb} {made}; {this} would replace it: "
                            "pass --force to replace it (nothing was changed)")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from mocaplab.errors import InputError
    from mocaplab.keypoints.trial_detect import (
        DEFAULT_NUM_POSES,
        detect_trial,
        record_keypoints_source,
    )
    from mocaplab.pose_data import Keypoints2D
    from mocaplab.trial import Trial

    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be at least 1")
    if args.max_frames is not None and args.max_frames < 1:
        raise InputError(f"--max-frames {args.max_frames}: give at least 1 frame (or leave it "
                         "out for every frame)")
    num_poses = DEFAULT_NUM_POSES if args.num_poses is None else args.num_poses
    if not 1 <= num_poses <= 8:
        raise InputError("--num-poses must be 1 to 8")
    detector = _source(args.source) if args.source else None
    source = _normalised_source(args.source)
    trial = Trial(args.trial)
    if not args.force:
        _refuse_other_source(trial, source)
    out = detect_trial(args.trial, model_path=args.model, workers=args.workers, force=args.force,
                       progress=not args.no_progress, variant=args.variant, detector=detector,
                       max_frames=args.max_frames, num_poses=num_poses)
    # which source made the keypoints, so that `mocaplab process` keeps imported ones
    record_keypoints_source(trial, source)
    kp = Keypoints2D.load(out)
    found = np.isfinite(kp.points).all(-1).any(-1).mean(axis=1)
    print(f"wrote {out}: {kp.shape[0]} cameras x {kp.shape[1]} frames x {kp.shape[2]} "
          f"keypoints at {kp.fps:g} fps")
    for cam, rate in zip(kp.cameras, found, strict=True):
        print(f"  {cam}: person found in {100 * rate:.1f} % of frames")
    return 0


COMMANDS = {"detect": Command(add_arguments, run, _DESCRIPTION)}
