"""The one left/right colour convention of every picture mocaplab draws.

Left is red, right is blue, the midline grey: the gait-lab convention of Vicon's Plug-in Gait
reports (left red, right green or blue) that clinicians read curves in. The report's curves, its
key frames, the viewer, the rendered replays and the progress report all take their colours
from here, and their legends say it with :data:`LEGEND`.
"""

from __future__ import annotations

import math

#: hex colours (matplotlib, reportlab, HTML).
LEFT_HEX = "#c0392b"
RIGHT_HEX = "#1f6fb2"
CENTER_HEX = "#4d4d4d"
SIDE_HEX = {"left": LEFT_HEX, "right": RIGHT_HEX, "center": CENTER_HEX}
#: how legends state the convention.
LEGEND = "left red, right blue"


def rgb(side: str) -> tuple[float, float, float]:
    """(r, g, b) in [0, 1] of "left", "right" or "center" (anything else: the midline)."""
    h = SIDE_HEX.get(side, CENTER_HEX).lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def rgb255(side: str) -> tuple[int, int, int]:
    """(r, g, b) in 0..255 of a side (images drawn with Pillow or NumPy)."""
    return tuple(int(round(255 * c)) for c in rgb(side))  # type: ignore[return-value]


#: below this many degrees a left-right difference is called level.
LEVEL_DEG = 0.5


def higher_side(left_minus_right_deg: float | None, digits: int = 1) -> str:
    """Clinical wording of a left-right height angle: "left side 3.1° higher", "right side
    0.8° higher", "level (0.2°)"; "not available" for None/NaN."""
    v = left_minus_right_deg
    if v is None or math.isnan(v):
        return "not available"
    if abs(v) < LEVEL_DEG:
        return f"level ({abs(v):.{digits}f}°)"
    return f"{'left' if v > 0 else 'right'} side {abs(v):.{digits}f}° higher"


def forward_side(left_forward_deg: float | None, part: str = "side",
                 relative_to: str = "", digits: int = 1) -> str:
    """Clinical wording of a rotation: "8.0° (left shoulder forward of the pelvis)", "level";
    "not available" for None/NaN."""
    v = left_forward_deg
    if v is None or math.isnan(v):
        return "not available"
    if abs(v) < LEVEL_DEG:
        return f"none ({abs(v):.{digits}f}°)"
    of = f" of {relative_to}" if relative_to else ""
    return f"{abs(v):.{digits}f}° ({'left' if v > 0 else 'right'} {part} forward{of})"
