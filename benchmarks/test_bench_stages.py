"""pytest-benchmark suite: one timing per pipeline stage on generated (or shared) data.

    .venv/bin/python -m pytest benchmarks/ --benchmark-enable -p no:cacheprovider

Figures go to docs/benchmarks.md. Stages that need real data or the pose model skip without
MOCAPLAB_SHARED_DATA / MOCAPLAB_POSE_MODEL (tests/conftest.py fixtures are not visible here, so
the variables are read directly).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mocaplab.board import BoardSpec
from mocaplab.keypoint_sets import MEDIAPIPE33
from mocaplab.synthetic import (
    BoardRenderer,
    board_pose_facing,
    camera_ring,
    project_motion,
    walkway_cameras,
)
from mocaplab.synthetic.gait import parametric_walk

BOARD = BoardSpec(squares_x=7, squares_y=5, square_length=0.08, marker_length=0.06)


def _env_path(var: str) -> Path:
    value = os.environ.get(var)
    if not value:
        pytest.skip(f"{var} is unset")
    return Path(value)


@pytest.fixture(scope="module")
def walk_observations():
    cams = walkway_cameras(4)
    walk = parametric_walk(duration_s=10.0, fps=60.0, start_xy=(-3.0, 0.0))
    obs = project_motion(cams, walk.keypoints.points, noise_px=1.0, dropout=0.05, outliers=0.03,
                         swaps=0.02, mirror=MEDIAPIPE33.mirror, seed=0)
    return cams, walk, obs


def test_calibration_board_detection(benchmark):
    """ChArUco detection on one rendered 1280x720 view (calibration's per-frame cost)."""
    from mocaplab.calibration.detect import detect_image, make_detector

    cam = camera_ring(1)[0]
    R, t = board_pose_facing(cam, 2.0, (20, -15), (200, 100), BOARD)
    image = BoardRenderer(cam, BOARD).render(R, t).image
    detector = make_detector(BOARD)
    benchmark(detect_image, detector, image, BOARD)


def test_keypoints_detect_video(benchmark, tmp_path):
    """MediaPipe on 30 frames of a real Pose2Sim view (ms per frame = mean / 30)."""
    import cv2

    from mocaplab.keypoints import detect_video

    shared = _env_path("MOCAPLAB_SHARED_DATA")
    model = _env_path("MOCAPLAB_POSE_MODEL")
    src = shared / "pose2sim_demo_singleperson" / "videos" / "cam01.mp4"
    cap = cv2.VideoCapture(str(src))
    clip = tmp_path / "clip.avi"
    writer = None
    for _ in range(30):
        ok, frame = cap.read()
        if not ok:
            break
        if writer is None:
            h, w = frame.shape[:2]
            writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 60, (w, h))
        writer.write(frame)
    writer.release()
    benchmark.pedantic(detect_video, args=(clip, model), rounds=2, iterations=1)


def test_triangulation_robust_10s_60fps(benchmark, walk_observations):
    """Robust triangulation of a 10 s, 60 fps, 33-keypoint trial from 4 cameras."""
    from mocaplab.triangulation.robust import triangulate_robust

    cams, _, obs = walk_observations
    benchmark(triangulate_robust, cams, obs.points, obs.confidence, MEDIAPIPE33.mirror)


def test_analysis_10s_walk(benchmark, walk_observations, tmp_path):
    """Gait analysis (events, angles, spatiotemporal) of a 10 s markerless walk."""
    from mocaplab.analysis import analyze_file

    _, walk, _ = walk_observations
    path = walk.keypoints.save(tmp_path / "points3d.npz")
    metrics = benchmark(analyze_file, path)
    assert metrics["events"]


def test_render_key_frame(benchmark, walk_observations, tmp_path):
    """Headless rendering of single frames (after the renderer has started)."""
    from mocaplab.viewer.render import RenderBackend, render_trial

    _, walk, _ = walk_observations
    path = walk.keypoints.save(tmp_path / "points3d.npz")
    backend = RenderBackend(640, 360)
    frames = iter(range(0, 600, 10))
    benchmark.pedantic(lambda: render_trial(path, tmp_path / "f.png", frames=[next(frames)],
                                            backend=backend, width=640, height=360),
                       rounds=5, iterations=1)


def test_api_metrics_request(benchmark, tmp_path):
    """One authenticated metrics request through the FastAPI app (in-process)."""
    from fastapi.testclient import TestClient

    from mocaplab.api.app import create_app
    from mocaplab.synthetic.lab import make_lab

    trials = make_lab(tmp_path / "lab", subjects=("S001",), trials_per_session=1)
    token = "bench-clinician-token"
    app = create_app(tmp_path / "lab", f"sqlite:///{tmp_path / 'index.db'}",
                     {token: "clinician"})
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    subject, session, trial = trials[0].parts[-3:]
    url = f"/v1/trials/{subject}/{session}/{trial}/metrics"
    response = benchmark(client.get, url, headers=headers)
    assert response.status_code == 200
