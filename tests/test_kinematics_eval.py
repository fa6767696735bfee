"""benchmarks/kinematics_eval.py: the new held-out subjects (issue 15) are declared with their
SHA-256, found through --new-dir / MOCAPLAB_NEW_GAIT, skipped with a note when absent and
refused when the file differs."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest


def _eval_module():
    spec = importlib.util.spec_from_file_location(
        "kinematics_eval", Path(__file__).parents[1] / "benchmarks" / "kinematics_eval.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_new_subjects_skipped_with_a_note_when_absent(tmp_path, capsys):
    mod = _eval_module()
    files, note = mod.new_subject_files(None)
    assert files == [] and "MOCAPLAB_NEW_GAIT" in note and "--new-dir" in note
    files, note = mod.new_subject_files(tmp_path)
    assert files == [] and "treadmill_events.c3d: absent, skipped" in note
    mod.print_new_subject_table(tmp_path / "nowhere")
    assert "new held-out subjects skipped" in capsys.readouterr().out


def test_new_subject_with_another_sha256_is_refused(tmp_path):
    mod = _eval_module()
    rel = mod.NEW_SUBJECTS[0][0]
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_bytes(b"not the declared file")
    files, note = mod.new_subject_files(tmp_path)
    assert files == [] and "SHA-256 differs" in note and "refused" in note


def test_declared_new_subject_is_found_with_its_checksum():
    """Data test: the declared file where MOCAPLAB_NEW_GAIT points (not in the repository)."""
    new_dir = os.environ.get("MOCAPLAB_NEW_GAIT")
    if not new_dir:
        pytest.skip("MOCAPLAB_NEW_GAIT is unset: the new held-out gait files are not available")
    mod = _eval_module()
    files, note = mod.new_subject_files(Path(new_dir))
    if "absent" in note:
        pytest.skip(f"new held-out file not under MOCAPLAB_NEW_GAIT: {note}")
    assert note == "" and [s for _p, s in files] == ["SI02"]


def test_new_subject_markers_are_plugin_gait_but_its_foot_offsets_are_not_in_the_file():
    """Data test (the one run of the declared file, session 9): its angles are Plug-in Gait's
    (our centres within 1 mm of its segment origins, pelvis/hip/knee within 0.5 deg) except the
    ankle, whose static foot offsets are not in its PROCESSING group: analyze says so."""
    new_dir = os.environ.get("MOCAPLAB_NEW_GAIT")
    if not new_dir:
        pytest.skip("MOCAPLAB_NEW_GAIT is unset: the new held-out gait files are not available")
    mod = _eval_module()
    files, note = mod.new_subject_files(Path(new_dir))
    if not files:
        pytest.skip(f"new held-out file not available: {note}")
    from mocaplab.analysis.pipeline import analyze_file
    from mocaplab.marker_io import read_c3d

    path = files[0][0]
    assert max(mod.centre_distances_mm(path).values()) < 1.0
    m = analyze_file(path)
    outputs = dict(read_c3d(path).model_outputs)
    pairs = {p[:2]: p for p in mod._spec_pairs(("pelvis", "hip", "knee", "ankle"))}
    for seg in ("pelvis", "hip", "knee"):
        for pair in (p for k, p in pairs.items() if k[0] == seg):
            assert max(mod._side_rmse(m, outputs, pair).values()) < 0.5, pair
    assert min(mod._side_rmse(m, outputs, pairs[("ankle", "dorsiflexion")]).values()) > 5.0
    assert any(w.startswith("left and right static foot offsets") for w in m["warnings"])
    assert "static foot offsets not in the file" in m["provenance"]["kinematics"]["quality"]


# --- the pool of walking trials (--pool) ---------------------------------------------------------
def test_pool_stretch_and_substitute_markers():
    mod = _eval_module()
    assert mod.longest_complete_run([True, False, True, True, True, False, True]) == (2, 5)
    assert mod.longest_complete_run([False, False]) == (0, 0)
    f = 4
    labels = ["L.Ant.Fem.", "L.Post.Fem.", "R.Ant.Fem.", "R.Post.Fem.", "VSAC"]
    pts = np.zeros((f, len(labels), 3))
    pts[:, 0] = [1.0, 0.0, 0.0]
    pts[:, 1] = [3.0, 0.0, 0.0]
    pts[:, 2] = [0.0, 2.0, 0.0]
    pts[:, 3] = [0.0, 4.0, 0.0]
    pts[:, 4] = [5.0, 5.0, 5.0]
    out = mod.pool_markers(pts, labels, "z", (("THI", ("{S}.Ant.Fem.", "{S}.Post.Fem.")),
                                              ("SACR", ("VSAC",)), ("TIB", ("{S}SHA",))))
    np.testing.assert_allclose(out["LTHI"], [[2.0, 0.0, 0.0]] * f)
    np.testing.assert_allclose(out["RTHI"], [[0.0, 3.0, 0.0]] * f)
    np.testing.assert_allclose(out["SACR"], [[5.0, 5.0, 5.0]] * f)
    assert "LTIB" not in out  # labels absent: the role is left as it is
    need = mod.pool_needed({"LASI": 0, "RASI": 0, "SACR": 0, "LKJC": 0, "RKJC": 0})
    assert "SACR" in need and "LPSI" not in need and "LKJC" in need and "LTHI" not in need
    assert "LTIB" in need and "RHEE" in need


def test_pool_regression_is_nested_leave_one_subject_out():
    """The feature and the line are fitted without the subject predicted."""
    mod = _eval_module()
    bias = {"a": 1.0, "b": 3.0, "c": 5.0, "d": 7.0}
    feats = {s: {"x": b / 2.0, "noise": [0.3, -0.2, 0.9, 0.1][i]}
             for i, (s, b) in enumerate(bias.items())}
    pred = mod.loso_regression(bias, feats)
    for s, (p, name) in pred.items():
        assert name == "x" and p == pytest.approx(bias[s])
    flat = mod.loso_regression(bias, {s: {"x": 1.0} for s in bias})
    assert flat["a"] == (pytest.approx(5.0), "median")  # no usable feature: the others' median


def test_pool_reference_is_vicon_and_keypoints_are_the_perfect_detectors():
    """Data test: on a PiG trial our marker-based reference pelvis tilt equals Vicon's and the
    pool keypoints equal perfect_keypoints'; on the Helen Hayes trial the sacrum and shank
    substitutes give a complete stretch and the shoulders come from the markers."""
    data = os.environ.get("MOCAPLAB_SHARED_DATA")
    if not data:
        pytest.skip("MOCAPLAB_SHARED_DATA is unset: the gait marker corpus is not available")
    mod = _eval_module()
    trials = {t.rel: t for t in mod.POOL}
    rel = "gait_marker_corpus/btkdata/PiG_Motion-FlatFoot-Full.c3d"
    d = mod.pool_keypoints(Path(data) / rel, trials[rel])
    kp, outputs, *_ = mod.perfect_keypoints(Path(data) / rel)
    assert set(kp) == set(d["kp"])
    for k in kp:
        np.testing.assert_allclose(d["kp"][k], kp[k])
    for s in "LR":
        assert mod.rmse(d["ref"][s + "PelvisAngles"][:, 0],
                        np.asarray(outputs[s + "PelvisAngles"])[:, 0])[0] < 0.01
        assert mod.rmse(d["ref"][s + "HipAngles"][:, 0],
                        np.asarray(outputs[s + "HipAngles"])[:, 0])[0] < 0.5
    rel = "gait_marker_corpus/btkdata/Gait.c3d"
    d = mod.pool_keypoints(Path(data) / rel, trials[rel])
    a, b = d["stretch"]
    assert b - a >= d["fps"] and d["shoulders"] == "markers" and "left_wrist" in d["kp"]
    assert np.isfinite(d["ref"]["LPelvisAngles"][:, 0]).all()


def test_shipped_tilt_offset_is_the_rule_on_the_pool_and_the_report_names_its_size():
    """The shipped constant is minus the median of the recorded pool subjects' biases (the rule
    --pool evaluates leaving one subject out), the recorded subjects are the pool's, and the
    report's prior sentence names the pool's number of subjects."""
    from mocaplab.analysis import augmenter
    from mocaplab.reporting.report import PRIOR_SENTENCE

    mod = _eval_module()
    recorded = mod.POOL_RECORDED_BIASES_DEG
    assert set(recorded) == {t.subject for t in mod.POOL}
    assert round(mod.offset_from(recorded.values()), 1) == augmenter.AUGMENTED_TILT_OFFSET_DEG
    words = {9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}
    assert words[len(recorded)] == augmenter.TILT_HELD_OUT_SUBJECTS
    assert f"evaluation on {words[len(recorded)]} subjects" in PRIOR_SENTENCE
