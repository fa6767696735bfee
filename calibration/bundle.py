"""Bundle adjustment of all cameras and board poses (sparse Levenberg-Marquardt, robust loss).

Unknowns: every camera's pose (6; the reference camera is held fixed to remove the gauge
freedom; the board's known size fixes the scale), optionally every camera's intrinsics
(fx fy cx cy k1 k2 p1 p2 k3, or fx fy cx cy k1..k4 for fisheye), and the pose of the board in
every frame used (6). Residuals are the pixel differences between detected corners and their
projections, computed for all observations at once (vectorised).

The Jacobian is sparse (each residual depends on one camera and one board pose): it is built by
finite differences in 21 groups of columns that share no row (one parameter slot of every camera
at once, one slot of every board pose at once), so its cost does not grow with the number of
cameras or frames. Each Levenberg-Marquardt step solves the sparse normal equations exactly
(SuperLU); the Huber loss on each corner's pixel error is applied by iteratively reweighted
least squares. After a first solve, gross outliers are dropped and the problem solved again.
(scipy's ``least_squares`` with ``jac_sparsity`` solves the same problem, but its inexact LSMR
trust-region steps needed ~10x more time to converge on these ill-conditioned problems.)
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from mocaplab.board import BoardSpec
from mocaplab.calibration.detect import CameraDetections
from mocaplab.calibration.geometry import distort, distort_fisheye, rodrigues, rotation_vector
from mocaplab.camera import Camera


@dataclasses.dataclass(frozen=True, eq=False)
class Observations:
    """All corner observations, flattened.

    Attributes:
        cam: (M,) camera index; board: (M,) board-pose (frame) index; corner: (M,) corner id;
        uv: (M, 2) detected pixels; frames: (B,) frame number of each board pose.
    """

    cam: np.ndarray
    board: np.ndarray
    corner: np.ndarray
    uv: np.ndarray
    frames: np.ndarray

    @property
    def n(self) -> int:
        return len(self.cam)

    def subset(self, keep: np.ndarray) -> Observations:
        return dataclasses.replace(self, cam=self.cam[keep], board=self.board[keep],
                                   corner=self.corner[keep], uv=self.uv[keep])


def collect_observations(dets: list[CameraDetections], frames: np.ndarray,
                         view_ok: list[np.ndarray] | None = None) -> Observations:
    """Flatten the detections of the given frames (and views marked ok) into observations."""
    pos = {int(f): k for k, f in enumerate(frames)}
    cam, board, corner, uv = [], [], [], []
    for c, det in enumerate(dets):
        for v, f in enumerate(det.frames):
            k = pos.get(int(f))
            if k is None or (view_ok is not None and not view_ok[c][v]):
                continue
            ids = np.flatnonzero(np.isfinite(det.corners[v, :, 0]))
            cam.append(np.full(len(ids), c))
            board.append(np.full(len(ids), k))
            corner.append(ids)
            uv.append(det.corners[v, ids])
    if not cam:
        return Observations(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int),
                            np.zeros((0, 2)), np.asarray(frames))
    return Observations(np.concatenate(cam), np.concatenate(board), np.concatenate(corner),
                        np.concatenate(uv), np.asarray(frames))


def _n_intrinsics(cam: Camera) -> int:
    return 8 if cam.model == "fisheye" else 9


def _intrinsic_vector(cam: Camera) -> np.ndarray:
    K = cam.matrix
    return np.concatenate([[K[0, 0], K[1, 1], K[0, 2], K[1, 2]], cam.distortion])


@dataclasses.dataclass(frozen=True, eq=False)
class BundleResult:
    """Result of a bundle adjustment.

    Attributes:
        cameras: refined cameras.
        board_R: (B, 3, 3), board_t: (B, 3) board -> world pose per frame.
        observations: the observations kept (outliers removed).
        residuals: (M, 2) final pixel residuals of the kept observations.
        n_outliers: observations dropped as gross outliers.
        cost_evals: Levenberg-Marquardt iterations used.
        intrinsic_std: (C, 9) (fisheye (C, 8)) standard deviation of each intrinsic parameter
            (fx fy cx cy in px, distortion unitless) from the inverse of the Gauss-Newton
            normal matrix scaled by the residual variance; NaN where the parameter was held
            fixed (None when not computed).
        free_intrinsics: (C, 9) (fisheye (C, 8)) the intrinsics that were refined.
    """

    cameras: list[Camera]
    board_R: np.ndarray
    board_t: np.ndarray
    observations: Observations
    residuals: np.ndarray
    n_outliers: int
    cost_evals: int
    intrinsic_std: np.ndarray | None = None
    free_intrinsics: np.ndarray | None = None

    @property
    def rms(self) -> float:
        return float(np.sqrt(np.mean(np.sum(self.residuals**2, axis=1))))


class _Problem:
    """Parameter packing and the vectorised residual function."""

    def __init__(self, cams: list[Camera], obs: Observations, board: BoardSpec,
                 refine_intrinsics: bool, fixed: int, refine_extrinsics: bool = True,
                 free_intrinsics: np.ndarray | None = None):
        self.cams = cams
        self.obs = obs
        self.obj = board.corner_points()[obs.corner]  # (M, 3)
        self.refine = refine_intrinsics
        self.fixed = fixed
        self.C = len(cams)
        self.B = int(obs.frames.size)
        self.fisheye = any(c.model == "fisheye" for c in cams)
        self.ni = 8 if self.fisheye else 9
        self.free = [c for c in range(self.C) if c != fixed and refine_extrinsics]
        self.n_ext = 6 * len(self.free)
        self.ext_col = {c: 6 * k for k, c in enumerate(self.free)}
        self.intr0 = np.stack([_intrinsic_vector(c) for c in cams])
        if not refine_intrinsics:
            self.free_int = np.zeros((self.C, self.ni), bool)
        elif free_intrinsics is None:
            self.free_int = np.ones((self.C, self.ni), bool)
        else:
            self.free_int = np.asarray(free_intrinsics, bool).reshape(self.C, self.ni)
        self.n_int = int(self.free_int.sum())
        self.int_col = np.full((self.C, self.ni), -1)
        self.int_col[self.free_int] = self.n_ext + np.arange(self.n_int)

    def pack(self, cams: list[Camera], bR: np.ndarray, bt: np.ndarray) -> np.ndarray:
        ext = [np.concatenate([cams[c].rvec, cams[c].tvec]) for c in self.free]
        parts = [np.concatenate(ext) if ext else np.zeros(0)]
        parts.append(np.stack([_intrinsic_vector(c) for c in cams])[self.free_int])
        parts.append(np.concatenate([np.stack([rotation_vector(R) for R in bR]), bt], 1).ravel())
        return np.concatenate(parts)

    def unpack(self, x: np.ndarray):
        rv = np.zeros((self.C, 3))
        tv = np.zeros((self.C, 3))
        for c in range(self.C):
            rv[c] = self.cams[c].rvec
            tv[c] = self.cams[c].tvec
        ext = x[: self.n_ext].reshape(-1, 6)
        rv[self.free] = ext[:, :3]
        tv[self.free] = ext[:, 3:]
        intr = self.intr0.copy()
        intr[self.free_int] = x[self.n_ext: self.n_ext + self.n_int]
        boards = x[self.n_ext + self.n_int:].reshape(self.B, 6)
        return rv, tv, intr, boards

    def project(self, x: np.ndarray, Xw: np.ndarray | None = None,
                xn: np.ndarray | None = None) -> np.ndarray:
        """(M, 2) predicted pixels of all observations.

        ``Xw`` (M, 3) world points or ``xn`` (M, 2) normalised image points already computed
        at ``x`` may be passed when only later stages' parameters changed (the Jacobian's
        camera and intrinsic columns).
        """
        rv, tv, intr, boards = self.unpack(x)
        o = self.obs
        if xn is None:
            if Xw is None:
                Xw = self.world_points(boards)
            Xc = np.einsum("mij,mj->mi", rodrigues(rv)[o.cam], Xw) + tv[o.cam]
            z = np.maximum(Xc[:, 2], 1e-6)
            xn = Xc[:, :2] / z[:, None]
        k = intr[o.cam]
        xd = distort_fisheye(xn, k[:, 4:8]) if self.fisheye else distort(xn, k[:, 4:9])
        return np.stack([k[:, 0] * xd[:, 0] + k[:, 2], k[:, 1] * xd[:, 1] + k[:, 3]], -1)

    def world_points(self, boards: np.ndarray) -> np.ndarray:
        """(M, 3) world position of every observed corner for board poses (B, 6)."""
        o = self.obs
        Rb = rodrigues(boards[:, :3])
        return np.einsum("mij,mj->mi", Rb[o.board], self.obj) + boards[o.board, 3:]

    def normalised_points(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(M, 3) world points and (M, 2) normalised image points at ``x``."""
        rv, tv, _, boards = self.unpack(x)
        o = self.obs
        Xw = self.world_points(boards)
        Xc = np.einsum("mij,mj->mi", rodrigues(rv)[o.cam], Xw) + tv[o.cam]
        return Xw, Xc[:, :2] / np.maximum(Xc[:, 2], 1e-6)[:, None]

    def residuals(self, x: np.ndarray) -> np.ndarray:
        return (self.project(x) - self.obs.uv).ravel()

    def sparsity(self) -> scipy.sparse.csr_matrix:
        o = self.obs
        M = o.n
        rows, cols = [], []
        r2 = np.stack([2 * np.arange(M), 2 * np.arange(M) + 1], 1)  # (M, 2)

        def add(mask: np.ndarray, col0: np.ndarray, width: int) -> None:
            rr = np.repeat(r2[mask], width, axis=1)  # (m, 2*width)
            cc = np.tile(col0[:, None] + np.arange(width), (1, 2))
            rows.append(rr.ravel())
            cols.append(cc.ravel())

        ext_col = np.array([self.ext_col.get(c, -1) for c in range(self.C)])
        free = ext_col[o.cam] >= 0
        add(free, ext_col[o.cam][free], 6)
        for i in range(self.ni):
            col = self.int_col[o.cam, i]
            add(col >= 0, col[col >= 0], 1)
        add(np.ones(M, bool), self.n_ext + self.n_int + 6 * o.board, 6)
        rows_a, cols_a = np.concatenate(rows), np.concatenate(cols)
        n_par = self.n_ext + self.n_int + 6 * self.B
        return scipy.sparse.csr_matrix((np.ones(len(rows_a)), (rows_a, cols_a)),
                                       shape=(2 * M, n_par))

    def column_groups(self) -> list[tuple[str, np.ndarray]]:
        """For each group of columns sharing no row: its kind ("camera", "intrinsic",
        "board") and (M,) the column touched per observation (-1: none)."""
        o = self.obs
        groups = []
        ext_col = np.array([self.ext_col.get(c, -1) for c in range(self.C)])
        base = ext_col[o.cam]
        for i in range(6):
            groups.append(("camera", np.where(base >= 0, base + i, -1)))
        for i in range(self.ni):
            if self.free_int[:, i].any():
                groups.append(("intrinsic", self.int_col[o.cam, i]))
        for j in range(6):
            groups.append(("board", self.n_ext + self.n_int + 6 * o.board + j))
        return groups

    def jacobian(self, x: np.ndarray, r0: np.ndarray) -> scipy.sparse.csr_matrix:
        """(2M, P) sparse Jacobian of :meth:`residuals` by grouped forward differences."""
        M = self.obs.n
        h = 1e-6 * np.maximum(np.abs(x), 1e-2)
        rows, cols, vals = [], [], []
        r_idx = np.arange(M)
        Xw, xn = self.normalised_points(x)
        for kind, col in self.column_groups():
            ok = col >= 0
            cset = np.unique(col[ok])
            xp = x.copy()
            xp[cset] += h[cset]
            cached = {"camera": {"Xw": Xw}, "intrinsic": {"xn": xn}}.get(kind, {})
            d = (self.project(xp, **cached) - self.obs.uv).ravel() - r0
            d = d.reshape(M, 2)
            m = r_idx[ok]
            c = col[ok]
            for k in (0, 1):
                rows.append(2 * m + k)
                cols.append(c)
                vals.append(d[ok, k] / h[c])
        return scipy.sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(2 * M, x.size))

    def cameras(self, x: np.ndarray) -> list[Camera]:
        rv, tv, intr, _ = self.unpack(x)
        out = []
        for c, cam in enumerate(self.cams):
            K = np.array([[intr[c, 0], 0, intr[c, 2]], [0, intr[c, 1], intr[c, 3]], [0, 0, 1.0]])
            out.append(cam.replace(matrix=K, distortion=intr[c, 4:], rvec=rv[c], tvec=tv[c]))
        return out


def intrinsic_std(prob: _Problem, x: np.ndarray) -> np.ndarray:
    """(C, ni) standard deviations of the free intrinsics at the solution ``x`` (NaN if fixed).

    Covariance = s^2 (J^T J)^-1 with s^2 the residual variance per degree of freedom; only the
    intrinsic columns of the inverse are formed (one sparse factorisation, ``n_int`` solves).
    """
    out = np.full((prob.C, prob.ni), np.nan)
    if prob.n_int == 0:
        return out
    r = prob.residuals(x)
    J = prob.jacobian(x, r)
    dof = max(1, r.size - x.size)
    s2 = float(r @ r) / dof
    A = (J.T @ J).tocsc()
    cols = prob.n_ext + np.arange(prob.n_int)
    E = np.zeros((x.size, prob.n_int))
    E[cols, np.arange(prob.n_int)] = 1.0
    try:
        lu = scipy.sparse.linalg.splu(A + scipy.sparse.identity(x.size, format="csc") * 1e-12
                                      * float(A.diagonal().max()))
        inv = lu.solve(E)
    except RuntimeError:  # singular: some parameter is not determined at all
        return out
    var = np.clip(inv[cols, np.arange(prob.n_int)], 0, None) * s2
    out[prob.free_int] = np.sqrt(var)
    return out


def _huber(err: np.ndarray, delta: float) -> tuple[float, np.ndarray]:
    """Huber cost of per-observation pixel errors and the IRLS weights (M,)."""
    big = err > delta
    cost = float(np.sum(np.where(big, delta * err - 0.5 * delta**2, 0.5 * err**2)))
    w = np.where(big, delta / np.maximum(err, 1e-12), 1.0)
    return cost, w


class _NormalBlocks:
    """The normal matrix split into camera/intrinsic parameters (first ``nc``) and board poses
    (6 each, block diagonal): damped systems are solved by the Schur complement on the camera
    block (a small dense system), the board blocks inverted 6 x 6 at a time."""

    def __init__(self, A: scipy.sparse.csr_matrix, nc: int, n_boards: int):
        self.nc, self.B = nc, n_boards
        self.U = A[:nc, :nc].toarray()
        self.W = A[:nc, nc:].tocsr()
        Vc = A[nc:, nc:].tocoo()
        same = (Vc.row // 6) == (Vc.col // 6)
        self.V = np.zeros((n_boards, 6, 6))
        self.V[Vc.row[same] // 6, Vc.row[same] % 6, Vc.col[same] % 6] = Vc.data[same]

    def solve(self, damping: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Solve (A + diag(damping)) x = rhs."""
        nc, B = self.nc, self.B
        V = self.V.copy()
        idx = np.arange(6)
        V[:, idx, idx] += damping[nc:].reshape(B, 6)
        Vinv = np.linalg.inv(V)
        rb = rhs[nc:].reshape(B, 6)
        Vinv_rb = np.einsum("bij,bj->bi", Vinv, rb).ravel()
        if nc == 0:
            return Vinv_rb
        rows = np.repeat(np.arange(6 * B), 6)
        cols = (np.arange(6 * B).reshape(B, 6)[:, None, :].repeat(6, 1)).ravel()
        Vinv_sp = scipy.sparse.csr_matrix((Vinv.ravel(), (rows, cols)), shape=(6 * B, 6 * B))
        WV = self.W @ Vinv_sp
        S = self.U + np.diag(damping[:nc]) - (WV @ self.W.T).toarray()
        rc = rhs[:nc] - WV @ rb.ravel()
        xc = np.linalg.solve(S, rc)
        xb = Vinv_rb - Vinv_sp @ (self.W.T @ xc)
        return np.concatenate([xc, xb])


def levenberg_marquardt(prob: _Problem, x0: np.ndarray, delta: float, max_iter: int = 50,
                        ftol: float = 1e-10, xtol: float = 1e-10) -> tuple[np.ndarray, int]:
    """Minimise the Huber cost of ``prob``'s residuals from ``x0``; returns (x, iterations)."""
    x = x0.copy()
    r = prob.residuals(x)
    cost, w = _huber(np.linalg.norm(r.reshape(-1, 2), axis=1), delta)
    lam = 1e-4
    nu = 2.0
    it = 0
    nc = prob.n_ext + prob.n_int
    for it in range(1, max_iter + 1):  # noqa: B007 (iteration count returned)
        J = prob.jacobian(x, r)
        w2 = np.repeat(w, 2)
        JtW = (J.T.multiply(w2)).tocsr()
        A = (JtW @ J).tocsr()
        g = JtW @ r
        diag = np.maximum(A.diagonal(), 1e-12)
        blocks = _NormalBlocks(A, nc, prob.B)
        improved = False
        for _ in range(12):
            step = blocks.solve(lam * diag, -g)
            x_new = x + step
            r_new = prob.residuals(x_new)
            cost_new, w_new = _huber(np.linalg.norm(r_new.reshape(-1, 2), axis=1), delta)
            if np.isfinite(cost_new) and cost_new < cost:
                improved = True
                break
            lam *= nu
            nu *= 2.0
        if not improved:
            break
        # Nielsen's damping update from the gain ratio (actual / predicted decrease)
        predicted = -(g @ step + 0.5 * step @ (A @ step))
        rho = (cost - cost_new) / predicted if predicted > 0 else 0.0
        lam = max(lam * max(1 / 3, 1 - (2 * rho - 1) ** 3), 1e-12)
        nu = 2.0
        small_step = np.linalg.norm(step) <= xtol * (np.linalg.norm(x) + xtol)
        small_gain = cost - cost_new <= ftol * cost
        x, r, cost, w = x_new, r_new, cost_new, w_new
        if small_step or small_gain:
            break
    return x, it


def bundle_adjust(cams: list[Camera], obs: Observations, board: BoardSpec,
                  board_R: np.ndarray, board_t: np.ndarray, refine_intrinsics: bool = True,
                  fixed_camera: int = 0, f_scale: float = 1.5, outlier_px: float = 6.0,
                  max_iter: int = 60, ftol: float = 1e-8,
                  refine_extrinsics: bool = True,
                  free_intrinsics: np.ndarray | None = None,
                  with_std: bool = False) -> BundleResult:
    """Refine cameras (and optionally intrinsics) and board poses jointly.

    Args:
        cams: initial cameras (world -> camera).
        obs: corner observations; ``obs.frames`` indexes ``board_R``/``board_t``.
        board: the board (corner coordinates).
        board_R, board_t: (B, 3, 3), (B, 3) initial board -> world poses.
        refine_intrinsics: also refine K and distortion of every camera.
        fixed_camera: index of the camera whose pose is held fixed (gauge).
        f_scale: Huber threshold in pixels (errors beyond it count linearly).
        outlier_px: after the first solve, drop observations whose error exceeds
            ``max(outlier_px, 5 x robust sigma)`` and solve again.
        max_iter: Levenberg-Marquardt iterations per solve.
        free_intrinsics: (C, 9) (fisheye (C, 8)) mask of the intrinsics refined when
            ``refine_intrinsics`` (default: all).
        refine_extrinsics: False holds every camera fixed (only board poses are fitted: the
            reprojection error of a given calibration on these detections).
        ftol: stop when an iteration lowers the cost by less than this fraction.
        with_std: also compute the intrinsics' standard deviations (``intrinsic_std``).
    """
    valid = np.isfinite(board_t).all(1)
    if not valid.all():  # frames without an initial pose: drop their observations
        keep = valid[obs.board]
        remap = np.cumsum(valid) - 1
        obs = dataclasses.replace(obs.subset(keep), frames=obs.frames[valid])
        obs = dataclasses.replace(obs, board=remap[obs.board])
        board_R, board_t = board_R[valid], board_t[valid]
    n_total = obs.n
    x = None
    prob = None
    nfev = 0
    for _ in range(2):
        prob = _Problem(cams, obs, board, refine_intrinsics and refine_extrinsics, fixed_camera,
                        refine_extrinsics, free_intrinsics)
        x0 = prob.pack(cams, board_R, board_t)
        x, n_it = levenberg_marquardt(prob, x0, f_scale, max_iter, ftol)
        nfev += n_it
        err = np.linalg.norm(prob.project(x) - obs.uv, axis=1)
        sigma = 1.4826 * np.median(err)
        keep = err <= max(outlier_px, 5 * sigma)
        cams = prob.cameras(x)
        _, _, _, boards = prob.unpack(x)
        board_R, board_t = rodrigues(boards[:, :3]), boards[:, 3:]
        if keep.all():
            break
        obs = obs.subset(keep)
    res = prob.project(x) - prob.obs.uv
    std = intrinsic_std(prob, x) if with_std else None
    return BundleResult(cams, board_R, board_t, prob.obs, res, n_total - prob.obs.n, nfev,
                        std, prob.free_int.copy())
