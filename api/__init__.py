"""mocaplab.api: the results server (FastAPI app, bearer-token auth, processing jobs, CLI).

The routes live in :mod:`mocaplab.api.routes` (one ``APIRouter`` module per group); everything
they serve is read and written by :mod:`mocaplab.reporting`, which never imports this package.

Public entry point (imported lazily, so ``import mocaplab.api`` stays light):
:func:`create_app` (FastAPI app factory), served by ``mocaplab serve``.
"""

from __future__ import annotations

from mocaplab.lazy import lazy_getattr

_EXPORTS = {
    "create_app": "mocaplab.api.app",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
