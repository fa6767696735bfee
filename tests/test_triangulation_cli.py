"""`mocaplab triangulate` on a trial folder, exports, camera matching, real calibration."""

import numpy as np
import pytest

from mocaplab import marker_io
from mocaplab.cli import main
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.keypoint_sets import MEDIAPIPE33
from mocaplab.pose_data import Keypoints2D, Points3D
from mocaplab.synthetic import camera_ring, project_motion
from mocaplab.trial import Trial
from mocaplab.triangulation import match_cameras, triangulate_trial

FPS = 50.0


def _motion(F=30, K=33, seed=2):
    rng = np.random.default_rng(seed)
    base = rng.uniform(-0.3, 0.3, (K, 3)) + [0, 0, 1.0]
    t = np.arange(F)[:, None, None] / FPS
    return base + 0.05 * np.sin(2 * np.pi * 0.8 * t + rng.uniform(0, 6, (1, K, 3)))


@pytest.fixture
def trial(tmp_path):
    cams = camera_ring(3)
    X = _motion()
    obs = project_motion(cams, X, noise_px=0.5, dropout=0.05, outliers=0.02, seed=1)
    t = Trial.create(tmp_path / "trial", fps=FPS, cameras=["cam00", "cam01", "cam02"])
    cams.save(t.path / "calibration.toml")  # names cam0..cam2: matched to cam00..cam02
    Keypoints2D(obs.points, obs.confidence, ("cam00", "cam01", "cam02"), MEDIAPIPE33.names,
                FPS).save(t.keypoints2d_path)
    return t, X


def test_cli_on_trial_writes_points_and_exports(trial, capsys):
    t, X = trial
    assert main(["triangulate", str(t.path), "--export", "trc,c3d"]) == 0
    assert "wrote" in capsys.readouterr().out
    pts = Points3D.load(t.points3d_path)
    assert pts.points.shape == X.shape and pts.fps == FPS
    assert pts.keypoints == MEDIAPIPE33.names
    err = np.linalg.norm(pts.points - X, axis=-1)
    assert np.nanmedian(err) < 0.005 and np.isfinite(pts.points).mean() > 0.99
    assert np.nanmedian(pts.reprojection_error) < 1.0 and pts.n_views.max() == 3

    c3d = marker_io.read_c3d(t.path / "points3d.c3d")
    assert c3d.labels == MEDIAPIPE33.names and c3d.fps == FPS
    np.testing.assert_allclose(c3d.points, pts.points, atol=1e-5, equal_nan=True)
    trc = marker_io.read_trc(t.path / "points3d.trc")
    assert trc.labels == MEDIAPIPE33.names
    np.testing.assert_allclose(trc.points, pts.points, atol=1e-5, equal_nan=True)

    # a second run does not replace the result unless asked
    assert main(["triangulate", str(t.path)]) == 1
    assert main(["triangulate", str(t.path), "--force", "--no-filter", "--min-views", "3"]) == 0
    raw = Points3D.load(t.points3d_path)
    assert (raw.n_views[np.isfinite(raw.points).all(-1)] == 3).all()


def test_explicit_files_and_errors(trial, tmp_path):
    t, _ = trial
    out = tmp_path / "elsewhere" / "p3d.npz"
    assert main(["triangulate", "--keypoints", str(t.keypoints2d_path), "--calibration",
                 str(t.path / "calibration.toml"), "--out", str(out), "--cutoff", "8"]) == 0
    assert out.is_file()
    with pytest.raises(OutputExistsError):
        triangulate_trial(t.path, out=out)
    with pytest.raises(InputError, match="cutoff"):
        triangulate_trial(t.path, out=tmp_path / "x.npz", cutoff_hz=40.0)  # fps 50
    assert main(["triangulate", "--keypoints", str(t.keypoints2d_path)]) == 1  # no calibration
    assert main(["triangulate", str(t.path), "--force", "--export", "fbx"]) == 1


def test_one_camera_is_said_to_need_another(trial, capsys):
    """`mocaplab triangulate` of a one-camera trial (Sports2D's demo.mp4 imported and detected)
    said "nobody is seen consistently by two cameras in any frame: check the calibration ...
    and the synchronisation": now it says the keypoints hold one camera and 3D needs two."""
    t, _ = trial
    kp = Keypoints2D.load(t.keypoints2d_path)
    Keypoints2D(kp.points[:1], kp.confidence[:1], kp.cameras[:1], kp.keypoints,
                kp.fps).save(t.keypoints2d_path)
    assert main(["triangulate", str(t.path)]) == 1
    err = capsys.readouterr().err
    assert "holds 1 camera (cam00)" in err and "at least two calibrated cameras" in err
    assert "synchronisation" not in err and not t.points3d_path.exists()


def test_camera_matching_by_name():
    cams = camera_ring(2)
    assert match_cameras(cams, ["cam1", "cam0"]).names == ["cam1", "cam0"]
    assert match_cameras(cams, ["Cam_01", "cam00"]).names == ["Cam_01", "cam00"]
    with pytest.raises(InputError, match=r"without a calibration camera: \[.side.\]"):
        match_cameras(cams, ["cam0", "side"])


def test_pose2sim_reference_reprojects_and_triangulates_back(shared_data):
    """Real Qualisys calibration of the Pose2Sim demo: its markerless 3D reference, projected into
    the four cameras and triangulated back, is recovered exactly."""
    from mocaplab.calibration import load_calibration
    from mocaplab.triangulation import triangulate_points

    ref = shared_data / "pose2sim_demo_singleperson" / "reference_S00_demo_commit_a948c205cf"
    cams = load_calibration(ref / "S00_Calibration" / "Calib_qualisys.toml")
    cams = match_cameras(cams, ["cam01", "cam02", "cam03", "cam04"])
    trc = marker_io.read_trc(next((ref / "S00_P00_SingleParticipant" / "S00_P00_T01_BalancingTrial"
                                   / "pose-3d").glob("*_0-100.trc")))
    X = trc.points[..., [2, 0, 1]]  # Pose2Sim Y-up TRC -> calibration frame (data README)
    px = cams.project(X)
    inside = np.stack([(p[..., 0] >= 0) & (p[..., 0] < c.size[0]) & (p[..., 1] >= 0)
                       & (p[..., 1] < c.size[1]) for p, c in zip(px, cams, strict=True)])
    assert inside[:, 50].mean() > 0.9  # the person is in view of every camera
    Y = triangulate_points(cams, px)
    ok = np.isfinite(X).all(-1)
    assert np.abs(Y[ok] - X[ok]).max() < 1e-6


@pytest.mark.slow
def test_pose2sim_demo_mediapipe_keypoints_triangulate(shared_data, pose_model):
    """Real videos and calibration: MediaPipe keypoints of the first frames of the Pose2Sim demo
    triangulate with a small reprojection error, from (nearly) every camera."""
    from mocaplab.calibration import load_calibration
    from mocaplab.keypoints import detect_video
    from mocaplab.triangulation import triangulate_keypoints

    demo = shared_data / "pose2sim_demo_singleperson"
    names = ("cam01", "cam02", "cam03", "cam04")
    pts, conf = zip(*(detect_video(demo / "videos" / f"{n}.mp4", pose_model, max_frames=8)
                      for n in names), strict=True)
    kp = Keypoints2D(np.stack(pts), np.stack(conf), names, MEDIAPIPE33.names, 60.0)
    cams = load_calibration(demo / "reference_S00_demo_commit_a948c205cf" / "S00_Calibration"
                        / "Calib_qualisys.toml")
    points, res, report = triangulate_keypoints(kp, cams)
    body = [MEDIAPIPE33.index(n) for n in ("left_hip", "right_hip", "left_knee", "right_knee",
                                           "left_shoulder", "right_shoulder")]
    assert np.isfinite(points.points[:, body]).all()
    assert np.nanmedian(res.reprojection_error[:, body]) < 25.0  # px, 1088 x 1920 images
    assert res.n_views[:, body].mean() > 3.0
    # a standing person: hips about 0.7-1.2 m above the floor of the Qualisys frame
    hips = points.points[:, body[:2], 2]
    assert 0.5 < np.median(hips) < 1.3


def test_real_fps_from_timestamps():
    from mocaplab.triangulation.run import real_fps

    pts = np.zeros((2, 50, 33, 2))
    conf = np.ones((2, 50, 33))
    ts = np.tile(np.arange(50) / 59.94, (2, 1))
    kp = Keypoints2D(pts, conf, ("a", "b"), MEDIAPIPE33.names, 60.0, timestamps=ts)
    assert real_fps(kp) == pytest.approx(59.94, rel=1e-6)
    assert real_fps(Keypoints2D(pts, conf, ("a", "b"), MEDIAPIPE33.names, 60.0)) == 60.0


def test_trc_export_in_opensim_y_up_frame(tmp_path):
    from mocaplab.triangulation import export_points

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (5, 2, 3))
    X[2, 1] = np.nan
    pts = Points3D(X, ("LASI", "RASI"), 100.0)
    path = export_points(pts, tmp_path / "p.trc", y_up=True)
    back = marker_io.read_trc(path).points
    np.testing.assert_allclose(back[..., 0], X[..., 0], atol=1e-6)
    np.testing.assert_allclose(back[..., 1], X[..., 2], atol=1e-6)  # up is Y
    np.testing.assert_allclose(back[..., 2], -X[..., 1], atol=1e-6)
    assert np.isnan(back[2, 1]).all()
    with pytest.raises(InputError, match=r"\.trc or \.c3d"):
        export_points(pts, tmp_path / "p.csv")


def test_cameras_whose_frames_do_not_pair_are_refused(trial, capsys):
    """An older recording (or an import without --sync) whose cameras have different frame
    counts and no frame table: detect only warned "different frame counts ... check that the
    videos are synchronised" and triangulation paired frame i of every camera (cam01 40 vs cam02
    36 frames: 157 ms apart at the median). Now triangulate and process refuse, naming the
    cameras and their counts and durations; a difference of a frame or two is still accepted,
    and so is a trial whose frame table says how the frames pair."""
    t, _ = trial
    counts = {"cam00": 30, "cam01": 30, "cam02": 24}
    t.write_timestamps({c: np.arange(n) / FPS for c, n in counts.items()})
    t.update_meta(camera_info={c: {"frames": n, "fps": FPS} for c, n in counts.items()})
    assert main(["triangulate", str(t.path)]) == 1
    err = capsys.readouterr().err
    assert "frame counts differ (cam00 30 frames, 0.60 s, cam01 30 frames, 0.60 s, cam02 24 " \
           "frames, 0.48 s" in err
    assert "mocaplab import --sync" in err and "mocaplab record" in err
    assert not t.points3d_path.exists()
    assert main(["process", str(t.path), "--stages", "triangulate"]) == 1
    assert "frame counts differ" in capsys.readouterr().err and not t.points3d_path.exists()
    t.update_meta(sync_proposed={"method": "keypoints", "offsets": [0, 0, 3]})
    with pytest.raises(InputError, match="proposed but did not apply.*min-confidence"):
        triangulate_trial(t.path)
    # timestamps.csv absent: meta.json camera_info says the same
    t.timestamps_path.unlink()
    with pytest.raises(InputError, match="cam02 24 frames.*from meta.json camera_info"):
        triangulate_trial(t.path)
    # a frame or two more in one camera: accepted (detect warns)
    t.write_timestamps({c: np.arange(n) / FPS for c, n in
                        {"cam00": 30, "cam01": 30, "cam02": 28}.items()})
    assert main(["triangulate", str(t.path)]) == 0
    # a frame table applied (import --sync, record): its counts are the cameras' own
    t.write_timestamps({c: np.arange(n) / FPS for c, n in counts.items()})
    t.update_meta(sync={"method": "keypoints", "applied": {"cam02": {"first_frame": 3}}})
    assert main(["triangulate", str(t.path), "--force"]) == 0
