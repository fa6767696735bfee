"""ChArUco corner detection (OpenCV CharucoDetector) in every camera, in parallel.

Inverted (white-on-black) boards are detected on the inverted grey image. A camera that never
sees the board raises an :class:`InputError` that names it and says what to check; when the
markers are found but do not fit the board definition the message says so.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from mocaplab.board import BoardSpec
from mocaplab.calibration.frames import FrameSource, sample_indices
from mocaplab.errors import InputError

#: Views with fewer corners than this are dropped (a homography needs 4; 6 keeps some margin).
MIN_CORNERS = 6

#: Image coverage grid (columns, rows).
GRID = (8, 6)


@dataclasses.dataclass(frozen=True, eq=False)
class CameraDetections:
    """Board corners found in one camera.

    Attributes:
        name: camera name.
        size: image (width, height), pixels.
        n_frames: frames in the recording.
        frames: (V,) frame index of each view with the board.
        corners: (V, N, 2) pixel positions of the N board corners (ChArUco id order),
            NaN where not detected.
        n_sampled: frames examined.
        n_markers: ArUco markers found in total (diagnostics).
        n_foreign_markers: markers whose id is not on the board (diagnostics).
    """

    name: str
    size: tuple[int, int]
    n_frames: int
    frames: np.ndarray
    corners: np.ndarray
    n_sampled: int = 0
    n_markers: int = 0
    n_foreign_markers: int = 0

    @property
    def n_views(self) -> int:
        return len(self.frames)

    def view_mask(self) -> np.ndarray:
        """(V, N) True where a corner was detected."""
        return np.isfinite(self.corners[..., 0])

    def subset(self, keep: np.ndarray) -> CameraDetections:
        return dataclasses.replace(self, frames=self.frames[keep], corners=self.corners[keep])


def coverage(corners: np.ndarray, size: tuple[int, int], grid: tuple[int, int] = GRID
             ) -> tuple[float, np.ndarray]:
    """Fraction of the cells of a ``grid`` over the image holding a detected corner.

    Args:
        corners: (..., 2) pixels, NaN ignored.
        size: image (width, height).
    Returns:
        (fraction in [0, 1], (rows, cols) corner counts per cell).
    """
    uv = corners.reshape(-1, 2)
    uv = uv[np.isfinite(uv).all(1)]
    gx, gy = grid
    w, h = size
    cx = np.clip((uv[:, 0] / w * gx).astype(int), 0, gx - 1)
    cy = np.clip((uv[:, 1] / h * gy).astype(int), 0, gy - 1)
    counts = np.zeros((gy, gx), int)
    np.add.at(counts, (cy, cx), 1)
    return float((counts > 0).mean()), counts


def make_detector(board: BoardSpec) -> cv2.aruco.CharucoDetector:
    """An OpenCV CharucoDetector for the board (ChArUco boards only)."""
    if board.type != "charuco":
        raise InputError("detection needs a ChArUco board (type = \"charuco\")")
    charuco_params = cv2.aruco.CharucoParameters()
    charuco_params.tryRefineMarkers = True
    detector_params = cv2.aruco.DetectorParameters()
    return cv2.aruco.CharucoDetector(board.to_cv2(), charuco_params, detector_params)


def detect_image(detector: cv2.aruco.CharucoDetector, grey: np.ndarray, board: BoardSpec
                 ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Detect the board in one greyscale image.

    Returns:
        ids (M,) int, corners (M, 2) pixels, number of markers found, number of markers whose id
        is not on the board.
    """
    if board.inverted:
        grey = 255 - grey
    corners, ids, _marker_corners, marker_ids = detector.detectBoard(grey)
    n_markers = 0 if marker_ids is None else len(marker_ids)
    n_board_markers = (board.squares_x * board.squares_y) // 2
    foreign = 0 if marker_ids is None else int(np.sum(np.ravel(marker_ids) >= n_board_markers))
    if ids is None or len(ids) == 0:
        return np.zeros(0, int), np.zeros((0, 2)), n_markers, foreign
    return (np.asarray(ids, int).ravel(), np.asarray(corners, float).reshape(-1, 2), n_markers,
            foreign)


def frames_to_examine(n_frames: int, max_frames: int | None,
                      extra_frames: np.ndarray | None = None) -> np.ndarray:
    """Sorted frame indices to examine: an even sample plus ``extra_frames`` (in range)."""
    indices = sample_indices(n_frames, max_frames)
    if extra_frames is not None and len(extra_frames):
        extra = np.asarray(extra_frames, int)
        indices = np.union1d(indices, extra[(extra >= 0) & (extra < n_frames)])
    return indices


def detect_camera(source: FrameSource, board: BoardSpec, max_frames: int | None = 300,
                  progress=None, min_corners: int = MIN_CORNERS,
                  extra_frames: np.ndarray | None = None) -> CameraDetections:
    """Detect the board in (a sample of) the frames of one camera.

    Args:
        source: the camera's video or image folder.
        board: the board.
        max_frames: examine at most this many frames, evenly spread (None: all).
        progress: optional tqdm-like object; ``update(1)`` is called per frame.
        min_corners: keep views with at least this many corners.
        extra_frames: frame indices examined in addition to the sample (e.g. floor frames).
    """
    detector = make_detector(board)
    n = board.n_corners
    indices = frames_to_examine(source.n_frames, max_frames, extra_frames)
    frames, views = [], []
    n_markers = foreign = 0
    for i, grey in source.frames(indices):
        if (grey.shape[1], grey.shape[0]) != source.size:
            raise InputError(f"camera {source.name}: frame {i} is {grey.shape[1]}x"
                             f"{grey.shape[0]}, the first frame was {source.size[0]}x"
                             f"{source.size[1]}; all images of a camera must have the same size")
        ids, px, m, f = detect_image(detector, grey, board)
        n_markers += m
        foreign += f
        if progress is not None:
            progress.update(1)
        if len(ids) >= min_corners:
            view = np.full((n, 2), np.nan)
            view[ids] = px
            frames.append(i)
            views.append(view)
    corners = np.stack(views) if views else np.zeros((0, n, 2))
    return CameraDetections(source.name, source.size, source.n_frames, np.asarray(frames, int),
                            corners, len(indices), n_markers, foreign)


def detect_all(sources: Mapping[str, FrameSource], board: BoardSpec,
               max_frames: int | None = 300, workers: int | None = None,
               show_progress: bool = True, require_all: bool = True,
               extra_frames: np.ndarray | None = None) -> dict[str, CameraDetections]:
    """Detect the board in every camera, cameras in parallel threads, with a progress bar.

    ``extra_frames``: frame indices examined in every camera besides the even sample.

    Raises:
        InputError: naming the cameras that never saw the board (when ``require_all``).
    """
    import os

    from tqdm import tqdm

    workers = workers or max(1, min(len(sources), os.cpu_count() or 1))
    total = sum(len(frames_to_examine(s.n_frames, max_frames, extra_frames))
                for s in sources.values())
    bar = tqdm(total=total, desc="detecting board", unit="frame", disable=not show_progress,
               leave=False)
    lock = threading.Lock()

    class _Progress:
        def update(self, k: int) -> None:
            with lock:
                bar.update(k)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {name: pool.submit(detect_camera, src, board, max_frames, _Progress(),
                                         extra_frames=extra_frames)
                       for name, src in sources.items()}
            result = {name: fut.result() for name, fut in futures.items()}
    finally:
        bar.close()
    if require_all:
        blind = [d for d in result.values() if d.n_views == 0]
        if blind:
            raise InputError(never_seen_message(blind, board, sources))
    return result


def never_seen_message(blind: list[CameraDetections], board: BoardSpec,
                       sources: Mapping[str, FrameSource]) -> str:
    """Explain why cameras never saw the board and what to check."""
    lines = []
    for d in blind:
        hint = _diagnose(d, board, sources[d.name])
        lines.append(f"camera {d.name} never sees the board in {d.n_sampled} frames examined "
                     f"({sources[d.name].path}){hint}")
    return ("; ".join(lines) + ". Check the board definition (squares_x = columns, squares_y = "
            f"rows, dictionary; now {board.squares_x} x {board.squares_y}, {board.dictionary}"
            f", inverted = {str(board.inverted).lower()}, legacy = "
            f"{str(board.legacy).lower()}), whether the print is inverted (white on black), and "
            "the lighting and focus (the board must be sharp, not blown out)")


def _diagnose(d: CameraDetections, board: BoardSpec, source: FrameSource) -> str:
    if d.n_markers == 0:
        flipped = dataclasses.replace(board, inverted=not board.inverted)
        probe = detect_camera(source, flipped, max_frames=20, min_corners=4)
        if probe.n_views:
            return (f": but it is found in the inverted image, so set inverted = "
                    f"{str(flipped.inverted).lower()} in the board file")
        return ": no ArUco marker at all (wrong dictionary, inverted print, or bad lighting?)"
    if d.n_foreign_markers > d.n_markers // 2:
        return (f": {d.n_markers} ArUco markers were found but most ids are not on a "
                f"{board.squares_x} x {board.squares_y} board (wrong board size or dictionary?)")
    if board.squares_y % 2 == 0:
        other = dataclasses.replace(board, legacy=not board.legacy)
        probe = detect_camera(source, other, max_frames=20, min_corners=4)
        if probe.n_views:
            return (f": but it is found with legacy = {str(other.legacy).lower()} (the OpenCV "
                    "ChArUco layout before 4.6)")
    return (f": {d.n_markers} ArUco markers were found but never enough ChArUco corners "
            "(board too small or blurred, or squares_x / squares_y swapped?)")
