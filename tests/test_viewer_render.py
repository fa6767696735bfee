"""Headless rendering: images checked against the render camera's own projection of the joints.

All tests share one offscreen renderer (starting one costs seconds on a software GPU) and run
with DISPLAY removed from the environment, to show that rendering needs no display.

These once hung now and then (a frame looping in Mesa's anisotropic texture sampling on
undefined UVs, docs/viewer.md); the joint mesh now carries UVs and the tests run by default.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
from PIL import Image

from mocaplab.errors import InputError, OutputExistsError
from mocaplab.keypoint_sets import PLUGIN_GAIT_NAMES
from mocaplab.synthetic.lab import write_synthetic_trial
from mocaplab.viewer import scene as sc
from mocaplab.viewer.data import TrialData, load_trial, parse_events
from mocaplab.viewer.geometry import SkeletonGeometry
from mocaplab.viewer.render import (
    RenderBackend,
    RenderOptions,
    TrialRenderer,
    render_comparison,
    render_key_frames,
    render_trial,
)

W, H = 320, 240

PLAIN = dict(width=W, height=H, overlay=False, cameras=False, grid=False)


@pytest.fixture(scope="module")
def backend():
    saved = os.environ.pop("DISPLAY", None)
    try:
        with RenderBackend(W, H) as b:
            yield b
    finally:
        if saved is not None:
            os.environ["DISPLAY"] = saved


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    return load_trial(write_synthetic_trial(tmp_path_factory.mktemp("v") / "walk", 2.0, 60.0))


def _colour_mask(img: np.ndarray, rgb, tol: int = 6) -> np.ndarray:
    return (np.abs(img.astype(int) - np.array(rgb) * 255).max(axis=-1) <= tol)


def check_joints_drawn(img: np.ndarray, renderer: TrialRenderer, index: int) -> None:
    """Every joint projected into the image lands on skeleton-coloured pixels (its own side's
    colour for most of them; occlusion by the other side is allowed), and skeleton colours
    appear nowhere far from the projected skeleton."""
    K, E = renderer.camera(index)
    pts = renderer.trial.points[index]
    uv = sc.project(pts, K, E)
    spec = renderer.spec
    skeleton = np.zeros(img.shape[:2], bool)
    for rgb in (sc.LEFT_COLOR, sc.RIGHT_COLOR, sc.CENTER_COLOR):
        skeleton |= _colour_mask(img, rgb)
    inside = np.isfinite(uv).all(1) & (uv[:, 0] >= 3) & (uv[:, 0] < W - 3) & \
        (uv[:, 1] >= 3) & (uv[:, 1] < H - 3)
    assert inside.sum() >= 5, "the subject is not in view"
    depth = pts @ E[:3, :3].T[:, 2] + E[2, 3]
    colours = np.asarray(spec.joint_colors)
    own = visible = 0
    for k in np.flatnonzero(inside):
        u, v = np.round(uv[k]).astype(int)
        win = (slice(v - 2, v + 3), slice(u - 2, u + 3))
        assert skeleton[win].any(), f"no skeleton pixel at {spec.keypoints[k]} ({u}, {v})"
        # a joint right behind a nearer joint of another colour may be hidden by it
        hidden = (np.linalg.norm(uv - uv[k], axis=1) < 6) & (depth < depth[k] - 0.02) & \
            (np.abs(colours - colours[k]).max(axis=1) > 0.01)
        if not hidden.any():
            visible += 1
            own += _colour_mask(img[win], spec.joint_colors[k]).any()
    assert visible >= 5 and own >= 0.8 * visible
    # nothing skeleton-coloured far from the joints: not a stray or shifted drawing
    lo, hi = uv[inside].min(0) - 12, uv[inside].max(0) + 12
    vv, uu = np.nonzero(skeleton)
    assert len(uu) > 100
    assert ((uu >= lo[0]) & (uu <= hi[0]) & (vv >= lo[1]) & (vv <= hi[1])).mean() > 0.98


def test_joint_mesh_has_constant_uvs():
    """The unlit material samples a texture anisotropically: without UVs (undefined input)
    lavapipe's sampling loop ran for minutes per frame; zero UVs keep its footprint one texel."""
    builder = SkeletonGeometry(5)
    joints = np.array([[0.0, 0, 1], [0.2, 0, 1], [0.4, 0, 1]])
    mesh = builder.joints_mesh(joints, np.tile([1.0, 0, 0], (3, 1)))
    uvs = np.asarray(mesh.triangle_uvs)
    assert mesh.has_triangle_uvs() and uvs.shape == (3 * len(mesh.triangles), 2)
    assert not uvs.any()
    assert np.allclose(np.asarray(mesh.vertex_colors), [1.0, 0, 0])  # colours still per vertex


@pytest.mark.parametrize("view", ["side", "front", "top"])
def test_rendered_joints_where_the_camera_projects_them(backend, trial, view):
    assert "DISPLAY" not in os.environ
    with TrialRenderer(trial, RenderOptions(view=view, **PLAIN), backend) as r:
        for index in (0, 37, trial.n_frames - 1):
            img = r.render(index)
            assert img.shape == (H, W, 3) and img.dtype == np.uint8
            check_joints_drawn(img, r, index)
        # background is white away from the subject
        assert (img[:4, :4] == 255).all()


def test_real_plugin_gait_c3d_renders(backend, shared_data):
    from mocaplab.marker_io import read_c3d

    m = read_c3d(shared_data / "kineticstoolkit_walk" / "walk.c3d")
    keep = [i for i, lab in enumerate(m.labels) if lab in PLUGIN_GAIT_NAMES]
    events = parse_events({"first_frame": m.first_frame,
                           "events": [{"side": e.side, "type": e.type, "frame": e.frame,
                                       "time_s": e.time_s} for e in m.events]},
                          m.points.shape[0], m.fps)
    assert events[0].index == 167 - 153 and events[0].type == "foot_strike"
    t = TrialData("walk.c3d", m.points[:, keep], tuple(m.labels[i] for i in keep), m.fps,
                  events=events)
    fwd = sc.progression_direction(t.points, t.keypoints)
    assert abs(fwd[1]) > 0.9  # this lab walks along Y
    with TrialRenderer(t, RenderOptions(view="side", **PLAIN), backend) as r:
        assert len(r.spec.edges) >= 12
        check_joints_drawn(r.render(events[0].index), r, events[0].index)


def test_mp4_and_png_outputs(backend, trial, tmp_path):
    out = render_trial(trial, tmp_path / "walk.mp4", frames=range(20), width=W, height=H,
                       backend=backend)
    cap = cv2.VideoCapture(str(out[0]))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, first = cap.read()
    cap.release()
    assert ok and n == 20 and first.shape[:2] == (H, W) and first.std() > 5
    pngs = render_trial(trial, tmp_path / "f.png", frames=[4, 9], width=W, height=H,
                        backend=backend)
    assert [p.name for p in pngs] == ["f_00005.png", "f_00010.png"]
    one = render_trial(trial, tmp_path / "one.png", frames=[4], width=W, height=H,
                       backend=backend)
    assert one == [tmp_path / "one.png"] and np.asarray(Image.open(one[0])).shape == (H, W, 3)
    with pytest.raises(OutputExistsError):
        render_trial(trial, one[0], frames=[4], overwrite=False, width=W, height=H,
                     backend=backend)
    with pytest.raises(InputError, match=r"\.mp4"):
        render_trial(trial, tmp_path / "x.avi", backend=backend)
    with pytest.raises(InputError, match="outside"):
        render_trial(trial, tmp_path / "x.png", frames=[10_000], backend=backend)


def test_key_frames_and_comparison(backend, trial, tmp_path):
    paths = render_key_frames(trial, tmp_path / "keys", views=("side",), width=W, height=H,
                              backend=backend)
    assert len(paths) >= 4 and all(p.is_file() for p in paths)
    assert "foot_strike" in paths[0].name
    out = render_comparison([trial, trial], tmp_path / "cmp.png", width=W, height=H,
                            backend=backend)
    img = np.asarray(Image.open(out[0]))
    assert img.shape == (H, 2 * W, 3)
    # the same trial aligned with itself: both halves show the same frame
    assert np.abs(img[:, :W].astype(int) - img[:, W:].astype(int)).mean() < 1.0


def test_render_refuses_a_frame_rate_that_is_not_one(tmp_path, capsys):
    """`render --fps -5` said 'ffmpeg stopped while writing .x.1234abcd.tmp.mp4' (a temporary
    file) and --fps 0 silently meant the trial's rate: both are refused, naming the option."""
    from mocaplab.cli import main

    trial = write_synthetic_trial(tmp_path / "t", duration_s=1.0)
    for fps in ("-5", "0"):
        assert main(["render", str(trial), "--out", str(tmp_path / "x.mp4"), "--fps", fps]) == 1
        err = capsys.readouterr().err
        assert f"--fps {fps}" in err and "Traceback" not in err
    assert not (tmp_path / "x.mp4").exists()
