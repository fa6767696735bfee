"""benchmarks/kinematics_eval.py: the new held-out subjects (issue 15) are declared with their
SHA-256, found through --new-dir / MOCAPLAB_NEW_GAIT, skipped with a note when absent and
refused when the file differs."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest


def _eval_module():
    spec = importlib.util.spec_from_file_location(
        "kinematics_eval", Path(__file__).parents[1] / "benchmarks" / "kinematics_eval.py")
    mod = importlib.util.module_from_spec(spec)
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
