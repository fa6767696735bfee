"""A FHIR R4 ``Bundle`` (type ``collection``) of ``Observation`` resources for one trial.

One Observation per main gait metric; per-side values and the symmetry index are
``component`` entries of it. Units are UCUM (``http://unitsofmeasure.org``).

Codes: no LOINC term could be verified for a point-in-time, lab-measured gait speed, cadence,
stride length or gait-cycle angle range (the walking-speed terms found are a 24-hour maximum,
41956-4, and the NIH Toolbox 4-metre-walk score, 83172-7, neither of which describes this
measurement), so every metric is coded in the local code system :data:`CODE_SYSTEM`, with the
metrics.json key as the code. :data:`LOINC` maps metric keys to LOINC codes; it is empty on
purpose and a site that has validated codes can fill it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from mocaplab import __version__
from mocaplab.reporting import labdata
from mocaplab.reporting.exports import ExportIdentity

CODE_SYSTEM = "https://mocaplab.org/fhir/CodeSystem/gait-metrics"
SUBJECT_SYSTEM = "urn:mocaplab:subject"
UCUM = "http://unitsofmeasure.org"
LOINC: dict[str, tuple[str, str]] = {}

#: metric key -> display name. Spatiotemporal keys are looked up in the per-side table.
MAIN_METRICS = {
    "speed_m_s": "Walking speed",
    "cadence_steps_per_min": "Cadence",
    "stride_length_m": "Stride length",
    "step_length_m": "Step length",
    "stride_time_s": "Stride time",
    "step_time_s": "Step time",
    "stance_pct": "Stance phase (percent of gait cycle)",
    "swing_pct": "Swing phase (percent of gait cycle)",
    "step_width_m": "Step width",
    "double_support_pct": "Double support (percent of gait cycle)",
}
RANGE_METRICS = {
    "pelvis_obliquity_range_deg": "Pelvic obliquity range of motion",
    "pelvis_rotation_range_deg": "Pelvic rotation range of motion",
    "pelvis_tilt_range_deg": "Pelvic tilt range of motion",
    "spine_rotation_range_deg": "Spinal rotation range of motion",
    "spine_lateral_flexion_range_deg": "Spinal lateral flexion range of motion",
    "weight_shift_mediolateral_excursion_m": "Mediolateral weight shift (pelvis excursion)",
    "pelvis_lateral_sway_m": "Mediolateral pelvic sway about the walking line",
    "leg_length_left_minus_right_m": "Leg length difference (left minus right)",
    "functional_leg_length_left_minus_right_m":
        "Functional leg length difference (left minus right)",
}
_UCUM = {"m/s": ("m/s", "m/s"), "steps/min": ("steps/min", "/min"), "m": ("m", "m"),
         "s": ("s", "s"), "%": ("%", "%"), "deg": ("deg", "deg")}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    display, code = _UCUM.get(unit, (unit, unit))
    q: dict[str, Any] = {"value": round(float(value), 4), "unit": display}
    if code:
        q.update(system=UCUM, code=code)
    return q


def _code(key: str, display: str) -> dict[str, Any]:
    codings = [{"system": CODE_SYSTEM, "code": key, "display": display}]
    if key in LOINC:
        codings.insert(0, {"system": "http://loinc.org", "code": LOINC[key][0],
                           "display": LOINC[key][1]})
    return {"coding": codings, "text": display}


def _uuid(*parts: str) -> str:
    h = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def _effective(meta: dict[str, Any]) -> str | None:
    for k in ("date", "created"):
        v = str(meta.get(k) or "")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?", v):
            return v
    return None


def observation_bundle(trial_dir: Path, ident: ExportIdentity) -> dict[str, Any]:
    """The FHIR R4 Bundle of Observations of one analysed trial."""
    trial_dir = Path(trial_dir)
    metrics = labdata.load_metrics(trial_dir)
    meta = labdata.load_meta(trial_dir)
    when = _effective(meta)
    subject_ref = {"identifier": {"system": SUBJECT_SYSTEM, "value": ident.subject},
                   "display": "pseudonymised subject" if ident.pseudonymised else ident.subject}
    key = f"{ident.subject}/{ident.session}/{ident.trial}"
    base = {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "exam", "display": "Exam"}]}],
            "subject": subject_ref,
            "method": {"text": f"markerless multi-camera motion capture (mocaplab {__version__}),"
                               f" trial {key}"}}
    if when:
        base["effectiveDateTime"] = when
    entries = []
    for row in labdata.spatiotemporal_rows(metrics):
        if row["name"] not in MAIN_METRICS:
            continue
        vals = [v for v in (row["left"], row["right"]) if v is not None]
        value = row["overall"] if row["overall"] is not None else (
            sum(vals) / len(vals) if vals else None)
        if value is None:
            continue
        obs = {**base, "id": _uuid(key, row["name"]),
               "code": _code(row["name"], MAIN_METRICS[row["name"]]),
               "valueQuantity": _quantity(value, row["unit"]), "component": []}
        for side in ("left", "right"):
            if row[side] is not None:
                obs["component"].append({
                    "code": _code(f"{row['name']}.{side}",
                                  f"{MAIN_METRICS[row['name']]}, {side} side"),
                    "valueQuantity": _quantity(row[side], row["unit"])})
        if row["symmetry_index_pct"] is not None:
            obs["component"].append({
                "code": _code(f"{row['name']}.symmetry_index",
                              f"{MAIN_METRICS[row['name']]}, symmetry index 100(L-R)/mean"),
                "valueQuantity": _quantity(row["symmetry_index_pct"], "%")})
        entries.append(obs)
    pts = trial_dir / "points3d.npz"
    ranges: dict[str, dict[str, float]] = {}
    for s in labdata.flat_summaries(metrics, pts if pts.is_file() else None):
        if s["name"] in RANGE_METRICS:
            ranges.setdefault(s["name"], {})[s["side"]] = s["value"]
    for name, sides in ranges.items():
        vals = list(sides.values())
        unit = labdata.unit_of(name)
        obs = {**base, "id": _uuid(key, name), "code": _code(name, RANGE_METRICS[name]),
               "valueQuantity": _quantity(sum(vals) / len(vals), unit),
               "component": [{"code": _code(f"{name}.{side}",
                                            f"{RANGE_METRICS[name]}, {side} side"),
                              "valueQuantity": _quantity(v, unit)}
                             for side, v in sides.items() if side in ("left", "right")]}
        entries.append(obs)
    for e in entries:
        if not e.get("component"):
            e.pop("component", None)
    return {"resourceType": "Bundle", "id": _uuid(key, "bundle"), "type": "collection",
            **({"timestamp": when + ("T00:00:00Z" if len(when) == 10 else "")} if when else {}),
            "entry": [{"fullUrl": f"urn:uuid:{e['id']}", "resource": e} for e in entries]}
