"""Trials: list/search, metadata and status, metrics, events, curves, 3D points."""

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mocaplab.api import schemas
from mocaplab.api.deps import ERRORS, Reader, State, TrialDep, needs_metrics
from mocaplab.errors import InputError
from mocaplab.reporting import labdata
from mocaplab.reporting.db import (
    MetricSummary,
    SessionRow,
    Subject,
    TrialRow,
    trial_matches_text,
    trial_summary,
)
from mocaplab.reporting.paths import ID_PATTERN
from mocaplab.trial import Trial

MAX_PAGE_FRAMES = 2000

router = APIRouter()


def _metric_names(db: Session) -> set[str]:
    """Names a metric filter can take: the metrics spec's keys (and their symmetry indices)
    and every name indexed in the lab."""
    from mocaplab.analysis.metrics_spec import METRICS

    names = {m.key for m in METRICS} | {f"{m.key}_si" for m in METRICS}
    return names | set(db.scalars(select(MetricSummary.name).distinct()))


@router.get("/v1/trials", response_model=schemas.TrialList, responses=ERRORS,
            summary="List or search trials",
            description="Filter by subject, session, status, a text fragment of the key or "
                        "of an annotation tag or the notes (q), and "
                        "the range of one indexed metric summary (e.g. metric="
                        "speed_m_s&min=0.8).")
def list_trials(_: Reader, state: State,
                subject: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
                session: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
                status: Annotated[str | None, Query(pattern=r"^[a-z]{1,20}$")] = None,
                q: Annotated[str | None, Query(max_length=64)] = None,
                metric: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,100}$")] = None,
                min: Annotated[float | None, Query(allow_inf_nan=False)] = None,  # noqa: A002
                max: Annotated[float | None, Query(allow_inf_nan=False)] = None,  # noqa: A002
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                offset: Annotated[int, Query(ge=0, le=schemas.MAX_OFFSET)] = 0) -> dict[str, Any]:
    if (min is not None or max is not None) and not metric:
        raise HTTPException(400, "min/max need a metric name (metric=...)")
    if min is not None and max is not None and min > max:  # answered 200 with no trial
        raise HTTPException(400, f"min={min:g} is above max={max:g}: no value can match; "
                                 "swap them")
    statuses = ["created", *(s for s, _ in Trial(state.lab_dir).stage_files()), "error"]
    if status and status not in statuses:  # a typo listed no trial, as if none matched
        raise HTTPException(400, f"unknown status {status!r}; statuses are {statuses}")
    with Session(state.engine) as db:
        if metric and metric not in _metric_names(db):
            raise HTTPException(400, f"unknown metric {metric!r}: the names are those of "
                                     "/v1/metric-definitions (e.g. stride_length_m, "
                                     "stride_length_m_si for its symmetry index)")
        base = select(TrialRow).join(SessionRow).join(Subject)
        if subject:
            base = base.where(Subject.code == subject)
        if session:
            base = base.where(SessionRow.code == session)
        if status:
            base = base.where(TrialRow.status == status)
        if q:
            base = base.where(trial_matches_text(q))
        if metric:
            ms = select(MetricSummary.trial_id).where(MetricSummary.name == metric)
            if min is not None:
                ms = ms.where(MetricSummary.value >= min)
            if max is not None:
                ms = ms.where(MetricSummary.value <= max)
            base = base.where(TrialRow.id.in_(ms))
        total = db.scalar(select(func.count()).select_from(base.subquery()))
        rows = db.scalars(base.order_by(TrialRow.key).offset(offset).limit(limit)
                          .options(selectinload(TrialRow.session),
                                   selectinload(TrialRow.calibration))).all()
        return {"total": total, "items": [trial_summary(r) for r in rows]}


@router.get("/v1/trials/{subject}/{session}/{trial}", response_model=schemas.TrialDetail,
            responses=ERRORS, summary="Trial metadata and processing status")
def get_trial_meta(_: Reader, state: State, t: TrialDep) -> dict[str, Any]:
    ref, path = t
    with Session(state.engine) as db:
        row = db.scalar(select(TrialRow).where(TrialRow.key == ref.key))
        indexed = trial_summary(row) if row else None
    return {"key": ref.key, "meta": labdata.load_meta(path),
            "status": labdata.trial_status(path), "indexed": indexed}


@router.get("/v1/trials/{subject}/{session}/{trial}/metrics", response_model=schemas.MetricsOut,
            responses=ERRORS, summary="Spatiotemporal table, symmetry, leg length, summaries")
def get_metrics(_: Reader, t: TrialDep) -> dict[str, Any]:
    ref, path = t
    m = needs_metrics(path, ref)
    return {"key": ref.key, "fps": m.get("fps"), "first_frame": int(m.get("first_frame") or 1),
            "spatiotemporal": labdata.spatiotemporal_rows(m),
            "leg_length": m.get("leg_length") or {},
            "summary": labdata.flat_summaries(m),
            "provenance": m.get("provenance") or {}}


@router.get("/v1/trials/{subject}/{session}/{trial}/events", response_model=schemas.EventsOut,
            responses=ERRORS, summary="Gait events (foot strike / foot off)")
def get_events(_: Reader, t: TrialDep) -> dict[str, Any]:
    ref, path = t
    m = needs_metrics(path, ref)
    return {"key": ref.key, "fps": m.get("fps"), "events": labdata.events(m)}


@router.get("/v1/trials/{subject}/{session}/{trial}/curves", response_model=schemas.CurvesOut,
            responses=ERRORS, summary="Cycle-normalised angle curves (0-100 % of the cycle)")
def get_curves(_: Reader, t: TrialDep,
               segment: Annotated[str, Query(pattern=r"^[a-z_]{1,32}$")] = "pelvis",
               side: Annotated[str, Query(pattern="^(left|right)$")] = "left",
               points: Annotated[int, Query(ge=11, le=501)] = 101,
               include_cycles: bool = False) -> dict[str, Any]:
    ref, path = t
    m = needs_metrics(path, ref)
    try:
        c = labdata.cycle_curves(m, segment, side, points)
    except InputError as exc:
        raise HTTPException(404, str(exc)) from None
    from mocaplab.analysis.metrics_spec import angle_curve, reliability_of

    estimated = (m.get("provenance") or {}).get("estimated") or {}
    rel = reliability_of(m)
    for name, a in c["angles"].items():
        if not include_cycles:
            a["cycles"] = []
        try:
            spec = angle_curve(segment, name)
        except KeyError:
            continue
        a.update(label=spec.label, unit=spec.unit, positive=spec.positive,
                 negative=spec.negative, vicon=spec.vicon,
                 estimated=estimated.get(spec.path_of(side)),
                 not_reliable=rel.reason(segment, side, name) or None,
                 not_computed=rel.null_reason(segment, side, name) or None)
    return {"key": ref.key, "segment": segment, "side": side, **c}


@router.get("/v1/trials/{subject}/{session}/{trial}/points", response_model=schemas.PointsOut,
            responses=ERRORS, summary="3D points, paged and/or decimated",
            description=f"Frames start, start+step, ... (at most {MAX_PAGE_FRAMES} per page); "
                        "follow next_start for the next page. Metres, lab frame, null = "
                        "not reconstructed.")
def get_points(_: Reader, t: TrialDep, start: Annotated[int, Query(ge=0, le=schemas.MAX_FRAME)] = 0,
               step: Annotated[int, Query(ge=1, le=1000)] = 1,
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE_FRAMES)] = 500,
               keypoints: Annotated[str | None, Query(max_length=2000,
                                                      pattern=r"^[A-Za-z0-9_,]+$")] = None
               ) -> dict[str, Any]:
    ref, path = t
    if not Trial(path).points3d_path.is_file():
        raise HTTPException(404, f"trial {ref.key} has no points3d.npz yet")
    p = labdata.load_points(Trial(path).points3d_path)
    names = list(p.keypoints)
    idx = list(range(len(names)))
    if keypoints:
        wanted = keypoints.split(",")
        unknown = [k for k in wanted if k not in names]
        if unknown:
            raise HTTPException(400, f"unknown keypoints {unknown}; this trial has {names}")
        idx = [names.index(k) for k in wanted]
    F = p.points.shape[0]
    frames = np.arange(start, F, step)[:limit]
    nxt = int(frames[-1] + step) if len(frames) and frames[-1] + step < F else None
    block = np.round(p.points[frames][:, idx], 5)
    pts = [[[None if not np.isfinite(v) else float(v) for v in kp] for kp in fr]
           for fr in block]
    return {"key": ref.key, "fps": p.fps, "keypoints": [names[i] for i in idx],
            "n_frames_total": F, "frames": [int(f) + 1 for f in frames], "points": pts,
            "next_start": nxt}
