"""Record N cameras into a trial folder: one grab thread and one writer thread per camera.

Each camera has a *grab* thread that reads frames from its :class:`FrameSource` as fast as they
come (so that a slow encoder never makes a device lose frames) and hands them to a *writer*
thread through a bounded queue. Every frame carries the ``time.monotonic()`` time at which it
became available; ``timestamps.csv`` stores it in seconds from the start of the recording (a
common clock for all cameras).

Stopping (after ``duration``, on Ctrl-C / SIGINT, when a source ends, or when ``stop`` is set)
lets every writer drain its queue, then each video is finished under a temporary name, checked
to read back with every frame, and renamed into place: an interrupted recording never leaves a
truncated file under a final name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import os
import queue
import shutil
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from mocaplab.capture.sources import Frame, FrameSource
from mocaplab.capture.video_io import DEFAULT_CODEC, SafeVideoWriter, codec_for
from mocaplab.errors import InputError
from mocaplab.trial import Trial

#: frames a writer may lag behind its camera before frames are dropped, in seconds of video.
QUEUE_SECONDS = 2.0
#: after a stop request, how long a camera may stay blocked in read() before it is abandoned
STALL_SECONDS = 3.0


@dataclasses.dataclass(frozen=True, eq=False)
class CameraRecord:
    """What one camera recorded.

    Attributes:
        name: camera name.
        video: the video file written (None if the camera delivered nothing).
        timestamps: (F,) seconds from the start of the recording, one per written frame.
        source_index: (F,) the source's frame counter of each written frame.
        fps_nominal: the source's nominal fps.
        dropped: frames lost (known to the source, inferred from timestamp gaps for devices,
            or discarded because the writer fell behind).
    """

    name: str
    video: Path | None
    timestamps: np.ndarray
    source_index: np.ndarray
    fps_nominal: float
    dropped: int

    @property
    def frames(self) -> int:
        return int(len(self.timestamps))

    @property
    def fps_measured(self) -> float:
        t = self.timestamps
        return float((len(t) - 1) / (t[-1] - t[0])) if len(t) > 1 and t[-1] > t[0] else 0.0


@dataclasses.dataclass(frozen=True, eq=False)
class RecordingResult:
    """The outcome of :func:`record`.

    Attributes:
        trial: the trial folder written.
        cameras: one :class:`CameraRecord` per camera, in the order of the sources.
        duration_s: wall time from start to stop, seconds.
        stopped_by: ``"duration"``, ``"interrupt"``, ``"source ended: <camera>"``,
            ``"camera failed: <camera>"`` or ``"stop"``.
    """

    trial: Trial
    cameras: tuple[CameraRecord, ...]
    duration_s: float
    stopped_by: str

    @property
    def dropped(self) -> dict[str, int]:
        return {c.name: c.dropped for c in self.cameras}


class _CameraWorker:
    """The grab thread and writer thread of one camera."""

    def __init__(self, source: FrameSource, writer: SafeVideoWriter, t_start: float,
                 stop: threading.Event, duration: float | None):
        self.source = source
        self.writer = writer
        self.t_start = t_start
        self.stop = stop
        self.duration = duration
        self.queue: queue.Queue[Frame | None] = queue.Queue(
            maxsize=max(4, int(QUEUE_SECONDS * source.fps)))
        self.times: list[float] = []
        self.indices: list[int] = []
        self.recent: deque[float] = deque(maxlen=max(2, int(source.fps)))
        self.overflow = 0
        self.gap_drops = 0
        self.ended = False
        self.stalled = False
        self.error: BaseException | None = None
        self.grab_thread = threading.Thread(target=self._grab, name=f"grab-{source.name}",
                                            daemon=True)
        self.write_thread = threading.Thread(target=self._write, name=f"write-{source.name}",
                                             daemon=True)

    def start(self) -> None:
        self.write_thread.start()
        self.grab_thread.start()

    def _grab(self) -> None:
        period = 1.0 / self.source.fps
        last_t: float | None = None
        try:
            while not self.stop.is_set():
                frame = self.source.read()
                if frame is None:
                    self.ended = True
                    break
                if self.duration is not None and frame.time_s - self.t_start >= self.duration:
                    break
                if not self.source.knows_drops and last_t is not None:
                    gap = frame.time_s - last_t
                    if gap > 1.5 * period:
                        self.gap_drops += int(round(gap / period)) - 1
                last_t = frame.time_s
                self.recent.append(frame.time_s)
                try:
                    self.queue.put_nowait(frame)
                except queue.Full:
                    self.overflow += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc
            self.stop.set()  # a camera that fails ends the whole recording
        finally:
            self.queue.put(None)

    def _write(self) -> None:
        try:
            while True:
                frame = self.queue.get()
                if frame is None:
                    break
                self.writer.write(frame.image)
                self.times.append(frame.time_s - self.t_start)
                self.indices.append(frame.index)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc
            self.stop.set()
            while self.queue.get() is not None:  # let the grab thread finish
                pass

    @property
    def dropped(self) -> int:
        return int(self.source.dropped + self.gap_drops + self.overflow)

    def live_fps(self) -> float:
        r = list(self.recent)
        return (len(r) - 1) / (r[-1] - r[0]) if len(r) > 1 and r[-1] > r[0] else 0.0


def record(sources: Sequence[FrameSource], trial_dir: str | os.PathLike, *,
           duration: float | None = None, codec: str = DEFAULT_CODEC, subject: str = "",
           trial: str | None = None, calibration: str | os.PathLike | None = None,
           overwrite: bool = False, status: TextIO | None = sys.stderr,
           stop: threading.Event | None = None, handle_sigint: bool = True) -> RecordingResult:
    """Record every source into ``trial_dir`` until ``duration``, Ctrl-C, a source ends or ``stop``.

    Writes ``videos/<camera>.<ext>``, ``timestamps.csv`` (camera, frame, time_s; seconds from the
    start of the recording, ``time.monotonic()`` clock) and ``meta.json`` (subject, trial,
    cameras, fps, calibration, per-camera frames/fps/dropped, codec, how it stopped).

    Args:
        sources: opened frame sources, one per camera (unique names). They are closed here.
        duration: seconds to record; None = until interrupted or a source ends.
        codec: ``mjpg`` (default, .avi), ``mp4v`` (.mp4) or ``ffv1`` (.mkv).
        calibration: calibration file to name in meta.json (stored as given).
        overwrite: replace an existing recording (``--force``); refused otherwise.
        status: stream for the live status line (fps and dropped frames per camera), or None.
        stop: an event another thread may set to end the recording.
        handle_sigint: in the main thread, turn Ctrl-C into a clean stop.

    Raises:
        OutputExistsError: ``trial_dir`` holds a recording and ``overwrite`` is off.
        InputError: no sources, duplicate camera names, or a camera failed while recording.
    """
    try:
        names = [s.name for s in sources]
        if not sources:
            raise InputError("no camera to record: give at least one --camera")
        if len(set(names)) != len(names):
            raise InputError(f"camera names must be unique, got {names}; name them explicitly")
        if duration is not None and not duration > 0:
            raise InputError(f"duration must be positive, got {duration}")
        _, ext = codec_for(codec)
        fps_values = sorted({s.fps for s in sources})
        t = Trial.create(trial_dir, subject=subject, trial=trial,
                         fps=fps_values[0] if len(fps_values) == 1 else None, cameras=names,
                         calibration=str(calibration) if calibration else None,
                         overwrite=overwrite, status="recording")
        if overwrite:
            _clear_previous_recording(t)
        stop = stop or threading.Event()
        writers: list[SafeVideoWriter] = []
        try:
            for s in sources:
                writers.append(SafeVideoWriter(t.videos_dir / f"{s.name}{ext}", s.fps, s.size,
                                               codec, overwrite=overwrite))
        except BaseException as exc:
            for w in writers:
                w.abort()
            t.update_meta(status="failed", error=str(exc))
            raise
        result = _run(sources, writers, t, duration, stop, status, handle_sigint, codec,
                      calibration)
    finally:
        for s in sources:
            s.close()
    return result


def _run(sources, writers, t: Trial, duration, stop, status, handle_sigint, codec, calibration):
    t_start = time.monotonic()
    started = _dt.datetime.now(_dt.UTC)
    workers = [_CameraWorker(s, w, t_start, stop, duration) for s, w in zip(sources, writers,
                                                                            strict=True)]
    stopped_by = "stop"
    interrupted = threading.Event()

    def on_sigint(signum, frame):
        interrupted.set()
        stop.set()

    use_handler = handle_sigint and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if use_handler else None
    try:
        for w in workers:
            w.start()
        last_print = 0.0
        tty = bool(status is not None and getattr(status, "isatty", lambda: False)())
        interval = 0.5 if tty else 5.0
        stop_seen: float | None = None
        while True:
            if all(not w.grab_thread.is_alive() for w in workers):
                break
            now = time.monotonic()
            if duration is not None and now - t_start >= duration + 0.5:
                stop.set()
            if any(w.ended for w in workers) and not stop.is_set():
                stop.set()
            if stop.is_set():
                stop_seen = stop_seen or now
                if now - stop_seen > STALL_SECONDS:  # a device that stopped delivering
                    break
            if status is not None and now - last_print >= interval:
                _print_status(status, now - t_start, workers, tty)
                last_print = now
            time.sleep(0.05)
        for w in workers:
            if w.grab_thread.is_alive():  # blocked in read(): finish its file without it
                w.stalled = True
                w.queue.put(None)
            w.write_thread.join()
        if status is not None:
            _print_status(status, time.monotonic() - t_start, workers, tty)
            status.write("\n" if tty else "")
            status.flush()
    finally:
        if use_handler:
            signal.signal(signal.SIGINT, previous)
    elapsed = time.monotonic() - t_start
    ended = [w.source.name for w in workers if w.ended]
    failed = [w.source.name for w in workers if w.error is not None]
    if failed:
        stopped_by = f"camera failed: {', '.join(failed)}"
    elif interrupted.is_set():
        stopped_by = "interrupt"
    elif ended:
        stopped_by = f"source ended: {', '.join(ended)}"
    elif duration is not None:
        stopped_by = "duration"

    errors = {w.source.name: w.error for w in workers if w.error is not None}
    records = []
    for w in workers:  # every camera's frames are kept, also those of a camera that failed
        try:
            info = w.writer.close()
        except InputError as exc:
            errors.setdefault(w.source.name, exc)
            info = None
        n = info.frames if info else 0
        records.append(CameraRecord(w.source.name, info.path if info else None,
                                    np.asarray(w.times[:n], float),
                                    np.asarray(w.indices[:n], int), w.source.fps, w.dropped))
    t.write_timestamps({r.name: r.timestamps for r in records if r.video is not None})
    camera_info = {}
    for w, r in zip(workers, records, strict=True):
        camera_info[r.name] = {**w.source.describe(), "file": r.video.name if r.video else None,
                               "frames": r.frames, "fps_measured": round(r.fps_measured, 3),
                               "dropped": r.dropped, "stalled": w.stalled}
        if r.name in errors:
            camera_info[r.name]["error"] = str(errors[r.name])
    with t.edit_meta() as meta:
        meta.update(status="failed" if errors else "recorded", camera_info=camera_info,
                    recording={"codec": codec,
                               "started_utc": started.isoformat(timespec="seconds"),
                               "duration_s": round(elapsed, 3), "stopped_by": stopped_by,
                               "clock": "time.monotonic(), seconds from the start of the "
                                        "recording",
                               "requested_duration_s": duration})
        if calibration:
            meta["calibration"] = str(calibration)
    if errors:
        name, exc = next(iter(errors.items()))
        raise InputError(f"camera {name} failed while recording: {exc}; the frames recorded "
                         f"until then are kept in {t.path} (meta.json status 'failed')") from exc
    return RecordingResult(t, tuple(records), elapsed, stopped_by)


def _print_status(stream: TextIO, elapsed: float, workers: list[_CameraWorker], tty: bool) -> None:
    parts = [f"{w.source.name} {w.live_fps():5.1f} fps {w.dropped} dropped" for w in workers]
    line = f"rec {elapsed:6.1f}s | " + " | ".join(parts)
    with contextlib.suppress(OSError, ValueError):
        stream.write(("\r" + line) if tty else (line + "\n"))
        stream.flush()


def _clear_previous_recording(t: Trial) -> None:
    """With --force: remove the old videos and the outputs derived from them (the exports,
    report and replay too: they showed the old recording's results beside the new videos)."""
    from mocaplab.keypoints.poses2d import poses_path_for
    from mocaplab.keypoints.trial_detect import PARTS_DIR
    from mocaplab.triangulation.persons3d import PERSONS3D_FILE

    for old in t.videos_dir.glob("*"):
        if old.is_file():
            old.unlink()
    for derived in (t.timestamps_path, t.keypoints2d_path, poses_path_for(t.keypoints2d_path),
                    t.points3d_path, t.points3d_path.with_name(PERSONS3D_FILE), t.metrics_path):
        derived.unlink(missing_ok=True)
    for folder in (t.path / "videos_unsynced", t.path / PARTS_DIR, t.exports_dir, t.report_dir,
                   t.render_dir):  # videos_unsynced: see align.UNSYNCED_DIR
        shutil.rmtree(folder, ignore_errors=True)
