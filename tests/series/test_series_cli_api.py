"""``nianbao series`` and ``POST /v1/series``: the --json shape of the issue, CSV, terminal, charts, failures,
and the same series over HTTP (multipart files or JSON texts) with per-report problems and the item limit."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.api import NOT_A_REPORT, assert_problem, settings

from service.cli import main
from service.main import create_app
from service.series import build_series, page_data, series_html
from service.series.command import expand
from service.series.indicators import INDICATORS
from service.series.render import CSV_COLUMNS
from testkit.series import CARRIED_OVER, LIANCAI, XUANHE, YUANZHOU, as_year, sample, set_row


def _write_series(folder: Path) -> Path:
    """原州区 2020–2022 with 2021's 上年结转 tampered, 联财镇 2019 in a subfolder, and a file that is no report."""
    folder.mkdir()
    (folder / "y2020.txt").write_text(as_year(sample(YUANZHOU), 2020, 2021), "utf-8")
    (folder / "y2021.txt").write_text(set_row(sample(YUANZHOU), CARRIED_OVER, [1, 0, 0, 0, 0, 0, 1]), "utf-8")
    (folder / "y2022.txt").write_bytes(as_year(sample(YUANZHOU), 2022, 2021).encode("gb18030"))
    (folder / "other").mkdir()
    (folder / "other" / "liancai.txt").write_text(sample(LIANCAI), "utf-8")
    (folder / ".hidden.txt").write_text("never read", "utf-8")
    return folder


def test_directories_are_expanded(tmp_path: Path) -> None:
    folder = _write_series(tmp_path / "reports")
    assert [Path(p).name for p in expand([str(folder)])] == ["liancai.txt", "y2020.txt", "y2021.txt", "y2022.txt"]


def test_json_has_one_entry_per_agency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _write_series(tmp_path / "reports")
    (tmp_path / "notes.txt").write_text(NOT_A_REPORT, "utf-8")
    status = main(["series", str(folder), str(tmp_path / "notes.txt"), "--json"])
    out, err = capsys.readouterr()
    assert status == 1  # a file failed: it is on stderr, the others are read
    assert [json.loads(line)["error"] for line in err.splitlines()] == ["not_a_report"]
    body = json.loads(out)
    assert list(body) == ["series", "unplaced"]
    entries = {s["agency"]: s for s in body["series"]}
    assert set(entries) == {"原州区人民政府办公室", "隆德县联财镇"}
    yuanzhou = entries["原州区人民政府办公室"]
    assert yuanzhou["years"] == [2020, 2021, 2022]
    assert {"agency", "years", "checks", "repetition", "indicators", "gaps"} <= set(yuanzhou)
    failed = [(c["rule"], c["year"], c["id"]) for c in yuanzhou["checks"] if c["status"] == "fail"]
    assert failed == [("carry_over", 2021, "carry_over[natural_person]"), ("carry_over", 2021, "carry_over[total]")]
    assert [r["year"] for r in yuanzhou["repetition"]] == [2021, 2022]
    assert [row["year"] for row in yuanzhou["indicators"]] == [2020, 2021, 2022]
    assert yuanzhou["indicators"][0]["new_applications"] == 19
    assert entries["隆德县联财镇"]["years"] == [2019] and entries["隆德县联财镇"]["checks"] == []


def test_csv_and_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _write_series(tmp_path / "reports")
    assert main(["series", str(folder), "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == CSV_COLUMNS and len(rows) == 5
    yuanzhou = [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == "原州区人民政府办公室"]
    assert [r["year"] for r in yuanzhou] == ["2020", "2021", "2022"]
    assert yuanzhou[0]["disclosure_rate"] == str(round(10 / 19, 4))
    assert [r["repetition_share"] for r in yuanzhou] == ["", "1.0", "1.0"]
    assert [r["problems_never_fixed"] for r in yuanzhou] == ["", "3", "3"]
    assert [json.loads(r["checks_failed"]) for r in yuanzhou] == [
        [], ["carry_over[natural_person]", "carry_over[total]"], []]
    assert main(["series", str(folder), "--csv", "--one-agency"]) == 0
    assert {r[0] for r in list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]} == {"原州区人民政府办公室"}
    assert main(["series", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "原州区人民政府办公室" in out and "实质公开率" in out and "carry_over[total]" in out


def test_charts_are_svg_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _write_series(tmp_path / "reports")
    assert main(["series", str(folder), "--json", "--charts", str(tmp_path / "charts")]) == 0
    capsys.readouterr()
    written = sorted(p.relative_to(tmp_path / "charts").as_posix() for p in (tmp_path / "charts").rglob("*.svg"))
    assert len(written) == 2 * len(INDICATORS)
    svg = next((tmp_path / "charts").glob("*原州区*")).joinpath("disclosure_rate.svg").read_text("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "2021" in svg


def test_page_data_has_the_charts_of_each_agency(tmp_path: Path) -> None:
    from testkit.series import read

    result = build_series([read(sample(YUANZHOU), "a"), read(as_year(sample(YUANZHOU), 2022, 2021), "b")])
    body = page_data(result)
    charts = body["series"][0]["charts"]
    assert set(charts) == set(INDICATORS) and all("<svg" in svg for svg in charts.values())
    assert page_data(result) == body  # the same series draws the same SVG
    assert "charts" not in page_data(result, charts=False)["series"][0]
    # Years without any value (a truncated 表三, no 表四) draw empty charts, without a warning.
    empty = page_data(build_series([read(sample(XUANHE), "c")]))["series"][0]["charts"]
    assert set(empty) == set(INDICATORS)


def test_series_html_escapes_report_text() -> None:
    from schemas import Extraction, Meta
    from service.series import SeriesInput
    from testkit.series import read

    hostile = SeriesInput(Extraction(source="x", meta=Meta(agency="<script>alert(1)</script>", year=2020)), "")
    result = build_series([hostile, read(sample(YUANZHOU), "b")], one_agency=True)
    html = series_html(result)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('<img alt="') == len(INDICATORS) and html.count("data:image/svg+xml;base64,") == len(INDICATORS)
    assert re.findall(r"<style\b|\sstyle=|\son[a-z]+=|<script", html) == []
    assert '<table class="indicators">' in html and "实质公开率" in html and "52.6%" in html
    assert "<img" not in series_html(result, charts=False)


# --- HTTP ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings(batch_max_items=4, max_upload_bytes=200_000))) as c:
        yield c


def test_multipart_files_make_the_series(client: TestClient) -> None:
    files = [("file", ("y2021.txt", set_row(sample(YUANZHOU), CARRIED_OVER, [1, 0, 0, 0, 0, 0, 1]).encode())),
             ("file", ("y2020.txt", as_year(sample(YUANZHOU), 2020, 2021).encode("gb18030"))),
             ("file", ("notes.txt", NOT_A_REPORT.encode()))]
    response = client.post("/v1/series", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    [series] = body["series"]
    assert series["years"] == [2020, 2021] and [r["source"] for r in series["reports"]] == ["y2020.txt", "y2021.txt"]
    assert [c["id"] for c in series["checks"] if c["status"] == "fail"] == ["carry_over[natural_person]",
                                                                           "carry_over[total]"]
    assert [(f["index"], f["source"], f["error"]["code"]) for f in body["failures"]] == [(2, "notes.txt",
                                                                                         "not_a_report")]
    assert "charts" not in series
    files[0] = ("file", ("y2021.txt", sample(LIANCAI).replace("隆德县联财镇", "固原市原州区人民政府办公室").encode()))
    response = client.post("/v1/series?one_agency=true", files=files)
    assert [s["years"] for s in response.json()["series"]] == [[2019, 2020]]


def test_json_texts_and_charts(client: TestClient) -> None:
    items = [{"text": sample(YUANZHOU), "source": "a"}, {"text": as_year(sample(YUANZHOU), 2022, 2021), "source": "b"},
             {"text": "x" * 300_000, "source": "big"}]
    response = client.post("/v1/series?charts=true", json={"items": items, "options": {"narrative": False}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["years"] for s in body["series"]] == [[2021, 2022]]
    assert set(body["series"][0]["charts"]) == set(INDICATORS)
    assert [(f["source"], f["error"]["code"]) for f in body["failures"]] == [("big", "too_large")]


def test_the_request_as_a_whole_can_be_refused(client: TestClient) -> None:
    five = [("file", (f"{i}.txt", sample(YUANZHOU).encode())) for i in range(5)]
    assert_problem(client.post("/v1/series", files=five), 413, "too_many_items")
    assert_problem(client.post("/v1/series", json={"items": [{"text": "a"}] * 5}), 413, "too_many_items")
    assert_problem(client.post("/v1/series", content=b"abc", headers={"content-type": "text/plain"}), 415,
                   "unsupported_media_type")
    assert_problem(client.post("/v1/series", json={"items": []}), 422, "invalid_request")
    assert_problem(client.post("/v1/series", files=[("other", ("a.txt", b"x"))]), 422, "invalid_request")
    assert_problem(client.post("/v1/series", files=[("file", ("a.txt", b"x"))], data={"options": "{\"narrative\": 0}"}),
                   422, "invalid_options")


def test_the_documented_example_and_its_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from service.series.render import _cjk_font
    from testkit.processes import load_script

    example = load_script("series_example", Path(__file__).parents[2] / "scripts" / "series_example.py")
    assert example.run(tmp_path) == 0
    out = capsys.readouterr().out
    assert "72.0%" in out and "carry_over[total]" in out
    chart = next((tmp_path / "charts").glob("01-*")) / "disclosure_rate.svg"
    committed = Path(__file__).parents[2] / "docs" / "series-disclosure-rate.svg"
    if _cjk_font() is not None:  # drawn with the Chinese title, as committed
        assert chart.read_text("utf-8") == committed.read_text("utf-8")


def test_matplotlib_is_loaded_only_to_draw() -> None:
    import subprocess
    import sys

    code = ("import sys, service.cli, service.series.command, service.main; "
            "from service.series import build_series; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "False"


def test_the_route_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/series"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {p["name"] for p in operation["parameters"]} == {"charts", "one_agency"}
    assert {"200", "413", "415", "422"} <= set(operation["responses"])


def test_a_series_of_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """HTML, DOCX and PDF reports join text ones; passages point into the document's extracted text."""
    import shutil

    from service.pipeline import extract

    fixtures = Path(__file__).parents[1] / "documents" / "fixtures"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "y2020.txt").write_text(as_year(sample(YUANZHOU), 2020, 2021), "utf-8")
    for name in ("r001.docx", "r001_chrome.pdf"):
        shutil.copy(fixtures / name, folder / name)
    (folder / "y2022.html").write_bytes((fixtures / "r001.html").read_bytes().replace(b"2021", b"2022")
                                        .replace("2022〕30".encode(), "2021〕30".encode()))
    assert main(["series", str(folder), "--json"]) == 0
    [series] = json.loads(capsys.readouterr().out)["series"]
    assert series["years"] == [2020, 2021, 2022]
    [duplicate] = [g for g in series["gaps"] if g["kind"] == "duplicate_year"]
    assert duplicate["year"] == 2021 and {Path(s).name for s in duplicate["sources"]} == {"r001.docx",
                                                                                        "r001_chrome.pdf"}
    assert all(c["status"] == "pass" for c in series["checks"] if c["rule"] == "carry_over")
    # 2021 (the fixture's own short narrative) shares nothing with sample 001's 2020; 2022 copies 2021.
    share = {r["year"]: r["share"] for r in series["repetition"]}
    assert share[2021] == 0.0 and share[2022] == 1.0
    html = folder / "y2022.html"
    document = extract(html.read_bytes(), source=str(html)).document
    assert document is not None and document.text
    [rep] = [r for r in series["repetition"] if r["year"] == 2022]
    assert rep["passages"] and rep["problems_repeated"]
    for passage in rep["passages"]:
        assert document.text[passage["span"]["start"]:passage["span"]["end"]] == passage["text"]


def test_document_uploads_make_a_series(client: TestClient) -> None:
    fixtures = Path(__file__).parents[1] / "documents" / "fixtures"
    y2022 = (fixtures / "r001.html").read_bytes().replace(b"2021", b"2022").replace(
        "2022〕30".encode(), "2021〕30".encode())
    files = [("file", ("r001.docx", (fixtures / "r001.docx").read_bytes())),
             ("file", ("y2022.html", y2022, "text/html")),
             ("file", ("r001_lo.pdf", (fixtures / "r001_lo.pdf").read_bytes(), "application/pdf"))]
    response = client.post("/v1/series", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["failures"] == []
    [series] = body["series"]
    assert series["years"] == [2021, 2022]
    assert [g["kind"] for g in series["gaps"]] == ["duplicate_year"]
    assert [r["share"] for r in series["repetition"]] == [1.0]


def test_the_review_page_shows_the_series_of_several_files(client: TestClient) -> None:
    files = [("file", ("y2020.txt", as_year(sample(YUANZHOU), 2020, 2021).encode(), "text/plain")),
             ("file", ("y2021.txt", set_row(sample(YUANZHOU), CARRIED_OVER, [1, 0, 0, 0, 0, 0, 1]).encode(),
                       "text/plain"))]
    response = client.post("/review", files=files)
    assert response.status_code == 200, response.text
    html = response.text
    assert '<section class="nianbao-series">' in html and "跨年度对比" in html
    assert "carry_over[total]" in html and html.count("data:image/svg+xml;base64,") == len(INDICATORS)
    assert re.findall(r"<style\b|\sstyle=|\son[a-z]+=", html) == []  # the page's markup rules still hold
    one = client.post("/review", files=files[:1])
    assert one.status_code == 200 and "nianbao-series" not in one.text  # one report: no series
