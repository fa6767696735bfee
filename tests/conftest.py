"""Shared fixtures. Real data and the pose model come from environment variables that .ci/run
sets (MOCAPLAB_SHARED_DATA, MOCAPLAB_POSE_MODEL); tests that need them skip when they are unset."""

from __future__ import annotations

import contextlib
import os
import uuid
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
def perfect_keypoints():
    """A function: Plug-in Gait C3D path -> (mediapipe33-named keypoints a perfect detector
    would give: our lower-limb model's hip/knee/ankle centres, the heel, toe, shoulder, elbow
    and wrist markers, each (F, 3) in the file's units and axes; the trial; its measurements)."""
    def make(path: Path):
        from mocaplab.analysis import lower_limb as ll
        from mocaplab.analysis import subject as subj
        from mocaplab.analysis.landmarks import find_landmarks
        from mocaplab.marker_io import read_c3d

        mt = read_c3d(path)
        m, _ = subj.measurements_for(subj.read_processing(path))
        lm = find_landmarks(mt.points, mt.labels, mt.fps)
        model = ll.lower_limb(ll.pig_markers(mt.points, mt.labels, lm.up_axis), m, 1000.0)

        def mk(n):
            return mt.points[:, mt.labels.index(n)]

        kp = {}
        for side, p in (("left", "L"), ("right", "R")):
            kp.update({f"{side}_hip": model.centres[p + "HJC"],
                       f"{side}_knee": model.centres[p + "KJC"],
                       f"{side}_ankle": model.centres[p + "AJC"], f"{side}_heel": mk(p + "HEE"),
                       f"{side}_foot_index": mk(p + "TOE"), f"{side}_shoulder": mk(p + "SHO"),
                       f"{side}_elbow": mk(p + "ELB"), f"{side}_wrist": mk(p + "WRA")})
        return kp, mt, m

    return make


@pytest.fixture(scope="session")
def pose_model() -> Path:
    """The MediaPipe pose landmarker model file."""
    path = _env_path("MOCAPLAB_POSE_MODEL")
    if path is None:
        pytest.skip("MOCAPLAB_POSE_MODEL is unset: pose model not available")
    if not path.is_file():
        pytest.fail(f"MOCAPLAB_POSE_MODEL={path} does not exist")
    return path


@pytest.fixture(scope="session", autouse=True)
def _normative_only_when_asked():
    """Normative data only where a test sets MOCAPLAB_NORMATIVE_DIR (or passes a folder): the
    user cache a setup may have filled (analysis/normative.find_normative_dir) is not used, so
    results do not depend on the machine."""
    saved = os.environ.get("MOCAPLAB_NORMATIVE_DIR")
    if not saved:
        os.environ["MOCAPLAB_NORMATIVE_DIR"] = "none"
    yield
    if saved is None:
        os.environ.pop("MOCAPLAB_NORMATIVE_DIR", None)
    else:
        os.environ["MOCAPLAB_NORMATIVE_DIR"] = saved


@pytest.fixture(scope="session", autouse=True)
def _augmenter_never_downloaded():
    """Analysis of video keypoints finds the marker augmenter model: in tests the shared copy
    (../shared/models/marker_augmenter beside MOCAPLAB_SHARED_DATA) when there is one, and never
    a download from the package index (MOCAPLAB_OFFLINE=1). Tests that need other behaviour
    set the variables themselves (monkeypatch)."""
    saved = {k: os.environ.get(k) for k in ("MOCAPLAB_AUGMENTER_MODEL", "MOCAPLAB_OFFLINE")}
    data = _env_path("MOCAPLAB_SHARED_DATA")
    shared = data.parent / "models" / "marker_augmenter" if data else None
    if not saved["MOCAPLAB_AUGMENTER_MODEL"] and shared is not None and shared.is_dir():
        os.environ["MOCAPLAB_AUGMENTER_MODEL"] = str(shared)
    os.environ["MOCAPLAB_OFFLINE"] = "1"
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v



@contextlib.contextmanager
def fresh_database(kind: str, folder: Path):
    """A fresh, empty lab index database URL: a SQLite file in ``folder``, or a new database on
    the test PostgreSQL that scripts/test.sh starts (scripts/postgres.sh sets
    MOCAPLAB_TEST_POSTGRES_URL; the PostgreSQL case skips when it is unset)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'index-{uuid.uuid4().hex[:8]}.db'}"
        return
    base = os.environ.get("MOCAPLAB_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("MOCAPLAB_TEST_POSTGRES_URL is unset: no test PostgreSQL "
                    "(scripts/test.sh starts one with scripts/postgres.sh)")
    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASES)
def index_db_url(request, tmp_path):
    """A fresh lab index URL, once on SQLite and once on PostgreSQL (:func:`fresh_database`)."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=DATABASES)
def module_db_url(request, tmp_path_factory):
    """:func:`index_db_url` shared by a module's tests."""
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url
