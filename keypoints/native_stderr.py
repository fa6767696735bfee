"""Keep native libraries' stderr chatter out of an interactive terminal.

MediaPipe and TensorFlow Lite write lines such as ``INFO: Created TensorFlow Lite XNNPACK
delegate for CPU.`` and ``W0000 ... Feedback manager requires a model with a single signature``
straight to file descriptor 2 each time a landmarker is created, which breaks the per-camera
progress bars. Worker processes send their descriptor 2 to a log file at start
(:func:`mocaplab.keypoints.trial_detect._init_worker`); :func:`native_stderr_to` does the same
for detection running in this process, while Python's own stderr output (``sys.stderr``, the
logging handlers writing to it, the progress bars) keeps going to the terminal.

It changes process-wide state (descriptor 2, ``sys.stderr``) for the duration of the block, so
it only acts where that is safe: in the main thread of a program whose ``sys.stderr`` is
descriptor 2 itself (the ``mocaplab`` CLI, whether its stderr is a terminal, a file or a pipe).
Elsewhere (a server thread, a notebook, whose stderr is its own object, pytest's capture) it
does nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator


def _stream_handlers(stream) -> list[logging.StreamHandler]:
    """The logging handlers (root and named loggers) that write to ``stream``."""
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    return [h for lg in loggers for h in lg.handlers
            if isinstance(h, logging.StreamHandler) and h.stream is stream]


def redirect_is_safe() -> bool:
    """True in the main thread when ``sys.stderr`` writes to descriptor 2 itself."""
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        return sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation: not a real file
        return False


@contextlib.contextmanager
def native_stderr_to(log_path: str | os.PathLike, force: bool = False) -> Iterator[None]:
    """Within the block, descriptor 2 appends to ``log_path``; ``sys.stderr`` and the logging
    handlers that wrote to it write to the original stderr (through a duplicate descriptor).
    Everything is restored on exit. Does nothing unless :func:`redirect_is_safe` (or
    ``force``)."""
    if not (force or redirect_is_safe()):
        yield
        return
    old_stream = sys.stderr
    with contextlib.suppress(Exception):
        old_stream.flush()
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    original_fd = os.dup(2)
    terminal = open(os.dup(original_fd), "w", buffering=1,  # noqa: SIM115 (closed below)
                    encoding=getattr(old_stream, "encoding", None) or "utf-8",
                    errors="backslashreplace")
    handlers = _stream_handlers(old_stream)
    try:
        os.dup2(log_fd, 2)
        sys.stderr = terminal
        for h in handlers:
            h.setStream(terminal)
        yield
    finally:
        for h in handlers:
            h.setStream(old_stream)
        sys.stderr = old_stream
        terminal.close()
        os.dup2(original_fd, 2)
        os.close(original_fd)
        os.close(log_fd)
