"""Post-hoc synchronisation on synthetic data: keypoint motion, flash, and applying offsets."""

from __future__ import annotations

import numpy as np
import pytest

from mocaplab.capture.align import apply_offsets, offsets_to_frame_table, sync_trial
from mocaplab.capture.flash import brightness_signal, flash_onset, sync_flash
from mocaplab.capture.importer import import_videos
from mocaplab.capture.posthoc import sync_keypoints
from mocaplab.capture.testvideo import random_person_motion, read_frame_number, write_test_video
from mocaplab.capture.video_io import read_frames
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.keypoint_sets import MEDIAPIPE33
from mocaplab.pose_data import Keypoints2D
from mocaplab.synthetic import camera_ring, project_motion
from mocaplab.trial import Trial
from mocaplab.video import probe_video

SHIFTS = [(0, 3, 7, 10), (5, 0, 9, 2), (10, 10, 0, 4), (1, 8, 8, 0)]


@pytest.fixture(scope="module")
def synthetic_views():
    cams = camera_ring(4)
    obs = project_motion(cams, random_person_motion(200, 60.0, seed=3), noise_px=1.5,
                         dropout=0.05, outliers=0.02, swaps=0.1, mirror=MEDIAPIPE33.mirror,
                         seed=1)
    return cams, obs


def _shift(points, conf, shifts, length):
    p = np.stack([points[c, s:s + length] for c, s in enumerate(shifts)])
    k = np.stack([conf[c, s:s + length] for c, s in enumerate(shifts)])
    return p, k


@pytest.mark.parametrize("shifts", SHIFTS)
def test_keypoint_motion_recovers_known_shifts(synthetic_views, shifts):
    _, obs = synthetic_views
    p, k = _shift(obs.points, obs.confidence, shifts, 185)
    r = sync_keypoints(p, k, max_lag=15)
    expected = np.array(shifts) - shifts[0]
    assert r.offsets.tolist() == expected.tolist(), r.report()
    assert np.all(np.abs(r.offsets_subframe - expected) < 0.5)
    assert r.confidence[1:].min() > 0.3
    assert r.method == "keypoints"


def test_epipolar_refinement_with_calibration(synthetic_views):
    cams, obs = synthetic_views
    shifts = (2, 9, 0, 6)
    p, k = _shift(obs.points, obs.confidence, shifts, 185)
    kp = Keypoints2D(p, k, cams.names, MEDIAPIPE33.names, 60.0)
    r = sync_keypoints(kp, max_lag=15, calibration=cams)
    assert r.method == "keypoints+epipolar"
    assert r.offsets.tolist() == [0, 7, -2, 4]
    assert r.confidence[1:].min() > 0.5
    assert max(r.details["epipolar_median_px"].values()) < 5


def test_subframe_offsets_resolve_half_frames():
    """Simulated at 120 Hz, each camera keeps every 2nd sample from its own start: at 60 fps
    the true offsets are (0, 0.5, 3, 6.5) frames, which no whole-frame offset can match."""
    cams = camera_ring(4)
    obs = project_motion(cams, random_person_motion(400, 120.0, seed=3), noise_px=1.5,
                         dropout=0.05, outliers=0.02, swaps=0.1, mirror=MEDIAPIPE33.mirror,
                         seed=1)
    start = np.array([0, 1, 6, 13])
    p = np.stack([obs.points[c, s::2][:185] for c, s in enumerate(start)])
    k = np.stack([obs.confidence[c, s::2][:185] for c, s in enumerate(start)])
    want = (start - start[0]) / 2
    r = sync_keypoints(p, k, max_lag=15, calibration=cams)
    err = np.abs(r.offsets_subframe - want)[1:]
    assert err.max() < 0.4, r.report()  # seen 0.22, 0.35, 0.24
    assert err.mean() < np.abs(r.offsets - want)[1:].mean()  # closer than whole frames
    assert np.all(r.subframe_spread[1:] < 0.3) and r.subframe_spread[0] == 0
    assert r.confidence[1:].min() > 0.5


def test_correlation_strength_on_clear_motion(synthetic_views):
    _, obs = synthetic_views
    r = sync_keypoints(obs.points[:, :185], obs.confidence[:, :185], max_lag=15)
    assert not any("weak motion correlation" in w for w in r.warnings), r.report()
    assert min(r.details["correlation_strength"].values()) == 1.0


def test_no_motion_gives_low_confidence():
    rng = np.random.default_rng(0)
    still = np.tile(rng.uniform(100, 500, (1, 1, 33, 2)), (3, 120, 1, 1))
    still = still + rng.normal(0, 0.5, still.shape)  # detector noise only
    r = sync_keypoints(still, np.ones(still.shape[:3]), max_lag=10)
    assert r.confidence[1:].max() < 0.3
    assert any("low confidence" in w for w in r.warnings)


def test_keypoint_sync_bad_input():
    with pytest.raises(InputError, match="at least 2 cameras"):
        sync_keypoints(np.zeros((1, 50, 33, 2)))
    empty = np.full((2, 50, 33, 2), np.nan)
    with pytest.raises(InputError, match="keypoints in only"):
        sync_keypoints(empty)


def test_frame_count_mismatch_is_reported(synthetic_views):
    _, obs = synthetic_views
    r = sync_keypoints(obs.points, obs.confidence, max_lag=5, frame_counts=[200, 200, 190, 200])
    assert any("frame counts differ" in w for w in r.warnings)


# --- flash -------------------------------------------------------------------------------------

@pytest.fixture
def flash_videos(tmp_path):
    starts = {"cam0": 0, "cam1": 6, "cam2": 2, "cam3": 9}
    vids = [write_test_video(tmp_path / "src" / f"{c}.avi", 60, fps=30.0, first_index=s,
                             flash=(40, 44), seed=i)
            for i, (c, s) in enumerate(starts.items())]
    return starts, vids


def test_flash_onset_subframe():
    s = np.r_[np.full(10, 50.0), 110.0, np.full(10, 170.0)]  # half-lit frame 10
    onset, conf = flash_onset(s)
    assert onset == pytest.approx(10.5)
    assert conf > 0.9
    with pytest.raises(InputError, match="no flash"):
        flash_onset(np.random.default_rng(0).normal(100, 1, 50))


def test_flash_sync_recovers_offsets(flash_videos):
    starts, vids = flash_videos
    r = sync_flash([brightness_signal(v) for v in vids], list(starts))
    assert r.offsets.tolist() == [0, 6, 2, 9]
    assert r.confidence.min() > 0.8


def test_import_sync_flash_and_apply(flash_videos, tmp_path):
    starts, vids = flash_videos
    trial = import_videos(vids, tmp_path / "trial", subject="S1")
    result = sync_trial(trial, "flash")
    record = apply_offsets(trial, result)
    assert record["frames_after"] == 51  # 60 frames, latest start 9
    meta = trial.meta
    assert meta["sync"]["method"] == "flash"
    assert meta["sync"]["offsets_frames"] == {"cam0": 0, "cam1": 6, "cam2": 2, "cam3": 9}
    videos = trial.video_paths()
    for cam, path in videos.items():
        nums = [read_frame_number(f) for _, f in read_frames(path)]
        assert nums == list(range(9, 60)), cam  # every camera shows the same instants
        assert (tmp_path / "trial" / "videos_unsynced" / f"{cam}.avi").exists()
    ts = trial.read_timestamps()
    assert all(len(t) == 51 for t in ts.values())
    with pytest.raises(OutputExistsError, match="synchronised already"):
        apply_offsets(trial, result)
    apply_offsets(trial, result, overwrite=True)  # redone from the originals
    assert probe_video(videos["cam1"]).frames == 51


def test_apply_offsets_cuts_keypoints(flash_videos, tmp_path):
    starts, vids = flash_videos
    trial = import_videos(vids, tmp_path / "trial")
    C, F, K = 4, 60, 33
    pts = np.zeros((C, F, K, 2))
    pts[..., 0] = np.arange(F)[None, :, None] + np.array(list(starts.values()))[:, None, None]
    Keypoints2D(pts, np.ones((C, F, K)), list(starts), MEDIAPIPE33.names, 30.0).save(
        trial.keypoints2d_path)
    apply_offsets(trial, {c: s for c, s in starts.items()})
    kp = Keypoints2D.load(trial.keypoints2d_path)
    assert kp.points.shape[1] == 51
    assert np.all(kp.points[:, :, 0, 0] == np.arange(9, 60)[None, :])


def test_offsets_with_no_common_frame():
    with pytest.raises(InputError, match="no frame common"):
        offsets_to_frame_table({"a": 0, "b": 50}, {"a": 40, "b": 40})


def test_sync_trial_refuses_different_fps(tmp_path):
    a = write_test_video(tmp_path / "v" / "a.avi", 20, fps=30.0)
    b = write_test_video(tmp_path / "v" / "b.avi", 20, fps=25.0)
    trial = import_videos([a, b], tmp_path / "t")
    assert any("FRAME RATES DIFFER" in w for w in trial.meta["warnings"])
    with pytest.raises(InputError, match="frame rates differ"):
        sync_trial(trial, "flash")
    with pytest.raises(InputError, match="unknown sync method"):
        sync_trial(Trial(tmp_path / "t"), "clap")
