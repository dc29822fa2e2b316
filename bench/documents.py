"""Time reading report documents into data, side by side with poppler dumping the same PDFs' text.

    python bench/documents.py [--rounds N] [--json] [--out FILE] [FILES...]

Default files: the committed fixtures (tests/documents/fixtures: 12 PDFs printed by LibreOffice and
Chromium, 6 web pages, 6 Word files). For the PDFs, each round runs ``pdftotext -layout FILE -`` (a process,
as a user would) and ``nianbao``'s ``extract`` (in process: text layer, tables rebuilt from the ruling lines,
sections, tables, checks, narrative by the rules) on every file; the figure is the ratio of the medians of
the rounds' totals. For HTML and DOCX, the median milliseconds per report of ``extract``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _common import emit  # noqa: E402

from service.pipeline import extract  # noqa: E402

FIXTURES = ROOT / "tests" / "documents" / "fixtures"


def _time(fn: Any) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


def run(files: list[Path], rounds: int) -> dict[str, Any]:
    """The timings: PDF totals per round (poppler and nianbao), and per-report medians for HTML and DOCX."""
    pdfs = [p for p in files if p.suffix == ".pdf" and p.stem != "encrypted"]
    data = {p: p.read_bytes() for p in files}
    for p in files:  # warm up: imports, fonts, caches
        if p.stem != "encrypted":
            extract(data[p], source=p.name)
    poppler: list[float] = []
    ours: list[float] = []
    per_format: dict[str, list[float]] = {"html": [], "docx": []}
    for _ in range(rounds):
        if pdfs and shutil.which("pdftotext"):
            poppler.append(sum(_time(lambda p=p: subprocess.run(["pdftotext", "-layout", str(p), "-"],
                                                                  check=True, capture_output=True)) for p in pdfs))
        ours.append(sum(_time(lambda p=p: extract(data[p], source=p.name)) for p in pdfs))
        for p in files:
            fmt = "html" if p.suffix in (".html", ".htm") else p.suffix.lstrip(".")
            if fmt in per_format:
                per_format[fmt].append(_time(lambda p=p: extract(data[p], source=p.name)))
    doc: dict[str, Any] = {"pdf_files": len(pdfs), "rounds": rounds,
                           "pdftotext_layout_ms": round(statistics.median(poppler), 1) if poppler else None,
                           "nianbao_pdf_ms": round(statistics.median(ours), 1) if ours else None}
    doc["ratio"] = round(doc["nianbao_pdf_ms"] / doc["pdftotext_layout_ms"], 2) if poppler and ours else None
    for fmt, values in per_format.items():
        doc[f"{fmt}_ms_per_report"] = round(statistics.median(values), 2) if values else None
    return doc


def _table(doc: dict[str, Any]) -> None:
    print(f"PDF ({doc['pdf_files']} files, median of {doc['rounds']} rounds): pdftotext -layout "
          f"{doc['pdftotext_layout_ms']} ms, nianbao extract {doc['nianbao_pdf_ms']} ms, ratio {doc['ratio']}x")
    print(f"HTML: {doc['html_ms_per_report']} ms per report; DOCX: {doc['docx_ms_per_report']} ms per report "
          "(median)")


def main() -> None:
    """Parse the arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    files = args.files or sorted(p for p in FIXTURES.iterdir() if p.suffix in (".pdf", ".html", ".docx"))
    emit(run(files, args.rounds), out=args.out, as_json=args.json, table=_table)


if __name__ == "__main__":
    main()
