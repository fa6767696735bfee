"""`mocaplab analyze` on a synthetic Plug-in Gait marker walk with known joint angles: the hip,
knee, ankle and foot progression angles of metrics.json equal the angles the markers were built
from (mocaplab.synthetic.pig_walk: built forward, signs by clinical meaning, checked on the
geometry here). The subject measurements go in a meta.json beside the C3D, as a lab gives them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mocaplab.analysis.pipeline import analyze_file
from mocaplab.marker_io import write_c3d
from mocaplab.synthetic.pig_walk import prescribed_walk

KEYS = {"hip": ("flexion", "adduction", "rotation"),
        "knee": ("flexion", "adduction", "rotation"),
        "ankle": ("dorsiflexion", "inversion", "rotation"),
        "foot_progression": ("angle",)}


def _random_curves(seed: int) -> dict[str, np.ndarray]:
    """Smooth random cycle curves (101 points, deg) around plausible means."""
    rng = np.random.default_rng(seed)
    u = np.linspace(0, 1, 101)
    out = {}
    for name, mean, amp in (("pelvis_tilt", 10, 3), ("pelvis_obliquity", 0, 5),
                            ("pelvis_rotation", 0, 6), ("hip_flexion", 15, 25),
                            ("hip_adduction", 0, 6), ("hip_rotation", 3, 8),
                            ("knee_flexion", 30, 28), ("knee_adduction", 2, 4),
                            ("knee_rotation", 0, 8), ("ankle_dorsiflexion", 2, 12),
                            ("ankle_rotation", -5, 6)):
        k = rng.integers(1, 3)
        out[name] = mean + amp * np.sin(2 * np.pi * k * u + rng.uniform(0, 2 * np.pi))
    return out


def _analyze(tmp_path, walk):
    path = tmp_path / "walk.c3d"
    write_c3d(path, walk.markers, walk.labels, walk.fps)
    (tmp_path / "meta.json").write_text(json.dumps({"subject": dict(walk.subject)}))
    return analyze_file(path)


def test_the_built_angles_mean_what_they_say():
    """The generator's signs, on its own geometry: hip flexion puts the knee in front of the
    hip, knee flexion the ankle behind the knee, dorsiflexion the toe above the ankle relative to
    the shank's perpendicular, adduction the knee towards the midline."""
    w = prescribed_walk(_random_curves(3), duration_s=3.0)
    mk = {n: w.markers[:, i] for i, n in enumerate(w.labels)}
    lasi, rasi = mk["LASI"], mk["RASI"]
    sacr = (mk["LPSI"] + mk["RPSI"]) / 2
    mid = (lasi + rasi) / 2
    y = (lasi - rasi) / np.linalg.norm(lasi - rasi, axis=1, keepdims=True)
    z = np.cross(mid - sacr, y)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    fwd = np.cross(y, z)                                  # pelvis forward (tilt included)
    for side, p, s in (("left", "L", 1.0), ("right", "R", -1.0)):
        hip, knee = w.angles["hip"][side], w.angles["knee"][side]
        thi, kne, tib, ank, toe = (mk[p + n] for n in ("THI", "KNE", "TIB", "ANK", "TOE"))
        thigh = kne - thi                                 # down the thigh, both lateral
        assert (np.einsum("fi,fi->f", thigh, fwd)[hip[:, 0] > 10] > 0).all()   # knee forward
        # knee flexion turns the shank backwards from the thigh's line
        thigh_u = thigh / np.linalg.norm(thigh, axis=1, keepdims=True)
        shank = ank - tib
        behind = np.einsum("fi,fi->f", shank - np.einsum("fi,fi->f", shank, thigh_u)[:, None]
                           * thigh_u, fwd)
        assert (behind[knee[:, 0] > 15] < 0).all()
        # dorsiflexion lifts the toe towards the shank
        shank_u = shank / np.linalg.norm(shank, axis=1, keepdims=True)
        toe_up = -np.einsum("fi,fi->f", (toe - ank) / np.linalg.norm(toe - ank, axis=1,
                                                                      keepdims=True), shank_u)
        dorsi = w.angles["ankle"][side][:, 0]
        assert toe_up[dorsi > 8].mean() > toe_up[dorsi < -5].mean()
        # adduction brings the knee towards the midline
        lateral = np.einsum("fi,fi->f", kne - mid, s * y)
        assert lateral[hip[:, 1] > 4].mean() < lateral[hip[:, 1] < -4].mean()


@pytest.mark.parametrize("seed", [3, 17])
def test_analyze_gives_the_built_joint_angles(tmp_path, seed):
    w = prescribed_walk(_random_curves(seed), duration_s=3.0)
    m = _analyze(tmp_path, w)
    assert m["provenance"]["kinematics"]["model"] == "plugin_gait_markers"
    assert m["provenance"]["estimated"] == {}
    assert not any("not measured" in x or "not given" in x for x in m["warnings"])
    for joint, comps in KEYS.items():
        for side in ("left", "right"):
            for i, comp in enumerate(comps):
                got = np.array(m["angles"][joint][side][comp], dtype=float)
                want = w.angles[joint][side][:, i]
                assert np.isfinite(got).mean() > 0.95, (joint, side, comp)
                ok = np.isfinite(got) & np.isfinite(want)
                assert ok.sum() > 30
                tol = 1.5 if joint == "foot_progression" else 0.05
                err = np.abs(got[ok] - want[ok]).max()
                assert err < tol, (joint, side, comp, err)
