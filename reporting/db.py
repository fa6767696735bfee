"""The lab index: subjects, sessions, trials, calibrations, processing status, metric summaries
and processing jobs, in any SQLAlchemy database (SQLite file by default, PostgreSQL by URL).

Only portable SQLAlchemy Core/ORM constructs are used (no dialect-specific SQL), so the same code
runs on ``sqlite:///lab.db`` and ``postgresql+psycopg://user@host/db``. The trial folders stay the
source of truth: :func:`index_lab` / :func:`index_trial` (re)build rows from them and can be rerun
at any time.

Concurrent writers (a batch on a process pool or a Dask cluster, the API's jobs) are safe: every
write transaction and the table creation run under the lab's writer lock (an advisory
transaction lock on PostgreSQL, a lock file beside a SQLite file) and are retried on a
conflict. Searches are case-insensitive and the same on both databases (:func:`contains_text`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.pool import StaticPool

from mocaplab.cache import sha256_file
from mocaplab.errors import InputError
from mocaplab.reporting import labdata
from mocaplab.reporting.paths import (
    TrialRef,
    iter_trial_dirs,
    lab_state_dir,
    misplaced_trial_dirs,
    ref_from_path,
    session_calibration_path,
    trial_session,
)
from mocaplab.trial import Trial

log = logging.getLogger(__name__)
T = TypeVar("T")
#: attempts of a write transaction that conflicts with another writer
WRITE_ATTEMPTS = 8
#: the PostgreSQL advisory lock key of the lab index's writers ("moca")
PG_WRITER_LOCK = 0x6D6F6361


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Subject(Base):
    __tablename__ = "subjects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    sex: Mapped[str | None] = mapped_column(String(16))
    age: Mapped[float | None] = mapped_column(Float)
    sessions: Mapped[list[SessionRow]] = relationship(back_populates="subject",
                                                      cascade="all, delete-orphan")


class SessionRow(Base):
    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("subject_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    date: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[Subject] = relationship(back_populates="sessions")
    trials: Mapped[list[TrialRow]] = relationship(back_populates="session",
                                                  cascade="all, delete-orphan")


class Calibration(Base):
    __tablename__ = "calibrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(512), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    n_cameras: Mapped[int | None] = mapped_column(Integer)
    date: Mapped[str | None] = mapped_column(String(32))


class TrialRow(Base):
    __tablename__ = "trials"
    __table_args__ = (UniqueConstraint("session_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    fps: Mapped[float | None] = mapped_column(Float)
    n_cameras: Mapped[int | None] = mapped_column(Integer)
    calibration_id: Mapped[int | None] = mapped_column(ForeignKey("calibrations.id"))
    status: Mapped[str] = mapped_column(String(32), index=True)
    files: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(1000))
    indexed_at: Mapped[_dt.datetime] = mapped_column(DateTime, default=utcnow)
    session: Mapped[SessionRow] = relationship(back_populates="trials")
    calibration: Mapped[Calibration | None] = relationship()
    metrics: Mapped[list[MetricSummary]] = relationship(back_populates="trial",
                                                        cascade="all, delete-orphan")
    texts: Mapped[list[TrialText]] = relationship(cascade="all, delete-orphan")


class TrialText(Base):
    """Searchable text of a trial besides its key: the operators' annotation tags (one row
    each, ``field`` "tag") and notes (``field`` "notes") from meta.json ``annotations``. A table
    of its own, so an index made before it existed gains it (create_all adds tables, not
    columns) and the next indexing fills it."""

    __tablename__ = "trial_texts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(2000))


class MetricSummary(Base):
    __tablename__ = "metric_summaries"
    __table_args__ = (UniqueConstraint("trial_id", "name", "side"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    side: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    trial: Mapped[TrialRow] = relationship(back_populates="metrics")


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trial_key: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(16))  # queued running succeeded failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(1000), default="")
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    created: Mapped[_dt.datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[_dt.datetime | None] = mapped_column(DateTime)
    finished: Mapped[_dt.datetime | None] = mapped_column(DateTime)


def default_db_url(lab_dir: Path) -> str:
    """``sqlite:///LAB/.mocaplab/index.db`` (the embedded default)."""
    return f"sqlite:///{lab_state_dir(Path(lab_dir).resolve()) / 'index.db'}"


def make_engine(db_url: str) -> Engine:
    """An engine for ``db_url`` with the tables created; SQLite gets WAL and a busy timeout.

    Safe when many processes open a fresh index at once (the tables are created under the
    writer lock). InputError when the URL's database driver is not installed.
    """
    try:
        engine = _new_engine(db_url)
    except ModuleNotFoundError as exc:
        extra = " (pip install 'mocaplab[postgres]')" if db_url.startswith("postgres") else ""
        raise InputError(f"the database driver for {db_url.split(':', 1)[0]} is not installed: "
                         f"{exc}{extra}") from exc
    except ArgumentError as exc:  # not a URL, or an unknown dialect
        raise InputError(f"--db {db_url!r} is not a database URL SQLAlchemy knows ({exc}); use "
                         "e.g. sqlite:///LAB/.mocaplab/index.db or "
                         "postgresql+psycopg://user@host/mocaplab") from None
    try:
        _retried(engine, lambda conn: Base.metadata.create_all(conn))
    except DBAPIError as exc:  # no server there, wrong credentials, not a database file
        engine.dispose()
        shown = engine.url.render_as_string(hide_password=True)
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "failed"
        raise InputError(f"cannot open the database {shown}: {first}") from None
    return engine


def _new_engine(db_url: str) -> Engine:
    if not db_url.startswith("sqlite"):
        return create_engine(db_url, pool_pre_ping=True)
    memory = db_url in ("sqlite://", "sqlite:///:memory:")
    if not memory:
        path = db_url.split("///", 1)[-1]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(db_url, connect_args={"check_same_thread": False, "timeout": 30},
                           poolclass=StaticPool if memory else None)

    @event.listens_for(engine, "connect")
    def _sqlite_setup(conn, _record):  # pragma: no cover - trivial
        # lower() as Python's str.lower (SQLite's own folds ASCII only), like PostgreSQL's
        conn.create_function("lower", 1, _lower, deterministic=True)
        cur = conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
    return engine


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def contains_text(column: Any, needle: str) -> Any:
    """``column`` contains ``needle`` literally (``%`` and ``_`` are not wildcards), ignoring
    case, with the same result on SQLite and PostgreSQL."""
    return func.lower(column).contains(needle.lower(), autoescape=True)


def trial_matches_text(needle: str) -> Any:
    """The trial search (API ``q=``): ``needle`` is in the trial's key
    (subject/session/trial) or in one of its annotation tags or its notes
    (:class:`TrialText`), as :func:`contains_text` (literal, case-insensitive)."""
    texts = select(TrialText.trial_id).where(contains_text(TrialText.text, needle))
    return or_(contains_text(TrialRow.key, needle), TrialRow.id.in_(texts))


def annotation_texts(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field, text)`` of meta.json ``annotations``: each tag, then the notes; what is not
    a string is left out."""
    ann = meta.get("annotations")
    if not isinstance(ann, dict):
        return []
    tags = ann.get("tags") if isinstance(ann.get("tags"), list) else []
    out = [("tag", t) for t in tags if isinstance(t, str) and t]
    if isinstance(ann.get("notes"), str) and ann["notes"]:
        out.append(("notes", ann["notes"][:2000]))
    return out


@contextlib.contextmanager
def _writer_lock(engine: Engine) -> Iterator[None]:
    """Between processes: the lock file beside a SQLite index (PostgreSQL locks in the
    transaction, see :func:`_lock_transaction`)."""
    db_file = engine.url.database if engine.dialect.name == "sqlite" else None
    if not db_file or db_file == ":memory:":
        yield
        return
    import fcntl

    with open(f"{db_file}.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _lock_transaction(conn: Any) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITER_LOCK})


def _retryable(exc: DBAPIError) -> bool:
    """A conflict with another writer (worth another try), not a bug or a bad database."""
    msg = str(exc.orig).lower()
    return (isinstance(exc, IntegrityError) or "locked" in msg or "already exists" in msg
            or "deadlock" in msg or "could not serialize" in msg or "duplicate key" in msg)


def _retried(engine: Engine, work: Callable[[Any], T], *, orm: bool = False) -> T:
    """``work(conn)`` (or ``work(session)`` when ``orm``) in one write transaction under the
    writer lock, tried again (up to :data:`WRITE_ATTEMPTS`, with a random back-off) when it
    conflicts with another writer."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with _writer_lock(engine):
                if orm:
                    with Session(engine) as db, db.begin():
                        _lock_transaction(db.connection())
                        return work(db)
                with engine.begin() as conn:
                    _lock_transaction(conn)
                    return work(conn)
        except (OperationalError, IntegrityError, DBAPIError) as exc:
            if attempt == WRITE_ATTEMPTS or not _retryable(exc):
                raise
            log.info("index write conflicted (%s); try %d of %d", exc.orig, attempt + 1,
                     WRITE_ATTEMPTS)
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    raise AssertionError("unreachable")


def write_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """``work(session)`` in one write transaction of the lab index, serialised with the other
    writers (processes, threads, cluster workers) and retried on a conflict; the session
    commits when ``work`` returns. ``work`` must be safe to run again."""
    return _retried(engine, work, orm=True)


def _calibration_row(db: Session, lab_dir: Path, trial_dir: Path,
                     meta: dict[str, Any]) -> Calibration | None:
    path = Trial(trial_dir).calibration_path  # meta.json's, else the trial's own
    if path is None and not meta.get("calibration"):
        path = session_calibration_path(trial_dir.parent)
    if path is None or not path.is_file():
        return None
    path = path.resolve()
    root = lab_dir.resolve()
    stored = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    digest = sha256_file(path)
    row = db.scalar(select(Calibration).where(Calibration.path == stored))
    if row is None:
        row = Calibration(path=stored, sha256=digest)
        db.add(row)
    row.sha256 = digest
    try:
        import tomllib

        data = tomllib.loads(path.read_text(encoding="utf-8"))
        row.n_cameras = sum(1 for k, v in data.items() if k != "metadata" and isinstance(v, dict))
        md = data.get("metadata") or {}
        row.date = str(md.get("date")) if md.get("date") else None
    except (OSError, ValueError) as exc:
        log.warning("calibration %s is not readable TOML: %s", path, exc)
    return row


def _upsert_trial(db: Session, lab_dir: Path, trial_dir: Path) -> TrialRow:
    ref = ref_from_path(lab_dir, trial_dir)
    meta = labdata.load_meta(trial_dir)
    subj = db.scalar(select(Subject).where(Subject.code == ref.subject))
    if subj is None:
        subj = Subject(code=ref.subject)
        db.add(subj)
        db.flush()
    if meta.get("sex"):
        subj.sex = str(meta["sex"])[:16]
    if isinstance(meta.get("age"), int | float):
        subj.age = float(meta["age"])
    session = trial_session(trial_dir, meta, lab_dir).session  # the folder's, as ref.key
    sess = db.scalar(select(SessionRow).where(SessionRow.subject_id == subj.id,
                                              SessionRow.code == session))
    if sess is None:
        sess = SessionRow(subject_id=subj.id, code=session)
        db.add(sess)
        db.flush()
    if meta.get("date"):
        sess.date = str(meta["date"])[:32]
    row = db.scalar(select(TrialRow).where(TrialRow.key == ref.key))
    if row is None:
        row = TrialRow(key=ref.key, session_id=sess.id, code=ref.trial, status="created")
        db.add(row)
        db.flush()
    st = labdata.trial_status(trial_dir)
    row.status = st["status"]
    row.files = {k: v for k, v in st.items() if k.startswith("has_")}
    row.meta = {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool | list)}
    row.fps = float(meta["fps"]) if isinstance(meta.get("fps"), int | float) else None
    row.n_cameras = len(meta.get("cameras") or []) or None
    row.calibration = _calibration_row(db, lab_dir, trial_dir, meta)
    row.indexed_at = utcnow()
    row.error = None
    db.execute(delete(TrialText).where(TrialText.trial_id == row.id))
    db.add_all(TrialText(trial_id=row.id, field=f, text=t) for f, t in annotation_texts(meta))
    db.execute(delete(MetricSummary).where(MetricSummary.trial_id == row.id))
    if st["has_analyzed"]:
        try:
            metrics = labdata.load_metrics(trial_dir)
            for s in labdata.flat_summaries(metrics):
                db.add(MetricSummary(trial_id=row.id, **s))
        except InputError as exc:
            row.error = str(exc)[:1000]
            row.status = "error"
    return row


def index_trial(db_url: str | Engine, trial_path: str | os.PathLike,
                lab_dir: str | os.PathLike | None = None) -> str:
    """Index (or re-index) one trial folder; returns its key ``subject/session/trial``.

    The pipeline calls this after each stage. ``lab_dir`` defaults to the folder three levels
    above the trial (LAB/<subject>/<session>/<trial>).
    """
    trial_dir = Path(trial_path).resolve()
    lab = Path(lab_dir).resolve() if lab_dir else trial_dir.parents[2]
    engine = make_engine(db_url) if isinstance(db_url, str) else db_url
    try:
        return write_transaction(engine, lambda db: _upsert_trial(db, lab, trial_dir).key)
    finally:
        if isinstance(db_url, str):
            engine.dispose()


def _refuse_trials_at_the_wrong_depth(lab: Path) -> None:
    """InputError when ``lab`` holds no trial at LAB/<subject>/<session>/<trial>/ but is itself
    a trial, a subject or a session folder (``mocaplab index LAB/S001`` said "indexed 0
    trials" and put an empty index.db into the subject folder)."""
    layout = "a lab folder holds <subject>/<session>/<trial>/meta.json"
    if (lab / Trial.META_NAME).is_file():
        raise InputError(f"{lab} is a trial folder, not a lab folder ({layout}): give its lab "
                         f"folder, e.g. {lab.parent.parent.parent}")
    for depth, what in ((1, "session"), (2, "subject")):
        found = sorted(lab.glob("/".join(["*"] * depth) + f"/{Trial.META_NAME}"))
        if found:
            up = lab.parent if depth == 2 else lab.parent.parent
            raise InputError(f"no trial at {lab}/<subject>/<session>/<trial>/, but "
                             f"{found[0].parent} is a trial: {lab} looks like a {what} folder "
                             f"({layout}); give the lab folder, e.g. {up}")


def index_lab(db_url: str | Engine, lab_dir: str | os.PathLike,
              progress=None) -> dict[str, Any]:
    """Index every trial of ``lab_dir``; drop rows of trials whose folder is gone.

    Returns counts: ``{"trials": n, "errors": [...], "removed": n, "not_indexed": [...]}``;
    ``not_indexed``: "path below the lab: why" of the trial folders below the lab that are not at
    ``<subject>/<session>/<trial>/`` or not named by valid ids (:func:`misplaced_trial_dirs`):
    they are treated as outside the lab. ``progress`` is an optional iterable wrapper (e.g.
    tqdm).
    """
    lab = Path(lab_dir).resolve()
    if not lab.is_dir():
        raise InputError(f"lab folder {lab} " + ("is a file, not a folder" if lab.exists()
                                                  else "does not exist"))
    dirs = list(iter_trial_dirs(lab))
    if not dirs:
        _refuse_trials_at_the_wrong_depth(lab)
    engine = make_engine(db_url) if isinstance(db_url, str) else db_url
    errors: list[str] = []
    seen: set[str] = set()
    try:
        for d in progress(dirs) if progress else dirs:
            try:
                seen.add(write_transaction(engine, lambda db, d=d: _upsert_trial(db, lab, d).key))
            except InputError as exc:
                errors.append(f"{d}: {exc}")

        def remove_gone(db: Session) -> int:
            gone = [row for row in db.scalars(select(TrialRow)).all() if row.key not in seen]
            for row in gone:
                db.delete(row)
            return len(gone)

        removed = write_transaction(engine, remove_gone)
    finally:
        if isinstance(db_url, str):
            engine.dispose()
    not_indexed = [f"{d.relative_to(lab).as_posix()}: {why}"
                   for d, why in misplaced_trial_dirs(lab)]
    return {"trials": len(seen), "errors": errors, "removed": removed,
            "not_indexed": not_indexed}


def trial_summary(row: TrialRow) -> dict[str, Any]:
    """A trial row as the API shows it in lists."""
    ref = TrialRef.parse(row.key)
    return {"key": row.key, "subject": ref.subject, "session": ref.session, "trial": ref.trial,
            "status": row.status, "fps": row.fps, "n_cameras": row.n_cameras,
            "date": row.session.date if row.session else None,
            "calibration": row.calibration.path if row.calibration else None,
            "indexed_at": row.indexed_at.isoformat(timespec="seconds") + "Z",
            "error": row.error}
