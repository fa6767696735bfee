"""Pelvis and shoulder lines against a level reference (pure NumPy), for the viewer and renders.

Pelvic obliquity and trunk rotation are a few degrees: invisible on a stick figure unless the
hip line and the shoulder line are drawn with a level (horizontal) reference beside them, their
angles written next to them, and, on request, the angles exaggerated in the drawing (the numbers
stay the measured ones).

Angles of a left-right line (left point L, right point R, lab frame Z up, walking along
``progression``), in degrees:

- ``tilt_deg``: elevation of L - R above the horizontal; positive = left side higher.
- ``heading_deg``: rotation of L - R about the vertical away from the lateral axis
  (``Z x progression``, pointing to the subject's left); positive = left side forward.

These are the angles of the drawn line itself; they are close to, but not the same as, the
Plug-in Gait pelvic obliquity and rotation of metrics.json (which use the pelvis frame and a
rotation order).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from mocaplab import sides
from mocaplab.viewer.scene import UP, Lines

#: (name, left keypoint, right keypoint) tried in order; the first pair present is used.
LINE_PAIRS = {
    "pelvis": (("left_hip", "right_hip"), ("LASI", "RASI"), ("LHJC", "RHJC")),
    "shoulders": (("left_shoulder", "right_shoulder"), ("LSHO", "RSHO")),
}
LEVEL_COLOR = (0.35, 0.35, 0.35)
#: the level reference reaches this many half-lines either side of the centre.
REF_FACTOR = 1.8
MAX_DRAWN_DEG = 75.0


@dataclasses.dataclass(frozen=True)
class LevelLine:
    """One left-right line of a frame.

    Attributes:
        name: "pelvis" or "shoulders".
        left, right, centre: (3,) metres.
        tilt_deg: + = left side higher (see the module doc).
        heading_deg: + = left side forward.
    """

    name: str
    left: np.ndarray
    right: np.ndarray
    centre: np.ndarray
    tilt_deg: float
    heading_deg: float

    @property
    def half_length_m(self) -> float:
        return float(np.linalg.norm(self.left - self.right) / 2)


def _pair(keypoints: Sequence[str], name: str) -> tuple[int, int] | None:
    names = list(keypoints)
    return next(((names.index(a), names.index(b)) for a, b in LINE_PAIRS[name]
                 if a in names and b in names), None)


def _axes(progression: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fwd = np.asarray(progression, float).copy()
    fwd[2] = 0.0
    fwd /= np.linalg.norm(fwd)
    return fwd, np.cross(UP, fwd)  # forward, lateral (to the subject's left)


def level_lines(points: np.ndarray, keypoints: Sequence[str],
                progression: np.ndarray) -> list[LevelLine]:
    """The pelvis and shoulder lines of one frame (``points`` (K, 3) metres); a line whose
    points are not reconstructed is left out."""
    fwd, lat = _axes(progression)
    out = []
    for name in LINE_PAIRS:
        pair = _pair(keypoints, name)
        if pair is None:
            continue
        left, right = np.asarray(points[pair[0]], float), np.asarray(points[pair[1]], float)
        if not (np.isfinite(left).all() and np.isfinite(right).all()):
            continue
        d = left - right
        horiz = np.hypot(d @ lat, d @ fwd)
        if horiz < 1e-6:
            continue
        tilt = float(np.degrees(np.arctan2(d[2], horiz)))
        heading = float(np.degrees(np.arctan2(d @ fwd, d @ lat)))
        out.append(LevelLine(name, left, right, (left + right) / 2, tilt, heading))
    return out


def trunk_rotation_deg(lines: Sequence[LevelLine]) -> float | None:
    """Shoulder line heading minus pelvis line heading (+ = left shoulder forward of the
    pelvis), or None without both lines."""
    by = {ln.name: ln for ln in lines}
    if "pelvis" not in by or "shoulders" not in by:
        return None
    return by["shoulders"].heading_deg - by["pelvis"].heading_deg


def reference_ends(line: LevelLine, progression: np.ndarray) -> np.ndarray:
    """(2, 3) ends of a line's level reference (where its label goes)."""
    _, lat = _axes(progression)
    off = REF_FACTOR * line.half_length_m * lat
    return np.stack([line.centre + off, line.centre - off])


def level_geometry(lines: Sequence[LevelLine], progression: np.ndarray,
                   exaggeration: float = 1.0) -> Lines:
    """Segments to draw: each line in two halves (left half in the left colour, right half in
    the right colour) with its tilt and heading multiplied by ``exaggeration`` (drawing only,
    capped at 75 degrees), and a grey level reference through its centre along the lateral
    axis, longer than the line (:data:`REF_FACTOR`)."""
    fwd, lat = _axes(progression)
    pts, cols = [], []
    for ln in lines:
        t = np.radians(np.clip(ln.tilt_deg * exaggeration, -MAX_DRAWN_DEG, MAX_DRAWN_DEG))
        h = np.radians(np.clip(ln.heading_deg * exaggeration, -MAX_DRAWN_DEG, MAX_DRAWN_DEG))
        d = np.cos(t) * (np.cos(h) * lat + np.sin(h) * fwd) + np.sin(t) * UP
        half = ln.half_length_m
        c = ln.centre
        pts += [c, c + half * d, c, c - half * d, c - REF_FACTOR * half * lat,
                c + REF_FACTOR * half * lat]
        cols += [sides.rgb("left"), sides.rgb("right"), LEVEL_COLOR]
    if not pts:
        return Lines(np.zeros((0, 3)), np.zeros((0, 2), int), np.zeros((0, 3)))
    arr = np.array(pts, float)
    return Lines(arr, np.arange(len(arr)).reshape(-1, 2), np.array(cols, float))


def tilt_series(points: np.ndarray, keypoints: Sequence[str], progression: np.ndarray,
                name: str = "pelvis") -> np.ndarray:
    """(F,) tilt of the pelvis (or shoulder) line in every frame of ``points`` (F, K, 3),
    degrees, + = left side higher, NaN where it is not reconstructed."""
    pair = _pair(keypoints, name)
    if pair is None:
        return np.full(len(points), np.nan)
    fwd, lat = _axes(progression)
    d = np.asarray(points[:, pair[0]], float) - np.asarray(points[:, pair[1]], float)
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arctan2(d[:, 2], np.hypot(d @ lat, d @ fwd)))


def label(line: LevelLine) -> str:
    """"pelvis: left side 3.1° higher"."""
    return f"{line.name}: {sides.higher_side(line.tilt_deg)}"


def describe(lines: Sequence[LevelLine], exaggeration: float = 1.0,
             with_lines: bool = True) -> list[str]:
    """Clinical wording of the lines' angles, one line each:
    "Pelvis: left side 3.1° higher", "Shoulders: level (0.2°)" (unless ``with_lines`` is
    False: they are labelled beside the lines), "Trunk rotation: 8.0° (left shoulder forward of
    the pelvis)"; the exaggeration of the drawing is stated."""
    out = [f"{ln.name.capitalize()}: {sides.higher_side(ln.tilt_deg)}"
           for ln in lines] if with_lines else []
    rot = trunk_rotation_deg(lines)
    if rot is not None:
        out.append(f"Trunk rotation: {sides.forward_side(rot, 'shoulder', 'the pelvis')}")
    if out and exaggeration != 1.0:
        out.append(f"Lines drawn with angles x{exaggeration:g} (numbers as measured)")
    return out
