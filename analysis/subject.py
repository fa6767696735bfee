"""Subject measurements for the Plug-in Gait lower-limb model, with where each value came from.

Sources, first found wins per value: explicit overrides, the C3D's ``PROCESSING`` group (as Vicon
Nexus/Workstation and pyCGM2 write it: ``LLegLength``, ``RKneeWidth``, ``InterAsisDistance``,
``Marker Diameter``... in millimetres; the marker diameter else from the ``SEG`` group's
``MARKER_DIAMETER``, Workstation's reconstruction marker size, 14 mm on FunctionalWalk as its
PROCESSING says), ``meta.json["subject"]`` (metres: ``leg_length_m``,
``knee_width_m``, ``ankle_width_m``, each a number or ``{"left": .., "right": ..}``), then the
documented defaults below, each said in a warning.

Defaults (used only when the value is nowhere): marker diameter 14 mm (Vicon's documented
default; the files here show 9.5 and 16 mm are also used, so a wrong default shifts the joint
centres by a few millimetres), knee width 100 mm and ankle width 70 mm (adult means), leg length
from the markers (ASIS to medial malleolus, approximated as ASIS to ankle marker), inter-ASIS
distance from the markers, ASIS-trochanter distance from the leg length by Davis's regression
(0.1288 LL - 48.56 mm), static offsets (plantar flexion, foot rotation, tibial torsion, thigh and
shank rotation, ankle abduction/adduction ``AnkleAbAdd``) zero.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

#: Defaults in millimetres (degrees for the offsets); see the module docstring.
DEFAULTS_MM = {"marker_diameter": 14.0, "knee_width": 100.0, "ankle_width": 70.0}


@dataclasses.dataclass(frozen=True)
class SideMeasurements:
    """One side, millimetres (offsets in degrees); None = not given (derived or defaulted)."""

    leg_length_mm: float | None = None
    knee_width_mm: float | None = None
    ankle_width_mm: float | None = None
    asis_trochanter_mm: float | None = None
    static_plantar_flexion_deg: float = 0.0
    static_rotation_offset_deg: float = 0.0
    tibial_torsion_deg: float = 0.0
    thigh_rotation_deg: float = 0.0
    shank_rotation_deg: float = 0.0
    ankle_abadd_deg: float = 0.0


@dataclasses.dataclass(frozen=True)
class Measurements:
    """Subject measurements for Plug-in Gait, per side, and where they came from.

    ``sources``: value name -> "c3d PROCESSING", "meta.json subject", "override" or "default";
    ``warnings``: one line per value defaulted or derived.
    """

    left: SideMeasurements = SideMeasurements()
    right: SideMeasurements = SideMeasurements()
    marker_diameter_mm: float | None = None
    inter_asis_mm: float | None = None
    height_m: float | None = None
    mass_kg: float | None = None
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def side(self, side: str) -> SideMeasurements:
        return self.left if side.upper().startswith("L") else self.right

    @property
    def complete(self) -> bool:
        """True when leg lengths, knee and ankle widths of both sides are measured."""
        return all(getattr(s, f) is not None for s in (self.left, self.right)
                   for f in ("leg_length_mm", "knee_width_mm", "ankle_width_mm"))


# PROCESSING name (without the L/R prefix) -> SideMeasurements field
_SIDE_PARAMS = {
    "LegLength": "leg_length_mm", "KneeWidth": "knee_width_mm", "AnkleWidth": "ankle_width_mm",
    "AsisTrocanterDistance": "asis_trochanter_mm",
    "StaticPlantFlex": "static_plantar_flexion_deg", "StaticRotOff": "static_rotation_offset_deg",
    "TibialTorsion": "tibial_torsion_deg", "ThighRotation": "thigh_rotation_deg",
    "ShankRotation": "shank_rotation_deg", "AnkleAbAdd": "ankle_abadd_deg",
}
_ANGLE_FIELDS = ("static_plantar_flexion_deg", "static_rotation_offset_deg", "tibial_torsion_deg",
                 "thigh_rotation_deg", "shank_rotation_deg", "ankle_abadd_deg")
_META_SIDE = {"leg_length_m": "leg_length_mm", "knee_width_m": "knee_width_mm",
              "ankle_width_m": "ankle_width_mm"}
#: meta.json["subject"] static foot offsets (degrees, 0 allowed) -> SideMeasurements field
_META_OFFSETS = {"static_plantar_flexion_deg": "static_plantar_flexion_deg",
                 "static_rotation_offset_deg": "static_rotation_offset_deg"}


def _number(v) -> float | None:
    try:
        x = float(np.asarray(v, dtype=float).ravel()[0])
    except (TypeError, ValueError, IndexError):
        return None
    return x if math.isfinite(x) else None


def _angle_deg(value: float, radians: bool) -> float:
    return math.degrees(value) if radians else value


def from_processing(processing: Mapping[str, object], *, angles_in_radians: bool | None = None
                    ) -> dict:
    """Raw values from a C3D PROCESSING group (name -> value) as ``Measurements`` keyword parts.

    Static offsets: Vicon Nexus writes them in radians, Vicon Workstation in degrees. Unless
    told, radians are assumed when every offset is within +/- pi/2 and the file has no
    ``Marker Diameter`` entry (Workstation writes one, Nexus does not).
    """
    p = {k.replace(" ", "").lower(): _number(v) for k, v in processing.items()}
    out: dict = {"left": {}, "right": {}, "sources": {}}
    if angles_in_radians is None:
        offsets = [v for k, v in p.items() if v is not None and any(
            k == (s + a).lower() for s in "LR" for a in ("StaticPlantFlex", "StaticRotOff"))]
        angles_in_radians = "markerdiameter" not in p and all(abs(v) <= math.pi / 2
                                                                for v in offsets)
    for side, prefix in (("left", "L"), ("right", "R")):
        for name, field in _SIDE_PARAMS.items():
            v = p.get((prefix + name).lower())
            if v is None:
                continue
            if field in _ANGLE_FIELDS:
                v = _angle_deg(v, angles_in_radians and abs(v) <= math.pi)
            elif v <= 0:
                continue
            out[side][field] = v
            out["sources"][f"{side}.{field}"] = "c3d PROCESSING"
    for key, field in (("markerdiameter", "marker_diameter_mm"),
                       ("interasisdistance", "inter_asis_mm")):
        v = p.get(key)
        if v is not None and v > 0:
            out[field] = v
            out["sources"][field] = "c3d PROCESSING"
    seg = p.get(SEG_MARKER_DIAMETER.lower())
    if "marker_diameter_mm" not in out and seg is not None and seg > 0:
        out["marker_diameter_mm"] = seg
        out["sources"]["marker_diameter_mm"] = "c3d SEG:MARKER_DIAMETER"
    if p.get("height") and p["height"] > 0:
        out["height_m"] = p["height"] / 1000.0
    if p.get("bodymass") and p["bodymass"] > 0:
        out["mass_kg"] = p["bodymass"]
    return out


def from_subject(subject: Mapping[str, object] | None) -> dict:
    """``meta.json["subject"]`` (metres, static foot offsets in degrees; left/right or one
    value) as ``Measurements`` parts."""
    out: dict = {"left": {}, "right": {}, "sources": {}}
    if not subject:
        return out
    for key, field in _META_SIDE.items():
        v = subject.get(key)
        if v is None:
            continue
        per_side = v if isinstance(v, Mapping) else {"left": v, "right": v}
        for side in ("left", "right"):
            x = _number(per_side.get(side))
            if x is not None and x > 0:
                out[side][field] = x * 1000.0
                out["sources"][f"{side}.{field}"] = "meta.json subject"
    for key, field in _META_OFFSETS.items():
        v = subject.get(key)
        per_side = v if isinstance(v, Mapping) else {"left": v, "right": v}
        for side in ("left", "right"):
            x = _number(per_side.get(side))
            if x is not None:
                out[side][field] = x
                out["sources"][f"{side}.{field}"] = "meta.json subject"
    for key, field, scale in (("marker_diameter_m", "marker_diameter_mm", 1000.0),
                              ("inter_asis_m", "inter_asis_mm", 1000.0),
                              ("height_m", "height_m", 1.0), ("mass_kg", "mass_kg", 1.0)):
        x = _number(subject.get(key))
        if x is not None and x > 0:
            out[field] = x * scale
            out["sources"][field] = "meta.json subject"
    return out


def merge(*parts: dict) -> Measurements:
    """Combine ``from_processing``/``from_subject`` parts, earlier ones winning per value."""
    side_vals: dict[str, dict] = {"left": {}, "right": {}}
    top: dict = {}
    sources: dict[str, str] = {}
    for part in reversed(parts):        # later parts first, earlier ones overwrite
        for side in ("left", "right"):
            side_vals[side].update(part.get(side, {}))
        for k, v in part.items():
            if k not in ("left", "right", "sources"):
                top[k] = v
        sources.update(part.get("sources", {}))
    return Measurements(SideMeasurements(**side_vals["left"]),
                        SideMeasurements(**side_vals["right"]), sources=sources, **top)


def missing_warnings(m: Measurements) -> list[str]:
    """One line per measurement that will be defaulted or derived from the markers."""
    out = []
    if m.marker_diameter_mm is None:
        out.append(f"marker diameter not given: {DEFAULTS_MM['marker_diameter']:g} mm assumed "
                   "(Plug-in Gait default; joint centres move by half any difference)")
    for side in ("left", "right"):
        s = m.side(side)
        if s.knee_width_mm is None:
            out.append(f"{side} knee width not measured: {DEFAULTS_MM['knee_width']:g} mm "
                       "assumed (knee joint centre, knee and hip angles less accurate)")
        if s.ankle_width_mm is None:
            out.append(f"{side} ankle width not measured: {DEFAULTS_MM['ankle_width']:g} mm "
                       "assumed (ankle joint centre, ankle and knee angles less accurate)")
        if s.leg_length_mm is None:
            out.append(f"{side} leg length not measured: estimated from the ASIS-to-ankle "
                       "marker distance (hip joint centre less accurate)")
    no_offsets = static_offsets_missing(m)
    if no_offsets:
        out.append(f"{' and '.join(no_offsets)} static foot offsets (StaticPlantFlex, "
                   "StaticRotOff) not given: 0 assumed. Plug-in Gait takes them from the "
                   "subject's static calibration, so ankle angles and foot progression can "
                   "differ from a Plug-in Gait report by them (13-14 deg of ankle dorsiflexion "
                   "on a Nexus file without them); give the static trial (--static STATIC.c3d)")
    return out


def static_offsets_missing(m: Measurements) -> list[str]:
    """The sides whose static foot offsets (plant flexion and rotation) came from nowhere (no
    PROCESSING entry, no static trial): 0 was assumed for both."""
    return [side for side in ("left", "right")
            if f"{side}.static_plantar_flexion_deg" not in m.sources
            and f"{side}.static_rotation_offset_deg" not in m.sources]


#: Key under which read_processing adds the SEG group's MARKER_DIAMETER (Vicon Workstation's
#: reconstruction marker size), used for the marker diameter when PROCESSING has none.
SEG_MARKER_DIAMETER = "SEG:MARKER_DIAMETER"


def read_processing(path) -> dict[str, object]:
    """The PROCESSING group of a C3D file (name -> value list), {} if it has none; plus the
    SEG group's MARKER_DIAMETER under :data:`SEG_MARKER_DIAMETER` when the file has one."""
    import ezc3d

    try:
        params = ezc3d.c3d(str(path))["parameters"]
    except Exception:  # unreadable files are reported by the marker reader
        return {}
    group = params.get("PROCESSING", {})
    out = {k: v["value"] for k, v in group.items() if isinstance(v, dict) and "value" in v}
    seg = params.get("SEG", {}).get("MARKER_DIAMETER")
    if isinstance(seg, dict) and "value" in seg:
        out[SEG_MARKER_DIAMETER] = seg["value"]
    return out


def measurements_for(processing: Mapping[str, object] | None = None,
                     subject: Mapping[str, object] | None = None,
                     overrides: dict | None = None) -> tuple[Measurements, list[str]]:
    """Measurements from overrides, a C3D PROCESSING group and meta.json's subject (in that
    order of precedence), with the warnings for what is defaulted."""
    m = merge(overrides or {}, from_processing(processing or {}), from_subject(subject))
    return m, missing_warnings(m)
