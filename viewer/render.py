"""Headless rendering of a trial (Open3D OffscreenRenderer): MP4 replays and PNG frames.

Works with no display (Filament on Mesa's software Vulkan). The render camera is an exact
pinhole: :meth:`TrialRenderer.camera` returns the intrinsic matrix K and the world -> camera
extrinsic (OpenCV axes) used for a frame, so that tests can project the joints themselves.

Public functions: :func:`render_trial`, :func:`render_key_frames`, :func:`render_comparison`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mocaplab import sides
from mocaplab.atomic import atomic_path, check_writable
from mocaplab.errors import InputError, MocaplabError
from mocaplab.video import Mp4Writer
from mocaplab.viewer import levels as lv
from mocaplab.viewer import scene as sc
from mocaplab.viewer.data import TrialData, format_panel, load_trial
from mocaplab.viewer.timeline import Alignment, align_by_gait_cycle, timeline_image

VIDEO_SUFFIXES = (".mp4",)
IMAGE_SUFFIXES = (".png",)


class RenderError(MocaplabError):
    """The renderer could not start or write its output."""


@dataclasses.dataclass(frozen=True)
class RenderOptions:
    """How a trial is rendered.

    Attributes:
        width, height: image size in pixels.
        view: "front", "side" or "top" (relative to the trial's progression direction).
        fov_deg: vertical field of view.
        follow: move the camera with the subject along the walk (else frame the whole trial).
        trails: draw the heel and hip paths of the last ``trail_s`` seconds.
        cameras: draw the calibration's camera frustums.
        grid: draw the floor grid.
        overlay: write the trial name, frame, time, angles and the event timeline on the image.
        levels: draw the pelvis and shoulder lines with a level reference and their angles.
        exaggeration: factor on the drawn lines' angles (the numbers stay as measured).
        title: label before the trial name on the overlay ("before", "after"; "" none).
    """

    width: int = 1280
    height: int = 720
    view: str = "side"
    fov_deg: float = 40.0
    follow: bool = True
    trails: bool = False
    trail_s: float = 1.0
    cameras: bool = True
    grid: bool = True
    overlay: bool = True
    levels: bool = True
    exaggeration: float = 1.0
    title: str = ""

    def __post_init__(self) -> None:
        if not 0.1 <= self.exaggeration <= 20:
            raise InputError(f"exaggeration {self.exaggeration} is out of range (0.1..20)")
        if not (16 <= self.width <= 8192 and 16 <= self.height <= 8192):
            raise InputError(f"image size {self.width}x{self.height} is out of range "
                             "(16..8192 pixels)")
        if self.view not in sc.VIEW_NAMES:
            raise InputError(f"unknown view {self.view!r}; choose one of "
                             f"{', '.join(sc.VIEW_NAMES)}")


def configure_view(scene) -> None:
    """Settings for an unlit line-and-sphere scene (shared with the window's scenes).

    Everything is drawn unlit, so lights, shadows and ambient occlusion add nothing; on a
    software GPU (Mesa llvmpipe) shadow passes cost seconds of pipeline compilation whenever
    the geometry changes, so they are turned off. Post-processing (tone mapping) is off so
    that colours come out exactly as given.
    """
    import open3d.visualization.rendering as rendering

    view = scene.view
    view.set_post_processing(False)
    view.set_shadowing(False, rendering.View.ShadowType.PCF)
    view.set_antialiasing(False)
    view.set_ambient_occlusion(False)
    scene.scene.enable_sun_light(False)
    scene.scene.enable_indirect_light(False)


class RenderBackend:
    """One Open3D OffscreenRenderer shared by several :class:`TrialRenderer` (Open3D does not
    like several renderers alive in one process). Each user's geometry carries a name prefix;
    :meth:`activate` shows one user's geometry and hides the others'. Call :meth:`close` (or use
    ``with``) to release it cleanly."""

    def __init__(self, width: int, height: int):
        import open3d.visualization.rendering as rendering

        self.size = (width, height)
        try:
            self.renderer = rendering.OffscreenRenderer(width, height)
        except Exception as exc:  # Open3D raises RuntimeError without a usable Mesa driver
            raise RenderError(f"cannot start the offscreen renderer ({exc}); install Mesa "
                              "(libegl1, libgl1-mesa-dri, mesa-vulkan-drivers)") from None
        self.scene = self.renderer.scene
        self.scene.set_background([1.0, 1.0, 1.0, 1.0])
        configure_view(self.scene)
        self._active: str | None = None
        self._prefixes: list[str] = []  # in use
        self._slots: list[str] = []  # ever created

    def register(self) -> str:
        """A free geometry-name prefix. Names are reused after :meth:`release`: Filament is
        slow (seconds on a software GPU) the first time it draws a geometry of a new name."""
        free = [p for p in self._slots if p not in self._prefixes]
        prefix = free[0] if free else f"t{len(self._slots)}/"
        if prefix not in self._slots:
            self._slots.append(prefix)
        self._prefixes.append(prefix)
        self._active = None  # the newcomer's geometry is visible: re-hide on next activate
        return prefix

    def release(self, prefix: str) -> None:
        from mocaplab.viewer.geometry import ALL_NAMES

        if self.scene is not None:
            for name in ALL_NAMES:
                if self.scene.has_geometry(prefix + name):
                    self.scene.remove_geometry(prefix + name)
        if prefix in self._prefixes:
            self._prefixes.remove(prefix)

    def activate(self, prefix: str) -> None:
        from mocaplab.viewer.geometry import ALL_NAMES

        if self._active == prefix or len(self._prefixes) < 2:
            self._active = prefix
            return
        for p in self._prefixes:
            for name in ALL_NAMES:
                if self.scene.has_geometry(p + name):
                    self.scene.show_geometry(p + name, p == prefix)
        self._active = prefix

    def close(self) -> None:
        if self.renderer is not None:
            self.scene.clear_geometry()
            self.renderer = None
            self.scene = None

    def __enter__(self) -> RenderBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class TrialRenderer:
    """Draws frames of one trial; :meth:`render` returns frame ``i`` as an RGB array.

    Static geometry (floor grid, frustums) is added once; each frame replaces only the skeleton.
    Pass a :class:`RenderBackend` to share one offscreen renderer between trials (its size
    must match the options).
    """

    def __init__(self, trial: TrialData, options: RenderOptions = RenderOptions(),
                 backend: RenderBackend | None = None):
        from mocaplab.viewer.geometry import SkeletonGeometry, add_static

        self.trial, self.options = trial, options
        self.spec = sc.skeleton_spec(trial.keypoints)
        self.progression = sc.progression_direction(trial.points, trial.keypoints)
        self._own_backend = backend is None
        self.backend = backend or RenderBackend(options.width, options.height)
        if self.backend.size != (options.width, options.height):
            raise InputError("renderer size differs from the render options")
        self.prefix = self.backend.register()
        self._builder = SkeletonGeometry(len(trial.keypoints))
        center, extent = sc.view_extent(trial.points, options.view, self.progression)
        self._static_center = center
        self._follow = (sc.follow_centers(trial.points, trial.keypoints, self.progression,
                                          trial.fps) if options.follow else None)
        if options.follow:  # frame the region around the subject, not the whole walk
            with np.errstate(invalid="ignore"):
                height = float(np.nanmax(trial.points[..., 2]))
            self._extent = max(2.0, 1.3 * height)
        else:
            self._extent = extent
        grid = None
        if options.grid:
            _, walk = sc.view_extent(trial.points, "top", self.progression)
            grid = sc.floor_grid(center[:2], max(3.0, 0.6 * walk), 0.5)
        frustums = sc.camera_frustums(trial.cameras) if options.cameras else None
        add_static(self.backend.scene, grid, frustums, sc.lab_axes(0.3), self.prefix)
        self.K = sc.intrinsic_matrix(options.width, options.height, options.fov_deg)
        #: the timeline's curve when there are no gait events: the pelvis line's tilt
        self._trace = (lv.tilt_series(trial.points, trial.keypoints, self.progression)
                       if not trial.events else None)

    def close(self) -> None:
        """Release the renderer (or, on a shared backend, remove this trial's geometry)."""
        if self._own_backend:
            self.backend.close()
        else:
            self.backend.release(self.prefix)

    def __enter__(self) -> TrialRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def camera(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(K (3, 3), world -> camera extrinsic (4, 4)) of frame ``index``."""
        o = self.options
        center = self._follow[index] if self._follow is not None else self._static_center
        pose = sc.standard_view(o.view, self.progression, center, self._extent, o.fov_deg,
                                o.width / o.height)
        return self.K, sc.look_at_extrinsic(pose)

    def render(self, index: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB image of frame ``index``."""
        from mocaplab.viewer.geometry import set_frame

        t = self.trial
        if not 0 <= index < t.n_frames:
            raise InputError(f"frame index {index} outside the trial (0..{t.n_frames - 1})")
        o = self.options
        frame = sc.frame_skeleton(t.points[index], self.spec)
        trail = (sc.trails(t.points, self.spec, index, max(2, int(o.trail_s * t.fps)))
                 if o.trails else None)
        lines = (lv.level_lines(t.points[index], t.keypoints, self.progression)
                 if o.levels else [])
        drawn = lv.level_geometry(lines, self.progression, o.exaggeration) if lines else None
        self.backend.activate(self.prefix)
        set_frame(self.backend.scene, self._builder, frame, self.prefix, trail, drawn)
        K, E = self.camera(index)
        self.backend.renderer.setup_camera(K, E, o.width, o.height)
        img = np.asarray(self.backend.renderer.render_to_image()).copy()
        if o.overlay:
            labels = [(sc.project(lv.reference_ends(ln, self.progression), K, E), lv.label(ln))
                      for ln in lines]
            draw_overlay(img, t, index, lv.describe(lines, o.exaggeration, with_lines=False),
                         labels, o.title, self._trace)
        return img


def overlay_font(size: int):
    """DejaVu Sans (shipped with matplotlib: it has the degree sign) at ``size`` pixels."""
    from matplotlib import font_manager
    from PIL import ImageFont

    try:
        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    except OSError:
        return ImageFont.load_default(size=size)


def draw_overlay(img: np.ndarray, trial: TrialData, index: int,
                 line_text: Sequence[str] = (),
                 labels: Sequence[tuple[np.ndarray, str]] = (), title: str = "",
                 trace: np.ndarray | None = None) -> None:
    """Write the header, the angles in clinical wording, the side-colour legend, labels beside
    the drawn pelvis/shoulder lines and the event timeline onto ``img`` in place.

    Text sits on a translucent white box, 1/36 of the image height (at least 13 px).

    Args:
        line_text: lines about the drawn pelvis/shoulder lines (:func:`levels.describe`).
        labels: ((2, 2) pixels of the two ends of a level reference, text): the text goes
            beside the end further right (or left, when it does not fit).
        title: "before" / "after" / "" shown first.
        trace: (F,) curve drawn on the timeline when the trial has no gait events.
    """
    from PIL import Image, ImageDraw

    h, w = img.shape[:2]
    size = max(13, int(round(h / 36)))
    font = overlay_font(size)
    head = " ".join(x for x in (title.upper() if title else "", trial.name,
                                f"({trial.date})" if trial.date else "") if x)
    lines = [f"{head}   frame {index + 1}/{trial.n_frames}   t = {index / trial.fps:.2f} s"]
    panel = format_panel(trial, index).split("\n") if trial.angles else []
    lines += [ln for ln in panel if ln and not ln.endswith("not available")] + list(line_text)
    if not trial.events and trial.no_events_reason:
        lines.append(trial.no_events_reason + ("; timeline: pelvis line tilt"
                                               if trace is not None else ""))
    pil = Image.fromarray(img).convert("RGBA")
    layer = Image.new("RGBA", pil.size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(layer)
    step = int(size * 1.3)
    box_w = max(draw.textlength(ln, font=font) for ln in lines) + 16
    draw.rectangle((4, 4, 4 + box_w, 12 + step * (len(lines) + 1)), fill=(255, 255, 255, 190))
    y = 8
    for ln in lines:
        draw.text((12, y), ln, fill=(20, 20, 20, 255), font=font)
        y += step
    x = 12
    for text, side in (("Left", "left"), (" red, ", "center"), ("right", "right"),
                       (" blue, grey line: level", "center")):
        draw.text((x, y), text, fill=(*sides.rgb255(side), 255), font=font)
        x += draw.textlength(text, font=font)
    for ends, text in labels:
        ends = np.asarray(ends, float)
        if not np.isfinite(ends).all():
            continue
        tw = draw.textlength(text, font=font)
        right = ends[np.argmax(ends[:, 0])]
        left = ends[np.argmin(ends[:, 0])]
        u = right[0] + 10 if right[0] + 10 + tw < w - 4 else left[0] - 10 - tw
        v = (right if u > left[0] else left)[1]
        if not (0 <= u < w and 0 <= v < h):
            continue
        draw.rectangle((u - 3, v - size * 0.7, u + tw + 3, v + size * 0.7),
                       fill=(255, 255, 255, 200))
        draw.text((u, v - size * 0.6), text, fill=(20, 20, 20, 255), font=font)
    img[:] = np.asarray(Image.alpha_composite(pil, layer).convert("RGB"))
    strip_h = max(12, h // 30)
    strip = timeline_image(trial.n_frames, trial.events, index, width=w - 20, height=strip_h,
                           trace=trace)
    img[h - strip_h - 8:h - 8, 10:w - 10] = strip


# --- writers -------------------------------------------------------------------------------------
def write_png(path: Path, rgb: np.ndarray, overwrite: bool = True) -> Path:
    """Atomic PNG write with Pillow."""
    from PIL import Image

    with atomic_path(path, overwrite) as tmp:
        try:
            Image.fromarray(rgb).save(tmp, format="PNG")
        except OSError as exc:
            raise RenderError(f"cannot write {path}: {exc}") from None
    return Path(path)


# --- public functions ----------------------------------------------------------------------------
def _as_trial(trial: TrialData | str | os.PathLike) -> TrialData:
    return trial if isinstance(trial, TrialData) else load_trial(trial)


def _check_frames(frames: Sequence[int] | None, n: int) -> list[int]:
    if frames is None:
        return list(range(n))
    out = [int(f) for f in frames]
    if not out:
        raise InputError("no frame selected to render")
    bad = [f for f in out if not 0 <= f < n]
    if bad:
        raise InputError(f"frames {bad[:5]} are outside the trial (it has {n} frames)")
    return out


def render_trial(trial: TrialData | str | os.PathLike, out_path: str | os.PathLike, *,
                 frames: Sequence[int] | None = None, options: RenderOptions | None = None,
                 fps: float | None = None, overwrite: bool = True,
                 progress: Callable[[int, int], None] | None = None,
                 backend: RenderBackend | None = None, **option_kw) -> list[Path]:
    """Render a trial to an MP4 replay or PNG frames, without a display.

    Args:
        trial: a trial folder, a points3d.npz file or a loaded :class:`TrialData`.
        out_path: ``*.mp4`` for a video; ``*.png`` for images: one frame is written to exactly
            that file, several frames to ``<stem>_<frame number>.png`` beside it (frame numbers
            1-based, as in metrics.json).
        frames: 0-based frame indices to render (default all).
        options: :class:`RenderOptions`; or pass its fields as keywords (``view="front"``...).
        fps: video frame rate (default the trial's).
        overwrite: replace existing outputs (the pipeline reruns its own stage).
        progress: called with (done, total) after each frame.
        backend: a :class:`RenderBackend` of the same size to reuse (starting a renderer
            costs seconds: share one when rendering many trials).

    Returns:
        The files written.
    """
    out = Path(out_path)
    suffix = out.suffix.lower()
    if suffix not in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
        raise InputError(f"{out}: the output must end in .mp4 (video) or .png (frames)")
    options = (dataclasses.replace(options, **option_kw) if options
               else RenderOptions(**option_kw))
    t = _as_trial(trial)
    idx = _check_frames(frames, t.n_frames)
    check_writable(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    with TrialRenderer(t, options, backend) as renderer:
        if suffix in IMAGE_SUFFIXES:
            written = []
            for n, i in enumerate(idx):
                path = out if len(idx) == 1 else out.with_name(f"{out.stem}_{i + 1:05d}.png")
                written.append(write_png(path, renderer.render(i), overwrite))
                if progress:
                    progress(n + 1, len(idx))
            return written
        with atomic_path(out, overwrite) as tmp:
            writer = Mp4Writer(tmp, fps or t.fps, (options.width, options.height),
                               pixel_format="rgb24")
            ok = False
            try:
                for n, i in enumerate(idx):
                    writer.write(renderer.render(i))
                    if progress:
                        progress(n + 1, len(idx))
                ok = True
            finally:
                writer.close(ok)
    return [out]


def key_frames(trial: TrialData, n_default: int = 4) -> list[tuple[int, str]]:
    """Frames for a report: the events of the first gait cycle, else evenly spaced frames.

    The cycle is the first foot strike of a side to its next foot strike, with every event in
    between; labels are like "right_foot_strike".
    """
    evs = sorted(trial.events, key=lambda e: e.index)
    strikes = [e for e in evs if e.type == "foot_strike"]
    if strikes:
        first = strikes[0]
        nxt = next((e for e in strikes[1:] if e.side == first.side), None)
        end = nxt.index if nxt else trial.n_frames - 1
        chosen = [e for e in evs if first.index <= e.index <= end]
        seen, out = set(), []
        for e in chosen:
            if e.index not in seen:
                seen.add(e.index)
                out.append((e.index, f"{e.side}_{e.type}"))
        return out
    n = trial.n_frames
    picks = np.unique(np.linspace(0, n - 1, min(n_default, n)).round().astype(int))
    return [(int(i), "frame") for i in picks]


def render_key_frames(trial: TrialData | str | os.PathLike, out_dir: str | os.PathLike, *,
                      views: Sequence[str] = ("side", "front"), width: int = 960,
                      height: int = 720, overwrite: bool = True,
                      backend: RenderBackend | None = None, **option_kw) -> list[Path]:
    """PNG images of the key frames (:func:`key_frames`) in each view, for reports.

    Files are ``<out_dir>/keyframe_<frame number>_<label>_<view>.png`` (frame numbers 1-based).
    """
    t = _as_trial(trial)
    out_dir = Path(out_dir)
    picks = key_frames(t)
    written = []
    own = backend is None
    backend = backend or RenderBackend(width, height)
    try:
        for view in views:
            with TrialRenderer(t, RenderOptions(width=width, height=height, view=view,
                                                **option_kw), backend) as renderer:
                for index, label in picks:
                    path = out_dir / f"keyframe_{index + 1:05d}_{label}_{view}.png"
                    written.append(write_png(path, renderer.render(index), overwrite))
    finally:
        if own:
            backend.close()
    return written


def render_comparison(trials: Sequence[TrialData | str | os.PathLike],
                      out_path: str | os.PathLike, *, side: str | None = None,
                      options: RenderOptions | None = None, overwrite: bool = True,
                      progress: Callable[[int, int], None] | None = None,
                      backend: RenderBackend | None = None, **option_kw) -> list[Path]:
    """Two (or more) trials side by side, aligned by gait cycle, to an MP4 (or one PNG).

    Each trial gets its own panel of ``width`` x ``height``; the common clock starts at the
    aligned first foot strike (:func:`align_by_gait_cycle`) and runs at the first trial's rate.
    """
    ts = [_as_trial(t) for t in trials]
    if len(ts) < 2:
        raise InputError("a comparison needs at least two trials")
    options = options or RenderOptions(**option_kw)
    out = Path(out_path)
    if out.suffix.lower() not in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
        raise InputError(f"{out}: the output must end in .mp4 or .png")
    align = align_by_gait_cycle(ts, side)
    fps = ts[0].fps
    times = _clock(align, fps)
    check_writable(out, overwrite)
    own = backend is None
    backend = backend or RenderBackend(options.width, options.height)
    renderers = [TrialRenderer(t, options, backend) for t in ts]
    try:

        def frame_at(t: float) -> np.ndarray:
            return np.hstack([r.render(i) for r, i in zip(renderers, align.frames_at(t),
                                                           strict=True)])

        if out.suffix.lower() in IMAGE_SUFFIXES:
            t0 = 0.0 if align.t_start <= 0 <= align.t_end else align.t_start
            return [write_png(out, frame_at(t0), overwrite)]
        with atomic_path(out, overwrite) as tmp:
            writer = Mp4Writer(tmp, fps, (options.width * len(ts), options.height),
                               pixel_format="rgb24")
            ok = False
            try:
                for n, t in enumerate(times):
                    writer.write(frame_at(t))
                    if progress:
                        progress(n + 1, len(times))
                ok = True
            finally:
                writer.close(ok)
    finally:
        for r in renderers:
            r.close()
        if own:
            backend.close()
    return [out]


def _clock(align: Alignment, fps: float) -> np.ndarray:
    n = int(np.floor((align.t_end - align.t_start) * fps)) + 1
    return align.t_start + np.arange(n) / fps
