"""The development mail catcher of embedded mode: a real SMTP server that keeps what it accepts,
with failure rules for trying out retries, and an HTTP inbox at /api/dev/*.

How `eccs up` runs it, inside its own event loop:

    settings = load(DevMailSettings, environ)
    catcher = DevMailCatcher(settings.mail_dir, settings.rules())  # ConfigError on bad rules
    catcher.install(front_app)          # /api/dev/* on the front process, no token needed
    await catcher.start()               # SMTP on 127.0.0.1, a free port; see catcher.port
    ...                                 # the worker sends to SMTP_HOST=127.0.0.1, SMTP_PORT=port
    await catcher.stop()

`build()` serves it alone (`uvicorn --factory eccs.devmail:build`), for tests and trials.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType

import structlog
from fastapi import FastAPI

from eccs.devmail.endpoints import router
from eccs.devmail.rules import DEFAULT_RULES, RecipientGate, Rules
from eccs.devmail.smtp import CatchingHandler, SmtpListener
from eccs.devmail.store import DEFAULT_CAPACITY, Inbox
from eccs.platform.http import create_app
from eccs.platform.service import ReadyChecks
from eccs.platform.settings import Fragment, HttpSettings, load

__all__ = ["DevMailCatcher", "DevMailSettings", "Rules", "build"]

log = structlog.get_logger("eccs.devmail")


class DevMailSettings(Fragment):
    eccs_dev_smtp_rules: str = DEFAULT_RULES
    eccs_data_dir: Path = Path(".eccs")

    @property
    def mail_dir(self) -> Path:
        return self.eccs_data_dir / "mail"

    def rules(self) -> Rules:
        return Rules.parse(self.eccs_dev_smtp_rules)


class DevMailCatcher:
    """The SMTP server and the inbox it fills, started and stopped together."""

    def __init__(
        self,
        directory: Path,
        rules: Rules,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.inbox = Inbox(directory, capacity=capacity)
        self.gate = RecipientGate(rules)
        self._listener = SmtpListener(CatchingHandler(self.inbox, self.gate), host, port)

    @property
    def host(self) -> str:
        return self._listener.host

    @property
    def port(self) -> int:
        """The SMTP port; the one picked when 0 was asked for, once started."""
        return self._listener.port

    def install(self, app: FastAPI) -> None:
        """Serve this catcher's inbox at /api/dev/* on `app`."""
        app.state.devmail_inbox = self.inbox
        app.include_router(router)

    async def start(self) -> None:
        await self.inbox.load()
        await self._listener.start()
        log.info("mail_catcher_started", host=self.host, port=self.port, kept=len(self.inbox))

    async def stop(self) -> None:
        await self._listener.stop()

    async def __aenter__(self) -> DevMailCatcher:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


def build(
    environ: Mapping[str, str] | None = None, *, smtp_host: str = "127.0.0.1", smtp_port: int = 0
) -> FastAPI:
    """The catcher on its own: its inbox API, and its SMTP server while the app runs."""
    settings = load(DevMailSettings, environ)
    http = load(HttpSettings, environ)
    catcher = DevMailCatcher(settings.mail_dir, settings.rules(), host=smtp_host, port=smtp_port)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with catcher:
            yield

    app = create_app(
        service="devmail",
        title="ECCS development mail catcher",
        description="Messages caught by the embedded mode's SMTP server.",
        lifespan=lifespan,
        checks=ReadyChecks({}),
        max_request_bytes=http.max_request_bytes,
        trusted_proxies=http.trusted_proxies,
    )
    app.state.devmail = catcher
    catcher.install(app)
    return app
