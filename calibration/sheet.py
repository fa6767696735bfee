"""Printable board sheets: PNG and PDF at true scale with the board parameters printed on them.

The page is the smallest ISO A size (portrait or landscape) that holds the board with a margin
and a text band; the board is drawn at exactly ``square_length`` per square, so printing at 100 %
("actual size", no "fit to page") gives the true board. The PNG carries its DPI so that image
viewers and printers keep the scale. Measure one square after printing and put the measured value
in the board TOML.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mocaplab.atomic import atomic_path
from mocaplab.board import BoardSpec
from mocaplab.errors import InputError

#: ISO A paper sizes (width, height) in metres, portrait.
PAPER_SIZES = {"A4": (0.210, 0.297), "A3": (0.297, 0.420), "A2": (0.420, 0.594),
               "A1": (0.594, 0.841), "A0": (0.841, 1.189)}
_MARGIN_M = 0.012
#: Type size of the parameters printed under the board (readable at arm's length).
SHEET_FONT_PT = 13
_TEXT_BAND_M = 0.040


def board_description(board: BoardSpec) -> str:
    """One-paragraph description of the board printed on the sheet."""
    kind = "ChArUco" if board.type == "charuco" else "checkerboard"
    parts = [f"{kind} {board.squares_x} x {board.squares_y} squares",
             f"square {board.square_length * 1000:.2f} mm"]
    if board.type == "charuco":
        parts += [f"marker {board.marker_length * 1000:.2f} mm", board.dictionary]
        if board.legacy:
            parts.append("legacy pattern")
    if board.inverted:
        parts.append("inverted (white on black)")
    w, h = board.size_m
    parts.append(f"board {w * 1000:.1f} x {h * 1000:.1f} mm")
    return ", ".join(parts)


def choose_page(board: BoardSpec, paper: str | None = None) -> tuple[str, tuple[float, float]]:
    """(name, (width, height) metres) of the page the sheet is drawn on."""
    w, h = board.size_m
    need = (w + 2 * _MARGIN_M, h + 2 * _MARGIN_M + _TEXT_BAND_M)
    names = [paper] if paper else list(PAPER_SIZES)
    for name in names:
        if name not in PAPER_SIZES:
            raise InputError(f"unknown paper size {name!r}; choose one of {list(PAPER_SIZES)}")
        pw, ph = PAPER_SIZES[name]
        for label, size in ((name, (pw, ph)), (f"{name} landscape", (ph, pw))):
            if size[0] >= need[0] and size[1] >= need[1]:
                return label, size
    if paper:
        raise InputError(f"a {w * 1000:.0f} x {h * 1000:.0f} mm board does not fit on {paper}; "
                         "choose a larger paper or smaller squares")
    return "custom", need


def write_board_sheet(board: BoardSpec, out: str | os.PathLike, dpi: int = 300,
                      paper: str | None = None, overwrite: bool = False) -> Path:
    """Write the printable sheet to ``out`` (.png or .pdf), atomically.

    Args:
        board: the board to draw.
        out: output path; the format follows the suffix (``.png`` or ``.pdf``).
        dpi: raster resolution of the board image (and of the PNG page).
        paper: ISO paper size ("A4" ... "A0"); default: the smallest that fits.
        overwrite: replace an existing file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    if out.suffix.lower() not in (".png", ".pdf"):
        raise InputError(f"{out}: board sheets are written as .png or .pdf")
    label, (pw, ph) = choose_page(board, paper)
    bw, bh = board.size_m
    px_per_square = int(np.ceil(board.square_length / 0.0254 * dpi))
    image = board.render(pixels_per_square=px_per_square)
    inch = 1 / 0.0254
    fig = plt.figure(figsize=(pw * inch, ph * inch), dpi=dpi)
    # axes in figure fractions, positioned so that the board has its true size
    left = (pw - bw) / 2
    bottom = ph - _MARGIN_M - bh
    ax = fig.add_axes((left / pw, bottom / ph, bw / pw, bh / ph))
    ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest",
              extent=(0, bw, bh, 0))
    ax.set_axis_off()
    import textwrap

    chars = max(30, int(pw / 0.0254 * 72 / (0.55 * SHEET_FONT_PT)) - 4)  # characters per line
    lines = textwrap.wrap(f"mocaplab calibration board: {board_description(board)}", chars)
    lines += textwrap.wrap(f"Print at 100 % (actual size, no scaling) on {label} paper; mount "
                           "flat and rigid. Measure one square and give it to calibrate as "
                           "--square-length (metres) or in the board TOML.", chars)
    fig.text(0.5, (bottom - 0.004) / ph, "\n".join(lines), ha="center", va="top",
             fontsize=SHEET_FONT_PT)
    with atomic_path(out, overwrite) as tmp:
        fig.savefig(tmp, dpi=dpi, format=out.suffix.lower()[1:])
    plt.close(fig)
    return out
