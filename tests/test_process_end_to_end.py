"""`mocaplab process` with the real stages (no fakes) on a small synthetic trial: 4 cameras,
2D keypoints of a known walk with 1 px noise. Every stage runs, the outputs are there, the
walking speed is the walk's, the index is updated; a rerun skips every stage."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mocaplab.cli import build_parser, main
from mocaplab.reporting.db import TrialRow, make_engine
from mocaplab.synthetic.lab import write_keypoints_trial

SPEED_M_S = 1.15


@pytest.fixture()
def trial(tmp_path):
    return write_keypoints_trial(tmp_path / "lab" / "S01" / "visit1" / "walk1",
                                 speed_m_s=SPEED_M_S, duration_s=4.0, start_xy=(-2.0, 0.0),
                                 seed=11)


def test_process_runs_the_real_stages_end_to_end(trial, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'index.db'}"
    assert main(["process", str(trial.path), "--no-video", "--index-db", db]) == 0
    for p in (trial.points3d_path, trial.metrics_path, trial.path / "report" / "report.pdf",
              trial.path / "exports" / "metrics.csv", trial.path / "exports" / "points3d.c3d"):
        assert p.is_file() and p.stat().st_size > 0, p
    m = json.loads(trial.metrics_path.read_text())
    assert m["spatiotemporal"]["left"]["speed_m_s"] == pytest.approx(SPEED_M_S, abs=0.05)
    stamps = json.loads((trial.path / ".mocaplab" / "stages.json").read_text())
    assert stamps["stages"]["triangulate"]["settings"]["cutoff_hz"] == 6.0  # the documented default
    engine = make_engine(db)
    with Session(engine) as s:
        assert s.scalar(select(TrialRow.status)) == "analyzed"
    engine.dispose()
    capsys.readouterr()
    assert main(["process", str(trial.path), "--no-video"]) == 0
    out = capsys.readouterr().out
    for stage in ("triangulate", "analyze", "export", "report"):
        assert any(line.startswith(stage) and "skipped" in line for line in out.splitlines())


def test_cli_cutoff_default_is_6_hz():
    parser = build_parser()
    assert parser.parse_args(["triangulate", "t"]).cutoff == 6.0
    assert parser.parse_args(["process", "t"]).cutoff == 6.0
