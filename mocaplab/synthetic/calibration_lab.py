"""Realistic gait-lab calibration recordings with known truth (issue 17).

:func:`random_lab_scene` draws a whole lab from one seed:

- 4 to 6 cameras on an arc (150-240 deg) around a walkway, 3.2-5 m from its centre, 1.0-2.4 m
  high, aimed near the walkway centre; focal lengths 850-1300 px (1280 x 720), principal points
  0.3-2 % of the image off centre, mild or strong OpenCV distortion (k1 k2 p1 p2 k3) drawn per
  camera;
- one of a few ChArUco boards (6-12 cm squares);
- the board carried once around the cameras by an operator: in front of each camera in turn
  (waved across its image, 1.2-2.6 m away, tilted up to 60 deg), then between that camera and the
  next (facing both), with smooth transitions; so the board is seen by one or two cameras at a
  time (now and then three).

:func:`render_lab_videos` renders every frame through the full lens model
(:class:`mocaplab.synthetic.BoardRenderer`) with motion blur along the board's image motion, the
operator's hand over part of the board in some frames, a lighting gradient, mains flicker, sensor
noise, and writes one MJPG video per camera (the compression of a real lab recording). The true
board poses stay known, so every estimate can be scored against the truth.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from mocaplab.board import BoardSpec
from mocaplab.camera import Camera, CameraSet
from mocaplab.synthetic.board_render import BoardRenderer, board_pose_facing
from mocaplab.synthetic.cameras import make_camera

#: Boards a lab might print (squares x, squares y, square m, marker m, dictionary).
BOARDS = (
    (7, 5, 0.10, 0.075, "DICT_4X4_50"),
    (8, 6, 0.08, 0.06, "DICT_5X5_100"),
    (6, 4, 0.12, 0.09, "DICT_4X4_50"),
    (9, 6, 0.07, 0.052, "DICT_5X5_100"),
)


@dataclasses.dataclass(frozen=True, eq=False)
class LabScene:
    """A synthetic calibration recording: true cameras and the board's path.

    Attributes:
        cameras: the true cameras (world: Z up, walkway along X, metres).
        board: the board.
        board_R: (F, 3, 3) board -> world rotation per video frame.
        board_t: (F, 3) board -> world translation per video frame, metres.
        fps: frame rate.
        seed: the seed it was drawn from.
        distortion: "mild" or "strong".
        exposure: exposure time as a fraction of the frame interval (motion blur length).
        noise_sigma: sensor noise, grey levels.
        flicker: relative amplitude of the lighting flicker.
        hand: (F,) True where the operator's hand covers part of the board.
    """

    cameras: CameraSet
    board: BoardSpec
    board_R: np.ndarray
    board_t: np.ndarray
    fps: float
    seed: int
    distortion: str
    exposure: float
    noise_sigma: float
    flicker: float
    hand: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.board_t)

    def describe(self) -> dict:
        """The scene's parameters in plain numbers (for evaluation tables)."""
        w, h = self.cameras[0].size
        pp = [float(np.hypot((c.matrix[0, 2] - (w - 1) / 2) / w, (c.matrix[1, 2] - (h - 1) / 2)
                             / h) * 100) for c in self.cameras]
        return {"seed": self.seed, "cameras": len(self.cameras), "frames": self.n_frames,
                "board": f"{self.board.squares_x}x{self.board.squares_y} "
                         f"{self.board.square_length * 100:.0f} cm",
                "distortion": self.distortion,
                "focal_px": [round(float(c.matrix[0, 0])) for c in self.cameras],
                "principal_offset_pct": [round(p, 2) for p in pp],
                "noise_sigma": round(self.noise_sigma, 2), "exposure": round(self.exposure, 2),
                "flicker": round(self.flicker, 3), "hand_frames": int(self.hand.sum())}


def _distortion(rng: np.random.Generator, level: str) -> tuple[float, ...]:
    if level == "mild":
        k1, k2, k3 = rng.uniform(-0.12, -0.03), rng.uniform(0.0, 0.05), 0.0
    else:
        k1, k2, k3 = rng.uniform(-0.36, -0.22), rng.uniform(0.06, 0.16), rng.uniform(-0.04, 0.0)
    p1, p2 = rng.uniform(-1.2e-3, 1.2e-3, 2)
    return (k1, k2, p1, p2, k3)


def random_cameras(rng: np.random.Generator, n_cameras: int, image_size=(1280, 720),
                   level: str = "mild") -> CameraSet:
    """``n_cameras`` cameras on an arc around a walkway along X (see module doc)."""
    w, h = image_size
    span = np.radians(rng.uniform(150, 240))
    centre_az = -np.pi / 2 + rng.uniform(-0.3, 0.3)
    az = centre_az + np.linspace(-span / 2, span / 2, n_cameras)
    az += np.radians(rng.uniform(-8, 8, n_cameras))
    f_lab = rng.uniform(850, 1300)
    cams = []
    for i, a in enumerate(az):
        r = rng.uniform(3.2, 5.0)
        pos = (r * np.cos(a) * 1.15, r * np.sin(a), rng.uniform(1.0, 2.4))
        target = (rng.uniform(-0.6, 0.6), rng.uniform(-0.4, 0.4), rng.uniform(0.7, 1.1))
        frac = rng.uniform(0.003, 0.02)
        ang = rng.uniform(0, 2 * np.pi)
        off = (frac * w * np.cos(ang), frac * h * np.sin(ang))
        f = f_lab * rng.uniform(0.94, 1.06)
        cams.append(make_camera(f"cam{i}", pos, target, (w, h), f, _distortion(rng, level),
                                off))
    return CameraSet(tuple(cams))


def _close_poses(cam: Camera, board: BoardSpec, n: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The board waved in front of one camera: a Lissajous path across its image."""
    w, h = cam.size
    s = np.linspace(0, 1, n)
    a, b = rng.uniform(0.4, 0.8), rng.uniform(0.6, 1.2)
    ph = rng.uniform(0, 2 * np.pi, 4)
    u = 0.36 * w * np.sin(2 * np.pi * a * s + ph[0])
    v = 0.33 * h * np.sin(2 * np.pi * b * s + ph[1])
    d0 = rng.uniform(1.2, 1.8)
    dist = d0 + rng.uniform(0.3, 0.8) * (0.5 + 0.5 * np.sin(np.pi * s + ph[2]))
    amp = rng.uniform(35, 60)
    tx = amp * np.sin(2 * np.pi * rng.uniform(0.5, 1.2) * s + ph[3])
    ty = amp * np.cos(2 * np.pi * rng.uniform(0.5, 1.2) * s + ph[2])
    spin = rng.uniform(-25, 25) + 10 * np.sin(np.pi * s)
    R, t = [], []
    for k in range(n):
        # keep the board inside the image: shrink the offset where the board looks large
        scale = min(1.0, dist[k] / 2.0)
        Rk, tk = board_pose_facing(cam, dist[k], (tx[k], ty[k]), (u[k] * scale, v[k] * scale),
                                   board, spin[k])
        R.append(Rk)
        t.append(tk)
    return np.stack(R), np.stack(t)


def _facing_rotation(normal: np.ndarray, spin: float) -> np.ndarray:
    """Board -> world rotation with the printed side facing along ``normal`` (towards it)."""
    z = -normal / np.linalg.norm(normal)
    helper = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1) @ Rotation.from_rotvec([0, 0, spin]).as_matrix()


def _shared_poses(ca: Camera, cb: Camera, board: BoardSpec, n: int, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The board between two cameras, facing both, moved and tilted by hand."""
    mid = 0.5 * (ca.center + cb.center)
    centre0 = np.array([0.0, 0.0, 1.0]) + 0.45 * (mid - np.array([0.0, 0.0, 1.0]))
    centre0[2] = rng.uniform(0.9, 1.5)
    s = np.linspace(0, 1, n)
    ph = rng.uniform(0, 2 * np.pi, 5)
    side = np.cross(mid - centre0, [0, 0, 1.0])
    side /= np.linalg.norm(side)
    R, t = [], []
    spin0 = rng.uniform(-np.pi, np.pi)
    for k in range(n):
        c = (centre0 + 0.3 * np.sin(np.pi * s[k] + ph[0]) * side
             + np.array([0, 0, 0.2 * np.sin(np.pi * 1.5 * s[k] + ph[1])]))
        da = ca.center - c
        db = cb.center - c
        nrm = da / np.linalg.norm(da) + db / np.linalg.norm(db)
        wob = np.radians(25) * np.array([np.sin(np.pi * s[k] + ph[2]),
                                         np.sin(np.pi * 1.3 * s[k] + ph[3]), 0.0])
        Rk = Rotation.from_rotvec(wob).as_matrix() @ _facing_rotation(nrm, spin0 + 0.4 * np.sin(
            2 * np.pi * s[k] + ph[4]))
        R.append(Rk)
        t.append(c - Rk @ np.r_[np.array(board.size_m) / 2, 0])
    return np.stack(R), np.stack(t)


def _blend(R0, t0, R1, t1, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` poses moving smoothly from (R0, t0) to (R1, t1) (exclusive of both)."""
    s = (np.arange(1, n + 1) / (n + 1))
    s = 0.5 - 0.5 * np.cos(np.pi * s)
    slerp = Slerp([0, 1], Rotation.from_matrix(np.stack([R0, R1])))
    return slerp(s).as_matrix(), (1 - s)[:, None] * t0 + s[:, None] * t1


def random_lab_scene(seed: int, n_frames: int = 240, fps: float = 30.0,
                     image_size: tuple[int, int] = (1280, 720),
                     n_cameras: int | None = None) -> LabScene:
    """A random lab and the board's path through it (see module doc); same seed, same scene."""
    rng = np.random.default_rng(seed)
    n_cameras = int(n_cameras or rng.choice([4, 4, 5, 6]))
    level = str(rng.choice(["mild", "strong"]))
    cams = random_cameras(rng, n_cameras, image_size, level)
    sx, sy, sq, mk, dic = BOARDS[int(rng.integers(len(BOARDS)))]
    board = BoardSpec(squares_x=sx, squares_y=sy, square_length=sq, marker_length=mk,
                      dictionary=dic)
    # the operator's route: along the arc (cameras are numbered along it)
    order = np.arange(n_cameras)
    n_seg = 2 * n_cameras - 1
    n_blend = max(2, n_frames // (8 * n_seg))
    per = (n_frames - n_blend * (n_seg - 1)) / n_seg
    segs = []
    for k, c in enumerate(order):
        n_close = int(round(per * 1.15))
        segs.append(_close_poses(cams[int(c)], board, n_close, rng))
        if k + 1 < n_cameras:
            n_shared = int(round(per * 0.85))
            segs.append(_shared_poses(cams[int(c)], cams[int(order[k + 1])], board, n_shared,
                                      rng))
    Rs, ts = [segs[0][0]], [segs[0][1]]
    for a, b in zip(segs[:-1], segs[1:], strict=True):
        Rb, tb = _blend(a[0][-1], a[1][-1], b[0][0], b[1][0], n_blend)
        Rs += [Rb, b[0]]
        ts += [tb, b[1]]
    R = np.concatenate(Rs)
    t = np.concatenate(ts)
    if len(t) >= n_frames:
        R, t = R[:n_frames], t[:n_frames]
    else:  # rounding: hold the last pose
        R = np.concatenate([R, np.repeat(R[-1:], n_frames - len(t), 0)])
        t = np.concatenate([t, np.repeat(t[-1:], n_frames - len(t), 0)])
    hand = rng.random(n_frames) < 0.35
    return LabScene(cams, board, R, t, fps, seed, level, float(rng.uniform(0.08, 0.3)),
                    float(rng.uniform(1.5, 4.0)), float(rng.uniform(0.0, 0.06)), hand)


def _hand_polygon(board: BoardSpec, rng: np.random.Generator) -> np.ndarray:
    """(P, 3) outline of a hand gripping the board edge, board coordinates (metres)."""
    W, H = board.size_m
    edge = int(rng.integers(4))
    pos = rng.uniform(0.2, 0.8)
    centre = [(pos * W, 0.0), (W, pos * H), (pos * W, H), (0.0, pos * H)][edge]
    r = board.square_length * rng.uniform(0.6, 1.3)
    a = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    pts = np.stack([centre[0] + r * np.cos(a), centre[1] + 1.4 * r * np.sin(a),
                    np.full(a.size, -0.01)], 1)
    return pts


def _board_roi(cam: Camera, board: BoardSpec, R: np.ndarray, t: np.ndarray
               ) -> tuple[int, int, int, int] | None:
    """Image box (x0, y0, x1, y1) holding the printed board (with its margin), or None (the
    whole image) when part of it is behind the camera."""
    W, H = board.size_m
    m = 0.6 * board.square_length
    s = np.linspace(0, 1, 30)
    xs = np.concatenate([-m + s * (W + 2 * m), np.full(30, W + m), W + m - s * (W + 2 * m),
                         np.full(30, -m)])
    ys = np.concatenate([np.full(30, -m), -m + s * (H + 2 * m), np.full(30, H + m),
                         H + m - s * (H + 2 * m)])
    X = np.stack([xs, ys, np.zeros_like(xs)], 1) @ R.T + t
    if ((X @ cam.rotation.T + cam.tvec)[:, 2] <= 0.05).any():
        return None
    px = cam.project(X)
    if not np.isfinite(px).all():
        return None
    lo = np.floor(px.min(0)) - 4
    hi = np.ceil(px.max(0)) + 4
    return int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])


#: Longest motion blur rendered (px). The blur is the board centre's image motion over the
#: exposure; where the centre is near the edge of the field of view the lens model can throw
#: its projection far outside the image (scene 931, cam5: a kernel too large for memory).
MAX_BLUR_PX = 100.0


def _motion_kernel(dx: float, dy: float) -> np.ndarray | None:
    """Normalised line kernel for a blur of (dx, dy) pixels, or None below half a pixel
    (longer than :data:`MAX_BLUR_PX`: shortened to it, same direction)."""
    length = float(np.hypot(dx, dy))
    if length < 0.5:
        return None
    if length > MAX_BLUR_PX:
        dx, dy = dx * MAX_BLUR_PX / length, dy * MAX_BLUR_PX / length
        length = MAX_BLUR_PX
    size = int(np.ceil(length)) | 1
    size = max(size, 3)
    k = np.zeros((size, size), np.float32)
    c = size // 2
    steps = max(2, int(np.ceil(length * 2)))
    for s in np.linspace(-0.5, 0.5, steps):
        x, y = c + s * dx, c + s * dy
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        fx, fy = x - x0, y - y0
        for xx, yy, wgt in ((x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)),
                            (x0, y0 + 1, (1 - fx) * fy), (x0 + 1, y0 + 1, fx * fy)):
            if 0 <= xx < size and 0 <= yy < size:
                k[yy, xx] += wgt
    return k / k.sum()


def render_lab_videos(scene: LabScene, folder: str | os.PathLike, supersample: int = 2,
                      progress: Callable[[int], None] | None = None,
                      codec: str = "MJPG") -> dict[str, Path]:
    """Render the scene into one video per camera (``<folder>/<camera>.avi``).

    Returns camera name -> video path. Frames where a camera does not see the board show the
    background only (lighting, flicker and noise included). Cameras are rendered one after the
    other (one renderer in memory at a time).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    board = scene.board
    obj = board.corner_points()
    centre_b = np.r_[np.array(board.size_m) / 2, 0.0]
    paths = {}
    for ci, cam in enumerate(scene.cameras):
        rng = np.random.default_rng([scene.seed, ci])
        hand_rng = np.random.default_rng([scene.seed, 1000])
        hands = [_hand_polygon(board, hand_rng) for _ in range(scene.n_frames)]
        w, h = cam.size
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        g = rng.uniform(-1, 1, 2)
        light = 1 + 0.18 * (g[0] * (xx / w - 0.5) + g[1] * (yy / h - 0.5))
        background = float(rng.uniform(70, 150))
        renderer = BoardRenderer(cam, board, supersample=supersample)
        path = folder / f"{cam.name}.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), scene.fps, (w, h),
                                 False)
        try:
            for k in range(scene.n_frames):
                R, t = scene.board_R[k], scene.board_t[k]
                X = obj @ R.T + t
                px = cam.project(X)
                inside = (np.isfinite(px).all(1) & (px[:, 0] > -w * 0.2) & (px[:, 0] < w * 1.2)
                          & (px[:, 1] > -h * 0.2) & (px[:, 1] < h * 1.2))
                Xc = X @ cam.rotation.T + cam.tvec
                facing = (cam.rotation @ R[:, 2]) @ Xc.mean(0) > 0
                if facing and (inside & (Xc[:, 2] > 0.05)).sum() >= 4:
                    img = renderer.render(R, t, blur_sigma=0.0, noise_sigma=0.0,
                                          background=background, rng=rng,
                                          roi=_board_roi(cam, board, R, t)).image
                    img = img.astype(np.float32)
                    if scene.hand[k]:
                        hp = cam.project(hands[k] @ R.T + t)
                        if np.isfinite(hp).all():
                            cv2.fillPoly(img, [np.round(hp * 16).astype(np.int32)],
                                         float(rng.uniform(40, 90)), cv2.LINE_AA, shift=4)
                    k2 = min(k + 1, scene.n_frames - 1)
                    k1 = k2 - 1
                    c1 = cam.project((scene.board_R[k1] @ centre_b + scene.board_t[k1])[None])
                    c2 = cam.project((scene.board_R[k2] @ centre_b + scene.board_t[k2])[None])
                    d = (c2 - c1).ravel() * scene.exposure
                    ker = _motion_kernel(float(d[0]), float(d[1])) if np.isfinite(d).all() \
                        else None
                    if ker is not None:
                        img = cv2.filter2D(img, -1, ker)
                    img = cv2.GaussianBlur(img, (0, 0), 0.5)
                else:
                    img = np.full((h, w), background, np.float32)
                gain = 1 + scene.flicker * np.sin(2 * np.pi * 0.37 * k + ci)
                img = img * light * gain + rng.normal(0, scene.noise_sigma, (h, w))
                writer.write(np.clip(np.rint(img), 0, 255).astype(np.uint8))
                if progress is not None:
                    progress(1)
        finally:
            writer.release()
        paths[cam.name] = path
        del renderer
    return paths


def true_views(scene: LabScene, min_corners: int = 6) -> list:
    """The scene as :class:`mocaplab.calibration.simulate.SweepFrame` s: per video frame, the
    board pose and the cameras in which at least ``min_corners`` corners are in the image and
    the printed side faces the camera (for the true reprojection error)."""
    from mocaplab.calibration.simulate import SweepFrame

    obj = scene.board.corner_points()
    out = []
    for k in range(scene.n_frames):
        R, t = scene.board_R[k], scene.board_t[k]
        X = obj @ R.T + t
        seen = []
        for c, cam in enumerate(scene.cameras):
            Xc = X @ cam.rotation.T + cam.tvec
            if (Xc[:, 2] <= 0).any():
                continue
            normal_cam = cam.rotation @ R[:, 2]
            if normal_cam @ Xc.mean(0) <= 0:  # printed side turned away from the camera
                continue
            px = cam.project(X)
            w, h = cam.size
            ok = (np.isfinite(px).all(1) & (px[:, 0] >= 3) & (px[:, 0] <= w - 4)
                  & (px[:, 1] >= 3) & (px[:, 1] <= h - 4))
            if ok.sum() >= min_corners:
                seen.append(c)
        if seen:
            out.append(SweepFrame(tuple(seen), R, t))
    return out
