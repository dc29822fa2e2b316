"""Logging set-up for the service and the CLI (named ``logs`` so it never shadows the stdlib module).

Only metadata is logged (request id, sizes, timings, statuses); report text and keys are not.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Send nianbao's log records to stderr at ``level``, one line each."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("nianbao")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False  # uvicorn configures the root logger its own way
