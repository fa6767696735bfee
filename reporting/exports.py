"""Exports of one trial for clinical records and other tools: tidy CSV, JSON, C3D, TRC.

Every writer takes the trial folder and an :class:`ExportIdentity` (the subject label to print,
already pseudonymised if asked) and writes atomically. Units follow CONVENTIONS.md (metres,
seconds, degrees); C3D is written in millimetres by :func:`mocaplab.marker_io.write_c3d` with
gait events and Plug-in Gait style angle outputs (``LPelvisAngles`` ...), so it opens in Mokka.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.atomic import write_json, write_text
from mocaplab.errors import InputError
from mocaplab.reporting import labdata
from mocaplab.reporting.paths import trial_session
from mocaplab.trial import SOURCE_FILE_KEY, Trial

#: meta.json keys that can identify a person; dropped from pseudonymised exports.
IDENTIFYING_META = {"name", "first_name", "last_name", "patient_name", "birth_date", "dob",
                    "date_of_birth", "patient_id", "mrn", "address", "phone", "email", "notes",
                    "source_file",  # a marker file's path often names the patient
                    # the operators' notes and tags (API PATCH .../annotations): free text,
                    # and the operator's name
                    "annotations"}
FORMATS = ("csv", "json", "c3d", "trc")


def pseudonym(subject: str, key: bytes | str, prefix: str = "P") -> str:
    """Stable keyed pseudonym of a subject id: ``P-`` + 12 hex chars of HMAC-SHA256(key, id).

    The same key always gives the same pseudonym (so exports of one subject can be linked by
    whoever holds them), and without the key the id cannot be recovered or confirmed.
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise InputError("pseudonymisation needs a secret key (MOCAPLAB_PSEUDONYM_KEY)")
    return f"{prefix}-" + hmac.new(key, subject.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


@dataclasses.dataclass(frozen=True)
class ExportIdentity:
    """The labels written into an export. ``pseudonymised`` tells readers which kind it is."""

    subject: str
    session: str
    trial: str
    pseudonymised: bool = False
    #: "" or why the session is not meta.json's (:func:`mocaplab.reporting.paths.trial_session`)
    warning: str = ""

    @classmethod
    def make(cls, subject: str, session: str, trial: str, key: bytes | str | None = None,
             pseudonymise: bool = False) -> ExportIdentity:
        if pseudonymise:
            # a session or trial labelled with the subject id (a marker file's stem) must not
            # give it away: it takes the pseudonym too
            alias = pseudonym(subject, key or b"")
            return cls(alias, alias if session == subject else session,
                       alias if trial == subject else trial, True)
        return cls(subject, session, trial, False)


def export_meta(meta: dict[str, Any], ident: ExportIdentity) -> dict[str, Any]:
    """meta.json as exported: identifying keys dropped when pseudonymised."""
    out = {k: v for k, v in meta.items()
           if not (ident.pseudonymised and k.lower() in IDENTIFYING_META)}
    if ident.pseudonymised and "trial" in out:
        out["trial"] = ident.trial  # it may be the subject id (a marker file's stem)
    out["subject"] = ident.subject
    if "session" in out:  # the label of the export, not a stale meta.json's (trial_session)
        out["session"] = ident.session
    out["pseudonymised"] = ident.pseudonymised
    return out


def tidy_rows(trial_dir: Path, ident: ExportIdentity, kind: str = "summary") -> list[dict]:
    """Long-format rows (one value per row).

    kind ``summary``: spatiotemporal per side, symmetry indices, leg length, angle ranges,
    events; ``angles``: every angle sample (frame, time_s, segment, side, angle, value_deg);
    ``points``: every 3D point (frame, time_s, keypoint, x_m, y_m, z_m).
    """
    base = {"subject": ident.subject, "session": ident.session, "trial": ident.trial}
    if kind == "points":
        from mocaplab.pose_data import Points3D

        p = Points3D.load(Trial(trial_dir).points3d_path)
        rows = []
        for f in range(p.points.shape[0]):
            for k, name in enumerate(p.keypoints):
                x, y, z = (None if not np.isfinite(v) else round(float(v), 5)
                           for v in p.points[f, k])
                rows.append({**base, "frame": f + 1, "time_s": round(f / p.fps, 5),
                             "keypoint": name, "x_m": x, "y_m": y, "z_m": z})
        return rows
    metrics = labdata.load_metrics(trial_dir)
    first = int(metrics.get("first_frame") or 1)
    fps = float(metrics.get("fps") or 0) or None
    if kind == "angles":
        rows = []
        for seg, sides in (metrics.get("angles") or {}).items():
            for side, comps in (sides or {}).items():
                for comp, arr in (comps or {}).items():
                    for i, v in enumerate(arr or []):
                        frame = first + i
                        rows.append({**base, "frame": frame,
                                     "time_s": round((frame - 1) / fps, 5) if fps else None,
                                     "segment": seg, "side": side, "angle": comp,
                                     "value_deg": v})
        return rows
    if kind != "summary":
        raise InputError(f"unknown CSV kind {kind!r}; use summary, angles or points")
    rows = [{**base, "section": "metric", "name": s["name"], "side": s["side"],
             "value": s["value"], "unit": s["unit"], "frame": None, "time_s": None}
            for s in labdata.flat_summaries(metrics)]
    rows += [{**base, "section": "event", "name": e["type"], "side": e["side"], "value": None,
              "unit": "", "frame": e["frame"], "time_s": e["time_s"]}
             for e in labdata.events(metrics)]
    return rows


def csv_text(rows: list[dict]) -> str:
    """Rows as CSV text (empty cells for None)."""
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return buf.getvalue()


def write_csv(trial_dir: Path, out: Path, ident: ExportIdentity, kind: str = "summary") -> Path:
    return write_text(out, csv_text(tidy_rows(Path(trial_dir), ident, kind)))


def json_document(trial_dir: Path, ident: ExportIdentity) -> dict[str, Any]:
    """meta (filtered), full metrics.json, summaries and the spatiotemporal table."""
    trial_dir = Path(trial_dir)
    metrics = labdata.load_metrics(trial_dir)
    meta = labdata.load_meta(trial_dir)
    if ident.pseudonymised:  # the input path names the subject's folder: keep the file name
        prov = dict(metrics.get("provenance") or {})
        if isinstance(prov.get("input"), str):
            name = Path(prov["input"]).name
            if meta.get(SOURCE_FILE_KEY):  # a marker file's stem is its subject label
                name = ident.subject + Path(name).suffix
            prov["input"] = name
        metrics = {**metrics, "provenance": prov}
    return {"format": "mocaplab-trial-export/1", "subject": ident.subject,
            "session": ident.session, "trial": ident.trial,
            "pseudonymised": ident.pseudonymised,
            "meta": export_meta(meta, ident),
            "spatiotemporal": labdata.spatiotemporal_rows(metrics),
            "summary": labdata.flat_summaries(metrics),
            "metrics": metrics}


def write_json_export(trial_dir: Path, out: Path, ident: ExportIdentity) -> Path:
    return write_json(out, json_document(trial_dir, ident))


def c3d_angles(metrics: dict[str, Any], n_frames: int) -> dict[str, np.ndarray]:
    """Plug-in Gait style outputs ``{L,R}<Segment>Angles`` -> (n_frames, 3) degrees, each
    component in its Vicon axis (X, Y, Z) as the metrics specification declares it
    (``metrics_spec.ANGLES``: e.g. foot progression is FootProgressAngles Z only); a component
    without values stays NaN on its own, never blanking the others."""
    from mocaplab.analysis.metrics_spec import ANGLES

    out: dict[str, np.ndarray] = {}
    angles = metrics.get("angles") or {}
    for a in ANGLES:
        output, axis = a.vicon.split()
        for side, prefix in (("left", "L"), ("right", "R")):
            data = (angles.get(a.segment) or {}).get(side)
            if not isinstance(data, dict) or a.component not in data:
                continue
            arr = out.setdefault(prefix + output, np.full((n_frames, 3), np.nan))
            v = labdata.angle_array(data.get(a.component))[:n_frames]
            arr[: len(v), "XYZ".index(axis)] = v
    return {k: v for k, v in out.items() if np.isfinite(v).any()}


def marker_file_points(trial_dir: Path) -> tuple[np.ndarray, list[str], float, int] | None:
    """The markers of the marker file a trial folder is the analysis of (meta.json
    ``source_file``; ``mocaplab export FILE``): (points (F, M, 3) metres in the lab's Z-up frame
    (a Y-up file rotated as the analysis rotates it), labels as read, Hz, the file's 1-based
    first frame); None for a folder that is not such an analysis.

    Raises:
        InputError: the source file is no longer there.
    """
    from mocaplab.analysis.inputs import load_input
    from mocaplab.analysis.landmarks import find_landmarks, z_up_rotation

    meta = labdata.load_meta(trial_dir) if Trial(trial_dir).meta_path.is_file() else {}
    source = meta.get(SOURCE_FILE_KEY)
    if not source:
        return None
    if not Path(str(source)).is_file():
        raise InputError(f"{trial_dir} is the analysis of {source}, which is no longer there: "
                         "its markers cannot be exported (export the file itself again)")
    data = load_input(source)
    lm = find_landmarks(data.points, data.labels, data.fps, data.first_frame)
    points = data.points @ z_up_rotation(lm.up_axis).T
    return points, list(data.labels), float(data.fps), int(data.first_frame)


def write_c3d_export(trial_dir: Path, out: Path, ident: ExportIdentity) -> Path:
    """C3D with the 3D points (mm), gait events and angle outputs. Needs points3d.npz, or (the
    analysis of a marker file) the marker file it was made from."""
    from mocaplab.marker_io import LabelledEvent, write_c3d
    from mocaplab.pose_data import Points3D

    trial_dir = Path(trial_dir)
    trial = Trial(trial_dir)
    metrics = labdata.load_metrics(trial_dir) if trial.metrics_path.is_file() else {}
    source = None if trial.points3d_path.is_file() else marker_file_points(trial_dir)
    if source is not None:
        points, labels, fps, _ = source
    elif trial.points3d_path.is_file():
        p = Points3D.load(trial.points3d_path)
        points, labels, fps = p.points, list(p.keypoints), p.fps
    elif metrics:
        raise InputError(f"{trial_dir} has no points3d.npz to export as C3D")
    else:
        raise InputError(f"{trial_dir} has neither points3d.npz nor metrics.json")
    ev = [LabelledEvent(e["side"], e["type"], e["time_s"], e["frame"])
          for e in labdata.events(metrics)]
    first = int(metrics.get("first_frame") or 1)
    return write_c3d(out, points, labels, fps, first_frame=first, events=ev,
                     angles=c3d_angles(metrics, points.shape[0]))


def write_trc_export(trial_dir: Path, out: Path, ident: ExportIdentity, *, y_up: bool = False,
                     opensim_names: bool = False) -> Path:
    """TRC in metres: the lab's Z-up frame, or OpenSim's Y-up frame with ``y_up``; markers
    renamed to Pose2Sim's BlazePose set with ``opensim_names`` (see triangulation.export)."""
    from mocaplab.pose_data import Points3D
    from mocaplab.triangulation.export import Z_UP_TO_Y_UP, export_points

    if not Trial(trial_dir).points3d_path.is_file():
        source = marker_file_points(trial_dir)
        if source is not None:             # a marker file's markers, its frame numbering
            if opensim_names:
                raise InputError("--opensim-names renames mediapipe33 keypoints to Pose2Sim's "
                                 f"BlazePose markers; {trial_dir} is the analysis of a marker "
                                 "file: export its markers as they are named")
            from mocaplab.marker_io import write_trc

            points, labels, fps, first = source
            xyz = points @ Z_UP_TO_Y_UP.T if y_up else points
            return write_trc(out, xyz, labels, fps, first_frame=first)
    p = Points3D.load(Trial(trial_dir).points3d_path)
    return export_points(p, out, "trc", y_up=y_up, opensim_names=opensim_names)


def export_filename(ident: ExportIdentity, fmt: str, kind: str = "summary") -> str:
    """``<subject>_<session>_<trial>[_<kind>].<fmt>`` (the subject label may be a pseudonym);
    empty labels and a label repeating the one before are left out, so a marker file's
    analysis (subject and trial = the file's stem, no session) gives ``<stem>.<fmt>``."""
    extra = "" if fmt != "csv" or kind == "summary" else f"_{kind}"
    labels: list[str] = []
    for label in (ident.subject, ident.session, ident.trial):
        if label and (not labels or labels[-1] != label):
            labels.append(label)
    return f"{'_'.join(labels) or 'trial'}{extra}.{fmt}"


#: file names used by the pipeline's export stage (``TRIAL/exports/``).
PIPELINE_NAMES = {"trc": "points3d.trc", "c3d": "points3d.c3d", "csv": "metrics.csv",
                  "json": "metrics.json"}


def identity_of(trial_dir: Path, key: bytes | str | None = None,
                pseudonymise: bool = False) -> ExportIdentity:
    """Identity from the folder names (LAB/<subject>/<session>/<trial>) or meta.json. A marker
    file's analysis (meta.json ``source_file``) is labelled from its meta.json alone: subject
    and trial = the file's stem, no session (not the names of the folders it was run in).
    The session: :func:`mocaplab.reporting.paths.trial_session` (its warning in ``warning``)."""
    trial_dir = Path(trial_dir).resolve()
    meta = labdata.load_meta(trial_dir) if Trial(trial_dir).meta_path.is_file() else {}
    subject = meta.get("subject")
    if isinstance(subject, dict):       # CONVENTIONS.md: meta.json["subject"] = {"id", ...}
        subject = subject.get("id")
    label = trial_session(trial_dir, meta)
    if meta.get(SOURCE_FILE_KEY):
        stem = Path(str(meta[SOURCE_FILE_KEY])).stem
        ident = ExportIdentity.make(str(subject or stem), label.session,
                                    str(meta.get("trial") or stem), key, pseudonymise)
    else:
        subject = str(subject or trial_dir.parent.parent.name or "unknown")
        ident = ExportIdentity.make(subject, label.session, trial_dir.name, key, pseudonymise)
    return dataclasses.replace(ident, warning=label.warning)


def write_export(trial_dir: Path, out: Path, fmt: str, ident: ExportIdentity,
                 kind: str = "summary", *, trc_y_up: bool = False,
                 opensim_names: bool = False) -> Path:
    """Write one export format of ``trial_dir`` to the file ``out`` (``trc_y_up`` and
    ``opensim_names``: the TRC's frame and marker names, see :func:`write_trc_export`)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use one of {FORMATS}")
    if fmt == "csv":
        return write_csv(trial_dir, out, ident, kind)
    if fmt == "json":
        return write_json_export(trial_dir, out, ident)
    if fmt == "c3d":
        return write_c3d_export(trial_dir, out, ident)
    return write_trc_export(trial_dir, out, ident, y_up=trc_y_up, opensim_names=opensim_names)


def export_trial(trial_dir: str | Path, out_dir: str | Path,
                 formats: tuple[str, ...] = ("trc", "c3d", "csv"),
                 ident: ExportIdentity | None = None, kind: str = "summary",
                 pipeline_names: bool | None = None) -> dict[str, Path]:
    """Write the exports of a trial into ``out_dir``; returns format -> file.

    With ``pipeline_names`` (the default when no identity is given) the files are named as the
    pipeline expects (``points3d.trc``, ``points3d.c3d``, ``metrics.csv``, ``metrics.json``),
    otherwise ``<subject>_<session>_<trial>.<fmt>``.
    """
    trial_dir = Path(trial_dir)
    if pipeline_names is None:
        pipeline_names = ident is None
    ident = ident or identity_of(trial_dir)
    out = {}
    for fmt in formats:
        name = PIPELINE_NAMES[fmt] if pipeline_names else export_filename(ident, fmt, kind)
        out[fmt] = write_export(trial_dir, Path(out_dir) / name, fmt, ident, kind)
    return out


def dumps(obj: Any) -> str:
    """Compact JSON of plain Python data (NaN refused: missing values must already be None)."""
    return json.dumps(obj, allow_nan=False)
