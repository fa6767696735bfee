"""Lower-limb kinematics of one input, markers or video keypoints, as `mocaplab analyze` reports
them: Plug-in Gait hip, knee, ankle and foot progression angles; for video keypoints also the
pelvis and spine from estimated landmarks, said in ``estimated`` and in a quality note.

- Markers (Plug-in Gait or any set with ASIS, PSIS/SACR, THI, KNE, TIB, ANK, TOE): the Plug-in
  Gait lower limb (lower_limb.py) with the subject measurements of the C3D's PROCESSING group or
  ``meta.json["subject"]`` (subject.py).
- Video keypoints (mediapipe33): the marker augmenter (augmenter.py) estimates ASIS, PSIS,
  epicondyles, malleoli... from the keypoints and the subject's height and mass; the same
  Plug-in Gait definitions then give every angle. Without the augmenter model, a warning names
  every place searched and only the angles the keypoints define alone are reported (the rest of
  the analysis is unchanged).
"""

from __future__ import annotations

import dataclasses
import warnings as _warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mocaplab.analysis import lower_limb as ll
from mocaplab.analysis import subject as subj
from mocaplab.analysis.landmarks import Landmarks, _to_z_up
from mocaplab.analysis.progression import Progression
from mocaplab.errors import InputError
from mocaplab.trial import Trial

#: the mediapipe33 keypoints the augmenter chain uses.
KEYPOINTS = tuple(f"{side}_{part}" for side in ("left", "right") for part in (
    "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index"))
AUGMENTER_METHOD = "marker augmenter v0.3 (OpenCap LSTM) + Plug-in Gait definitions"
#: Components from estimated landmarks too far from Vicon's for a clinical reading: RMSE deg
#: (benchmarks/kinematics_eval.py --markerless, perfect detector through 4 cameras, 2 px) over
#: the seven trials of five subjects; decided on the tuning trial FlatFoot-Full (hip rotation
#: 22, knee adduction 7.2, knee rotation 36.6, ankle rotation 39.9 deg there), the ranges
#: include the held-out ones (hip rotation 10-28, knee adduction 3-10, knee rotation 8-38,
#: ankle rotation 12-40). Their provenance.estimated method carries one caveat with the range
#: over the four (the report gathers the caveats of a page into one sentence).
UNRELIABLE_FROM_VIDEO = {("hip", "rotation"), ("knee", "adduction"), ("knee", "rotation"),
                         ("ankle", "rotation")}
UNRELIABLE_RMSE_DEG = "3-40"
#: why those are flagged (provenance.kinematics.reliability.not_reliable).
UNRELIABLE_FROM_VIDEO_REASON = f"{UNRELIABLE_RMSE_DEG} deg RMSE against Vicon in evaluation"
#: why estimated ankle inversion is null (provenance.kinematics.reliability.not_computed).
ANKLE_INVERSION_NULL = ("not estimated: Plug-in Gait's foot takes its lateral axis from the "
                        "tibia, so without a static trial's offset it would be exactly 0 by "
                        "construction, not a measurement")
#: why a trial's marker lower-limb angles are all flagged (see centre_check).
CENTRES_DISAGREE = ("the knee/ankle joint centres computed from the markers are more than "
                    "20 mm from the file's own model outputs (see warnings)")


def video_caveat(joint: str, key: str) -> str:
    """The caveat appended to an estimated component's method, "" for the reliable ones."""
    if (joint, key) not in UNRELIABLE_FROM_VIDEO:
        return ""
    return f"; not reliable ({UNRELIABLE_FROM_VIDEO_REASON})"


HIP_ROTATION_CAVEAT = video_caveat("hip", "rotation")


@dataclasses.dataclass(frozen=True, eq=False)
class Kinematics:
    """Angles of one input.

    Attributes:
        joints: "hip"/"knee"/"ankle"/"foot_progression" -> side -> {component: (F,) degrees}
            (CONVENTIONS.md keys); empty when not computable.
        model: "plugin_gait_markers", "plugin_gait_estimated_landmarks" or "none".
        landmarks: for video keypoints, Landmarks with the estimated pelvis markers (ASIS,
            PSIS, SACR), hip centres and shoulders, for the pelvis/thorax/spine angles; else None.
        estimated: metrics.json angle path (e.g. "angles.hip.left.flexion") -> method, for every
            angle obtained through landmark estimation.
        warnings: what was defaulted or missing. quality: one line for the report.
        measurements: the subject measurements used (markers) and where they came from.
    """

    joints: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]]
    model: str
    landmarks: Landmarks | None = None
    estimated: Mapping[str, str] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    quality: str = ""
    measurements: Mapping[str, object] = dataclasses.field(default_factory=dict)
    #: False when the inputs are known to give wrong lower-limb angles (centres far from the
    #: file's own, static offsets not applied): the Gait Profile Score is then not scored.
    reliable: bool = True
    #: why the trial is not reliable ("" when it is); angle path -> why that angle is not
    #: reliable; angle path -> why it is null on purpose (metrics.json
    #: provenance.kinematics.reliability, analysis/metrics_spec.Reliability).
    unreliable_reason: str = ""
    not_reliable: Mapping[str, str] = dataclasses.field(default_factory=dict)
    not_computed: Mapping[str, str] = dataclasses.field(default_factory=dict)


#: Components the estimated-landmark chain reports as null (see from_keypoints).
NOT_ESTIMATED = {("ankle", "inversion")}


#: The estimated pelvis's left-right axis is the line through the hip keypoints (which the
#: detector sees) rather than through the estimated ASIS (chosen on the tuning trial, see
#: benchmarks/kinematics_eval.py). In Plug-in Gait the hip centres are symmetric in the pelvis
#: frame, so that line is the pelvis's y axis; tilt still comes from the estimated ASIS/PSIS.
PELVIS_AXIS_FROM_HIPS = True


def asis_along_hip_line(lasi: np.ndarray, rasi: np.ndarray, lhjc: np.ndarray,
                        rhjc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LASI, RASI (F, 3) moved to lie about their midpoint along the hip-centre line, at their
    own half distance (the pelvis y axis becomes the hip line; the origin is kept)."""
    mid = (lasi + rasi) / 2
    half = np.linalg.norm(lasi - rasi, axis=-1, keepdims=True) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        y = (lhjc - rhjc) / np.linalg.norm(lhjc - rhjc, axis=-1, keepdims=True)
    return mid + half * y, mid - half * y


def subject_data(source: str, source_kind: str) -> tuple[dict, dict]:
    """(C3D PROCESSING group, meta.json subject) for an input; empty where there is none."""
    path = Path(source)
    processing = subj.read_processing(path) if source_kind == "c3d" else {}
    subject: dict = {}
    for trial in (Trial(path.parent), Trial(path)):
        if trial.meta_path.is_file():
            try:
                subject = trial.meta.get("subject") or {}
            except (OSError, InputError):
                subject = {}
            if not isinstance(subject, dict):
                subject = {}
            break
    return processing, subject


def static_offsets(static_path: str | Path, m: subj.Measurements, flat_foot: bool = False,
                   label_map: Mapping[str, str] | None = None) -> dict:
    """Static foot offsets computed from a static calibration trial's markers (C3D or TRC) by
    Plug-in Gait's static calibration (lower_limb.static_calibration) with the dynamic trial's
    other measurements ``m``, as a ``subject.measurements_for`` overrides part. Raises InputError
    naming the file when it cannot be read or lacks the foot markers."""
    from mocaplab.analysis.landmarks import find_landmarks
    from mocaplab.marker_io import read_c3d, read_trc

    path = Path(static_path)
    if not path.is_file():
        raise InputError(f"static trial {path} does not exist")
    try:
        mt = read_trc(path) if path.suffix.lower() == ".trc" else read_c3d(path)
    except Exception as exc:  # the readers' own errors name the problem
        raise InputError(f"static trial {path} could not be read: {exc}") from None
    try:
        lm = find_landmarks(mt.points, mt.labels, mt.fps, mt.first_frame, label_map=label_map)
    except InputError as exc:
        raise InputError(f"static trial {path}: {exc}") from None
    markers = ll.pig_markers(mt.points, mt.labels, lm.up_axis, label_map)
    need = [f"{p}{n}" for p in "LR" for n in ("KNE", "ANK", "TOE", "HEE")]
    lacking = [n for n in need if n not in markers or not np.isfinite(markers[n]).any()]
    if lacking or not {"LASI", "RASI"} <= set(markers):
        raise InputError(f"static trial {path}: the static calibration needs the Plug-in Gait "
                         f"lower-body markers with HEE; missing: {', '.join(lacking) or 'ASIS'}")
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)  # a mean over no frame: said below
        offsets = ll.static_calibration(markers, m, unit_mm=1000.0, flat_foot=flat_foot)
    unset = [side for side, vals in offsets.items() if not np.isfinite(vals).all()]
    if unset:
        seen = {n for n, v in markers.items() if np.isfinite(v).any()}
        absent = [] if "SACR" in seen or {"LPSI", "RPSI"} <= seen else ["SACR (or LPSI+RPSI)"]
        absent += [f"{side[0].upper()}{n}" for side in unset
                   for n in ("THI", "KNE", "TIB", "ANK", "TOE", "HEE")
                   if f"{side[0].upper()}{n}" not in seen]
        why = (f"missing: {', '.join(absent)}" if absent else "no frame sees all the markers "
               "they need together (LASI, RASI, SACR or LPSI+RPSI, and the side's THI, KNE, "
               "TIB, ANK, TOE, HEE)")
        raise InputError(f"static trial {path}: the static foot offsets of the "
                         f"{' and '.join(unset)} side could not be computed ({why}); give a "
                         "static trial with these markers")
    src = f"static trial {path.name}" + (" (flat foot)" if flat_foot else "")
    out: dict = {"left": {}, "right": {}, "sources": {}}
    for side, (plantar, rot) in offsets.items():
        out[side] = {"static_plantar_flexion_deg": plantar, "static_rotation_offset_deg": rot}
        for field in out[side]:
            out["sources"][f"{side}.{field}"] = src
    return out


def _named(joints: dict) -> dict:
    return {joint: {side: {key: arr[:, i] for i, key in enumerate(ll.JOINT_KEYS[joint])}
                    for side, arr in per_side.items()} for joint, per_side in joints.items()}


def from_markers(points: np.ndarray, labels, lm: Landmarks, prog: Progression,
                 processing: Mapping | None, subject: Mapping | None,
                 label_map: Mapping[str, str] | None = None,
                 static_trial: str | Path | None = None, flat_foot: bool = False
                 ) -> Kinematics:
    """Plug-in Gait lower limb from skin markers (points in metres, input frame);
    ``label_map``: Plug-in Gait name -> input label (``--map``). ``static_trial``: a static
    calibration trial whose markers give the static foot offsets (:func:`static_offsets`,
    ``flat_foot`` its option), instead of those stored in the file."""
    markers = ll.pig_markers(points, labels, lm.up_axis, label_map)
    need = [f"{s}{n}" for s in "LR" for n in ("THI", "KNE", "TIB", "ANK", "TOE")]
    pelvis_ok = {"LASI", "RASI"} <= set(markers) and (
        "SACR" in markers or {"LPSI", "RPSI"} <= set(markers))
    missing = [n for n in need if n not in markers]
    # a side needs its lateral knee and ankle markers (their directions give the flexion axes)
    usable = [p for p in "LR" if {p + "KNE", p + "ANK"} <= set(markers)]
    if not pelvis_ok or not usable:
        return Kinematics({}, "none", warnings=(
            "hip, knee, ankle and foot progression angles unavailable: they need the Plug-in "
            "Gait lower-body markers (LASI, RASI, LPSI/RPSI or SACR, and per side THI, KNE, "
            f"TIB, ANK, TOE); missing: {', '.join(missing) or 'pelvis markers'}",),
            quality="lower-limb angles not available (markers missing)")
    m, warns = subj.measurements_for(processing, subject)
    if static_trial is not None:
        m, warns = subj.measurements_for(processing, subject,
                                         static_offsets(static_trial, m, flat_foot, label_map))
    # a static trial (no walking): Plug-in Gait reports the static calibration's foot
    static = not prog.passes
    model = ll.lower_limb(markers, m, unit_mm=1000.0, foot_axis="static" if static else "ajc")
    joints = _named(ll.joint_angles(model, prog.rotation))
    warns = list(warns) + list(model.notes)
    if missing and not model.notes:
        warns.append(f"markers missing for the lower limb: {', '.join(missing)}")
    doubts = centre_check(model, points, labels, lm.up_axis)
    warns += doubts
    quality = ("Plug-in Gait lower limb from markers; subject measurements "
               + ("from the file" if m.complete else "partly defaulted (see warnings)"))
    absent = [n for n in missing if not (n[1:] in ("THI", "KNE") and n[0] + "KJC" in markers)
              and not (n[1:] in ("TIB", "ANK") and n[0] + "AJC" in markers)]
    if absent:
        quality += f"; markers missing: {', '.join(absent)} (the angles needing them are null)"
    if not static and subj.static_offsets_missing(m):
        quality += ("; static foot offsets not in the file (no static calibration): ankle and "
                    "foot progression angles without them (see warnings)")
    if static:
        flat = [side for side in ll.SIDES if f"{side} static foot flat" in model.info]
        quality += ("; static trial: the feet of Plug-in Gait's static calibration (TOE to HEE"
                    + (f"; flat-foot option on the {' and '.join(flat)} side"
                       + ("s" if len(flat) > 1 else "") + ", as the stored offsets show"
                       if flat else "") + ")")
    if doubts:
        quality += ("; NOT reliable: the knee/ankle centres disagree with the file's own model "
                    "(see warnings)")
    used = {"left": dataclasses.asdict(m.left), "right": dataclasses.asdict(m.right),
            "marker_diameter_mm": m.marker_diameter_mm, "inter_asis_mm": m.inter_asis_mm,
            "sources": dict(m.sources)}
    flagged = {f"angles.{joint}.{side}.{key}": CENTRES_DISAGREE for joint, keys in
               ll.JOINT_KEYS.items() for side in ll.SIDES for key in keys} if doubts else {}
    return Kinematics(joints, "plugin_gait_markers", warnings=tuple(warns), quality=quality,
                      measurements=used, reliable=not doubts,
                      unreliable_reason=CENTRES_DISAGREE if doubts else "", not_reliable=flagged)


#: Distance (mm) between our knee/ankle centres and the file's own (LKJC...) beyond which the
#: angles are said to differ from the file's model.
MAX_CENTRE_DIFF_MM = 20.0


def centre_check(model: ll.LowerLimb, points: np.ndarray, labels, up_axis: str) -> list[str]:
    """Compare our knee/ankle joint centres with the file's own (LKJC, RKJC, LAJC, RAJC) when it
    carries them: a warning per centre more than MAX_CENTRE_DIFF_MM away (median)."""
    rot = _to_z_up(up_axis)
    names = [str(lb).split(":")[-1].strip().upper() for lb in labels]
    out = []
    for name in ("LKJC", "RKJC", "LAJC", "RAJC"):
        theirs_name = name if name in names else SEGMENT_ORIGINS[name]
        if theirs_name not in names or name not in model.centres:
            continue
        theirs = np.asarray(points[:, names.index(theirs_name)], dtype=float) @ rot.T
        d = np.linalg.norm(model.centres[name] - theirs, axis=-1)
        d = d[np.isfinite(d)]
        if d.size and np.median(d) * 1000 > MAX_CENTRE_DIFF_MM:
            own = name if theirs_name == name else f"{name} (its {theirs_name})"
            out.append(f"{name}: the joint centre computed from the markers is "
                       f"{np.median(d) * 1000:.0f} mm from the file's own {own} (median): the "
                       "angles differ from the file's model outputs (check the marker "
                       "placement and the subject measurements)")
    return out


#: Plug-in Gait's segment origin outputs that are the knee/ankle joint centres (the femur's
#: origin is the KJC, the tibia's the AJC; equal to LKJC... on walk.c3d, which has both), for
#: files without LKJC/LAJC points.
SEGMENT_ORIGINS = {"LKJC": "LFEO", "RKJC": "RFEO", "LAJC": "LTIO", "RAJC": "RTIO"}


def keypoints_of(points: np.ndarray, labels, up_axis: str) -> dict[str, np.ndarray]:
    """mediapipe33 keypoints (F, 3) Z up by name, of those the augmenter chain uses."""
    rot = _to_z_up(up_axis)
    names = [str(lb).split(":")[-1].strip().lower() for lb in labels]
    return {n: np.asarray(points[:, names.index(n)], dtype=float) @ rot.T
            for n in KEYPOINTS if n in names}


def from_keypoints(points: np.ndarray, labels, lm: Landmarks, prog: Progression,
                   subject: Mapping | None, augmenter: str | Path | None = None,
                   smooth_hz: float = 6.0, tilt_offset_deg: float | None = None
                   ) -> Kinematics:
    """The markerless chain: keypoints -> estimated landmarks -> Plug-in Gait angles.
    ``tilt_offset_deg``: turn of the estimated pelvis about its lateral axis (deg, positive =
    more anterior tilt); None = the population constant augmenter.AUGMENTED_TILT_OFFSET_DEG
    (another value is for evaluation, e.g. leave-one-subject-out in
    benchmarks/kinematics_eval.py)."""
    from mocaplab.analysis.augmenter import (
        AUGMENTED_TILT_OFFSET_DEG,
        augment,
        pig_markers_from_augmented,
    )
    from mocaplab.analysis.augmenter_model import resolve_augmenter
    from mocaplab.errors import InputError
    from mocaplab.signal import fill_gaps, lowpass

    kp = keypoints_of(points, labels, lm.up_axis)
    if smooth_hz > 0:
        kp = {k: lowpass(fill_gaps(v, lm.fps, max_gap_s=0.2), lm.fps, cutoff_hz=smooth_hz,
                          max_cutoff_nyquist=0.45) for k, v in kp.items()}
    lower_needed = [k for k in KEYPOINTS if "elbow" not in k and "wrist" not in k]
    absent = [k for k in lower_needed if k not in kp or not np.isfinite(kp[k]).any()]
    if absent:
        return Kinematics({}, "none", warnings=(
            "landmark estimation not possible: keypoints missing: " + ", ".join(absent),),
            quality="joint angles not available: keypoints " + ", ".join(absent) + " missing")
    try:
        folder = resolve_augmenter(augmenter)
    except InputError as exc:
        return Kinematics({}, "none", warnings=(
            f"hip, knee, ankle angles, pelvic tilt and spine flexion not estimated: {exc}",),
            quality="joint angles not available: marker augmenter model not found")
    subject = subject or {}
    height = subj._number(subject.get("height_m")) if subject.get("height_m") else None
    mass = subj._number(subject.get("mass_kg")) if subject.get("mass_kg") else None
    try:
        aug = augment(kp, folder, height_m=height, mass_kg=mass, fps_hz=lm.fps)
    except ValueError as exc:
        return Kinematics({}, "none", warnings=(f"landmark estimation failed: {exc}",),
                          quality="joint angles not available: landmark estimation failed")
    pig = pig_markers_from_augmented(aug.markers, kp, tilt_offset_deg=(
        AUGMENTED_TILT_OFFSET_DEG if tilt_offset_deg is None else tilt_offset_deg))
    if PELVIS_AXIS_FROM_HIPS:
        pig["LASI"], pig["RASI"] = asis_along_hip_line(pig["LASI"], pig["RASI"], pig["LHJC"],
                                                       pig["RHJC"])
    model = ll.lower_limb(pig, subj.Measurements(), unit_mm=1000.0, foot_axis="heel")
    joints = _named(ll.joint_angles(model, prog.rotation))
    # Plug-in Gait's foot takes its lateral axis from the tibia's, so the ankle has no
    # inversion of its own: with no static rotation offset (estimated landmarks have no static
    # trial) it is exactly 0 by construction, not a measurement. Reported as null.
    for side in ll.SIDES:
        joints["ankle"][side]["inversion"] = np.full_like(joints["ankle"][side]["inversion"],
                                                          np.nan)
    pts = {k: pig[k] for k in ("LASI", "RASI", "LPSI", "RPSI", "LHJC", "RHJC")}
    pts["SACR"] = (pig["LPSI"] + pig["RPSI"]) / 2
    pts["LSHO"], pts["RSHO"] = kp["left_shoulder"], kp["right_shoulder"]
    pts["C7"] = aug.markers["C7"]
    src = {k: "estimated (marker augmenter v0.3)" for k in ("LASI", "RASI", "LPSI", "RPSI",
                                                               "C7")}
    src.update({"SACR": "mean of estimated LPSI, RPSI", "LHJC": "left_hip keypoint",
                "RHJC": "right_hip keypoint", "LSHO": "left_shoulder keypoint",
                "RSHO": "right_shoulder keypoint"})
    lm_aug = dataclasses.replace(lm, points=pts, labels=src, kind="markerless")
    estimated = {f"angles.{joint}.{side}.{key}": AUGMENTER_METHOD + video_caveat(joint, key)
                 for joint, keys in ll.JOINT_KEYS.items() for side in ll.SIDES for key in keys
                 if (joint, key) not in NOT_ESTIMATED}
    for key in ("tilt", "obliquity", "rotation"):
        for side in ll.SIDES:
            estimated[f"angles.pelvis.{side}.{key}"] = AUGMENTER_METHOD
    for key in ("flexion", "lateral_flexion", "rotation"):
        for side in ll.SIDES:
            estimated[f"angles.spine.{side}.{key}"] = AUGMENTER_METHOD + \
                " (pelvis); trunk line to the shoulders"
    ok = np.isfinite(aug.markers["LASI"]).all(axis=1)
    quality = (f"angles from estimated landmarks (marker augmenter v0.3) on "
               f"{ok.mean() * 100:.0f}% of frames; height {aug.height_m:.2f} m"
               + (" (estimated from the skeleton)" if height is None else "")
               + f", mass {aug.mass_kg:.0f} kg" + (" (assumed)" if mass is None else "")
               + "; the individual pelvic tilt is partly a learned prior of the estimator's "
               "training population; hip rotation, knee adduction and rotation and ankle "
               "rotation are not reliable from video; ankle inversion not estimated (null: the "
               "Plug-in Gait foot has none of its own)")
    warns = list(aug.warnings) + [
        "pelvis, hip, knee, ankle and spine angles are estimated from video keypoints through "
        "landmark estimation (see provenance.estimated); the individual static pelvic tilt is "
        "partly a learned prior"]
    used = {"height_m": aug.height_m, "mass_kg": aug.mass_kg, "sources": {
        "height_m": "estimated from the skeleton" if height is None else "meta.json subject",
        "mass_kg": f"assumed ({aug.mass_kg:g} kg)" if mass is None else "meta.json subject"}}
    return Kinematics(joints, "plugin_gait_estimated_landmarks", lm_aug, estimated,
                      tuple(warns), quality, used,
                      not_reliable={f"angles.{joint}.{side}.{key}": UNRELIABLE_FROM_VIDEO_REASON
                                    for joint, key in sorted(UNRELIABLE_FROM_VIDEO)
                                    for side in ll.SIDES},
                      not_computed={f"angles.{joint}.{side}.{key}": ANKLE_INVERSION_NULL
                                    for joint, key in sorted(NOT_ESTIMATED)
                                    for side in ll.SIDES})


def kinematics_of(data, lm: Landmarks, prog: Progression, *, smooth_hz: float = 6.0,
                  augmenter: str | Path | None = None,
                  label_map: Mapping[str, str] | None = None,
                  static_trial: str | Path | None = None, flat_foot: bool = False,
                  tilt_offset_deg: float | None = None) -> Kinematics:
    """Lower-limb kinematics of an analysis input (analysis/inputs.AnalysisInput): the marker
    chain for skin markers, the estimated-landmark chain for video keypoints
    (``tilt_offset_deg``: see :func:`from_keypoints`)."""
    processing, subject = subject_data(data.source, data.source_kind)
    if lm.kind == "markerless":
        return from_keypoints(data.points, data.labels, lm, prog, subject, augmenter,
                              smooth_hz=smooth_hz, tilt_offset_deg=tilt_offset_deg)
    return from_markers(data.points, data.labels, lm, prog, processing, subject, label_map,
                        static_trial, flat_foot)


def angle_arrays(k: Kinematics, n_frames: int) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """joint -> side -> component -> (F,) degrees for every joint of CONVENTIONS.md (NaN arrays
    where the kinematics could not be computed)."""
    out = {}
    for joint, keys in ll.JOINT_KEYS.items():
        out[joint] = {side: {key: np.asarray(k.joints.get(joint, {}).get(side, {}).get(
            key, np.full(n_frames, np.nan)), dtype=float) for key in keys} for side in ll.SIDES}
    return out
