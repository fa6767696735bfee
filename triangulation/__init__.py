"""mocaplab.triangulation: robust, fast 3D points from 2D keypoints, filtering and exports.

Public API:

- :func:`triangulate_trial`: a trial folder's ``keypoints2d.npz`` -> ``points3d.npz`` (the stage).
- :func:`triangulate_keypoints`: the same on in-memory :class:`~mocaplab.pose_data.Keypoints2D`.
- :func:`triangulate_points`: plain confidence-weighted DLT, vectorised over all points.
- :func:`triangulate_robust`: outlier views dropped, left/right swaps fixed, minimum views.
- :func:`filter_points` (gap filling and low-pass from :mod:`mocaplab.signal`),
  :func:`constrain_bone_lengths`.
- :func:`export_points`: TRC / C3D.

See docs/triangulation.md.
"""

from mocaplab.triangulation.export import export_all, export_points
from mocaplab.triangulation.filtering import (
    FilterOptions,
    constrain_bone_lengths,
    filter_points,
)
from mocaplab.triangulation.linear import triangulate_points, triangulate_weighted
from mocaplab.triangulation.robust import RobustOptions, RobustResult, triangulate_robust
from mocaplab.triangulation.run import (
    TriangulationReport,
    match_cameras,
    triangulate_keypoints,
    triangulate_trial,
)

__all__ = [
    "FilterOptions", "RobustOptions", "RobustResult", "TriangulationReport",
    "constrain_bone_lengths", "export_all", "export_points", "filter_points",
    "match_cameras", "triangulate_keypoints", "triangulate_points",
    "triangulate_robust", "triangulate_trial", "triangulate_weighted",
]
