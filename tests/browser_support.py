"""Debian's Chromium driven by Selenium through Debian's chromedriver, for the review page's browser tests.

No browser is downloaded: the binary and the driver are the system's (``apt-get install chromium
chromium-driver``). Without them the tests are skipped, unless ``NIANBAO_REQUIRE_SYSTEM_TESTS=1`` (CI).
Screenshots go to ``$NIANBAO_ARTIFACTS`` (default ``/tmp/nianbao-artifacts``), never into the repo.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NIANBAO_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000"]


def artifacts_dir() -> Path:
    """Where screenshots and downloads of the browser tests are kept (CI artifacts, not committed)."""
    path = Path(os.environ.get("NIANBAO_ARTIFACTS", "/tmp/nianbao-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def require_browser() -> None:
    """Skip (or, in CI, fail) when Chromium, chromedriver or Selenium is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).exists() or shutil.which(p))]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e .[dev])")
    if missing:
        message = f"browser tests need {', '.join(missing)} (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("NIANBAO_REQUIRE_SYSTEM_TESTS") == "1":
            pytest.fail(f"{message}; NIANBAO_REQUIRE_SYSTEM_TESTS=1 requires it")
        pytest.skip(message)


@contextmanager
def chromium(downloads: Path | None = None, *, javascript: bool = True, args: tuple[str, ...] = (),
             logs: dict[str, str] | None = None) -> Iterator[Any]:
    """A headless Chromium with a fresh profile (plus ``args``), saving downloads into ``downloads``, keeping
    the ``logs`` asked for (``{"performance": "ALL"}``); always quit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="nianbao-chromium-")
    for flag in [*FLAGS, f"--user-data-dir={profile}", *args]:
        options.add_argument(flag)
    if logs:
        options.set_capability("goog:loggingPrefs", logs)
    prefs: dict[str, Any] = {"download.default_directory": str(downloads or profile),
                             "download.prompt_for_download": False}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
