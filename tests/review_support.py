"""Reading the review page's HTML in tests: the text of ``#source`` (and ``#source-N``), every element with a
span (``data-start``), every table cell (``data-cell``), and the data: URLs of the downloads."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from api_support import SAMPLES

from service.pipeline import extract

# The committed document cases (issue 10's readers): HTML, DOCX and PDF.
DOCUMENTS = sorted(p for p in (Path(__file__).parent.parent / "eval" / "cases").iterdir()
                   if p.suffix in (".html", ".docx", ".pdf"))
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    """One element of interest: its tag, attributes and text content."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    classes: set[str] = field(default_factory=set)


class Page(HTMLParser):
    """The parts of the page the tests check."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: dict[str, str] = {}
        self.spans: list[Element] = []
        self.cells: list[Element] = []
        self.links: list[Element] = []
        self._open: list[tuple[str, Element | None, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        values = {k: v or "" for k, v in attrs}
        element = Element(tag, values, classes=set(values.get("class", "").split()))
        interesting = "data-start" in values or "data-cell" in values or (tag == "a" and "download" in values)
        source = values["id"] if tag == "pre" and "source" in element.classes else None
        self._open.append((tag, element if interesting else None, source))
        if "data-start" in values:
            self.spans.append(element)
        if "data-cell" in values:
            self.cells.append(element)
        if tag == "a" and "download" in values:
            self.links.append(element)
        if source is not None:
            self.sources[source] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, _, _ = self._open.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element, source in self._open:
            if element is not None:
                element.text += data
            if source is not None:
                self.sources[source] += data

    def source(self, source_id: str = "source") -> str:
        """The text of a ``<pre>`` source as a browser reads it: the newline right after ``<pre>`` dropped."""
        text = self.sources[source_id]
        return text[1:] if text.startswith("\n") else text

    def source_of(self, element: Element) -> str:
        """The source text an element's span points into (its report's ``#source``/``#source-N``)."""
        match = re.match(r"r(\d+)-", element.attrs.get("data-first", "r0-"))
        index = int(match.group(1)) if match else 0
        return self.source("source" if index == 0 else f"source-{index + 1}")


def data_url_text(url: str) -> str:
    """The text a ``data:…;base64,…`` (or percent-encoded) URL holds."""
    head, _, body = url.partition(",")
    return base64.b64decode(body).decode("utf-8") if head.endswith(";base64") else unquote(body)


def tampered_sample() -> str:
    """Sample 004 with 表三's first new-received count raised by 1: the balance and column checks fail."""
    text = SAMPLES[4].read_text("utf-8")
    result = extract(text)
    span = result.cells["requests.new_received.natural_person"].span
    assert span is not None
    value = int(text[span.start:span.end])
    return text[:span.start] + str(value + 1) + text[span.end:]


AMBIGUOUS = ("某县人民政府2021年政府信息公开工作年度报告\n一、总体情况\n本年度工作有序推进。\n"
             "二、主动公开政府信息情况\n第二十条第（一）项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n"
             "规章\t0\t0\t0\n行政规范性文件\t3\t1\t12\n"
             "三、收到和处理政府信息公开申请情况\n(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\n"
             "一、本年新收政府信息公开申请数量11000011\n"
             "四、政府信息公开行政复议、行政诉讼情况\n行政复议\t行政诉讼\n结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n\n"
             "五、存在的主要问题及改进情况\n一是培训不足。\n六、其他需要报告的事项\n无。\n")


def _t3_line(label: str, values: list[int], run_together: bool = False) -> str:
    return label + ("".join(map(str, values)) if run_together else "\t" + "\t".join(map(str, values)))


# Three 表三 rows printed as digits run together, each 11|0 or 1|10: the column sums (13, 20) fit three
# arrangements, so no row is decided; each is unknown with two candidate readings.
_ZERO = [0] * 7
AMBIGUOUS_ROWS = "\n".join([
    "某局2022年政府信息公开工作年度报告", "一、总体情况", "无。", "三、收到和处理政府信息公开申请情况",
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况",
    _t3_line("一、本年新收政府信息公开申请数量", [13, 20, 0, 0, 0, 0, 33]),
    _t3_line("二、上年结转政府信息公开申请数量", _ZERO),
    _t3_line("三、本年度办理结果（一）予以公开", [11, 0, 0, 0, 0, 0, 11], run_together=True),
    _t3_line("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [1, 10, 0, 0, 0, 0, 11], run_together=True),
    *(_t3_line(label, _ZERO) for label in ("（三）不予公开1.属于国家秘密", "2.其他法律行政法规禁止公开",
                                           "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息",
                                           "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项")),
    _t3_line("（四）无法提供1.本机关不掌握相关政府信息", [1, 10, 0, 0, 0, 0, 11], run_together=True),
    *(_t3_line(label, _ZERO) for label in (
        "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确", "（五）不予处理1.信访举报投诉类申请", "2.重复申请",
        "3.要求提供公开出版物", "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息",
        "（六）其他处理1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他")),
    _t3_line("（七）总计", [13, 20, 0, 0, 0, 0, 33]),
    _t3_line("四、结转下年度继续办理", _ZERO),
    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "无。"])
