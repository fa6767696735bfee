"""Before/after video (mocaplab.compare_video, mocaplab.overlay) on generated visits with known
motion: synthetic footage, triangulated skeleton, analysed events."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mocaplab.camera import CameraSet
from mocaplab.cli import main
from mocaplab.compare_video import (
    Options,
    Side,
    camera_scores,
    choose_camera,
    event_indices,
    load_side,
    make_comparison,
    phase_timeline,
)
from mocaplab.errors import InputError
from mocaplab.keypoint_sets import MEDIAPIPE33
from mocaplab.overlay import SIDE_BGR, Skeleton, draw_skeleton, line_angle_deg, project_frame
from mocaplab.synthetic import walkway_cameras
from mocaplab.synthetic.footage import synthetic_subject
from mocaplab.synthetic.gait import parametric_walk


def _cameras() -> CameraSet:
    return walkway_cameras(6, walkway_length=7.0, image_size=(640, 360), focal_px=450.0)


def _walk(obliquity=(4.0, 4.0), cadence=110.0, seed=0):
    return parametric_walk(duration_s=2.8, fps=50.0, start_xy=(-1.6, 0.0),
                           obliquity_amp_deg=obliquity, cadence_steps_per_min=cadence)


@pytest.fixture(scope="module")
def visits(tmp_path_factory) -> tuple[Path, Path]:
    return synthetic_subject(tmp_path_factory.mktemp("lab"))


def test_line_angle_sign_and_value():
    right = np.array([0.0, -0.1, 1.0])
    left = np.array([0.0, 0.1, 1.0 + 0.2 * np.tan(np.radians(5.0))])
    assert line_angle_deg(left, right) == pytest.approx(5.0, abs=1e-9)
    assert line_angle_deg(right, left) == pytest.approx(-5.0, abs=1e-9)
    assert np.isnan(line_angle_deg(left, np.full(3, np.nan)))


def test_skeleton_is_drawn_where_the_3d_points_project():
    cams = _cameras()
    walk = _walk()
    sk = Skeleton.of(walk.keypoints.points, MEDIAPIPE33.names)
    cam = cams["cam0"]
    img = np.zeros((cam.size[1], cam.size[0], 3), np.uint8)
    px = draw_skeleton(img, cam, sk, 60)
    k = MEDIAPIPE33.names.index("left_knee")
    assert np.allclose(px[k], cam.project(walk.keypoints.points[60, k][None])[0])
    x, y = np.round(px[k]).astype(int)
    assert tuple(img[y, x]) == SIDE_BGR["left"]
    # and nothing where no keypoint projects (a corner far from the subject)
    assert not img[:20, :20].any()
    # a point behind the camera is not drawn
    behind = cam.center + 2 * (cam.center - walk.keypoints.points[60, k])
    assert np.isnan(project_frame(cam, behind[None])).all()


def test_camera_choice_front_and_side():
    cams = _cameras()
    walk = _walk()
    sk = Skeleton.of(walk.keypoints.points, MEDIAPIPE33.names)
    videos = {n: Path(f"{n}.mp4") for n in cams.names}
    front = {s.name: s for s in camera_scores(cams, sk, videos, "front")}
    side = {s.name: s for s in camera_scores(cams, sk, videos, "side")}
    # cam4 stands at the +X end of the walkway: the walker (heading +X) walks towards it
    assert choose_camera(list(front.values())) == "cam4"
    assert front["cam4"].quality > 0.95 and front["cam0"].quality < 0.6
    assert choose_camera(list(side.values())) in {"cam0", "cam1", "cam2", "cam3"}
    # without its video a camera cannot win; an override is checked
    no_video = camera_scores(cams, sk, {"cam0": Path("cam0.mp4")}, "front")
    assert choose_camera(no_video) == "cam0"
    with pytest.raises(InputError, match="has no video"):
        choose_camera(no_video, "cam4")
    with pytest.raises(InputError, match="not in the calibration"):
        choose_camera(no_video, "camX")


def _side(events, fps=100.0, n_frames=400) -> Side:
    sk = Skeleton.of(np.zeros((n_frames, 33, 3)), MEDIAPIPE33.names)
    return Side(Path("t"), "v", "d", None, Path("v.mp4"), (), sk, fps,
                np.asarray(events, float), "")


def test_phase_timeline_maps_each_trial_by_its_own_cycles():
    a, b = _side([10, 60, 110, 160]), _side([20, 90, 160])
    tl = phase_timeline((a, b), Options(max_cycles=3, speed=1.0, fps=50.0))
    assert tl.mode == "phase"
    # both start on their own event and end on the event ending the last shared cycle (2)
    assert tl.frames[:, 0].tolist() == [10, 20]
    assert tl.frames[:, -1].tolist() == [110, 160]
    mid = int(np.argmin(np.abs(tl.phase_pct - 50)))
    phi = tl.phase_pct[mid] / 100
    assert abs(phi - 0.5) < 0.02
    assert tl.frames[:, mid].tolist() == [round(10 + 50 * phi), round(20 + 70 * phi)]
    # the slower trial (0.7 s cycles) sets the frames per cycle: 0.7 s x 50 fps
    assert np.count_nonzero(tl.phase_pct < 100) == 35


def test_timeline_without_enough_events_falls_back_to_real_time():
    tl = phase_timeline((_side([10, 60, 110]), _side([])), Options(speed=1.0, fps=50.0))
    assert tl.mode == "time" and "not phase-aligned" in tl.note
    assert tl.frames[:, 0].tolist() == [10, 0]
    assert np.isnan(tl.phase_pct).all()


def test_event_indices_use_subframe_times():
    m = {"fps": 100.0, "first_frame": 1, "events": [
        {"side": "right", "type": "foot_strike", "time_s": 0.5, "frame": 51,
         "time_subframe_s": 0.504},
        {"side": "left", "type": "foot_strike", "time_s": 0.9, "frame": 91},
        {"side": "right", "type": "foot_strike", "time_s": 1.6, "frame": 161}]}
    assert event_indices(m, "right_foot_strike") == pytest.approx([50.4, 160.0])
    assert event_indices(m, "left_foot_off").size == 0


def test_comparison_video_and_key_frames(visits, tmp_path):
    before, after = visits
    res = make_comparison(before, after, tmp_path / "cmp", Options(max_cycles=1, speed=1.0))
    info = json.loads(res.summary.read_text())
    assert info["alignment"] == "phase"
    assert [s["camera"] for s in info["sides"]] == ["cam4", "cam4"]
    assert [s["visit"] for s in info["sides"]] == ["pre", "post"]
    assert [s["date"] for s in info["sides"]] == ["2026-03-02", "2026-06-15"]
    # the first output frame shows each trial at its first right foot strike
    frames = np.array(info["source_frames"])
    for s, f0 in zip(info["sides"], frames[:, 0], strict=True):
        assert f0 == round(s["events"][0])
        assert frames.shape[1] == info["frames"]
    cap = cv2.VideoCapture(str(res.video))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    assert n == info["frames"] > 10
    assert [p.name for p in res.key_frames] == [f"keyframe_{p:03d}pct.png"
                                                for p in (0, 25, 50, 75)]
    img = cv2.imread(str(res.key_frames[0]))
    assert img.shape[1::-1] == tuple(info["size"])
    # both panels carry the skeleton in the side colours
    half = img.shape[1] // 2
    for panel in (img[:, :half], img[:, half:]):
        for colour in (SIDE_BGR["left"], SIDE_BGR["right"]):
            near = np.abs(panel.astype(int) - colour).sum(axis=2) < 30
            assert near.sum() > 50
    # the pre visit was made with a 9 deg left rise of the pelvis, the post visit with 4:
    # the measured pelvis line angles at the key phases reflect it
    pelvis = [[a["pelvis"] for a in k["angles_deg"]] for k in info["key_frames"].values()]
    spread = np.ptp(np.array(pelvis, float), axis=0)
    assert spread[0] > spread[1]
    sheet = cv2.imread(str(res.sheet))
    assert sheet.shape[1] <= 1600 and abs(sheet.shape[0] / sheet.shape[1]
                                         - img.shape[0] / img.shape[1]) < 0.05


def test_cli_compare_video(visits, tmp_path, capsys):
    before, after = visits
    out = tmp_path / "o"
    argv = ["compare-video", str(before), str(after), "-o", str(out), "--view", "side",
            "--cycles", "1", "--speed", "1", "--height", "240", "--codec", "mp4v"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "camera cam0 (side view)" in text and "mp4v" in text
    assert main(argv) == 1                                   # no silent overwrite
    assert "already exists" in capsys.readouterr().err
    assert main(argv + ["--force", "--camera-after", "cam9"]) == 1
    assert "cam9" in capsys.readouterr().err
    assert main(["compare-video", str(before.parent), str(after), "-o", str(tmp_path / "p")]) == 1
    assert "no meta.json" in capsys.readouterr().err


def test_calibration_names_pair_with_the_videos_as_in_triangulation(visits, tmp_path):
    """A calibration naming the cameras cam_00.. for videos cam0.. (Pose2Sim/Qualisys style;
    triangulation pairs them): the comparison pairs them too, instead of 'no camera with a
    video sees the subject'."""
    import shutil

    from mocaplab.calibration import load_calibration
    from mocaplab.trial import Trial

    before, after = visits
    renamed = tmp_path / after.parent.name / after.name
    shutil.copytree(after.parent, renamed.parent)
    cal = Trial(renamed).calibration_path
    cams = load_calibration(cal)
    CameraSet(tuple(c.replace(name=f"cam_{i:02d}") for i, c in enumerate(cams)),
              cams.metadata).save(cal, overwrite=True)
    side = load_side(renamed, Options(), 1)
    assert side.camera.name == load_side(after, Options(), 1).camera.name == "cam4"
    assert side.video.name.startswith("cam4")
