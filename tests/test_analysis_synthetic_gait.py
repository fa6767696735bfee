"""The mediapipe33 walking trial derived from walk.c3d (mocaplab.synthetic.gait)."""

from __future__ import annotations

import numpy as np
import pytest

from mocaplab.analysis.inputs import AnalysisInput
from mocaplab.analysis.landmarks import hip_joint_centres
from mocaplab.analysis.pipeline import analyze
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.synthetic.gait import mediapipe_from_markers, parametric_walk


def test_parametric_walk_shapes_and_truth():
    w = parametric_walk(duration_s=3.0, fps=50.0)
    assert w.markers.shape == (150, len(w.marker_labels), 3)
    assert w.keypoints.points.shape == (150, 33, 3)
    assert np.isfinite(w.keypoints.points).all()
    assert {e[1] for e in w.events} == {"foot_strike", "foot_off"}


def test_mediapipe_from_markers_requires_pelvis_and_feet():
    w = parametric_walk(duration_s=1.0)
    keep = [i for i, n in enumerate(w.marker_labels) if n != "LTOE"]
    with pytest.raises(ValueError, match="LTOE"):
        mediapipe_from_markers(w.markers[:, keep], [w.marker_labels[i] for i in keep], w.fps)


def test_walk_c3d_as_mediapipe33(shared_data):
    from mocaplab.marker_io import read_c3d

    t = read_c3d(shared_data / "kineticstoolkit_walk" / "walk.c3d")
    kp = mediapipe_from_markers(t.points, t.labels, t.fps)
    assert kp.keypoints == MEDIAPIPE33_NAMES
    sacr = (t.marker("LPSI") + t.marker("RPSI")) / 2
    lh, _ = hip_joint_centres(t.marker("LASI"), t.marker("RASI"), sacr)
    np.testing.assert_allclose(kp.keypoint("left_hip"), lh)
    np.testing.assert_allclose(kp.keypoint("right_heel"), t.marker("RHEE"))
    np.testing.assert_allclose(kp.keypoint("left_knee"), t.marker("LKJC"))
    m = analyze(AnalysisInput(kp.points, kp.keypoints, kp.fps, t.first_frame, "mp", "points3d"))
    ref = [(e.side, e.type, e.time_s) for e in t.events]
    errs = []
    for side, typ, ts in ref:
        errs.append(min(abs(e["time_subframe_s"] - ts) for e in m["events"]
                        if e["side"] == side and e["type"] == typ))
    assert np.mean(errs) <= 0.010 and np.max(errs) <= 0.02
    obl = np.array(m["angles"]["pelvis"]["left"]["obliquity"], dtype=float)
    vicon = t.model_outputs["LPelvisAngles"][:, 1]
    assert np.sqrt(np.nanmean((obl - vicon) ** 2)) < 2.0


def test_walk_c3d_on_the_synthetic_walkway(shared_data):
    from mocaplab.synthetic.gait import markerless_walk_from_c3d

    kp, events = markerless_walk_from_c3d(shared_data / "kineticstoolkit_walk" / "walk.c3d")
    hips = (kp.keypoint("left_hip") + kp.keypoint("right_hip")) / 2
    d = hips[-1] - hips[0]
    assert d[0] > 1.5 and abs(d[1]) < 0.1               # walks along +X
    assert abs(hips[:, 1].mean()) < 0.1 and abs(hips[:, 0].mean()) < 0.3
    assert len(events) == 8
    # right foot strike at 1.6605 s in the C3D, whose first frame (153) is t = 1.52 s
    assert events[0] == ("right", "foot_strike", pytest.approx(1.6605 - 1.52, abs=1e-6))
    m = analyze(AnalysisInput(kp.points, kp.keypoints, kp.fps, 1, "mp", "points3d"))
    for side, typ, t in events:
        assert min(abs(e["time_subframe_s"] - t) for e in m["events"]
                   if e["side"] == side and e["type"] == typ) < 0.015
