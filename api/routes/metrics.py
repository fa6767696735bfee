"""The metrics spec: every metric's label, unit, better direction and where it is stored."""

from typing import Any

from fastapi import APIRouter

from mocaplab.analysis.metrics_spec import ANGLES, METRICS, SCHEMA_VERSION
from mocaplab.api import schemas
from mocaplab.api.deps import ERRORS, Reader

router = APIRouter()


@router.get("/v1/metric-definitions", response_model=schemas.MetricDefinitions,
            responses=ERRORS, summary="Label, unit and better direction of every metric")
def metric_definitions(_: Reader) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "items": [
        {"key": m.key, "path": m.path, "sides": list(m.sides), "section": m.section,
         "label": m.label, "unit": m.unit, "better": m.better,
         "normal_range": (f"{m.normal_range.source}: {m.normal_range.column}"
                          if m.normal_range else None),
         "fhir_display": m.fhir.display if m.fhir else None, "description": m.description}
        for m in METRICS], "angles": [
        {"path": f"angles.{a.segment}.{{side}}.{a.component}", "segment": a.segment,
         "component": a.component, "label": a.label, "unit": a.unit, "positive": a.positive,
         "negative": a.negative, "vicon": a.vicon} for a in ANGLES]}
