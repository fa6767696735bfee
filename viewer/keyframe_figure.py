"""Key frames for print: the skeleton at the gait-cycle events from the front and from the side.

One matplotlib figure (no renderer, no child process, about a second): a row of front views and
a row of side views, one column per key frame (:func:`mocaplab.viewer.render.key_frames`: the
events of the first gait cycle, else evenly spaced frames). Orthographic projections in the
walking frame found from the data:

- front: seen from ahead of the subject (their left on the right of the picture), with the
  pelvis and shoulder lines in the side colours against a dashed level reference and their
  angles in clinical wording under the picture ("pelvis: left side 3.1° higher");
- side: seen from the subject's right, walking to the right.

Colours follow :mod:`mocaplab.sides` and the legend says so. Angles are those of the drawn lines
(:mod:`mocaplab.viewer.levels`), optionally drawn exaggerated (the numbers stay as measured).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mocaplab import sides
from mocaplab.atomic import atomic_path
from mocaplab.errors import InputError
from mocaplab.viewer import levels as lv
from mocaplab.viewer import scene as sc
from mocaplab.viewer.data import TrialData, load_trial

VIEWS = ("front", "side")
_TITLES = {"front": "Front", "side": "Side (from the right)"}
#: half width and height of a panel, in subject heights.
_HALF_W, _TOP = 0.5, 1.08


def _basis(view: str, progression: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(horizontal, vertical) picture axes of an orthographic view, lab frame."""
    fwd = np.asarray(progression, float).copy()
    fwd[2] = 0.0
    fwd /= np.linalg.norm(fwd)
    lat = np.cross(sc.UP, fwd)  # the subject's left
    return (lat if view == "front" else fwd), sc.UP


def _project(points: np.ndarray, centre: np.ndarray, axes) -> np.ndarray:
    h, v = axes
    d = np.asarray(points, float) - centre
    return np.stack([d @ h, d @ v], axis=-1)


def _event_title(trial: TrialData, index: int, label: str) -> str:
    what = label.replace("_", " ")
    head = "" if what == "frame" else f"{what}\n"
    return f"{head}frame {index + 1} ({index / trial.fps:.2f} s)"


@dataclasses.dataclass(frozen=True, eq=False)
class _Prepared:
    """What every panel of one trial needs."""

    trial: TrialData
    spec: sc.SkeletonSpec
    progression: np.ndarray
    height_m: float


def _prepare(trial: TrialData | str | os.PathLike) -> _Prepared:
    t = trial if isinstance(trial, TrialData) else load_trial(trial)
    with np.errstate(invalid="ignore"):
        top = float(np.nanmax(t.points[..., 2]))
    return _Prepared(t, sc.skeleton_spec(t.keypoints),
                     sc.progression_direction(t.points, t.keypoints),
                     top if np.isfinite(top) and top > 0.5 else 1.8)


def _draw_panel(ax, p: _Prepared, index: int, view: str, exaggeration: float) -> None:
    """One orthographic view of frame ``index``; front views get the level lines and their
    wording under the picture."""
    t, spec, prog = p.trial, p.spec, p.progression
    frame = t.points[index]
    ok = np.isfinite(frame).all(axis=1)
    centre = np.nanmean(frame[ok], axis=0) if ok.any() else np.zeros(3)
    centre[2] = 0.0
    basis = _basis(view, prog)
    uv = _project(frame, centre, basis)
    for (a, b), col in zip(spec.edges, spec.edge_colors, strict=True):
        if ok[a] and ok[b]:
            ax.plot(uv[[a, b], 0], uv[[a, b], 1], color=col, lw=1.6, solid_capstyle="round")
    ax.scatter(uv[ok, 0], uv[ok, 1], s=6, c=spec.joint_colors[ok], zorder=3, linewidths=0)
    lines = lv.level_lines(frame, t.keypoints, prog)
    if view == "front" and lines:
        drawn = lv.level_geometry(lines, prog, exaggeration)
        seg = _project(drawn.points, centre, basis)
        for (i, j), col in zip(drawn.lines, drawn.colors, strict=True):
            is_ref = np.allclose(col, lv.LEVEL_COLOR)
            ax.plot(seg[[i, j], 0], seg[[i, j], 1], color=col, lw=0.9 if is_ref else 2.6,
                    ls="--" if is_ref else "-", zorder=2 if is_ref else 4)
        ax.set_xlabel("\n".join(lv.label(ln) for ln in lines), fontsize=6.5, linespacing=1.3)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlim(-_HALF_W * p.height_m, _HALF_W * p.height_m)
    ax.set_ylim(-0.05 * p.height_m, _TOP * p.height_m)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("0.8")


def _notes(exaggeration: float, views: tuple[str, ...]) -> list[str]:
    seen = "Front: seen from ahead (the subject's left on the right)."
    if "side" in views:
        seen += " Side: seen from the right."
    return [f"{sides.LEGEND.capitalize()}, grey midline, dashed: level. {seen}",
            "Angles: the drawn pelvis and shoulder lines against level"
            + (f", drawn x{exaggeration:g} (numbers as measured)." if exaggeration != 1.0
               else ".")]


def _figure(ncol: int, nrow: int, width_in: float):
    from matplotlib.figure import Figure

    panel_in = width_in / max(ncol, 2)
    return Figure(figsize=(width_in, nrow * panel_in * (_TOP + 0.05) / (2 * _HALF_W) + 1.1),
                  layout="constrained")


def _save(fig, out_path: str | os.PathLike, dpi: int) -> Path:
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return out


def key_frame_figure(trial: TrialData | str | os.PathLike, out_path: str | os.PathLike, *,
                     max_frames: int = 4, exaggeration: float = 1.0, width_in: float = 7.0,
                     dpi: int = 150) -> Path:
    """Write the key-frame figure (PNG) of a trial and return its path.

    Args:
        trial: a loaded trial, a trial folder or a points3d.npz.
        max_frames: key frames shown (columns).
        exaggeration: factor on the drawn line angles (the printed numbers stay as measured).
        width_in: figure width, inches (7 in: the text width of an A4 page).
    """
    from mocaplab.viewer.render import key_frames

    p = _prepare(trial)
    t = p.trial
    picks = key_frames(t)[:max_frames]
    if not picks:
        raise InputError(f"{t.name} has no frame to show")
    fig = _figure(len(picks), 2, width_in)
    axes = np.atleast_2d(fig.subplots(2, len(picks), squeeze=False))
    for c, (index, label) in enumerate(picks):
        for r, view in enumerate(VIEWS):
            _draw_panel(axes[r, c], p, index, view, exaggeration)
            if r == 0:
                axes[r, c].set_title(_event_title(t, index, label), fontsize=7.5)
            if c == 0:
                axes[r, c].set_ylabel(_TITLES[view], fontsize=7)
    note = _notes(exaggeration, VIEWS)
    if not t.events and t.no_events_reason:
        why = t.no_events_reason
        note[-1] += f" {why[0].upper()}{why[1:]}: evenly spaced frames."
    fig.supxlabel("\n".join(note), fontsize=7, linespacing=1.4)
    return _save(fig, out_path, dpi)


def comparison_figure(trials: Sequence[TrialData | str | os.PathLike],
                      titles: Sequence[str], out_path: str | os.PathLike, *,
                      max_frames: int = 4, exaggeration: float = 1.0, width_in: float = 7.0,
                      dpi: int = 150) -> Path:
    """Front views of two (or more) trials, one row each ("before (2026-11-02)", "after ..."),
    at the same events of their first gait cycle, with the pelvis and shoulder lines worded."""
    from mocaplab.viewer.render import key_frames

    preps = [_prepare(t) for t in trials]
    picks = [key_frames(p.trial)[:max_frames] for p in preps]
    ncol = max(len(x) for x in picks)
    if not ncol:
        raise InputError("no frame to show")
    fig = _figure(ncol, len(preps), width_in)
    axes = np.atleast_2d(fig.subplots(len(preps), ncol, squeeze=False))
    for r, (p, pk, title) in enumerate(zip(preps, picks, titles, strict=True)):
        for c in range(ncol):
            ax = axes[r, c]
            if c >= len(pk):
                ax.set_axis_off()
                continue
            index, label = pk[c]
            _draw_panel(ax, p, index, "front", exaggeration)
            ax.set_title(_event_title(p.trial, index, label), fontsize=7.5)
            if c == 0:
                ax.set_ylabel(title, fontsize=7.5)
    fig.supxlabel("\n".join(_notes(exaggeration, ("front",))), fontsize=7, linespacing=1.4)
    return _save(fig, out_path, dpi)
