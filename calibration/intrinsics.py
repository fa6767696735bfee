"""Per-camera intrinsics from board views (OpenCV calibrateCamera / fisheye.calibrate).

The lens model is chosen by what the views support (``"auto"``): 4-fold cross-validation over
the camera's board views. Each candidate model, from the simplest to the richest,

- ``basic``: fx fy k1 k2 (principal point at the image centre, no tangential terms, k3 = 0),
- ``principal``: + the principal point,
- ``no_k3``: + tangential distortion p1 p2,
- ``full``: + k3,

is fitted on three quarters of the views and scored on the held-out quarter (each held-out view's
board pose fitted with the trained lens held fixed; RMS of its corner residuals). The simplest
model within 0.5 % of the best held-out error wins: a parameter is freed only when it predicts
views it was not fitted to better. Held-out views from the same part of the image cannot show
extrapolation, so a freed group must also be determined: one standard deviation of it (from the
fit's covariance) may move the projection at the image corner by at most
:data:`DETERMINED_PX`; otherwise the next simpler model is fitted (a small board seen in a
small part of a webcam's image determines neither k3 nor the principal point). (Fisheye, whose
fit gives no covariance: ``basic`` with the principal point fixed when the corners cover less
than 35 % of the image, else ``full``.) The bundle adjustment may free more
parameters where the joint data support them (:mod:`mocaplab.calibration.refine`).

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
        lens_model: "full", "no_k3", "principal" or "basic" (see module doc).
        cv_rms: lens model -> held-out RMS (px) of the cross-validation (empty when the
            model was given, not chosen).
        few_views: the camera had fewer usable views than a single-camera fit of a chosen
            model needs (``min_views``): the simplest model was fitted, to be refined jointly
            with the other cameras (see :func:`calibrate_intrinsics`).
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
    cv_rms: dict[str, float] = dataclasses.field(default_factory=dict)
    few_views: bool = False


#: Fewest usable views of a camera's own for the simplest lens model (``basic``: fx fy k1 k2,
#: the principal point at the image centre) when it is then refined jointly in the bundle
#: adjustment, where the camera's views shared with other cameras also constrain it.
MIN_JOINT_VIEWS = 2

#: Pinhole lens models from the simplest to the richest (see module doc).
PINHOLE_MODELS = ("basic", "principal", "no_k3", "full")
FISHEYE_MODELS = ("basic", "full")
LENS_MODELS = ("auto", *PINHOLE_MODELS)
#: A richer model must lower the held-out error by more than this fraction to be chosen.
CV_MARGIN = 0.005


def free_parameters(lens_model: str, model: CameraModel) -> np.ndarray:
    """Mask of the intrinsic parameters estimated under ``lens_model``."""
    if model == "fisheye":
        free = np.ones(8, bool)
        if lens_model == "basic":
            free[[2, 3]] = False
        return free
    free = np.ones(9, bool)
    if lens_model != "full":
        free[8] = False
    if lens_model in ("principal", "basic"):
        free[[6, 7]] = False
    if lens_model == "basic":
        free[[2, 3]] = False
    return free


def cross_validate(det: CameraDetections, board: BoardSpec, views: np.ndarray,
                   model: CameraModel, folds: int = 4, min_views: int = 4) -> dict[str, float]:
    """Held-out RMS (px) of each candidate lens model, ``folds``-fold over ``views``.

    Each fold's views are scored with the lens fitted on the other folds (their board poses
    fitted by PnP with that lens fixed). A model whose fit fails scores infinity.
    """
    from mocaplab.calibration.extrinsics import board_poses

    obj_all = board.corner_points()
    order = np.random.default_rng(0).permutation(views)
    parts = [p for p in np.array_split(order, folds) if len(p)]
    scores = {}
    for lm in (FISHEYE_MODELS if model == "fisheye" else PINHOLE_MODELS):
        sq, n = 0.0, 0
        for part in parts:
            train = np.setdiff1d(views, part)
            if len(train) < min_views:
                continue
            try:
                cam = _fit(det, obj_all, train, model, lm, max_iter=30, eps=1e-6)[0]
            except (InputError, cv2.error):
                sq = np.inf
                break
            test = det.subset(part)
            rms = board_poses(cam, test, board).rms
            k = np.isfinite(test.corners[:, :, 0]).sum(1)
            ok = np.isfinite(rms)
            sq += float(np.sum(rms[ok] ** 2 * k[ok])) + 1e4 * float(np.sum(k[~ok]))
            n += int(k.sum())
        scores[lm] = float(np.sqrt(sq / n)) if n and np.isfinite(sq) else float("inf")
    return scores


#: A parameter group counts as determined when one standard deviation of it moves the
#: projection at the image corner by at most this many pixels.
DETERMINED_PX = 5.0
#: Pinhole parameter groups: (name, intrinsic slots, the model that frees them).
GROUPS = (("principal point", (2, 3), "principal"), ("tangential distortion", (6, 7), "no_k3"),
          ("k3", (8,), "full"))


def corner_effects(cam: Camera, std: np.ndarray) -> dict[str, float]:
    """Pixels by which one standard deviation of each pinhole parameter group moves the
    projection at the image corner (NaN std: the group is not free; left out).

    Args:
        cam: the camera (focal length and image size).
        std: (9,) standard deviations of fx fy cx cy k1 k2 p1 p2 k3.
    """
    w, h = cam.size
    f = float(cam.matrix[0, 0])
    r = np.hypot(w / 2, h / 2) / f  # normalised radius of the image corner
    out = {}
    s = np.asarray(std, float)
    if np.isfinite(s[2:4]).all():
        out["principal point"] = float(max(s[2], s[3]))
    if np.isfinite(s[6:8]).all():
        out["tangential distortion"] = float(f * max(s[6], s[7]) * 2 * r**2)
    if np.isfinite(s[8]):
        out["k3"] = float(f * s[8] * r**7)
    return out


def determined_model(cam: Camera, std: np.ndarray | None, lens_model: str,
                     limit_px: float = DETERMINED_PX) -> str:
    """``lens_model`` or the richest simpler model whose freed groups are all determined."""
    if std is None or cam.model == "fisheye":
        return lens_model
    effects = corner_effects(cam, std)
    order = list(PINHOLE_MODELS)
    for name, _, model in GROUPS:
        if order.index(model) <= order.index(lens_model) and effects.get(name, 0.0) > limit_px:
            return order[order.index(model) - 1]
    return lens_model


def choose_lens_model(scores: dict[str, float], margin: float = CV_MARGIN) -> str:
    """The simplest model whose held-out error is within ``margin`` of the best one's."""
    best = min(scores.values())
    for lm in scores:  # simplest first
        if scores[lm] <= best * (1 + margin):
            return lm
    return list(scores)[-1]


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
        min_views: fewer usable views than this cannot choose a lens model by
            cross-validation nor reject bad views: with ``lens_model="auto"`` (pinhole) and at
            least :data:`MIN_JOINT_VIEWS` views the ``basic`` model is fitted
            (``few_views``; the bundle adjustment refines it with every camera's views and
            frees more only where the joint data determine it); fewer is an error.
        lens_model: "auto" (chosen by cross-validation), "full", "no_k3", "principal" or
            "basic".
    """
    if lens_model not in LENS_MODELS:
        raise InputError(f"lens model must be one of {LENS_MODELS}, not {lens_model!r}")
    mask = det.view_mask()
    spread = well_spread(mask, board)
    n_usable = int(spread.sum())
    few = n_usable < min_views
    if few and (n_usable < MIN_JOINT_VIEWS or lens_model != "auto" or model == "fisheye"):
        need = (min_views if lens_model != "auto" or model == "fisheye"
                else MIN_JOINT_VIEWS)
        raise InputError(f"camera {det.name}: only {n_usable} usable board views "
                         f"(need {need}); film the board closer and at more angles")
    views = choose_views(det, spread, max_views)
    scores: dict[str, float] = {}
    if few:
        lens_model = "basic"
    elif lens_model == "auto" and model == "fisheye":  # no covariance to judge it: by coverage
        lens_model = "basic" if coverage(det.corners[spread], det.size)[0] < 0.35 else "full"
    elif lens_model == "auto":
        scores = cross_validate(det, board, views, model, min_views=min_views)
        lens_model = choose_lens_model(scores)
    obj_all = board.corner_points()
    used = np.zeros(det.n_views, bool)
    chosen_views = views
    while True:
        views = chosen_views
        for _ in range(3):
            cam, rms, rv, tv, per_view, std = _fit(det, obj_all, views, model, lens_model)
            bad = per_view > max(reject_factor * np.median(per_view), 1.0)
            if few or not bad.any() or len(views) - bad.sum() < min_views:
                break
            views = views[~bad]
        simpler = determined_model(cam, std, lens_model) if scores else lens_model
        if simpler == lens_model:
            break
        lens_model = simpler  # a freed parameter the views do not pin down: refit without it
    used[views] = True
    view_rms = np.full(det.n_views, np.nan)
    view_rms[views] = per_view
    rvecs = np.full((det.n_views, 3), np.nan)
    tvecs = np.full((det.n_views, 3), np.nan)
    rvecs[views] = rv
    tvecs[views] = tv
    return IntrinsicsResult(cam, float(rms), used, view_rms, rvecs, tvecs, lens_model,
                            free_parameters(lens_model, model), scores, few)


def _fisheye_flag(name: str) -> int:
    """A fisheye calibration flag: ``cv2.fisheye.CALIB_*`` in OpenCV 4, ``cv2.CALIB_*`` in 5."""
    flag = getattr(cv2.fisheye, f"CALIB_{name}", None)
    return int(flag if flag is not None else getattr(cv2, f"CALIB_{name}"))


def _fit(det: CameraDetections, obj_all: np.ndarray, views: np.ndarray, model: CameraModel,
         lens_model: str, max_iter: int = 100, eps: float = 1e-9):
    obj, img = [], []
    for v in views:
        m = np.isfinite(det.corners[v, :, 0])
        obj.append(obj_all[m].astype(np.float32).reshape(-1, 1, 3))
        img.append(det.corners[v][m].astype(np.float32).reshape(-1, 1, 2))
    w, h = det.size
    crit = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, max_iter, eps)
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
        std = None
    else:
        flags = 0
        K0 = None
        if lens_model != "full":
            flags |= cv2.CALIB_FIX_K3
        if lens_model in ("principal", "basic"):
            flags |= cv2.CALIB_ZERO_TANGENT_DIST
        if lens_model == "basic":
            f0 = cv2.initCameraMatrix2D(obj, img, (w, h))[0, 0]
            K0 = np.array([[f0, 0, (w - 1) / 2], [0, f0, (h - 1) / 2], [0, 0, 1.0]])
            flags |= (cv2.CALIB_FIX_PRINCIPAL_POINT | cv2.CALIB_ZERO_TANGENT_DIST
                      | cv2.CALIB_USE_INTRINSIC_GUESS)
        rms, K, D, rv, tv, std_int, _, _ = cv2.calibrateCameraExtended(
            obj, img, (w, h), K0, None, flags=flags, criteria=crit)
        std = np.asarray(std_int, float).ravel()[:9].copy()
        std[~free_parameters(lens_model, model)] = np.nan
    cam = Camera(det.name, (w, h), K, np.ravel(D)[: 4 if model == "fisheye" else 5],
                 np.zeros(3), np.zeros(3), model=model)
    rv = np.asarray(rv, float).reshape(-1, 3)
    tv = np.asarray(tv, float).reshape(-1, 3)
    per_view = np.empty(len(views))
    for k in range(len(views)):
        c = cam.replace(rvec=rv[k], tvec=tv[k])
        d = c.project(obj[k].reshape(-1, 3).astype(float)) - img[k].reshape(-1, 2)
        per_view[k] = np.sqrt(np.mean(np.sum(d**2, axis=1)))
    return cam, rms, rv, tv, per_view, std
