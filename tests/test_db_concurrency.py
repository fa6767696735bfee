"""The lab index under concurrent writers (a batch on a pool or a cluster): processes that
index trials of the same fresh lab at the same moment all succeed and every trial is indexed,
on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mocaplab.reporting.db import SessionRow, Subject, TrialRow, index_trial, make_engine
from mocaplab.synthetic.lab import make_trial

N_WRITERS = 6


def _index_after(barrier, url: str, trial: str, lab: str, out) -> None:
    barrier.wait()
    try:
        out.put((trial, index_trial(url, trial, lab)))
    except Exception as exc:  # reported to the test, which fails on it
        out.put((trial, f"{type(exc).__name__}: {exc}"))


def test_writers_racing_on_a_fresh_index_all_succeed(tmp_path, index_db_url):
    lab = tmp_path / "lab"
    first = make_trial(lab / "S01" / "s1" / "walk0", with_metrics=True)
    trials = [first] + [Path(shutil.copytree(first, first.parent / f"walk{i}"))
                        for i in range(1, N_WRITERS)]
    ctx = multiprocessing.get_context("fork")  # cheap; each child opens its own engine
    for rnd in range(2):  # a fresh index (tables created by the racers), then re-indexing
        barrier, out = ctx.Barrier(N_WRITERS), ctx.Queue()
        procs = [ctx.Process(target=_index_after, args=(barrier, index_db_url, str(t), str(lab),
                                                        out)) for t in trials]
        for p in procs:
            p.start()
        got = dict(out.get(timeout=120) for _ in procs)
        for p in procs:
            p.join(60)
        want = {str(t): f"S01/s1/walk{i}" for i, t in enumerate(trials)}
        assert got == want, f"round {rnd}: {got}"
    engine = make_engine(index_db_url)
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Subject)) == 1
        assert db.scalar(select(func.count()).select_from(SessionRow)) == 1
        keys = db.scalars(select(TrialRow.key)).all()
        assert sorted(keys) == sorted(want.values())
        assert all(len(t.metrics) > 10 for t in db.scalars(select(TrialRow)))
    engine.dispose()
