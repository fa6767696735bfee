"""`mocaplab analyze` on a synthetic Plug-in Gait marker walk with known joint angles: the hip,
knee, ankle and foot progression angles of metrics.json equal the angles the markers were built
from.

The walk is built forward: the pelvis of the synthetic walker (mocaplab.synthetic.gait), the
hip joint centres by Davis's regression written out here, then femur, tibia and foot frames
turned by prescribed angles whose signs follow their clinical meaning (checked geometrically
below: flexion puts the knee in front of the hip, knee flexion the ankle behind the knee,
dorsiflexion the toe above the ankle, adduction the knee towards the midline), and the skin
markers (THI, KNE, TIB, ANK, TOE) placed where Plug-in Gait expects them. The subject
measurements go in a meta.json beside the C3D, as a lab would give them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mocaplab.analysis.pipeline import analyze_file
from mocaplab.marker_io import write_c3d
from mocaplab.synthetic.gait import parametric_walk

LEG_MM, KNEE_W_MM, ANKLE_W_MM, MARKER_MM = 900.0, 105.0, 70.0, 14.0
THIGH, SHANK, FOOT = 0.42, 0.41, 0.16


def _rx(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1),
                     np.stack([z, s, c], -1)], -2)


def _ry(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def _rz(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                     np.stack([z, z, o], -1)], -2)


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _truth_walk(seed: int):
    """(markers (F, M, 3) m, labels, fps, truth: joint -> side -> (F, k) deg, inter-ASIS m)."""
    rng = np.random.default_rng(seed)
    w = parametric_walk(duration_s=3.0, pelvis_tilt_deg=rng.uniform(5, 15))
    mk = {n: w.markers[:, i] for i, n in enumerate(w.marker_labels)}
    n = w.markers.shape[0]
    t = np.arange(n) / w.fps
    lasi, rasi = mk["LASI"], mk["RASI"]
    sacr = (mk["LPSI"] + mk["RPSI"]) / 2
    origin = (lasi + rasi) / 2
    y = _unit(lasi - rasi)
    z = _unit(np.cross(origin - sacr, y))
    rp = np.stack([np.cross(y, z), y, z], axis=-1)                # pelvis: x fwd, y left, z up
    inter_asis = float(np.median(np.linalg.norm(lasi - rasi, axis=-1)))
    # Davis et al. 1991 (mm): C = 0.115 LL - 15.3, theta 0.5 rad, beta 0.314 rad
    r = MARKER_MM / 2
    c = 0.115 * LEG_MM - 15.3
    at = 0.1288 * LEG_MM - 48.56
    th, be = 0.5, 0.314
    hx = c * np.cos(th) * np.sin(be) - (at + r) * np.cos(be)
    hz = -c * np.cos(th) * np.cos(be) - (at + r) * np.sin(be)
    hy = inter_asis * 1000 / 2 - c * np.sin(th)
    f = 2 * np.pi / 1.1

    def wave(mean, amp, phase):
        return np.radians(mean + amp * np.sin(f * t + phase + rng.uniform(0, 2 * np.pi)))

    out = {"LASI": lasi, "RASI": rasi, "LPSI": mk["LPSI"], "RPSI": mk["RPSI"]}
    truth: dict = {j: {} for j in ("hip", "knee", "ankle", "foot_progression")}
    for side, p, s in (("left", "L", 1.0), ("right", "R", -1.0)):
        hjc = origin + np.einsum("fij,j->fi", rp, np.array([hx, s * hy, hz]) / 1000)
        hf, ha, hr = wave(15, 25, 0), wave(0, 5, 1), wave(3, 6, 2)        # hip
        kf, ka, kr = wave(30, 28, 3), wave(2, 3, 4), wave(0, 6, 5)        # knee
        # ankle: Plug-in Gait's dynamic foot has only TOE and AJC, its y axis is the tibia's
        # flexion axis, so the foot carries no roll of its own: inversion is 0 (without a
        # static rotation offset), rotation is the turn of the foot's long axis
        ad, ai, ar = wave(2, 12, 6), np.zeros(n), wave(-5, 5, 8)
        # side sign s: adduction/internal rotation turn the other way on the right
        rf = rp @ _ry(-hf) @ _rx(-s * ha) @ _rz(-s * hr)                   # femur
        rt = rf @ _ry(kf) @ _rx(-s * ka) @ _rz(-s * kr)                    # tibia
        rfoot = rt @ _ry(-np.pi / 2 - ad) @ _rx(-s * ar)                   # foot: z toe->AJC
        kjc = hjc - THIGH * rf[:, :, 2]
        ajc = kjc - SHANK * rt[:, :, 2]
        toe = ajc - FOOT * rfoot[:, :, 2]
        lat_f, lat_t = s * rf[:, :, 1], s * rt[:, :, 1]                    # lateral directions
        out[p + "KNE"] = kjc + lat_f * (KNEE_W_MM / 2 + r) / 1000
        out[p + "THI"] = hjc - 0.5 * THIGH * rf[:, :, 2] + 0.09 * lat_f
        out[p + "ANK"] = ajc + lat_t * (ANKLE_W_MM / 2 + r) / 1000
        out[p + "TIB"] = kjc - 0.5 * SHANK * rt[:, :, 2] + 0.07 * lat_t
        out[p + "TOE"] = toe
        out[p + "HEE"] = ajc + 0.05 * rfoot[:, :, 2] - 0.04 * rfoot[:, :, 0]
        # the clinical meaning of the signs, checked on the geometry itself
        fwd = rp[:, :, 0]
        flexed = np.degrees(hf) > 10
        assert (np.einsum("fi,fi->f", kjc - hjc, fwd)[flexed] > 0).all()   # knee in front
        kflexed = np.degrees(kf) > 10
        assert (np.einsum("fi,fi->f", ajc - kjc, rf[:, :, 0])[kflexed] < 0).all()  # ankle behind
        dorsi = np.degrees(ad) > 5
        assert (np.einsum("fi,fi->f", toe - ajc, rt[:, :, 2])[dorsi] > 0).all()   # toe up
        adducted = np.degrees(ha) > 2
        assert (np.einsum("fi,fi->f", kjc - hjc, s * rp[:, :, 1])[adducted] < 0).all()  # medial
        deg = np.degrees
        truth["hip"][side] = np.stack([deg(hf), deg(ha), deg(hr)], 1)
        truth["knee"][side] = np.stack([deg(kf), deg(ka), deg(kr)], 1)
        truth["ankle"][side] = np.stack([deg(ad), deg(ai), deg(ar)], 1)
        # foot progression: the foot's long axis in the horizontal plane against the walking
        # direction (+X), toe-in positive (the left toe turned to the right is toe-in)
        # (compared where the foot is within 20 deg of level: a steep foot's heading in the
        # horizontal plane is not the Cardan angle Plug-in Gait reports)
        d = toe - ajc
        prog = deg(np.arctan2(-s * d[:, 1], d[:, 0]))
        level = np.abs(deg(np.arcsin(_unit(d)[:, 2]))) < 20
        truth["foot_progression"][side] = np.where(level, prog, np.nan)[:, None]
    labels = tuple(out)
    return np.stack([out[k] for k in labels], axis=1), labels, w.fps, truth, inter_asis


@pytest.mark.parametrize("seed", [3, 17])
def test_analyze_gives_the_built_joint_angles(tmp_path, seed):
    markers, labels, fps, truth, inter_asis = _truth_walk(seed)
    path = tmp_path / "walk.c3d"
    write_c3d(path, markers, labels, fps)
    (tmp_path / "meta.json").write_text(json.dumps({"subject": {
        "leg_length_m": LEG_MM / 1000, "knee_width_m": KNEE_W_MM / 1000,
        "ankle_width_m": ANKLE_W_MM / 1000, "marker_diameter_m": MARKER_MM / 1000,
        "inter_asis_m": inter_asis}}))
    m = analyze_file(path)
    assert m["provenance"]["kinematics"]["model"] == "plugin_gait_markers"
    assert m["provenance"]["estimated"] == {}
    assert not any("not measured" in w or "not given" in w for w in m["warnings"])
    keys = {"hip": ("flexion", "adduction", "rotation"),
            "knee": ("flexion", "adduction", "rotation"),
            "ankle": ("dorsiflexion", "inversion", "rotation"),
            "foot_progression": ("angle",)}
    for joint, comps in keys.items():
        for side in ("left", "right"):
            for i, comp in enumerate(comps):
                got = np.array(m["angles"][joint][side][comp], dtype=float)
                want = truth[joint][side][:, i]
                assert np.isfinite(got).mean() > 0.95, (joint, side, comp)
                ok = np.isfinite(got) & np.isfinite(want)
                assert ok.sum() > 50
                tol = 1.5 if joint == "foot_progression" else 0.05
                err = np.abs(got[ok] - want[ok]).max()
                assert err < tol, (joint, side, comp, err)
