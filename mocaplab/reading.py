"""Reading a TOML or JSON file a user handed us: the one place that turns a missing, unreadable
or malformed file into an :class:`~mocaplab.errors.InputError` naming the file and the problem.

``what`` says what the file is for the message ("board file", "label map", ...); ``hint`` is
added when the file does not exist (what to run or pass to get it).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from mocaplab.errors import InputError


def _text(path: Path, what: str, hint: str) -> tuple[str, str]:
    name = f"{what} {path}" if what else str(path)
    if path.is_dir():
        raise InputError(f"{name} is a folder, not a file")
    if not path.is_file():
        raise InputError(f"{name} does not exist{f' ({hint})' if hint else ''}")
    try:
        return name, path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text: {exc}") from None


def read_toml(path: str | os.PathLike, what: str = "", hint: str = "") -> dict[str, Any]:
    """The TOML document of ``path`` (InputError if missing, not UTF-8 or not valid TOML)."""
    name, text = _text(Path(path), what, hint)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name} is not valid TOML: {exc}") from None


def read_json(path: str | os.PathLike, what: str = "", hint: str = "") -> Any:
    """The JSON value of ``path`` (InputError if missing, not UTF-8 or not valid JSON)."""
    name, text = _text(Path(path), what, hint)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON: {exc}") from None
