"""``mocaplab record`` and ``mocaplab import`` (light module: heavy imports inside run())."""

from __future__ import annotations

import argparse
import sys

from mocaplab.cli_support import Command


def _add_record(p: argparse.ArgumentParser) -> None:
    p.add_argument("--camera", "-c", action="append", required=True, metavar="SPEC",
                   help="a camera: device index (0), device path (/dev/video0), a video file "
                        "(played back in real time as a virtual camera) or a folder of images; "
                        "repeat for each camera. NAME=SPEC names the camera")
    p.add_argument("--duration", "-d", type=float, default=None,
                   help="seconds to record (default: until Ctrl-C or a source ends)")
    p.add_argument("--out", "-o", required=True, metavar="TRIAL", help="trial folder to create")
    p.add_argument("--subject", default="", help="subject identifier for meta.json")
    p.add_argument("--trial", default=None, help="trial name (default: the folder name)")
    p.add_argument("--calibration", default=None, metavar="TOML",
                   help="calibration file to record in meta.json")
    p.add_argument("--codec", default="mjpg", choices=["mjpg", "mp4v", "ffv1"],
                   help="video codec: mjpg (.avi, default), mp4v (.mp4), ffv1 (.mkv, lossless)")
    p.add_argument("--fps", type=float, default=None,
                   help="frame rate to request from devices / to play image folders at")
    p.add_argument("--size", default=None, metavar="WxH", help="resolution to request from devices")
    p.add_argument("--loop", action="store_true",
                   help="loop video files and image folders instead of stopping at their end")
    p.add_argument("--force", action="store_true", help="replace an existing recording")


#: share of a camera's frames lost while recording above which ``mocaplab record`` warns
DROP_WARNING_FRACTION = 0.05


def _run_record(args: argparse.Namespace) -> int:
    from mocaplab.capture.recorder import record
    from mocaplab.capture.sources import open_source
    from mocaplab.errors import InputError

    size = None
    if args.size:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
            size = (w, h)
        except ValueError:
            raise InputError(f"--size must look like 1280x720, got {args.size!r}") from None
    sources = []
    try:
        for spec in args.camera:
            name = None
            if "=" in spec and not spec.startswith("/"):
                name, spec = spec.split("=", 1)
            sources.append(open_source(spec, name, loop=args.loop, fps=args.fps, size=size))
    except BaseException:
        for s in sources:
            s.close()
        raise
    result = record(sources, args.out, duration=args.duration, codec=args.codec,
                    subject=args.subject, trial=args.trial, calibration=args.calibration,
                    overwrite=args.force, status=sys.stderr)
    print(f"recorded {result.trial.path} ({result.duration_s:.1f} s, stopped by "
          f"{result.stopped_by})")
    for c in result.cameras:
        print(f"  {c.name}: {c.frames} frames, {c.fps_measured:.2f} fps, {c.dropped} dropped")
    lossy = [c for c in result.cameras
             if c.dropped > DROP_WARNING_FRACTION * max(1, c.frames + c.dropped)]
    if lossy:  # said only as a number in the lines above
        lost = ", ".join(f"{c.name} {c.dropped} of {c.frames + c.dropped} "
                         f"({100 * c.dropped / (c.frames + c.dropped):.0f} %)" for c in lossy)
        warning = (f"frames lost: {lost}; the computer did not keep up with the cameras "
                   "(busy CPU or slow disk): close other programs, or record fewer cameras or "
                   "a smaller --size")
        print(f"warning: {warning}", file=sys.stderr)
        with result.trial.edit_meta() as meta:
            meta["warnings"] = [*meta.get("warnings", []), warning]
    if len(result.cameras) > 1:
        from mocaplab.capture.align import pair_recorded_frames

        paired = pair_recorded_frames(result.trial)
        if paired is not None:  # frame i of each camera is now the same instant
            lost = ", ".join(f"{c} {n}" for c, n in paired["missing_frames"].items() if n)
            print(f"  frames put on the recording clock: {paired['frames_after']} instants at "
                  f"{paired['fps']:.2f} fps, each camera's frame within "
                  f"{1000 * paired['tolerance_s']:.1f} ms of it"
                  + (f"; instants a camera lost are black frames there ({lost})" if lost else "")
                  + "; originals in videos_unsynced/")
    return 0


def _add_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("videos", nargs="+", metavar="VIDEOS_OR_DIR",
                   help="video files (one per camera; the file stem is the camera name) or a "
                        "folder of videos")
    p.add_argument("--out", "-o", required=True, metavar="TRIAL", help="trial folder to create")
    p.add_argument("--subject", default="", help="subject identifier for meta.json")
    p.add_argument("--calibration", default=None, metavar="CAL",
                   help="calibration of these cameras, any format 'calibrate --import' reads "
                        "(aniposelib/Pose2Sim TOML, Qualisys .qca.txt, caliscope); copied into "
                        "the trial as calibration.toml with its cameras named as the videos")
    p.add_argument("--camera-map", default=None, metavar="VIDEO=CAL,...",
                   help="pair video names with calibration camera names where they differ, "
                        "e.g. cam01=cam_0,cam02=cam_1 (equal names pair by themselves)")
    p.add_argument("--sync", default="none", choices=["none", "keypoints", "flash"],
                   help="synchronise the videos after import: by 2D keypoint motion (plus "
                        "epipolar geometry when --calibration is given) or by a flash; the "
                        "videos are then trimmed so frame i is the same instant everywhere "
                        "(originals kept in videos_unsynced/)")
    p.add_argument("--max-lag", type=int, default=30, help="largest offset searched, frames")
    p.add_argument("--min-confidence", type=float, default=0.3,
                   help="refuse to apply offsets whose confidence is below this (0 = never)")
    p.add_argument("--model", default=None, help="pose model for --sync keypoints "
                                                 "(default $MOCAPLAB_POSE_MODEL)")
    p.add_argument("--force", action="store_true", help="replace an existing trial folder")


def _run_import(args: argparse.Namespace) -> int:
    from mocaplab.camera_names import parse_camera_map
    from mocaplab.capture.align import apply_offsets, sync_trial
    from mocaplab.capture.importer import import_videos
    from mocaplab.errors import InputError, MocaplabError

    trial = import_videos(args.videos, args.out, subject=args.subject,
                          calibration=args.calibration, overwrite=args.force,
                          camera_map=parse_camera_map(args.camera_map))
    meta = trial.meta
    print(f"imported {len(meta['cameras'])} cameras into {trial.path}")
    if meta.get("calibration_source"):
        src = meta["calibration_source"]
        renamed = {v: c for v, c in src["cameras"].items() if v != c}
        print(f"  calibration {src['file']} ({src['format']}) -> {meta['calibration']}"
              + (f", cameras paired {renamed}" if renamed else ""))
    for cam, info in meta["camera_info"].items():
        print(f"  {cam}: {info['frames']} frames at {info['fps']:.3f} fps, "
              f"{info['size'][0]}x{info['size'][1]} ({info['imported_by']})")
    # meta["warnings"] were logged by import_videos (shown on stderr by the CLI's logging)
    if args.sync != "none":
        retry = (f" (the videos are imported into {trial.path}, not synchronised: to try again, "
                 "rerun this import with --force)")
        try:
            result = sync_trial(trial, args.sync, model_path=args.model, max_lag=args.max_lag)
        except MocaplabError as exc:
            raise type(exc)(f"{exc}{retry}") from None
        print(result.report())
        low = [c for c, k in zip(result.cameras, result.confidence, strict=True)
               if k < args.min_confidence]
        if low:
            trial.update_meta(sync_proposed=result.as_dict())
            hint = ("; without a calibration only 2D motion correlation is used: pass "
                    "--calibration (epipolar criterion, much sharper) or use --sync flash"
                    if result.method == "keypoints" else "")
            raise InputError(f"sync confidence below {args.min_confidence} for {low}: offsets "
                             "NOT applied (they are in meta.json under sync_proposed); lower "
                             f"--min-confidence to apply them anyway{hint}{retry}")
        record = apply_offsets(trial, result)
        print(f"applied: {record['frames_after']} common frames; originals in "
              f"{trial.path / record['originals']}")
    return 0


COMMANDS = {
    "record": Command(_add_record, _run_record,
                      "Record synchronised videos from several cameras (devices, video files "
                      "played back as virtual cameras, or image folders) into a trial folder "
                      "with per-frame timestamps."),
    "import": Command(_add_import, _run_import,
                      "Turn existing videos into a trial folder, optionally synchronising them "
                      "post hoc (keypoint motion or a flash)."),
}
