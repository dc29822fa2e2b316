"""Time reading report documents into data, side by side with poppler dumping the same PDFs' text.

    python bench/documents.py [--rounds N] [--json] [--out FILE] [FILES...]

Default files: the committed fixtures (tests/documents/fixtures: 12 PDFs printed by LibreOffice and
Chromium, 6 web pages, 6 Word files). For the PDFs, each round runs ``pdftotext -layout FILE -`` (a process,
as a user would) and ``nianbao``'s ``extract`` (in process: text layer, tables rebuilt from the ruling lines,
sections, tables, checks, narrative by the rules) on every file; the figure is the ratio of the medians of
the rounds' totals, in wall time and in CPU time (the child processes' user+system time for pdftotext, the
process's for nianbao: on a machine shared with other jobs, CPU time is the steadier of the two). For HTML
and DOCX, the median milliseconds per report of ``extract`` (wall and CPU).
"""

from __future__ import annotations

import argparse
import json
import resource
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


def _time(fn: Any) -> tuple[float, float]:
    """Wall and CPU milliseconds of ``fn()`` (CPU: this process's and its finished children's)."""
    def cpu() -> float:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    began, began_cpu = time.perf_counter(), cpu()
    fn()
    return (time.perf_counter() - began) * 1000, (cpu() - began_cpu) * 1000


def _total(timings: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(t[0] for t in timings), sum(t[1] for t in timings)


def run(files: list[Path], rounds: int) -> dict[str, Any]:
    """The timings: PDF totals per round (poppler and nianbao), and per-report medians for HTML and DOCX."""
    pdfs = [p for p in files if p.suffix == ".pdf" and p.stem != "encrypted"]
    data = {p: p.read_bytes() for p in files}
    for p in files:  # warm up: imports, fonts, caches
        if p.stem != "encrypted":
            extract(data[p], source=p.name)
    poppler: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    per_format: dict[str, list[tuple[float, float]]] = {"html": [], "docx": []}
    for _ in range(rounds):
        if pdfs and shutil.which("pdftotext"):
            poppler.append(_total([_time(lambda p=p: subprocess.run(["pdftotext", "-layout", str(p), "-"],
                                                                       check=True, capture_output=True))
                                   for p in pdfs]))
        ours.append(_total([_time(lambda p=p: extract(data[p], source=p.name)) for p in pdfs]))
        for p in files:
            fmt = "html" if p.suffix in (".html", ".htm") else p.suffix.lstrip(".")
            if fmt in per_format:
                per_format[fmt].append(_time(lambda p=p: extract(data[p], source=p.name)))
    doc: dict[str, Any] = {"pdf_files": len(pdfs), "rounds": rounds}
    for name, kind in (("wall", 0), ("cpu", 1)):
        theirs = statistics.median(t[kind] for t in poppler) if poppler else None
        mine = statistics.median(t[kind] for t in ours) if ours else None
        doc[f"pdftotext_layout_{name}_ms"] = round(theirs, 1) if theirs else None
        doc[f"nianbao_pdf_{name}_ms"] = round(mine, 1) if mine else None
        doc[f"ratio_{name}"] = round(mine / theirs, 2) if theirs and mine else None
        for fmt, values in per_format.items():
            doc[f"{fmt}_{name}_ms_per_report"] = round(statistics.median(v[kind] for v in values), 2) \
                if values else None
    return doc


def _table(doc: dict[str, Any]) -> None:
    for name in ("wall", "cpu"):
        print(f"PDF, {name} time ({doc['pdf_files']} files, median of {doc['rounds']} rounds): pdftotext -layout "
              f"{doc[f'pdftotext_layout_{name}_ms']} ms, nianbao extract {doc[f'nianbao_pdf_{name}_ms']} ms, "
              f"ratio {doc[f'ratio_{name}']}x")
    print(f"HTML per report: {doc['html_wall_ms_per_report']} ms wall, {doc['html_cpu_ms_per_report']} ms CPU; "
          f"DOCX per report: {doc['docx_wall_ms_per_report']} ms wall, {doc['docx_cpu_ms_per_report']} ms CPU")


def accuracy(pdfs: list[Path]) -> dict[str, Any]:
    """Numbered cells of the fixtures' gold read wrong or not at all: nianbao on the PDF, and the text path on
    what ``pdftotext -layout`` dumps (the way a user had to go before PDFs were read)."""
    sys.path.insert(0, str(ROOT / "tests" / "documents"))
    import make_fixtures  # the gold of each fixture is its sample's

    counts = {"cells": 0, "pdf_wrong": 0, "pdf_unread": 0, "pdftotext_wrong": 0, "pdftotext_unread": 0}
    for path in pdfs:
        gold = make_fixtures.gold(path.name.split("_")[0])["cells"]
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
        for name, result in (("pdf", extract(path.read_bytes(), source=path.name)),
                             ("pdftotext", extract(text, source=path.stem + ".txt"))):
            for key, value in gold.items():
                if value is None:
                    continue
                cell = result.cells[key]
                counts[f"{name}_wrong"] += cell.state == "number" and cell.value != value
                counts[f"{name}_unread"] += cell.state != "number"
        counts["cells"] += sum(1 for v in gold.values() if v is not None)
    return counts


def main() -> None:
    """Parse the arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--accuracy", action="store_true", help="instead: cells read wrong or not at all, "
                        "nianbao on the PDFs vs the text path on pdftotext -layout's text (fixtures r0*.pdf)")
    args = parser.parse_args()
    files = args.files or sorted(p for p in FIXTURES.iterdir() if p.suffix in (".pdf", ".html", ".docx"))
    if args.accuracy:
        print(json.dumps(accuracy([p for p in files if p.suffix == ".pdf" and p.name.startswith("r0")])))
        return
    emit(run(files, args.rounds), out=args.out, as_json=args.json, table=_table)


if __name__ == "__main__":
    main()
