"""Run one function in a fresh Python process, with a time limit and one more try on a stall.

This is the one way mocaplab isolates Open3D (the replay render of the pipeline, the key frames
of the reports): Open3D's offscreen renderer (Filament) holds process-wide state (a second
renderer in the same process was seen to run 100x slower or to abort), it can abort the whole
process with a C++ panic instead of raising, it is not safe in server threads, and on Mesa's
software Vulkan it used to stall on some frames. A child process per call keeps all of that
away from the caller.

The child calls ``module:function(*args, **kwargs)`` (JSON-serialisable arguments) and prints
its JSON result on its last line of output; a non-zero int result is taken as an exit status
(so ``mocaplab.cli:main`` with an argument list runs a CLI command in isolation).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from typing import Any

_CHILD = """
import importlib, json, sys
mod, fn = sys.argv[1].split(":")
func = getattr(importlib.import_module(mod), fn)
res = func(*json.loads(sys.argv[2]), **json.loads(sys.argv[3]))
if isinstance(res, int) and not isinstance(res, bool) and res != 0:
    sys.exit(res)  # a CLI main's exit status
if isinstance(res, dict):
    res = list(res.values())
if not isinstance(res, (int, float, str, type(None), list, tuple)):
    res = [res] if not hasattr(res, "__iter__") else list(res)
print("\\n" + json.dumps({"result": res}, default=str))
"""


@dataclasses.dataclass(frozen=True)
class ChildFailed(Exception):
    """The child exited with an error (``returncode``; ``tail``: last line of its stderr) or
    stalled on every attempt (``returncode`` None)."""

    message: str
    returncode: int | None
    tail: str

    def __str__(self) -> str:
        return self.message


def call_in_child(target: str, *args: Any, timeout_s: float, attempts: int = 2,
                  env: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """``target`` (``"module:function"``) called in a fresh process; its JSON result.

    A child that takes longer than ``timeout_s`` is killed and started again, ``attempts``
    times in all. Raises :class:`ChildFailed` when it fails or stalls every time.
    """
    cmd = [sys.executable, "-c", _CHILD, target, json.dumps(list(args), default=str),
           json.dumps(kwargs, default=str)]
    for _attempt in range(attempts):
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                                  env={**os.environ, **(env or {})})
        except subprocess.TimeoutExpired:
            continue
        lines = proc.stdout.strip().splitlines()
        last = lines[-1] if lines else ""
        if proc.returncode == 0 and last.startswith('{"result"'):
            return json.loads(last)["result"]
        tail = ((proc.stderr or proc.stdout).strip().splitlines() or ["no output"])[-1][:300]
        raise ChildFailed(f"{target} failed (exit status {proc.returncode}: {tail})",
                          proc.returncode, tail)
    raise ChildFailed(f"{target} stalled {attempts} time(s) (> {timeout_s:.0f} s each)",
                      None, "")
