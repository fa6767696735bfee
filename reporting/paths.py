"""The lab folder layout and safe ids: no path handed to the API can leave the lab folder.

::

    LAB/
      <subject>/                     one folder per subject (a pseudonymous code is advised)
        <session>/                   one folder per visit, e.g. 2026-03-01 or pre-op
          calibration.toml           optional: calibration shared by the session's trials
          <trial>/                   a trial folder (CONVENTIONS.md): meta.json, points3d.npz,
                                     metrics.json, ...

Subject, session and trial ids are the folder names. They must match :data:`ID_PATTERN`
(letters, digits, ``_ . -``, starting with a letter or digit, at most 64 characters), so an id
can never hold a path separator or be ``..``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from mocaplab.errors import InputError
from mocaplab.trial import Trial

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it is a valid subject/session/trial id, else raise InputError."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value) or ".." in value:
        raise InputError(f"invalid {what} {value!r}: use 1-64 letters, digits, '_', '.', '-', "
                         "starting with a letter or digit (no path separators, no '..')")
    return value


@dataclasses.dataclass(frozen=True, order=True)
class TrialRef:
    """The ids that locate a trial: ``LAB/<subject>/<session>/<trial>``."""

    subject: str
    session: str
    trial: str

    def __post_init__(self) -> None:
        check_id(self.subject, "subject id")
        check_id(self.session, "session id")
        check_id(self.trial, "trial id")

    @property
    def key(self) -> str:
        """``subject/session/trial`` (the trial's unique key in the index)."""
        return f"{self.subject}/{self.session}/{self.trial}"

    @classmethod
    def parse(cls, key: str) -> TrialRef:
        """Parse ``subject/session/trial``; raise InputError on any other shape."""
        parts = str(key).split("/")
        if len(parts) != 3:
            raise InputError(f"trial reference {key!r} must be 'subject/session/trial'")
        return cls(*parts)


def safe_join(lab_dir: Path, *ids: str) -> Path:
    """``lab_dir/ids...`` resolved, guaranteed to lie inside ``lab_dir`` (else InputError).

    Each id is validated with :func:`check_id` first; the resolved result is checked again with
    ``is_relative_to`` so that a symbolic link pointing outside the lab is refused as well.
    """
    root = Path(lab_dir).resolve()
    for i in ids:
        check_id(i)
    path = root.joinpath(*ids).resolve()
    if not path.is_relative_to(root):
        raise InputError(f"{'/'.join(ids)} resolves outside the lab folder")
    return path


def lab_state_dir(lab_dir: Path) -> Path:
    """``LAB/.mocaplab/``: the lab index (``index.db``) and cached comparisons (``compare/``)."""
    return Path(lab_dir) / Trial.STATE_DIR


def session_calibration_path(session_dir: Path) -> Path:
    """The calibration shared by a session's trials (may not exist): a trial's own
    (:attr:`mocaplab.trial.Trial.calibration_path`) comes first."""
    return Path(session_dir) / "calibration.toml"


def trial_path(lab_dir: Path, ref: TrialRef) -> Path:
    """The folder of trial ``ref`` inside ``lab_dir`` (it may not exist)."""
    return safe_join(lab_dir, ref.subject, ref.session, ref.trial)


def ref_from_path(lab_dir: Path, path: Path) -> TrialRef:
    """The TrialRef of a trial folder that lies at ``lab_dir/<subject>/<session>/<trial>``."""
    root = Path(lab_dir).resolve()
    p = Path(path).resolve()
    if not p.is_relative_to(root):
        raise InputError(f"{p} is not inside the lab folder {root}")
    parts = p.relative_to(root).parts
    if len(parts) != 3:
        raise InputError(f"{p} is not at LAB/<subject>/<session>/<trial> below {root} "
                         f"(found {len(parts)} levels)")
    return TrialRef(*parts)


def iter_trial_dirs(lab_dir: Path):
    """Yield every trial folder (one holding meta.json) at LAB/<subject>/<session>/<trial>."""
    root = Path(lab_dir)
    for meta in sorted(root.glob(f"*/*/*/{Trial.META_NAME}")):
        d = meta.parent
        if all(_ID_RE.fullmatch(p) for p in d.relative_to(root).parts):
            yield d
