"""mocaplab import: existing videos -> trial folder (synthetic and the Pose2Sim demo)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mocaplab.calibration import load_calibration
from mocaplab.camera import CameraSet
from mocaplab.capture.importer import import_videos
from mocaplab.capture.testvideo import write_test_video
from mocaplab.cli import main
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.trial import Trial

DEMO = "pose2sim_demo_singleperson"


def test_import_pose2sim_demo(shared_data, tmp_path):
    out = tmp_path / "trial"
    assert main(["import", str(shared_data / DEMO / "videos"), "--out", str(out),
                 "--subject", "S00"]) == 0
    t = Trial(out)
    meta = t.meta
    assert meta["subject"] == "S00" and meta["fps"] == 60.0
    assert meta["cameras"] == ["cam01", "cam02", "cam03", "cam04"]
    assert {c["frames"] for c in meta["camera_info"].values()} == {100}
    assert sorted(p.name for p in t.video_paths().values()) == [
        "cam01.mp4", "cam02.mp4", "cam03.mp4", "cam04.mp4"]
    ts = t.read_timestamps()
    assert np.allclose(ts["cam03"], np.arange(100) / 60.0, atol=1e-6)
    # the source files are untouched and the trial refuses to be overwritten
    assert main(["import", str(shared_data / DEMO / "videos"), "--out", str(out)]) == 1
    assert main(["import", str(shared_data / DEMO / "videos"), "--out", str(out),
                 "--force"]) == 0


def test_import_with_calibration(shared_data, tmp_path):
    """Names that differ only by separators (cam_01 / cam01) pair by themselves; the trial gets
    its own calibration.toml with the cameras named as the videos."""
    cal = (shared_data / DEMO / "reference_S00_demo_commit_a948c205cf" / "S00_Calibration"
           / "Calib_qualisys.toml")
    t = import_videos(shared_data / DEMO / "videos", tmp_path / "t", calibration=cal)
    assert t.calibration_path == (t.path / "calibration.toml").resolve()
    assert CameraSet.load(t.calibration_path).names == ["cam01", "cam02", "cam03", "cam04"]
    assert t.meta["calibration_source"]["cameras"]["cam03"] == "cam_03"


def test_import_takes_a_qualisys_calibration(shared_data, tmp_path):
    """Every `calibrate --import` format is accepted (a .qca.txt used to fail)."""
    qca = shared_data / DEMO / "calibration" / "Calib.qca.txt"
    out = tmp_path / "t"
    assert main(["import", str(shared_data / DEMO / "videos"), "--out", str(out),
                 "--calibration", str(qca)]) == 0
    t = Trial(out)
    assert t.meta["calibration_source"]["format"] == "qualisys"
    cams = CameraSet.load(t.calibration_path)
    ref = load_calibration(qca)
    assert np.allclose(cams["cam02"].matrix, ref["cam02"].matrix)


def _videos(folder, names):
    for n in names:
        write_test_video(folder / f"{n}.avi", 3, fps=30.0)
    return folder


def test_import_caliscope_names_need_a_map_and_every_mismatch_is_listed(shared_data, tmp_path,
                                                                         capsys):
    """caliscope's cam_0..cam_3 against videos cam01..cam04: no loose partial pairing (it
    would pair cam01 with cam_1); the error lists every unmatched name, nothing is written;
    --camera-map pairs them."""
    cal = shared_data / "caliscope_charuco_4cam/charuco_calibration/camera_array.toml"
    vids = _videos(tmp_path / "v", ["cam01", "cam02", "cam03", "cam04"])
    assert main(["import", str(vids), "--out", str(tmp_path / "t"),
                 "--calibration", str(cal)]) == 1
    err = capsys.readouterr().err
    for name in ("cam01", "cam02", "cam03", "cam04", "cam_0", "cam_1", "cam_2", "cam_3"):
        assert name in err
    assert "--camera-map" in err and not (tmp_path / "t").exists()
    assert main(["import", str(vids), "--out", str(tmp_path / "t"), "--calibration", str(cal),
                 "--camera-map", "cam01=cam_0,cam02=cam_1,cam03=cam_2,cam04=cam_3"]) == 0
    cams = CameraSet.load(Trial(tmp_path / "t").calibration_path)
    ref = load_calibration(cal)
    assert cams.names == ["cam01", "cam02", "cam03", "cam04"]
    assert np.allclose(cams["cam01"].tvec, ref["cam_0"].tvec)


def test_import_reports_mismatches_loudly(tmp_path):
    a = write_test_video(tmp_path / "v" / "left.avi", 30, fps=30.0)
    b = write_test_video(tmp_path / "v" / "right.avi", 25, fps=30.0)
    t = import_videos(tmp_path / "v", tmp_path / "t")
    (w,) = t.meta["warnings"]
    assert "FRAME COUNTS DIFFER" in w and "nothing was trimmed" in w
    assert t.meta["camera_info"]["left"]["frames"] == 30
    assert t.meta["camera_info"]["right"]["frames"] == 25  # not trimmed
    assert a.exists() and b.exists()


def test_import_bad_input(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        import_videos(tmp_path / "missing", tmp_path / "t")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no video files"):
        import_videos(tmp_path / "empty", tmp_path / "t")
    bad = tmp_path / "bad" / "cam1.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00" * 2048)
    with pytest.raises(InputError, match="cam1.mp4"):
        import_videos(bad, tmp_path / "t")
    v = write_test_video(tmp_path / "x" / "cam.avi", 5)
    v2 = write_test_video(tmp_path / "y" / "cam.avi", 5)
    with pytest.raises(InputError, match="unique"):
        import_videos([v, v2], tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_import_refuses_existing_trial(tmp_path):
    v = write_test_video(tmp_path / "v" / "cam.avi", 5)
    import_videos([v], tmp_path / "t")
    with pytest.raises(OutputExistsError):
        import_videos([v], tmp_path / "t")


def test_cli_import_sync_flash(tmp_path, capsys):
    for i, s in enumerate((0, 4, 7)):
        write_test_video(tmp_path / "v" / f"c{i}.avi", 50, first_index=s, flash=(30, 33), seed=i)
    out = tmp_path / "t"
    assert main(["import", str(tmp_path / "v"), "--out", str(out), "--sync", "flash"]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["sync"]["offsets_frames"] == {"c0": 0, "c1": 4, "c2": 7}
    assert meta["sync"]["frames_after"] == 43
    assert "sync by flash" in capsys.readouterr().out


def test_cli_import_sync_flash_without_flash_fails_clearly(tmp_path, capsys):
    for i in range(2):
        write_test_video(tmp_path / "v" / f"c{i}.avi", 30, seed=i)
    assert main(["import", str(tmp_path / "v"), "--out", str(tmp_path / "t"),
                 "--sync", "flash"]) == 1
    err = capsys.readouterr().err
    assert "no flash found" in err and "--sync keypoints" in err
    # the videos stay imported (unsynchronised) and the message says so and how to retry:
    # rerunning the import without --force would only say that the folder exists
    assert f"imported into {tmp_path / 't'}" in err and "not synchronised" in err
    assert "--force" in err and "sync" not in Trial(tmp_path / "t").meta
    assert main(["import", str(tmp_path / "v"), "--out", str(tmp_path / "t"), "--force"]) == 0


def test_cli_import_sync_keypoints_without_a_person(tmp_path, pose_model, capsys):
    for i in range(2):
        write_test_video(tmp_path / "v" / f"c{i}.avi", 25, seed=i)
    assert main(["import", str(tmp_path / "v"), "--out", str(tmp_path / "t"),
                 "--sync", "keypoints", "--model", str(pose_model)]) == 1
    assert "keypoints in only 0 frames" in capsys.readouterr().err
    assert "sync" not in Trial(tmp_path / "t").meta  # imported, nothing applied


def test_cli_import_refuses_low_confidence_sync(tmp_path, capsys, monkeypatch):
    """Offsets below --min-confidence are proposed, not applied; without a calibration the
    error says that a calibration or a flash would help."""
    from mocaplab.capture import align
    from mocaplab.capture.posthoc import SyncResult

    for i in range(2):
        write_test_video(tmp_path / "v" / f"c{i}.avi", 30, seed=i)
    weak = SyncResult(("c0", "c1"), np.array([0, 2]), np.array([0.0, 1.6]),
                      np.array([1.0, 0.05]), "keypoints", subframe_spread=np.array([0.0, 1.4]))
    monkeypatch.setattr(align, "sync_trial", lambda *a, **k: weak)
    out = tmp_path / "t"
    assert main(["import", str(tmp_path / "v"), "--out", str(out), "--sync", "keypoints"]) == 1
    captured = capsys.readouterr()
    assert "+1.60 +/- 1.40" in captured.out and "LOW CONFIDENCE" in captured.out
    assert "NOT applied" in captured.err and "--calibration" in captured.err
    assert "--force" in captured.err  # a rerun with a lower --min-confidence replaces the trial
    meta = Trial(out).meta
    assert "sync" not in meta and meta["sync_proposed"]["subframe_spread"]["c1"] == 1.4


def test_reimport_with_force_removes_every_result_of_the_old_recording(tmp_path):
    """`mocaplab import NEW --out TRIAL --force` removed keypoints2d/points3d/metrics but left
    poses2d.npz, the cached detection parts, exports/, report/ and render/ of the old videos:
    TRIAL/report/report.pdf still showed the old recording's results beside the new videos."""
    import cv2

    src = tmp_path / "v"
    src.mkdir()
    for cam in ("cam1", "cam2"):
        w = cv2.VideoWriter(str(src / f"{cam}.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30,
                            (64, 48))
        for _ in range(3):
            w.write(np.zeros((48, 64, 3), np.uint8))
        w.release()
    t = import_videos(src, tmp_path / "t")
    old = [t.keypoints2d_path, t.path / "poses2d.npz", t.points3d_path,
           t.path / "persons3d.npz", t.metrics_path, t.exports_dir / "metrics.csv",
           t.report_dir / "report.pdf", t.render_dir / "replay.mp4",
           t.path / ".keypoints2d_parts" / "cam1.npz"]
    for p in old:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("old recording")
    t = import_videos(src, tmp_path / "t", overwrite=True)
    assert [p for p in old if p.exists()] == []
    assert sorted(t.video_paths()) == ["cam1", "cam2"]


def test_import_sync_keypoints_keeps_native_chatter_off_the_terminal(tmp_path, pose_model):
    """``mocaplab import --sync keypoints`` printed MediaPipe's TensorFlow Lite / glog lines
    between its own; they go to TRIAL/.mocaplab/native.log."""
    import os
    import subprocess
    import sys

    import cv2

    videos = []
    for cam in ("camA", "camB"):
        path = tmp_path / f"{cam}.avi"
        w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
        for _ in range(3):
            w.write(np.zeros((48, 64, 3), np.uint8))
        w.release()
        videos.append(str(path))
    out = tmp_path / "trial"
    env = {**os.environ, "MOCAPLAB_POSE_MODEL": str(pose_model)}
    run = subprocess.run([sys.executable, "-m", "mocaplab.cli", "import", *videos, "--out",
                          str(out), "--sync", "keypoints"],
                         capture_output=True, text=True, env=env, timeout=300)
    # nobody in the black videos: a clear error, the videos kept unsynchronised
    assert run.returncode == 1 and "not synchronised" in run.stderr, run.stderr
    chatter = [line for line in run.stderr.splitlines()
               if any(c in line for c in ("TensorFlow Lite", "XNNPACK", "LiteRT", "W0000",
                                          "model_load.cc"))]
    assert not chatter, chatter[:5]
    assert "XNNPACK" in Trial(out).native_log_path.read_text()
