"""/docs and /redoc work without the internet: headless Chromium, every host but 127.0.0.1 unresolvable,
and every request the page makes (Chrome's network log) stays on the app's own host.

Needs Debian's chromium and chromium-driver; skipped without them unless ``NIANBAO_REQUIRE_SYSTEM_TESTS=1``
(CI), which makes their absence a failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from browser_support import chromium, require_browser
from gateway_helpers import Proc, run_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    settings = {"NIANBAO_BACKEND": "rules", "NIANBAO_CACHE_URL": "off", "NIANBAO_LOG_FORMAT": "text"}
    with run_app(tmp_path_factory.mktemp("docs"), settings) as proc:
        yield proc


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_browser()
    # No name resolves but the loopback address: a CDN request would fail, and shows in the log.
    with chromium(args=("--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
                  logs={"performance": "ALL"}) as driver:
        yield driver


def _requested_urls(driver: object) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@pytest.mark.parametrize(("path", "rendered"), [
    ("/docs", ".swagger-ui .info .title"),   # Swagger UI drew the API's title from /openapi.json
    ("/redoc", "h1"),                        # Redoc drew it too
])
def test_docs_load_everything_from_the_app_itself(app: Proc, browser: object, path: str, rendered: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get_log("performance")  # type: ignore[attr-defined]  # drop what an earlier page logged
    driver.get(app.url + path)  # type: ignore[attr-defined]
    title = WebDriverWait(driver, 60).until(expected_conditions.visibility_of_element_located(
        (By.CSS_SELECTOR, rendered)))
    assert "nianbao" in title.text
    urls = _requested_urls(driver)
    assert any(u.endswith(".js") for u in urls) and any("openapi.json" in u for u in urls)
    off_host = [u for u in urls if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                and urlsplit(u).netloc != f"127.0.0.1:{app.port}"]
    assert off_host == []


def test_the_docs_pages_name_no_cdn(app: Proc) -> None:
    for path in ("/docs", "/redoc"):
        page = httpx.get(app.url + path).text
        assert "cdn.jsdelivr.net" not in page and "fonts.googleapis.com" not in page and "tiangolo" not in page
        assert "/static/docs/" in page
    assert httpx.get(app.url + "/static/docs/swagger-ui-bundle.js").status_code == 200
