"""Decoding, normalisation, sections, version detection, metadata and not-a-report recognition."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.errors import DecodeError, EmptyInput
from service.meta import read_meta
from service.pipeline import extract
from service.sections import locate_sections
from service.text import decode, normalise
from service.version import detect_version

SAMPLE = (Path(__file__).parents[2] / "eval" / "samples" / "001_1eeed509761ddf3c.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
def test_decode_detects_every_supported_encoding(codec: str) -> None:
    text, used = decode(SAMPLE.encode(codec))
    assert text == SAMPLE
    assert used


def test_gbk_file_extracts_like_utf8() -> None:
    a = extract(SAMPLE.encode("gbk"))
    b = extract(SAMPLE)
    assert a.meta.encoding == "gb18030"
    assert a.to_flat() == b.to_flat()


def test_undecodable_and_empty_input_raise_clear_errors() -> None:
    with pytest.raises(DecodeError, match="UTF-8"):
        decode(b"\x80\xff\x80abc\xff")
    with pytest.raises(EmptyInput):
        decode(b"  \n ")
    with pytest.raises(EmptyInput):
        extract("   ")


def test_normalise_keeps_length_and_folds_width_spaces_and_page_marks() -> None:
    raw = "行政许可\u3000１２\r\n- 4 -\r\n第 3 页 共 9 页\n\u00a0－５"
    view = normalise(raw)
    assert len(view) == len(raw)
    assert "12" in view and "-5" in view
    assert "4" not in view and "3" not in view and "\r" not in view


def test_duplicated_section_is_counted_once_and_decoys_are_ignored() -> None:
    text = ("X镇人民政府2021年政府信息公开工作年度报告\n一、总体情况\n一、总体情况\n（一）主动公开\n"
            "二、主动公开政府信息情况\n规章\t0\t0\t0\n三、收到和处理政府信息公开申请情况\n"
            "三、本年度办理结果\t(一) 予以公开\t0\t0\t0\t0\t0\t0\t0\n四、结转下年度继续办理\t0\t0\t0\t0\t0\t0\t0\n"
            "五、存在的问题及下一步打算\n无\n")
    sections = locate_sections(normalise(text))
    assert [s.number for s in sections] == [1, 2, 3, 5]
    assert sections[0].occurrences == 2
    assert sections[2].end == text.index("五、")


def test_variant_titles_are_recognised() -> None:
    text = ("一、2019 年联财镇政府信息公开总体情况\n正文\n二、主动公开政府信息情况\n正文\n三、收到和处理政府信息公开申请情况\n"
            "正文\n四、因政府信息公开工作被申请行政复议、提起行政诉讼情况\n正文\n五、存在的主要问题及改进措施\n正文\n六、其他需要报告的事项\n")
    assert [s.number for s in locate_sections(text)] == [1, 2, 3, 4, 5, 6]


def test_version_is_judged_from_table_headers_before_the_cited_notice() -> None:
    assert detect_version("国办公开办函〔2021〕30号 本年新制作数量 本年新公开数量 对外公开总数量", 2021)[0] == "2019"
    assert detect_version("本年制发件数 本年废止件数", 2019)[0] == "2021"
    assert detect_version("国办公开办函〔2019〕60号", None)[0] == "2019"
    assert detect_version("没有表格", 2022)[0] == "2021"
    assert detect_version("没有表格", None) == (None, [])


@pytest.mark.parametrize(("title", "agency", "year"), [
    ("原州区人民政府办公室 2021 年政府信息公开工作年度报告", "原州区人民政府办公室", 2021),
    ("大章镇人民政府2021年政府信息公开工作年度报告", "大章镇人民政府", 2021),
    ("2022年度平罗县头闸镇政府信息公开工作年度报告", "平罗县头闸镇", 2022),
    ("首页 > 信息公开 > 某市生态环境局2020年政府信息公开工作年度报告", "某市生态环境局", 2020),
    ("某县人民政府二〇二一年政府信息公开工作年度报告", "某县人民政府", 2021),
    ("某市生态环境局政府信息公开工作年度报告（2021年度）", "某市生态环境局", 2021),
    ("某区人民政府办公室关于2022年度政府信息公开工作年度报告", "某区人民政府办公室", 2022),
])
def test_meta_reads_agency_and_year_from_the_title(title: str, agency: str, year: int) -> None:
    meta = read_meta(normalise(title + "\n电话：0951-1234567，邮箱 gk@example.gov.cn，网址 http://www.x.gov.cn"))
    assert (meta.agency, meta.year) == (agency, year)
    assert meta.agency_span is not None and title[meta.agency_span.start:meta.agency_span.end] == agency
    assert [p.value for p in meta.phone] == ["0951-1234567"]
    assert [e.value for e in meta.email] == ["gk@example.gov.cn"]
    assert [w.value for w in meta.website] == ["http://www.x.gov.cn"]


def test_text_that_is_not_an_annual_report_says_what_is_missing() -> None:
    result = extract("今天天气很好，我们去公园散步。晚上吃饺子。")
    assert not result.is_report
    assert "三、收到和处理政府信息公开申请情况" in result.not_found
    assert any("表三" in item for item in result.not_found)
    assert not result.facts and not result.problems


@pytest.mark.parametrize("data", [b"\xff\xfe\x41", b"\xef\xbb\xbf\xff\xfe", b"\xfe\xff\xd8\x00"])
def test_broken_bytes_after_a_bom_are_a_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError, match="byte-order mark"):
        decode(data)
