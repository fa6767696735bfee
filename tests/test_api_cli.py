"""The CLI verbs of the API stage: mocaplab index / export / serve --new-token."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from mocaplab.api.auth import TokenStore
from mocaplab.cli import main
from mocaplab.synthetic.lab import make_lab


def test_index_export_and_refusal_to_overwrite(tmp_path, capsys, monkeypatch):
    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), trials_per_session=1, duration_s=3.0)
    assert main(["index", str(lab)]) == 0
    assert "indexed 2 trials" in capsys.readouterr().out
    assert (lab / ".mocaplab" / "index.db").is_file()

    trial = lab / "S001" / "baseline" / "walk01"
    out = tmp_path / "out"
    args = ["export", str(trial), "--format", "csv,json,fhir,c3d", "--out", str(out)]
    assert main(args) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["S001_baseline_walk01.c3d", "S001_baseline_walk01.csv",
                     "S001_baseline_walk01.fhir.json", "S001_baseline_walk01.json"]
    assert main(args) == 1  # exists: refused without --force
    assert "--force" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0

    monkeypatch.delenv("MOCAPLAB_PSEUDONYM_KEY", raising=False)
    assert main(args + ["--pseudonymise"]) == 1
    assert "MOCAPLAB_PSEUDONYM_KEY" in capsys.readouterr().err
    monkeypatch.setenv("MOCAPLAB_PSEUDONYM_KEY", "k")
    assert main(["export", str(trial), "--format", "json", "--out", str(out),
                 "--pseudonymise"]) == 0
    pseudo = [p for p in out.iterdir() if p.name.startswith("P-")]
    assert len(pseudo) == 1 and "S001" not in pseudo[0].read_text()
    assert json.loads(pseudo[0].read_text())["pseudonymised"] is True

    assert main(["export", str(lab / "S001"), "--before", "baseline", "--after", "followup",
                 "--no-key-frames"]) == 0
    assert (lab / "S001" / "reports" / "progress.pdf").is_file()
    assert main(["export", str(lab / "S001"), "--before", "baseline", "--after", "folowup",
                 "--no-key-frames"]) == 1  # a mistyped session: said first, not "--force"
    err = capsys.readouterr().err
    assert "no session S001/folowup" in err and "--force" not in err
    # a session compared with itself made a report of "no change"
    assert main(["export", str(lab / "S001"), "--before", "baseline", "--after", "baseline",
                 "--no-key-frames", "--force"]) == 1
    assert "the same session (baseline)" in capsys.readouterr().err
    assert main(["export", str(trial), "--format", "docx"]) == 1


def test_export_of_a_report_refuses_to_replace_its_html_too(tmp_path, capsys):
    """`export TRIAL --format pdf --out DIR` writes report.pdf and report.html but checked only
    report.pdf: another trial's DIR/report.html was replaced unasked. Now refused (naming it,
    nothing written); one existing file is said in the singular."""
    trial = make_lab(tmp_path / "lab", subjects=("S001",), sessions=(("baseline", 0.5),),
                     trials_per_session=1, duration_s=3.0)[0]
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("another trial's report")
    assert main(["export", str(trial), "--format", "pdf", "--out", str(out),
                 "--no-key-frames"]) == 1
    err = capsys.readouterr().err
    assert f"{out / 'report.html'} exists; pass --force to replace it" in err
    assert (out / "report.html").read_text() == "another trial's report"
    assert not (out / "report.pdf").exists()


def test_index_of_a_subject_or_trial_folder_is_refused(tmp_path, capsys):
    """`mocaplab index LAB/S001` (or a session or trial folder) said "indexed 0 trials", exit 0,
    and left an empty index.db in that folder; a file was "lab folder ... does not exist".
    Now each is refused naming the lab folder to give, nothing written; an empty lab is
    indexed with a word that it holds no trial."""
    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), sessions=(("baseline", 0.5),), trials_per_session=1,
             duration_s=3.0)
    for folder, says in ((lab / "S001", "subject folder"),
                         (lab / "S001" / "baseline", "session folder"),
                         (lab / "S001" / "baseline" / "walk01", "is a trial folder")):
        assert main(["index", str(folder)]) == 1
        err = capsys.readouterr().err
        assert says in err and f"e.g. {lab}" in err
        assert not (folder / ".mocaplab" / "index.db").exists()
    (tmp_path / "walk.c3d").write_bytes(b"x")
    assert main(["index", str(tmp_path / "walk.c3d")]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["index", str(tmp_path / "empty")]) == 0
    assert "no trial folders found" in capsys.readouterr().err


def test_index_names_trial_folders_it_leaves_out(tmp_path, capsys):
    """Trial folders below the lab but not at <subject>/<session>/<trial>/ (one level too few or
    too many) or named by an invalid id were skipped without a word ("indexed 1 trials": the
    others missing from the API and the clinic, no reason). Now each is named with why, on the
    CLI and in POST /v1/index's answer; hidden folders and a trial's inside are not searched."""
    import shutil

    from fastapi.testclient import TestClient

    from mocaplab.api import create_app

    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), sessions=(("baseline", 0.5),), trials_per_session=1,
             duration_s=3.0)
    walk = lab / "S001" / "baseline" / "walk01"
    for where in (lab / "S001" / "walk02", lab / "S001" / "baseline" / "extra" / "walk03",
                  lab / "S001" / "baseline" / "walk 04", walk / "copy"):
        shutil.copytree(walk, where)
    (walk / "copy" / "meta.json").unlink()  # an untouched backup inside a trial: not searched
    shutil.copytree(walk, walk / "old" / "walk05")  # inside a trial folder: not a lab trial
    assert main(["index", str(lab)]) == 0  # the lab's trials were indexed: not a failure
    out, err = capsys.readouterr()
    assert "indexed 1 trials" in out
    assert "3 trial folder(s) below" in err and "treated as outside the lab" in err
    said = [line.strip() for line in err.splitlines() if "not indexed:" in line]
    assert said == [  # paths below the lab (the API answers with them: no server paths)
        "not indexed: S001/baseline/extra/walk03: not at <subject>/<session>/<trial>/ (4 folder "
        "levels below the lab instead of 3)",
        "not indexed: S001/baseline/walk 04: folder name 'walk 04' is not a valid id (1-64 "
        "letters, digits, '_', '.', '-', starting with a letter or digit)",
        "not indexed: S001/walk02: not at <subject>/<session>/<trial>/ (2 folder levels below "
        "the lab instead of 3)"]
    app = create_app(lab, None, {"op-token-0123456789abcdef": "operator"}, normative_dir=None)
    with TestClient(app) as c:
        r = c.post("/v1/index", headers={"Authorization": "Bearer op-token-0123456789abcdef"})
        assert r.status_code == 200, r.text
        body = r.json()
    assert body["trials"] == 1 and len(body["not_indexed"]) == 3
    assert body["not_indexed"][2].endswith("(2 folder levels below the lab instead of 3)")


def test_new_token_prints_a_usable_entry(tmp_path, capsys):
    assert main(["serve", "--new-token", "clinician"]) == 0
    out = capsys.readouterr().out
    token = out.splitlines()[0].rsplit(" ", 1)[-1]
    entry = out[out.index("[[token]]"):]
    (tmp_path / "tokens.toml").write_text(entry)
    store = TokenStore.from_file(tmp_path / "tokens.toml")
    assert store.authenticate(token).role == "clinician"
    assert token not in entry


def test_export_of_a_marker_file_analyses_it_and_reports(tmp_path, capsys, monkeypatch):
    """`mocaplab export FILE.c3d` (marker data from another lab): analysed into FILE_mocaplab/
    in the current folder, then exported (CSV, JSON, PDF report) with the hip/knee angles of
    that file; a second export refuses to replace the analysis without --force; an unknown
    format, or TRC options without a TRC, are refused before anything is written (they used to
    leave the analysis folder behind, exit 1)."""
    from mocaplab.marker_io import write_c3d
    from mocaplab.synthetic.pig_walk import prescribed_walk

    phase = np.linspace(0, 2 * np.pi, 101)
    w = prescribed_walk({"knee_flexion": 30 - 30 * np.cos(phase),
                         "hip_flexion": 10 + 20 * np.cos(phase)})
    src = tmp_path / "gait.c3d"
    write_c3d(src, w.markers, w.labels, w.fps)
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(src), "--format", "csv,xls"]) == 1
    assert "unknown formats ['xls']" in capsys.readouterr().err
    assert main(["export", str(src), "--trc-y-up"]) == 1
    assert "add trc to --format" in capsys.readouterr().err
    assert main(["export", str(src), "--format", "trc", "--opensim-names"]) == 1
    assert "holds markers" in capsys.readouterr().err
    assert not (tmp_path / "gait_mocaplab").exists() and not list(tmp_path.glob("*_mocaplab"))

    assert main(["export", str(src)]) == 0
    trial = tmp_path / "gait_mocaplab"
    names = sorted(p.suffix for p in (trial / "exports").iterdir())
    assert {".csv", ".json", ".pdf"} <= set(names)
    m = json.loads((trial / "metrics.json").read_text())
    knee = np.array([np.nan if v is None else v for v in m["angles"]["knee"]["left"]["flexion"]])
    assert np.nanmax(knee) - np.nanmin(knee) > 40  # the file's own knee motion (0..60 deg)
    assert json.loads((trial / "meta.json").read_text())["source_file"] == str(src.resolve())
    assert main(["export", str(src)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["export", str(src), "--force"]) == 0


def test_export_of_a_marker_file_is_named_and_labelled_by_the_file(tmp_path, capsys,
                                                                    monkeypatch):
    """`mocaplab export walk.c3d` run in a folder ux/ wrote exports/walk_ux_walk_mocaplab.csv
    with session "ux" (the current folder) and trial "walk_mocaplab" (the analysis folder) in
    every row: now exports/walk.csv / walk.json / walk.fhir.json, subject and trial "walk", no
    session; pseudonymised, neither the names nor the labels nor meta keep "walk" or the
    source path."""
    from mocaplab.marker_io import write_c3d
    from mocaplab.synthetic.pig_walk import prescribed_walk

    phase = np.linspace(0, 2 * np.pi, 101)
    w = prescribed_walk({"knee_flexion": 30 - 30 * np.cos(phase),
                         "hip_flexion": 10 + 20 * np.cos(phase)})
    src = tmp_path / "walk.c3d"
    write_c3d(src, w.markers, w.labels, w.fps)
    (tmp_path / "ux").mkdir()
    monkeypatch.chdir(tmp_path / "ux")
    assert main(["export", str(src), "--format", "csv,json,fhir"]) == 0
    exports_dir = tmp_path / "ux" / "walk_mocaplab" / "exports"
    assert sorted(p.name for p in exports_dir.iterdir()) == ["walk.csv", "walk.fhir.json",
                                                             "walk.json"]
    rows = list(csv.DictReader(io.StringIO((exports_dir / "walk.csv").read_text())))
    assert {(r["subject"], r["session"], r["trial"]) for r in rows} == {("walk", "", "walk")}
    doc = json.loads((exports_dir / "walk.json").read_text())
    assert (doc["subject"], doc["session"], doc["trial"]) == ("walk", "", "walk")
    fhir = json.loads((exports_dir / "walk.fhir.json").read_text())
    method = fhir["entry"][0]["resource"]["method"]["text"]
    assert method.startswith("marker-based motion capture (C3D file") and "markerless" not in method

    monkeypatch.setenv("MOCAPLAB_PSEUDONYM_KEY", "k")
    assert main(["export", str(src), "--format", "csv,json", "--pseudonymise", "--out",
                 str(tmp_path / "pseudo")]) == 0
    files = sorted((tmp_path / "pseudo" / "exports").iterdir())
    assert [p.suffix for p in files] == [".csv", ".json"]
    for f in files:
        assert "walk" not in f.name and "walk" not in f.read_text()
    capsys.readouterr()


def test_export_of_a_marker_file_takes_the_static_trial_as_analyze_does(tmp_path, capsys,
                                                                        monkeypatch):
    """`mocaplab export FILE.c3d --static STATIC.c3d --flat-foot`: the static foot offsets come
    from the static trial, as with `mocaplab analyze` (the same metrics.json angles); refused
    with a trial folder, with --before/--after and --flat-foot alone, and a missing static trial
    is refused before anything is written."""
    from mocaplab.marker_io import write_c3d
    from mocaplab.synthetic.pig_walk import prescribed_walk

    phase = np.linspace(0, 2 * np.pi, 101)
    w = prescribed_walk({"knee_flexion": 30 - 30 * np.cos(phase),
                         "ankle_dorsiflexion": 5 + 10 * np.sin(phase)})
    src, static = tmp_path / "gait.c3d", tmp_path / "static.c3d"
    write_c3d(src, w.markers, w.labels, w.fps)
    # a standing pose: one frame of the walk, held; its foot differs from the walk's offsets
    write_c3d(static, np.repeat(w.markers[10:11], 60, axis=0), w.labels, w.fps)
    monkeypatch.chdir(tmp_path)

    assert main(["export", str(src), "--static", str(tmp_path / "none.c3d")]) == 1
    assert "none.c3d does not exist" in capsys.readouterr().err
    assert not (tmp_path / "gait_mocaplab").exists()
    assert main(["export", str(src), "--flat-foot"]) == 1
    assert "give --static" in capsys.readouterr().err

    assert main(["export", str(src), "--format", "json", "--static", str(static),
                 "--flat-foot"]) == 0
    m = json.loads((tmp_path / "gait_mocaplab" / "metrics.json").read_text())
    src_of = m["provenance"]["kinematics"]["measurements"]["sources"]
    assert src_of["left.static_plantar_flexion_deg"] == "static trial static.c3d (flat foot)"
    assert main(["analyze", str(src), "--out", str(tmp_path / "analyzed.json"),
                 "--static", str(static), "--flat-foot"]) in (0, 3)
    a = json.loads((tmp_path / "analyzed.json").read_text())
    ankle = m["angles"]["ankle"]["left"]["dorsiflexion"]
    assert ankle == a["angles"]["ankle"]["left"]["dorsiflexion"]
    assert main(["export", str(src), "--format", "json", "--force"]) == 0
    plain = json.loads((tmp_path / "gait_mocaplab" / "metrics.json").read_text())
    moved = [abs(x - y) for x, y in zip(ankle, plain["angles"]["ankle"]["left"]["dorsiflexion"],
                                        strict=True) if x is not None and y is not None]
    assert max(moved) > 1.0  # the static trial's offsets changed the ankle angles

    trial = tmp_path / "gait_mocaplab"
    capsys.readouterr()
    assert main(["export", str(trial), "--format", "json", "--static", str(static),
                 "--force"]) == 1
    assert "is a trial folder" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--before", "a", "--after", "b",
                 "--static", str(static)]) == 1
    assert "progress report" in capsys.readouterr().err


def test_export_of_a_keypoint_file_refuses_the_static_trial(tmp_path, capsys, monkeypatch):
    """A TRC of video keypoints (e.g. mocaplab's own TRC export) with --static: refused as by
    `mocaplab analyze` (the static trial applies to skin markers), and a file that cannot be
    analysed leaves no FILE_mocaplab/ folder behind."""
    from mocaplab.marker_io import write_c3d, write_trc
    from mocaplab.synthetic.gait import parametric_walk
    from mocaplab.synthetic.pig_walk import prescribed_walk

    monkeypatch.setenv("MOCAPLAB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    pw = prescribed_walk({})
    static = tmp_path / "static.c3d"
    write_c3d(static, np.repeat(pw.markers[10:11], 30, axis=0), pw.labels, pw.fps)
    w = parametric_walk(duration_s=3.0)
    kp = write_trc(tmp_path / "keypoints.trc", w.keypoints.points, list(w.keypoints.keypoints),
                   w.fps, units="m")
    assert main(["export", str(kp), "--format", "json", "--static", str(static)]) == 1
    err = capsys.readouterr().err
    assert str(kp) in err and "video keypoints" in err and "Traceback" not in err
    assert not (tmp_path / "keypoints_mocaplab").exists()


def test_export_of_a_marker_file_leaves_its_data_folder_alone(tmp_path, capsys, monkeypatch):
    """`mocaplab export DATA/walk.c3d` wrote DATA/walk_mocaplab/ into the data folder (often
    shared, or read-only): now ./walk_mocaplab/ in the current folder, or --out DIR (the
    analysis folder, exports in DIR/exports); DATA/ as --out is refused; --kind that cannot
    apply is refused before anything is written."""
    from mocaplab.marker_io import write_c3d
    from mocaplab.synthetic.pig_walk import prescribed_walk

    w = prescribed_walk({})
    data, work = tmp_path / "data", tmp_path / "work"
    data.mkdir()
    work.mkdir()
    src = data / "walk.c3d"
    write_c3d(src, w.markers, w.labels, w.fps)
    monkeypatch.chdir(work)
    assert main(["export", str(src), "--format", "json"]) == 0
    assert sorted(p.name for p in data.iterdir()) == ["walk.c3d"]
    assert (work / "walk_mocaplab" / "metrics.json").is_file()
    assert any((work / "walk_mocaplab" / "exports").glob("*.json"))
    assert main(["export", str(src), "--format", "csv", "--kind", "angles", "--out",
                 str(tmp_path / "elsewhere")]) == 0
    assert any((tmp_path / "elsewhere" / "exports").glob("*_angles.csv"))
    capsys.readouterr()
    assert main(["export", str(src), "--format", "json", "--out", str(data)]) == 1
    assert "is the folder of walk.c3d" in capsys.readouterr().err
    assert main(["export", str(src), "--format", "csv", "--kind", "points", "--out",
                 str(tmp_path / "p")]) == 1
    assert "marker file" in capsys.readouterr().err
    assert main(["export", str(src), "--format", "json", "--kind", "angles", "--out",
                 str(tmp_path / "p")]) == 1
    assert "add csv to --format" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
    assert sorted(p.name for p in data.iterdir()) == ["walk.c3d"]


def test_serve_refuses_an_address_it_cannot_listen_on(tmp_path, capsys):
    """A port outside 1..65535 or one already in use: a clear error (exit 1) before the server
    starts, instead of a traceback (99999) or uvicorn's exit 3 (in use)."""
    import socket

    lab = tmp_path / "lab"
    lab.mkdir()
    assert main(["serve", str(lab), "--port", "99999"]) == 1
    err = capsys.readouterr().err
    assert "--port 99999" in err and "Traceback" not in err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", str(lab), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "already in use" in err
