"""benchmarks/events_eval.py: the held-out declarations and the gaitkit JSON reader (issue 16)."""

import hashlib
import importlib.util
import json
import os
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
