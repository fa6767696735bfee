"""Exports: the C3D read back with ezc3d matches the data (points, rate, events, angles); TRC,
tidy CSV and JSON (pseudonymised) round trips."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from mocaplab.pose_data import Points3D
from mocaplab.reporting import labdata
from mocaplab.reporting.exports import (
    ExportIdentity,
    export_trial,
    identity_of,
    tidy_rows,
    write_export,
)
from mocaplab.synthetic.lab import WalkerParams, make_trial


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    return make_trial(root / "S001" / "baseline" / "walk01", WalkerParams(duration_s=3.0),
                      meta_extra={"name": "Jane Doe", "birth_date": "1980-01-01"})


def test_c3d_read_back_with_ezc3d_matches(trial, tmp_path):
    import ezc3d

    out = write_export(trial, tmp_path / "t.c3d", "c3d", identity_of(trial))
    c = ezc3d.c3d(str(out))
    p = Points3D.load(trial / "points3d.npz")
    m = labdata.load_metrics(trial)
    params = c["parameters"]
    labels = list(params["POINT"]["LABELS"]["value"])
    assert labels[:33] == list(p.keypoints)
    assert float(params["POINT"]["RATE"]["value"][0]) == 100.0
    assert params["POINT"]["UNITS"]["value"][0] == "mm"
    data = c["data"]["points"]  # (4, N, F)
    assert data.shape[2] == p.points.shape[0]
    xyz = np.transpose(data[:3, :33], (2, 1, 0))
    ok = np.isfinite(p.points).all(-1)
    assert (~ok).sum() > 10  # the synthetic trial has dropouts
    np.testing.assert_allclose(xyz[ok] / 1000.0, p.points[ok], atol=1e-6)
    # angles as Plug-in Gait outputs listed in POINT:ANGLES, in degrees
    angles = list(params["POINT"]["ANGLES"]["value"])
    assert {"LPelvisAngles", "RPelvisAngles", "LSpineAngles", "RThoraxAngles"} <= set(angles)
    i = labels.index("RThoraxAngles")  # markerless: thorax has all three angles
    pel = np.stack([labdata.angle_array(m["angles"]["thorax"]["right"][k])
                    for k in ("flexion", "lateral_flexion", "rotation")], 1)  # C3D X, Y, Z
    fin = np.isfinite(pel).all(1)  # a C3D sample is present or missing as a whole
    assert fin.sum() > 250
    np.testing.assert_allclose(data[:3, i].T[fin], pel[fin], atol=1e-3)
    # events: EVENT:TIMES in seconds on the C3D time base, contexts Left/Right
    ev = params["EVENT"]
    times = np.asarray(ev["TIMES"]["value"]).reshape(2, -1)[1]
    want = labdata.events(m)
    assert len(times) == len(want)
    got_ev = sorted(zip(ev["CONTEXTS"]["value"], ev["LABELS"]["value"], np.round(times, 4),
                        strict=True))
    exp_ev = sorted((e["side"].capitalize(), e["type"].replace("_", " ").title(),
                     round(e["time_s"], 4)) for e in want)
    assert got_ev == exp_ev


def test_c3d_missing_samples_read_back_as_missing(trial, tmp_path):
    import ezc3d

    out = write_export(trial, tmp_path / "t.c3d", "c3d", identity_of(trial))
    data = ezc3d.c3d(str(out))["data"]["points"]
    p = Points3D.load(trial / "points3d.npz")
    missing = ~np.isfinite(np.transpose(data[:3, :33], (2, 1, 0))).all(-1)
    assert np.array_equal(missing, ~np.isfinite(p.points).all(-1))


def test_trc_round_trip(trial, tmp_path):
    from mocaplab.marker_io import read_trc

    out = write_export(trial, tmp_path / "t.trc", "trc", identity_of(trial))
    back = read_trc(out)
    p = Points3D.load(trial / "points3d.npz")
    assert back.labels == p.keypoints and back.fps == 100.0
    ok = np.isfinite(p.points)
    np.testing.assert_allclose(back.points[ok], p.points[ok], atol=1e-5)


def test_tidy_csv_is_long_format(trial, tmp_path):
    ident = ExportIdentity("S001", "baseline", "walk01")
    out = write_export(trial, tmp_path / "t.csv", "csv", ident)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert set(rows[0]) == {"subject", "session", "trial", "section", "name", "side", "value",
                            "unit", "frame", "time_s"}
    stride = [r for r in rows if r["name"] == "stride_length_m" and r["side"] == "left"]
    assert len(stride) == 1 and float(stride[0]["value"]) == pytest.approx(1.3, abs=0.02) \
        and stride[0]["unit"] == "m"
    strikes = [r for r in rows if r["section"] == "event" and r["name"] == "foot_strike"]
    assert strikes and all(float(r["time_s"]) == pytest.approx((int(r["frame"]) - 1) / 100)
                           for r in strikes)
    angles = tidy_rows(trial, ident, "angles")
    # frames x sides x components: pelvis, spine, thorax (3 each), hip, knee, ankle (3 each),
    # foot progression (1)
    assert len(angles) == 300 * 2 * (3 * 3 + 3 * 3 + 1)
    assert {r["segment"] for r in angles} >= {"hip", "knee", "ankle", "foot_progression"}
    pts = tidy_rows(trial, ident, "points")
    assert len(pts) == 300 * 33 and pts[0]["keypoint"] == "nose"


def test_json_export_pseudonymised_drops_identifying_fields(trial, tmp_path):
    ident = identity_of(trial, key=b"k", pseudonymise=True)
    out = write_export(trial, tmp_path / "t.json", "json", ident)
    text = out.read_text()
    doc = json.loads(text)
    assert doc["pseudonymised"] and doc["subject"].startswith("P-")
    assert "Jane" not in text and "1980-01-01" not in text and "S001" not in text
    assert doc["metrics"]["fps"] == 100.0
    assert identity_of(trial, key=b"k", pseudonymise=True).subject == doc["subject"]


def test_pseudonymised_export_drops_the_operators_annotations(tmp_path):
    """Notes set through PATCH .../annotations (meta.json "annotations": free text such as
    "Mrs Doe walks with a cane", and the operator's name) were copied into pseudonymised JSON
    exports; the top-level "notes" key was dropped, the API's were not."""
    t = make_trial(tmp_path / "S001" / "baseline" / "walk01", WalkerParams(duration_s=2.0))
    from mocaplab.trial import Trial

    Trial(t).update_meta(annotations={"notes": "Mrs Doe walks with a cane", "tags": ["cane"],
                                      "by": "dr-smith"})
    out = write_export(t, tmp_path / "p.json", "json", identity_of(t, key=b"k",
                                                                 pseudonymise=True))
    text = out.read_text()
    assert "Doe" not in text and "dr-smith" not in text and "annotations" not in text
    kept = json.loads(write_export(t, tmp_path / "k.json", "json", identity_of(t)).read_text())
    assert kept["meta"]["annotations"]["notes"] == "Mrs Doe walks with a cane"  # not pseudonymised


def test_export_trial_pipeline_names(trial, tmp_path):
    files = export_trial(trial, tmp_path / "exports")
    assert {p.name for p in files.values()} == {"points3d.trc", "points3d.c3d", "metrics.csv"}
    assert all(p.stat().st_size > 1000 for p in files.values())


def test_c3d_angle_components_written_each_on_its_own(tmp_path):
    """A null component (pelvic tilt from hip centres alone) no longer blanks the sample: the
    obliquity and rotation of those frames are in the C3D, read back by ezc3d and by our
    reader; lower-limb angles go to their Vicon outputs and axes (foot progression: Z)."""
    import ezc3d

    from mocaplab.marker_io import read_c3d, write_c3d
    from mocaplab.reporting.exports import c3d_angles

    n = 40
    rng = np.random.default_rng(5)
    obl, rot, knee, prog = (rng.normal(0, 5, n) for _ in range(4))
    metrics = {"angles": {
        "pelvis": {"left": {"tilt": [None] * n, "obliquity": obl.tolist(),
                            "rotation": rot.tolist()}},
        "knee": {"right": {"flexion": knee.tolist(), "adduction": [None] * n,
                           "rotation": [None] * n}},
        "foot_progression": {"left": {"angle": prog.tolist()}}}}
    angles = c3d_angles(metrics, n)
    assert set(angles) == {"LPelvisAngles", "RKneeAngles", "LFootProgressAngles"}
    pts = rng.normal(0, 1, (n, 2, 3))
    out = write_c3d(tmp_path / "a.c3d", pts, ["A", "B"], 100.0, angles=angles)
    c = ezc3d.c3d(str(out))
    labels = list(c["parameters"]["POINT"]["LABELS"]["value"])
    data = c["data"]["points"]
    pel = data[:3, labels.index("LPelvisAngles")].T
    assert np.isnan(pel[:, 0]).all()
    np.testing.assert_allclose(pel[:, 1], obl, atol=1e-4)
    np.testing.assert_allclose(pel[:, 2], rot, atol=1e-4)
    assert (c["data"]["meta_points"]["residuals"][0, labels.index("LPelvisAngles")] >= 0).all()
    np.testing.assert_allclose(data[0, labels.index("RKneeAngles")], knee, atol=1e-4)
    np.testing.assert_allclose(data[2, labels.index("LFootProgressAngles")], prog, atol=1e-4)
    back = read_c3d(out)
    np.testing.assert_allclose(back.model_outputs["LPelvisAngles"][:, 1], obl, atol=1e-4)
    assert np.isnan(back.model_outputs["LPelvisAngles"][:, 0]).all()


def test_identity_takes_the_subject_id_of_meta_json(tmp_path):
    """meta.json["subject"] is an object with an id (CONVENTIONS.md): exports name the id, not
    the object's text."""
    t = tmp_path / "lab" / "S9" / "visit1" / "walk"
    t.mkdir(parents=True)
    (t / "meta.json").write_text(json.dumps({"subject": {"id": "ANTO", "height_m": 1.79}}))
    assert identity_of(t).subject == "ANTO"
    (t / "meta.json").write_text(json.dumps({"subject": "S12"}))
    assert identity_of(t).subject == "S12"
