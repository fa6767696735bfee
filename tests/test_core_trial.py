"""Trial folders, pose arrays and atomic writes."""

import json

import numpy as np
import pytest

from mocaplab.atomic import atomic_path, save_npz, write_json
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.keypoint_sets import MEDIAPIPE33, PLUGIN_GAIT, get_keypoint_set
from mocaplab.pose_data import Keypoints2D, Points3D
from mocaplab.trial import Trial


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half written")
        raise RuntimeError("crash")
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_atomic_write_refuses_overwrite(tmp_path):
    target = tmp_path / "x.npz"
    save_npz(target, a=np.arange(3))
    with pytest.raises(OutputExistsError, match="already exists"):
        save_npz(target, overwrite=False, a=np.arange(4))
    assert np.load(target)["a"].tolist() == [0, 1, 2]


def test_json_nan_becomes_null(tmp_path):
    write_json(tmp_path / "m.json", {"x": [1.0, float("nan")], "y": np.float32(2)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"x": [1.0, None], "y": 2.0}


def test_trial_create_meta_and_refusal(tmp_path):
    t = Trial.create(tmp_path / "t1", subject="S01", fps=60, cameras=["cam0", "cam1"])
    assert t.meta["subject"] == "S01" and t.meta["fps"] == 60
    assert t.meta["software_version"].startswith("mocaplab")
    with pytest.raises(OutputExistsError):
        Trial.create(tmp_path / "t1", subject="S02")
    assert t.meta["subject"] == "S01"
    t.write_timestamps({"cam0": np.arange(3) / 60, "cam1": np.arange(3) / 60 + 0.001})
    ts = t.read_timestamps()
    np.testing.assert_allclose(ts["cam1"], np.arange(3) / 60 + 0.001, atol=1e-6)
    with pytest.raises(InputError, match="no video files"):
        t.video_paths()
    (t.videos_dir / "cam1.mp4").write_bytes(b"")
    (t.videos_dir / "cam0.avi").write_bytes(b"")
    assert list(t.video_paths()) == ["cam0", "cam1"]


def test_not_a_trial(tmp_path):
    with pytest.raises(InputError, match="not a trial folder"):
        _ = Trial(tmp_path).meta


def test_keypoints2d_round_trip_and_validation(tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 100, (2, 5, 33, 2))
    pts[0, 1] = np.nan
    conf = rng.uniform(0, 1, (2, 5, 33))
    kp = Keypoints2D(pts, conf, ("a", "b"), MEDIAPIPE33.names, 60.0)
    back = Keypoints2D.load(kp.save(tmp_path / "k.npz"))
    np.testing.assert_array_equal(back.points, pts)
    assert np.all(back.confidence[0, 1] == 0)  # NaN points carry zero confidence
    assert back.cameras == ("a", "b") and back.fps == 60.0
    with pytest.raises(InputError, match=r"\(C, F, K\)"):
        Keypoints2D(pts, conf[:, :3], ("a", "b"), MEDIAPIPE33.names, 60.0)
    with pytest.raises(InputError, match="camera names"):
        Keypoints2D(pts, conf, ("a",), MEDIAPIPE33.names, 60.0)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        Keypoints2D(pts, conf * 3, ("a", "b"), MEDIAPIPE33.names, 60.0)


def test_points3d_round_trip(tmp_path):
    p = Points3D(np.ones((4, 2, 3)), ("l", "r"), 100.0)
    back = Points3D.load(p.save(tmp_path / "p.npz"))
    assert back.points.shape == (4, 2, 3) and back.keypoints == ("l", "r")
    assert back.n_views.shape == (4, 2)
    np.testing.assert_array_equal(back.keypoint("r"), np.ones((4, 3)))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable"):
        Points3D.load(tmp_path / "bad.npz")


def test_keypoint_sets():
    assert len(MEDIAPIPE33) == 33 and MEDIAPIPE33.names[23] == "left_hip"
    m = MEDIAPIPE33.mirror
    assert MEDIAPIPE33.names[m[MEDIAPIPE33.index("left_heel")]] == "right_heel"
    assert m[0] == 0  # nose is on the midline
    assert np.all(m[m] == np.arange(33))
    pm = PLUGIN_GAIT.mirror
    assert PLUGIN_GAIT.names[pm[PLUGIN_GAIT.index("LASI")]] == "RASI"
    assert PLUGIN_GAIT.names[pm[PLUGIN_GAIT.index("RBAK")]] == "RBAK"
    assert PLUGIN_GAIT.side("LHEE") == "left" and PLUGIN_GAIT.side("SACR") == "center"
    assert get_keypoint_set("plugin_gait") is PLUGIN_GAIT
    with pytest.raises(InputError):
        get_keypoint_set("coco")


def test_atomic_write_gives_normal_permissions(tmp_path):
    target = write_json(tmp_path / "m.json", {})
    assert target.stat().st_mode & 0o777 == 0o644
    target.chmod(0o640)
    write_json(target, {"b": 2})
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_trial_is_path_like_so_every_stage_takes_one(tmp_path):
    import os

    from mocaplab.analysis import analyze_file
    from mocaplab.synthetic.lab import WalkerParams, make_trial

    folder = make_trial(tmp_path / "t", WalkerParams(duration_s=3.0), with_metrics=False)
    t = Trial(folder)
    assert os.fspath(t) == str(folder) and Trial(t).path == folder
    m = analyze_file(t)  # a Trial where a folder was taken
    assert t.metrics_path.is_file() and m["fps"] == 100.0
