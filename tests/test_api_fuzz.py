"""A bounded schemathesis run against the API on a real loopback server (issue 21): every
operation of the OpenAPI schema, fixed seed (derandomised), a few hundred cases in all, a time
cap, on SQLite and on PostgreSQL. No 5xx; status codes, content types and bodies match the
schema. The counts are printed at the end (``-s`` or the summary line of the last test)."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mocaplab.api import create_app
from mocaplab.api.server import LoopbackServer
from mocaplab.synthetic.lab import make_lab

OPER = "operator-token-0123456789"
HEADERS = {"Authorization": f"Bearer {OPER}"}
CASES_PER_OPERATION = 6
TIME_CAP_S = 240.0  # per database; cases past it are not run (and not counted)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _schema_dict() -> dict:
    import tempfile
    from pathlib import Path

    lab = Path(tempfile.mkdtemp(prefix="mocaplab-schema-"))
    return create_app(lab, f"sqlite:///{lab / 'i.db'}", {OPER: "operator"},
                      index_on_start=False).openapi()


schema = schemathesis.openapi.from_dict(_schema_dict())
COUNTS: dict[str, dict[str, float]] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_db_url):
    lab = tmp_path_factory.mktemp("fuzzlab")
    make_lab(lab, subjects=("S001", "S002"), trials_per_session=1, duration_s=3.0)
    app = create_app(lab, module_db_url, {OPER: "operator"}, pipeline=lambda *a, **k: [],
                     normative_dir=None, pseudonym_key="fuzz-key")
    kind = module_db_url.split(":", 1)[0].split("+")[0]
    COUNTS[kind] = {"cases": 0, "failures": 0, "t0": time.monotonic()}
    with LoopbackServer(app) as srv:
        srv.kind = kind
        yield srv


@schema.parametrize()
@settings(max_examples=CASES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_fuzz(case, server):
    c = COUNTS[server.kind]
    if time.monotonic() - c["t0"] > TIME_CAP_S:
        return
    c["cases"] += 1
    try:
        case.call_and_validate(base_url=server.url, headers=HEADERS, checks=CHECKS, timeout=30)
    except Exception:
        c["failures"] += 1
        raise


def test_fuzz_counts():
    """Runs after the fuzzing (file order): prints and checks the counts."""
    if not COUNTS:
        pytest.skip("the fuzz tests were not run")
    lines = [f"{k}: {int(v['cases'])} cases, {int(v['failures'])} failures"
             for k, v in COUNTS.items()]
    print("schemathesis " + "; ".join(lines))
    for v in COUNTS.values():
        assert v["cases"] >= 100 and v["failures"] == 0, lines
