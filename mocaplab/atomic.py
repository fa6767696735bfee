"""Atomic file writes: write a temporary file beside the target, then rename it into place.

A crash or Ctrl-C in the middle of a write leaves the previous file intact (or no file), never a
truncated one. ``overwrite=False`` refuses to replace an existing file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mocaplab.errors import OutputExistsError, write_problem

_DEFAULT_MODE = 0o644


def check_writable(path: str | os.PathLike, overwrite: bool) -> Path:
    """``path`` as a Path; :class:`OutputExistsError` if it exists and overwrite is off."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists; pass --force to replace it")
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto ``path``.

    The temporary name keeps the target's suffix so that libraries which pick a format from the
    extension (OpenCV, matplotlib) still work. On an exception the temporary file is removed and
    the target is left as it was.
    """
    path = check_writable(path, overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}",
                                        dir=path.parent)
    except OSError as exc:
        raise (write_problem(exc, path) or exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
        except OSError as exc:
            problem = write_problem(exc, path)
            if problem is None:
                raise
            raise problem from None
        if not overwrite and path.exists():  # appeared while we were writing
            raise OutputExistsError(f"{path} appeared while writing; not replacing it")
        try:
            replace_into(tmp, path)
        except OSError as exc:
            raise (write_problem(exc, path) or exc) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def replace_into(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Rename a finished temporary file onto ``path`` with the usual permissions: mkstemp makes
    owner-only (0600) files; the result gets 0644, or the mode of the file it replaces."""
    path = Path(path)
    os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else _DEFAULT_MODE)
    os.replace(tmp, path)


#: names of the temporary files of :func:`atomic_path` (and the video writer):
#: ``.<stem>.<8 random characters>.tmp<suffix>``
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp(\.[^./]+)?$")


def remove_stale_temporaries(folder: str | os.PathLike,
                             skip: tuple[str, ...] = ()) -> list[Path]:
    """Delete the temporary files a killed run left below ``folder`` (not in sub-folders named
    in ``skip``); returns them. Only call it when no other process writes there."""
    removed = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            if _TEMPORARY.match(name):
                p = Path(root) / name
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
                    removed.append(p)
    return removed


def write_bytes(path: str | os.PathLike, data: bytes, overwrite: bool = True) -> Path:
    """Atomically write ``data`` to ``path``."""
    with atomic_path(path, overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, overwrite: bool = True) -> Path:
    """Atomically write UTF-8 ``text`` to ``path``."""
    return write_bytes(path, text.encode("utf-8"), overwrite)


def write_json(path: str | os.PathLike, obj: Any, overwrite: bool = True) -> Path:
    """Atomically write ``obj`` as indented JSON (NaN written as ``null``)."""
    text = json.dumps(json_safe(obj), indent=2, allow_nan=False)
    return write_text(path, text + "\n", overwrite)


def save_npz(path: str | os.PathLike, overwrite: bool = True, **arrays: Any) -> Path:
    """Atomically write a compressed ``.npz`` with the given arrays."""
    with atomic_path(path, overwrite) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return Path(path)


def json_safe(obj: Any) -> Any:
    """Convert NumPy scalars/arrays to Python types, NaN/inf to None and paths to strings,
    recursively (what every JSON file of mocaplab holds; metrics.json through analysis)."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj
