"""One pipeline run per trial at a time.

Two runs on one trial (two terminals, ``mocaplab batch`` over a lab while the API processes one
of its trials) both detected for minutes, then each wrote ``.mocaplab/stages.json`` without the
other's records. :func:`trial_lock` takes an exclusive ``flock`` on
``TRIAL/.mocaplab/process.lock`` (released by the system when the process ends, even killed);
a second run is refused with who holds it. Where ``fcntl`` does not exist (Windows) there is no
lock.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Iterator

from mocaplab.errors import InputError
from mocaplab.trial import Trial

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


class TrialBusyError(InputError):
    """Another pipeline run holds the trial."""


@contextlib.contextmanager
def trial_lock(trial: Trial) -> Iterator[None]:
    """Hold the trial's process lock for the block; TrialBusyError if another run holds it."""
    if fcntl is None:
        yield
        return
    path = trial.process_lock_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # a read-only trial: nothing will be written, so nothing to guard
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            raise TrialBusyError(
                f"{trial.path} is being processed by another run ({holder or 'unknown'}): "
                "wait for it to finish, then run again (nothing was changed)") from None
        now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {now}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
