"""Process many trials: a local process pool by default, or a Dask cluster.

A lab folder holds trial folders at any depth (``LAB/<subject>/<session>/<trial>/meta.json``).
Each trial runs the whole pipeline in one worker; detection inside a batch worker uses a single
process so that workers do not oversubscribe the cores (and because Dask worker processes may not
start children of their own).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from mocaplab.errors import InputError, MocaplabError
from mocaplab.pipeline import Options, StageResult, process_trial
from mocaplab.trial import Trial

TrialResults = dict[Path, list[StageResult]]


def find_trials(lab_dir: str | Path) -> list[Path]:
    """Every trial folder (one holding meta.json) below ``lab_dir``, sorted."""
    lab = Path(lab_dir)
    if not lab.is_dir():
        raise InputError(f"lab folder {lab} " + ("is a file, not a folder: give the folder "
                                                  "holding the trial folders" if lab.exists()
                                                  else "does not exist"))
    trials = sorted(p.parent for p in lab.rglob(Trial.META_NAME) if Trial.STATE_DIR not in p.parts)
    if not trials:
        raise InputError(f"no trial folders (with meta.json) found below {lab}")
    return trials


def _process_one(trial: Path, options: Options, stages: Sequence[str] | None) -> list[StageResult]:
    return process_trial(trial, options, stages)


def run_batch(trials: Sequence[str | Path], options: Options | None = None, *,
              stages: Sequence[str] | None = None, scheduler: str | None = None,
              workers: int | None = None,
              on_result: Callable[[Path, list[StageResult]], None] | None = None) -> TrialResults:
    """Run the pipeline on every trial and return each trial's stage results.

    Args:
        trials: trial folders.
        options: pipeline options; detection is forced to one process per trial.
        stages: stage names to run (default: all).
        scheduler: None for a local process pool; "local-cluster" for a Dask LocalCluster; or
            the address of a running Dask scheduler ("tcp://host:8786").
        workers: worker processes (default: the number of cores).
        on_result: called with (trial, results) as each trial finishes.
    """
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}")
    options = dataclasses.replace(options or Options(), workers=1)
    paths = [Path(t).resolve() for t in trials]
    n = workers or os.cpu_count() or 1
    results: TrialResults = {}
    if scheduler is None:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            futures = {pool.submit(_process_one, p, options, stages): p for p in paths}
            for fut in concurrent.futures.as_completed(futures):
                _collect(results, futures[fut], fut, on_result)
        return {p: results[p] for p in paths}

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    # Dask writes OMP_NUM_THREADS=1 and friends into this process's environment; put it back
    # afterwards so that later work here (and its child processes) is not throttled.
    saved_environ = dict(os.environ)
    if scheduler == "local-cluster":
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler)
        except (OSError, ValueError) as exc:  # no scheduler there, or not an address
            os.environ.clear()
            os.environ.update(saved_environ)
            raise InputError(f"cannot reach the Dask scheduler {scheduler} ({exc}): start it "
                             "('dask scheduler', and 'dask worker' on each machine), check "
                             "the address, or drop --scheduler for a local process pool"
                             ) from None
    try:
        futures = client.map(_process_one, paths, options=options, stages=stages, pure=False)
        by_key = {f.key: p for f, p in zip(futures, paths, strict=True)}
        for fut in as_completed(futures):
            _collect(results, by_key[fut.key], fut, on_result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        os.environ.clear()
        os.environ.update(saved_environ)
    return {p: results[p] for p in paths}


def _collect(results: TrialResults, path: Path, fut, on_result) -> None:
    try:
        res = fut.result()
    except MocaplabError as exc:  # said for the user (a trial another run is processing)
        res = [StageResult("pipeline", "failed", message=str(exc))]
    except Exception as exc:  # a crash of the worker itself, not a stage failure
        res = [StageResult("pipeline", "failed", message=f"{type(exc).__name__}: {exc}")]
    results[path] = res
    if on_result is not None:
        on_result(path, res)
