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
                      overwrite: bool = False) -> dict:
    """Rewrite a trial so that its frame i is ``frames[i, c]`` of each original camera c.

    Args:
        frames: (M, C) int, increasing in each column.
        cameras: the C camera names (videos ``videos/<camera>.*``).
        info: what produced the pairing (stored in meta.json under ``sync``).

    Raises:
        OutputExistsError: the trial was synchronised already and ``overwrite`` is off.
        InputError: bad table, missing video, or a video shorter than the table needs.
    """
    trial = trial if isinstance(trial, Trial) else Trial(trial)
    frames = np.asarray(frames, int)
    cameras = list(cameras)
    if frames.ndim != 2 or frames.shape[1] != len(cameras) or len(frames) == 0:
        raise InputError(f"frame table must be (M > 0, {len(cameras)}), got {frames.shape}")
    if np.any(np.diff(frames, axis=0) <= 0) or frames.min() < 0:
        raise InputError("frame table columns must be non-negative and strictly increasing")
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
        wanted = set(need.tolist())
        with SafeVideoWriter(target, info_src.fps, info_src.size, codec, overwrite=True) as w:
            for i, image in read_frames(kept, 0, int(need.max()) + 1):
                if i in wanted:
                    if (image.shape[1], image.shape[0]) != w.size:
                        raise InputError(f"{kept.name}: frame {i} changes size")
                    w.write(image)
        for other in trial.videos_dir.glob(f"{cam}.*"):  # an original with another extension
            if other != target and other.is_file():
                other.unlink()
        applied[cam] = {"first_frame": int(need[0]), "last_frame": int(need[-1]),
                        "frames": int(len(need)), "original_frames": int(info_src.frames),
                        "contiguous": bool(np.all(np.diff(need) == 1))}
    _cut_timestamps(trial, frames, cameras, unsynced)
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


def frames_paired_by_index(timestamps: dict[str, np.ndarray]) -> bool:
    """True when frame i of every camera is the same instant: equal frame counts and, at every
    index, the cameras' times within half the longest frame period (the tolerance of
    :func:`mocaplab.capture.timesync.match_timestamps`)."""
    from mocaplab.capture.timesync import estimate_fps

    ts = [np.asarray(t, float) for t in timestamps.values()]
    if len({len(t) for t in ts}) > 1:
        return False
    rates = [estimate_fps(t) for t in ts]
    if len(ts) < 2 or min(rates) <= 0:
        return True
    tolerance = 0.5 / min(rates)
    stack = np.stack(ts)
    return bool(np.all(np.ptp(stack, axis=0) <= tolerance))


def pair_recorded_frames(trial: Trial | str | os.PathLike) -> dict | None:
    """Make frame i of every camera the same instant in a recording whose cameras lost
    different frames (or started and stopped apart): the frames are paired on the recording
    clock (``timestamps.csv``, :func:`mocaplab.capture.timesync.match_timestamps`) and the trial
    rewritten with the matched instants only (:func:`apply_frame_table`; originals kept in
    ``videos_unsynced/``). Without it, frame i of two cameras could be 150 ms apart and be
    triangulated as one instant. Returns the ``sync`` record, or None when the frames were
    already paired by index (nothing is changed).

    Raises:
        InputError: no two frames of the cameras can be paired.
    """
    from mocaplab.capture.timesync import match_timestamps

    trial = trial if isinstance(trial, Trial) else Trial(trial)
    ts = trial.read_timestamps()
    if len(ts) < 2 or frames_paired_by_index(ts):
        return None
    match = match_timestamps(ts)
    if len(match.frames) < 2:
        raise InputError(f"{trial.path}: the cameras' frames cannot be paired on the recording "
                         f"clock ({len(match.frames)} common instants): {match.report()}")
    return apply_frame_table(trial, match.frames, list(match.cameras), match.as_dict(),
                             overwrite=True)


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


def _cut_timestamps(trial: Trial, frames: np.ndarray, cameras: list[str], unsynced) -> None:
    kept = Trial(unsynced).timestamps_path
    if not _keep_original(trial.timestamps_path, kept):
        return
    ts = Trial(kept.parent).read_timestamps()  # reads videos_unsynced/timestamps.csv
    out = {}
    for k, cam in enumerate(cameras):
        if cam in ts and len(ts[cam]) > frames[:, k].max():
            out[cam] = ts[cam][frames[:, k]]
    if out:
        trial.write_timestamps(out)


def _cut_keypoints(trial: Trial, frames: np.ndarray, cameras: list[str], unsynced) -> None:
    kept = Trial(unsynced).keypoints2d_path
    if not _keep_original(trial.keypoints2d_path, kept):
        return
    kp = Keypoints2D.load(kept)
    idx = [kp.cameras.index(c) for c in cameras if c in kp.cameras]
    if len(idx) != len(cameras) or frames.max() >= kp.points.shape[1]:
        trial.keypoints2d_path.unlink(missing_ok=True)  # cannot be cut consistently: redo
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
