"""Two-view points whose left/right label decides them, checked against each view's 2D track
(mocaplab.triangulation.continuity), and the pipeline leaving them out (reason 4)."""

from __future__ import annotations

import numpy as np

from mocaplab.camera import CameraSet
from mocaplab.synthetic.cameras import make_camera
from mocaplab.triangulation.continuity import confirmed_labels, unconfirmed_points
from mocaplab.triangulation.linear import (
    extrinsics,
    focal_lengths,
    normalized_observations,
    triangulate_weighted,
)

FPS = 60.0
MIRROR = np.array([1, 0])  # keypoint 0 is "left", 1 "right"


def _scene(swap=(80, 100), F=120):
    """Two side cameras and one at the end of the walkway; a left and a right point 0.3 m
    apart walking along X. The far side camera stops seeing them at frame 60; the end
    camera labels them the other way round in frames ``swap``."""
    cams = CameraSet((make_camera("side", (0.0, 3.5, 1.2), (0.0, 0.0, 1.0), (1280, 720), 1000.0),
                      make_camera("far", (0.0, -3.5, 1.2), (0.0, 0.0, 1.0), (1280, 720),
                                  1000.0),
                      make_camera("end", (6.0, 0.0, 1.2), (0.0, 0.0, 1.0), (1280, 720),
                                  1000.0)))
    t = np.arange(F) / FPS
    X = np.zeros((F, 2, 3))
    X[..., 0] = (t - t.mean())[:, None]
    X[:, 0, 1], X[:, 1, 1] = 0.15, -0.15
    X[..., 2] = 1.0
    pix = cams.project(X)  # (C, F, K, 2)
    pix[1, 60:] = np.nan
    a, b = swap
    pix[2, a:b] = pix[2, a:b][:, MIRROR]
    return cams, X, pix


def _points(cams, pix, used):
    Rt, f = extrinsics(cams), focal_lengths(cams)
    xn = normalized_observations(cams, pix)
    C, F, K, _ = xn.shape
    P = triangulate_weighted(Rt, xn.reshape(C, F * K, 2), used.reshape(C, -1).astype(float),
                             f, 1).reshape(F, K, 3)
    return Rt, f, xn, P


def test_a_label_run_in_the_deciding_view_of_two_is_left_out():
    cams, X, pix = _scene()
    used = np.isfinite(pix).all(-1)
    Rt, f, xn, P = _points(cams, pix, used)
    # the ghosts agree with both views: no per-frame check sees them
    assert np.linalg.norm(P[85] - X[85], axis=-1).min() > 0.2
    out = unconfirmed_points(Rt, xn, f, used, MIRROR, P, threshold_px=10.0, max_gap=3)
    assert out[80:100].all()
    assert not out[:80].any()  # three views, and two views continuing from them
    # right again from frame 100, but nothing seen by three views confirms it (a limitation)
    assert out[100:].all()
    # a side view's label does not decide the point: exchanged there, it is kept
    side = pix.copy()
    side[0, 70:75] = side[0, 70:75][:, MIRROR]
    Rt, f, xn, P = _points(cams, side, used)
    assert not unconfirmed_points(Rt, xn, f, used, MIRROR, P, 10.0, 3)[60:80].any()


def test_a_track_is_confirmed_from_three_view_frames_until_a_crossing_or_a_gap():
    cams, X, pix = _scene(swap=(0, 0))
    used = np.isfinite(pix).all(-1)
    xn, f = normalized_observations(cams, pix), focal_lengths(cams)
    assert confirmed_labels(xn, f, used, MIRROR, 3)[used].all()
    gap = used.copy()
    gap[2, 90:95] = False  # the end view loses the points for 5 frames
    conf = confirmed_labels(xn, f, gap, MIRROR, 3)
    assert conf[2, :90].all() and not conf[2, 95:].any()
    assert confirmed_labels(xn, f, gap, MIRROR, None)[2, 95:].all()
    used[:, :60] = False  # nothing was ever seen by three views
    assert not confirmed_labels(xn, f, used, MIRROR, 3).any()


def test_the_pipeline_leaves_out_two_view_ghosts_of_a_hard_scene():
    # tuning scene 827 of benchmarks/persons_eval.py (tight framing): a side and an end camera
    # alone see the subject at the start, with legs and hands labelled the wrong way in the
    # end view; before, 431 saved points were > 50 mm off there
    from mocaplab.keypoint_sets import MEDIAPIPE33
    from mocaplab.keypoints.poses2d import Poses2D
    from mocaplab.synthetic.hard_views import HardViewOptions, hard_scene
    from mocaplab.triangulation import FilterOptions
    from mocaplab.triangulation.run import triangulate_persons
    from mocaplab.triangulation.smoothing import UNCONFIRMED_LABEL

    sc = hard_scene(827, HardViewOptions())
    poses = Poses2D(sc.points, sc.confidence, tuple(sc.cameras.names), MEDIAPIPE33.names,
                    sc.fps)
    res = triangulate_persons(poses, sc.cameras, filtering=FilterOptions())
    s = res.subject_result
    off = np.linalg.norm(s.points.points - sc.truth[0], axis=-1) > 0.05
    assert (s.left_out == UNCONFIRMED_LABEL).sum() > 100
    assert off.sum() < 320
    rec = res.record()
    assert rec["points_left_out"][UNCONFIRMED_LABEL - 1] == (s.left_out == UNCONFIRMED_LABEL).sum()


def test_two_camera_trial_keeps_its_two_view_points(tmp_path):
    """With two cameras no frame is seen by three views, so the two-view label rule could never
    confirm a labelling and left out most lateral points (synthetic 2-camera walk: hips and
    ankles in 22-26 % of the frames; Pose2Sim cam01 + cam02: 1 %). It is not applied there;
    the points kept are the walker's (millimetres off)."""
    import numpy as np

    from mocaplab.pose_data import Points3D
    from mocaplab.synthetic.gait import parametric_walk
    from mocaplab.synthetic.lab import write_keypoints_trial
    from mocaplab.triangulation import triangulate_trial

    trial = write_keypoints_trial(tmp_path / "two", speed_m_s=1.1, duration_s=3.0,
                                  start_xy=(-2.0, 0.0), seed=3, n_cameras=2)
    got = Points3D.load(triangulate_trial(trial, force=True))
    truth = parametric_walk(speed_m_s=1.1, duration_s=3.0, fps=60.0,
                            start_xy=(-2.0, 0.0)).keypoints.points
    names = list(got.keypoints)
    for k in ("left_hip", "right_hip", "left_ankle", "right_ankle"):
        i = names.index(k)
        seen = np.isfinite(got.points[:, i]).all(-1)
        assert seen.mean() > 0.9, (k, seen.mean())
        err = np.linalg.norm(got.points[seen, i] - truth[seen, i], axis=1)
        assert np.median(err) < 0.01 and np.percentile(err, 95) < 0.03, k
