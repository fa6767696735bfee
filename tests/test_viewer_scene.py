"""Pure scene construction, trial loading, timeline and alignment of the viewer (no rendering)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.keypoint_sets import MEDIAPIPE33, PLUGIN_GAIT
from mocaplab.pose_data import Points3D
from mocaplab.synthetic import walkway_cameras
from mocaplab.synthetic.gait import parametric_walk
from mocaplab.synthetic.lab import WalkerParams, walker_points, write_synthetic_trial
from mocaplab.viewer import scene as sc
from mocaplab.viewer.cli import parse_frames
from mocaplab.viewer.data import load_trial, parse_angles, parse_events
from mocaplab.viewer.render import key_frames
from mocaplab.viewer.timeline import align_by_gait_cycle, next_event, timeline_image


def synthetic_walk(duration_s: float, fps: float, heading_deg: float = 0.0):
    """The one synthetic walker, noise-free, centred on the origin."""
    return walker_points(WalkerParams(fps=fps, duration_s=duration_s, heading_deg=heading_deg,
                                      noise_m=0.0, dropout=0.0))

def test_skeleton_spec_sides_and_colours_mediapipe():
    spec = sc.skeleton_spec(MEDIAPIPE33.names)
    assert spec.set_name == "mediapipe33"
    assert len(spec.edges) == len(MEDIAPIPE33.edges)
    k = MEDIAPIPE33.index
    assert np.allclose(spec.joint_colors[k("left_knee")], sc.LEFT_COLOR)
    assert np.allclose(spec.joint_colors[k("right_knee")], sc.RIGHT_COLOR)
    assert np.allclose(spec.joint_colors[k("nose")], sc.CENTER_COLOR)
    # a bone across the body (left hip - right hip) is drawn in the midline colour
    e = [tuple(x) for x in spec.edges.tolist()].index((k("left_hip"), k("right_hip")))
    assert np.allclose(spec.edge_colors[e], sc.CENTER_COLOR)


def test_skeleton_spec_keeps_only_bones_of_present_markers():
    lower = ("LASI", "RASI", "LPSI", "RPSI", "LKNE", "LANK", "LHEE", "LTOE", "XTRA")
    spec = sc.skeleton_spec(lower)
    assert spec.set_name == PLUGIN_GAIT.name
    drawn = {(lower[a], lower[b]) for a, b in spec.edges}
    assert ("LKNE", "LANK") in drawn and ("LASI", "RASI") in drawn
    assert all(a in lower and b in lower for a, b in drawn)
    assert ("RKNE", "RANK") not in drawn
    assert spec.sides[lower.index("XTRA")] == "center"


def test_frame_skeleton_skips_missing_points():
    spec = sc.skeleton_spec(MEDIAPIPE33.names)
    pts = synthetic_walk(1, 30).points[0].copy()
    pts[MEDIAPIPE33.index("left_knee")] = np.nan
    fs = sc.frame_skeleton(pts, spec)
    assert len(fs.joints) == 32 and np.isfinite(fs.joints).all()
    n_knee_bones = sum(MEDIAPIPE33.index("left_knee") in e for e in spec.edges.tolist())
    assert len(fs.lines) == len(spec.edges) - n_knee_bones
    assert np.isfinite(fs.line_points).all()
    with pytest.raises(InputError):
        sc.frame_skeleton(pts[:5], spec)


@pytest.mark.parametrize("heading", [0.0, 30.0, -120.0, 180.0])
def test_progression_direction_follows_the_walk(heading):
    walk = synthetic_walk(3, 60, heading_deg=heading)
    d = sc.progression_direction(walk.points, walk.keypoints)
    h = np.radians(heading)
    assert np.allclose(d, [np.cos(h), np.sin(h), 0.0], atol=0.02)


def test_progression_direction_on_the_spot_uses_facing():
    walk = parametric_walk(speed_m_s=0.0, heading_deg=90.0, duration_s=3, fps=60).keypoints
    d = sc.progression_direction(walk.points, walk.keypoints)
    assert np.allclose(d, [0.0, 1.0, 0.0], atol=0.05)


def test_standard_views_orient_the_walk():
    fwd = np.array([np.cos(0.5), np.sin(0.5), 0.0])
    center = np.array([1.0, 2.0, 0.9])
    K = sc.intrinsic_matrix(640, 480, 40)
    ahead, left = center + fwd, center + np.cross(sc.UP, fwd)
    side = sc.look_at_extrinsic(sc.standard_view("side", fwd, center, 2.0))
    uv_c, uv_a = sc.project(np.stack([center, ahead]), K, side)
    assert uv_a[0] > uv_c[0] + 50 and abs(uv_a[1] - uv_c[1]) < 1  # walks left to right
    front = sc.look_at_extrinsic(sc.standard_view("front", fwd, center, 2.0))
    uv_c, uv_l = sc.project(np.stack([center, left]), K, front)
    assert uv_l[0] > uv_c[0] + 50  # the subject's left is on the image right
    top = sc.look_at_extrinsic(sc.standard_view("top", fwd, center, 2.0))
    uv_c, uv_a = sc.project(np.stack([center, ahead]), K, top)
    assert uv_a[1] < uv_c[1] - 50  # progression points up
    with pytest.raises(InputError):
        sc.standard_view("oblique", fwd, center, 2.0)


def test_camera_frustum_matches_the_camera():
    cams = walkway_cameras(4)
    cam = cams[0]
    fr = sc.camera_frustum(cam, depth=0.5)
    assert np.allclose(fr.points[0], cam.center, atol=1e-9)
    corners = fr.points[1:5]
    assert np.allclose(cam.world_to_camera(corners)[:, 2], 0.5)
    uv = sc.project(corners, cam.matrix, np.vstack([cam.extrinsic_matrix, [0, 0, 0, 1]]))
    w, h = cam.size
    assert np.allclose(uv, [[0, 0], [w, 0], [w, h], [0, h]], atol=1e-6)
    assert len(sc.camera_frustums(cams).lines) == 4 * len(fr.lines)
    assert len(sc.camera_frustums(None).lines) == 0


def test_floor_grid_lies_on_the_floor():
    g = sc.floor_grid((0.26, -0.1), 2.0, 0.5)
    assert np.all(g.points[:, 2] == 0)
    assert np.allclose(np.unique(np.round(g.points[:, 0], 6)) % 0.5, 0, atol=1e-9)
    assert g.lines.max() < len(g.points) and len(g.colors) == len(g.lines)
    with pytest.raises(InputError):
        sc.floor_grid((0, 0), 0.0)


def test_trails_and_follow_centres():
    walk = synthetic_walk(2, 50)
    spec = sc.skeleton_spec(walk.keypoints)
    tr = sc.trails(walk.points, spec, 60, 25, names=("left_heel",))
    assert len(tr.lines) == 24
    fwd = sc.progression_direction(walk.points, walk.keypoints)
    c = sc.follow_centers(walk.points, walk.keypoints, fwd, walk.fps)
    assert c.shape == (100, 3)
    along = c @ fwd
    assert np.all(np.diff(along) >= -1e-9) and along[-1] - along[0] > 1.5
    assert np.ptp(c[:, 2]) == 0


def _metrics(first_frame=1):
    return {"fps": 100.0, "first_frame": first_frame,
            "events": [{"side": "right", "type": "foot_strike", "frame": first_frame + 14,
                        "time_s": 0.14},
                       {"side": "left", "type": "foot_off", "frame": first_frame + 30,
                        "time_s": 0.3},
                       {"side": "left", "type": "foot_strike", "frame": first_frame + 500,
                        "time_s": 5.0}],
            "angles": {"pelvis": {"left": {"obliquity": [1.0, None, 3.0]},
                                  "right": {"rotation": [1.0, 2.0]}}}}


@pytest.mark.parametrize("first", [1, 153])
def test_parse_events_uses_first_frame(first):
    evs = parse_events(_metrics(first), 100, 100.0)
    assert [(e.side, e.type, e.index) for e in evs] == [("right", "foot_strike", 14),
                                                        ("left", "foot_off", 30)]
    with pytest.raises(InputError, match="event #0"):
        parse_events({"events": [{"type": "foot_strike"}]}, 10, 100.0)


def test_parse_angles_keeps_matching_lengths():
    a = parse_angles(_metrics(), 3)
    assert list(a) == ["pelvis.obliquity.left"]
    assert np.isnan(a["pelvis.obliquity.left"][1]) and a["pelvis.obliquity.left"][2] == 3.0


def test_load_trial_folder_and_errors(tmp_path):
    folder = write_synthetic_trial(tmp_path / "t", duration_s=2.0, fps=50.0)
    t = load_trial(folder)
    assert t.n_frames == 100 and t.cameras is not None and len(t.cameras) == 6
    assert t.events and all(0 <= e.index < 100 for e in t.events)
    assert "spine.rotation.right" in t.angles
    bare = load_trial(folder / "points3d.npz")
    assert bare.n_frames == 100 and bare.events == t.events
    with pytest.raises(InputError, match="does not exist"):
        load_trial(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="triangulate"):
        load_trial(tmp_path / "empty")
    (folder / "metrics.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_trial(folder)
    (folder / "metrics.json").unlink()
    Points3D(np.full((5, 33, 3), np.nan), MEDIAPIPE33.names, 50.0).save(folder / "points3d.npz")
    with pytest.raises(InputError, match="all NaN"):
        load_trial(folder)


def test_render_of_a_marker_file_says_what_to_use_instead(tmp_path, capsys):
    """`mocaplab render FILE.c3d` said only "not a points3d.npz file or a trial folder": now it
    says marker files are not replayed and names the verbs that analyse and report them."""
    from mocaplab.cli import main

    for name in ("walk.c3d", "walk.trc"):
        (tmp_path / name).write_bytes(b"marker data")
        with pytest.raises(InputError, match="is a marker file") as err:
            load_trial(tmp_path / name)
        assert f"mocaplab export {tmp_path / name}" in str(err.value)
    assert main(["render", str(tmp_path / "walk.c3d"), "--out", str(tmp_path / "w.mp4")]) == 1
    out = capsys.readouterr().err
    assert "marker file (C3D)" in out and "mocaplab export" in out and "Traceback" not in out
    assert not (tmp_path / "w.mp4").exists()


def test_timeline_image_marks_events_and_cursor(tmp_path):
    t = load_trial(write_synthetic_trial(tmp_path / "t", duration_s=2.0, fps=50.0))
    img = timeline_image(t.n_frames, t.events, 0, width=100, height=20)
    assert img.shape == (20, 100, 3) and img.dtype == np.uint8
    strike = next(e for e in t.events if e.type == "foot_strike" and e.side == "left")
    col = round(strike.index / (t.n_frames - 1) * 99)
    assert np.allclose(img[10, col], np.array(sc.LEFT_COLOR) * 255, atol=1)
    assert (img[:, 0] == 255).all()  # cursor at frame 0
    assert next_event(t.events, 0) == t.events[0].index
    assert next_event(t.events, t.events[0].index, -1) is None


def test_alignment_on_first_same_side_strike(tmp_path):
    a = load_trial(write_synthetic_trial(tmp_path / "a", 3.0, 50.0, stride_s=1.1))
    b = load_trial(write_synthetic_trial(tmp_path / "b", 3.0, 100.0, stride_s=1.0))
    al = align_by_gait_cycle([a, b])
    assert al.side == "right"
    ra = next(e for e in a.events if e.side == "right" and e.type == "foot_strike")
    rb = next(e for e in b.events if e.side == "right" and e.type == "foot_strike")
    assert al.frames_at(0.0) == (ra.index, rb.index)
    assert al.frames_at(0.2) == (ra.index + 10, rb.index + 20)
    assert al.t_start <= 0 <= al.t_end
    left = align_by_gait_cycle([a, b], "left")
    assert left.side == "left"
    no_events = dataclasses_replace(b, events=())
    assert align_by_gait_cycle([a, no_events]).side == "start"
    with pytest.raises(InputError, match="no left foot strike"):
        align_by_gait_cycle([a, no_events], "left")


def dataclasses_replace(obj, **kw):
    import dataclasses

    return dataclasses.replace(obj, **kw)


def test_key_frames_cover_one_cycle(tmp_path):
    t = load_trial(write_synthetic_trial(tmp_path / "t", 3.0, 50.0))
    picks = key_frames(t)
    labels = [lab for _, lab in picks]
    assert labels[0].endswith("foot_strike") and labels[-1] == labels[0]
    assert {"left_foot_off", "right_foot_off"} <= set(labels)
    plain = key_frames(dataclasses_replace(t, events=()))
    assert [i for i, _ in plain] == [0, 50, 99, 149]


def test_parse_frames_is_one_based_and_inclusive():
    assert parse_frames(None, 10) is None
    assert parse_frames("3", 10) == [2]
    assert parse_frames("1:4", 10) == [0, 1, 2, 3]
    assert parse_frames("1:10:3", 10) == [0, 3, 6, 9]
    assert parse_frames("2,5", 10) == [1, 4]
    for bad in ("0", "11", "a", "1:2:0", "5:1"):
        with pytest.raises(InputError):
            parse_frames(bad, 10)


def test_metrics_of_synthetic_trial_is_conventions_json(tmp_path):
    folder = write_synthetic_trial(tmp_path / "t", 1.0, 50.0)
    m = json.loads((folder / "metrics.json").read_text())
    assert m["first_frame"] == 1
    assert all(e["time_s"] == pytest.approx((e["frame"] - 1) / 50.0) for e in m["events"])
