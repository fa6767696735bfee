"""Import calibrations made by other tools into a :class:`~mocaplab.camera.CameraSet`.

Supported formats (detected from the file content, not its name):

- ``aniposelib``: anipose / aniposelib TOML (``[cam_0]`` tables, Rodrigues rotation world ->
  camera, translation in the board's unit: millimetre files are detected and converted).
- ``pose2sim``: Pose2Sim / Sports2D TOML: the same tables with arbitrary table names, sizes written
  as floats and 4 distortion coefficients (k1 k2 p1 p2; k3 = 0). Metres.
- ``qualisys``: Qualisys ``.qca.txt`` (XML). See :func:`load_qualisys` for its conventions.
- ``caliscope``: caliscope ``camera_array.toml`` (``[cameras.N]`` tables, 3x3 rotation matrix
  world -> camera, translation in metres).

Every importer returns cameras in the mocaplab convention: ``x_cam = R x_world + t``, metres,
OpenCV pixel coordinates, 5 distortion coefficients. ``metadata["imported_from"]`` names the
source format and file.
"""

from __future__ import annotations

import os
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from mocaplab.camera import Camera, CameraSet
from mocaplab.errors import InputError

CalibrationFormat = Literal["aniposelib", "pose2sim", "qualisys", "caliscope"]

#: Qualisys camera axes (x right, y up, z backwards) -> OpenCV camera axes (x right, y down,
#: z forwards).
_QUALISYS_TO_OPENCV = np.diag([1.0, -1.0, -1.0])


def detect_format(path: str | os.PathLike) -> CalibrationFormat:
    """Which calibration format ``path`` holds; :class:`InputError` if none is recognised."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"calibration file {path} does not exist")
    head = path.read_bytes()[:4096].lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<calibration"):
        if b"<calibration" in head:
            return "qualisys"
        raise InputError(f"{path} is XML but not a Qualisys calibration (no <calibration> tag)")
    data = _read_toml(path)
    cams = data.get("cameras")
    if isinstance(cams, dict) and cams and all(isinstance(v, dict) for v in cams.values()):
        return "caliscope"
    tables = [v for k, v in data.items() if k != "metadata" and isinstance(v, dict)
              and "matrix" in v]
    if not tables:
        raise InputError(
            f"{path}: not a calibration file mocaplab can read. Supported: aniposelib/anipose "
            "TOML ([cam_0] tables), Pose2Sim TOML, caliscope camera_array.toml ([cameras.0] "
            "tables) and Qualisys .qca.txt")
    if any("fisheye" in t or len(t.get("distortions", [])) == 4 for t in tables):
        return "pose2sim"
    return "aniposelib"


def load_calibration(path: str | os.PathLike,
                     fmt: CalibrationFormat | Literal["auto"] = "auto") -> CameraSet:
    """Read a calibration in any supported format (see module doc) as a :class:`CameraSet`.

    Args:
        path: the calibration file.
        fmt: the format, or "auto" to detect it from the content.

    Returns:
        The cameras in metres, world -> camera extrinsics, with
        ``metadata["imported_from"] = {"format": ..., "file": ...}``.
    """
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt in ("aniposelib", "pose2sim"):
        cams = CameraSet.load(path)
    elif fmt == "qualisys":
        cams = load_qualisys(path)
    elif fmt == "caliscope":
        cams = load_caliscope(path)
    else:
        raise InputError(f"unknown calibration format {fmt!r}")
    metadata = dict(cams.metadata)
    metadata["imported_from"] = {"format": fmt, "file": str(path)}
    return CameraSet(cams.cameras, metadata)


# --- Qualisys ---------------------------------------------------------------------------------
def load_qualisys(path: str | os.PathLike) -> CameraSet:
    """Read a Qualisys ``.qca.txt`` calibration (QTM XML export).

    Conventions of the file, as converted here:

    - ``<transform>``: ``x y z`` is the camera centre in the world frame in millimetres; the
      ``r11..r33`` matrix maps world to a camera frame looking along its -z axis with y up
      (its rows are those camera axes in world coordinates). World -> OpenCV camera is therefore
      ``R = diag(1, -1, -1) @ r`` and ``t = -R @ centre``.
    - ``<intrinsic>``: focal lengths and principal point are in sensor sub-pixel units
      (``sensorMaxU / (fov width - 1)``, 64 per pixel on Miqus Video cameras), relative to the
      full sensor; they are converted to pixels of the ``fov_video`` window (whose width and
      height give the image size).
    - Distortion coefficients are dimensionless (normalized image coordinates), so they are
      kept as they are: ``radialDistortion1..3`` -> k1 k2 k3, ``tangentalDistortion1..2`` -> p1
      p2. (Pose2Sim's converter divides them by the sub-pixel factor too; a checkerboard
      calibration of the same cameras agrees with the undivided values.)
    - Inactive cameras (``active="0"``) are skipped.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(f"{path}: not valid Qualisys XML ({exc})") from None
    cameras = []
    for i, node in enumerate(root.iter("camera")):
        if node.get("active", "1") == "0":
            continue
        name = node.get("serial") or f"cam{i + 1:02d}"
        try:
            cameras.append(_qualisys_camera(node, name))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: camera {name} is malformed or incomplete ({exc})") \
                from None
    if not cameras:
        raise InputError(f"{path}: no active camera in this Qualisys calibration")
    return CameraSet(tuple(cameras), {"source_units": "mm"})


def _qualisys_camera(node: ET.Element, name: str) -> Camera:
    tr = node.find("transform").attrib
    intr = node.find("intrinsic").attrib
    fov = _first(node, "fov_video", "fov_marker")
    fov_max = _first(node, "fov_video_max", "fov_video", "fov_marker")
    r = np.array([[float(tr[f"r{i}{j}"]) for j in (1, 2, 3)] for i in (1, 2, 3)])
    centre = np.array([float(tr[a]) for a in "xyz"]) * 1e-3
    R = _QUALISYS_TO_OPENCV @ r
    left, top = int(fov["left"]), int(fov["top"])
    width = int(fov["right"]) - left + 1
    height = int(fov["bottom"]) - top + 1
    span_u = float(fov_max["right"]) - float(fov_max["left"])
    span_v = float(fov_max["bottom"]) - float(fov_max["top"])
    su = (float(intr["sensorMaxU"]) - float(intr.get("sensorMinU", 0))) / span_u
    sv = (float(intr["sensorMaxV"]) - float(intr.get("sensorMinV", 0))) / span_v
    K = np.array([[float(intr["focalLengthU"]) / su, float(intr.get("skew", 0)) / su,
                   float(intr["centerPointU"]) / su - left],
                  [0.0, float(intr["focalLengthV"]) / sv, float(intr["centerPointV"]) / sv - top],
                  [0.0, 0.0, 1.0]])
    dist = np.array([float(intr.get(k, 0.0)) for k in
                     ("radialDistortion1", "radialDistortion2", "tangentalDistortion1",
                      "tangentalDistortion2", "radialDistortion3")])
    rvec = cv2.Rodrigues(R)[0].ravel()
    return Camera(name, (width, height), K, dist, rvec, -R @ centre)


def _first(node: ET.Element, *tags: str) -> dict[str, str]:
    """Attributes of the first child among ``tags`` (Elements without children are falsy, so
    ``find(a) or find(b)`` would be wrong)."""
    for tag in tags:
        child = node.find(tag)
        if child is not None:
            return child.attrib
    raise KeyError(tags[0])


# --- caliscope --------------------------------------------------------------------------------
def load_caliscope(path: str | os.PathLike) -> CameraSet:
    """Read caliscope's ``camera_array.toml``.

    Each ``[cameras.N]`` table has ``size``, ``matrix``, ``distortions`` (5), ``rotation`` (3x3
    matrix world -> camera) and ``translation`` (metres). Cameras are named ``cam_N`` (as
    caliscope names its videos); tables with ``ignore = true`` or without extrinsics are skipped.
    """
    path = Path(path)
    data = _read_toml(path)
    tables = data.get("cameras")
    if not isinstance(tables, dict) or not tables:
        raise InputError(f"{path}: no [cameras.N] tables (not a caliscope camera_array.toml)")
    cameras = []
    for key in sorted(tables, key=lambda k: int(k) if str(k).isdigit() else str(k)):
        t: dict[str, Any] = tables[key]
        if t.get("ignore") or "rotation" not in t or "translation" not in t:
            continue
        name = f"cam_{t.get('cam_id', key)}"
        try:
            R = np.asarray(t["rotation"], dtype=float)
            rvec = cv2.Rodrigues(R.reshape(3, 3))[0].ravel() if R.size == 9 else R.reshape(3)
            cameras.append(Camera(name, tuple(t["size"]), np.asarray(t["matrix"], float),
                                  np.asarray(t["distortions"], float), rvec,
                                  np.asarray(t["translation"], float)))
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"{path}: camera {name} is malformed ({exc})") from None
    if not cameras:
        raise InputError(f"{path}: no camera with extrinsics (rotation, translation)")
    return CameraSet(tuple(cameras))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is neither a Qualisys XML nor a valid TOML calibration "
                         f"({exc})") from None
