"""Property-based tests (hypothesis): the camera model's projection and undistortion invert each
other; the readers of meta.json and the npz files give their result or an InputError naming the
file for any content, never another exception."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mocaplab.camera import Camera
from mocaplab.errors import InputError
from mocaplab.pose_data import Keypoints2D, Points3D
from mocaplab.trial import Trial

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _monotonic(k1: float, k2: float, k3: float, r_max: float) -> bool:
    r = np.linspace(0, r_max, 200)
    return bool(np.all(np.diff(r * (1 + k1 * r**2 + k2 * r**4 + k3 * r**6)) > 0))


@SETTINGS
@given(fx=st.floats(300, 3000), aspect=st.floats(0.9, 1.1),
       cx=st.floats(0.3, 0.7), cy=st.floats(0.3, 0.7),
       k1=st.floats(-0.3, 0.3), k2=st.floats(-0.1, 0.1), k3=st.floats(-0.02, 0.02),
       p1=st.floats(-2e-3, 2e-3), p2=st.floats(-2e-3, 2e-3),
       xn=st.floats(-0.6, 0.6), yn=st.floats(-0.45, 0.45), z=st.floats(0.5, 20.0))
def test_projection_and_undistortion_round_trip(fx, aspect, cx, cy, k1, k2, k3, p1, p2,
                                                 xn, yn, z):
    assume(_monotonic(k1, k2, k3, 0.8))
    w, h = 1920, 1080
    K = [[fx, 0, cx * w], [0, fx * aspect, cy * h], [0, 0, 1]]
    cam = Camera("c", (w, h), K, [k1, k2, p1, p2, k3], np.zeros(3), np.zeros(3))
    point = np.array([xn * z, yn * z, z])
    pixel = cam.project(point)
    assert np.isfinite(pixel).all()
    back = cam.undistort_points(pixel)
    np.testing.assert_allclose(back, [xn, yn], atol=1e-6)
    origin, direction = cam.rays(pixel)
    along = np.dot(point - origin, direction)  # the ray passes through the point
    np.testing.assert_allclose(origin + along * direction, point, atol=1e-5 * z)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
META = st.fixed_dictionaries({}, optional={"fps": JSON, "cameras": JSON, "subject": JSON,
                                           "calibration": JSON, "trial": JSON}) | JSON


@SETTINGS
@given(meta=META)
def test_meta_json_is_read_or_refused_clearly(tmp_path_factory, meta):
    d = tmp_path_factory.mktemp("t")
    (d / "meta.json").write_text(json.dumps(meta))
    try:
        got = Trial(d).meta
    except InputError as exc:
        assert "meta.json" in str(exc)
        return
    assert isinstance(got, dict)
    fps = got.get("fps")
    assert fps is None or (float(fps) > 0 and np.isfinite(fps))


def _good_npz(path, kind: str) -> bytes:
    rng = np.random.default_rng(0)
    if kind == "keypoints2d":
        Keypoints2D(rng.uniform(0, 100, (2, 5, 3, 2)), rng.uniform(0, 1, (2, 5, 3)),
                    ("a", "b"), ("k0", "k1", "k2"), 50.0).save(path)
    else:
        Points3D(rng.normal(size=(5, 3, 3)), ("k0", "k1", "k2"), 50.0).save(path)
    return path.read_bytes()


@SETTINGS
@given(kind=st.sampled_from(["keypoints2d", "points3d"]), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=6))
def test_npz_readers_take_any_damage_as_input_error(tmp_path_factory, kind, cut, flips):
    path = tmp_path_factory.mktemp("n") / f"{kind}.npz"
    data = bytearray(_good_npz(path, kind))
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    path.write_bytes(bytes(data[: max(1, int(cut * len(data)))] if cut < 1 else data))
    load = Keypoints2D.load if kind == "keypoints2d" else Points3D.load
    try:
        load(path)
    except InputError as exc:
        assert str(path) in str(exc)


FINITE = {"allow_nan": False, "allow_infinity": False}


@SETTINGS
@given(fx=st.floats(200, 5000), fy=st.floats(200, 5000), cx=st.floats(100, 1800),
       cy=st.floats(100, 1000),
       dist=st.lists(st.floats(-0.5, 0.5, **FINITE), min_size=5, max_size=5),
       rvec=st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       tvec=st.lists(st.floats(-10, 10), min_size=3, max_size=3))
def test_calibration_toml_round_trip_keeps_every_number(tmp_path_factory, fx, fy, cx, cy, dist,
                                                        rvec, tvec):
    from mocaplab.camera import CameraSet

    cam = Camera("cam0", (1920, 1080), [[fx, 0, cx], [0, fy, cy], [0, 0, 1]], dist, rvec, tvec)
    path = tmp_path_factory.mktemp("c") / "calibration.toml"
    CameraSet((cam, cam.replace(name="cam1"))).save(path)
    back = CameraSet.load(path, units="m")[0]
    for field in ("matrix", "distortion", "rvec", "tvec"):
        np.testing.assert_array_equal(getattr(back, field), getattr(cam, field), err_msg=field)
    assert back.size == cam.size
