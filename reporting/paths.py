"""The lab folder layout and safe ids: no path handed to the API can leave the lab folder.

::

    LAB/
      <subject>/                     one folder per subject (a pseudonymous code is advised)
        <session>/                   one folder per visit, e.g. 2026-03-01 or pre-op
          calibration.toml           optional: calibration shared by the session's trials
          <trial>/                   a trial folder (CONVENTIONS.md): meta.json, points3d.npz,
                                     metrics.json, ...

Subject, session and trial ids are the folder names (a trial's session label:
:func:`trial_session`, the one rule for exports, reports, the index, the API and the clinic).
They must match :data:`ID_PATTERN` (letters, digits, ``_ . -``, starting with a letter or
digit, at most 64 characters), so an id can never hold a path separator or be ``..``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from mocaplab.errors import InputError
from mocaplab.trial import SOURCE_FILE_KEY, Trial

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


@dataclasses.dataclass(frozen=True)
class SessionLabel:
    """A trial's session label and where it comes from.

    ``session``: the label ("" when nothing names one); ``source``: "folder" (the session
    folder of a lab, or the parent folder of a trial outside a lab whose meta.json names none),
    "meta.json" or "none"; ``warning``: "" or the sentence saying meta.json names another
    session than the folder the trial sits in.
    """

    session: str
    source: str
    warning: str = ""


def lab_of(trial_dir: Path) -> Path | None:
    """The lab folder holding ``trial_dir`` at ``LAB/<subject>/<session>/<trial>``, else None.

    A lab is recognised by its state folder ``LAB/.mocaplab/`` (:func:`lab_state_dir`: the
    index that ``mocaplab index`` and ``mocaplab serve`` keep), three levels above the trial,
    with valid subject/session/trial ids and not itself a trial.
    """
    p = Path(trial_dir).resolve()
    if len(p.parents) < 3:
        return None
    lab = p.parents[2]
    if not lab_state_dir(lab).is_dir() or (lab / Trial.META_NAME).is_file():
        return None
    if not all(_ID_RE.fullmatch(part) for part in p.relative_to(lab).parts):
        return None
    return lab


def trial_session(trial_dir: Path, meta: dict | None = None,
                  lab_dir: Path | None = None) -> SessionLabel:
    """The session label of a trial: the one rule (docs/conventions.md, "Trial folder").

    - Inside a lab (``lab_dir`` given, else :func:`lab_of`): the session folder's name, as the
      trial's key ``subject/session/trial``; a meta.json ``session`` naming another one gives a
      warning (a trial copied into another session keeps its old meta.json).
    - Outside a lab: meta.json's ``session``, else the parent folder's name; a marker file's
      analysis (meta.json ``source_file``) has only meta.json's (its folder is no session).

    ``meta``: the trial's parsed meta.json (read when None; {} when the folder has none).
    """
    p = Path(trial_dir).resolve()
    if meta is None:
        meta = Trial(p).meta if Trial(p).meta_path.is_file() else {}
    recorded = str(meta.get("session") or "")
    lab = Path(lab_dir).resolve() if lab_dir is not None else lab_of(p)
    if lab is not None and not meta.get(SOURCE_FILE_KEY):
        folder = ref_from_path(lab, p).session
        warning = ""
        if recorded and recorded != folder:
            warning = (f"{Trial(p).meta_path} says session {recorded!r} but the trial is in "
                       f"the session folder {folder!r} of the lab {lab}: labelled {folder!r} "
                       "(the folder); correct meta.json if the folder is wrong")
        return SessionLabel(folder, "folder", warning)
    if recorded:
        folder = p.parent.name
        warning = ""
        if folder and folder != recorded and not meta.get(SOURCE_FILE_KEY):
            # in a lab layout that was never indexed, the same trial is labelled by its
            # meta.json now and by its folder once the lab is indexed: say which and why
            warning = (f"{Trial(p).meta_path} says session {recorded!r}; the trial is in the "
                       f"folder {folder!r}, but no lab was found above it (a lab is recognised "
                       f"by its LAB/{Trial.STATE_DIR}/ folder, made by 'mocaplab index LAB'), so "
                       f"it is treated as outside a lab and labelled {recorded!r} (meta.json); "
                       "if the trial is in a lab, index the lab to label it by its folder")
        return SessionLabel(recorded, "meta.json", warning)
    if meta.get(SOURCE_FILE_KEY):
        return SessionLabel("", "none")
    return SessionLabel(p.parent.name, "folder") if p.parent.name else SessionLabel("", "none")


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


def trial_dir_problem(lab_dir: Path, trial_dir: Path) -> str | None:
    """Why the lab index leaves out ``trial_dir`` (a folder below ``lab_dir``, both given
    alike, resolved or not), or None when it takes it: the one rule of what a trial folder of
    the lab is (:func:`iter_trial_dirs`, :func:`misplaced_trial_dirs`, the progress report's
    sessions). A trial folder holds meta.json, lies at ``<subject>/<session>/<trial>/`` and
    each of the three folder names is a valid id."""
    if not (trial_dir / Trial.META_NAME).is_file():
        return f"holds no {Trial.META_NAME}"
    parts = trial_dir.relative_to(lab_dir).parts
    if len(parts) != 3:
        return (f"not at <subject>/<session>/<trial>/ ({len(parts)} folder "
                f"level{'s' if len(parts) != 1 else ''} below the lab instead of 3)")
    bad = [p for p in parts if not _ID_RE.fullmatch(p)]
    if bad:
        return (f"folder name {bad[0]!r} is not a valid id (1-64 letters, digits, '_', '.', "
                "'-', starting with a letter or digit)")
    return None


def misplaced_trial_dirs(lab_dir: Path, max_depth: int = 6) -> list[tuple[Path, str]]:
    """Trial folders (holding meta.json) below ``lab_dir`` that :func:`iter_trial_dirs` does
    not yield, with why (:func:`trial_dir_problem`): not at ``LAB/<subject>/<session>/<trial>/``,
    or a folder name that is no valid id. They are outside the lab as far as the index, the
    API and the clinic go (a ``mocaplab index`` said "indexed 2 trials" of 4 with no word about
    the other two). Hidden folders (``.mocaplab/``) and the inside of a trial folder are not
    searched."""
    root = Path(lab_dir)
    found: list[tuple[Path, str]] = []

    def walk(folder: Path, depth: int) -> None:
        try:
            subs = sorted(p for p in folder.iterdir()
                          if p.is_dir() and not p.name.startswith("."))
        except OSError:
            return
        for d in subs:
            if (d / Trial.META_NAME).is_file():
                why = trial_dir_problem(root, d)
                if why:
                    found.append((d, why))
                continue  # a trial's own folders hold no trials
            if depth < max_depth:
                walk(d, depth + 1)

    walk(root, 1)
    return found


def iter_trial_dirs(lab_dir: Path):
    """Yield every trial folder of the lab (:func:`trial_dir_problem` is None): one holding
    meta.json at LAB/<subject>/<session>/<trial> with valid ids."""
    root = Path(lab_dir)
    for meta in sorted(root.glob(f"*/*/*/{Trial.META_NAME}")):
        if trial_dir_problem(root, meta.parent) is None:
            yield meta.parent
