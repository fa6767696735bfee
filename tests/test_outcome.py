"""Verdicts on stage results: no person, one camera, all-NaN points, no gait cycle."""

import numpy as np

from mocaplab.outcome import (
    DONE,
    FAILED,
    WARNING,
    check_file,
    check_keypoints2d,
    check_metrics,
    check_points3d,
)

KP = ("left_hip", "right_hip", "left_ankle", "right_ankle")


def test_keypoints_without_any_person_fail_and_a_blind_camera_warns():
    pts = np.full((2, 10, 4, 2), np.nan)
    v = check_keypoints2d(pts, ("a", "b"))
    assert v.status == FAILED and "no person detected in any of the 2" in v.cause
    pts[0] = 1.0
    pts[1, :1] = 1.0
    v = check_keypoints2d(pts, ("a", "b"))
    assert v.status == WARNING and v.cause.endswith("by b 10 % (check framing and lighting)")
    pts[1] = 1.0
    assert check_keypoints2d(pts, ("a", "b")).status == DONE


def test_points3d_all_nan_or_no_fps_fail_and_missing_legs_warn():
    pts = np.full((10, 4, 3), np.nan)
    assert check_points3d(pts, KP, 60.0).status == FAILED
    pts[:] = 0.0
    assert check_points3d(pts, KP, 0.0).status == FAILED
    assert check_points3d(pts, KP, 60.0).status == DONE
    pts[:7, 2] = np.nan
    v = check_points3d(pts, KP, 60.0)
    assert v.status == WARNING and "30 %" in v.cause


def test_metrics_without_cycles_warn_with_the_analysis_reason():
    m = {"cycles": {"list": []}, "events": [],
         "warnings": ["no walking detected (the pelvis never travels ...): angles ..."]}
    v = check_metrics(m)
    assert v.status == WARNING
    assert v.cause.startswith("no gait cycle found (no walking detected)")
    m["warnings"] = []
    m["events"] = [{"type": "foot_strike", "side": "left"}]
    assert "(1 foot strike(s))" in check_metrics(m).cause
    m["cycles"]["list"] = [{"side": "left"}]
    assert "no complete right gait cycle" in check_metrics(m).cause
    m["cycles"]["list"].append({"side": "right"})
    assert check_metrics(m).status == DONE


def test_an_unreadable_metrics_file_is_a_failed_result_naming_it(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("{nope")
    v = check_file("metrics", path)
    assert v.status == FAILED and "not valid JSON" in v.cause and str(path) in v.cause
    path.write_text("[1, 2]")
    v = check_file("metrics", path)
    assert v.status == FAILED and "must hold a JSON object" in v.cause
    path.write_text('{"cycles": {"list": [{"side": "left"}, {"side": "right"}]}, "events": []}')
    assert check_file("metrics", path).status == DONE
