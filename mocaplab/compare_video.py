"""Before/after video: two trials of a subject side by side on their own camera footage.

For each trial (a processed trial folder: videos, calibration, ``points3d.npz``,
``metrics.json``):

1. **Camera**: the camera that sees the subject best from the front (default) or the side is
   chosen by :func:`choose_camera` (score = view quality x visibility x apparent size), or given.
2. **Overlay**: the 3D result is projected into that camera through the calibration
   (:mod:`mocaplab.overlay`): skeleton, pelvis and shoulder lines, their level references and
   their angles against level (measured in 3D).
3. **Alignment**: both trials start on the same gait event (default: right foot strike) and
   play at the same *cycle phase*: output frame j shows phase j / frames_per_cycle in both, each
   trial's frame found by interpolating between its own successive events of that kind
   (:func:`phase_timeline`). A trial with fewer than two such events falls back to real time from
   its first event (or its first frame), and the video says so.
4. **Output**: ``compare.mp4`` (H.264 through ffmpeg when it has libx264, else OpenCV's mp4v),
   key frames at 0/25/50/75 % of the first cycle (``keyframe_*.png``, and ``key_frames.png``:
   the four in a 2 x 2 grid for the progress report) and ``compare.json`` (what was chosen
   and why).

Panels are labelled with visit (session folder name, or a given label) and date (meta.json
``date``, else the date it was created).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mocaplab.analysis.metrics_spec import read_metrics
from mocaplab.atomic import atomic_path, check_writable, write_json
from mocaplab.camera import Camera, CameraSet
from mocaplab.errors import InputError
from mocaplab.overlay import (
    Skeleton,
    draw_angle_readout,
    draw_body_lines,
    draw_skeleton,
    project_frame,
    put_text,
)
from mocaplab.trial import Trial
from mocaplab.video import Mp4Writer

VIEWS = ("front", "side")
EVENTS = ("right_foot_strike", "left_foot_strike", "right_foot_off", "left_foot_off")
KEY_PHASES_PCT = (0, 25, 50, 75)
HEADER_PX, FOOTER_PX, GAP_PX = 58, 46, 8
_VIS_ROLES = ("hip", "shoulder", "ankle", "knee")


@dataclasses.dataclass(frozen=True)
class Options:
    """What the comparison shows and how.

    Attributes:
        view: "front" or "side": the view the camera is chosen for.
        cameras: (before, after) camera names overriding the choice (None: automatic).
        event: the gait event both trials are aligned on (see :data:`EVENTS`).
        max_cycles: at most this many gait cycles are shown.
        speed: playback speed (0.5 = half speed).
        fps: frame rate of the output video.
        panel_height_px: height of each trial's picture.
        labels: (before, after) visit labels (None: the session folder names).
    """

    view: str = "front"
    cameras: tuple[str | None, str | None] = (None, None)
    event: str = "right_foot_strike"
    max_cycles: int = 2
    speed: float = 0.5
    fps: float = 30.0
    panel_height_px: int = 540
    labels: tuple[str | None, str | None] = (None, None)

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise InputError(f"unknown view {self.view!r}; choose one of {', '.join(VIEWS)}")
        if self.event not in EVENTS:
            raise InputError(f"unknown event {self.event!r}; choose one of {', '.join(EVENTS)}")
        if not 0.05 <= self.speed <= 4:
            raise InputError(f"speed {self.speed} is outside 0.05..4")
        if not 1 <= self.max_cycles <= 20:
            raise InputError(f"max_cycles {self.max_cycles} is outside 1..20")
        if not 5 <= self.fps <= 120 or not 120 <= self.panel_height_px <= 2160:
            raise InputError("fps must be 5..120 and panel height 120..2160 px")


@dataclasses.dataclass(frozen=True)
class CameraScore:
    """Why a camera was (not) chosen: ``quality`` of the view direction (0..1), ``visible``
    fraction of frames with the body inside the image, ``size`` body height / image height."""

    name: str
    quality: float
    visible: float
    size: float
    has_video: bool

    @property
    def score(self) -> float:
        if not self.has_video:
            return 0.0
        return self.quality * self.visible * min(self.size / 0.5, 1.0) ** 0.5


@dataclasses.dataclass(frozen=True)
class Side:
    """One trial of the comparison, loaded.

    Attributes:
        trial_dir: the trial folder.
        visit, date: labels.
        camera: the chosen camera; video: its footage file; scores: every camera's score.
        skeleton: the 3D result; fps: its frame rate (Hz).
        events: fractional frame indices (0 = first frame) of the alignment event, sorted.
        footage_note: "" for camera footage, else what the footage is (meta.json "footage").
    """

    trial_dir: Path
    visit: str
    date: str
    camera: Camera
    video: Path
    scores: tuple[CameraScore, ...]
    skeleton: Skeleton
    fps: float
    events: np.ndarray
    footage_note: str


# --- camera choice ------------------------------------------------------------------------------
def walking_direction(skeleton: Skeleton) -> np.ndarray:
    """(3,) horizontal unit vector the subject walks (or, standing, faces) towards."""
    left, right = skeleton.line_points("pelvis")
    centre = 0.5 * (left + right)
    ok = np.flatnonzero(np.isfinite(centre).all(axis=1))
    if len(ok) >= 2:
        d = centre[ok[-1]] - centre[ok[0]]
        d[2] = 0.0
        if np.linalg.norm(d) > 0.3:
            return d / np.linalg.norm(d)
    lr = np.nanmean(left - right, axis=0)          # standing: facing, with left = +Y of +X
    f = np.array([lr[1], -lr[0], 0.0])
    n = np.linalg.norm(f)
    return f / n if np.isfinite(n) and n > 1e-9 else np.array([1.0, 0.0, 0.0])


def camera_scores(cameras: CameraSet, skeleton: Skeleton, videos: dict[str, Path],
                  view: str = "front", max_samples: int = 60) -> list[CameraScore]:
    """Score every camera for ``view`` (see :class:`CameraScore`)."""
    fwd = walking_direction(skeleton)
    names = [n for n in skeleton.names if any(r in n.lower() for r in _VIS_ROLES)] or \
        list(skeleton.names)
    idx = [skeleton.names.index(n) for n in names]
    valid = np.flatnonzero(np.isfinite(skeleton.points[:, idx]).all(axis=(1, 2)))
    frames = valid[np.linspace(0, len(valid) - 1, min(max_samples, len(valid))).astype(int)] \
        if len(valid) else np.array([], int)
    out = []
    for cam in cameras:
        axis = cam.rotation[2].copy()            # optical axis in the lab frame
        axis[2] = 0.0
        n = np.linalg.norm(axis)
        c = float(axis @ fwd / n) if n > 1e-9 else 0.0
        quality = max(-c, 0.0) + 0.8 * max(c, 0.0) if view == "front" else float(
            np.sqrt(max(0.0, 1 - c * c)))
        w, h = cam.size
        inside, sizes = 0, []
        for f in frames:
            px = project_frame(cam, skeleton.points[f, idx])
            if np.isfinite(px).all() and (px >= 0).all() and (px[:, 0] < w).all() and \
                    (px[:, 1] < h).all():
                inside += 1
            if np.isfinite(px[:, 1]).any():
                sizes.append(float(np.nanmax(px[:, 1]) - np.nanmin(px[:, 1])) / h)
        out.append(CameraScore(cam.name, round(quality, 3),
                               round(inside / len(frames), 3) if len(frames) else 0.0,
                               round(float(np.median(sizes)), 3) if sizes else 0.0,
                               cam.name in videos))
    return out


def choose_camera(scores: list[CameraScore], override: str | None = None) -> str:
    """The best-scoring camera with a video, or ``override`` (checked)."""
    by_name = {s.name: s for s in scores}
    if override is not None:
        if override not in by_name:
            raise InputError(f"camera {override!r} is not in the calibration "
                             f"({', '.join(by_name)})")
        if not by_name[override].has_video:
            raise InputError(f"camera {override!r} has no video in the trial's videos/ folder")
        return override
    best = max(scores, key=lambda s: s.score, default=None)
    if best is None or best.score <= 0:
        raise InputError("no camera with a video sees the subject (every camera scored 0): "
                         "check videos/ and the calibration, or pass a camera")
    return best.name


# --- loading ------------------------------------------------------------------------------------
def _named_as_videos(cameras: CameraSet, videos: list[str]) -> CameraSet:
    """The calibration's cameras renamed to the videos they pair with, by the rule triangulation
    uses (mocaplab.camera_names: equal names, else loose ones such as cam_01 = cam01); as they
    are when the names do not pair (the cameras without a video then score 0)."""
    from mocaplab.camera_names import pair_camera_names

    try:
        pairs = pair_camera_names(videos, cameras.names)
    except InputError:
        return cameras
    video_of = {c: v for v, c in pairs.items()}
    return CameraSet(tuple(c.replace(name=video_of.get(c.name, c.name)) for c in cameras),
                     cameras.metadata)


def event_indices(metrics: dict[str, Any], event: str) -> np.ndarray:
    """Sorted fractional frame indices (0 = first stored frame) of ``event`` in metrics.json."""
    side, kind = event.split("_", 1)
    first = int(metrics.get("first_frame") or 1)
    fps = float(metrics.get("fps") or 0)
    out = []
    for e in metrics.get("events") or []:
        if e.get("side") != side or e.get("type") != kind:
            continue
        t = e.get("time_subframe_s")
        if t is not None and fps > 0:
            out.append(float(t) * fps - (first - 1))
        elif e.get("frame") is not None:
            out.append(float(e["frame"]) - first)
    return np.array(sorted(out), float)


def visit_labels(trial_dir: Path, meta: dict[str, Any], label: str | None) -> tuple[str, str]:
    """(visit, date): the given label or the session folder name; meta.json date or creation."""
    date = str(meta.get("date") or meta.get("created") or "")[:10] or "date unknown"
    return (label or trial_dir.parent.name or trial_dir.name), date


def load_side(trial_dir: str | os.PathLike, options: Options, which: int) -> Side:
    """Load trial ``which`` (0 before, 1 after) of the comparison and choose its camera."""
    from mocaplab.calibration import load_calibration
    from mocaplab.pose_data import Points3D

    trial = Trial(trial_dir)
    meta = trial.meta
    for p, what in ((trial.points3d_path, "mocaplab triangulate"),
                    (trial.metrics_path, "mocaplab analyze")):
        if not p.is_file():
            raise InputError(f"{trial.path} has no {p.name}: run '{what}' (or 'mocaplab "
                             "process') on it first")
    cal = trial.calibration_path
    if cal is None or not Path(cal).is_file():
        raise InputError(f"{trial.path} names no calibration file (meta.json 'calibration' or "
                         "calibration.toml): the 3D result cannot be drawn on its footage")
    cameras = load_calibration(cal)
    try:
        videos = trial.video_paths()
    except InputError as exc:
        raise InputError(f"{exc}: the comparison needs the trial's camera footage") from None
    cameras = _named_as_videos(cameras, list(videos))
    p3 = Points3D.load(trial.points3d_path)
    skeleton = Skeleton.of(p3.points, p3.keypoints)
    metrics = dict(read_metrics(trial.metrics_path).data)
    scores = camera_scores(cameras, skeleton, videos, options.view)
    name = choose_camera(scores, options.cameras[which])
    visit, date = visit_labels(trial.path, meta, options.labels[which])
    return Side(trial.path, visit, date, cameras[name], videos[name], tuple(scores), skeleton,
                float(p3.fps), event_indices(metrics, options.event),
                str(meta.get("footage") or ""))


# --- alignment ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Timeline:
    """Which frame of each trial every output frame shows.

    Attributes:
        frames: (2, N) int frame indices (before, after) per output frame.
        phase_pct: (N,) gait-cycle phase of each output frame in percent (cycle k of the output
            runs from 100 k to 100 (k + 1)); NaN in real-time mode.
        mode: "phase" (aligned on the event, same cycle phase) or "time" (fallback).
        note: what the alignment is, in words (shown in the video).
    """

    frames: np.ndarray
    phase_pct: np.ndarray
    mode: str
    note: str


def phase_timeline(sides: tuple[Side, Side], options: Options) -> Timeline:
    """Align both trials on ``options.event`` and play them at the same cycle phase."""
    ev = options.event.replace("_", " ")
    n_cycles = min(len(s.events) - 1 for s in sides)
    if n_cycles >= 1:
        n_cycles = min(n_cycles, options.max_cycles)
        durations = [float(np.mean(np.diff(s.events[:n_cycles + 1]))) / s.fps for s in sides]
        per_cycle = max(8, int(round(max(durations) * options.fps / options.speed)))
        phase = np.arange(n_cycles * per_cycle + 1) / per_cycle
        frames = np.stack([np.interp(phase, np.arange(n_cycles + 1), s.events[:n_cycles + 1])
                           for s in sides])
        frames = np.clip(np.round(frames), 0, None).astype(int)
        return Timeline(frames, 100 * phase, "phase",
                        f"aligned on {ev}, same cycle phase (0 % = {ev})")
    starts = [float(s.events[0]) if len(s.events) else 0.0 for s in sides]
    lengths = [(len(s.skeleton.points) - 1 - st) / s.fps for s, st in zip(sides, starts,
                                                                         strict=True)]
    duration = max(0.0, min(lengths))
    t = np.arange(int(duration * options.fps / options.speed) + 1) * options.speed / options.fps
    frames = np.stack([np.round(st + t * s.fps) for s, st in zip(sides, starts, strict=True)])
    why = ("fewer than two " + ev + " events in "
           + " and ".join(s.visit for s in sides if len(s.events) < 2))
    start = f"from the first {ev}" if all(len(s.events) for s in sides) else "from the start"
    return Timeline(frames.astype(int), np.full(len(t), np.nan), "time",
                    f"real time {start} ({why}: not phase-aligned)")


# --- drawing ------------------------------------------------------------------------------------
def _crop_affine(side: Side, frames: np.ndarray, aspect: float, height_px: int) -> np.ndarray:
    """(2, 3) affine from camera pixels to a panel of ``aspect`` (w / h) around the subject."""
    pts = np.concatenate([project_frame(side.camera, side.skeleton.points[f])
                          for f in np.unique(np.clip(frames, 0, len(side.skeleton.points) - 1))])
    pts = pts[np.isfinite(pts).all(axis=1)]
    w, h = side.camera.size
    if len(pts):
        lo, hi = np.percentile(pts, 1, axis=0), np.percentile(pts, 99, axis=0)
    else:
        lo, hi = np.array([0.0, 0.0]), np.array([w, h], float)
    centre = 0.5 * (lo + hi)
    box_h = max((hi[1] - lo[1]) * 1.3, (hi[0] - lo[0]) * 1.15 / aspect, 0.2 * h)
    box_w = box_h * aspect
    s = height_px / box_h
    return np.array([[s, 0.0, box_w * s / 2 - centre[0] * s],
                     [0.0, s, height_px / 2 - centre[1] * s]])


def _panel_aspect(sides: tuple[Side, Side], frames: np.ndarray) -> float:
    aspects = []
    for side, fr in zip(sides, frames, strict=True):
        pts = np.concatenate([project_frame(side.camera, side.skeleton.points[f])
                              for f in np.unique(np.clip(fr, 0, len(side.skeleton.points) - 1))])
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts):
            ext = np.percentile(pts, 99, axis=0) - np.percentile(pts, 1, axis=0)
            aspects.append(ext[0] * 1.15 / max(ext[1] * 1.3, 1.0))
    return float(np.clip(max(aspects, default=0.8), 0.8, 1.6))


class _FrameReader:
    """Sequential reader that serves nondecreasing frame indices (repeats cost nothing)."""

    def __init__(self, path: Path):
        from mocaplab.video import open_video

        self.cap = open_video(path)
        self.path = path
        self.index = -1
        self.frame: np.ndarray | None = None

    def get(self, i: int) -> np.ndarray | None:
        if i < self.index:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, i)
            self.index = i - 1
        while self.index < i:
            ok, frame = self.cap.read()
            if not ok:
                return self.frame     # past the end: hold the last frame
            self.index += 1
            self.frame = frame
        return self.frame

    def close(self) -> None:
        self.cap.release()


def _panel(side: Side, reader: _FrameReader, frame: int, affine: np.ndarray,
           size: tuple[int, int]) -> tuple[np.ndarray, dict[str, float]]:
    img = reader.get(frame)
    if img is None:
        raise InputError(f"{side.video} has no decodable frame")
    panel = cv2.warpAffine(img, affine, size, flags=cv2.INTER_AREA,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(24, 24, 24))
    f = min(frame, len(side.skeleton.points) - 1)
    draw_skeleton(panel, side.camera, side.skeleton, f, affine)
    angles = draw_body_lines(panel, side.camera, side.skeleton, f, affine)
    draw_angle_readout(panel, angles)
    return panel, angles


def compose(sides: tuple[Side, Side], panels: list[np.ndarray], phase_pct: float,
            timeline: Timeline, options: Options) -> np.ndarray:
    """One output frame: header labels, the two panels, footer with phase and legend."""
    ph, pw = panels[0].shape[:2]
    W = 2 * pw + GAP_PX
    H = HEADER_PX + ph + FOOTER_PX
    out = np.full((H, W, 3), 32, np.uint8)
    for k, (side, panel) in enumerate(zip(sides, panels, strict=True)):
        x0 = k * (pw + GAP_PX)
        out[HEADER_PX:HEADER_PX + ph, x0:x0 + pw] = panel
        put_text(out, f"{('BEFORE', 'AFTER')[k]}: {side.visit}", (x0 + 8, 22), 0.65,
                 (255, 255, 255), 2)
        view = f"{side.date}  {side.camera.name} ({options.view})"
        if side.footage_note:
            view += "  synthetic footage"
        put_text(out, view, (x0 + 8, 46), 0.45, (210, 210, 210))
    if np.isfinite(phase_pct):
        n_cycles = max(1, int(np.ceil(timeline.phase_pct[-1] / 100 - 1e-9)))
        cycle = min(int(phase_pct // 100), n_cycles - 1)
        pct = phase_pct - 100 * cycle
        line1 = f"gait cycle {cycle + 1}: {pct:3.0f} %   {timeline.note}"
    else:
        line1 = timeline.note
    put_text(out, line1, (8, HEADER_PX + ph + 19), 0.45, (255, 255, 255))
    put_text(out, f"skeleton: 3D result reprojected; dashed: level; + = left side higher; "
                  f"{options.speed:g}x", (8, HEADER_PX + ph + 39), 0.42, (200, 200, 200))
    return out


# --- writing ------------------------------------------------------------------------------------
# --- the comparison -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Comparison:
    """What :func:`make_comparison` wrote: ``video``, ``key_frames`` (PNG per key phase),
    ``sheet`` (all key frames on one image), ``summary`` (compare.json) and its content."""

    video: Path
    key_frames: tuple[Path, ...]
    sheet: Path
    summary: Path
    info: dict[str, Any]


def make_comparison(before: str | os.PathLike, after: str | os.PathLike,
                    out_dir: str | os.PathLike, options: Options = Options(), *,
                    overwrite: bool = False, codec: str = "auto") -> Comparison:
    """Write the before/after video, its key frames and compare.json to ``out_dir``."""
    out_dir = Path(out_dir)
    video_path = check_writable(out_dir / "compare.mp4", overwrite)
    sides = (load_side(before, options, 0), load_side(after, options, 1))
    tl = phase_timeline(sides, options)
    aspect = _panel_aspect(sides, tl.frames)
    ph = options.panel_height_px // 2 * 2
    pw = int(round(ph * aspect / 2)) * 2
    affines = [_crop_affine(s, fr, pw / ph, ph) for s, fr in zip(sides, tl.frames, strict=True)]
    readers = [_FrameReader(s.video) for s in sides]
    key_at = {}
    if tl.mode == "phase":
        for pct in KEY_PHASES_PCT:
            key_at[int(np.argmin(np.abs(tl.phase_pct - pct)))] = f"{pct:03d}pct"
    else:
        n = tl.frames.shape[1]
        for k, j in enumerate(np.linspace(0, n - 1, 4).astype(int)):
            key_at[int(j)] = f"t{k}"
    out_dir.mkdir(parents=True, exist_ok=True)
    key_files: list[Path] = []
    key_images: list[np.ndarray] = []
    angles_at: dict[str, list[dict[str, float]]] = {}
    size = (2 * pw + GAP_PX, HEADER_PX + ph + FOOTER_PX)
    with atomic_path(video_path) as video_tmp:  # a failed video leaves no file
        writer = Mp4Writer(video_tmp, options.fps, size, codec)
        ok = False
        try:
            for j in range(tl.frames.shape[1]):
                panels, angles = [], []
                for k in range(2):
                    p, a = _panel(sides[k], readers[k], int(tl.frames[k, j]), affines[k],
                                  (pw, ph))
                    panels.append(p)
                    angles.append(a)
                frame = compose(sides, panels, float(tl.phase_pct[j]), tl, options)
                writer.write(frame)
                if j in key_at:
                    f = out_dir / f"keyframe_{key_at[j]}.png"
                    with atomic_path(f) as tmp:
                        cv2.imwrite(str(tmp), frame)
                    key_files.append(f)
                    key_images.append(frame)
                    angles_at[key_at[j]] = angles
            ok = True
        finally:
            for r in readers:
                r.close()
            writer.close(ok)
    sheet = out_dir / "key_frames.png"
    with atomic_path(sheet) as tmp:
        cv2.imwrite(str(tmp), _sheet(key_images))
    info = {
        "before": str(sides[0].trial_dir), "after": str(sides[1].trial_dir),
        "view": options.view, "event": options.event, "alignment": tl.mode, "note": tl.note,
        "speed": options.speed, "fps": options.fps, "codec": writer.codec,
        "frames": int(tl.frames.shape[1]), "size": list(size),
        "source_frames": tl.frames.tolist(),
        "sides": [{"visit": s.visit, "date": s.date, "camera": s.camera.name,
                   "video": s.video.name, "footage": s.footage_note or "camera footage",
                   "events": [round(float(e), 2) for e in s.events],
                   "camera_scores": [dataclasses.asdict(c) | {"score": round(c.score, 3)}
                                     for c in s.scores]} for s in sides],
        "key_frames": {name: {"file": f"keyframe_{name}.png",
                              "angles_deg": [{k: (None if not np.isfinite(v) else round(v, 2))
                                              for k, v in a.items()} for a in angles_at[name]]}
                       for name in angles_at},
    }
    summary = write_json(out_dir / "compare.json", info)
    return Comparison(video_path, tuple(key_files), sheet, summary, info)


def _inputs_fingerprint(trial_dir: Path) -> list[Any]:
    t = Trial(trial_dir)
    files = [t.points3d_path, t.metrics_path, t.meta_path, t.local_calibration_path]
    if t.videos_dir.is_dir():
        files += sorted(t.videos_dir.iterdir())
    return [(f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file()]


def cached_comparison(before: str | os.PathLike, after: str | os.PathLike,
                      cache_dir: str | os.PathLike, options: Options = Options(),
                      lock: Any = None) -> Path:
    """The folder of the comparison of ``before`` and ``after`` inside ``cache_dir``: made on
    first use, then reused until an input of either trial changes (the folder name hashes the
    options, the software version and the name, size and time of each trial's inputs), so a
    stale comparison is never returned. ``lock`` (a context manager, e.g. threading.Lock) keeps
    concurrent callers from making the same one twice."""
    from mocaplab import __version__

    pa, pb = Path(before).resolve(), Path(after).resolve()
    ident = [str(pa), str(pb), dataclasses.asdict(options), __version__,
             _inputs_fingerprint(pa), _inputs_fingerprint(pb)]
    key = hashlib.sha256(json.dumps(ident, default=str).encode()).hexdigest()[:32]
    root = Path(cache_dir)
    out = root / key
    if (out / "compare.json").is_file():
        return out
    with lock if lock is not None else contextlib.nullcontext():
        if (out / "compare.json").is_file():
            return out
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
        try:
            make_comparison(pa, pb, tmp, options, overwrite=True)
            os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _sheet(images: list[np.ndarray], max_width_px: int = 1600) -> np.ndarray:
    """Key frames in a grid two wide (for a report page), scaled to ``max_width_px``."""
    if not images:
        return np.full((10, 10, 3), 32, np.uint8)
    h, w = images[0].shape[:2]
    cols = 2 if len(images) > 1 else 1
    rows = -(-len(images) // cols)
    grid = np.full((rows * h + (rows - 1) * GAP_PX, cols * w + (cols - 1) * GAP_PX, 3), 255,
                   np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        grid[r * (h + GAP_PX):r * (h + GAP_PX) + h, c * (w + GAP_PX):c * (w + GAP_PX) + w] = im
    s = min(1.0, max_width_px / grid.shape[1])
    return cv2.resize(grid, (int(grid.shape[1] * s), int(grid.shape[0] * s)),
                      interpolation=cv2.INTER_AREA)
