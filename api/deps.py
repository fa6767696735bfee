"""What the routes share: the server state, authentication and trial lookup dependencies.

The state is held on ``app.state.mocaplab`` (set by :func:`mocaplab.api.app.create_app`), never in
a global, and every dependency reaches it through the request.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mocaplab.api import schemas
from mocaplab.api.auth import Principal, TokenStore
from mocaplab.api.jobs import JobRunner, Pipeline
from mocaplab.reporting import exports, labdata
from mocaplab.reporting.db import make_engine
from mocaplab.reporting.paths import ID_PATTERN, TrialRef, trial_path, trial_session
from mocaplab.trial import Trial

MEDIA = {"csv": "text/csv", "json": "application/json", "c3d": "application/octet-stream",
         "trc": "text/plain", "pdf": "application/pdf", "html": "text/html",
         "fhir": "application/fhir+json"}
IdPath = Annotated[str, PathParam(pattern=ID_PATTERN, max_length=64,
                                  description="folder name: letters, digits, _ . -")]
ERRORS = {400: {"model": schemas.ErrorOut}, 401: {"model": schemas.ErrorOut},
          403: {"model": schemas.ErrorOut}, 404: {"model": schemas.ErrorOut}}


class ServerState:
    """What the routes share (held on app.state, not global)."""

    def __init__(self, lab_dir: Path, db_url: str, tokens: TokenStore,
                 normative_dir: Path | None, pipeline: Pipeline | None, workers: int,
                 pseudonym_key: bytes | None, key_frames: bool | str = "cached"):
        self.lab_dir = lab_dir
        self.engine = make_engine(db_url)
        self.tokens = tokens
        self.normative_dir = normative_dir
        self.pseudonym_key = pseudonym_key
        self.key_frames = key_frames
        self.jobs = JobRunner(self.engine, lab_dir, pipeline, workers)


def get_state(request: Request) -> ServerState:
    return request.app.state.mocaplab


State = Annotated[ServerState, Depends(get_state)]
bearer = HTTPBearer(auto_error=False, description="API token (role clinician or operator)")


def principal(request: Request, state: State,
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


def find_trial(state: ServerState, subject: str, session: str, trial: str
               ) -> tuple[TrialRef, Path]:
    """The ref and folder of a trial of the lab; 404 when it has no meta.json."""
    ref = TrialRef(subject, session, trial)
    path = trial_path(state.lab_dir, ref)
    if not Trial(path).meta_path.is_file():
        raise HTTPException(404, f"trial {ref.key} not found")
    return ref, path


def get_trial(state: State, subject: IdPath, session: IdPath, trial: IdPath
              ) -> tuple[TrialRef, Path]:
    return find_trial(state, subject, session, trial)


TrialDep = Annotated[tuple[TrialRef, Path], Depends(get_trial)]
TrialKeyQuery = Annotated[str, Query(max_length=200, description="subject/session/trial")]


def needs_metrics(path: Path, ref: TrialRef) -> dict[str, Any]:
    if not Trial(path).metrics_path.is_file():
        raise HTTPException(404, f"trial {ref.key} has no metrics.json yet (not analysed)")
    return labdata.load_metrics(path)


def ident(state: ServerState, ref: TrialRef, pseudonymise: bool) -> exports.ExportIdentity:
    if pseudonymise and not state.pseudonym_key:
        raise HTTPException(400, "pseudonymisation is not configured on this server "
                                 "(set MOCAPLAB_PSEUDONYM_KEY)")
    session = trial_session(trial_path(state.lab_dir, ref), lab_dir=state.lab_dir)
    return exports.ExportIdentity.make(ref.subject, session.session, ref.trial,
                                       state.pseudonym_key, pseudonymise)
