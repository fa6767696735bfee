"""Processing jobs: a small thread pool runs a pluggable pipeline function on trial folders and
records state and progress in the lab index (table ``jobs``), so they survive in the API.

The pipeline is any callable ``pipeline(trial_path, progress=callback)``. The default is
:func:`mocaplab.pipeline.process_trial` when it can be imported. The callback accepts either
``progress(fraction, message="")`` or the pipeline's ``progress(stage, status)`` form. A job
fails when the pipeline raises or returns stage results with status "failed"; after any job the
trial is re-indexed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mocaplab.errors import MocaplabError
from mocaplab.reporting.db import Job, index_trial, utcnow

log = logging.getLogger(__name__)
Pipeline = Callable[..., Any]
ACTIVE_STATES = ("queued", "running")


def default_pipeline() -> Pipeline:
    """:func:`mocaplab.pipeline.process_trial` (imported when a runner is made, so that importing
    the server stays light)."""
    from mocaplab.pipeline import process_trial

    return process_trial


def _stage_count() -> int:
    from mocaplab.pipeline import STAGE_NAMES

    return len(STAGE_NAMES)


class JobConflict(MocaplabError):
    """A job for this trial is already queued or running."""

    def __init__(self, job: dict[str, Any]):
        super().__init__(f"trial {job['trial_key']} already has a {job['state']} job {job['id']}")
        self.job = job


def job_dict(j: Job) -> dict[str, Any]:
    def iso(t):
        return t.isoformat(timespec="seconds") + "Z" if t else None

    return {"id": j.id, "trial_key": j.trial_key, "state": j.state,
            "progress": round(float(j.progress or 0.0), 4), "message": j.message or "",
            "requested_by": j.requested_by or "", "created": iso(j.created),
            "started": iso(j.started), "finished": iso(j.finished)}


class JobRunner:
    """Runs pipeline jobs in a thread pool of ``workers`` threads."""

    def __init__(self, engine: Engine, lab_dir: Path, pipeline: Pipeline | None = None,
                 workers: int = 2):
        self.engine = engine
        self.lab_dir = Path(lab_dir)
        self.pipeline = pipeline or default_pipeline()
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                        thread_name_prefix="mocaplab-job")
        self._lock = threading.Lock()

    def _update(self, job_id: str, **changes: Any) -> None:
        with Session(self.engine) as db, db.begin():
            j = db.get(Job, job_id)
            if j is not None:
                for k, v in changes.items():
                    setattr(j, k, v)

    def submit(self, trial_key: str, trial_dir: Path, requested_by: str = "") -> dict[str, Any]:
        """Queue a job for a trial; raise JobConflict if one is already active for it."""
        with self._lock:
            with Session(self.engine) as db, db.begin():
                active = db.scalar(select(Job).where(Job.trial_key == trial_key,
                                                     Job.state.in_(ACTIVE_STATES)))
                if active is not None:
                    raise JobConflict(job_dict(active))
                job = Job(id=uuid.uuid4().hex, trial_key=trial_key, state="queued",
                          progress=0.0, message="queued", requested_by=requested_by[:64])
                db.add(job)
                db.flush()
                out = job_dict(job)
            self._pool.submit(self._run, out["id"], Path(trial_dir))
        return out

    def _progress_callback(self, job_id: str) -> Callable[..., None]:
        n_stages = _stage_count()
        finished: set[str] = set()
        last = {"p": -1.0, "m": ""}

        def progress(*args: Any, **kwargs: Any) -> None:
            frac, msg = None, ""
            if args and isinstance(args[0], int | float) and not isinstance(args[0], bool):
                frac = float(args[0])
                msg = str(args[1]) if len(args) > 1 else str(kwargs.get("message", ""))
            elif len(args) >= 2 and isinstance(args[0], str):
                stage, status = args[0], str(args[1])
                if status in ("done", "warning", "skipped", "failed"):
                    finished.add(stage)
                frac = len(finished) / max(n_stages, len(finished) + 1)
                msg = f"{stage}: {status}"
            if frac is None:
                return
            frac = min(max(frac, 0.0), 1.0)
            if abs(frac - last["p"]) >= 0.01 or msg != last["m"]:
                last.update(p=frac, m=msg)
                self._update(job_id, progress=frac, message=msg[:1000])

        return progress

    def _run(self, job_id: str, trial_dir: Path) -> None:
        self._update(job_id, state="running", started=utcnow(), message="running")
        try:
            result = self.pipeline(trial_dir, progress=self._progress_callback(job_id))
            failed = [r for r in (result if isinstance(result, list | tuple) else [])
                      if getattr(r, "status", "") == "failed"]
            if failed:
                msg = "; ".join(f"{getattr(r, 'stage', '?')}: {getattr(r, 'message', '')}"
                                for r in failed)
                self._update(job_id, state="failed", finished=utcnow(), message=msg[:1000])
            else:
                warned = [f"{r.stage}: {r.warning}" for r in (
                    result if isinstance(result, list | tuple) else [])
                    if getattr(r, "warning", "")]
                self._update(job_id, state="succeeded", progress=1.0, finished=utcnow(),
                             message=("done with warnings: " + "; ".join(warned))[:1000]
                             if warned else "done")
        except MocaplabError as exc:  # said for the user (another run holds the trial, ...)
            self._update(job_id, state="failed", finished=utcnow(), message=str(exc)[:1000])
        except Exception as exc:  # noqa: BLE001 - a job must always end in a recorded state
            log.exception("job %s failed", job_id)
            self._update(job_id, state="failed", finished=utcnow(),
                         message=f"{type(exc).__name__}: {exc}"[:1000])
        try:
            index_trial(self.engine, trial_dir, self.lab_dir)
        except MocaplabError as exc:
            log.warning("re-indexing %s after job %s failed: %s", trial_dir, job_id, exc)

    def get(self, job_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as db:
            j = db.get(Job, job_id)
            return job_dict(j) if j else None

    def list(self, trial_key: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            q = select(Job).order_by(Job.created.desc()).limit(limit)
            if trial_key:
                q = q.where(Job.trial_key == trial_key)
            return [job_dict(j) for j in db.scalars(q)]

    def recover(self) -> int:
        """Mark jobs left queued/running by a previous server process as failed."""
        n = 0
        with Session(self.engine) as db, db.begin():
            for j in db.scalars(select(Job).where(Job.state.in_(ACTIVE_STATES))):
                j.state, j.finished, j.message = "failed", utcnow(), "server restarted"
                n += 1
        return n

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
