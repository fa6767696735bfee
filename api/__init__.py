"""mocaplab.api: the lab index, the results API, exports, clinical and progress reports.

Public entry points (imported lazily, so ``import mocaplab.api`` stays light):

- :func:`create_app` (FastAPI app factory), served by ``mocaplab serve``;
- :func:`index_trial`, :func:`index_lab` (lab index; ``mocaplab index LAB_DIR``);
- :func:`export_trial` (CSV, JSON, C3D, TRC; ``mocaplab export``);
- :func:`write_report` (clinical report PDF + HTML), :func:`write_progress_report`;
- :func:`observation_bundle` (FHIR R4 bundle).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "create_app": "mocaplab.api.app",
    "index_trial": "mocaplab.api.db",
    "index_lab": "mocaplab.api.db",
    "export_trial": "mocaplab.api.exports",
    "write_report": "mocaplab.api.report",
    "write_progress_report": "mocaplab.api.progress",
    "observation_bundle": "mocaplab.api.fhir",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mocaplab.api' has no attribute {name!r}")
