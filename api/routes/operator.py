"""Writes (operator role): trial annotations, re-indexing, processing jobs and their state."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi import Path as PathParam

from mocaplab.api import schemas
from mocaplab.api.deps import ERRORS, Reader, State, TrialDep, Writer
from mocaplab.api.jobs import JobConflict
from mocaplab.api.routes.trials import get_trial_meta
from mocaplab.reporting.db import index_lab, index_trial
from mocaplab.reporting.paths import TrialRef

router = APIRouter()


@router.patch("/v1/trials/{subject}/{session}/{trial}/annotations",
              response_model=schemas.TrialDetail, responses=ERRORS,
              summary="Set operator notes/tags of a trial (operator)")
def annotate(who: Writer, state: State, t: TrialDep,
             body: Annotated[schemas.Annotations, Body()]) -> dict[str, Any]:
    from mocaplab.trial import Trial

    ref, path = t
    if body.tags and any(not re.fullmatch(r"[\w .-]{1,40}", tag) for tag in body.tags):
        raise HTTPException(400, "tags must be 1-40 letters, digits, spaces, '_', '.', '-'")
    # a merge patch: the fields given replace theirs (null removes one), the others are kept
    # (a body with notes only, or {}, erased the tags and notes already there); read and
    # written under the trial's meta lock (a running job writes meta.json too)
    with Trial(path).edit_meta() as meta:
        before = meta.get("annotations")
        ann = dict(before) if isinstance(before, dict) else {}
        for k, v in body.model_dump(exclude_unset=True).items():
            if v is None:
                ann.pop(k, None)
            else:
                ann[k] = v
        ann["by"] = who.name
        meta["annotations"] = ann
    index_trial(state.engine, path, state.lab_dir)
    return get_trial_meta(who, state, t)


@router.post("/v1/index", response_model=schemas.IndexResult, responses=ERRORS,
             summary="Re-index the lab folder (operator)")
def reindex(_: Writer, state: State) -> dict[str, Any]:
    return index_lab(state.engine, state.lab_dir)


@router.post("/v1/trials/{subject}/{session}/{trial}/process", status_code=202,
             response_model=schemas.JobOut, responses={**ERRORS, 409: {"model": schemas.ErrorOut}},
             summary="Start processing a trial (operator); follow it at /v1/jobs/{id}")
def process(who: Writer, state: State, t: TrialDep) -> dict[str, Any]:
    ref, path = t
    try:
        return state.jobs.submit(ref.key, path, who.name)
    except JobConflict as exc:
        raise HTTPException(409, {"message": str(exc), "job": exc.job}) from None


@router.get("/v1/jobs", response_model=schemas.JobList, responses=ERRORS,
            summary="Recent processing jobs")
def list_jobs(_: Reader, state: State, trial: Annotated[str | None, Query(max_length=200)] = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    key = TrialRef.parse(trial).key if trial else None
    return {"items": state.jobs.list(key, limit)}


@router.get("/v1/jobs/{job_id}", response_model=schemas.JobOut, responses=ERRORS,
            summary="State and progress of one job")
def get_job(_: Reader, state: State, job_id: Annotated[str, PathParam(pattern="^[0-9a-f]{32}$")]
            ) -> dict[str, Any]:
    j = state.jobs.get(job_id)
    if j is None:
        raise HTTPException(404, f"job {job_id} not found")
    return j
