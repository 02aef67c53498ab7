"""Structured logs: JSON lines (or readable console lines) with request and email ids bound."""

from __future__ import annotations

import logging
import sys

import structlog

from eccs.platform.settings import LogSettings


def configure_logging(settings: LogSettings) -> None:
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
        if settings.log_format == "console"
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    # uvicorn's own access log would duplicate ours; its error log stays.
    logging.getLogger("uvicorn.access").disabled = True
    # aiokafka logs every failed connection attempt, several a second while a broker is down;
    # ECCS's own clients report an unreachable broker themselves, once per backoff step.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


log = structlog.get_logger("eccs")
