"""Exceptions with messages meant for the person running mocaplab.

Every stage raises a subclass of :class:`MocaplabError` for problems the user can fix (a wrong
path, a corrupt video, a board that is never seen). The CLI prints the message and exits non-zero
without a traceback; anything else is a bug and keeps its traceback.
"""


class MocaplabError(Exception):
    """Base class of errors caused by input or setup, with a message that says what to do."""


class InputError(MocaplabError, ValueError):
    """Input data is missing, unreadable or inconsistent."""


class OutputExistsError(MocaplabError, FileExistsError):
    """Refusing to overwrite a recording, calibration or other result without being asked."""
