"""Every route of the app, found by walking it (a route added later is covered too): without a
token exactly 401 (a clinic page: 303 to the login form), a clinician exactly 403 on every
operator route, and only the listed public routes answer without a token."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from mocaplab.api import create_app
from mocaplab.api import deps as api_deps
from mocaplab.api.routes import clinic
from mocaplab.synthetic.lab import make_lab

CLIN, OPER = "clinician-token-0123456789", "operator-token-0123456789"
PUBLIC = {("GET", "/health"), ("GET", "/clinic/login"), ("POST", "/clinic/login"),
          ("POST", "/clinic/logout"), ("GET", "/clinic/static/{name}")}
PATH_VALUES = {"subject": "S001", "session": "baseline", "trial": "walk01", "job_id": "0" * 32,
               "fmt": "csv", "name": "compare.mp4"}
QUERY_VALUES = {"a": "S001/baseline/walk01", "b": "S001/followup/walk01", "trial": "S001",
                "subject": "S001", "segment": "pelvis", "key": "S001/baseline/walk01",
                "before": "baseline", "after": "followup"}


def _routes(app) -> list[APIRoute]:
    out = []
    for r in app.routes:
        inner = getattr(r, "original_router", None)
        out += [x for x in (inner.routes if inner else [r]) if isinstance(x, APIRoute)]
    return out


def _calls(dependant) -> set:
    found = {dependant.call}
    for d in dependant.dependencies:
        found |= _calls(d)
    return found


def _url(route: APIRoute) -> str:
    path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PATH_VALUES[m.group(1)], route.path)
    q = {p.name: QUERY_VALUES[p.name] for p in route.dependant.query_params
         if p.field_info.is_required()}
    return path + ("?" + "&".join(f"{k}={v}" for k, v in q.items()) if q else "")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    lab = tmp_path_factory.mktemp("lab")
    make_lab(lab, subjects=("S001",), trials_per_session=1, duration_s=3.0)
    return create_app(lab, f"sqlite:///{lab.parent / 'index.db'}",
                      {CLIN: "clinician", OPER: "operator"}, pipeline=lambda *a, **k: [],
                      normative_dir=None)


def _each(app):
    for route in _routes(app):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield method, route


def test_the_walk_finds_every_router(app):
    paths = {r.path for r in _routes(app)}
    assert len(paths) >= 30
    assert {"/v1/trials/{subject}/{session}/{trial}/events", "/v1/jobs/{job_id}",
            "/clinic/actions/index", "/openapi.json"} <= paths


def test_every_route_refuses_without_a_token(app):
    wrong = []
    with TestClient(app, follow_redirects=False) as c:
        for method, route in _each(app):
            if (method, route.path) in PUBLIC:
                continue
            calls = _calls(route.dependant)
            r = c.request(method, _url(route))
            if clinic.page_reader in calls:
                ok = r.status_code == 303 and r.headers["location"] == "/clinic/login"
            else:
                ok = r.status_code == 401 and r.headers.get("www-authenticate") == "Bearer"
            if not ok:
                wrong.append(f"{method} {route.path} -> {r.status_code}")
            r = c.request(method, _url(route), headers={"Authorization": "Bearer wrong-token"})
            if r.status_code not in (401, 303):
                wrong.append(f"{method} {route.path} with a wrong token -> {r.status_code}")
    assert not wrong, wrong


def test_clinician_gets_403_on_every_operator_route(app):
    operator_checks = {api_deps.operator, clinic.operator_action}
    wrong, n = [], 0
    with TestClient(app, follow_redirects=False) as c:
        for method, route in _each(app):
            calls = _calls(route.dependant)
            is_operator = bool(calls & operator_checks)
            if not is_operator and method == "GET":
                continue
            if not is_operator and (method, route.path) not in PUBLIC:
                wrong.append(f"{method} {route.path} changes data without the operator check")
                continue
            if not is_operator:
                continue
            n += 1
            r = c.request(method, _url(route), headers={"Authorization": f"Bearer {CLIN}"},
                          json={"notes": "x"})
            if r.status_code != 403:
                wrong.append(f"{method} {route.path} as clinician -> {r.status_code}")
    assert n >= 5 and not wrong, wrong
