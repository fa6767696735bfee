"""Board definitions: read the mocaplab board TOML and the board files of anipose and caliscope.

- mocaplab (CONVENTIONS.md): a ``[board]`` table, metres (:class:`mocaplab.board.BoardSpec`).
- anipose / sleap-anipose ``board.toml``: ``board_x``, ``board_y``, ``square_length``,
  ``marker_length``, ``marker_bits``, ``dict_size`` (lengths in the unit of the calibration,
  usually millimetres: values above 1 are taken as millimetres).
- caliscope ``charuco.toml``: ``columns``, ``rows``, ``dictionary``, ``aruco_scale``,
  ``square_size_override_cm`` (or ``board_width``/``board_height`` with ``units``), ``inverted``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mocaplab.board import BoardSpec
from mocaplab.errors import InputError
from mocaplab.reading import read_toml

_INCH_M = 0.0254


def load_board(path: str | os.PathLike) -> BoardSpec:
    """Read a board definition in any supported format (see module doc)."""
    path = Path(path)
    data = read_toml(path, "board file")
    if "board" in data or "squares_x" in data:
        return BoardSpec.load(path)
    if "board_x" in data:
        return _from_anipose(data, path)
    if "columns" in data and "rows" in data:
        return _from_caliscope(data, path)
    raise InputError(f"board file {path}: unknown format. Expected a [board] table with "
                     "squares_x, squares_y, square_length (m), marker_length (m), dictionary")


def _from_anipose(d: dict[str, Any], path: Path) -> BoardSpec:
    try:
        square, marker = float(d["square_length"]), float(d.get("marker_length", 0))
        scale = 1e-3 if square > 1.0 else 1.0
        bits, size = int(d.get("marker_bits", 4)), int(d.get("dict_size", 50))
        kind = "charuco" if marker > 0 else "checkerboard"
        return BoardSpec(type=kind, squares_x=int(d["board_x"]), squares_y=int(d["board_y"]),
                         square_length=square * scale,
                         marker_length=marker * scale if marker > 0 else 0.75 * square * scale,
                         dictionary=f"DICT_{bits}X{bits}_{size}")
    except KeyError as exc:
        raise InputError(f"anipose board file {path} lacks {exc.args[0]!r}") from None


def _from_caliscope(d: dict[str, Any], path: Path) -> BoardSpec:
    cols, rows = int(d["columns"]), int(d["rows"])
    if d.get("square_size_override_cm"):
        square = float(d["square_size_override_cm"]) / 100.0
    else:
        unit = _INCH_M if d.get("units", "inch") == "inch" else 0.01
        square = min(float(d["board_width"]) / cols, float(d["board_height"]) / rows) * unit
    return BoardSpec(type="charuco", squares_x=cols, squares_y=rows, square_length=square,
                     marker_length=square * float(d.get("aruco_scale", 0.75)),
                     dictionary=str(d.get("dictionary", "DICT_4X4_50")),
                     inverted=bool(d.get("inverted", False)))
