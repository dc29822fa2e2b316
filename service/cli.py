"""The ``nianbao`` command.

    nianbao extract PATH... [--flat | --csv | --excel] [--header keys|zh] [--xlsx FILE] [--lang en|zh]
                            [--fail-on failed|not_assessable] [--backend rules|llm|hybrid]
    nianbao serve [--host HOST] [--port PORT] [--workers N] [--backend NAME] [--log-level LEVEL]
    nianbao eval [ARGS...]                     (the eval runner: ``nianbao eval --help``)
    nianbao series PATH... [--json | --csv] [--charts DIR] [--one-agency] [--backend NAME]
                                               (one agency across years: service/series/command.py)

``extract`` reads each PATH as bytes ("-" is stdin): a text file, a web page (.html), a Word file (.docx) or a PDF,
told apart by their magic bytes or extension. It writes to stdout one result per report, in input
order: the full result as one JSON line (default), the flat view as one JSON line (``--flat``), or a CSV
row under a header (``--csv``; ``--excel``: the same as UTF-8 with a BOM, ``--header zh``: Chinese column
names). ``--xlsx FILE`` also writes the workbook (汇总, 错误清单, 表二, 表三, 表四, 自述问题); alone, it
writes nothing to stdout. A file that cannot be read, cannot be decoded or is not an annual report
writes nothing to stdout; it gets one JSON line on stderr instead,
``{"source": PATH, "error": CODE, "message": ..., ...}``, and the others go on.
Exit status: 0 when every file was read, 1 when any failed, 2 for a usage or configuration error, and 3
when every file was read but, with ``--fail-on``, some report's verdict is that bad or worse.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from schemas import Extraction
from service.config import BACKENDS, Settings, is_loopback, open_access_refusal
from service.errors import NianbaoError
from service.export import CSV_COLUMNS, CsvExport, WorkbookExport, csv_row
from service.gate import require_report
from service.narrative import NarrativeBackend
from service.narrative.factory import make_backend
from service.pipeline import extract
from service.text import decode
from service.zh import error_zh

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_VERDICT = 0, 1, 2, 3
VERDICT_RANK = {"pass": 0, "not_assessable": 1, "failed": 2}
__all__ = ["CSV_COLUMNS", "csv_row", "main", "run_extract"]  # CSV_COLUMNS, csv_row: kept for old imports
_OVERRIDES = ("backend", "host", "port", "workers", "log_level")  # options that override NIANBAO_* settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["eval"]:
        return _eval(args_list[1:])  # its own argparse owns every option after "eval"
    args = _parser().parse_args(args_list)
    try:
        settings = Settings(**{k: v for k, v in vars(args).items() if k in _OVERRIDES and v is not None})
    except ValidationError as exc:
        print(f"nianbao: {'; '.join(str(e['msg']) for e in exc.errors())}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "serve":
        return _serve(settings, {k: v for k, v in vars(args).items() if k in _OVERRIDES and v is not None})
    try:
        backend = make_backend(settings.backend, settings)
    except NianbaoError as exc:
        print(f"nianbao: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    _utf8(sys.stdout)
    _utf8(sys.stderr)
    try:
        if args.command == "series":
            from service.series.command import run_series

            return run_series(args.paths, backend, fmt=args.format, charts=args.charts, out=sys.stdout,
                              err=sys.stderr, failure=_failure, one_agency=args.one_agency)
        return run_extract(args.paths, backend, fmt=args.format, out=sys.stdout, err=sys.stderr,
                           header=args.header, lang=args.lang, xlsx=args.xlsx, fail_on=args.fail_on)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as other Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    finally:
        close = getattr(backend, "close", None)  # the LLM backends hold an HTTP client
        if callable(close):
            close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao",
                                     description="Structured data from 政府信息公开工作年度报告.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{extract,serve,eval,series}")
    ext = sub.add_parser("extract", help="read reports into JSON Lines or CSV on stdout",
                         description="Read reports (text files in UTF-8, UTF-16 or GB18030/GBK, web pages, "
                         ".docx or PDF files) into JSON Lines or CSV on stdout; failures go to stderr as JSON lines, "
                         "exit status 1.")
    ext.add_argument("paths", nargs="+", metavar="PATH", help='report files ("-" reads stdin)')
    fmt = ext.add_mutually_exclusive_group()
    fmt.add_argument("--flat", dest="format", action="store_const", const="flat",
                     help="one flat JSON object per report (Extraction.to_flat)")
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv",
                     help="one CSV row per report, one column per canonical key of both format versions")
    fmt.add_argument("--excel", dest="format", action="store_const", const="excel",
                     help="--csv as UTF-8 with a BOM, so that Excel/WPS read the Chinese right")
    ext.set_defaults(format=None)
    ext.add_argument("--header", choices=("keys", "zh"), default="keys",
                     help="CSV column names: canonical keys (default) or the form's Chinese labels")
    ext.add_argument("--xlsx", metavar="FILE", help="also write a workbook: 汇总, 错误清单, 表二, 表三, 表四, 自述问题 "
                     "(alone, nothing goes to stdout)")
    ext.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the failure messages")
    ext.add_argument("--fail-on", choices=("failed", "not_assessable"),
                     help="exit 3 when a report's verdict is this or worse (failed > not_assessable > pass)")
    ext.add_argument("--backend", choices=BACKENDS,
                     help="narrative backend (default: NIANBAO_BACKEND or rules)")
    srv = sub.add_parser("serve", help="run the HTTP API (uvicorn)")
    srv.add_argument("--host", help="address to bind (default: NIANBAO_HOST or 127.0.0.1)")
    srv.add_argument("--port", type=int, help="port (default: NIANBAO_PORT or 8000)")
    srv.add_argument("--workers", type=int, help="worker processes (default: NIANBAO_WORKERS or 1)")
    srv.add_argument("--backend", choices=BACKENDS,
                     help="default narrative backend (default: NIANBAO_BACKEND or rules)")
    srv.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                     help="default: NIANBAO_LOG_LEVEL or info")
    _series_parser(sub)
    sub.add_parser("eval", add_help=False, help="score extractions against the labelled samples "
                   "(options: nianbao eval --help)")
    return parser


def _series_parser(sub: Any) -> None:
    ser = sub.add_parser("series", help="one agency across years: cross-year checks, repetition, indicators",
                         description="Group reports by agency, order them by year, and report the cross-year "
                         "checks, the repetition of last year's text, the indicators per year and the gaps.")
    ser.add_argument("paths", nargs="+", metavar="PATH", help="report files or directories of them")
    fmt = ser.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="format", action="store_const", const="json",
                     help='one JSON object: {"series": [...], "unplaced": [...]}')
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv",
                     help="the indicators, one row per agency and year")
    ser.set_defaults(format="terminal")
    ser.add_argument("--charts", metavar="DIR", help="write one SVG chart per agency and indicator under DIR")
    ser.add_argument("--one-agency", action="store_true",
                     help="the reports are one agency's, whatever their titles say (a name changed by a reform)")
    ser.add_argument("--backend", choices=BACKENDS,
                     help="narrative backend (default: NIANBAO_BACKEND or rules)")


def run_extract(paths: Sequence[str], backend: NarrativeBackend, *, fmt: str | None, out: TextIO, err: TextIO,
                header: str = "keys", lang: str = "en", xlsx: str | None = None, fail_on: str | None = None) -> int:
    """Extract each path, writing results to ``out`` and failures to ``err``; the exit status."""
    fmt = fmt or ("none" if xlsx else "full")
    writer = CsvExport(out, header="zh" if header == "zh" else "keys", bom=fmt == "excel") \
        if fmt in ("csv", "excel") else None
    book = WorkbookExport() if xlsx else None
    failed = worst = False
    for path in paths:
        try:
            data = _read(path)
            result = require_report(extract(data, source=path, narrative=backend))
        except Exception as exc:  # one bad file must not stop the others
            failed = True
            print(json.dumps(_failure(path, exc, lang), ensure_ascii=False), file=err, flush=True)
            continue
        worst = worst or (fail_on is not None and VERDICT_RANK[result.verdict] >= VERDICT_RANK[fail_on])
        if book is not None:
            book.add(result, _text_of(result, data))
        if writer is not None:
            writer.add(result.to_flat())
        elif fmt in ("flat", "full"):
            body = result.to_flat() if fmt == "flat" else result.model_dump(mode="json")
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
        out.flush()
    if book is not None and xlsx is not None:
        try:
            book.save(xlsx)
        except OSError as exc:  # a bad path must not end in a traceback: one JSON line, like a failed file
            reason = exc.strerror or str(exc)
            line = {"source": xlsx, "error": "unwritable", "message": f"cannot write {xlsx}: {reason}"}
            print(json.dumps(line, ensure_ascii=False), file=err, flush=True)
            return EXIT_FAILED
    return EXIT_FAILED if failed else EXIT_VERDICT if worst else EXIT_OK


def _text_of(result: Extraction, data: bytes) -> str:
    """The text the result's spans point into: the document's extracted text, else the decoded bytes."""
    if result.document is not None and result.document.text is not None:
        return result.document.text
    return decode(data)[0]


def _read(path: str) -> bytes:
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def _failure(path: str, exc: Exception, lang: str = "en") -> dict[str, Any]:
    """The stderr line for a file that failed: its code, what to do (in ``lang``), and the error's details."""
    line = _failure_en(path, exc)
    if lang == "zh":
        line["message_en"] = line["message"]
        line["message"] = error_zh(line["error"], line)[1]
    return line


def _failure_en(path: str, exc: Exception) -> dict[str, Any]:
    if isinstance(exc, NianbaoError):
        line: dict[str, Any] = {"source": path, "error": exc.code, "message": exc.message}
        for key, value in exc.detail.items():
            line.setdefault(key, value)  # details add to the three fixed members, never replace them
        return line
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return {"source": path, "error": "unreadable", "message": f"cannot read {path}: {reason}"}
    return {"source": path, "error": "internal_error", "message": f"{type(exc).__name__}: {exc}"}


def _serve(settings: Settings, overrides: dict[str, Any]) -> int:
    import uvicorn

    from service.api import workers
    from service.api.transport import HTTP_PROTOCOL
    from service.logs import configure_logging, logging_config

    configure_logging(settings.log_level, settings.log_format)
    refusal = open_access_refusal(settings, settings.host)
    if refusal:
        print(f"nianbao: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    if settings.auth == "off" and not is_loopback(settings.host):
        logging.getLogger("nianbao.app").warning(
            "NIANBAO_AUTH=off: serving on %s WITHOUT API keys; anyone who reaches this address can use the "
            "service and its LLM (keep it behind the gateway)", settings.host)
    server: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "log_level": settings.log_level.lower(),
        # uvicorn applies it in every worker; the app logs each request itself (access log off).
        "log_config": logging_config(settings.log_level, settings.log_format), "access_log": False,
        # X-Forwarded-For/-Proto are believed only from these addresses (the gateway).
        "proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips,
        # The path prefix (NIANBAO_ROOT_PATH) is applied by the app itself, so that a gateway may strip it
        # or not; uvicorn's root_path would prefix every path a second time.
        # TCP_NODELAY on every connection: without it, several workers add ~40 ms per keep-alive request.
        "http": HTTP_PROTOCOL,
        # Bounds for a client that reaches the app directly (it belongs behind the gateway, which has its
        # own): connections and requests at once, idle keep-alive, and (transport.py) the request timeout.
        "limit_concurrency": settings.limit_concurrency, "timeout_keep_alive": settings.timeout_keep_alive_s,
    }
    if settings.workers == 1:
        from service.main import create_app

        uvicorn.run(create_app(settings), **server)
        return EXIT_OK
    # Each worker process builds its own app from the environment: hand it what the flags changed.
    os.environ.update({f"NIANBAO_{name.upper()}": str(value) for name, value in overrides.items()})
    if workers.SUPPORTED:  # one socket per worker: connections spread evenly (see service/api/workers.py)
        return workers.serve_workers("service.main:create_app", settings.workers, **server)
    uvicorn.run("service.main:create_app", factory=True, workers=settings.workers, **server)
    return EXIT_OK


def _eval(argv: list[str]) -> int:
    from eval.runner import main as eval_main

    return eval_main(argv)


def _utf8(stream: TextIO) -> None:
    """Results are UTF-8 whatever the locale says (a C locale would otherwise fail on Chinese)."""
    if isinstance(stream, io.TextIOWrapper) and (stream.encoding or "").lower().replace("-", "") != "utf8":
        stream.reconfigure(encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
