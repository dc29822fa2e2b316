"""What a reviewer opens: the workbook (--xlsx), CSV for Excel (--excel: BOM; --header zh), the error list,
--fail-on and --lang zh on the command line, and Chinese problem+json under Accept-Language: zh."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import settings
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from service.cli import main
from service.export import CSV_COLUMNS, ERROR_COLUMNS, csv_header, error_rows
from service.main import create_app
from service.pipeline import extract

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "eval" / "samples").glob("*.txt"))
CLEAN = ROOT / "eval" / "samples" / "004_bd56896d5bf88536.txt"
REPAIRED = ROOT / "eval" / "samples" / "002_c09c82378b8e7991.txt"  # its layout repair
SHEETS = ["汇总", "错误清单", "表二", "表三", "表四", "自述问题"]

pytestmark = pytest.mark.usefixtures("clean_env")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _miscounted(tmp_path: Path) -> Path:
    """Sample 004 with one 表三 cell changed: T3-columns and T3-results fail."""
    body = CLEAN.read_text(encoding="utf-8").replace("1. 属于国家秘密\t0\t0", "1. 属于国家秘密\t2\t0")
    path = tmp_path / "miscounted.txt"
    path.write_text(body, encoding="utf-8")
    return path


def _rows(sheet: object) -> list[dict[str, object]]:
    values = list(sheet.iter_rows(values_only=True))  # type: ignore[attr-defined]
    header = values[0]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


# ---- workbook --------------------------------------------------------------------------------------------

def test_the_workbook_has_its_six_sheets_and_a_row_per_report(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    book_path = tmp_path / "汇总.xlsx"
    paths = [str(p) for p in SAMPLES] + [str(_miscounted(tmp_path))]
    code, out, err = _run(capsys, "extract", *paths, "--xlsx", str(book_path))
    assert code == 0, err
    assert out == ""  # --xlsx alone writes nothing to stdout
    book = load_workbook(book_path)
    assert book.sheetnames == SHEETS

    summary = _rows(book["汇总"])
    assert [r["来源文件"] for r in summary] == paths
    verdicts = {Path(str(r["来源文件"])).stem: (r["verdict"], r["结论"]) for r in summary}
    assert verdicts["004_bd56896d5bf88536"] == ("pass", "通过")
    assert verdicts["000_5af3a546c32e05da"] == ("not_assessable", "无法完全核对")
    assert verdicts["miscounted"] == ("failed", "有错误")
    first = summary[1]  # sample 001: 19 new applications, 表四 reconsideration 5, litigation 1 + 5
    assert (first["单位"], first["年度"], first["本年新收申请"], first["行政复议总计"], first["行政诉讼总计"]) == \
        ("原州区人民政府办公室", 2021, 19, 5, 6)
    assert summary[-1]["未通过核对数"] == 2 and "≠" in str(summary[-1]["未通过的核对"])

    errors = _rows(book["错误清单"])
    assert list(errors[0]) == ERROR_COLUMNS
    wrong = [r for r in errors if r["来源文件"] == paths[-1] and r["类别"] == "核对未通过"]
    assert {r["编号"] for r in wrong} == {"T3-columns[denied.state_secret]", "T3-results[natural_person]"}
    row = next(r for r in wrong if r["编号"] == "T3-columns[denied.state_secret]")
    assert (row["表"], row["列"], row["报告值"], row["应为"], row["差额"]) == ("表三", "总计", 0, 2, -2)
    assert "1.属于国家秘密" in str(row["行"])
    assert row["规则"] == "表三（三）不予公开1.属于国家秘密：总计 0 ≠ 各申请人之和 2"
    assert str(row["原文"]).startswith("第75行：") and "属于国家秘密 2 0 0" in str(row["原文"])
    truncated = [r for r in errors if str(r["来源文件"]).endswith("000_5af3a546c32e05da.txt")]
    kinds = [r["类别"] for r in truncated]
    assert kinds[:3] == ["缺失"] * 3 and set(kinds[3:]) == {"无法核对"}  # what is missing first
    repaired = [r for r in errors if str(r["来源文件"]) == str(REPAIRED) and r["类别"] == "修复"]
    assert repaired and all("版式推断，无算术证明" in str(r["规则"]) for r in repaired)

    table3 = list(book["表三"].iter_rows(values_only=True))
    assert table3[0][:4] == ("来源文件", "单位", "年度", "格式版本")
    assert "表三/三、本年度办理结果/（一）予以公开/自然人" in table3[0]
    assert len(table3) == len(paths) + 1
    column = table3[0].index("表三/一、本年新收政府信息公开申请数量/总计")
    assert table3[2][column] == 19
    table4 = list(book["表四"].iter_rows(values_only=True))
    assert table4[1][4:] == ("缺失",) * (len(table4[0]) - 4)  # sample 000 has no 表四
    assert len(list(book["表二"].iter_rows())) == len(paths) + 1

    problems = _rows(book["自述问题"])
    assert len(problems) == sum(int(r["自述问题数"]) for r in summary)  # type: ignore[call-overload]
    assert all(p["自述问题"] and isinstance(p["行号"], int) for p in problems)


def test_repaired_cells_are_marked_in_the_workbook(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    book_path = tmp_path / "r.xlsx"
    assert _run(capsys, "extract", str(REPAIRED), "--xlsx", str(book_path))[0] == 0
    sheet = load_workbook(book_path)["表三"]
    header = [c.value for c in sheet[1]]
    result = extract(REPAIRED.read_bytes())
    repaired = [k for k, c in result.cells.items() if c.repaired]
    assert repaired
    from schemas.labels import label_zh

    for key in repaired:
        cell = sheet.cell(row=2, column=header.index(label_zh(key)) + 1)
        assert cell.comment is not None and "版式推断" in cell.comment.text
        assert cell.fill.fgColor.rgb.endswith("FFF2CC")


def test_error_list_quotes_lines_only_with_the_text() -> None:
    result = extract(CLEAN.read_text(encoding="utf-8").replace("1. 属于国家秘密\t0\t0", "1. 属于国家秘密\t2\t0"))
    assert all(r["原文"] == "" for r in error_rows(result))
    assert all(set(r) == set(ERROR_COLUMNS) for r in error_rows(result))


# ---- CSV -------------------------------------------------------------------------------------------------

def test_excel_csv_starts_with_a_bom_and_reads_back(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "extract", *map(str, SAMPLES), "--excel")
    assert code == 0 and out.startswith("\ufeff")
    assert out.encode("utf-8").startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(out.removeprefix("\ufeff"))))
    assert rows[0] == CSV_COLUMNS and len(rows) == len(SAMPLES) + 1
    code, out, _ = _run(capsys, "extract", *map(str, SAMPLES), "--csv")
    assert not out.startswith("\ufeff")


def test_csv_carries_the_verdict_counts_and_repaired_cells(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "extract", str(REPAIRED), str(CLEAN), "--csv")
    rows = [dict(zip(CSV_COLUMNS, r, strict=True)) for r in list(csv.reader(io.StringIO(out)))[1:]]
    assert rows[0]["verdict"] == "not_assessable" and rows[1]["verdict"] == "pass"
    assert int(rows[0]["counts.repaired.layout"]) > 0 == int(rows[1]["counts.cells_repaired"])
    assert json.loads(rows[0]["cells.repaired"]) and json.loads(rows[1]["cells.repaired"]) == []


def test_chinese_header(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "extract", str(CLEAN), "--excel", "--header", "zh")
    header = next(csv.reader(io.StringIO(out.removeprefix("\ufeff"))))
    assert header == csv_header("zh") and len(set(header)) == len(header) == len(CSV_COLUMNS)
    assert header[:4] == ["来源文件", "单位", "年度", "格式版本"]
    assert "表三/三、本年度办理结果/（一）予以公开/自然人" in header
    assert {"结论", "自述问题", "未通过的核对"} <= set(header)


# ---- --fail-on, --lang -----------------------------------------------------------------------------------

def test_fail_on(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    truncated = str(SAMPLES[0])
    assert _run(capsys, "extract", str(CLEAN), "--flat", "--fail-on", "not_assessable")[0] == 0
    assert _run(capsys, "extract", str(CLEAN), truncated, "--flat", "--fail-on", "not_assessable")[0] == 3
    assert _run(capsys, "extract", str(CLEAN), truncated, "--flat", "--fail-on", "failed")[0] == 0
    assert _run(capsys, "extract", str(_miscounted(tmp_path)), "--flat", "--fail-on", "failed")[0] == 3
    assert _run(capsys, "extract", str(_miscounted(tmp_path)), "--flat")[0] == 0


def test_an_unwritable_workbook_is_one_json_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "extract", str(CLEAN), "--xlsx", str(tmp_path / "no" / "such" / "dir.xlsx"))
    assert code == 1 and json.loads(err.strip())["error"] == "unwritable"


def test_lang_zh_failure_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("会议纪要\n今天讨论了三件事。\n", encoding="utf-8")
    code, out, err = _run(capsys, "extract", str(notes), "--lang", "zh")
    line = json.loads(err.strip())
    assert code == 1 and line["error"] == "not_a_report"
    assert line["message"].startswith("文本中既没有年度报告的六个部分") and "缺少" in line["message"]
    assert line["message_en"] and line["not_found"]


# ---- problem+json in Chinese ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings())) as c:
        yield c


@pytest.mark.parametrize("accept", ["zh-CN", "zh-CN,zh;q=0.9,en;q=0.8", "zh", "en;q=0.5, zh-Hans;q=0.9"])
def test_problems_in_chinese_under_accept_language_zh(client: TestClient, accept: str) -> None:
    response = client.post("/v1/extract", json={"text": "会议纪要：今天讨论了三件事。"},
                           headers={"Accept-Language": accept})
    body = response.json()
    assert response.status_code == 422 and body["code"] == "not_a_report"
    assert body["title"] == "不是年度报告" and body["detail"].startswith("文本中既没有")
    assert body["type"] == "urn:nianbao:problem:not_a_report" and body["detail_en"]


@pytest.mark.parametrize("accept", [None, "en-US,en;q=0.9", "fr", "zh;q=0.1, en"])
def test_problems_stay_english_otherwise(client: TestClient, accept: str | None) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    body = client.post("/v1/extract", json={"text": "会议纪要：今天讨论了三件事。"}, headers=headers).json()
    assert body["code"] == "not_a_report" and "detail_en" not in body and body["title"].isascii()


def test_validation_and_404_problems_in_chinese(client: TestClient) -> None:
    zh = {"Accept-Language": "zh-CN"}
    body = client.post("/v1/extract", json={"txt": "x"}, headers=zh).json()
    assert body["code"] == "invalid_request" and body["title"] == "请求无效"
    body = client.get("/nothing-here", headers=zh).json()
    assert body["code"] == "http_404" and "HTTP 404" in body["detail"]
    item = client.post("/v1/extract/batch", json={"items": [{"text": ""}]}, headers=zh).json()["results"][0]
    assert item["error"]["code"] == "empty_input" and item["error"]["title"] == "内容为空"


def test_results_carry_chinese_messages_and_the_verdict(client: TestClient) -> None:
    body = client.post("/v1/extract", json={"text": CLEAN.read_text(encoding="utf-8")}).json()
    assert body["verdict"] == "pass" and body["counts"]["checks_failed"] == 0
    assert all(c["message_zh"] for c in body["checks"])
    flat = client.post("/v1/extract?view=flat", json={"text": CLEAN.read_text(encoding="utf-8")}).json()
    assert flat["verdict"] == "pass" and flat["counts.checks_failed"] == 0


def test_report_text_cannot_break_or_script_the_workbook(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    body = CLEAN.read_text(encoding="utf-8").replace("1. 属于国家秘密\t0\t0", "1. 属于国家秘密\x0c\t2\t0")
    path = Path("=HYPERLINK(1).txt")  # a name Excel would run as a formula
    path.write_text(body, encoding="utf-8")
    book_path = tmp_path / "x.xlsx"
    code, _, err = _run(capsys, "extract", str(path), "--xlsx", str(book_path))
    assert code == 0, err
    book = load_workbook(book_path)
    source = book["汇总"]["A2"]
    assert source.data_type == "s" and source.value == str(path)
    errors = _rows(book["错误清单"])
    row = next(r for r in errors if r["编号"] == "T3-columns[denied.state_secret]")
    assert "\x0c" not in str(row["原文"]) and "属于国家秘密" in str(row["原文"])


def test_csv_names_the_failed_rules_in_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "extract", str(_miscounted(tmp_path)), "--csv")
    row = dict(zip(CSV_COLUMNS, list(csv.reader(io.StringIO(out)))[1], strict=True))
    assert "表三（三）不予公开1.属于国家秘密：总计 0 ≠ 各申请人之和 2" in json.loads(row["checks.failed_zh"])
    assert len(json.loads(row["checks.failed_zh"])) == len(json.loads(row["checks.failed"])) == 2
