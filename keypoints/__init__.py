"""mocaplab.keypoints: 2D keypoints in every camera view (MediaPipe BlazePose, or imported).

Public API (importing this package is light: MediaPipe and OpenCV load on first use):

- :func:`detect_video`: (F, 33, 2) pixels and (F, 33) confidence of one video.
- :func:`detect_trial`: every camera of a trial folder in parallel -> ``keypoints2d.npz``.
- :func:`resolve_model`: the pose model file (explicit, env var, user cache, verified download).
- :class:`Detector`: the interface of a 2D source; :class:`MediaPipePoseDetector`,
  :class:`OpenPoseJSONSource`, :class:`DeepLabCutSource` implement it.
- :func:`read_openpose_json`, :func:`read_deeplabcut`: importers mapped onto a keypoint set.

See docs/keypoints.md.
"""

from mocaplab.keypoints.detector import Detector, VideoKeypoints, map_keypoints
from mocaplab.keypoints.importers import (
    DeepLabCutSource,
    OpenPoseJSONSource,
    read_deeplabcut,
    read_openpose_json,
)
from mocaplab.keypoints.mediapipe_pose import MediaPipePoseDetector, detect_video
from mocaplab.keypoints.trial_detect import detect_trial
from mocaplab.lazy import lazy_getattr

# model_cache is also run as ``python -m mocaplab.keypoints.model_cache``: importing it
# here eagerly would make runpy warn, so its functions are looked up on first use.
__getattr__ = lazy_getattr(__name__, {"resolve_model": "mocaplab.keypoints.model_cache",
                                      "install_model": "mocaplab.keypoints.model_cache"})


__all__ = [
    "DeepLabCutSource", "Detector", "MediaPipePoseDetector", "OpenPoseJSONSource",
    "VideoKeypoints", "detect_trial", "detect_video", "install_model", "map_keypoints",
    "read_deeplabcut", "read_openpose_json", "resolve_model",
]
