"""The mocaplab command line."""

import subprocess
import sys

from mocaplab import cli
from mocaplab.cli_support import Command

ALL_VERBS = ["board", "calibrate", "record", "import", "detect", "triangulate", "analyze",
             "view", "render", "export", "serve", "process", "demo"]


def test_help_lists_every_verb():
    out = subprocess.run([sys.executable, "-m", "mocaplab.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for verb in ALL_VERBS:
        assert f"    {verb}" in out, verb


def test_every_verb_has_its_command():
    """Every stage is in the one package: no verb can be missing (no "not built yet" path)."""
    for verb in cli.VERBS:
        assert isinstance(cli._load_command(verb), Command), verb


def test_no_verb_prints_help(capsys):
    assert cli.main([]) == 2
    assert "VERB" in capsys.readouterr().out
