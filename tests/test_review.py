"""The review page through FastAPI's TestClient: the form, the page for each sample, spans that hold their
values, several files, failures shown on the page, API keys, and the markup rules (no inline script/style)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from api_support import NOT_A_REPORT, SAMPLES, settings
from fastapi.testclient import TestClient
from review_support import AMBIGUOUS, DOCUMENTS, Page, data_url_text, tampered_sample

from schemas import cell_keys
from schemas.keys import FACT_KEYS
from service.api.review.view import build_report
from service.cli import CSV_COLUMNS
from service.main import create_app
from service.pipeline import extract
from service.text import decode, normalise

BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8  # an image: no report, no document
BROKEN_PDF = b"%PDF-1.7\n\x00\x01\x02\x03" + bytes(range(256)) * 8


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings())) as c:
        yield c


def _post_files(client: TestClient, *files: tuple[str, bytes], **data: str) -> tuple[int, Page, str]:
    response = client.post("/review", files=[("file", (name, body, "text/plain")) for name, body in files],
                           data=data)
    assert response.headers["content-type"].startswith("text/html")
    return response.status_code, Page(response.text), response.text


def _assert_spans_hold(page: Page) -> int:
    """Every element with a span shows exactly the source's characters [data-start, data-end)."""
    for element in page.spans:
        start, end = int(element.attrs["data-start"]), int(element.attrs["data-end"])
        assert page.source_of(element)[start:end] == element.text, element.attrs
        assert element.attrs["data-key"]
    return len(page.spans)


def test_get_root_is_the_form(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<form method="post" action="review" enctype="multipart/form-data">' in html
    assert 'name="file" multiple' in html and 'name="text"' in html and 'lang="zh-CN"' in html
    assert 'name="api_key"' not in html  # no keys configured
    assert client.get("/review").status_code == 200


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name[:3])
def test_every_sample_renders_with_every_span_holding_its_printed_value(client: TestClient, sample) -> None:  # type: ignore[no-untyped-def]
    raw = sample.read_bytes()
    status, page, _ = _post_files(client, (sample.name, raw))
    assert status == 200
    text, _ = decode(raw)
    assert page.source() == text  # the source element's text is the decoded report, character for character
    result = extract(raw, source=sample.name)
    version = result.meta.format_version
    assert version is not None
    # Every canonical cell of the version is drawn once, with its state.
    drawn = [c.attrs["data-cell"] for c in page.cells]
    assert sorted(drawn) == sorted(cell_keys(version))
    states = {c.attrs["data-cell"]: c for c in page.cells}
    for key, cell in result.cells.items():
        assert f"st-{cell.state.value}" in states[key].classes, key
        if cell.repaired:
            assert "repaired" in states[key].classes and "修正" in states[key].text
    # Every number with a span is linked, and its link shows the printed form the reader read.
    linked = {e.attrs["data-key"]: e for e in page.spans if e.attrs["data-key"] in result.cells}
    for key, cell in result.cells.items():
        if cell.state.value == "number" and cell.span is not None:
            assert normalise(linked[key].text) == cell.raw, key
            assert (int(linked[key].attrs["data-start"]), int(linked[key].attrs["data-end"])) == \
                (cell.span.start, cell.span.end)
    facts = {e.attrs["data-key"] for e in page.spans if e.attrs["data-key"].startswith("facts.")}
    assert facts == {f"facts.{k}" for k, f in result.facts.items() if f.span is not None}
    assert _assert_spans_hold(page) >= sum(1 for c in result.cells.values() if c.span is not None)


def test_pasted_text_with_crlf_astral_characters_and_a_leading_newline_keeps_every_span(client: TestClient) -> None:
    text = "\r\n" + SAMPLES[1].read_text("utf-8").replace("\n", "\r\n").replace("一、总体情况", "𠀀𝄞一、总体情况", 1)
    response = client.post("/review", data={"text": text, "source": "粘贴"})
    assert response.status_code == 200, response.text[:500]
    assert "&#13;" in response.text and "\r" not in response.text.split('id="source"', 1)[1]
    page = Page(response.text)
    assert page.source() == text
    assert _assert_spans_hold(page) > 150


def test_several_files_give_one_article_each_and_one_csv_row_each(client: TestClient) -> None:
    status, page, html = _post_files(client, *((s.name, s.read_bytes()) for s in SAMPLES))
    assert status == 200
    assert set(page.sources) == {"source", *(f"source-{n}" for n in range(2, len(SAMPLES) + 1))}
    _assert_spans_hold(page)
    combined = next(link for link in page.links if link.attrs["download"] == "nianbao-results.csv")
    rows = list(csv.reader(io.StringIO(data_url_text(combined.attrs["href"]))))
    assert rows[0] == CSV_COLUMNS and [r[0] for r in rows[1:]] == [s.name for s in SAMPLES]
    # The per-report CSV is that report's row; its values are the flat view's.
    single = next(link for link in page.links if link.attrs["download"] == f"{SAMPLES[1].stem}.csv")
    header, row = list(csv.reader(io.StringIO(data_url_text(single.attrs["href"]))))
    flat = extract(SAMPLES[1].read_bytes(), source=SAMPLES[1].name).to_flat()
    assert dict(zip(header, row, strict=True))["requests.new_received.total"] == str(flat["requests.new_received.total"])
    jsonl = next(link for link in page.links if link.attrs["download"] == "nianbao-results.jsonl")
    assert len(data_url_text(jsonl.attrs["href"]).splitlines()) == len(SAMPLES)
    assert html.count('class="report"') == len(SAMPLES)


def test_a_bad_file_is_shown_as_its_problem_and_the_good_one_still_renders(client: TestClient) -> None:
    status, page, html = _post_files(client, ("notes.txt", NOT_A_REPORT.encode()), ("scan.png", BINARY),
                                     ("broken.pdf", BROKEN_PDF), (SAMPLES[0].name, SAMPLES[0].read_bytes()))
    assert status == 200
    assert 'role="alert"' in html and "not_a_report" in html and "not_text" in html and "corrupt_document" in html
    assert "notes.txt" in html and "scan.png" in html and "broken.pdf" in html
    assert list(page.sources) == ["source"]


@pytest.mark.parametrize(("files", "data", "status", "code"), [
    ([], {}, 422, "empty_input"),
    ([], {"text": "   "}, 422, "empty_input"),
    ([("notes.txt", NOT_A_REPORT.encode())], {}, 422, "not_a_report"),
    ([("scan.png", BINARY)], {}, 415, "not_text"),
    ([("broken.pdf", BROKEN_PDF)], {}, 422, "corrupt_document"),
    ([("x.txt", b"\xff\xfe\xfa" * 3 + bytes(range(0x80, 0x100)))], {}, 415, None),
    ([], {"text": SAMPLES[0].read_text("utf-8"), "backend": "oracle"}, 422, "invalid_options"),
])
def test_nothing_readable_is_an_error_page_with_the_problems_status(
        client: TestClient, files: list[tuple[str, bytes]], data: dict[str, str], status: int, code: str | None) -> None:
    response = client.post("/review", files=[("file", (n, b, "text/plain")) for n, b in files] or None,
                           data=data or {"text": ""})
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    if code:
        assert f"<code>{code}</code>" in response.text


def test_a_report_that_fails_its_checks_outlines_the_cells_and_shows_both_sides(client: TestClient) -> None:
    text = tampered_sample()
    response = client.post("/review", data={"text": text})
    page = Page(response.text)
    result = extract(text)
    failed = [c for c in result.checks if c.status.value == "fail"]
    assert failed
    outlined = {c.attrs["data-cell"] for c in page.cells if "fail" in c.classes}
    assert outlined == {k for c in failed for k in c.left_keys + c.right_keys}
    for check in failed:
        block = response.text.split(f'id="r0-chk-{check.id}"', 1)[1].split("</li>", 1)[0]
        assert "≠" in block and f'<b class="sum">{check.left}</b>' in block and f'<b class="sum">{check.right}</b>' in block


def test_candidate_readings_of_an_ambiguous_row_are_listed_in_its_cells() -> None:
    # Built by hand so that the drawing is tested whatever the reader fills in (Warning.candidates).
    result = extract(AMBIGUOUS).model_dump(mode="json")
    keys = [f"requests.new_received.{c}" for c in ("natural_person", "commercial", "research", "social_org",
                                                   "legal_service", "other_org", "total")]
    assert all(result["cells"][k]["state"] == "unknown" for k in keys)
    warning = next(w for w in result["warnings"] if w["code"] == "ambiguous_row")
    warning["candidates"] = [dict(zip(keys, [1, 1, 0, 0, 0, 0, 2], strict=True)),
                             dict(zip(keys, [11, 0, 0, 0, 0, 0, 11], strict=True))]
    view = build_report(result, AMBIGUOUS)
    cells = next(cells for form, cells, _ in view.tables if form.table == "requests")
    assert cells["requests.new_received.natural_person"].candidates == ["1", "11"]
    assert cells["requests.new_received.commercial"].candidates == ["1", "0"]
    assert view.warnings[0]["readings"] == [["1", "1", "0", "0", "0", "0", "2"], ["11", "0", "0", "0", "0", "0", "11"]]


def test_api_keys_guard_extraction_but_not_the_page() -> None:
    with TestClient(create_app(settings(api_keys="k-123,k-456"))) as c:
        form = c.get("/")
        assert form.status_code == 200 and 'name="api_key"' in form.text
        sample = SAMPLES[0].read_text("utf-8")
        missing = c.post("/review", data={"text": sample})
        assert missing.status_code == 401 and "<code>unauthorized</code>" in missing.text
        assert 'id="source"' not in missing.text
        assert c.post("/review", data={"text": sample, "api_key": "wrong"}).status_code == 401
        assert c.post("/review", data={"text": sample, "api_key": "k-456"}).status_code == 200
        assert c.post("/review", data={"text": sample}, headers={"X-API-Key": "k-123"}).status_code == 200
        assert c.post("/review", data={"text": sample}, headers={"Authorization": "Bearer k-123"}).status_code == 200
        assert c.get("/static/review/review.js").status_code == 200


def test_markup_keeps_every_script_and_style_in_static_files(client: TestClient) -> None:
    html = client.post("/review", files=[("file", (s.name, s.read_bytes(), "text/plain")) for s in SAMPLES[:2]]).text
    ids = re.findall(r'\sid="([^"]*)"', html)
    assert len(ids) == len(set(ids)) > 400  # every id once, across several reports
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert targets <= set(ids), targets - set(ids)  # every in-page link lands somewhere
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert re.findall(r"<style\b|\sstyle=|\son[a-z]+=", html) == []
    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []  # nothing from another origin (no CDN)
    for path in ("static/review/review.js", "static/review/review.css"):
        assert client.get(f"/{path}").status_code == 200


def test_static_files_and_form_follow_the_path_prefix() -> None:
    with TestClient(create_app(settings(root_path="/nianbao"))) as c:
        assert c.get("/nianbao/").status_code == 200
        assert c.get("/nianbao/static/review/review.css").status_code == 200
        response = c.post("/nianbao/review", data={"text": SAMPLES[0].read_text("utf-8")})
        assert response.status_code == 200 and 'id="source"' in response.text


def test_view_states_qualifiers_and_money_are_shown_as_the_result_says() -> None:
    result = extract(SAMPLES[3].read_bytes()).model_dump(mode="json")
    view = build_report(result, decode(SAMPLES[3].read_bytes())[0])
    cells = {k: v for _, cs, _ in view.tables for k, v in cs.items()}
    for key, cell in result["cells"].items():
        assert cells[key].state == cell["state"]
        if cell["state"] == "number":
            assert Decimal(cells[key].value or "nan") == Decimal(str(cell["value"]))
    assert {f["key"] for f in view.facts} <= set(FACT_KEYS)


def test_blank_and_not_applicable_cells_show_their_state_and_only_printed_marks_are_linked(client: TestClient) -> None:
    rows = ("| 项目 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n|---|---|---|---|---|---|---|---|\n"
            "| （七）总计 | 5 | / | — | 无 |  | 0 | 5 |\n")
    text = AMBIGUOUS.replace("一、本年新收政府信息公开申请数量11000011\n", rows)
    page = Page(client.post("/review", data={"text": text}).text)
    cells = {c.attrs["data-cell"]: c for c in page.cells}
    linked = {e.attrs["data-key"]: e.text for e in page.spans}
    assert "st-blank" in cells["requests.total.legal_service"].classes and "空白" in cells["requests.total.legal_service"].text
    assert "requests.total.legal_service" not in linked
    assert [linked[f"requests.total.{c}"] for c in ("commercial", "research", "social_org")] == ["/", "—", "无"]
    assert "不适用" in cells["requests.total.commercial"].text
    assert "st-missing" in cells["requests.carried_forward.total"].classes and "缺失" in cells["requests.carried_forward.total"].text
    _assert_spans_hold(page)


def test_verdict_and_counts_are_drawn_when_the_result_has_them() -> None:
    from service.api.review.routes import templates

    result = extract(SAMPLES[0].read_bytes(), source="a.txt").model_dump(mode="json")
    result["verdict"] = "failed"
    result["counts"] = {"checks": 42, "checks_failed": 1, "repaired_by_method": {"arithmetic": 2, "layout": 1}}
    view = build_report(result, decode(SAMPLES[0].read_bytes())[0])
    assert view.counts == [("核对数", "42"), ("未通过核对数", "1"), ("修复单元格数（算术证明）", "2"),
                           ("修复单元格数（版式推断，无算术证明）", "1")]
    html = templates.env.get_template("review.html").render(
        reports=[(view, {"csv": "", "json": "", "csv_name": "a.csv", "json_name": "a.json"})], failures=[],
        combined=None, fields={}, needs_key=False, backends=["rules"], default_backend="rules", max_upload_mb=10,
        max_files=20)
    assert 'class="verdict verdict-failed"' in html and "<strong>有错误</strong>" in html
    assert "<dt>修复单元格数（算术证明）</dt><dd>2</dd>" in html


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_each_form_is_a_rectangular_grid_holding_every_key_of_its_version_once_in_order(version: str) -> None:
    from service.api.review.forms import Head, forms

    keys: list[str] = []
    for form in forms(version):
        rows = form.head + [row for group in form.groups for row in group]
        taken: dict[tuple[int, int], bool] = {}  # the HTML table model: rowspans occupy slots below
        widths = []
        for r, row in enumerate(rows):
            c = 0
            for item in row:
                while taken.get((r, c)):
                    c += 1
                span = item.rowspan if isinstance(item, Head) else 1
                for dr in range(span):
                    for dc in range(item.colspan):
                        taken[(r + dr, c + dc)] = True
                c += item.colspan
                if not isinstance(item, Head):
                    keys.append(item.key)
            while taken.get((r, c)):
                c += 1
            widths.append(c)
        assert len(set(widths)) == 1, (form.table, widths)
    assert keys == cell_keys(version)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_an_upload_in_any_supported_encoding_shows_the_decoded_text(client: TestClient, encoding: str) -> None:
    text = SAMPLES[2].read_text("utf-8")
    status, page, _ = _post_files(client, ("报告.txt", text.encode(encoding)))
    assert status == 200 and page.source() == text
    assert _assert_spans_hold(page) > 150


@pytest.mark.parametrize("case", DOCUMENTS, ids=lambda p: p.suffix[1:])
def test_a_document_is_shown_with_its_extracted_text_and_every_span_holds_there(client: TestClient, case) -> None:  # type: ignore[no-untyped-def]
    data = case.read_bytes()
    status, page, html = _post_files(client, (case.name, data))
    assert status == 200, html[:500]
    result = extract(data, source=case.name).model_dump(mode="json")
    assert result["document"]["text"] and page.source() == result["document"]["text"]
    numbers = sum(1 for c in result["cells"].values() if c["state"] == "number" and c["span"])
    assert numbers > 100 and _assert_spans_hold(page) >= numbers
    assert "从文档中提取的文本" in html
    assert {"html": "网页（HTML）", "docx": "Word（DOCX）", "pdf": "PDF"}[result["document"]["format"]] in html


def test_repairs_name_their_cells_row_by_row_and_flag_a_layout_repair_as_unproved(client: TestClient) -> None:
    sample = SAMPLES[2]  # its split row is settled by the layout of the row above: no arithmetic proof
    html = client.post("/review", files={"file": (sample.name, sample.read_bytes(), "text/plain")}).text
    repairs = html.split('id="r0-repairs"', 1)[1].split("</section>", 1)[0]
    assert "（四）无法提供/1.本机关不掌握相关政府信息：自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他、总计" in repairs
    assert "无算术证明" in repairs


def test_a_degraded_narrative_says_which_backend_read_it_and_why() -> None:
    # No LLM endpoint is configured: asking for the LLM degrades to the rules, and the page says so.
    with TestClient(create_app(settings(client_backends="rules,llm"))) as c:
        response = c.post("/review", data={"text": SAMPLES[0].read_text("utf-8"), "backend": "llm"})
    assert response.status_code == 200
    narrative = response.text.split("叙述部分由谁读取", 1)[1].split("</section>", 1)[0]
    assert "<dd>规则（请求的是大模型）</dd>" in narrative
    assert '<strong class="degraded">是</strong>' in narrative


def test_the_page_counts_against_the_clients_quota_and_offers_only_its_backends() -> None:
    with TestClient(create_app(settings(quota_requests_per_min=1, client_backends="rules"))) as c:
        form = c.get("/").text
        assert '<option value="rules" selected>' in form and 'value="llm"' not in form
        text = SAMPLES[0].read_text("utf-8")
        assert c.post("/review", data={"text": text}).status_code == 200
        refused = c.post("/review", data={"text": text})
        assert refused.status_code == 429 and "<code>rate_limited</code>" in refused.text
    with TestClient(create_app(settings(client_backends="rules"))) as c:
        # A backend the client may not choose (sent by hand: the form does not offer it) is refused.
        denied = c.post("/review", data={"text": text, "backend": "hybrid"})
        assert denied.status_code == 403 and "<code>backend_not_allowed</code>" in denied.text
