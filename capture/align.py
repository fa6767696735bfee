"""Apply a synchronisation to a trial folder so that frame i of every camera is the same instant.

:func:`apply_offsets` (post-hoc offsets) and :func:`apply_frame_table` (any frame pairing, e.g.
from :func:`mocaplab.capture.timesync.match_timestamps`) rewrite ``videos/<camera>.*`` with
only the paired frames, cut ``timestamps.csv`` and ``keypoints2d.npz`` (if present) the same way,
and record what was done under ``sync`` in meta.json. The untouched originals are kept in
``videos_unsynced/`` (hard links where possible, so no extra disk space), so nothing recorded is
ever lost; a second application is refused unless ``overwrite``.

The rewritten videos are re-encoded (OpenCV cannot copy compressed frames): MJPG ``.avi`` by
default, or the codec the recording used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mocaplab.capture.posthoc import SyncResult
from mocaplab.capture.video_io import (
    CODECS,
    DEFAULT_CODEC,
    SafeVideoWriter,
    read_frames,
)
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.frame_pairing import estimate_fps, frames_paired_by_index
from mocaplab.pose_data import Keypoints2D
from mocaplab.trial import Trial
from mocaplab.video import probe_video

UNSYNCED_DIR = "videos_unsynced"


def offsets_to_frame_table(offsets: Mapping[str, int], frame_counts: Mapping[str, int]
                           ) -> np.ndarray:
    """(M, C) frame indices that align cameras with the given offsets (see SyncResult).

    Camera c starts at frame ``max(offsets) - offsets[c]``; M is the longest run every camera
    can supply.

    Raises:
        InputError: the offsets leave no common frame.
    """
    cams = list(offsets)
    off = np.array([int(offsets[c]) for c in cams])
    start = off.max() - off
    n = min(int(frame_counts[c]) - int(s) for c, s in zip(cams, start, strict=True))
    if n <= 0:
        raise InputError(f"offsets {dict(zip(cams, off.tolist(), strict=True))} leave no frame "
                         "common to all cameras; check the synchronisation")
    return start[None, :] + np.arange(n)[:, None]


def apply_offsets(trial: Trial | str | os.PathLike, offsets: SyncResult | Mapping[str, int], *,
                  codec: str | None = None, overwrite: bool = False) -> dict:
    """Trim a trial's videos (and timestamps, keypoints) by per-camera frame offsets.

    Args:
        trial: the trial folder.
        offsets: a :class:`SyncResult` or camera -> offset in frames (offset convention of
            :mod:`mocaplab.capture.posthoc`: the reference frame shown at the camera's frame 0).
        codec: codec of the rewritten videos (default: the recording's, else MJPG).
        overwrite: re-apply on a trial that was already synchronised (starting again from the
            originals in ``videos_unsynced/``).

    Returns:
        The ``sync`` record written to meta.json.
    """
    trial = trial if isinstance(trial, Trial) else Trial(trial)
    if isinstance(offsets, SyncResult):
        info = offsets.as_dict()
        off = dict(zip(offsets.cameras, offsets.offsets.tolist(), strict=True))
    else:
        off = {c: int(o) for c, o in offsets.items()}
        info = {"method": "offsets", "offsets_frames": off}
    videos = _source_videos(trial, overwrite)
    missing = [c for c in off if c not in videos]
    if missing:
        raise InputError(f"cameras {missing} have no video in {trial.videos_dir}")
    counts = {c: probe_video(videos[c]).frames for c in off}
    table = offsets_to_frame_table(off, counts)
    return apply_frame_table(trial, table, list(off), info, codec=codec, overwrite=overwrite)


def apply_frame_table(trial: Trial | str | os.PathLike, frames: np.ndarray,
                      cameras: Sequence[str], info: dict, *, codec: str | None = None,
                      overwrite: bool = False, times: np.ndarray | None = None) -> dict:
    """Rewrite a trial so that its frame i is ``frames[i, c]`` of each original camera c.

    Args:
        frames: (M, C) int, increasing in each column; -1 = the camera has no frame at that
            instant (written as a black frame, in which detection finds nobody: a gap of that
            view only).
        cameras: the C camera names (videos ``videos/<camera>.*``).
        info: what produced the pairing (stored in meta.json under ``sync``).
        times: (M,) seconds on the recording clock: the times of the -1 frames in
            ``timestamps.csv`` (needed when ``frames`` holds -1).

    Raises:
        OutputExistsError: the trial was synchronised already and ``overwrite`` is off.
        InputError: bad table, missing video, or a video shorter than the table needs.
    """
    trial = trial if isinstance(trial, Trial) else Trial(trial)
    frames = np.asarray(frames, int)
    cameras = list(cameras)
    if frames.ndim != 2 or frames.shape[1] != len(cameras) or len(frames) == 0:
        raise InputError(f"frame table must be (M > 0, {len(cameras)}), got {frames.shape}")
    present = frames >= 0
    if frames.min() < -1 or any(np.any(np.diff(frames[present[:, k], k]) <= 0)
                                or not present[:, k].any() for k in range(frames.shape[1])):
        raise InputError("frame table columns must be strictly increasing frame numbers "
                         "(-1: no frame), with at least one frame per camera")
    if not present.all() and (times is None or len(times) != len(frames)):
        raise InputError("a frame table with missing frames (-1) needs the time of every row")
    meta = trial.meta
    videos = _source_videos(trial, overwrite)
    unsynced = trial.path / UNSYNCED_DIR
    unsynced.mkdir(exist_ok=True)
    codec = (codec or meta.get("recording", {}).get("codec") or DEFAULT_CODEC).lower()
    _, ext = CODECS.get(codec, CODECS[DEFAULT_CODEC])
    applied = {}
    for k, cam in enumerate(cameras):
        if cam not in videos:
            raise InputError(f"camera {cam} has no video in {trial.videos_dir}")
        src = videos[cam]
        kept = unsynced / src.name
        if src.parent != unsynced:  # keep the original before touching anything
            _link_or_copy(src, kept)
        info_src = probe_video(kept)
        need = frames[:, k]
        if need.max() >= info_src.frames:
            raise InputError(f"camera {cam}: the table needs frame {need.max()} but "
                             f"{kept.name} has {info_src.frames}")
        target = trial.videos_dir / f"{cam}{ext}"
        with SafeVideoWriter(target, info_src.fps, info_src.size, codec, overwrite=True) as w:
            source = read_frames(kept, 0, int(need.max()) + 1)
            black = np.zeros((w.size[1], w.size[0], 3), np.uint8)
            for j in need:
                if j < 0:  # no frame of this camera at this instant
                    w.write(black)
                    continue
                image = next((im for i, im in source if i == j), None)
                if image is None:
                    raise InputError(f"{kept.name}: frame {j} could not be read")
                if (image.shape[1], image.shape[0]) != w.size:
                    raise InputError(f"{kept.name}: frame {j} changes size")
                w.write(image)
        for other in trial.videos_dir.glob(f"{cam}.*"):  # an original with another extension
            if other != target and other.is_file():
                other.unlink()
        real = need[need >= 0]
        applied[cam] = {"first_frame": int(real[0]), "last_frame": int(real[-1]),
                        "frames": int(len(need)), "original_frames": int(info_src.frames),
                        "contiguous": bool(np.all(np.diff(need) == 1)),
                        **({"missing_frames": int((need < 0).sum())} if (need < 0).any()
                           else {})}
    _cut_timestamps(trial, frames, cameras, unsynced, times)
    _cut_keypoints(trial, frames, cameras, unsynced)
    record = {**info, "applied": applied, "frames_after": int(len(frames)),
              "originals": UNSYNCED_DIR, "codec": codec}
    with trial.edit_meta() as meta:  # read again: the videos took a while
        camera_info = meta.get("camera_info", {})
        for cam in cameras:
            if cam in camera_info:
                camera_info[cam]["frames"] = int(len(frames))
        meta.update(sync=record, camera_info=camera_info)
    return record


def recording_clock_table(timestamps: dict[str, np.ndarray]
                          ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Frames of every camera on a uniform clock: (frames (M, C) int with -1 where a camera has
    no frame within half a period of the instant, times (M,) s, a ``sync`` record).

    The clock runs at the slowest camera's rate (median frame interval) over the time every
    camera recorded (latest first frame to earliest last frame). Unlike
    :func:`mocaplab.capture.timesync.match_timestamps`, instants some camera lost are kept (that
    view is missing there), so frame i stays at i / fps and durations, cadence and speeds keep
    their time base.
    """
    cams = list(timestamps)
    ts = {c: np.asarray(timestamps[c], float) for c in cams}
    rates = {c: estimate_fps(t) for c, t in ts.items()}
    fps = min(rates.values())
    start, end = max(t[0] for t in ts.values()), min(t[-1] for t in ts.values())
    if not fps > 0 or end < start:
        raise InputError("the cameras' recordings do not overlap in time: "
                         + ", ".join(f"{c} {t[0]:.3f}-{t[-1]:.3f} s" for c, t in ts.items()))
    times = start + np.arange(int(np.floor((end - start) * fps + 1e-6)) + 1) / fps
    tolerance = 0.5 / fps
    frames = np.full((len(times), len(cams)), -1, int)
    for k, c in enumerate(cams):
        t = ts[c]
        j = np.clip(np.searchsorted(t, times), 1, max(1, len(t) - 1))
        j = np.where(np.abs(t[j - 1] - times) <= np.abs(t[j] - times), j - 1, j) \
            if len(t) > 1 else np.zeros(len(times), int)
        frames[:, k] = np.where(np.abs(t[j] - times) < tolerance, j, -1)
    missing = {c: int((frames[:, k] < 0).sum()) for k, c in enumerate(cams)}
    unused = {c: int(len(ts[c]) - (frames[:, k] >= 0).sum()) for k, c in enumerate(cams)}
    record = {"method": "recording clock", "fps": float(fps), "tolerance_s": tolerance,
              "instants": int(len(times)), "missing_frames": missing,
              "frames_not_used": unused}
    return frames, times, record


def pair_recorded_frames(trial: Trial | str | os.PathLike) -> dict | None:
    """Make frame i of every camera the same instant in a recording whose cameras lost
    different frames (or started and stopped apart): each video is rewritten on one uniform
    clock (:func:`recording_clock_table`, :func:`apply_frame_table`; originals kept in
    ``videos_unsynced/``), an instant a camera lost being a black frame (no detection: that view
    is missing there). Without it, frame i of two cameras could be 150 ms apart and be
    triangulated as one instant. Returns the ``sync`` record, or None when the frames were
    already paired by index (nothing is changed).

    Raises:
        InputError: the cameras' recordings do not overlap in time.
    """
    trial = trial if isinstance(trial, Trial) else Trial(trial)
    ts = trial.read_timestamps()
    if len(ts) < 2 or frames_paired_by_index(ts):
        return None
    frames, times, record = recording_clock_table(ts)
    return apply_frame_table(trial, frames, list(ts), record, overwrite=True, times=times)


def _source_videos(trial: Trial, overwrite: bool) -> dict:
    """Camera -> the original video to read (videos_unsynced/ if the trial was synced)."""
    meta = trial.meta
    unsynced = trial.path / UNSYNCED_DIR
    if meta.get("sync", {}).get("applied"):
        if not overwrite:
            raise OutputExistsError(f"{trial.path} was synchronised already "
                                    f"({meta['sync'].get('method')}); pass --force to redo it "
                                    f"from the originals in {UNSYNCED_DIR}/")
        if unsynced.is_dir():
            return {p.stem: p for p in sorted(unsynced.iterdir())
                    if p.suffix.lower() in (".avi", ".mp4", ".mkv", ".mov", ".m4v", ".webm")}
    return trial.video_paths()


def _link_or_copy(src, dst) -> None:
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _keep_original(current: Path, kept: Path) -> bool:
    """Keep the uncut ``current`` file as ``kept`` the first time (later cuts start from it);
    False when there is neither."""
    if current.is_file() and not kept.exists():
        _link_or_copy(current, kept)
    return kept.exists()


def _cut_timestamps(trial: Trial, frames: np.ndarray, cameras: list[str], unsynced,
                    times: np.ndarray | None = None) -> None:
    kept = Trial(unsynced).timestamps_path
    if not _keep_original(trial.timestamps_path, kept):
        return
    ts = Trial(kept.parent).read_timestamps()  # reads videos_unsynced/timestamps.csv
    out = {}
    for k, cam in enumerate(cameras):
        if cam in ts and len(ts[cam]) > frames[:, k].max():
            got = ts[cam][np.maximum(frames[:, k], 0)]
            # a missing frame (-1) is at the row's instant
            out[cam] = got if times is None else np.where(frames[:, k] >= 0, got, times)
    if out:
        trial.write_timestamps(out)


def _cut_keypoints(trial: Trial, frames: np.ndarray, cameras: list[str], unsynced) -> None:
    kept = Trial(unsynced).keypoints2d_path
    if not _keep_original(trial.keypoints2d_path, kept):
        return
    kp = Keypoints2D.load(kept)
    idx = [kp.cameras.index(c) for c in cameras if c in kp.cameras]
    if len(idx) != len(cameras) or frames.max() >= kp.points.shape[1] or frames.min() < 0:
        # cannot be cut consistently (or a frame is missing: detect again on the new videos)
        trial.keypoints2d_path.unlink(missing_ok=True)
        return
    pts = np.stack([kp.points[i, frames[:, k]] for k, i in enumerate(idx)])
    conf = np.stack([kp.confidence[i, frames[:, k]] for k, i in enumerate(idx)])
    ts = None
    if kp.timestamps is not None:
        ts = np.stack([kp.timestamps[i, frames[:, k]] for k, i in enumerate(idx)])
    Keypoints2D(pts, conf, tuple(cameras), kp.keypoints, kp.fps, ts).save(trial.keypoints2d_path)


def sync_trial(trial: Trial | str | os.PathLike, method: str, *,
               model_path: str | os.PathLike | None = None, max_lag: int = 30,
               use_calibration: bool = True) -> SyncResult:
    """Find post-hoc offsets of a trial's videos (does not change the trial).

    Args:
        method: ``"keypoints"`` (2D keypoint motion; the epipolar criterion is added when the
            trial names a calibration and ``use_calibration``) or ``"flash"``.
        model_path: pose model for keypoint detection (default ``$MOCAPLAB_POSE_MODEL``).

    Raises:
        InputError: unknown method, videos with different frame rates, no flash, ...
    """
    from mocaplab.camera import CameraSet
    from mocaplab.capture.flash import brightness_signal, sync_flash
    from mocaplab.capture.posthoc import sync_keypoints
    from mocaplab.capture.video_keypoints import detect_videos
    from mocaplab.keypoints.native_stderr import native_stderr_to

    if method not in ("keypoints", "flash"):
        raise InputError(f"unknown sync method {method!r}; use keypoints or flash")
    trial = trial if isinstance(trial, Trial) else Trial(trial)
    videos = trial.video_paths()
    names = list(videos)
    infos = {c: probe_video(v) for c, v in videos.items()}
    rates = {c: round(i.fps, 3) for c, i in infos.items()}
    if len(set(rates.values())) > 1:
        raise InputError(f"frame rates differ between cameras {rates}: offsets cannot align "
                         "them; resample the videos to one rate first")
    counts = [infos[c].frames for c in names]
    if method == "flash":
        return sync_flash([brightness_signal(videos[c]) for c in names], names, counts)
    # MediaPipe's native chatter (TensorFlow Lite / glog lines) into the trial's log, not the
    # terminal (see mocaplab.keypoints.native_stderr)
    trial.native_log_path.parent.mkdir(parents=True, exist_ok=True)
    with native_stderr_to(trial.native_log_path):
        pts, conf = detect_videos([videos[c] for c in names], model_path)
    cal = None
    if use_calibration and trial.calibration_path is not None:
        cal = CameraSet.load(trial.calibration_path)
    return sync_keypoints(pts, conf, names, max_lag=max_lag, calibration=cal,
                          frame_counts=counts)
