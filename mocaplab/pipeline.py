"""Run every stage on a trial folder: detect, triangulate, analyze, export, report, render.

Each stage declares the files it reads and writes. A stage is skipped when all its outputs exist
and are newer than all its inputs (so a rerun after a crash resumes where it stopped, and a
changed calibration or keypoints file reruns what depends on it). A failing stage is reported
with what to do; the outputs of earlier stages are kept and later stages are not run.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mocaplab.errors import InputError, MocaplabError
from mocaplab.trial import Trial

ProgressCallback = Callable[[str, str], None]
"""progress(stage, status): status is "start", "done", "skipped" or "failed"."""


@dataclasses.dataclass(frozen=True)
class Options:
    """Options of a pipeline run.

    Attributes:
        calibration: calibration file; default: the trial's (meta.json or calibration.toml).
        model: pose model file; default: found by mocaplab.keypoints (env var, cache, download).
        workers: worker processes for detection (default: one per core).
        cutoff_hz: low-pass cut-off of the 3D filter, Hz.
        force: rerun stages even when their outputs are up to date.
        render_video: also render an MP4 replay (slower than key frames alone).
        normative_dir: folder of normative data for the report (pyCGM2 format).
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
    index_db: str | None = None
    lab_dir: Path | None = None


@dataclasses.dataclass(frozen=True)
class StageResult:
    """What happened to one stage: status "done", "skipped" (up to date), "failed" or
    "not run" (an earlier stage failed); wall time in seconds; files written; a message."""

    stage: str
    status: str
    seconds: float = 0.0
    outputs: tuple[Path, ...] = ()
    message: str = ""


@dataclasses.dataclass(frozen=True)
class Stage:
    """A pipeline stage: its name, the files it reads and writes, and how to run it."""

    name: str
    inputs: Callable[[Trial, Options], list[Path]]
    outputs: Callable[[Trial, Options], list[Path]]
    run: Callable[[Trial, Options], Any]
    hint: str = ""

    def is_up_to_date(self, trial: Trial, options: Options) -> bool:
        outs = self.outputs(trial, options)
        if not outs or not all(p.exists() for p in outs):
            return False
        ins = [p for p in self.inputs(trial, options) if p.exists()]
        if not ins:
            return True
        return min(p.stat().st_mtime for p in outs) >= max(p.stat().st_mtime for p in ins)


# --- stage runners (imports are lazy: each stage pulls its own heavy dependencies) -------------
def _calibration(trial: Trial, options: Options) -> Path | None:
    return options.calibration or trial.calibration_path


def _videos(trial: Trial, options: Options) -> list[Path]:
    try:
        return list(trial.video_paths().values())
    except InputError:
        return []


def _run_detect(trial: Trial, options: Options) -> Any:
    if not _videos(trial, options):
        if trial.keypoints2d_path.exists():
            return trial.keypoints2d_path
        raise InputError(f"{trial.path} has neither videos nor keypoints2d.npz")
    from mocaplab.keypoints import detect_trial

    return detect_trial(trial, model_path=options.model, workers=options.workers,
                        force=options.force, progress=True)


def _run_triangulate(trial: Trial, options: Options) -> Any:
    from mocaplab.triangulation import triangulate_trial

    cal = _calibration(trial, options)
    if cal is None:
        raise InputError(f"{trial.path} names no calibration: pass --calibration CAL.toml or "
                         "put calibration.toml in the trial folder")
    return triangulate_trial(trial, calibration=cal, cutoff_hz=options.cutoff_hz, force=True)


def _run_analyze(trial: Trial, options: Options) -> Any:
    from mocaplab.analysis import analyze_file

    return analyze_file(trial.path, trial.metrics_path)


def _export_paths(trial: Trial) -> list[Path]:
    d = trial.path / "exports"
    return [d / "points3d.trc", d / "points3d.c3d", d / "metrics.csv"]


def _run_export(trial: Trial, options: Options) -> Any:
    from mocaplab.reporting.exports import export_trial

    return export_trial(trial.path, trial.path / "exports")


def _report_paths(trial: Trial) -> list[Path]:
    d = trial.path / "report"
    return [d / "report.pdf", d / "report.html"]


def _run_report(trial: Trial, options: Options) -> Any:
    from mocaplab.reporting import write_report

    return write_report(trial.path, trial.path / "report", normative_dir=options.normative_dir)


def _render_paths(trial: Trial, options: Options) -> list[Path]:
    return [trial.path / "render" / "replay.mp4"] if options.render_video else []


def _run_render(trial: Trial, options: Options) -> Any:
    """Render the replay in a child process.

    Open3D's offscreen renderer (Filament) holds process-wide state: a second renderer in the same
    process was seen to run 100x slower or to abort, so every render gets a fresh process (which
    also keeps a renderer crash from taking the pipeline down).
    """
    if not options.render_video:
        return None
    out = trial.path / "render" / "replay.mp4"
    cmd = [sys.executable, "-m", "mocaplab.cli", "render", str(trial.path), "--out", str(out),
           "--force"]
    # Safety net: Open3D on Mesa's software Vulkan used to never return from some frames (an
    # anisotropic-filtering loop on a mesh without UVs; fixed in viewer/geometry.py, see
    # docs/viewer.md). A render that takes far longer than it should is stopped and tried once more.
    for attempt in (1, 2):
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=_RENDER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            if attempt == 2:
                raise RuntimeError(f"rendering stalled twice (> {_RENDER_TIMEOUT_S} s); the "
                                   "other outputs are complete") from None
            continue
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"rendering failed (exit {proc.returncode}): {' | '.join(tail)}")
        break
    return out


_RENDER_TIMEOUT_S = 600


STAGES: tuple[Stage, ...] = (
    Stage("detect", _videos, lambda t, o: [t.keypoints2d_path], _run_detect,
          "check the videos play (ffprobe) and that the pose model is found (--model)"),
    Stage("triangulate",
          lambda t, o: [t.keypoints2d_path] + ([_calibration(t, o)] if _calibration(t, o) else []),
          lambda t, o: [t.points3d_path], _run_triangulate,
          "check that the calibration's camera names match the video names"),
    Stage("analyze", lambda t, o: [t.points3d_path], lambda t, o: [t.metrics_path], _run_analyze,
          "check that the trial shows walking with both feet visible"),
    Stage("export", lambda t, o: [t.points3d_path, t.metrics_path],
          lambda t, o: _export_paths(t), _run_export, "see the message above"),
    Stage("report", lambda t, o: [t.points3d_path, t.metrics_path],
          lambda t, o: _report_paths(t), _run_report, "see the message above"),
    Stage("render", lambda t, o: [t.points3d_path, t.metrics_path], _render_paths, _run_render,
          "rendering needs Mesa/Vulkan (scripts/setup.sh installs them)"),
)
STAGE_NAMES = tuple(s.name for s in STAGES)


def process_trial(trial_path: str | Path, options: Options | None = None,
                  stages: Sequence[str] | None = None,
                  progress: ProgressCallback | None = None) -> list[StageResult]:
    """Run the pipeline stages on one trial folder; returns one result per stage.

    Args:
        trial_path: the trial folder (must hold meta.json).
        options: run options (defaults: see :class:`Options`).
        stages: names of the stages to consider (default: all, in order).
        progress: called as progress(stage, status) when a stage starts and ends.
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
    report = progress or (lambda stage, status: None)
    results: list[StageResult] = []
    failed = False
    for stage in STAGES:
        if stage.name not in wanted:
            continue
        if failed:
            results.append(StageResult(stage.name, "not run", message="an earlier stage failed"))
            continue
        if not options.force and stage.is_up_to_date(trial, options):
            results.append(StageResult(stage.name, "skipped", outputs=tuple(
                stage.outputs(trial, options)), message="up to date"))
            report(stage.name, "skipped")
            continue
        report(stage.name, "start")
        t0 = time.perf_counter()
        try:
            stage.run(trial, options)
        except (MocaplabError, ImportError, OSError, RuntimeError, ValueError) as exc:
            failed = True
            msg = f"{type(exc).__name__}: {exc}"
            if stage.hint:
                msg += f" (what to do: {stage.hint})"
            results.append(StageResult(stage.name, "failed", time.perf_counter() - t0,
                                       message=msg))
            report(stage.name, "failed")
            continue
        outs = tuple(p for p in stage.outputs(trial, options) if p.exists())
        results.append(StageResult(stage.name, "done", time.perf_counter() - t0, outs))
        report(stage.name, "done")
    if options.index_db:
        results.append(_update_index(trial, options))
    return results


def _update_index(trial: Trial, options: Options) -> StageResult:
    """Record the trial's outputs and status in the lab index (mocaplab.reporting.db)."""
    t0 = time.perf_counter()
    try:
        from mocaplab.reporting import index_trial

        key = index_trial(options.index_db, trial.path, lab_dir=options.lab_dir)
    except (MocaplabError, ImportError, OSError, ValueError, IndexError) as exc:
        return StageResult("index", "failed", time.perf_counter() - t0,
                           message=f"{type(exc).__name__}: {exc} (what to do: run "
                           "'mocaplab index LAB' once the lab folder is in place)")
    return StageResult("index", "done", time.perf_counter() - t0, message=f"indexed as {key}")


def format_summary(results: Sequence[StageResult]) -> str:
    """A plain-text table of stage results."""
    rows = [("stage", "status", "time (s)", "detail")]
    for r in results:
        detail = r.message or ", ".join(p.name for p in r.outputs)
        rows.append((r.stage, r.status, f"{r.seconds:.1f}" if r.seconds else "-", detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
                     + "  " + row[3])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    return "\n".join(lines)
