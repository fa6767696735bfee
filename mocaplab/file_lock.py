"""An exclusive lock held while a file is read, changed and written back.

Two writers of one file (the API's PATCH of a trial's annotations and a processing job that
records the calibration or the keypoints' source in the same meta.json) each read the file,
changed their key and wrote the whole file back: the later write lost the earlier one's key.
:func:`exclusive_lock` takes a blocking ``flock`` on a lock file beside the data, between
threads (each call opens its own file description) and processes alike; the system releases it
when the process ends, even killed. Where ``fcntl`` does not exist (Windows) there is no lock.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def exclusive_lock(lock_path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created with its folder) for the block, waiting
    for another holder to finish. A folder where the lock file cannot be made (read-only) is not
    locked: the write that follows then reports the problem itself."""
    if fcntl is None:  # pragma: no cover - not POSIX
        yield
        return
    path = Path(lock_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
