"""mocaplab.capture: recording, video import, synchronisation and trial folders.

Modules (imported lazily so that ``mocaplab.capture.cli`` stays light):

- :mod:`.sources`: frame sources behind one interface (devices, video files as virtual cameras,
  image folders) and :func:`open_source`.
- :mod:`.video_io`: a video writer that never leaves a truncated file (probing:
  :mod:`mocaplab.video`).
- :mod:`.recorder`: :func:`record` N cameras into a trial folder (thread per camera).
- :mod:`.timesync`: :func:`match_timestamps`, pairing frames on a common clock.
- :mod:`.posthoc`: :func:`sync_keypoints` (2D keypoint motion, optional epipolar geometry),
  :class:`SyncResult` (offsets with a confidence).
- :mod:`.flash`: :func:`sync_flash`, :func:`brightness_signal`.
- :mod:`.align`: :func:`apply_offsets` / :func:`apply_frame_table` / :func:`sync_trial`.
- :mod:`.importer`: :func:`import_videos`, existing videos -> trial folder.
"""

from __future__ import annotations

from mocaplab.lazy import lazy_getattr

_EXPORTS = {
    "open_source": "sources", "FrameSource": "sources", "Frame": "sources",
    "DeviceSource": "sources", "VideoFileSource": "sources", "ImageFolderSource": "sources",
    "SafeVideoWriter": "video_io",
    "record": "recorder", "RecordingResult": "recorder",
    "match_timestamps": "timesync", "TimestampMatch": "timesync",
    "sync_keypoints": "posthoc", "sync_flash": "flash", "SyncResult": "posthoc",
    "brightness_signal": "flash",
    "apply_offsets": "align", "apply_frame_table": "align", "sync_trial": "align",
    "import_videos": "importer",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, {k: f"{__name__}.{m}" for k, m in _EXPORTS.items()})
