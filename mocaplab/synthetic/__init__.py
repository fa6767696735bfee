"""The synthetic lab: virtual cameras, rendered boards and projected motion with known truth.

It is the ground truth behind most tests and the demo's synthetic trial:

- :mod:`.cameras`: virtual cameras around a walkway (:func:`walkway_cameras`, :func:`camera_ring`).
- :mod:`.board_render`: a ChArUco board rendered through the full camera model (per-pixel remap
  through the lens distortion), with blur and noise (:class:`BoardRenderer`).
- :mod:`.observations`: 3D motion projected into every view with noise, dropouts, outliers and
  left/right swaps, keeping masks of what was corrupted (:func:`project_motion`).
"""

from mocaplab.synthetic.board_render import BoardRender, BoardRenderer, board_pose_facing
from mocaplab.synthetic.cameras import (
    DISTORTION_MILD,
    DISTORTION_NONE,
    DISTORTION_STRONG,
    camera_ring,
    walkway_cameras,
)
from mocaplab.synthetic.observations import SyntheticObservations, project_motion

__all__ = [
    "DISTORTION_MILD", "DISTORTION_NONE", "DISTORTION_STRONG", "BoardRender", "BoardRenderer",
    "SyntheticObservations", "board_pose_facing", "camera_ring", "project_motion",
    "walkway_cameras",
]
