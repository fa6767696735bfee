"""The lab index (SQLAlchemy): index_lab / index_trial fill subjects, sessions, trials,
calibrations, status and metric summaries; re-indexing follows the folders."""

from __future__ import annotations

import shutil
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mocaplab.errors import InputError
from mocaplab.reporting.db import (
    Calibration,
    MetricSummary,
    SessionRow,
    Subject,
    TrialRow,
    index_lab,
    index_trial,
    make_engine,
)
from mocaplab.synthetic.lab import make_lab, make_trial


@pytest.fixture()
def lab(tmp_path):
    make_lab(tmp_path / "lab", subjects=("S001", "S002"), trials_per_session=1, duration_s=3.0)
    return tmp_path / "lab"


def test_index_lab_fills_every_table(lab, index_db_url):
    url = index_db_url
    res = index_lab(url, lab)
    assert res == {"trials": 4, "errors": [], "removed": 0, "not_indexed": []}
    engine = make_engine(url)
    with Session(engine) as db:
        assert sorted(db.scalars(select(Subject.code))) == ["S001", "S002"]
        assert db.scalar(select(Subject).where(Subject.code == "S002")).sex == "female"
        sessions = db.scalars(select(SessionRow)).all()
        assert {s.code for s in sessions} == {"baseline", "followup"}
        assert {s.date for s in sessions} == {"2026-03-01", "2026-06-01"}
        t = db.scalar(select(TrialRow).where(TrialRow.key == "S001/baseline/walk01"))
        assert t.status == "analyzed" and t.fps == 100.0 and t.n_cameras == 4
        assert t.files["has_triangulated"] and not t.files["has_recorded"]
        cals = db.scalars(select(Calibration)).all()
        assert len(cals) == 4 and all(c.n_cameras == 1 and len(c.sha256) == 64 for c in cals)
        assert t.calibration.path == "S001/baseline/calibration.toml"
        names = {m.name for m in t.metrics}
        assert {"stride_length_m", "step_length_m_si", "pelvis_obliquity_range_deg",
                "pelvis_lateral_sway_m", "leg_length_left_minus_right_m",
                "weight_shift_mediolateral_excursion_m", "leg_length_m"} <= names
        fast = db.scalars(select(TrialRow.key).join(MetricSummary).where(
            MetricSummary.name == "stride_length_m", MetricSummary.value > 1.25)).all()
        assert set(fast) == {"S001/followup/walk01", "S002/followup/walk01"}
    engine.dispose()


def test_reindex_follows_changes(lab, index_db_url):
    engine = make_engine(index_db_url)
    index_lab(engine, lab)
    shutil.rmtree(lab / "S002" / "followup")
    new = make_trial(lab / "S003" / "pre" / "t1", with_metrics=False)
    res = index_lab(engine, lab)
    assert res["removed"] == 1 and res["trials"] == 4
    with Session(engine) as db:
        t = db.scalar(select(TrialRow).where(TrialRow.key == "S003/pre/t1"))
        assert t.status == "triangulated" and not t.metrics
    make_trial(new, with_metrics=True)  # the analysis stage ran: the pipeline re-indexes
    assert index_trial(engine, new) == "S003/pre/t1"
    with Session(engine) as db:
        t = db.scalar(select(TrialRow).where(TrialRow.key == "S003/pre/t1"))
        assert t.status == "analyzed" and len(t.metrics) > 10


def test_broken_metrics_is_recorded_not_fatal(lab):
    (lab / "S001" / "baseline" / "walk01" / "metrics.json").write_text("{broken")
    engine = make_engine("sqlite://")
    res = index_lab(engine, lab)
    assert res["trials"] == 4
    with Session(engine) as db:
        t = db.scalar(select(TrialRow).where(TrialRow.key == "S001/baseline/walk01"))
        assert t.status == "error" and "not valid JSON" in t.error


def test_index_refuses_trials_outside_the_layout(tmp_path, lab):
    flat = make_trial(tmp_path / "flat_trial")
    with pytest.raises(InputError):
        index_trial("sqlite://", flat, lab_dir=lab)
    with pytest.raises(InputError, match="does not exist"):
        index_lab("sqlite://", tmp_path / "nope")


def test_missing_database_driver_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if mocaplab[postgres] were not installed
    with pytest.raises(InputError, match=r"driver for postgresql\+psycopg is not installed.*"
                                         r"mocaplab\[postgres\]"):
        make_engine("postgresql+psycopg://nobody@127.0.0.1:1/nothing")


def test_bad_database_urls_are_clear_errors(tmp_path, capsys):
    """`--db` that is not a URL, names an unknown dialect, a server that is not there (the
    password not shown) or a file that is not a database: exit 1 with the reason, no traceback
    (each was a SQLAlchemy traceback)."""
    from mocaplab.cli import main

    lab = tmp_path / "lab"
    lab.mkdir()
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n" * 100)
    pg_said = ("cannot open the database", "is not installed")  # without psycopg
    for url, said in (("notaurl", ("is not a database URL",)),
                      ("foo://x", ("is not a database URL",)),
                      ("postgresql+psycopg://me:secret@127.0.0.1:1/x", pg_said),
                      (f"sqlite:///{junk}", ("file is not a database",))):
        assert main(["index", str(lab), "--db", url]) == 1
        err = capsys.readouterr().err
        assert any(s in err for s in said) and "Traceback" not in err, url
        assert "secret" not in err, url


def test_search_is_literal_and_case_insensitive_on_every_database(index_db_url):
    from mocaplab.reporting.db import contains_text

    engine = make_engine(index_db_url)
    codes = ["P01_a", "p01Xa", "Q%2", "Émile", "straße", "x.y-z"]
    with Session(engine) as db, db.begin():
        db.add_all(Subject(code=c) for c in codes)
    queries = {"p01": ["P01_a", "p01Xa"], "01_": ["P01_a"], "%": ["Q%2"], "_": ["P01_a"],
               "émi": ["Émile"], "ÉMILE": ["Émile"], "STRASSE": [], "Straße": ["straße"],
               ".": ["x.y-z"], "Y-Z": ["x.y-z"], "\\": []}
    with Session(engine) as db:
        got = {q: sorted(db.scalars(select(Subject.code).where(contains_text(Subject.code, q))))
               for q in queries}
    assert got == {q: sorted(v) for q, v in queries.items()}
    engine.dispose()
