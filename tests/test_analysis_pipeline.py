"""analyze_file / metrics.json contract (CONVENTIONS.md), bad input, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mocaplab.analysis.pipeline import analyze_file
from mocaplab.cli import main
from mocaplab.marker_io import write_c3d
from mocaplab.synthetic.gait import parametric_walk
from mocaplab.trial import Trial


def _check_contract(m: dict, n_frames: int) -> None:
    for key in ("fps", "first_frame", "events", "angles", "spatiotemporal", "leg_length",
                "provenance"):
        assert key in m
    for ev in m["events"]:
        assert ev["side"] in ("left", "right") and ev["type"] in ("foot_strike", "foot_off")
        assert ev["time_s"] == pytest.approx((ev["frame"] - 1) / m["fps"])
    for seg, keys in (("pelvis", ("tilt", "obliquity", "rotation")),
                      ("spine", ("flexion", "lateral_flexion", "rotation")),
                      ("thorax", ("flexion", "lateral_flexion", "rotation"))):
        for side in ("left", "right"):
            for k in keys:
                assert len(m["angles"][seg][side][k]) == n_frames
    assert set(m["spatiotemporal"]) >= {"left", "right", "symmetry"}


def test_metrics_json_written_atomically_with_contract(tmp_path):
    w = parametric_walk(duration_s=4.0)
    path = tmp_path / "w.c3d"
    write_c3d(path, w.markers, w.marker_labels, w.fps, first_frame=10)
    out = tmp_path / "metrics.json"
    m = analyze_file(path, out)
    text = out.read_text()
    assert "NaN" not in text
    loaded = json.loads(text)
    _check_contract(loaded, w.markers.shape[0])
    assert loaded["first_frame"] == 10
    # the true first left foot strike at t = 0.2 s after frame 10 -> frame 30
    first = next(e for e in loaded["events"] if e["side"] == "left"
                 and e["type"] == "foot_strike")
    assert abs(first["frame"] - 30) <= 1
    # the walker carries joint centres, not the lateral knee/ankle markers of Plug-in Gait
    assert [w for w in m["warnings"] if not w.startswith("hip, knee, ankle and foot")] == []
    assert all(v is None for v in loaded["angles"]["knee"]["left"]["flexion"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_trial_folder_markerless_without_augmenter(tmp_path, monkeypatch):
    """No augmenter model anywhere: the warning names every place searched, tilt and the joint
    angles are null, the rest of the analysis is done."""
    monkeypatch.delenv("MOCAPLAB_AUGMENTER_MODEL", raising=False)
    monkeypatch.setenv("MOCAPLAB_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    w = parametric_walk(duration_s=4.0)
    trial = Trial.create(tmp_path / "t1", subject="s", fps=w.fps)
    w.keypoints.save(trial.points3d_path)
    m = analyze_file(trial.path)
    assert trial.metrics_path.is_file()
    loaded = json.loads(trial.metrics_path.read_text())
    _check_contract(loaded, w.markers.shape[0])
    assert loaded["first_frame"] == 1
    assert all(v is None for v in loaded["angles"]["pelvis"]["left"]["tilt"])
    assert all(v is None for v in loaded["angles"]["hip"]["right"]["flexion"])
    assert any("tilt is NaN" in s for s in m["warnings"])
    missing = next(s for s in m["warnings"] if "marker augmenter (v0.3) not found" in s)
    for place in ("explicit folder", "MOCAPLAB_AUGMENTER_MODEL", "user cache", "package index"):
        assert place in missing
    assert m["provenance"]["landmark_kind"] == "markerless"
    assert m["provenance"]["estimated"] == {}
    assert "not available" in m["provenance"]["kinematics"]["quality"]
    assert m["spatiotemporal"]["overall"]["n_strides"] > 0      # the rest is still analysed


def _shared_augmenter() -> Path:
    import os

    data = os.environ.get("MOCAPLAB_SHARED_DATA")
    folder = Path(data).parent / "models" / "marker_augmenter" if data else None
    if folder is None or not folder.is_dir():
        pytest.skip("the shared marker augmenter model is not available")
    return folder


def test_trial_folder_markerless_with_augmenter(tmp_path, monkeypatch):
    """With the augmenter (given by --augmenter): pelvic tilt, spine flexion and the joint angles
    exist and every one is named in provenance.estimated."""
    folder = _shared_augmenter()
    monkeypatch.delenv("MOCAPLAB_AUGMENTER_MODEL", raising=False)
    w = parametric_walk(duration_s=4.0)
    trial = Trial.create(tmp_path / "t1", subject="s", fps=w.fps)
    w.keypoints.save(trial.points3d_path)
    m = analyze_file(trial.path, augmenter=folder)
    tilt = np.array(m["angles"]["pelvis"]["left"]["tilt"], dtype=float)
    assert np.isfinite(tilt).mean() > 0.9
    assert np.isfinite(np.array(m["angles"]["spine"]["left"]["flexion"], float)).mean() > 0.9
    est = m["provenance"]["estimated"]
    for joint, keys in (("pelvis", ("tilt", "obliquity", "rotation")),
                        ("spine", ("flexion", "lateral_flexion", "rotation")),
                        ("hip", ("flexion", "adduction", "rotation")),
                        ("knee", ("flexion", "adduction", "rotation")),
                        ("ankle", ("dorsiflexion", "inversion", "rotation")),
                        ("foot_progression", ("angle",))):
        for side in ("left", "right"):
            for k in keys:
                path = f"angles.{joint}.{side}.{k}"
                if (joint, k) == ("ankle", "inversion"):   # none of its own from video: null
                    assert path not in est and all(
                        v is None for v in m["angles"][joint][side][k])
                    continue
                assert path in est
                assert np.isfinite(np.array(m["angles"][joint][side][k], float)).any(), path
    assert "learned prior" in m["provenance"]["kinematics"]["quality"]
    assert "not reliable" in est["angles.hip.left.rotation"]
    assert "not reliable" not in est["angles.hip.left.flexion"]
    assert any("height not given" in s for s in m["warnings"])    # estimated, said
    used = m["provenance"]["kinematics"]["measurements"]
    assert used["sources"]["height_m"] == "estimated from the skeleton"
    assert 1.2 < used["height_m"] < 2.2
    # with the subject's height in meta.json it is used, and said so
    trial.update_meta(subject={"id": "s", "height_m": 1.81, "mass_kg": 77.0})
    m = analyze_file(trial.path, augmenter=folder)
    used = m["provenance"]["kinematics"]["measurements"]
    assert (used["height_m"], used["mass_kg"]) == (1.81, 77.0)
    assert used["sources"] == {"height_m": "meta.json subject", "mass_kg": "meta.json subject"}
    assert not any("height not given" in s for s in m["warnings"])



def test_markerless_tilt_offset_moves_tilt_and_hip_flexion(tmp_path, monkeypatch):
    """The estimated pelvis's tilt correction: analyze's default is the population constant,
    and another offset (leave-one-subject-out evaluation) moves pelvic tilt and hip flexion by
    the difference, obliquity not."""
    from mocaplab.analysis.augmenter import AUGMENTED_TILT_OFFSET_DEG

    folder = _shared_augmenter()
    monkeypatch.delenv("MOCAPLAB_AUGMENTER_MODEL", raising=False)
    w = parametric_walk(duration_s=4.0)
    trial = Trial.create(tmp_path / "t1", subject="s", fps=w.fps)
    w.keypoints.save(trial.points3d_path)
    runs = {off: analyze_file(trial.path, augmenter=folder, tilt_offset_deg=off)
            for off in (None, 0.0, 5.0)}

    def angle(m, joint, key):
        return np.array(m["angles"][joint]["left"][key], dtype=float)

    for joint, key in (("pelvis", "tilt"), ("hip", "flexion")):
        base = angle(runs[0.0], joint, key)
        assert np.nanmedian(angle(runs[5.0], joint, key) - base) == pytest.approx(5.0, abs=0.3)
        assert np.nanmedian(angle(runs[None], joint, key) - base) == pytest.approx(
            AUGMENTED_TILT_OFFSET_DEG, abs=0.5)
    d = angle(runs[5.0], "pelvis", "obliquity") - angle(runs[0.0], "pelvis", "obliquity")
    assert np.nanmax(np.abs(d)) < 0.5

def test_c3d_without_heel_markers_gives_message_and_valid_results(tmp_path, capsys):
    w = parametric_walk(duration_s=4.0)
    keep = [i for i, n in enumerate(w.marker_labels) if n not in ("LHEE", "RHEE")]
    path = tmp_path / "noheel.c3d"
    write_c3d(path, w.markers[:, keep], [w.marker_labels[i] for i in keep], w.fps)
    out = tmp_path / "m.json"
    assert main(["analyze", str(path), "--out", str(out)]) == 0  # the ankle gives cycles
    err = capsys.readouterr().err
    assert "no LHEE marker: left foot strikes are timed from LANK" in err
    m = json.loads(out.read_text())
    strikes = [e for e in m["events"] if e["type"] == "foot_strike"]
    truth = [t for _, typ, t in w.events if typ == "foot_strike"]
    assert len(strikes) == len(truth)                    # the ankle stands in for the heel
    assert max(min(abs(e["time_subframe_s"] - t) for t in truth) for e in strikes) < 0.03
    tilt = np.array(m["angles"]["pelvis"]["left"]["tilt"], dtype=float)
    assert np.isfinite(tilt).all()                        # angles still given
    assert m["leg_length"]["left"]["thigh_length_m"] == pytest.approx(0.42, abs=1e-3)


def test_single_step_trial_gives_message_and_events(tmp_path):
    w = parametric_walk(duration_s=0.9)
    path = tmp_path / "short.c3d"
    write_c3d(path, w.markers, w.marker_labels, w.fps)
    m = analyze_file(path, tmp_path / "m.json")
    assert any("no complete" in s and "gait cycle" in s for s in m["warnings"])
    assert m["spatiotemporal"]["overall"]["n_strides"] == 0
    assert json.loads((tmp_path / "m.json").read_text())["spatiotemporal"]["left"][
        "stride_time_s"] is None


def test_cli_needs_out_for_file_inputs(tmp_path, capsys):
    w = parametric_walk(duration_s=2.0)
    path = tmp_path / "w.c3d"
    write_c3d(path, w.markers, w.marker_labels, w.fps)
    assert main(["analyze", str(path)]) == 1
    assert "--out" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "missing.c3d"), "--out", "x.json"]) == 1


def test_cli_refuses_a_snap_angle_out_of_range(tmp_path, capsys):
    """`analyze --snap-deg -5` (or 90, nan) was accepted silently: now refused, nothing
    written; 0 and 45 are the ends of the range."""
    w = parametric_walk(duration_s=2.0)
    path = tmp_path / "w.c3d"
    write_c3d(path, w.markers, w.marker_labels, w.fps)
    for bad in ("-5", "90", "nan"):
        assert main(["analyze", str(path), "--out", str(tmp_path / "m.json"),
                     "--snap-deg", bad]) == 1
        assert "--snap-deg" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()
    for ok in ("0", "45"):
        assert main(["analyze", str(path), "--out", str(tmp_path / f"m{ok}.json"),
                     "--snap-deg", ok]) in (0, 3)


def test_walk_c3d_metrics(shared_data, tmp_path):
    out = tmp_path / "walk.json"
    m = analyze_file(shared_data / "kineticstoolkit_walk" / "walk.c3d", out)
    _check_contract(json.loads(out.read_text()), 221)
    assert m["first_frame"] == 153 and m["fps"] == 100.0
    ref = {(e["side"], e["type"], e["frame"]) for e in m["provenance"]["reference_events"]}
    assert len(ref) == 8
    for side, typ, frame in ref:
        assert min(abs(e["frame"] - frame) for e in m["events"]
                   if e["side"] == side and e["type"] == typ) <= 2


def test_bts_c3d_other_labels_and_y_up(shared_data):
    m = analyze_file(shared_data / "kineticstoolkit_walk" / "c3d_sample_BTS.c3d")
    assert m["provenance"]["up_axis"] == "y"
    assert m["provenance"]["landmarks"]["LASI"] == "l asis"
    assert m["provenance"]["models"]["pelvis"] == "plugin_gait_pelvis"
    assert m["provenance"]["models"]["thorax"] == "shoulders_hips"
    assert m["events"]
    tilt = np.array(m["angles"]["pelvis"]["left"]["tilt"], dtype=float)
    assert 0 < np.nanmedian(tilt) < 30


def test_unknown_labels_are_a_clear_input_error(tmp_path, capsys):
    path = tmp_path / "x.c3d"
    write_c3d(path, np.random.default_rng(0).random((20, 2, 3)), ["foo", "bar"], 100.0)
    assert main(["analyze", str(path), "--out", str(tmp_path / "m.json")]) == 1
    err = capsys.readouterr().err
    assert "known landmark" in err and str(path) in err  # names the file
    assert not (tmp_path / "m.json").exists()
    empty = tmp_path / "empty.c3d"
    write_c3d(empty, np.full((20, 2, 3), np.nan), ["LASI", "RASI"], 100.0)
    assert main(["analyze", str(empty), "--out", str(tmp_path / "m.json")]) == 1
    err = capsys.readouterr().err
    assert "every sample is missing" in err and str(empty) in err
    assert main(["analyze", str(_static_c3d(tmp_path / "static.c3d")), "--out",
                 str(tmp_path / "m.json"), "--static", str(path)]) == 1
    err = capsys.readouterr().err
    assert "known landmark" in err and f"static trial {path}" in err


def test_trc_input(tmp_path):
    from mocaplab.marker_io import write_trc

    w = parametric_walk(duration_s=4.0, heading_deg=90.0)
    path = tmp_path / "w.trc"
    write_trc(path, w.markers, w.marker_labels, w.fps, first_frame=5, units="mm")
    m = analyze_file(path)
    assert m["first_frame"] == 5
    assert m["provenance"]["progression"]["passes"][0]["forward"] == [0.0, 1.0, 0.0]
    assert m["spatiotemporal"]["overall"]["stride_length_m"] == pytest.approx(1.309, abs=0.01)


def test_cli_summary_with_steps_but_no_stride(tmp_path, capsys):
    w = parametric_walk(duration_s=1.2)
    path = tmp_path / "short.c3d"
    write_c3d(path, w.markers, w.marker_labels, w.fps)
    assert main(["analyze", str(path), "--out", str(tmp_path / "m.json")]) == 3
    out = capsys.readouterr()
    assert "steps/min" in out.out and "n/a" in out.out
    assert "no complete" in out.err
    assert "but incomplete: no gait cycle found" in out.out.splitlines()[-1]


def _static_c3d(path: Path) -> Path:
    """A standing Plug-in Gait trial (one frame of a walk, held) usable as --static."""
    from mocaplab.synthetic.pig_walk import prescribed_walk

    w = prescribed_walk({})
    write_c3d(path, np.repeat(w.markers[10:11], 30, axis=0), w.labels, w.fps)
    return path


def test_static_on_video_keypoints_is_refused(tmp_path, capsys, monkeypatch):
    """`analyze --static` applies to marker files: on a trial folder, a points3d.npz or a TRC
    of video keypoints it is refused (exit 1, naming the input, nothing written) as `export`
    refuses it with a trial folder, instead of being silently ignored; a missing static trial
    is refused before anything is read."""
    from mocaplab.marker_io import write_trc

    monkeypatch.setenv("MOCAPLAB_OFFLINE", "1")
    static = _static_c3d(tmp_path / "static.c3d")
    w = parametric_walk(duration_s=3.0)
    trial = Trial.create(tmp_path / "t1", subject="s", fps=w.fps)
    w.keypoints.save(trial.points3d_path)
    assert main(["analyze", str(trial.path), "--static", str(static)]) == 1
    err = capsys.readouterr().err
    assert "--static" in err and str(trial.path) in err and "marker file" in err
    assert "Traceback" not in err and not trial.metrics_path.exists()

    out = tmp_path / "m.json"
    assert main(["analyze", str(trial.points3d_path), "--static", str(static), "--flat-foot",
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "points3d.npz" in err and "marker file" in err and not out.exists()

    kp = write_trc(tmp_path / "keypoints.trc", w.keypoints.points, list(w.keypoints.keypoints),
                   w.fps, units="m")
    assert main(["analyze", str(kp), "--static", str(static), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(kp) in err and "video keypoints" in err and not out.exists()

    c3d = tmp_path / "walk.c3d"
    write_c3d(c3d, w.markers, w.marker_labels, w.fps)
    assert main(["analyze", str(c3d), "--static", str(tmp_path / "none.c3d"),
                 "--out", str(out)]) == 1
    assert "none.c3d does not exist" in capsys.readouterr().err and not out.exists()


def test_analyze_never_replaces_a_result_unasked(tmp_path, capsys, monkeypatch):
    """An existing metrics.json (trial folder or --out) is kept unless --force, as every other
    verb does; --out naming the input itself is refused even with --force."""
    monkeypatch.setenv("MOCAPLAB_OFFLINE", "1")
    w = parametric_walk(duration_s=3.0)
    c3d = tmp_path / "walk.c3d"
    write_c3d(c3d, w.markers, w.marker_labels, w.fps)
    before = c3d.read_bytes()
    out = tmp_path / "m.json"
    out.write_text("{\"kept\": true}\n")
    assert main(["analyze", str(c3d), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(out) in err and "--force" in err and "Traceback" not in err
    assert json.loads(out.read_text()) == {"kept": True}
    assert main(["analyze", str(c3d), "--out", str(out), "--force"]) == 0
    assert "events" in json.loads(out.read_text())
    assert main(["analyze", str(c3d), "--out", str(c3d), "--force"]) == 1
    assert "is the input" in capsys.readouterr().err and c3d.read_bytes() == before

    trial = Trial.create(tmp_path / "t1", subject="s", fps=w.fps)
    w.keypoints.save(trial.points3d_path)
    trial.metrics_path.write_text("{\"kept\": true}\n")
    assert main(["analyze", str(trial.path)]) == 1
    assert "--force" in capsys.readouterr().err
    assert json.loads(trial.metrics_path.read_text()) == {"kept": True}

    changes = tmp_path / "changes.json"
    changes.write_text("{\"kept\": true}\n")
    assert main(["analyze", "--compare", str(out), str(out), "--out", str(changes)]) == 1
    assert "--force" in capsys.readouterr().err
    assert json.loads(changes.read_text()) == {"kept": True}


def test_summary_line_puts_no_unit_after_a_missing_value():
    """The CLI's summary said "speed n/a m/s, stride length n/a m" for a file whose strides
    have no length (BTK's 561xxa01_anonym.C3D): a missing value is "n/a" alone."""
    from mocaplab.analysis.pipeline import summary_lines

    side = {"n_strides": 1}
    o = {"n_strides": 2, "n_steps": 3, "cadence_steps_per_min": 107.3, "speed_m_s": None,
         "stride_length_m": float("nan"), "step_width_m": 0.1234}
    lines = summary_lines({"events": [1, 2], "spatiotemporal": {
        "overall": o, "left": side, "right": side}})
    assert lines[1] == ("cadence 107.3 steps/min, speed n/a, stride length n/a, "
                        "step width 0.123 m")


def test_missing_stride_length_says_which_marker(tmp_path, capsys):
    """A C3D without a left heel marker (BTK's 561xxa01_anonym.C3D has none on either side)
    found strides but gave stride length and speed null with no word why; then (session 13)
    they were still null, with a warning: now the left footprints come from the left ankle
    marker and a warning says so, for that side only (changed on purpose)."""
    w = parametric_walk(duration_s=4.0)
    keep = [i for i, n in enumerate(w.marker_labels) if n != "LHEE"]
    path = tmp_path / "noleftheel.c3d"
    write_c3d(path, w.markers[:, keep], [w.marker_labels[i] for i in keep], w.fps)
    m = analyze_file(path)
    st = m["spatiotemporal"]
    assert st["left"]["n_strides"] >= 1
    assert st["left"]["stride_length_m"] == pytest.approx(st["right"]["stride_length_m"],
                                                          abs=0.01)
    said = [x for x in m["warnings"] if "stride length" in x]
    assert len(said) == 1 and said[0].startswith("no LHEE (heel) marker: left stride length "
                                                 "and speed are measured between LANK")


def test_btk_file_without_heels_gives_stride_length_from_the_ankles(shared_data):
    m = analyze_file(shared_data / "gait_marker_corpus" / "btkdata" / "561xxa01_anonym.C3D")
    st = m["spatiotemporal"]["overall"]
    assert st["n_strides"] == 2
    assert 0.8 < st["stride_length_m"] < 1.3 and st["step_width_m"] is None
    for side, role in (("left", "LHEE"), ("right", "RHEE")):
        assert any(x.startswith(f"no {role} (heel) marker: {side} stride length and speed")
                   and f"{role[0]}ANK footprints" in x for x in m["warnings"]), m["warnings"]


def test_static_trial_that_gives_no_foot_offsets_is_refused(tmp_path, capsys):
    """`--static` with a trial whose markers cannot give the static foot offsets (BTK's Gait.trc:
    Helen Hayes labels, no SACR nor PSIS for Plug-in Gait's pelvis) was accepted, exit 0: the
    offsets came out null and the ankle angles went on without them, with no word. Now exit 1,
    naming the static trial and what it lacks; nothing written."""
    from mocaplab.synthetic.pig_walk import prescribed_walk

    w = prescribed_walk({})
    keep = [i for i, lb in enumerate(w.labels) if lb not in ("SACR", "LPSI", "RPSI")]
    static = tmp_path / "static.c3d"
    write_c3d(static, np.repeat(w.markers[10:11, keep], 30, axis=0),
              [w.labels[i] for i in keep], w.fps)
    walk = write_c3d(tmp_path / "walk.c3d", w.markers, w.labels, w.fps)
    out = tmp_path / "m.json"
    assert main(["analyze", str(walk), "--out", str(out), "--static", str(static)]) == 1
    err = capsys.readouterr().err
    assert f"static trial {static}" in err and "could not be computed" in err
    assert "missing: SACR (or LPSI+RPSI)" in err and not out.exists()
    # a usable static trial still gives them
    assert main(["analyze", str(walk), "--out", str(out), "--static",
                 str(_static_c3d(tmp_path / "ok.c3d"))]) in (0, 3)


def test_stand_in_marker_named_once_when_its_label_is_the_role(tmp_path):
    """c3d.org sample04 (no heel markers) was told 'left foot strikes are timed from LANK
    (LANK)': the label is shown only when it differs from the role."""
    from mocaplab.synthetic.pig_walk import prescribed_walk

    w = prescribed_walk({})
    keep = [i for i, lb in enumerate(w.labels) if lb not in ("LHEE", "RHEE")]
    path = write_c3d(tmp_path / "noheel.c3d", w.markers[:, keep],
                     [w.labels[i] for i in keep], w.fps)
    said = [x for x in analyze_file(path)["warnings"] if "timed from" in x]
    assert any("left foot strikes are timed from LANK, expect" in x for x in said), said
    assert not any("(LANK)" in x for x in said)
