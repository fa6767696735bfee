"""mocaplab.reporting: what a trial's results become for people and other tools.

Reads analysed trial folders and lab folders and writes exports (tidy CSV, JSON, C3D, TRC, FHIR
R4), the clinical report, the progress report, their figures and key frames, and the lab index
database. It imports no server code: the results API (:mod:`mocaplab.api`) and the pipeline
(:mod:`mocaplab.pipeline`) both build on it.

Public entry points (imported lazily, so ``import mocaplab.reporting`` stays light):

- :func:`export_trial` (CSV, JSON, C3D, TRC; ``mocaplab export``);
- :func:`write_report` (clinical report PDF + HTML), :func:`write_progress_report`;
- :func:`observation_bundle` (FHIR R4 bundle);
- :func:`index_trial`, :func:`index_lab` (lab index; ``mocaplab index LAB_DIR``).
"""

from __future__ import annotations

from mocaplab.lazy import lazy_getattr

_EXPORTS = {
    "index_trial": "mocaplab.reporting.db",
    "index_lab": "mocaplab.reporting.db",
    "export_trial": "mocaplab.reporting.exports",
    "write_report": "mocaplab.reporting.report",
    "write_progress_report": "mocaplab.reporting.progress",
    "observation_bundle": "mocaplab.reporting.fhir",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
