"""Adding a metric end to end: computed in its section, registered in the spec, and then found
in metrics.json, the CSV, the FHIR bundle, the API and the report without touching them."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from mocaplab.analysis import metrics_spec, pipeline
from mocaplab.synthetic.lab import WalkerParams, make_trial

TOKEN = "t" * 24


@pytest.fixture()
def toe_clearance(monkeypatch):
    """A new spatiotemporal parameter, added the way docs/analysis.md says: computed where the
    section is computed, registered in the spec."""
    base = pipeline.SECTIONS["spatiotemporal"]

    def with_toe_clearance(g):
        st = base(g)
        for i, side in enumerate(("left", "right")):
            st[side]["toe_clearance_m"] = 0.021 + 0.002 * i
            st[side]["toe_clearance_m_sd"] = 0.001
        st["overall"]["toe_clearance_m"] = 0.022
        st["symmetry"]["toe_clearance_m"] = {"symmetry_index_pct": -9.09, "symmetry_ratio": 0.91}
        return st

    monkeypatch.setitem(pipeline.SECTIONS, "spatiotemporal", with_toe_clearance)
    m = metrics_spec.spatiotemporal_metric("toe_clearance_m", "Toe clearance", "m", "higher",
                                           fhir="Minimum toe clearance")
    yield m
    metrics_spec.METRICS.remove("toe_clearance_m")


def test_a_new_metric_reaches_csv_fhir_api_and_report(toe_clearance, tmp_path):
    from mocaplab.api import create_app
    from mocaplab.reporting.exports import ExportIdentity, csv_text, tidy_rows
    from mocaplab.reporting.fhir import observation_bundle
    from mocaplab.reporting.report import write_report

    trial = make_trial(tmp_path / "lab" / "S001" / "baseline" / "walk01",
                       WalkerParams(duration_s=3.0))
    mf = metrics_spec.read_metrics(trial / "metrics.json")
    assert mf.value("toe_clearance_m", "left") == 0.021
    assert metrics_spec.unregistered(dict(mf.data)) == []

    ident = ExportIdentity("S001", "baseline", "walk01")
    rows = list(csv.DictReader(io.StringIO(csv_text(tidy_rows(trial, ident)))))
    got = {(r["name"], r["side"]): (float(r["value"]), r["unit"]) for r in rows
           if r["name"].startswith("toe_clearance")}
    assert got == {("toe_clearance_m", "left"): (0.021, "m"),
                   ("toe_clearance_m", "right"): (0.023, "m"),
                   ("toe_clearance_m", "both"): (0.022, "m"),
                   ("toe_clearance_m_si", "symmetry"): (-9.09, "%")}

    obs = [e["resource"] for e in observation_bundle(trial, ident)["entry"]
           if e["resource"]["code"]["coding"][0]["code"] == "toe_clearance_m"]
    assert len(obs) == 1 and obs[0]["code"]["text"] == "Minimum toe clearance"
    assert obs[0]["valueQuantity"]["value"] == 0.022 and obs[0]["valueQuantity"]["code"] == "m"
    assert len(obs[0]["component"]) == 3  # left, right, symmetry index

    app = create_app(tmp_path / "lab", tokens={TOKEN: "clinician"}, normative_dir=None)
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        m = client.get("/v1/trials/S001/baseline/walk01/metrics", headers=auth).json()
        spec = client.get("/v1/metric-definitions", headers=auth).json()
    d = next(i for i in spec["items"] if i["key"] == "toe_clearance_m")
    assert (d["label"], d["unit"], d["better"]) == ("Toe clearance", "m", "higher")
    assert d["path"] == "spatiotemporal.{side}.toe_clearance_m"
    knee = next(a for a in spec["angles"] if a["path"] == "angles.knee.{side}.flexion")
    assert (knee["label"], knee["unit"], knee["vicon"]) == ("Knee flexion", "deg", "KneeAngles X")
    row = next(r for r in m["spatiotemporal"] if r["name"] == "toe_clearance_m")
    assert (row["left"], row["right"], row["unit"]) == (0.021, 0.023, "m")
    assert {"name": "toe_clearance_m", "side": "both", "value": 0.022,
            "unit": "m"} in m["summary"]

    files = write_report(trial, tmp_path / "report", None, key_frames=False)
    html = files["html"].read_text()
    assert "<td>Toe clearance</td><td>m</td><td>0.021</td><td>0.023</td>" in html
