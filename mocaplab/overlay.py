"""The 3D skeleton drawn on a camera's own footage, through the calibration.

What is drawn is the *3D result* (``points3d.npz``) projected into the camera with its intrinsics
and distortion (:meth:`mocaplab.camera.Camera.project`), not the 2D detection: where the drawing
leaves the body, the reconstruction (or the calibration) is off.

Body lines: the pelvis line joins the two hip points, the shoulder line the two shoulders. Their
angle against level is measured in 3D, in the lab frame (Z up): ``asin(dz / |d|)`` of the
left-minus-right vector, positive when the left side is higher. The level reference drawn beside
each line is the projection of a horizontal 3D segment through the line's centre, so it is level in
the room even when the camera looks down or from an angle.

Colours follow the viewer's side convention (:data:`mocaplab.viewer.scene.SIDE_COLORS`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cv2
import numpy as np

from mocaplab.camera import Camera
from mocaplab.errors import InputError
from mocaplab.keypoint_sets import KeypointSet, identify_keypoint_set
from mocaplab.viewer.scene import SIDE_COLORS

#: (left, right) names of the pelvis and shoulder lines, per keypoint set.
BODY_LINES: dict[str, dict[str, tuple[str, str]]] = {
    "mediapipe33": {"pelvis": ("left_hip", "right_hip"),
                    "shoulders": ("left_shoulder", "right_shoulder")},
    "plugin_gait": {"pelvis": ("LASI", "RASI"), "shoulders": ("LSHO", "RSHO")},
}
LINE_BGR = {"pelvis": (0, 215, 255), "shoulders": (255, 255, 0)}   # amber, cyan
LEVEL_BGR = (235, 235, 235)


def _bgr(rgb01: Sequence[float]) -> tuple[int, int, int]:
    r, g, b = (int(round(255 * c)) for c in rgb01)
    return (b, g, r)


SIDE_BGR = {side: _bgr(c) for side, c in SIDE_COLORS.items()}


@dataclasses.dataclass(frozen=True)
class BodyLine:
    """One body line in one frame.

    Attributes:
        name: "pelvis" or "shoulders".
        left_px, right_px: (2,) projected end points, pixels (NaN if not reconstructed).
        level_px: (2, 2) end points of the projected level reference through the centre.
        angle_deg: tilt against level in the lab, degrees; positive = left side higher.
    """

    name: str
    left_px: np.ndarray
    right_px: np.ndarray
    level_px: np.ndarray
    angle_deg: float


def line_angle_deg(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Tilt against level of the segments right -> left, degrees (positive: left higher).

    ``left``, ``right``: (..., 3) metres in the lab frame (Z up). NaN where a point is missing.
    """
    d = np.asarray(left, float) - np.asarray(right, float)
    n = np.linalg.norm(d, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.degrees(np.arcsin(np.clip(d[..., 2] / n, -1.0, 1.0)))


@dataclasses.dataclass(frozen=True)
class Skeleton:
    """A trial's 3D skeleton and what is needed to draw it.

    Attributes:
        points: (F, K, 3) metres, lab frame, NaN = not reconstructed.
        names: the K keypoint names.
        kset: their keypoint set (edges and sides).
    """

    points: np.ndarray
    names: tuple[str, ...]
    kset: KeypointSet

    @classmethod
    def of(cls, points: np.ndarray, names: Sequence[str]) -> Skeleton:
        kset = identify_keypoint_set(names)
        if kset is None or kset.name not in BODY_LINES:
            raise InputError(f"cannot draw keypoints {list(names)[:5]}...: not a known keypoint "
                             f"set ({', '.join(BODY_LINES)})")
        return cls(np.asarray(points, float), tuple(names), kset)

    def line_points(self, line: str) -> tuple[np.ndarray, np.ndarray]:
        """(F, 3) left and right end points of body line ``line``."""
        a, b = BODY_LINES[self.kset.name][line]
        return (self.points[:, self.names.index(a)], self.points[:, self.names.index(b)])

    def line_angles_deg(self, line: str) -> np.ndarray:
        """(F,) tilt against level of body line ``line``, degrees (positive: left higher)."""
        return line_angle_deg(*self.line_points(line))


def project_frame(camera: Camera, points: np.ndarray) -> np.ndarray:
    """(K, 2) pixels of (K, 3) lab points in ``camera`` (NaN for missing or behind it)."""
    pts = np.asarray(points, float)
    px = np.full((len(pts), 2), np.nan)
    ok = np.isfinite(pts).all(axis=1)
    if ok.any():
        depth = camera.world_to_camera(pts[ok])[:, 2]
        proj = camera.project(pts[ok])
        proj[depth <= 0.05] = np.nan
        px[ok] = proj
    return px


def body_line(camera: Camera, skeleton: Skeleton, frame: int, line: str) -> BodyLine:
    """The body line ``line`` of ``frame`` projected into ``camera`` with its level reference."""
    left, right = (p[frame] for p in skeleton.line_points(line))
    angle = float(line_angle_deg(left, right))
    centre = 0.5 * (left + right)
    horiz = np.array([left[0] - right[0], left[1] - right[1], 0.0])
    n = np.linalg.norm(horiz)
    half = 0.75 * np.linalg.norm(left - right) if np.isfinite(angle) else 0.0
    ends = (np.stack([centre + horiz / n * half, centre - horiz / n * half])
            if n > 1e-6 and np.isfinite(n) else np.full((2, 3), np.nan))
    px = project_frame(camera, np.stack([left, right, *ends]))
    return BodyLine(line, px[0], px[1], px[2:4], angle)


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _finite(*ps: np.ndarray) -> bool:
    return all(np.isfinite(p).all() for p in ps)


def to_panel(px: np.ndarray, affine: np.ndarray | None) -> np.ndarray:
    """(..., 2) camera pixels mapped by a (2, 3) affine (crop and scale), or unchanged."""
    if affine is None:
        return px
    return px @ affine[:, :2].T + affine[:, 2]


def draw_skeleton(image: np.ndarray, camera: Camera, skeleton: Skeleton, frame: int,
                  affine: np.ndarray | None = None, thickness_px: int = 3) -> np.ndarray:
    """Draw the bones and joints of ``frame`` on ``image`` (BGR, in place); return the (K, 2)
    projected pixels in ``image`` (camera pixels mapped by ``affine``)."""
    px = to_panel(project_frame(camera, skeleton.points[frame]), affine)
    sides = [skeleton.kset.side(n) for n in skeleton.names]
    for a, b in skeleton.kset.edge_indices:
        if _finite(px[a], px[b]):
            colour = SIDE_BGR[sides[a]] if sides[a] == sides[b] else SIDE_BGR["center"]
            cv2.line(image, _pt(px[a]), _pt(px[b]), colour, thickness_px, cv2.LINE_AA)
    for k, p in enumerate(px):
        if _finite(p):
            cv2.circle(image, _pt(p), thickness_px + 1, SIDE_BGR[sides[k]], -1, cv2.LINE_AA)
    return px


def draw_body_lines(image: np.ndarray, camera: Camera, skeleton: Skeleton, frame: int,
                    affine: np.ndarray | None = None) -> dict[str, float]:
    """Draw the pelvis and shoulder lines with their level references and angles; return
    {line: angle_deg}."""
    out = {}
    for line in ("pelvis", "shoulders"):
        bl = body_line(camera, skeleton, frame, line)
        bl = dataclasses.replace(bl, left_px=to_panel(bl.left_px, affine),
                                 right_px=to_panel(bl.right_px, affine),
                                 level_px=to_panel(bl.level_px, affine))
        out[line] = bl.angle_deg
        if not _finite(bl.left_px, bl.right_px):
            continue
        if _finite(bl.level_px):
            _dashed(image, bl.level_px[0], bl.level_px[1], LEVEL_BGR)
        cv2.line(image, _pt(bl.left_px), _pt(bl.right_px), LINE_BGR[line], 3, cv2.LINE_AA)
    return out


def draw_angle_readout(image: np.ndarray, angles: dict[str, float], org: tuple[int, int] = (8, 8),
                       font_scale: float = 0.55) -> None:
    """The line angles as a small legend box at ``org`` (top left), in the lines' colours."""
    x, y = org
    rows = [(f"{name:<9} {'--' if not np.isfinite(v) else f'{v:+.1f} deg'}", LINE_BGR[name])
            for name, v in angles.items()]
    h = int(24 * font_scale / 0.55)
    cv2.rectangle(image, (x, y), (x + int(190 * font_scale / 0.55), y + h * len(rows) + 6),
                  (30, 30, 30), -1)
    for i, (text, colour) in enumerate(rows):
        cv2.putText(image, text, (x + 6, y + h * (i + 1) - 2), cv2.FONT_HERSHEY_SIMPLEX,
                    font_scale, colour, 1, cv2.LINE_AA)


def _dashed(image: np.ndarray, p0: np.ndarray, p1: np.ndarray, colour, dash_px: float = 8.0):
    length = float(np.linalg.norm(p1 - p0))
    n = max(1, int(length // dash_px))
    for i in range(0, n, 2):
        a = p0 + (p1 - p0) * (i / n)
        b = p0 + (p1 - p0) * (min(i + 1, n) / n)
        cv2.line(image, _pt(a), _pt(b), colour, 2, cv2.LINE_AA)


def put_text(image: np.ndarray, text: str, org: tuple[int, int], scale: float = 0.6,
             colour=(255, 255, 255), thickness: int = 1) -> None:
    """Text with a dark outline, readable on any footage (the outline is the same text shifted,
    since a thicker Hershey stroke also widens the glyph advance)."""
    x, y = org
    for dx, dy in ((-1, -1), (1, -1), (-1, 1), (1, 1), (0, 2), (2, 0), (0, -2), (-2, 0)):
        cv2.putText(image, text, (x + dx, y + dy), cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20),
                    thickness, cv2.LINE_AA)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness,
                cv2.LINE_AA)
