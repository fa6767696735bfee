"""The replay window under a virtual X display (Xvfb), driven by its own controls.

The window runs in a child process: Open3D's GUI aborts the process when something goes wrong
with the display, which must not take pytest down.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mocaplab.synthetic.lab import write_synthetic_trial
from mocaplab.viewer.data import load_trial

CHILD = r"""
import faulthandler, json, sys
faulthandler.dump_traceback_later(100, exit=True)  # a hung GUI fails, with a traceback
import open3d.visualization.gui as gui
from mocaplab.viewer.data import load_trial
from mocaplab.viewer.gui import ReplayWindow

trial = load_trial(sys.argv[1])
app = gui.Application.instance
app.initialize()
win = ReplayWindow([trial], width=1000, height=640, view="side", clock_thread=False)
win.run_for(1.0)
act = win.actions
log = {"start": win.frames[0]}
act["forward"]()
log["forward"] = win.frames[0]
act["forward"]()
act["back"]()
log["forward_back"] = win.frames[0]
act["slider"](51)  # frame numbers from 1, as in the text
log["slider"] = [win.frames[0], win.slider.int_value, win.views[0].title.text]
act["exaggeration"]("3x", 2)
log["exaggeration"] = [win.exaggeration, win.views[0].angles.text]
act["next_event"]()
log["next_event"] = win.frames[0]
act["prev_event"]()
log["prev_event"] = win.frames[0]
act["speed"]("0.5x", 2)
act["loop"](False)
act["play"]()
log["playing"] = win.playing
import time
t0 = time.monotonic()
win.run_for(1.5)
log["played_s"] = time.monotonic() - t0
log["after_play"] = win.frames[0]
if win.playing:
    act["play"]()  # pause (a slow frame may already have played it to the end: no restart)
log["paused"] = not win.playing and win.frames[0] == log["after_play"]
log["speed"] = win.speed
act["view_front"]()
act["trails"](True)
act["view_side"]()
win.run_for(1.5)
win.screenshot(sys.argv[2])
log["window"] = [win.window.os_frame.width, win.window.os_frame.height]
print("RESULT " + json.dumps(log), flush=True)
win.window.close()
import os
os._exit(0)  # skip Open3D's teardown: the test is about the window, not process exit
"""


@pytest.fixture
def xvfb_display():
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    r, w = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(w), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(w,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        ready, _, _ = select.select([r], [], [], 30)
        assert ready, "Xvfb did not start"
        number = os.read(r, 64).decode().strip()
        yield f":{number}"
    finally:
        os.close(r)
        proc.terminate()
        proc.wait(10)


def test_gui_under_xvfb_stepped_by_its_controls(tmp_path, xvfb_display):
    folder = write_synthetic_trial(tmp_path / "walk", duration_s=3.0, fps=60.0)
    trial = load_trial(folder)
    shot = tmp_path / "window.png"
    env = dict(os.environ, DISPLAY=xvfb_display)
    # No retry: the frame stalls once seen here (lavapipe's anisotropic sampling on undefined
    # UVs, docs/viewer.md) are fixed; a stall fails with the child's traceback after 100 s.
    proc = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(shot)], env=env,
                          capture_output=True, text=True, timeout=200)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    log = json.loads(lines[0][7:])
    assert log["start"] == 0
    assert log["forward"] == 1 and log["forward_back"] == 1
    assert log["slider"][:2] == [50, 51] and "frame 51/180" in log["slider"][2]
    assert log["exaggeration"][0] == 3.0
    assert "Pelvic obliquity:" in log["exaggeration"][1] and "x3" in log["exaggeration"][1]
    after = sorted({e.index for e in trial.events if e.index > 50})[0]
    assert log["next_event"] == after
    assert log["prev_event"] == max(e.index for e in trial.events if e.index < after)
    assert log["playing"] is True and log["speed"] == 0.5
    # It played, at 0.5x: forward, by no more than half the wall time that passed (one slow
    # software-rendered frame may take seconds, so no lower bound beyond "it moved").
    advanced = log["after_play"] - log["prev_event"]
    assert 0 < advanced <= 0.5 * log["played_s"] * trial.fps + 2, (advanced, log["played_s"])
    assert log["paused"]

    import cv2

    img = cv2.imread(str(shot))[..., ::-1]
    assert img.shape[:2] == (log["window"][1], log["window"][0])
    from mocaplab import sides

    red = (np.abs(img.astype(int) - sides.rgb255("left")).max(-1) < 12).sum()
    blue = (np.abs(img.astype(int) - sides.rgb255("right")).max(-1) < 12).sum()
    assert red > 100 and blue > 100, (red, blue)


def test_view_without_display_says_so_and_points_to_render(tmp_path):
    folder = write_synthetic_trial(tmp_path / "walk", duration_s=1.0, fps=30.0)
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    proc = subprocess.run([sys.executable, "-m", "mocaplab.cli", "view", str(folder)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "needs a display" in proc.stderr and "mocaplab render" in proc.stderr
    env["DISPLAY"] = ":987"  # set, but no X server there
    proc = subprocess.run([sys.executable, "-m", "mocaplab.cli", "view", str(folder)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "cannot open the X display" in proc.stderr


def test_view_screenshot_fits_a_screen_smaller_than_the_window(tmp_path, xvfb_display):
    """`mocaplab view TRIAL --screenshot X.png` under a 1280x800 screen (xvfb-run's default is
    1280x1024; a laptop's 1366x768): the 1400x860 window was centred off both edges, the shot
    had a black band over the left of the 3D view and the title, and the panel's text was cut
    at the right. The window now fits the screen. --frame outside the trial is refused (it
    showed the last frame)."""
    import cv2

    folder = write_synthetic_trial(tmp_path / "walk", duration_s=2.0, fps=60.0)
    env = dict(os.environ, DISPLAY=xvfb_display)
    shot = tmp_path / "shot.png"
    for bad in ("0", "121"):
        proc = subprocess.run([sys.executable, "-m", "mocaplab.cli", "view", str(folder),
                               "--frame", bad, "--screenshot", str(shot)], env=env,
                              capture_output=True, text=True, timeout=200)
        assert proc.returncode == 1 and f"--frame {bad}: " in proc.stderr, proc.stderr[-2000:]
        assert "has frames 1 to 120" in proc.stderr and not shot.exists()
    proc = subprocess.run([sys.executable, "-m", "mocaplab.cli", "view", str(folder), "--frame",
                           "60", "--screenshot", str(shot)], env=env, capture_output=True,
                          text=True, timeout=200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    img = cv2.imread(str(shot))
    assert img.shape[1] <= 1280 and img.shape[0] <= 800, img.shape
    # the 3D view's white background reaches the left edge (it was black there)
    left = img[100: img.shape[0] - 100, :40].astype(int)
    assert (left.min(-1) > 200).mean() > 0.5, (left.min(-1) > 200).mean()
