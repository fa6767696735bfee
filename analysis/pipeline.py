"""`analyze_file`: from an input file to the metrics.json of CONVENTIONS.md.

:func:`gait_of` finds landmarks, progression, angles, events and cycles; each metric section of
metrics.json is then computed from that by its function in :data:`SECTIONS`; every scalar in a
section is declared in :mod:`mocaplab.analysis.metrics_spec`, which also validates and writes
the file.

Frame numbering: a C3D's stored sample i is frame ``first_frame + i`` (1-based); inputs without
their own numbering start at frame 1. ``time_s = (frame - 1) / fps``. Events also carry
``time_subframe_s`` (the sub-frame estimate, same time base) and the ``method`` that timed them.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mocaplab import __version__
from mocaplab.analysis.angles import SegmentAngles, pelvis_angles, spine_angles, thorax_angles
from mocaplab.analysis.capture import capture_section
from mocaplab.analysis.cycles import Cycle, find_cycles, mean_sd
from mocaplab.analysis.events import (
    MARKER_EVENT_OPTIONS,
    EventOptions,
    GaitEvent,
    belt_speed,
    detect_events,
)
from mocaplab.analysis.gait_profile import gait_profile_section, unscored
from mocaplab.analysis.inputs import AnalysisInput, load_input
from mocaplab.analysis.kinematics import Kinematics, angle_arrays, kinematics_of
from mocaplab.analysis.landmarks import Landmarks, find_landmarks, jump_warning, smoothed
from mocaplab.analysis.metrics_spec import (
    METRICS,
    SCHEMA_VERSION,
    Reliability,
    get_path,
    json_number,
    write_metrics,
)
from mocaplab.analysis.progression import Progression, pelvis_centre, progression, travel_m
from mocaplab.analysis.spatiotemporal import (
    leg_length,
    spatial_warnings,
    spatiotemporal,
    weight_shift,
)
from mocaplab.analysis.trial_ranges import angle_range, trial_ranges
from mocaplab.atomic import json_safe
from mocaplab.errors import InputError
from mocaplab.trial import Trial


@dataclasses.dataclass(frozen=True, eq=False)
class Gait:
    """What every metrics.json section is computed from: one trial's landmarks (Z-up, smoothed
    as asked), progression frame, segment angles, the lower-limb kinematics (``kin``; ``joints``
    = joint -> side -> component -> (F,) degrees, NaN where not available), gait events and
    cycles, per side the cycle curves (``curves[side][segment][angle] = {"mean", "sd",
    "curves", "n_cycles"}``,
    101 points, segments pelvis, thorax, spine, hip, knee, ankle, foot_progression), and the
    normative folder asked for (None: the one locator's default)."""

    data: AnalysisInput
    lm: Landmarks
    prog: Progression
    pelvis: SegmentAngles
    thorax: SegmentAngles
    spine: SegmentAngles
    events: list[GaitEvent]
    cycles: list[Cycle]
    curves: dict
    kin: Kinematics
    joints: dict
    normative_dir: str | None = None


#: The metric sections of metrics.json, in file order: name -> function(gait) -> JSON object.
#: To add a metric: compute it in its section's function and register it in
#: analysis/metrics_spec.py; a new section gets a line here (see docs/analysis.md, "How to add
#: a metric").
SECTIONS: dict[str, Callable[[Gait], dict]] = {
    "gait_profile": lambda g: gait_profile_section(
        {side: {k: v for k, v in g.curves[side].items() if k != "n_cycles"}
         for side in ("left", "right")}, g.normative_dir) if g.kin.reliable else unscored(
        "not scored: the lower-limb angles are flagged not reliable (see warnings)"),
    "spatiotemporal": lambda g: spatiotemporal(g.lm, g.prog, g.events, g.cycles,
                                               belt_speed(g.lm, g.prog)),
    "leg_length": lambda g: leg_length(g.lm, g.cycles, {"left": g.pelvis.left[:, 1],
                                                        "right": g.pelvis.right[:, 1]}),
    "weight_shift": lambda g: weight_shift(g.lm, g.prog, g.cycles),
    "kinematics_summary": lambda g: {side: {**kinematics_summary(g.curves[side],
                                                                 getattr(g.pelvis, side)),
                                            **joint_summary(g.curves[side])}
                                     for side in ("left", "right")},
    "trial_ranges": lambda g: trial_ranges(g.spine, g.thorax, g.data.points, g.data.labels,
                                           g.lm),
    "capture": lambda g: capture_section(g.data.capture),
}


def plate_contact_indices(data: AnalysisInput, lm) -> list[tuple[str, str, float]]:
    """(side, type, fractional sample index) of the input's clean force-plate contacts."""
    from mocaplab.analysis.force_plates import feet_in_file_frame, plate_contacts

    feet = feet_in_file_frame(data.points, data.labels, lm.labels)
    contacts = plate_contacts(data.force_plates, feet, lm.fps, lm.first_frame)
    return [(s, ty, t * lm.fps + 1 - lm.first_frame) for s, ty, t in contacts]


def gait_of(data: AnalysisInput, *, snap_deg: float = 15.0, event_method: str = "combined",
            smooth_hz: float | None = None, label_map: dict[str, str] | None = None,
            augmenter: str | os.PathLike | None = None,
            normative_dir: str | os.PathLike | None = None,
            static_trial: str | os.PathLike | None = None, flat_foot: bool = False,
            tilt_offset_deg: float | None = None) -> tuple[Gait, list[str], float]:
    """Landmarks, progression, angles, events and cycles of an input: (gait, warnings, the
    smoothing cut-off used in Hz). See :func:`analyze` for the options."""
    try:
        lm = find_landmarks(data.points, data.labels, data.fps, data.first_frame,
                            label_map=label_map)
    except InputError as exc:  # say which file: "the input" may be one of many in a batch
        raise InputError(f"{data.source}: {exc}") from None
    if static_trial is not None and lm.kind == "markerless":
        raise InputError(f"{data.source} holds video keypoints, not skin markers: a static trial "
                         f"({Path(static_trial).name}, --static) gives the foot offsets of "
                         "Plug-in Gait markers only; analyse it without --static")
    warnings: list[str] = list(data.warnings)
    jumps = jump_warning(lm)
    if jumps:
        warnings.append(jumps)
    from mocaplab.analysis.marker_sets import needs_warnings

    empty = {r: lb for r, lb in lm.marker_set.get("labels_without_samples", {}).items()
             if r not in lm.points}     # not those derived from others (SACR from the PSIs...)
    need_lines = needs_warnings(lm.points, empty)
    warnings += need_lines
    if empty:
        warnings.append("marker(s) named in the input but with no valid sample, analysed as "
                        "absent: " + ", ".join(r if lb == r else f"{r} ({lb!r})"
                                              for r, lb in empty.items()))
    if smooth_hz is None:
        smooth_hz = 6.0 if lm.kind == "markerless" else 0.0
    if smooth_hz > 0:
        lm = smoothed(lm, smooth_hz)
    if lm.up_axis != "z":
        warnings.append(f"the input is {lm.up_axis.upper()}-up; rotated to Z-up for analysis")
    prog = progression(lm, snap_deg=snap_deg)
    if not prog.passes:
        slow = float(np.mean(prog.speed_m_s < 0.15)) if len(prog.speed_m_s) else 0.0
        travel = travel_m(pelvis_centre(lm))
        why = (f"the pelvis is slower than 0.15 m/s on {slow:.0%} of the frames, and travels "
               f"{travel:.1f} m, more than a treadmill allows" if slow > 0.5 and travel > 0.5
               else "the pelvis never travels straight faster than 0.15 m/s, and the feet do "
                    "not swing back and forth as on a treadmill")
        warnings.append(f"no walking detected ({why}): "
                        "no gait events; pelvis and thorax angles are relative to the lab axis "
                        "the pelvis faces, as Plug-in Gait does"
                        + ("" if prog.lab_axes and np.isfinite(prog.rotation).any()
                           else " (unavailable here: the facing direction is unknown)"))
    elif prog.excluded.any():
        warnings.append(f"{int(prog.excluded.sum())} frame(s) excluded as turning, standing or "
                        "unknown direction (angles relative to progression are null there)")
    kin = kinematics_of(data, lm, prog, smooth_hz=smooth_hz, augmenter=augmenter,
                        label_map=label_map, static_trial=static_trial, flat_foot=flat_foot,
                        tilt_offset_deg=tilt_offset_deg)
    warnings.extend(kin.warnings)
    # video keypoints with estimated landmarks: the pelvis of the estimated ASIS/PSIS, the trunk
    # (hips to shoulders) relative to it for the spine
    seg_lm = kin.landmarks if kin.landmarks is not None else lm
    pelvis = pelvis_angles(seg_lm, prog)
    thorax = thorax_angles(seg_lm, prog)
    spine = spine_angles(seg_lm)
    # a segment the input cannot feed is said once, by its need line above (what it needs,
    # what was found), not again by the angle model's own note
    said = {line.split(" need ")[0] for line in need_lines}
    for seg in (pelvis, thorax, spine):
        warnings.extend(n for n in seg.notes if not (
            (n.startswith("pelvis angles unavailable") and "pelvis angles" in said)
            or (n.startswith(("thorax angles unavailable", "spine angles unavailable"))
                and "thorax and spine angles" in said)))
    joints = angle_arrays(kin, lm.n_frames)
    ev_opts = EventOptions() if lm.kind == "markerless" else MARKER_EVENT_OPTIONS
    events, ev_warn = detect_events(lm, prog, ev_opts, method="zeni" if event_method == "zeni"
                                    else "combined")
    warnings.extend(ev_warn)
    if event_method == "combined" and data.force_plates:
        from mocaplab.analysis.events import plate_timed_events

        contacts = plate_contact_indices(data, lm)
        if contacts:  # how: provenance.event_timing
            events, _ = plate_timed_events(lm, prog, ev_opts, contacts)
    cycles, cy_warn = find_cycles(events, prog.excluded, lm.fps)
    warnings.extend(cy_warn)
    curves = cycle_curves({"pelvis": pelvis, "thorax": thorax, "spine": spine}, joints, cycles)
    gait = Gait(data, lm, prog, pelvis, thorax, spine, events, cycles, curves, kin, joints,
                None if normative_dir is None else str(normative_dir))
    return gait, warnings, smooth_hz


def cycle_curves(segments: dict[str, SegmentAngles], joints: dict, cycles: list[Cycle]) -> dict:
    """metrics.json ``cycles`` per side: ``n_cycles`` (the side's cycles) and, for every angle
    of the segments (pelvis, thorax, spine) and joints, its curves over the side's cycles
    (:func:`mocaplab.analysis.cycles.mean_sd`: mean, sd, each cycle's curve, n_cycles)."""
    curves: dict = {}
    for side in ("left", "right"):
        cyc = [c for c in cycles if c.side == side]
        curves[side] = {"n_cycles": len(cyc)}
        for name, seg in segments.items():
            arr = getattr(seg, side)
            curves[side][name] = {k: mean_sd(arr[:, i], cyc) for i, k in enumerate(seg.keys)}
        for joint, per_side in joints.items():
            curves[side][joint] = {k: mean_sd(arr, cyc) for k, arr in per_side[side].items()}
    return curves


def analyze(data: AnalysisInput, *, snap_deg: float = 15.0, event_method: str = "combined",
            smooth_hz: float | None = None, label_map: dict[str, str] | None = None,
            augmenter: str | os.PathLike | None = None,
            normative_dir: str | os.PathLike | None = None,
            static_trial: str | os.PathLike | None = None, flat_foot: bool = False,
            tilt_offset_deg: float | None = None) -> dict:
    """Compute every metric of an input; never raises for missing landmarks (see ``warnings``).

    ``event_method``: "combined" (Zeni + foot velocity, timed with the C3D's force-plate
    contacts where it has them), "kinematic" (the same without the plates) or "zeni".
    ``smooth_hz``: low-pass cutoff applied to the trajectories first. Default None = 6 Hz for
    markerless keypoints (triangulation noise), no filtering for markers (Vicon's Plug-in Gait
    outputs are computed from the stored, already filtered, markers). 0 = never filter.
    ``label_map``: role -> input label, overriding the marker-set matching (``--map``).
    ``augmenter``: folder of the marker augmenter model for video keypoints (default: found by
    analysis/augmenter_model.resolve_augmenter). ``normative_dir``: normative data for the Gait
    Profile Score (default: analysis/normative.find_normative_dir). ``static_trial``: a static
    calibration C3D/TRC of the same subject whose markers give the static foot offsets, instead
    of those stored in the input (``flat_foot``: Plug-in Gait's flat-foot option).
    ``tilt_offset_deg``: the estimated pelvis's tilt correction for video keypoints (None: the
    shipped population constant; other values are for evaluation, see
    analysis/kinematics.from_keypoints).
    """
    g, warnings, smooth_hz = gait_of(data, snap_deg=snap_deg, event_method=event_method,
                                     smooth_hz=smooth_hz, label_map=label_map,
                                     augmenter=augmenter, normative_dir=normative_dir,
                                     static_trial=static_trial, flat_foot=flat_foot,
                                     tilt_offset_deg=tilt_offset_deg)
    sections = with_side_means({name: build(g) for name, build in SECTIONS.items()})
    warnings += spatial_warnings(g.lm, g.prog, g.cycles, sections["spatiotemporal"])
    return {
        "schema_version": SCHEMA_VERSION,
        "fps": g.lm.fps,
        "first_frame": g.lm.first_frame,
        "n_frames": g.lm.n_frames,
        "events": events_section(g),
        "angles": {"pelvis": g.pelvis.as_dict(), "spine": g.spine.as_dict(),
                   "thorax": g.thorax.as_dict(), **g.joints},
        **sections,
        "cycles": cycles_section(g),
        "warnings": list(dict.fromkeys(warnings)),
        "provenance": provenance(g, event_method, smooth_hz),
    }


def with_side_means(sections: dict) -> dict:
    """``sections`` with the overall value of every metric the spec computes from its sides
    (``Metric.overall_from_sides``): the mean of the finite left and right values (of the one
    there is; None without). A new dict; ``sections`` is not changed."""
    out = copy.deepcopy(sections)
    for m in METRICS:
        if not m.overall_from_sides or m.section not in out:
            continue
        vals = [json_number(get_path(out, m.path_of(side))[1]) for side in ("left", "right")]
        ok = [v for v in vals if v is not None]
        *parents, leaf = m.path_of("overall").split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = sum(ok) / len(ok) if ok else None
    return out


def events_section(g: Gait) -> list[dict]:
    """metrics.json ``events``: frame in the input's numbering, its time, the sub-frame time
    and the method that timed it (module docstring)."""
    fps, ff = g.lm.fps, g.lm.first_frame
    out = []
    for e in g.events:
        frame = ff + int(round(e.index))
        out.append({"side": e.side, "type": e.type, "time_s": (frame - 1) / fps,
                    "frame": frame, "time_subframe_s": (ff + e.index - 1) / fps,
                    "method": e.method})
    return out


def cycles_section(g: Gait) -> dict:
    """metrics.json ``cycles``: the per-side cycle curves (:func:`cycle_curves`) and each
    cycle's start and end frame."""
    ff = g.lm.first_frame
    return {"normalised_points": 101, **g.curves,
            "list": [{"side": c.side, "start_frame": ff + int(round(c.start)),
                      "end_frame": ff + int(round(c.end))} for c in g.cycles]}


def provenance(g: Gait, event_method: str, smooth_hz: float) -> dict:
    """metrics.json ``provenance``: the input, landmarks and models used, what was estimated,
    the reliability flags, how events were timed, the smoothing, the software and the time."""
    lm, data = g.lm, g.data
    return {
        "input": data.source,
        "input_kind": data.source_kind,
        "landmark_kind": lm.kind,
        "landmarks": dict(lm.labels),
        "marker_set": dict(lm.marker_set),
        "up_axis": lm.up_axis,
        "progression": g.prog.describe(),
        "models": {"pelvis": g.pelvis.model, "thorax": g.thorax.model,
                   "spine": g.spine.model, "lower_limb": g.kin.model},
        "estimated": estimated_paths(g),
        "kinematics": {"model": g.kin.model, "quality": g.kin.quality,
                       "measurements": dict(g.kin.measurements),
                       "reliability": Reliability(
                           g.kin.reliable, g.kin.unreliable_reason, dict(g.kin.not_reliable),
                           dict(g.kin.not_computed)).as_dict()},
        "event_method": event_method,
        "event_timing": dict(Counter(e.method for e in g.events)),
        "smoothing_cutoff_hz": smooth_hz,
        "reference_events": [dict(zip(("side", "type", "time_s", "frame"), e, strict=True))
                             for e in data.reference_events],
        "software": f"mocaplab {__version__}",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def analyze_file(input_path: str | os.PathLike, out_path: str | os.PathLike | None = None,
                 **options) -> dict:
    """Analyse a trial folder, points3d.npz, .c3d or .trc; write metrics.json atomically.

    Returns the metrics.json content (plain JSON types: lists, floats, None for NaN).

    ``out_path`` None: a trial folder gets ``<trial>/metrics.json``; a file input is not
    written (the dict is returned). Options: those of :func:`analyze`.
    """
    data = load_input(input_path)
    metrics = json_safe(analyze(data, **options))
    if out_path is None and Path(input_path).is_dir():
        out_path = Trial(input_path).metrics_path
    if out_path is not None:
        write_metrics(out_path, metrics)
    return metrics


def estimated_paths(g: Gait) -> dict[str, str]:
    """provenance ``estimated``: every metrics.json path obtained through landmark estimation
    -> method (angles, and the Gait Profile Score scored from them)."""
    out = dict(g.kin.estimated)
    if out:
        out["gait_profile"] = "scored from estimated angles (see the angles listed here)"
    return out


def joint_summary(side_curves: dict) -> dict:
    """Scalars of a side's mean cycle curves of the lower-limb angles (deg): hip, knee and
    ankle sagittal ranges, peak knee flexion, mean foot progression (NaN without a cycle)."""
    def mean_of(joint: str, comp: str) -> np.ndarray:
        m = np.asarray((side_curves.get(joint) or {}).get(comp, {}).get("mean", []), float)
        return m[np.isfinite(m)]

    out = {}
    for joint, comp in (("hip", "flexion"), ("knee", "flexion"), ("ankle", "dorsiflexion")):
        m = mean_of(joint, comp)
        out[f"{joint}_{comp}_range_deg"] = float(m.max() - m.min()) if m.size else float("nan")
    knee = mean_of("knee", "flexion")
    out["knee_flexion_max_deg"] = float(knee.max()) if knee.size else float("nan")
    fp = mean_of("foot_progression", "angle")
    out["foot_progression_mean_deg"] = float(fp.mean()) if fp.size else float("nan")
    return out


def kinematics_summary(side_curves: dict, pelvis: np.ndarray | None = None) -> dict:
    """Scalars from a side's mean cycle curves: pelvis mean tilt and ranges of motion (deg).

    Without a mean curve (no gait cycle on that side) a range is taken over the whole trial
    from ``pelvis`` ((F, 3) tilt, obliquity, rotation of that side), when given.
    """
    out = {}
    pel = side_curves.get("pelvis", {})
    for i, key in enumerate(("tilt", "obliquity", "rotation")):
        mean = np.asarray(pel.get(key, {}).get("mean", []), dtype=float)
        ok = mean[np.isfinite(mean)] if mean.size else mean
        rng = float(ok.max() - ok.min()) if ok.size else None
        if rng is None and pelvis is not None:
            rng = angle_range(pelvis[:, i])
        out[f"pelvis_{key}_range_deg"] = float("nan") if rng is None else rng
        if key == "tilt":
            out["pelvis_tilt_mean_deg"] = float(ok.mean()) if ok.size else float("nan")
    return out


def summary_lines(metrics: dict) -> list[str]:
    """A few human-readable lines for the CLI (n/a where a value is missing)."""

    def f(value, fmt: str, unit: str) -> str:  # "n/a" alone: it said "speed n/a m/s"
        return "n/a" if value is None or not np.isfinite(value) else f"{value:{fmt}} {unit}"

    st = metrics["spatiotemporal"]
    o = st["overall"]
    lines = [f"{len(metrics['events'])} events, {o['n_strides']} strides "
             f"({st['left']['n_strides']} left, {st['right']['n_strides']} right)"]
    if o["n_strides"] or o["n_steps"]:
        lines.append(f"cadence {f(o['cadence_steps_per_min'], '.1f', 'steps/min')}, speed "
                     f"{f(o['speed_m_s'], '.2f', 'm/s')}, stride length "
                     f"{f(o['stride_length_m'], '.2f', 'm')}, step width "
                     f"{f(o['step_width_m'], '.3f', 'm')}")
    return lines
