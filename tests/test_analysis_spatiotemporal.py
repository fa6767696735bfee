"""Spatiotemporal parameters: units pinned (cadence steps/min, lengths m), leg length, sway."""

from __future__ import annotations

import pytest

from mocaplab.analysis.inputs import AnalysisInput
from mocaplab.analysis.pipeline import analyze
from mocaplab.analysis.spatiotemporal import symmetry
from mocaplab.synthetic.gait import parametric_walk


def _metrics(w, markerless=False):
    if markerless:
        kp = w.keypoints
        return analyze(AnalysisInput(kp.points, kp.keypoints, kp.fps, 1, "syn", "points3d"))
    return analyze(AnalysisInput(w.markers, w.marker_labels, w.fps, 1, "syn", "c3d"))


@pytest.mark.parametrize("markerless", [False, True])
def test_units_cadence_steps_per_min_and_lengths_in_metres(markerless):
    w = parametric_walk(speed_m_s=1.2, cadence_steps_per_min=110.0, step_width_m=0.12)
    st = _metrics(w, markerless)["spatiotemporal"]
    o = st["overall"]
    assert o["cadence_steps_per_min"] == pytest.approx(110.0, abs=0.5)   # not strides/min (55)
    assert o["stride_length_m"] == pytest.approx(w.params["stride_length_m"], abs=0.01)  # not mm
    assert o["step_length_m"] == pytest.approx(w.params["step_length_m"], abs=0.01)
    assert o["step_width_m"] == pytest.approx(0.12, abs=0.005)
    assert o["speed_m_s"] == pytest.approx(1.2, abs=0.02)
    assert o["stride_time_s"] == pytest.approx(120.0 / 110.0, abs=0.01)
    assert o["stance_pct"] == pytest.approx(60.0, abs=1.5)
    assert o["swing_pct"] == pytest.approx(40.0, abs=1.5)
    # marker offs are timed by the toe marker's speed (real push-off, tuned on the marker
    # corpus); the synthetic toe's speed profile does not model push-off: offs ~17 ms late
    assert o["double_support_pct"] == pytest.approx(20.0, abs=2.5)
    for side in ("left", "right"):
        assert st[side]["n_strides"] >= 3
        assert st[side]["cadence_steps_per_min"] == pytest.approx(110.0, abs=1.0)
    assert abs(st["symmetry"]["step_length_m"]["symmetry_index_pct"]) < 2.0


def test_treadmill_speed_from_belt():
    w = parametric_walk(speed_m_s=1.0, treadmill=True)
    o = _metrics(w)["spatiotemporal"]["overall"]
    assert o["belt_speed_m_s"] == pytest.approx(1.0, abs=0.03)
    assert o["speed_m_s"] == pytest.approx(1.0, abs=0.03)
    assert o["step_length_m"] == pytest.approx(w.params["step_length_m"], abs=0.03)


def test_leg_length_difference_and_pelvic_drop_asymmetry():
    w = parametric_walk(shank_m=(0.40, 0.42), obliquity_amp_deg=(6.0, 3.0))
    m = _metrics(w)
    ll = m["leg_length"]
    assert ll["left"]["shank_length_m"] == pytest.approx(0.40, abs=1e-3)
    assert ll["right"]["shank_length_m"] == pytest.approx(0.42, abs=1e-3)
    assert ll["asymmetry"]["leg_length_left_minus_right_m"] == pytest.approx(-0.02, abs=2e-3)
    # larger rise of the left side in left stance = larger right-side drop
    assert ll["left"]["pelvic_drop_contralateral_max_deg"] == pytest.approx(6.0, abs=0.5)
    assert ll["right"]["pelvic_drop_contralateral_max_deg"] == pytest.approx(3.0, abs=0.5)
    assert ll["asymmetry"]["pelvic_drop_contralateral_max_left_minus_right_deg"] > 2.0


def test_weight_shift_excursion():
    w = parametric_walk(sway_m=0.03)
    ws = _metrics(w)["weight_shift"]
    assert ws["mediolateral_excursion_m"] == pytest.approx(0.06, abs=0.01)
    assert abs(ws["symmetry"]["symmetry_index_pct"]) < 10


def test_symmetry_index_and_ratio():
    s = symmetry(0.6, 0.5)
    assert s["symmetry_index_pct"] == pytest.approx(100 * 0.1 / 0.55)
    assert s["symmetry_ratio"] == pytest.approx(1.2)


def test_walk_c3d_spatiotemporal_against_labelled_events(shared_data):
    from mocaplab.analysis.pipeline import analyze_file

    m = analyze_file(shared_data / "kineticstoolkit_walk" / "walk.c3d")
    st = m["spatiotemporal"]
    # strides from the labelled events: right 1.6605 -> 2.74, left 2.2235 -> 3.33
    assert st["right"]["stride_time_s"] == pytest.approx(2.74 - 1.6605, abs=0.02)
    assert st["left"]["stride_time_s"] == pytest.approx(3.33 - 2.2235, abs=0.02)
    assert 90 < st["overall"]["cadence_steps_per_min"] < 130
    assert 0.7 < st["overall"]["stride_length_m"] < 1.5


def test_heel_missing_at_foot_flat_says_so_for_that_side_only():
    """LHEE present but lost around every left foot strike (longer than the 0.2 s gap fill):
    the footprints, and so left stride length, speed, step length and width, cannot be
    measured; the warning names the marker and the strides, the right side is untouched."""
    import numpy as np

    w = parametric_walk(duration_s=6.0)
    clean = _metrics(w)
    strikes = [e["frame"] for e in clean["events"]
               if e["side"] == "left" and e["type"] == "foot_strike"]
    markers = w.markers.copy()
    k = w.marker_labels.index("LHEE")
    for frame in strikes:  # frame 1 = sample 0
        markers[frame: frame + int(0.4 * w.fps), k] = np.nan
    assert np.isfinite(markers[:, k]).mean() > 0.5  # the marker is there most of the time
    m = analyze(AnalysisInput(markers, w.marker_labels, w.fps, 1, "syn", "c3d"))
    st = m["spatiotemporal"]
    n = st["left"]["n_strides"]
    assert n >= 3 and np.isnan(st["left"]["stride_length_m"]) and np.isnan(st["left"]["speed_m_s"])
    assert np.isnan(st["left"]["step_length_m"]) and np.isnan(st["left"]["step_width_m"])
    assert st["right"]["stride_length_m"] == pytest.approx(w.params["stride_length_m"], abs=0.01)
    said = [x for x in m["warnings"] if "length" in x]
    assert said == [f"left stride length and speed not computed, nor step length and width: "
                    f"the LHEE marker is missing at foot flat in all {n} strides",
                    # a right step runs from the left footprint before it
                    "right step length and width not computed: a right step is measured from "
                    "the left heel footprint before it, and the LHEE marker is missing there"]


def test_treadmill_without_belt_speed_says_why():
    """On a treadmill stride length is belt speed x stride time: without a belt speed the
    side's stride length and speed are null (not 0 m) and the warning says why."""
    import math

    from mocaplab.analysis.pipeline import gait_of
    from mocaplab.analysis.spatiotemporal import spatial_warnings, spatiotemporal

    w = parametric_walk(speed_m_s=1.0, treadmill=True)
    g, _, _ = gait_of(AnalysisInput(w.markers, w.marker_labels, w.fps, 1, "syn", "c3d"))
    assert g.prog.treadmill
    st = spatiotemporal(g.lm, g.prog, g.events, g.cycles, belt_speed_m_s=math.nan)
    for side in ("left", "right"):
        assert st[side]["n_strides"] >= 1 and math.isnan(st[side]["stride_length_m"])
        assert math.isnan(st[side]["speed_m_s"])
        assert st[side]["step_length_m"] == pytest.approx(w.params["step_length_m"], abs=0.03)
    said = spatial_warnings(g.lm, g.prog, g.cycles, st)
    assert said == [f"{side} stride length and speed not computed: no treadmill belt speed "
                    "found (stride length = belt speed x stride time)"
                    for side in ("left", "right")]
    measured = spatiotemporal(g.lm, g.prog, g.events, g.cycles, belt_speed_m_s=1.0)
    assert spatial_warnings(g.lm, g.prog, g.cycles, measured) == []


def test_no_heel_markers_footprints_from_the_ankle_or_toe():
    """Without heel markers (c3d.org sample04, BTS 561xxa01) stride length and speed were null
    ('no LHEE (heel) marker') although the foot's other markers give the same footprint
    differences: now measured from the ankle, else the toe marker, and said so; step width
    (heel line) is not given then, and neither is a step between footprints of two different
    markers."""
    import numpy as np

    w = parametric_walk(duration_s=6.0)
    clean = _metrics(w)["spatiotemporal"]
    keep = [i for i, lb in enumerate(w.marker_labels) if lb not in ("LHEE", "RHEE")]
    m = analyze(AnalysisInput(w.markers[:, keep], tuple(w.marker_labels[i] for i in keep),
                              w.fps, 1, "syn", "c3d"))
    st = m["spatiotemporal"]
    for side in ("left", "right", "overall"):
        assert st[side]["stride_length_m"] == pytest.approx(w.params["stride_length_m"],
                                                            abs=0.01)
        assert st[side]["speed_m_s"] == pytest.approx(clean[side]["speed_m_s"], abs=0.03)
        assert st[side]["step_length_m"] == pytest.approx(clean[side]["step_length_m"],
                                                          abs=0.01)
        assert np.isnan(st[side]["step_width_m"])
    said = [x for x in m["warnings"] if "footprints" in x or "step width" in x]
    assert said[0].startswith("no LHEE (heel) marker: left stride length and speed and step "
                              "length are measured between LANK footprints instead")
    assert said[1].startswith("no RHEE (heel) marker: right")
    assert said[2].startswith("step width not computed") and "LHEE nor RHEE" in said[2]
    # one heel only: that side from its toe; no step between a heel and a toe footprint
    keep = [i for i, lb in enumerate(w.marker_labels) if lb != "LHEE"]
    m = analyze(AnalysisInput(w.markers[:, keep], tuple(w.marker_labels[i] for i in keep),
                              w.fps, 1, "syn", "c3d"))
    st = m["spatiotemporal"]
    assert st["left"]["stride_length_m"] == pytest.approx(w.params["stride_length_m"], abs=0.01)
    assert np.isnan(st["left"]["step_length_m"]) and np.isnan(st["right"]["step_length_m"])
    assert any("its footprints are measured from LANK and the right ones from RHEE" in x
               for x in m["warnings"])


def test_treadmill_without_heels_gives_no_step_length():
    """On a treadmill a step is the heel-to-heel distance at the strike; with toe markers
    instead it would be wrong (the rear foot rolls over its toes then): null, and said."""
    import numpy as np

    w = parametric_walk(speed_m_s=1.0, treadmill=True)
    keep = [i for i, lb in enumerate(w.marker_labels) if lb not in ("LHEE", "RHEE")]
    m = analyze(AnalysisInput(w.markers[:, keep], tuple(w.marker_labels[i] for i in keep),
                              w.fps, 1, "syn", "c3d"))
    assert m["provenance"]["progression"]["treadmill"]
    st = m["spatiotemporal"]
    assert np.isfinite(st["left"]["stride_length_m"])          # belt speed x stride time
    assert np.isnan(st["left"]["step_length_m"]) and np.isnan(st["right"]["step_width_m"])
    assert any(x.startswith("no LHEE (heel) marker: left step length not computed (on a "
                            "treadmill") for x in m["warnings"])
