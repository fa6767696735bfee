"""meta.json has one writer at a time: the API's PATCH and a processing job (threads, or
separate processes) each keep the other's keys (mocaplab.trial.Trial.edit_meta)."""

import subprocess
import sys
import threading
import time

import pytest

import mocaplab.atomic
import mocaplab.trial
from mocaplab.trial import Trial


def _slow_first_write(monkeypatch, delay_s: float) -> threading.Event:
    """The first meta.json write (of the thread that starts first) waits ``delay_s`` before
    writing: the window in which another writer reads the file."""
    real = mocaplab.atomic.write_json
    first = threading.Event()

    def slow(path, obj, overwrite=True):
        if not first.is_set():
            first.set()
            time.sleep(delay_s)
        return real(path, obj, overwrite)

    monkeypatch.setattr(mocaplab.trial, "write_json", slow)
    return first


def test_two_threads_updating_different_keys_keep_both(tmp_path, monkeypatch):
    trial = Trial.create(tmp_path / "t", subject="S01", fps=100)
    first = _slow_first_write(monkeypatch, 0.4)

    job = threading.Thread(target=trial.update_meta, kwargs={"calibration": "cal.toml"})
    job.start()
    assert first.wait(5)  # the job has read meta.json and is writing it
    trial.update_meta(annotations={"notes": "walks with a cane"})  # the API's PATCH
    job.join(10)
    meta = Trial(trial.path).meta
    assert meta["calibration"] == "cal.toml"  # old code: the PATCH's write lost it
    assert meta["annotations"] == {"notes": "walks with a cane"}
    assert meta["subject"] == "S01"


def test_edit_meta_failure_leaves_meta_as_it_was_and_frees_the_lock(tmp_path):
    trial = Trial.create(tmp_path / "t", subject="S01")
    with pytest.raises(RuntimeError), trial.edit_meta() as meta:
        meta["subject"] = "changed"
        raise RuntimeError("crash in the middle")
    assert trial.meta["subject"] == "S01"
    trial.update_meta(status="ok")  # not left locked
    assert trial.meta["status"] == "ok"


_WRITER = """
import sys
from mocaplab.trial import Trial
t = Trial(sys.argv[1])
for i in range(int(sys.argv[3])):
    t.update_meta(**{f"{sys.argv[2]}{i}": i})
"""


def test_two_processes_updating_different_keys_lose_none(tmp_path):
    trial = Trial.create(tmp_path / "t", subject="S01")
    n = 150
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(trial.path), prefix, str(n)])
             for prefix in ("api_", "job_")]
    for p in procs:
        assert p.wait(120) == 0
    meta = trial.meta
    lost = [f"{prefix}{i}" for prefix in ("api_", "job_") for i in range(n)
            if f"{prefix}{i}" not in meta]
    assert not lost, f"{len(lost)} of {2 * n} updates lost"
    assert meta["subject"] == "S01"


def test_meta_json_is_changed_only_through_the_trials_lock():
    """Outside mocaplab/trial.py nothing writes a whole meta.json it read earlier: changes go
    through Trial.update_meta / edit_meta. Whole writes are only for a meta.json that does not
    exist yet (a new analysis folder, an import without one, synthetic test trials)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    new_meta_only = {"api/cli.py", "keypoints/trial_detect.py", "mocaplab/synthetic/lab.py"}
    writers = set()
    for py in root.rglob("*.py"):
        rel = py.relative_to(root).as_posix()
        if ".venv" in py.parts or rel.startswith(("tests/", "benchmarks/")):
            continue
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name == "write_meta" or (name == "write_json" and node.args and "meta_path"
                                        in ast.unparse(node.args[0])):
                writers.add(rel)
    assert writers - {"mocaplab/trial.py"} <= new_meta_only, writers
