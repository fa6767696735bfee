"""Lazy package exports (PEP 562): the one way a stage package names its public functions
without importing their heavy modules (Open3D, FastAPI, scipy, MediaPipe) at ``import`` time.

In a package's ``__init__.py``::

    _EXPORTS = {"render_trial": "mocaplab.viewer.render"}   # name -> module that defines it
    __all__ = sorted(_EXPORTS)
    __getattr__ = lazy_getattr(__name__, _EXPORTS)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` on first use of ``name``."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
