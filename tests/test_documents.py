"""Documents in: HTML, DOCX and PDF read as the tables they are.

The fixtures (tests/documents/make_fixtures.py) print the samples' labelled tables (eval/gold) as a web page
with merged header cells, a Word file with merged cells, and PDFs printed from both by LibreOffice and
Chromium; the ``nasty`` ones add a spacer column, a value cell two grid columns wide under a two-column
header, the header printed again mid-table, and 表三 cut over two pages. Every cell must come back exactly,
with a span into the document's text that holds the number, and the grid cell it came from.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support import load_script

from schemas import CellState, Extraction
from service.documents import (
    CorruptDocument,
    DecompressedTooLarge,
    EncryptedDocument,
    NoTextLayer,
    TooManyPages,
    UnsupportedFormat,
    read_document,
    sniff_format,
)
from service.pipeline import extract

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "documents" / "fixtures"
make = load_script("make_fixtures", HERE / "documents" / "make_fixtures.py")
REPORTS = sorted(p.name for p in FIXTURES.iterdir() if p.stem.startswith("r0"))


def assert_cells_exact(result: Extraction, gold: dict[str, Any], *, pdf: bool) -> None:
    """Every labelled cell: the number (its span in the document's text holds it) or a printed blank."""
    assert result.document is not None and result.document.text is not None
    text = result.document.text
    for key, value in gold["cells"].items():
        cell = result.cells[key]
        if value is None:
            assert cell.state == CellState.blank, (key, cell)
            continue
        assert cell.state == CellState.number and cell.value == value, (key, value, cell)
        assert cell.span is not None and text[cell.span.start:cell.span.end] == str(value), (key, cell.span)
        assert cell.grid is not None, key
        if pdf:
            assert cell.grid.page is not None and cell.grid.bbox is not None and len(cell.grid.bbox) == 4
    assert all(info.source == "grid" and info.status == "found" for info in result.tables.values())
    assert result.meta.agency == gold["meta"]["agency"] and result.meta.year == gold["meta"]["year"]
    assert result.meta.format_version == gold["meta"]["format_version"]


@pytest.mark.parametrize("name", REPORTS)
def test_every_cell_of_every_fixture_comes_back_exactly(name: str) -> None:
    path = FIXTURES / name
    result = extract(path.read_bytes(), source=name)
    assert result.document is not None and result.document.format == path.suffix.lstrip(".")
    assert_cells_exact(result, make.gold(name.split("_")[0].split(".")[0]), pdf=path.suffix == ".pdf")
    assert not result.failed_checks() or result.source  # the checks ran on the numbers as printed
    assert result.facts and result.problems  # the prose is read from the document's text too


def test_pdf_cells_carry_their_page_and_box() -> None:
    result = extract((FIXTURES / "r001_nasty_lo.pdf").read_bytes(), source="r001_nasty_lo.pdf")
    pages = {c.grid.page for k, c in result.cells.items() if k.startswith("requests.") and c.grid is not None}
    assert len(pages) >= 2  # 表三 split over pages, joined into one table
    assert result.document is not None and result.document.pages and result.document.pages >= 3


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("NIANBAO_REQUIRE_SYSTEM_TESTS") == "1":
            pytest.fail(f"{tool} is not installed and NIANBAO_REQUIRE_SYSTEM_TESTS=1 requires it")
        pytest.skip(f"{tool} is not installed")


def test_the_generator_makes_pdfs_with_libreoffice_and_chromium(tmp_path: Path) -> None:
    """The committed fixtures can be made again: one PDF by each tool, read back exactly."""
    _require("soffice")
    _require("chromium")
    blocks = make.report("r004", nasty=True)
    html_path, docx_path = tmp_path / "r004.html", tmp_path / "r004.docx"
    html_path.write_text(make.to_html(blocks), encoding="utf-8")
    make.to_docx(blocks, docx_path)
    make.soffice_pdf(docx_path, tmp_path / "r004_lo.pdf")
    make.chromium_pdf(html_path, tmp_path / "r004_chrome.pdf")
    for name in ("r004_lo.pdf", "r004_chrome.pdf"):
        result = extract((tmp_path / name).read_bytes(), source=name)
        assert_cells_exact(result, make.gold("r004"), pdf=True)


# ---- formats: how the reader is chosen --------------------------------------------------------------------

PAGE = (FIXTURES / "r001.html").read_bytes()


def test_format_by_magic_content_type_or_extension() -> None:
    pdf, docx = (FIXTURES / "r001_lo.pdf").read_bytes(), (FIXTURES / "r001.docx").read_bytes()
    assert sniff_format(pdf) == "pdf" and sniff_format(docx) == "docx"  # magic bytes, no name
    assert sniff_format(pdf, filename="report.txt") == "pdf"  # the bytes win over a wrong name
    assert sniff_format(b"<p>hi</p>", content_type="text/html; charset=utf-8") == "html"
    assert sniff_format(b"plain words", filename="a.HTM") == "html"
    assert sniff_format(b"plain words", filename="a.txt") == "text"
    assert sniff_format(PAGE, filename="a.txt") == "html"  # a saved page named .txt is still markup
    assert sniff_format(PAGE) == "html"


@pytest.mark.parametrize(("data", "name", "advice"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "report.doc", ".docx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "report.wps", ".docx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "report.xls", "PDF"),
    (b"PK\x03\x04" + bytes(100) + b"xl/workbook.xml", "report.xlsx", "PDF"),
])
def test_unsupported_formats_say_what_to_convert_to(data: bytes, name: str, advice: str) -> None:
    with pytest.raises(UnsupportedFormat) as info:
        extract(data, source=name)
    assert info.value.code == "unsupported_format" and advice in info.value.message
    assert name.rsplit(".", 1)[1] in info.value.message


def test_html_fragment_and_text_plain_markup_are_read_as_html() -> None:
    fragment = PAGE.split(b"<body>", 1)[1].split(b"</body>", 1)[0]  # no html, head or body element
    result = extract(fragment, source="fragment")
    assert result.document is not None and result.document.format == "html"
    assert assert_none(result, make.gold("r001"))


def assert_none(result: Extraction, gold: dict[str, Any]) -> bool:
    assert_cells_exact(result, gold, pdf=False)
    return True


def test_report_kept_in_a_script_string_is_read() -> None:
    body = PAGE.decode("utf-8").split("<body>", 1)[1].split("</body>", 1)[0]
    page = ("<html><head><script>var reportContent = " + json.dumps(body) + ";</script></head>"
            "<body><div id='content'></div><script>document.getElementById('content').innerHTML = reportContent;"
            "</script></body></html>")
    result = extract(page.encode("utf-8"), source="page.html")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def test_gbk_web_page_is_decoded() -> None:
    page = PAGE.decode("utf-8").replace("charset='utf-8'", "charset='gbk'").encode("gb18030")
    result = extract(page, source="page.htm")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def test_layout_table_around_the_report_is_not_a_data_table() -> None:
    body = PAGE.decode("utf-8").split("<body>", 1)[1].split("</body>", 1)[0]
    page = f"<html><body><table><tr><td>导航</td></tr><tr><td>{body}</td></tr></table></body></html>"
    result = extract(page.encode("utf-8"), source="page.html")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def test_html_without_tables_is_read_from_its_text_with_a_warning() -> None:
    text = (HERE.parent / "eval" / "samples" / "001_1eeed509761ddf3c.txt").read_text(encoding="utf-8")
    page = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines()) + "</body></html>"
    result = extract(page.encode("utf-8"), source="page.html")
    assert "no_table" in {w.code for w in result.warnings}
    assert result.tables["requests"].source == "text" and result.tables["requests"].status == "found"
    assert result.document is not None and result.document.text is not None
    cell = result.cells["requests.new_received.total"]
    assert cell.span is not None and cell.value is not None
    assert result.document.text[cell.span.start:cell.span.end] == str(cell.value)


def test_html_with_tables_as_images_warns() -> None:
    page = ("<html><body><p>某县人民政府2021年政府信息公开工作年度报告</p><p>一、总体情况</p><p>本年度……</p>"
            "<p>二、主动公开政府信息情况</p><p><img src='t2.png'></p><p>三、收到和处理政府信息公开申请情况</p>"
            "<p><img src='t3.png'></p><p>四、政府信息公开行政复议、行政诉讼情况</p><p><img src='t4.png'></p>"
            "<p>五、存在的主要问题及改进情况</p><p>无。</p><p>六、其他需要报告的事项</p><p>无。</p></body></html>")
    result = extract(page.encode("utf-8"), source="page.html")
    assert "tables_as_images" in {w.code for w in result.warnings}
    assert all(c.state == CellState.missing for c in result.cells.values())


def test_plain_text_input_is_unchanged() -> None:
    data = (HERE.parent / "eval" / "samples" / "000_5af3a546c32e05da.txt").read_bytes()
    by_bytes, by_text = extract(data, source="x.txt"), extract(data.decode("utf-8"), source="x.txt")
    assert by_bytes.document is None and by_text.document is None
    assert by_bytes.cells == by_text.cells and all(c.grid is None for c in by_bytes.cells.values())


# ---- bad input: a stable code each, bounded cost --------------------------------------------------------

def _blank_pdf(pages: int) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842).close()
    buf = io.BytesIO()
    pdf.save(buf)
    pdf.close()
    return buf.getvalue()


def test_scanned_pdf_is_no_text_layer_not_an_empty_report() -> None:
    with pytest.raises(NoTextLayer) as info:
        extract(_blank_pdf(3), source="scan.pdf")
    assert info.value.code == "no_text_layer"


def test_two_thousand_page_pdf_is_refused_quickly() -> None:
    data = _blank_pdf(2000)
    began = time.perf_counter()
    with pytest.raises(TooManyPages) as info:
        read_document(data, filename="huge.pdf")
    assert time.perf_counter() - began < 5 and info.value.detail["limit_pages"] == 500


@pytest.mark.parametrize("name", ["r001_lo.pdf", "r001.docx"])
def test_truncated_files_are_corrupt_document(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    for cut in (len(data) // 2, 200):
        with pytest.raises(CorruptDocument) as info:
            read_document(data[:cut], filename=name)
        assert info.value.code == "corrupt_document"


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(EncryptedDocument) as info:
        read_document((FIXTURES / "encrypted.pdf").read_bytes(), filename="encrypted.pdf")
    assert info.value.code == "encrypted_document"


def test_docx_zip_bomb_is_refused_before_it_is_inflated() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b" " * 30_000_000 + b"</w:document>")
    with pytest.raises(DecompressedTooLarge) as info:
        read_document(buf.getvalue(), filename="bomb.docx")
    assert info.value.code == "decompressed_too_large"


# ---- the CLI and the API ------------------------------------------------------------------------------------

def test_cli_reads_documents_and_reports_document_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from service.cli import main

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(_blank_pdf(1))
    old = tmp_path / "old.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    code = main(["extract", str(FIXTURES / "r003.docx"), str(scan), str(old), "--flat"])
    out, err = capsys.readouterr()
    assert code == 1
    flat = json.loads(out.strip())
    assert flat["requests.total.total"] == make.gold("r003")["cells"]["requests.total.total"]
    errors = [json.loads(line) for line in err.strip().splitlines()]
    assert [(e["source"], e["error"]) for e in errors] == [(str(scan), "no_text_layer"), (str(old), "unsupported_format")]


@pytest.fixture(scope="module")
def client() -> Any:
    from fastapi.testclient import TestClient

    from service.config import Settings
    from service.main import create_app

    with TestClient(create_app(Settings(backend="rules", cache_url="off"))) as c:
        yield c


def test_api_multipart_pdf_docx_html(client: Any) -> None:
    for name, ctype in (("r001_chrome.pdf", "application/pdf"), ("r003.docx", "application/octet-stream"),
                        ("r004.html", "text/html")):
        response = client.post("/v1/extract", files={"file": (name, (FIXTURES / name).read_bytes(), ctype)})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["source"] == name and body["document"]["format"] == name.rsplit(".", 1)[1]
        gold = make.gold(name.split("_")[0].split(".")[0])
        assert body["cells"]["requests.total.total"]["value"] == gold["cells"]["requests.total.total"]


def test_api_raw_bodies_and_text_plain_markup(client: Any) -> None:
    pdf = client.post("/v1/extract?source=a", content=(FIXTURES / "r003_lo.pdf").read_bytes(),
                      headers={"content-type": "application/pdf"})
    assert pdf.status_code == 200 and pdf.json()["document"]["format"] == "pdf"
    page = client.post("/v1/extract", content=PAGE, headers={"content-type": "text/plain"})
    assert page.status_code == 200 and page.json()["document"]["format"] == "html"
    assert page.json()["tables"]["requests"]["source"] == "grid"


def test_api_document_errors_are_problems(client: Any) -> None:
    cases = [
        (("scan.pdf", _blank_pdf(1), "application/pdf"), 422, "no_text_layer"),
        (("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "application/msword"), 415, "unsupported_format"),
        (("cut.pdf", (FIXTURES / "r001_lo.pdf").read_bytes()[:5000], "application/pdf"), 422, "corrupt_document"),
        (("locked.pdf", (FIXTURES / "encrypted.pdf").read_bytes(), "application/pdf"), 422, "encrypted_document"),
    ]
    for file, status, code in cases:
        response = client.post("/v1/extract", files={"file": file})
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code


def test_api_batch_items_carry_files_as_base64(client: Any) -> None:
    items = [
        {"content_base64": base64.b64encode((FIXTURES / "r001.docx").read_bytes()).decode(), "filename": "r001.docx"},
        {"content_base64": base64.b64encode(_blank_pdf(1)).decode(), "filename": "scan.pdf"},
        {"text": (HERE.parent / "eval" / "samples" / "000_5af3a546c32e05da.txt").read_text(encoding="utf-8")},
        {"content_base64": "not base64!", "filename": "x.pdf"},
    ]
    response = client.post("/v1/extract/batch", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["ok"] and results[0]["result"]["document"]["format"] == "docx"
    assert results[0]["result"]["source"] == "r001.docx"
    assert not results[1]["ok"] and results[1]["error"]["code"] == "no_text_layer"
    assert results[2]["ok"] and results[2]["result"]["document"] is None
    assert not results[3]["ok"] and results[3]["error"]["code"] == "invalid_request"


# ---- hand-made grid shapes -------------------------------------------------------------------------------

def _page_with(tables: list[list[list[tuple[str, int, int]]]], name: str = "r001") -> bytes:
    """The report ``name`` as a web page whose three tables are replaced by ``tables`` (in 表三's place)."""
    blocks = [b for b in make.report(name) if b[0] != "table"]
    at = next(k for k, b in enumerate(blocks) if b[1] == "三、收到和处理政府信息公开申请情况")
    return make.to_html(blocks[:at] + [("table", t) for t in tables] + blocks[at:]).encode("utf-8")


def _tables(name: str = "r001") -> list[list[list[tuple[str, int, int]]]]:
    return [t for kind, t in make.report(name) if kind == "table"]  # type: ignore[misc]


def test_all_three_tables_in_one_grid() -> None:
    active, requests, review = _tables()
    one = active + [[("三、收到和处理政府信息公开申请情况", 1, 10)]] + requests + \
        [[("四、政府信息公开行政复议、行政诉讼情况", 1, 15)]] + review
    result = extract(_page_with([one]), source="one.html")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def test_header_in_one_table_body_in_the_next_and_one_row_per_table() -> None:
    active, requests, review = _tables()
    pieces = [requests[:3]] + [[row] for row in requests[3:]]  # header alone, then one table per row
    result = extract(_page_with([active, *pieces, review]), source="rows.html")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def test_header_and_body_disagree_on_spans() -> None:
    # 自然人 is one grid column wide with an empty header column after it, the data under it two wide;
    # 总计's values are printed as two cells, the number in the second.
    active, requests, review = _tables()
    header = [list(r) for r in requests[:3]]
    header[0][1] = ("申请人情况", 1, 9)
    header[1] = [("自然人", 2, 1), ("", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 2)]
    body = []
    for row in requests[3:]:
        labels = [c for c in row if not make_value(c[0])][: len(row) - 7]
        values = row[len(labels):]
        body.append(labels + [(values[0][0], 1, 2)] + list(values[1:6]) + [("", 1, 1), (values[6][0], 1, 1)])
    result = extract(_page_with([active, header + body, review]), source="disagree.html")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def make_value(text: str) -> bool:
    return text == "" or text.lstrip("-").isdigit()


def test_pdf_grid_drawn_as_one_path_is_found() -> None:
    """Some PDF writers draw a whole table's rules as one path of many segments (with a merged cell here)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from service.documents import pdf_grid as reader

    doc = pdfium.PdfDocument.new()
    page = doc.new_page(595, 842)
    path = raw.FPDFPageObj_CreateNewPath(100, 700)
    for y in (700, 680, 660, 640):  # four horizontal rules, x 100..400
        raw.FPDFPath_MoveTo(path, 100, y)
        raw.FPDFPath_LineTo(path, 400, y)
    for x in (100, 200, 300, 400):  # four vertical rules, y 640..700; the one at x=300 skips the top row
        raw.FPDFPath_MoveTo(path, x, 700 if x != 300 else 680)
        raw.FPDFPath_LineTo(path, x, 640)
    raw.FPDFPath_SetDrawMode(path, raw.FPDF_FILLMODE_NONE, True)
    raw.FPDFPage_InsertObject(page.raw, path)
    raw.FPDFPage_GenerateContent(page.raw)
    buf = io.BytesIO()
    doc.save(buf)
    reopened = pdfium.PdfDocument(buf.getvalue())
    first = reopened[0]
    tables = reader.find_tables(reader.ruling_lines(first, first.get_height()))
    assert len(tables) == 1
    table = tables[0]
    assert [round(x) for x in table.xs] == [100, 200, 300, 400] and len(table.ys) == 4
    spans = sorted((r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in table.boxes.values())
    assert spans.count((1, 2)) == 1 and spans.count((1, 1)) == 7  # the top row's last two cells are one


def test_docx_report_framed_in_a_layout_table() -> None:
    import docx

    inner = FIXTURES / "r001.docx"
    source = docx.Document(str(inner))
    framed = docx.Document()
    cell = framed.add_table(rows=1, cols=1).cell(0, 0)
    cell._tc.remove(cell.paragraphs[0]._p)
    for block in source.element.body.iterchildren():
        if block.tag.endswith(("}p", "}tbl")):
            cell._tc.append(block)
    buf = io.BytesIO()
    framed.save(buf)
    result = extract(buf.getvalue(), source="framed.docx")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def test_markdown_text_with_br_tags_stays_text() -> None:
    text = (HERE.parent / "eval" / "samples" / "000_5af3a546c32e05da.txt").read_text(encoding="utf-8")
    marked = text.replace("。", "。<br>", 8).encode("utf-8")
    assert sniff_format(marked, filename="r.txt") == "text" and sniff_format(marked) == "text"


def test_a_table_in_section_one_is_not_taken_for_a_statutory_table() -> None:
    decoy = [[("信息内容", 1, 1), ("本年发布数量", 1, 1)], [("行政许可", 1, 1), ("99", 1, 1)],
             [("规章", 1, 1), ("77", 1, 1)]]
    blocks = make.report("r001")
    at = next(k for k, b in enumerate(blocks) if b[1] == "二、主动公开政府信息情况")
    page = make.to_html(blocks[:at] + [("table", decoy)] + blocks[at:]).encode("utf-8")
    result = extract(page, source="decoy.html")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def test_word_saved_web_page_in_gb2312() -> None:
    """A page saved from Word: gb2312, conditional comments, every cell's text in <p class=MsoNormal><span>."""
    page = PAGE.decode("utf-8").replace("<meta charset='utf-8'>", "<meta http-equiv=Content-Type content='text/html; "
                                        "charset=gb2312'><!--[if gte mso 9]><xml><o:DocumentProperties>1 2 3"
                                        "</o:DocumentProperties></xml><![endif]-->")
    page = page.replace("<td>", "<td width=60 valign=top><p class=MsoNormal align=center><span lang=EN-US "
                        "style='font-size:10.5pt'>").replace("</td>", "<o:p></o:p></span></p></td>")
    result = extract(page.encode("gb18030"), source="word.htm")
    assert_cells_exact(result, make.gold("r001"), pdf=False)


def test_row_broken_over_a_page_either_way() -> None:
    """A row's label split between two tables (pages): values with the first half, or with the second."""
    from generator import _T3_LABELS

    from schemas.keys import REQUEST_COLUMNS, request_rows

    cells = make.gold("r001")["cells"]
    header = make.request_header(False)
    rows = []
    for row in request_rows("2021"):
        group, item = _T3_LABELS[row]
        rows.append([((group or "") + item, 1, 3), *[(make._v(cells, f"requests.{row}.{c}"), 1, 1) for c in REQUEST_COLUMNS]])
    blank = [("", 1, 1)] * 7
    k, j = request_rows("2021").index("denied.state_secret"), request_rows("2021").index("unable.not_held")
    first = header + rows[:k] + [[("（三）不予公开1.属于国", 1, 3), *rows[k][1:]]]  # values stay on page one
    second = [[("家秘密", 1, 3), *blank]] + rows[k + 1:j] + [[("（四）无法提供1.本机关不掌握", 1, 3), *blank]]
    third = [[("相关政府信息", 1, 3), *rows[j][1:]]] + rows[j + 1:]  # values moved to the next page
    active, _, review = _tables()
    result = extract(_page_with([active, first, second, third, review]), source="broken.html")
    for key, value in cells.items():
        if key.startswith("requests."):
            assert result.cells[key].value == value, key


def test_docx_with_tables_as_images_warns() -> None:
    import struct
    import zlib

    import docx

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))
    document = docx.Document()
    for line in ("某县人民政府2021年政府信息公开工作年度报告", "一、总体情况", "本年度……", "二、主动公开政府信息情况",
                 "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
                 "无。", "六、其他需要报告的事项", "无。"):
        document.add_paragraph(line)
        if line[0] in "二三四":
            document.add_picture(io.BytesIO(png))
    buf = io.BytesIO()
    document.save(buf)
    result = extract(buf.getvalue(), source="images.docx")
    assert "tables_as_images" in {w.code for w in result.warnings}
    assert result.document is not None and result.document.format == "docx"


def test_huge_spans_and_huge_tables_cost_bounded_time() -> None:
    spans = "<table>" + "<tr>" + "<td rowspan=100000 colspan=100000>1</td>" * 300 + "</tr>" * 300 + "</table>"
    wide = "<table>" + ("<tr>" + "<td>1</td>" * 2000 + "</tr>") * 150 + "</table>"
    for page in (spans, wide):
        began = time.perf_counter()
        doc = read_document(page.encode(), filename="x.html")
        assert time.perf_counter() - began < 10
        assert all(len(g.slots) * len(g.slots[0]) <= 200_000 for g in doc.grids)


def test_pdf_with_a_scanned_page_among_text_pages_warns() -> None:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument((FIXTURES / "r001_lo.pdf").read_bytes())
    page = doc.new_page(595, 842)  # a scanned page: an image and no text
    image = pdfium.PdfImage.new(doc)
    bitmap = pdfium.PdfBitmap.new_native(40, 40, pdfium.raw.FPDFBitmap_BGR)
    bitmap.fill_rect((255, 255, 255, 255), 0, 0, 40, 40)
    image.set_bitmap(bitmap)
    image.set_matrix(pdfium.PdfMatrix().scale(400, 600).translate(100, 100))
    page.insert_obj(image)
    page.gen_content()
    page.close()
    buf = io.BytesIO()
    doc.save(buf)
    result = extract(buf.getvalue(), source="mixed.pdf")
    assert "pages_without_text" in {w.code for w in result.warnings}
    assert_cells_exact(result, make.gold("r001"), pdf=True)
    clean = extract((FIXTURES / "r001_nasty_lo.pdf").read_bytes(), source="x.pdf")  # a page of empty rows
    assert "pages_without_text" not in {w.code for w in clean.warnings}


def test_report_pasted_in_a_pre_block_keeps_its_columns() -> None:
    from html import escape

    text = (HERE.parent / "eval" / "samples" / "001_1eeed509761ddf3c.txt").read_text(encoding="utf-8")
    page = f"<html><body><div class=nav>首页 &gt; 年报</div><pre>{escape(text)}</pre></body></html>".encode()
    by_page, by_text = extract(page, source="pre.html"), extract(text, source="x.txt")
    assert {k: (c.state, c.value) for k, c in by_page.cells.items()} == \
        {k: (c.state, c.value) for k, c in by_text.cells.items()}
    assert by_page.document is not None and by_page.document.text is not None
    cell = by_page.cells["requests.new_received.total"]
    assert cell.span is not None and by_page.document.text[cell.span.start:cell.span.end] == str(cell.value)


def test_docx_shape_text_is_read_once() -> None:
    """A text box is stored twice (mc:Choice for Word, mc:Fallback for old readers); its text counts once."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document(str(FIXTURES / "r001.docx"))
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    box = (f'<w:r {w} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:AlternateContent>'
           '<mc:Choice Requires="wps"><w:t>盒中文字</w:t></mc:Choice><mc:Fallback><w:t>盒中文字</w:t></mc:Fallback>'
           '</mc:AlternateContent></w:r>')
    document.paragraphs[0]._p.append(parse_xml(box))
    buf = io.BytesIO()
    document.save(buf)
    doc = read_document(buf.getvalue(), filename="box.docx")
    assert doc.text.count("盒中文字") == 1


def test_markup_bytes_named_txt_are_read_as_the_web_page_they_are() -> None:
    sample = (HERE.parent / "eval" / "samples" / "001_1eeed509761ddf3c.txt").read_text(encoding="utf-8")
    html = "<html><body><table>" + "".join(
        "<tr>" + "".join(f'<td width="120" colspan="1">{c}</td>' for c in line.split("\t")) + "</tr>"
        for line in sample.splitlines()) + "</table></body></html>"
    as_page, as_text = extract(html.encode("utf-8"), source="report.txt"), extract(sample, source="report.txt")
    assert as_page.document is not None and as_page.document.format == "html"
    assert not any(w.code == "markup_as_text" for w in as_page.warnings)
    numbers = {k: c.value for k, c in as_text.cells.items() if c.state == CellState.number}
    assert numbers and all(as_page.cells[k].value == v for k, v in numbers.items())
