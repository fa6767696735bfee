"""Force-plate contacts as gait events: the 20 N crossings, the foot over the plate, and a
trial's kinematic events timed with its contacts (matched ones take the plate time, the others
are shifted by the trial's median offset)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from mocaplab.analysis.events import GaitEvent, calibrate_to_plates
from mocaplab.analysis.force_plates import plate_contacts


def _plate(t_on: float, t_off: float, rate: float = 1000.0, duration: float = 2.0):
    t = np.arange(int(duration * rate)) / rate
    force = np.clip(np.minimum(t - t_on, t_off - t) * 7000.0, 0, 700.0) + 3.0  # 3 N offset
    corners = np.array([[0, 0, 0], [0.6, 0, 0], [0.6, 0.4, 0], [0, 0.4, 0]], float)
    return SimpleNamespace(normal_force_n=force, corners_m=corners, rate_hz=rate,
                           start_time_s=0.0, times=lambda: t)


def _feet(fps: float, n: int, left_xy, right_xy):
    feet = {}
    for side, xy in (("L", left_xy), ("R", right_xy)):
        p = np.zeros((n, 3))
        p[:, :2] = xy
        feet[side + "HEE"] = p
        feet[side + "TOE"] = p.copy()
    return feet


def test_contact_gives_strike_and_off_of_the_foot_on_the_plate():
    plate = _plate(0.5, 1.1)
    feet = _feet(100.0, 200, (0.3, 0.2), (1.5, 0.2))
    got = plate_contacts([plate], feet, 100.0)
    # the force minus its offset crosses 20 N 20/7000 s after the ramp starts
    assert [(s, t) for s, t, _ in got] == [("left", "foot_strike"), ("left", "foot_off")]
    np.testing.assert_allclose([x for *_, x in got], [0.5 + 20 / 7000, 1.1 - 20 / 7000],
                               atol=1e-6)
    both = _feet(100.0, 200, (0.3, 0.2), (0.2, 0.1))
    assert plate_contacts([plate], both, 100.0) == []       # which foot: unknown
    cut = _plate(-0.1, 1.1)                                   # loaded from the first sample
    assert [t for _, t, _ in plate_contacts([cut], feet, 100.0)] == []


def test_a_foot_swinging_above_the_plate_is_not_on_it():
    """The other foot over the plate but in the air (high above its ground level) or swinging
    across it fast is not on it: the contact is the standing foot's (a split-belt treadmill
    walked along the seam gave mid-swing 'foot offs' to the swinging foot)."""
    fps, n = 100.0, 200
    plate = _plate(0.5, 1.1)
    t = np.arange(n) / fps
    high = _feet(fps, n, (0.3, 0.2), (0.2, 0.1))
    for role in ("RHEE", "RTOE"):
        high[role][40:120, 2] = 0.10                       # lifted from 0.4 to 1.2 s
    assert [(s, ty) for s, ty, _ in plate_contacts([plate], high, fps)] == \
        [("left", "foot_strike"), ("left", "foot_off")]
    fast = _feet(fps, n, (0.3, 0.2), (0.0, 0.1))
    for role in ("RHEE", "RTOE"):                          # crosses the plate at 3 m/s
        fast[role][:, 0] = np.clip(-0.21 + 3.0 * (t - 0.9), -0.21, 0.69)
    got = plate_contacts([plate], fast, fps)
    assert ("left", "foot_off") in [(s, ty) for s, ty, _ in got]
    assert all(s == "left" for s, _, _ in got)


def test_calibrate_to_plates_times_every_event_of_the_type():
    fps = 100.0
    ev = [GaitEvent("left", "foot_off", 50.0, "combined"),
          GaitEvent("right", "foot_off", 105.0, "combined"),
          GaitEvent("left", "foot_strike", 80.0, "combined")]
    # the plate says the left off came 2.5 frames earlier; a right strike the kinematics missed
    contacts = [("left", "foot_off", 47.5), ("right", "foot_strike", 130.0)]
    out, notes = calibrate_to_plates(ev, contacts, fps)
    got = {(e.side, e.type): (e.index, e.method) for e in out}
    assert got[("left", "foot_off")] == (47.5, "force_plate")
    assert got[("right", "foot_off")] == (102.5, "combined+plates")
    assert got[("left", "foot_strike")] == (80.0, "combined")     # no strike matched: as is
    assert got[("right", "foot_strike")] == (130.0, "force_plate")
    assert [e.index for e in out] == sorted(e.index for e in out)
    assert any("-25 ms" in n for n in notes)


def test_plate_timed_events_time_the_other_steps_too():
    """On a synthetic walk whose steps are all alike, the two strikes and two offs given as
    plate contacts put every other step on its true time (the marker options alone are
    10-17 ms late on this synthetic foot)."""
    from mocaplab.analysis.events import MARKER_EVENT_OPTIONS, detect_events, plate_timed_events
    from mocaplab.analysis.landmarks import find_landmarks
    from mocaplab.analysis.progression import progression
    from mocaplab.synthetic.gait import parametric_walk

    w = parametric_walk(duration_s=5.0)
    lm = find_landmarks(w.markers, w.marker_labels, w.fps)
    prog = progression(lm)
    truth = sorted(w.events, key=lambda e: e[2])
    contacts = [(s, ty, t * w.fps) for s, ty, t in truth if 1.5 < t < 2.6]
    assert sorted(ty for _, ty, _ in contacts) == ["foot_off"] * 2 + ["foot_strike"] * 2

    def errors(events):
        return np.array([min(abs(e.index / w.fps - t) for e in events
                             if (e.side, e.type) == (s, ty)) for s, ty, t in truth])

    alone, _ = detect_events(lm, prog, MARKER_EVENT_OPTIONS)
    assert errors(alone).min() > 0.008
    timed, _ = plate_timed_events(lm, prog, MARKER_EVENT_OPTIONS, contacts)
    assert len(timed) == len(alone)
    assert errors(timed).max() < 0.001, errors(timed)
    assert sorted({e.method for e in timed}) == ["combined+plates", "force_plate"]


def test_c3d_with_plates_events_timed_by_them(shared_data):
    from mocaplab.analysis.inputs import load_input
    from mocaplab.analysis.pipeline import analyze

    data = load_input(shared_data / "kineticstoolkit_walk" / "walk.c3d")
    assert len(data.force_plates) == 4
    labels = [(s, ty, t) for s, ty, t, _ in data.reference_events]

    def mae(m):
        errs = []
        for side, typ, t in labels:
            c = [e["time_subframe_s"] for e in m["events"] if (e["side"], e["type"]) ==
                 (side, typ)]
            errs.append(min(abs(x - t) for x in c))
        return float(np.mean(errs))

    plates, kin = analyze(data), analyze(data, event_method="kinematic")
    assert plates["provenance"]["event_timing"]["force_plate"] == 4
    assert "force_plate" not in kin["provenance"]["event_timing"]
    assert len(plates["events"]) == len(kin["events"]) == 8
    assert mae(plates) < mae(kin) <= 0.015


def test_a_step_on_a_plate_gives_one_event_even_when_the_kinematics_are_far_off():
    """A kinematic strike 150 ms from its plate contact (the same step: same-side strikes are
    at least 0.35 s apart) takes the plate time instead of leaving a second strike; the
    trial's other strike is shifted by that offset."""
    ev = [GaitEvent("left", "foot_strike", 100.0, "combined"),
          GaitEvent("left", "foot_strike", 210.0, "combined")]
    out, _ = calibrate_to_plates(ev, [("left", "foot_strike", 115.0)], 100.0)
    assert [(e.index, e.method) for e in out] == [(115.0, "force_plate"),
                                                  (225.0, "combined+plates")]


def test_plate_time_base_matches_the_files_plate_made_label(shared_data):
    """c3d.org sample04 (60 Hz points, 1200 Hz analog): its only sub-frame label, the left
    strike at 1.040833 s, is the first analog sample above 20 N on plate 2 (Vicon made it from
    the plate). Our plate contact on that plate lands within one analog sample of it: analog
    and point time bases, first frame and the channels' scale/offset are read as Vicon did."""
    from mocaplab.analysis.force_plates import feet_in_file_frame
    from mocaplab.analysis.inputs import load_input
    from mocaplab.analysis.landmarks import find_landmarks
    from mocaplab.marker_io import read_force_plates

    path = shared_data / "gait_marker_corpus" / "btkdata" / "c3dorg_sample04_sub_labels.c3d"
    data = load_input(path)
    lm = find_landmarks(data.points, data.labels, data.fps, data.first_frame)
    plates = read_force_plates(path)
    assert [p.rate_hz for p in plates] == [1200.0, 1200.0]
    contacts = plate_contacts(plates, feet_in_file_frame(data.points, data.labels, lm.labels),
                              lm.fps, lm.first_frame)
    label = min(t for side, kind, t, _ in data.reference_events
                if (side, kind) == ("left", "foot_strike"))
    assert abs(label - 1249 / 1200) < 1e-6
    strikes = [t for side, kind, t in contacts if (side, kind) == ("left", "foot_strike")]
    assert len(strikes) == 1 and abs(strikes[0] - label) < 1 / 1200
