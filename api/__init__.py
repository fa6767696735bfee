"""mocaplab.api: the results server (FastAPI app, bearer-token auth, processing jobs, CLI).

The routes live in :mod:`mocaplab.api.routes` (one ``APIRouter`` module per group); everything
they serve is read and written by :mod:`mocaplab.reporting`, which never imports this package.

Public entry point (imported lazily, so ``import mocaplab.api`` stays light):
:func:`create_app` (FastAPI app factory), served by ``mocaplab serve``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "create_app": "mocaplab.api.app",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mocaplab.api' has no attribute {name!r}")
