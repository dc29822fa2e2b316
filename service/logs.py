"""Logging set-up for the service and the CLI (named ``logs`` so it never shadows the stdlib module).

Lines are JSON (python-json-logger) or plain text, and each carries the id of the request it belongs to.
Only metadata is logged (request id, sizes, timings, statuses); report text and keys are not, and the
filters at the end keep them out of what openai and instructor log too (the llm backend installs them).
"""

from __future__ import annotations

import logging
import logging.config
import re
from contextvars import ContextVar
from typing import Any, Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id")

# Set by the HTTP middleware for the length of a request; anyio copies it into the worker thread that
# runs the pipeline, so the backends' log lines carry the id as well.
request_id_var: ContextVar[str | None] = ContextVar("nianbao_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` (the current request's, or ``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the attribute; never drops a record."""
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


# Control characters (C0, DEL, C1) and the Unicode line separators, as \xNN / \uNNNN escapes.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROLS.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def escape_controls(text: str) -> str:
    """``text`` with every control character escaped: a logged path or method cannot start a new line or
    send an ANSI escape to a terminal."""
    return text.translate(_CONTROLS)


class EscapingFormatter(logging.Formatter):
    """The text format: one line per record, control characters escaped (JSON lines escape them already)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        """The formatted line, escaped; a traceback, when there is one, follows on its own lines."""
        return escape_controls(super().formatMessage(record))


def logging_config(level: str = "INFO", fmt: Literal["json", "text"] = "json") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for nianbao's and uvicorn's loggers (uvicorn's ``log_config`` takes it)."""
    formatter: dict[str, Any] = (
        {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": list(JSON_FIELDS),
         "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}
        if fmt == "json" else {"()": "service.logs.EscapingFormatter", "fmt": TEXT_FORMAT})
    level = level.upper()
    # Named loggers only (nianbao, uvicorn): the root logger stays as the host process set it.
    logger: dict[str, Any] = {"handlers": ["stderr"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "default", "filters": ["request_id"]}},
        "loggers": {
            "nianbao": logger,
            "uvicorn": logger,
            "uvicorn.error": {"level": level},  # propagates to "uvicorn"
            # The app logs each request itself, with its id; uvicorn's access log would repeat it.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure_logging(level: str = "INFO", fmt: Literal["json", "text"] = "json") -> None:
    """Send nianbao's (and uvicorn's) log records to stderr at ``level``, one line each."""
    logging.config.dictConfig(logging_config(level, fmt))


# ---- what other libraries log: no key, no report text ------------------------------------------------

# instructor and openai log an endpoint's error text as it came, and some endpoints echo the key in it.
_ECHOING_LOGGERS = ("instructor.v2.retry", "openai._base_client")


class _RedactSecret(logging.Filter):
    """Masks one secret in the records of a logger that repeats what an endpoint said."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without the secret; never drop the record."""
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "**********"), ()
        return True


def redact_logs(secret: str) -> None:
    """Mask ``secret`` in what openai and instructor log (once per secret and logger)."""
    if len(secret) < 4:
        return
    for name in _ECHOING_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactSecret) and f.secret == secret for f in logger.filters):
            logger.addFilter(_RedactSecret(secret))


# instructor logs each failed attempt at ERROR with the exception's text, and a validation error quotes the
# model's answer (``input_value='{"facts": [{"quote": "共印发…'``): that is report text.
_RETRY_LOGGER = "instructor.v2.retry"
_DETAIL = re.compile(r"(attempt \d+|Last error)\s*:.*", re.S)


class _WithholdDetails(logging.Filter):
    """Cuts the exception text off instructor's retry messages unless report text may be logged."""

    def __init__(self) -> None:
        super().__init__()
        self.withhold = True

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record without the failure's text; never drop the record."""
        if self.withhold:
            message = _DETAIL.sub(r"\1: (details withheld: they may quote the report; "
                                  "NIANBAO_LOG_REPORT_TEXT=true shows them)", record.getMessage())
            record.msg, record.args = message, ()
        return True


def withhold_details(withhold: bool) -> None:
    """Keep instructor's retry log free of the model's answers (``withhold``), or let them through."""
    logger = logging.getLogger(_RETRY_LOGGER)
    found = [f for f in logger.filters if isinstance(f, _WithholdDetails)]
    gate = found[0] if found else _WithholdDetails()
    if not found:
        logger.addFilter(gate)
    gate.withhold = withhold
