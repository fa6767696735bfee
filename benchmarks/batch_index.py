"""Batch over a fresh lab, every trial indexed (issue 21): N runs of `run_batch` on a new lab of
8 synthetic trials (4 cameras, 2D keypoints with 1 px noise; stages triangulate + analyze) with
2 workers, once with the local process pool and once on a Dask scheduler over TCP on loopback
(`dask scheduler` and `dask worker` processes started here), indexing into a new SQLite file or
a new PostgreSQL database each run.

    python benchmarks/batch_index.py [--runs 5] [--trials 8] [--postgres URL]

Prints per run: trials done / failed by the pipeline, trials in the index, and whether every
trial is in the index as analysed. Exit 1 if any run missed one.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path


def make_lab(root: Path, n_trials: int, seed: int) -> Path:
    from mocaplab.synthetic.lab import write_keypoints_trial

    for i in range(n_trials):
        subject, session = f"S{i % 2 + 1:02d}", f"visit{i % 4 // 2 + 1}"
        write_keypoints_trial(root / subject / session / f"walk{i}", speed_m_s=1.0 + 0.05 * i,
                              duration_s=3.0, start_xy=(-1.5, 0.0), seed=seed * 100 + i,
                              subject=subject)
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskOverTcp:
    """A `dask scheduler` on 127.0.0.1 and a `dask worker` with ``n`` processes."""

    def __init__(self, n: int):
        dask = [sys.executable, "-m", "dask"]
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port",
                                        str(port), "--no-dashboard"], **quiet)]
        time.sleep(2)
        self.procs.append(subprocess.Popen([*dask, "worker", self.address, "--nworkers", str(n),
                                            "--nthreads", "1", "--no-dashboard"], **quiet))
        from dask.distributed import Client

        with Client(self.address, timeout=60) as c:
            c.wait_for_workers(n, timeout=120)

    def close(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
            p.wait(30)


def _new_db(kind: str, lab: Path, pg_url: str | None) -> tuple[str, object]:
    if kind == "sqlite":
        from mocaplab.reporting.db import default_db_url

        return default_db_url(lab), None
    from sqlalchemy import create_engine, text

    name = f"batch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return pg_url.rsplit("/", 1)[0] + "/" + name, (admin, name)


def _drop_db(handle) -> None:
    if handle is None:
        return
    from sqlalchemy import text

    admin, name = handle
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def one_run(mode: str, db: str, run: int, n_trials: int, work: Path, scheduler: str | None,
            pg_url: str | None) -> bool:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from mocaplab.batch import find_trials, run_batch
    from mocaplab.pipeline import Options
    from mocaplab.reporting.db import TrialRow, make_engine

    lab = make_lab(work / f"{mode}-{db}-{run}", n_trials, seed=run)
    url, handle = _new_db(db, lab, pg_url)
    try:
        trials = find_trials(lab)
        options = dataclasses.replace(Options(), index_db=url, lab_dir=lab.resolve())
        t0 = time.perf_counter()
        results = run_batch(trials, options, stages=["triangulate", "analyze"],
                            scheduler=scheduler, workers=2)
        seconds = time.perf_counter() - t0
        failed = {p.name: [f"{r.stage}: {r.message}" for r in res if r.status == "failed"]
                  for p, res in results.items()}
        failed = {k: v for k, v in failed.items() if v}
        engine = make_engine(url)
        with Session(engine) as s:
            rows = {r.key: r.status for r in s.scalars(select(TrialRow))}
        engine.dispose()
        want = {str(t.relative_to(lab)) for t in trials}
        ok = set(rows) == want and all(v == "analyzed" for v in rows.values()) and not failed
        print(f"{mode:10s} {db:10s} run {run}: {len(trials) - len(failed)}/{len(trials)} done, "
              f"{len(rows)} indexed ({sum(v == 'analyzed' for v in rows.values())} analysed), "
              f"{seconds:5.1f} s {'ok' if ok else 'MISSING ' + str(failed)}", flush=True)
        return ok
    finally:
        _drop_db(handle)
        shutil.rmtree(lab, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--postgres", default=os.environ.get("MOCAPLAB_TEST_POSTGRES_URL"),
                    help="PostgreSQL server URL (default $MOCAPLAB_TEST_POSTGRES_URL; "
                         "unset: SQLite only)")
    ap.add_argument("--modes", default="pool,dask-tcp")
    args = ap.parse_args(argv)
    dbs = ["sqlite"] + (["postgresql"] if args.postgres else [])
    work = Path(tempfile.mkdtemp(prefix="mocaplab-batch-"))
    tally: dict[tuple[str, str], list[bool]] = {}
    try:
        for mode in args.modes.split(","):
            cluster = DaskOverTcp(2) if mode == "dask-tcp" else None
            try:
                for db in dbs:
                    for run in range(1, args.runs + 1):
                        ok = one_run(mode, db, run, args.trials, work,
                                     cluster.address if cluster else None, args.postgres)
                        tally.setdefault((mode, db), []).append(ok)
            finally:
                if cluster:
                    cluster.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for (mode, db), oks in tally.items():
        print(f"{mode} / {db}: {sum(oks)} of {len(oks)} runs with every trial indexed")
    return 0 if all(all(v) for v in tally.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
