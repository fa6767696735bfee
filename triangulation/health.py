"""Per-camera health of a triangulation and the warnings that name a camera.

For the subject, per camera:

- ``frames_associated``: share of the subject's tracked frames in which this camera's detection
  was associated with the subject (low: the camera did not see the subject, or saw someone
  else: the views disagree about who they see);
- ``views_kept``: share of the keypoints of those detections that triangulation kept
  (inliers); low: the camera is persistently outlying (calibration, synchronisation, a
  detector that keeps failing on that view);
- ``median_error_px``: median reprojection error of the kept keypoints in that view, pixels of
  the distorted image;
- ``median_error_mm``: the same error as a distance at the subject (pixels x depth / focal
  length), comparable between a close, tightly framed camera and a distant one.

A camera is warned about when it keeps less than ``min_views_kept`` of its views, when its
median error at the subject is more than ``error_factor`` times the median of the other cameras'
(a persistently outlying camera: calibration or synchronisation off; such a camera is left out
of the 3D when at least three others remain, see :func:`outlying_cameras`), or when it saw
somebody in more than ``max_disagreement`` of the subject's tracked frames without that detection
being associated with the subject.

A camera whose calibration disagrees with the others while its errors look ordinary (a pose
off by a degree: the robust triangulation keeps many of its views, so its error spreads into
the 3D) is found by resection (:func:`miscalibrated_camera`): each camera's pose correction
against the other cameras' points, and again with each camera left out too; it is then left out
of the 3D like an outlying one.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from mocaplab.camera import CameraSet


@dataclasses.dataclass(frozen=True)
class HealthOptions:
    min_views_kept: float = 0.6
    error_factor: float = 2.0
    min_error_mm: float = 5.0
    max_disagreement: float = 0.1


@dataclasses.dataclass(frozen=True)
class CameraHealth:
    """One camera's figures (module doc). NaN where the camera never saw the subject."""

    camera: str
    frames_associated: float
    views_kept: float
    median_error_px: float
    disagreement: float
    median_error_mm: float = float("nan")

    def as_dict(self) -> dict:
        def num(x: float) -> float | None:
            return None if not np.isfinite(x) else round(float(x), 4)

        return {"camera": self.camera, "frames_associated": num(self.frames_associated),
                "views_kept": num(self.views_kept), "median_error_px": num(self.median_error_px),
                "median_error_mm": num(self.median_error_mm),
                "disagreement": num(self.disagreement)}


def camera_health(cameras: CameraSet, pixels: np.ndarray, confidence: np.ndarray,
                  inliers: np.ndarray, points: np.ndarray, tracked: np.ndarray,
                  someone_seen: np.ndarray) -> list[CameraHealth]:
    """Health of every camera for one person.

    Args:
        cameras: the C cameras.
        pixels: (C, F, K, 2) the person's observations (its associated detections, after swap
            fixing); confidence: (C, F, K).
        inliers: (C, F, K) views kept; points: (F, K, 3) the person's raw triangulated points.
        tracked: (F,) frames where the person is tracked.
        someone_seen: (C, F) the camera detected somebody in that frame.
    """
    seen = np.isfinite(pixels).all(-1) & (confidence > 0)
    assoc = seen.any(-1)  # (C, F) a detection of this person
    proj = cameras.project(points)
    dist = np.linalg.norm(proj - pixels, axis=-1)
    depth = np.stack([(points @ cam.rotation.T + cam.tvec)[..., 2] for cam in cameras])
    focal = np.array([cam.matrix[0, 0] for cam in cameras])
    dist_mm = dist * depth / focal[:, None, None] * 1000.0
    out = []
    n_tracked = max(int(tracked.sum()), 1)
    for c, name in enumerate(cameras.names):
        views = seen[c] & tracked[:, None]
        kept = inliers[c] & views
        d = dist[c][kept]
        d_mm = dist_mm[c][kept]
        out.append(CameraHealth(
            name,
            frames_associated=float((assoc[c] & tracked).sum() / n_tracked),
            views_kept=float(kept.sum() / views.sum()) if views.any() else float("nan"),
            median_error_px=float(np.median(d)) if d.size else float("nan"),
            disagreement=float((someone_seen[c] & ~assoc[c] & tracked).sum() / n_tracked),
            median_error_mm=float(np.median(d_mm)) if d_mm.size else float("nan")))
    return out


def outlying_cameras(health: list[CameraHealth], options: HealthOptions | None = None
                     ) -> list[str]:
    """Cameras whose median error at the subject is more than ``error_factor`` times the
    median of the other cameras' (and ``min_error_mm`` above it)."""
    opt = options or HealthOptions()
    mm = np.array([h.median_error_mm for h in health])
    out = []
    for i, h in enumerate(health):
        others = np.delete(mm, i)
        others = others[np.isfinite(others)]
        if not np.isfinite(mm[i]) or not others.size:
            continue
        typical = float(np.median(others))
        if mm[i] > opt.error_factor * typical and mm[i] > typical + opt.min_error_mm:
            out.append(h.camera)
    return out


def health_warnings(health: list[CameraHealth], options: HealthOptions | None = None,
                    person: str = "the subject") -> list[str]:
    """Sentences naming each unhealthy camera (module doc)."""
    opt = options or HealthOptions()
    outlying = set(outlying_cameras(health, opt))
    mm = np.array([h.median_error_mm for h in health])
    out = []
    for i, h in enumerate(health):
        if h.views_kept < opt.min_views_kept:
            out.append(f"camera {h.camera}: only {100 * h.views_kept:.0f} % of its views of "
                       f"{person} were kept (the others disagree with it): check its "
                       "calibration, synchronisation and framing")
        if h.camera in outlying:
            typical = float(np.nanmedian(np.delete(mm, i)))
            out.append(f"camera {h.camera}: persistently outlying, median error "
                       f"{h.median_error_mm:.0f} mm at {person} ({h.median_error_px:.1f} px), "
                       f"{h.median_error_mm / typical:.1f}x the other cameras' {typical:.0f} mm:"
                       " check its calibration and synchronisation")
        if h.disagreement > opt.max_disagreement:
            out.append(f"views disagree: camera {h.camera} sees somebody other than {person} "
                       f"in {100 * h.disagreement:.0f} % of the frames where the other cameras "
                       f"see {person}")
    return out


def _pose_update(Rt: np.ndarray, xn: np.ndarray, X: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The small change of one camera's pose (rotation and translation, linearised,
    Huber-weighted least squares) that best fits its normalized observations xn (N, 2) to
    points X (N, 3): (rotation vector (3,) rad, translation (3,) m, both in the camera frame:
    Xc -> Xc + rot x Xc + trans) and the shift it makes to each view, metres at the point (n,).
    None with fewer than 50 points in front of the camera."""
    Xc = X @ Rt[:3, :3].T + Rt[:3, 3]
    z = Xc[:, 2]
    ok = z > 0.1
    Xc, z, obs = Xc[ok], z[ok], xn[ok]
    if len(z) < 50:
        return None
    u, v = Xc[:, 0] / z, Xc[:, 1] / z
    r = (obs - np.stack([u, v], -1)).reshape(-1)
    x, y, w = Xc.T
    zero = np.zeros_like(x)
    # d Xc / d (rotation delta, translation delta): delta x Xc and the identity
    dX = np.concatenate([np.stack([np.stack([zero, w, -y], -1), np.stack([-w, zero, x], -1),
                                   np.stack([y, -x, zero], -1)], 1),
                         np.broadcast_to(np.eye(3), (len(z), 3, 3))], -1)  # (N, 3, 6)
    J = np.stack([(dX[:, 0] - u[:, None] * dX[:, 2]) / z[:, None],
                  (dX[:, 1] - v[:, None] * dX[:, 2]) / z[:, None]], 1).reshape(-1, 6)
    wt = np.ones(len(r))
    d = np.zeros(6)
    for _ in range(5):
        d = np.linalg.lstsq(J * wt[:, None], r * wt, rcond=None)[0]
        res = np.abs(r - J @ d)
        s = max(1.5 * float(np.median(res)), 1e-9)
        wt = np.where(res < s, 1.0, np.sqrt(s / np.maximum(res, 1e-12)))
    shift = np.linalg.norm((J @ d).reshape(-1, 2), axis=-1) * z
    return d[:3], d[3:], shift


def _pose_correction_mm(Rt: np.ndarray, xn: np.ndarray, X: np.ndarray) -> float:
    """How far (median, mm at the points) the pose change of :func:`_pose_update` moves the
    camera's view: ~0 for a camera that agrees with the points, the calibration error of one
    that does not."""
    upd = _pose_update(Rt, xn, X)
    return float("nan") if upd is None else float(1000 * np.median(upd[2]))


@dataclasses.dataclass(frozen=True)
class CalibrationCheck:
    """Which camera's calibration disagrees with the others' (:func:`miscalibrated_camera`).

    Attributes:
        camera: its index, or -1 (none found).
        correction_mm: (C,) per camera, how far the pose correction that fits it to the other
            cameras' points moves its view of the person, mm (median).
        agreement_mm: (C,) per camera b, the median of the others' corrections once b is left
            out too (small for the one bad camera: without it everybody agrees).
    """

    camera: int
    correction_mm: np.ndarray
    agreement_mm: np.ndarray


def miscalibrated_camera(cameras: CameraSet, pixels: np.ndarray, inliers: np.ndarray,
                         min_correction_mm: float = 3.0, factor: float = 2.0,
                         min_gap_mm: float = 1.0) -> CalibrationCheck:
    """A camera whose calibration disagrees with the others (a pose off by a degree or so, a
    camera moved after calibration): the robust triangulation keeps many of its views (their
    error is a few pixels), so its error spreads into the 3D instead of being outvoted.

    Each camera c is resected against the points triangulated from the others' kept views
    (:func:`_pose_correction_mm`); then again with each camera b left out as well. When one
    camera is off, every correction is large except once that camera is left out: camera b is
    named when the others' median correction without it is ``factor`` times (and
    ``min_gap_mm`` below) the next smallest such median, and its own correction exceeds
    ``min_correction_mm``. Needs 4 cameras.

    Args:
        pixels: (C, F, K, 2) the person's observations after left/right fixes; inliers:
            (C, F, K) the views the robust triangulation kept.
    """
    from mocaplab.triangulation.linear import (
        extrinsics,
        focal_lengths,
        normalized_observations,
        triangulate_weighted,
    )

    C = len(cameras)
    none = CalibrationCheck(-1, np.full(C, np.nan), np.full(C, np.nan))
    if C < 4:
        return none
    xn = normalized_observations(cameras, pixels).reshape(C, -1, 2)
    Rt, f = extrinsics(cameras), focal_lengths(cameras)
    inl = inliers.reshape(C, -1).astype(float)

    def correction(c: int, also: int | None = None) -> float:
        w = inl.copy()
        w[c] = 0.0
        if also is not None:
            w[also] = 0.0
        X = triangulate_weighted(Rt, xn, w, f, 1)
        # only c's kept views: a rejected view (a swap, an outlier, somebody else) is no
        # evidence about its calibration, and many of them bias the fit
        ok = np.isfinite(X).all(-1) & np.isfinite(xn[c]).all(-1) & (inl[c] > 0)
        return _pose_correction_mm(Rt[c], xn[c][ok], X[ok])

    corr = np.array([correction(c) for c in range(C)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        agree = np.array([np.nanmedian([correction(c, b) for c in range(C) if c != b])
                          for b in range(C)])
    if np.isfinite(agree).sum() < 2:
        return dataclasses.replace(none, correction_mm=corr, agreement_mm=agree)
    order = np.argsort(np.where(np.isfinite(agree), agree, np.inf))
    b, nxt = int(order[0]), float(agree[order[1]])
    bad = (nxt > factor * agree[b] and nxt - agree[b] > min_gap_mm
           and corr[b] > min_correction_mm)
    return CalibrationCheck(b if bad else -1, corr, agree)


def reposed_camera(cameras: CameraSet, camera: int, pixels: np.ndarray, inliers: np.ndarray,
                   iterations: int = 3) -> tuple[CameraSet, float]:
    """The cameras with one camera's pose (rotation and translation) re-estimated against the
    points the other cameras triangulate (resection, :func:`_pose_update`, relinearised
    ``iterations`` times): a camera whose calibration is off (outlying, or named by
    :func:`miscalibrated_camera`) can then vote on which keypoint a view holds again, instead
    of being left out while a left/right swap in two of the other views decides.

    Args:
        camera: its index; pixels: (C, F, K, 2) the person's observations after left/right
            fixes; inliers: (C, F, K) the views the robust triangulation kept.

    Returns:
        The cameras (the others unchanged) and the angle, degrees, by which the new pose
        rotates the camera; the cameras unchanged and NaN with fewer than 50 points.
    """
    import cv2

    from mocaplab.triangulation.linear import (
        extrinsics,
        focal_lengths,
        normalized_observations,
        triangulate_weighted,
    )

    C = len(cameras)
    xn = normalized_observations(cameras, pixels).reshape(C, -1, 2)
    Rt, f = extrinsics(cameras), focal_lengths(cameras)
    w = inliers.reshape(C, -1).astype(float)
    w[camera] = 0.0
    X = triangulate_weighted(Rt, xn, w, f, 1)
    ok = (np.isfinite(X).all(-1) & np.isfinite(xn[camera]).all(-1)
          & inliers.reshape(C, -1)[camera])
    cam = cameras[camera]
    R, t = cam.rotation.copy(), np.asarray(cam.tvec, dtype=float).reshape(3).copy()
    for _ in range(iterations):
        upd = _pose_update(np.hstack([R, t[:, None]]), xn[camera][ok], X[ok])
        if upd is None:
            return cameras, float("nan")
        dR = cv2.Rodrigues(upd[0].reshape(3, 1))[0]
        R, t = dR @ R, dR @ t + upd[1]
    turned = float(np.degrees(np.linalg.norm(cv2.Rodrigues(R @ cam.rotation.T)[0])))
    new = cam.replace(rvec=cv2.Rodrigues(R)[0].ravel(), tvec=t)
    return CameraSet(tuple(new if i == camera else c for i, c in enumerate(cameras))), turned
