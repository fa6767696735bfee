"""Find, verify, install and download the MediaPipe pose landmarker model (``.task`` file).

Resolution order of :func:`resolve_model` (the first hit wins):

1. an explicit path (``--model PATH``),
2. the environment variable ``MOCAPLAB_POSE_MODEL``,
3. the user cache ``$XDG_CACHE_HOME/mocaplab/models`` (default ``~/.cache/mocaplab/models``),
   checked against the pinned SHA-256 of the variant,
4. a download from MediaPipe's model storage, verified against the pinned SHA-256 while it
   streams, then renamed into the cache atomically (``MOCAPLAB_OFFLINE=1`` turns this off).

If nothing works, :class:`mocaplab.errors.InputError` lists every place that was tried.

Command line (used by scripts/setup.sh)::

    python -m mocaplab.keypoints.model_cache --install PATH [--variant full]
    python -m mocaplab.keypoints.model_cache --list
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from mocaplab.atomic import atomic_path
from mocaplab.cache import sha256_file, user_cache_dir
from mocaplab.errors import InputError

log = logging.getLogger(__name__)

ENV_MODEL = "MOCAPLAB_POSE_MODEL"
ENV_OFFLINE = "MOCAPLAB_OFFLINE"
_STORAGE = "https://storage.googleapis.com/mediapipe-models/pose_landmarker"


@dataclasses.dataclass(frozen=True)
class ModelVariant:
    """One published pose landmarker bundle.

    Attributes:
        name: "lite", "full" or "heavy".
        filename: file name in the cache.
        sha256: pinned SHA-256 (hex) of the float16 bundle.
        size: size in bytes of that bundle (a cheap first check).
        urls: official download locations, tried in order.
    """

    name: str
    filename: str
    sha256: str
    size: int
    urls: tuple[str, ...]


def _variant(name: str, sha256: str, size: int) -> ModelVariant:
    fn = f"pose_landmarker_{name}.task"
    return ModelVariant(name, fn, sha256, size,
                        (f"{_STORAGE}/pose_landmarker_{name}/float16/1/{fn}",
                         f"{_STORAGE}/pose_landmarker_{name}/float16/latest/{fn}"))


#: The float16 bundles. "full" is the project's reference hash (checked against
#: ../shared/models/pose_landmarker_full.task). "lite" and "heavy" could not be downloaded here
#: (closed network): their hashes and sizes are the values pinned identically by several
#: independent public projects; a download that does not match is refused, never used.
VARIANTS: dict[str, ModelVariant] = {
    "full": _variant("full", "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad",
                     9_398_198),
    "lite": _variant("lite", "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a",
                     5_777_746),
    "heavy": _variant("heavy", "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b",
                      30_664_242),
}


def get_variant(name: str) -> ModelVariant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise InputError(f"unknown model variant {name!r}; choose one of "
                         f"{', '.join(VARIANTS)}") from None


def cache_dir() -> Path:
    """The user model cache: ``$XDG_CACHE_HOME/mocaplab/models`` or ``~/.cache/mocaplab/models``."""
    return user_cache_dir("models")


def identify_model(path: str | os.PathLike) -> ModelVariant | None:
    """The known variant whose size and SHA-256 match the file, else None."""
    path = Path(path)
    size = path.stat().st_size
    candidates = [v for v in VARIANTS.values() if v.size == size]
    if not candidates:
        return None
    digest = sha256_file(path)
    return next((v for v in candidates if v.sha256 == digest), None)


def _verified(path: Path, variant: ModelVariant) -> bool:
    return path.is_file() and path.stat().st_size == variant.size \
        and sha256_file(path) == variant.sha256


def install_model(source: str | os.PathLike, variant: str | None = None,
                  cache: str | os.PathLike | None = None) -> Path:
    """Copy a model file into the cache after checking its SHA-256; return the cached path.

    Args:
        source: a downloaded ``pose_landmarker_*.task`` file.
        variant: the expected variant; None identifies it from the hash.
        cache: cache folder (default :func:`cache_dir`).
    Raises:
        InputError: missing file, or a hash that matches no (or not the requested) variant.
    """
    src = Path(source)
    if not src.is_file():
        raise InputError(f"model file {src} does not exist")
    digest = sha256_file(src)
    if variant is not None:
        v = get_variant(variant)
        if digest != v.sha256:
            raise InputError(f"{src} has SHA-256 {digest}, but the {v.name} pose model has "
                             f"{v.sha256}; the file is corrupt or a different model. Download "
                             f"it again from {v.urls[0]}")
    else:
        v = next((x for x in VARIANTS.values() if x.sha256 == digest), None)
        if v is None:
            raise InputError(f"{src} (SHA-256 {digest}) is not a known MediaPipe pose landmarker "
                             f"bundle ({', '.join(VARIANTS)}); a custom model can still be used "
                             f"with --model PATH or {ENV_MODEL}")
    dest = Path(cache) if cache is not None else cache_dir()
    target = dest / v.filename
    if _verified(target, v):
        log.info("%s already installed at %s", v.filename, target)
        return target
    with atomic_path(target, overwrite=True) as tmp:
        shutil.copyfile(src, tmp)
        if sha256_file(tmp) != v.sha256:  # the copy itself went wrong (disk full...)
            raise InputError(f"copying {src} to {target} produced a different file")
    return target


def download_model(variant: str = "full", cache: str | os.PathLike | None = None,
                   urls: Sequence[str] | None = None, timeout: float = 60.0,
                   progress: bool = True) -> Path:
    """Download a variant into the cache, verifying its SHA-256 before it becomes visible.

    Each URL is tried in turn; the bytes go to a temporary file beside the target and are renamed
    into place only when the SHA-256 matches, so a failed or tampered download leaves nothing.

    Raises:
        InputError: every URL failed; the message lists each URL with its error.
    """
    v = get_variant(variant)
    target = (Path(cache) if cache is not None else cache_dir()) / v.filename
    errors = []
    for url in (urls or v.urls):
        try:
            _download_verified(url, target, v, timeout, progress)
            log.info("downloaded %s to %s", url, target)
            return target
        except (OSError, urllib.error.URLError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
    raise InputError(f"could not download the {v.name} pose model:\n  " + "\n  ".join(errors))


def _download_verified(url: str, target: Path, v: ModelVariant, timeout: float,
                       progress: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{v.filename}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            bar = _bar(progress, v)
            try:
                for block in iter(lambda: resp.read(1 << 16), b""):
                    out.write(block)
                    h.update(block)
                    if bar is not None:
                        bar.update(len(block))
            finally:
                if bar is not None:
                    bar.close()
        if h.hexdigest() != v.sha256:
            raise ValueError(f"SHA-256 mismatch: got {h.hexdigest()}, expected {v.sha256} "
                             "(download refused)")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _bar(progress: bool, v: ModelVariant):
    if not progress:
        return None
    from tqdm import tqdm
    return tqdm(total=v.size, unit="B", unit_scale=True, desc=f"download {v.filename}",
                file=sys.stderr, leave=False)


def _fallback(path: Path, env_problem: str | None) -> Path:
    if env_problem:
        log.warning("%s; using %s instead", env_problem, path)
    return path


def resolve_model(path: str | os.PathLike | None = None, variant: str = "full", *,
                  download: bool | None = None, urls: Sequence[str] | None = None,
                  progress: bool = True) -> Path:
    """The pose model file to use (see the module docstring for the order).

    Args:
        path: explicit model file; used as is (custom models are allowed), it must exist.
        variant: "lite", "full" or "heavy" for the cache and the download.
        download: allow the download step; None means "unless MOCAPLAB_OFFLINE is set".
        urls: download locations overriding the official ones (tests, mirrors).
    Returns:
        Path of an existing model file.
    Raises:
        InputError: nothing found; the message lists where it looked and what to do.
    """
    v = get_variant(variant)
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise InputError(f"model file {p} (given explicitly) does not exist")
        return p
    looked = ["explicit path: none given"]
    env = os.environ.get(ENV_MODEL)
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            looked.append(f"{ENV_MODEL}={env}: no such file")
        else:
            other = identify_model(p)
            if other is None or other.name == v.name:
                return p
            looked.append(f"{ENV_MODEL}={env}: the {other.name} model, not {v.name}")
    else:
        looked.append(f"{ENV_MODEL}: not set")
    # A variable set but unusable (a typo, another variant) is said when a later place is used.
    env_problem = looked[-1] if env else None
    cached = cache_dir() / v.filename
    if _verified(cached, v):
        return _fallback(cached, env_problem)
    looked.append(f"user cache {cached}: " + ("SHA-256 mismatch (ignored)" if cached.exists()
                                               else "not there"))
    if download is None:
        download = not os.environ.get(ENV_OFFLINE)
    if download:
        try:
            return _fallback(download_model(v.name, urls=urls, progress=progress), env_problem)
        except InputError as exc:
            looked.append(f"download: {exc}")
    else:
        looked.append(f"download: disabled ({ENV_OFFLINE} is set)" if os.environ.get(ENV_OFFLINE)
                      else "download: disabled")
    raise InputError(
        f"no {v.name} pose model found. Looked at:\n  - " + "\n  - ".join(looked) +
        f"\nFix: pass --model PATH, set {ENV_MODEL}, or download {v.urls[0]} and run "
        f"'python -m mocaplab.keypoints.model_cache --install FILE'")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mocaplab.keypoints.model_cache",
        description="Install the MediaPipe pose model into the user cache (SHA-256 checked).")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--install", metavar="PATH", help="copy this .task file into the cache")
    group.add_argument("--list", action="store_true", help="show the cache and its models")
    parser.add_argument("--variant", choices=sorted(VARIANTS),
                        help="expected variant (default: identified from the SHA-256)")
    args = parser.parse_args(argv)
    if args.list:
        print(f"cache: {cache_dir()}")
        for v in VARIANTS.values():
            p = cache_dir() / v.filename
            state = "ok" if _verified(p, v) else ("BAD HASH" if p.exists() else "missing")
            print(f"  {v.name:5s} {state:8s} {p}")
        return 0
    try:
        target = install_model(args.install, args.variant)
    except InputError as exc:
        print(f"model_cache: error: {exc}", file=sys.stderr)
        return 1
    print(f"model_cache: installed {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
