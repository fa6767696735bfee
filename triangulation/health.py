"""Per-camera health of a triangulation and the warnings that name a camera.

For the subject, per camera:

- ``frames_associated``: share of the subject's tracked frames in which this camera's detection
  was associated with the subject (low: the camera did not see the subject, or saw someone
  else: the views disagree about who they see);
- ``views_kept``: share of the keypoints of those detections that triangulation kept
  (inliers); low: the camera is persistently outlying (calibration, synchronisation, a
  detector that keeps failing on that view);
- ``median_error_px``: median reprojection error of the kept keypoints in that view, pixels of
  the distorted image.

A camera is warned about when it keeps less than ``min_views_kept`` of its views, when its
median error is more than ``error_factor`` times the median of the cameras' medians (and
``min_error_px`` above it), or when it saw somebody in more than ``max_disagreement`` of the
subject's tracked frames without that detection being associated with the subject.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mocaplab.camera import CameraSet


@dataclasses.dataclass(frozen=True)
class HealthOptions:
    min_views_kept: float = 0.6
    error_factor: float = 2.0
    min_error_px: float = 5.0
    max_disagreement: float = 0.1


@dataclasses.dataclass(frozen=True)
class CameraHealth:
    """One camera's figures (module doc). NaN where the camera never saw the subject."""

    camera: str
    frames_associated: float
    views_kept: float
    median_error_px: float
    disagreement: float

    def as_dict(self) -> dict:
        def num(x: float) -> float | None:
            return None if not np.isfinite(x) else round(float(x), 4)

        return {"camera": self.camera, "frames_associated": num(self.frames_associated),
                "views_kept": num(self.views_kept), "median_error_px": num(self.median_error_px),
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
    out = []
    n_tracked = max(int(tracked.sum()), 1)
    for c, name in enumerate(cameras.names):
        views = seen[c] & tracked[:, None]
        kept = inliers[c] & views
        d = dist[c][kept]
        out.append(CameraHealth(
            name,
            frames_associated=float((assoc[c] & tracked).sum() / n_tracked),
            views_kept=float(kept.sum() / views.sum()) if views.any() else float("nan"),
            median_error_px=float(np.median(d)) if d.size else float("nan"),
            disagreement=float((someone_seen[c] & ~assoc[c] & tracked).sum() / n_tracked)))
    return out


def health_warnings(health: list[CameraHealth], options: HealthOptions | None = None,
                    person: str = "the subject") -> list[str]:
    """Sentences naming each unhealthy camera (module doc)."""
    opt = options or HealthOptions()
    errs = np.array([h.median_error_px for h in health])
    typical = float(np.nanmedian(errs)) if np.isfinite(errs).any() else float("nan")
    out = []
    for h in health:
        if h.views_kept < opt.min_views_kept:
            out.append(f"camera {h.camera}: only {100 * h.views_kept:.0f} % of its views of "
                       f"{person} were kept (the others disagree with it): check its "
                       "calibration, synchronisation and framing")
        if (np.isfinite(h.median_error_px) and np.isfinite(typical)
                and h.median_error_px > opt.error_factor * typical
                and h.median_error_px > typical + opt.min_error_px):
            out.append(f"camera {h.camera}: median reprojection error {h.median_error_px:.1f} px, "
                       f"{h.median_error_px / typical:.1f}x the cameras' typical {typical:.1f} px: "
                       "check its calibration")
        if h.disagreement > opt.max_disagreement:
            out.append(f"views disagree: camera {h.camera} sees somebody other than {person} "
                       f"in {100 * h.disagreement:.0f} % of the frames where the other cameras "
                       f"see {person}")
    return out
