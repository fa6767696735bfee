"""Stage freshness by content: what a pipeline stage was last run on, and why it must rerun.

After a stage runs, the pipeline records a :class:`Stamp`: a digest of every input (file
contents, not file times), the settings that change its result, and a digest of every output.
The stage is up to date only while all of those still match; :func:`reasons_to_run` says in
words what differs ("calibration changed (calibration.toml)", "cutoff_hz 6.0 -> 4.0", ...).

Stamps live in ``TRIAL/.mocaplab/stages.json`` (one file, written atomically). Hashing a large
video on every run would be slow, so a file's digest is reused while its size and
modification time (ns) are unchanged; any change of either rehashes it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mocaplab.atomic import write_json
from mocaplab.cache import sha256_file
from mocaplab.trial import Trial

MISSING = "missing"


@dataclasses.dataclass(frozen=True)
class Stamp:
    """What one stage last ran on.

    Attributes:
        inputs: input label -> content digest ("missing" for an absent optional input).
        settings: result-changing options, JSON values.
        outputs: output file name -> content digest, as the stage left them.
        finished: ISO time (UTC) the stage finished.
        status: "done" or "warning" (failed runs leave no stamp).
        message: the cause of a warning, shown again when the stage is skipped.
    """

    inputs: dict[str, str]
    settings: dict[str, Any]
    outputs: dict[str, str]
    finished: str
    status: str = "done"
    message: str = ""


class DigestCache:
    """Content digests of files and folders, reusing a file's digest while its stat matches."""

    def __init__(self, known: Mapping[str, list] | None = None):
        self.known: dict[str, list] = dict(known or {})

    def of(self, path: Path | None) -> str:
        """sha256 of a file, of a folder's files (names and contents), or "missing"."""
        if path is None or not path.exists():
            return MISSING
        if path.is_dir():
            h = hashlib.sha256()
            for p in sorted(q for q in path.rglob("*") if q.is_file()):
                h.update(f"{p.relative_to(path).as_posix()}\0{self.of(p)}\0".encode())
            return h.hexdigest()
        st = path.stat()
        key = str(path.resolve())
        hit = self.known.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        digest = sha256_file(path)
        self.known[key] = [st.st_size, st.st_mtime_ns, digest]
        return digest


class StageState:
    """The stamps of one trial folder (``TRIAL/.mocaplab/stages.json``)."""

    def __init__(self, trial_dir: Path):
        self.path = Trial(trial_dir).stages_path
        data: dict[str, Any] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                data = {}  # unreadable state: every stage reruns, which is safe
        self.stamps: dict[str, Stamp] = {}
        for name, d in (data.get("stages") or {}).items():
            try:
                self.stamps[name] = Stamp(**d)
            except TypeError:
                continue
        self.digests = DigestCache(data.get("digests"))

    def record(self, stage: str, stamp: Stamp) -> None:
        self.stamps[stage] = stamp
        self.save()

    def forget(self, stage: str) -> None:
        if self.stamps.pop(stage, None) is not None:
            self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json(self.path, {"stages": {k: dataclasses.asdict(v)
                                          for k, v in self.stamps.items()},
                               "digests": self.digests.known})


def digest_inputs(cache: DigestCache, items: Mapping[str, Any]) -> dict[str, str]:
    """label -> digest of each input: a file or folder (Path, None = absent) by its contents,
    anything else as JSON data."""
    out = {}
    for label, value in items.items():
        if value is None or isinstance(value, Path):
            out[label] = cache.of(value)
        else:
            text = json.dumps(value, sort_keys=True, default=str)
            out[label] = hashlib.sha256(text.encode()).hexdigest()
    return out


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def reasons_to_run(stamp: Stamp | None, inputs: Mapping[str, str],
                   settings: Mapping[str, Any], outputs: Mapping[str, str],
                   names: Mapping[str, str] | None = None) -> list[str]:
    """Why a stage must run (empty: it is up to date).

    ``inputs``/``outputs``: label -> digest now (``MISSING`` when absent); ``settings``: now;
    ``names``: label -> file name, said with a changed input ("calibration changed (new.toml)").
    """
    names = names or {}
    missing = [name for name, d in outputs.items() if d == MISSING]
    if missing:
        return [f"no {', '.join(missing)} yet"] if stamp is None else [
            f"{', '.join(missing)} missing"]
    if stamp is None:
        return ["no record of what its outputs were made from"]
    reasons = []
    for label, digest in inputs.items():
        before = stamp.inputs.get(label)
        if before is None:
            reasons.append(f"new input {label}")
        elif before != digest:
            name = f" ({names[label]})" if names.get(label, label) != label else ""
            reasons.append(f"{label} removed" if digest == MISSING else
                           f"{label} changed{name}")
    reasons += [f"input {label} gone" for label in stamp.inputs if label not in inputs]
    for key in sorted(set(settings) | set(stamp.settings)):
        old, new = stamp.settings.get(key), settings.get(key)
        if old != new:
            reasons.append(f"{key} {_short(old)} -> {_short(new)}")
    for name, digest in outputs.items():
        if stamp.outputs.get(name) != digest:
            reasons.append(f"{name} was changed since this stage wrote it")
    return reasons


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."
