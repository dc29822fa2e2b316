"""``nianbao series PATH...``: read the reports (directories too), build the series, print them."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from schemas.series import SeriesResult
from service.batch import discover
from service.gate import require_report
from service.narrative import NarrativeBackend
from service.pipeline import extract
from service.series.build import SeriesInput, build_series
from service.series.render import print_terminal, series_charts, write_csv

Failure = Callable[[str, Exception], dict[str, Any]]


def expand(paths: Sequence[str]) -> list[str]:
    """The files named: a directory stands for the files under it, as ``nianbao extract`` walks it."""
    return discover(paths)


def read_series(paths: Sequence[str], backend: NarrativeBackend | None, failure: Failure,
                err: TextIO, *, one_agency: bool = False) -> tuple[SeriesResult, bool]:
    """The series of the files; each file that fails writes ``failure``'s JSON line to ``err``. Also
    whether any failed."""
    inputs: list[SeriesInput] = []
    failed = False
    for path in expand(paths):
        try:
            data = Path(path).read_bytes()
            result = require_report(extract(data, source=path, narrative=backend))
        except Exception as exc:  # one bad file must not stop the others
            failed = True
            print(json.dumps(failure(path, exc), ensure_ascii=False), file=err, flush=True)
            continue
        inputs.append(SeriesInput.of(result, data))
    return build_series(inputs, one_agency=one_agency), failed


def run_series(paths: Sequence[str], backend: NarrativeBackend | None, *, fmt: str, charts: str | None,
               out: TextIO, err: TextIO, failure: Failure, one_agency: bool = False) -> int:
    """Print the series (``fmt``: terminal, json or csv) and write charts to the ``charts`` directory; the
    exit status (1 when a file failed)."""
    result, failed = read_series(paths, backend, failure, err, one_agency=one_agency)
    if fmt == "json":
        out.write(json.dumps(result.model_dump(mode="json"), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        write_csv(result, out)
    else:
        print_terminal(result, out)
    if charts:
        write_charts(result, Path(charts))
    out.flush()
    return 1 if failed else 0


def write_charts(result: SeriesResult, directory: Path) -> list[str]:
    """One SVG per agency and indicator, ``<directory>/<n>-<agency>/<indicator>.svg``; the paths written."""
    written = []
    for n, series in enumerate(result.series, start=1):
        folder = directory / f"{n:02d}-{_safe(series.agency)}"
        folder.mkdir(parents=True, exist_ok=True)
        for key, svg in series_charts(series).items():
            target = folder / f"{key}.svg"
            target.write_text(svg, encoding="utf-8")
            written.append(str(target))
    return written


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)[:40] or "agency"
