"""Import MediaPipe without the parts pose detection never uses (faster worker start).

``import mediapipe`` executes ``mediapipe.tasks.python.vision.drawing_utils``, which imports
matplotlib.pyplot (about two thirds of MediaPipe's import time), and the audio and text task
packages (the audio package loads PortAudio through ``sounddevice``: ~0.1 s more). Every
detection worker process paid for them. :func:`import_mediapipe_light` registers placeholders for
those modules before importing MediaPipe; a placeholder loads the real module the first time one
of its attributes (or, for a package, its submodules) is used, so nothing is lost, only deferred.
If anything about this fails (another MediaPipe layout), MediaPipe is imported the normal way.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

_DEFERRED = ("mediapipe.tasks.python.vision.drawing_utils",
             "mediapipe.tasks.python.vision.drawing_styles",
             "mediapipe.tasks.python.audio",
             "mediapipe.tasks.python.text")


class _DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is needed, then loads it."""

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(_load_real(self.__name__), attr)


class _DeferringFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Meta path hook that answers the deferred names with placeholders (while installed)."""

    def find_spec(self, name, path=None, target=None):
        if name not in _DEFERRED:
            return None
        # A deferred package keeps its real search path, so that its submodules can still be
        # imported one by one without running the package's own __init__.
        real = importlib.machinery.PathFinder.find_spec(name, path)
        spec = importlib.machinery.ModuleSpec(name, self)
        if real is not None and real.submodule_search_locations is not None:
            spec.submodule_search_locations = list(real.submodule_search_locations)
        return spec

    def create_module(self, spec):
        return _DeferredModule(spec.name)

    def exec_module(self, module) -> None:
        pass


def _load_real(name: str) -> types.ModuleType:
    """Replace a placeholder by the real module (in sys.modules and on its package)."""
    current = sys.modules.get(name)
    if current is not None and not isinstance(current, _DeferredModule):
        return current
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules[parent_name]
    spec = importlib.machinery.PathFinder.find_spec(name, parent.__path__)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot find {name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules[name] = current  # type: ignore[assignment]
        raise
    setattr(parent, child, module)
    return module


def import_mediapipe_light() -> types.ModuleType:
    """``import mediapipe`` with the drawing helpers deferred; returns the mediapipe module."""
    if "mediapipe" in sys.modules:
        return sys.modules["mediapipe"]
    finder = _DeferringFinder()
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module("mediapipe")
    except Exception:
        for name in [m for m in sys.modules if m == "mediapipe" or m.startswith("mediapipe.")]:
            del sys.modules[name]
        sys.meta_path.remove(finder)
        return importlib.import_module("mediapipe")
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
