"""Bounded load test of the results API on loopback: p50/p99 latency and throughput.

Builds a synthetic lab (``--trials`` trials), starts ``mocaplab serve`` in a child process on
127.0.0.1 (a free port), then sends a fixed number of authenticated requests (``--requests``)
from ``--concurrency`` client threads with keep-alive, stopping early at ``--time-limit``
seconds. Prints one row per endpoint and the total; exits non-zero if any request failed.

    .venv/bin/python benchmarks/api_load.py --requests 2000 --concurrency 8 --time-limit 60

Only loopback addresses are ever contacted. Client and server share the machine, so the
figures are a lower bound of what the server alone can do.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

TOKEN = "load-test-token-" + "x" * 16
ENDPOINTS = {
    "trials list": "/v1/trials?limit=50",
    "metrics": "{t}/metrics",
    "events": "{t}/events",
    "curves": "{t}/curves?segment=pelvis&side=left",
    "points page": "{t}/points?start=0&limit=100&step=2",
    "csv export": "{t}/export/csv",
    "health": "/health",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(lab: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "MOCAPLAB_API_TOKENS": f"clinician:{TOKEN}"}
    exe = Path(sys.executable).with_name("mocaplab")
    cmd = [str(exe) if exe.exists() else "mocaplab", "serve", str(lab), "--host", "127.0.0.1",
           "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def run_load(base: str, plan: list[tuple[str, str]], concurrency: int,
             time_limit: float) -> tuple[list[tuple[str, float, int]], float]:
    """Send ``plan`` (name, path) from ``concurrency`` threads; (name, seconds, status) each."""
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    nxt = iter(range(len(plan)))
    deadline = time.monotonic() + time_limit

    def worker():
        with httpx.Client(base_url=base, timeout=30,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            while time.monotonic() < deadline:
                with lock:
                    i = next(nxt, None)
                if i is None:
                    return
                name, path = plan[i]
                t0 = time.perf_counter()
                try:
                    status = c.get(path).status_code
                except httpx.HTTPError:
                    status = 0
                dt = time.perf_counter() - t0
                with lock:
                    results.append((name, dt, status))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000, help="total requests (default 2000)")
    ap.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    ap.add_argument("--trials", type=int, default=8, help="synthetic trials in the lab")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)

    from mocaplab.synthetic.lab import make_lab

    with tempfile.TemporaryDirectory(prefix="mocaplab-load-") as tmp:
        lab = Path(tmp) / "lab"
        n_subj = max(1, args.trials // 4)
        trials = make_lab(lab, subjects=tuple(f"S{i + 1:03d}" for i in range(n_subj)),
                          trials_per_session=2, duration_s=4.0)
        keys = ["/v1/trials/" + "/".join(p.relative_to(lab).parts) for p in trials]
        rng = np.random.default_rng(0)
        names = list(ENDPOINTS)
        plan = []
        for _ in range(args.requests):
            name = names[rng.integers(len(names))]
            plan.append((name, ENDPOINTS[name].format(t=keys[rng.integers(len(keys))])))
        port = free_port()
        proc = start_server(lab, port, Path(tmp) / "server.log")
        try:
            base = f"http://127.0.0.1:{port}"
            run_load(base, plan[:50], 4, 30)  # warm-up (imports, caches)
            res, wall = run_load(base, plan, args.concurrency, args.time_limit)
        finally:
            proc.terminate()
            proc.wait(15)

    rows = []
    for name in names + ["TOTAL"]:
        sel = [r for r in res if name == "TOTAL" or r[0] == name]
        if not sel:
            continue
        lat = np.array([r[1] for r in sel]) * 1000
        errors = sum(1 for r in sel if r[2] != 200)
        rows.append({"endpoint": name, "n": len(sel), "errors": errors,
                     "p50_ms": float(np.percentile(lat, 50)),
                     "p99_ms": float(np.percentile(lat, 99)), "mean_ms": float(lat.mean())})
    total = rows[-1]
    print(f"{len(res)}/{args.requests} requests in {wall:.2f} s with {args.concurrency} client "
          f"threads -> {len(res) / wall:.1f} req/s"
          + ("  (time limit reached)" if len(res) < args.requests else ""))
    print(f"{'endpoint':<14}{'n':>6}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for r in rows:
        print(f"{r['endpoint']:<14}{r['n']:>6}{r['errors']:>8}{r['p50_ms']:>9.1f}"
              f"{r['p99_ms']:>9.1f}{r['mean_ms']:>9.1f}")
    if args.json:
        args.json.write_text(json.dumps({"wall_s": wall, "throughput_rps": len(res) / wall,
                                         "concurrency": args.concurrency, "rows": rows},
                                        indent=2))
    return 1 if total["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
