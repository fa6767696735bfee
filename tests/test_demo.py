"""`mocaplab demo`: a second run keeps the prepared trials as they are (results up to date)."""

from __future__ import annotations

import shutil

from mocaplab import demo
from mocaplab.demo import prepare_pose2sim_trial, prepare_synthetic_walk
from mocaplab.trial import Trial


def _stamps(trial: Trial) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (trial.meta_path, trial.local_calibration_path,
                                                   trial.keypoints2d_path) if p.exists()}


def test_second_demo_keeps_the_synthetic_trial(tmp_path):
    """prepare_synthetic_walk rebuilt the trial (meta.json and its "created" time, the keypoints)
    on every `mocaplab demo`, so export and report ran again each time: now the same inputs
    leave every file untouched; another seed rebuilds it."""
    t = Trial(prepare_synthetic_walk(None, tmp_path / "walk", n_cameras=3))
    first = _stamps(t)
    assert len(first) == 3
    assert prepare_synthetic_walk(None, tmp_path / "walk", n_cameras=3) == t.path
    assert _stamps(t) == first
    t.keypoints2d_path.unlink()  # a file gone: prepared again
    prepare_synthetic_walk(None, tmp_path / "walk", n_cameras=3)
    assert t.keypoints2d_path.is_file()
    again = _stamps(t)
    prepare_synthetic_walk(None, tmp_path / "walk", n_cameras=3, seed=1)
    assert _stamps(t)["meta.json"] != again["meta.json"]


def test_changed_scene_code_rebuilds_the_synthetic_trial(tmp_path, monkeypatch):
    """The record named only the package version (fixed at 0.1.0), so a demo trial made by older
    synthetic-scene code was kept after that code changed: a stale trial. The code's hash is
    now part of the record."""
    t = Trial(prepare_synthetic_walk(None, tmp_path / "walk", n_cameras=3))
    first = _stamps(t)
    monkeypatch.setattr(demo, "_generator_stamp", lambda: "other scene code")
    prepare_synthetic_walk(None, tmp_path / "walk", n_cameras=3)
    assert _stamps(t)["meta.json"] != first["meta.json"]


def test_second_demo_keeps_the_pose2sim_trial(shared_data, tmp_path):
    src = tmp_path / "src"
    (src / "calibration").mkdir(parents=True)
    demo = shared_data / "pose2sim_demo_singleperson"
    shutil.copy2(demo / "calibration" / "Calib.qca.txt", src / "calibration")
    shutil.copytree(demo / "videos", src / "videos")
    t = Trial(prepare_pose2sim_trial(src, tmp_path / "p2s"))
    first = _stamps(t)
    assert {"meta.json", "calibration.toml"} <= set(first)
    prepare_pose2sim_trial(src, tmp_path / "p2s")
    assert _stamps(t) == first
