"""Matplotlib figures of the reports, drawn with the object API (thread-safe, no pyplot, no
display): cycle-normalised curves against normative bands, before/after overlays, key frames.
Every function writes a PNG atomically and returns its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.atomic import atomic_path

SIDE_COLOURS = {"left": "#c0392b", "right": "#1f6fb2"}
#: rows of the curve figure: (segment, [(component, label)]).
CURVE_ROWS = (
    ("pelvis", (("tilt", "Pelvic tilt"), ("obliquity", "Pelvic obliquity"),
                ("rotation", "Pelvic rotation"))),
    ("hip", (("flexion", "Hip flexion"), ("adduction", "Hip adduction"),
             ("rotation", "Hip rotation"))),
    ("spine", (("flexion", "Spine flexion"), ("lateral_flexion", "Spine lateral flexion"),
               ("rotation", "Spine rotation"))),
)


def _save(fig, path: Path, dpi: int) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return Path(path)


def curves_figure(curves: dict[tuple[str, str], dict[str, Any]],
                  bands: dict[tuple[str, str], dict[str, np.ndarray]], path: Path,
                  title: str = "", dpi: int = 110) -> Path:
    """3x3 grid of curves.

    Args:
        curves: (segment, side) -> output of :func:`mocaplab.reporting.labdata.cycle_curves`
            (missing keys are drawn as "not available").
        bands: (segment, component) -> {"percent", "lower", "upper"} normative band.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 8.2), layout="constrained")
    axes = fig.subplots(3, 3)
    legend_done = False
    for r, (seg, comps) in enumerate(CURVE_ROWS):
        for c, (comp, label) in enumerate(comps):
            ax = axes[r, c]
            band = bands.get((seg, comp))
            if band is not None:
                ax.fill_between(band["percent"], band["lower"], band["upper"], color="0.85",
                                label="normal (±1 SD)", lw=0)
            drawn = False
            for side in ("left", "right"):
                cur = curves.get((seg, side))
                a = (cur or {}).get("angles", {}).get(comp) if cur else None
                if not a or not a["n_cycles"]:
                    continue
                x = np.asarray(cur["percent"])
                m = np.array([np.nan if v is None else v for v in a["mean"]], float)
                sd = np.array([np.nan if v is None else v for v in a["sd"]], float)
                ax.plot(x, m, color=SIDE_COLOURS[side], lw=1.6,
                        label=f"{side} (n={a['n_cycles']})")
                if np.isfinite(sd).any():
                    ax.fill_between(x, m - sd, m + sd, color=SIDE_COLOURS[side], alpha=0.15,
                                    lw=0)
                drawn = True
            if not drawn:
                ax.text(0.5, 0.5, "not available", ha="center", va="center",
                        transform=ax.transAxes, color="0.4")
            ax.set_title(label, fontsize=9)
            ax.set_xlim(0, 100)
            ax.tick_params(labelsize=7)
            if r == 2:
                ax.set_xlabel("gait cycle (%)", fontsize=8)
            if c == 0:
                ax.set_ylabel("degrees", fontsize=8)
            if drawn and not legend_done:
                ax.legend(fontsize=6, loc="best")
                legend_done = True
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path, dpi)


def overlay_figure(before: dict[tuple[str, str], dict[str, Any]],
                   after: dict[tuple[str, str], dict[str, Any]],
                   panels: Sequence[tuple[str, str, str]], path: Path,
                   labels: tuple[str, str] = ("before", "after"),
                   bands: dict[tuple[str, str], dict[str, np.ndarray]] | None = None,
                   dpi: int = 110) -> Path:
    """Before (dashed) vs after (solid) mean curves, one row per panel, one column per side.

    ``panels``: (segment, component, title) triples.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 2.2 * len(panels) + 0.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(panels), 2))
    for r, (seg, comp, title) in enumerate(panels):
        for c, side in enumerate(("left", "right")):
            ax = axes[r, c]
            band = (bands or {}).get((seg, comp))
            if band is not None:
                ax.fill_between(band["percent"], band["lower"], band["upper"], color="0.88",
                                lw=0, label="normal (±1 SD)")
            for data, style, lab in ((before, "--", labels[0]), (after, "-", labels[1])):
                cur = data.get((seg, side))
                a = cur["angles"].get(comp) if cur else None
                if not a or not a["n_cycles"]:
                    continue
                m = np.array([np.nan if v is None else v for v in a["mean"]], float)
                ax.plot(cur["percent"], m, style, color=SIDE_COLOURS[side], lw=1.6, label=lab)
            ax.set_title(f"{title}, {side}", fontsize=9)
            ax.set_xlim(0, 100)
            ax.tick_params(labelsize=7)
            ax.set_ylabel("degrees", fontsize=8)
            if r == len(panels) - 1:
                ax.set_xlabel("gait cycle (%)", fontsize=8)
            if r == 0:
                ax.legend(fontsize=7)
    return _save(fig, path, dpi)


def bars_figure(items: Sequence[tuple[str, float, float, str]], path: Path,
                labels: tuple[str, str] = ("before", "after"), dpi: int = 110) -> Path:
    """Simple before/after bars for the patient page: (title, before, after, unit) per panel."""
    from matplotlib.figure import Figure

    n = max(1, len(items))
    fig = Figure(figsize=(8.0, 2.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n))
    for ax, (title, b, a, unit) in zip(axes, items, strict=False):
        ax.bar([0, 1], [b, a], color=["#b0b7bf", "#2e86c1"], width=0.6)
        ax.set_xticks([0, 1], labels, fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
        for x, v in ((0, b), (1, a)):
            if np.isfinite(v):
                ax.text(x, v, f"{v:.2f}" if abs(v) < 10 else f"{v:.0f}", ha="center",
                        va="bottom", fontsize=8)
    return _save(fig, path, dpi)


def side_by_side(images: Sequence[tuple[str, Path | None]], path: Path, dpi: int = 110) -> Path:
    """Images with titles, in a row (up to 2) or a 2-column grid (missing: "not available")."""
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    aspect = 0.75
    for _, img in images:
        if img is not None and Path(img).is_file():
            h, w = imread(str(img)).shape[:2]
            aspect = h / w
            break
    ncols = min(2, len(images))
    nrows = -(-len(images) // ncols)
    fig = Figure(figsize=(8.0, nrows * (8.0 / ncols * aspect + 0.3)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax in axes[len(images):]:
        ax.set_axis_off()
    for ax, (title, img) in zip(axes, images, strict=False):
        ax.set_axis_off()
        ax.set_title(title, fontsize=8)
        if img is not None and Path(img).is_file():
            ax.imshow(imread(str(img)))
        else:
            ax.text(0.5, 0.5, "not available", ha="center", va="center", transform=ax.transAxes)
    return _save(fig, path, dpi)
