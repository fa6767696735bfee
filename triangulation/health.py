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
"""

from __future__ import annotations

import dataclasses

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
