"""mocaplab.calibration: ChArUco camera calibration and import of other tools' calibrations.

Public API:

- :func:`load_calibration`: read aniposelib/anipose, Pose2Sim, Qualisys ``.qca.txt`` or caliscope
  calibrations as a :class:`mocaplab.camera.CameraSet` (format detected from the content).
- :func:`load_board`: read a board definition (mocaplab, anipose or caliscope TOML).
- :func:`calibrate`: calibrate cameras from board videos or image folders, write the calibration
  TOML and the quality report (``intrinsics=FILE``: lenses from another calibration, only the
  extrinsics estimated; see :mod:`mocaplab.calibration.lenses`).
- :func:`calibrate_detections`: the same from detections already made.

Heavy modules are imported lazily so that ``import mocaplab.calibration`` stays light.
See docs/calibration.md.
"""

from __future__ import annotations

from mocaplab.calibration.boards import load_board
from mocaplab.calibration.importers import detect_format, load_calibration
from mocaplab.lazy import lazy_getattr

__all__ = ["calibrate", "calibrate_detections", "detect_format", "load_board",
           "load_calibration"]


__getattr__ = lazy_getattr(__name__, {name: "mocaplab.calibration.pipeline" for name in
                                      ("calibrate", "calibrate_detections", "Calibration")})
