"""Gait events (foot strike, foot off) from kinematics, at any frame rate.

Two methods, combined:

- Zeni et al. (2008) coordinate method: foot strike at the maxima of the heel position relative
  to the pelvis centre along the progression direction; foot off at the minima of the toe
  position. Robust for finding each step, but biased early (about 30-40 ms for foot strike on
  the Kinetics Toolkit walk trial).
- Foot-velocity method: foot strike when the horizontal heel speed relative to the ground (the
  belt on a treadmill) falls below ``fs_fraction`` (15 %) of its peak in the late swing just
  before (for skin markers never above ``fs_max_speed_m_s``, 0.35 m/s, and averaged with the
  time the heel marker is at its lowest, ``fs_heel_low``; or earlier where the
  toe marker comes to rest within ``forefoot_contact_m`` of its stance level: a forefoot
  landing); foot off, for skin
  markers (``fo_toe_speed_m_s``), where the toe marker's horizontal speed rises through 1.2 m/s
  (its speed at release on all three tuning trials, walking at 0.9-1.6 m/s; the crossing
  that leads into the step's own swing peak), else at the peak
  upward velocity of the toe (the toe leaving the ground), with sub-frame (parabolic)
  interpolation. ``fs_fraction``, ``fs_max_speed_m_s`` and ``fo_toe_speed_m_s`` were tuned on
  part of the marker corpus (benchmarks/events_eval.py says which part and reports on the rest).
- Force plates (:func:`plate_timed_events`): where a C3D's plates give clean contacts, the
  events they match take their time and the trial's other events are shifted by its median
  plate offset (analysis/pipeline.py does it for the default method).
- Without a heel marker, strikes are timed from the ankle (then the toe); without a toe marker,
  offs from the ankle (then the heel); a warning says so.

Combination: Zeni finds one candidate per step (so the velocity method never confuses steps);
the velocity method, searched in a window around each candidate, gives the timing. If the
velocity method finds no clear crossing / peak in its window, the Zeni time is kept and the event
says so (``method``). Trajectories are gap-filled (up to 0.2 s) and low-pass filtered (8 Hz,
capped below Nyquist) before differentiation.

Edges of the recording: Zeni's signals are padded so that a step in the first or last frames is
a candidate too; a candidate on the very first or last sample is kept only when the velocity
method times it inside the recording (a toe lift there must reach half the trial's typical lift
speed), and a strike whose late swing began before the recording takes the trial's typical swing
speed for its threshold. Events from the second frame on are found.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.signal import find_peaks

from mocaplab.analysis.landmarks import Landmarks
from mocaplab.analysis.progression import Progression, pelvis_centre
from mocaplab.signal import derivative, fill_gaps, lowpass, runs

SIDES = ("left", "right")


@dataclasses.dataclass(frozen=True)
class GaitEvent:
    """One event detected here. ``index`` is the fractional sample index (0 = first stored
    frame). An event labelled in a C3D/TRC file is a :class:`mocaplab.marker_io.LabelledEvent`
    (time and 1-based frame, no method)."""

    side: str
    type: str          # "foot_strike" or "foot_off"
    index: float
    method: str        # "combined", "zeni" (velocity method inconclusive) or "velocity"


@dataclasses.dataclass(frozen=True)
class EventOptions:
    """Tuning of the event detection (times in seconds, speeds as fractions)."""

    fs_fraction: float = 0.15
    fs_window_s: tuple[float, float] = (-0.10, 0.15)
    fo_window_s: tuple[float, float] = (-0.06, 0.12)
    #: strike threshold never above this heel speed (m/s; 0 = no cap): the heel's speed at
    #: contact does not grow with a faster swing (tuning part: 0.35 m/s)
    fs_max_speed_m_s: float = 0.0
    #: foot off where the toe MARKER's horizontal speed rises through this (m/s; 0 = at the
    #: toe's peak upward velocity instead). Skin markers only: a markerless foot_index is the
    #: toe tip, the pivot of push-off, which moves differently.
    fo_toe_speed_m_s: float = 0.0
    fo_speed_window_s: tuple[float, float] = (-0.08, 0.12)
    #: ... and never above this fraction of the step's toe swing peak (slow walkers; re-fitted
    #: per fold by ``events_eval.py --cv``)
    fo_toe_peak_fraction: float = 0.5
    #: forefoot landings (skin markers; 0 = off): a strike is also found where the toe marker
    #: comes to rest first (horizontal speed below the strike threshold) within this height
    #: of its stance level, the toe marker's median height while nearly still in this trial;
    #: the earlier of heel and toe contact is the strike. In a heel strike the toe is still
    #: 10-50 mm up and moving at 0.5-0.9 m/s when the heel lands (tuning trials), so the heel
    #: is earlier there and nothing changes.
    forefoot_contact_m: float = 0.0
    #: heel strikes (skin markers; False = off): the heel contact is the mean of the time the
    #: heel's ground speed falls below the strike threshold and the time the heel marker is at
    #: its lowest within ``fs_low_window_s`` of that crossing, when that lowest point is more
    #: than ``fs_low_depth_m`` below the heel's stance level (a real heel pad is compressed at
    #: contact, 3-16 mm below its mid-stance height on the tuning files; a synthetic foot that
    #: does not model contact stays level and keeps the speed alone): the horizontal arrest and
    #: the vertical bottoming of the heel, two cues whose per-trial biases differ. Tuning part
    #: (12 files, session 8), heel strikes against labels and plates: 9.9 ms mean absolute
    #: error vs 15.0 ms for the speed alone and 11.0 ms for the lowest point alone.
    fs_heel_low: bool = False
    fs_low_window_s: tuple[float, float] = (-0.05, 0.10)
    fs_low_depth_m: float = 0.0
    #: weight of the heel's lowest point against its speed arrest (0.5 = the mean; 1 = the
    #: lowest point alone; re-fitted per fold by ``events_eval.py --cv``)
    fs_low_weight: float = 0.5
    #: strikes timed from the ANKLE (no heel marker; skin markers; 0 = off): the ankle marker's
    #: peak upward acceleration (the foot's landing deceleration) within ``fs_window_s`` of
    #: the speed arrest, made earlier by this lead (s): the ankle lands after the heel. Tuned
    #: with the heels hidden on the 15 tuning files (session 9): the peak is a median of 26 ms
    #: after the heel strike over files (per-file sd 16 ms), against +25 ms (sd 23) for the
    #: ankle's speed arrest. Without such a peak the speed arrest is kept.
    fs_ankle_accel_lead_s: float = 0.0
    #: foot offs (skin markers; 0 = off): moved this fraction of the way from the toe-speed
    #: release to the toe marker's lift onset, its peak upward acceleration within
    #: ``fo_lift_window_s`` of the release. Session 13, judged by the nested cross-validation
    #: (``events_eval.py --cv both --family lift``, weight re-fitted per fold): better against
    #: labels, worse against plates (leave one lab out 16.4 / 13.4 ms vs 17.3 / 13.0 without),
    #: so not shipped.
    fo_lift_weight: float = 0.0
    fo_lift_window_s: tuple[float, float] = (-0.12, 0.06)
    min_step_s: float = 0.35      # same-side events closer than this are one event
    cutoff_hz: float = 8.0


#: options for skin markers: ``fs_fraction`` tuned on the TUNE part of the marker corpus
#: (benchmarks/events_eval.py); markerless keypoints keep the defaults (smoothed more, see
#: analysis/pipeline.py).
MARKER_EVENT_OPTIONS = EventOptions(fs_fraction=0.12, fs_max_speed_m_s=0.35,
                                    fo_toe_speed_m_s=1.2, forefoot_contact_m=0.015,
                                    fs_heel_low=True, fs_low_depth_m=0.003,
                                    fs_ankle_accel_lead_s=0.026)


def _side_roles(side: str) -> tuple[str, str]:
    s = side[0].upper()
    return f"{s}HEE", f"{s}TOE"


#: markers that time each event, best first: the heel for strikes, the toe for offs; the ankle
#: (or the other end of the foot) when a lab's set has no such marker.
STRIKE_ROLES = ("HEE", "ANK", "TOE")
OFF_ROLES = ("TOE", "ANK", "HEE")


def foot_roles(lm: Landmarks, side: str) -> tuple[str | None, str | None]:
    """The roles (e.g. "LHEE", "LTOE") that time this side's strikes and offs; None if none."""
    s = side[0].upper()
    strike = next((s + r for r in STRIKE_ROLES if lm.has(s + r)), None)
    off = next((s + r for r in OFF_ROLES if lm.has(s + r)), None)
    return strike, off


def belt_speed(lm: Landmarks, prog: Progression) -> float:
    """Treadmill belt speed (m/s) from the backward heel/toe speed in stance; 0 overground."""
    if not prog.treadmill:
        return 0.0
    vals = []
    for side in SIDES:
        for role in _side_roles(side):
            if not lm.has(role):
                continue
            p = lowpass(fill_gaps(lm.get(role), lm.fps, max_gap_s=0.2), lm.fps,
                        cutoff_hz=8.0, max_cutoff_nyquist=0.45)
            v = np.einsum("fi,fi->f", derivative(p, lm.fps), prog.forward)
            low = p[:, 2] < np.nanpercentile(p[:, 2], 30)
            vals.append(-v[low & np.isfinite(v)])
    allv = np.concatenate(vals) if vals else np.array([])
    return float(np.median(allv)) if allv.size else 0.0


def ground_speed(lm: Landmarks, prog: Progression, role: str, opts: EventOptions,
                 belt: float) -> np.ndarray:
    """(F,) horizontal speed (m/s) of a foot marker relative to the ground (the belt on a
    treadmill), gap-filled and low-passed as event detection does."""
    p = lowpass(fill_gaps(lm.get(role), lm.fps, max_gap_s=0.2), lm.fps,
                cutoff_hz=opts.cutoff_hz, max_cutoff_nyquist=0.45)
    vel = derivative(p, lm.fps) + belt * np.nan_to_num(prog.forward)
    return np.linalg.norm(vel[:, :2], axis=1)


#: a marker is "nearly still" below this 3D speed (m/s): mid-stance, for its stance level
STILL_M_S = 0.1


def _forefoot(lm: Landmarks, prog: Progression, s: str, opts: EventOptions,
              belt: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(horizontal ground speed m/s, height above its stance level m), both (F,), of the toe
    marker (:func:`_height_above_stance`); None without a toe marker or without still
    frames."""
    if not lm.has(s + "TOE"):
        return None
    return _height_above_stance(lm, prog, s + "TOE", opts, belt)


def _height_above_stance(lm: Landmarks, prog: Progression, role: str, opts: EventOptions,
                         belt: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(horizontal ground speed m/s, height above its stance level m), both (F,), of a foot
    marker; its stance level is its median height over this trial's frames where it is nearly
    still. None without such frames."""
    p = lowpass(fill_gaps(lm.get(role), lm.fps, max_gap_s=0.2), lm.fps,
                cutoff_hz=opts.cutoff_hz, max_cutoff_nyquist=0.45)
    v = derivative(p, lm.fps) + belt * np.nan_to_num(prog.forward)
    still = np.isfinite(p[:, 2]) & (np.linalg.norm(v, axis=1) < STILL_M_S)
    if not still.any():
        return None
    return np.linalg.norm(v[:, :2], axis=1), p[:, 2] - np.median(p[still, 2])


def lowest_near(height: np.ndarray, t: float, window: tuple[float, float], fps: float,
                below_m: float = 0.0) -> float:
    """Fractional index of the lowest ``height`` within ``window`` (s) of index ``t``
    (parabolic sub-sample estimate), provided it is below ``-below_m``; NaN if ``t`` is NaN,
    the window holds no sample or the lowest point is not that low."""
    if not np.isfinite(t):
        return np.nan
    i0 = max(int(np.floor(t + window[0] * fps)), 0)
    i1 = min(int(np.ceil(t + window[1] * fps)) + 1, len(height))
    seg = height[i0:i1]
    if i1 <= i0 or not np.isfinite(seg).any():
        return np.nan
    j = i0 + int(np.nanargmin(seg))
    if not height[j] < -below_m:
        return np.nan
    if 0 < j < len(height) - 1 and np.isfinite(height[j - 1:j + 2]).all():
        y0, y1, y2 = height[j - 1], height[j], height[j + 1]
        den = y0 - 2 * y1 + y2
        if den > 0:
            return j + 0.5 * (y0 - y2) / den
    return float(j)


def contact_onset(speed: np.ndarray, height: np.ndarray, i0: int, i1: int, thr: float,
                  gate_m: float) -> float:
    """First fractional index in (i0, i1) where a marker is at rest on the floor: ``speed``
    below ``thr`` and ``height`` (above its stance level) below ``gate_m``, interpolated on
    the condition met last; NaN if none."""
    ok = (speed < thr) & (height < gate_m)
    for j in range(max(i0, 0) + 1, min(i1, len(ok))):
        if ok[j] and not ok[j - 1]:
            for x, lim in ((speed, thr), (height, gate_m)):
                if x[j - 1] >= lim > x[j]:
                    return j - 1 + (x[j - 1] - lim) / (x[j - 1] - x[j])
            return float(j)
    return np.nan


def zeni_events(lm: Landmarks, prog: Progression, side: str,
                opts: EventOptions = EventOptions()) -> tuple[np.ndarray, np.ndarray]:
    """Zeni candidates (sample indices) of (foot strikes, foot offs) for one side."""
    heel_r, toe_r = foot_roles(lm, side)
    centre = fill_gaps(pelvis_centre(lm), lm.fps, max_gap_s=0.2)
    dist = max(1, int(round(opts.min_step_s * lm.fps)))
    out = []
    for role, sign in ((heel_r, 1.0), (toe_r, -1.0)):
        if role is None:
            out.append(np.array([], dtype=int))
            continue
        pos = fill_gaps(lm.get(role), lm.fps, max_gap_s=0.2)
        rel = np.einsum("fi,fi->f", pos - centre, prog.forward)
        peaks = []
        for s, e in runs(np.isfinite(rel)):
            if e - s < 3:
                continue
            seg = sign * rel[s:e]
            lo = np.nanmin(seg)
            prom = 0.1 * (np.nanmax(seg) - lo)
            # padded with the segment's minimum at both ends, so that a step in the first or
            # last frames is found too (its peak may even be the end sample: see detect_events)
            pk, _ = find_peaks(np.concatenate([[lo], seg, [lo]]), distance=dist,
                               prominence=prom)
            peaks += [s + k - 1 for k in pk]
        out.append(np.array(peaks, dtype=int))
    return out[0], out[1]


def at_trial_edge(k: int, x: np.ndarray) -> bool:
    """True if sample ``k`` is the first or last finite sample of its run in ``x``: a Zeni
    candidate there may only mean that the step goes on outside the recording."""
    fin = np.isfinite(x)
    return (k == 0 or not fin[k - 1]) or (k == len(x) - 1 or not fin[k + 1])


def swing_peak_speed(speed: np.ndarray, candidates: np.ndarray, fps: float,
                     back_s: float = 0.3) -> np.ndarray:
    """Per candidate, the peak ``speed`` of the late swing before it (``back_s`` back); where
    the recording starts inside that span, the median of the complete spans' peaks (the trial's
    own swing speed), so that a strike in the first frames gets a comparable threshold."""
    n = int(back_s * fps)
    full = [np.nanmax(speed[k - n: k + 1]) for k in candidates
            if k - n >= 0 and np.isfinite(speed[k - n: k + 1]).any()]
    typical = float(np.median(full)) if full else float(np.nanmax(speed, initial=np.nan))
    out = []
    for k in candidates:
        back = speed[max(k - n, 0): k + 1]
        out.append(np.nanmax(back) if k - n >= 0 and np.isfinite(back).any() else typical)
    return np.array(out, dtype=float)


def _first_down_crossing(x: np.ndarray, i0: int, i1: int, thr: float) -> float:
    for j in range(max(i0, 0) + 1, min(i1, len(x))):
        if x[j - 1] >= thr > x[j]:
            return j - 1 + (x[j - 1] - thr) / (x[j - 1] - x[j])
    return np.nan


def _peak(x: np.ndarray, i0: int, i1: int, min_value: float) -> float:
    i0, i1 = max(i0, 1), min(i1, len(x) - 1)
    if i1 <= i0:
        return np.nan
    seg = x[i0:i1]
    if not np.isfinite(seg).any():
        return np.nan
    j = i0 + int(np.nanargmax(seg))
    y0, y1, y2 = x[j - 1], x[j], x[j + 1]
    if not (np.isfinite([y0, y1, y2]).all() and y1 >= y0 and y1 >= y2 and y1 > min_value):
        return np.nan
    den = y0 - 2 * y1 + y2
    return j + (0.5 * (y0 - y2) / den if den < 0 else 0.0)


def _toe_release(toe_speed: np.ndarray, k: int, fps: float, opts: EventOptions,
                 fallback: float) -> float:
    """Foot off of Zeni candidate ``k``: where the toe marker's horizontal speed rises through
    ``opts.fo_toe_speed_m_s`` (capped at half the step's swing peak, for slow walkers) on its
    way to this step's swing peak (within 0.3 s after ``k``): the last such crossing before
    the peak (searched back from it over 0.3 s, or to the start of
    ``opts.fo_speed_window_s``), so that a Zeni candidate
    late by more than the window still gets its own step's release, and a brief rise of the
    toe's speed in stance does not; ``fallback`` (the toe-lift peak) if none."""
    w0 = k + int(np.floor(opts.fo_speed_window_s[0] * fps))
    swing = toe_speed[max(k, 0): k + int(0.3 * fps) + 1]
    if not np.isfinite(swing).any():
        return fallback
    thr = min(opts.fo_toe_speed_m_s, opts.fo_toe_peak_fraction * float(np.nanmax(swing)))
    peak = max(k, 0) + int(np.nanargmax(swing))
    first = max(min(w0, peak - int(0.3 * fps)), 0)
    for j in range(min(peak, len(toe_speed) - 1), first, -1):
        if toe_speed[j - 1] <= thr < toe_speed[j]:
            return j - 1 + (thr - toe_speed[j - 1]) / (toe_speed[j] - toe_speed[j - 1])
    return fallback


def _event(side: str, kind: str, k: int, t: float, signal: np.ndarray) -> GaitEvent | None:
    """The event of Zeni candidate ``k`` timed at ``t`` (NaN: the velocity method found nothing,
    keep the Zeni time), or None for a candidate on the recording's first or last sample that
    the velocity method does not confirm (the step may lie outside the recording)."""
    if np.isfinite(t):
        return GaitEvent(side, kind, float(t), "combined")
    if at_trial_edge(int(k), signal):
        return None
    return GaitEvent(side, kind, float(k), "zeni")


def detect_events(lm: Landmarks, prog: Progression, opts: EventOptions = EventOptions(),
                  method: str = "combined") -> tuple[list[GaitEvent], list[str]]:
    """Foot strikes and foot offs of both sides, sorted by time, and warnings.

    ``method``: "combined" (default), "zeni" (coordinate method only).
    """
    fps = lm.fps
    warnings: list[str] = []
    events: list[GaitEvent] = []
    if not prog.passes:      # not walking: every frame is excluded, nothing to search or to say
        return events, warnings
    belt = belt_speed(lm, prog)
    # where Zeni's signal (foot relative to the pelvis along the pass) exists: a strike candidate
    # on the edge of it that the velocity method does not confirm is dropped as at the
    # recording's edges (a foot already in stance when the pelvis markers or the pass begin:
    # OpenSim's walking5.c3d had a strike there, a 0.58 s stride with 30 % stance)
    zeni_ok = np.isfinite(fill_gaps(pelvis_centre(lm), fps, max_gap_s=0.2)).all(axis=1) & \
        np.isfinite(prog.forward).all(axis=1)

    def edged(x: np.ndarray) -> np.ndarray:
        return np.where(zeni_ok, x, np.nan)

    for side in SIDES:
        heel_r, toe_r = foot_roles(lm, side)
        s = side[0].upper()
        if heel_r is None:
            warnings.append(
                f"no heel, ankle or toe trajectory for the {side} foot: its events cannot be "
                "detected; cycles and spatiotemporal parameters that depend on them are not "
                "computed")
            continue
        for role, usual, what in ((heel_r, "HEE", "strikes"), (toe_r, "TOE", "offs")):
            if role != s + usual:
                label = lm.labels.get(role, role)
                named = role if label == role else f"{role} ({label})"   # not "LANK (LANK)"
                warnings.append(f"no {s}{usual} marker: {side} foot {what} are timed from "
                                f"{named}, expect them less "
                                "exact than from the " + ("heel" if usual == "HEE" else "toe"))
        missing: list[str] = []
        fs_z, fo_z = zeni_events(lm, prog, side, opts)
        if heel_r not in missing:
            hspeed = ground_speed(lm, prog, heel_r, opts, belt)
            peaks = swing_peak_speed(hspeed, fs_z, fps)
            forefoot = _forefoot(lm, prog, s, opts, belt) \
                if opts.forefoot_contact_m > 0 and heel_r == s + "HEE" else None
            heel = _height_above_stance(lm, prog, heel_r, opts, belt) \
                if opts.fs_heel_low and heel_r == s + "HEE" else None
            heel_z = None if heel is None else heel[1]
            ankle_az = None
            if opts.fs_ankle_accel_lead_s > 0 and heel_r == s + "ANK":
                pa = lowpass(fill_gaps(lm.get(heel_r), fps, max_gap_s=0.2), fps,
                             cutoff_hz=opts.cutoff_hz, max_cutoff_nyquist=0.45)
                ankle_az = derivative(derivative(pa, fps), fps)[:, 2]
            for k, peak in zip(fs_z, peaks, strict=True):
                t = np.nan
                if method == "combined" and np.isfinite(peak):
                    w0 = k + int(np.floor(opts.fs_window_s[0] * fps))
                    w1 = k + int(np.ceil(opts.fs_window_s[1] * fps)) + 1
                    thr = opts.fs_fraction * peak
                    if opts.fs_max_speed_m_s > 0:
                        thr = min(thr, opts.fs_max_speed_m_s)
                    t = _first_down_crossing(hspeed, w0, w1, thr)
                    if heel_z is not None:  # and the heel at its lowest
                        low = lowest_near(heel_z, t, opts.fs_low_window_s, fps,
                                          opts.fs_low_depth_m)
                        if np.isfinite(low):
                            t = t + opts.fs_low_weight * (low - t)
                    if ankle_az is not None and np.isfinite(t):  # the ankle's landing
                        pk = _peak(ankle_az, int(np.floor(t + opts.fs_window_s[0] * fps)),
                                   int(np.ceil(t + opts.fs_window_s[1] * fps)) + 1, 0.0)
                        if np.isfinite(pk):
                            t = pk - opts.fs_ankle_accel_lead_s * fps
                    if forefoot is not None:  # the toe landed first
                        t = np.fmin(t, contact_onset(*forefoot, w0, w1, thr,
                                                     opts.forefoot_contact_m))
                    # on the edge of Zeni's signal (the pelvis markers or the pass begin or end)
                    # while the heel is tracked on, and the heel already slower than a strike:
                    # the foot was in stance there, its strike came before (dropped below).
                    # The recording's own edges keep the rule of _event.
                    if at_trial_edge(int(k), edged(hspeed)) and \
                            not at_trial_edge(int(k), hspeed) and hspeed[int(k)] < thr:
                        t = np.nan
                events.append(_event(side, "foot_strike", k, t, edged(hspeed)))
        if toe_r not in missing:
            toe = lowpass(fill_gaps(lm.get(toe_r), fps, max_gap_s=0.2), fps,
                          cutoff_hz=opts.cutoff_hz, max_cutoff_nyquist=0.45)
            vz = derivative(toe, fps)[:, 2]
            times = []
            for k in fo_z:
                t = np.nan
                if method == "combined":
                    w0 = k + int(np.floor(opts.fo_window_s[0] * fps))
                    w1 = k + int(np.ceil(opts.fo_window_s[1] * fps)) + 1
                    t = _peak(vz, w0, w1, 0.02)
                times.append(t)
            # a toe lift timed on the recording's last sample must look like the others (not a
            # filter ripple of a foot still in stance): at least half their typical peak speed
            lifts = [vz[int(round(t))] for k, t in zip(fo_z, times, strict=True)
                     if np.isfinite(t) and not at_trial_edge(int(k), vz)]
            typical = float(np.median(lifts)) if lifts else 0.0
            speed_timed = method == "combined" and opts.fo_toe_speed_m_s > 0 and \
                toe_r == s + "TOE"
            if speed_timed:
                toe_speed = ground_speed(lm, prog, toe_r, opts, belt)
                az = derivative(derivative(toe, fps), fps)[:, 2] \
                    if opts.fo_lift_weight > 0 else None
            for k, t in zip(fo_z, times, strict=True):
                if np.isfinite(t) and at_trial_edge(int(k), vz) and \
                        vz[int(round(t))] < 0.5 * typical:
                    t = np.nan
                # at the recording's edges only a confirmed toe lift is timed by the speed
                if speed_timed and (np.isfinite(t) or not at_trial_edge(int(k), vz)):
                    t = _toe_release(toe_speed, int(k), fps, opts, fallback=t)
                    if az is not None and np.isfinite(t):   # and the toe's lift onset
                        lift = _peak(az, int(np.floor(t + opts.fo_lift_window_s[0] * fps)),
                                     int(np.ceil(t + opts.fo_lift_window_s[1] * fps)) + 1, 0.0)
                        if np.isfinite(lift):
                            t = t + opts.fo_lift_weight * (lift - t)
                events.append(_event(side, "foot_off", k, t, vz))
    events = [e for e in events if e is not None]
    n_fallback = sum(e.method == "zeni" for e in events)
    if method == "combined" and n_fallback:
        warnings.append(f"{n_fallback} event(s) kept at the Zeni time (velocity method "
                        "inconclusive in its window): expect them about 30 ms early")
    # drop events inside excluded (turning/standing) frames
    keep = []
    for e in events:
        i = int(round(e.index))
        if 0 <= i < len(prog.excluded) and not prog.excluded[i]:
            keep.append(e)
    if len(keep) < len(events):
        warnings.append(f"{len(events) - len(keep)} event(s) in turns or standing excluded")
    keep.sort(key=lambda e: (e.index, e.side))
    return keep, warnings


def calibrate_to_plates(events: list[GaitEvent], contacts: list[tuple[str, str, float]],
                        fps: float, match_s: float = 0.5 * EventOptions.min_step_s
                        ) -> tuple[list[GaitEvent], list[str]]:
    """A trial's kinematic events timed with its force-plate contacts, as a gait lab does.

    ``contacts``: (side, type, index) of the clean plate contacts (fractional sample index,
    :func:`mocaplab.analysis.force_plates.plate_contacts`). A kinematic event within
    ``match_s`` (half the shortest step, so one step never gives two events) of a contact of
    its side and type takes the contact's time (method "force_plate"); the other events of
    that type are shifted by the trial's median contact-minus-kinematic offset of that type
    (method "<method>+plates"), which adapts the kinematic timing to this subject, lab and
    marker placement. A contact no kinematic event matched is added. Returns (events sorted
    by time, notes).
    """
    win = match_s * fps
    out: list[GaitEvent] = []
    notes: list[str] = []
    for kind in ("foot_strike", "foot_off"):
        mine = [e for e in events if e.type == kind]
        used: dict[int, float] = {}
        extra = []
        for side, typ, idx in contacts:
            if typ != kind:
                continue
            cands = [(abs(e.index - idx), k) for k, e in enumerate(mine)
                     if e.side == side and k not in used]
            best = min(cands) if cands else None
            if best and best[0] <= win:
                used[best[1]] = idx
            else:
                extra.append(GaitEvent(side, kind, float(idx), "force_plate"))
        offsets = [used[k] - mine[k].index for k in used]
        shift = float(np.median(offsets)) if offsets else 0.0
        for k, e in enumerate(mine):
            if k in used:
                out.append(GaitEvent(e.side, kind, used[k], "force_plate"))
            elif offsets:
                out.append(GaitEvent(e.side, kind, e.index + shift, f"{e.method}+plates"))
            else:
                out.append(e)
        out += extra
        if offsets:
            notes.append(f"{len(used) + len(extra)} {kind.replace('_', ' ')}(s) from the force "
                         f"plates; the other {len(mine) - len(used)} shifted by this trial's "
                         f"median plate offset, {1000 * shift / fps:+.0f} ms")
    out.sort(key=lambda e: (e.index, e.side))
    return out, notes


def plate_timed_events(lm: Landmarks, prog: Progression, opts: EventOptions,
                       contacts: list[tuple[str, str, float]]
                       ) -> tuple[list[GaitEvent], list[str]]:
    """Events of a trial with force plates: the kinematic events (:func:`detect_events`)
    timed with its plate contacts (:func:`calibrate_to_plates`). Returns (events, notes)."""
    events, _ = detect_events(lm, prog, opts)
    return calibrate_to_plates(events, contacts, lm.fps)
