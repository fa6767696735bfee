"""From ``keypoints2d.npz`` and a calibration to ``points3d.npz``: the pipeline stage."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.camera import CameraSet
from mocaplab.errors import InputError, OutputExistsError
from mocaplab.frame_pairing import unpaired_frames_problem
from mocaplab.keypoint_sets import KeypointSet, identify_keypoint_set
from mocaplab.keypoints.poses2d import Poses2D, load_poses_for
from mocaplab.pose_data import Keypoints2D, Points3D
from mocaplab.trial import Trial
from mocaplab.triangulation.filtering import FilterOptions, filter_points
from mocaplab.triangulation.health import (
    CameraHealth,
    HealthOptions,
    camera_health,
    health_warnings,
    miscalibrated_camera,
    outlying_cameras,
    reposed_camera,
)
from mocaplab.triangulation.linear import extrinsics, focal_lengths
from mocaplab.triangulation.persons import (
    Association,
    AssociationOptions,
    associate,
    attach_leftovers,
    person_views,
)
from mocaplab.triangulation.persons3d import PERSONS3D_FILE, Persons3D
from mocaplab.triangulation.robust import (
    RobustOptions,
    RobustResult,
    swap_groups,
    triangulate_robust,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, eq=False)
class TriangulationReport:
    """What one triangulation did (for logs and the CLI summary)."""

    n_frames: int
    n_keypoints: int
    cameras: tuple[str, ...]
    threshold_px: float
    completeness_raw: float
    completeness_final: float
    median_reprojection_error_px: float
    views_dropped: int
    swaps_fixed: int
    filled: int
    person_id: str = ""
    persons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        who = ""
        if len(self.persons) > 1:
            others = ", ".join(p for p in self.persons if p != self.person_id)
            who = f"subject {self.person_id} of {len(self.persons)} persons (also: {others}); "
        return (f"{who}{self.n_frames} frames x {self.n_keypoints} keypoints from "
                f"{len(self.cameras)} cameras: {100 * self.completeness_raw:.1f} % triangulated, "
                f"{100 * self.completeness_final:.1f} % after gap filling; median reprojection "
                f"error {self.median_reprojection_error_px:.2f} px (outlier threshold "
                f"{self.threshold_px:.1f} px); {self.views_dropped} views dropped, "
                f"{self.swaps_fixed} left/right swaps fixed")


def match_cameras(cameras: CameraSet, names: Sequence[str],
                  camera_map: dict[str, str] | None = None) -> CameraSet:
    """The calibrated cameras in the order of ``names`` (e.g. a keypoints file's cameras),
    renamed to them.

    Names pair by :func:`mocaplab.camera_names.pair_camera_names` (explicit ``camera_map``,
    then equal names, then loose names only when that pairs them all); otherwise
    :class:`~mocaplab.camera_names.CameraNameError` lists every unmatched name.
    """
    from mocaplab.camera_names import pair_camera_names

    names = list(names)
    pairs = pair_camera_names(names, cameras.names, camera_map)
    sub = cameras.subset([pairs[n] for n in names])
    return CameraSet(tuple(c.replace(name=n) for c, n in zip(sub, names, strict=True)),
                     sub.metadata)


def keypoint_set_for(names: Sequence[str]) -> KeypointSet:
    """The known keypoint set with these names, else an ad-hoc one (mirrors by name, no bones)."""
    return identify_keypoint_set(names) or KeypointSet("custom", tuple(names))


def real_fps(keypoints: Keypoints2D) -> float:
    """The frame rate measured from the keypoints' timestamps (median frame interval over all
    cameras) when they have them, else the nominal ``fps``."""
    ts = keypoints.timestamps
    if ts is None or np.shape(ts)[1] < 3:
        return keypoints.fps
    dt = np.diff(np.asarray(ts, dtype=float), axis=1)
    dt = dt[np.isfinite(dt) & (dt > 0)]
    if not dt.size:
        return keypoints.fps
    fps = float(1.0 / np.median(dt))
    if abs(fps - keypoints.fps) > 0.01 * keypoints.fps:
        log.warning("frame rate from timestamps %.3f Hz differs from the nominal %.3f Hz; "
                    "filtering at %.3f Hz", fps, keypoints.fps, fps)
    return fps


def triangulate_keypoints(keypoints: Keypoints2D, cameras: CameraSet,
                          robust: RobustOptions | None = None,
                          filtering: FilterOptions | None = None,
                          keypoint_set: KeypointSet | None = None,
                          ) -> tuple[Points3D, RobustResult, TriangulationReport]:
    """Robust triangulation, then (if ``filtering``) gap filling and low-pass at the real fps.

    The frame rate is measured from the keypoints' timestamps when present (:func:`real_fps`),
    else the nominal ``keypoints.fps``; the saved points carry it.

    Returns:
        (points to save, the raw robust result, a report). In the saved points,
        ``reprojection_error`` and ``n_views`` describe the triangulation; gap-filled samples
        have ``n_views`` 0 and a NaN error.
    """
    cams = match_cameras(cameras, keypoints.cameras)
    kset = keypoint_set or keypoint_set_for(keypoints.keypoints)
    if len(kset) != len(keypoints.keypoints):
        raise InputError(f"keypoint set {kset.name} has {len(kset)} keypoints, the keypoints "
                         f"file {len(keypoints.keypoints)}")
    res = triangulate_robust(cams, keypoints.points, keypoints.confidence, kset.mirror, robust,
                             swap_groups(kset.names, kset.mirror))
    fps = real_fps(keypoints)
    out, filled, _ = _smoothed(cams, keypoints.points, keypoints.confidence, res,
                            keypoints.keypoints, fps, filtering, kset)
    return out, res, _report(res, out, filled, cams, keypoints.points, keypoints.confidence)


def _filtered(res: RobustResult, names, fps: float, filtering: FilterOptions | None,
              kset: KeypointSet) -> tuple[Points3D, np.ndarray, np.ndarray]:
    pts = res.points
    filled = np.zeros(pts.shape[:2], dtype=bool)
    if filtering is not None:
        edges = kset.edge_indices if kset.edges else None
        pts, filled = filter_points(res.points, fps, filtering, edges)
    return (Points3D(pts, names, fps, res.reprojection_error, res.n_views), filled,
            np.zeros(pts.shape[:2], dtype=np.uint8))


def _smoothed(cams: CameraSet, pixels: np.ndarray, confidence: np.ndarray, res: RobustResult,
              names, fps: float, filtering: FilterOptions | None, kset: KeypointSet
              ) -> tuple[Points3D, np.ndarray, np.ndarray]:
    """The saved points: with ``filtering`` (and a cutoff), each keypoint's trajectory smoothed
    with its own views' geometry (:mod:`.smoothing`: the robust triangulation's views, chosen
    again against the smooth trajectory; the same low-pass where every frame is seen alike;
    gaps up to ``max_gap_s`` bridged), then the optional bone-length constraint; without,
    :func:`_filtered`'s."""
    if filtering is None or filtering.cutoff_hz is None:
        return _filtered(res, names, fps, filtering, kset)
    from mocaplab.signal import max_gap_frames
    from mocaplab.triangulation.continuity import unconfirmed_points
    from mocaplab.triangulation.filtering import constrain_bone_lengths
    from mocaplab.triangulation.linear import normalized_observations
    from mocaplab.triangulation.smoothing import (
        BRIDGE_LIMIT_S,
        UNCONFIRMED_LABEL,
        UNSUPPORTED_REASONS,
        skeleton_outlier_frames,
        smooth_points,
        unsupported_points,
    )

    pix = _swap_applied(pixels, res.swapped, kset.mirror)
    conf = np.nan_to_num(_swap_applied(confidence, res.swapped, kset.mirror), nan=0.0)
    w = np.where(np.isfinite(pix).all(-1), np.maximum(conf, 1e-3), 0.0)
    Rt, focal = extrinsics(cams), focal_lengths(cams)
    inliers = res.inliers
    if kset.edges:  # two-view points of frames whose skeleton breaks its bone lengths: gaps
        odd = skeleton_outlier_frames(res.points, res.n_views, kset.edge_indices)
        inliers = inliers & ~(odd[:, None] & (res.n_views == 2))[None]
    xn = normalized_observations(cams, pix)
    X, used = smooth_points(Rt, xn, w, focal, inliers,
                            res.points, fps, filtering.cutoff_hz, filtering.max_gap_s,
                            res.threshold_px)
    # points the views do not vouch for are left out (NaN; reasons in smoothing's module)
    unsupported = unsupported_points(Rt, xn, focal, used, X, fps, res.threshold_px,
                                     filtering.max_gap_s)
    # two-view points whose left/right label decides them, the label not carried by the
    # view's own 2D track from well-seen frames (:mod:`.continuity`). With two cameras no
    # frame is seen by three views, so no labelling could ever be confirmed: the rule would
    # leave out every such point (Pose2Sim's cam01+cam02: 2342 of 3300 points, hips and ankles
    # in 1 % of the frames), and is not applied.
    lone = np.zeros(X.shape[:2], bool)
    if len(cams) >= 3:
        lone = unconfirmed_points(Rt, xn, focal, used, kset.mirror, X, res.threshold_px,
                                  max_gap_frames(fps, BRIDGE_LIMIT_S))
    unsupported = np.where((unsupported == 0) & lone & np.isfinite(X).all(-1),
                           UNCONFIRMED_LABEL, unsupported).astype(np.uint8)
    if unsupported.any():
        log.info("%s", "; ".join(f"{int((unsupported == c).sum())} points left out: {why}"
                                 for c, why in UNSUPPORTED_REASONS.items()
                                 if (unsupported == c).any()))
    X = np.where(unsupported[..., None] > 0, np.nan, X)
    # points the smoothing left out (weak runs that jump against strong ones) are gaps now
    dropped = ((used.sum(0) < 2) & (res.n_views >= 2)) | (unsupported > 0)
    n_views = np.where(dropped, 0, res.n_views)
    error = np.where(dropped, np.nan, res.reprojection_error)
    filled = np.isfinite(X).all(-1) & (n_views == 0)
    if filtering.bone_lengths and kset.edges:
        X = constrain_bone_lengths(X, kset.edge_indices, iterations=filtering.bone_iterations)
    return Points3D(X, names, fps, error, n_views), filled, unsupported


def _report(res: RobustResult, out: Points3D, filled: np.ndarray, cams: CameraSet,
            pixels: np.ndarray, confidence: np.ndarray, **persons: Any) -> TriangulationReport:
    pts = out.points
    seen = np.isfinite(pixels).all(-1) & (confidence > 0)
    err = res.reprojection_error[np.isfinite(res.reprojection_error)]
    return TriangulationReport(
        n_frames=pts.shape[0], n_keypoints=pts.shape[1], cameras=tuple(cams.names),
        threshold_px=res.threshold_px,
        completeness_raw=float(np.isfinite(res.points).all(-1).mean()) if pts.size else 0.0,
        completeness_final=float(np.isfinite(pts).all(-1).mean()) if pts.size else 0.0,
        median_reprojection_error_px=float(np.median(err)) if err.size else float("nan"),
        views_dropped=int((seen & ~res.inliers).sum()), swaps_fixed=int(res.swapped.sum() // 2),
        filled=int(filled.sum()), **persons)


#: How the subject is chosen among the persons tracked (docs/triangulation.md).
SUBJECT_RULE = "most camera-frames"


@dataclasses.dataclass(frozen=True, eq=False)
class PersonResult:
    """One tracked person: filtered points, the raw robust result, camera health."""

    person_id: str
    points: Points3D
    robust: RobustResult
    filled: np.ndarray
    pixels: np.ndarray
    confidence: np.ndarray
    health: tuple[CameraHealth, ...]
    camera_frames: int
    #: (F, K) uint8: why a saved point was left out (0: not left out; codes of
    #: :data:`mocaplab.triangulation.smoothing.UNSUPPORTED_REASONS`)
    left_out: np.ndarray | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class PersonsTriangulation:
    """Every person of a trial, the subject among them (index), and the warnings."""

    persons: tuple[PersonResult, ...]
    association: Association
    subject: int
    cameras: CameraSet
    warnings: tuple[str, ...]
    rule: str = SUBJECT_RULE

    @property
    def subject_result(self) -> PersonResult:
        return self.persons[self.subject]

    def report(self) -> TriangulationReport:
        s = self.subject_result
        return _report(s.robust, s.points, s.filled, self.cameras, s.pixels, s.confidence,
                       person_id=s.person_id, persons=tuple(p.person_id for p in self.persons),
                       warnings=self.warnings)

    def record(self) -> dict[str, np.ndarray]:
        """The person/camera arrays added to ``points3d.npz`` (see :mod:`.persons3d`)."""
        s = self.subject_result
        h = s.health
        return {"person_id": np.array(s.person_id),
                "persons": np.array([p.person_id for p in self.persons]),
                "person_camera_frames": np.array([p.camera_frames for p in self.persons]),
                "person_tracked_frames": self.association.tracked().mean(1),
                "subject_rule": np.array(self.rule),
                "cameras": np.array([x.camera for x in h]),
                "camera_frames_associated": np.array([x.frames_associated for x in h]),
                "camera_views_kept": np.array([x.views_kept for x in h]),
                "camera_median_error_px": np.array([x.median_error_px for x in h]),
                "camera_median_error_mm": np.array([x.median_error_mm for x in h]),
                "camera_disagreement": np.array([x.disagreement for x in h]),
                **_left_out_record(s.left_out),
                "warnings": np.array(self.warnings, dtype=str)}

    def persons3d(self) -> Persons3D:
        return Persons3D(np.stack([p.points.points for p in self.persons]),
                         tuple(p.person_id for p in self.persons), self.subject,
                         self.subject_result.points.keypoints, self.subject_result.points.fps,
                         np.stack([p.points.reprojection_error for p in self.persons]),
                         np.stack([p.points.n_views for p in self.persons]),
                         np.array([p.camera_frames for p in self.persons]), self.rule)


def _left_out_record(left_out: np.ndarray | None) -> dict[str, np.ndarray]:
    """``points_left_out`` (R,) int: the subject's saved points left out (NaN) per reason,
    ``points_left_out_reasons`` (R,) str (:data:`~.smoothing.UNSUPPORTED_REASONS`)."""
    from mocaplab.triangulation.smoothing import UNSUPPORTED_REASONS

    codes = np.zeros(0, dtype=np.uint8) if left_out is None else np.asarray(left_out)
    return {"points_left_out": np.array([int((codes == c).sum()) for c in UNSUPPORTED_REASONS]),
            "points_left_out_reasons": np.array(list(UNSUPPORTED_REASONS.values()))}


def select_subject(person_ids: Sequence[str], camera_frames: Sequence[int],
                   person: str | None = None) -> int:
    """The subject's index: ``person`` when given (an id such as "P2"), else the person
    tracked in most camera-frames (ids are ordered that way, so "P1").

    Raises:
        InputError: ``person`` is not among the persons tracked.
    """
    if person is not None:
        if person not in person_ids:
            raise InputError(f"--person {person}: persons tracked are {list(person_ids)}")
        return list(person_ids).index(person)
    return int(np.argmax(camera_frames))


def triangulate_persons(poses: Poses2D, cameras: CameraSet,
                        robust: RobustOptions | None = None,
                        filtering: FilterOptions | None = None,
                        keypoint_set: KeypointSet | None = None,
                        association: AssociationOptions | None = None,
                        person: str | None = None,
                        health: HealthOptions | None = None) -> PersonsTriangulation:
    """Associate people across views and frames, triangulate each, pick the subject.

    Every tracked person is triangulated robustly and filtered like a single person
    (:func:`triangulate_keypoints`); the subject is chosen by :func:`select_subject`. Warnings:
    per-camera health of the subject (:mod:`.health`), and a subject chosen by a narrow margin.

    Raises:
        InputError: nobody is seen consistently by two cameras; ``person`` unknown.
    """
    cams = match_cameras(cameras, poses.cameras)
    kset = keypoint_set or keypoint_set_for(poses.keypoints)
    if len(kset) != len(poses.keypoints):
        raise InputError(f"keypoint set {kset.name} has {len(kset)} keypoints, the keypoints "
                         f"file {len(poses.keypoints)}")
    fps = poses.fps
    assoc = associate(cams, poses.points, poses.confidence, kset.mirror, fps, association)
    if assoc.n_persons == 0:
        raise InputError("nobody is seen consistently by two cameras in any frame: check the "
                         "calibration (does it belong to these videos?) and the synchronisation")
    groups = swap_groups(kset.names, kset.mirror)
    first = [triangulate_robust(cams, *person_views(poses.points, poses.confidence,
                                                    assoc.slots[n]), kset.mirror, robust, groups)
             for n in range(assoc.n_persons)]
    grown = attach_leftovers(cams, poses.points, poses.confidence, kset.mirror, assoc,
                             np.stack([r.points for r in first]), fps, association)
    # somebody in a view: a detection with a third of its keypoints confident (not a foot at
    # the image edge)
    K = len(poses.keypoints)
    someone = ((poses.confidence >= 0.3).sum(-1) >= K / 3).any(-1)  # (C, F)
    tracked = grown.tracked()
    cams0 = cams

    def solve(n: int, left_out: list[int], cams: CameraSet = cams) -> PersonResult:
        pix, conf = person_views(poses.points, poses.confidence, grown.slots[n])
        if left_out:
            conf = conf.copy()
            conf[left_out] = 0.0
            pix = np.where((conf > 0)[..., None], pix, np.nan)
        reuse = (np.array_equal(grown.slots[n], assoc.slots[n]) and not left_out
                 and cams is cams0)
        res = (first[n] if reuse
               else triangulate_robust(cams, pix, conf, kset.mirror, robust, groups))
        mirrored = mirrored_frames(res.points, kset)
        if mirrored.any():  # every view labelled the other way round: relabel, solve again
            pix, conf = pix.copy(), conf.copy()
            lat = groups[0] if groups else np.zeros(0, dtype=int)
            for arr in (pix, conf):
                a = arr[:, mirrored][:, :, lat].copy()
                sub = arr[:, mirrored]
                sub[:, :, lat] = sub[:, :, kset.mirror[lat]]
                sub[:, :, kset.mirror[lat]] = a
                arr[:, mirrored] = sub
            res = triangulate_robust(cams, pix, conf, kset.mirror, robust, groups)
        res = _limbs_relabelled(cams, pix, conf, res, kset, groups, fps, robust)
        pts, filled, left_out = _smoothed(cams, pix, conf, res, poses.keypoints, fps, filtering,
                                          kset)
        fixed = _swap_applied(pix, res.swapped, kset.mirror)
        hl = camera_health(cams, fixed, conf, res.inliers, res.points, tracked[n], someone)
        return PersonResult(grown.person_ids[n], pts, res, filled, pix, conf, tuple(hl),
                            int(grown.camera_frames[n]), left_out)

    people = [solve(n, []) for n in range(grown.n_persons)]
    subject = select_subject(grown.person_ids, grown.camera_frames, person)
    s = people[subject]
    warns = health_warnings(list(s.health), health, person=f"the subject {s.person_id}")
    # a persistently outlying camera is left out of everyone's 3D while three others remain
    outlying = outlying_cameras(list(s.health), health)
    if not outlying:
        # a camera whose calibration disagrees with the others (health.miscalibrated_camera)
        check = miscalibrated_camera(cams, _swap_applied(s.pixels, s.robust.swapped,
                                                         kset.mirror), s.robust.inliers)
        if check.camera >= 0:
            name = cams.names[check.camera]
            others = float(np.nanmedian(np.delete(check.correction_mm, check.camera)))
            warns.append(f"camera {name}: its calibration disagrees with the other cameras "
                         f"(the pose that fits it to their 3D moves its view of the subject "
                         f"{s.person_id} by {check.correction_mm[check.camera]:.0f} mm, the "
                         f"other cameras' by {others:.0f} mm): check its calibration and "
                         "whether it moved")
            outlying = [name]
    if outlying and len(cams) - len(outlying) >= 3:
        idx = [cams.names.index(c) for c in outlying]
        before = {h.camera: h for h in s.health}
        # first its pose is re-estimated against the others' 3D: used again when that makes
        # it agree (then it still votes on which keypoint a view holds); otherwise it is left
        # out of everyone's 3D (synchronisation, a detector failing on that view)
        fixed = _swap_applied(s.pixels, s.robust.swapped, kset.mirror)
        reposed, moved = cams, []
        for c in idx:
            reposed, mm = reposed_camera(reposed, c, fixed, s.robust.inliers)
            moved.append(mm)
        again = ([solve(n, [], reposed) for n in range(grown.n_persons)]
                 if all(np.isfinite(moved)) else [])
        agrees = bool(again) and not set(outlying) & set(
            outlying_cameras(list(again[subject].health), health))
        if agrees:
            a = again[subject]
            check = miscalibrated_camera(reposed, _swap_applied(a.pixels, a.robust.swapped,
                                                                kset.mirror), a.robust.inliers)
            agrees = check.camera not in idx
        if agrees:
            people, cams = again, reposed
            warns.append(f"camera(s) {', '.join(outlying)}: pose re-estimated against the "
                         f"other cameras' 3D of the subject {s.person_id} (turned by "
                         f"{', '.join(f'{m:.1f}' for m in moved)} deg) and used with it; the "
                         "calibration file is unchanged: calibrate again")
        else:
            people = [solve(n, idx) for n in range(grown.n_persons)]
            warns.append(f"camera(s) {', '.join(outlying)} left out of the 3D (persistently "
                         "outlying); the other cameras triangulate every person")
        # the camera's health as calibrated (what the warning names)
        people = [dataclasses.replace(p, health=tuple(
            before[h.camera] if h.camera in outlying and n == subject else h
            for h in p.health)) for n, p in enumerate(people)]
        s = people[subject]
    if person is None and len(people) > 1:
        runner = max(p.camera_frames for i, p in enumerate(people) if i != subject)
        if runner > 0.8 * s.camera_frames:
            warns.append(f"subject choice is close: {s.person_id} is tracked in "
                         f"{s.camera_frames} camera-frames, another person in {runner}; check "
                         "the viewer and pass --person ID if it is the wrong one")
    for w in warns:
        log.warning("%s", w)
    rule = SUBJECT_RULE if person is None else f"--person {person}"
    return PersonsTriangulation(tuple(people), grown, subject, cams, tuple(warns), rule)


def _limbs_relabelled(cams: CameraSet, pixels: np.ndarray, confidence: np.ndarray,
                      res: RobustResult, kset: KeypointSet, groups: list[np.ndarray],
                      fps: float, robust: RobustOptions | None, rounds: int = 2
                      ) -> RobustResult:
    """The robust result solved again where a limb or the face is labelled the other way round
    in most views at once (:func:`mocaplab.triangulation.anatomy.misattached`): those labels
    are exchanged in every view and the views decided again (up to ``rounds`` times).
    ``swapped`` of the result is relative to ``pixels``, as before. Keypoint sets without
    bones, or with the swap fixes off: ``res`` unchanged."""
    from mocaplab.triangulation.anatomy import misattached

    if not kset.edges or not groups or (robust is not None and not robust.fix_swaps):
        return res
    for _ in range(rounds):  # the views decided again may show a limb the first look hid
        exchange = misattached(res.points, res.n_views, kset.names, kset.mirror, groups,
                               kset.edge_indices, fps)
        if not exchange.any():
            break
        total = res.swapped ^ exchange[None]
        again = triangulate_robust(cams, _swap_applied(pixels, total, kset.mirror),
                                   _swap_applied(confidence, total, kset.mirror),
                                   kset.mirror, robust, groups)
        res = dataclasses.replace(again, swapped=again.swapped ^ total)
    return res


#: Keypoints that give a skeleton's handedness (mediapipe33 names).
_CHIRALITY = ("left_hip", "right_hip", "left_shoulder", "right_shoulder", "left_heel",
              "left_foot_index", "right_heel", "right_foot_index", "nose", "left_ear",
              "right_ear")


def mirrored_frames(points: np.ndarray, kset: KeypointSet, min_cos: float = 0.3) -> np.ndarray:
    """(F,) bool: frames whose skeleton is its own mirror image (left and right exchanged in
    every view at once: consistent in 3D, so no per-view check can see it).

    A person's left (hips and/or shoulders, left minus right), forward (toes minus heels and/or
    nose minus the ears' midpoint) and up (shoulders minus hips) make a right-handed frame:
    (forward x left) . up > 0. A frame is mirrored when that triple product, normalised, is
    below ``-min_cos`` (parts out of view are left out of the sums). Keypoint sets without
    these names: never.
    """
    F = points.shape[0]
    if not all(n in kset.names for n in _CHIRALITY):
        return np.zeros(F, dtype=bool)
    P = {n: points[:, kset.index(n)] for n in _CHIRALITY}

    def total(*vectors: np.ndarray) -> np.ndarray:
        return np.nansum(np.stack(vectors), axis=0)

    left = total(P["left_hip"] - P["right_hip"], P["left_shoulder"] - P["right_shoulder"])
    fwd = total(P["left_foot_index"] - P["left_heel"], P["right_foot_index"] - P["right_heel"],
                P["nose"] - 0.5 * (P["left_ear"] + P["right_ear"]))
    up = 0.5 * (P["left_shoulder"] + P["right_shoulder"] - P["left_hip"] - P["right_hip"])
    triple = np.einsum("fi,fi->f", np.cross(fwd, left), up)
    norm = (np.linalg.norm(fwd, axis=-1) * np.linalg.norm(left, axis=-1)
            * np.linalg.norm(up, axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = triple / norm
    return np.nan_to_num(c, nan=0.0) < -min_cos


def _swap_applied(pixels: np.ndarray, swapped: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    """The observations with the left/right exchanges the robust triangulation made."""
    out = pixels.copy()
    c, f, k = np.nonzero(swapped)
    out[c, f, k] = pixels[c, f, np.asarray(mirror)[k]]
    return out


def triangulate_trial(trial: Trial | str | os.PathLike,
                      calibration: CameraSet | str | os.PathLike | None = None,
                      filter: bool = True, cutoff_hz: float = 6.0, *,
                      keypoints: str | os.PathLike | None = None,
                      out: str | os.PathLike | None = None,
                      min_views: int = 2, threshold_px: float | None = None,
                      max_gap_s: float = 0.1, bone_lengths: bool = False,
                      fix_swaps: bool = True, export: Sequence[str] | str = (),
                      trc_y_up: bool = False, opensim_names: bool = False,
                      force: bool = False, person: str | None = None,
                      camera_map: dict[str, str] | None = None,
                      **robust_options: Any) -> Path:
    """Triangulate a trial folder's ``keypoints2d.npz`` (with its ``poses2d.npz`` when
    detection kept several people) into its ``points3d.npz``: the subject's skeleton, with
    the persons tracked and per-camera health recorded (:mod:`.persons3d`); with more than one
    person tracked, also ``persons3d.npz`` beside it.

    Args:
        trial: the trial folder (or a :class:`Trial`).
        calibration: a CameraSet or a calibration file; default the trial's (``meta.json`` or
            ``calibration.toml``). Cameras are matched to the keypoints' cameras by name.
        filter: gap filling + zero-phase Butterworth low-pass at the trial's fps.
        cutoff_hz: low-pass cutoff, Hz.
        keypoints: 2D keypoints file (default ``TRIAL/keypoints2d.npz``).
        out: output file (default ``TRIAL/points3d.npz``).
        min_views: fewest inlier views for a point.
        threshold_px: outlier threshold in pixels (default automatic).
        max_gap_s: longest gap filled, seconds.
        bone_lengths: also keep bone lengths constant (known keypoint sets only).
        fix_swaps: detect and fix left/right swaps.
        export: formats to export beside ``out`` ("trc", "c3d"), e.g. ``points3d.trc``.
        trc_y_up: write the TRC in OpenSim's Y-up frame instead of the lab's Z-up frame.
        opensim_names: name the TRC's markers as Pose2Sim's BlazePose set
            (:func:`mocaplab.triangulation.export.export_points`); needs "trc" in ``export``
            and mediapipe33 keypoints, checked before anything is written.
        force: replace an existing output.
        person: the subject's id ("P2"); default :func:`select_subject`'s rule.
        camera_map: keypoints camera name -> calibration camera name where they differ.
        **robust_options: other :class:`RobustOptions` fields.

    Returns:
        The path of the written ``points3d.npz``.
    """
    from mocaplab.triangulation.export import export_points, parse_formats

    trial = trial if isinstance(trial, Trial) else Trial(trial)
    kp_path = Path(keypoints) if keypoints is not None else trial.keypoints2d_path
    out_path = Path(out) if out is not None else trial.points3d_path
    formats = parse_formats(export) if export else []
    if out_path.exists() and not force:
        raise OutputExistsError(f"{out_path} already exists; pass --force to triangulate "
                                "again")
    if calibration is None:
        calibration = trial.calibration_path
        if calibration is None:
            raise InputError(f"{trial.path} names no calibration: pass --calibration CAL.toml, "
                             "or put calibration.toml in the trial folder")
    if isinstance(calibration, CameraSet):
        cams = calibration
    else:
        from mocaplab.calibration import load_calibration

        cams = load_calibration(calibration)
    if not kp_path.is_file():
        raise InputError(f"{kp_path} does not exist: run 'mocaplab detect' on the trial first, "
                         "or pass --keypoints")
    kp = Keypoints2D.load(kp_path)
    if len(kp.cameras) < 2:  # said "nobody is seen consistently by two cameras ..."
        raise InputError(f"{kp_path} holds {len(kp.cameras)} camera ({', '.join(kp.cameras)}):"
                         " 3D needs at least two calibrated cameras; add the other cameras' "
                         "videos (mocaplab import) and detect again")
    if keypoints is None:  # the trial's own keypoints: its videos' frames must pair
        problem = unpaired_frames_problem(trial, kp.cameras)
        if problem:
            raise InputError(problem)
    if opensim_names:  # refuse before anything is written
        if "trc" not in formats:
            raise InputError("--opensim-names names the TRC export's markers: add trc to "
                             "--export")
        from mocaplab.keypoint_sets import to_opensim_names

        to_opensim_names(np.zeros((1, len(kp.keypoints), 3)), list(kp.keypoints))
    robust = RobustOptions(min_views=min_views, threshold_px=threshold_px, fix_swaps=fix_swaps,
                           **robust_options)
    filt = FilterOptions(cutoff_hz=cutoff_hz, max_gap_s=max_gap_s,
                         bone_lengths=bone_lengths) if filter else None
    if camera_map:
        cams = match_cameras(cams, kp.cameras, camera_map)
    poses = load_poses_for(kp_path, kp)
    result = triangulate_persons(poses, cams, robust, filt, person=person)
    points = result.subject_result.points
    persons_path = out_path.with_name(PERSONS3D_FILE)
    if len(result.persons) > 1:
        result.persons3d().save(persons_path)
    else:
        persons_path.unlink(missing_ok=True)  # from an earlier run: no longer true
    points.save(out_path, overwrite=True, **result.record())
    log.info("%s", result.report().summary())
    for fmt in formats:
        export_points(points, out_path.with_suffix(f".{fmt}"), fmt,
                      y_up=trc_y_up and fmt == "trc",
                      opensim_names=opensim_names and fmt == "trc", overwrite=True)
    return out_path
