"""Model resolution: explicit path, env var, user cache, verified download, clear errors."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mocaplab.errors import InputError
from mocaplab.keypoints import model_cache as mc

FAKE_BYTES = b"not a real model, but a file with a known hash\n" * 100


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Isolated cache, no env model, and a fake 'full' variant whose file we can make."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(mc.ENV_MODEL, raising=False)
    monkeypatch.delenv(mc.ENV_OFFLINE, raising=False)
    fake = mc.ModelVariant("full", "pose_landmarker_full.task",
                           hashlib.sha256(FAKE_BYTES).hexdigest(), len(FAKE_BYTES),
                           ("http://127.0.0.1:9/unreachable.task",))
    monkeypatch.setitem(mc.VARIANTS, "full", fake)
    src = tmp_path / "downloaded" / "pose_landmarker_full.task"
    src.parent.mkdir()
    src.write_bytes(FAKE_BYTES)
    return src


def test_cache_dir_honours_xdg(env, tmp_path):
    assert mc.cache_dir() == tmp_path / "xdg" / "mocaplab" / "models"


def test_explicit_path_wins_and_must_exist(env, tmp_path, monkeypatch):
    monkeypatch.setenv(mc.ENV_MODEL, str(env))
    custom = tmp_path / "custom.task"
    custom.write_bytes(b"x")
    assert mc.resolve_model(custom) == custom
    with pytest.raises(InputError, match="given explicitly"):
        mc.resolve_model(tmp_path / "missing.task")


def test_env_then_cache(env, monkeypatch):
    monkeypatch.setenv(mc.ENV_MODEL, str(env))
    assert mc.resolve_model() == env
    monkeypatch.delenv(mc.ENV_MODEL)
    installed = mc.install_model(env)
    assert installed == mc.cache_dir() / "pose_landmarker_full.task"
    assert mc.resolve_model(download=False) == installed


def test_env_with_another_known_variant_is_skipped(env, monkeypatch, tmp_path):
    lite_bytes = b"lite" * 10
    monkeypatch.setitem(mc.VARIANTS, "lite", mc.ModelVariant(
        "lite", "pose_landmarker_lite.task", hashlib.sha256(lite_bytes).hexdigest(),
        len(lite_bytes), ()))
    lite = tmp_path / "lite.task"
    lite.write_bytes(lite_bytes)
    monkeypatch.setenv(mc.ENV_MODEL, str(lite))
    assert mc.resolve_model(variant="lite", download=False) == lite
    with pytest.raises(InputError, match="the lite model, not full"):
        mc.resolve_model(variant="full", download=False)


def test_unusable_env_is_warned_about_when_the_cache_is_used(env, monkeypatch, caplog):
    cached = mc.cache_dir() / "pose_landmarker_full.task"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(FAKE_BYTES)
    monkeypatch.setenv(mc.ENV_MODEL, "/nonexistent/custom.task")
    with caplog.at_level("WARNING", logger=mc.__name__):
        assert mc.resolve_model(download=False) == cached
    assert "MOCAPLAB_POSE_MODEL=/nonexistent/custom.task: no such file" in caplog.text
    assert str(cached) in caplog.text


def test_corrupt_cache_is_not_used(env):
    target = mc.cache_dir() / "pose_landmarker_full.task"
    target.parent.mkdir(parents=True)
    target.write_bytes(FAKE_BYTES[:-1] + b"?")
    with pytest.raises(InputError, match="SHA-256 mismatch"):
        mc.resolve_model(download=False)


def test_no_model_anywhere_lists_where_it_looked(env, monkeypatch):
    monkeypatch.setenv(mc.ENV_MODEL, "/nonexistent/model.task")
    monkeypatch.setenv(mc.ENV_OFFLINE, "1")
    with pytest.raises(InputError) as err:
        mc.resolve_model()
    msg = str(err.value)
    for part in ("explicit path", "MOCAPLAB_POSE_MODEL=/nonexistent/model.task: no such file",
                 str(mc.cache_dir()), "download: disabled", "--install"):
        assert part in msg


def test_unknown_variant():
    with pytest.raises(InputError, match="unknown model variant"):
        mc.resolve_model(variant="huge")


def test_download_from_file_url(env):
    path = mc.resolve_model(urls=[env.as_uri()], progress=False)
    assert path == mc.cache_dir() / "pose_landmarker_full.task"
    assert path.read_bytes() == FAKE_BYTES
    assert not list(path.parent.glob("*.part"))


def test_download_checksum_mismatch_leaves_nothing(env, tmp_path):
    bad = tmp_path / "tampered.task"
    bad.write_bytes(FAKE_BYTES + b"!")
    with pytest.raises(InputError) as err:
        mc.resolve_model(urls=[bad.as_uri()], progress=False)
    assert "SHA-256 mismatch" in str(err.value)
    assert not mc.cache_dir().exists() or not any(mc.cache_dir().iterdir())


@contextlib.contextmanager
def _http_server(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_over_http_tries_urls_in_order(env, tmp_path):
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "bad.task").write_bytes(b"wrong bytes")
    (tmp_path / "srv" / "good.task").write_bytes(FAKE_BYTES)
    with _http_server(tmp_path / "srv") as base:
        path = mc.download_model("full", urls=[f"{base}/missing.task", f"{base}/bad.task",
                                               f"{base}/good.task"], progress=False)
        assert path.read_bytes() == FAKE_BYTES
        with pytest.raises(InputError) as err:
            mc.download_model("full", cache=tmp_path / "c2",
                              urls=[f"{base}/missing.task", f"{base}/bad.task"],
                              progress=False)
    msg = str(err.value)
    assert "404" in msg and "SHA-256 mismatch" in msg
    assert not (tmp_path / "c2" / "pose_landmarker_full.task").exists()


def test_install_rejects_unknown_file(env, tmp_path):
    other = tmp_path / "other.task"
    other.write_bytes(b"something else")
    with pytest.raises(InputError, match="not a known MediaPipe pose landmarker"):
        mc.install_model(other)
    with pytest.raises(InputError, match="does not exist"):
        mc.install_model(tmp_path / "nope.task")
    with pytest.raises(InputError, match="corrupt or a different model"):
        mc.install_model(other, variant="full")


def _cli(*args, env_vars):
    return subprocess.run([sys.executable, "-m", "mocaplab.keypoints.model_cache", *args],
                          capture_output=True, text=True, env=env_vars, timeout=60)


def test_install_cli_with_the_real_model(pose_model, tmp_path):
    env_vars = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    ok = _cli("--install", str(pose_model), env_vars=env_vars)
    assert ok.returncode == 0, ok.stderr
    assert "Warning" not in ok.stderr, ok.stderr
    cached = tmp_path / "mocaplab" / "models" / "pose_landmarker_full.task"
    assert cached.read_bytes() == pose_model.read_bytes()
    again = _cli("--install", str(pose_model), env_vars=env_vars)  # already there: fine
    assert again.returncode == 0
    bad = tmp_path / "bad.task"
    bad.write_bytes(b"junk")
    fail = _cli("--install", str(bad), env_vars=env_vars)
    assert fail.returncode != 0
    assert "not a known MediaPipe pose landmarker" in fail.stderr
    missing = _cli("--install", str(tmp_path / "none.task"), env_vars=env_vars)
    assert missing.returncode != 0 and "does not exist" in missing.stderr


def test_real_full_model_hash_is_the_pinned_one(pose_model):
    assert mc.identify_model(pose_model) is mc.VARIANTS["full"]
