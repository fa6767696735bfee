"""Pure scene construction for the replay viewer and the headless renderer (NumPy only).

Everything here turns trial arrays into plain arrays of positions, index pairs and colours; the
Open3D conversion lives in :mod:`mocaplab.viewer.geometry`, the window in
:mod:`mocaplab.viewer.gui` and the offscreen renderer in :mod:`mocaplab.viewer.render`.

Frames and units follow CONVENTIONS.md: lab frame, right-handed, Z up, metres.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from mocaplab import sides
from mocaplab.camera import Camera, CameraSet
from mocaplab.errors import InputError
from mocaplab.keypoint_sets import KEYPOINT_SETS, KeypointSet

#: RGB in [0, 1] of the two sides and the midline: the one convention of mocaplab.sides
#: (left red, right blue).
LEFT_COLOR = sides.rgb("left")
RIGHT_COLOR = sides.rgb("right")
CENTER_COLOR = sides.rgb("center")
SIDE_COLORS = {"left": LEFT_COLOR, "right": RIGHT_COLOR, "center": CENTER_COLOR}
FRUSTUM_COLOR = (0.15, 0.55, 0.25)
GRID_COLOR = (0.62, 0.62, 0.62)
AXIS_COLORS = ((0.85, 0.1, 0.1), (0.1, 0.7, 0.1), (0.1, 0.1, 0.85))

VIEW_NAMES = ("front", "side", "top")
UP = np.array([0.0, 0.0, 1.0])


@dataclasses.dataclass(frozen=True, eq=False)
class SkeletonSpec:
    """How to draw one trial's keypoints.

    Attributes:
        keypoints: the K names, in array order.
        edges: (E, 2) int indices of the bones present in this trial.
        sides: (K,) "left" / "right" / "center".
        joint_colors: (K, 3) RGB in [0, 1].
        edge_colors: (E, 3) RGB in [0, 1]: the side shared by both ends, else the midline colour.
        set_name: the known keypoint set the edges come from ("" if none matched).
    """

    keypoints: tuple[str, ...]
    edges: np.ndarray
    sides: tuple[str, ...]
    joint_colors: np.ndarray
    edge_colors: np.ndarray
    set_name: str = ""


def skeleton_spec(keypoints: Sequence[str]) -> SkeletonSpec:
    """Bones, sides and colours for a list of keypoint names.

    The bones come from the known keypoint set (MediaPipe33, Plug-in Gait) sharing the most
    names with ``keypoints``; only bones whose two ends are present are kept, so a lower-body
    marker subset still draws its legs.
    """
    names = tuple(str(k) for k in keypoints)
    if not names:
        raise InputError("no keypoints to draw")
    kset = _best_set(names)
    edges: list[tuple[int, int]] = []
    if kset is not None:
        for a, b in kset.edges:
            if a in names and b in names:
                edges.append((names.index(a), names.index(b)))
    edge_arr = np.array(edges, dtype=int).reshape(-1, 2)
    side_of = (kset or next(iter(KEYPOINT_SETS.values()))).side
    sides = tuple(side_of(n) for n in names)
    joint_colors = np.array([SIDE_COLORS[s] for s in sides], dtype=float).reshape(-1, 3)
    edge_colors = np.array([SIDE_COLORS[sides[a]] if sides[a] == sides[b] else CENTER_COLOR
                            for a, b in edge_arr], dtype=float).reshape(-1, 3)
    return SkeletonSpec(names, edge_arr, sides, joint_colors, edge_colors,
                        kset.name if kset is not None else "")


def _best_set(names: tuple[str, ...]) -> KeypointSet | None:
    best, best_n = None, 0
    for kset in KEYPOINT_SETS.values():
        n = len(set(kset.names) & set(names))
        if n > best_n:
            best, best_n = kset, n
    return best


@dataclasses.dataclass(frozen=True, eq=False)
class FrameSkeleton:
    """The drawable skeleton of one frame (only what was reconstructed).

    Attributes:
        joints: (J, 3) positions of the finite keypoints, metres.
        joint_colors: (J, 3) RGB.
        joint_index: (J,) index of each drawn joint in the keypoint list.
        line_points: (2B, 3) end points of the B drawn bones (both ends finite).
        lines: (B, 2) int indices into ``line_points``.
        line_colors: (B, 3) RGB.
    """

    joints: np.ndarray
    joint_colors: np.ndarray
    joint_index: np.ndarray
    line_points: np.ndarray
    lines: np.ndarray
    line_colors: np.ndarray


def frame_skeleton(points: np.ndarray, spec: SkeletonSpec) -> FrameSkeleton:
    """Skeleton of one frame: ``points`` (K, 3) metres, NaN = not reconstructed."""
    points = np.asarray(points, dtype=float)
    if points.shape != (len(spec.keypoints), 3):
        raise InputError(f"frame has shape {points.shape}, expected ({len(spec.keypoints)}, 3)")
    ok = np.isfinite(points).all(axis=1)
    idx = np.flatnonzero(ok)
    e = spec.edges
    keep = ok[e[:, 0]] & ok[e[:, 1]] if len(e) else np.zeros(0, dtype=bool)
    ek = e[keep]
    line_points = points[ek.reshape(-1)].reshape(-1, 3)
    lines = np.arange(2 * len(ek), dtype=np.int32).reshape(-1, 2)
    return FrameSkeleton(points[idx], spec.joint_colors[idx], idx, line_points, lines,
                         spec.edge_colors[keep])


# --- lab furniture -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class Lines:
    """A set of coloured segments: ``points`` (N, 3), ``lines`` (M, 2) int, ``colors`` (M, 3)."""

    points: np.ndarray
    lines: np.ndarray
    colors: np.ndarray

    @staticmethod
    def concat(parts: Sequence[Lines]) -> Lines:
        pts, lns, cols, off = [], [], [], 0
        for p in parts:
            pts.append(p.points)
            lns.append(p.lines + off)
            cols.append(p.colors)
            off += len(p.points)
        if not pts:
            return Lines(np.zeros((0, 3)), np.zeros((0, 2), int), np.zeros((0, 3)))
        return Lines(np.vstack(pts), np.vstack(lns).astype(int), np.vstack(cols))


def floor_grid(center: Sequence[float], half_size: float, spacing: float = 0.5,
               color: Sequence[float] = GRID_COLOR) -> Lines:
    """A square grid on the floor (z = 0) around ``center`` (x, y), lines every ``spacing`` m.

    The grid is snapped to multiples of ``spacing`` so that its lines stay on round lab
    coordinates whatever the centre.
    """
    if not (half_size > 0 and spacing > 0):
        raise InputError("floor grid needs a positive size and spacing")
    cx, cy = (round(float(c) / spacing) * spacing for c in center[:2])
    n = int(np.ceil(half_size / spacing))
    ticks = np.arange(-n, n + 1) * spacing
    lo, hi = ticks[0], ticks[-1]
    pts = []
    for t in ticks:
        pts += [(cx + t, cy + lo, 0.0), (cx + t, cy + hi, 0.0),
                (cx + lo, cy + t, 0.0), (cx + hi, cy + t, 0.0)]
    pts_arr = np.array(pts, dtype=float)
    lines = np.arange(len(pts_arr)).reshape(-1, 2)
    return Lines(pts_arr, lines, np.tile(np.asarray(color, float), (len(lines), 1)))


def lab_axes(length: float = 0.5) -> Lines:
    """The lab frame's X (red), Y (green) and Z (blue) axes at the origin."""
    pts = np.vstack([np.zeros(3), np.eye(3) * length])
    return Lines(pts, np.array([[0, 1], [0, 2], [0, 3]]), np.array(AXIS_COLORS))


def camera_frustum(camera: Camera, depth: float = 0.35,
                   color: Sequence[float] = FRUSTUM_COLOR) -> Lines:
    """A camera's viewing pyramid: its centre joined to the image corners at ``depth`` metres.

    Uses the undistorted pinhole (K, R, t); the image's top edge gets an extra mark (a small
    triangle) so that the camera's up direction can be read.
    """
    w, h = camera.size
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h], [w * 0.4, 0], [w * 0.6, 0]], float)
    kinv = np.linalg.inv(camera.matrix)
    rays = np.c_[corners, np.ones(len(corners))] @ kinv.T
    rays = rays / rays[:, 2:3] * depth  # on the plane z_cam = depth
    tip = rays[4:6].mean(axis=0) + np.array([0.0, -0.15 * depth * h / max(w, h), 0.0])
    cam_pts = np.vstack([np.zeros(3), rays, tip])
    world = (cam_pts - camera.tvec) @ camera.rotation  # R^T (x - t)
    lines = np.array([[0, 1], [0, 2], [0, 3], [0, 4], [1, 2], [2, 3], [3, 4], [4, 1],
                      [5, 7], [7, 6]])
    return Lines(world, lines, np.tile(np.asarray(color, float), (len(lines), 1)))


def camera_frustums(cameras: CameraSet | None, depth: float = 0.35) -> Lines:
    """Frustums of every camera of a calibration (empty without one)."""
    return Lines.concat([camera_frustum(c, depth) for c in (cameras or ())])


def trails(points: np.ndarray, spec: SkeletonSpec, frame: int, length: int,
           names: Sequence[str] = ("left_heel", "right_heel", "LHEE", "RHEE", "left_hip",
                                   "right_hip", "LASI", "RASI")) -> Lines:
    """Paths of a few keypoints over the ``length`` frames up to ``frame`` (NaN gaps break them).

    Args:
        points: (F, K, 3) metres.
    """
    start = max(0, frame - length + 1)
    parts = []
    for name in names:
        if name not in spec.keypoints:
            continue
        k = spec.keypoints.index(name)
        path = points[start:frame + 1, k]
        ok = np.isfinite(path).all(axis=1)
        seg = np.flatnonzero(ok[:-1] & ok[1:])
        if not len(seg):
            continue
        pts = path[np.ravel(np.c_[seg, seg + 1])]
        parts.append(Lines(pts, np.arange(len(pts)).reshape(-1, 2),
                           np.tile(spec.joint_colors[k], (len(seg), 1))))
    return Lines.concat(parts)


# --- direction of walking and standard views -----------------------------------------------------
_PELVIS_NAMES = (("left_hip", "right_hip"), ("LASI", "RASI"), ("LPSI", "RPSI"),
                 ("left_shoulder", "right_shoulder"), ("LSHO", "RSHO"))


def progression_direction(points: np.ndarray, keypoints: Sequence[str],
                          min_travel_m: float = 0.3) -> np.ndarray:
    """Unit horizontal (3,) direction of walking, found from the data.

    The pelvis (mean of the left/right hip or ASIS points, else of every keypoint) is followed
    over the trial: its horizontal principal direction, signed by the net displacement, is the
    progression. When it travels less than ``min_travel_m`` (treadmill, standing), the facing
    direction from the left/right pair is used instead (forward = (left - right) x Z); without
    either, +X.

    Args:
        points: (F, K, 3) metres, lab frame, Z up.
    """
    points = np.asarray(points, dtype=float)
    pair, centre = _pelvis_centre(points, keypoints)
    xy = centre[np.isfinite(centre).all(axis=1), :2]
    if len(xy) >= 2:
        d = xy - xy.mean(axis=0)
        _, _, vt = np.linalg.svd(d, full_matrices=False)
        axis = vt[0]
        along = d @ axis
        if np.ptp(along) >= min_travel_m:
            if along[-1] - along[0] < 0:
                axis = -axis
            return np.array([axis[0], axis[1], 0.0]) / np.linalg.norm(axis)
    if pair:
        lr = points[:, pair[0]] - points[:, pair[1]]
        lr = lr[np.isfinite(lr).all(axis=1)]
        if len(lr):
            fwd = np.cross(lr.mean(axis=0), UP)
            fwd[2] = 0.0
            n = np.linalg.norm(fwd)
            if n > 1e-9:
                return fwd / n
    return np.array([1.0, 0.0, 0.0])


def _pelvis_centre(points: np.ndarray, keypoints: Sequence[str]
                   ) -> tuple[tuple[int, int] | None, np.ndarray]:
    """(left/right pelvis index pair or None, (F, 3) pelvis centre): the mean of the first
    left/right hip or ASIS/PSIS pair present, else of every keypoint."""
    names = list(keypoints)
    pair = next(((names.index(a), names.index(b)) for a, b in _PELVIS_NAMES
                 if a in names and b in names), None)
    with np.errstate(invalid="ignore"), _quiet_nanmean():
        centre = (np.nanmean(points[:, list(pair)], axis=1) if pair
                  else np.nanmean(points, axis=1))
    return pair, centre


class _quiet_nanmean:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)


@dataclasses.dataclass(frozen=True)
class ViewPose:
    """A look-at camera: ``eye`` and ``center`` (3,) metres, ``up`` (3,) unit vector."""

    eye: tuple[float, float, float]
    center: tuple[float, float, float]
    up: tuple[float, float, float]


def standard_view(name: str, progression: np.ndarray, center: Sequence[float],
                  extent: float, fov_deg: float = 40.0, aspect: float = 16 / 9) -> ViewPose:
    """The front, side or top view of a subject walking along ``progression``.

    - front: from ahead of the subject, looking back at them (their left on the image right);
    - side: from the subject's right, so that walking goes left to right in the image;
    - top: from above, progression pointing up in the image.

    The distance fits a region of ``extent`` metres (its largest size) in the vertical field of
    view ``fov_deg`` with image ``aspect`` (width / height).
    """
    if name not in VIEW_NAMES:
        raise InputError(f"unknown view {name!r}; choose one of {', '.join(VIEW_NAMES)}")
    fwd = np.asarray(progression, dtype=float).copy()
    fwd[2] = 0.0
    fwd /= np.linalg.norm(fwd)
    left = np.cross(UP, fwd)
    c = np.asarray(center, dtype=float)
    half = 0.5 * max(float(extent), 0.5)
    tan_v = np.tan(np.radians(fov_deg) / 2)
    dist = 1.15 * half / min(tan_v, tan_v * aspect) + half
    if name == "front":
        eye, up = c + fwd * dist, UP
    elif name == "side":
        eye, up = c - left * dist, UP
    else:
        eye, up = c + UP * dist, fwd
    return ViewPose(tuple(eye), tuple(c), tuple(up))


def view_extent(points: np.ndarray, name: str, progression: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre (3,) and size (m) of the region to frame in a standard view of a whole trial.

    For the side and top views the whole walk is framed; for the front view only the body
    width and height (the walk comes towards the camera).

    Args:
        points: (F, K, 3) metres.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        raise InputError("the trial has no reconstructed 3D point to show")
    fwd = np.asarray(progression, float)
    left = np.cross(UP, fwd)
    along, across, up = pts @ fwd, pts @ left, pts[:, 2]
    lo = np.array([along.min(), across.min(), min(up.min(), 0.0)])
    hi = np.array([along.max(), across.max(), up.max()])
    mid = (lo + hi) / 2
    center = fwd * mid[0] + left * mid[1] + UP * mid[2]
    size = hi - lo
    if name == "front":
        extent = max(size[1], size[2])
    elif name == "side":
        extent = max(size[0], size[2])
    else:
        extent = max(size[0], size[1])
    return center, float(extent)


def look_at_extrinsic(view: ViewPose) -> np.ndarray:
    """(4, 4) world -> camera matrix (OpenCV axes: x right, y down, z forward) of a view."""
    eye, c, up = (np.asarray(v, float) for v in (view.eye, view.center, view.up))
    z = c - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = -R @ eye
    return T


def intrinsic_matrix(width: int, height: int, fov_deg: float) -> np.ndarray:
    """(3, 3) pinhole K with vertical field of view ``fov_deg`` and the centre in the middle."""
    f = 0.5 * height / np.tan(np.radians(fov_deg) / 2)
    return np.array([[f, 0.0, (width - 1) / 2], [0.0, f, (height - 1) / 2], [0.0, 0.0, 1.0]])


def project(points: np.ndarray, K: np.ndarray, extrinsic: np.ndarray) -> np.ndarray:
    """Pinhole projection of world points (..., 3) to pixels (..., 2); NaN behind the camera."""
    p = np.asarray(points, float) @ extrinsic[:3, :3].T + extrinsic[:3, 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(p[..., 2] > 1e-9, p[..., 2], np.nan)
        uv = (p[..., :2] / z[..., None]) @ K[:2, :2].T + K[:2, 2]
    return uv


def follow_centers(points: np.ndarray, keypoints: Sequence[str], progression: np.ndarray,
                   fps: float, smooth_s: float = 0.5) -> np.ndarray:
    """(F, 3) view centres that follow the subject along the progression direction.

    Only the along-progression component moves (a moving average of the pelvis over
    ``smooth_s`` seconds, gaps filled by the nearest value); the sideways position and the
    height stay those of the whole trial, so the camera glides without bobbing.

    Args:
        points: (F, K, 3) metres.
    """
    points = np.asarray(points, dtype=float)
    _, centre = _pelvis_centre(points, keypoints)
    with np.errstate(invalid="ignore"), _quiet_nanmean():
        all_mid = np.nanmean(centre, axis=0)
    if not np.isfinite(all_mid).all():
        raise InputError("the trial has no reconstructed 3D point to show")
    fwd = np.asarray(progression, float)
    along = centre @ fwd
    ok = np.isfinite(along)
    idx = np.arange(len(along))
    along = np.interp(idx, idx[ok], along[ok])
    n = max(1, int(round(smooth_s * fps)) | 1)
    if n > 1 and len(along) > 1:
        pad = np.pad(along, n // 2, mode="edge")
        along = np.convolve(pad, np.ones(n) / n, mode="valid")
    base = all_mid - fwd * (all_mid @ fwd)
    base[2] = 0.0
    out = base + along[:, None] * fwd
    with _quiet_nanmean():
        top = np.nanmedian(np.nanmax(points[..., 2], axis=1))
    out[:, 2] = 0.5 * top if np.isfinite(top) and top > 0 else 0.9
    return out
