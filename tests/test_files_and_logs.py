"""Consistent file modes, no leftovers of a killed run, no query strings or secrets in logs."""

from __future__ import annotations

import logging
import stat

import numpy as np
import pytest
from fastapi.testclient import TestClient

from mocaplab.api import create_app
from mocaplab.capture.video_io import SafeVideoWriter
from mocaplab.cli import main
from mocaplab.pipeline import process_trial
from mocaplab.synthetic.lab import make_lab
from mocaplab.trial import Trial


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_recorded_video_is_0644_like_every_other_file(tmp_path):
    w = SafeVideoWriter(tmp_path / "videos" / "cam0.avi", 30.0, (64, 48), codec="mjpg")
    for i in range(5):
        w.write(np.full((48, 64, 3), 40 * i, np.uint8))
    info = w.close()
    assert info is not None and info.frames == 5
    assert _mode(tmp_path / "videos" / "cam0.avi") == 0o644
    assert [p.name for p in (tmp_path / "videos").iterdir()] == ["cam0.avi"]


@pytest.fixture()
def analysed_trial(tmp_path):
    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), trials_per_session=1, duration_s=3.0)
    return Trial(lab / "S001" / "baseline" / "walk01")


def test_rerun_removes_temporary_files_left_by_a_kill(analysed_trial):
    t = analysed_trial
    (t.path / "report").mkdir(exist_ok=True)
    left = [t.path / "report" / ".report.k3j_9xq2.tmp.pdf",  # killed during the report
            t.path / ".points3d.a1b2c3d4.tmp.npz"]
    for p in left:
        p.write_bytes(b"")
    keep = [t.videos_dir / ".cam0.zz99yy88.tmp.avi",  # a recorder's partial file: kept
            t.path / ".hidden-notes.txt"]
    t.videos_dir.mkdir(exist_ok=True)
    for p in keep:
        p.write_bytes(b"x")
    process_trial(t.path, stages=["analyze"])
    assert not any(p.exists() for p in left)
    assert all(p.exists() for p in keep)


def test_serve_turns_the_access_log_off(tmp_path, monkeypatch):
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    (tmp_path / "lab").mkdir()
    assert main(["serve", str(tmp_path / "lab"), "--port", "0"]) == 0
    assert uvicorn.Config(lambda *a: None, **seen).access_log is False


def test_audit_log_has_no_query_strings_or_tokens(tmp_path, caplog):
    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), trials_per_session=1, duration_s=3.0)
    token = "clinician-token-0123456789"
    app = create_app(lab, f"sqlite:///{tmp_path / 'index.db'}", {token: "clinician"})
    caplog.set_level(logging.DEBUG)
    with TestClient(app) as c:
        r = c.get("/v1/subjects", params={"q": "S001-SECRET", "token": "URL-SECRET-TOKEN"},
                  headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        c.get("/v1/trials?q=S001-SECRET")
    # what the server logs (httpx's own lines are the test client's, not the server's)
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records
                     if r.name.startswith(("mocaplab", "uvicorn", "fastapi", "starlette")))
    assert "/v1/subjects" in text  # the audit line is there ...
    for secret in ("S001-SECRET", "URL-SECRET-TOKEN", token):  # ... without these
        assert secret not in text
