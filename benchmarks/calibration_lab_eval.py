"""Calibration on realistic synthetic gait-lab recordings (issue 17): mocaplab vs the limit vs
aniposelib, per scene and worst case.

Scenes come from :func:`mocaplab.synthetic.calibration_lab.random_lab_scene` (random rigs of 4-6
cameras on an arc, random boards, mild/strong distortion, principal points up to 2 % off centre,
the board carried around by hand with tilt up to 60 deg, motion blur, the operator's hand,
flicker, noise, MJPG videos of 240 frames at 30 fps). The seed sets were fixed before any scene
was looked at:

- ``tuning``: seeds 100-107, 300-307, 900-907 and 910-917 (300-307, 900-907 and 910-917 were
  held-out sets, each run once with the method fixed (2026-12-02, 2026-12-03, 2026-12-03) and
  looked at since: tuning data now);
- ``heldout``: seeds 930-937 (fixed on 2026-12-03 before any was rendered, run once on
  2026-12-03 with the method fixed at ``54f7b1d``: 8 of 8 met every accuracy target; spent);
- ``heldout2``: seeds 940-947 (fixed on 2026-12-03 by the lead before any was rendered, to be run
  once with the method as landed at ``4780c29``: run once on 2026-12-03, 7 of 7 calibrated
  scenes met every target, 943 refused (unlinked camera groups); spent: pick new seeds next).

Per scene:

- ours: ``mocaplab.calibration.calibrate`` on the videos (detection included; wall time);
- limit: the same bundle adjustment on the same detections started from the TRUE cameras with
  every intrinsic parameter free;
- aniposelib: ``CameraGroup.calibrate_videos`` on the same videos (its own detection and
  defaults), timed in the same run.

Errors after rigid alignment to the truth: camera-centre median and max (mm), worst rotation
(deg), worst focal (%), true reprojection RMS (true 3D corners through the estimated vs the true
corners detected, px). Targets (issue 17): centre median <= 2x the limit,
worst rotation <= 1.5x, worst focal <= 2x, true RMS <= 1.5x, wall time <= 0.5x aniposelib's.

Detections are cached (``--cache DIR``): ``--from-cache`` reruns only the solve on cached
detections (for tuning; no wall-time figure). ``--videos DIR`` takes videos rendered beforehand
(``DIR/lab_<seed>/<camera>.avi`` with a ``done`` marker) instead of rendering them.

Usage:
    .venv/bin/python benchmarks/calibration_eval.py --lab tuning --cache /tmp/labcache
    .venv/bin/python benchmarks/calibration_eval.py --lab tuning --cache /tmp/labcache \
        --from-cache --no-anipose
    .venv/bin/python benchmarks/calibration_eval.py --lab heldout --cache /tmp/labcache
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mocaplab.board import BoardSpec
from mocaplab.calibration import calibrate, calibrate_detections
from mocaplab.calibration.detect import CameraDetections
from mocaplab.calibration.simulate import align_rigid, camera_errors
from mocaplab.camera import Camera
from mocaplab.synthetic.calibration_lab import random_lab_scene, render_lab_videos

SEEDS = {"tuning": (list(range(100, 108)) + list(range(300, 308)) + list(range(900, 908))
                    + list(range(910, 918))),
         "heldout": list(range(930, 938)), "heldout2": list(range(940, 948))}
TARGETS = {"centre_median_mm": 2.0, "rotation_deg": 1.5, "focal_pct": 2.0, "true_rms_px": 1.5}


def true_rms(est: list[Camera], truth: list[Camera], scene, dets: list[CameraDetections]
             ) -> float:
    """RMS (px) between the true and the estimated projections of the true 3D corners, over
    every corner detected in every camera (estimated cameras aligned rigidly to the truth)."""
    if not dets:  # nothing detected to score on (mocaplab's detection failed)
        return float("nan")
    al = align_rigid(est, truth)
    obj = scene.board.corner_points()
    sq = []
    for c, d in enumerate(dets):
        for f, corners in zip(d.frames, d.corners, strict=True):
            ok = np.isfinite(corners[:, 0])
            X = obj[ok] @ scene.board_R[f].T + scene.board_t[f]
            sq.append(np.sum((al[c].project(X) - truth[c].project(X)) ** 2, axis=1))
    return float(np.sqrt(np.mean(np.concatenate(sq))))


def errors(est: list[Camera], truth: list[Camera], scene, dets: list[CameraDetections]) -> dict:
    e = camera_errors(est, truth)
    return {"centre_median_mm": 1000 * float(np.median(e["centre_m"])),
            "centre_max_mm": 1000 * float(e["centre_m"].max()),
            "rotation_deg": float(e["rotation_deg"].max()),
            "focal_pct": 100 * float(e["focal_rel"].max()),
            "true_rms_px": true_rms(est, truth, scene, dets)}


def _aniposelib_board(board: BoardSpec):
    from aniposelib.boards import CharucoBoard

    bits, size = board.dictionary.removeprefix("DICT_").split("_")
    return CharucoBoard(board.squares_x, board.squares_y, board.square_length,
                        board.marker_length, marker_bits=int(bits.split("X")[0]),
                        dict_size=int(size))


class AniposeFailed(RuntimeError):
    """aniposelib could not calibrate a scene (its own detection or calibration graph)."""


def _unlinked(rows: list[list[dict]], names: list[str]) -> list[list[str]]:
    """Groups of cameras linked by frames in which aniposelib detected the board in both."""
    frames = [{r["framenum"] for r in rc} for rc in rows]
    group = list(range(len(names)))
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            if frames[a] & frames[b]:
                ga, gb = group[a], group[b]
                group = [ga if g == gb else g for g in group]
    return [[n for n, g in zip(names, group, strict=True) if g == k] for k in sorted(set(group))]


def _graph_components(message: str, names: list[str]) -> list[list[str]]:
    """Camera groups from aniposelib's "Could not build calibration graph" message (it ends
    with a dict camera -> group number); [] for any other message."""
    import ast

    if "Could not build calibration graph" not in message or "{" not in message:
        return []
    try:
        comp = ast.literal_eval(message[message.rindex("{"):message.rindex("}") + 1])
    except (ValueError, SyntaxError):
        return []
    return [[n for n in names if comp.get(n) == g] for g in sorted(set(comp.values()))]


def run_aniposelib(videos: dict[str, Path], board: BoardSpec
                   ) -> tuple[list[Camera], float, list[int], str | None]:
    """aniposelib's ``calibrate_videos`` (its own detection and defaults), in its three steps
    (``get_rows_videos``, ``set_camera_sizes_videos``, ``calibrate_rows``: what
    ``calibrate_videos`` runs) so that a failure can say what its detection found.

    When its detections leave some cameras unlinked (``calibrate_rows`` would raise "Could not
    build calibration graph"), the largest linked group of at least two cameras is calibrated
    instead. Returns the cameras, wall time (s), the indices of the cameras calibrated and a
    note saying what was left out (None when all were calibrated).
    """
    from aniposelib.cameras import CameraGroup

    names = list(videos)
    paths = [[str(p)] for p in videos.values()]
    ab = _aniposelib_board(board)
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        group = CameraGroup.from_names(names)
        rows = group.get_rows_videos(paths, ab, verbose=False)
        groups = _unlinked(rows, names)
        found = ", ".join(f"{n} {len(r)}" for n, r in zip(names, rows, strict=True))
        keep, note = list(range(len(names))), None
        if len(groups) > 1:
            largest = max(groups, key=len)
            note = (f"its detection found the board in {found} frames, leaving the cameras in "
                    f"unlinked groups {' / '.join(' '.join(g) for g in groups)} (it cannot "
                    "build its calibration graph)")
            if len(largest) < 2:
                raise AniposeFailed(note)
            keep = [names.index(n) for n in largest]
            note += f"; calibrated {' '.join(largest)} only"
            group = CameraGroup.from_names(largest)
            rows = [rows[i] for i in keep]
            paths = [paths[i] for i in keep]
        group.set_camera_sizes_videos(paths)
        try:
            group.calibrate_rows(rows, ab, verbose=False)
        except ValueError as exc:  # its graph from the views it could pose: retry the largest
            comps = _graph_components(str(exc), [names[i] for i in keep])
            if not comps or len(max(comps, key=len)) < 2 or len(comps) == 1:
                raise AniposeFailed(f"calibrate_rows raised ValueError: "
                                    f"{' '.join(str(exc).split())[:300]} (detected: {found})"
                                    ) from exc
            largest = max(comps, key=len)
            before = (f"{note}; then " if note else
                      f"its detection found the board in {found} frames; ")
            note = (f"{before}the views it could pose leave unlinked groups "
                    f"{' / '.join(' '.join(g) for g in comps)} (calibration graph); "
                    f"calibrated {' '.join(largest)} only")
            sel = [[names[i] for i in keep].index(n) for n in largest]
            keep = [keep[i] for i in sel]
            group = CameraGroup.from_names(largest)
            rows, paths = [rows[i] for i in sel], [paths[i] for i in sel]
            group.set_camera_sizes_videos(paths)
            group.calibrate_rows(rows, ab, verbose=False)
    cams = [Camera.from_dict(d) for d in group.get_dicts()]
    return cams, time.perf_counter() - t, keep, note


def _save(path: Path, dets: list[CameraDetections]) -> None:
    arrays = {}
    for c, d in enumerate(dets):
        arrays[f"frames{c}"] = d.frames
        arrays[f"corners{c}"] = d.corners
        arrays[f"meta{c}"] = np.array([d.size[0], d.size[1], d.n_frames, d.n_sampled])
    arrays["names"] = np.array([d.name for d in dets])
    np.savez_compressed(path, **arrays)


def _load(path: Path) -> list[CameraDetections]:
    z = np.load(path)
    out = []
    for c, name in enumerate(z["names"]):
        m = z[f"meta{c}"]
        out.append(CameraDetections(str(name), (int(m[0]), int(m[1])), int(m[2]),
                                    z[f"frames{c}"], z[f"corners{c}"], int(m[3])))
    return out


def lab_scene(seed: int, workdir: Path, cache: Path | None, from_cache: bool,
              with_anipose: bool, videos_dir: Path | None = None, **options) -> dict:
    """Evaluate one scene (see module doc). ``options`` go to ``calibrate_detections``."""
    scene = random_lab_scene(seed)
    truth = list(scene.cameras)
    board = scene.board
    out: dict = {"seed": seed, **scene.describe()}
    cached = cache / f"lab_{seed}.npz" if cache is not None else None
    if from_cache and cached is not None and cached.exists():
        dets = _load(cached)
        t = time.perf_counter()
        ours = calibrate_detections(dets, board, **options)
        out["ours_solve_s"] = time.perf_counter() - t
    else:
        rendered = videos_dir / f"lab_{seed}" if videos_dir is not None else None
        if rendered is not None and (rendered / "done").exists():  # rendered beforehand
            videos = {c.name: rendered / f"{c.name}.avi" for c in scene.cameras}
        else:
            t = time.perf_counter()
            videos = render_lab_videos(scene, workdir / f"lab_{seed}")
            out["render_s"] = time.perf_counter() - t
        t = time.perf_counter()
        try:
            ours = calibrate(videos, board, None, max_frames=None, show_progress=False,
                             **options)
        except Exception as exc:  # still run aniposelib on the same videos: its result stands
            ours = None
            out["ours_error"] = f"{type(exc).__name__}: {exc}"[:300]
        out["ours_s"] = time.perf_counter() - t
        if ours is not None and cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            _save(cached, ours.detections)
        if with_anipose:
            try:
                cams_a, out["anipose_s"], keep, note = run_aniposelib(videos, board)
                sub = dataclasses.replace(scene, cameras=[truth[i] for i in keep])
                out["anipose"] = errors(cams_a, sub.cameras, sub, [ours.detections[i] for i in keep]
                                        if ours is not None else [])
                if note:
                    out["anipose_note"] = note
                    out["anipose_cameras"] = [truth[i].name for i in keep]
            except Exception as exc:  # report, do not hide, a failure of the other tool
                out["anipose_error"] = f"{type(exc).__name__}: {exc}"[:400]
        if ours is None:
            return out
        dets = ours.detections
    out["views"] = [int(d.n_views) for d in dets]
    out["lens_models"] = [r.lens_model for r in ours.intrinsics]
    out["ours"] = errors(list(ours.cameras), truth, scene, dets)
    out["ours"]["own_rms_px"] = ours.bundle.rms
    lim = calibrate_detections(dets, board, initial_cameras=truth)
    out["limit"] = errors(list(lim.cameras), truth, scene, dets)
    out["ratio"] = {k: out["ours"][k] / max(out["limit"][k], 1e-9) for k in TARGETS}
    out["met"] = {k: out["ratio"][k] <= v for k, v in TARGETS.items()}
    if "anipose_s" in out and "ours_s" in out and "anipose_note" not in out:
        out["time_ratio"] = out["ours_s"] / out["anipose_s"]
        out["met"]["time"] = out["time_ratio"] <= 0.5
    elif "anipose_s" in out and "ours_s" in out:  # aniposelib calibrated fewer cameras
        out["time_ratio_partial"] = out["ours_s"] / out["anipose_s"]
    return out


def print_lab(results: list[dict]) -> None:
    print("\n| seed | cams | board | dist | method | centre med mm | centre max mm | rot deg "
          "| focal % | true RMS px | time s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        head = f"| {r['seed']} | {r['cameras']} | {r['board']} | {r['distortion']}"
        if "ours_error" in r:
            print(f"{head} | ours | failed: {r['ours_error']} | | | | | |")
        for label, key, tkey in (("ours", "ours", "ours_s"), ("limit", "limit", None),
                                 ("aniposelib", "anipose", "anipose_s")):
            d = r.get(key)
            if d is None:
                if key == "anipose" and "anipose_error" in r:
                    print(f"{head} | aniposelib | failed: {r['anipose_error']} | | | | | |")
                continue
            t = r.get(tkey) if tkey else None
            if key == "anipose" and "anipose_note" in r:
                label = f"aniposelib ({' '.join(r['anipose_cameras'])} only: {r['anipose_note']})"
            print(f"{head} | {label} | {d['centre_median_mm']:.2f} | {d['centre_max_mm']:.2f} | "
                  f"{d['rotation_deg']:.3f} | {d['focal_pct']:.3f} | {d['true_rms_px']:.3f} | "
                  f"{'-' if t is None else f'{t:.1f}'} |")
        if "ratio" not in r:
            continue
        ra = r["ratio"]
        tr = (f", time {r['time_ratio']:.2f}x" if "time_ratio" in r else
              f", time {r['time_ratio_partial']:.2f}x (aniposelib on fewer cameras)"
              if "time_ratio_partial" in r else "")
        missed = [k for k, v in r["met"].items() if not v]
        verdict = "NOT met: " + ", ".join(missed) if missed else "all met"
        print(f"{head} | ours/limit | {ra['centre_median_mm']:.2f}x | | "
              f"{ra['rotation_deg']:.2f}x | {ra['focal_pct']:.2f}x | {ra['true_rms_px']:.2f}x "
              f"| {verdict}{tr} |")
    scored = [r for r in results if "ratio" in r]
    if scored:
        worst = {k: max(r["ratio"][k] for r in scored) for k in TARGETS}
        n_ok = sum(all(r["met"].values()) for r in scored)
        times = [r["time_ratio"] for r in scored if "time_ratio" in r]
        n_ani = sum("anipose" in r for r in results)
        print(f"\n{n_ok} of {len(results)} scenes meet every target ({len(results) - len(scored)}"
              " not calibrated); worst ratio to the limit: "
              + ", ".join(f"{k} {v:.2f}x" for k, v in worst.items())
              + (f"; time ours/aniposelib max {max(times):.2f}x over {len(times)} scenes"
                 if times else "")
              + f"; aniposelib calibrated {n_ani} of {len(results)}")


def run_lab(split: str, seeds: list[int] | None, cache: Path | None, from_cache: bool,
            with_anipose: bool, videos_dir: Path | None = None) -> list[dict]:
    results: list[dict] = []
    failed: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="mocaplab_lab_eval_") as tmp:
        for seed in seeds or SEEDS[split]:
            print(f"lab scene {seed} ...", file=sys.stderr, flush=True)
            try:
                results.append(lab_scene(seed, Path(tmp), cache, from_cache, with_anipose,
                                         videos_dir))
            except Exception as exc:  # a scene mocaplab cannot calibrate: a result, not a crash
                failed.append({"seed": seed, "error": f"{type(exc).__name__}: {exc}"[:300]})
                print(f"| {seed} | FAILED: {failed[-1]['error']} |")
                continue
            print_lab(results[-1:])
    if failed:
        print(f"\n{len(failed)} scene(s) failed: " + "; ".join(
            f"{f['seed']}: {f['error']}" for f in failed))
    return results
