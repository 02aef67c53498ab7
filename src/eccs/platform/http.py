"""The HTTP shell every service shares: error rendering, request ids, logs, metrics, body limits,
`/health`, `/ready`, `/metrics` and an OpenAPI document that lists the error responses."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import orjson
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from pydantic import BaseModel
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eccs.platform.docs import install_docs
from eccs.platform.errors import AppError, ErrorBody, FieldProblem, PayloadTooLarge
from eccs.platform.metrics import HTTP_LATENCY, HTTP_REQUESTS
from eccs.platform.process import watched
from eccs.platform.service import Readiness, ReadyChecks
from eccs.platform.telemetry import context_from, current_trace_id, span

log = structlog.get_logger("eccs.http")

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
# Young collections after this many new objects, not 700; the older generations as by default.
GC_THRESHOLDS = (10_000, 10, 10)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error statuses a route can answer."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


_DESCRIPTIONS = {
    401: "Missing, invalid or expired credentials",
    403: "Not allowed for this role, this API key's scopes, or an address not yet verified",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "The body was not sent as JSON (Content-Type: application/json)",
    422: "Invalid input; `fields` names each problem",
    429: "Over a limit; see Retry-After",
    503: "A dependency is unavailable",
}


# --- errors -------------------------------------------------------------------------------------


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Iterable[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "fields": [{"field": f.field, "message": f.message} for f in fields],
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def field_path(location: Iterable[int | str]) -> str:
    """Turn a validation location like ("body", "to", 0) into the client's name, "to[0]"."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith("function-") and not str(part).startswith("tagged-union"):
            path += f".{part}" if path else str(part)
    return path or "body"


def validation_problem(error: Mapping[str, Any]) -> FieldProblem:
    """One pydantic validation error, as the field it is about and what is wrong."""
    if error.get("type") == "extra_forbidden":
        return FieldProblem(field_path(error.get("loc", ())), "is not a field this API takes")
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return FieldProblem(field_path(error.get("loc", ())), message)


async def _on_app_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.code, exc.message, exc.fields, exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if unreadable := next((e for e in errors if e.get("type") == "json_invalid"), None):
        reason = unreadable.get("ctx", {}).get("error", "it cannot be parsed")
        position = unreadable.get("loc", ("body", "?"))[-1]
        return _invalid_body(f"The body is not valid JSON: {reason} (at character {position}).")
    if not _declared_json(request) and any(_whole_body_unreadable(e) for e in errors):
        return error_response(415, "unsupported_media_type", JSON_ONLY)
    problems = [validation_problem(e) for e in errors]
    summary = "; ".join(f"{p.field}: {p.message}" for p in problems[:3])
    return error_response(422, "validation_error", summary or "Invalid input.", problems)


JSON_ONLY = "The body must be JSON, sent with Content-Type: application/json."


def _declared_json(request: Request) -> bool:
    """FastAPI reads a body as JSON only when its Content-Type says it is."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _whole_body_unreadable(error: Mapping[str, Any]) -> bool:
    # A body there but not read as JSON fails as a whole; a missing one is just missing.
    return tuple(error.get("loc", ())) == ("body",) and error.get("type") != "missing"


def _invalid_body(message: str) -> Response:
    # A body that cannot be read is invalid input like any other: the validation status, and
    # the field named is the body.
    return error_response(422, "invalid_body", message, [FieldProblem("body", message)])


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI's answer to a body it cannot decode (not UTF-8)
        return _invalid_body("The body could not be read: JSON must be UTF-8 text.")
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = getattr(exc, "headers", None)
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = "There is nothing at this address."
    elif exc.status_code == 405 and headers and "Allow" in headers:
        message = f"{request.method} is not allowed here; allowed: {headers['Allow']}."
    return error_response(exc.status_code, code, message, headers=headers)


def add_error_handlers(app: FastAPI) -> None:
    """Every error an application answers in the one shape (a 500 is answered by `Observe`)."""
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)


# --- request bodies -----------------------------------------------------------------------------


def decode_json(raw: bytes) -> Any:
    """A JSON body, refusing what Python's json module would let through: lone surrogates
    (`"\\ud800"` is valid JSON but not Unicode, and failed as a 500 when stored or hashed).
    orjson is strict about them, and faster."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise exc from None  # not JSON at all: orjson's message says where
        where = _lone_surrogate(parsed) or "a value"
        raise json.JSONDecodeError(
            f"{where} is not valid Unicode (it holds a lone surrogate)", exc.doc, exc.pos
        ) from None


def _lone_surrogate(value: object, path: str = "") -> str | None:
    """The path of the first string (or key) in parsed JSON holding a lone surrogate."""
    if isinstance(value, str):
        return (path or "body") if _SURROGATE.search(value) else None
    children: Iterable[tuple[str, object]] = ()
    if isinstance(value, dict):
        for key in value:
            if _SURROGATE.search(key):
                return f"{path}.{key!a}" if path else f"key {key!a}"
        children = ((f"{path}.{key}" if path else key, item) for key, item in value.items())
    elif isinstance(value, list):
        children = ((f"{path}[{i}]", item) for i, item in enumerate(value))
    for child_path, child in children:
        if (found := _lone_surrogate(child, child_path)) is not None:
            return found
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


class _JsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = decode_json(await self.body())
        return self._json


class _JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return await handle(_JsonRequest(request.scope, request.receive))

        return handler


def api_router(prefix: str, tag: str, *, scoped: bool = False) -> APIRouter:
    """The router of one API area; its JSON bodies are decoded by `decode_json`. The routes of a
    `scoped` one take API keys with a scope, and list the 403 of a key without it."""
    responses = errors(403) if scoped else None
    return APIRouter(prefix=prefix, tags=[tag], route_class=_JsonRoute, responses=responses)


# --- middleware ---------------------------------------------------------------------------------


class BodyLimit:
    """Answer 413 for bodies over the limit, whether or not they declare a Content-Length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = request_header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                return await self._refuse(scope, receive, send)
            return await self.app(scope, receive, send)
        body = await self._read_bounded(receive)
        if body is None:
            return await self._refuse(scope, receive, send)
        await self.app(scope, _replay(body), send)

    async def _read_bounded(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = PayloadTooLarge(f"The request body is larger than {self.max_bytes} bytes.")
        response = error_response(error.status_code, error.code, error.message)
        await response(scope, receive, send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # like a client that stays connected: nothing more
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def request_header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class SafeDefaults:
    """`X-Content-Type-Options: nosniff` on every answer, and `Cache-Control: no-store` on every
    answer whose route did not say how it may be cached: API answers hold tokens and users'
    mail, which no browser or proxy cache should keep."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_defaults(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_defaults)


# Probes and scrapes, every few seconds from every checker: no trace of their own.
UNTRACED = frozenset({"/health", "/ready", "/metrics"})


class Observe:
    """Request id in and out (and the trace id out), one log line and one span per request, and
    the HTTP metrics by route template."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = request_header(scope, b"x-request-id") or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        if scope["path"] in UNTRACED:
            return await self._answer(scope, receive, send, request_id, started)
        traceparent = request_header(scope, b"traceparent")
        parent = context_from({"traceparent": traceparent}) if traceparent else None
        # Named by method now and renamed to the route template once routing has found it:
        # raw paths carry ids and would make every span name unique.
        with span(scope["method"], parent, SpanKind.SERVER) as request_span:
            await self._answer(scope, receive, send, request_id, started)
            request_span.update_name(f"{scope['method']} {_route(scope)}")

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, started: float
    ) -> None:
        status: int | None = None
        # Answered to the client, which can then find the request's trace (and its log lines).
        ids = [(b"x-request-id", request_id.encode())]
        if (trace_id := current_trace_id()) is not None:
            ids.append((b"x-trace-id", trace_id.encode()))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *ids]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # The one record of a bug: here, where the request id is still bound. Not raised
            # further, or Starlette and uvicorn would each log the traceback again.
            log.exception("unhandled_error", method=scope["method"], route=_route(scope))
            if status is None:
                await _internal_error(scope, receive, send_with_id)
            status = 500
        finally:
            self._record(scope, status or 500, time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route(scope)
        method = scope["method"]
        HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, route, str(status)).observe(seconds)
        if route not in ("/health", "/metrics"):
            log.info(
                "request", method=method, route=route, status=status, ms=round(seconds * 1e3, 2)
            )


async def _internal_error(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(500, "internal_error", "Something went wrong on our side.")
    await response(scope, receive, send)


def _route(scope: Scope) -> str:
    return getattr(scope.get("route"), "path", None) or "unmatched"


# --- the application ----------------------------------------------------------------------------


def create_app(
    *,
    service: str,
    title: str,
    lifespan: Lifespan,
    checks: ReadyChecks,
    max_request_bytes: int,
    trusted_proxies: list[str],
    description: str = "",
) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version="1",
        lifespan=_watching_the_process(lifespan),
        docs_url=None,  # served with their own files, below
        redoc_url=None,
        # `Observe` makes the one span of a request, and the metrics and log lines: FastAPI's
        # own would make a second span of each request, and its logs would hold exception
        # messages, which may quote a user's data.
        telemetry=NO_FASTAPI_TELEMETRY,
    )
    add_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=max_request_bytes)
    app.add_middleware(Observe, service=service)
    app.add_middleware(SafeDefaults)
    _add_proxy_headers(app, trusted_proxies)
    _add_operational_routes(app, checks)
    install_docs(app, openapi_url="/openapi.json", title=title)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


NO_FASTAPI_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def _watching_the_process(lifespan: Lifespan) -> Lifespan:
    """The service's own lifespan, with its process's memory and event-loop lag sampled, and
    garbage collected less once started."""

    @asynccontextmanager
    async def watching(app: FastAPI) -> AsyncIterator[None]:
        async with watched(), lifespan(app):
            _collect_garbage_less()
            yield

    return watching


def _collect_garbage_less() -> None:
    """Once a service has started, what exists by then is left out of garbage collection, and
    collections come less often.

    A full collection walks every object tracked, most of them the modules, routes and models
    made at startup, which live as long as the process: with those frozen it has little to do.
    Requests make many short-lived objects, each batch of 700 of them (the default) triggering a
    young collection: at a thousand requests a second, a collection every few of them.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _add_proxy_headers(app: FastAPI, trusted_proxies: list[str]) -> None:
    # X-Forwarded-For is believed only from the gateway's addresses; otherwise the client address
    # is the TCP peer. uvicorn's middleware picks the nearest untrusted hop.
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    if trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies)


class Health(BaseModel):
    status: str


def _add_operational_routes(app: FastAPI, checks: ReadyChecks) -> None:
    @app.get("/health", tags=["operations"], summary="The process is alive")
    async def health() -> Health:
        return Health(status="ok")

    @app.get(
        "/ready",
        tags=["operations"],
        summary="The service can do its work",
        responses={503: {"model": Readiness, "description": "A dependency is down"}},
        response_model=Readiness,
    )
    async def ready() -> Response:
        readiness = await checks.run()
        return JSONResponse(readiness.model_dump(), status_code=200 if readiness.ready else 503)

    registry = _metrics_registry()

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _metrics_registry() -> CollectorRegistry:
    """This process's metrics, or every worker's when the service runs several processes.

    `eccs serve --workers N` points PROMETHEUS_MULTIPROC_DIR at a shared directory where each
    worker keeps its values; a scrape, answered by any one worker, then adds them all up.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, with FastAPI's own 422 shape replaced by ours."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if (invalid := responses.get("422")) is not None:
                invalid["content"] = {"application/json": {"schema": error_ref}}
                invalid["description"] = _DESCRIPTIONS[422]
            if "requestBody" in operation:  # see _on_validation_error
                responses["415"] = {
                    "description": _DESCRIPTIONS[415],
                    "content": {"application/json": {"schema": error_ref}},
                }
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    components.setdefault(
        "ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for name, sub in (
        ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        .get("$defs", {})
        .items()
    ):
        components.setdefault(name, sub)
    components["ErrorBody"].pop("$defs", None)
    app.openapi_schema = schema
    return schema


async def noop_lifespan(_: FastAPI) -> AsyncIterator[None]:  # pragma: no cover - for tests
    yield
