"""Pelvis, thorax and spine angles with Plug-in Gait definitions and per-side signs.

Segment frames (columns x forward, y left, z up):

- Pelvis, markers: origin mid-ASIS, y from RASI to LASI, z perpendicular to the plane of the
  ASIS and SACR (SACR = mid-PSIS when absent), x = y x z (Plug-in Gait).
- Pelvis, markerless (hip joint centres only): y from the right to the left hip centre; the
  hip centres carry no anterior/posterior information, so tilt is NaN and the frame is built
  with zero tilt, giving obliquity = elevation of the hip line in the frontal plane and rotation
  = its angle in the horizontal plane.
- Thorax, markers: z from mid(STRN, T10) to mid(CLAV, C7), x in the plane of z and the line
  mid(C7, T10) -> mid(CLAV, STRN) (Plug-in Gait).
- Thorax, shoulders: z from mid-hips to mid-shoulders, y from the right to the left shoulder.
  Its flexion is the trunk-line inclination, not the Plug-in Gait thorax flexion (which uses the
  sternum); this is stated in the output.

Angles: intrinsic Y-X-Z Cardan angles (tilt/flexion, obliquity/lateral flexion, rotation) of
the segment relative to the progression frame (pelvis, thorax) or of the thorax relative to the
pelvis (spine). Per side as Vicon writes L/RPelvisAngles: both sides share tilt; the left side
has obliquity = +X angle (left side up positive) and rotation = -Z angle (left side forward
positive); the right side the opposite signs of those two. Thorax angles use the same pattern
(this equals Plug-in Gait's thorax with its Z-down frame and 180 deg offsets); spine angles follow
Plug-in Gait's spine joint, see :func:`spine_angles`. Pelvis, thorax and spine angles equal
Vicon's own outputs (walk.c3d; the full-body PiG_Motion-FlatFoot walks of the marker corpus:
RMSE < 0.01 deg, tests/test_analysis_lower_limb.py).

From video keypoints with estimated landmarks (analysis/kinematics.py) the pelvis is the Plug-in
Gait pelvis of the estimated ASIS/PSIS and the thorax the trunk line from the hip centres to the
shoulders: spine lateral flexion is then the trunk relative to the pelvis, not the hip line.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mocaplab.analysis.frames import cardan_yxz, frame_from_xy, frame_from_zx, relative
from mocaplab.analysis.landmarks import Landmarks, pelvis_frame
from mocaplab.analysis.progression import Progression

PELVIS_KEYS = ("tilt", "obliquity", "rotation")
TRUNK_KEYS = ("flexion", "lateral_flexion", "rotation")


@dataclasses.dataclass(frozen=True, eq=False)
class SegmentAngles:
    """Angles of one segment, per side: side -> (F, 3) degrees; NaN with reasons."""

    left: np.ndarray
    right: np.ndarray
    keys: tuple[str, str, str]
    model: str
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {side: {k: getattr(self, side)[:, i] for i, k in enumerate(self.keys)}
                for side in ("left", "right")}


def per_side(cardan: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, 3) Y-X-Z Cardan angles -> (left, right) with the Plug-in Gait per-side signs."""
    left = cardan * np.array([1.0, 1.0, -1.0])
    right = cardan * np.array([1.0, -1.0, 1.0])
    return left, right


def pelvis_rotation(lm: Landmarks) -> tuple[np.ndarray, str, tuple[str, ...]]:
    """Pelvis frames (F, 3, 3), the model used, and notes. NaN frames if not computable."""
    F = lm.n_frames
    if lm.has("LASI", "RASI", "SACR"):
        _, rot = pelvis_frame(lm.get("LASI"), lm.get("RASI"), lm.get("SACR"))
        return rot, "plugin_gait_pelvis", ()
    if lm.has("LHJC", "RHJC"):
        lat = lm.get("LHJC") - lm.get("RHJC")
        fwd = np.cross(lat, [0.0, 0.0, 1.0])
        rot = frame_from_xy(fwd, lat, primary="y")
        return rot, "hip_centres", (
            "pelvis tilt is NaN: the hip joint centres define only the left-right axis of the "
            "pelvis, not its anterior/posterior tilt (that needs ASIS and PSIS/sacrum markers)",)
    return np.full((F, 3, 3), np.nan), "none", (
        "pelvis angles unavailable: need LASI, RASI and SACR (or LPSI/RPSI) markers, or left and "
        "right hip keypoints",)


def thorax_rotation(lm: Landmarks) -> tuple[np.ndarray, str, tuple[str, ...]]:
    """Thorax frames (F, 3, 3), the model used, and notes."""
    F = lm.n_frames
    if lm.has("C7", "T10", "CLAV", "STRN"):
        top = (lm.get("CLAV") + lm.get("C7")) / 2
        bottom = (lm.get("STRN") + lm.get("T10")) / 2
        front = (lm.get("CLAV") + lm.get("STRN")) / 2
        back = (lm.get("C7") + lm.get("T10")) / 2
        return frame_from_zx(top - bottom, front - back), "plugin_gait_thorax", ()
    if lm.has("LSHO", "RSHO") and (lm.has("LHJC", "RHJC") or lm.has("LASI", "RASI")):
        hips = ("LHJC", "RHJC") if lm.has("LHJC", "RHJC") else ("LASI", "RASI")
        mid_hip = (lm.get(hips[0]) + lm.get(hips[1])) / 2
        mid_sho = (lm.get("LSHO") + lm.get("RSHO")) / 2
        lat = lm.get("LSHO") - lm.get("RSHO")
        z = mid_sho - mid_hip
        return frame_from_zx(z, np.cross(lat, z)), "shoulders_hips", (
            "thorax from shoulders and hips: flexion is the inclination of the hip-to-shoulder "
            "line, which differs by a near-constant offset from the Plug-in Gait thorax "
            "(sternum-based) flexion",)
    return np.full((F, 3, 3), np.nan), "none", (
        "thorax angles unavailable: need C7, T10, CLAV and STRN markers, or both shoulders and "
        "both hips",)


def pelvis_angles(lm: Landmarks, prog: Progression) -> SegmentAngles:
    """Pelvis tilt, obliquity, rotation (F, 3) per side relative to the progression frame."""
    rot, model, notes = pelvis_rotation(lm)
    cardan = cardan_yxz(relative(prog.rotation, rot))
    if model == "hip_centres":
        cardan[:, 0] = np.nan
    left, right = per_side(cardan)
    return SegmentAngles(left, right, PELVIS_KEYS, model, notes)


def thorax_angles(lm: Landmarks, prog: Progression) -> SegmentAngles:
    """Thorax flexion, lateral flexion, rotation (F, 3) per side relative to progression."""
    rot, model, notes = thorax_rotation(lm)
    left, right = per_side(cardan_yxz(relative(prog.rotation, rot)))
    return SegmentAngles(left, right, TRUNK_KEYS, model, notes)


def spine_angles(lm: Landmarks) -> SegmentAngles:
    """Spine (thorax-pelvis) flexion, lateral flexion, rotation (F, 3) per side, as Vicon writes
    L/RSpineAngles.

    Plug-in Gait computes the spine joint with the thorax as proximal segment, whose frame points
    Z down and Y right (our thorax frame turned 180 deg about x), and the pelvis as distal one,
    then applies per-side signs and 180 deg offsets (as reproduced by pyCGM2's CGM1 clinical
    descriptors). With (a, b, c) the Y-X-Z Cardan angles of the pelvis relative to our
    (upright) thorax frame this reduces to left = (-a, b, -c), right = (-a, -b, c).
    """
    prot, pmodel, _ = pelvis_rotation(lm)
    trot, tmodel, tnotes = thorax_rotation(lm)
    cardan = cardan_yxz(relative(trot, prot)) * np.array([-1.0, 1.0, 1.0])
    notes = list(tnotes)
    if pmodel == "hip_centres":
        cardan[:, 0] = np.nan
        notes.append("spine flexion is NaN: the pelvis tilt is unknown from hip centres alone; "
                     "lateral flexion and rotation use the hip line")
    if pmodel == "none" or tmodel == "none":
        notes.append("spine angles unavailable: need both a pelvis and a thorax model")
    left, right = per_side(cardan)
    return SegmentAngles(left, right, TRUNK_KEYS, f"{tmodel}_relative_to_{pmodel}",
                         tuple(notes))
