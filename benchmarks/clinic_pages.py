"""Load times of the clinic pages on loopback: subject list, a trial page, the comparison page.

Builds a synthetic lab (one subject with two visits and synthetic footage, plus ``--subjects``
metric-only subjects so the list is not trivially short), serves it on 127.0.0.1 in this process
(uvicorn in a thread), and measures each page ``--repeats`` times after one warm-up:

- **server**: one HTTP GET of the page's HTML with httpx (keep-alive), request to last byte;
- **browser**: headless Chromium (Selenium) navigating to the page, Navigation Timing
  ``loadEventEnd`` (HTML, stylesheet, script, images and the video's metadata as far as the
  browser waits for them; the 3D replay's JSON is fetched after load and not included).

The first comparison request makes the video (cold); its time is printed separately, then the
cached comparison is measured. Prints median and p90 in milliseconds.

    .venv/bin/python benchmarks/clinic_pages.py --repeats 30

Only loopback is contacted. Client, browser and server share the machine's cores.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

TOKEN = "clinic-bench-token-" + "x" * 16
PAGES = {
    "subject list": "/clinic/",
    "trial page": "/clinic/trials/S000/pre/walk01",
    "comparison page": "/clinic/compare?a=S000/pre/walk01&b=S000/post/walk01&view=front",
}


def build_lab(lab: Path, n_subjects: int) -> None:
    from mocaplab.synthetic.footage import synthetic_subject
    from mocaplab.synthetic.lab import make_lab

    synthetic_subject(lab, "S000")
    make_lab(lab, subjects=tuple(f"S{i:03d}" for i in range(1, n_subjects + 1)),
             trials_per_session=1, duration_s=3.0)


def stats(ms: list[float]) -> tuple[float, float]:
    return float(np.median(ms)), float(np.percentile(ms, 90))


def browser_times(url: str, repeats: int) -> dict[str, list[float]]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1000"):
        opts.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="clinic-bench-chromium-")
    opts.add_argument(f"--user-data-dir={profile}")
    drv = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    out: dict[str, list[float]] = {}
    try:
        drv.set_page_load_timeout(120)
        drv.get(url + "/clinic/login")
        drv.find_element(By.ID, "token").send_keys(TOKEN)
        drv.find_element(By.ID, "login").click()
        for name, path in PAGES.items():
            drv.get(url + path)                       # warm-up
            times = []
            for _ in range(repeats):
                drv.get(url + path)
                times.append(drv.execute_script(
                    "const n = performance.getEntriesByType('navigation')[0];"
                    "return n.loadEventEnd - n.startTime;"))
            out[name] = times
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--subjects", type=int, default=40, help="metric-only subjects (default 40)")
    ap.add_argument("--repeats", type=int, default=30, help="loads per page (default 30)")
    ap.add_argument("--no-browser", action="store_true", help="server times only")
    args = ap.parse_args()

    from mocaplab.api import create_app
    from mocaplab.api.server import LoopbackServer

    with tempfile.TemporaryDirectory(prefix="clinic-bench-") as tmp:
        lab = Path(tmp)
        t0 = time.perf_counter()
        build_lab(lab, args.subjects)
        print(f"lab: {args.subjects + 1} subjects built in {time.perf_counter() - t0:.1f} s")
        app = create_app(lab, tokens={TOKEN: "clinician"})
        with LoopbackServer(app) as srv, httpx.Client(
                base_url=srv.url, headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=300) as client:
            t0 = time.perf_counter()
            r = client.get(PAGES["comparison page"])
            r.raise_for_status()
            print(f"comparison page, cold (makes the video): "
                  f"{1000 * (time.perf_counter() - t0):.0f} ms")
            server: dict[str, list[float]] = {}
            sizes: dict[str, int] = {}
            for name, path in PAGES.items():
                client.get(path).raise_for_status()
                times = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    r = client.get(path)
                    times.append(1000 * (time.perf_counter() - t0))
                    r.raise_for_status()
                server[name], sizes[name] = times, len(r.content)
            browser = {}
            if not args.no_browser:
                if shutil.which("chromium") and shutil.which("chromedriver"):
                    browser = browser_times(srv.url, args.repeats)
                else:
                    print("browser: chromium/chromedriver not installed, skipped")
    print(f"\n{'page':<18}{'HTML bytes':>11}{'server median':>15}{'server p90':>12}"
          f"{'browser median':>16}{'browser p90':>13}   (ms, {args.repeats} loads each)")
    for name in PAGES:
        sm, sp = stats(server[name])
        bm, bp = stats(browser[name]) if name in browser else (float("nan"),) * 2
        print(f"{name:<18}{sizes[name]:>11}{sm:>15.1f}{sp:>12.1f}{bm:>16.1f}{bp:>13.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
