"""2D keypoints for every camera of a trial folder, in parallel, resumable.

- ``workers`` lanes, each running one camera at a time with its own detector: a thread of this
  process (it starts on the first camera at once) and ``workers - 1`` spawned worker
  processes. In each lane a reader thread decodes frames while the network runs
  (:class:`FrameReader`). On a first run (or ``force``) the worker processes start before
  anything else, so their imports overlap with the parent's preparation (model hash, video
  probes). With one lane per usable core, each lane is pinned to its own core.
- Progress: one tqdm bar per camera on stderr, fed by the lanes through a queue. Native
  libraries' stderr chatter goes to ``TRIAL/.keypoints2d_parts/workers.log``.
- Resumable: each finished camera is saved to ``TRIAL/.keypoints2d_parts/<camera>.npz`` with a
  fingerprint (video size and mtime, detector signature, frame limit); a rerun reuses the parts
  whose fingerprint still matches, unless ``force``.
- Output: ``TRIAL/keypoints2d.npz`` (:class:`mocaplab.pose_data.Keypoints2D`), cameras = video
  stems, fps from the videos. Different fps or frame counts between cameras are logged as
  warnings (shorter cameras are padded with NaN / confidence 0).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import logging
import multiprocessing as mp
import os
import queue
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from mocaplab.atomic import save_npz
from mocaplab.errors import InputError
from mocaplab.keypoints.detector import Detector, VideoKeypoints
from mocaplab.keypoints.native_stderr import native_stderr_to
from mocaplab.keypoints.poses2d import Poses2D, poses_path_for
from mocaplab.pose_data import NPZ_ERRORS, Keypoints2D
from mocaplab.trial import KEYPOINTS_SOURCE_KEY, MEDIAPIPE_SOURCE, Trial

log = logging.getLogger(__name__)

PARTS_DIR = ".keypoints2d_parts"
#: In PARTS_DIR: what native libraries (TensorFlow Lite, MediaPipe's logging) write to stderr.
NATIVE_LOG = "workers.log"

#: set in each worker process by :func:`_init_worker` (the progress queue to the parent).
_progress_queue = None


def _fingerprint(video: Path, detector: Detector, max_frames: int | None) -> str:
    st = video.stat()
    return json.dumps({"video": video.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                       "detector": detector.signature(), "max_frames": max_frames},
                      sort_keys=True)


def part_path(trial: Trial, camera: str) -> Path:
    return trial.path / PARTS_DIR / f"{camera}.npz"


def load_part(path: Path, fingerprint: str) -> VideoKeypoints | None:
    """A cached camera result, or None when absent, unreadable or made from other inputs."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["fingerprint"]) != fingerprint:
                return None
            multi = "poses" in z.files
            return VideoKeypoints(z["points"], z["confidence"], tuple(z["keypoints"].tolist()),
                                  float(z["fps"]), str(z["source"]),
                                  z["poses"] if multi else None,
                                  z["pose_confidence"] if multi else None)
    except NPZ_ERRORS:
        return None


def save_part(path: Path, kp: VideoKeypoints, fingerprint: str) -> None:
    multi = {} if kp.poses is None else {"poses": kp.poses,
                                         "pose_confidence": kp.pose_confidence}
    save_npz(path, points=kp.points, confidence=kp.confidence,
             keypoints=np.array(kp.keypoints), fps=np.float64(kp.fps),
             source=np.array(kp.source), fingerprint=np.array(fingerprint), **multi)


def _init_worker(progress_queue, log_path: str | None, detector: Detector,
                 slot_counter=None, cpus: tuple[int, ...] | None = None) -> None:
    """Worker start: take the next slot of ``slot_counter`` (the parent counts the started
    workers with it); with ``cpus``, pin this worker to the slot's CPU; send the native
    libraries' stderr chatter (TensorFlow Lite / glog lines printed by MediaPipe) to a log file
    instead of the terminal, where it would break the progress bars; let the detector import
    what it needs (optional ``detector.preload()``) while the parent is still preparing; limit
    OpenCV's own thread pool (colour conversion) to one thread, since the parallelism comes from
    the lanes."""
    global _progress_queue
    _progress_queue = progress_queue
    slot = 0
    if slot_counter is not None:
        with slot_counter.get_lock():
            slot = slot_counter.value
            slot_counter.value += 1
    if cpus:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpus[slot % len(cpus)]})
    if log_path:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    _preload(detector)
    import cv2

    cv2.setNumThreads(1)


def _preload(detector: Detector) -> None:
    """The detector's optional ``preload()``. A failure is left for ``detect()`` to meet and
    report clearly (a failing initializer would only say "the pool is broken")."""
    preload = getattr(detector, "preload", None)
    if callable(preload):
        try:
            preload()
        except Exception:  # noqa: BLE001
            log.debug("preloading the detector failed", exc_info=True)


def _start_lane_thread(detector: Detector, cpu: int | None) -> None:
    """Start of the calling process's lane thread: pinned to ``cpu`` (None: not pinned), then
    the detector's imports, while the main thread hashes the model and probes the videos."""
    _pin_thread(cpu)
    _preload(detector)


class _Stopped(Exception):
    """Raised from the frame callback of the in-process lane to stop its camera early."""


def _run_camera(detector: Detector, camera: str, video: str, part: str, fingerprint: str,
                max_frames: int | None) -> str:
    """Worker entry point: detect one camera and save its part file; returns the camera."""
    return _detect_camera(detector, camera, video, part, fingerprint, max_frames,
                          _progress_queue)


def _detect_camera(detector: Detector, camera: str, video: str, part: str, fingerprint: str,
                   max_frames: int | None, q, stop: threading.Event | None = None) -> str:
    """Detect one camera, report progress on queue ``q`` (camera, frames) and save its part
    file; returns the camera. ``stop``: abandon the camera at the next frame once set."""
    last = [0]

    def on_frame(n: int) -> None:
        if stop is not None and stop.is_set():
            raise _Stopped(camera)
        if q is not None and n - last[0] >= 5:
            q.put((camera, n - last[0]))
            last[0] = n

    kp = detector.detect(video, max_frames=max_frames, on_frame=on_frame)
    if q is not None and kp.n_frames > last[0]:
        q.put((camera, kp.n_frames - last[0]))
    save_part(Path(part), kp, fingerprint)
    return camera


#: People detected per view by default: the subject and one companion (a therapist walking
#: beside the patient); triangulation associates them and picks the subject.
DEFAULT_NUM_POSES = 2


def default_detector(model_path=None, variant: str = "full", progress: bool = True,
                     num_poses: int = DEFAULT_NUM_POSES):
    """The MediaPipe detector with its model resolved (explicit path, env, cache, download)."""
    from mocaplab.keypoints.mediapipe_pose import MediaPipePoseDetector
    from mocaplab.keypoints.model_cache import resolve_model

    return MediaPipePoseDetector(str(resolve_model(model_path, variant, progress=progress)),
                                 num_poses=num_poses)


def keypoints_source(trial: Trial) -> str | None:
    """What made ``TRIAL/keypoints2d.npz``: :data:`MEDIAPIPE_SOURCE`, ``KIND:DIR`` of a
    ``detect --source`` import, or None when unknown (a file put there by hand or by another
    tool). meta.json's record first; without one (trials detected before MediaPipe was
    recorded), cached camera parts all made by MediaPipe say MediaPipe."""
    try:
        meta = trial.meta if trial.meta_path.is_file() else {}
    except InputError:
        meta = {}  # a broken meta.json is reported by the trial's own reading
    recorded = meta.get(KEYPOINTS_SOURCE_KEY)
    if isinstance(recorded, str) and recorded:
        return recorded
    sources = set()
    for part in (trial.path / PARTS_DIR).glob("*.npz"):
        try:
            with np.load(part, allow_pickle=False) as z:
                sources.add(str(z["source"]))
        except NPZ_ERRORS:
            return None
    if sources and all(s.startswith("mediapipe:") for s in sources):
        return MEDIAPIPE_SOURCE
    return None


def record_keypoints_source(trial: Trial, source: str) -> None:
    """Record in meta.json what made keypoints2d.npz (:func:`keypoints_source`). A folder
    without meta.json gets one only for an import (MediaPipe's keypoints are recognised by
    their cached parts)."""
    if not trial.meta_path.is_file():
        if source != MEDIAPIPE_SOURCE:
            trial.write_meta({KEYPOINTS_SOURCE_KEY: source})
        return
    if trial.meta.get(KEYPOINTS_SOURCE_KEY) != source:
        trial.update_meta(**{KEYPOINTS_SOURCE_KEY: source})


def detect_trial(trial: Trial | str | os.PathLike, model_path: str | os.PathLike | None = None,
                 workers: int | None = None, force: bool = False, progress: bool = True, *,
                 variant: str = "full", detector: Detector | None = None,
                 max_frames: int | None = None, num_poses: int = DEFAULT_NUM_POSES) -> Path:
    """Detect 2D keypoints in every video of a trial and write ``keypoints2d.npz`` (and, when
    the detector returns several poses per view, ``poses2d.npz``: see
    :mod:`mocaplab.keypoints.poses2d`).

    Args:
        trial: the trial folder (``videos/<camera>.<ext>``).
        model_path: MediaPipe model; None resolves it (env var, cache, download).
        workers: parallel lanes (default: min(cameras, CPU cores)): this process and
            ``workers - 1`` worker processes; 1 runs everything in this process.
        force: recompute cameras that already have a cached part.
        progress: show one progress bar per camera on stderr.
        variant: "lite", "full" or "heavy" when the model is resolved.
        detector: another 2D source (see :class:`Detector`); overrides model_path/variant.
        max_frames: only the first frames of each video (quick checks).
        num_poses: most people detected per view (MediaPipe; ignored with ``detector``).
    Returns:
        Path of the written ``keypoints2d.npz``.
    Raises:
        InputError: no videos, unreadable video, no model.
    """
    trial = trial if isinstance(trial, Trial) else Trial(trial)
    videos = trial.video_paths()
    check_calibration_names(trial, list(videos))
    if detector is None:
        detector = default_detector(model_path, variant, progress, num_poses)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(videos)))
    parts_dir = trial.path / PARTS_DIR
    # Nothing cached (first run or --force): start the workers now, so that they import their
    # libraries while this process hashes the model and probes the videos.
    fresh = force or not any(parts_dir.glob("*.npz"))
    pool = _Lanes(n_workers, detector, parts_dir) if n_workers > 1 and fresh else None
    try:
        results: dict[str, VideoKeypoints] = {}
        todo: dict[str, tuple[Path, Path, str]] = {}
        for cam, video in videos.items():
            fp = _fingerprint(video, detector, max_frames)
            part = part_path(trial, cam)
            cached = None if force else load_part(part, fp)
            if cached is not None:
                results[cam] = cached
                log.info("%s: reusing %s", cam, part)
            else:
                todo[cam] = (video, part, fp)
        if todo:
            results.update(_run_all(detector, todo, n_workers, progress, max_frames, pool))
    finally:
        if pool is not None:
            pool.close()
    kp2d = assemble(results, list(videos), timestamps=_trial_timestamps(trial))
    poses = assemble_poses(results, kp2d)
    poses_file = poses_path_for(trial.keypoints2d_path)
    if poses is None:
        poses_file.unlink(missing_ok=True)  # left by a multi-person run: no longer this run's
    out = kp2d.save(trial.keypoints2d_path)
    if poses is not None:
        poses.save(poses_file)
    return out


def check_calibration_names(trial: Trial, cameras: list[str]) -> None:
    """Fail before any detection when the trial's calibration cannot be paired with its
    cameras (triangulation would fail after minutes of detection). A calibration that does not
    load is left for triangulation to report."""
    cal = trial.calibration_path
    if cal is None or not Path(cal).is_file():
        return
    from mocaplab.calibration import load_calibration
    from mocaplab.camera_names import pair_camera_names

    try:
        names = load_calibration(cal).names
    except InputError:
        return
    try:
        pair_camera_names(cameras, names, source=str(cal))
    except InputError as exc:
        raise type(exc)(f"{exc}. Nothing was detected: give the trial a calibration whose "
                        "names match (mocaplab import --calibration CAL --camera-map ...)"
                        ) from None


def _frame_totals(todo, max_frames) -> dict[str, int]:
    from mocaplab.video import probe_video

    totals = {}
    for cam, (video, _, _) in todo.items():
        # The header only (fails early on a missing, corrupt or empty file): decoding a frame
        # here would cost ~35 ms of CPU per camera while the workers start; they decode anyway.
        n = probe_video(video, decode_first=False).frames
        totals[cam] = n if max_frames is None else min(n, max_frames)
    return totals


def _run_all(detector, todo, workers, progress, max_frames, pool=None
             ) -> dict[str, VideoKeypoints]:
    parts_dir = next(iter(todo.values()))[1].parent
    parts_dir.mkdir(parents=True, exist_ok=True)
    # The native chatter of detection in this process goes to the log like the worker
    # processes' (where that is safe: see native_stderr), with progress bars or without
    # (--no-progress printed every TensorFlow Lite / glog line to the terminal).
    with native_stderr_to(parts_dir / NATIVE_LOG):
        _run_with_bars(detector, todo, workers, progress, max_frames, pool)
    out = {}
    for cam, (_, part, fp) in todo.items():
        kp = load_part(part, fp)
        if kp is None:
            raise InputError(f"{cam}: the worker did not leave a readable result at {part}")
        out[cam] = kp
    return out


def _run_with_bars(detector, todo, workers, progress, max_frames, pool=None) -> None:
    """Detect every camera of ``todo`` (saving their parts), with one progress bar each."""
    from tqdm import tqdm

    totals = _frame_totals(todo, max_frames)
    n_workers = max(1, min(workers, len(todo)))
    bars = {cam: tqdm(total=totals[cam], desc=cam, position=i, unit="frame", file=sys.stderr,
                      disable=not progress, leave=True, dynamic_ncols=True)
            for i, cam in enumerate(todo)}
    try:
        if n_workers == 1:
            for cam, (video, part, fp) in todo.items():
                bar = bars[cam]
                kp = detector.detect(video, max_frames=max_frames,
                                     on_frame=lambda n, b=bar: b.update(n - b.n))
                save_part(part, kp, fp)
        elif pool is not None:
            _run_pool(pool, detector, todo, bars, max_frames)
        else:
            parts_dir = next(iter(todo.values()))[1].parent
            own = _Lanes(n_workers, detector, parts_dir)
            try:
                _run_pool(own, detector, todo, bars, max_frames)
            finally:
                own.close()
    finally:
        for bar in bars.values():
            bar.close()


#: Environment of the worker processes, on top of this process's: numpy's OpenBLAS would start
#: a thread per core at import (doubling each worker's start-up CPU, 0.42 -> 0.19 s here) for
#: linear algebra the workers never do.
WORKER_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1"}


@contextlib.contextmanager
def _environment(extra: dict[str, str]):
    """Temporarily add ``extra`` to os.environ (spawned processes inherit it at start)."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update({k: v for k, v in extra.items() if saved[k] is None})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)


def _available_cpus() -> tuple[int, ...] | None:
    """The CPUs this process may run on (None where the platform cannot tell or pin)."""
    if not hasattr(os, "sched_getaffinity") or not hasattr(os, "sched_setaffinity"):
        return None
    return tuple(sorted(os.sched_getaffinity(0)))


def _pin_thread(cpu: int | None) -> None:
    """Pin the calling thread (and the threads it starts later) to ``cpu``; None: no-op."""
    if cpu is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})  # Linux: 0 is the calling thread


class _Lanes:
    """``n`` detection lanes: ``n`` - 1 spawned worker processes (see :func:`_init_worker`),
    started at once, and one thread of this process.

    The thread lane starts on its first camera at once, while the processes start (~0.2 s to
    import Python, OpenCV and MediaPipe, on both cores): one process fewer to start, ~4 % of a
    4-camera trial's wall time here. Every lane runs one camera at a time.
    """

    def __init__(self, n: int, detector: Detector, parts_dir: Path):
        ctx = mp.get_context("spawn")
        parts_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = str(parts_dir / NATIVE_LOG)
        self.progress = ctx.Queue()
        self.started = ctx.Value("i", 0)  # workers past their start (see _init_worker)
        self.n_processes = n - 1
        # With as many lanes as usable cores, each worker process is pinned to its own core
        # (its decoding thread and MediaPipe's threads then share that core's caches, and the
        # workers never compete for one core while another idles: ~3 % less CPU and wall
        # time, measured); this process keeps the remaining core. With fewer lanes than
        # cores the scheduler places them.
        cpus = _available_cpus()
        self.fills_cores = n >= (len(cpus) if cpus is not None else os.cpu_count() or 1)
        pin = cpus[1:] if cpus is not None and n == len(cpus) else None
        self.executor = cf.ProcessPoolExecutor(
            max_workers=self.n_processes, mp_context=ctx, initializer=_init_worker,
            initargs=(self.progress, self.log_path, detector, self.started, pin))
        # A trivial task per worker makes every process start now (and only now: the pool
        # never starts more than n - 1), with the workers' environment. A value the user set
        # is kept.
        with _environment(WORKER_ENVIRONMENT):
            for _ in range(self.n_processes):
                self.executor.submit(int)
        self.local = cf.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="mocaplab-detect", initializer=_start_lane_thread,
            initargs=(detector, cpus[0] if pin else None))
        self.local.submit(int)  # the thread starts (and imports) now
        self.stop = threading.Event()  # stops the thread lane's camera (see close)
        self.tasks: list[cf.Future] = []  # the cameras submitted (see close)

    def submit(self, in_process: bool, detector: Detector, camera: str, video: Path,
               part: Path, fingerprint: str, max_frames: int | None) -> cf.Future:
        """Start one camera in the thread lane or in a worker process."""
        args = (detector, camera, str(video), str(part), fingerprint, max_frames)
        if in_process:
            future = self.local.submit(_detect_camera, *args, self.progress, self.stop)
        else:
            future = self.executor.submit(_run_camera, *args)
        self.tasks.append(future)
        return future

    def close(self) -> None:
        """Stop the lanes. Cameras not started are cancelled; the thread lane's camera stops
        at its next frame; cameras still running in a process (after another camera failed)
        are waited for, so that nothing keeps writing in the trial once this returns. When all
        are done, no waiting for the processes to exit: a worker's exit (MediaPipe teardown,
        interpreter finalisation) takes 0.1-0.3 s that the caller can use for the next stage;
        the executor reaps them in the background (and at interpreter exit)."""
        self.stop.set()
        self.local.shutdown(wait=True, cancel_futures=True)
        busy = any(not f.done() for f in self.tasks)
        if not busy:
            # A worker that is still starting reads the queue and the counter from this
            # process: they must outlive its start (normally long past by now).
            end = time.monotonic() + 30
            while self.started.value < self.n_processes and time.monotonic() < end:
                time.sleep(0.01)
        self.executor.shutdown(wait=busy, cancel_futures=True)
        self.progress.close()


def _run_pool(pool: _Lanes, detector, todo, bars, max_frames) -> None:
    errors: list[tuple[str, BaseException]] = []
    # Optional detector hook: its variant for a lane among others that keep every core busy
    # (MediaPipe: single-threaded decoding, one frame ahead). With spare cores, the detector as
    # is. Fingerprints keep using the original detector.
    for_worker = getattr(detector, "for_parallel_worker", None)
    worker_detector = for_worker() if callable(for_worker) and pool.fills_cores else detector
    # Longest videos first, so that no lane is left with a long one at the end; each lane gets
    # its next camera when it is free (the thread lane, ready first, takes the first one).
    waiting = sorted(todo, key=lambda cam: -bars[cam].total)
    free = {True: 1, False: pool.n_processes}  # in_process -> free lanes
    running: dict[cf.Future, tuple[str, bool]] = {}

    def start_free_lanes() -> None:
        for in_process in (True, False):
            while waiting and free[in_process] and not errors:
                cam = waiting.pop(0)
                video, part, fp = todo[cam]
                f = pool.submit(in_process, worker_detector, cam, video, part, fp, max_frames)
                running[f] = (cam, in_process)
                free[in_process] -= 1

    try:
        start_free_lanes()
        while running:
            # Wake up as soon as a camera finishes (no polling delay at the end), and at least
            # every 0.1 s to move the progress bars.
            cf.wait(running, timeout=0.1, return_when=cf.FIRST_COMPLETED)
            _drain(pool.progress, bars, timeout=0.0)
            for f in [f for f in running if f.done()]:
                cam, in_process = running.pop(f)
                free[in_process] += 1
                exc = None if f.cancelled() else f.exception()
                if exc is not None and not isinstance(exc, _Stopped):
                    errors.append((cam, exc))
            start_free_lanes()  # nothing new once a camera failed: the running ones finish
    finally:
        _drain(pool.progress, bars, timeout=0.0)
    if errors:
        cam, exc = errors[0]
        if isinstance(exc, InputError):
            raise InputError(f"camera {cam}: {exc}") from None
        raise RuntimeError(f"camera {cam}: detection failed: {exc!r} "
                           f"(native library messages: {pool.log_path})") from exc


def _drain(progress_queue, bars, timeout: float) -> None:
    try:
        cam, n = progress_queue.get(timeout=timeout) if timeout else progress_queue.get_nowait()
        bars[cam].update(n)
        while True:
            cam, n = progress_queue.get_nowait()
            bars[cam].update(n)
    except queue.Empty:
        pass


def _trial_timestamps(trial: Trial) -> dict[str, np.ndarray] | None:
    if not trial.timestamps_path.is_file():
        return None
    try:
        return trial.read_timestamps()
    except InputError as exc:
        log.warning("ignoring timestamps.csv: %s", exc)
        return None


def assemble(results: dict[str, VideoKeypoints], cameras: list[str],
             timestamps: dict[str, np.ndarray] | None = None) -> Keypoints2D:
    """Stack per-camera results into a :class:`Keypoints2D` (C, F, K).

    Warns (logging and ``warnings``) when fps or frame counts differ between cameras; shorter
    cameras are padded with NaN. ``timestamps`` (camera -> seconds) are included only when every
    camera has one per frame.
    """
    kps = [results[c] for c in cameras]
    names = kps[0].keypoints
    for c, k in zip(cameras, kps, strict=True):
        if k.keypoints != names:
            raise InputError(f"camera {c} has keypoints {k.keypoints[:3]}..., "
                             f"camera {cameras[0]} has {names[:3]}...; use one keypoint set")
    fps = np.array([k.fps for k in kps])
    counts = np.array([k.n_frames for k in kps])
    if np.ptp(fps) > 1e-3 * fps.max():
        _warn("cameras have different frame rates: " +
              ", ".join(f"{c}={f:g}" for c, f in zip(cameras, fps, strict=True)) +
              f"; using {fps[0]:g} fps. Frame i is then NOT the same instant in every camera: "
              "resample or synchronise the videos first.")
    if np.ptp(counts) > 0:
        _warn("cameras have different frame counts: " +
              ", ".join(f"{c}={n}" for c, n in zip(cameras, counts, strict=True)) +
              f"; shorter cameras are padded with NaN to {counts.max()} frames. Check that the "
              "videos are synchronised (same first and last instant).")
    F, K = int(counts.max()), len(names)
    points = np.full((len(kps), F, K, 2), np.nan)
    conf = np.zeros((len(kps), F, K))
    for i, k in enumerate(kps):
        points[i, :k.n_frames] = k.points
        conf[i, :k.n_frames] = k.confidence
    ts = None
    if timestamps and all(c in timestamps and len(timestamps[c]) >= F for c in cameras):
        ts = np.stack([np.asarray(timestamps[c][:F], dtype=float) for c in cameras])
    return Keypoints2D(points, conf, tuple(cameras), names, float(fps[0]), ts)


def assemble_poses(results: dict[str, VideoKeypoints], kp2d: Keypoints2D) -> Poses2D | None:
    """Every camera's poses stacked (C, F, P, K), or None when no camera has several (P is
    the largest slot count; single-pose cameras fill slot 0)."""
    kps = [results[c] for c in kp2d.cameras]
    if all(k.poses is None for k in kps):
        return None
    C, F, K = kp2d.shape
    P = max(1 if k.poses is None else k.poses.shape[1] for k in kps)
    points = np.full((C, F, P, K, 2), np.nan)
    conf = np.zeros((C, F, P, K))
    for i, k in enumerate(kps):
        pp = k.points[:, None] if k.poses is None else k.poses
        pc = k.confidence[:, None] if k.poses is None else k.pose_confidence
        points[i, :k.n_frames, :pp.shape[1]] = pp
        conf[i, :k.n_frames, :pp.shape[1]] = pc
    return Poses2D(points, conf, kp2d.cameras, kp2d.keypoints, kp2d.fps)


def _warn(message: str) -> None:
    log.warning("%s", message)
    warnings.warn(message, stacklevel=3)
