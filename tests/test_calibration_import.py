"""Import of other tools' calibrations, on the real files shipped with the shared data sets."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from mocaplab.calibration import detect_format, load_calibration
from mocaplab.camera import CameraSet
from mocaplab.errors import InputError

P2S = "pose2sim_demo_singleperson"
P2S_REF = f"{P2S}/reference_S00_demo_commit_a948c205cf"
TRC = (f"{P2S_REF}/S00_P00_SingleParticipant/S00_P00_T01_BalancingTrial/pose-3d/"
       "S00_P00_T01_BalancingTrial_0-100.trc")


def _read_trc_frame(path, frame: int) -> np.ndarray:
    """(K, 3) points of one TRC frame, converted from Pose2Sim's Y-up axes (see its README)."""
    rows = path.read_text().splitlines()[5:]
    values = np.array([float(v) for v in rows[frame].split("\t")[2:] if v.strip()])
    trc = values.reshape(-1, 3)
    return trc[:, [2, 0, 1]]  # X = [Z_trc, X_trc, Y_trc]


@pytest.mark.parametrize("rel, fmt, n", [
    (f"{P2S}/calibration/Calib.qca.txt", "qualisys", 4),
    (f"{P2S_REF}/S00_Calibration/Calib_qualisys.toml", "pose2sim", 4),
    (f"{P2S}/calibration/Calib_scene_from_commit_eca0229.toml", "pose2sim", 4),
    ("sports2d_demo/Calib_demo.toml", "pose2sim", 1),
    ("caliscope_charuco_4cam/charuco_calibration/camera_array.toml", "caliscope", 4),
    ("sleap_anipose_minimal_session/calibration.toml", "aniposelib", 4),
])
def test_formats_are_detected_and_load(shared_data, rel, fmt, n):
    path = shared_data / rel
    assert detect_format(path) == fmt
    cams = load_calibration(path)
    assert len(cams) == n
    assert cams.metadata["imported_from"]["format"] == fmt
    for cam in cams:
        assert cam.distortion.shape == (5,)
        assert np.linalg.norm(cam.center) < 20.0  # metres, not millimetres


def test_qualisys_matches_pose2sim_conversion_extrinsics(shared_data):
    """Camera centres, rotations and K agree with Pose2Sim's conversion of the same file."""
    q = load_calibration(shared_data / P2S / "calibration/Calib.qca.txt")
    p = load_calibration(shared_data / P2S_REF / "S00_Calibration/Calib_qualisys.toml")
    assert q[0].size == (1088, 1920)
    for a, b in zip(q, p, strict=True):
        np.testing.assert_allclose(a.center, b.center, atol=1e-6)
        np.testing.assert_allclose(a.rotation, b.rotation, atol=1e-6)
        np.testing.assert_allclose(a.matrix, b.matrix, atol=1e-3)


def test_qualisys_reprojects_pose2sim_person_upright_in_every_view(shared_data):
    """Pose2Sim's 3D skeleton (frame 50) lands in every image, head above feet, and within a few
    pixels of where Pose2Sim's own conversion puts it (the only difference is distortion)."""
    q = load_calibration(shared_data / P2S / "calibration/Calib.qca.txt")
    p = load_calibration(shared_data / P2S_REF / "S00_Calibration/Calib_qualisys.toml")
    X = _read_trc_frame(shared_data / TRC, 50)
    head, ankles = 13, [2, 8]
    assert X[head, 2] > X[ankles, 2].max() + 1.0  # Z up, metres
    for a, b in zip(q, p, strict=True):
        uv = a.project(X)
        w, h = a.size
        assert np.all((uv[:, 0] > 0) & (uv[:, 0] < w) & (uv[:, 1] > 0) & (uv[:, 1] < h))
        assert uv[head, 1] < uv[ankles, 1].min() - 100  # upright in the portrait image
        assert np.abs(uv - b.project(X)).max() < 15.0


def test_qualisys_distortion_fits_checkerboard_images(shared_data):
    """The undivided Qualisys distortion explains the demo's checkerboard images better than
    Pose2Sim's coefficients divided by 64 (pose solved per image, intrinsics fixed)."""
    import cv2

    q = load_calibration(shared_data / P2S / "calibration/Calib.qca.txt")
    p = load_calibration(shared_data / P2S_REF / "S00_Calibration/Calib_qualisys.toml")
    obj = np.zeros((28, 3))
    obj[:, :2] = np.mgrid[0:4, 0:7].T.reshape(-1, 2) * 0.06
    err = {"qca": [], "p2s": []}
    for ci in (1, 2):
        folder = shared_data / P2S / f"calibration/intrinsics/int_cam0{ci + 1}_img"
        for f in sorted(folder.glob("*.jpg"))[:4]:
            grey = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
            ok, corners = cv2.findChessboardCorners(grey, (4, 7))
            if not ok:
                continue
            corners = cv2.cornerSubPix(grey, corners, (11, 11), (-1, -1),
                                       (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-3))
            corners = corners.reshape(-1, 2)
            for key, cams in (("qca", q), ("p2s", p)):
                cam = cams[ci]
                _, r, t = cv2.solvePnP(obj, corners, cam.matrix, cam.distortion)
                proj = cv2.projectPoints(obj, r, t, cam.matrix, cam.distortion)[0].reshape(-1, 2)
                err[key].append(np.sqrt(np.mean(np.sum((proj - corners) ** 2, -1))))
    assert len(err["qca"]) >= 4
    assert np.mean(err["qca"]) < np.mean(err["p2s"])


def test_caliscope_reprojects_its_own_triangulated_corners(shared_data):
    """caliscope's 3D corners project onto its 2D detections: rotation is world -> camera."""
    base = shared_data / "caliscope_charuco_4cam/post_optimization"
    cams = load_calibration(base / "camera_array.toml")
    xy = np.genfromtxt(base / "calibration/extrinsic/CHARUCO/xy_CHARUCO.csv", delimiter=",",
                       names=True)
    xyz = np.genfromtxt(base / "calibration/extrinsic/CHARUCO/xyz_CHARUCO.csv", delimiter=",",
                        names=True)
    points = {(int(r["sync_index"]), int(r["keypoint_id"])):
              (r["x_coord"], r["y_coord"], r["z_coord"]) for r in xyz}
    for c, cam in enumerate(cams):
        rows = [r for r in xy[xy["cam_id"] == c]
                if (int(r["sync_index"]), int(r["keypoint_id"])) in points]
        X = np.array([points[int(r["sync_index"]), int(r["keypoint_id"])] for r in rows])
        uv = np.array([(r["img_loc_x"], r["img_loc_y"]) for r in rows])
        assert len(X) > 100
        assert np.median(np.linalg.norm(cam.project(X) - uv, axis=1)) < 3.0


def test_sleap_anipose_millimetres_are_converted(shared_data):
    cams = load_calibration(shared_data / "sleap_anipose_minimal_session/calibration.toml")
    assert cams.metadata.get("converted_from") == "mm"
    assert all(np.linalg.norm(c.center) < 2.0 for c in cams)


def test_imported_calibration_round_trips_through_aniposelib(shared_data, tmp_path):
    aniposelib = importlib.import_module("aniposelib.cameras")
    cams = load_calibration(shared_data / P2S / "calibration/Calib.qca.txt")
    out = cams.save(tmp_path / "cal.toml")
    group = aniposelib.CameraGroup.load(str(out))
    assert group.get_names() == cams.names
    np.testing.assert_allclose(group.cameras[0].get_translation(), cams[0].tvec)
    assert isinstance(CameraSet.load(out), CameraSet)


def test_unreadable_files_give_clear_errors(tmp_path):
    bad = tmp_path / "notes.toml"
    bad.write_text("[something]\nx = 1\n")
    with pytest.raises(InputError, match="not a calibration file"):
        load_calibration(bad)
    garbage = tmp_path / "cal.toml"
    garbage.write_bytes(b"\x00\x01 not toml [[[")
    with pytest.raises(InputError):
        load_calibration(garbage)
    with pytest.raises(InputError, match="does not exist"):
        load_calibration(tmp_path / "missing.toml")
    xml = tmp_path / "x.qca.txt"
    xml.write_text("<?xml version='1.0'?><calibration><cameras/></calibration>")
    with pytest.raises(InputError, match="no active camera"):
        load_calibration(xml)
