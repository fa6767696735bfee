"""Camera model and calibration TOML: projection, undistortion, round trip, aniposelib."""

import cv2
import numpy as np
import pytest

from mocaplab.camera import CameraSet
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.synthetic import DISTORTION_STRONG, camera_ring


def _points(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform([-1.5, -1.5, 0], [1.5, 1.5, 2], (n, 3))


@pytest.mark.parametrize("dist", [(0, 0, 0, 0, 0), (-0.3, 0.1, 0.001, -0.002, -0.02)])
def test_project_matches_opencv(dist):
    cams = camera_ring(4, distortion=dist, principal_offsets=[(20, -10)] * 4)
    pts = _points()
    for cam in cams:
        ours = cam.project(pts)
        cv, _ = cv2.projectPoints(pts, cam.rvec, cam.tvec, cam.matrix, cam.distortion)
        np.testing.assert_allclose(ours, cv.reshape(-1, 2), atol=1e-6)


def test_fisheye_project_matches_opencv():
    base = camera_ring(1)[0]
    cam = base.replace(model="fisheye", distortion=np.array([0.05, -0.01, 0.002, -0.001]))
    pts = _points()
    ours = cam.project(pts)
    cv, _ = cv2.fisheye.projectPoints(pts.reshape(-1, 1, 3), cam.rvec, cam.tvec, cam.matrix,
                                      cam.distortion)
    np.testing.assert_allclose(ours, cv.reshape(-1, 2), atol=1e-6)
    back = cam.distort_normalized(cam.undistort_points(ours))
    np.testing.assert_allclose(back, ours, atol=1e-4)


def test_undistort_inverts_strong_distortion_to_the_corners():
    cam = camera_ring(1, distortion=DISTORTION_STRONG)[0]
    w, h = cam.size
    px = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1], [w / 2, h / 2], [5, h / 2]],
                  float)
    back = cam.distort_normalized(cam.undistort_points(px))
    np.testing.assert_allclose(back, px, atol=1e-6)
    # OpenCV's default (few iterations) is measurably off in the corners: that is why we pass
    # criteria everywhere.
    default = cv2.undistortPoints(px.reshape(-1, 1, 2), cam.matrix, cam.distortion).reshape(-1, 2)
    assert np.abs(cam.distort_normalized(default) - px).max() > 0.2


def test_points_behind_camera_and_nan_give_nan():
    cam = camera_ring(1)[0]
    behind = cam.center + (cam.center - np.array([0, 0, 0.9]))
    out = cam.project(np.array([behind, [np.nan, 0, 0]]))
    assert np.isnan(out).all()


def test_center_and_projection_matrix_agree():
    cam = camera_ring(3)[1]
    X = np.array([0.3, -0.2, 1.1])
    x = cam.projection_matrix @ np.append(X, 1)
    undist = cam.undistort_pixels(cam.project(X))
    np.testing.assert_allclose(x[:2] / x[2], undist, atol=1e-6)
    np.testing.assert_allclose(cam.world_to_camera(cam.center), 0, atol=1e-12)


def test_toml_round_trip_is_exact(tmp_path):
    cams = camera_ring(4, distortion=DISTORTION_STRONG, principal_offsets=[(13.37, -4.2)] * 4,
                       focal_jitter=0.1, seed=3)
    cams = CameraSet(cams.cameras, {"board": "charuco 7x5", "error_px": 0.31})
    path = cams.save(tmp_path / "cal.toml")
    back = CameraSet.load(path)
    assert back.names == cams.names
    for a, b in zip(cams, back, strict=True):
        assert a.size == b.size
        for field in ("matrix", "distortion", "rvec", "tvec"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert back.metadata["error_px"] == 0.31
    # a second save of the loaded set gives the same bytes
    assert back.save(tmp_path / "again.toml").read_bytes() == path.read_bytes()


def test_aniposelib_reads_what_we_write(tmp_path):
    from aniposelib.cameras import CameraGroup

    cams = camera_ring(4, distortion=(-0.2, 0.05, 0.001, 0.0005, 0.0))
    path = cams.save(tmp_path / "cal.toml")
    group = CameraGroup.load(str(path))
    assert group.get_names() == cams.names
    pts = _points(50)
    theirs = group.project(pts)  # (C, N, 2)
    np.testing.assert_allclose(theirs, cams.project(pts), atol=1e-6)


def test_save_refuses_to_overwrite(tmp_path):
    cams = camera_ring(2)
    path = cams.save(tmp_path / "cal.toml")
    before = path.read_bytes()
    with pytest.raises(OutputExistsError):
        camera_ring(3).save(path)
    assert path.read_bytes() == before
    camera_ring(3).save(path, overwrite=True)
    assert len(CameraSet.load(path)) == 3


def test_bad_calibration_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        CameraSet.load(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(InputError, match="not valid TOML"):
        CameraSet.load(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text("[metadata]\nx = 1\n")
    with pytest.raises(InputError, match="no camera tables"):
        CameraSet.load(empty)
    partial = tmp_path / "partial.toml"
    partial.write_text('[cam_0]\nname = "a"\nmatrix = [[1,0,0],[0,1,0],[0,0,1]]\n')
    with pytest.raises(InputError, match="lacks 'size'"):
        CameraSet.load(partial)


def test_sleap_anipose_calibration_in_mm(shared_data, tmp_path):
    from aniposelib.cameras import CameraGroup

    src = shared_data / "sleap_anipose_minimal_session" / "calibration.toml"
    cams = CameraSet.load(src)
    assert cams.metadata["converted_from"] == "mm"
    theirs = CameraGroup.load(str(src))
    for ours, ref in zip(cams, theirs.cameras, strict=True):
        np.testing.assert_allclose(ours.tvec * 1000, np.ravel(ref.get_translation()), rtol=1e-12)
        np.testing.assert_array_equal(ours.matrix, ref.get_camera_matrix())
    # camera distances now plausible for a lab, in metres
    assert 0.05 < np.median([np.linalg.norm(c.center) for c in cams]) < 20
    # projections agree once their points are in mm and ours in m
    pts_m = np.array([[0.01, 0.02, 0.3], [0.0, 0.0, 0.25]])
    np.testing.assert_allclose(cams.project(pts_m), theirs.project(pts_m * 1000), atol=1e-6)
    # round trip in metres is exact
    back = CameraSet.load(cams.save(tmp_path / "m.toml"))
    for a, b in zip(cams, back, strict=True):
        assert np.array_equal(a.tvec, b.tvec)
