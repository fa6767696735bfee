"""Gait events: Zeni + foot velocity, at any frame rate, against labelled and synthetic truth."""

from __future__ import annotations

import numpy as np
import pytest

from mocaplab.analysis.events import detect_events
from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.progression import progression
from mocaplab.synthetic.gait import parametric_walk


def _errors(found, truth, first_frame, fps):
    """Signed error (s) of the nearest detected event of each truth event (side, type, time)."""
    errs = []
    for side, typ, t in truth:
        cand = [(first_frame + e.index - 1) / fps for e in found
                if e.side == side and e.type == typ]
        assert cand, f"no {side} {typ} detected"
        errs.append(min(cand, key=lambda c: abs(c - t)) - t)
    return np.array(errs)


@pytest.mark.parametrize("fps", [30.0, 60.0, 100.0, 120.0])
def test_synthetic_events_within_two_frames_at_any_fps(fps):
    w = parametric_walk(fps=fps, duration_s=5.0)
    lm = find_landmarks(w.markers, w.marker_labels, w.fps)
    events, warnings = detect_events(lm, progression(lm))
    truth = [(s, t, te) for s, t, te in w.events]
    err = _errors(events, truth, 1, fps)
    assert len(events) == len(truth)
    assert np.max(np.abs(err)) <= 2.0 / fps + 1e-9, err


def test_markerless_keypoints_give_the_same_events():
    w = parametric_walk(duration_s=5.0, heading_deg=180.0)
    kp = w.keypoints
    lm = find_landmarks(kp.points, kp.keypoints, kp.fps)
    events, _ = detect_events(lm, progression(lm))
    err = _errors(events, list(w.events), 1, w.fps)
    assert np.max(np.abs(err)) <= 0.02


def test_treadmill_events():
    w = parametric_walk(duration_s=5.0, treadmill=True)
    lm = find_landmarks(w.markers, w.marker_labels, w.fps)
    prog = progression(lm)
    assert prog.treadmill
    events, _ = detect_events(lm, prog)
    err = _errors(events, list(w.events), 1, w.fps)
    assert np.max(np.abs(err)) <= 0.02


def test_walk_c3d_every_labelled_event_found_within_tolerance(shared_data):
    from mocaplab.marker_io import read_c3d

    t = read_c3d(shared_data / "kineticstoolkit_walk" / "walk.c3d")
    lm = find_landmarks(t.points, t.labels, t.fps, t.first_frame)
    prog = progression(lm)
    truth = [(e.side, e.type, e.time_s) for e in t.events]
    assert len(truth) == 8
    events, warnings = detect_events(lm, prog)
    assert not warnings
    err = _errors(events, truth, t.first_frame, t.fps)
    assert np.mean(np.abs(err)) <= 0.010, err
    assert np.max(np.abs(err)) <= 2.0 / t.fps, err
    zeni, _ = detect_events(lm, prog, method="zeni")
    err_z = _errors(zeni, truth, t.first_frame, t.fps)
    assert np.mean(np.abs(err_z)) > np.mean(np.abs(err))   # the combination does better


@pytest.mark.parametrize("marker_options", [False, True])
@pytest.mark.parametrize("margin", [2, 3, 5])
def test_events_in_the_first_and_last_frames_are_found(margin, marker_options):
    """A recording that starts `margin` frames before a foot strike and ends `margin` frames
    after a foot off: both edge events are found, and no event is invented at the edges (a
    foot still in stance or swing at the last sample). Timed as the synthetic truth is defined
    (relative heel speed, toe-lift peak: within 10 ms) or with the marker options' heel-speed
    cap and toe speed (the synthetic foot does not model contact and push-off: within 20 ms)."""
    import dataclasses

    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS

    opts = MARKER_EVENT_OPTIONS if marker_options else \
        dataclasses.replace(MARKER_EVENT_OPTIONS, fo_toe_speed_m_s=0.0, fs_max_speed_m_s=0.0)

    w = parametric_walk(duration_s=5.0)
    ev = sorted(w.events, key=lambda e: e[2])
    strike = next(t for _, typ, t in ev if typ == "foot_strike" and t > 1.0)
    off = next(t for _, typ, t in reversed(ev) if typ == "foot_off" and t < 4.0)
    a = int(round(strike * w.fps)) - margin
    b = int(round(off * w.fps)) + margin + 1
    lm = find_landmarks(w.markers[a:b], w.marker_labels, w.fps)
    found, _ = detect_events(lm, progression(lm), opts)
    truth = [(s, typ, t - a / w.fps) for s, typ, t in ev if a / w.fps <= t < (b - 1) / w.fps]
    assert len(found) == len(truth), [(e.side, e.type, e.index) for e in found]
    err = _errors(found, truth, 1, w.fps)
    assert np.max(np.abs(err)) <= (0.020 if marker_options else 0.010), err


def test_toe_release_is_the_rise_into_its_own_swing():
    """Skin-marker foot off: the toe speed's rise through 1.2 m/s that leads into the step's
    swing, whether the Zeni candidate comes late (its window starts after the release) or
    early (a brief slide of the toe in stance crosses the speed first)."""
    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS, _toe_release

    fps = 100.0
    t = np.arange(120, dtype=float)
    speed = np.where(t < 60, np.clip((t - 30) * 0.15 + 0.05, 0.0, None), 4.55 - (t - 60) * 0.1)
    speed[t < 30] = 0.0
    speed[20:23] = 1.3                      # the toe slides briefly in stance
    release = 30 + (1.2 - 0.05) / 0.15      # 37.67
    for k in (55, 22, 38):                  # Zeni late by 170 ms, early by 160 ms, on time
        got = _toe_release(speed, k, fps, MARKER_EVENT_OPTIONS, fallback=np.nan)
        assert got == pytest.approx(release, abs=1e-6), k


def test_forefoot_landing_is_timed_at_the_toe():
    """A left foot that lands forefoot first (its toe marker 30 ms earlier than on the
    synthetic walk, its heel 60 ms later): the strike is where the toe comes to rest on the
    floor, not where the heel does; heel strikes (the right foot) are unchanged."""
    import dataclasses

    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS

    w = parametric_walk(duration_s=5.0)
    fps, labels = w.fps, list(w.marker_labels)
    m = w.markers.copy()
    strikes = {s: [t for side, ty, t in w.events if side == s and ty == "foot_strike"]
               for s in ("left", "right")}
    for lab, shift_s in (("LHEE", -0.06), ("LTOE", 0.03)):
        i, d = labels.index(lab), int(round(shift_s * fps))
        for ts in strikes["left"][1:-1]:
            k = int(round(ts * fps))
            a, b = k - int(0.25 * fps), k + int(0.1 * fps)
            m[a:b, i] = w.markers[a + d:b + d, i]
    lm = find_landmarks(m, labels, fps)
    prog = progression(lm)
    heel_only = dataclasses.replace(MARKER_EVENT_OPTIONS, forefoot_contact_m=0.0)
    got = {}
    for name, opts in (("contact", MARKER_EVENT_OPTIONS), ("heel", heel_only)):
        ev, _ = detect_events(lm, prog, opts)
        got[name] = {s: _errors(ev, [(s, "foot_strike", t) for t in strikes[s]], 1, fps)
                     for s in strikes}
    assert np.all(got["heel"]["left"][1:-1] > 0.06)          # the heel lands 70 ms late
    assert np.all(np.abs(got["contact"]["left"][1:-1]) < 0.02), got["contact"]["left"]
    np.testing.assert_array_equal(got["contact"]["right"], got["heel"]["right"])


def test_cycle_curves_mean_sd_and_each_cycle():
    """analysis/cycles.mean_sd, the one cycle normalisation: fractional event indices, each
    cycle's curve kept, n_cycles counts the cycles with data."""
    from mocaplab.analysis.cycles import Cycle, mean_sd

    t = np.arange(401, dtype=float)
    signal = np.sin(2 * np.pi * (t - 10.5) / 100.0)
    signal[330:] = np.nan
    cycles = [Cycle("left", 10.5 + 100 * k, 110.5 + 100 * k, 70.5 + 100 * k, np.nan, np.nan)
              for k in range(3)]
    cycles.append(Cycle("left", 335.0, 395.0, 360.0, np.nan, np.nan))  # inside the gap
    out = mean_sd(signal, cycles)
    assert out["curves"].shape == (4, 101)
    assert out["n_cycles"] == 3  # the last cycle has no sample at all
    pct = np.linspace(0, 1, 101)
    np.testing.assert_allclose(out["curves"][0], np.sin(2 * np.pi * pct), atol=1e-3)
    np.testing.assert_allclose(out["mean"][:3], np.sin(2 * np.pi * pct[:3]), atol=1e-3)
    assert np.isfinite(out["sd"][:3]).all()
    assert mean_sd(signal, []) == {"n_cycles": 0, "mean": [], "sd": [], "curves": []}


def test_toe_release_threshold_capped_at_a_fraction_of_the_swing_peak():
    """``fo_toe_peak_fraction``: the toe-speed threshold of a foot off never exceeds that
    fraction of the step's swing peak (0.5 shipped; events_eval --cv re-fits it)."""
    import dataclasses

    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS, _toe_release

    t = np.arange(120, dtype=float)
    speed = np.where(t < 60, np.clip((t - 30) * 0.15 + 0.05, 0.0, None), 4.55 - (t - 60) * 0.1)
    speed[t < 30] = 0.0
    peak = float(speed[38:69].max())
    for frac, thr in ((0.5, 1.2), (0.2, 0.2 * peak)):
        opts = dataclasses.replace(MARKER_EVENT_OPTIONS, fo_toe_peak_fraction=frac)
        got = _toe_release(speed, 38, 100.0, opts, fallback=np.nan)
        assert got == pytest.approx(30 + (thr - 0.05) / 0.15, abs=1e-6), frac


def test_heel_strike_averages_the_speed_arrest_and_the_heel_pad_low_point():
    """Skin markers: a heel strike is the mean of the heel-speed arrest and the heel marker's
    lowest point when the heel sinks more than 3 mm below its stance level (the heel pad
    compressed at contact); a heel that stays level (the synthetic foot) keeps the speed."""
    import dataclasses

    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS

    w = parametric_walk(duration_s=5.0)
    speed_only = dataclasses.replace(MARKER_EVENT_OPTIONS, fs_heel_low=False)

    def strikes(markers, opts):
        lm = find_landmarks(markers, w.marker_labels, w.fps)
        found, _ = detect_events(lm, progression(lm), opts)
        return sorted((e.side, e.index) for e in found if e.type == "foot_strike")

    level = strikes(w.markers, MARKER_EVENT_OPTIONS)
    assert level == strikes(w.markers, speed_only)      # no dip: the speed alone

    # an 8 mm dip of the heel 60 ms after each true strike (cos^2 bump 100 ms wide)
    dipped = w.markers.copy()
    t = np.arange(len(dipped)) / w.fps
    for side, typ, ts in w.events:
        if typ != "foot_strike":
            continue
        col = w.marker_labels.index(side[0].upper() + "HEE")
        x = np.clip((t - ts - 0.06) / 0.05, -1, 1)
        dipped[:, col, 2] -= 0.008 * np.cos(0.5 * np.pi * x) ** 2
    speed = strikes(dipped, speed_only)
    both = strikes(dipped, MARKER_EVENT_OPTIONS)
    assert len(both) == len(speed) >= 8
    for (side, i), (side_s, i_speed) in zip(both, speed, strict=True):
        assert side == side_s
        true_i = min((ts * w.fps for s, ty, ts in w.events if s == side and
                      ty == "foot_strike"), key=lambda x: abs(x - i_speed))
        low = true_i + 0.06 * w.fps   # the dip's lowest point (before filtering)
        assert abs(i - 0.5 * (i_speed + low)) < 1.0, (side, i, i_speed, low)
        assert i - i_speed > 1.5        # moved late, towards the low point
    # fs_low_weight: 0 = the speed arrest, 1 = the lowest point, 0.5 (shipped) = the mean
    arrest = strikes(dipped, dataclasses.replace(MARKER_EVENT_OPTIONS, fs_low_weight=0.0))
    assert [s for s, _ in arrest] == [s for s, _ in speed]
    assert [i for _, i in arrest] == pytest.approx([i for _, i in speed])
    low_only = strikes(dipped, dataclasses.replace(MARKER_EVENT_OPTIONS, fs_low_weight=1.0))
    for (_, i1), (_, i), (_, i_speed) in zip(low_only, both, speed, strict=True):
        assert i_speed < i < i1         # the lowest point alone is later still


def test_heelless_strike_is_the_ankle_landing_peak_made_earlier():
    """Skin markers without heel markers: a strike is the ankle marker's peak upward
    acceleration (its landing deceleration) near the ankle's speed arrest, made 26 ms earlier
    (the ankle lands after the heel; tuned with the heels hidden on the tuning files). Before
    session 9 it was the ankle's speed arrest itself; markerless options are unchanged."""
    import dataclasses

    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS, EventOptions
    from mocaplab.signal import derivative, fill_gaps, lowpass

    assert EventOptions().fs_ankle_accel_lead_s == 0.0
    w = parametric_walk(duration_s=5.0)
    keep = [i for i, lab in enumerate(w.marker_labels) if not lab.endswith("HEE")]
    lm = find_landmarks(w.markers[:, keep], [w.marker_labels[i] for i in keep], w.fps)
    prog = progression(lm)
    arrest = dataclasses.replace(MARKER_EVENT_OPTIONS, fs_ankle_accel_lead_s=0.0)

    def strikes(opts):
        found, warn = detect_events(lm, prog, opts)
        assert any("timed from LANK" in x for x in warn)
        return sorted((e.side, e.index) for e in found if e.type == "foot_strike")

    old, new = strikes(arrest), strikes(MARKER_EVENT_OPTIONS)
    assert len(old) == len(new) >= 8
    fps = w.fps
    for (side, i_arrest), (side_n, i_new) in zip(old, new, strict=True):
        assert side == side_n
        p = lowpass(fill_gaps(lm.get(side[0].upper() + "ANK"), fps, max_gap_s=0.2), fps,
                    cutoff_hz=8.0, max_cutoff_nyquist=0.45)
        az = derivative(derivative(p, fps), fps)[:, 2]
        a, b = int(np.floor(i_arrest - 0.10 * fps)), int(np.ceil(i_arrest + 0.15 * fps)) + 1
        j = a + int(np.argmax(az[a:b]))
        y0, y1, y2 = az[j - 1:j + 2]
        peak = j + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
        assert abs(i_new - (peak - 0.026 * fps)) < 0.05, (side, i_new, peak, i_arrest)
        assert abs(i_new - i_arrest) > 1.0        # it moved


def test_foot_off_moved_toward_the_toe_lift_onset():
    """``fo_lift_weight`` (session 13, an option judged by ``events_eval.py --cv --family
    lift``, not shipped): a skin-marker foot off moves that fraction of the way from the
    toe-speed release to the toe marker's peak upward acceleration near it; 0 (the shipped
    value) leaves every event as it was."""
    import dataclasses

    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS, EventOptions
    from mocaplab.signal import derivative, fill_gaps, lowpass

    assert EventOptions().fo_lift_weight == 0.0 == MARKER_EVENT_OPTIONS.fo_lift_weight
    w = parametric_walk(duration_s=5.0)
    lm = find_landmarks(w.markers, w.marker_labels, w.fps)
    prog = progression(lm)

    def offs(weight):
        found, _ = detect_events(lm, prog, dataclasses.replace(MARKER_EVENT_OPTIONS,
                                                               fo_lift_weight=weight))
        return sorted((e.side, e.index) for e in found if e.type == "foot_off")

    speed, half, full = offs(0.0), offs(0.5), offs(1.0)
    assert len(speed) == len(half) == len(full) >= 8
    fps = w.fps
    moved = 0
    for (side, i0), (_, i_half), (_, i_full) in zip(speed, half, full, strict=True):
        p = lowpass(fill_gaps(lm.get(side[0].upper() + "TOE"), fps, max_gap_s=0.2), fps,
                    cutoff_hz=8.0, max_cutoff_nyquist=0.45)
        az = derivative(derivative(p, fps), fps)[:, 2]
        a, b = int(np.floor(i0 - 0.12 * fps)), int(np.ceil(i0 + 0.06 * fps)) + 1
        j = a + int(np.argmax(az[a:b]))
        y0, y1, y2 = az[j - 1:j + 2]
        lift = j + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
        assert i_full == pytest.approx(lift, abs=1e-6), (side, i0, lift)
        assert i_half == pytest.approx(0.5 * (i0 + lift), abs=1e-6)
        moved += abs(lift - i0) > 0.5
    assert moved >= 8                      # the lift onset is not the release itself


def _pelvis_from(w, k0):
    """The walk's markers with the pelvis and trunk markers missing before sample ``k0``."""
    pts = w.markers.copy()
    for lb in ("LASI", "RASI", "LPSI", "RPSI", "SACR", "LHJC", "RHJC", "C7", "T10", "CLAV",
               "STRN", "LSHO", "RSHO"):
        pts[:k0, w.marker_labels.index(lb)] = np.nan
    return pts


@pytest.mark.parametrize("into_stance_s", [0.2, 0.3, 0.4])
def test_no_strike_where_the_pelvis_markers_begin_in_stance(into_stance_s):
    """The pelvis markers (so Zeni's heel-to-pelvis signal and the pass) begin while the right
    foot is in stance, its heel tracked before: the old code put a right strike on that first
    frame (Zeni kept, or a 'confirmed' one as the heel rose; OpenSim's walking5.c3d had one,
    a 0.58 s stride with 30 % stance). The foot already stands there: no strike at the edge;
    the other events are found as before."""
    from mocaplab.analysis.inputs import AnalysisInput
    from mocaplab.analysis.pipeline import analyze

    w = parametric_walk(duration_s=6.0)
    right = [t for s, ty, t in w.events if s == "right" and ty == "foot_strike"]
    k0 = int(round((right[1] + into_stance_s) * w.fps))
    m = analyze(AnalysisInput(_pelvis_from(w, k0), w.marker_labels, w.fps, 1, "syn", "c3d"))
    assert m["provenance"]["progression"]["passes"][0]["start_index"] == k0
    strikes = [e["time_s"] for e in m["events"] if e["side"] == "right"
               and e["type"] == "foot_strike"]
    true = [t for t in right if t > k0 / w.fps]
    assert len(strikes) == len(true)
    np.testing.assert_allclose(strikes, true, atol=2.0 / w.fps)


def test_up_axis_with_pelvis_markers_that_appear_late():
    """The vertical axis was found from the mean marker positions over all frames: pelvis
    markers tracked only in the second half of a 7 m walk sat metres ahead of the feet's mean
    and the trial was read as 'X-up' (rotated, no walking found). Frame by frame it is Z."""
    w = parametric_walk(duration_s=6.0)
    lm = find_landmarks(_pelvis_from(w, 300), w.marker_labels, w.fps)
    assert lm.up_axis == "z"


def test_a_trial_that_is_not_walking_says_nothing_of_events_it_drops(shared_data):
    """c3d.org sample21 (a jump down from a box) was told 'no walking detected: no gait
    events', then '2 event(s) kept at the Zeni time ... expect them about 30 ms early' and '5
    event(s) in turns or standing excluded' about events it never gives. Not walking: no event
    searched, no such warning."""
    from mocaplab.analysis.pipeline import analyze_file

    m = analyze_file(shared_data / "gait_marker_corpus" / "btkdata"
                     / "c3dorg_sample21_sample21.c3d")
    assert not m["provenance"]["progression"]["passes"] and m["events"] == []
    assert any(x.startswith("no walking detected") for x in m["warnings"])
    assert not [x for x in m["warnings"] if "event(s)" in x], m["warnings"]
