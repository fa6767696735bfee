"""The progress report's key metrics are the values analysis stores (nothing averaged at read
time), and analysis stores the both-sides value of the metrics that need one."""

import json

import pytest

from mocaplab.analysis import metrics_spec as spec
from mocaplab.analysis.pipeline import with_side_means
from mocaplab.reporting.progress import KEY_METRICS, trial_key_metrics


def test_key_metrics_are_the_stored_values(tmp_path):
    # overall values unlike the mean of left, right and overall: a reader that averages the
    # sides gets other numbers
    data = {"spatiotemporal": {
        "left": {"stride_length_m": 1.0, "speed_m_s": 0.9},
        "right": {"stride_length_m": 1.4, "speed_m_s": 1.3},
        "overall": {"stride_length_m": 1.3, "speed_m_s": 1.25},
        "symmetry": {"step_length_m": {"symmetry_index_pct": -7.5}}},
        "kinematics_summary": {"left": {"pelvis_obliquity_range_deg": 6.0},
                               "right": {"pelvis_obliquity_range_deg": 10.0},
                               "overall": {"pelvis_obliquity_range_deg": 9.0}},
        "gait_profile": {"gps_deg": {"left": 5.0, "right": 9.0, "overall": 7.5}}}
    (tmp_path / "metrics.json").write_text(json.dumps(data))
    km = trial_key_metrics(tmp_path)
    assert km == {"stride_length_m": 1.3, "speed_m_s": 1.25, "step_length_asymmetry": 7.5,
                  "pelvis_obliquity_range_deg": 9.0, "gps_deg": 7.5}


def test_every_key_metric_reads_a_stored_place():
    for km in KEY_METRICS:
        m = km.metric
        if km.asymmetry:
            assert m.symmetry_path, km.key
        else:
            assert km.side in m.sides, km.key  # no value built from other sides at read time


def test_with_side_means_stores_the_overall_of_the_flagged_metrics():
    flagged = [m for m in spec.METRICS if m.overall_from_sides]
    assert {m.key for m in flagged} >= {"pelvis_obliquity_range_deg",
                                        "spine_rotation_range_deg"}
    sections = {"kinematics_summary": {"left": {"pelvis_obliquity_range_deg": 6.0},
                                       "right": {"pelvis_obliquity_range_deg": float("nan")}},
                "trial_ranges": {"spine": {"left": {"rotation_range_deg": 10.0},
                                           "right": {"rotation_range_deg": 14.0}}}}
    out = with_side_means(sections)
    assert out["kinematics_summary"]["overall"]["pelvis_obliquity_range_deg"] == 6.0
    assert out["trial_ranges"]["spine"]["overall"]["rotation_range_deg"] == pytest.approx(12.0)
    assert "overall" not in sections["kinematics_summary"]  # the input is not changed
    assert with_side_means({"kinematics_summary": {"left": {}, "right": {}}})[
        "kinematics_summary"]["overall"]["pelvis_obliquity_range_deg"] is None
