"""Shared fixtures. Real data and the pose model come from environment variables that .ci/run
sets (MOCAPLAB_SHARED_DATA, MOCAPLAB_POSE_MODEL); tests that need them skip when they are unset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _env_path(var: str) -> Path | None:
    value = os.environ.get(var)
    return Path(value) if value else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data sets (../shared/data)."""
    path = _env_path("MOCAPLAB_SHARED_DATA")
    if path is None:
        pytest.skip("MOCAPLAB_SHARED_DATA is unset: real sample data not available")
    if not path.is_dir():
        pytest.fail(f"MOCAPLAB_SHARED_DATA={path} is not a folder")
    return path


@pytest.fixture(scope="session")
def pose_model() -> Path:
    """The MediaPipe pose landmarker model file."""
    path = _env_path("MOCAPLAB_POSE_MODEL")
    if path is None:
        pytest.skip("MOCAPLAB_POSE_MODEL is unset: pose model not available")
    if not path.is_file():
        pytest.fail(f"MOCAPLAB_POSE_MODEL={path} does not exist")
    return path
