"""mocaplab: open multi-camera 3D motion capture and clinical gait analysis.

The import package holds the core types shared by every stage (camera model, keypoint sets,
trial folders, pose arrays, the synthetic lab); each pipeline stage is a subpackage:
``mocaplab.calibration``, ``mocaplab.capture``, ``mocaplab.keypoints``,
``mocaplab.triangulation``, ``mocaplab.analysis``, ``mocaplab.viewer``, ``mocaplab.api``.
"""

__version__ = "0.1.0"
