"""Issue 15's honesty items: the structured reliability flags of metrics.json
(``provenance.kinematics.reliability``) as analysis writes them and as the report, viewer, API
and FHIR read them (never from the text of the quality note); ``provenance.estimated`` names
exactly the angles the marker augmenter changes; estimated ankle inversion is null with a
stated reason."""

from __future__ import annotations

import copy
import json
import shutil

import numpy as np
import pytest

from mocaplab.analysis.metrics_spec import (
    RELIABILITY_PATH,
    Reliability,
    parse_metrics,
    problems,
    reliability_of,
)
from mocaplab.reporting.exports import ExportIdentity
from mocaplab.reporting.report import build_content, kinematics_section, write_report
from mocaplab.synthetic.lab import WalkerParams, make_trial


@pytest.fixture(scope="module")
def markerless(tmp_path_factory, shared_data):
    """A markerless trial (synthetic walker's keypoints) through the marker augmenter, and its
    metrics.json analysed again without the augmenter model."""
    from mocaplab.analysis.pipeline import analyze_file

    if not (shared_data.parent / "models" / "marker_augmenter").is_dir():
        pytest.skip("the marker augmenter model is not in ../shared/models")
    trial = make_trial(tmp_path_factory.mktemp("lab") / "S001" / "v1" / "walk01",
                       WalkerParams(duration_s=5))
    without = analyze_file(trial, out_path=trial.parent / "no_augmenter.json",
                           augmenter=trial / "no_such_model")
    return trial, json.loads((trial / "metrics.json").read_text()), without


def _angles(metrics):
    for seg, per_side in metrics["angles"].items():
        for side, comps in per_side.items():
            for comp, values in comps.items():
                yield f"angles.{seg}.{side}.{comp}", np.array(
                    [np.nan if v is None else v for v in values], float)


def test_estimated_names_every_angle_the_augmenter_gives(markerless):
    """Walk the markerless metrics: an angle is obtained through augmentation when it is non-null
    and differs from the same analysis without the augmenter model; each of those is listed in
    provenance.estimated, and nothing else is."""
    _, with_aug, without = markerless
    assert without["provenance"]["kinematics"]["model"] == "none"
    plain = dict(_angles(without))
    through = {path for path, values in _angles(with_aug) if np.isfinite(values).any()
               and not np.allclose(values, plain[path], equal_nan=True, atol=1e-9)}
    listed = {k for k in with_aug["provenance"]["estimated"] if k.startswith("angles.")}
    assert {"angles.spine.left.lateral_flexion", "angles.spine.right.rotation",
            "angles.pelvis.left.tilt", "angles.hip.right.flexion", "angles.knee.left.flexion",
            "angles.ankle.right.dorsiflexion", "angles.foot_progression.left.angle"} <= through
    assert through - listed == set(), "estimated but not listed"
    assert listed - through == set(), "listed but not changed by the augmenter"


def test_estimated_ankle_inversion_is_null_with_its_reason(markerless):
    _, m, _ = markerless
    rel = reliability_of(m)
    for side in ("left", "right"):
        assert all(v is None for v in m["angles"]["ankle"][side]["inversion"])
        assert "by construction" in rel.null_reason("ankle", side, "inversion")
        assert f"angles.ankle.{side}.inversion" not in m["provenance"]["estimated"]


def test_analysis_writes_the_flags(markerless, shared_data):
    """Video: hip rotation flagged per side, the trial reliable. Markers whose knee centres are
    45 mm from the file's own (c3d.org sample04): the trial and every lower-limb angle flagged,
    the pelvis not."""
    from mocaplab.analysis.pipeline import analyze_file

    _, m, _ = markerless
    rel = reliability_of(m)
    assert rel.trial_reliable and not rel.trial_reason
    assert set(rel.not_reliable) == {f"angles.{j}.{s}.{c}" for s in ("left", "right") for j, c
                                     in (("hip", "rotation"), ("knee", "adduction"),
                                         ("knee", "rotation"), ("ankle", "rotation"))}
    assert "RMSE against Vicon" in rel.reason("hip", "left", "rotation")
    bad = analyze_file(shared_data / "gait_marker_corpus" / "btkdata"
                       / "c3dorg_sample04_sub_labels.c3d")
    rel = reliability_of(bad)
    assert not rel.trial_reliable and "model outputs" in rel.trial_reason
    assert rel.reason("knee", "left", "flexion") and rel.reason("ankle", "right", "rotation")
    assert not rel.reason("pelvis", "left", "tilt")
    assert bad["gait_profile"]["gps_deg"]["overall"] is None


def test_the_flags_are_validated(markerless):
    _, m, _ = markerless
    bad = copy.deepcopy(m)
    bad["provenance"]["kinematics"]["reliability"]["not_reliable"]["angles.hip.left.twist"] = "x"
    assert any("does not declare" in p for p in problems(bad))
    bad["provenance"]["kinematics"]["reliability"] = {"trial_reliable": "no"}
    assert any(RELIABILITY_PATH in p for p in problems(bad))
    assert parse_metrics(m).reliability == reliability_of(m)
    assert reliability_of({}) == Reliability()


def _with_flags(trial, tmp_path, name, **flags):
    """A copy of the trial whose reliability flags are replaced; the quality note and the
    estimated methods keep their text (the report must not read them)."""
    t2 = tmp_path / "S001" / "v1" / name
    shutil.copytree(trial, t2)
    m = json.loads((t2 / "metrics.json").read_text())
    m["provenance"]["kinematics"]["reliability"] = Reliability(**flags).as_dict()
    (t2 / "metrics.json").write_text(json.dumps(m))
    return t2


def _content(t):
    return build_content(t, ExportIdentity.make("S001", "v1", t.name, None, False), None)


def _panels(content):
    return {(p.segment, p.component): p for row in content["kinematics"] for p in row}


def test_report_marks_panels_from_the_flags(markerless, tmp_path):
    """Moving the flag from hip rotation to knee flexion moves the panel's "not reliable" mark
    (the estimated method of hip rotation still says "not reliable" in its text); a trial flag
    puts the warning before the curves though the quality note says nothing of it."""
    trial, _, _ = markerless
    knee = _with_flags(trial, tmp_path, "knee_flagged",
                       not_reliable={"angles.knee.left.flexion": "a test reason"})
    panels = _panels(_content(knee))
    assert panels[("knee", "flexion")].caveat == "not reliable"
    assert not panels[("hip", "rotation")].caveat
    sec = kinematics_section(_content(knee), tmp_path / "k.png")
    assert any("Knee flexion from video: not reliable (a test reason)" in p for p in sec.marked)
    assert not sec.warning
    whole = _with_flags(trial, tmp_path, "trial_flagged", trial_reliable=False,
                        trial_reason="the joint centres disagree",
                        not_reliable={f"angles.{j}.{s}.{c}": "the joint centres disagree"
                                      for j, c in (("hip", "flexion"), ("knee", "flexion"))
                                      for s in ("left", "right")})
    content = _content(whole)
    assert "NOT reliable" not in content["quality"]
    sec = kinematics_section(content, tmp_path / "k.png")
    assert sec.warning and "NOT reliable for this trial: the joint centres disagree" in \
        sec.warning[0]
    assert _panels(content)[("knee", "flexion")].caveat == "not reliable"
    html = write_report(whole, tmp_path / "rep", None, key_frames=False)["html"].read_text()
    assert html.index("NOT reliable for this trial") < html.index(
        "<img alt='Kinematics (Plug-in Gait)'")
    none = _with_flags(trial, tmp_path, "nothing_flagged")
    assert not any(p.caveat for p in _panels(_content(none)).values())


def test_report_says_why_inversion_is_not_computed(markerless, tmp_path):
    trial, _, _ = markerless
    content = _content(trial)
    assert _panels(content)[("ankle", "inversion")].note.startswith("not computed")
    sec = kinematics_section(content, tmp_path / "k.png")
    assert any(p.startswith("Ankle inversion: not computed (not estimated") for p in sec.marked)


def test_viewer_api_and_fhir_read_the_flags(markerless, tmp_path):
    from mocaplab.reporting.fhir import observation_bundle
    from mocaplab.viewer.data import format_panel, load_trial

    trial, _, _ = markerless
    t = _with_flags(trial, tmp_path, "viewer", trial_reliable=False, trial_reason="why",
                    not_reliable={"angles.knee.right.flexion": "why"})
    shutil.copy(trial / "points3d.npz", t / "points3d.npz")
    td = load_trial(t)
    assert td.not_reliable == {"knee.flexion.right"} and td.unreliable_trial == "why"
    text = format_panel(td, 50)
    assert "Knee flexion: L" in text and "(estimated, not reliable)" in text
    assert "Joint angles: NOT reliable for this trial" in text
    assert "not reliable" not in format_panel(load_trial(trial), 50)
    ident = ExportIdentity.make("S001", "v1", t.name, None, False)
    obs = {e["resource"]["code"]["coding"][0]["code"]: e["resource"]
           for e in observation_bundle(t, ident)["entry"]}
    peak = next(o for c, o in obs.items() if "knee_flexion_max" in c)
    assert any("flagged not reliable: knee flexion: why" in n["text"] for n in peak["note"])
    pelvis = next(o for c, o in obs.items() if "pelvis_tilt_range" in c)
    assert not any("not reliable" in n["text"] for n in pelvis.get("note", []))
