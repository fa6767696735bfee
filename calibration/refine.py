"""Joint refinement: intrinsics and extrinsics in one bundle adjustment over every view, with
the lens model grown where the joint data support it and outlier views rejected.

The per-camera lens model chosen from single-camera views (:mod:`.intrinsics`) is a start: the
bundle adjustment sees many more views (every view of every camera, shared views included), so a
parameter that one camera's own views could not pin down may be determined jointly. Steps:

1. bundle adjustment with each camera's chosen model;
2. views (one camera, one frame) whose RMS is far above the others' (``reject_factor`` x the
   median and above ``min_reject_px``; gross outliers only, since a few blurred views still
   carry information) AND whose corners do not fit a rigid board even on their own (board pose
   fitted to the view alone through its camera's lens, RMS above ``min_reject_px``: a
   mis-detected view, the board bending) are removed and the adjustment repeated. A view that
   fits its own camera but disagrees with the other cameras of its frame (unsynchronised
   cameras: the board moved between their exposures) is kept: no one view of the frame is to
   blame, and the Huber loss already bounds its weight;
3. the lens models are grown in the order of :data:`LEVELS` (principal point, then tangential
   p1 p2, then k3): each camera takes the richest cumulative level whose parameters the joint
   data determine: one standard deviation of each freed group, from the joint normal matrix,
   moves the projection at the image corner by at most :data:`JOINT_DETERMINED_PX`
   (:data:`CRITERION` "determined", :func:`grow_lens_models`). Holding a parameter at its
   nominal value (principal point at the image centre, p1 p2 k3 at 0) biases the focal length
   and the pose by however far the lens is from it, while freeing a determined parameter costs
   only its standard deviation; an information criterion (AIC: free when ``n ln(RSS_new /
   RSS_old) + 2 k < 0``, RSS_new predicted by a Gauss-Newton step) frees a group only when its
   offset exceeds ~1.4 standard deviations, and so held 10 px principal-point offsets measured
   to 3-7 px at the centre (lab scene 911: focal 1.8 % off where the limit is 0.7 %). The
   criteria "aic" and "bic" remain available;
4. a final adjustment with the chosen parameters, from every observation not in a rejected
   view (a corner an earlier adjustment dropped as a gross outlier is judged again at the final
   solution), with the standard deviation of every intrinsic parameter (from the Gauss-Newton
   normal matrix).

The parameters a camera keeps fixed are those the data could not determine; the report says so.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from mocaplab.board import BoardSpec
from mocaplab.calibration.bundle import BundleResult, Observations, _Problem, bundle_adjust
from mocaplab.calibration.extrinsics import view_pose
from mocaplab.calibration.intrinsics import corner_effects
from mocaplab.camera import Camera

#: Pinhole intrinsic slots freed at each level: principal point, tangential, k3.
LEVELS = (("principal point", (2, 3)), ("tangential distortion", (6, 7)), ("k3", (8,)))
FISHEYE_LEVELS = (("principal point", (2, 3)),)
#: Rule of the lens-model growth: "determined" (every level whose parameters the joint data
#: determine, see :data:`JOINT_DETERMINED_PX`), or the information criteria "aic" (2 k) and
#: "bic" (k ln n) among the determined levels.
CRITERION = "determined"
#: A parameter group is freed in the joint refinement when one standard deviation of it moves
#: the projection at the image corner by at most this many pixels. The caliscope webcams (board
#: over 10-27 % of the image) give principal-point deviations of 13-18 px: held at the centre
#: (freeing them bends that layout); a 12-view lab camera gives 7.5 px: freed.
JOINT_DETERMINED_PX = 10.0
#: Names of the intrinsic slots (pinhole; fisheye has k1..k4 in slots 4-7).
PINHOLE_NAMES = ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3")
FISHEYE_NAMES = ("fx", "fy", "cx", "cy", "k1", "k2", "k3", "k4")


@dataclasses.dataclass(frozen=True, eq=False)
class Refinement:
    """Result of :func:`refine_jointly`.

    Attributes:
        bundle: the final bundle adjustment (``intrinsic_std`` filled).
        free: (C, ni) the intrinsics refined in the end.
        grown: per camera, the parameter groups freed by the information criterion.
        rejected_views: (camera index, frame) of the views removed as outliers.
    """

    bundle: BundleResult
    free: np.ndarray
    grown: list[list[str]]
    rejected_views: list[tuple[int, int]]


def grow_lens_models(ba: BundleResult, board: BoardSpec, free: np.ndarray, fixed_camera: int,
                     levels, criterion: str | None = None,
                     determined_px: float | None = None
                     ) -> tuple[np.ndarray, list[list[str]]]:
    """Which cameras gain which levels (see module doc): with ``criterion`` "determined" (the
    default, :data:`CRITERION`) the richest level whose new parameters are determined, else
    the one an information criterion prefers among those.

    The drop in the sum of squared residuals from freeing a set of parameters at the current
    solution is predicted by one Gauss-Newton step on the full problem (the score test:
    ``b^T S^-1 b`` with ``S`` the Schur complement of the parameters already free and ``b`` the
    gradient), so every camera and level is judged from one Jacobian, not one adjustment each.
    With an information criterion, for each camera the cumulative level (principal point;
    + p1 p2; + k3) with the lowest ``n ln(1 - drop / RSS) + 2 k`` (AIC; ``k ln n`` for "bic")
    is taken if that is negative. Only levels whose new parameters the data determine
    (predicted standard deviation moving the image corner by at most ``determined_px``) are
    considered (default :data:`JOINT_DETERMINED_PX`).
    """
    criterion = criterion or CRITERION
    determined_px = JOINT_DETERMINED_PX if determined_px is None else determined_px
    if criterion not in ("determined", "aic", "bic"):
        raise ValueError(f"unknown lens-growth criterion {criterion!r}")
    C, ni = free.shape
    cand = np.zeros_like(free)
    for _, slots in levels:
        cand[:, list(slots)] = True
    cand &= ~free
    grown: list[list[str]] = [[] for _ in range(C)]
    if not cand.any():
        return free, grown
    prob = _Problem(ba.cameras, ba.observations, board, True, fixed_camera, True, free | cand)
    x = prob.pack(ba.cameras, ba.board_R, ba.board_t)
    r = prob.residuals(x)
    J = prob.jacobian(x, r).tocsc()
    gcols = prob.int_col[cand]  # candidate columns, camera-major
    gcam = np.nonzero(cand)[0]
    gslot = np.nonzero(cand)[1]
    fmask = np.ones(x.size, bool)
    fmask[gcols] = False
    Jf, Jg = J[:, fmask], J[:, gcols]
    Aff = (Jf.T @ Jf).tocsc()
    Afg = (Jf.T @ Jg).toarray()
    Agg = (Jg.T @ Jg).toarray()
    bf, bg = Jf.T @ r, Jg.T @ r
    lu = scipy.sparse.linalg.splu(Aff + scipy.sparse.identity(Aff.shape[0], format="csc")
                                  * 1e-12 * float(Aff.diagonal().max()))
    Y = lu.solve(np.column_stack([Afg, bf]))
    S = Agg - Afg.T @ Y[:, :-1]
    b = bg - Afg.T @ Y[:, -1]
    sq = np.sum(r.reshape(-1, 2) ** 2, axis=1)
    rss = np.bincount(prob.obs.cam, sq, minlength=C)
    n = 2 * np.bincount(prob.obs.cam, minlength=C)
    s2 = float(sq.sum()) / max(1, r.size - x.size)  # residual variance per degree of freedom
    for c in range(C):
        best, best_level = 0.0, 0
        for lev in range(1, len(levels) + 1):
            slots = [i for _, sl in levels[:lev] for i in sl]
            sel = np.flatnonzero((gcam == c) & np.isin(gslot, slots))
            if len(sel) == 0 or rss[c] <= 0:
                continue
            try:
                Sinv = np.linalg.inv(S[np.ix_(sel, sel)])
            except np.linalg.LinAlgError:
                continue
            drop = float(b[sel] @ Sinv @ b[sel])
            std = np.full(ni, np.nan)
            std[gslot[sel]] = np.sqrt(np.clip(np.diag(Sinv) * s2, 0, None))
            effect = (max(corner_effects(ba.cameras[c], std).values()) if ni == 9
                      else float(np.nanmax(std[2:4])))  # fisheye: the principal point only
            if effect > determined_px:
                break  # this level (and so the richer ones) is not determined by the data
            if criterion == "determined":
                best_level = lev
                continue
            drop = min(max(drop, 0.0), 0.999 * rss[c])
            penalty = np.log(n[c]) if criterion == "bic" else 2.0
            score = n[c] * np.log(1 - drop / rss[c]) + len(sel) * penalty
            if score < best:
                best, best_level = score, lev
        for name, slots in levels[:best_level]:
            if not free[c, list(slots)].all():
                free[c, list(slots)] = True
                grown[c].append(name)
    return free, grown


def _camera_rss(ba: BundleResult, n_cameras: int) -> tuple[np.ndarray, np.ndarray]:
    """(C,) sum of squared residuals and (C,) number of residual scalars per camera."""
    sq = np.sum(ba.residuals**2, axis=1)
    rss = np.bincount(ba.observations.cam, sq, minlength=n_cameras)
    n = 2 * np.bincount(ba.observations.cam, minlength=n_cameras)
    return rss, n


def view_rms(ba: BundleResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per view (camera, board pose) of the adjustment: camera index, board-pose index, RMS px."""
    o = ba.observations
    key = o.cam * (int(o.board.max()) + 1 if o.n else 1) + o.board
    uniq, inv = np.unique(key, return_inverse=True)
    sq = np.bincount(inv, np.sum(ba.residuals**2, axis=1))
    cnt = np.bincount(inv)
    first = np.zeros(len(uniq), int)
    first[inv[::-1]] = np.arange(o.n)[::-1]
    return o.cam[first], o.board[first], np.sqrt(sq / cnt)


def _on_frames(obs: Observations, ba: BundleResult) -> Observations:
    """The observations of ``obs`` on the board poses of ``ba`` (board indices as in ``ba``;
    frames the adjustment dropped for want of an initial pose are left out)."""
    pos = {int(f): k for k, f in enumerate(ba.observations.frames)}
    k = np.array([pos.get(int(f), -1) for f in obs.frames], int)[obs.board]
    return dataclasses.replace(obs.subset(k >= 0), board=k[k >= 0],
                               frames=ba.observations.frames)


def _all_residuals(ba: BundleResult, obs: Observations, board: BoardSpec) -> BundleResult:
    """``ba`` with the residuals of every observation of ``obs`` (the gross outliers the
    adjustment dropped included) at its solution, board indices as in ``ba``."""
    sub = _on_frames(obs, ba)
    prob = _Problem(ba.cameras, sub, board, False, 0, False)
    res = prob.project(prob.pack(ba.cameras, ba.board_R, ba.board_t)) - sub.uv
    return dataclasses.replace(ba, observations=sub, residuals=res)


def own_view_rms(cams: list[Camera], obs: Observations, board: BoardSpec,
                 vc: np.ndarray, vb: np.ndarray) -> np.ndarray:
    """(V,) RMS (px) of each view (camera ``vc``, board pose ``vb``) with the board pose fitted
    to that view alone through its camera's lens (planar PnP): how well its corners fit a rigid
    board at all, whatever the other cameras saw. NaN where no pose is found."""
    obj = board.corner_points().astype(np.float64)
    out = np.full(len(vc), np.nan)
    for v, (c, b) in enumerate(zip(vc.tolist(), vb.tolist(), strict=True)):
        m = (obs.cam == c) & (obs.board == b)
        pose = view_pose(cams[c], obj[obs.corner[m]], obs.uv[m])
        if pose is not None:
            out[v] = pose.rms
    return out


def _without_views(obs: Observations, cams: np.ndarray, boards: np.ndarray) -> Observations:
    bad = set(zip(cams.tolist(), boards.tolist(), strict=True))
    keep = np.array([(c, b) not in bad for c, b in zip(obs.cam.tolist(), obs.board.tolist(),
                                                       strict=True)], bool)
    return obs.subset(keep)


def refine_jointly(cams: list[Camera], obs: Observations, board: BoardSpec,
                   board_R: np.ndarray, board_t: np.ndarray, free: np.ndarray,
                   fixed_camera: int, grow: bool = True, reject_factor: float = 5.0,
                   min_reject_px: float = 5.0) -> Refinement:
    """Bundle adjustment with outlier views rejected and lens models grown (see module doc).

    Args:
        cams: initial cameras.
        obs: all corner observations (``obs.frames`` indexes ``board_R``/``board_t``).
        board: the board.
        board_R, board_t: (B, 3, 3), (B, 3) initial board poses.
        free: (C, ni) intrinsics free from the start (the chosen lens models).
        fixed_camera: the camera whose pose fixes the gauge.
        grow: offer the next parameter levels (principal point, p1 p2, k3) to each camera.
        reject_factor, min_reject_px: a view is an outlier when its RMS exceeds both
            ``reject_factor`` x the median view RMS and ``min_reject_px``, and its RMS with
            the board pose fitted to it alone exceeds ``min_reject_px``.
    """
    free = np.asarray(free, bool).copy()
    C = len(cams)
    ba = bundle_adjust(cams, obs, board, board_R, board_t, fixed_camera=fixed_camera,
                       free_intrinsics=free)
    rejected: list[tuple[int, int]] = []
    everything = _on_frames(obs, ba)  # every observation, on the adjustment's board poses
    vc, vb, vr = view_rms(_all_residuals(ba, obs, board))
    bad = vr > max(reject_factor * float(np.median(vr)), min_reject_px)
    if bad.any():  # a mis-detection does not fit a rigid board even on its own
        own = own_view_rms(ba.cameras, everything, board, vc[bad], vb[bad])
        bad[np.flatnonzero(bad)[~(own > min_reject_px)]] = False
    # never leave a camera without views
    for c in np.unique(vc[bad]):
        if np.sum((vc == c) & ~bad) < 4:
            bad[vc == c] = False
    kept = everything
    if bad.any():
        frames = ba.observations.frames
        rejected = [(int(c), int(frames[b])) for c, b in zip(vc[bad], vb[bad], strict=True)]
        kept = _without_views(everything, vc[bad], vb[bad])
        ba = bundle_adjust(ba.cameras, kept, board, ba.board_R, ba.board_t,
                           fixed_camera=fixed_camera, free_intrinsics=free)
    grown: list[list[str]] = [[] for _ in range(C)]
    if grow:
        levels = FISHEYE_LEVELS if cams[0].model == "fisheye" else LEVELS
        free, grown = grow_lens_models(ba, board, free, fixed_camera, levels)
    # from every observation kept (not the last adjustment's): a corner is dropped as a gross
    # outlier by the final solution only, not for good by an earlier one
    kept = _on_frames(kept, ba)
    final = bundle_adjust(ba.cameras, kept, board, ba.board_R, ba.board_t,
                          fixed_camera=fixed_camera, free_intrinsics=free, with_std=True)
    final = dataclasses.replace(final, n_outliers=final.n_outliers + obs.n - kept.n)
    return Refinement(final, free, grown, rejected)
