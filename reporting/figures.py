"""Matplotlib figures of the reports, drawn with the object API (thread-safe, no pyplot, no
display): the Plug-in Gait-style kinematics page, the Movement Analysis Profile, cycle-normalised
trunk curves against normative bands, before/after overlays, key frames.
Every function writes a PNG atomically and returns its path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab import sides
from mocaplab.analysis.metrics_spec import angle_curve
from mocaplab.atomic import atomic_path

SIDE_COLOURS = {"left": sides.LEFT_HEX, "right": sides.RIGHT_HEX}  # the one convention
#: rows of the trunk curve figure: (segment, [(component, label)]) (the pelvis and the lower
#: limb are on the kinematics page, :data:`KINEMATICS_ROWS`).
CURVE_ROWS = tuple((seg, tuple((comp, angle_curve(seg, comp).label)
                               for comp in ("flexion", "lateral_flexion", "rotation")))
                   for seg in ("spine", "thorax"))
#: the Plug-in Gait kinematics page: (row title, [(segment, component)] sagittal, frontal,
#: transverse), as Vicon's report lays them out (the ankle row ends with foot progression).
KINEMATICS_ROWS = (
    ("Pelvis", (("pelvis", "tilt"), ("pelvis", "obliquity"), ("pelvis", "rotation"))),
    ("Hip", (("hip", "flexion"), ("hip", "adduction"), ("hip", "rotation"))),
    ("Knee", (("knee", "flexion"), ("knee", "adduction"), ("knee", "rotation"))),
    ("Ankle / foot", (("ankle", "dorsiflexion"), ("ankle", "inversion"),
                      ("foot_progression", "angle"))),
)
PLANES = ("Sagittal", "Frontal", "Transverse")
#: colour of the "estimated" marking (neither side's colour).
ESTIMATED_HEX = "#a04000"


@dataclasses.dataclass(frozen=True)
class SideCurve:
    """One side's mean gait-cycle curve of a panel: ``mean``/``sd`` (P,) degrees at
    ``percent`` (P,) 0..100 % of the side's own cycle (NaN: missing), over ``n_cycles``."""

    percent: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    n_cycles: int


@dataclasses.dataclass(frozen=True)
class KinematicsPanel:
    """What one panel of the kinematics page shows.

    ``sides``: side -> its curve (only the sides with at least one cycle); ``band``: the
    normative {"percent", "lower", "upper"} or None; ``estimated``: the sides whose curve came
    through landmark estimation (metrics.json ``provenance.estimated``); ``positive`` /
    ``negative``: what positive and negative values mean (metrics spec); ``note``: why nothing
    is drawn; ``caveat``: what analysis says against the curves' use ("not reliable").
    """

    segment: str
    component: str
    title: str
    positive: str
    negative: str
    sides: Mapping[str, SideCurve]
    band: Mapping[str, np.ndarray] | None = None
    estimated: tuple[str, ...] = ()
    note: str = ""
    caveat: str = ""


#: the smallest y range of a curve panel (degrees): a nearly constant angle is not magnified
#: into what looks like motion.
MIN_SPAN_DEG = 10.0


def _min_span(ax, span: float = MIN_SPAN_DEG) -> None:
    lo, hi = ax.get_ylim()
    if hi - lo < span:
        mid = 0.5 * (lo + hi)
        ax.set_ylim(mid - span / 2, mid + span / 2)


def _short_direction(text: str) -> str:
    """"this side forward (internal)" -> "forward": the word that fits a panel's corner."""
    return text.split(" (")[0].removeprefix("this side ").removeprefix("as Vicon ")


def kinematics_figure(panels: Sequence[Sequence[KinematicsPanel]], path: Path,
                      foot_off_pct: Mapping[str, float] | None = None,
                      row_titles: Sequence[str] = (), title: str = "",
                      dpi: int = 130, warning: str = "") -> Path:
    """The Plug-in Gait-style kinematics page: rows of panels (pelvis, hip, knee, ankle), columns
    the sagittal, frontal and transverse planes; each side's mean curve (left red, right blue,
    :mod:`mocaplab.sides`) with its +/-1 SD over the normative band (grey), the side's mean
    foot off as a vertical line in its colour, "estimated" marked on panels whose curves came
    through landmark estimation.

    ``foot_off_pct``: side -> mean foot off in % of that side's cycle (its stance).
    ``warning``: a line over the panels in the "estimated" colour (angles not reliable).
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    nrows, ncols = len(panels), max(len(r) for r in panels)
    fig = Figure(figsize=(8.0, 2.15 * nrows + 0.7), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    foot_off_pct = foot_off_pct or {}
    seen: dict[str, int] = {}
    any_band = any_estimated = False
    for r, row in enumerate(panels):
        for c, p in enumerate(row):
            ax = axes[r, c]
            if p.band is not None and p.sides:  # a band alone, without a curve, says nothing
                ax.fill_between(p.band["percent"], p.band["lower"], p.band["upper"],
                                color="0.84", lw=0)
                any_band = True
            for side, cur in p.sides.items():
                col = SIDE_COLOURS[side]
                ax.plot(cur.percent, cur.mean, color=col, lw=1.5)
                if np.isfinite(cur.sd).any():
                    ax.fill_between(cur.percent, cur.mean - cur.sd, cur.mean + cur.sd,
                                    color=col, alpha=0.13, lw=0)
                seen[side] = max(seen.get(side, 0), cur.n_cycles)
            for side in p.sides:
                fo = foot_off_pct.get(side)
                if fo is not None and np.isfinite(fo):
                    ax.axvline(fo, color=SIDE_COLOURS[side], lw=0.9, ls=(0, (4, 2)))
            if p.sides:
                ax.axhline(0.0, color="0.55", lw=0.5)
            else:
                ax.text(0.5, 0.5, p.note or "not available", ha="center", va="center",
                        transform=ax.transAxes, color="0.35", fontsize=7, wrap=True)
                ax.set_yticks([])
            head = f"{PLANES[c]}: {p.title}" if r == 0 and c < len(PLANES) else p.title
            ax.set_title(head, fontsize=8.5, loc="left")
            if p.estimated or (p.caveat and p.sides):  # the flag of analysis, also on markers
                any_estimated = any_estimated or bool(p.estimated)
                tag = ", ".join([w for w in ("estimated" if p.estimated else "", p.caveat)
                                 if w])
                ax.text(0.98, 0.97, tag,
                        transform=ax.transAxes, ha="right",
                        va="top", fontsize=7, color=ESTIMATED_HEX, style="italic",
                        weight="bold", zorder=5,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8,
                              "pad": 1.0})
                for spine in ax.spines.values():
                    spine.set_edgecolor(ESTIMATED_HEX)
                    spine.set_linestyle((0, (3, 2)))
            if p.sides:
                _min_span(ax)
                kw = {"transform": ax.transAxes, "fontsize": 6, "color": "0.3", "ha": "left"}
                ax.text(0.02, 0.97, f"+ {_short_direction(p.positive)}", va="top", **kw)
                ax.text(0.02, 0.03, f"− {_short_direction(p.negative)}", va="bottom", **kw)
            ax.set_xlim(0, 100)
            ax.set_xticks([0, 20, 40, 60, 80, 100])
            ax.tick_params(labelsize=7)
            if r == nrows - 1:
                ax.set_xlabel("gait cycle (%)", fontsize=7.5)
            if c == 0:
                rt = row_titles[r] if r < len(row_titles) else ""
                ax.set_ylabel(f"{rt}\ndegrees" if rt else "degrees", fontsize=8)
        for c in range(len(row), ncols):
            axes[r, c].set_axis_off()
    handles = [Line2D([], [], color=SIDE_COLOURS[s], lw=1.8, label=f"{s} (n={n} cycles)")
               for s, n in seen.items()]
    if any_band:
        handles.append(Patch(color="0.84", label="normal (mean ±1 SD)"))
    if foot_off_pct:
        handles.append(Line2D([], [], color="0.3", lw=0.9, ls=(0, (4, 2)),
                              label="foot off (side's colour)"))
    if any_estimated:
        handles.append(Patch(facecolor="white", edgecolor=ESTIMATED_HEX, ls="--",
                             label="estimated (landmark estimation)"))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5),
                   fontsize=7, frameon=False)
    if title or warning:
        fig.suptitle(warning or title, fontsize=11 if warning else 10,
                     color=ESTIMATED_HEX if warning else "black",
                     weight="bold" if warning else "normal")
    return _save(fig, path, dpi)


def trial_angles_figure(series: Mapping[tuple[str, str], Mapping[str, np.ndarray]],
                        time_s: np.ndarray, path: Path, dpi: int = 130) -> Path:
    """The kinematics page of a trial without a gait cycle (standing, a static calibration, a
    step down): each angle of :data:`KINEMATICS_ROWS` against time over the trial, left red,
    right blue.

    ``series``: (segment, component) -> side -> (F,) degrees (NaN: missing); ``time_s`` (F,)
    seconds.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    nrows = len(KINEMATICS_ROWS)
    fig = Figure(figsize=(8.0, 2.15 * nrows + 0.7), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, 3, squeeze=False))
    seen: set[str] = set()
    for r, (row_title, cells) in enumerate(KINEMATICS_ROWS):
        for c, (seg, comp) in enumerate(cells):
            ax = axes[r, c]
            drawn = zero = False
            for side, y in series.get((seg, comp), {}).items():
                y = np.asarray(y, dtype=float)
                fin = y[np.isfinite(y)]
                if fin.size and not (fin == 0).all():
                    ax.plot(time_s, y, color=SIDE_COLOURS[side], lw=1.2)
                    seen.add(side)
                    drawn = True
                zero = zero or bool(fin.size and (fin == 0).all())
            curve = angle_curve(seg, comp)
            head = f"{PLANES[c]}: {curve.label}" if r == 0 else curve.label
            ax.set_title(head, fontsize=8.5, loc="left")
            if drawn:
                ax.axhline(0.0, color="0.55", lw=0.5)
                _min_span(ax)
                kw = {"transform": ax.transAxes, "fontsize": 6, "color": "0.3", "ha": "left"}
                ax.text(0.02, 0.97, f"+ {_short_direction(curve.positive)}", va="top", **kw)
                ax.text(0.02, 0.03, f"− {_short_direction(curve.negative)}", va="bottom", **kw)
            else:
                ax.text(0.5, 0.5, "not measured\n(exactly 0 throughout)" if zero else
                        "not available", ha="center", va="center", transform=ax.transAxes,
                        color="0.35", fontsize=7)
                ax.set_yticks([])
            ax.tick_params(labelsize=7)
            if r == nrows - 1:
                ax.set_xlabel("time (s)", fontsize=7.5)
            if c == 0:
                ax.set_ylabel(f"{row_title}\ndegrees", fontsize=8)
    handles = [Line2D([], [], color=SIDE_COLOURS[s], lw=1.8, label=s)
               for s in ("left", "right") if s in seen]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=7,
                   frameon=False)
    return _save(fig, path, dpi)


def map_figure(gvs: Mapping[str, Mapping[str, float | None]],
               gps: Mapping[str, float | None], labels: Mapping[str, str], path: Path,
               reference: Mapping[str, float] | None = None, estimated: bool = False,
               dpi: int = 130) -> Path:
    """The Movement Analysis Profile (Baker et al. 2009): one pair of bars (left red, right
    blue) per Gait Variable Score, then the Gait Profile Score per side and overall (grey),
    each bar labelled with its value (degrees).

    Args:
        gvs: side -> variable -> GVS (deg; None/NaN: not scored, drawn as "n/a").
        gps: "left", "right", "overall" -> GPS (deg).
        labels: variable -> label, in the order to draw.
        reference: variable (and "gps") -> the score of a curve one normative SD from the
            mean everywhere, drawn as a short black dash.
        estimated: the scores come from estimated angles (said in the title).
    """
    from matplotlib.figure import Figure

    def num(v):
        return float(v) if isinstance(v, int | float) and np.isfinite(v) else np.nan

    names = list(labels)
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(names) + 1, dtype=float)
    w = 0.38
    top = 0.0
    for k, side in enumerate(("left", "right")):
        vals = [num((gvs.get(side) or {}).get(v)) for v in names] + [num(gps.get(side))]
        xs = x + (k - 0.5) * w
        ax.bar(xs, np.nan_to_num(vals), w, color=SIDE_COLOURS[side], label=side)
        for xi, v in zip(xs, vals, strict=True):
            ax.text(xi, 0 if np.isnan(v) else v, "n/a" if np.isnan(v) else f"{v:.1f}",
                    ha="center", va="bottom", fontsize=6.5, zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3,
                          "alpha": 0.85})
        top = max(top, np.nanmax(vals + [0.0]))
    ov = num(gps.get("overall"))
    gx = len(names) + 1.0
    ax.bar([gx], [np.nan_to_num(ov)], w * 1.4, color="0.55", label="overall")
    ax.text(gx, 0 if np.isnan(ov) else ov, "n/a" if np.isnan(ov) else f"{ov:.1f}",
            ha="center", va="bottom", fontsize=6.5)
    top = max(top, 0 if np.isnan(ov) else ov)
    if reference:
        first = True
        for xi, v in enumerate([*names, "gps"]):
            ref = reference.get(v)
            if ref is None:
                continue
            span = (xi - w, xi + w) if v != "gps" else (xi - w, gx + w)
            ax.plot(span, [ref, ref], color="black", lw=1.1,
                    label="1 SD from the normal mean" if first else None)
            top, first = max(top, ref), False
    ticks = [*(labels[v] for v in names), "GPS", "GPS\noverall"]
    ax.set_xticks([*x, gx], [t.replace(" ", "\n", 1) for t in ticks], fontsize=7)
    ax.axvline(len(names) - 0.5, color="0.6", lw=0.6)
    ax.set_ylabel("degrees (0 = normal mean curve)", fontsize=7.5)
    ax.set_ylim(0, max(top * 1.15, 1.0))
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, ncols=4, loc="upper left", frameon=False)
    ax.set_title("Movement Analysis Profile: Gait Variable Scores and Gait Profile Score"
                 + (" (from estimated angles)" if estimated else ""), fontsize=9,
                 color=ESTIMATED_HEX if estimated else "black")
    return _save(fig, path, dpi)


def _save(fig, path: Path, dpi: int) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return Path(path)


def curves_figure(curves: dict[tuple[str, str], dict[str, Any]],
                  bands: dict[tuple[str, str], dict[str, np.ndarray]], path: Path,
                  title: str = "", dpi: int = 110,
                  estimated: set[tuple[str, str]] | frozenset = frozenset()) -> Path:
    """Grid of curves, one row per :data:`CURVE_ROWS` segment.

    Args:
        curves: (segment, side) -> output of :func:`mocaplab.reporting.labdata.cycle_curves`
            (missing keys are drawn as "not available").
        bands: (segment, component) -> {"percent", "lower", "upper"} normative band.
        estimated: (segment, component) of curves from landmark estimation (titles say so).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 2.7 * len(CURVE_ROWS) + 0.5), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(CURVE_ROWS), 3))
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
                ax.set_yticks([])
            else:
                _min_span(ax)
            est = drawn and (seg, comp) in estimated
            ax.set_title(f"{label} (estimated)" if est else label, fontsize=9,
                         color=ESTIMATED_HEX if est else "black")
            ax.set_xlim(0, 100)
            ax.tick_params(labelsize=7)
            if r == len(CURVE_ROWS) - 1:
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

    # rows shrink so that six (trunk and the three sagittal joint angles) fit an A4 page
    fig = Figure(figsize=(8.0, min(2.2, 9.6 / max(len(panels), 1)) * len(panels) + 0.6),
                 layout="constrained")
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
                labels: tuple[str, str] = ("before", "after"), dpi: int = 110,
                texts: Sequence[tuple[str, str]] | None = None,
                verdicts: Sequence[str] | None = None) -> Path:
    """Before/after bars for the patient page: (title, before, after, unit) per panel.

    ``texts``: the (before, after) value labels, as the sentences write them (default: two
    decimals); ``verdicts``: a word under each panel's title ("better", "about the same"), the
    same the text says.
    """
    from matplotlib.figure import Figure

    n = max(1, len(items))
    fig = Figure(figsize=(8.0, 2.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n))
    for i, (ax, (title, b, a, unit)) in enumerate(zip(axes, items, strict=False)):
        ax.bar([0, 1], [b, a], color=["#b0b7bf", "#2e86c1"], width=0.6)
        ax.set_xticks([0, 1], [lab.replace(" (", "\n(") for lab in labels], fontsize=7)
        head = title if not verdicts else f"{title}\n{verdicts[i]}"
        ax.set_title(head, fontsize=8.5)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.margins(y=0.18)
        for x, v, k in ((0, b, 0), (1, a, 1)):
            if np.isfinite(v):
                text = texts[i][k] if texts else f"{v:.2f}"
                ax.text(x, v, text, ha="center", va="bottom", fontsize=8)
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
