"""mocaplab.calibration: ChArUco camera calibration and import of other tools' calibrations.

Public API:

- :func:`load_calibration`: read aniposelib/anipose, Pose2Sim, Qualisys ``.qca.txt`` or caliscope
  calibrations as a :class:`mocaplab.camera.CameraSet` (format detected from the content).

See docs/calibration.md.
"""

from mocaplab.calibration.importers import detect_format, load_calibration

__all__ = ["detect_format", "load_calibration"]
