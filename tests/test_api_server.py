"""The results API in a real uvicorn server on 127.0.0.1 (free port chosen by the OS, started
and stopped by the test): auth refusals, raw traversal attempts, bad ids, concurrent requests,
a processing job followed over HTTP."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mocaplab.api import create_app
from mocaplab.api.server import LoopbackServer
from mocaplab.errors import InputError
from mocaplab.synthetic.lab import make_lab

CLIN, OPER = "clinician-token-abcdefghij", "operator-token-abcdefghij"
T = "/v1/trials/S001/baseline/walk01"


def slow_pipeline(trial_path, progress=None):
    for i in range(1, 5):
        time.sleep(0.05)
        progress(i / 4, f"step {i}")
    return []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("srv")
    make_lab(root / "lab", subjects=("S001", "S002"), trials_per_session=2, duration_s=3.0)
    app = create_app(root / "lab", f"sqlite:///{root / 'index.db'}",
                     {CLIN: "clinician", OPER: "operator"}, pipeline=slow_pipeline)
    with LoopbackServer(app) as srv:
        yield srv
    # stopped: nothing listens on the port any more
    with pytest.raises(OSError), socket.create_connection((srv.host, srv.port), timeout=1):
        pass


@pytest.fixture()
def http(server):
    with httpx.Client(base_url=server.url, timeout=60,
                      headers={"Authorization": f"Bearer {CLIN}"}) as c:
        yield c


def raw_get(server, target: str, token: str | None = CLIN) -> tuple[int, str]:
    """Send a request line exactly as given (no client-side normalisation of '..')."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    req = (f"GET {target} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n{auth}"
           "Connection: close\r\n\r\n").encode()
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(req)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def test_only_loopback_is_accepted():
    with pytest.raises(InputError, match="loopback"):
        LoopbackServer(object(), host="0.0.0.0")


def test_server_runs_on_loopback(server):
    assert server.host == "127.0.0.1" and server.port > 0
    r = httpx.get(server.url + "/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert "server" not in {k.lower() for k in r.headers}


def test_auth_refusals_over_http(server):
    assert httpx.get(server.url + "/v1/trials").status_code == 401
    bad = httpx.get(server.url + "/v1/trials", headers={"Authorization": "Bearer nope" * 3})
    assert bad.status_code == 401 and bad.json()["detail"] == "missing or invalid bearer token"
    clin = {"Authorization": f"Bearer {CLIN}"}
    assert httpx.post(server.url + T + "/process", headers=clin).status_code == 403
    assert httpx.post(server.url + "/v1/index", headers=clin).status_code == 403
    assert raw_get(server, "/openapi.json", token=None)[0] == 401


@pytest.mark.parametrize("target", [
    "/v1/trials/S001/baseline/../../../../etc/passwd",
    "/v1/trials/S001/../../../etc/passwd/x",
    "/v1/trials/S001/baseline/..%2f..%2f..%2fetc%2fpasswd",
    "/v1/trials/S001/baseline/%2e%2e/export/csv",
    "/v1/trials/S001/baseline/walk01/../../../../etc/passwd",
    "/v1/trials/..%5c..%5cwindows/baseline/walk01",
    "/v1/subjects/S001/progress-report?before=../../etc&after=followup",
    "/v1/compare?a=../../etc/passwd&b=S001/baseline/walk01",
    "/v1/compare?a=S001/baseline/walk01/../../x&b=S001/baseline/walk01",
])
def test_raw_traversal_attempts_are_refused(server, target):
    status, body = raw_get(server, target)
    assert status in (400, 404, 422), (target, status)
    assert "root:" not in body and "detail" in body


def test_bad_ids_over_http(http):
    assert http.get("/v1/trials/S001/baseline/wa lk").status_code == 422
    assert http.get("/v1/trials/S001/baseline/" + "x" * 100).status_code == 422
    assert http.get("/v1/trials/S001/baseline/nope").status_code == 404
    assert http.get("/v1/jobs/not-a-job-id").status_code == 422
    assert http.get(T + "/export/exe").status_code == 422


def test_concurrent_requests(server, http):
    good = {"Authorization": f"Bearer {CLIN}"}
    requests = [(T + "/metrics", good), (T + "/points?step=5&limit=40", good),
                ("/v1/trials/S002/followup/walk02/curves?segment=spine", good),
                ("/v1/trials", good), ("/v1/subjects/S002", good),
                (T + "/export/csv", good), (T + "/metrics", {"Authorization": "Bearer bad"})]
    expected = {path: http.get(path, headers=h) for path, h in requests[:6]}
    jobs = requests * 10  # 70 requests from 16 threads at once

    def call(item):
        path, h = item
        with httpx.Client(base_url=server.url, timeout=60) as c:
            return path, h, c.get(path, headers=h)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, jobs))
    elapsed = time.perf_counter() - t0
    for path, h, r in results:
        if h["Authorization"].endswith("bad"):
            assert r.status_code == 401
        else:
            assert r.status_code == 200, (path, r.status_code)
            assert r.content == expected[path].content, path  # same answer under concurrency
    assert elapsed < 120


def test_job_followed_over_http(server):
    oper = {"Authorization": f"Bearer {OPER}"}
    with httpx.Client(base_url=server.url, headers=oper, timeout=30) as c:
        r = c.post("/v1/trials/S002/baseline/walk01/process")
        assert r.status_code == 202
        job_id = r.json()["id"]
        seen = set()
        t0 = time.monotonic()
        while True:
            j = c.get(f"/v1/jobs/{job_id}").json()
            seen.add(j["progress"])
            if j["state"] in ("succeeded", "failed"):
                break
            assert time.monotonic() - t0 < 30
            time.sleep(0.02)
        assert j["state"] == "succeeded" and j["progress"] == 1.0
        assert len(seen) >= 2  # progress was visible while running
