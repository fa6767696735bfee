"""Is there a display for the interactive viewer?

Open3D's ``gui.Application`` aborts the whole process (no Python exception) when it cannot open
a window, so the viewer asks first, in a child process: is ``DISPLAY`` set and does the X server
answer ``XOpenDisplay``?
"""

from __future__ import annotations

import os
import subprocess
import sys

from mocaplab.errors import MocaplabError

_PROBE = (
    "import ctypes, ctypes.util, sys\n"
    "name = ctypes.util.find_library('X11') or 'libX11.so.6'\n"
    "x = ctypes.CDLL(name)\n"
    "x.XOpenDisplay.restype = ctypes.c_void_p\n"
    "x.XOpenDisplay.argtypes = [ctypes.c_char_p]\n"
    "d = x.XOpenDisplay(None)\n"
    "if not d:\n"
    "    sys.exit(3)\n"
    "x.XDefaultScreen.argtypes = [ctypes.c_void_p]\n"
    "x.XDisplayWidth.argtypes = x.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]\n"
    "s = x.XDefaultScreen(d)\n"
    "print('SCREEN', x.XDisplayWidth(d, s), x.XDisplayHeight(d, s))\n"
)


class NoDisplayError(MocaplabError):
    """No display to open the interactive viewer on."""


def display_status(timeout_s: float = 10.0) -> tuple[bool, str]:
    """(True, "") when an X display answers, else (False, the reason)."""
    ok, reason, _ = _probe(timeout_s)
    return ok, reason


def _probe(timeout_s: float = 10.0) -> tuple[bool, str, tuple[int, int] | None]:
    """(answers, why not, the default screen's (width, height) in pixels or None)."""
    display = os.environ.get("DISPLAY")
    if not display:
        return False, "DISPLAY is not set (no X display)", None
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE], timeout=timeout_s,
                              capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return False, f"the X server on DISPLAY={display} does not answer", None
    if proc.returncode == 0:
        size = None
        for line in proc.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "SCREEN" and all(p.isdigit() for p in parts[1:]):
                size = (int(parts[1]), int(parts[2]))
        return True, "", size
    if proc.returncode == 3:
        return False, f"cannot open the X display DISPLAY={display}", None
    return False, f"cannot load libX11 to open DISPLAY={display}", None


def display_available() -> bool:
    """True when the interactive viewer can open a window."""
    return display_status()[0]


def require_display(trial_hint: str = "TRIAL") -> tuple[int, int] | None:
    """The screen's (width, height) in pixels (None if unknown); :class:`NoDisplayError` saying
    what to do instead when there is no display."""
    ok, reason, size = _probe()
    if not ok:
        raise NoDisplayError(
            f"the interactive viewer needs a display: {reason}. Render without one instead: "
            f"`mocaplab render {trial_hint} --out walk.mp4` (or --out frame.png --frames N), "
            "or run under a virtual display: `xvfb-run mocaplab view ...`")
    return size
