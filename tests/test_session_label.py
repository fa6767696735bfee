"""One session label per trial (reporting/paths.trial_session): inside a lab the session folder,
outside a lab meta.json, a warning when they disagree. Before, a trial copied into another
session folder (its meta.json still naming the old session) was "baseline" in the CLI export and
report but "followup" in the index and the API."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from mocaplab.reporting.paths import trial_session

TOKEN = "clinician-token-0123456789"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from mocaplab.reporting.db import default_db_url, index_lab
    from mocaplab.synthetic.lab import make_lab

    lab = tmp_path_factory.mktemp("lab")
    make_lab(lab, subjects=("S001",), sessions=(("baseline", 0.5),), trials_per_session=1,
             duration_s=3.0)
    (lab / "S001" / "followup").mkdir()
    shutil.copy(lab / "S001" / "baseline" / "calibration.toml", lab / "S001" / "followup")
    shutil.copytree(lab / "S001" / "baseline" / "walk01", lab / "S001" / "followup" / "walk01")
    index_lab(default_db_url(lab), lab)
    return lab


def test_rule_inside_and_outside_a_lab(lab, tmp_path):
    copied = lab / "S001" / "followup" / "walk01"
    label = trial_session(copied)
    assert (label.session, label.source) == ("followup", "folder")
    assert "'baseline'" in label.warning and "'followup'" in label.warning
    kept = trial_session(lab / "S001" / "baseline" / "walk01")
    assert (kept.session, kept.warning) == ("baseline", "")
    # the same folders outside any lab (no LAB/.mocaplab/): meta.json's session
    outside = tmp_path / "S001" / "followup" / "walk01"
    shutil.copytree(copied, outside)
    assert trial_session(outside) == trial_session(outside, {"session": "baseline"})
    assert trial_session(outside).session == "baseline"
    # ... said, with why: no lab index above it (it was silent: the same folders are labelled
    # 'followup' once the lab is indexed)
    said = trial_session(outside).warning
    assert "'baseline'" in said and "'followup'" in said and "treated as outside a lab" in said
    assert "mocaplab index LAB" in said
    assert trial_session(outside, {"session": "followup"}).warning == ""  # they agree
    assert trial_session(outside, {}).session == "followup"  # meta.json silent: the folder
    assert trial_session(outside, {"source_file": "/x/walk.c3d"}).session == ""
    # a lab named by the caller (the API, the index) needs no index folder
    assert trial_session(outside, lab_dir=tmp_path).session == "followup"


def test_cli_export_report_and_api_agree(lab, tmp_path, capsys):
    from fastapi.testclient import TestClient

    from mocaplab.api import create_app
    from mocaplab.cli import main
    from mocaplab.reporting.exports import identity_of
    from mocaplab.reporting.report import build_content

    trial = lab / "S001" / "followup" / "walk01"
    assert main(["export", str(trial), "--format", "csv,json", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "'baseline'" in err and "'followup'" in err
    (csv_path,) = tmp_path.glob("*.csv")
    assert "followup" in csv_path.name
    with csv_path.open(encoding="utf-8") as f:
        assert {r["session"] for r in csv.DictReader(f)} == {"followup"}
    (json_path,) = tmp_path.glob("*.json")
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    assert doc["session"] == doc["meta"]["session"] == "followup"

    header = dict(build_content(trial, identity_of(trial), None)["header"])
    assert header["Session"].startswith("followup")
    assert "meta.json says 'baseline'" in header["Session"]

    app = create_app(lab, None, {TOKEN: "clinician"}, normative_dir=None)
    with TestClient(app) as c:
        h = {"Authorization": f"Bearer {TOKEN}"}
        rows = c.get("/v1/trials", headers=h).json()["items"]
        assert sorted(r["session"] for r in rows) == ["baseline", "followup"]
        r = c.get("/v1/trials/S001/followup/walk01/export/json", headers=h)
        assert r.status_code == 200, r.text
        api_doc = r.json()
    assert api_doc["session"] == api_doc["meta"]["session"] == doc["session"]
