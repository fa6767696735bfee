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

_UNIT_SCALE = {"mm": 1e-3, "cm": 1e-2, "m": 1.0, "dm": 0.1, "in": 0.0254}
_UNIT_ALIASES = {"millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
                 "meter": "m", "meters": "m", "metre": "m", "metres": "m", "centimeter": "cm",
                 "centimeters": "cm", "centimetre": "cm", "centimetres": "cm", "inch": "in",
                 "inches": "in"}
# C3D POINT groups that hold model outputs rather than positions.
_MODEL_OUTPUT_GROUPS = ("ANGLES", "FORCES", "MOMENTS", "POWERS", "SCALARS", "REACTIONS")


@dataclasses.dataclass(frozen=True)
class LabelledEvent:
    """An event as a file labels it (C3D EVENT group or header, written by a person or the lab's
    software), read or written here. ``side``: "left"/"right"/"general"; ``type``:
    "foot_strike", "foot_off" or another label in snake case; ``time_s`` on the C3D time base
    (frame 1 is t = 0); ``frame``: its 1-based frame.

    Not :class:`mocaplab.analysis.events.GaitEvent`, an event *detected* from the trajectories
    (a fractional sample index and the detection method). analyze stores its detected events in
    metrics.json ``events`` with both (``frame``/``time_s`` as here, ``time_subframe_s`` and
    ``method``); docs/conventions.md "Owners" lists the event types."""

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
        warnings: what the reader had to assume or ignore (e.g. ragged TRC rows, guessed units).
    """

    points: np.ndarray
    labels: tuple[str, ...]
    fps: float
    first_frame: int = 1
    events: tuple[LabelledEvent, ...] = ()
    model_outputs: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
    analog: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    analog_labels: tuple[str, ...] = ()
    analog_rate: float = 0.0
    source: str = ""
    warnings: tuple[str, ...] = ()

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


def _units(raw: str) -> str | None:
    """Normalised length unit ('mm', 'm'...) or None if unknown."""
    u = raw.strip().lower().rstrip(".")
    u = _UNIT_ALIASES.get(u, u)
    return u if u in _UNIT_SCALE else None


def _guess_units(xyz_raw: np.ndarray) -> str:
    """'m' or 'mm' from the spread of the marker cloud (a person is 1-2 m tall)."""
    with np.errstate(all="ignore"):
        finite = xyz_raw[np.isfinite(xyz_raw).all(-1)]
    if not finite.size:
        return "mm"
    extent = float(np.max(np.percentile(finite, 95, axis=0) - np.percentile(finite, 5, axis=0)))
    return "m" if extent < 20.0 else "mm"


@dataclasses.dataclass(frozen=True)
class C3DLayout:
    """What the 512-byte C3D header says about the data block. ``processor``: 1 Intel, 2 DEC;
    ``n_analog``: analog samples per point frame; ``data_start``: 1-based 512-byte block."""

    processor: int
    n_points: int
    n_analog: int
    n_frames: int
    data_start: int
    is_float: bool
    scale: float


def check_c3d_layout(path: Path) -> C3DLayout:
    """Refuse what is not a C3D, or a C3D cut short, before ezc3d reads it (ezc3d can hang on a
    truncated file). Uses the 512-byte header: parameter block, point/analog counts, frame
    range, scale factor sign (float or integer storage) and data start block."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(512)
        if len(head) < 512 or head[1] != 0x50:
            raise InputError(f"{path} is not a C3D file (no C3D header: the second byte must be "
                             "0x50)")
        f.seek((head[0] - 1) * 512)
        param_head = f.read(4)
    if head[0] < 2 or len(param_head) < 4:
        raise InputError(f"{path} is truncated: it ends before its parameter section")
    processor = param_head[3] - 83   # 1 Intel, 2 DEC, 3 MIPS
    if processor == 3:
        raise InputError(f"{path} is a MIPS (big-endian SGI) C3D, which the C3D reader (ezc3d) "
                         "does not support; convert it to an Intel C3D (e.g. with Mokka) first")
    if processor not in (1, 2):
        raise InputError(f"{path}: unknown C3D processor type {param_head[3]} in the parameter "
                         "section (expected 84 Intel, 85 DEC or 86 MIPS)")
    words = np.frombuffer(head[:24], dtype="<u2")
    n_points, n_analog, first, last, data_start = (int(words[i]) for i in (1, 2, 3, 4, 8))
    # scale factor (header words 7-8) negative = float storage; sign bit: IEEE byte 15, DEC 13
    is_float = bool(head[15 if processor == 1 else 13] & 0x80)
    n_frames = last - first + 1
    scale = float(np.frombuffer(head[12:16], dtype="<f4")[0]) if processor == 1 else \
        (-1.0 if is_float else 0.0)
    layout = C3DLayout(processor, n_points, n_analog, n_frames, data_start, is_float, scale)
    if last == 0xFFFF or n_frames <= 0 or data_start < 2:
        return layout   # long trials store the frame count elsewhere: let ezc3d check
    need = (data_start - 1) * 512 + n_frames * (4 * n_points + n_analog) * (4 if is_float else 2)
    if size < need:
        raise InputError(f"{path} is truncated: its header announces {n_frames} frames of "
                         f"{n_points} points and {n_analog} analog samples ({need} bytes), but "
                         f"the file has {size} bytes")
    return layout


def _points_from_header_layout(path: Path, layout: C3DLayout) -> np.ndarray:
    """(4, N, F) points read with the header's frame layout (Intel files): used when ezc3d
    misreads the frame size (a header with analog samples per frame but ANALOG:USED = 0)."""
    values = 4 * layout.n_points + layout.n_analog
    dtype = "<f4" if layout.is_float else "<i2"
    raw = np.fromfile(path, dtype=dtype, count=layout.n_frames * values,
                      offset=(layout.data_start - 1) * 512).astype(float)
    frames = raw.reshape(layout.n_frames, values)[:, : 4 * layout.n_points]
    pts = frames.reshape(layout.n_frames, layout.n_points, 4)
    if not layout.is_float:
        pts[..., :3] *= abs(layout.scale)
    return np.transpose(pts, (2, 1, 0))


def read_c3d(path: str | os.PathLike) -> MarkerTrial:
    """Read markers, rate, first frame, events, model outputs and analog data from a C3D.

    Units: POINT:UNITS (mm, m, cm, spelled out or in capitals); when it is empty or missing, the
    unit is guessed from the size of the marker cloud and a warning says so. Blank labels become
    ``unlabelled_<n>``; duplicated labels get a ``#2`` suffix (warned).
    """
    import ezc3d

    path = Path(path)
    if not path.is_file():
        raise InputError(f"C3D file {path} does not exist")
    layout = check_c3d_layout(path)
    try:
        c = ezc3d.c3d(str(path))
    except Exception as exc:  # ezc3d raises plain RuntimeError/ValueError
        raise InputError(f"{path} is not a readable C3D file: {exc}") from None
    warns: list[str] = []
    params = c["parameters"]
    point = params.get("POINT", {})

    def values(group: dict, name: str) -> list:
        return list(group.get(name, {}).get("value", []) or [])

    labels = [_strip_prefix(str(s)) for s in values(point, "LABELS")]
    for extra in ("LABELS2", "LABELS3", "LABELS4"):
        labels += [_strip_prefix(str(s)) for s in values(point, extra)]
    data = np.asarray(c["data"]["points"], dtype=float)  # (4, N, F)
    fps = float(c["header"]["points"]["frame_rate"] or 0.0)
    analog_used = np.asarray(c["data"]["analogs"]).shape
    if (layout.n_analog > 0 and (len(analog_used) < 2 or analog_used[-2] == 0)
            and data.ndim == 3 and data.shape[1] == layout.n_points):
        if layout.processor != 1:
            raise InputError(f"{path}: its header announces {layout.n_analog} analog samples per "
                             "frame but ANALOG:USED is 0, and it is a DEC file: its frames "
                             "cannot be read reliably; re-save it with Mokka or btk")
        data = _points_from_header_layout(path, layout)
        warns.append(f"{path.name}: the header has {layout.n_analog} analog samples per frame "
                     "but ANALOG:USED is 0 (ezc3d would misread every frame); points read with "
                     "the header's frame layout")
    if data.ndim != 3 or data.shape[1] == 0 or data.shape[2] == 0:
        groups = [g for g in ("ANALOG", "FORCE_PLATFORM", "ROTATION") if g in params]
        raise InputError(f"{path} holds no marker trajectories (0 points"
                         + (f"; it has {', '.join(groups)} data only" if groups else "")
                         + "): mocaplab analyses marker positions")
    if not fps > 0:
        raise InputError(f"{path}: the point rate is {fps:g} Hz (POINT:RATE); cannot time the "
                         "markers")
    labels += [""] * (data.shape[1] - len(labels))
    labels = labels[: data.shape[1]]
    xyz = np.transpose(data[:3], (2, 1, 0))  # (F, N, 3)
    residual = np.transpose(data[3], (1, 0)) if data.shape[0] > 3 else np.zeros(xyz.shape[:2])
    invalid = (residual < 0) | np.all(xyz == 0, axis=-1)
    # model outputs (angles) keep each component on its own: one NaN component is not a gap
    outputs_xyz = np.where(invalid[..., None], np.nan, xyz)
    missing = invalid | ~np.isfinite(xyz).all(-1)
    xyz = np.where(missing[..., None], np.nan, xyz)

    output_labels: set[str] = set()
    for group in _MODEL_OUTPUT_GROUPS:
        output_labels |= {_strip_prefix(str(s)) for s in values(point, group) if str(s).strip()}
    is_output = np.array([bool(lb) and lb in output_labels for lb in labels], dtype=bool)
    marker_idx = np.flatnonzero(~is_output)
    if not marker_idx.size:
        shown = ", ".join(sorted(output_labels)[:6])
        raise InputError(f"{path} holds only model outputs ({shown}...), no marker "
                         "trajectories: mocaplab analyses marker positions")

    raw_units = [str(u) for u in values(point, "UNITS")]
    unit = _units(raw_units[0]) if raw_units and raw_units[0].strip() else None
    if unit is None:
        unit = _guess_units(xyz[:, marker_idx])
        said = f"{raw_units[0].strip()!r}" if raw_units and raw_units[0].strip() else "empty"
        warns.append(f"{path.name}: POINT:UNITS is {said}; assumed {unit} from the size of the "
                     "marker cloud")
    model_outputs = {lb: outputs_xyz[:, i].copy() for i, lb in enumerate(labels)
                     if is_output[i]}
    points = xyz[:, marker_idx] * _UNIT_SCALE[unit]
    marker_labels = _unique_labels([labels[i] for i in marker_idx], path.name, warns)
    first_frame = int(c["header"]["points"]["first_frame"]) + 1  # ezc3d is 0-based

    events = []
    ev = params.get("EVENT", {})
    ev_labels = values(ev, "LABELS")
    if ev_labels and "TIMES" in ev:
        times = np.asarray(ev["TIMES"]["value"], dtype=float)
        # (2, n) minutes/seconds rows; ezc3d gives some files a flat (2n,) array instead,
        # stored column by column: minutes, seconds, minutes, seconds...
        times = times.reshape(-1, 2).T if times.ndim == 1 else times.reshape(2, -1)
        contexts = values(ev, "CONTEXTS") or [""] * times.shape[1]
        for label, context, minutes, seconds in zip(ev_labels, contexts,
                                                    times[0], times[1], strict=False):
            t = 60.0 * minutes + seconds
            side = str(context).strip().lower() or "general"
            events.append(LabelledEvent(side, _event_type(str(label)), float(t),
                                int(round(t * fps)) + 1))
    events.sort(key=lambda e: (e.time_s, e.side))

    analog = np.asarray(c["data"]["analogs"], dtype=float)
    analog = analog.reshape(analog.shape[-2], analog.shape[-1]) if analog.size else np.zeros((0, 0))
    analog_labels = tuple(str(s) for s in values(params.get("ANALOG", {}), "LABELS"))
    analog_rate = float(c["header"]["analogs"].get("frame_rate", 0.0) or 0.0)
    return MarkerTrial(points, marker_labels, fps, first_frame, tuple(events), model_outputs,
                       analog, analog_labels[: analog.shape[0]], analog_rate, str(path),
                       tuple(warns))


def _unique_labels(labels: Sequence[str], name: str, warns: list[str]) -> tuple[str, ...]:
    """Blank labels -> ``unlabelled_<n>``, repeated ones -> ``label#2``... (warned)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    blank, dup = 0, []
    for i, lb in enumerate(labels):
        lb = lb.strip()
        if not lb:
            blank += 1
            lb = f"unlabelled_{i + 1}"
        if lb in seen:
            seen[lb] += 1
            dup.append(lb)
            lb = f"{lb}#{seen[lb]}"
        else:
            seen[lb] = 1
        out.append(lb)
    if blank:
        warns.append(f"{name}: {blank} marker(s) without a label, named unlabelled_<column>")
    if dup:
        warns.append(f"{name}: repeated marker label(s) {sorted(set(dup))}; the repeats are "
                     "named LABEL#2, LABEL#3... (the marker-set mapping uses the copy with the "
                     "most samples)")
    return tuple(out)


def write_c3d(path: str | os.PathLike, points: np.ndarray, labels: Sequence[str], fps: float,
              *, first_frame: int = 1, events: Sequence[LabelledEvent] = (),
              angles: Mapping[str, np.ndarray] | None = None, overwrite: bool = True) -> Path:
    """Write points (F, M, 3) metres as a C3D in millimetres, with events and angles.

    Angles (label -> (F, 3) degrees, e.g. ``LPelvisAngles``) are stored as points listed in
    POINT:ANGLES, as Vicon does, so Mokka and other readers show them. NaN is written as a
    missing sample (residual -1). Events go to the EVENT group (all of them) and to the header
    event block (the first 18, the format's limit), which older readers use.
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
    # A missing sample is written as NaN with a negative residual (invalid): readers (Mokka,
    # ezc3d, btk) show a gap rather than a point at the origin. A marker is missing when any
    # coordinate is; an angle output only when all three components are (a component without
    # a value, e.g. pelvic tilt from hip centres alone, stays NaN on its own).
    is_angle = np.arange(xyz.shape[1]) >= len(labels)
    finite = np.isfinite(xyz)
    missing = np.where(is_angle[None, :], ~finite.any(-1), ~finite.all(-1))
    data = np.ones((4, len(all_labels), F))
    data[:3] = np.transpose(np.where(missing[..., None], np.nan, xyz), (2, 1, 0))
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [float(fps)]
    c["parameters"]["POINT"]["LABELS"]["value"] = all_labels
    c["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    c["data"]["points"] = data
    # ezc3d takes the residuals from meta_points (the points' 4th row is not written): -1 marks
    # a missing sample (it wrote 0 there, a valid sample, before)
    c["data"]["meta_points"] = {
        "residuals": np.where(missing, -1.0, 0.0).T[None],
        "camera_masks": np.zeros((7, len(all_labels), F), dtype=bool)}
    c.add_parameter("POINT", "ANGLES", list(angles) if angles else [""])
    c.add_parameter("POINT", "ANGLE_UNITS", ["deg"])
    c["header"]["points"]["first_frame"] = int(first_frame) - 1
    if events:
        for e in events:
            c.add_event(time=[0.0, float(e.time_s)], context=e.side.capitalize(),
                        label=e.type.replace("_", " ").title())
    with atomic_path(path, overwrite) as tmp:
        c.write(str(tmp))
        _write_header_events(Path(tmp), events)
    return Path(path)


def header_event_label(e: LabelledEvent) -> str:
    """The 4-character label of an event in the C3D header block: side letter + type, e.g.
    ``LFS``, ``RFO`` (G for a general event)."""
    side = {"left": "L", "right": "R"}.get(e.side, "G")
    kind = {"foot_strike": "FS", "foot_off": "FO"}.get(
        e.type, "".join(w[0] for w in e.type.split("_"))[:3].upper())
    return f"{side}{kind}"[:4].ljust(4)


def _write_header_events(path: Path, events: Sequence[LabelledEvent]) -> None:
    """Fill the event block of the 512-byte C3D header (the first 18 events; all of them are in
    the EVENT group too): word 150 the 4-character-label key 0x3039, word 151 the count, then
    18 float times (s, frame 1 = 0), 18 display flags and 18 labels (Intel byte order, as ezc3d
    writes)."""
    import struct

    first = sorted(events, key=lambda e: e.time_s)[:18]
    times = [float(e.time_s) for e in first] + [0.0] * (18 - len(first))
    flags = bytes([1] * len(first) + [0] * (18 - len(first)))
    labels = "".join(header_event_label(e) for e in first).ljust(72).encode("ascii")
    with path.open("r+b") as f:
        f.seek(298)
        f.write(struct.pack("<HHH", 0x3039, len(first), 0))
        f.write(struct.pack("<18f", *times) + flags + b"\0\0" + labels)


_NAN_TOKENS = {"nan", "-nan", "+nan", "na", "n/a", "null", "none", "-1.#ind", "1.#qnan"}


def read_trc(path: str | os.PathLike) -> MarkerTrial:
    """Read a TRC file (OpenSim, Pose2Sim, Motion Analysis, Motek...); lengths in metres.

    Dialects accepted: header keys and values separated by one or more tabs, space-padded
    numbers, blank or ``NaN`` cells for missing markers, trailing fields dropped on rows whose
    last markers are missing, a blank or units row before the data, a header NumMarkers that
    disagrees with the names given. What the reader had to ignore or assume is in ``warnings``
    (rows ending in the middle of a marker, values beyond the declared markers, cells that are
    not numbers, frame numbers that do not follow each other).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"TRC file {path} does not exist")
    raw = path.read_bytes()
    if b"\0" in raw[:4096]:
        raise InputError(f"{path} is not a TRC file (binary content)")
    # utf-8-sig: a byte-order mark (as Windows editors write) is not part of "PathFileType"
    lines = raw.decode("utf-8-sig", errors="replace").splitlines()
    if not lines or not lines[0].lstrip().startswith("PathFileType"):
        raise InputError(f"{path} is not a TRC file (no PathFileType header line)")
    if len(lines) < 5:
        raise InputError(f"{path} is a truncated TRC file: it has {len(lines)} line(s), but its "
                         "header needs 5 (PathFileType; the header keys; their values; "
                         "Frame#, Time and the marker names; X1 Y1 Z1...)")
    keys = lines[1].split()
    vals = lines[2].split()
    header = dict(zip(keys, vals, strict=False))
    warns: list[str] = []
    try:
        fps = float(header.get("DataRate") or header["CameraRate"])
        n_declared = int(float(header.get("NumMarkers", "0")))
        first_frame = int(float(header.get("OrigDataStartFrame", 1) or 1))
    except (KeyError, ValueError) as exc:
        raise InputError(f"{path}: malformed TRC header: cannot read {exc} from the keys "
                         f"{keys[:8]} and values {vals[:8]} (lines 2-3)") from None
    if not fps > 0:
        raise InputError(f"{path}: DataRate is {fps:g} Hz; cannot time the markers")
    units_raw = header.get("Units", "")
    units = _units(units_raw) if units_raw else None
    name_fields = lines[3].split("\t")
    if len(name_fields) < 2 or name_fields[0].strip().lower() not in ("frame#", "frame"):
        raise InputError(f"{path}: line 4 must start with Frame# (and Time), got "
                         f"{lines[3][:40]!r}")
    # the X1/Y1/Z1 row tells where the coordinates start (after Frame# and Time)
    coord_fields = lines[4].split("\t")
    offset = next((i for i, t in enumerate(coord_fields) if t.strip().upper().startswith("X")),
                  2)
    names = [n.strip() for n in name_fields[offset:] if n.strip()]
    n_markers = max(n_declared, len(names))
    if n_declared != len(names):
        warns.append(f"{path.name}: the header declares {n_declared} markers but line 4 names "
                     f"{len(names)}; the columns of unnamed markers are ignored")
        n_markers = len(names)
    if n_markers == 0:
        raise InputError(f"{path} has no marker columns (NumMarkers {n_declared}, no names on "
                         "line 4)")
    width = offset + 3 * n_markers
    rows, frames = [], []
    partial = beyond = bad_cells = 0
    for ln in lines[5:]:
        fields = ln.split("\t")
        head = fields[0].strip()
        if not head:
            if any(f.strip() for f in fields):
                bad_cells += 1
            continue
        try:
            frame = float(head)
        except ValueError:
            if rows:
                bad_cells += 1
            continue           # units row, comment or trailing text
        row = np.full(3 * n_markers, np.nan)
        cells = fields[offset:width]
        for j, v in enumerate(cells):
            v = v.strip()
            if not v or v.lower() in _NAN_TOKENS:
                continue
            try:
                row[j] = float(v)
            except ValueError:
                bad_cells += 1
        xyz = row.reshape(n_markers, 3)
        some = np.isfinite(xyz).sum(axis=1)
        if ((some > 0) & (some < 3)).any():
            partial += 1
            xyz[some < 3] = np.nan
        if any(f.strip() for f in fields[width:]):
            beyond += 1
        rows.append(xyz)
        frames.append(frame)
    if not rows:
        raise InputError(f"{path} has no data rows (lines starting with a frame number)")
    pts = np.stack(rows)
    if units is None:
        units = _guess_units(pts)
        warns.append(f"{path.name}: Units is {units_raw.strip() or 'empty'!r}; assumed {units} "
                     "from the size of the marker cloud")
    if partial:
        warns.append(f"{path.name}: {partial} ragged row(s) end in the middle of a marker or "
                     "miss coordinates; those markers are read as missing in those rows")
    if beyond:
        warns.append(f"{path.name}: {beyond} ragged row(s) have values beyond the "
                     f"{n_markers} named markers; the extra values are ignored")
    if bad_cells:
        warns.append(f"{path.name}: {bad_cells} cell(s) or line(s) are not numbers; read as "
                     "missing")
    frames_arr = np.asarray(frames)
    if len(frames_arr) > 1 and not np.all(np.diff(frames_arr) == 1):
        warns.append(f"{path.name}: the frame numbers do not increase by 1 on every row (gaps "
                     "or repeats); rows are taken as consecutive samples at "
                     f"{fps:g} Hz")
    if np.isfinite(frames_arr[0]) and frames_arr[0] >= 1:
        first_frame = int(frames_arr[0])
    labels = _unique_labels(names, path.name, warns)
    return MarkerTrial(pts * _UNIT_SCALE[units], labels, fps, first_frame, source=str(path),
                       warnings=tuple(warns))


def write_trc(path: str | os.PathLike, points: np.ndarray, labels: Sequence[str], fps: float,
              *, first_frame: int = 1, units: str = "m", overwrite: bool = True) -> Path:
    """Write points (F, M, 3) metres as an OpenSim TRC (tab separated).

    A missing sample is written as the token ``NaN`` (OpenSim 4.6 reads it as missing; blank
    trailing cells make it refuse the row).
    """
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
        vals = "\t".join("NaN" if not np.isfinite(v) else f"{v * scale:.6f}"
                         for v in points[f].ravel())
        out.append(f"{frame}\t{(frame - 1) / fps:.6f}\t{vals}")
    return write_text(path, "\n".join(out) + "\n", overwrite)


@dataclasses.dataclass(frozen=True, eq=False)
class ForcePlate:
    """One force plate of a C3D.

    Attributes:
        normal_force_n: (N,) force along the plate normal, newtons, positive (ground reaction
            magnitude along the normal), at ``rate_hz``.
        corners_m: (4, 3) plate corners in the lab frame, metres (the C3D's point units).
        rate_hz: analog rate.
        start_time_s: time of the first sample on the marker time base (frame 1 is t = 0).
    """

    normal_force_n: np.ndarray
    corners_m: np.ndarray
    rate_hz: float
    start_time_s: float

    def times(self) -> np.ndarray:
        return self.start_time_s + np.arange(self.normal_force_n.shape[0]) / self.rate_hz


def read_force_plates(path: str | os.PathLike) -> list[ForcePlate]:
    """Force plates of a C3D (ezc3d computes the forces from the FORCE_PLATFORM parameters,
    plate types 1-4); [] when it has none or they cannot be read."""
    import ezc3d

    path = Path(path)
    check_c3d_layout(path)
    try:
        c = ezc3d.c3d(str(path), extract_forceplat_data=True)
    except Exception:  # noqa: BLE001 - no usable plates is an answer, not an error
        return []
    point = c["parameters"]["POINT"]
    units = point.get("UNITS", {}).get("value", []) or []
    unit = (_units(str(units[0])) if units and str(units[0]).strip() else None) or "mm"
    fps = float(c["header"]["points"]["frame_rate"] or 0.0)
    rate = float(c["header"]["analogs"].get("frame_rate", 0.0) or 0.0)
    if not (fps > 0 and rate > 0):
        return []
    start = int(c["header"]["points"]["first_frame"]) / fps
    plates = []
    for p in c["data"].get("platform", []):
        corners = np.asarray(p["corners"], dtype=float).T  # (4, 3) in point units
        force = np.asarray(p["force"], dtype=float)        # (3, N) newtons, lab frame
        normal = np.cross(corners[1] - corners[0], corners[2] - corners[0])
        if not np.linalg.norm(normal) > 0 or force.ndim != 2:
            continue
        normal /= np.linalg.norm(normal)
        plates.append(ForcePlate(np.abs(normal @ force), corners * _UNIT_SCALE[unit], rate,
                                 start))
    return plates
