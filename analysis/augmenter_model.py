"""Find and verify the LSTM marker augmenter (v0.3, ONNX; see ../shared/models/marker_augmenter).

Resolution order of :func:`resolve_augmenter` (first hit wins; every candidate folder must hold
``v0.3_lower/{model.onnx,mean.npy,std.npy}`` and ``v0.3_upper/...`` with the pinned SHA-256s):

1. an explicit folder (``--augmenter PATH``),
2. the environment variable ``MOCAPLAB_AUGMENTER_MODEL``,
3. the user cache ``$XDG_CACHE_HOME/mocaplab/models/marker_augmenter``,
4. the ``pose2sim==0.10.49`` wheel from the package index (``pip download --no-deps``), whose
   ``Pose2Sim/MarkerAugmenter/LSTM/v0.3_*`` files are checked and copied into the cache
   (``MOCAPLAB_OFFLINE=1`` turns this off).

If none works, :class:`mocaplab.errors.InputError` lists every place searched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from mocaplab.cache import sha256_file, user_cache_dir
from mocaplab.errors import InputError

ENV_AUGMENTER = "MOCAPLAB_AUGMENTER_MODEL"
ENV_OFFLINE = "MOCAPLAB_OFFLINE"
WHEEL = "pose2sim==0.10.49"
WHEEL_DIR = "Pose2Sim/MarkerAugmenter/LSTM"
#: relative path -> pinned SHA-256 (from the published pose2sim 0.10.49 wheel).
FILES = {
    "v0.3_lower/model.onnx": "8dbd686784f6c6e3b42fdfe968a8808a789bdcaff284e3dd9e8c321bbca4e52c",
    "v0.3_lower/mean.npy": "e8783601a37f827c728bb1f2bbb143d66f59c92a3268306697cfc2932e99888f",
    "v0.3_lower/std.npy": "e7bcbe84f460666696fb500663a281c418ed20205aab9d8e1b18fd8568c77436",
    "v0.3_upper/model.onnx": "c674fbf1eafbc30f82141137e4ca6bea8a5578b0c30ce954fc6384f776570b7e",
    "v0.3_upper/mean.npy": "d919b25a44f3a9438a69f0627ee3067d914796e4c42d3c48d0b3680ff2bbd7af",
    "v0.3_upper/std.npy": "7da7519963969616fb06b06b507f4615d72602cb078b20ca23f5e8c8bfbcd57e",
}


def cache_folder() -> Path:
    return user_cache_dir("models", "marker_augmenter")


def check_folder(folder: Path) -> str | None:
    """None if ``folder`` holds every file with its pinned checksum, else what is wrong."""
    if not folder.is_dir():
        return "no such folder"
    for rel, digest in FILES.items():
        p = folder / rel
        if not p.is_file():
            return f"{rel} missing"
        if sha256_file(p) != digest:
            return f"{rel} has the wrong SHA-256"
    return None


def install_from_wheel(wheel: Path, cache: Path | None = None) -> Path:
    """Extract and verify the augmenter files of a pose2sim wheel into the cache (atomic)."""
    cache = cache or cache_folder()
    try:
        zf = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{wheel} is not a readable wheel: {exc}") from None
    names = zf.namelist()
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".augmenter-", dir=cache.parent))
    try:
        for rel in FILES:
            member = next((n for n in names if n.endswith(f"{WHEEL_DIR}/{rel}")), None)
            if member is None:
                raise InputError(f"{wheel} has no {WHEEL_DIR}/{rel}")
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(zf.read(member))
        problem = check_folder(tmp)
        if problem:
            raise InputError(f"{wheel}: {problem}; not installed")
        if cache.exists():
            shutil.rmtree(cache)
        os.replace(tmp, cache)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return cache


def download_wheel(dest: Path, timeout_s: float = 300.0) -> Path:
    """``pip download pose2sim==0.10.49 --no-deps`` into ``dest``; the wheel's path."""
    cmd = [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "--only-binary=:all:",
           "-d", str(dest), "-q"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"pip download {WHEEL} failed: {exc}") from None
    wheels = sorted(dest.glob("pose2sim-0.10.49-*.whl"))
    if res.returncode != 0 or not wheels:
        last = (res.stderr or res.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise InputError(f"pip download {WHEEL} failed: {last[0]}")
    return wheels[0]


def resolve_augmenter(folder: str | os.PathLike | None = None, *, download: bool | None = None
                      ) -> Path:
    """The verified augmenter folder (see the module docstring for the order)."""
    looked = []
    if folder is not None:
        p = Path(folder).expanduser()
        problem = check_folder(p)
        if problem is None:
            return p
        raise InputError(f"marker augmenter folder {p} (given explicitly): {problem}")
    looked.append("explicit folder: none given")
    env = os.environ.get(ENV_AUGMENTER)
    if env:
        problem = check_folder(Path(env).expanduser())
        if problem is None:
            return Path(env).expanduser()
        looked.append(f"{ENV_AUGMENTER}={env}: {problem}")
    else:
        looked.append(f"{ENV_AUGMENTER}: not set")
    cache = cache_folder()
    problem = check_folder(cache)
    if problem is None:
        return cache
    looked.append(f"user cache {cache}: {problem}")
    if download is None:
        download = not os.environ.get(ENV_OFFLINE)
    if download:
        with tempfile.TemporaryDirectory(prefix="mocaplab-pose2sim-") as tmp:
            try:
                return install_from_wheel(download_wheel(Path(tmp)), cache)
            except InputError as exc:
                looked.append(f"package index: {exc}")
    else:
        looked.append(f"package index: not tried ({ENV_OFFLINE} is set)"
                      if os.environ.get(ENV_OFFLINE) else "package index: not tried")
    raise InputError(
        "marker augmenter (v0.3) not found. Looked at:\n  - " + "\n  - ".join(looked) +
        f"\nFix: set {ENV_AUGMENTER} to a folder with v0.3_lower/ and v0.3_upper/ (e.g. "
        f"../shared/models/marker_augmenter), or allow 'pip download {WHEEL} --no-deps'")
