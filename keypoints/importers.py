"""Import 2D keypoints made by other tools, mapped onto a keypoint set (NaN where missing).

- OpenPose: one JSON file per frame (``*_keypoints.json``, ``people[].pose_keypoints_2d`` =
  x0, y0, c0, x1, ...), models BODY_25 and BODY_25B. OpenPose writes (0, 0, 0) for a keypoint it
  did not find: that becomes NaN / confidence 0.
- DeepLabCut: the ``.csv`` or ``.h5`` table of ``analyze_videos`` with the header rows
  scorer / [individuals] / bodyparts / coords (x, y, likelihood).

:class:`OpenPoseJSONSource` and :class:`DeepLabCutSource` implement
:class:`mocaplab.keypoints.detector.Detector`, so ``detect_trial(trial, detector=...)`` turns
them into a trial's ``keypoints2d.npz``.

Mapping onto MediaPipe-33 is by anatomical name: OpenPose's "big toe" becomes ``foot_index``.
The hips of the two models are not the same anatomical points (OpenPose's sit lower and more
lateral), a difference that this mapping does not correct.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mocaplab.errors import InputError
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.keypoints.detector import FrameCallback, VideoKeypoints, map_keypoints

log = logging.getLogger(__name__)

OPENPOSE_BODY_25 = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)
OPENPOSE_BODY_25B = (
    "Nose", "LEye", "REye", "LEar", "REar", "LShoulder", "RShoulder", "LElbow", "RElbow",
    "LWrist", "RWrist", "LHip", "RHip", "LKnee", "RKnee", "LAnkle", "RAnkle", "UpperNeck",
    "HeadTop", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)
OPENPOSE_MODELS: dict[str, tuple[str, ...]] = {
    "BODY_25": OPENPOSE_BODY_25, "BODY_25B": OPENPOSE_BODY_25B,
}

#: OpenPose name -> MediaPipe-33 name (names without a counterpart are dropped).
OPENPOSE_TO_MEDIAPIPE33: dict[str, str] = {
    "Nose": "nose", "LEye": "left_eye", "REye": "right_eye", "LEar": "left_ear",
    "REar": "right_ear", "LShoulder": "left_shoulder", "RShoulder": "right_shoulder",
    "LElbow": "left_elbow", "RElbow": "right_elbow", "LWrist": "left_wrist",
    "RWrist": "right_wrist", "LHip": "left_hip", "RHip": "right_hip", "LKnee": "left_knee",
    "RKnee": "right_knee", "LAnkle": "left_ankle", "RAnkle": "right_ankle",
    "LHeel": "left_heel", "RHeel": "right_heel", "LBigToe": "left_foot_index",
    "RBigToe": "right_foot_index",
}


def _target_mapping(source: Sequence[str], target: Sequence[str] | None,
                    mapping: Mapping[str, str] | None, default: Mapping[str, str]
                    ) -> tuple[tuple[str, ...], dict[str, str]]:
    """(target names, source -> target mapping); target None keeps the source names."""
    if target is None:
        return tuple(source), {n: n for n in source}
    target = tuple(target)
    if mapping is None:
        mapping = dict(default) if tuple(target) == MEDIAPIPE33_NAMES else {}
        lower = {t.lower(): t for t in target}
        for n in source:  # equal names (case-insensitive) map by themselves
            mapping.setdefault(n, lower.get(n.lower(), ""))
    mapping = {s: t for s, t in mapping.items() if t}
    unknown = sorted(set(mapping.values()) - set(target))
    if unknown:
        raise InputError(f"mapping targets {unknown} are not in the keypoint set")
    if not any(s in mapping for s in source):
        raise InputError("no source keypoint maps onto the keypoint set "
                         f"(source: {list(source)[:6]}...); pass a mapping")
    return target, mapping


# --- OpenPose -------------------------------------------------------------------------------------
def _frame_number(path: Path) -> int:
    nums = re.findall(r"\d+", path.stem)
    return int(nums[-1]) if nums else -1


def openpose_files(folder: str | os.PathLike) -> list[Path]:
    """The per-frame JSON files of a folder, in frame order (the last number in each name)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"OpenPose folder {folder} does not exist")
    files = sorted(folder.glob("*.json"), key=lambda p: (_frame_number(p), p.name))
    if not files:
        raise InputError(f"{folder} holds no OpenPose .json files")
    return files


def read_openpose_json(folder: str | os.PathLike, model: str = "BODY_25", *,
                       keypoint_names: Sequence[str] | None = MEDIAPIPE33_NAMES,
                       mapping: Mapping[str, str] | None = None, fps: float = 30.0,
                       person: int | None = None, max_frames: int | None = None
                       ) -> VideoKeypoints:
    """Read an OpenPose JSON folder (one file per frame) of one camera.

    Args:
        folder: the folder of ``*_keypoints.json`` files.
        model: "BODY_25" or "BODY_25B" (the keypoint order of ``pose_keypoints_2d``).
        keypoint_names: target keypoint list (default MediaPipe-33); None keeps OpenPose's.
        mapping: OpenPose name -> target name (default :data:`OPENPOSE_TO_MEDIAPIPE33` for
            MediaPipe-33, equal names otherwise).
        fps: frame rate of the video (OpenPose files do not store it).
        person: index in ``people`` to take; None takes the person with the highest mean
            confidence in each frame.
        max_frames: read only the first frames.
    Returns:
        VideoKeypoints with (F, K, 2) pixels and (F, K) OpenPose confidence.
    Raises:
        InputError: unknown model, unreadable JSON, wrong number of values.
    """
    try:
        names = OPENPOSE_MODELS[model.upper()]
    except KeyError:
        raise InputError(f"unknown OpenPose model {model!r}; known: {list(OPENPOSE_MODELS)}") \
            from None
    target, mapping = _target_mapping(names, keypoint_names, mapping, OPENPOSE_TO_MEDIAPIPE33)
    files = openpose_files(folder)[:max_frames]
    S = len(names)
    raw = np.full((len(files), S, 3), np.nan)
    for f, path in enumerate(files):
        try:
            people = json.loads(path.read_text(encoding="utf-8")).get("people", [])
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
            raise InputError(f"{path} is not a readable OpenPose JSON file: {exc}") from None
        poses = []
        for p in people:
            values = np.asarray(p.get("pose_keypoints_2d", []), dtype=float)
            if values.size != 3 * S:
                raise InputError(f"{path}: pose_keypoints_2d has {values.size} values, "
                                 f"{model} needs {3 * S}; is this another OpenPose model?")
            poses.append(values.reshape(S, 3))
        if not poses:
            continue
        if person is not None:
            if person < len(poses):
                raw[f] = poses[person]
        else:
            raw[f] = max(poses, key=lambda a: float(a[:, 2].mean()))
    missing = ~(raw[..., 2] > 0)  # OpenPose's (0, 0, 0) = not found
    pts = np.where(missing[..., None], np.nan, raw[..., :2])
    conf = np.where(missing, 0.0, raw[..., 2])
    pts, conf = map_keypoints(pts, conf, names, target, mapping)
    return VideoKeypoints(pts, conf, target, fps, source=f"openpose:{model.upper()}")


# --- DeepLabCut -----------------------------------------------------------------------------------
def _read_dlc_table(path: Path):
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix in (".h5", ".hdf5"):
        try:
            df = pd.read_hdf(path)
        except ImportError as exc:
            raise InputError(f"reading {path} needs PyTables (pip install tables): {exc}") \
                from None
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"{path} is not a readable DeepLabCut .h5 table: {exc}") from None
    elif suffix == ".csv":
        with open(path, encoding="utf-8") as fh:
            first = [fh.readline().split(",", 1)[0].strip().lower() for _ in range(4)]
        n_header = 4 if first[1] == "individuals" else 3
        if first[n_header - 1] != "coords":
            raise InputError(f"{path} lacks DeepLabCut's header rows "
                             "(scorer, [individuals,] bodyparts, coords)")
        try:
            df = pd.read_csv(path, header=list(range(n_header)), index_col=0)
        except (ValueError, pd.errors.ParserError) as exc:
            raise InputError(f"{path} is not a readable DeepLabCut .csv table: {exc}") from None
    else:
        raise InputError(f"{path}: DeepLabCut tables are .csv or .h5")
    levels = [str(n) for n in df.columns.names]
    if "bodyparts" not in levels or "coords" not in levels:
        raise InputError(f"{path} has column levels {levels}, expected scorer/[individuals/]"
                         "bodyparts/coords")
    return df


def read_deeplabcut(path: str | os.PathLike, *,
                    keypoint_names: Sequence[str] | None = MEDIAPIPE33_NAMES,
                    mapping: Mapping[str, str] | None = None, fps: float = 30.0,
                    individual: str | None = None, min_likelihood: float = 0.0,
                    max_frames: int | None = None) -> VideoKeypoints:
    """Read a DeepLabCut ``.csv`` / ``.h5`` table of one camera.

    Args:
        path: the table written by DeepLabCut's ``analyze_videos``.
        keypoint_names: target keypoint list (default MediaPipe-33); None keeps the body parts.
        mapping: DeepLabCut body part -> target name (default: equal names, case-insensitive).
        fps: frame rate of the video (the table does not store it).
        individual: for multi-animal tables, which individual (default: the first).
        min_likelihood: points below this likelihood become NaN.
        max_frames: read only the first frames.
    Returns:
        VideoKeypoints with (F, K, 2) pixels and (F, K) likelihood.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"DeepLabCut table {path} does not exist")
    df = _read_dlc_table(path)
    if "individuals" in df.columns.names:
        inds = list(dict.fromkeys(df.columns.get_level_values("individuals")))
        ind = inds[0] if individual is None else individual
        if ind not in inds:
            raise InputError(f"{path}: no individual {ind!r}; the table has {inds}")
        df = df.xs(ind, level="individuals", axis=1)
    bodyparts = list(dict.fromkeys(df.columns.get_level_values("bodyparts")))
    target, mapping = _target_mapping(bodyparts, keypoint_names, mapping, {})
    df = df.iloc[:max_frames] if max_frames is not None else df
    F, S = len(df), len(bodyparts)
    raw = np.full((F, S, 3), np.nan)
    for s, bp in enumerate(bodyparts):
        sub = df.xs(bp, level="bodyparts", axis=1)
        sub = sub.droplevel([n for n in sub.columns.names if n != "coords"], axis=1) \
            if sub.columns.nlevels > 1 else sub
        for j, coord in enumerate(("x", "y", "likelihood")):
            if coord in sub.columns:
                raw[:, s, j] = np.asarray(sub[coord], dtype=float).reshape(F, -1)[:, 0]
            elif coord == "likelihood":
                raw[:, s, j] = 1.0
    lik = np.nan_to_num(raw[..., 2], nan=0.0)
    keep = np.isfinite(raw[..., :2]).all(-1) & (lik >= min_likelihood)
    pts = np.where(keep[..., None], raw[..., :2], np.nan)
    conf = np.where(keep, lik, 0.0)
    pts, conf = map_keypoints(pts, conf, bodyparts, target, mapping)
    return VideoKeypoints(pts, conf, target, fps, source=f"deeplabcut:{path.name}")


# --- Detector adapters for detect_trial ---------------------------------------------------------
def _tree_stamp(root: str | os.PathLike) -> str:
    """Number of files and newest mtime in ``root`` and its sub-folders (one level): changes
    when the imported results change, so cached parts are not reused by mistake."""
    n, newest = 0, 0
    root = Path(root)
    if not root.is_dir():
        return "missing"
    for entry in [root, *(p for p in root.iterdir() if p.is_dir())]:
        for f in os.scandir(entry):
            if f.is_file():
                n += 1
                newest = max(newest, f.stat().st_mtime_ns)
    return f"{n}:{newest}"


def _video_fps(video_path, fps: float | None) -> float:
    if fps:
        return float(fps)
    from mocaplab.video import probe_video

    return probe_video(video_path).fps


@dataclasses.dataclass(frozen=True)
class OpenPoseJSONSource:
    """OpenPose results as a :class:`Detector`: ``root/<camera>/`` or ``root/<camera>_json/``.

    The fps comes from the trial's video of the same camera (or ``fps`` if given).
    """

    root: str
    model: str = "BODY_25"
    keypoint_names: tuple[str, ...] = MEDIAPIPE33_NAMES
    fps: float | None = None

    def folder(self, camera: str) -> Path:
        for name in (camera, f"{camera}_json"):
            if (Path(self.root) / name).is_dir():
                return Path(self.root) / name
        raise InputError(f"no OpenPose folder for camera {camera} in {self.root} "
                         f"(expected {camera}/ or {camera}_json/)")

    def signature(self) -> str:
        return f"openpose:{Path(self.root).resolve()}:{self.model}:{_tree_stamp(self.root)}"

    def detect(self, video_path: str | os.PathLike, *, max_frames: int | None = None,
               on_frame: FrameCallback | None = None) -> VideoKeypoints:
        kp = read_openpose_json(self.folder(Path(video_path).stem), self.model,
                                keypoint_names=self.keypoint_names,
                                fps=_video_fps(video_path, self.fps), max_frames=max_frames)
        if on_frame is not None:
            on_frame(kp.n_frames)
        return kp


@dataclasses.dataclass(frozen=True)
class DeepLabCutSource:
    """DeepLabCut tables as a :class:`Detector`: the file in ``root`` whose name starts with the
    camera name (``cam01DLC_resnet50_....h5`` or ``.csv``, .h5 preferred)."""

    root: str
    keypoint_names: tuple[str, ...] = MEDIAPIPE33_NAMES
    mapping: tuple[tuple[str, str], ...] | None = None
    fps: float | None = None
    min_likelihood: float = 0.0

    def table(self, camera: str) -> Path:
        hits = sorted(p for p in Path(self.root).glob(f"{camera}*")
                      if p.suffix.lower() in (".h5", ".csv"))
        hits.sort(key=lambda p: p.suffix.lower() != ".h5")
        if not hits:
            raise InputError(f"no DeepLabCut table for camera {camera} in {self.root} "
                             f"(expected {camera}*.h5 or {camera}*.csv)")
        return hits[0]

    def signature(self) -> str:
        return (f"deeplabcut:{Path(self.root).resolve()}:{self.mapping}:{self.min_likelihood}:"
                f"{_tree_stamp(self.root)}")

    def detect(self, video_path: str | os.PathLike, *, max_frames: int | None = None,
               on_frame: FrameCallback | None = None) -> VideoKeypoints:
        kp = read_deeplabcut(self.table(Path(video_path).stem),
                             keypoint_names=self.keypoint_names,
                             mapping=dict(self.mapping) if self.mapping else None,
                             fps=_video_fps(video_path, self.fps),
                             min_likelihood=self.min_likelihood, max_frames=max_frames)
        if on_frame is not None:
            on_frame(kp.n_frames)
        return kp
