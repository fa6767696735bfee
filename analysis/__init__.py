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

from typing import Any

__all__ = ["analyze", "analyze_file", "compare_metrics"]


def __getattr__(name: str) -> Any:
    # lazy: the CLI imports mocaplab.analysis.cli and must not pay for scipy at start-up
    if name == "compare_metrics":
        from mocaplab.analysis.compare import compare_metrics

        return compare_metrics
    if name in ("analyze", "analyze_file"):
        from mocaplab.analysis import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'mocaplab.analysis' has no attribute {name!r}")
