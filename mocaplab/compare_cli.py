"""``mocaplab compare-video``: the before/after video of two trials (see
:mod:`mocaplab.compare_video`). Light module: the heavy imports happen when the verb runs."""

from __future__ import annotations

import argparse

from mocaplab.cli_support import Command

_VIEWS = ("front", "side")
_EVENTS = ("right_foot_strike", "left_foot_strike", "right_foot_off", "left_foot_off")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("before", help="trial folder of the first visit (processed: points3d.npz, "
                                  "metrics.json, videos, calibration)")
    p.add_argument("after", help="trial folder of the later visit")
    p.add_argument("-o", "--out", required=True,
                   help="output folder: compare.mp4, keyframe_*.png, key_frames.png, "
                        "compare.json")
    p.add_argument("--view", choices=_VIEWS, default="front",
                   help="choose the camera that sees the subject best from the front (default) "
                        "or the side")
    p.add_argument("--camera-before", metavar="NAME", help="camera of the first trial "
                                                           "(overrides the choice)")
    p.add_argument("--camera-after", metavar="NAME", help="camera of the later trial")
    p.add_argument("--event", choices=_EVENTS, default="right_foot_strike",
                   help="gait event both trials are aligned on (default right_foot_strike)")
    p.add_argument("--cycles", type=int, default=2, help="gait cycles shown at most (default 2)")
    p.add_argument("--speed", type=float, default=0.5, help="playback speed (default 0.5)")
    p.add_argument("--fps", type=float, default=30.0, help="output frame rate (default 30)")
    p.add_argument("--height", type=int, default=540, help="panel height in pixels (default 540)")
    p.add_argument("--label-before", help="visit label (default: the session folder name)")
    p.add_argument("--label-after", help="visit label of the later trial")
    p.add_argument("--codec", choices=("auto", "h264", "mp4v"), default="auto",
                   help="auto: H.264 when ffmpeg has libx264 (plays in browsers), else mp4v")
    p.add_argument("--force", action="store_true", help="replace an existing compare.mp4")


def run(args: argparse.Namespace) -> int:
    from mocaplab.compare_video import Options, make_comparison

    opts = Options(view=args.view, cameras=(args.camera_before, args.camera_after),
                   event=args.event, max_cycles=args.cycles, speed=args.speed, fps=args.fps,
                   panel_height_px=args.height, labels=(args.label_before, args.label_after))
    res = make_comparison(args.before, args.after, args.out, opts, overwrite=args.force,
                          codec=args.codec)
    info = res.info
    print(f"wrote {res.video} ({info['frames']} frames, {info['codec']}, "
          f"{info['size'][0]}x{info['size'][1]})")
    for s in info["sides"]:
        print(f"  {s['visit']} ({s['date']}): camera {s['camera']} ({info['view']} view), "
              f"{s['footage']}")
    print(f"  {info['note']}")
    print(f"key frames: {', '.join(p.name for p in res.key_frames)}; sheet {res.sheet.name}")
    return 0


COMMANDS = {"compare-video": Command(
    add_arguments, run,
    "Before/after video of two trials of a subject: each on its own camera footage (the camera "
    "that sees the subject best from the front or the side), the 3D skeleton reprojected "
    "through the calibration, pelvis and shoulder lines with their angles against level, both "
    "aligned on the same gait event and played at the same cycle phase. Writes an MP4 and key "
    "frames for the progress report.")}
