"""Pipeline orchestration: freshness by content, honest status, failures keep earlier outputs."""

import json

import numpy as np
import pytest

from mocaplab import pipeline
from mocaplab.errors import InputError
from mocaplab.outcome import EXIT_WARNING, WARNING, Verdict
from mocaplab.pipeline import Options, Stage, exit_status, format_summary, process_trial
from mocaplab.trial import Trial


def _fake_stages(calls, fail=None, warn=None, settings=None):
    def make(name, src, dst):
        def run(trial, options):
            calls.append(name)
            if name == fail:
                raise InputError(f"{name} broke")
            (trial.path / dst).write_text((trial.path / src).read_text() + name)
        check = (lambda t, o: Verdict(WARNING, f"{name} found nothing")) if name == warn else None
        return Stage(name, lambda t, o: [t.path / src], lambda t, o: [t.path / dst], run,
                     hint=f"fix {name}", check=check,
                     settings=(settings or {}).get(name, lambda t, o: {}))
    return (make("a", "input.txt", "a.out"), make("b", "a.out", "b.out"),
            make("c", "b.out", "c.out"))


@pytest.fixture
def trial(tmp_path):
    t = Trial.create(tmp_path / "t", subject="S")
    (t.path / "input.txt").write_text("x")
    return t


def _use(monkeypatch, stages):
    monkeypatch.setattr(pipeline, "STAGES", stages)
    monkeypatch.setattr(pipeline, "STAGE_NAMES", tuple(s.name for s in stages))


def test_stages_rerun_by_content_not_by_file_times(trial, monkeypatch):
    calls = []
    _use(monkeypatch, _fake_stages(calls))
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["done", "done", "done"] and calls == ["a", "b", "c"]
    assert "no a.out yet" in res[0].message
    calls.clear()
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["skipped"] * 3 and calls == []
    assert "up to date" in res[0].message
    # a touched file (newer, same contents) reruns nothing; an older, changed one reruns
    import os
    import time

    later = time.time() + 50
    os.utime(trial.path / "input.txt", (later, later))
    assert [r.status for r in process_trial(trial.path)] == ["skipped"] * 3
    (trial.path / "input.txt").write_text("y")
    os.utime(trial.path / "input.txt", (1e9, 1e9))
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["done", "done", "done"]
    assert res[0].message == "ran: input.txt changed" and "a.out changed" in res[1].message
    calls.clear()
    # an output changed by hand: that stage reruns; its result is the same, so the next does not
    (trial.path / "b.out").write_text("edited")
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["skipped", "done", "skipped"] and calls == ["b"]
    assert "b.out was changed since this stage wrote it" in res[1].message
    calls.clear()
    process_trial(trial.path, Options(force=True), stages=["b"])
    assert calls == ["b"]


def test_result_changing_options_rerun(trial, monkeypatch):
    calls = []
    _use(monkeypatch, _fake_stages(calls, settings={"b": lambda t, o: {"cutoff_hz": o.cutoff_hz}}))
    process_trial(trial.path)
    calls.clear()
    res = process_trial(trial.path, Options(cutoff_hz=4.0))
    assert calls == ["b"] and res[1].message == "ran: cutoff_hz 6.0 -> 4.0"


def test_failure_keeps_earlier_outputs_and_stops(trial, monkeypatch):
    calls = []
    _use(monkeypatch, _fake_stages(calls))
    process_trial(trial.path)
    (trial.path / "input.txt").write_text("changed")
    _use(monkeypatch, _fake_stages(calls, fail="b"))
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["done", "failed", "not run"]
    assert res[1].message == "b broke"  # an InputError says itself what to do
    assert "c.out from an earlier run are out of date" in res[2].message
    assert (trial.path / "a.out").read_text() == "changeda"
    table = format_summary(res)
    assert "failed" in table and "not run" in table
    assert exit_status(res) == 1
    # nothing is stamped after a failure: the next run retries b and c
    _use(monkeypatch, _fake_stages(calls))
    assert [r.status for r in process_trial(trial.path)] == ["skipped", "done", "done"]


def test_unusable_result_is_a_warning_that_stays(trial, monkeypatch):
    calls = []
    _use(monkeypatch, _fake_stages(calls, warn="b"))
    seen = []
    res = process_trial(trial.path, on_result=seen.append)
    assert [r.status for r in res] == ["done", "warning", "done"]
    assert res[1].warning == "b found nothing" and seen == res
    assert exit_status(res) == EXIT_WARNING
    assert pipeline.result_line(res[1]) == "[b] warning: b found nothing"
    res = process_trial(trial.path)
    assert [r.status for r in res] == ["skipped"] * 3 and exit_status(res) == EXIT_WARNING
    assert pipeline.result_line(res[1]) == "[b] warning (still): b found nothing"
    assert "b found nothing; still, up to date" in format_summary(res)


def test_new_calibration_reruns_triangulation_and_is_recorded(trial, monkeypatch, tmp_path):
    calls = []

    def run(t, o):
        calls.append(pipeline._calibration(t, o).read_text())
        t.points3d_path.write_text(calls[-1])
    stage = Stage("triangulate", pipeline._triangulate_inputs, lambda t, o: [t.points3d_path],
                  lambda t, o: (run(t, o), pipeline._record_calibration(t, o.calibration)
                                if o.calibration else None))
    _use(monkeypatch, (stage,))
    (trial.path / "calibration.toml").write_text("cal 1")
    trial.keypoints2d_path.write_text("kp")
    process_trial(trial.path)
    new = tmp_path / "NEW.toml"
    new.write_text("cal 2")
    res = process_trial(trial.path, Options(calibration=new))
    assert res[0].status == "done" and res[0].message == "ran: calibration changed (NEW.toml)"
    assert Trial(trial.path).calibration_path == new.resolve()
    # meta.json now names it: the next plain run is up to date
    assert process_trial(trial.path)[0].status == "skipped" and calls == ["cal 1", "cal 2"]
    # the same file rewritten in place (older time) is a change too
    import os

    new.write_text("cal 3")
    os.utime(new, (1e9, 1e9))
    assert process_trial(trial.path)[0].message == "ran: calibration changed (NEW.toml)"


def test_subject_data_is_an_input_of_analysis(trial):
    before = pipeline._analyze_inputs(trial, Options())["subject data"]
    trial.update_meta(subject={"id": "S", "height_m": 1.7})
    assert pipeline._analyze_inputs(trial, Options())["subject data"] != before
    trial.update_meta(status="processed")  # bookkeeping changes no result
    meta = pipeline._report_inputs(trial, Options())["trial details (meta.json)"]
    assert "status" not in meta


def test_render_disabled_is_skipped_with_the_reason(trial, monkeypatch):
    render = next(s for s in pipeline.STAGES if s.name == "render")
    _use(monkeypatch, (render,))
    res = process_trial(trial.path, Options(render_video=False))
    assert res[0].status == "skipped" and "--no-video" in res[0].message


def test_report_comes_before_the_replay():
    names = pipeline.STAGE_NAMES
    assert names.index("analyze") < names.index("report") < names.index("render") == len(names) - 1


def test_one_camera_fails_triangulation_with_the_cause(trial):
    from mocaplab.pose_data import Keypoints2D

    (trial.path / "calibration.toml").write_text("")
    pts = np.zeros((1, 5, 33, 2))
    Keypoints2D(pts, np.ones((1, 5, 33)), ("cam01",), tuple(f"k{i}" for i in range(33)),
                60.0).save(trial.keypoints2d_path)
    res = process_trial(trial.path, stages=["triangulate", "analyze"])
    assert [r.status for r in res] == ["failed", "not run"]
    assert "1 camera(s) (cam01): 3D needs at least two" in res[0].message


def test_a_trial_that_cannot_be_triangulated_is_refused_before_detection(trial, monkeypatch):
    """`mocaplab process` of a one-camera trial (Sports2D's single view) detected for ~17 s
    before triangulation refused; a trial without calibration too: now both are said before
    any detection, with what to do; the detect stage alone still runs."""
    import mocaplab.keypoints as kp_pkg

    calls = []
    monkeypatch.setattr(kp_pkg, "detect_trial", lambda t, **kw: calls.append(t)
                        or Trial(t.path).keypoints2d_path.write_text("kp"))
    (trial.videos_dir / "demo.mp4").write_bytes(b"x")
    (trial.path / "calibration.toml").write_text("")
    res = process_trial(trial.path, Options(render_video=False))
    assert [r.status for r in res[:3]] == ["not run", "failed", "not run"] and not calls
    assert "holds 1 video(s) (demo): 3D needs at least two" in res[1].message
    assert "mocaplab detect" in res[1].message
    (trial.videos_dir / "side.mp4").write_bytes(b"x")
    (trial.path / "calibration.toml").unlink()
    res = process_trial(trial.path, Options(render_video=False))
    assert res[1].status == "failed" and "names no calibration" in res[1].message
    assert not calls
    process_trial(trial.path, stages=["detect"])
    assert len(calls) == 1


def test_cameras_whose_frames_do_not_pair_are_refused_before_detection(trial, monkeypatch):
    """`mocaplab process` of a trial whose cameras have 40 and 36 frames and no frame table
    detected, then triangulated frame i of both as one instant; now refused before detection,
    naming the cameras' counts."""
    import mocaplab.keypoints as kp_pkg

    calls = []
    monkeypatch.setattr(kp_pkg, "detect_trial", lambda t, **kw: calls.append(t)
                        or Trial(t.path).keypoints2d_path.write_text("kp"))
    for cam in ("cam01", "cam02"):
        (trial.videos_dir / f"{cam}.mp4").write_bytes(b"x")
    (trial.path / "calibration.toml").write_text("")
    trial.write_timestamps({"cam01": np.arange(40) / 24, "cam02": np.arange(36) / 24})
    res = process_trial(trial.path, Options(render_video=False))
    assert [r.status for r in res[:3]] == ["not run", "failed", "not run"] and not calls
    assert "cam01 40 frames, cam02 36 frames" in res[1].message
    assert "mocaplab import --sync" in res[1].message


def test_a_trial_with_only_3d_points_is_analysed(tmp_path):
    """`mocaplab process` of a trial holding points3d.npz but no videos or keypoints2d.npz
    (videos deleted after processing, points from another tool, a synthetic trial) failed in
    detect ("neither videos nor keypoints2d.npz") and called points3d.npz out of date; the API's
    process job failed the same way. Now detect and triangulate are skipped with the reason and
    the points are analysed, exported and reported."""
    from mocaplab.synthetic.lab import WalkerParams, make_trial

    t = make_trial(tmp_path / "S1" / "v1" / "walk", WalkerParams(duration_s=3))
    (t / "metrics.json").unlink()
    points = (t / "points3d.npz").read_bytes()
    res = process_trial(t, Options(render_video=False, normative_dir=None))
    status = {r.stage: r.status for r in res}
    assert status["detect"] == status["triangulate"] == "skipped"
    assert "points3d.npz is kept" in res[0].message
    assert status["analyze"] in ("done", "warning") and status["report"] == "done"
    assert (t / "metrics.json").is_file() and (t / "points3d.npz").read_bytes() == points


def test_render_refused_by_the_trial_says_why_without_the_renderer_hint(tmp_path):
    """A trial whose 3D points are all gaps (a two-camera recording that lost most frames):
    the render stage said "RuntimeError: rendering failed (exit 1): mocaplab render: error:
    the trial has no reconstructed 3D point to show (what to do: rendering needs Mesa/Vulkan
    (scripts/setup.sh installs them); or pass --no-video)", blaming the graphics stack. Now
    render's own message, as a clear error."""
    from mocaplab.atomic import save_npz
    from mocaplab.synthetic.lab import WalkerParams, make_trial

    t = make_trial(tmp_path / "S1" / "v1" / "walk", WalkerParams(duration_s=1))
    with np.load(t / "points3d.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["points"] = np.full_like(arrays["points"], np.nan)
    save_npz(t / "points3d.npz", **arrays)
    (res,) = process_trial(t, Options(normative_dir=None), stages=["render"])
    assert "Mesa" not in res.message and "RuntimeError" not in res.message
    assert res.status == "failed"
    assert res.message == (f"cannot render the replay: {t / 'points3d.npz'} holds no "
                           "reconstructed point (all NaN)")


def test_a_trial_being_processed_is_not_processed_twice(trial, monkeypatch, capsys):
    """Two `mocaplab process` runs on one trial (two terminals, batch while the API processes
    it) both detected for minutes, then each wrote stages.json without the other's records.
    Now the second is refused while the first holds the trial, naming the holder; nothing
    changes; once the first is done the trial processes again."""
    import subprocess
    import sys

    from mocaplab.cli import main

    calls = []
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from mocaplab.trial import Trial; "
         "from mocaplab.trial_lock import trial_lock\n"
         f"with trial_lock(Trial({str(trial.path)!r})):\n"
         "    print('held', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["process", str(trial.path), "--no-video"]) == 1
        assert "being processed by another run" in capsys.readouterr().err
        _use(monkeypatch, _fake_stages(calls))
        with pytest.raises(InputError, match=r"being processed by another run \(pid \d+"):
            process_trial(trial.path)
        assert not calls and not trial.stages_path.exists()
    finally:
        holder.communicate("\n", timeout=30)
    process_trial(trial.path)
    assert calls


def test_summary_says_when_the_report_was_ready(trial):
    r = pipeline.StageResult("report", "done", 1.0, (trial.path / "report.pdf",), "ran: x",
                             finished_s=12.34)
    assert "report ready 12.3 s after the start" in format_summary([r])


def test_not_a_trial_and_unknown_stage(tmp_path, trial):
    with pytest.raises(InputError, match="not a trial folder"):
        process_trial(tmp_path)
    with pytest.raises(InputError, match="unknown stages"):
        process_trial(trial.path, stages=["nope"])


def test_state_file_is_json_and_a_broken_one_reruns(trial, monkeypatch):
    calls = []
    _use(monkeypatch, _fake_stages(calls))
    process_trial(trial.path)
    state = trial.path / ".mocaplab" / "stages.json"
    assert set(json.loads(state.read_text())["stages"]) == {"a", "b", "c"}
    state.write_text("{broken")
    calls.clear()
    res = process_trial(trial.path)
    assert calls == ["a", "b", "c"] and "no record" in res[0].message
