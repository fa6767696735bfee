"""Per-camera intrinsics from board views (OpenCV calibrateCamera / fisheye.calibrate).

The lens model's complexity follows how much of the image the board covered (``"auto"``):
with corners over most of the image (>= 60 % of an 8 x 6 grid) every parameter is free
(fx fy cx cy k1 k2 p1 p2 k3); with less, k3 is held at 0; below 35 % the principal point is also
held at the image centre and tangential distortion at 0. Otherwise a camera that only saw the
board in a small region gets a lens model that fits those views and is wrong elsewhere (a lower
reprojection error and a distorted layout). The same parameters stay fixed in the bundle
adjustment.

Bad views are rejected: views whose corners are (nearly) collinear on the board before
calibrating, then views whose reprojection RMS is far above the others' after a first fit (motion
blur, a mis-detected corner, rolling shutter), and the camera is calibrated again without them.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from mocaplab.board import BoardSpec
from mocaplab.calibration.detect import CameraDetections, coverage
from mocaplab.camera import Camera, CameraModel
from mocaplab.errors import InputError


@dataclasses.dataclass(frozen=True, eq=False)
class IntrinsicsResult:
    """Intrinsic calibration of one camera.

    Attributes:
        camera: the camera (identity extrinsics).
        rms: reprojection RMS over the views used, pixels.
        used: (V,) True for the views of the detections used in the final fit.
        view_rms: (V,) per-view reprojection RMS (NaN for views not fitted), pixels.
        rvecs, tvecs: (V, 3) board -> camera pose of each view (NaN where not used).
        lens_model: "full", "no_k3" or "basic" (see module doc).
        free: (9,) bool (pinhole: fx fy cx cy k1 k2 p1 p2 k3) or (8,) (fisheye: fx fy cx cy
            k1..k4): the parameters estimated (and refined in the bundle adjustment).
    """

    camera: Camera
    rms: float
    used: np.ndarray
    view_rms: np.ndarray
    rvecs: np.ndarray
    tvecs: np.ndarray
    lens_model: str = "full"
    free: np.ndarray = dataclasses.field(default_factory=lambda: np.ones(9, bool))


LENS_MODELS = ("auto", "full", "no_k3", "basic")


def choose_lens_model(image_coverage: float, n_views: int) -> str:
    """The lens model the data supports (see module doc)."""
    if image_coverage < 0.35:
        return "basic"
    if image_coverage < 0.6 or n_views < 10:
        return "no_k3"
    return "full"


def free_parameters(lens_model: str, model: CameraModel) -> np.ndarray:
    """Mask of the intrinsic parameters estimated under ``lens_model``."""
    if model == "fisheye":
        free = np.ones(8, bool)
        if lens_model == "basic":
            free[[2, 3]] = False
        return free
    free = np.ones(9, bool)
    if lens_model in ("no_k3", "basic"):
        free[8] = False
    if lens_model == "basic":
        free[[2, 3, 6, 7]] = False
    return free


def well_spread(corners_mask: np.ndarray, board: BoardSpec, min_corners: int = 6) -> np.ndarray:
    """(V,) True for views whose detected corners span an area of the board (not a line)."""
    obj = board.corner_points()[:, :2]
    ok = np.zeros(len(corners_mask), bool)
    for v, m in enumerate(corners_mask):
        if m.sum() < min_corners:
            continue
        p = obj[m] - obj[m].mean(0)
        s = np.linalg.svd(p, compute_uv=False)
        ok[v] = s[1] > 0.5 * board.square_length * np.sqrt(m.sum()) * 0.25
    return ok


def choose_views(det: CameraDetections, candidates: np.ndarray, max_views: int) -> np.ndarray:
    """Indices of at most ``max_views`` candidate views, spread over the image.

    Greedy: each pick maximises the image cells (8 x 6 grid) it newly covers, ties broken by
    the number of corners, so that the sample covers the image including its corners where
    distortion is strongest.
    """
    idx = np.flatnonzero(candidates)
    if len(idx) <= max_views:
        return idx
    w, h = det.size
    cells = []
    for v in idx:
        uv = det.corners[v][np.isfinite(det.corners[v, :, 0])]
        cx = np.clip((uv[:, 0] / w * 8).astype(int), 0, 7)
        cy = np.clip((uv[:, 1] / h * 6).astype(int), 0, 5)
        cells.append(set((cy * 8 + cx).tolist()))
    counts = det.view_mask()[idx].sum(1)
    chosen: list[int] = []
    covered: dict[int, int] = {}
    remaining = set(range(len(idx)))
    while len(chosen) < max_views and remaining:
        # gain: cells covered fewer than twice so far, weighted; then corner count
        best = max(remaining, key=lambda k: (sum(1.0 / (1 + covered.get(c, 0)) for c in cells[k]),
                                             counts[k]))
        chosen.append(best)
        remaining.discard(best)
        for c in cells[best]:
            covered[c] = covered.get(c, 0) + 1
    return np.sort(idx[chosen])


def calibrate_intrinsics(det: CameraDetections, board: BoardSpec, model: CameraModel = "pinhole",
                         max_views: int = 40, reject_factor: float = 3.0,
                         min_views: int = 4, lens_model: str = "auto") -> IntrinsicsResult:
    """Calibrate one camera's intrinsics from its board views.

    Args:
        det: the camera's detections.
        board: the board.
        model: "pinhole" (5 coefficients) or "fisheye" (4).
        max_views: at most this many views (spread over the image) enter the fit.
        reject_factor: views with RMS above ``reject_factor`` x the median (and above 1 px) are
            rejected and the camera calibrated again.
        min_views: fewer usable views than this is an error.
        lens_model: "auto" (from image coverage), "full", "no_k3" or "basic".
    """
    if lens_model not in LENS_MODELS:
        raise InputError(f"lens model must be one of {LENS_MODELS}, not {lens_model!r}")
    mask = det.view_mask()
    spread = well_spread(mask, board)
    if spread.sum() < min_views:
        raise InputError(f"camera {det.name}: only {int(spread.sum())} usable board views "
                         f"(need {min_views}); film the board closer and at more angles")
    views = choose_views(det, spread, max_views)
    if lens_model == "auto":
        lens_model = choose_lens_model(coverage(det.corners[spread], det.size)[0],
                                       int(spread.sum()))
    obj_all = board.corner_points()
    used = np.zeros(det.n_views, bool)
    for _ in range(3):
        cam, rms, rv, tv, per_view = _fit(det, obj_all, views, model, lens_model)
        bad = per_view > max(reject_factor * np.median(per_view), 1.0)
        if not bad.any() or len(views) - bad.sum() < min_views:
            break
        views = views[~bad]
    used[views] = True
    view_rms = np.full(det.n_views, np.nan)
    view_rms[views] = per_view
    rvecs = np.full((det.n_views, 3), np.nan)
    tvecs = np.full((det.n_views, 3), np.nan)
    rvecs[views] = rv
    tvecs[views] = tv
    return IntrinsicsResult(cam, float(rms), used, view_rms, rvecs, tvecs, lens_model,
                            free_parameters(lens_model, model))


def _fisheye_flag(name: str) -> int:
    """A fisheye calibration flag: ``cv2.fisheye.CALIB_*`` in OpenCV 4, ``cv2.CALIB_*`` in 5."""
    flag = getattr(cv2.fisheye, f"CALIB_{name}", None)
    return int(flag if flag is not None else getattr(cv2, f"CALIB_{name}"))


def _fit(det: CameraDetections, obj_all: np.ndarray, views: np.ndarray, model: CameraModel,
         lens_model: str):
    obj, img = [], []
    for v in views:
        m = np.isfinite(det.corners[v, :, 0])
        obj.append(obj_all[m].astype(np.float32).reshape(-1, 1, 3))
        img.append(det.corners[v][m].astype(np.float32).reshape(-1, 1, 2))
    w, h = det.size
    crit = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-9)
    if model == "fisheye":
        flags = _fisheye_flag("RECOMPUTE_EXTRINSIC") | _fisheye_flag("FIX_SKEW")
        K0 = np.array([[max(w, h), 0, (w - 1) / 2], [0, max(w, h), (h - 1) / 2], [0, 0, 1.0]])
        if lens_model == "basic":
            flags |= _fisheye_flag("FIX_PRINCIPAL_POINT") | _fisheye_flag("USE_INTRINSIC_GUESS")
        try:
            rms, K, D, rv, tv = cv2.fisheye.calibrate(
                [o.reshape(1, -1, 3).astype(np.float64) for o in obj],
                [i.reshape(1, -1, 2).astype(np.float64) for i in img], (w, h), K0,
                np.zeros((4, 1)), flags=flags, criteria=crit)
        except cv2.error as exc:
            raise InputError(f"camera {det.name}: fisheye calibration failed ({exc.err}); "
                             "try the pinhole model or more varied board views") from None
    else:
        flags = 0
        K0 = None
        if lens_model in ("no_k3", "basic"):
            flags |= cv2.CALIB_FIX_K3
        if lens_model == "basic":
            f0 = cv2.initCameraMatrix2D(obj, img, (w, h))[0, 0]
            K0 = np.array([[f0, 0, (w - 1) / 2], [0, f0, (h - 1) / 2], [0, 0, 1.0]])
            flags |= (cv2.CALIB_FIX_PRINCIPAL_POINT | cv2.CALIB_ZERO_TANGENT_DIST
                      | cv2.CALIB_USE_INTRINSIC_GUESS)
        rms, K, D, rv, tv = cv2.calibrateCamera(obj, img, (w, h), K0, None, flags=flags,
                                                criteria=crit)
    cam = Camera(det.name, (w, h), K, np.ravel(D)[: 4 if model == "fisheye" else 5],
                 np.zeros(3), np.zeros(3), model=model)
    rv = np.asarray(rv, float).reshape(-1, 3)
    tv = np.asarray(tv, float).reshape(-1, 3)
    per_view = np.empty(len(views))
    for k in range(len(views)):
        c = cam.replace(rvec=rv[k], tvec=tv[k])
        d = c.project(obj[k].reshape(-1, 3).astype(float)) - img[k].reshape(-1, 2)
        per_view[k] = np.sqrt(np.mean(np.sum(d**2, axis=1)))
    return cam, rms, rv, tv, per_view
