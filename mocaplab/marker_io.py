"""Marker data from other labs and exports of our 3D points: C3D (ezc3d) and TRC.

Everything returned is in metres and seconds; model outputs stored as C3D points (Plug-in Gait
angles such as ``LPelvisAngles``) are kept apart, in degrees. Frame numbering follows
CONVENTIONS.md: stored sample i is frame ``first_frame + i``, ``first_frame`` 1-based, and an event
at ``time_s`` is at frame ``round(time_s * fps) + 1``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mocaplab.atomic import atomic_path, write_text
from mocaplab.errors import InputError

_UNIT_SCALE = {"mm": 1e-3, "cm": 1e-2, "m": 1.0, "dm": 0.1}
# C3D POINT groups that hold model outputs rather than positions.
_MODEL_OUTPUT_GROUPS = ("ANGLES", "FORCES", "MOMENTS", "POWERS", "SCALARS", "REACTIONS")


@dataclasses.dataclass(frozen=True)
class Event:
    """A gait event. ``side``: "left"/"right"/"general"; ``type``: "foot_strike", "foot_off" or
    another label in snake case; ``time_s`` on the C3D time base (frame 1 is t = 0)."""

    side: str
    type: str
    time_s: float
    frame: int


@dataclasses.dataclass(frozen=True, eq=False)
class MarkerTrial:
    """Marker trajectories and what came with them.

    Attributes:
        points: (F, M, 3) marker positions, metres, NaN where missing.
        labels: (M,) marker labels.
        fps: point rate, Hz.
        first_frame: 1-based number of the first stored frame.
        events: labelled events, sorted by time.
        model_outputs: label -> (F, 3) model outputs in their own units (angles in degrees),
            e.g. "LPelvisAngles".
        analog: (A, N) analog samples (empty if none); analog_labels (A,); analog_rate Hz.
        source: file the data came from.
    """

    points: np.ndarray
    labels: tuple[str, ...]
    fps: float
    first_frame: int = 1
    events: tuple[Event, ...] = ()
    model_outputs: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
    analog: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    analog_labels: tuple[str, ...] = ()
    analog_rate: float = 0.0
    source: str = ""

    @property
    def n_frames(self) -> int:
        return self.points.shape[0]

    @property
    def frames(self) -> np.ndarray:
        """(F,) the input's own frame numbers."""
        return self.first_frame + np.arange(self.n_frames)

    @property
    def times(self) -> np.ndarray:
        """(F,) time of each stored frame, seconds (frame 1 is t = 0)."""
        return (self.frames - 1) / self.fps

    def marker(self, label: str) -> np.ndarray:
        """(F, 3) trajectory of one marker (case-sensitive label)."""
        try:
            return self.points[:, self.labels.index(label)]
        except ValueError:
            raise InputError(f"{self.source or 'marker data'} has no marker {label!r}") from None

    def has(self, *labels: str) -> bool:
        return all(lb in self.labels for lb in labels)


def _strip_prefix(label: str) -> str:
    """'Subject:LASI' -> 'LASI' (Vicon writes subject prefixes in some files)."""
    return label.split(":")[-1].strip()


def _event_type(label: str) -> str:
    return label.strip().lower().replace(" ", "_").replace("-", "_")


def read_c3d(path: str | os.PathLike) -> MarkerTrial:
    """Read markers, rate, first frame, events, model outputs and analog data from a C3D."""
    import ezc3d

    path = Path(path)
    if not path.is_file():
        raise InputError(f"C3D file {path} does not exist")
    try:
        c = ezc3d.c3d(str(path))
    except Exception as exc:  # ezc3d raises plain RuntimeError/ValueError
        raise InputError(f"{path} is not a readable C3D file: {exc}") from None
    params = c["parameters"]
    point = params["POINT"]
    labels = [_strip_prefix(s) for s in point["LABELS"]["value"]]
    for extra in ("LABELS2", "LABELS3"):
        if extra in point:
            labels += [_strip_prefix(s) for s in point[extra]["value"]]
    data = np.asarray(c["data"]["points"], dtype=float)  # (4, N, F)
    labels = labels[: data.shape[1]]
    xyz = np.transpose(data[:3], (2, 1, 0))  # (F, N, 3)
    residual = np.transpose(data[3], (1, 0)) if data.shape[0] > 3 else np.zeros(xyz.shape[:2])
    missing = (residual < 0) | np.all(xyz == 0, axis=-1) | ~np.isfinite(xyz).all(-1)
    xyz = np.where(missing[..., None], np.nan, xyz)
    unit = str(point.get("UNITS", {}).get("value", ["mm"])[0]).strip().lower() or "mm"
    if unit not in _UNIT_SCALE:
        raise InputError(f"{path}: unknown point units {unit!r}")
    fps = float(c["header"]["points"]["frame_rate"])
    first_frame = int(c["header"]["points"]["first_frame"]) + 1  # ezc3d is 0-based

    output_labels: set[str] = set()
    for group in _MODEL_OUTPUT_GROUPS:
        if group in point:
            output_labels |= {_strip_prefix(s) for s in point[group]["value"]}
    is_output = np.array([lb in output_labels for lb in labels], dtype=bool)
    model_outputs = {lb: np.where(missing[:, i, None], np.nan, np.transpose(data[:3, i]))
                     for i, lb in enumerate(labels) if is_output[i]}
    marker_idx = np.flatnonzero(~is_output)
    points = xyz[:, marker_idx] * _UNIT_SCALE[unit]
    marker_labels = tuple(labels[i] for i in marker_idx)

    events = []
    if "EVENT" in params and "LABELS" in params["EVENT"]:
        ev = params["EVENT"]
        times = np.asarray(ev["TIMES"]["value"], dtype=float).reshape(2, -1)
        contexts = ev.get("CONTEXTS", {}).get("value", [""] * times.shape[1])
        for label, context, minutes, seconds in zip(ev["LABELS"]["value"], contexts,
                                                    times[0], times[1], strict=False):
            t = 60.0 * minutes + seconds
            side = context.strip().lower() or "general"
            events.append(Event(side, _event_type(label), float(t), int(round(t * fps)) + 1))
    events.sort(key=lambda e: (e.time_s, e.side))

    analog = np.asarray(c["data"]["analogs"], dtype=float)
    analog = analog.reshape(analog.shape[-2], analog.shape[-1]) if analog.size else np.zeros((0, 0))
    analog_labels = tuple(params.get("ANALOG", {}).get("LABELS", {}).get("value", []))
    analog_rate = float(c["header"]["analogs"].get("frame_rate", 0.0) or 0.0)
    return MarkerTrial(points, marker_labels, fps, first_frame, tuple(events), model_outputs,
                       analog, analog_labels[: analog.shape[0]], analog_rate, str(path))


def write_c3d(path: str | os.PathLike, points: np.ndarray, labels: Sequence[str], fps: float,
              *, first_frame: int = 1, events: Sequence[Event] = (),
              angles: Mapping[str, np.ndarray] | None = None, overwrite: bool = True) -> Path:
    """Write points (F, M, 3) metres as a C3D in millimetres, with events and angles.

    Angles (label -> (F, 3) degrees, e.g. ``LPelvisAngles``) are stored as points listed in
    POINT:ANGLES, as Vicon does, so Mokka and other readers show them. NaN is written as a
    missing sample (residual -1).
    """
    import ezc3d

    points = np.asarray(points, dtype=float)
    if points.ndim != 3 or points.shape[2] != 3 or points.shape[1] != len(labels):
        raise InputError(f"points must be (F, {len(labels)}, 3), got {points.shape}")
    angles = dict(angles or {})
    F = points.shape[0]
    for name, arr in angles.items():
        if np.shape(arr) != (F, 3):
            raise InputError(f"angle {name} must be ({F}, 3), got {np.shape(arr)}")
    all_labels = list(labels) + list(angles)
    columns = [points * 1000.0] + [np.asarray(a, float)[:, None] for a in angles.values()]
    xyz = np.concatenate(columns, axis=1)
    # A missing sample is written as NaN: ezc3d stores it as invalid (negative residual), and
    # readers (Mokka, ezc3d, btk) show a gap rather than a point at the origin.
    missing = ~np.isfinite(xyz).all(-1)
    data = np.zeros((4, len(all_labels), F))
    data[:3] = np.transpose(np.where(missing[..., None], np.nan, xyz), (2, 1, 0))
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [float(fps)]
    c["parameters"]["POINT"]["LABELS"]["value"] = all_labels
    c["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    c["data"]["points"] = data
    c.add_parameter("POINT", "ANGLES", list(angles) if angles else [""])
    c.add_parameter("POINT", "ANGLE_UNITS", ["deg"])
    c["header"]["points"]["first_frame"] = int(first_frame) - 1
    if events:
        for e in events:
            c.add_event(time=[0.0, float(e.time_s)], context=e.side.capitalize(),
                        label=e.type.replace("_", " ").title())
    with atomic_path(path, overwrite) as tmp:
        c.write(str(tmp))
    return Path(path)


def read_trc(path: str | os.PathLike) -> MarkerTrial:
    """Read a TRC file (OpenSim / Pose2Sim); lengths converted to metres."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"TRC file {path} does not exist")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if len(lines) < 6 or not lines[0].startswith("PathFileType"):
        raise InputError(f"{path} is not a TRC file (no PathFileType header)")
    keys = lines[1].split("\t")
    vals = lines[2].split("\t")
    header = {k.strip(): v.strip() for k, v in zip(keys, vals, strict=False)}
    try:
        fps = float(header.get("DataRate") or header["CameraRate"])
        units = header.get("Units", "m").lower()
        n_markers = int(header["NumMarkers"])
        first_frame = int(float(header.get("OrigDataStartFrame", 1) or 1))
    except (KeyError, ValueError) as exc:
        raise InputError(f"{path}: malformed TRC header ({exc})") from None
    names = [n.strip() for n in lines[3].split("\t")[2:] if n.strip()][:n_markers]
    rows = [ln.split("\t") for ln in lines[5:] if ln.strip()]
    if not rows:
        raise InputError(f"{path} has no data rows")
    arr = np.full((len(rows), 2 + 3 * n_markers), np.nan)
    for i, r in enumerate(rows):
        for j, v in enumerate(r[: arr.shape[1]]):
            try:
                arr[i, j] = float(v) if v.strip() else np.nan
            except ValueError:
                arr[i, j] = np.nan
    pts = arr[:, 2:].reshape(len(rows), n_markers, 3) * _UNIT_SCALE.get(units, 1.0)
    if np.isfinite(arr[0, 0]):
        first_frame = int(arr[0, 0])
    return MarkerTrial(pts, tuple(names), fps, first_frame, source=str(path))


def write_trc(path: str | os.PathLike, points: np.ndarray, labels: Sequence[str], fps: float,
              *, first_frame: int = 1, units: str = "m", overwrite: bool = True) -> Path:
    """Write points (F, M, 3) metres as an OpenSim TRC (tab separated; NaN left blank)."""
    points = np.asarray(points, dtype=float)
    if points.ndim != 3 or points.shape[2] != 3 or points.shape[1] != len(labels):
        raise InputError(f"points must be (F, {len(labels)}, 3), got {points.shape}")
    if units not in ("m", "mm"):
        raise InputError("TRC units must be 'm' or 'mm'")
    scale = 1000.0 if units == "mm" else 1.0
    F, M, _ = points.shape
    out = [
        f"PathFileType\t4\t(X/Y/Z)\t{Path(path).name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{fps:g}\t{fps:g}\t{F}\t{M}\t{units}\t{fps:g}\t{first_frame}\t{F}",
        "Frame#\tTime\t" + "\t\t\t".join(labels) + "\t\t",
        "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(M)),
    ]
    for f in range(F):
        frame = first_frame + f
        vals = "\t".join("" if not np.isfinite(v) else f"{v * scale:.6f}"
                         for v in points[f].ravel())
        out.append(f"{frame}\t{(frame - 1) / fps:.6f}\t{vals}")
    return write_text(path, "\n".join(out) + "\n", overwrite)
