"""Key-frame renders for the reports, from :func:`mocaplab.viewer.render_key_frames`.

Rendering uses Open3D/Filament, which can abort the whole process (a C++ panic, not a Python
exception) and is not safe in server threads, so it runs in a child process with a time limit
(:func:`mocaplab.child.call_in_child`, the same isolation as the pipeline's replay render).
Rendering is optional: without the viewer, without an off-screen GL stack, after a crash or a
timeout the reports omit the section and say why, instead of failing. Renders already made for
a trial (``TRIAL/report/key_frames/*.png``, written by the pipeline's report stage) are reused.
"""

from __future__ import annotations

from pathlib import Path

from mocaplab.child import ChildFailed, call_in_child
from mocaplab.trial import Trial

DEFAULT_TARGET = "mocaplab.viewer:render_key_frames"
#: keyword arguments of the default renderer: one view (a second Open3D renderer in the same
#: process has been seen to abort or hang), report-sized images.
DEFAULT_KWARGS = {"views": ["side"], "width": 640, "height": 480}


def key_frame_figure_for(trial_dir: Path, out_path: Path) -> tuple[Path | None, str]:
    """The print key-frame figure of a trial (:func:`mocaplab.viewer.keyframe_figure.
    key_frame_figure`: front and side views, level lines, clinical wording), drawn with
    matplotlib in this process (no renderer, safe in server threads): (path, "") or (None,
    why not)."""
    from mocaplab.errors import MocaplabError
    from mocaplab.viewer.keyframe_figure import key_frame_figure

    marker_file = marker_file_of(trial_dir)
    if marker_file:
        return None, (f"Key frames omitted: this report is of the marker file {marker_file}; "
                      "key frames are drawn from a trial's triangulated keypoints.")
    try:
        return key_frame_figure(trial_dir, out_path), ""
    except (MocaplabError, OSError, ValueError) as exc:
        return None, f"Key frames omitted: {exc}."


def marker_file_of(trial_dir: Path) -> str:
    """The C3D/TRC file a trial folder without 3D keypoints was analysed from (``mocaplab
    export WALK.c3d`` writes such a folder), from its metrics.json provenance; "" otherwise."""
    from mocaplab.analysis.metrics_spec import read_metrics
    from mocaplab.errors import MocaplabError

    t = Trial(trial_dir)
    if t.points3d_path.is_file() or not t.metrics_path.is_file():
        return ""
    try:
        prov = read_metrics(t.metrics_path).data.get("provenance") or {}
    except MocaplabError:
        return ""
    return str(prov.get("input") or "") if prov.get("input_kind") in ("c3d", "trc") else ""


def cached_key_frames(trial_dir: Path) -> list[Path]:
    """Key-frame PNGs already rendered for the trial (``mocaplab render --key-frames`` into
    TRIAL/report/key_frames), sorted; none when any is older than the trial's points3d.npz or
    metrics.json (rendered from earlier 3D points or events: a report would show them)."""
    trial = Trial(trial_dir)
    d = trial.key_frames_dir
    frames = sorted(d.glob("*.png")) if d.is_dir() else []
    inputs = [p.stat().st_mtime_ns for p in (trial.points3d_path, trial.metrics_path)
              if p.is_file()]
    if frames and inputs and min(f.stat().st_mtime_ns for f in frames) < max(inputs):
        return []
    return frames


def render_key_frames_in_child(trial_dir: Path, out_dir: Path, *,
                               target: str = DEFAULT_TARGET, kwargs: dict | None = None,
                               timeout_s: float = 90.0, use_cache: bool = True,
                               env: dict[str, str] | None = None) -> tuple[list[Path], str]:
    """:func:`mocaplab.viewer.render_key_frames` (or ``target``) in a child process: (PNG
    files, note). The note is empty on success, else says why there are no renders.

    Args:
        target: ``module:function`` called as ``function(trial_dir, out_dir)`` in a child
            process; it must return the written paths. ``kwargs`` (JSON-serialisable) are passed
            to it; default :data:`DEFAULT_KWARGS` for the default target, else none.
        timeout_s: the child is killed after this many seconds and started once more (Open3D's
            software renderer occasionally stalls; see docs/viewer.md).
        use_cache: return existing ``TRIAL/report/key_frames/*.png`` without rendering.
        env: extra environment variables of the child process.
    """
    if use_cache:
        cached = cached_key_frames(trial_dir)
        if cached:
            return cached, ""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if kwargs is None:
        kwargs = DEFAULT_KWARGS if target == DEFAULT_TARGET else {}
    try:
        res = call_in_child(target, str(trial_dir), str(out_dir), timeout_s=timeout_s, env=env,
                            **kwargs)
    except ChildFailed as exc:
        if exc.returncode is None:
            return [], ("Key-frame renders omitted: the renderer stalled twice "
                        f"(> {timeout_s:.0f} s each).")
        if exc.tail.startswith(("ModuleNotFoundError", "ImportError", "AttributeError")):
            return [], f"Key-frame renders omitted: {target} is not available ({exc.tail})."
        return [], (f"Key-frame renders omitted: the renderer failed (exit status "
                    f"{exc.returncode}: {exc.tail[:200]}).")
    res = [res] if isinstance(res, str) else list(res or [])
    files = [Path(p) for p in res if str(p).lower().endswith(".png")]
    files = [p for p in files if p.is_file()]
    if not files:
        return [], "Key-frame renders omitted: the renderer produced no PNG images."
    return files, ""


def key_frames_for(trial_dir: Path, out_dir: Path, mode: bool | str = True
                   ) -> tuple[list[Path], str]:
    """Key frames for a report: ``mode`` True (cached, else render), "cached" or False."""
    if mode == "cached":
        frames = cached_key_frames(trial_dir)
        return frames, "" if frames else (
            "Key-frame renders omitted: none rendered yet for this trial (they are made by "
            "'mocaplab process' or 'mocaplab export --format pdf').")
    if mode:
        return render_key_frames_in_child(trial_dir, out_dir)
    return [], "Key-frame renders omitted (not requested)."
