"""How fast the review page is: rendering it on the server, and highlighting a value in the browser.

    python bench/review.py [--rounds 30] [--browser] [--json] [--out FILE]

Server: ``POST /review`` in-process (TestClient, rules backend) for each sample alone and for all five at
once; the milliseconds include extraction, the view model and the template. The page's size is reported too.
``--browser``: Debian's Chromium (headless, Selenium + chromedriver) loads the page of all five samples
(~1,000 linked values) and clicks every table value in turn; the time of each click's handler (highlight
and scroll) is measured inside the page with ``performance.now()``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import emit, percentile

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
SAMPLES = sorted((ROOT / "eval" / "samples").glob("*.txt"))

CLICK_ALL_JS = """
var times = [];
document.querySelectorAll('td.cell a.val[data-first]').forEach(function (el) {
  var t = performance.now(); el.click(); times.push(performance.now() - t);
});
return times;"""


def server(rounds: int) -> dict[str, Any]:
    """Median and p95 milliseconds of POST /review, per sample and for all samples at once."""
    from fastapi.testclient import TestClient

    from service.config import Settings
    from service.main import create_app

    out: dict[str, Any] = {}
    cases = {s.name[:3]: [s] for s in SAMPLES} | {"all five": SAMPLES}
    with TestClient(create_app(Settings(_env_file=None, backend="rules", api_keys=""))) as client:
        for name, files in cases.items():
            body = [("file", (f.name, f.read_bytes(), "text/plain")) for f in files]
            times, size = [], 0
            for n in range(rounds + 3):
                started = time.perf_counter()
                response = client.post("/review", files=body)
                elapsed = (time.perf_counter() - started) * 1e3
                assert response.status_code == 200, response.text[:300]
                size = len(response.content)
                if n >= 3:  # warm-up
                    times.append(elapsed)
            out[name] = {"median_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 95), 1),
                         "page_kb": round(size / 1024)}
    return out


def browser() -> dict[str, Any]:
    """Load the page of all samples in Chromium and time the click handler of every table value."""
    from browser_support import chromium
    from gateway_helpers import run_app
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as tmp, run_app(Path(tmp), {"NIANBAO_BACKEND": "rules"}) as app, \
            chromium(Path(tmp)) as driver:
        driver.get(app.url + "/")
        driver.find_element(By.ID, "file").send_keys("\n".join(str(p) for p in SAMPLES))
        started = time.perf_counter()
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        driver.find_element(By.ID, "source")
        loaded = driver.execute_script("return performance.getEntriesByType('navigation')[0].duration")
        wall = (time.perf_counter() - started) * 1e3
        times = driver.execute_script(CLICK_ALL_JS)
        values = driver.execute_script("return document.querySelectorAll('[data-start]').length")
    return {"values_on_page": values, "cells_clicked": len(times), "page_load_ms": round(loaded, 1),
            "submit_to_page_ms": round(wall, 1), "click_median_ms": round(statistics.median(times), 2),
            "click_p95_ms": round(percentile(times, 95), 2), "click_max_ms": round(max(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    machine = f"{platform.machine()} {platform.python_version()}"
    doc: dict[str, Any] = {"machine": machine, "server": server(args.rounds)}
    if args.browser:
        doc["browser"] = browser()

    def table(d: dict[str, Any]) -> None:
        print(f"POST /review (in-process, rules backend, {args.rounds} rounds) on {d['machine']}")
        for name, row in d["server"].items():
            print(f"  {name:9} median {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
                  f"page {row['page_kb']} KB")
        if "browser" in d:
            b = d["browser"]
            print(f"Chromium, all samples on one page: {b['values_on_page']} linked values, page load "
                  f"{b['page_load_ms']} ms; click on each of {b['cells_clicked']} cells: median "
                  f"{b['click_median_ms']} ms, p95 {b['click_p95_ms']} ms, max {b['click_max_ms']} ms")

    emit(doc, out=args.out, as_json=args.json, table=table)


if __name__ == "__main__":
    main()
