"""What a stage's ``cli`` module provides to the ``mocaplab`` command."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Command:
    """One CLI verb.

    Attributes:
        add_arguments: adds the verb's options to its argparse sub-parser.
        run: runs the verb with the parsed arguments; returns the exit status.
        description: longer help shown by ``mocaplab VERB --help``.
    """

    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""
