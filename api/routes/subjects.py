"""Subjects: list/search and one subject with its sessions."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mocaplab.api import schemas
from mocaplab.api.deps import ERRORS, IdPath, Reader, State
from mocaplab.reporting.db import SessionRow, Subject, contains_text

router = APIRouter()


@router.get("/v1/subjects", response_model=schemas.SubjectList, responses=ERRORS,
            summary="List or search subjects")
def list_subjects(_: Reader, state: State, q: Annotated[str | None, Query(max_length=64)] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  offset: Annotated[int, Query(ge=0, le=schemas.MAX_OFFSET)] = 0) -> dict[str, Any]:
    with Session(state.engine) as db:
        base = select(Subject)
        if q:
            base = base.where(contains_text(Subject.code, q))
        total = db.scalar(select(func.count()).select_from(base.subquery()))
        rows = db.scalars(base.order_by(Subject.code).offset(offset).limit(limit)
                          .options(selectinload(Subject.sessions)
                                   .selectinload(SessionRow.trials))).all()
        return {"total": total, "items": [_subject_out(s) for s in rows]}


@router.get("/v1/subjects/{subject}", response_model=schemas.SubjectDetail, responses=ERRORS,
            summary="One subject with its sessions and trials")
def get_subject(_: Reader, state: State, subject: IdPath) -> dict[str, Any]:
    with Session(state.engine) as db:
        s = db.scalar(select(Subject).where(Subject.code == subject))
        if s is None:
            raise HTTPException(404, f"subject {subject} not found")
        out = _subject_out(s)
        out["sessions"] = [{"code": se.code, "date": se.date,
                            "trials": sorted(t.code for t in se.trials)}
                           for se in sorted(s.sessions, key=lambda x: x.code)]
        return out



def _subject_out(s: Subject) -> dict[str, Any]:
    return {"code": s.code, "sex": s.sex, "age": s.age, "n_sessions": len(s.sessions),
            "n_trials": sum(len(se.trials) for se in s.sessions)}
