"""The front of embedded mode: one HTTP port for everything, routed by path prefix.

    /api/auth/*   auth-service
    /api/dev/*    the development mail catcher (no token needed; embedded mode only)
    /api/*        email-service
    /health       200 only when every part is ready: {"status", "mode": "embedded", "parts"};
    /ready        the same answer
    /openapi.json the services' documents merged into one; /docs shows it (Swagger UI, its
                  files served here too)
    /metrics      Prometheus metrics of the whole process
    /             the web app (frontend/dist once built; any other path is one of its pages),
                  else a small page of links

Only requests for the host names it serves are answered (see embedded/hosts.py); the others get
a 400 in the error shape. Requests reach the services' ASGI applications unchanged (same path,
same client address), so they behave as they do behind the gateway. Until the services are
attached, /api/* answers 503 with Retry-After, and /health says what is still starting.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from eccs.embedded.hosts import AllowedHosts, host_name
from eccs.embedded.webapp import WebApp, security_headers
from eccs.platform.docs import install_docs
from eccs.platform.http import (
    NO_FASTAPI_TELEMETRY,
    SafeDefaults,
    add_error_handlers,
    error_response,
    request_header,
)

HealthReport = Callable[[], Awaitable[dict[str, Any]]]

TITLE = "ECCS API"
DESCRIPTION = (
    "Every ECCS service behind one address (embedded mode): accounts and sign-in under "
    "/api/auth, email, templates, contacts and operators' endpoints under /api, and the "
    "development mail catcher under /api/dev. `GET /health` reports every part."
)


class Front:
    def __init__(
        self,
        health: HealthReport,
        web_app: Path | None = None,
        hosts: AllowedHosts = AllowedHosts.listening_on("127.0.0.1"),
    ) -> None:
        self._health = health
        self._hosts = hosts
        self._auth: FastAPI | None = None
        self._email: FastAPI | None = None
        self._mail_catcher: FastAPI | None = None
        self._spec: dict[str, Any] | None = None
        self._own = self._own_app(web_app)

    def attach(
        self,
        *,
        auth: FastAPI,
        email: FastAPI,
        mail_catcher: FastAPI | None,
    ) -> None:
        """Start routing to the services (their lifespans are running)."""
        self._auth, self._email, self._mail_catcher = auth, email, mail_catcher
        self._spec = None

    def openapi(self) -> dict[str, Any] | None:
        """The merged document, made on first use (a third of a second nobody waits for)."""
        if self._spec is None and self._auth is not None:
            apps = {"auth": self._auth, "email": self._email, "mail catcher": self._mail_catcher}
            documents = {name: app.openapi() for name, app in apps.items() if app is not None}
            self._spec = merge_openapi(documents)
        return self._spec

    def detach(self) -> None:
        """Stop routing to the services: they are being stopped."""
        self._auth = self._email = self._mail_catcher = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = request_header(scope, b"host")
        if self._hosts.allows(host):
            app = self._target(scope["path"])
        else:
            app = self._unknown_host(host_name(host or ""))
        await SafeDefaults(app)(scope, receive, send)

    def _unknown_host(self, name: str) -> ASGIApp:
        return error_response(
            400,
            "unknown_host",
            f"This ECCS answers only for {self._hosts.shown()}: to reach it as {name}, "
            "add that name to ECCS_ALLOWED_HOSTS.",
        )

    def _target(self, path: str) -> ASGIApp:
        if not _under(path, "/api"):
            return self._own
        if self._auth is None or self._email is None:
            return _unavailable("starting", "ECCS is starting or stopping; try again in a moment.")
        if _under(path, "/api/auth"):
            return self._auth
        if _under(path, "/api/dev"):
            return self._mail_catcher or _unavailable(
                "mail_catcher_off", "The mail catcher is off: SMTP_HOST points to a real relay."
            )
        return self._email

    def _own_app(self, web_app: Path | None) -> FastAPI:
        app = FastAPI(
            title="ECCS front",
            openapi_url=None,
            docs_url=None,
            redoc_url=None,
            telemetry=NO_FASTAPI_TELEMETRY,
        )
        add_error_handlers(app)

        # In embedded mode alive and ready are one question: is every part ready?
        @app.get("/health")
        @app.get("/ready")
        async def health() -> Response:
            body = await self._health()
            return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)

        @app.get("/openapi.json")
        async def openapi() -> Response:
            spec = self.openapi()
            if spec is None:
                return error_response(503, "starting", "ECCS is starting.", headers=RETRY)
            return JSONResponse(spec)

        @app.get("/metrics")
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        install_docs(app, openapi_url="/openapi.json", title=TITLE)

        if web_app is not None:
            headers = security_headers(web_app.parent / "nginx" / "security-headers.conf")
            app.mount("/", WebApp(web_app, headers), name="web app")
        else:

            @app.get("/")
            async def home() -> Response:
                return HTMLResponse(HOME_PAGE)

        return app


RETRY = {"Retry-After": "1"}


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _unavailable(code: str, message: str) -> ASGIApp:
    return error_response(503, code, message, headers=RETRY)


def merge_openapi(documents: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """One OpenAPI document for the API paths of several services.

    Components are shared by name; where two services define a schema of the same name
    differently, the later one is renamed after its service, references included.
    """
    merged: dict[str, Any] = {
        "openapi": next(iter(documents.values()))["openapi"],
        "info": {"title": TITLE, "version": "1", "description": DESCRIPTION},
        "paths": {},
        "components": {},
        "tags": [],
    }
    for service, document in documents.items():
        document = _without_clashes(service, document, merged["components"])
        for path, operations in document.get("paths", {}).items():
            if _under(path, "/api"):  # each service's /health, /ready stay its own
                merged["paths"][path] = operations
        for kind, entries in document.get("components", {}).items():
            merged["components"].setdefault(kind, {}).update(entries)
        known = {tag["name"] for tag in merged["tags"]}
        merged["tags"] += [tag for tag in document.get("tags", []) if tag["name"] not in known]
    return merged


def _without_clashes(
    service: str, document: dict[str, Any], components: dict[str, Any]
) -> dict[str, Any]:
    schemas = components.get("schemas", {})
    theirs = document.get("components", {}).get("schemas", {})
    prefix = "".join(word.title() for word in service.split())
    clashes = [name for name, schema in theirs.items() if schemas.get(name, schema) != schema]
    if not clashes:
        return document
    text = json.dumps(document)
    for name in clashes:
        text = text.replace(
            f'"#/components/schemas/{name}"', f'"#/components/schemas/{prefix}{name}"'
        )
    renamed: dict[str, Any] = json.loads(text)
    own = renamed["components"]["schemas"]
    for name in clashes:
        own[prefix + name] = own.pop(name)
    return renamed


HOME_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ECCS</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; }
  code { background: #f3f3f3; padding: 0 .25rem; }
</style>
</head>
<body>
<h1>ECCS is running</h1>
<p>The web app is not part of this build yet. Meanwhile:</p>
<ul>
  <li><a href="/docs">API documentation</a>: register, sign in and send email from the browser</li>
  <li><a href="/api/dev/inbox">Caught mail</a>: what the development mail catcher received</li>
  <li><a href="/health">Health</a> of every part</li>
</ul>
<p>Make an administrator with
<code>eccs user create --email you@example.com --name You --admin</code>.</p>
</body>
</html>
"""
