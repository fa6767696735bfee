"""The trial folder of CONVENTIONS.md.

::

    TRIAL/
      videos/<camera>.<ext>     one video per camera
      timestamps.csv            camera, frame, time_s
      meta.json                 subject, trial, fps, cameras, calibration, software version
      keypoints2d.npz           written by `mocaplab detect` (by what: KEYPOINTS_SOURCE_KEY)
      points3d.npz              written by `mocaplab triangulate`
      metrics.json              written by `mocaplab analyze`
      exports/                  written by `mocaplab export` (the pipeline's export stage)
      report/                   report.pdf, report.html, figures; report/key_frames/*.png
      render/                   replay.mp4
      calibration.toml          the trial's own calibration, when meta.json names none
      .mocaplab/stages.json     what each stage last wrote, from what (mocaplab.freshness)
      .mocaplab/meta.lock       held while meta.json is changed (Trial.edit_meta)

Every path of this layout is a property of :class:`Trial`; nothing else spells a file name.

A stage reads the files of the stage before it and writes its own, atomically.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab import __version__
from mocaplab.atomic import write_json, write_text
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.file_lock import exclusive_lock

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm")

#: meta.json key recording what made keypoints2d.npz: :data:`MEDIAPIPE_SOURCE` for MediaPipe
#: detection (``mocaplab detect``, the pipeline's detect stage), ``KIND:DIR`` (DIR absolute) for
#: ``mocaplab detect --source KIND:DIR``. Absent: unknown (put there by hand or by another
#: tool), see :func:`mocaplab.keypoints.trial_detect.keypoints_source`.
KEYPOINTS_SOURCE_KEY = "keypoints_source"
#: meta.json key of a marker file's analysis (`mocaplab export FILE.c3d`): the file analysed.
SOURCE_FILE_KEY = "source_file"
#: :data:`KEYPOINTS_SOURCE_KEY` value of keypoints detected with MediaPipe.
MEDIAPIPE_SOURCE = "mediapipe"


def check_meta(meta: Any, path: Path) -> dict[str, Any]:
    """``meta`` (parsed meta.json) if it has the shape of CONVENTIONS.md: a JSON object whose
    ``fps`` is a positive number or null, ``cameras`` a list of names, ``subject``, ``session``,
    ``trial`` and ``calibration`` text; InputError naming ``path`` and the field otherwise."""
    if not isinstance(meta, dict):
        raise InputError(f"{path} must hold a JSON object ({{\"subject\": ..., \"fps\": ...}}), "
                         f"not a JSON {type(meta).__name__}")
    fps = meta.get("fps")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, int | float)
                            or not np.isfinite(fps) or fps <= 0):
        raise InputError(f"{path}: fps must be a positive number of frames per second "
                         f"(or null), not {fps!r}")
    cams = meta.get("cameras")
    if cams is not None and (not isinstance(cams, list)
                             or not all(isinstance(c, str) for c in cams)):
        raise InputError(f"{path}: cameras must be a list of camera names, not {cams!r}")
    for key in ("subject", "session", "trial", "calibration"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            if key == "subject" and isinstance(meta[key], dict):
                continue  # subject data given inline (mocaplab.analysis.subject)
            raise InputError(f"{path}: {key} must be text, not {meta[key]!r}")
    return meta


class Trial:
    """A trial folder. Creating the object touches nothing on disk.

    A Trial is path-like (``os.fspath(trial)`` is its folder), so every stage function that
    takes a trial folder takes a Trial: ``analyze_file(trial)``, ``export_trial(trial, ...)``,
    ``write_report(trial, ...)``, ``Trial(trial)``.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Trial({str(self.path)!r})"

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    # --- paths ----------------------------------------------------------------------------------
    @property
    def videos_dir(self) -> Path:
        return self.path / "videos"

    #: the file that makes a folder a trial (for finding trials below a folder)
    META_NAME = "meta.json"
    #: mocaplab's own state below a trial (and a lab) folder: never a trial itself
    STATE_DIR = ".mocaplab"

    @property
    def meta_path(self) -> Path:
        return self.path / self.META_NAME

    @property
    def timestamps_path(self) -> Path:
        return self.path / "timestamps.csv"

    @property
    def keypoints2d_path(self) -> Path:
        return self.path / "keypoints2d.npz"

    @property
    def points3d_path(self) -> Path:
        return self.path / "points3d.npz"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.json"

    @property
    def exports_dir(self) -> Path:
        return self.path / "exports"

    @property
    def report_dir(self) -> Path:
        return self.path / "report"

    @property
    def key_frames_dir(self) -> Path:
        return self.report_dir / "key_frames"

    @property
    def render_dir(self) -> Path:
        return self.path / "render"

    @property
    def local_calibration_path(self) -> Path:
        """``calibration.toml`` in the trial folder (used when meta.json names none)."""
        return self.path / "calibration.toml"

    def save_calibration(self, cameras: Any, overwrite: bool = True) -> Path:
        """Write ``cameras`` (a :class:`mocaplab.camera.CameraSet`) as the trial's own
        calibration (:attr:`local_calibration_path`) and name it in meta.json."""
        path = cameras.save(self.local_calibration_path, overwrite=overwrite)
        self.update_meta(calibration=path.name)
        return path

    @property
    def stages_path(self) -> Path:
        """``.mocaplab/stages.json``: what each stage last wrote and from what
        (:mod:`mocaplab.freshness`)."""
        return self.path / self.STATE_DIR / "stages.json"

    @property
    def native_log_path(self) -> Path:
        """``.mocaplab/native.log``: native libraries' stderr chatter (MediaPipe's TensorFlow
        Lite / glog lines) while keypoints are detected for sync
        (:mod:`mocaplab.keypoints.native_stderr`)."""
        return self.path / self.STATE_DIR / "native.log"

    @property
    def process_lock_path(self) -> Path:
        """``.mocaplab/process.lock``: held while a pipeline run works on the trial
        (:mod:`mocaplab.trial_lock`)."""
        return self.path / self.STATE_DIR / "process.lock"

    def stage_files(self) -> tuple[tuple[str, Path], ...]:
        """(stage, the file or folder that marks it done), in pipeline order."""
        return (("recorded", self.videos_dir), ("detected", self.keypoints2d_path),
                ("triangulated", self.points3d_path), ("analyzed", self.metrics_path))

    @property
    def calibration_path(self) -> Path | None:
        """The calibration named in meta.json (relative to the trial folder), if any."""
        cal = self.meta.get("calibration") if self.meta_path.exists() else None
        if not cal:
            local = self.local_calibration_path
            return local if local.exists() else None
        p = Path(cal)
        return p if p.is_absolute() else (self.path / p).resolve()

    # --- contents -------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.meta_path.is_file()

    def video_paths(self) -> dict[str, Path]:
        """Camera name -> video file, in natural name order."""
        if not self.videos_dir.is_dir():
            raise InputError(f"{self.path} has no videos/ folder")
        vids = sorted(p for p in self.videos_dir.iterdir()
                      if p.suffix.lower() in VIDEO_EXTENSIONS and not p.name.startswith("."))
        if not vids:
            raise InputError(f"{self.videos_dir} holds no video files "
                             f"({', '.join(VIDEO_EXTENSIONS)})")
        return {p.stem: p for p in vids}

    @property
    def meta(self) -> dict[str, Any]:
        if not self.meta_path.is_file():
            raise InputError(f"{self.path} is not a trial folder (no meta.json)")
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.meta_path} is not valid JSON: {exc}") from None
        return check_meta(meta, self.meta_path)

    @property
    def meta_lock_path(self) -> Path:
        """``.mocaplab/meta.lock``: held while meta.json is read, changed and written back
        (:meth:`edit_meta`)."""
        return self.path / self.STATE_DIR / "meta.lock"

    def _write_meta_file(self, meta: dict[str, Any]) -> None:
        meta = dict(meta)
        meta.setdefault("software_version", f"mocaplab {__version__}")
        write_json(self.meta_path, meta)

    def write_meta(self, meta: dict[str, Any]) -> None:
        """Replace meta.json with ``meta`` (a new trial). To change keys of an existing one use
        :meth:`update_meta` or :meth:`edit_meta`, which keep what another writer put there."""
        with exclusive_lock(self.meta_lock_path):
            self._write_meta_file(meta)

    @contextlib.contextmanager
    def edit_meta(self) -> Iterator[dict[str, Any]]:
        """meta.json as a dict to change in the block, written back (atomically) at its end;
        the trial's meta lock is held from the read to the write, so two writers (the API's
        PATCH and a processing job, two threads or processes) each keep the other's keys.
        An exception in the block leaves meta.json as it was. Keep the block short: other
        writers wait for it."""
        with exclusive_lock(self.meta_lock_path):
            meta = self.meta
            yield meta
            self._write_meta_file(meta)

    def update_meta(self, **changes: Any) -> dict[str, Any]:
        """Set ``changes`` in meta.json, keeping every other key (:meth:`edit_meta`)."""
        with self.edit_meta() as meta:
            meta.update(changes)
        return meta

    def read_timestamps(self) -> dict[str, np.ndarray]:
        """Camera name -> (F,) frame times in seconds, ordered by frame."""
        if not self.timestamps_path.is_file():
            raise InputError(f"{self.path} has no timestamps.csv")
        per_cam: dict[str, list[tuple[int, float]]] = {}
        with open(self.timestamps_path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                try:
                    per_cam.setdefault(row["camera"], []).append(
                        (int(row["frame"]), float(row["time_s"])))
                except (KeyError, ValueError) as exc:
                    raise InputError(f"{self.timestamps_path}: bad row {row}: {exc}") from None
        return {cam: np.array([t for _, t in sorted(rows)]) for cam, rows in per_cam.items()}

    def write_timestamps(self, timestamps: dict[str, np.ndarray]) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["camera", "frame", "time_s"])
        for cam, times in timestamps.items():
            for i, t in enumerate(np.asarray(times, dtype=float)):
                w.writerow([cam, i, f"{t:.6f}"])
        write_text(self.timestamps_path, buf.getvalue())

    # --- creation -------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, *, subject: str = "", trial: str | None = None,
               fps: float | None = None, cameras: list[str] | None = None,
               calibration: str | None = None, overwrite: bool = False,
               **extra: Any) -> Trial:
        """Create a trial folder with its meta.json; refuse to reuse a recorded one unless asked."""
        t = cls(path)
        if t.path.exists() and any(t.path.iterdir()) and not overwrite:
            raise OutputExistsError(f"{t.path} already exists and is not empty; "
                                    "choose another folder or pass --force")
        t.videos_dir.mkdir(parents=True, exist_ok=True)
        meta = {"subject": subject, "trial": trial or t.path.name, "fps": fps,
                "cameras": cameras or [], "calibration": calibration,
                "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), **extra}
        t.write_meta(meta)
        return t
