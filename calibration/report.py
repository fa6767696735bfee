"""Calibration quality report: per-camera figures, a plain verdict, JSON + PNG.

The verdict is "good" or a list of "check camera X: <what and why>" sentences, from:

- reprojection RMS after bundle adjustment above ``MAX_RMS_PX``;
- detected corners covering less than ``MIN_COVERAGE`` of the image (distortion at the edges is
  then extrapolated);
- fewer than ``MIN_VIEWS`` board views used;
- fewer than ``MIN_SHARED`` board views shared with any other camera (weak link to the others).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mocaplab.atomic import atomic_path, write_json
from mocaplab.calibration.detect import coverage
from mocaplab.calibration.lenses import GIVEN

if TYPE_CHECKING:
    from mocaplab.calibration.pipeline import Calibration

MAX_RMS_PX = 1.0
MIN_COVERAGE = 0.5
MIN_VIEWS = 8
MIN_SHARED = 5


def build_report(cal: Calibration) -> dict[str, Any]:
    """The report as a JSON-ready dictionary (lengths in metres, errors in pixels)."""
    from mocaplab.calibration.pipeline import per_camera_errors

    ba = cal.bundle
    C = len(cal.cameras)
    rms, views = per_camera_errors(ba, C)
    frames_by_cam = [set(np.unique(ba.observations.board[ba.observations.cam == c]).tolist())
                     for c in range(C)]
    problems: list[str] = []
    cams_out: dict[str, Any] = {}
    for c, cam in enumerate(cal.cameras):
        det = cal.detections[c]
        cov, _ = coverage(det.corners, det.size)
        shared = {cal.cameras[o].name: len(frames_by_cam[c] & frames_by_cam[o])
                  for o in range(C) if o != c}
        best_shared = max(shared.values(), default=0)
        intr_rms = cal.intrinsics[c].rms if cal.intrinsics else None
        cams_out[cam.name] = {
            "reprojection_rms_px": rms[c],
            "intrinsic_rms_px": intr_rms,
            "views_used": int(views[c]),
            "views_detected": int(det.n_views),
            "frames_examined": int(det.n_sampled),
            "image_coverage": cov,
            "shared_views": shared,
            "centre_m": cam.center.tolist(),
            "focal_px": [float(cam.matrix[0, 0]), float(cam.matrix[1, 1])],
            "principal_point_px": [float(cam.matrix[0, 2]), float(cam.matrix[1, 2])],
            "distortion": cam.distortion.tolist(),
        }
        name = cam.name
        if not np.isfinite(rms[c]):
            problems.append(f"check camera {name}: no board view survived the bundle adjustment")
            continue
        if rms[c] > MAX_RMS_PX:
            problems.append(f"check camera {name}: reprojection error {rms[c]:.2f} px (above "
                            f"{MAX_RMS_PX} px): blurred or mis-detected board views, a wrong "
                            "board size, or the camera moved during the recording")
        given = bool(cal.intrinsics) and cal.intrinsics[c].lens_model == GIVEN
        if cov < MIN_COVERAGE and not given:
            problems.append(f"check camera {name}: the board covered only {cov:.0%} of the "
                            "image; sweep it into the corners and along the edges so that lens "
                            "distortion is measured, not extrapolated")
        if views[c] < MIN_VIEWS:
            problems.append(f"check camera {name}: only {views[c]} board views used (want at "
                            f"least {MIN_VIEWS}); record a longer, slower sweep")
        if C > 1 and best_shared < MIN_SHARED:
            problems.append(f"check camera {name}: it shares only {best_shared} board views "
                            "with any other camera; show the board to it together with a "
                            "neighbouring camera")
    notes = []
    undetermined = _undetermined(cal)
    scale = cal.cameras.metadata.get("scale_checks")
    for chk in scale or []:
        if not chk["ok"]:
            a, b = chk["cameras"]
            problems.append(
                f"check the scale: {a}-{b} is {chk['calibrated_m']:.3f} m in the calibration "
                f"but {chk['measured_m']:.3f} m measured ({chk['error_pct']:+.1f} %); the "
                f"board's square length is probably "
                f"{chk['implied_square_length_m'] * 1000:.1f} mm, not "
                f"{cal.board.square_length * 1000:.1f} mm (measure a printed square and pass "
                "--square-length, or check the measurement)")
    if scale is None:
        notes.append("scale not checked: pass --check-distance CAM_A CAM_B METRES (the "
                     "tape-measured distance between two cameras) to catch a wrong board size")
    given_from = cal.cameras.metadata.get("intrinsics_from")
    if given_from:
        how = ("refined in the bundle adjustment" if given_from["refined_in_bundle_adjustment"]
               else "held fixed")
        notes.append(f"intrinsics (lens) of {', '.join(given_from['cameras'])} taken from "
                     f"{given_from['source']}, {how}; only the extrinsics were estimated")
    if cal.floor is None:
        notes.append(f"not floor-aligned: the lab frame is camera "
                     f"{cal.cameras[_reference(cal)].name}'s frame (record the board lying on "
                     "the floor and pass --floor)")
    elif cal.floor.refused_frames:
        notes.append(f"floor frames {list(cal.floor.refused_frames)} refused: the board was "
                     f"elsewhere in them; floor from frames {list(cal.floor.frames)}")
    return {
        "verdict": "good" if not problems else "; ".join(problems),
        "verdict_lines": verdict_lines(problems, undetermined, scale),
        "problems": problems,
        "undetermined": undetermined,
        "scale_checks": scale or [],
        "notes": notes,
        "reprojection_rms_px": ba.rms,
        "n_observations": int(ba.observations.n),
        "n_outliers_removed": int(ba.n_outliers),
        "floor_aligned": cal.floor is not None,
        "floor_fit_rms_px": None if cal.floor is None else cal.floor.rms,
        "board": cal.cameras.metadata.get("board"),
        "cameras": cams_out,
    }


#: How a parameter is held when the data do not determine it.
_HELD = {"cx": "principal point (held at the image centre)",
         "p1": "tangential distortion p1 p2 (held at 0)", "k3": "k3 (held at 0)",
         "k4": "k4 (held at 0)"}
#: A free parameter is "poorly determined" above these standard deviations.
MAX_PRINCIPAL_STD_PX = 5.0
MAX_FOCAL_STD_REL = 0.01


def _undetermined(cal: Calibration) -> dict[str, list[str]]:
    """Per camera: the lens parameters the data could not determine (held fixed by the lens
    model choice) or determined only poorly (standard deviation above the limits)."""
    lenses = cal.cameras.metadata.get("lenses") or {}
    out: dict[str, list[str]] = {}
    for cam in cal.cameras:
        entry = lenses.get(cam.name)
        if entry is None or entry.get("lens_model") is None:
            continue  # given lenses or start cameras: nothing was chosen from the data
        chosen_by = entry.get("chosen_by", "")
        items = ([_HELD[n] for n in entry["held_fixed"] if n in _HELD]
                 if chosen_by == "cross-validation" or chosen_by.startswith("few views")
                 else [])
        if chosen_by.startswith("few views"):
            items.insert(0, f"only {chosen_by.removeprefix('few views ').strip('()')} board "
                            "views of its own (simplest lens, refined with the other cameras)")
        std = entry.get("std", {})
        pp = max(std.get("cx", 0.0), std.get("cy", 0.0))
        if pp > MAX_PRINCIPAL_STD_PX:
            items.append(f"principal point poorly determined (+/- {pp:.1f} px)")
        f = std.get("fx", 0.0) / cam.matrix[0, 0]
        if f > MAX_FOCAL_STD_REL:
            items.append(f"focal length poorly determined (+/- {100 * f:.1f} %)")
        if items:
            out[cam.name] = items
    return out


def verdict_lines(problems: list[str], undetermined: dict[str, list[str]],
                  scale: list[dict] | None) -> list[str]:
    """The verdict as short lines for the terminal and the report image."""
    lines = ["verdict: good" if not problems else
             f"verdict: {len(problems)} thing(s) to check"]
    lines += [f"  - {p}" for p in problems]
    if undetermined:
        lines.append("not determined by the data (add board views near the image corners and "
                     "tilted towards the camera to determine them):")
        lines += [f"  - {cam}: {', '.join(items)}" for cam, items in undetermined.items()]
    for chk in scale or []:
        if chk["ok"]:
            a, b = chk["cameras"]
            lines.append(f"scale check {a}-{b}: {chk['calibrated_m']:.3f} m calibrated, "
                         f"{chk['measured_m']:.3f} m measured ({chk['error_pct']:+.1f} %): ok")
    return lines


def _reference(cal: Calibration) -> int:
    return int(np.argmin([np.linalg.norm(c.rvec) + np.linalg.norm(c.tvec)
                          for c in cal.cameras]))


def plot_report(cal: Calibration, report: dict[str, Any]):
    """A matplotlib figure: layout from above, per-camera errors, image coverage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    C = len(cal.cameras)
    fig = plt.figure(figsize=(max(10, 2.6 * C), 8.5))
    gs = fig.add_gridspec(2, max(C, 2), height_ratios=[1.6, 1])
    half = max(C, 2) // 2
    ax = fig.add_subplot(gs[0, :half])
    basis = _top_view_basis(cal)
    centres = np.stack([c.center for c in cal.cameras]) @ basis.T
    span = max(float(np.ptp(centres[:, :2], axis=0).max()), 0.5)
    for cam in cal.cameras:
        p = basis @ cam.center
        d = basis @ cam.rotation[2]  # optical axis
        ax.plot(p[0], p[1], "o", color="tab:blue")
        ax.arrow(p[0], p[1], d[0] * span * 0.15, d[1] * span * 0.15, head_width=span * 0.02,
                 color="tab:blue")
        ax.annotate(cam.name, (p[0], p[1]), textcoords="offset points", xytext=(5, 5))
    if cal.floor is not None:
        ax.plot(0, 0, "k+", ms=12)
        ax.annotate("lab origin", (0, 0), textcoords="offset points", xytext=(5, -12))
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("X (m)" if cal.floor else "horizontal (m)")
    ax.set_ylabel("Y (m)" if cal.floor else "horizontal (m)")
    ax.set_title("camera layout seen from above" + ("" if cal.floor else
                                                    " (up = cameras' mean image up)"))
    ax.grid(alpha=0.3)
    ax2 = fig.add_subplot(gs[0, half:])
    names = cal.cameras.names
    rms = [report["cameras"][n]["reprojection_rms_px"] for n in names]
    ax2.bar(names, rms, color=["tab:red" if r > MAX_RMS_PX else "tab:green" for r in rms])
    ax2.axhline(MAX_RMS_PX, color="k", ls="--", lw=0.8)
    for i, n in enumerate(names):
        ax2.annotate(f"{report['cameras'][n]['views_used']} views", (i, rms[i]), ha="center",
                     va="bottom", fontsize=8)
    ax2.set_ylabel("reprojection RMS (px)")
    ax2.set_title("per-camera error after bundle adjustment")
    for c, det in enumerate(cal.detections):
        axc = fig.add_subplot(gs[1, c])
        uv = det.corners.reshape(-1, 2)
        axc.plot(uv[:, 0], uv[:, 1], ",", color="tab:blue", alpha=0.5)
        w, h = det.size
        axc.set_xlim(0, w)
        axc.set_ylim(h, 0)
        axc.set_aspect("equal")
        axc.set_xticks([])
        axc.set_yticks([])
        cov = report["cameras"][det.name]["image_coverage"]
        axc.set_title(f"{det.name}: {cov:.0%} covered", fontsize=9)
    import textwrap

    width = int(fig.get_figwidth() * 12)
    lines = [w for line in report["verdict_lines"]
             for w in textwrap.wrap(line, width, subsequent_indent="      ")]
    band = 0.22 * len(lines) + 0.3  # inches of text at the top
    fig.set_figheight(fig.get_figheight() + band)
    fig.tight_layout(rect=(0, 0, 1, 1 - band / fig.get_figheight()))
    fig.text(0.01, 1 - 0.1 / fig.get_figheight(), "\n".join(lines), va="top", ha="left",
             fontsize=10, family="monospace",
             color="black" if not report["problems"] else "darkred")
    return fig


def _top_view_basis(cal: Calibration) -> np.ndarray:
    """(3, 3) rows: two horizontal axes and up. The lab frame when floor-aligned; otherwise
    "up" is the mean image-up direction of the cameras (cameras usually stand upright)."""
    if cal.floor is not None:
        return np.eye(3)
    up = -np.mean([c.rotation[1] for c in cal.cameras], axis=0)
    up /= max(np.linalg.norm(up), 1e-12)
    fwd = cal.cameras[0].rotation[2]
    x = fwd - (fwd @ up) * up
    if np.linalg.norm(x) < 1e-6:
        x = np.cross(up, [1.0, 0.0, 0.0])
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(up, x), up])


def write_calibration_report(cal: Calibration, json_path: str | os.PathLike,
                             png_path: str | os.PathLike,
                             overwrite: bool = False) -> dict[str, Any]:
    """Write the report JSON and PNG atomically; returns the report."""
    import matplotlib.pyplot as plt

    report = build_report(cal)
    write_json(json_path, report, overwrite)
    fig = plot_report(cal, report)
    with atomic_path(Path(png_path), overwrite) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return report
