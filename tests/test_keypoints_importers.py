"""OpenPose JSON and DeepLabCut importers, mapped onto a keypoint set with NaN where missing."""

from __future__ import annotations

import importlib
import json

import cv2
import numpy as np
import pandas as pd
import pytest

from mocaplab.errors import InputError
from mocaplab.keypoint_sets import MEDIAPIPE33_NAMES
from mocaplab.keypoints import (
    DeepLabCutSource,
    Detector,
    OpenPoseJSONSource,
    detect_trial,
    map_keypoints,
    read_deeplabcut,
    read_openpose_json,
)
from mocaplab.keypoints.importers import OPENPOSE_BODY_25, OPENPOSE_BODY_25B
from mocaplab.pose_data import Keypoints2D
from mocaplab.trial import KEYPOINTS_SOURCE_KEY, MEDIAPIPE_SOURCE, Trial

MP = {n: i for i, n in enumerate(MEDIAPIPE33_NAMES)}


def op_pose(names, frame, shift=0.0, conf=0.9, missing=()):
    """OpenPose flat list: keypoint k at (10 k + frame + shift, 5 k), (0, 0, 0) if missing."""
    out = []
    for k, n in enumerate(names):
        out += [0.0, 0.0, 0.0] if n in missing else [10 * k + frame + shift, 5 * k, conf]
    return out


def write_openpose(folder, names, n_frames, people_per_frame=None):
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(n_frames):
        people = people_per_frame(f) if people_per_frame else [
            {"person_id": [-1], "pose_keypoints_2d": op_pose(names, f, missing=("LHeel",))}]
        (folder / f"trial_{f:012d}_keypoints.json").write_text(
            json.dumps({"version": 1.3, "people": people}))
    return folder


def test_map_keypoints_fills_nan():
    pts = np.arange(12, dtype=float).reshape(2, 3, 2)
    conf = np.full((2, 3), 0.5)
    p, c = map_keypoints(pts, conf, ["x", "y", "z"], ["z", "w", "x"], {"x": "x", "z": "z"})
    np.testing.assert_array_equal(p[:, 0], pts[:, 2])
    np.testing.assert_array_equal(p[:, 2], pts[:, 0])
    assert np.isnan(p[:, 1]).all() and (c[:, 1] == 0).all()


def test_openpose_body25_onto_mediapipe(tmp_path):
    folder = write_openpose(tmp_path / "cam1_json", OPENPOSE_BODY_25, 12)
    kp = read_openpose_json(folder, "BODY_25", fps=50)
    assert kp.points.shape == (12, 33, 2) and kp.keypoints == MEDIAPIPE33_NAMES
    assert kp.fps == 50
    k = OPENPOSE_BODY_25.index("RKnee")
    np.testing.assert_allclose(kp.points[7, MP["right_knee"]], [10 * k + 7, 5 * k])
    k = OPENPOSE_BODY_25.index("LBigToe")
    np.testing.assert_allclose(kp.points[0, MP["left_foot_index"]], [10 * k, 5 * k])
    assert kp.confidence[0, MP["right_knee"]] == pytest.approx(0.9)
    # missing in the file (0, 0, 0) and absent from BODY_25 -> NaN, confidence 0
    for name in ("left_heel", "left_pinky", "mouth_left"):
        assert np.isnan(kp.points[:, MP[name]]).all() and (kp.confidence[:, MP[name]] == 0).all()


def test_openpose_body25b_order_and_native_names(tmp_path):
    folder = write_openpose(tmp_path / "c", OPENPOSE_BODY_25B, 3)
    kp = read_openpose_json(folder, "BODY_25B")
    k = OPENPOSE_BODY_25B.index("LShoulder")  # 5 in BODY_25B (2 in BODY_25 is RShoulder)
    assert k == 5
    np.testing.assert_allclose(kp.points[2, MP["left_shoulder"]], [52, 25])
    native = read_openpose_json(folder, "BODY_25B", keypoint_names=None)
    assert native.keypoints == OPENPOSE_BODY_25B
    np.testing.assert_allclose(native.points[2, OPENPOSE_BODY_25B.index("HeadTop")],
                               [182, 90])


def test_openpose_picks_most_confident_person_and_empty_frames(tmp_path):
    def people(f):
        if f == 1:
            return []
        return [{"pose_keypoints_2d": op_pose(OPENPOSE_BODY_25, f, shift=1000, conf=0.2)},
                {"pose_keypoints_2d": op_pose(OPENPOSE_BODY_25, f, conf=0.8)}]

    folder = write_openpose(tmp_path / "c", OPENPOSE_BODY_25, 3, people)
    kp = read_openpose_json(folder)
    assert kp.points[0, MP["nose"], 0] == 0.0  # the confident person, not the +1000 one
    assert np.isnan(kp.points[1]).all() and (kp.confidence[1] == 0).all()
    first = read_openpose_json(folder, person=0)
    assert first.points[0, MP["nose"], 0] == 1000.0


def test_openpose_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_openpose_json(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no OpenPose .json"):
        read_openpose_json(tmp_path / "empty")
    folder = write_openpose(tmp_path / "coco", tuple(f"k{i}" for i in range(18)), 2)
    with pytest.raises(InputError, match="has 54 values, BODY_25 needs 75"):
        read_openpose_json(folder)
    with pytest.raises(InputError, match="unknown OpenPose model"):
        read_openpose_json(folder, "COCO_BIG")
    broken = write_openpose(tmp_path / "broken", OPENPOSE_BODY_25, 2)
    (broken / "trial_000000000005_keypoints.json").write_text("{broken")
    with pytest.raises(InputError, match="not a readable OpenPose JSON"):
        read_openpose_json(broken, "BODY_25")


def dlc_frame(bodyparts, n_frames, individuals=None, scorer="DLC_resnet50_demo"):
    cols, data = [], []
    for ind in individuals or [None]:
        for b, bp in enumerate(bodyparts):
            for coord in ("x", "y", "likelihood"):
                cols.append((scorer, ind, bp, coord) if ind else (scorer, bp, coord))
                off = 100 * (individuals.index(ind) if ind else 0)
                vals = {"x": np.arange(n_frames) + 10 * b + off,
                        "y": np.full(n_frames, 5.0 * b),
                        "likelihood": np.linspace(0.2, 1.0, n_frames)}[coord]
                data.append(vals.astype(float))
    names = ["scorer", "individuals", "bodyparts", "coords"] if individuals else \
        ["scorer", "bodyparts", "coords"]
    return pd.DataFrame(np.array(data).T, columns=pd.MultiIndex.from_tuples(cols, names=names))


@pytest.mark.parametrize("fmt", ["csv", "h5"])
def test_deeplabcut_single_animal(tmp_path, fmt):
    df = dlc_frame(["left_knee", "Right_Ankle", "tailbase"], 5)
    df.iloc[2, 0] = np.nan  # left_knee x missing in frame 2
    path = tmp_path / f"cam1DLC_resnet50.{fmt}"
    if fmt == "csv":
        df.to_csv(path)
    else:
        importlib.import_module("tables")
        df.to_hdf(path, key="df_with_missing")
    kp = read_deeplabcut(path, fps=100, min_likelihood=0.3)
    assert kp.points.shape == (5, 33, 2)
    np.testing.assert_allclose(kp.points[3, MP["left_knee"]], [3, 0])
    np.testing.assert_allclose(kp.points[4, MP["right_ankle"]], [14, 5])  # case-insensitive
    assert np.isnan(kp.points[2, MP["left_knee"]]).all()
    assert np.isnan(kp.points[0]).all()  # likelihood 0.2 < 0.3
    np.testing.assert_allclose(kp.confidence[4, MP["left_knee"]], 1.0)
    native = read_deeplabcut(path, keypoint_names=None)
    assert native.keypoints == ("left_knee", "Right_Ankle", "tailbase")


def test_deeplabcut_multi_animal_and_mapping(tmp_path):
    df = dlc_frame(["kneeL", "ankleL"], 4, individuals=["ind1", "ind2"])
    path = tmp_path / "cam1DLC.csv"
    df.to_csv(path)
    mapping = {"kneeL": "left_knee", "ankleL": "left_ankle"}
    kp = read_deeplabcut(path, mapping=mapping, individual="ind2")
    np.testing.assert_allclose(kp.points[1, MP["left_ankle"]], [111, 5])
    with pytest.raises(InputError, match="no individual"):
        read_deeplabcut(path, mapping=mapping, individual="ind9")
    with pytest.raises(InputError, match="no source keypoint maps"):
        read_deeplabcut(path)  # names do not match MediaPipe and no mapping


def test_deeplabcut_bad_files(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
    with pytest.raises(InputError, match="header rows"):
        read_deeplabcut(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_deeplabcut(tmp_path / "none.h5")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(InputError, match=".csv or .h5"):
        read_deeplabcut(tmp_path / "x.txt")


def _videos_with_openpose(trial, op_dir, cameras=("cam1", "cam2")):
    """Blank 4-frame 40 fps videos in the trial and an OpenPose JSON folder per camera."""
    for cam in cameras:
        w = cv2.VideoWriter(str(trial.videos_dir / f"{cam}.avi"),
                            cv2.VideoWriter_fourcc(*"MJPG"), 40, (64, 48))
        for _ in range(4):
            w.write(np.zeros((48, 64, 3), np.uint8))
        w.release()
        write_openpose(op_dir / f"{cam}_json", OPENPOSE_BODY_25, 4)
    return cameras


def test_sources_plug_into_detect_trial(tmp_path):
    t = Trial.create(tmp_path / "trial")
    (tmp_path / "dlc").mkdir()
    for cam in _videos_with_openpose(t, tmp_path / "op"):
        dlc_frame(["left_knee"], 4).to_csv(tmp_path / "dlc" / f"{cam}DLC_x.csv")
    src = OpenPoseJSONSource(str(tmp_path / "op"))
    assert isinstance(src, Detector)
    kp = Keypoints2D.load(detect_trial(t, detector=src, workers=1, progress=False))
    assert kp.cameras == ("cam1", "cam2") and kp.fps == 40 and kp.shape == (2, 4, 33)
    assert np.isfinite(kp.points[:, :, MP["nose"]]).all()
    kp = Keypoints2D.load(detect_trial(t, detector=DeepLabCutSource(str(tmp_path / "dlc")),
                                       workers=1, progress=False))
    assert np.isfinite(kp.points[:, :, MP["left_knee"]]).all()
    assert np.isnan(kp.points[:, :, MP["nose"]]).all()
    with pytest.raises(InputError, match="no OpenPose folder for camera cam1"):
        detect_trial(t, detector=OpenPoseJSONSource(str(tmp_path / "nowhere")), workers=1,
                     progress=False)


def test_process_keeps_keypoints_imported_with_detect_source(tmp_path, monkeypatch):
    """`mocaplab detect TRIAL --source openpose:DIR`, then `mocaplab process TRIAL`: the
    imported keypoints are kept (they were silently replaced by MediaPipe detection); --force
    detects again and forgets the source."""
    import mocaplab.keypoints as kp_pkg
    from mocaplab.cli import main
    from mocaplab.pipeline import Options, process_trial

    t = Trial.create(tmp_path / "trial")
    _videos_with_openpose(t, tmp_path / "op")
    assert main(["detect", str(t.path), "--source", f"openpose:{tmp_path / 'op'}",
                 "--workers", "1", "--no-progress"]) == 0
    assert Trial(t.path).meta[KEYPOINTS_SOURCE_KEY] == f"openpose:{tmp_path / 'op'}"
    before = t.keypoints2d_path.read_bytes()
    calls = []

    def redetect(trial, **kw):
        calls.append(kw)
        return Trial(trial).keypoints2d_path

    monkeypatch.setattr(kp_pkg, "detect_trial", redetect)
    res = process_trial(t.path, Options(), stages=["detect"])
    assert res[0].status == "done" and not calls
    assert t.keypoints2d_path.read_bytes() == before
    process_trial(t.path, Options(force=True), stages=["detect"])
    assert len(calls) == 1 and Trial(t.path).meta[KEYPOINTS_SOURCE_KEY] == MEDIAPIPE_SOURCE


def test_detect_refuses_to_replace_keypoints_of_another_source(tmp_path, monkeypatch, capsys):
    """`mocaplab detect TRIAL` after `detect --source openpose:DIR` replaced the imported
    keypoints2d.npz unasked (every other verb needs --force): now refused, nothing changed; the
    same source again refreshes it; a different source, or MediaPipe, needs --force."""
    import mocaplab.keypoints.trial_detect as td
    from mocaplab.cli import main

    t = Trial.create(tmp_path / "trial")
    _videos_with_openpose(t, tmp_path / "op")
    src = ["--source", f"openpose:{tmp_path / 'op'}", "--workers", "1", "--no-progress"]
    assert main(["detect", str(t.path), *src]) == 0
    before = t.keypoints2d_path.read_bytes()
    meta_before = t.meta_path.read_bytes()
    monkeypatch.setattr(td, "default_detector", lambda *a, **k: pytest.fail("detected"))
    capsys.readouterr()
    assert main(["detect", str(t.path), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "imported with --source openpose:" in err and "--force" in err
    assert t.keypoints2d_path.read_bytes() == before and t.meta_path.read_bytes() == meta_before
    monkeypatch.chdir(tmp_path)  # the same folder written relatively: the same source
    assert main(["detect", str(t.path), "--source", "openpose:op", "--workers", "1",
                 "--no-progress"]) == 0
    write_openpose(tmp_path / "op2" / "cam1_json", OPENPOSE_BODY_25, 4)
    write_openpose(tmp_path / "op2" / "cam2_json", OPENPOSE_BODY_25, 4)
    assert main(["detect", str(t.path), "--source", "openpose:op2", "--no-progress"]) == 1
    assert "would replace it" in capsys.readouterr().err
    assert main(["detect", str(t.path), "--source", "openpose:op2", "--force",
                 "--no-progress"]) == 0
    assert Trial(t.path).meta[KEYPOINTS_SOURCE_KEY] == f"openpose:{tmp_path / 'op2'}"


def _hand_placed_keypoints(trial: Trial) -> bytes:
    """A keypoints2d.npz copied into the trial by hand (no source in meta.json): its bytes."""
    Keypoints2D(np.zeros((2, 4, 33, 2)), np.ones((2, 4, 33)), ("cam1", "cam2"),
                MEDIAPIPE33_NAMES, 40.0).save(trial.keypoints2d_path)
    return trial.keypoints2d_path.read_bytes()


def test_detect_refuses_to_replace_keypoints_of_unknown_source(tmp_path, monkeypatch, capsys):
    """A keypoints2d.npz put into the trial by hand counted as MediaPipe's: `mocaplab detect`
    replaced it unasked. Now its source is unknown: detect and import refuse it without
    --force, nothing changed; process keeps it. MediaPipe keypoints of a trial detected before
    the source was recorded (cached parts made by MediaPipe) are still MediaPipe's."""
    import mocaplab.keypoints as kp_pkg
    import mocaplab.keypoints.trial_detect as td
    from mocaplab.cli import main
    from mocaplab.pipeline import Options, process_trial

    t = Trial.create(tmp_path / "trial")
    _videos_with_openpose(t, tmp_path / "op")
    before = _hand_placed_keypoints(t)
    meta_before = t.meta_path.read_bytes()
    assert td.keypoints_source(t) is None
    monkeypatch.setattr(td, "default_detector", lambda *a, **k: pytest.fail("detected"))
    capsys.readouterr()
    for extra in ([], ["--source", f"openpose:{tmp_path / 'op'}"]):
        assert main(["detect", str(t.path), "--no-progress", *extra]) == 1
        err = capsys.readouterr().err
        assert "not made by 'mocaplab detect'" in err and "--force" in err
        assert "Traceback" not in err
        assert t.keypoints2d_path.read_bytes() == before
        assert t.meta_path.read_bytes() == meta_before
    monkeypatch.setattr(kp_pkg, "detect_trial", lambda *a, **k: pytest.fail("replaced"))
    assert process_trial(t.path, Options(), stages=["detect"])[0].status == "done"
    assert t.keypoints2d_path.read_bytes() == before
    # an older trial: MediaPipe's cached parts, no recorded source -> MediaPipe's
    parts = t.path / td.PARTS_DIR
    parts.mkdir()
    for cam in ("cam1", "cam2"):
        np.savez(parts / f"{cam}.npz", source=np.array("mediapipe:pose_landmarker_full.task"))
    assert td.keypoints_source(t) == MEDIAPIPE_SOURCE
    np.savez(parts / "cam2.npz", source=np.array("openpose:BODY_25"))
    assert td.keypoints_source(t) is None
