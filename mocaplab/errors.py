"""Exceptions with messages meant for the person running mocaplab.

Every stage raises a subclass of :class:`MocaplabError` for problems the user can fix (a wrong
path, a corrupt video, a board that is never seen). The CLI prints the message and exits non-zero
without a traceback; anything else is a bug and keeps its traceback.
"""


class MocaplabError(Exception):
    """Base class of errors caused by input or setup, with a message that says what to do."""


class InputError(MocaplabError, ValueError):
    """Input data is missing, unreadable or inconsistent."""


class StorageError(MocaplabError, OSError):
    """The disk is full (or the user's quota reached) while writing a result; nothing that was
    there before was replaced."""


def storage_problem(exc: OSError, path: object) -> StorageError | None:
    """A :class:`StorageError` naming ``path`` when ``exc`` is a full disk or quota, else None."""
    import errno

    if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return None
    what = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is reached",
            errno.EFBIG: "the file is larger than the file system allows"}[exc.errno]
    err = StorageError(f"{what} while writing {path}: free space there and run again (the "
                       "previous file, if any, is unchanged)")
    err.errno = exc.errno
    return err


class AccessError(MocaplabError, PermissionError):
    """A file or folder cannot be written (or read) for lack of permission, or on a read-only
    file system; nothing that was there before was replaced."""


def access_problem(exc: OSError, path: object) -> AccessError | None:
    """An :class:`AccessError` naming ``path`` when ``exc`` is a permission denial or a
    read-only file system, else None."""
    import errno

    if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
        return None
    what = ("the file system is read-only" if exc.errno == errno.EROFS else
            "permission denied (a read-only folder, or one that belongs to another user)")
    err = AccessError(f"cannot write {path}: {what}; choose another place for it (e.g. --out) "
                      "or fix the folder's permissions (the previous file, if any, is unchanged)")
    err.errno = exc.errno
    return err


def write_problem(exc: OSError, path: object) -> MocaplabError | None:
    """:func:`storage_problem` or :func:`access_problem` of ``exc``, else None."""
    return storage_problem(exc, path) or access_problem(exc, path)


class OutputExistsError(MocaplabError, FileExistsError):
    """Refusing to overwrite a recording, calibration or other result without being asked."""
