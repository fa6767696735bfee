"""``mocaplab view`` and ``mocaplab render`` (no heavy imports at module level)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mocaplab.cli_support import Command
from mocaplab.errors import InputError

_VIEWS = ("front", "side", "top")


def parse_frames(spec: str | None, n_frames: int) -> list[int] | None:
    """0-based indices from a 1-based frame spec: "120", "1:600", "1:600:10", "10,20,30".

    Ranges include both ends. None (no spec) means every frame.
    """
    if spec is None or spec.strip() == "":
        return None
    out: list[int] = []
    try:
        for part in spec.split(","):
            part = part.strip()
            if ":" in part:
                bits = part.split(":")
                if len(bits) not in (2, 3):
                    raise ValueError(part)
                start = int(bits[0]) if bits[0] else 1
                stop = int(bits[1]) if bits[1] else n_frames
                step = int(bits[2]) if len(bits) == 3 and bits[2] else 1
                if step < 1:
                    raise ValueError(part)
                out.extend(range(start, stop + 1, step))
            else:
                out.append(int(part))
    except ValueError:
        raise InputError(f"--frames {spec!r}: use frame numbers from 1, e.g. 120, 1:600, "
                         "1:600:10 or 10,20,30") from None
    bad = [f for f in out if not 1 <= f <= n_frames]
    if bad:
        raise InputError(f"--frames {spec!r}: frames {bad[:5]} are outside 1..{n_frames}")
    if not out:
        raise InputError(f"--frames {spec!r} selects no frame")
    return [f - 1 for f in out]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--view", choices=_VIEWS, default="side",
                   help="standard view, relative to the walking direction (default side)")
    p.add_argument("--trails", action="store_true", help="draw heel and hip paths")
    p.add_argument("--no-cameras", action="store_true", help="hide the camera frustums")
    p.add_argument("--exaggerate", type=float, default=1.0, metavar="K",
                   help="draw the pelvis and shoulder lines with their angles multiplied by K "
                        "(e.g. 3) so that a few degrees of obliquity or rotation can be seen; "
                        "the numbers shown stay as measured (default 1)")
    p.add_argument("--align-side", choices=("left", "right"),
                   help="with two trials: align them on this side's first foot strike "
                        "(default right, else left)")


def _add_view(p: argparse.ArgumentParser) -> None:
    p.add_argument("trials", nargs="+", metavar="TRIAL",
                   help="trial folder or points3d.npz; give two to compare (before after)")
    _common(p)
    p.add_argument("--frame", type=int, help="start at this frame number (1 = first)")
    p.add_argument("--screenshot", type=Path,
                   help="save an image of the window at --frame and exit (docs, tests)")


def _run_view(args: argparse.Namespace) -> int:
    if len(args.trials) > 2:
        raise InputError("view shows one trial, or two side by side (before after)")
    from mocaplab.viewer.display import require_display

    require_display(str(args.trials[0]))  # before importing Open3D's GUI
    from mocaplab.viewer.gui import view

    out = view(args.trials, align_side=args.align_side, view_name=args.view,
               trails=args.trails, show_cameras=not args.no_cameras,
               frame=None if args.frame is None else args.frame - 1,
               screenshot=args.screenshot, exaggeration=args.exaggerate)
    if out is not None:
        import os
        import sys

        print(out, flush=True)
        sys.stderr.flush()
        os._exit(0)  # Open3D's GUI teardown can block once its window is closed
    return 0


def _add_render(p: argparse.ArgumentParser) -> None:
    p.add_argument("trial", metavar="TRIAL", help="trial folder or points3d.npz")
    p.add_argument("--out", required=True, type=Path,
                   help="walk.mp4 (video), frame.png (one frame, or <stem>_<frame>.png for "
                        "several), or a folder with --key-frames")
    p.add_argument("--frames", help="frame numbers from 1: 120, 1:600, 1:600:10, 10,20,30 "
                                    "(default all)")
    _common(p)
    p.add_argument("--width", type=int, default=1280, help="image width (default 1280)")
    p.add_argument("--height", type=int, default=720, help="image height (default 720)")
    p.add_argument("--fps", type=float, help="video frame rate (default the trial's)")
    p.add_argument("--fixed-camera", action="store_true",
                   help="frame the whole walk instead of following the subject")
    p.add_argument("--no-overlay", action="store_true",
                   help="no text, angle panel or timeline on the images")
    p.add_argument("--compare", metavar="TRIAL2",
                   help="render this second trial beside the first, aligned by gait cycle")
    p.add_argument("--key-frames", action="store_true",
                   help="write the gait-cycle key frames (side and front) as PNGs into --out")
    p.add_argument("--no-levels", action="store_true",
                   help="do not draw the pelvis/shoulder lines and their level reference")
    p.add_argument("--force", action="store_true", help="replace existing outputs")


def _run_render(args: argparse.Namespace) -> int:
    if args.fps is not None and not 0 < args.fps <= 1000:
        raise InputError(f"--fps {args.fps:g}: give a video frame rate above 0 (up to 1000), or "
                         "leave it out for the trial's own")
    from tqdm import tqdm

    from mocaplab.viewer.data import load_trial
    from mocaplab.viewer.render import (
        RenderOptions,
        render_comparison,
        render_key_frames,
        render_trial,
    )

    trial = load_trial(args.trial)
    opts = dict(width=args.width, height=args.height, view=args.view, trails=args.trails,
                cameras=not args.no_cameras, overlay=not args.no_overlay,
                follow=not args.fixed_camera, levels=not args.no_levels,
                exaggeration=args.exaggerate)
    if args.key_frames:
        if args.out.suffix:
            raise InputError(f"--key-frames writes several PNGs: give a folder, not {args.out}")
        opts.pop("view")
        paths = render_key_frames(trial, args.out, overwrite=args.force, **opts)
        print("\n".join(str(p) for p in paths))
        return 0
    options = RenderOptions(**opts)
    bars: list[tqdm] = []

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="frame", desc="render", leave=False))
        bars[0].n = done
        bars[0].refresh()

    try:
        if args.compare:
            if args.frames:
                raise InputError("--frames does not apply to --compare (the clock runs from "
                                 "the aligned foot strike)")
            paths = render_comparison([trial, load_trial(args.compare)], args.out,
                                      side=args.align_side, options=options,
                                      overwrite=args.force, progress=progress)
        else:
            frames = parse_frames(args.frames, trial.n_frames)
            paths = render_trial(trial, args.out, frames=frames, options=options, fps=args.fps,
                                 overwrite=args.force, progress=progress)
    finally:
        for bar in bars:
            bar.close()
    print("\n".join(str(p) for p in paths))
    return 0


COMMANDS = {
    "view": Command(_add_view, _run_view,
                    "Interactive 3D replay of a trial (or two side by side, aligned by gait "
                    "cycle): skeleton, floor grid, camera frustums, timeline with gait events, "
                    "pelvis and spine angles. Needs a display; without one use `mocaplab "
                    "render`."),
    "render": Command(_add_render, _run_render,
                      "Render a trial without a display to an MP4 replay, PNG frames or the "
                      "key frames of a gait cycle (for reports)."),
}
