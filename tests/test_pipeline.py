"""Pipeline orchestration: resumable stages, failures reported with earlier outputs kept."""

import os
import time

import pytest

from mocaplab import pipeline
from mocaplab.errors import InputError
from mocaplab.pipeline import Options, Stage, format_summary, process_trial
from mocaplab.trial import Trial


def _fake_stages(calls, fail=None):
    def make(name, src, dst):
        def run(trial, options):
            calls.append(name)
            if name == fail:
                raise InputError(f"{name} broke")
            (trial.path / dst).write_text(name)
        return Stage(name, lambda t, o: [t.path / src], lambda t, o: [t.path / dst], run,
                     hint=f"fix {name}")
    return (make("a", "input.txt", "a.out"), make("b", "a.out", "b.out"),
            make("c", "b.out", "c.out"))


@pytest.fixture
def trial(tmp_path):
    t = Trial.create(tmp_path / "t", subject="S")
    (t.path / "input.txt").write_text("x")
    return t


def test_stages_run_then_skip_when_up_to_date(trial, monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "STAGES", _fake_stages(calls))
    monkeypatch.setattr(pipeline, "STAGE_NAMES", ("a", "b", "c"))
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["done", "done", "done"] and calls == ["a", "b", "c"]
    calls.clear()
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["skipped"] * 3 and calls == []
    # a newer intermediate file reruns only what depends on it
    later = time.time() + 5
    os.utime(trial.path / "a.out", (later, later))
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["skipped", "done", "done"] and calls == ["b", "c"]
    calls.clear()
    process_trial(trial.path, Options(force=True), stages=["b"])
    assert calls == ["b"]


def test_failure_keeps_earlier_outputs_and_stops(trial, monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "STAGES", _fake_stages(calls, fail="b"))
    monkeypatch.setattr(pipeline, "STAGE_NAMES", ("a", "b", "c"))
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["done", "failed", "not run"]
    assert "b broke" in res[1].message and "fix b" in res[1].message
    assert (trial.path / "a.out").read_text() == "a"
    table = format_summary(res)
    assert "failed" in table and "not run" in table


def test_not_a_trial_and_unknown_stage(tmp_path, trial):
    with pytest.raises(InputError, match="not a trial folder"):
        process_trial(tmp_path)
    with pytest.raises(InputError, match="unknown stages"):
        process_trial(trial.path, stages=["nope"])
