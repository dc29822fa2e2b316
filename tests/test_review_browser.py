"""The review page in a real browser: Debian's Chromium (headless) through Selenium and chromedriver, against
``nianbao serve`` on a loopback port. Screenshots go to $NIANBAO_ARTIFACTS (default /tmp/nianbao-artifacts).

Load a sample, click a cell and see its printed value highlighted in the source; hover and keyboard focus;
every span of every sample checked in the DOM; a tampered report's failed checks outlined; an ambiguous row;
the CSV download; and the page with JavaScript off.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import SAMPLES
from browser_support import artifacts_dir, chromium, require_browser
from gateway_helpers import Proc, run_app
from review_support import AMBIGUOUS_ROWS, DOCUMENTS, tampered_sample

from service.cli import CSV_COLUMNS
from service.pipeline import extract
from service.text import decode

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # selenium's own, on some versions

# Every element with a span, with the text of the source it points into (read in the browser).
SPANS_JS = """
return Array.from(document.querySelectorAll('[data-start]')).map(function (el) {
  var pre = el.closest('.report').querySelector('pre.source');
  return [pre.id, el.getAttribute('data-key'), +el.getAttribute('data-start'), +el.getAttribute('data-end'),
          el.textContent];
});"""
SOURCES_JS = "var o = {}; document.querySelectorAll('pre.source').forEach(function (p) { o[p.id] = p.textContent; });" \
             " return o;"
HIGHLIGHT_JS = ("return Array.from(arguments[0].closest('.report').querySelectorAll('pre.source .hl'))"
                ".map(function (e) { return e.textContent; }).join('');")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    require_browser()
    with run_app(tmp_path_factory.mktemp("review-app"), {"NIANBAO_BACKEND": "rules"}) as proc:
        yield proc


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(app: Proc, downloads: Path) -> Iterator[Any]:
    with chromium(downloads) as driver:
        yield driver


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def _upload(driver: Any, app: Proc, *paths: Path) -> None:
    """Open the page, choose ``paths`` in the file input, submit, and wait for the report page."""
    by = _by()
    driver.get(app.url + "/")
    driver.find_element(by.ID, "file").send_keys("\n".join(str(p.resolve()) for p in paths))
    driver.find_element(by.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(lambda: driver.find_elements(by.CSS_SELECTOR, "pre.source") or driver.find_elements(by.CSS_SELECTOR,
                                                                                                ".failures"))


def _wait(condition: Any, seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the page")


def _shot(driver: Any, name: str) -> Path:
    path = artifacts_dir() / f"review-{name}.png"
    driver.save_screenshot(str(path))
    return path


def test_clicking_a_cell_highlights_exactly_its_printed_value(browser: Any, app: Proc) -> None:
    by = _by()
    sample = SAMPLES[1]
    _upload(browser, app, sample)
    result = extract(sample.read_bytes(), source=sample.name)
    for key in ("requests.new_received.total", "requests.unable.not_held.natural_person", "active.normative_documents.in_force",
                "review.reconsideration.total"):
        cell = result.cells[key]
        assert cell.span is not None
        element = browser.find_element(by.CSS_SELECTOR, f'a.val[data-key="{key}"]')
        element.click()
        highlighted = browser.execute_script(HIGHLIGHT_JS, element)
        assert highlighted == element.text == decode(sample.read_bytes())[0][cell.span.start:cell.span.end], key
        assert "active" in element.get_attribute("class")
        # The highlight is scrolled into the source pane's view.
        visible = browser.execute_script(
            "var s = arguments[0].closest('.report').querySelector('pre.source .hl'), p = s.closest('pre');"
            "var a = s.getBoundingClientRect(), b = p.getBoundingClientRect();"
            "return a.top >= b.top && a.bottom <= b.bottom;", element)
        assert visible, key
    # A fact's quote highlights the sentence it came from.
    quote = browser.find_element(by.CSS_SELECTOR, 'a.val[data-key^="facts."]')
    quote.click()
    assert browser.execute_script(HIGHLIGHT_JS, quote) == quote.text
    _shot(browser, "click")
    # No script error, no blocked resource, no policy violation on the page.
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_hovering_a_span_names_the_value_it_feeds_and_keyboard_focus_highlights(browser: Any, app: Proc) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    by = _by()
    _upload(browser, app, SAMPLES[2])
    value = browser.find_element(by.CSS_SELECTOR, 'a.val[data-key="requests.total.total"]')
    value.click()
    segment = browser.find_element(by.CSS_SELECTOR, "pre.source .ref.hl")
    ActionChains(browser).move_to_element(segment).perform()
    info = browser.find_element(by.CSS_SELECTOR, ".hover-info").text
    assert "（七）总计" in info and "总计" in info
    assert "requests.total.total" in (segment.get_attribute("data-refs") or "")
    linked = browser.find_elements(by.CSS_SELECTOR, "td.linked")
    assert [td.get_attribute("data-cell") for td in linked] == ["requests.total.total"]
    _shot(browser, "hover")
    # Clicking the span goes the other way: to the value it feeds.
    browser.find_element(by.CSS_SELECTOR, 'a.val[data-key="requests.new_received.total"]').click()
    segment = browser.find_element(by.CSS_SELECTOR, "pre.source .ref.hl")
    browser.execute_script("arguments[0].closest('.report').querySelectorAll('.active')"
                           ".forEach(function (e) { e.classList.remove('active'); });", segment)
    segment.click()
    assert browser.find_element(by.CSS_SELECTOR, "a.val.active").get_attribute("data-key") == \
        "requests.new_received.total"
    # Tab from one value to the next: the newly focused value's span is highlighted.
    first = browser.find_element(by.CSS_SELECTOR, 'a.val[data-key="requests.new_received.natural_person"]')
    browser.execute_script("arguments[0].focus()", first)
    ActionChains(browser).send_keys(Keys.TAB).perform()
    focused = browser.switch_to.active_element
    assert focused.get_attribute("data-key") == "requests.new_received.commercial"
    assert browser.execute_script(HIGHLIGHT_JS, focused) == focused.text
    assert browser.find_element(by.CSS_SELECTOR, ".hover-info").text.startswith("已高亮：表三/一、本年新收")


def test_every_span_of_every_sample_and_document_holds_its_value_in_the_dom(browser: Any, app: Proc) -> None:
    files = [*SAMPLES, *DOCUMENTS]
    _upload(browser, app, *files)
    sources = browser.execute_script(SOURCES_JS)
    expected = [decode(f.read_bytes())[0] if f.suffix == ".txt" else
                extract(f.read_bytes(), source=f.name).document.text for f in files]  # type: ignore[union-attr]
    assert [sources["source" if n == 0 else f"source-{n + 1}"] for n in range(len(files))] == expected
    spans = browser.execute_script(SPANS_JS)
    assert len(spans) > 1500
    for source_id, key, start, end, text in spans:
        assert sources[source_id][start:end] == text, (source_id, key)
    _shot(browser, "all-samples")


def test_a_failed_check_outlines_its_cells_and_shows_both_sides(browser: Any, app: Proc, tmp_path: Path) -> None:
    by = _by()
    report = tmp_path / "tampered.txt"
    report.write_text(tampered_sample(), encoding="utf-8")
    _upload(browser, app, report)
    result = extract(report.read_bytes())
    failed = [c for c in result.checks if c.status.value == "fail"]
    assert failed
    for check in failed:
        for key in check.left_keys + check.right_keys:
            td = browser.find_element(by.CSS_SELECTOR, f'td[data-cell="{key}"]')
            assert "fail" in td.get_attribute("class")
            assert td.value_of_css_property("outline-style") == "solid"
            assert td.value_of_css_property("outline-color") in ("rgb(197, 34, 31)", "rgba(197, 34, 31, 1)")
    item = browser.find_element(by.CSS_SELECTOR, ".failed-checks .check.fail")
    assert "≠" in item.text
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", item)
    _shot(browser, "failed-check-list")
    item.find_element(by.CSS_SELECTOR, "button.show-cells").click()
    marked = {td.get_attribute("data-cell") for td in browser.find_elements(by.CSS_SELECTOR, "td.check-hl")}
    assert marked == set(failed[0].left_keys + failed[0].right_keys)
    _shot(browser, "failed-check")
    # Focus mode: plain numbers fade, the failed cells stay.
    browser.find_element(by.CSS_SELECTOR, ".focus-toggle").click()
    plain = browser.find_element(by.CSS_SELECTOR, 'td[data-cell="requests.granted.total"]')
    failed_cell = browser.find_element(by.CSS_SELECTOR, f'td[data-cell="{failed[0].left_keys[0]}"]')
    assert float(plain.value_of_css_property("opacity")) < 0.5
    assert float(failed_cell.value_of_css_property("opacity")) == 1.0


def test_an_ambiguous_row_shows_unknown_cells_and_their_candidates(browser: Any, app: Proc, tmp_path: Path) -> None:
    by = _by()
    report = tmp_path / "ambiguous.txt"
    report.write_text(AMBIGUOUS_ROWS, encoding="utf-8")
    _upload(browser, app, report)
    warnings = [w for w in extract(AMBIGUOUS_ROWS).warnings if w.code == "ambiguous_row"]
    assert len(warnings) == 3 and all(len(w.candidates) == 2 for w in warnings)
    td = browser.find_element(by.CSS_SELECTOR, 'td[data-cell="requests.granted.natural_person"]')
    assert "st-unknown" in td.get_attribute("class") and "无法确定" in td.text
    assert [li.text for li in td.find_elements(by.CSS_SELECTOR, "ul.cands li")] == ["11", "1"]
    commercial = browser.find_element(by.CSS_SELECTOR, 'td[data-cell="requests.granted.commercial"]')
    assert [li.text for li in commercial.find_elements(by.CSS_SELECTOR, "ul.cands li")] == ["0", "10"]
    # The warning lists the readings as a table, one reading per row; the cell links to it.
    readings = browser.find_elements(by.CSS_SELECTOR, "ul.warnings table.readings")
    assert len(readings) == 3
    assert [tr.text.split() for tr in readings[0].find_elements(by.CSS_SELECTOR, "tbody tr")] == \
        [["1", "11", "0"], ["2", "1", "10"]]
    assert td.find_element(by.CSS_SELECTOR, "a.warn-link").get_attribute("href").endswith("#r0-warn-0")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", td)
    _shot(browser, "ambiguous")


def test_the_csv_download_holds_the_reports_row(browser: Any, app: Proc, downloads: Path) -> None:
    by = _by()
    sample = SAMPLES[3]
    _upload(browser, app, sample)
    link = browser.find_element(by.CSS_SELECTOR, ".report-head a.dl-csv")
    name = link.get_attribute("download")
    assert name == f"{sample.stem}.csv"
    target = downloads / name
    target.unlink(missing_ok=True)
    link.click()
    _wait(lambda: target.exists() and target.stat().st_size > 0 and not (downloads / f"{name}.crdownload").exists())
    header, row = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert header == CSV_COLUMNS
    flat = extract(sample.read_bytes(), source=sample.name).to_flat()
    got = dict(zip(header, row, strict=True))
    assert got["source"] == sample.name and got["meta.year"] == str(flat["meta.year"])
    for key in ("requests.new_received.total", "review.reconsideration.total", "active.regulations.made"):
        assert got[key] == ("" if flat[key] is None else str(flat[key])), key


def test_without_javascript_a_value_links_to_its_span(app: Proc, downloads: Path) -> None:
    by = _by()
    with chromium(downloads, javascript=False) as driver:
        _upload(driver, app, SAMPLES[4])
        element = driver.find_element(by.CSS_SELECTOR, 'a.val[data-key="requests.new_received.total"]')
        element.click()
        fragment = driver.execute_script("return location.hash.slice(1);")
        assert fragment == element.get_attribute("data-first")
        target = driver.find_element(by.ID, fragment)
        assert target.text == element.text
        assert target.value_of_css_property("background-color") == "rgba(255, 224, 102, 1)"  # :target
        _shot(driver, "no-js")


STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
              "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def test_the_page_works_under_a_strict_content_security_policy(downloads: Path) -> None:
    """The gateway's policy (no inline script or style): script and style still load, nothing is blocked."""
    import threading

    import uvicorn
    from api_support import settings
    from starlette.datastructures import MutableHeaders
    from support import free_port

    from service.main import create_app

    require_browser()
    app = create_app(settings())

    async def with_csp(scope: Any, receive: Any, send: Any) -> None:
        async def send_with_csp(message: Any) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Content-Security-Policy"] = STRICT_CSP
            await send(message)

        await app(scope, receive, send_with_csp)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(with_csp, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started)
        by = _by()
        with chromium(downloads) as driver:
            _upload(driver, Proc(None, port, Path("/dev/null")), SAMPLES[0])  # type: ignore[arg-type]
            value = driver.find_element(by.CSS_SELECTOR, 'a.val[data-key="requests.new_received.total"]')
            value.click()
            assert driver.execute_script(HIGHLIGHT_JS, value) == value.text  # the script ran
            source = driver.find_element(by.ID, "source")
            assert source.value_of_css_property("white-space") == "pre-wrap"  # the style sheet applied
            assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        server.should_exit = True
        thread.join(timeout=10)
