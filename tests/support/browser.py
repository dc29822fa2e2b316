"""Whether the browser tests can run: Debian's Chromium, chromedriver and Selenium (testkit/browser.py drives them).

Without them the tests are skipped, unless ``NIANBAO_REQUIRE_SYSTEM_TESTS=1`` (CI) turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from testkit.browser import CHROMEDRIVER, CHROMIUM


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
