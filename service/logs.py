"""Logging set-up for the service and the CLI (named ``logs`` so it never shadows the stdlib module).

Lines are JSON (python-json-logger) or plain text, and each carries the id of the request it belongs to.
Only metadata is logged (request id, sizes, timings, statuses); report text and keys are not.
"""

from __future__ import annotations

import logging
import logging.config
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


def logging_config(level: str = "INFO", fmt: Literal["json", "text"] = "json") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for nianbao's and uvicorn's loggers (uvicorn's ``log_config`` takes it)."""
    formatter: dict[str, Any] = (
        {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": list(JSON_FIELDS),
         "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}
        if fmt == "json" else {"format": TEXT_FORMAT})
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
