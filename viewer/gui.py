"""The interactive replay window (open3d.visualization.gui): one trial, or two side by side.

Controls call public methods of :class:`ReplayWindow` (``play_pause``, ``step``, ``seek``,
``jump_event``, ``set_speed``, ``set_loop``, ``set_trails``, ``set_view``), so that scripts
and tests drive the window exactly as the buttons do. Two trials play on one clock aligned by
gait cycle (:func:`mocaplab.viewer.timeline.align_by_gait_cycle`).

Never create the window without checking for a display first
(:func:`mocaplab.viewer.display.require_display`): Open3D aborts the process without one.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import open3d as o3d
import open3d.visualization.gui as gui
import open3d.visualization.rendering as rendering

from mocaplab import sides
from mocaplab.atomic import atomic_path
from mocaplab.errors import InputError
from mocaplab.viewer import levels as lv
from mocaplab.viewer import scene as sc
from mocaplab.viewer.curves import curve_strip_image
from mocaplab.viewer.data import TrialData, format_panel, load_trial
from mocaplab.viewer.display import require_display
from mocaplab.viewer.geometry import SkeletonGeometry, add_static, set_frame
from mocaplab.viewer.timeline import Alignment, align_by_gait_cycle, timeline_image

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0)
#: factors on the drawn pelvis/shoulder line angles (the numbers shown stay as measured).
EXAGGERATIONS = (1.0, 2.0, 3.0, 5.0)
#: panel titles of two trials shown together.
ROLES = ("before", "after")
PANEL_WIDTH = 300
TIMELINE_HEIGHT = 36
#: width of the panel's joint-angle curves (pixels; the panel less its margins).
CURVES_WIDTH = 276
#: height of one curve strip: one trial, or two stacked in the panel (before/after).
CURVES_STRIP_HEIGHT = {1: 84, 2: 50}
FOV_DEG = 40.0


def single_alignment(trial: TrialData) -> Alignment:
    return Alignment("start", (0,), (trial.fps,), (trial.n_frames,), 0.0,
                     (trial.n_frames - 1) / trial.fps)


def view_title(trial: TrialData, role: str = "") -> str:
    """"BEFORE  walk1 (2026-11-02)": the role of the trial, its name and recording date."""
    return "  ".join(x for x in (role.upper(), trial.name + (f" ({trial.date})" if trial.date
                                                               else "")) if x)


class _TrialView:
    """One trial's 3D widget, its title over it, timeline and labels."""

    def __init__(self, window: gui.Window, trial: TrialData, show_cameras: bool,
                 role: str = "", strip_height: int = CURVES_STRIP_HEIGHT[1]):
        self.trial = trial
        self.role = role
        self.strip_height = strip_height
        self.spec = sc.skeleton_spec(trial.keypoints)
        self.progression = sc.progression_direction(trial.points, trial.keypoints)
        self.builder = SkeletonGeometry(len(trial.keypoints))
        self.widget = gui.SceneWidget()
        self.widget.scene = rendering.Open3DScene(window.renderer)
        self.widget.scene.set_background([1.0, 1.0, 1.0, 1.0])
        self.widget.scene.view.set_post_processing(False)  # true colours
        self.widget.scene.show_axes(False)
        self.widget.set_view_controls(gui.SceneWidget.Controls.ROTATE_CAMERA)
        center, walk = sc.view_extent(trial.points, "top", self.progression)
        grid = sc.floor_grid(center[:2], max(3.0, 0.6 * walk), 0.5)
        frustums = sc.camera_frustums(trial.cameras) if show_cameras else None
        add_static(self.widget.scene, grid, frustums, sc.lab_axes(0.3))
        self.follow = sc.follow_centers(trial.points, trial.keypoints, self.progression,
                                        trial.fps)
        with np.errstate(invalid="ignore"):
            self.height = float(np.nanmax(trial.points[..., 2]))
        self.timeline = gui.ImageWidget(o3d.geometry.Image(
            np.zeros((TIMELINE_HEIGHT, 400, 3), np.uint8)))
        self.timeline_width = 400
        #: over the 3D view: "BEFORE  walk1 (2026-11-02)"
        self.header = gui.Label(view_title(trial, role))
        self.header.text_color = gui.Color(1.0, 1.0, 1.0)
        self.title = gui.Label(view_title(trial, role))
        self.angles = gui.Label(format_panel(trial, 0))
        #: hip and knee flexion over time with a cursor at the frame shown (None: not analysed)
        first = curve_strip_image(trial, 0, CURVES_WIDTH, strip_height)
        self.curves = None if first is None else gui.ImageWidget(o3d.geometry.Image(first))
        self.trace = (lv.tilt_series(trial.points, trial.keypoints, self.progression)
                      if not trial.events else None)
        self.labels: list = []
        self.index = -1

    def show(self, index: int, trails: bool, exaggeration: float = 1.0) -> None:
        t = self.trial
        self.index = index
        frame = sc.frame_skeleton(t.points[index], self.spec)
        trail = sc.trails(t.points, self.spec, index, int(t.fps)) if trails else None
        lines = lv.level_lines(t.points[index], t.keypoints, self.progression)
        set_frame(self.widget.scene, self.builder, frame, trail=trail,
                  levels=lv.level_geometry(lines, self.progression, exaggeration))
        for label in self.labels:
            self.widget.remove_3d_label(label)
        self.labels = []
        for ln in lines:
            end = lv.reference_ends(ln, self.progression)[0]  # the subject's left end
            label = self.widget.add_3d_label(end.astype(np.float32), lv.label(ln))
            label.color = gui.Color(0.1, 0.1, 0.1)
            self.labels.append(label)
        self.title.text = (f"{view_title(t, self.role)}\nframe {index + 1}/{t.n_frames}, "
                           f"t = {index / t.fps:.2f} s")
        text = [x for x in format_panel(t, index).split("\n") if x]
        text += lv.describe(lines, exaggeration, with_lines=False)  # lines: labelled in 3D
        if not t.events and t.no_events_reason:
            text.append(t.no_events_reason + ";\ntimeline: pelvis line tilt")
        self.angles.text = "\n".join(text)
        if self.curves is not None:
            self.curves.update_image(o3d.geometry.Image(np.ascontiguousarray(
                curve_strip_image(t, index, CURVES_WIDTH, self.strip_height))))
        self.timeline.update_image(o3d.geometry.Image(np.ascontiguousarray(
            timeline_image(t.n_frames, t.events, index, self.timeline_width, TIMELINE_HEIGHT,
                           trace=self.trace))))

    def look(self, view: str) -> None:
        index = max(self.index, 0)
        extent = max(2.0, 1.3 * self.height)
        frame = self.widget.frame
        aspect = frame.width / frame.height if frame.height > 0 else 16 / 9
        pose = sc.standard_view(view, self.progression, self.follow[index], extent, FOV_DEG,
                                aspect)
        bbox = o3d.geometry.AxisAlignedBoundingBox(np.asarray(pose.center) - extent,
                                                   np.asarray(pose.center) + extent)
        self.widget.setup_camera(FOV_DEG, bbox, np.asarray(pose.center, np.float32))
        self.widget.look_at(np.asarray(pose.center, np.float32),
                            np.asarray(pose.eye, np.float32), np.asarray(pose.up, np.float32))


class ReplayWindow:
    """The replay window. Create it after ``gui.Application.instance.initialize()``.

    Args:
        trials: one trial, or two (before / after) shown side by side on a common clock.
        align_side: side whose first foot strike aligns two trials (None: right, else left).
    """

    def __init__(self, trials: Sequence[TrialData], *, width: int = 1400, height: int = 860,
                 show_cameras: bool = True, trails: bool = False, view: str = "side",
                 align_side: str | None = None, clock_thread: bool = True):
        if not 1 <= len(trials) <= 2:
            raise InputError("the viewer shows one trial, or two side by side")
        self.trials = list(trials)
        self.alignment = (single_alignment(trials[0]) if len(trials) == 1
                          else align_by_gait_cycle(trials, align_side))
        self.fps = self.trials[0].fps
        self.n_steps = int(np.floor((self.alignment.t_end - self.alignment.t_start)
                                    * self.fps)) + 1
        self.t = self.alignment.t_start
        self.playing, self.loop, self.speed, self.trails = False, True, 1.0, trails
        self.exaggeration = 1.0
        self.view_name = view
        self._last_tick: float | None = None

        title = "mocaplab replay: " + " | ".join(t.name for t in trials)
        self.window = gui.Application.instance.create_window(title, width, height)
        w = self.window
        em = w.theme.font_size
        roles = ROLES if len(trials) == 2 else ("",)
        strip = CURVES_STRIP_HEIGHT.get(len(trials), CURVES_STRIP_HEIGHT[2])
        self.views = [_TrialView(w, t, show_cameras, r, strip)
                      for t, r in zip(trials, roles, strict=True)]
        for v in self.views:
            w.add_child(v.widget)
            w.add_child(v.timeline)
            w.add_child(v.header)

        self.panel = gui.Vert(0.4 * em, gui.Margins(0.6 * em, 0.6 * em, 0.6 * em, 0.6 * em))
        self.buttons: dict[str, gui.Button] = {}
        #: control name -> the callback its widget calls (scripts and tests call these too)
        self.actions: dict[str, Callable] = {}
        self._add_transport(em)
        self._add_options(em, trails)
        self._add_trial_texts(em)
        w.add_child(self.panel)
        w.set_on_layout(self._on_layout)
        w.set_on_tick_event(self._on_tick)
        w.set_on_close(self._on_close)
        # Playback clock for app.run(): Open3D does not always deliver tick events, so a timer
        # thread also asks the GUI thread to advance while playing. Scripts that pump the event
        # loop themselves (run_one_tick) pass clock_thread=False and use run_for().
        self._open = True
        if clock_thread:
            threading.Thread(target=self._clock_loop, daemon=True).start()
        self._show()
        self.set_view(view)

    # --- the side panel's widgets (built once, by __init__) -------------------------------------
    def _button(self, key: str, text: str, callback) -> gui.Button:
        b = gui.Button(text)
        b.set_on_clicked(callback)
        self.buttons[key] = b
        self.actions[key] = callback
        return b

    def _add_transport(self, em: float) -> None:
        """Event and frame steps, play, and the slider (frame number, or the common clock)."""
        button = self._button
        trials = self.trials
        row = gui.Horiz(0.3 * em)
        row.add_child(button("prev_event", "|<", lambda: self.jump_event(-1)))
        row.add_child(button("back", "<", lambda: self.step(-1)))
        row.add_child(button("play", "Play", self.play_pause))
        row.add_child(button("forward", ">", lambda: self.step(1)))
        row.add_child(button("next_event", ">|", lambda: self.jump_event(1)))
        self.panel.add_child(row)

        # One trial: the slider is its frame number, 1 to F, as in the text. Two: the common
        # clock in seconds (0 = the aligned foot strike), as in the label above it.
        self.single = len(trials) == 1
        if self.single:
            self.slider = gui.Slider(gui.Slider.INT)
            self.slider.set_limits(1, self.trials[0].n_frames)
            self.panel.add_child(gui.Label("Frame"))
        else:
            self.slider = gui.Slider(gui.Slider.DOUBLE)
            self.slider.set_limits(self.alignment.t_start, self.alignment.t_end)
            self.panel.add_child(gui.Label(f"Time (s), 0 = {self.alignment.side} foot strike"))
        self.slider.set_on_value_changed(self.seek)
        self.actions["slider"] = self.seek
        self.panel.add_child(self.slider)

    def _add_options(self, em: float, trails: bool) -> None:
        """Speed, loop, line exaggeration, trails and the camera views."""
        button = self._button
        row = gui.Horiz(0.3 * em)
        row.add_child(gui.Label("Speed"))
        self.speed_box = gui.Combobox()
        for s in SPEEDS:
            self.speed_box.add_item(f"{s:g}x")
        self.speed_box.selected_index = SPEEDS.index(1.0)
        self.actions["speed"] = lambda _text, i: self.set_speed(SPEEDS[i])
        self.speed_box.set_on_selection_changed(self.actions["speed"])
        row.add_child(self.speed_box)
        self.loop_box = gui.Checkbox("Loop")
        self.loop_box.checked = True
        self.loop_box.set_on_checked(self.set_loop)
        self.actions["loop"] = self.set_loop
        row.add_child(self.loop_box)
        self.panel.add_child(row)

        row = gui.Horiz(0.3 * em)
        row.add_child(gui.Label("Exaggerate lines"))
        self.exaggeration_box = gui.Combobox()
        for k in EXAGGERATIONS:
            self.exaggeration_box.add_item(f"{k:g}x")
        self.exaggeration_box.selected_index = 0
        self.actions["exaggeration"] = lambda _text, i: self.set_exaggeration(EXAGGERATIONS[i])
        self.exaggeration_box.set_on_selection_changed(self.actions["exaggeration"])
        row.add_child(self.exaggeration_box)
        self.panel.add_child(row)

        self.trails_box = gui.Checkbox("Trails (heels, hips)")
        self.trails_box.checked = trails
        self.trails_box.set_on_checked(self.set_trails)
        self.actions["trails"] = self.set_trails
        self.panel.add_child(self.trails_box)

        row = gui.Horiz(0.3 * em)
        for name in sc.VIEW_NAMES:
            row.add_child(button(f"view_{name}", name.capitalize(),
                                 lambda name=name: self.set_view(name)))
        self.panel.add_child(row)
        self.panel.add_child(gui.Label("Drag: orbit, wheel: zoom"))

    def _add_trial_texts(self, em: float) -> None:
        """Each trial's title, persons, angles and curves, then the legend."""
        trials = self.trials
        for v in self.views:
            self.panel.add_fixed(0.6 * em)
            self.panel.add_child(v.title)
            if v.trial.persons:
                self.panel.add_child(gui.Label(v.trial.persons))
            self.panel.add_child(v.angles)
            if v.curves is not None:
                self.panel.add_child(v.curves)
        self.panel.add_fixed(0.6 * em)
        if len(trials) > 1:
            self.panel.add_child(gui.Label(f"aligned on: {self.alignment.side} foot strike"))
        self.panel.add_child(gui.Label(f"{sides.LEGEND.capitalize()}; grey line: level.\n"
                                       "Pelvis and shoulder lines drawn\n"
                                       "against a level reference.\n"
                                       "Timeline: tall tick = foot strike,\n"
                                       "short = foot off."
                                       + ("\nCurves: the trial's hip and knee\n"
                                          "flexion; dark line = this frame."
                                          if any(v.curves is not None for v in self.views)
                                          else "")))

    # --- controls (the buttons call these) ------------------------------------------------------
    def play_pause(self) -> None:
        self.playing = not self.playing
        self._last_tick = None
        if self.playing and self.t >= self.alignment.t_end:
            self.t = self.alignment.t_start
        self.buttons["play"].text = "Pause" if self.playing else "Play"

    def step(self, n: int) -> None:
        self.playing = False
        self.buttons["play"].text = "Play"
        self._set_time(self.t + n / self.fps)

    def seek(self, value: float) -> None:
        """To frame number ``value`` (1-based) of a single trial, or to ``value`` seconds on
        the common clock of two."""
        if self.single:
            self._set_time(self.alignment.time_of(0, int(round(value)) - 1))
        else:
            self._set_time(float(value))

    def jump_event(self, direction: int) -> None:
        """To the next (1) or previous (-1) gait event of the first trial."""
        from mocaplab.viewer.timeline import next_event

        current = self.frames[0]
        target = next_event(self.trials[0].events, current, direction)
        if target is not None:
            self._set_time(self.alignment.time_of(0, target))

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise InputError("speed must be positive")
        self.speed = float(speed)

    def set_loop(self, loop: bool) -> None:
        self.loop = bool(loop)

    def set_trails(self, trails: bool) -> None:
        self.trails = bool(trails)
        self._show(force=True)

    def set_exaggeration(self, factor: float) -> None:
        """Draw the pelvis/shoulder line angles ``factor`` times larger (numbers unchanged)."""
        if not factor > 0:
            raise InputError("the exaggeration must be positive")
        self.exaggeration = float(factor)
        if self.exaggeration in EXAGGERATIONS:
            self.exaggeration_box.selected_index = EXAGGERATIONS.index(self.exaggeration)
        self._show(force=True)

    def set_view(self, name: str) -> None:
        self.view_name = name
        for v in self.views:
            v.look(name)
        self.window.post_redraw()

    # --- state ----------------------------------------------------------------------------------
    @property
    def frames(self) -> tuple[int, ...]:
        """The frame index shown for each trial."""
        return self.alignment.frames_at(self.t)

    def _set_time(self, t: float) -> None:
        a = self.alignment
        self.t = float(np.clip(t, a.t_start, a.t_end))
        self._show()

    def _show(self, force: bool = False) -> None:
        for v, i in zip(self.views, self.frames, strict=True):
            if force or i != v.index:
                v.show(i, self.trails, self.exaggeration)
        if self.single:
            k = self.frames[0] + 1
            if int(self.slider.int_value) != k:
                self.slider.int_value = k
        elif abs(self.slider.double_value - self.t) > 1e-9:
            self.slider.double_value = self.t
        self.window.post_redraw()

    def _on_tick(self) -> bool:
        if not self.playing:
            return False
        now = time.monotonic()
        if self._last_tick is None:
            self._last_tick = now
            return False
        dt, self._last_tick = now - self._last_tick, now
        t = self.t + dt * self.speed
        if t > self.alignment.t_end:
            if self.loop:
                t = self.alignment.t_start
            else:
                t = self.alignment.t_end
                self.playing = False
                self.buttons["play"].text = "Play"
        self._set_time(t)
        return True

    def run_for(self, seconds: float) -> bool:
        """Pump the event loop for ``seconds``, advancing playback as the clock would."""
        app = gui.Application.instance
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._on_tick()
            if not app.run_one_tick():
                return False
            time.sleep(0.01)
        return True

    def _clock_loop(self) -> None:
        app = gui.Application.instance
        while self._open:
            time.sleep(1 / 60)
            if self.playing and self._open:
                app.post_to_main_thread(self.window, self._on_tick)

    def _on_close(self) -> bool:
        self._open = False
        return True

    def _on_layout(self, ctx) -> None:
        r = self.window.content_rect
        col_w = (r.width - PANEL_WIDTH) // len(self.views)
        em = self.window.theme.font_size
        for i, v in enumerate(self.views):
            x = r.x + i * col_w
            v.widget.frame = gui.Rect(x, r.y, col_w - 2, r.height - TIMELINE_HEIGHT - 4)
            v.header.frame = gui.Rect(x + 8, r.y + 4, col_w - 16, int(1.6 * em))
            v.timeline.frame = gui.Rect(x, r.get_bottom() - TIMELINE_HEIGHT - 2, col_w - 2,
                                        TIMELINE_HEIGHT)
            if v.timeline_width != col_w - 2:
                v.timeline_width = max(16, col_w - 2)
                v.show(max(v.index, 0), self.trails, self.exaggeration)
        self.panel.frame = gui.Rect(r.get_right() - PANEL_WIDTH, r.y, PANEL_WIDTH, r.height)

    # --- screenshots ----------------------------------------------------------------------------
    def screenshot(self, path: str | os.PathLike, overwrite: bool = True) -> Path:
        """Save the whole window (3D views, timeline and panel) as seen on the X display."""
        from PIL import ImageGrab

        f = self.window.os_frame
        img = ImageGrab.grab(bbox=(f.x, f.y, f.x + f.width, f.y + f.height),
                             xdisplay=os.environ.get("DISPLAY"))
        with atomic_path(path, overwrite) as tmp:
            img.save(tmp, format="PNG", optimize=True)
        return Path(path)


def run_ticks(seconds: float) -> bool:
    """Run the GUI event loop for ``seconds`` (scripts, tests); False once the app has quit."""
    app = gui.Application.instance
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not app.run_one_tick():
            return False
        time.sleep(0.01)
    return True


def view(paths: Sequence[str | os.PathLike], *, align_side: str | None = None,
         view_name: str = "side", trails: bool = False, show_cameras: bool = True,
         frame: int | None = None, screenshot: str | os.PathLike | None = None,
         width: int = 1400, height: int = 860, exaggeration: float = 1.0) -> Path | None:
    """Open the replay window on one or two trials and run it until it is closed.

    With ``screenshot``, the window shows ``frame`` (0-based, of the first trial), saves an
    image of itself and closes (documentation, tests).
    """
    screen = require_display(str(paths[0]) if paths else "TRIAL")
    if screen is not None:  # a window larger than the screen is cut on both sides (centred)
        width, height = min(width, screen[0]), min(height, screen[1])
    trials = [load_trial(p) for p in paths]
    n_frames = len(trials[0].points)
    if frame is not None and not 0 <= int(frame) < n_frames:  # it showed the last (or first)
        raise InputError(f"--frame {int(frame) + 1}: {trials[0].name} has frames 1 to "
                         f"{n_frames}")
    app = gui.Application.instance
    app.initialize()
    win = ReplayWindow(trials, align_side=align_side, view=view_name, trails=trails,
                       show_cameras=show_cameras, width=width, height=height,
                       clock_thread=screenshot is None)
    if exaggeration != 1.0:
        win.set_exaggeration(exaggeration)
    if frame is not None:
        win._set_time(win.alignment.time_of(0, int(frame)))
    if screenshot is None:
        app.run()
        return None
    win.run_for(3.0)
    win.set_view(view_name)
    win.run_for(2.0)
    out = win.screenshot(screenshot)
    win.window.close()  # pumping events after this can block: the caller exits instead
    return out
