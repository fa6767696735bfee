"""mocaplab.analysis: clinical gait analysis.

Public entry points:

- :func:`analyze_file` (INPUT = trial folder, points3d.npz, .c3d or .trc -> metrics.json dict)
- :func:`compare_metrics` (before/after metrics -> change and direction of every metric)

Modules: ``landmarks`` (labels -> roles, Z-up, hip centres), ``progression`` (walking direction,
passes, turns, treadmill), ``angles`` (pelvis/thorax/spine, Plug-in Gait), ``events`` (Zeni +
foot velocity), ``cycles``, ``spatiotemporal`` (incl. leg length and weight shifting),
``compare`` + ``normative``, ``pipeline``, ``cli``. See docs/analysis.md.
"""

from __future__ import annotations

from mocaplab.lazy import lazy_getattr

# lazy: the CLI imports mocaplab.analysis.cli and must not pay for scipy at start-up
_EXPORTS = {"analyze": "mocaplab.analysis.pipeline", "analyze_file": "mocaplab.analysis.pipeline",
            "compare_metrics": "mocaplab.analysis.compare"}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
