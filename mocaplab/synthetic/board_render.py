"""Render a calibration board as a camera sees it, through the full lens model.

Every output pixel is traced back through the distortion model (iterative undistortion of the
pixel centre), intersected with the board plane and looked up in the printed board's texture
(``cv2.remap``), with supersampling for anti-aliasing. This is the exact inverse of
:meth:`Camera.project`, so the true corner projections are known to numerical precision.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from mocaplab.board import BoardSpec
from mocaplab.camera import Camera


@dataclasses.dataclass(frozen=True, eq=False)
class BoardRender:
    """One rendered view of a board.

    Attributes:
        image: (H, W) uint8 greyscale image.
        corner_ids: (N,) ids of the board corners visible in the image.
        corners_px: (N, 2) true distorted pixel positions of those corners.
        all_corners_px: (n_corners, 2) true projections of every corner (NaN if behind).
    """

    image: np.ndarray
    corner_ids: np.ndarray
    corners_px: np.ndarray
    all_corners_px: np.ndarray


def board_pose_facing(camera: Camera, distance: float, tilt_deg: tuple[float, float] = (0, 0),
                      offset_px: tuple[float, float] = (0.0, 0.0), board: BoardSpec | None = None,
                      spin_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A board pose (R (3,3), t (3,)) board -> world, roughly facing ``camera``.

    The board centre lies ``distance`` metres in front of the camera, shifted by ``offset_px``
    from the principal point, tilted by ``tilt_deg`` about its x and y axes and spun about its
    normal by ``spin_deg``.
    """
    K = camera.matrix
    ray = np.array([offset_px[0] / K[0, 0], offset_px[1] / K[1, 1], 1.0])
    centre_cam = ray / np.linalg.norm(ray) * distance
    ax, ay = np.radians(tilt_deg)
    rx = cv2.Rodrigues(np.array([ax, 0.0, 0.0]))[0]
    ry = cv2.Rodrigues(np.array([0.0, ay, 0.0]))[0]
    rz = cv2.Rodrigues(np.array([0.0, 0.0, np.radians(spin_deg)]))[0]
    R_board_cam = rx @ ry @ rz  # board axes in camera frame: board faces the camera (z away)
    half = np.zeros(3)
    if board is not None:
        w, h = board.size_m
        half = np.array([w / 2, h / 2, 0.0])
    t_board_cam = centre_cam - R_board_cam @ half
    R_cam = camera.rotation
    R = R_cam.T @ R_board_cam
    t = R_cam.T @ (t_board_cam - camera.tvec)
    return R, t


class BoardRenderer:
    """Renders one board into one camera; precomputes the per-pixel rays once.

    Args:
        camera: the camera that sees the board.
        board: the board.
        supersample: rendering scale per axis before area downsampling (anti-aliasing).
        pixels_per_square: texture resolution of the printed board.
    """

    def __init__(self, camera: Camera, board: BoardSpec, supersample: int = 3,
                 pixels_per_square: int = 120):
        self.camera = camera
        self.board = board
        self.supersample = supersample
        self.margin_squares = 0.5
        self.pixels_per_m = pixels_per_square / board.square_length
        self.texture = board.render(pixels_per_square, self.margin_squares).astype(np.float32)
        w, h = camera.size
        self._rays = _pixel_rays(camera, w * supersample, h * supersample, supersample)

    def render(self, R_board: np.ndarray, t_board: np.ndarray, blur_sigma: float = 0.6,
               noise_sigma: float = 2.0, background: float = 110.0,
               rng: np.random.Generator | None = None,
               roi: tuple[int, int, int, int] | None = None) -> BoardRender:
        """Render the board at pose (R_board, t_board) board -> world.

        Args:
            blur_sigma: Gaussian blur of the final image, pixels (optical blur).
            noise_sigma: Gaussian sensor noise, grey levels.
            background: grey level where the board is not.
            roi: (x0, y0, x1, y1) output pixels to trace (the rest is ``background``); a
                region around the board makes rendering several times faster.
        """
        rng = rng or np.random.default_rng(0)
        cam = self.camera
        # board -> camera
        R_bc = cam.rotation @ R_board
        t_bc = cam.rotation @ t_board + cam.tvec
        # camera centre and ray directions in board coordinates
        c_b = -R_bc.T @ t_bc
        w, h = cam.size
        ss = self.supersample
        x0, y0, x1, y1 = (0, 0, w, h) if roi is None else (
            max(0, int(roi[0])), max(0, int(roi[1])), min(w, int(roi[2])), min(h, int(roi[3])))
        d_b = self._rays[y0 * ss: y1 * ss, x0 * ss: x1 * ss] @ R_bc  # R_bc.T @ d for every ray
        with np.errstate(invalid="ignore", divide="ignore"):
            lam = -c_b[2] / d_b[..., 2]
        hit = c_b[:2] + lam[..., None] * d_b[..., :2]
        valid = np.isfinite(lam) & (lam > 0)
        margin_m = self.margin_squares * self.board.square_length
        map_x = ((hit[..., 0] + margin_m) * self.pixels_per_m - 0.5).astype(np.float32)
        map_y = ((hit[..., 1] + margin_m) * self.pixels_per_m - 0.5).astype(np.float32)
        map_x[~valid] = -1e6
        map_y[~valid] = -1e6
        full = np.full((h, w), float(background), np.float32)
        if x1 > x0 and y1 > y0:
            part = cv2.remap(self.texture, map_x, map_y, cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=float(background))
            if ss > 1:
                part = cv2.resize(part, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
            full[y0:y1, x0:x1] = part
        img = full
        if blur_sigma > 0:
            img = cv2.GaussianBlur(img, (0, 0), blur_sigma)
        if noise_sigma > 0:
            img = img + rng.normal(0, noise_sigma, img.shape).astype(np.float32)
        image = np.clip(np.rint(img), 0, 255).astype(np.uint8)

        corners_world = self.board.corner_points() @ R_board.T + t_board
        all_px = cam.project(corners_world)
        inside = (np.isfinite(all_px).all(axis=1)
                  & (all_px[:, 0] >= 3) & (all_px[:, 0] <= w - 4)
                  & (all_px[:, 1] >= 3) & (all_px[:, 1] <= h - 4))
        # The printed side faces the camera when the board's z axis points away from it
        # (OpenCV's board frame as returned by pose estimation).
        to_board = R_bc @ self.board.corner_points().T + t_bc[:, None]
        facing = (R_bc[:, 2] @ to_board) > 0
        visible = inside & facing & self._unfolded(all_px)
        ids = np.flatnonzero(visible)
        return BoardRender(image, ids, all_px[ids], all_px)

    def _unfolded(self, px: np.ndarray) -> np.ndarray:
        """True where the pixel lies in the region where the distortion model is one-to-one."""
        back = self.camera.distort_normalized(self.camera.undistort_points(px))
        return np.isfinite(back).all(axis=1) & (np.linalg.norm(back - px, axis=1) < 1e-3)


def _pixel_rays(camera: Camera, width: int, height: int, supersample: int,
                step: int = 8) -> np.ndarray:
    """(height, width, 3) camera-frame rays (z = 1) through the centres of supersampled pixels.

    The undistortion is smooth, so it is computed exactly on a grid every ``step`` pixels and
    interpolated with bicubic splines in between (error far below 0.01 px).
    """
    from scipy.interpolate import RectBivariateSpline

    gx = np.arange(-step, width + 2 * step, step, dtype=float)
    gy = np.arange(-step, height + 2 * step, step, dtype=float)
    uu, vv = np.meshgrid((gx + 0.5) / supersample - 0.5, (gy + 0.5) / supersample - 0.5)
    xn = camera.undistort_points(np.stack([uu, vv], axis=-1))
    px, py = np.arange(width, dtype=float), np.arange(height, dtype=float)
    rays = np.ones((height, width, 3))
    for k in range(2):
        spline = RectBivariateSpline(gy, gx, np.nan_to_num(xn[..., k], nan=0.0), kx=3, ky=3)
        rays[..., k] = spline(py, px)
    return rays
