"""Calibration board definitions (the board TOML of CONVENTIONS.md) and their OpenCV objects.

Board frame: origin at the top-left corner of the printed board (as OpenCV generates it), x along
the columns, y along the rows (down the printed image), z = 0 on the board surface; metres.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import tomli_w

from mocaplab.atomic import write_text
from mocaplab.errors import InputError
from mocaplab.reading import read_toml

BoardType = Literal["charuco", "checkerboard"]


@dataclasses.dataclass(frozen=True)
class BoardSpec:
    """A ChArUco or checkerboard calibration board.

    Attributes:
        type: "charuco" or "checkerboard".
        squares_x: number of squares along x (columns).
        squares_y: number of squares along y (rows).
        square_length: side of one square, metres.
        marker_length: side of one ArUco marker, metres (ChArUco only).
        dictionary: OpenCV ArUco dictionary name, e.g. "DICT_4X4_50".
        inverted: printed white-on-black (images are inverted before detection).
        legacy: OpenCV's legacy ChArUco layout (boards made before OpenCV 4.6 with an even
            number of rows).
    """

    type: BoardType = "charuco"
    squares_x: int = 7
    squares_y: int = 5
    square_length: float = 0.06
    marker_length: float = 0.045
    dictionary: str = "DICT_4X4_50"
    inverted: bool = False
    legacy: bool = False

    def __post_init__(self) -> None:
        if self.type not in ("charuco", "checkerboard"):
            raise InputError(f"board type must be 'charuco' or 'checkerboard', not {self.type!r}")
        if self.squares_x < 2 or self.squares_y < 2:
            raise InputError("a board needs at least 2 x 2 squares")
        if self.square_length <= 0:
            raise InputError("board square_length must be positive (metres)")
        if self.type == "charuco":
            if not 0 < self.marker_length < self.square_length:
                raise InputError("board marker_length must be positive and smaller than "
                                 "square_length")
            if not hasattr(cv2.aruco, self.dictionary):
                raise InputError(f"unknown ArUco dictionary {self.dictionary!r}")

    # --- geometry -----------------------------------------------------------------------------
    @property
    def size_m(self) -> tuple[float, float]:
        """Board (width, height) in metres."""
        return self.squares_x * self.square_length, self.squares_y * self.square_length

    @property
    def n_corners(self) -> int:
        """Number of inner chessboard corners (the ChArUco corner ids 0..n-1)."""
        return (self.squares_x - 1) * (self.squares_y - 1)

    def corner_points(self) -> np.ndarray:
        """(N, 3) inner corners in the board frame, metres, in ChArUco id order."""
        if self.type == "charuco":
            return np.asarray(self.to_cv2().getChessboardCorners(), dtype=float).reshape(-1, 3)
        xs, ys = np.meshgrid(np.arange(1, self.squares_x), np.arange(1, self.squares_y))
        pts = np.stack([xs.ravel(), ys.ravel(), np.zeros(xs.size)], axis=1)
        return pts * self.square_length

    # --- OpenCV -------------------------------------------------------------------------------
    def aruco_dictionary(self) -> cv2.aruco.Dictionary:
        return cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, self.dictionary))

    def to_cv2(self) -> cv2.aruco.CharucoBoard:
        """The OpenCV CharucoBoard (ChArUco boards only)."""
        if self.type != "charuco":
            raise InputError("to_cv2() is for ChArUco boards")
        board = cv2.aruco.CharucoBoard((self.squares_x, self.squares_y), self.square_length,
                                       self.marker_length, self.aruco_dictionary())
        board.setLegacyPattern(self.legacy)
        return board

    def render(self, pixels_per_square: int = 100, margin_squares: float = 0.0) -> np.ndarray:
        """The printed board as a greyscale uint8 image (white-on-black if inverted).

        Pixel (i, j) covers board coordinates [j, j+1) x [i, i+1) / pixels_per_m, offset by the
        margin.
        """
        w = self.squares_x * pixels_per_square
        h = self.squares_y * pixels_per_square
        if self.type == "charuco":
            img = self.to_cv2().generateImage((w, h), marginSize=0, borderBits=1)
        else:
            yy, xx = np.mgrid[0:h, 0:w] // pixels_per_square
            img = np.where((xx + yy) % 2 == 0, 0, 255).astype(np.uint8)
        m = int(round(margin_squares * pixels_per_square))
        if m:
            img = cv2.copyMakeBorder(img, m, m, m, m, cv2.BORDER_CONSTANT, value=255)
        if self.inverted:
            img = 255 - img
        return img

    # --- TOML ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"board": dataclasses.asdict(self)}

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        return write_text(path, tomli_w.dumps(self.to_dict()), overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike) -> BoardSpec:
        path = Path(path)
        data = read_toml(path, "board file")
        table = data.get("board", data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise InputError(f"board file {path}: unknown keys {sorted(unknown)}; "
                             f"known keys are {sorted(known)}")
        return cls(**table)
