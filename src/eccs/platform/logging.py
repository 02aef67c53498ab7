"""Structured logs: JSON lines (or readable console lines) with request and email ids bound.

Logs go to stderr, so that a command's own output on stdout is never mixed with them. The
libraries' standard-library logging (uvicorn, SQLAlchemy, ...) goes through the same renderer,
warnings and errors only: their informational chatter (SQLAlchemy would log each statement
with its parameters) stays out.

An exception is rendered once, as one record. What PostgreSQL adds to an error as DETAIL
(`Failing row contains (...)`, `Key (email)=(...)`) is the data of the row, a user's subject,
body or address: it is cut out of every exception message before it is written. Statement
parameters never get there: every engine is made with `hide_parameters` (see platform/db.py).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import asyncpg
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from eccs.platform.settings import LogSettings

HIDDEN = "[detail hidden: it may hold user data]"


def configure_logging(settings: LogSettings, service: str | None = None) -> None:
    """Logs as the settings say; with `service`, every line names it (a log store holds every
    container's lines together)."""
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if settings.log_format == "console"
        else structlog.processors.JSONRenderer()
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        render_exception,
    ]
    if service is not None:
        shared.insert(0, _naming(service))
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    _route_standard_logging(shared, renderer, max(level, logging.WARNING))
    # uvicorn's own access log would duplicate ours.
    logging.getLogger("uvicorn.access").disabled = True
    # aiokafka logs every failed connection attempt, several a second while a broker is down;
    # ECCS's own clients report an unreachable broker themselves, once per backoff step.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def _route_standard_logging(shared: list[Processor], renderer: Processor, level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def _naming(service: str) -> Processor:
    def add_service(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
        event.setdefault("service", service)
        return event

    return add_service


def render_exception(logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
    """structlog's traceback rendering, with the database's DETAIL cut out of every message."""
    details = [detail for error in _chain(_exception_of(event)) if (detail := _detail_of(error))]
    event = structlog.processors.format_exc_info(logger, name, event)
    if details and isinstance(event.get("exception"), str):
        for detail in details:
            event["exception"] = event["exception"].replace(detail, HIDDEN)
    return event


def describe(error: BaseException, limit: int = 300) -> str:
    """`Type: message` of an error, for a log field or a readiness report, with the database's
    DETAIL (row data) cut out as it is from tracebacks."""
    text = f"{type(error).__name__}: {error}"
    for detail in filter(None, map(_detail_of, _chain(error))):
        text = text.replace(detail, HIDDEN)
    return text[:limit]


def _exception_of(event: EventDict) -> BaseException | None:
    exc_info = event.get("exc_info")
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple):
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    return sys.exc_info()[1] if exc_info is True else None


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _detail_of(error: BaseException) -> str | None:
    if isinstance(error, asyncpg.PostgresError):
        detail = getattr(error, "detail", None)
        return detail if isinstance(detail, str) and detail else None
    return None


log = structlog.get_logger("eccs")
