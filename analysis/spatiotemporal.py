"""Spatiotemporal parameters, leg-length measures and weight shifting, per side.

Every key carries its unit (``_s``, ``_m``, ``_m_s``, ``_pct``, ``_deg``, ``_steps_per_min``).
Per side the value is the mean over strides, ``<key>_sd`` its SD and ``n_strides``/``n_steps``
the counts. Symmetry of a parameter: ``symmetry_index_pct`` = 100 (left - right) /
mean(left, right) (0 = symmetric, positive = left larger) and ``symmetry_ratio`` = left / right.

Definitions (index i = sample, fractional):
- stride: foot strike to the next foot strike of the same side; step of side X: the other
  side's foot strike to X's foot strike.
- footprint: the median heel position over the first 0.15 s after foot strike (foot flat).
  Without a heel marker on a side, the ankle marker, else the toe marker, stands in (see
  :func:`footprint_role`): stride length, speed and (overground) step length are differences of
  one marker's footprints, which any marker on the foot gives alike; step width is left out then
  (a lateral ankle marker or a toe marker is not on the heel's line of progression), and so is a
  treadmill's step length (heels at the strike).
- stride length: horizontal distance between successive footprints of a side (treadmill: belt
  speed x stride time). Step length: footprint of X minus the preceding footprint of the other
  side, along the progression direction (treadmill: heel-to-heel distance at X's foot strike).
  Step width: the same difference along the left axis, absolute.
- stance, swing, single and double support as % of the stride.
- leg lengths: thigh = hip centre to knee, shank = knee to ankle (joint centres if the input has
  them, else the markers/keypoints named in ``labels``), median over the trial. Functional leg
  length: median height of the hip centre above the heel during that side's single support.
- pelvic drop: that side's pelvic obliquity (Plug-in Gait sign: positive = this side higher,
  i.e. the other side dropped) during its single support: mean and maximum.
- weight shifting: mediolateral position of the pelvis centre (a centre-of-mass proxy) in the
  progression frame, linearly detrended over each stride; excursion = max - min, shift towards
  each side = the extreme on that side.
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np

from mocaplab.analysis.cycles import Cycle
from mocaplab.analysis.events import GaitEvent
from mocaplab.analysis.landmarks import Landmarks
from mocaplab.analysis.metrics_spec import METRICS
from mocaplab.analysis.progression import Progression, pelvis_centre
from mocaplab.signal import fill_gaps

SIDES = ("left", "right")


def _nanmean(x) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")


def _nansd(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.std(x, ddof=1)) if x.size > 1 else float("nan")


def _at(x: np.ndarray, i: float) -> np.ndarray:
    """Linear interpolation of x (F, D) at fractional index i."""
    i0 = int(np.clip(np.floor(i), 0, len(x) - 1))
    i1 = min(i0 + 1, len(x) - 1)
    w = i - i0
    return (1 - w) * x[i0] + w * x[i1]


def symmetry(left: float, right: float) -> dict:
    """Symmetry index (%) and ratio (left / right) of two values."""
    with np.errstate(all="ignore"):
        mean = 0.5 * (left + right)
        si = 100.0 * (left - right) / mean if mean != 0 else float("nan")
        ratio = left / right if right != 0 else float("nan")
    return {"symmetry_index_pct": float(si), "symmetry_ratio": float(ratio)}


def aggregate(values: dict[str, list[float]]) -> dict:
    out: dict = {}
    for k, v in values.items():
        out[k] = _nanmean(v)
        out[f"{k}_sd"] = _nansd(v)
    return out


#: the markers a side's footprints are measured from, in order of preference
FOOTPRINT_ROLES = ("HEE", "ANK", "TOE")


def footprint_role(lm: Landmarks, side: str) -> str:
    """The role a side's footprints are measured from: its heel marker, else its ankle marker,
    else its toe marker (the first the input has); the heel role when it has none."""
    s = side[0].upper()
    return next((s + r for r in FOOTPRINT_ROLES if lm.has(s + r)), f"{s}HEE")


def spatiotemporal(lm: Landmarks, prog: Progression, events: list[GaitEvent],
                   cycles: list[Cycle], belt_speed_m_s: float = 0.0) -> dict:
    """Spatiotemporal parameters per side, overall, and their symmetry (see module doc)."""
    fps = lm.fps
    fwd = fill_gaps(prog.forward, fps, max_gap_s=1.0)
    left_ax = fill_gaps(prog.left, fps, max_gap_s=1.0)
    roles = {s: footprint_role(lm, s) for s in SIDES}
    heels = {s: fill_gaps(lm.get(roles[s]), fps, max_gap_s=0.2) for s in SIDES}
    both_heels = all(roles[s].endswith("HEE") for s in SIDES)
    foot_flat = max(1, int(round(0.15 * fps)))

    def footprint(side: str, i: float) -> np.ndarray:
        h = heels[side]
        seg = h[int(round(i)): int(round(i)) + foot_flat + 1]
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(seg, axis=0) if len(seg) else np.full(3, np.nan)

    result: dict = {}
    per_side_vals: dict[str, dict[str, list[float]]] = {}
    for side in SIDES:
        other = "right" if side == "left" else "left"
        vals: dict[str, list[float]] = {k: [] for k in (
            "stride_time_s", "stride_length_m", "speed_m_s", "stance_pct", "swing_pct",
            "double_support_pct", "single_support_pct", "step_time_s", "step_length_m",
            "step_width_m")}
        for c in (c for c in cycles if c.side == side):
            T = c.duration / fps
            vals["stride_time_s"].append(T)
            if prog.treadmill:
                L = belt_speed_m_s * T
            else:
                d = footprint(side, c.end) - footprint(side, c.start)
                L = float(np.linalg.norm(d[:2]))
            vals["stride_length_m"].append(L)
            vals["speed_m_s"].append(L / T)
            stance = 100.0 * (c.foot_off - c.start) / c.duration
            vals["stance_pct"].append(stance)
            vals["swing_pct"].append(100.0 - stance)
            ds = 100.0 * ((c.opp_foot_off - c.start) + (c.foot_off - c.opp_foot_strike)) \
                / c.duration
            vals["double_support_pct"].append(ds)
            vals["single_support_pct"].append(
                100.0 * (c.opp_foot_strike - c.opp_foot_off) / c.duration)
        # steps: every foot strike of this side preceded by one of the other side
        fs_side = [e.index for e in events if e.side == side and e.type == "foot_strike"]
        fs_other = [e.index for e in events if e.side == other and e.type == "foot_strike"]
        for b in fs_side:
            prev = [a for a in fs_other if a < b]
            if not prev:
                continue
            a = prev[-1]
            if (b - a) / fps > 1.5 or prog.excluded[int(a): int(np.ceil(b)) + 1].any():
                continue
            if any(a < x < b for x in fs_side):
                continue
            vals["step_time_s"].append((b - a) / fps)
            f, lft = _at(fwd, b), _at(left_ax, b)
            if prog.treadmill:
                d = _at(heels[side], b) - _at(heels[other], b)
            else:
                d = footprint(side, b) - footprint(other, a)
            # footprints of the same marker on both feet (on a treadmill, heels at the strike:
            # the rear foot is then rolling over its toes, so no other marker stands in)
            if roles[side][1:] == roles[other][1:] and (both_heels or not prog.treadmill):
                vals["step_length_m"].append(float(d @ f))
            vals["step_width_m"].append(float(abs(d @ lft)) if both_heels else float("nan"))
        out = aggregate(vals)
        with np.errstate(all="ignore"):
            out["cadence_steps_per_min"] = 60.0 / out["step_time_s"]
        out["n_strides"] = sum(c.side == side for c in cycles)
        out["n_steps"] = len(vals["step_time_s"])
        per_side_vals[side] = vals
        result[side] = out
    both = {k: per_side_vals["left"][k] + per_side_vals["right"][k]
            for k in per_side_vals["left"]}
    overall = aggregate(both)
    with np.errstate(all="ignore"):
        overall["cadence_steps_per_min"] = 60.0 / overall["step_time_s"]
    overall["n_strides"] = len(cycles)
    overall["n_steps"] = len(both["step_time_s"])
    if prog.treadmill:
        overall["belt_speed_m_s"] = belt_speed_m_s
    result["overall"] = overall
    # every parameter computed here that the spec declares with a symmetry index (step width
    # too; tests/test_metrics_spec.py checks that none is left to be computed at read time)
    result["symmetry"] = {m.key: symmetry(result["left"][m.key], result["right"][m.key])
                          for m in METRICS.in_section("spatiotemporal")
                          if m.symmetry and m.key in result["left"] and m.key in result["right"]}
    return result


def spatial_warnings(lm: Landmarks, prog: Progression, cycles: list[Cycle],
                     result: dict) -> list[str]:
    """What the spatial parameters in ``result`` (the output of :func:`spatiotemporal`) were
    measured from when a side has no heel marker, and why a side with strides has no stride
    length (and so no speed): no foot marker, or the one it measures footprints from is missing
    at foot flat, or (treadmill) no belt speed was found; or, with a stride length, why it has
    no step length (the other side's footprint is missing, or from another marker). [] when
    nothing is missing or stood in for."""
    out: list[str] = []
    roles = {s: footprint_role(lm, s) for s in SIDES}
    stand_in = [s for s in SIDES if not roles[s].endswith("HEE") and
                any(c.side == s for c in cycles)]
    for side in stand_in:
        r = roles[side]
        if prog.treadmill:
            out.append(f"no {side[0].upper()}HEE (heel) marker: {side} step length not "
                       "computed (on a treadmill it is the heel-to-heel distance at the strike; "
                       "stride length is belt speed x stride time)")
            continue
        out.append(f"no {side[0].upper()}HEE (heel) marker: {side} stride length and speed"
                   f"{' and step length' if roles[side][1:] == roles[_other(side)][1:] else ''}"
                   f" are measured between {r} footprints instead (the median {r} position over"
                   " the first 0.15 s of stance; a difference of footprints is the same for any "
                   "marker on the foot)")
    if stand_in and any(result.get(s, {}).get("n_steps") for s in SIDES):
        out.append("step width not computed: it is measured between the heel footprints, and "
                   f"the input has no {' nor '.join(s[0].upper() + 'HEE' for s in stand_in)} "
                   "(an ankle or toe marker is not on the heel's line)")
    for side in SIDES:
        other = _other(side)
        n = sum(c.side == side for c in cycles)
        if n and np.isfinite(result.get(side, {}).get("stride_length_m", np.nan)) \
                and result[side].get("n_steps") \
                and not np.isfinite(result[side].get("step_length_m", np.nan)):
            if prog.treadmill and stand_in:
                continue                      # said above
            if roles[side][1:] != roles[other][1:]:
                out.append(f"{side} step length not computed: its footprints are measured from "
                           f"{roles[side]} and the {other} ones from {roles[other]}")
                continue
            mark = "heel " if roles[other].endswith("HEE") else ""
            out.append(f"{side} step length and width not computed: a {side} step is measured "
                       f"from the {other} {mark}footprint before it, and the {roles[other]} "
                       "marker is missing there")
            continue
        if not n or np.isfinite(result.get(side, {}).get("stride_length_m", np.nan)):
            continue
        role = roles[side]
        what = f"{side} stride length and speed not computed"
        steps = "" if np.isfinite(result[side].get("step_length_m", np.nan)) else \
            ", nor step length and width"
        if prog.treadmill:
            out.append(f"{what}{steps}: no treadmill belt speed found (stride length = belt "
                       "speed x stride time)")
        elif role not in lm.points:
            out.append(f"{what}{steps}: no {side[0].upper()}HEE (heel), ANK nor TOE marker; "
                       "they are measured between footprints (the median heel position over "
                       "the first 0.15 s of stance)")
        else:
            out.append(f"{what}{steps}: the {role} marker is missing at foot flat in "
                       f"{'the' if n == 1 else 'all'} {n} stride{'s' if n > 1 else ''}")
    return out


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def leg_length(lm: Landmarks, cycles: list[Cycle], obliquity: dict[str, np.ndarray]) -> dict:
    """Segment lengths, functional leg length, pelvic drop per side and their asymmetries.

    ``obliquity``: side -> (F,) pelvic obliquity in that side's Plug-in Gait convention (deg).
    """
    out: dict = {"left": {}, "right": {}, "asymmetry": {}, "landmarks": {}}
    for side in SIDES:
        s = side[0].upper()
        hip, knee, ank, heel = (lm.get(f"{s}{r}") for r in ("HJC", "KNE", "ANK", "HEE"))
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            thigh = float(np.nanmedian(np.linalg.norm(hip - knee, axis=1)))
            shank = float(np.nanmedian(np.linalg.norm(knee - ank, axis=1)))
        d = out[side]
        d["thigh_length_m"] = thigh
        d["shank_length_m"] = shank
        d["leg_length_m"] = thigh + shank
        hh, mean_obl, max_obl = [], [], []
        for c in (c for c in cycles if c.side == side):
            if not (np.isfinite(c.opp_foot_off) and np.isfinite(c.opp_foot_strike)):
                continue
            i0, i1 = int(np.ceil(c.opp_foot_off)), int(np.floor(c.opp_foot_strike)) + 1
            if i1 <= i0:
                continue
            hh.extend((hip[i0:i1, 2] - heel[i0:i1, 2]).tolist())
            ob = obliquity[side][i0:i1]
            if np.isfinite(ob).any():
                mean_obl.append(float(np.nanmean(ob)))
                max_obl.append(float(np.nanmax(ob)))
        d["functional_leg_length_m"] = float(np.nanmedian(hh)) if np.isfinite(hh).any() \
            else float("nan")
        d["pelvic_obliquity_single_support_mean_deg"] = _nanmean(mean_obl)
        d["pelvic_drop_contralateral_max_deg"] = _nanmean(max_obl)
        out["landmarks"][side] = {r: lm.labels.get(f"{s}{r}", "missing")
                                  for r in ("HJC", "KNE", "ANK", "HEE")}
    a = out["asymmetry"]
    for key in ("thigh_length_m", "shank_length_m", "leg_length_m", "functional_leg_length_m",
                "pelvic_obliquity_single_support_mean_deg",
                "pelvic_drop_contralateral_max_deg"):
        stem, unit = key.rsplit("_", 1)
        a[f"{stem}_left_minus_right_{unit}"] = out["left"][key] - out["right"][key]
    return out


def weight_shift(lm: Landmarks, prog: Progression, cycles: list[Cycle]) -> dict:
    """Mediolateral excursion of the pelvis centre per stride and its left/right symmetry."""
    fps = lm.fps
    centre = fill_gaps(pelvis_centre(lm), fps, max_gap_s=0.2)
    lat = np.einsum("fi,fi->f", centre, fill_gaps(prog.left, fps, max_gap_s=1.0))
    exc, to_l, to_r = [], [], []
    for c in cycles:
        i0, i1 = int(np.ceil(c.start)), int(np.floor(c.end)) + 1
        seg = lat[i0:i1]
        if len(seg) < 3 or not np.isfinite(seg).all():
            continue
        trend = np.linspace(seg[0], seg[-1], len(seg))
        r = seg - trend
        r = r - r.mean()
        exc.append(float(r.max() - r.min()))
        to_l.append(float(r.max()))
        to_r.append(float(-r.min()))
    out = {"mediolateral_excursion_m": _nanmean(exc), "mediolateral_excursion_m_sd": _nansd(exc),
           "shift_towards_left_m": _nanmean(to_l), "shift_towards_right_m": _nanmean(to_r),
           "n_strides": len(exc), "landmark": "pelvis centre"}
    out["symmetry"] = symmetry(out["shift_towards_left_m"], out["shift_towards_right_m"])
    return out
