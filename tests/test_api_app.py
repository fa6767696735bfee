"""The results API through FastAPI's TestClient: auth refusals, roles, traversal attempts, bad
ids, data endpoints, downloads, compare, processing jobs with an injected fake pipeline."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from mocaplab.api import create_app
from mocaplab.synthetic.lab import make_lab

CLIN, OPER = "clinician-token-0123456789", "operator-token-0123456789"
H_CLIN = {"Authorization": f"Bearer {CLIN}"}
H_OPER = {"Authorization": f"Bearer {OPER}"}
T = "/v1/trials/S001/baseline/walk01"


class GatedPipeline:
    """A fake pipeline: reports stages through progress(stage, status), waits on a gate."""

    def __init__(self):
        self.gate = threading.Event()
        self.calls = []

    def __call__(self, trial_path, progress=None):
        self.calls.append(trial_path)
        for stage in ("detect", "triangulate", "analyze"):
            progress(stage, "start")
            if not self.gate.wait(20):
                raise RuntimeError("test gate never opened")
            progress(stage, "done")
        return []


@dataclasses.dataclass
class _Result:
    stage: str
    status: str
    message: str = ""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = tmp_path_factory.mktemp("lab")
    make_lab(lab, subjects=("S001", "S002"), trials_per_session=2, duration_s=3.0)
    return lab


@pytest.fixture(scope="module")
def pipeline():
    return GatedPipeline()


@pytest.fixture(scope="module")
def client(lab, pipeline, module_db_url):
    app = create_app(lab, module_db_url, {CLIN: "clinician", OPER: "operator"},
                     pipeline=pipeline, pseudonym_key="test-key", normative_dir=None)
    with TestClient(app) as c:
        yield c


def wait_job(client, job_id, timeout=30):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        j = client.get(f"/v1/jobs/{job_id}", headers=H_CLIN).json()
        if j["state"] in ("succeeded", "failed"):
            return j
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_health_is_public_and_everything_else_needs_a_token(client):
    assert client.get("/health").json()["status"] == "ok"
    for path in ("/v1/subjects", "/v1/trials", T, T + "/metrics", T + "/export/csv",
                 "/openapi.json", "/v1/jobs", "/docs"):
        r = client.get(path)
        assert r.status_code in (401, 404), path
        if r.status_code == 401:
            assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/docs").status_code == 404  # no public docs page
    for bad in ({"Authorization": "Bearer wrong-token-0123456789"},
                {"Authorization": f"Basic {CLIN}"}, {"Authorization": CLIN},
                {"Authorization": f"Bearer {CLIN[:-1]}"}, {"Authorization": f"Bearer {CLIN}x"},
                {"X-Token": CLIN}):
        assert client.get("/v1/subjects", headers=bad).status_code == 401, bad


def test_in_memory_database_is_refused_for_the_server(lab):
    from mocaplab.errors import InputError

    with pytest.raises(InputError, match="in-memory"):
        create_app(lab, "sqlite://", {CLIN: "clinician"})


def test_roles(client):
    assert client.post("/v1/index", headers=H_CLIN).status_code == 403
    assert client.post(T + "/process", headers=H_CLIN).status_code == 403
    assert client.patch(T + "/annotations", headers=H_CLIN, json={"notes": "x"}).status_code \
        == 403
    r = client.post("/v1/index", headers=H_OPER)
    assert r.status_code == 200 and r.json()["trials"] == 8
    assert client.get("/v1/subjects", headers=H_OPER).status_code == 200


@pytest.mark.parametrize("path", [
    "/v1/trials/S001/baseline/%2e%2e", "/v1/trials/S001/%2e%2e/walk01",
    "/v1/trials/%2e%2e/%2e%2e/%2e%2e", "/v1/trials/S001/baseline/..%2f..%2fetc",
    "/v1/trials/S001/baseline/walk01%00", "/v1/subjects/%2e%2e",
    "/v1/trials/S001/baseline/.hidden", "/v1/trials/S001/baseline/" + "a" * 65,
    "/v1/trials/S001/baseline/walk01/export/exe", "/v1/jobs/../../etc",
    "/v1/jobs/0123", "/v1/subjects/S001/progress-report?before=..&after=followup",
])
def test_traversal_and_bad_ids_are_refused(client, path):
    r = client.get(path, headers=H_CLIN)
    assert r.status_code in (404, 422), (path, r.status_code)
    assert "detail" in r.json()
    assert "root:" not in r.text


def test_unknown_ids_are_404(client):
    for path in ("/v1/trials/S009/baseline/walk01", "/v1/subjects/S009",
                 "/v1/jobs/" + "0" * 32, "/v1/trials/S001/baseline/walk09/metrics"):
        r = client.get(path, headers=H_CLIN)
        assert r.status_code == 404 and "not found" in r.json()["detail"]


def test_compare_validates_refs(client):
    r = client.get("/v1/compare", headers=H_CLIN, params={"a": "S001/../etc", "b": "x/y/z"})
    assert r.status_code == 400 and "invalid" in r.json()["detail"]
    r = client.get("/v1/compare", headers=H_CLIN, params={"a": "S001/baseline", "b": "x/y/z"})
    assert r.status_code == 400 and "subject/session/trial" in r.json()["detail"]
    r = client.get("/v1/compare", headers=H_CLIN,
                   params={"a": "S001/baseline/walk01", "b": "S001/followup/walk01"})
    assert r.status_code == 200
    rows = {x["metric"]: x for x in r.json()["rows"]}
    assert rows["step_length_asymmetry"]["verdict"] == "improved"
    assert rows["stride_length_m"]["difference"] == pytest.approx(0.08, abs=0.01)


def test_parameter_validation_is_422_with_detail(client):
    for params in ({"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"status": "DROP TABLE"},
                   {"offset": 9223372036854775808}, {"offset": 2**63 - 1}, {"min": "nan"},
                   {"metric": "speed_m_s", "max": "1e999"}):
        r = client.get("/v1/trials", headers=H_CLIN, params=params)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "query", params
    for big in (9223372036854775808, 10**30):
        r = client.get("/v1/subjects", headers=H_CLIN, params={"offset": big})
        assert r.status_code == 422, r.text
        r = client.get(T + "/points", headers=H_CLIN, params={"start": big})
        assert r.status_code == 422, r.text
    r = client.get("/v1/subjects", headers=H_CLIN, params={"offset": 1_000_000})
    assert r.status_code == 200 and r.json()["items"] == []
    r = client.get("/v1/trials", headers=H_CLIN, params={"min": 1})
    assert r.status_code == 400 and "metric" in r.json()["detail"]
    r = client.get(T + "/points", headers=H_CLIN, params={"keypoints": "nose,tail"})
    assert r.status_code == 400 and "tail" in r.json()["detail"]
    r = client.get(T + "/curves", headers=H_CLIN, params={"segment": "elbow"})
    assert r.status_code == 404 and "elbow" in r.json()["detail"]


def test_lists_and_search(client):
    subs = client.get("/v1/subjects", headers=H_CLIN).json()
    assert subs["total"] == 2 and subs["items"][0]["n_trials"] == 4
    assert client.get("/v1/subjects", headers=H_CLIN, params={"q": "002"}).json()["total"] == 1
    assert client.get("/v1/subjects", headers=H_CLIN, params={"q": "%"}).json()["total"] == 0
    # literal and case-insensitive, the same on SQLite and PostgreSQL
    for q, n in (("s00", 2), ("S00", 2), ("s001", 1), ("_", 0), ("É", 0)):
        assert client.get("/v1/subjects", headers=H_CLIN, params={"q": q}).json()["total"] == n
    assert client.get("/v1/trials", headers=H_CLIN,
                      params={"q": "s002/BASELINE"}).json()["total"] == 2
    d = client.get("/v1/subjects/S001", headers=H_CLIN).json()
    assert [s["code"] for s in d["sessions"]] == ["baseline", "followup"]
    tr = client.get("/v1/trials", headers=H_CLIN, params={"subject": "S002", "limit": 3}).json()
    assert tr["total"] == 4 and len(tr["items"]) == 3
    fast = client.get("/v1/trials", headers=H_CLIN,
                      params={"metric": "stride_length_m", "min": 1.25}).json()
    assert fast["total"] == 4 and all(t["session"] == "followup" for t in fast["items"])
    # a mistyped metric or status listed no trial (200, total 0), as if none matched
    r = client.get("/v1/trials", headers=H_CLIN, params={"metric": "stride_lenght_m", "min": 1})
    assert r.status_code == 400 and "metric-definitions" in r.json()["detail"]
    r = client.get("/v1/trials", headers=H_CLIN, params={"status": "analysed"})
    assert r.status_code == 400 and "'analyzed'" in r.json()["detail"]
    # min above max: 200 with no trial, as if none matched
    r = client.get("/v1/trials", headers=H_CLIN,
                   params={"metric": "stride_length_m", "min": 1.4, "max": 1.1})
    assert r.status_code == 400 and "min=1.4 is above max=1.1" in r.json()["detail"]
    for params in ({"metric": "stride_length_m_si", "max": 100}, {"status": "analyzed"},
                   {"metric": "pelvis_lateral_sway_m"}):
        assert client.get("/v1/trials", headers=H_CLIN, params=params).status_code == 200


def test_trial_data_endpoints(client):
    meta = client.get(T, headers=H_CLIN).json()
    assert meta["status"]["status"] == "analyzed" and meta["indexed"]["fps"] == 100.0
    m = client.get(T + "/metrics", headers=H_CLIN).json()
    rows = {r["name"]: r for r in m["spatiotemporal"]}
    assert rows["stride_length_m"]["left"] == pytest.approx(1.2, abs=0.01)
    ev = client.get(T + "/events", headers=H_CLIN).json()["events"]
    assert all(e["time_s"] == pytest.approx((e["frame"] - 1) / 100) for e in ev)
    c = client.get(T + "/curves", headers=H_CLIN,
                   params={"segment": "pelvis", "side": "right", "points": 51,
                           "include_cycles": True}).json()
    assert len(c["percent"]) == 51 and c["angles"]["obliquity"]["n_cycles"] >= 1
    assert len(c["angles"]["obliquity"]["cycles"]) == c["angles"]["obliquity"]["n_cycles"]
    assert c["angles"]["obliquity"]["label"] == "Pelvic obliquity"
    # the lower-limb angles are curves too, labelled from the metrics specification, and say
    # whether they were estimated (markerless: through landmark estimation, when the marker
    # augmenter was found)
    k = client.get(T + "/curves", headers=H_CLIN, params={"segment": "knee"}).json()
    assert set(k["angles"]) == {"flexion", "adduction", "rotation"}
    flex = k["angles"]["flexion"]
    assert (flex["label"], flex["unit"], flex["positive"], flex["vicon"]) == (
        "Knee flexion", "deg", "flexion", "KneeAngles X")
    if any(v is not None for v in flex["mean"]):
        assert flex["estimated"]
        # analysis' reliability flags (provenance.kinematics.reliability), per angle
        hip = client.get(T + "/curves", headers=H_CLIN, params={"segment": "hip"}).json()
        assert "RMSE" in hip["angles"]["rotation"]["not_reliable"]
        assert hip["angles"]["flexion"]["not_reliable"] is None
        ankle = client.get(T + "/curves", headers=H_CLIN, params={"segment": "ankle"}).json()
        assert ankle["angles"]["inversion"]["not_computed"]


def test_points_paging_and_decimation(client):
    frames, start = [], 0
    while start is not None:
        r = client.get(T + "/points", headers=H_CLIN,
                       params={"start": start, "limit": 70, "step": 2,
                               "keypoints": "left_hip,right_heel"}).json()
        assert r["keypoints"] == ["left_hip", "right_heel"]
        assert len(r["points"]) == len(r["frames"]) <= 70
        assert all(len(fr) == 2 and len(fr[0]) == 3 for fr in r["points"])
        frames += r["frames"]
        start = r["next_start"]
    assert frames == list(range(1, 301, 2)) and r["n_frames_total"] == 300


def test_downloads(client):
    for fmt, media in (("csv", "text/csv"), ("json", "application/json"),
                       ("c3d", "application/octet-stream"), ("trc", "text/plain"),
                       ("fhir", "application/fhir+json"), ("pdf", "application/pdf"),
                       ("html", "text/html")):
        r = client.get(f"{T}/export/{fmt}", headers=H_CLIN)
        assert r.status_code == 200, (fmt, r.text[:200])
        assert r.headers["content-type"].startswith(media)
        assert "S001_baseline_walk01" in r.headers["content-disposition"]
        assert r.headers["cache-control"] == "no-store"
    assert client.get(f"{T}/export/pdf", headers=H_CLIN).content[:5] == b"%PDF-"
    p = client.get(f"{T}/export/json", headers=H_CLIN, params={"pseudonymise": True})
    assert "S001" not in p.text and p.json()["subject"].startswith("P-")
    assert "S001" not in p.headers["content-disposition"]
    f = client.get(f"{T}/export/fhir", headers=H_CLIN, params={"pseudonymise": True}).json()
    assert f["resourceType"] == "Bundle" and "S001" not in json.dumps(f)
    r = client.get("/v1/subjects/S001/progress-report", headers=H_CLIN,
                   params={"before": "baseline", "after": "followup"})
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    r = client.get("/v1/subjects/S001/progress-report", headers=H_CLIN,
                   params={"before": "baseline", "after": "baseline"})
    assert r.status_code == 400 and "same session" in r.json()["detail"]
    assert "--before" not in r.json()["detail"]  # the CLI's option names, not the API's


def test_openapi_documents_every_route(client):
    spec = client.get("/openapi.json", headers=H_CLIN).json()
    ops = [op for path in spec["paths"].values() for op in path.values()]
    assert len(ops) >= 15 and all(op.get("summary") for op in ops)
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert "TrialList" in spec["components"]["schemas"]


def test_annotations_written_by_operator(client, lab):
    r = client.patch(T + "/annotations", headers=H_OPER,
                     json={"notes": "patient tired", "tags": ["post-op"]})
    assert r.status_code == 200
    ann = json.loads((lab / "S001/baseline/walk01/meta.json").read_text())["annotations"]
    assert ann["notes"] == "patient tired" and ann["by"] == "token1"
    assert client.patch(T + "/annotations", headers=H_OPER,
                        json={"tags": ["<script>"]}).status_code == 400
    assert client.patch(T + "/annotations", headers=H_OPER,
                        json={"notes": "x" * 3000}).status_code == 422
    # a merge patch: fields not given are kept (notes alone, or {}, erased the tags), null
    # removes one
    for body in ({"notes": "walks better"}, {}):
        assert client.patch(T + "/annotations", headers=H_OPER, json=body).status_code == 200
        ann = json.loads((lab / "S001/baseline/walk01/meta.json").read_text())["annotations"]
        assert ann["notes"] == "walks better" and ann["tags"] == ["post-op"]
    assert client.patch(T + "/annotations", headers=H_OPER, json={"tags": None}).status_code \
        == 200
    ann = json.loads((lab / "S001/baseline/walk01/meta.json").read_text())["annotations"]
    assert "tags" not in ann and ann["notes"] == "walks better"


def test_search_finds_annotation_tags_and_notes(client):
    """q= matched the trial key only: a tag or notes set by PATCH .../annotations was not
    found (q=cane listed nothing)."""
    t2 = "/v1/trials/S002/followup/walk02"
    assert client.patch(t2 + "/annotations", headers=H_OPER,
                        json={"notes": "Walks with a CANE today", "tags": ["Post-Op 6w"]}
                        ).status_code == 200

    def keys(q):
        r = client.get("/v1/trials", headers=H_CLIN, params={"q": q})
        assert r.status_code == 200
        return [t["key"] for t in r.json()["items"]]

    assert keys("cane") == keys("a CaNe") == ["S002/followup/walk02"]  # notes, any case
    assert keys("post-op 6") == ["S002/followup/walk02"]  # a tag
    assert keys("%") == [] and keys("op_6") == []  # literal, no wildcard
    assert len(keys("walk02")) == 4  # the key still
    assert client.patch(t2 + "/annotations", headers=H_OPER,
                        json={"notes": None, "tags": None}).status_code == 200
    assert keys("cane") == [] and keys("post-op 6") == []  # removed with the annotation


def test_processing_job_progress_and_conflict(client, pipeline):
    pipeline.gate.clear()
    r = client.post(T + "/process", headers=H_OPER)
    assert r.status_code == 202
    job = r.json()
    assert job["state"] in ("queued", "running") and job["requested_by"] == "token1"
    again = client.post(T + "/process", headers=H_OPER)
    assert again.status_code == 409 and again.json()["detail"]["job"]["id"] == job["id"]
    t0 = time.monotonic()
    while client.get(f"/v1/jobs/{job['id']}", headers=H_CLIN).json()["message"] \
            != "detect: start":
        assert time.monotonic() - t0 < 20
        time.sleep(0.02)
    pipeline.gate.set()
    done = wait_job(client, job["id"])
    assert done["state"] == "succeeded" and done["progress"] == 1.0
    assert done["started"] and done["finished"]
    jobs = client.get("/v1/jobs", headers=H_CLIN,
                      params={"trial": "S001/baseline/walk01"}).json()["items"]
    assert jobs[0]["id"] == job["id"]


def test_failing_jobs_are_recorded(client, pipeline, monkeypatch):
    runner = client.app.state.mocaplab.jobs

    def boom(trial_path, progress=None):
        progress(0.25, "detecting")
        raise RuntimeError("camera file unreadable")

    monkeypatch.setattr(runner, "pipeline", boom)
    j = wait_job(client, client.post(T + "/process", headers=H_OPER).json()["id"])
    assert j["state"] == "failed" and "camera file unreadable" in j["message"]
    assert j["progress"] == 0.25
    monkeypatch.setattr(runner, "pipeline",
                        lambda p, progress=None: [_Result("detect", "done"),
                                                  _Result("triangulate", "failed", "no cal")])
    j = wait_job(client, client.post(T + "/process", headers=H_OPER).json()["id"])
    assert j["state"] == "failed" and "triangulate: no cal" in j["message"]
