"""Post-hoc sync on real video: the Pose2Sim demo (4 cameras, 60 fps, 100 frames).

The views are shifted by known numbers of frames and the offsets recovered. The demo's own
residual offsets are not known independently, so "exact" means: offsets found on the shifted
views = offsets found on the unshifted views + the applied shift. Keypoints are detected once
per test session (mocaplab.keypoints through mocaplab.capture.video_keypoints).
"""

from __future__ import annotations

import numpy as np
import pytest

from mocaplab.camera import CameraSet
from mocaplab.capture.posthoc import sync_keypoints
from mocaplab.capture.video_keypoints import detect_videos

DEMO = "pose2sim_demo_singleperson"
WINDOW = 90  # frames kept per view, so that shifts up to 10 fit in 100 frames


@pytest.fixture(scope="session")
def demo_keypoints(shared_data, pose_model):
    videos = sorted((shared_data / DEMO / "videos").glob("*.mp4"))
    pts, conf = detect_videos(videos, pose_model, progress=False)
    return [v.stem for v in videos], pts, conf


@pytest.fixture(scope="session")
def demo_calibration(shared_data):
    return CameraSet.load(shared_data / DEMO / "reference_S00_demo_commit_a948c205cf"
                          / "S00_Calibration" / "Calib_qualisys.toml")


def _shifted(pts, conf, shifts):
    p = np.stack([pts[c, s:s + WINDOW] for c, s in enumerate(shifts)])
    k = np.stack([conf[c, s:s + WINDOW] for c, s in enumerate(shifts)])
    return p, k


def test_keypoints_cover_the_demo(demo_keypoints):
    names, pts, conf = demo_keypoints
    assert pts.shape == (4, 100, 33, 2)
    assert np.isfinite(pts[..., 0]).mean() > 0.95


@pytest.fixture(scope="session")
def epipolar_base(demo_keypoints, demo_calibration):
    names, pts, conf = demo_keypoints
    return sync_keypoints(*_shifted(pts, conf, (0, 0, 0, 0)), names, max_lag=12,
                          calibration=demo_calibration)


def test_unshifted_demo_offsets(epipolar_base):
    # cam01, cam02, cam04 agree at 0; cam03 comes out near -3 frames (sub-frame about -2.7)
    assert epipolar_base.offsets[[1, 3]].tolist() == [0, 0]
    assert abs(epipolar_base.offsets_subframe[1]) < 0.5
    assert abs(epipolar_base.offsets_subframe[3]) < 0.5


@pytest.mark.parametrize("shifts", [(0, 4, 0, 0), (0, 0, 7, 0), (0, 0, 0, 10), (3, 0, 0, 0),
                                    (2, 9, 5, 0), (10, 1, 6, 8)])
def test_epipolar_sync_recovers_shifts_exactly(demo_keypoints, demo_calibration,
                                               epipolar_base, shifts):
    names, pts, conf = demo_keypoints
    r = sync_keypoints(*_shifted(pts, conf, shifts), names, max_lag=12,
                       calibration=demo_calibration)
    expected = epipolar_base.offsets + np.array(shifts) - shifts[0]
    assert r.offsets.tolist() == expected.tolist(), r.report()


def test_correlation_flags_its_own_uncertainty(demo_keypoints, epipolar_base):
    """Motion correlation alone is not reliable on this 1.5 s clip: where it disagrees with
    the epipolar offsets, it must say so with a low confidence."""
    names, pts, conf = demo_keypoints
    for shifts in [(0, 0, 0, 0), (0, 4, 0, 0), (5, 0, 2, 9)]:
        r = sync_keypoints(*_shifted(pts, conf, shifts), names, max_lag=12)
        expected = epipolar_base.offsets + np.array(shifts) - shifts[0]
        wrong = r.offsets != expected
        assert np.all(r.confidence[wrong] < 0.4), r.report()  # seen: up to 0.39 when wrong
