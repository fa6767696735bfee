"""mocaplab.viewer: interactive 3D replay (Open3D GUI) and headless rendering of trials.

Public API (imported lazily, so that ``import mocaplab.viewer`` does not load Open3D):

- :func:`render_trial`: a trial to an MP4 replay or PNG frames, without a display.
- :func:`render_key_frames`: PNG images of the key frames of a gait cycle, for reports.
- :func:`render_comparison`: two trials side by side, aligned by gait cycle.
- :func:`view`: open the interactive replay window (needs a display).
- :func:`load_trial`: what the viewer shows of a trial folder or points3d.npz.

See docs/viewer.md.
"""

from __future__ import annotations

from mocaplab.lazy import lazy_getattr

_EXPORTS = {
    "render_trial": "mocaplab.viewer.render",
    "render_key_frames": "mocaplab.viewer.render",
    "render_comparison": "mocaplab.viewer.render",
    "RenderOptions": "mocaplab.viewer.render",
    "view": "mocaplab.viewer.gui",
    "display_available": "mocaplab.viewer.display",
    "load_trial": "mocaplab.viewer.data",
    "TrialData": "mocaplab.viewer.data",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
