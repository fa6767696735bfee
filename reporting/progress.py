"""Progress report of one subject across two sessions (before / after treatment), PDF and HTML.

Page 1 is written for the patient in plain words; then a comparison table for the clinician
(symmetry, stride length, speed, pelvic obliquity, spinal rotation, weight shifting), the mean
curves of both sessions overlaid, and key frames side by side when the viewer can render them.

Per session, every analysed trial of ``LAB/<subject>/<session>/`` is used: scalar metrics are
averaged over trials and gait cycles are pooled for the curves. The comparison itself comes from
:func:`mocaplab.analysis.compare_metrics` (its table is added to the report); the key metrics
and the patient page use the local difference in :func:`compare`.
"""

from __future__ import annotations

import dataclasses
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.analysis import normative
from mocaplab.analysis.augmenter import (
    TILT_CHANGE_ERROR_DEG,
    TILT_POSTURE_CHANGE_DEG,
    TILT_POSTURE_MISSED_DEG,
    TILT_RANGE_ERROR_DEG,
)
from mocaplab.analysis.compare import compare_metrics
from mocaplab.analysis.metrics_spec import ANGLES, METRICS, Metric, get_path, json_number
from mocaplab.atomic import atomic_path, write_text
from mocaplab.errors import InputError
from mocaplab.reporting import figures, labdata
from mocaplab.reporting.exports import pseudonym
from mocaplab.reporting.paths import safe_join, trial_dir_problem
from mocaplab.reporting.report import fmt_value
from mocaplab.trial import Trial


@dataclasses.dataclass(frozen=True)
class KeyMetric:
    """A metric of the progress report, a view of metrics of the spec.

    ``sources``: spec metric keys; the first one a trial stores a value of is used.
    ``side``: the spec side whose stored value (and label, :meth:`Metric.value_label`) the
    report shows: ``overall`` is the value analysis stores for both sides.
    ``asymmetry``: the report shows |symmetry index| of the source (its stored symmetry index;
    unit %, lower is better) instead of its value. Label, unit and better direction otherwise
    come from the spec.
    ``threshold``: changes smaller than this are called "about the same" (a mocaplab default
    meant to stay above trial-to-trial noise, not a clinically validated minimal difference).
    """

    key: str
    sources: tuple[str, ...]
    threshold: float
    plain: str
    asymmetry: bool = False
    side: str = ""

    @property
    def metric(self) -> Metric:
        return METRICS[self.sources[0]]

    @property
    def label(self) -> str:
        return self.metric.value_label("symmetry" if self.asymmetry else self.side,
                                       absolute=self.asymmetry)

    @property
    def unit(self) -> str:
        return "%" if self.asymmetry else self.metric.unit

    @property
    def better(self) -> str:
        return "lower" if self.asymmetry else self.metric.better


KEY_METRICS = (
    KeyMetric("step_length_asymmetry", ("step_length_m",), 3.0,
              "how different your left and right steps are", asymmetry=True),
    KeyMetric("stance_asymmetry", ("stance_pct",), 3.0,
              "how different the time on each leg is", asymmetry=True),
    KeyMetric("stride_length_m", ("stride_length_m",), 0.05, "the length of your strides",
              side="overall"),
    KeyMetric("speed_m_s", ("speed_m_s",), 0.05, "your walking speed", side="overall"),
    KeyMetric("pelvis_obliquity_range_deg", ("pelvis_obliquity_range_deg",), 2.0,
              "how much your hips tilt from side to side", side="overall"),
    KeyMetric("spine_rotation_range_deg", ("spine_rotation_range_deg",), 2.0,
              "how much your upper body twists against your hips", side="overall"),
    # weight shifting: analysis' mediolateral excursion per stride, else the trial's hip sway
    KeyMetric("weight_shift_m", ("weight_shift_mediolateral_excursion_m",
                                 "pelvis_lateral_sway_m"), 0.01,
              "how far you shift your weight from side to side"),
    # overall GPS; 1.6 deg: its minimal clinically important difference (Baker et al. 2012)
    KeyMetric("gps_deg", ("gps_deg",), 1.6,
              "how far your walking pattern is from a typical one, in one score",
              side="overall"),
)
#: The trunk angles the clinic asks about (hip pain from the lower back) beside the sagittal
#: joint angles.
OVERLAY_TRUNK = (("pelvis", "obliquity"), ("pelvis", "rotation"), ("spine", "rotation"))
#: The overlay's (segment, component, title) rows, in the order and with the labels of the
#: metrics specification's ANGLES: the trunk angles above, then every lower-limb joint's
#: sagittal component (Vicon's X: hip and knee flexion, ankle dorsiflexion).
OVERLAY_PANELS = tuple((a.segment, a.component, a.label) for a in ANGLES
                       if (a.segment, a.component) in OVERLAY_TRUNK
                       or (a.segment in ("hip", "knee", "ankle") and a.vicon.endswith(" X")))


def _session_folders(lab_dir: Path, subject: str, session: str
                     ) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(analysed trial folders the lab index takes, analysed folders it leaves out with why):
    the rule is the index's (:func:`mocaplab.reporting.paths.trial_dir_problem`)."""
    sdir = safe_join(lab_dir, subject, session)
    if not sdir.is_dir():
        raise InputError(f"no session {subject}/{session} in the lab")
    root = Path(lab_dir).resolve()
    kept, left_out = [], []
    for d in sorted(p for p in sdir.iterdir() if Trial(p).metrics_path.is_file()):
        why = trial_dir_problem(root, d)
        if why is None:
            kept.append(d)
        else:
            left_out.append((d, why))
    return kept, left_out


def session_trials(lab_dir: Path, subject: str, session: str) -> list[Path]:
    """Analysed trial folders of one session (those with metrics.json that the lab index takes:
    a folder such as 'walk 03', whose name is no valid id, is left out as by the index;
    :func:`session_left_out` says which and why)."""
    trials, left_out = _session_folders(lab_dir, subject, session)
    if not trials:
        why = "".join(f"; {d.name!r} is left out: {w}" for d, w in left_out)
        raise InputError(f"session {subject}/{session} has no analysed trial (metrics.json){why}")
    return trials


def session_left_out(lab_dir: Path, subject: str, session: str) -> list[str]:
    """"session/folder: why" of the session's analysed folders (metrics.json) that the lab
    index, and so the progress report, leaves out."""
    return [f"{session}/{d.name}: {why}" for d, why in _session_folders(lab_dir, subject,
                                                                         session)[1]]


def key_metrics_of(data: Mapping[str, Any]) -> dict[str, float]:
    """The KEY_METRICS values of one metrics.json object, as analysis stored them (the value
    at the key metric's side; asymmetries as |stored symmetry index|); nothing is averaged."""
    out: dict[str, float] = {}
    for km in KEY_METRICS:
        for name in km.sources:
            m = METRICS[name]
            path = m.symmetry_path if km.asymmetry else m.path_of(km.side)
            v = json_number(get_path(data, path)[1]) if path else None
            if v is not None:
                out[km.key] = abs(v) if km.asymmetry else v
                break
    return out


def trial_key_metrics(trial_dir: Path) -> dict[str, float]:
    """The KEY_METRICS values of one trial (:func:`key_metrics_of` its metrics.json)."""
    return key_metrics_of(labdata.load_metrics(trial_dir))


def session_summary(trials: list[Path]) -> dict[str, Any]:
    """Mean key metrics over trials and pooled cycle curves ((segment, side) -> curves).

    A pooled curve is the mean over every cycle of the trials: the trials' stored mean curves
    (metrics.json ``cycles``) weighted by their cycle counts, point by point over the trials
    that have a value there; its SD is not given."""
    per_trial = [trial_key_metrics(t) for t in trials]
    keys = sorted({k for m in per_trial for k in m})
    means = {k: float(np.mean([m[k] for m in per_trial if k in m])) for k in keys}
    curves: dict[tuple[str, str], dict[str, Any]] = {}
    for seg in dict.fromkeys(a.segment for a in ANGLES):  # every segment of metrics.json
        for side in labdata.SIDES:
            pooled: dict[str, list[tuple[np.ndarray, int]]] = {}
            for t in trials:
                try:
                    c = labdata.cycle_curves(labdata.load_metrics(t), seg, side)
                except InputError:
                    continue
                for comp, a in c["angles"].items():
                    if a["n_cycles"]:
                        pooled.setdefault(comp, []).append(
                            (labdata.angle_array(a["mean"]), a["n_cycles"]))
            if pooled:
                curves[(seg, side)] = {"percent": np.linspace(0, 100, 101).tolist(),
                                       "angles": {comp: pooled_mean(per) for comp, per
                                                  in pooled.items()}}
    return {"trials": [t.name for t in trials], "metrics": means, "curves": curves,
            "per_trial": per_trial}


def pooled_mean(per_trial: list[tuple[np.ndarray, int]]) -> dict[str, Any]:
    """Mean curve over the cycles of several trials from (mean curve (101,), n_cycles) each."""
    arr = np.stack([m for m, _ in per_trial])
    w = np.array([n for _, n in per_trial], float)[:, None] * np.isfinite(arr)
    total = w.sum(0)
    mean = np.where(total > 0, np.sum(np.nan_to_num(arr) * w, 0) / np.maximum(total, 1e-12),
                    np.nan)
    return {"mean": [None if not np.isfinite(v) else float(v) for v in mean],
            "sd": [None] * len(mean), "n_cycles": int(sum(n for _, n in per_trial)),
            "cycles": []}


def compare(before: dict[str, float], after: dict[str, float],
            typical: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Local before/after difference of the KEY_METRICS, with a verdict per metric: by the
    spec's better direction; a metric without one is judged by its distance to the typical
    value (``typical``: key -> value, e.g. the normative range of motion) when known, else
    described as "increased"/"decreased" and said to be not judged."""
    typical = typical or {}
    rows = []
    for km in KEY_METRICS:
        b, a = before.get(km.key), after.get(km.key)
        if b is None or a is None:
            rows.append({"metric": km, "before": b, "after": a, "change": None,
                         "verdict": "not available"})
            continue
        d = a - b
        if abs(d) < km.threshold:
            verdict = "about the same"
        elif not km.better and km.key in typical:
            t = typical[km.key]
            verdict = "improved" if abs(a - t) < abs(b - t) else "worse"
        elif not km.better:
            verdict = "increased" if d > 0 else "decreased"
        else:
            verdict = "improved" if (d < 0) == (km.better == "lower") else "worse"
        rows.append({"metric": km, "before": b, "after": a, "change": d, "verdict": verdict})
    return rows


#: Table 2, the clinician's: the key values of the clinical question (walking speed and steps,
#: asymmetry, the pelvis in three planes, leg length, spine, weight shifting, the Gait Profile
#: Score) as (spec metric key, side); side "L/R" puts left and right in one row. Every value of
#: the metrics specification is in the CSV written beside the report (:data:`COMPARISON_CSV`).
TABLE2: tuple[tuple[str, str], ...] = (
    ("speed_m_s", "overall"), ("cadence_steps_per_min", "overall"),
    ("stride_length_m", "overall"), ("step_length_m", "L/R"), ("step_width_m", "overall"),
    ("step_length_m", "symmetry"), ("step_time_s", "symmetry"), ("stance_pct", "symmetry"),
    ("pelvis_tilt_mean_deg", "L/R"), ("pelvis_tilt_range_deg", "L/R"),
    ("pelvis_obliquity_range_deg", "L/R"), ("pelvis_rotation_range_deg", "L/R"),
    ("leg_length_left_minus_right_m", "asymmetry"),
    ("functional_leg_length_left_minus_right_m", "asymmetry"),
    ("pelvic_drop_contralateral_max_left_minus_right_deg", "asymmetry"),
    ("spine_rotation_range_deg", "L/R"), ("spine_lateral_flexion_range_deg", "L/R"),
    ("weight_shift_mediolateral_excursion_m", ""), ("weight_shift_si", "symmetry"),
    ("pelvis_lateral_sway_m", ""), ("hip_flexion_range_deg", "L/R"),
    ("knee_flexion_range_deg", "L/R"), ("gps_deg", "overall"),
)
COMPARISON_CSV = "progress_metrics.csv"
_CSV_COLUMNS = ("key", "side", "label", "unit", "better", "before", "after", "change",
                "change_pct", "direction", "normal_low", "normal_high")


def direction_text(d: dict[str, Any]) -> str:
    """A compare_metrics row's direction in words, judged with the spec's better direction
    where the direction itself does not say (an increase of a higher-is-better metric is
    "increased (better)"; without a better direction "(not judged)")."""
    text = str(d["direction"]).replace("_", " ")
    if d["direction"] in ("increased", "decreased"):
        better = d.get("better")
        if better in ("higher", "lower"):
            good = (d["direction"] == "increased") == (better == "higher")
            text += " (better)" if good else " (worse)"
        else:
            text += " (not judged)"
    return text


def _signed(v: float | None, unit: str) -> str:
    return ("+" if (v or 0) > 0 else "") + fmt_value(v, unit)


def table2_rows(res: dict[str, Any]) -> list[tuple[str, ...]]:
    """Table 2 from a :func:`compare_metrics` result: the :data:`TABLE2` values measured in at
    least one session, left and right folded into "L / R" cells."""
    by_side = {(d["key"], d["side"]): d for d in res["metrics"].values()}
    rows: list[tuple[str, ...]] = [("Metric", "Unit", "Before", "After", "Change", "Direction")]
    for key, side in TABLE2:
        if side == "L/R":
            pair = [by_side.get((key, s)) for s in ("left", "right")]
            if not any(pair):
                continue
            m = METRICS[key]

            def cell(field: str, signed: bool = False, pair=pair, unit=m.unit) -> str:
                return " / ".join((_signed if signed else fmt_value)(
                    d[field] if d else None, unit) for d in pair)
            dirs = [direction_text(d) if d else "-" for d in pair]
            rows.append((f"{m.label} (L / R)", m.unit, cell("before"), cell("after"),
                         cell("change", True),
                         dirs[0] if dirs[0] == dirs[1] else f"L {dirs[0]}; R {dirs[1]}"))
        elif (d := by_side.get((key, side))) is not None:
            rows.append((d["label"], d["unit"], fmt_value(d["before"], d["unit"]),
                         fmt_value(d["after"], d["unit"]), _signed(d["change"], d["unit"]),
                         direction_text(d)))
    return rows


def write_comparison_csv(res: dict[str, Any], path: Path) -> Path:
    """Every compared value of a :func:`compare_metrics` result, one row each (full precision)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_CSV_COLUMNS)
    for d in res["metrics"].values():
        lo, hi = d["normal_range"] or (None, None)
        w.writerow(["" if v is None else v for v in (
            d["key"], d["side"], d["label"], d["unit"], d["better"], d["before"], d["after"],
            d["change"], d["change_pct"], d["direction"], lo, hi)])
    return write_text(path, buf.getvalue())


def analysis_comparison(trials_before: list[Path], trials_after: list[Path],
                        normative_dir: Path | None = None, csv_path: Path | None = None
                        ) -> tuple[list[tuple[str, ...]], str]:
    """Table 2 (:func:`table2_rows`) of :func:`mocaplab.analysis.compare_metrics` between the
    first trials of the two sessions, and the note that says so; every compared value goes to
    ``csv_path`` when given."""
    res = compare_metrics(labdata.load_metrics(trials_before[0]),
                          labdata.load_metrics(trials_after[0]), normative_dir)
    rows = table2_rows(res)
    note = ("Table 2: key metrics, first trial of each session "
            "(mocaplab.analysis.compare_metrics); L / R: left / right. The key metrics above "
            "are session means.")
    if csv_path is not None:
        write_comparison_csv(res, csv_path)
        note += (f" Every metric of the metrics specification ({len(res['metrics'])} values) "
                 f"is in {csv_path.name} beside this report.")
    return rows, note


#: The before/after caveat of pelvic tilt and hip flexion from video (what evaluation found of
#: their between-trial change: analysis/augmenter.TILT_* and docs/kinematics.md).
ESTIMATED_TILT_CHANGE_NOTE = (
    "Pelvic tilt and hip flexion from video (landmark estimation): in evaluation against a "
    "marker system the change of mean pelvic tilt between two walking trials of one subject was "
    f"within {TILT_CHANGE_ERROR_DEG} deg of the marker system's (two pairs), but a "
    f"{TILT_POSTURE_CHANGE_DEG} deg change of posture (standing vs walking) was missed by "
    f"{TILT_POSTURE_MISSED_DEG} deg and the tilt range over a stride was off by up to "
    f"{TILT_RANGE_ERROR_DEG} deg: a change of mean tilt (and of the level of hip flexion) holds "
    "only where the posture did not change, which the video does not tell; a change of the "
    "tilt range is not reliable.")


def estimated_tilt(trials: list[Path]) -> bool:
    """Whether any of the trials' pelvic tilt is estimated (metrics.json provenance.estimated)."""
    for t in trials:
        est = labdata.load_metrics(t).get("provenance", {}).get("estimated") or {}
        if any(f"angles.pelvis.{side}.tilt" in est for side in labdata.SIDES):
            return True
    return False


def session_date(trials: list[Path]) -> str:
    """The visit's date: the earliest trial date (meta.json ``date``, else ``created``)."""
    dates = []
    for t in trials:
        try:
            meta = Trial(t).meta
        except InputError:
            continue
        d = meta.get("date") or meta.get("created")
        if d:
            dates.append(str(d)[:10])
    return min(dates) if dates else ""


def _typical_rom(bands: dict, seg: str, comp: str) -> float | None:
    b = bands.get((seg, comp))
    if b is None:
        return None
    mid = 0.5 * (np.asarray(b["lower"]) + np.asarray(b["upper"]))
    return float(mid.max() - mid.min())


def plain_value(v: float, unit: str) -> str:
    """A value in everyday units, the one text of a number on the patient page: the sentences
    and the bar labels both use it (short lengths in cm, angles and % with one decimal)."""
    if unit == "m":
        return f"{100 * v:.0f} cm" if abs(v) < 0.5 else f"{v:.2f} m"
    if unit == "deg":
        return f"{v:.1f}°"
    if unit == "%":
        return f"{v:.1f} %"
    if unit == "m/s":
        return f"{v:.2f} m/s"
    return f"{v:g} {unit}"


def typical_values(bands: dict) -> dict[str, float]:
    """Typical values of key metrics without a better direction, from the normative bands."""
    out = {}
    rom = _typical_rom(bands, "pelvis", "obliquity")
    if rom is not None:
        out["pelvis_obliquity_range_deg"] = rom
    return out


#: how the patient page and the table say a verdict.
VERDICT_WORDS = {"improved": "better", "worse": "less good", "about the same": "about the same",
                 "increased": "increased (not judged)", "decreased": "decreased (not judged)",
                 "not available": "not available"}


def plain_sentences(rows: list[dict[str, Any]], bands: dict) -> list[str]:
    """The patient page: one short sentence per key metric, in everyday words."""
    out = []
    typical = typical_values(bands)
    for r in rows:
        km: KeyMetric = r["metric"]
        if r["change"] is None:
            continue
        b, a = plain_value(r["before"], km.unit), plain_value(r["after"], km.unit)
        v = r["verdict"]
        if km.key.endswith("asymmetry"):
            if v == "about the same":
                s = (f"The difference between your left and right sides ({km.plain}) is about "
                     f"the same as before: {b} then, {a} now (0 would be perfectly even).")
            else:
                s = (f"Your left and right sides are {'more' if v == 'improved' else 'less'} "
                     f"even than before ({km.plain}: {b} before, {a} now; 0 would be "
                     "perfectly even).")
        elif v == "about the same":
            s = f"{km.plain.capitalize()} is about the same as before ({b} then, {a} now)."
        elif v in ("improved", "worse"):
            s = (f"{km.plain.capitalize()}: {b} before, {a} now. This is "
                 f"{'better' if v == 'improved' else 'less good'} than before")
            s += (" (closer to what is typical)." if v == "improved" and km.key in typical
                  else " (further from what is typical)." if km.key in typical else ".")
        else:
            s = (f"{km.plain.capitalize()} has {v}: {b} before, {a} now. Whether this is "
                 "better or worse depends on you: your care team will tell you.")
        t = typical.get(km.key)
        if t is not None:
            s += (" For people without walking problems it is typically about "
                  f"{plain_value(t, km.unit)}.")
        out.append(s)
    return out


def write_progress_report(lab_dir: str | Path, subject: str, before: str, after: str,
                          out_dir: str | Path, normative_dir: str | Path | None = None, *,
                          pseudonymise: bool = False, pseudonym_key: bytes | str | None = None,
                          key_frames: bool | str = True,
                          video_frames: str | Path | None = None) -> dict[str, Path]:
    """Write ``progress.pdf`` and ``progress.html`` (and figures) comparing two sessions.

    ``video_frames``: the ``key_frames.png`` of a before/after video
    (:mod:`mocaplab.compare_video`), shown as "Your walk on video" when given.

    Returns {"pdf", "html", "csv" (every compared metric), "bars", "overlay", ["key_frames"],
    ["video_frames"]} paths. The sessions' trials are those the lab index takes
    (:func:`session_trials`); the folders it leaves out are named, with why, in the notes.
    """
    lab_dir = Path(lab_dir)
    out_dir = Path(out_dir)
    if before == after:  # a report of "no change" between a session and itself
        # the CLI says --before/--after itself; this reaches API clients (before=, after=)
        raise InputError(f"before and after are the same session ({before}): give the "
                         f"session before treatment and the one after it for {subject}")
    out_dir.mkdir(parents=True, exist_ok=True)
    tb, ta = session_trials(lab_dir, subject, before), session_trials(lab_dir, subject, after)
    sb, sa = session_summary(tb), session_summary(ta)
    norm = normative.find_normative_dir(normative_dir)
    bands = normative.angle_bands(norm) if norm else {}
    rows = compare(sb["metrics"], sa["metrics"], typical_values(bands))
    db, da = session_date(tb), session_date(ta)
    vb = f"{before} ({db})" if db else before
    va = f"{after} ({da})" if da else after
    ext_rows, cmp_note = analysis_comparison(tb, ta, norm, out_dir / COMPARISON_CSV)
    label = subject
    if pseudonymise:
        label = pseudonym(subject, pseudonym_key or os.environ.get("MOCAPLAB_PSEUDONYM_KEY", ""))
    sentences = plain_sentences(rows, bands)
    out: dict[str, Path] = {}
    # the bars show the rows the sentences speak of, with the same value texts and verdicts
    shown = [r for r in rows if r["change"] is not None][:4]
    bar_items = [(r["metric"].label, r["before"], r["after"],
                  r["metric"].unit) for r in shown]
    out["bars"] = figures.bars_figure(
        bar_items, out_dir / "progress_bars.png", labels=(vb, va),
        texts=[(plain_value(r["before"], r["metric"].unit),
                plain_value(r["after"], r["metric"].unit)) for r in shown],
        verdicts=[VERDICT_WORDS.get(r["verdict"], r["verdict"]) for r in shown])
    out["overlay"] = figures.overlay_figure(sb["curves"], sa["curves"], OVERLAY_PANELS,
                                            out_dir / "progress_curves.png",
                                            labels=(vb, va), bands=bands)
    notes = ["Thresholds for 'about the same' are mocaplab defaults above typical "
             "trial-to-trial variation (asymmetry 3 points, lengths 5 cm, speed 0.05 m/s, angles "
             "2 degrees, sway 1 cm); they are not clinically validated minimal differences, "
             "except the Gait Profile Score's 1.6 degrees (its minimal clinically important "
             "difference, Baker et al. 2012)."]
    if not norm:
        notes.append("No normative data: typical values and bands are not shown.")
    left_out = session_left_out(lab_dir, subject, before) + session_left_out(lab_dir, subject,
                                                                             after)
    if left_out:
        notes.append("Left out of this report, as of the lab index (not trials of the lab): "
                     + "; ".join(left_out) + ".")
    if key_frames:
        from mocaplab.errors import MocaplabError
        from mocaplab.viewer.keyframe_figure import comparison_figure

        try:
            out["key_frames"] = comparison_figure(
                [tb[0], ta[0]], [f"BEFORE: {vb}", f"AFTER: {va}"],
                out_dir / "progress_key_frames.png", exaggeration=1.0)
        except (MocaplabError, OSError, ValueError) as exc:
            notes.append(f"Key frames omitted: {exc}.")
    if video_frames is not None and Path(video_frames).is_file():
        out["video_frames"] = Path(video_frames)
    content = {"subject": label, "before": vb, "after": va, "sentences": sentences,
               "rows": rows, "ext_rows": ext_rows, "ext_note": cmp_note, "notes": notes,
               "tilt_note": ESTIMATED_TILT_CHANGE_NOTE if estimated_tilt(tb + ta) else "",
               "trials": (sb["trials"], sa["trials"])}
    out["csv"] = out_dir / COMPARISON_CSV
    out["pdf"] = _write_pdf(content, out, out_dir / "progress.pdf")
    out["html"] = _write_html(content, out, out_dir / "progress.html")
    return out


def _table_rows(content: dict[str, Any]) -> list[list[str]]:
    data = [["Metric", "Unit", content["before"], content["after"], "Change", "Verdict"]]
    for r in content["rows"]:
        km = r["metric"]
        data.append([km.label, km.unit, fmt_value(r["before"], km.unit),
                     fmt_value(r["after"], km.unit),
                     ("+" if (r["change"] or 0) > 0 else "") + fmt_value(r["change"], km.unit),
                     r["verdict"] + (" (not judged)" if r["verdict"] in ("increased", "decreased")
                                     else "")])
    return data


def _write_pdf(content: dict[str, Any], figs: dict[str, Path], out: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
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
    big = ss["BodyText"].clone("big", fontSize=13, leading=18, spaceAfter=8)
    small = ss["BodyText"].clone("small", fontSize=8, leading=10)
    e = html.escape

    def img(path: Path) -> Image:
        w, h = ImageReader(str(path)).getSize()
        return Image(str(path), width=17 * cm, height=17 * cm * h / w)

    story: list[Any] = [
        Paragraph("Your walking: before and after", ss["Title"]),
        Paragraph(e(f"We measured how you walk on two visits: '{content['before']}' and "
                    f"'{content['after']}'. Here is what changed."), big)]
    story += [Paragraph("&bull; " + e(s), big) for s in content["sentences"]]
    story += [Spacer(1, 6), img(figs["bars"]),
              Paragraph("Your care team will explain what these results mean for you.", big),
              PageBreak(), Paragraph(e(f"Progress report - subject {content['subject']}"),
                                     ss["Heading1"]),
              Paragraph(e(f"Trials: {content['before']}: {', '.join(content['trials'][0])}; "
                          f"{content['after']}: {', '.join(content['trials'][1])} "
                          "(metrics averaged over trials; both sides: the overall value analysis "
                          "stores)."), small)]
    t = Table(_table_rows(content), repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                           ("FONTSIZE", (0, 0), (-1, -1), 8)]))
    story += [t, Spacer(1, 6)] + [Paragraph(e(n), small) for n in content["notes"]]
    if content["ext_rows"]:
        et = Table([list(r) for r in content["ext_rows"]], repeatRows=1)
        et.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                                ("FONTSIZE", (0, 0), (-1, -1), 8)]))
        story += [Paragraph("Table 2: key metrics", ss["Heading3"]), et,
                  Paragraph(e(content["ext_note"]), small)]
    story += [PageBreak(), Paragraph("Curves overlaid (dashed: before, solid: after)",
                                     ss["Heading2"])]
    if content["tilt_note"]:  # with the curves and tables of pelvic tilt and hip flexion
        story.append(Paragraph(e(content["tilt_note"]), small))
    story.append(img(figs["overlay"]))
    if "video_frames" in figs:
        story += [PageBreak(), Paragraph("Your walk on video, before and after", ss["Heading2"]),
                  Paragraph("Both visits at the same moments of a step (0, 25, 50 and 75 % of "
                            "the gait cycle); yellow: hip line, cyan: shoulder line, dashed: "
                            "level.", big), img(figs["video_frames"])]
    if "key_frames" in figs:
        story += [PageBreak(), Paragraph("Key frames side by side", ss["Heading2"]),
                  img(figs["key_frames"])]
    with atomic_path(out) as tmp:
        SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm,
                          topMargin=1.5 * cm, bottomMargin=1.5 * cm,
                          title="Progress report", author="mocaplab").build(story)
    return Path(out)


def _write_html(content: dict[str, Any], figs: dict[str, Path], out: Path) -> Path:
    from mocaplab.reporting.report import _png_data_uri

    e = html.escape
    p = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Progress report"
         "</title><style>body{font-family:sans-serif;max-width:60em;margin:auto}"
         ".patient li{font-size:125%;margin:.4em 0}table{border-collapse:collapse}"
         "td,th{border:1px solid #999;padding:2px 6px}th{background:#e8eef4}"
         ".note{font-size:85%;color:#444}</style></head><body>",
         "<section class='patient'><h1>Your walking: before and after</h1>",
         f"<p>We measured how you walk on two visits: '{e(content['before'])}' and "
         f"'{e(content['after'])}'. Here is what changed.</p><ul>",
         *[f"<li>{e(s)}</li>" for s in content["sentences"]],
         f"</ul><img alt='before and after' style='max-width:100%' "
         f"src='{_png_data_uri(figs['bars'])}'></section>",
         f"<h1>Progress report - subject {e(content['subject'])}</h1><table>"]
    rows = _table_rows(content)
    p.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in rows[0]) + "</tr>")
    p += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows[1:]]
    p.append("</table>")
    p += [f"<p class='note'>{e(n)}</p>" for n in content["notes"]]
    if content["ext_rows"]:
        head, *body = content["ext_rows"]
        p.append("<h3>Table 2: key metrics</h3><table><tr>"
                 + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr>"
                 + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                           for r in body) + "</table>"
                 + f"<p class='note'>{e(content['ext_note'])}</p>")
    p.append("<h2>Curves overlaid</h2>")
    if content["tilt_note"]:
        p.append(f"<p class='note'>{e(content['tilt_note'])}</p>")
    p.append(f"<img alt='curves' style='max-width:100%' "
             f"src='{_png_data_uri(figs['overlay'])}'>")
    if "video_frames" in figs:
        p.append(f"<h2>Your walk on video, before and after</h2><img alt='video frames' "
                 f"style='max-width:100%' src='{_png_data_uri(figs['video_frames'])}'>")
    if "key_frames" in figs:
        p.append(f"<h2>Key frames</h2><img alt='key frames' style='max-width:100%' "
                 f"src='{_png_data_uri(figs['key_frames'])}'>")
    p.append("</body></html>")
    return write_text(out, "".join(p))
