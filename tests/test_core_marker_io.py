"""C3D and TRC reading and writing."""

import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.marker_io import Event, read_c3d, read_trc, write_c3d, write_trc


def _markers(F=50, M=4, seed=0):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-1, 2, (F, M, 3))
    pts[5, 1] = np.nan
    return pts, [f"M{i}" for i in range(M)]


def test_c3d_round_trip_with_events_and_angles(tmp_path):
    pts, labels = _markers()
    angles = {"LPelvisAngles": np.random.default_rng(1).normal(0, 5, (50, 3))}
    events = [Event("right", "foot_strike", 0.25, 26), Event("left", "foot_off", 0.31, 32)]
    path = write_c3d(tmp_path / "t.c3d", pts, labels, 100.0, first_frame=11, events=events,
                     angles=angles)
    back = read_c3d(path)
    assert back.labels == tuple(labels) and back.fps == 100.0 and back.first_frame == 11
    np.testing.assert_allclose(back.points, pts, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(back.model_outputs["LPelvisAngles"], angles["LPelvisAngles"],
                               atol=1e-4)
    assert [(e.side, e.type, e.frame) for e in back.events] == [
        ("right", "foot_strike", 26), ("left", "foot_off", 32)]
    assert back.times[0] == pytest.approx(0.1)


def test_trc_round_trip(tmp_path):
    pts, labels = _markers()
    back = read_trc(write_trc(tmp_path / "t.trc", pts, labels, 60.0, first_frame=3))
    assert back.labels == tuple(labels) and back.fps == 60.0 and back.first_frame == 3
    np.testing.assert_allclose(back.points, pts, atol=1e-6, equal_nan=True)
    back_mm = read_trc(write_trc(tmp_path / "mm.trc", pts, labels, 60.0, units="mm"))
    np.testing.assert_allclose(back_mm.points, pts, atol=1e-6, equal_nan=True)


def test_bad_marker_files(tmp_path):
    (tmp_path / "x.c3d").write_bytes(b"garbage")
    with pytest.raises(InputError, match="not a readable C3D"):
        read_c3d(tmp_path / "x.c3d")
    (tmp_path / "x.trc").write_text("hello\n")
    with pytest.raises(InputError, match="not a TRC"):
        read_trc(tmp_path / "x.trc")
    with pytest.raises(InputError, match="does not exist"):
        read_c3d(tmp_path / "none.c3d")


def test_vicon_walk_c3d(shared_data):
    t = read_c3d(shared_data / "kineticstoolkit_walk" / "walk.c3d")
    assert t.fps == 100.0 and t.first_frame == 153 and t.n_frames == 221
    assert t.has("LASI", "RASI", "LPSI", "RPSI", "LHEE", "RHEE", "LTOE", "RTOE")
    assert "LPelvisAngles" in t.model_outputs and "LPelvisAngles" not in t.labels
    # metres: pelvis at about hip height
    assert 0.7 < np.nanmean(t.marker("LASI")[:, 2]) < 1.1
    assert len(t.events) == 8
    first = t.events[0]
    assert (first.side, first.type, first.frame) == ("right", "foot_strike", 167)
    assert first.time_s == pytest.approx(1.6605, abs=1e-4)
