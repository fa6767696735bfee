"""The mocaplab command line."""

import subprocess
import sys

from mocaplab import cli

ALL_VERBS = ["board", "calibrate", "record", "import", "detect", "triangulate", "analyze",
             "view", "render", "export", "serve", "process", "demo"]


def test_help_lists_every_verb():
    out = subprocess.run([sys.executable, "-m", "mocaplab.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for verb in ALL_VERBS:
        assert f"    {verb}" in out, verb


def test_unbuilt_verb_says_so_and_fails(monkeypatch, capsys):
    monkeypatch.setitem(cli.VERBS, "demo", ("mocaplab.not_a_module", "demo"))
    assert cli.main(["demo"]) == 2
    assert "not built yet" in capsys.readouterr().err


def test_no_verb_prints_help(capsys):
    assert cli.main([]) == 2
    assert "VERB" in capsys.readouterr().out
