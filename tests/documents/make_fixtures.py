"""Make the document fixtures: reports whose tables hold the samples' labelled values (eval/gold), written
as HTML (merged header cells, irregular spans), DOCX (python-docx, merged cells), PDF printed from that DOCX
by LibreOffice and from that HTML by headless Chromium.

    python tests/documents/make_fixtures.py [OUT_DIR]      (default: tests/documents/fixtures)

Every table cell's expected value is the gold's, so a test can check each cell of each format exactly.
``nasty=True`` adds the shapes real pages have: an empty spacer column, a value cell spanning two grid
columns under a two-column header, group labels merged down many rows, the header printed again in the
middle of the table, and 表三 cut into two tables with a page mark between them. ``r004_repeat`` prints
表三 large over several pages with its header repeated on each (rows broken across pages).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from generator import _ACTIVE_ROWS, _T3_LABELS  # noqa: E402

from schemas.keys import REQUEST_COLUMNS, REVIEW_BLOCKS, REVIEW_COLUMNS, request_rows  # noqa: E402

Cell = tuple[str, int, int]  # text, rowspan, colspan
Block = tuple[str, object]  # ("p", text) | ("table", rows) | ("break", None)
SAMPLES = {"r001": "001_1eeed509761ddf3c", "r003": "003_cf77e8731c91250a", "r004": "004_bd56896d5bf88536"}


def gold(name: str) -> dict[str, object]:
    """A sample's gold label."""
    return dict(json.loads((ROOT / "eval" / "gold" / f"{SAMPLES[name]}.json").read_text(encoding="utf-8")))


def _v(cells: dict[str, object], key: str) -> str:
    value = cells.get(key)
    return "" if value is None else str(value)


def active_table(cells: dict[str, object], version: str) -> list[list[Cell]]:
    """表二 as printed: each block's item heading, its header row, its rows (values spread over 3 columns)."""
    rows: list[list[Cell]] = []
    for title, header, items in _ACTIVE_ROWS[version]:
        heads = header.split("\t")
        rows.append([(title, 1, 4)])
        rows.append([(heads[0], 1, 1)] + [(h, 1, 1) for h in heads[1:-1]] + [(heads[-1], 1, 5 - len(heads))])
        for label, key, columns in items:
            values = [_v(cells, f"active.{key}.{c}") for c in columns]
            rows.append([(label, 1, 1)] + [(v, 1, 1) for v in values[:-1]] + [(values[-1], 1, 4 - len(values))])
    return rows


def request_header(nasty: bool) -> list[list[Cell]]:
    """表三's three header rows (the natural-person column two grid columns wide when nasty)."""
    wide = 2 if nasty else 1
    spacer = [("", 3, 1)] if nasty else []
    return [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), *spacer, ("申请人情况", 1, 6 + wide)],
        [("自然人", 2, wide), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [("商业企业", 1, 1), ("科研机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1), ("其他", 1, 1)],
    ]


def request_rows_printed(cells: dict[str, object], version: str, nasty: bool) -> list[list[list[Cell]]]:
    """表三's body rows, in parts: the second part starts where a page would break it (nasty only)."""
    keys = request_rows(version)
    groups: dict[str, int] = {}
    for row in keys:
        group = row.split(".")[0] if "." in row else None
        if group:
            groups[group] = groups.get(group, 0) + 1
    results = sum(1 for r in keys if r not in ("new_received", "carried_over", "carried_forward"))
    parts: list[list[list[Cell]]] = [[]]
    seen_groups: set[str] = set()
    for row in keys:
        group_label, item = _T3_LABELS[row]
        if row == "other.total":
            item = "（六）其他处理"
        values = [_v(cells, f"requests.{row}.{c}") for c in REQUEST_COLUMNS]
        printed: list[Cell] = []
        if row in ("new_received", "carried_over", "carried_forward"):
            printed.append((item, 1, 3))
        else:
            if row == "granted":
                printed.append((group_label or "", results, 1))
            group = row.split(".")[0] if "." in row else None
            if group:
                if group not in seen_groups:
                    seen_groups.add(group)
                    printed.append((_T3_LABELS[f"{group}." + row.split(".")[1]][0] or "", groups[group], 1))
                printed.append((item, 1, 1))
            else:
                printed.append((item, 1, 2))
        if nasty:
            printed.append(("", 1, 1))  # the spacer column
            printed.append((values[0], 1, 2))  # natural person: two grid columns, as its header
            printed += [(v, 1, 1) for v in values[1:]]
        else:
            printed += [(v, 1, 1) for v in values]
        if nasty and row == "unable.not_held":
            parts.append([])
        parts[-1].append(printed)
    return parts


def review_table(cells: dict[str, object]) -> list[list[Cell]]:
    """表四: two header levels over fifteen columns, then the one data row."""
    names = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [*[(n, 2, 1) for n in names], ("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        [*[(n, 1, 1) for n in names], *[(n, 1, 1) for n in names]],
        [(_v(cells, f"review.{b}.{c}"), 1, 1) for b in REVIEW_BLOCKS for c in REVIEW_COLUMNS],
    ]


def report(name: str, nasty: bool = False) -> list[Block]:
    """A whole report: title, the six sections with a little prose, and the three tables."""
    g = gold(name)
    meta, cells = g["meta"], g["cells"]
    assert isinstance(meta, dict) and isinstance(cells, dict)
    version, agency, year = meta["format_version"], meta["agency"], meta["year"]
    blocks: list[Block] = [
        ("p", f"{agency}{year}年政府信息公开工作年度报告"),
        ("p", "一、总体情况"),
        ("p", f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外。"),
        ("p", "二、主动公开政府信息情况"),
        ("table", active_table(cells, version)),
        ("p", "三、收到和处理政府信息公开申请情况"),
    ]
    header = request_header(nasty)
    parts = request_rows_printed(cells, version, nasty)
    if nasty:
        blocks.append(("table", header + parts[0][:2] + header + parts[0][2:]))  # the header again mid-table
        blocks += [("break", None), ("p", "- 3 -"), ("table", parts[1])]
    else:
        blocks.append(("table", header + parts[0]))
    blocks += [
        ("p", "四、政府信息公开行政复议、行政诉讼情况"),
        ("table", review_table(cells)),
        ("p", "五、存在的主要问题及改进情况"),
        ("p", "一是信息公开的及时性有待提高。二是政策解读的形式较为单一。下一步将加强培训，提升公开质量。"),
        ("p", "六、其他需要报告的事项"),
        ("p", "本年度未收取信息处理费。"),
    ]
    return blocks


def to_html(blocks: list[Block], *, title: str = "年度报告") -> str:
    """The report as a web page; tables with rowspan/colspan and borders (so a printed PDF has rules)."""
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title><style>"
           "body{font-family:'Noto Sans CJK SC',sans-serif;font-size:11px} table{border-collapse:collapse}"
           "td{border:1px solid #000;padding:2px 4px} .pb{break-after:page}</style></head><body>"]
    for kind, content in blocks:
        if kind == "p":
            out.append(f"<p>{escape(str(content))}</p>")
        elif kind == "break":
            out.append("<div class='pb'></div>")
        else:
            assert isinstance(content, list)
            out.append("<table>")
            for row in content:
                out.append("<tr>" + "".join(
                    f"<td{f' rowspan={rs}' if rs > 1 else ''}{f' colspan={cs}' if cs > 1 else ''}>{escape(t)}</td>"
                    for t, rs, cs in row) + "</tr>")
            out.append("</table>")
    out.append("</body></html>")
    return "".join(out)


def to_docx(blocks: list[Block], path: Path) -> None:
    """The report as a Word file written by python-docx; merged cells made with ``cell.merge``."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for kind, content in blocks:
        if kind == "p":
            document.add_paragraph(str(content))
        elif kind == "break":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            assert isinstance(content, list)
            placed = _place(content)
            n_rows = max(r + rs for r, _, rs, _, _ in placed)
            n_cols = max(c + cs for _, c, _, cs, _ in placed)
            table = document.add_table(rows=n_rows, cols=n_cols)
            table.style = "Table Grid"
            for r, c, rs, cs, text in placed:
                cell = table.cell(r, c)
                if rs > 1 or cs > 1:
                    cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
                cell.text = text
    document.save(str(path))


def big_repeated_header_docx(blocks: list[Block], path: Path) -> None:
    """The Word file with 16 pt table text and 表三's header rows marked to repeat on every page (w:tblHeader):
    printed, 表三 runs over several pages, its header printed again on each and rows broken across them."""
    import docx
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    to_docx(blocks, path)
    document = docx.Document(str(path))
    for row in document.tables[1].rows[:3]:
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(16)
    document.save(str(path))


def _place(rows: list[list[Cell]]) -> list[tuple[int, int, int, int, str]]:
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, rs, cs, text))
            taken |= {(rr, cc) for rr in range(r, r + rs) for cc in range(c, c + cs)}
            c += cs
    return out


def soffice_pdf(docx_path: Path, out: Path) -> None:
    """Print a .docx to PDF with LibreOffice headless (its own profile, so runs never share one)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
                        "pdf", "--outdir", tmp, str(docx_path)], check=True, capture_output=True, timeout=180)
        shutil.move(str(Path(tmp) / (docx_path.stem + ".pdf")), out)


def chromium_pdf(html_path: Path, out: Path) -> None:
    """Print a web page to PDF with headless Chromium."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp}", "--no-pdf-header-footer", f"--print-to-pdf={out}",
                        html_path.as_uri()], check=True, capture_output=True, timeout=180)


def encrypted_pdf(out: Path) -> None:
    """A one-paragraph PDF that needs a password to open (LibreOffice's PDF export encrypts it)."""
    import docx

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "encrypted.docx"
        document = docx.Document()
        document.add_paragraph("某县人民政府2021年政府信息公开工作年度报告")
        document.save(str(source))
        options = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                   '"DocumentOpenPassword":{"type":"string","value":"secret"}}')
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
                        options, "--outdir", tmp, str(source)], check=True, capture_output=True, timeout=180)
        shutil.move(str(Path(tmp) / "encrypted.pdf"), out)


def make(out: Path, *, pdfs: bool = True) -> list[Path]:
    """Write every fixture into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in SAMPLES:
        for nasty in (False, True):
            stem = f"{name}{'_nasty' if nasty else ''}"
            blocks = report(name, nasty)
            html_path, docx_path = out / f"{stem}.html", out / f"{stem}.docx"
            html_path.write_text(to_html(blocks), encoding="utf-8")
            to_docx(blocks, docx_path)
            written += [html_path, docx_path]
            if pdfs:
                soffice_pdf(docx_path, out / f"{stem}_lo.pdf")
                chromium_pdf(html_path, out / f"{stem}_chrome.pdf")
                written += [out / f"{stem}_lo.pdf", out / f"{stem}_chrome.pdf"]
    repeat = out / "r004_repeat.docx"
    big_repeated_header_docx(report("r004"), repeat)
    written.append(repeat)
    if pdfs:
        soffice_pdf(repeat, out / "r004_repeat_lo.pdf")
        written.append(out / "r004_repeat_lo.pdf")
        encrypted_pdf(out / "encrypted.pdf")
        written.append(out / "encrypted.pdf")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "fixtures"
    for path in make(target):
        print(path.relative_to(target.parent) if path.is_relative_to(target.parent) else path)
