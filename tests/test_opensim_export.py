"""Exports that open where they must: OpenSim 4.6 reads our TRC and runs its inverse kinematics
on it (Pose2Sim's generic model and BlazePose marker set); three C3D readers agree on our C3D."""

from __future__ import annotations

import importlib
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mocaplab.marker_io import LabelledEvent, read_c3d, write_c3d
from mocaplab.synthetic.gait import parametric_walk

SETUP = ("Model_Pose2Sim_simple.osim", "Markers_BlazePose.xml", "IK_Setup_Pose2Sim_Blazepose.xml")


def _pose2sim_wheel() -> Path:
    """The pose2sim 0.10.49 wheel: $MOCAPLAB_POSE2SIM_WHEEL, the user cache
    ($XDG_CACHE_HOME/mocaplab/wheels), else downloaded there with pip; skip if none."""
    from mocaplab.analysis.augmenter_model import download_wheel
    from mocaplab.errors import InputError

    env = os.environ.get("MOCAPLAB_POSE2SIM_WHEEL")
    if env:
        if not Path(env).is_file():
            pytest.fail(f"MOCAPLAB_POSE2SIM_WHEEL={env} does not exist")
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mocaplab" / \
        "wheels"
    found = sorted(cache.glob("pose2sim-0.10.49-*.whl"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    try:
        return download_wheel(cache)
    except InputError as exc:
        pytest.skip(f"pose2sim wheel not available (set MOCAPLAB_POSE2SIM_WHEEL): {exc}")


def _walk_trial(root: Path, nan_last_marker: bool = True) -> Path:
    """A trial folder (meta.json + points3d.npz) with a synthetic walk's mediapipe33 keypoints
    in the lab's Z-up frame; the last exported marker missing in frame 5."""
    import json

    from mocaplab.pose_data import Points3D

    w = parametric_walk(duration_s=1.0, fps=30.0)
    kp = w.keypoints
    pts = kp.points.copy()
    if nan_last_marker:
        pts[5, list(kp.keypoints).index("right_foot_index")] = np.nan
    trial = root / "S001" / "baseline" / "walk01"
    trial.mkdir(parents=True)
    (trial / "meta.json").write_text(json.dumps({"subject": "S001", "fps": kp.fps}))
    Points3D(pts, kp.keypoints, kp.fps).save(trial / "points3d.npz")
    return trial


def _run_ik(tmp_path: Path, trc: Path):
    """OpenSim 4.6 reads ``trc`` and runs IK with Pose2Sim's generic model and BlazePose
    marker set; returns (the motion table, the per-frame RMS marker error in m)."""
    import opensim as osim  # test dependency (pyproject dev extra)

    with zipfile.ZipFile(_pose2sim_wheel()) as z:
        for name in SETUP:
            (tmp_path / name).write_bytes(z.read(f"Pose2Sim/OpenSim_Setup/{name}"))
    osim.Logger.setLevelString("error")
    table = osim.TimeSeriesTableVec3(str(trc))
    assert table.getNumRows() == 30 and table.getNumColumns() == 25
    assert "RBigToe" in list(table.getColumnLabels())
    model = osim.Model(str(tmp_path / SETUP[0]))
    model.updateMarkerSet(osim.MarkerSet(str(tmp_path / SETUP[1])))
    model.initSystem()
    ik = osim.InverseKinematicsTool(str(tmp_path / SETUP[2]))
    ik.setModel(model)
    ik.setMarkerDataFileName(str(trc))
    times = table.getIndependentColumn()
    ik.setStartTime(times[0])
    ik.setEndTime(times[-1])
    ik.setResultsDir(str(tmp_path))
    ik.setOutputMotionFileName(str(tmp_path / "walk.mot"))
    ik.set_report_errors(True)
    assert ik.run()
    mot = osim.TimeSeriesTable(str(tmp_path / "walk.mot"))
    assert mot.getNumRows() == 30 and "pelvis_tilt" in list(mot.getColumnLabels())
    err = osim.TimeSeriesTable(str(tmp_path / "_ik_marker_errors.sto"))
    return mot, err.getDependentColumn("marker_error_RMS").to_numpy()


def test_cli_export_y_up_opensim_names_runs_opensim_ik(tmp_path, capsys):
    """`mocaplab export --format trc --trc-y-up --opensim-names`: OpenSim 4.6 reads the TRC
    (a missing last marker included) and its IK puts the generic model upright."""
    from mocaplab.cli import main

    trial = _walk_trial(tmp_path / "lab")
    out = tmp_path / "out"
    assert main(["export", str(trial), "--format", "trc", "--trc-y-up", "--opensim-names",
                 "--out", str(out)]) == 0
    trc = out / "S001_baseline_walk01.trc"
    assert capsys.readouterr().out.strip() == str(trc)
    mot, rms = _run_ik(tmp_path, trc)
    assert np.all(rms < 0.08), rms            # generic, unscaled model: a few cm
    # upright: the pelvis is about 1 m above the floor in OpenSim's Y-up frame
    ty = mot.getDependentColumn("pelvis_ty").to_numpy()
    assert np.all((ty > 0.7) & (ty < 1.3)), ty


def test_cli_export_trc_options_refused_clearly(tmp_path, capsys):
    """--opensim-names on points that are not mediapipe33 keypoints, or TRC options without a
    TRC: exit 1 with the reason, nothing written."""
    from mocaplab.cli import main
    from mocaplab.pose_data import Points3D

    trial = _walk_trial(tmp_path / "lab")
    out = tmp_path / "out"
    assert main(["export", str(trial), "--format", "csv", "--trc-y-up", "--out", str(out)]) == 1
    assert "add trc to --format" in capsys.readouterr().err
    p = Points3D.load(trial / "points3d.npz")
    Points3D(p.points[:, :3], ["LASI", "RASI", "SACR"], p.fps).save(trial / "points3d.npz",
                                                                    overwrite=True)
    assert main(["export", str(trial), "--format", "csv,trc", "--opensim-names",
                 "--out", str(out)]) == 1
    assert "mediapipe33" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    # without --opensim-names these markers export, named as they are, in Z-up metres
    assert main(["export", str(trial), "--format", "trc", "--out", str(out)]) == 0
    text = (out / "S001_baseline_walk01.trc").read_text().splitlines()
    assert text[3].split("\t")[2:] == ["LASI", "", "", "RASI", "", "", "SACR", "", ""]


def test_trc_missing_last_marker_is_an_explicit_nan(tmp_path):
    from mocaplab.marker_io import read_trc, write_trc

    pts = np.ones((4, 2, 3))
    pts[1, 1] = np.nan
    path = write_trc(tmp_path / "t.trc", pts, ["A", "B"], 100.0)
    row = path.read_text().splitlines()[6].split("\t")
    assert row[-3:] == ["NaN", "NaN", "NaN"]
    np.testing.assert_array_equal(np.isnan(read_trc(path).points), np.isnan(pts))


def test_three_c3d_readers_agree_on_the_export(tmp_path):
    import ezc3d

    # readers of the dev extra (pip install -e ".[dev]"); a venv made before they were added
    # skips, naming what to install, rather than failing
    c3d = importlib.import_module("c3d")
    ktk = importlib.import_module("kineticstoolkit")

    w = parametric_walk(duration_s=2.0)
    pts = w.markers.copy()
    pts[10:14, 2] = np.nan
    events = [LabelledEvent(s, t, round(x, 2), int(round(round(x, 2) * w.fps)) + 11)
              for s, t, x in w.events]
    path = write_c3d(tmp_path / "w.c3d", pts, w.marker_labels, w.fps, first_frame=11,
                     events=events)
    want_times = sorted(e.time_s for e in events)

    e = ezc3d.c3d(str(path))
    hdr = e["header"]["events"]
    n = len(events)
    np.testing.assert_allclose(sorted(hdr["events_time"][:n]), want_times, atol=1e-6)
    assert e["header"]["points"]["first_frame"] == 10            # ezc3d: 0-based
    mine = read_c3d(path)
    np.testing.assert_allclose(mine.points, pts, atol=1e-6, equal_nan=True)
    assert [(x.side, x.type) for x in mine.events] == [(x.side, x.type) for x in
                                                       sorted(events, key=lambda x: x.time_s)]

    with path.open("rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = c3d.Reader(f)
        assert r.first_frame == 11 and r.point_rate == w.fps
        assert [lb.strip() for lb in r.point_labels] == list(w.marker_labels)
        timings = sorted(t for t, _ in r.header.events)
        np.testing.assert_allclose(timings, want_times, atol=1e-6)
        assert {lb.strip() for _, lb in r.header.events} == {"LFS", "LFO", "RFS", "RFO"}
        frames = [p for _, p, _ in r.read_frames()]
    xyz = np.stack([p[:, :3] for p in frames]) / 1000.0
    resid = np.stack([p[:, 3] for p in frames])
    ok = resid >= 0
    np.testing.assert_allclose(xyz[ok], pts[ok], atol=1e-6)
    assert not ok[10:14, 2].any() and ok[:10].all()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = ktk.read_c3d(str(path))["Points"]
    np.testing.assert_allclose(k.time[0], 0.1, atol=1e-9)     # frame 11 at 100 Hz
    lasi = w.marker_labels.index("LASI")
    np.testing.assert_allclose(k.data["LASI"][:, :3], pts[:, lasi], atol=1e-6)
    assert np.isnan(k.data[w.marker_labels[2]][10:14, :3]).all()
    np.testing.assert_allclose(sorted(ev.time for ev in k.events), want_times, atol=1e-6)


def test_cli_triangulate_exports_opensim_named_y_up_trc(tmp_path, capsys):
    """`mocaplab triangulate --export trc --trc-y-up --opensim-names`: the TRC beside
    points3d.npz has Pose2Sim's BlazePose names in OpenSim's Y-up frame, the same file as
    `mocaplab export` writes from those points; without trc in --export it is refused first."""
    from mocaplab.cli import main
    from mocaplab.keypoint_sets import POSE2SIM_BLAZEPOSE
    from mocaplab.marker_io import read_trc
    from mocaplab.pose_data import Points3D
    from mocaplab.synthetic.lab import write_keypoints_trial
    from mocaplab.triangulation.export import export_points

    trial = tmp_path / "trial"
    write_keypoints_trial(trial, speed_m_s=1.1, duration_s=1.5, start_xy=(-0.8, 0.0), seed=5)
    assert main(["triangulate", str(trial), "--opensim-names"]) == 1
    assert "add trc to --export" in capsys.readouterr().err
    assert not (trial / "points3d.npz").exists()
    assert main(["triangulate", str(trial), "--export", "trc", "--trc-y-up",
                 "--opensim-names"]) == 0
    got = read_trc(trial / "points3d.trc")
    assert set(got.labels) <= set(POSE2SIM_BLAZEPOSE.values()) and "LHeel" in got.labels
    pelvis = got.points[:, [got.labels.index("LHip"), got.labels.index("RHip")]]
    assert 0.6 < np.nanmedian(pelvis[..., 1]) < 1.3          # Y up: hips about 1 m high
    ref = export_points(Points3D.load(trial / "points3d.npz"), tmp_path / "ref.trc",
                        y_up=True, opensim_names=True)
    want = read_trc(ref)
    assert got.labels == want.labels
    np.testing.assert_allclose(got.points, want.points, equal_nan=True)


def test_cli_export_of_a_marker_file_as_c3d_and_y_up_trc(tmp_path, capsys, monkeypatch):
    """`mocaplab export FILE --format c3d,trc --trc-y-up` of a marker file without events (as
    OpenSim's walking2.c3d): refused before ('already a marker file'); now its markers, in its
    own frame numbering, with the detected events in the EVENT group and the header block, read
    alike by ezc3d, the c3d package and kineticstoolkit; the TRC in OpenSim's Y-up frame."""
    import ezc3d

    from mocaplab.cli import main
    from mocaplab.marker_io import read_trc

    c3d = importlib.import_module("c3d")
    ktk = importlib.import_module("kineticstoolkit")
    w = parametric_walk(duration_s=4.0)
    src = write_c3d(tmp_path / "walk.c3d", w.markers, w.marker_labels, w.fps, first_frame=21)
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(src), "--format", "json,c3d,trc", "--trc-y-up"]) == 0
    ex = tmp_path / "walk_mocaplab" / "exports"
    metrics = json.loads((tmp_path / "walk_mocaplab" / "metrics.json").read_text())
    want = sorted(e["time_s"] for e in metrics["events"])
    assert len(want) >= 6 and metrics["first_frame"] == 21

    e = ezc3d.c3d(str(ex / "walk.c3d"))
    assert e["header"]["points"]["first_frame"] == 20             # ezc3d: 0-based
    assert e["parameters"]["POINT"]["LABELS"]["value"][:len(w.marker_labels)] == \
        list(w.marker_labels)
    times = e["parameters"]["EVENT"]["TIMES"]["value"]
    np.testing.assert_allclose(sorted(times[0] * 60 + times[1]), want, atol=1e-5)
    np.testing.assert_allclose(sorted(e["header"]["events"]["events_time"][:len(want)]), want,
                               atol=1e-5)
    got = read_c3d(ex / "walk.c3d")
    np.testing.assert_allclose(got.points[:, :len(w.marker_labels)], w.markers, atol=1e-6)
    with (ex / "walk.c3d").open("rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = c3d.Reader(f)
        assert r.first_frame == 21
        np.testing.assert_allclose(sorted(t for t, _ in r.header.events), want, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = ktk.read_c3d(str(ex / "walk.c3d"))["Points"]
    np.testing.assert_allclose(sorted(ev.time for ev in k.events), want, atol=1e-5)

    trc = read_trc(ex / "walk.trc")
    assert trc.first_frame == 21 and trc.labels == tuple(w.marker_labels)
    z_up = w.markers
    np.testing.assert_allclose(trc.points, np.stack([z_up[..., 0], z_up[..., 2],
                                                     -z_up[..., 1]], -1), atol=1e-6)
