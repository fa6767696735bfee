"""benchmarks/events_eval.py: the held-out declarations and the gaitkit JSON reader (issue 16)."""

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from mocaplab.errors import InputError

spec = importlib.util.spec_from_file_location(
    "events_eval", Path(__file__).parents[1] / "benchmarks" / "events_eval.py")
ev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ev)


def _frame(i, valid=1):
    pos = {"left_hip": [100.0 + i, 900.0, -100.0], "right_hip": [100.0 + i, 900.0, 100.0],
           "left_heel": [0.0, 0.0, 0.0], "right_heel": [50.0 + i, 40.0, 90.0],
           "left_toe": [200.0, 30.0, -90.0], "right_toe": [250.0, 30.0, 90.0],
           "nose": [1.0, 2.0, 3.0]}
    return {"frame_index": i, "landmark_positions": pos, "is_valid": valid}


def test_gaitkit_json_metres_z_up_roles_missing_and_event_times(tmp_path):
    path = tmp_path / "trial.json"
    path.write_text(json.dumps({
        "fps": 100.0, "angle_frames": [_frame(0), _frame(1), _frame(2, valid=0)],
        "ground_truth": {"hs_frames": {"left": [1], "right": []},
                         "to_frames": {"left": [], "right": [2]}}}))
    data = ev.load_gaitkit_json(path)
    assert data.labels == ("LHJC", "RHJC", "LHEE", "RHEE", "LTOE", "RTOE")    # no 'nose'
    assert data.fps == 100.0 and data.first_frame == 1
    rhee = data.points[:, data.labels.index("RHEE")]
    # Y up (mm) -> Z up (m): (x, y, z) -> (x, -z, y)
    np.testing.assert_allclose(rhee[1], [0.051, -0.090, 0.040])
    assert np.isnan(data.points[:, data.labels.index("LHEE")]).all()        # all-zero = missing
    assert np.isnan(data.points[2]).all()                                   # is_valid 0
    assert data.reference_events == (("left", "foot_strike", 0.01, 2),
                                     ("right", "foot_off", 0.02, 3))
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(InputError, match="not a gaitkit example trial"):
        ev.load_gaitkit_json(bad)


def test_declared_file_with_other_content_is_refused(tmp_path):
    rel = ev.NEW_HOLDOUT[0][0]
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_text("not the declared file")
    files, note = ev.new_files(tmp_path)
    assert files == [] and "SHA-256 differs" in note
    files, note = ev.new_files(tmp_path / "absent")
    assert files == [] and "skipped" in note


def test_new_holdout_file_as_declared():
    """The session 9 held-out file reads as declared (13 labelled events, no plates); this
    runs no detector."""
    new_dir = os.environ.get("MOCAPLAB_NEW_GAIT")
    if not new_dir or not (Path(new_dir) / ev.NEW_HOLDOUT[0][0]).is_file():
        pytest.skip("MOCAPLAB_NEW_GAIT unset or without gaitkit-1.5.0/example_parkinson.json "
                    "(PyPI sdist gaitkit 1.5.0, src/gaitkit/data/)")
    path = Path(new_dir) / ev.NEW_HOLDOUT[0][0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ev.NEW_HOLDOUT[0][1]
    data = ev.load(path)
    assert data.fps == 150.0 and data.points.shape[:2] == (671, 12)
    assert len(data.reference_events) == 13 and ev.plate_events(path, None) == []
    assert np.isfinite(data.points).all()


def _cv():
    spec = importlib.util.spec_from_file_location(
        "events_cv", Path(__file__).parents[1] / "benchmarks" / "events_cv.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("events_cv", mod)      # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_cv_fold_fits_without_the_left_out_file_and_lab():
    """events_eval --cv: a fold's constants are fitted on the other files only (leave one
    file out) or on the other labs' files only (leave one lab out)."""
    cv = _cv()
    assert cv.training_indices(["a", "b", "b", "c"], 1, "file") == [0, 2, 3]
    assert cv.training_indices(["a", "b", "b", "c"], 1, "lab") == [0, 3]
    with pytest.raises(ValueError):
        cv.training_indices(["a"], 0, "subject")

    def res(err_s):          # one file's scores: one labelled event with this error
        return {"labels": ([err_s], 0, 0), "plates": ([], 0, 0)}
    # file 0 alone prefers fs_fraction 0.3; files 1 and 2 prefer 0.1
    pre = {"strike": [({"fs_fraction": 0.1}, [res(0.03), res(0.0), res(0.0)]),
                      ({"fs_fraction": 0.3}, [res(0.0), res(0.02), res(0.02)])],
           "off": [({"fo_toe_speed_m_s": 1.0}, [res(0.0)] * 3)],
           "lag": [0.5, 0.01, 0.03]}
    assert cv.fit(pre, [0, 1, 2]).fs_fraction == 0.1
    assert cv.fit(pre, [0]).fs_fraction == 0.3
    fold = cv.fit(pre, [1, 2])                # file 0 left out: its lag (0.5 s) is not used
    assert fold.fs_fraction == 0.1 and fold.fs_ankle_accel_lead_s == pytest.approx(0.02)


def test_cv_loss_counts_missed_and_false_events_as_the_match_window():
    cv = _cv()
    assert cv.loss([{"labels": ([0.01, -0.03], 1, 1), "plates": ([], 0, 0)}]) == \
        pytest.approx((0.04 + 0.3) / 4)


def test_cv_candidate_families_start_from_the_shipped_options():
    """events_eval --cv --family: a family's grid dimensions hold the shipped value first, so
    a fold can keep the shipped behaviour; an unknown family is refused."""
    cv = _cv()
    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS

    assert cv.FAMILIES["none"] == ({}, {})
    for strike, off in cv.FAMILIES.values():
        for name, values in (strike | off).items():
            assert values[0] == getattr(MARKER_EVENT_OPTIONS, name), name
    assert "fo_lift_weight" in cv.FAMILIES["lift"][1]
    assert "fo_lift_weight=0" in cv.describe(MARKER_EVENT_OPTIONS)
    with pytest.raises(KeyError):
        cv.precompute(None, [], family="no-such-family")
