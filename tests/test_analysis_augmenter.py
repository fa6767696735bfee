"""Marker augmenter: model resolution (every place, checksums, wheel install, the error) and the
network on real walking keypoints."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from mocaplab.analysis import augmenter as aug
from mocaplab.analysis import augmenter_model as am
from mocaplab.errors import InputError


def _shared_model() -> Path:
    """../shared/models/marker_augmenter, beside MOCAPLAB_SHARED_DATA."""
    import os

    root = os.environ.get("MOCAPLAB_SHARED_DATA")
    if not root:
        pytest.skip("MOCAPLAB_SHARED_DATA is unset: the shared augmenter model is not available")
    p = Path(root).parent / "models" / "marker_augmenter"
    if am.check_folder(p) is not None:
        pytest.skip(f"marker augmenter not available at {p}")
    return p


def test_resolution_order_and_error(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MOCAPLAB_AUGMENTER_MODEL", str(tmp_path / "nowhere"))
    monkeypatch.setenv("MOCAPLAB_OFFLINE", "1")
    with pytest.raises(InputError) as exc:
        am.resolve_augmenter()
    msg = str(exc.value)
    assert "explicit folder" in msg and "MOCAPLAB_AUGMENTER_MODEL=" in msg
    assert "user cache" in msg and "package index: not tried" in msg
    bad = tmp_path / "bad"
    (bad / "v0.3_lower").mkdir(parents=True)
    for rel in am.FILES:
        (bad / rel).parent.mkdir(parents=True, exist_ok=True)
        (bad / rel).write_bytes(b"not the model")
    with pytest.raises(InputError, match="wrong SHA-256"):
        am.resolve_augmenter(bad)


def test_wheel_install_verifies_checksums(tmp_path, monkeypatch):
    src = _shared_model()
    wheel = tmp_path / "pose2sim-0.10.49-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for rel in am.FILES:
            zf.write(src / rel, f"{am.WHEEL_DIR}/{rel}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MOCAPLAB_AUGMENTER_MODEL", raising=False)
    monkeypatch.delenv("MOCAPLAB_OFFLINE", raising=False)
    monkeypatch.setattr(am, "download_wheel", lambda dest: wheel)
    got = am.resolve_augmenter()
    assert got == am.cache_folder() and am.check_folder(got) is None
    assert am.resolve_augmenter() == got          # now found in the cache
    tampered = tmp_path / "tampered.whl"
    with zipfile.ZipFile(tampered, "w") as zf:
        for rel in am.FILES:
            data = (src / rel).read_bytes()
            zf.writestr(f"{am.WHEEL_DIR}/{rel}", data[:-1] + b"x" if "model" in rel else data)
    with pytest.raises(InputError, match="wrong SHA-256"):
        am.install_from_wheel(tampered, tmp_path / "cache2")
    assert not (tmp_path / "cache2").exists()


def test_toe_mapping_lateral():
    heel = np.array([[0.0, 0.1, 0.05], [0.0, -0.1, 0.05]])
    toe = heel + [0.25, 0, -0.03]
    small_l, big_l = aug.toe_keypoints(heel[:1], toe[:1], "left")
    small_r, _ = aug.toe_keypoints(heel[1:], toe[1:], "right")
    assert np.allclose(big_l, toe[:1])
    assert small_l[0, 1] > toe[0, 1] and small_r[0, 1] < toe[1, 1]   # lateral of the big toe
    assert small_l[0, 0] < toe[0, 0]                                    # and behind it


def test_augmenter_on_real_walk(shared_data, perfect_keypoints):
    """Perfect-detector keypoints of a Vicon walk: the estimated ASIS/PSIS/epicondyles lie
    where the real markers are (within a few cm) and are NaN where a keypoint is missing."""
    folder = _shared_model()
    path = shared_data / "gait_marker_corpus" / "btkdata" / "PiG_Motion-FlatFoot-One.c3d"
    kp, mt, m = perfect_keypoints(path)

    def mk(n):
        return mt.points[:, mt.labels.index(n)]

    kp["left_knee"] = kp["left_knee"].copy()
    kp["left_knee"][10:15] = np.nan
    res = aug.augment(kp, folder, height_m=None, mass_kg=m.mass_kg)
    assert abs(res.height_m - m.height_m) < 0.15          # estimated from the skeleton
    assert any("height" in w for w in res.warnings)
    assert np.isnan(res.markers["LASI"][10:15]).all()
    ok = np.isfinite(res.markers["LASI"]).all(axis=1)
    for name in ("LASI", "RASI", "LPSI", "RPSI", "LKNE", "RKNE", "LANK", "RANK"):
        err = np.linalg.norm(res.markers[name][ok] - mk(name)[ok], axis=1)
        assert np.nanmedian(err) < 0.06, (name, np.nanmedian(err))
    assert set(aug.UPPER_OUTPUTS) <= set(res.markers)


def _pelvis_tilt_deg(m: dict) -> np.ndarray:
    """(F,) anterior tilt (deg) of the Plug-in Gait pelvis of ASIS/PSIS markers, walking +X."""
    from mocaplab.analysis.landmarks import pelvis_frame

    _, rot = pelvis_frame(m["LASI"], m["RASI"], (m["LPSI"] + m["RPSI"]) / 2)
    x = rot[:, :, 0]                                       # pelvis forward axis, lab frame
    return np.degrees(np.arctan2(-x[:, 2], x[:, 0]))       # nose down = anterior = positive


def test_tilt_pelvis_turns_the_tilt_by_the_offset():
    """The tilt correction turns the ASIS/PSIS about the pelvis's lateral axis by exactly the
    offset (positive = more anterior), whatever the tilt it starts from; hips, knees and the
    rest are not moved."""
    tilt0 = np.radians(np.array([-5.0, 0.0, 12.0, 25.0]))
    # a pelvis 0.23 m wide, PSIS 0.16 m behind the ASIS, tilted anteriorly by tilt0 about Y
    c, s = np.cos(tilt0), np.sin(tilt0)
    back = np.stack([-0.16 * c, np.zeros(4), 0.16 * s], axis=1)   # ASIS -> PSIS, tilted
    mid = np.array([0.3, 0.0, 0.95])
    m = {"LASI": mid + [0, 0.115, 0], "RASI": mid + [0, -0.115, 0]}
    m = {k: np.broadcast_to(v, (4, 3)).copy() for k, v in m.items()}
    m["LPSI"] = m["LASI"] + back + [0, -0.07, 0]
    m["RPSI"] = m["RASI"] + back + [0, 0.07, 0]
    m["LKNE"] = np.full((4, 3), 0.5)
    assert np.allclose(_pelvis_tilt_deg(m), np.degrees(tilt0))
    for offset in (-11.0, -4.5, 7.0):
        out = aug.tilt_pelvis(m, offset)
        assert np.allclose(_pelvis_tilt_deg(out), np.degrees(tilt0) + offset, atol=1e-9)
        assert np.allclose(out["LKNE"], m["LKNE"])
        assert np.allclose((out["LASI"] + out["RASI"]) / 2, mid)   # about the mid-ASIS point


def test_augmenter_same_markers_at_any_capture_rate(shared_data, perfect_keypoints):
    """The same walk sampled at 60 and at 240 Hz gives the same estimated landmarks at the
    common instants (the network runs at its 60 Hz training rate; as captured, the 240 Hz
    LSTM differs by about 3 cm and 1.3 deg of pelvic tilt RMS); at 60 and 100 Hz (training
    rates) the result is that of the network run as given, bit for bit; a gap stays NaN at
    240 Hz and the frames around it are estimated."""
    folder = _shared_model()
    path = shared_data / "gait_marker_corpus" / "btkdata" / "PiG_Motion-FlatFoot-One.c3d"
    kp, mt, m = perfect_keypoints(path)
    assert mt.fps == 100.0
    n = len(kp["left_hip"])
    assert all(np.isfinite(v).all() for v in kp.values())
    t = np.arange(n) / mt.fps

    def at(rate_hz):
        t_new = np.arange(int(t[-1] * rate_hz + 1e-9) + 1) / rate_hz
        return {k: np.stack([np.interp(t_new, t, v[:, c]) for c in range(3)], axis=1)
                for k, v in kp.items()}

    k60, k240 = at(60.0), at(240.0)
    a = aug.augment(k60, folder, height_m=m.height_m, mass_kg=m.mass_kg, fps_hz=60.0).markers
    b = aug.augment(k240, folder, height_m=m.height_m, mass_kg=m.mass_kg, fps_hz=240.0).markers
    common = min(len(a["LASI"]), len(b["LASI"][::4]))
    for name in a:
        err = np.linalg.norm(a[name][:common] - b[name][::4][:common], axis=1)
        assert err.max() < 0.003, (name, err.max())
    tilt = _pelvis_tilt_deg(a)[:common] - _pelvis_tilt_deg({k: v[::4] for k, v in b.items()}
                                                           )[:common]
    assert np.sqrt(np.mean(tilt ** 2)) < 0.1
    for kk, rate in ((k60, 60.0), (kp, 100.0)):
        plain = aug.augment(kk, folder, height_m=m.height_m, mass_kg=m.mass_kg).markers
        got = aug.augment(kk, folder, height_m=m.height_m, mass_kg=m.mass_kg,
                          fps_hz=rate).markers
        assert all(np.array_equal(plain[k], got[k], equal_nan=True) for k in plain)
    gap = {k: v.copy() for k, v in k240.items()}
    gap["left_knee"][200:260] = np.nan
    g = aug.augment(gap, folder, height_m=m.height_m, mass_kg=m.mass_kg, fps_hz=240.0).markers
    assert np.isnan(g["LASI"][200:260]).all()
    assert np.isfinite(g["LASI"][:200]).all() and np.isfinite(g["LASI"][260:]).all()


def test_resample_rate_band():
    assert aug.resample_rate_hz(None) is None
    assert aug.resample_rate_hz(60.0) is None and aug.resample_rate_hz(100.0) is None
    assert aug.resample_rate_hz(250.0) == aug.AUGMENTER_RATE_HZ == 60.0
    assert aug.resample_rate_hz(120.0) == 60.0
    assert aug.resample_rate_hz(30.0) is None          # slower captures run as captured
