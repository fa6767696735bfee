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

from mocaplab.atomic import atomic_path
from mocaplab.errors import InputError
from mocaplab.viewer import scene as sc
from mocaplab.viewer.data import TrialData, format_panel, load_trial
from mocaplab.viewer.display import require_display
from mocaplab.viewer.geometry import SkeletonGeometry, add_static, set_frame
from mocaplab.viewer.timeline import Alignment, align_by_gait_cycle, timeline_image

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0)
PANEL_WIDTH = 300
TIMELINE_HEIGHT = 36
FOV_DEG = 40.0


def single_alignment(trial: TrialData) -> Alignment:
    return Alignment("start", (0,), (trial.fps,), (trial.n_frames,), 0.0,
                     (trial.n_frames - 1) / trial.fps)


class _TrialView:
    """One trial's 3D widget, timeline and labels."""

    def __init__(self, window: gui.Window, trial: TrialData, show_cameras: bool):
        self.trial = trial
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
        self.title = gui.Label(trial.name)
        self.angles = gui.Label(format_panel(trial, 0))
        self.index = -1

    def show(self, index: int, trails: bool) -> None:
        t = self.trial
        self.index = index
        frame = sc.frame_skeleton(t.points[index], self.spec)
        trail = sc.trails(t.points, self.spec, index, int(t.fps)) if trails else None
        set_frame(self.widget.scene, self.builder, frame, trail=trail)
        self.title.text = (f"{t.name}: frame {index + 1}/{t.n_frames}, "
                           f"t = {index / t.fps:.2f} s")
        self.angles.text = format_panel(t, index)
        self.timeline.update_image(o3d.geometry.Image(np.ascontiguousarray(
            timeline_image(t.n_frames, t.events, index, self.timeline_width, TIMELINE_HEIGHT))))

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
        self.view_name = view
        self._last_tick: float | None = None

        title = "mocaplab replay: " + " | ".join(t.name for t in trials)
        self.window = gui.Application.instance.create_window(title, width, height)
        w = self.window
        em = w.theme.font_size
        self.views = [_TrialView(w, t, show_cameras) for t in trials]
        for v in self.views:
            w.add_child(v.widget)
            w.add_child(v.timeline)

        self.panel = gui.Vert(0.4 * em, gui.Margins(0.6 * em, 0.6 * em, 0.6 * em, 0.6 * em))
        self.buttons: dict[str, gui.Button] = {}
        #: control name -> the callback its widget calls (scripts and tests call these too)
        self.actions: dict[str, Callable] = {}

        def button(key: str, text: str, callback) -> gui.Button:
            b = gui.Button(text)
            b.set_on_clicked(callback)
            self.buttons[key] = b
            self.actions[key] = callback
            return b

        row = gui.Horiz(0.3 * em)
        row.add_child(button("prev_event", "|<", lambda: self.jump_event(-1)))
        row.add_child(button("back", "<", lambda: self.step(-1)))
        row.add_child(button("play", "Play", self.play_pause))
        row.add_child(button("forward", ">", lambda: self.step(1)))
        row.add_child(button("next_event", ">|", lambda: self.jump_event(1)))
        self.panel.add_child(row)

        self.slider = gui.Slider(gui.Slider.INT)
        self.slider.set_limits(0, self.n_steps - 1)
        self.slider.set_on_value_changed(self.seek)
        self.actions["slider"] = self.seek
        self.panel.add_child(self.slider)

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

        for v in self.views:
            self.panel.add_fixed(0.6 * em)
            self.panel.add_child(v.title)
            self.panel.add_child(v.angles)
        self.panel.add_fixed(0.6 * em)
        if len(trials) > 1:
            self.panel.add_child(gui.Label(f"aligned on: {self.alignment.side} foot strike"))
        self.panel.add_child(gui.Label("timeline: tall tick = foot strike,\n"
                                       "short = foot off; blue L, red R"))
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
        self._set_time(self.alignment.t_start + int(value) / self.fps)

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
                v.show(i, self.trails)
        k = int(round((self.t - self.alignment.t_start) * self.fps))
        if int(self.slider.int_value) != k:
            self.slider.int_value = k
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
        for i, v in enumerate(self.views):
            x = r.x + i * col_w
            v.widget.frame = gui.Rect(x, r.y, col_w - 2, r.height - TIMELINE_HEIGHT - 4)
            v.timeline.frame = gui.Rect(x, r.get_bottom() - TIMELINE_HEIGHT - 2, col_w - 2,
                                        TIMELINE_HEIGHT)
            if v.timeline_width != col_w - 2:
                v.timeline_width = max(16, col_w - 2)
                v.show(max(v.index, 0), self.trails)
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
         width: int = 1400, height: int = 860) -> Path | None:
    """Open the replay window on one or two trials and run it until it is closed.

    With ``screenshot``, the window shows ``frame`` (0-based, of the first trial), saves an
    image of itself and closes (documentation, tests).
    """
    require_display(str(paths[0]) if paths else "TRIAL")
    trials = [load_trial(p) for p in paths]
    app = gui.Application.instance
    app.initialize()
    win = ReplayWindow(trials, align_side=align_side, view=view_name, trails=trails,
                       show_cameras=show_cameras, width=width, height=height,
                       clock_thread=screenshot is None)
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
