"""Turn existing videos into a trial folder (``mocaplab import``).

The videos are hard-linked into ``TRIAL/videos/<camera>.<ext>`` when the file system allows it
(no extra space, the original bytes), else copied; camera names are the file stems. meta.json
records fps, frame count and size per camera; ``timestamps.csv`` is made from frame index / fps
(imported videos carry no capture clock). Frame-rate and frame-count differences are reported
as warnings (in meta.json and the log), never trimmed away.

A calibration (any format ``mocaplab calibrate --import`` reads: aniposelib / Pose2Sim TOML,
Qualisys ``.qca.txt``, caliscope) is checked before anything is written: its camera names are
paired with the video names (:mod:`mocaplab.camera_names`, with an optional explicit map), and
it is written into the trial as ``calibration.toml`` with the cameras renamed to the video
names, in video order; meta.json records the source file, its format and the name pairs.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mocaplab.atomic import replace_into
from mocaplab.camera import CameraSet
from mocaplab.errors import InputError
from mocaplab.trial import VIDEO_EXTENSIONS, Trial
from mocaplab.video import VideoInfo, probe_video

log = logging.getLogger(__name__)


def find_videos(sources: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Video files named by ``sources``: files, and the video files inside folders.

    Raises:
        InputError: a source that does not exist, or no video at all.
    """
    if isinstance(sources, str | os.PathLike):
        sources = [sources]
    found: list[Path] = []
    for s in sources:
        p = Path(s)
        if p.is_dir():
            vids = sorted(q for q in p.iterdir() if q.suffix.lower() in VIDEO_EXTENSIONS
                          and not q.name.startswith("."))
            if not vids:
                raise InputError(f"folder {p} holds no video files ({', '.join(VIDEO_EXTENSIONS)})")
            found += vids
        elif p.is_file():
            found.append(p)
        else:
            raise InputError(f"{p} does not exist")
    if not found:
        raise InputError("no videos given")
    return found


def import_videos(sources: str | os.PathLike | Sequence[str | os.PathLike],
                  trial_dir: str | os.PathLike, subject: str = "",
                  calibration: str | os.PathLike | None = None,
                  overwrite: bool = False,
                  camera_map: dict[str, str] | None = None) -> Trial:
    """Create a trial folder from existing videos.

    Args:
        sources: a folder of videos, or video files (one per camera; the stem is the camera).
        trial_dir: the trial folder to create.
        subject: subject identifier for meta.json.
        calibration: calibration of these cameras in any format ``calibrate --import`` reads;
            written into the trial as ``calibration.toml`` with its cameras named as the videos.
        overwrite: replace an existing trial folder's recording (``--force``).
        camera_map: video name -> calibration camera name, for names that differ.

    Returns:
        The new :class:`Trial`; ``trial.meta["warnings"]`` lists frame-rate or frame-count
        differences between cameras.

    Raises:
        InputError: missing, unreadable or empty videos, duplicate camera names, a calibration
            that does not load, camera names that cannot be paired (all listed).
        OutputExistsError: ``trial_dir`` exists, is not empty, and ``overwrite`` is off.
    """
    videos = find_videos(sources)
    names = [v.stem for v in videos]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"several videos for camera(s) {dup}: camera names come from the file "
                         "stems and must be unique")
    cams = pairs = None
    if calibration is not None:  # before anything is probed or written
        cams, pairs = calibration_for_videos(calibration, names, camera_map)
    elif camera_map:
        raise InputError("--camera-map needs --calibration")
    infos = [probe_video(v) for v in videos]
    warnings = consistency_warnings(names, infos)
    fps_values = {round(i.fps, 6) for i in infos}
    from mocaplab.capture.recorder import _clear_previous_recording

    trial = Trial.create(trial_dir, subject=subject,
                         fps=infos[0].fps if len(fps_values) == 1 else None, cameras=names,
                         overwrite=overwrite, status="importing")
    if overwrite:
        _clear_previous_recording(trial)
    if cams is not None:
        trial.save_calibration(cams)
        trial.update_meta(calibration_source={
            "file": str(Path(calibration).resolve()),
            "format": cams.metadata.get("imported_from", {}).get("format", ""),
            "cameras": pairs})
    camera_info = {}
    for name, v, info in zip(names, videos, infos, strict=True):
        dst = trial.videos_dir / f"{name}{v.suffix.lower()}"
        how = _link_or_copy_atomic(v, dst)
        camera_info[name] = {"source": str(v.resolve()), "file": dst.name, "fps": info.fps,
                             "frames": info.frames, "size": list(info.size),
                             "codec": info.fourcc, "imported_by": how}
    trial.write_timestamps({n: np.arange(i.frames) / i.fps
                            for n, i in zip(names, infos, strict=True)})
    for w in warnings:
        log.warning("%s", w)
    trial.update_meta(status="imported", camera_info=camera_info, warnings=warnings,
                      timestamps="frame index / fps (imported videos have no capture clock)")
    return trial


def consistency_warnings(names: Sequence[str], infos: Sequence[VideoInfo]) -> list[str]:
    """Loud messages for frame-rate and frame-count differences between cameras."""
    out = []
    fps = {n: round(i.fps, 3) for n, i in zip(names, infos, strict=True)}
    if len(set(fps.values())) > 1:
        out.append(f"FRAME RATES DIFFER between cameras: {fps}; frame i is not the same "
                   "instant in every video: resample before processing")
    frames = {n: i.frames for n, i in zip(names, infos, strict=True)}
    if len(set(frames.values())) > 1:
        out.append(f"FRAME COUNTS DIFFER between cameras: {frames}; the videos may not start "
                   "together: synchronise them (--sync keypoints or flash); nothing was trimmed")
    sizes = {n: tuple(i.size) for n, i in zip(names, infos, strict=True)}
    if len(set(sizes.values())) > 1:
        out.append(f"image sizes differ between cameras: {sizes} (fine if the calibration "
                   "matches each camera)")
    return out


def calibration_for_videos(calibration: str | os.PathLike, names: Sequence[str],
                           camera_map: dict[str, str] | None = None
                           ) -> tuple[CameraSet, dict[str, str]]:
    """The calibration's cameras for the videos ``names``, renamed to them and in their order.

    Returns:
        (cameras, video name -> calibration camera name).
    Raises:
        InputError: unreadable calibration (any ``calibrate --import`` format is read), or
            names that cannot be paired (every unmatched name listed).
    """
    from mocaplab.calibration import load_calibration
    from mocaplab.camera_names import pair_camera_names

    path = Path(calibration)
    cams = load_calibration(path)
    pairs = pair_camera_names(names, cams.names, camera_map, source=str(path))
    sub = cams.subset([pairs[n] for n in names])
    renamed = tuple(c.replace(name=n) for c, n in zip(sub, names, strict=True))
    return CameraSet(renamed, dict(cams.metadata)), pairs


def _link_or_copy_atomic(src: Path, dst: Path) -> str:
    """Hard-link ``src`` to ``dst``, or copy it under a temporary name and rename."""
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
        return "hardlink"
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.stem}.", suffix=f".tmp{dst.suffix}", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        replace_into(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return "copy"
