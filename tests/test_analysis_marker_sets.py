"""Marker sets: labels of many labs mapped to the analysis roles, by name, geometry or user map."""

import numpy as np
import pytest

from mocaplab.analysis.landmarks import find_landmarks
from mocaplab.analysis.marker_sets import load_label_map, match_labels, parse_label
from mocaplab.cli import main
from mocaplab.errors import InputError
from mocaplab.marker_io import write_c3d
from mocaplab.synthetic.gait import parametric_walk

# (label, side, role part) for the sets named in issue 16
CASES = [
    ("LASI", "L", "ASI"), ("RHEE", "R", "HEE"), ("LTOE", "L", "TOE"), ("SACR", None, "SACR"),
    ("VSAC", None, "SACR"),                                                   # Helen Hayes
    ("L_IAS", "L", "ASI"), ("R_IPS", "R", "PSI"), ("L_FCC", "L", "HEE"), ("R_FM2", "R", "TOE"),
    ("L_FAL", "L", "ANK"), ("CV7", None, "C7"), ("TV8", None, "T8"), ("SXS", None, "STRN"),
    ("SJN", None, "CLAV"),                                                    # CAST/ISB
    ("R.ASIS", "R", "ASI"), ("V.Sacral", None, "SACR"), ("S2", None, "SACR"),
    ("R.Heel", "R", "HEE"), ("R.Toe.Tip", "R", "TOE"), ("L.Ankle", "L", "ANK"),  # OpenSim/MAC
    ("r asis", "R", "ASI"), ("l mall", "L", "ANK"), ("r met", "R", "TOE"),
    ("sacrum", None, "SACR"), ("l knee 1", "L", "KNE"),                      # BTS / Davis
    ("L.PSIS", "L", "PSI"), ("R.Knee", "R", "KNE"),                          # Codamotion
    ("EIASG", "L", "ASI"), ("EIPS D", "R", "PSI"), ("TALON G", "L", "HEE"),
    ("MALLEOLE D", "R", "ANK"),                                              # Biogesta
    ("Heel_L", "L", "HEE"), ("left_foot_index", "L", "TOE"), ("RBigToe", "R", "TOE"),
    ("Subject:LKNE", "L", "KNE"), ("r_calc_study", "R", "HEE"), ("LeftHipCenter", "L", "HJC"),
    ("LTHI", None, None), ("RFT1", None, None), ("Foot_Marker1", None, None), ("heel", None, "HEE"),
]


@pytest.mark.parametrize("label,side,part", CASES)
def test_labels_of_many_marker_sets(label, side, part):
    got_side, got_part, _ = parse_label(label)
    assert (got_side, got_part) == (side, part)


RENAMES = {  # Plug-in Gait -> another lab's names
    "isb": {"LASI": "L_IAS", "RASI": "R_IAS", "LPSI": "L_IPS", "RPSI": "R_IPS", "LHEE": "L_FCC",
            "RHEE": "R_FCC", "LTOE": "L_FM2", "RTOE": "R_FM2", "LANK": "L_FAL", "RANK": "R_FAL"},
    "opensim": {"LASI": "L.ASIS", "RASI": "R.ASIS", "SACR": "V.Sacral", "LHEE": "L.Heel",
                "RHEE": "R.Heel", "LTOE": "L.Toe.Tip", "RTOE": "R.Toe.Tip"},
}


def _renamed(kind):
    w = parametric_walk(duration_s=4.0)
    labels = [RENAMES[kind].get(lb, lb.lower() + "_x") for lb in w.marker_labels]
    return w, labels


@pytest.mark.parametrize("kind", sorted(RENAMES))
def test_renamed_sets_give_the_same_analysis(tmp_path, kind):
    from mocaplab.analysis.pipeline import analyze_file

    w, labels = _renamed(kind)
    ref = tmp_path / "ref.c3d"
    write_c3d(ref, w.markers, w.marker_labels, w.fps)
    other = tmp_path / "other.c3d"
    write_c3d(other, w.markers, labels, w.fps)
    a, b = analyze_file(ref), analyze_file(other)
    assert len(b["events"]) == len(a["events"]) > 0
    ta = np.array(a["angles"]["pelvis"]["left"]["tilt"], dtype=float)
    tb = np.array(b["angles"]["pelvis"]["left"]["tilt"], dtype=float)
    np.testing.assert_allclose(tb, ta, atol=1e-3)  # ISB: SACR is mid-PSIS
    mapping = b["provenance"]["marker_set"]["mapping"]
    assert mapping["LASI"]["label"] == RENAMES[kind]["LASI"]
    assert b["provenance"]["marker_set"]["marker_set"] != "unknown"


def test_unsided_names_get_their_side_from_geometry():
    w = parametric_walk(duration_s=3.0)
    labels = ["Heel" if lb == "LHEE" else "Toe" if lb == "RTOE" else lb for lb in w.marker_labels]
    m = match_labels(w.markers, labels)
    assert m.roles["LHEE"].label == "Heel" and m.roles["LHEE"].how == "geometry"
    assert m.roles["RTOE"].label == "Toe" and m.roles["RTOE"].how == "geometry"


def test_repeated_label_uses_the_copy_with_samples():
    w = parametric_walk(duration_s=3.0)
    pts = np.concatenate([w.markers, w.markers[:, :1]], axis=1)
    pts[:, 0] = np.nan
    pts[:10, 0] = 1.0
    labels = list(w.marker_labels) + [w.marker_labels[0] + "#2"]
    m = match_labels(pts, labels)
    assert m.roles[w.marker_labels[0]].index == len(labels) - 1


def test_user_map_and_the_missing_message(tmp_path, capsys):
    w = parametric_walk(duration_s=4.0)
    names = {lb: f"m{i}" for i, lb in enumerate(w.marker_labels)}
    path = tmp_path / "anon.c3d"
    write_c3d(path, w.markers, list(names.values()), w.fps)
    out = tmp_path / "m.json"
    assert main(["analyze", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "--map labels.toml" in err and "pelvis angles need LASI+RASI+SACR" in err
    assert "'m0'" in err and not out.exists()
    toml = tmp_path / "labels.toml"
    toml.write_text("\n".join(f'{lb} = "{n}"' for lb, n in names.items()
                              if lb in ("LASI", "RASI", "SACR", "LHEE", "RHEE", "LTOE", "RTOE")))
    assert main(["analyze", str(path), "--out", str(out), "--map", str(toml)]) == 0
    import json

    m = json.loads(out.read_text())
    assert m["events"] and m["provenance"]["marker_set"]["mapping"]["LASI"] == {
        "label": names["LASI"], "by": "user map"}
    assert "thorax and spine angles need" in " ".join(m["warnings"])
    toml.write_text('LASI = "nope"\n')
    with pytest.raises(InputError, match="no such label"):
        find_landmarks(w.markers, list(names.values()), w.fps,
                       label_map=load_label_map(toml))
    toml.write_text('LASY = "m0"\n')
    with pytest.raises(InputError, match="unknown roles"):
        load_label_map(toml)


#: Plug-in Gait name -> OpenCap's augmented marker (as in its walk.trc)
OPENCAP = {"LASI": "L.ASIS_study", "RASI": "r.ASIS_study", "LPSI": "L.PSIS_study",
           "RPSI": "r.PSIS_study", "LHJC": "LHJC_study", "RHJC": "RHJC_study",
           "LKJC": "L_knee_study", "RKJC": "r_knee_study", "LAJC": "L_ankle_study",
           "RAJC": "r_ankle_study", "LHEE": "L_calc_study", "RHEE": "r_calc_study",
           "LTOE": "L_toe_study", "RTOE": "r_toe_study", "C7": "C7_study",
           "LSHO": "L_shoulder_study", "RSHO": "r_shoulder_study"}
#: the OpenPose keypoints OpenCap writes in the same file, beside the markers
OPENPOSE = {"LHEE": "LHeel", "RHEE": "RHeel", "LKJC": "LKnee", "RKJC": "RKnee",
            "LAJC": "LAnkle", "RAJC": "RAnkle", "LTOE": "LBigToe", "RTOE": "RBigToe",
            "LSHO": "LShoulder", "RSHO": "RShoulder"}


def test_opencap_markers_win_over_its_video_keypoints(tmp_path):
    """A synthetic TRC with OpenCap's names: the _study markers play the roles (the OpenPose
    keypoints of the same file, 4 cm off and listed first, do not), medial markers get their
    own roles, and the analysis equals the Plug-in Gait-named file's."""
    from mocaplab.analysis.pipeline import analyze_file
    from mocaplab.marker_io import write_trc

    w = parametric_walk(duration_s=4.0)
    idx = {lb: i for i, lb in enumerate(w.marker_labels)}
    kp = [w.markers[:, idx[k]] + [0.04, 0.0, 0.02] for k in OPENPOSE]
    med = [w.markers[:, idx[k]] + [0.0, 0.1 if k[0] == "R" else -0.1, 0.0]
           for k in ("LKJC", "RKJC", "LAJC", "RAJC")]
    pts = np.concatenate([np.stack(kp, 1), w.markers, np.stack(med, 1)], axis=1)
    labels = (list(OPENPOSE.values()) + [OPENCAP.get(lb, lb.lower() + "_x")
                                         for lb in w.marker_labels]
              + ["L_mknee_study", "r_mknee_study", "L_mankle_study", "r_mankle_study"])
    m = match_labels(pts, labels)
    assert m.marker_set == "OpenCap (augmented _study markers)"
    for role, label in OPENCAP.items():
        role = {"LKJC": "LKNE", "RKJC": "RKNE", "LAJC": "LANK", "RAJC": "RANK"}.get(role, role)
        assert m.roles[role].label == label, role
    assert m.roles["LKNM"].label == "L_mknee_study" and m.roles["RANM"].label == "r_mankle_study"
    ref, other = tmp_path / "ref.trc", tmp_path / "opencap.trc"
    write_trc(ref, w.markers, w.marker_labels, w.fps)
    write_trc(other, pts, labels, w.fps)
    a, b = analyze_file(ref), analyze_file(other)
    assert len(b["events"]) == len(a["events"]) > 0
    for key in ("tilt", "obliquity"):
        np.testing.assert_allclose(np.array(b["angles"]["pelvis"]["left"][key], float),
                                   np.array(a["angles"]["pelvis"]["left"][key], float),
                                   atol=1e-3)


def test_opencap_walk_trc_labels_are_mapped(shared_data):
    """OpenCap's own walk.trc (gait_marker_corpus): every anatomical _study marker plays its
    role; only the thigh/shank clusters and OpenPose keypoints are left."""
    from mocaplab.analysis.inputs import load_input

    d = load_input(shared_data / "gait_marker_corpus" / "opencap" / "walk.trc")
    m = match_labels(d.points, d.labels)
    assert m.marker_set == "OpenCap (augmented _study markers)"
    study = [lb for lb in d.labels if lb.endswith("_study")]
    left = {lb for lb in study if lb in m.unmatched}
    assert left == {f"{s}_{c}{i}_study" for s in ("r", "L") for c in ("thigh", "sh")
                    for i in (1, 2, 3)}
    for role in ("LASI", "RPSI", "LKNE", "RKNM", "LANK", "RANM", "LHEE", "RTOE", "L5MH",
                 "C7", "LSHO", "RHJC", "LELB", "RWRB"):
        assert m.roles[role].label.endswith("_study"), role
    assert len(study) - len(left) == 31  # 43 _study markers, 12 cluster markers


def test_markers_named_but_never_seen_are_said_so(tmp_path, capsys):
    """A file whose upper-body markers are labelled but have no sample (as in FunctionalWalk.c3d)
    was told 'thorax and spine angles need C7+T10+CLAV+STRN or LSHO+RSHO (not found among the
    input's labels; map them with --map labels.toml)', a wrong reason and a wrong remedy. The
    warning now says they are in the input with no valid sample, and names those analysed as
    absent; a need partly met says what was found."""
    w = parametric_walk(duration_s=4.0)
    pts = w.markers.copy()
    for lb in ("C7", "T10", "CLAV", "STRN", "LSHO", "RSHO", "LHEE"):
        pts[:, w.marker_labels.index(lb)] = np.nan
    path = write_c3d(tmp_path / "w.c3d", pts, w.marker_labels, w.fps)
    out = tmp_path / "m.json"
    assert main(["analyze", str(path), "--out", str(out)]) in (0, 3)
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if "thorax and spine angles need" in ln)
    assert "not found among the input's labels" not in line
    assert "no valid sample: C7, T10, CLAV, STRN, LSHO, RSHO" in line
    absent = next(ln for ln in err.splitlines() if "analysed as absent" in ln)
    assert "LHEE" in absent and "SACR" not in absent
    # said once: not again as "thorax angles unavailable" and "spine angles unavailable" notes
    assert [ln for ln in err.splitlines() if "thorax" in ln or "spine" in ln] == [line]
    # part of a need found: named; the rest not among the labels
    keep = [i for i, lb in enumerate(w.marker_labels) if lb not in ("SACR", "LPSI", "RPSI",
                                                                   "LHJC", "RHJC")]
    path2 = write_c3d(tmp_path / "w2.c3d", w.markers[:, keep],
                      [w.marker_labels[i] for i in keep], w.fps)
    main(["analyze", str(path2), "--out", str(tmp_path / "m2.json")])
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if "pelvis angles need" in ln)
    assert "found: LASI, RASI" in line and "the others are not among the input's labels" in line
