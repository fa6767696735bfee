"""A FHIR R4 ``Bundle`` (type ``collection``) of ``Observation`` resources for one trial.

One Observation per main gait metric; per-side values and the symmetry index are
``component`` entries of it. Units are UCUM (``http://unitsofmeasure.org``).

Codes: no LOINC term could be verified for a point-in-time, lab-measured gait speed, cadence,
stride length or gait-cycle angle range (the walking-speed terms found are a 24-hour maximum,
41956-4, and the NIH Toolbox 4-metre-walk score, 83172-7, neither of which describes this
measurement), so every metric is coded in the local code system :data:`CODE_SYSTEM`, with the
metrics.json key as the code. Which metrics are exported and their display texts come from the
metrics spec (``Metric.fhir``, :mod:`mocaplab.analysis.metrics_spec`); ``FhirCode.loinc`` is
None for every metric on purpose, and a site that has validated LOINC codes can set them there
(they are then added as the first coding).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from mocaplab import __version__
from mocaplab.analysis.metrics_spec import (
    ANGLES,
    GVS_LABELS,
    METRICS,
    FhirCode,
    Reliability,
    angle_curve,
    reliability_of,
)
from mocaplab.reporting import labdata
from mocaplab.reporting.exports import SOURCE_FILE_KEY, ExportIdentity

CODE_SYSTEM = "https://mocaplab.org/fhir/CodeSystem/gait-metrics"
SUBJECT_SYSTEM = "urn:mocaplab:subject"
UCUM = "http://unitsofmeasure.org"

_UCUM = {"m/s": ("m/s", "m/s"), "steps/min": ("steps/min", "/min"), "m": ("m", "m"),
         "s": ("s", "s"), "%": ("%", "%"), "deg": ("deg", "deg")}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    display, code = _UCUM.get(unit, (unit, unit))
    q: dict[str, Any] = {"value": round(float(value), 4), "unit": display}
    if code:
        q.update(system=UCUM, code=code)
    return q


def _code(key: str, fhir: FhirCode) -> dict[str, Any]:
    """The CodeableConcept of ``key`` (a metric key, or ``<key>.<component>``)."""
    codings = [{"system": CODE_SYSTEM, "code": key, "display": fhir.display}]
    if fhir.loinc:
        codings.insert(0, {"system": "http://loinc.org", "code": fhir.loinc[0],
                           "display": fhir.loinc[1]})
    return {"coding": codings, "text": fhir.display}


def _uuid(*parts: str) -> str:
    h = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def _effective(meta: dict[str, Any]) -> str | None:
    for k in ("date", "created"):
        v = str(meta.get(k) or "")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?", v):
            return v
    return None


def estimated_from(metric, estimated: dict[str, str]) -> str | None:
    """How a metric was estimated when it derives from angles obtained through landmark
    estimation (metrics.json ``provenance.estimated``), else None: the Gait Profile Score and
    the kinematics summary of an estimated joint."""
    if not estimated:
        return None
    if metric.section == "gait_profile":
        return estimated.get("gait_profile")
    if metric.section == "kinematics_summary":
        joint = next((j for j in ("foot_progression", "pelvis", "hip", "knee", "ankle")
                      if metric.key.startswith(j + "_")), None)
        if joint is not None:
            return next((v for k, v in estimated.items()
                         if k.startswith(f"angles.{joint}.")), None)
    return None


def _angles_of(metric) -> list[tuple[str, str]]:
    """The (segment, component) angles a metric derives from: a kinematics summary's own angle
    (``knee_flexion_range_deg`` -> knee flexion), every Gait Variable of the Gait Profile
    Score, none otherwise."""
    if metric.section == "gait_profile":
        return [("foot_progression", "angle") if v == "foot_progression" else
                tuple(v.split("_", 1)) for v in GVS_LABELS]
    if metric.section == "kinematics_summary":
        return [(a.segment, a.component) for a in ANGLES
                if metric.key.startswith(f"{a.segment}_{a.component}_")
                or (a.segment == "foot_progression" and metric.key.startswith(a.segment))][:1]
    return []


def unreliable_from(metric, rel: Reliability) -> str | None:
    """Why a metric is not reliable when it derives from angles analysis flags (metrics.json
    ``provenance.kinematics.reliability``), else None: "knee flexion: REASON"."""
    flagged = {}
    for seg, comp in _angles_of(metric):
        why = rel.reason(seg, "left", comp) or rel.reason(seg, "right", comp)
        if why:
            flagged.setdefault(why, []).append(angle_curve(seg, comp).label.lower())
    if not flagged:
        return None
    return "; ".join(f"{', '.join(names)}: {why}" for why, names in flagged.items())


def _method(meta: dict[str, Any]) -> str:
    """How the data were captured: a marker file's analysis (meta.json ``source_file``) is
    another lab's marker-based capture, not mocaplab's markerless one."""
    if meta.get(SOURCE_FILE_KEY):
        suffix = Path(str(meta[SOURCE_FILE_KEY])).suffix.lstrip(".").upper() or "marker"
        return f"marker-based motion capture ({suffix} file from another system) analysed"
    return "markerless multi-camera motion capture"


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
            "method": {"text": f"{_method(meta)} (mocaplab {__version__}), trial {key}"}}
    if when:
        base["effectiveDateTime"] = when
    entries = []
    for row in labdata.spatiotemporal_rows(metrics):
        fhir = METRICS[row["name"]].fhir
        if fhir is None:
            continue
        vals = [v for v in (row["left"], row["right"]) if v is not None]
        value = row["overall"] if row["overall"] is not None else (
            sum(vals) / len(vals) if vals else None)
        if value is None:
            continue
        obs = {**base, "id": _uuid(key, row["name"]),
               "code": _code(row["name"], fhir),
               "valueQuantity": _quantity(value, row["unit"]), "component": []}
        for side in ("left", "right"):
            if row[side] is not None:
                obs["component"].append({
                    "code": _code(f"{row['name']}.{side}",
                                  FhirCode(f"{fhir.display}, {side} side")),
                    "valueQuantity": _quantity(row[side], row["unit"])})
        if row["symmetry_index_pct"] is not None:
            obs["component"].append({
                "code": _code(f"{row['name']}.symmetry_index",
                              FhirCode(f"{fhir.display}, symmetry index 100(L-R)/mean")),
                "valueQuantity": _quantity(row["symmetry_index_pct"], "%")})
        entries.append(obs)
    ranges: dict[str, dict[str, float]] = {}
    for s in labdata.flat_summaries(metrics):
        m = METRICS.get(s["name"])
        if m is not None and m.fhir is not None and m.section != "spatiotemporal":
            ranges.setdefault(s["name"], {})[s["side"]] = s["value"]
    estimated = (metrics.get("provenance") or {}).get("estimated") or {}
    rel = reliability_of(metrics)
    for name, sides in ranges.items():
        m = METRICS[name]
        per_side = [v for side, v in sides.items() if side in ("left", "right")]
        # the value analysis stores for both sides (metrics.json schema >= 3); files written
        # before it stored one get the mean of the sides, as analysis computes it
        value = sides["both"] if "both" in sides else sum(per_side) / len(per_side)
        obs = {**base, "id": _uuid(key, name), "code": _code(name, m.fhir),
               "valueQuantity": _quantity(value, m.unit),
               "component": [{"code": _code(f"{name}.{side}",
                                            FhirCode(f"{m.fhir.display}, {side} side")),
                              "valueQuantity": _quantity(v, m.unit)}
                             for side, v in sides.items() if side in ("left", "right")]}
        how = estimated_from(m, estimated)
        why = unreliable_from(m, rel)
        notes = ([{"text": f"estimated: {how}"}] if how else []) + (
            [{"text": f"from angles flagged not reliable: {why}"}] if why else [])
        if notes:
            obs["note"] = notes
        entries.append(obs)
    for e in entries:
        if not e.get("component"):
            e.pop("component", None)
    return {"resourceType": "Bundle", "id": _uuid(key, "bundle"), "type": "collection",
            **({"timestamp": when + ("T00:00:00Z" if len(when) == 10 else "")} if when else {}),
            "entry": [{"fullUrl": f"urn:uuid:{e['id']}", "resource": e} for e in entries]}
