"""What the viewer shows of a trial: 3D points, calibration, gait events and angles.

:func:`load_trial` accepts a trial folder or a ``points3d.npz`` file and gathers what is there
(the calibration and ``metrics.json`` are optional). Event frames follow CONVENTIONS.md: a
metrics file's ``frame`` uses the input's own numbering starting at ``first_frame`` (1 for a
trial folder), so the array index of an event is ``frame - first_frame``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.analysis.metrics_spec import angle_curve, read_metrics, reliability_of
from mocaplab.camera import CameraSet
from mocaplab.errors import InputError
from mocaplab.pose_data import Points3D
from mocaplab.trial import Trial

#: (segment, angle) pairs shown in the side panel, as stored in metrics.json ``angles``.
PANEL_ANGLES = (("pelvis", "obliquity"), ("pelvis", "rotation"), ("spine", "rotation"),
                ("hip", "flexion"), ("knee", "flexion"))
#: the joint angles the panel draws as curves with a time cursor (:mod:`.curves`) and words
#: per side.
CURVE_ANGLES = (("hip", "flexion"), ("knee", "flexion"))


@dataclasses.dataclass(frozen=True)
class FrameEvent:
    """A foot strike or foot off as the viewer shows it: ``index`` is the 0-based frame index
    into the points array, read from metrics.json ``events`` (analysis' own
    :class:`mocaplab.analysis.events.GaitEvent` has a fractional index and the detection method;
    a file's :class:`mocaplab.marker_io.LabelledEvent` a 1-based frame)."""

    side: str
    type: str
    index: int
    time_s: float


@dataclasses.dataclass(frozen=True, eq=False)
class TrialData:
    """A trial ready to show.

    Attributes:
        name: label shown in the window and the renders.
        points: (F, K, 3) metres, lab frame, NaN = not reconstructed.
        keypoints: (K,) names.
        fps: frames per second.
        cameras: the calibration, if found (for the camera frustums).
        events: gait events inside the trial, by frame.
        angles: "segment.angle.side" -> (F,) degrees (NaN where unavailable), e.g.
            "pelvis.obliquity.left".
        source: the folder or file it came from.
        date: the recording date (meta.json ``date``, else ``created``; "" when unknown).
        no_events_reason: why there are no gait events, from metrics.json ("" otherwise).
        persons: who these points are and who else was tracked (from ``points3d.npz``'s
            person record, :func:`mocaplab.analysis.capture.person_lines`; "" when none).
        estimated: the "segment.angle.side" keys of ``angles`` obtained through landmark
            estimation (metrics.json ``provenance.estimated``).
        not_reliable: the keys of ``angles`` analysis flags as not reliable (metrics.json
            ``provenance.kinematics.reliability``); unreliable_trial: why the whole trial's
            lower-limb angles are flagged ("" when they are not).
    """

    name: str
    points: np.ndarray
    keypoints: tuple[str, ...]
    fps: float
    cameras: CameraSet | None = None
    events: tuple[FrameEvent, ...] = ()
    angles: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    source: Path | None = None
    date: str = ""
    no_events_reason: str = ""
    persons: str = ""
    estimated: frozenset[str] = frozenset()
    not_reliable: frozenset[str] = frozenset()
    unreliable_trial: str = ""

    @property
    def n_frames(self) -> int:
        return int(self.points.shape[0])

    @classmethod
    def from_points(cls, points3d: Points3D, name: str = "trial", **kw: Any) -> TrialData:
        return cls(name, points3d.points, points3d.keypoints, points3d.fps, **kw)


def load_trial(path: str | os.PathLike, name: str | None = None) -> TrialData:
    """Load a trial folder (or a ``points3d.npz``) for viewing.

    The calibration is the trial's (``meta.json`` / ``calibration.toml``; none is fine); events
    and angles come from ``metrics.json`` beside the points when it exists.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist: give a trial folder or a points3d.npz file")
    if path.is_dir():
        points_path, folder = Trial(path).points3d_path, path
        if not points_path.is_file():
            raise InputError(f"{path} has no points3d.npz: run `mocaplab triangulate {path}` "
                             "first")
    else:
        if path.suffix.lower() in (".c3d", ".trc"):
            raise InputError(
                f"{path} is a marker file ({path.suffix.lstrip('.').upper()}): view and render "
                "replay a trial's 3D points (a trial folder or its points3d.npz), not marker "
                f"files. For its gait analysis and report use 'mocaplab export {path}' "
                f"(metrics.json, CSV, PDF report with the gait curves) or 'mocaplab analyze "
                f"{path} --out metrics.json'; to replay the markers, open the file in a "
                "marker viewer (Mokka for C3D, OpenSim for TRC)")
        if path.suffix.lower() != ".npz":
            raise InputError(f"{path} is not a points3d.npz file or a trial folder")
        points_path, folder = path, path.parent
    p3 = Points3D.load(points_path)
    if p3.points.shape[0] == 0:
        raise InputError(f"{points_path} holds no frame")
    if not np.isfinite(p3.points).any():
        raise InputError(f"{points_path} holds no reconstructed point (all NaN)")
    metrics_path = Trial(folder).metrics_path
    events: tuple[FrameEvent, ...] = ()
    angles: dict[str, np.ndarray] = {}
    estimated: frozenset[str] = frozenset()
    flagged: frozenset[str] = frozenset()
    unreliable = ""
    no_events = "no metrics.json (run `mocaplab analyze`)"
    if metrics_path.is_file():
        metrics = dict(read_metrics(metrics_path).data)
        events = parse_events(metrics, p3.points.shape[0], p3.fps)
        angles = parse_angles(metrics, p3.points.shape[0])
        estimated = parse_estimated(metrics, angles)
        rel = reliability_of(metrics)
        flagged = frozenset(k for k in angles if rel.reason(*_seg_side_angle(k)))
        unreliable = "" if rel.trial_reliable else (rel.trial_reason or "see the warnings")
        no_events = "" if events else no_events_reason(metrics)
    label = name or (folder.name if path.is_dir() else points_path.stem)
    return TrialData(label, p3.points, p3.keypoints, p3.fps, trial_cameras(folder), events,
                     angles, path, recording_date(folder), no_events,
                     _persons_text(points_path), estimated, flagged, unreliable)


def _seg_side_angle(key: str) -> tuple[str, str, str]:
    """"hip.flexion.left" (a key of TrialData.angles) -> ("hip", "left", "flexion")."""
    seg, ang, side = key.split(".")
    return seg, side, ang


def _persons_text(points_path: Path) -> str:
    from mocaplab.analysis.capture import capture_section, person_lines
    from mocaplab.triangulation.persons3d import read_record

    return person_lines(capture_section(read_record(points_path)))


def recording_date(folder: Path) -> str:
    """'2026-12-02' from the trial's meta.json (``date``, else ``created``), or ""."""
    try:
        meta = Trial(folder).meta
    except (InputError, OSError):
        return ""
    value = meta.get("date") or meta.get("created") if isinstance(meta, dict) else None
    return str(value)[:10] if value else ""


def no_events_reason(metrics: dict[str, Any]) -> str:
    """Why a metrics dict has no gait events: the analysis's own warning, shortened."""
    for w in metrics.get("warnings") or []:
        if isinstance(w, str) and (w.startswith("no walking") or "foot strike" in w):
            return "no gait events: " + w.split(" (")[0]
    return "no gait events found"


def trial_cameras(folder: Path) -> CameraSet | None:
    """The calibration of a trial folder (:attr:`Trial.calibration_path`), or None without one."""
    from mocaplab.calibration import load_calibration

    try:
        cal = Trial(folder).calibration_path
    except InputError:  # unreadable meta.json: the folder's own calibration.toml, if any
        cal = Trial(folder).local_calibration_path
    if cal is None or not Path(cal).is_file():
        return None
    return load_calibration(cal)


def parse_events(metrics: dict[str, Any], n_frames: int, fps: float) -> tuple[FrameEvent, ...]:
    """Gait events of a metrics dict as 0-based indices into an ``n_frames`` points array.

    Events outside the array are dropped; a malformed event raises :class:`InputError`.
    """
    first = int(metrics.get("first_frame", 1) or 1)
    out = []
    for i, ev in enumerate(metrics.get("events") or []):
        try:
            side, typ = str(ev["side"]).lower(), str(ev["type"]).lower()
            if ev.get("frame") is not None:
                index = int(round(float(ev["frame"]))) - first
            else:
                index = int(round(float(ev["time_s"]) * fps)) - (first - 1)
            time_s = float(ev["time_s"]) if ev.get("time_s") is not None else \
                (index + first - 1) / fps
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"metrics.json event #{i} is malformed ({exc}): expected side, "
                             "type and frame or time_s") from None
        if 0 <= index < n_frames:
            out.append(FrameEvent(side, typ, index, time_s))
    return tuple(sorted(out, key=lambda e: e.index))


def parse_angles(metrics: dict[str, Any], n_frames: int) -> dict[str, np.ndarray]:
    """The panel's angle curves: "segment.angle.side" -> (F,) degrees, NaN for null.

    Curves whose length differs from ``n_frames`` are ignored (they do not belong to these
    points).
    """
    out: dict[str, np.ndarray] = {}
    angles = metrics.get("angles") or {}
    for seg, ang in PANEL_ANGLES:
        for side in ("left", "right"):
            values = ((angles.get(seg) or {}).get(side) or {}).get(ang)
            if values is None:
                continue
            arr = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
            if arr.shape == (n_frames,):
                out[f"{seg}.{ang}.{side}"] = arr
    return out


def parse_estimated(metrics: dict[str, Any], angles: dict[str, np.ndarray]) -> frozenset[str]:
    """The keys of ``angles`` ("segment.angle.side") that metrics.json's
    ``provenance.estimated`` names (its paths are "angles.<segment>.<side>.<angle>")."""
    est = (metrics.get("provenance") or {}).get("estimated") or {}
    out = set()
    for key in angles:
        seg, ang, side = key.split(".")
        if f"angles.{seg}.{side}.{ang}" in est:
            out.add(key)
    return frozenset(out)


def panel_values(trial: TrialData, index: int) -> list[tuple[str, float | None, float | None]]:
    """Rows of the angle panel at frame ``index``: (label, left value, right value), degrees,
    with the per-side signs of metrics.json (Plug-in Gait: each side's own direction)."""
    rows = []
    for seg, ang in PANEL_ANGLES:
        vals = []
        for side in ("left", "right"):
            arr = trial.angles.get(f"{seg}.{ang}.{side}")
            v = None if arr is None or not np.isfinite(arr[index]) else float(arr[index])
            vals.append(v)
        rows.append((angle_curve(seg, ang).label, vals[0], vals[1]))
    return rows


def _left_minus_right(left: float | None, right: float | None) -> float | None:
    """One left-referenced value from Plug-in Gait per-side values (the right side's sign is
    the mirror image: obliquity + = that side up, rotation + = that side forward)."""
    vals = [v for v in (left, None if right is None else -right) if v is not None]
    return float(np.mean(vals)) if vals else None


def format_panel(trial: TrialData, index: int) -> str:
    """The angles of metrics.json at a frame in clinical wording, one line each:
    "Pelvic obliquity: left side 3.1° higher", "Pelvic rotation: 4.0° (left side forward)"
    (the spine's per-side values are not worded: see the drawn trunk rotation instead), then
    the joint angles per side when the trial has them: "Hip flexion: L 23.1°, R -4.0°
    (estimated)", "(estimated, not reliable)" where analysis flags the angle, and a last line
    when it flags the whole trial."""
    from mocaplab import sides

    lines = []
    worded = {angle_curve("pelvis", "obliquity").label: sides.higher_side,
              angle_curve("pelvis", "rotation").label: sides.forward_side}
    for label, left, right in panel_values(trial, index):
        if label in worded:
            lines.append(f"{label}: {worded[label](_left_minus_right(left, right))}")
    for seg, ang in CURVE_ANGLES:
        keys = [f"{seg}.{ang}.{side}" for side in ("left", "right")]
        if not any(k in trial.angles for k in keys):
            continue
        vals = []
        for k in keys:
            arr = trial.angles.get(k)
            vals.append("-" if arr is None or not np.isfinite(arr[index])
                        else f"{arr[index]:.1f}°")
        tags = [w for w, names in (("estimated", trial.estimated),
                                   ("not reliable", trial.not_reliable))
                if any(k in names for k in keys)]
        lines.append(f"{angle_curve(seg, ang).label}: L {vals[0]}, R {vals[1]}"
                     + (f" ({', '.join(tags)})" if tags else ""))
    if trial.unreliable_trial:  # the reason is long: it is in the report and metrics.json
        lines.append("Joint angles: NOT reliable for this trial (see the report)")
    return "\n".join(lines)
