"""The ``nianbao`` command.

    nianbao extract PATH... [--flat | --csv] [--backend rules|llm|hybrid] [--glob PATTERN] [--jobs N]
                    [--unordered] [-o FILE [--resume]] [--summary-json [FILE]]
    nianbao serve [--host HOST] [--port PORT] [--workers N] [--backend NAME] [--log-level LEVEL]
    nianbao eval [ARGS...]                     (the eval runner: ``nianbao eval --help``)

``extract`` reads each PATH as bytes ("-" is stdin; a directory is read recursively, see
``service.batch``) and writes one result per report, in input order (or as they finish, ``--unordered``),
to stdout or ``-o FILE``: the full result as one JSON line (default), the flat view as one JSON line
(``--flat``), or a CSV row under a header (``--csv``). ``--jobs N`` worker processes (default: the cores).
A file that cannot be read, cannot be decoded or is not an annual report writes no record; it gets one JSON
line on stderr instead, ``{"source": PATH, "error": CODE, "message": ..., ...}``, and the others go on.
Exit status: 0 when every file was read, 1 when any failed, 2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from schemas import FACT_KEYS, Extraction, cell_keys
from schemas.keys import TABLE_PREFIXES, table_of
from service import batch
from service.config import BACKENDS, Settings
from service.errors import NianbaoError
from service.narrative import NarrativeBackend
from service.narrative.factory import make_backend
from service.pool import Job

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
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
        return _extract(args, settings, backend)
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
    sub = parser.add_subparsers(dest="command", required=True, metavar="{extract,serve,eval}")
    ext = sub.add_parser("extract", help="read reports into JSON Lines or CSV on stdout",
                         description="Read reports (text files in UTF-8, UTF-16 or GB18030/GBK) into JSON "
                         "Lines or CSV on stdout; failures go to stderr as JSON lines, exit status 1.")
    ext.add_argument("paths", nargs="+", metavar="PATH",
                     help='report files, or directories read recursively ("-" reads stdin)')
    fmt = ext.add_mutually_exclusive_group()
    fmt.add_argument("--flat", dest="format", action="store_const", const="flat",
                     help="one flat JSON object per report (Extraction.to_flat)")
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv",
                     help="one CSV row per report, one column per canonical key of both format versions")
    ext.set_defaults(format="full")
    ext.add_argument("--backend", choices=BACKENDS,
                     help="narrative backend (default: NIANBAO_BACKEND or rules)")
    ext.add_argument("--glob", action="append", default=[], metavar="PATTERN",
                     help="in directories, only files matching PATTERN (the name, or the path below the "
                     "directory when PATTERN has a '/'); repeatable")
    ext.add_argument("--jobs", "-j", type=_positive, metavar="N",
                     help="worker processes (default: the number of cores; 1 runs in this process)")
    ext.add_argument("--unordered", action="store_true",
                     help="write records as they finish, not in input order")
    ext.add_argument("-o", "--output", metavar="FILE", help="write the records to FILE (one flushed append "
                     "per record) instead of stdout")
    ext.add_argument("--resume", action="store_true",
                     help="with -o: skip the sources FILE already holds and append the others")
    ext.add_argument("--summary-json", nargs="?", const="-", metavar="FILE",
                     help="write the run's summary as JSON to FILE (no FILE: one line on stderr)")
    srv = sub.add_parser("serve", help="run the HTTP API (uvicorn)")
    srv.add_argument("--host", help="address to bind (default: NIANBAO_HOST or 127.0.0.1)")
    srv.add_argument("--port", type=int, help="port (default: NIANBAO_PORT or 8000)")
    srv.add_argument("--workers", type=int, help="worker processes (default: NIANBAO_WORKERS or 1)")
    srv.add_argument("--backend", choices=BACKENDS,
                     help="default narrative backend (default: NIANBAO_BACKEND or rules)")
    srv.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                     help="default: NIANBAO_LOG_LEVEL or info")
    sub.add_parser("eval", add_help=False, help="score extractions against the labelled samples "
                   "(options: nianbao eval --help)")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _extract(args: argparse.Namespace, settings: Settings, backend: NarrativeBackend) -> int:
    """``nianbao extract``: the batch of the PATHs, its summary; the exit status."""
    if args.resume and not args.output:
        print("nianbao: --resume needs -o FILE (the output to resume)", file=sys.stderr)
        return EXIT_USAGE
    fmt = FORMATS[args.format]
    sources = batch.discover(args.paths, args.glob, exclude=args.output)
    try:
        sink = batch.OutputFile(args.output, fmt, resume=args.resume) if args.output else \
            batch.StreamOutput(sys.stdout, fmt)
    except batch.BatchError as exc:
        print(f"nianbao: cannot resume {args.output}: {exc}; give a file this command wrote with the same "
              "output options, or another -o FILE", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"nianbao: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        job = Job(fmt, settings.backend, settings, backend=backend)
        summary = batch.run_batch(sources, job, sink, sys.stderr, jobs=args.jobs or batch.default_jobs(),
                                  unordered=args.unordered, progress=sys.stderr.isatty())
    except KeyboardInterrupt:
        rest = f"; the records so far are in {args.output}: add --resume to read only the rest" if args.output else ""
        print(f"nianbao: interrupted{rest}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sink.close()
    if sys.stderr.isatty():
        print(summary.line(), file=sys.stderr)
    if args.summary_json:
        text = json.dumps(summary.to_dict(), ensure_ascii=False)
        if args.summary_json == "-":
            print(text, file=sys.stderr, flush=True)
        else:
            Path(args.summary_json).write_text(text + "\n", encoding="utf-8")
    return EXIT_FAILED if summary.failed else EXIT_OK


_JSON = json.JSONEncoder(ensure_ascii=False)  # what json.dumps(..., ensure_ascii=False) makes on every call


def _encode_full(result: Extraction) -> str:
    return _JSON.encode(result.model_dump(mode="json")) + "\n"


def _encode_flat(result: Extraction) -> str:
    return _JSON.encode(result.to_flat()) + "\n"


def _encode_csv(result: Extraction) -> str:
    return _csv_line(csv_row(result.to_flat()))


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(fields)
    return buffer.getvalue()


def _csv_columns() -> list[str]:
    """source, meta.*, each table's 2021 keys then its 2019-only keys, facts, problems, failed checks."""
    cells_2021, cells_2019 = cell_keys("2021"), cell_keys("2019")
    cells = [k for table in TABLE_PREFIXES for k in
             [*(k for k in cells_2021 if table_of(k) == table),
              *(k for k in cells_2019 if table_of(k) == table and k not in cells_2021)]]
    facts = [col for key in FACT_KEYS for col in (f"facts.{key}", f"facts.{key}.qualifier")]
    return ["source", "meta.agency", "meta.year", "meta.format_version", *cells, *facts,
            "problems", "checks.failed"]


CSV_COLUMNS = _csv_columns()
# How each output option writes a record (and reads it back for --resume): see service.batch.RecordFormat.
FORMATS = {"full": batch.RecordFormat("full", _encode_full, marker="cells"),
           "flat": batch.RecordFormat("flat", _encode_flat, marker="meta.agency"),
           "csv": batch.RecordFormat("csv", _encode_csv, kind="csv", header=_csv_line(CSV_COLUMNS))}


def csv_row(flat: dict[str, Any]) -> list[str]:
    """One CSV row of a flat view: null is an empty field, lists are JSON arrays."""
    return [_csv_field(flat.get(column)) for column in CSV_COLUMNS]


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _serve(settings: Settings, overrides: dict[str, Any]) -> int:
    import uvicorn

    from service.api import workers
    from service.api.transport import HTTP_PROTOCOL
    from service.logs import configure_logging, logging_config

    configure_logging(settings.log_level, settings.log_format)
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
