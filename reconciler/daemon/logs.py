"""structlog setup: JSON lines when stdout is not a terminal, readable console output when it is."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def configure_logging(level: str = "info", json_lines: bool | None = None) -> Any:
    if json_lines is None:
        json_lines = not sys.stdout.isatty()
    renderer: Any = (structlog.processors.JSONRenderer() if json_lines
                     else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    # Libraries log through stdlib logging; keep their noise out of the event stream.
    for noisy in ("apscheduler", "botocore", "urllib3", "git", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return structlog.get_logger("reconciler")
