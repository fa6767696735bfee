"""The user cache and file checksums, shared by everything that installs a pinned file.

The pose model (:mod:`mocaplab.keypoints.model_cache`), the marker augmenter
(:mod:`mocaplab.analysis.augmenter_model`) and the normative data
(:mod:`mocaplab.analysis.normative`) live below :func:`user_cache_dir` and are checked with
:func:`sha256_file`; the lab index and stage freshness use the same digest.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_BLOCK = 1 << 20


def user_cache_dir(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/mocaplab/<parts>`` (default ``~/.cache/mocaplab/<parts>``); not
    created."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "mocaplab", *parts)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()
