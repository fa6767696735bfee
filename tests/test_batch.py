"""Batch processing: a Dask LocalCluster gives the same metrics as the local process pool."""

import json
import os

import numpy as np
import pytest

from mocaplab.batch import find_trials, run_batch
from mocaplab.errors import InputError
from mocaplab.pipeline import Options
from mocaplab.synthetic.lab import make_trial, write_keypoints_trial

STAGES = ["triangulate", "analyze"]


def _make_lab(root, n_trials=4):
    for i in range(n_trials):
        write_keypoints_trial(root / "S01" / "session1" / f"walk{i}", speed_m_s=1.0 + 0.1 * i,
                              duration_s=4.0, start_xy=(-2.0, 0.0), seed=i)
    return root


def _metrics(trials):
    out = {}
    for t in trials:
        m = json.loads((t / "metrics.json").read_text())
        m.pop("provenance", None)
        out[t.name] = m
    return out


@pytest.mark.slow
def test_local_cluster_matches_local_pool(tmp_path):
    lab = _make_lab(tmp_path / "lab")
    trials = find_trials(lab)
    assert [t.name for t in trials] == ["walk0", "walk1", "walk2", "walk3"]

    pool = run_batch(trials, Options(), stages=STAGES, workers=2)
    assert all(r.status == "done" for res in pool.values() for r in res), pool
    by_pool = _metrics(trials)
    speeds = [by_pool[f"walk{i}"]["spatiotemporal"]["left"]["speed_m_s"] for i in range(4)]
    np.testing.assert_allclose(speeds, [1.0, 1.1, 1.2, 1.3], atol=0.05)

    for t in trials:
        (t / "metrics.json").unlink()
        (t / "points3d.npz").unlink()
    environ = dict(os.environ)
    dask = run_batch(trials, Options(), stages=STAGES, scheduler="local-cluster", workers=2)
    assert all(r.status == "done" for res in dask.values() for r in res), dask
    assert _metrics(trials) == by_pool
    assert dict(os.environ) == environ  # Dask's OMP_NUM_THREADS=1 etc. do not leak


def test_batch_reports_a_failing_trial_and_goes_on(tmp_path):
    lab = _make_lab(tmp_path / "lab", n_trials=2)
    broken = lab / "S01" / "session1" / "walk1" / "calibration.toml"
    broken.write_text("not toml [")
    results = run_batch(find_trials(lab), Options(), stages=STAGES, workers=1)
    status = {p.name: [r.status for r in res] for p, res in results.items()}
    assert status == {"walk0": ["done", "done"], "walk1": ["failed", "not run"]}


def test_find_trials_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        find_trials(tmp_path / "nope")
    with pytest.raises(InputError, match="no trial folders"):
        find_trials(tmp_path)


def test_unreachable_scheduler_and_zero_workers_are_clear_errors(tmp_path, capsys):
    """`batch --scheduler tcp://...` with no scheduler there: a clear error naming it, exit 1,
    no traceback (it was an OSError traceback after the connect timeout); --workers 0 is
    refused as by `detect`."""
    import dask

    from mocaplab.cli import main

    make_trial(tmp_path / "lab" / "S1" / "pre" / "t1")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert main(["batch", str(tmp_path / "lab"), "--scheduler", "tcp://127.0.0.1:1",
                     "--stages", "analyze", "--no-index"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler tcp://127.0.0.1:1" in err and "Traceback" not in err
    assert main(["batch", str(tmp_path / "lab"), "--workers", "0", "--no-index"]) == 1
    assert "--workers must be at least 1" in capsys.readouterr().err


def test_batch_index_of_a_misnamed_trial_says_what_to_do(tmp_path, capsys):
    """A trial folder named 'walk 03' (a space) is processed, but its index stage said
    "InputError: invalid trial id ... (what to do: run 'mocaplab index LAB' once the lab
    folder is in place)": the exception's type, and advice that cannot help. Now it says the
    trial is not listed by the API and clinic, and what the folder must look like."""
    from mocaplab.cli import main
    from mocaplab.synthetic.lab import WalkerParams

    lab = tmp_path / "lab"
    make_trial(lab / "S01" / "v1" / "walk 03", WalkerParams(duration_s=2))
    assert main(["batch", str(lab), "--stages", "analyze", "--workers", "1", "--no-video"]) == 1
    out = capsys.readouterr()
    said = [line for line in (out.out + out.err).splitlines() if "[index] failed" in line]
    assert said and "InputError" not in said[0] and "once the lab folder" not in said[0]
    assert "not indexed: invalid trial id 'walk 03'" in said[0]
    assert "treated as outside the lab" in said[0]
